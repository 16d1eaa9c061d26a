"""`danmarkskort`: check an extract, or run the whole pipeline on a local AWS (docs/design.md §5).

validate  check an extract, publish nothing (exit 0 accepted, 2 rejected)
run       the whole chain on a local AWS (moto) for one extract file; --state DIR keeps
          that AWS between commands
demo      generate a realistic extract for all 98 municipalities, then run
serve     show the locally published site on 127.0.0.1
generate  write a sample extract file
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import functools
import http.server
import sys
from collections.abc import Sequence
from pathlib import Path

DEFAULT_OUT = Path("out")
DEMO_EXTRACT = "Ankestyrelsen udtræk {years} – alle kommuner.csv"
STATE_HELP = (
    "keep the local AWS (buckets, table) in this directory between commands, so consecutive "
    "runs behave like consecutive uploads (default: a fresh local AWS each time)"
)


def _config_source(directory: Path | None):  # type: ignore[no-untyped-def]
    from danmarkskort.config.sources import DirSource, layered

    if directory is None:
        return layered()
    if not directory.is_dir():
        raise SystemExit(f"--config {directory}: not a directory")
    return layered(DirSource(directory))


def cmd_validate(args: argparse.Namespace) -> int:
    from danmarkskort.compute.evaluate import evaluate

    path: Path = args.extract
    if not path.is_file():
        print(f"{path}: filen findes ikke", file=sys.stderr)
        return 2
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"{path}: filen kan ikke læses ({exc.strerror or exc})", file=sys.stderr)
        return 2
    evaluation = evaluate(
        data,
        path.name,
        config=_config_source(args.config),
        lav_n_threshold=args.low_n,
    )
    print(evaluation.report_text(), end="")
    return 0 if evaluation.accepted else 2


def _run(extract: Path, out: Path, config: Path | None, state: Path | None = None) -> int:
    from danmarkskort_tools.local import StateError, run_chain, summary

    if config is not None and not config.is_dir():
        raise SystemExit(f"--config {config}: not a directory")
    try:
        result = run_chain(extract, out=out, config=config, state=state)
    except StateError as exc:  # names the path and what is wrong with it
        print(f"--state: {exc}", file=sys.stderr)
        return 1
    print(summary(result))
    if result.status == "rejected":
        report = result.paths.get("rejected")
        if report and (report / "report.txt").is_file():
            print("\n" + (report / "report.txt").read_text(encoding="utf-8"), end="")
    return result.exit_code


def cmd_run(args: argparse.Namespace) -> int:
    if not args.extract.is_file():
        print(f"{args.extract}: no such file", file=sys.stderr)
        return 2
    return _run(args.extract, args.out, args.config, args.state)


def recent_years() -> list[int]:
    """The three years before this one: the demo then plays this year's publication, so its
    mails carry this year's council deadline (31 December), not one long past."""
    this_year = datetime.date.today().year
    return [this_year - 3, this_year - 2, this_year - 1]


def cmd_demo(args: argparse.Namespace) -> int:
    from danmarkskort_tools.generator import write_extract

    if args.state is not None:
        from danmarkskort_tools.local import LocalState, StateError

        try:  # before the sample is generated; run_chain checks the whole state again
            LocalState(args.state).check()
        except StateError as exc:
            print(f"--state: {exc}", file=sys.stderr)
            return 1
    years = args.years or recent_years()
    target_dir = args.out / "extract"
    target_dir.mkdir(parents=True, exist_ok=True)
    span = f"{min(years)}-{max(years)}" if min(years) != max(years) else str(years[0])
    extract = target_dir / DEMO_EXTRACT.format(years=span)
    rows = write_extract(extract, years=years, cases_per_year=args.cases, seed=args.seed)
    print(f"generated {extract} ({rows:,} cases, years {', '.join(map(str, years))})")
    return _run(extract, args.out, args.config, args.state)


def cmd_serve(args: argparse.Namespace) -> int:
    site = args.dir / "site"
    if not (site / "index.html").is_file():
        print(f"{site}/index.html does not exist; run `danmarkskort demo` first", file=sys.stderr)
        return 1
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler) as server:
        print(f"serving {site} at http://127.0.0.1:{args.port}/ (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from danmarkskort_tools.generator import GeneratorError, write_extract

    try:
        rows = write_extract(
            args.out,
            shape=args.shape,
            fmt=args.format,
            encoding=args.encoding,
            sep=args.sep,
            years=args.years or recent_years(),
            cases_per_year=args.cases,
            seed=args.seed,
            config=_config_source(args.config) if args.config else None,
        )
    except GeneratorError as exc:
        print(f"generate: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.out} ({rows:,} rows)")
    return 0


def _years(text: str) -> list[int]:
    """'2024' or '2022-2024' or '2022,2024'."""
    years: list[int] = []
    try:
        for part in text.split(","):
            first, _, last = part.strip().partition("-")
            span = list(range(int(first), int(last or first) + 1))
            if not span:  # '2024-2022' would silently become the default years
                raise ValueError(part)
            years += span
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a year, a range or a list") from None
    return sorted(set(years))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="danmarkskort", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check an extract without publishing anything")
    v.add_argument("extract", type=Path)
    v.add_argument("--config", type=Path, help="directory with config files (areas.json ...)")
    v.add_argument("--low-n", type=int, default=20, help="low-n threshold (default 20)")
    v.set_defaults(func=cmd_validate)

    r = sub.add_parser("run", help="run the whole chain on a local AWS for one extract")
    r.add_argument("extract", type=Path)
    r.add_argument("--config", type=Path, help="directory uploaded to config/ in the data bucket")
    r.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (./out)")
    r.add_argument("--state", type=Path, help=STATE_HELP)
    r.set_defaults(func=cmd_run)

    d = sub.add_parser("demo", help="generate a sample extract for all 98 and run the chain")
    d.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (./out)")
    d.add_argument("--config", type=Path, help="directory uploaded to config/ in the data bucket")
    d.add_argument("--years", type=_years, help="e.g. 2022-2024 (default: the last three years)")
    d.add_argument("--cases", type=int, default=10_000, help="cases per year (10000)")
    d.add_argument("--seed", type=int, default=2024)
    d.add_argument("--state", type=Path, help=STATE_HELP)
    d.set_defaults(func=cmd_demo)

    s = sub.add_parser("serve", help="serve DIR/site on 127.0.0.1")
    s.add_argument("dir", type=Path, nargs="?", default=DEFAULT_OUT)
    s.add_argument("--port", type=int, default=8000)
    s.set_defaults(func=cmd_serve)

    g = sub.add_parser("generate", help="write a sample extract file")
    g.add_argument("out", type=Path)
    g.add_argument("--shape", choices=["cases", "aggregated"], default="cases")
    g.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    g.add_argument("--encoding", choices=["utf-8", "utf-8-sig", "cp1252"], default="utf-8")
    g.add_argument("--sep", choices=[";", ",", "\t"], default=";")
    g.add_argument(
        "--years", type=_years, help="e.g. 2024 or 2022-2024 (default: the last three years)"
    )
    g.add_argument("--cases", type=int, default=10_000, help="cases per year (10000)")
    g.add_argument("--seed", type=int, default=2024)
    g.add_argument("--config", type=Path, help="config directory (areas, cooperation)")
    g.set_defaults(func=cmd_generate)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from danmarkskort.config.sources import ConfigError

    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:  # names the file, the entry and the field
        print(f"configuration error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

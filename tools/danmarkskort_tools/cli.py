"""`danmarkskort` turns Ankestyrelsen's yearly extract of decided complaint cases into each
municipality's omgørelsesprocent. It checks an extract and explains in Danish what is wrong
with it (validate), and it runs the whole pipeline on this machine, without an AWS account:
the figures, the static site with the maps, and one mail per municipality (run, demo), which
`serve` then shows in a browser. It is the console command of docs/design.md §5.

validate  check an extract, publish nothing (exit 0 accepted, 2 rejected); in Danish, for
          ministry and Ankestyrelsen staff
run       the whole chain on a local AWS (moto) for one extract file; --state DIR keeps
          that AWS between commands; --hoering opens a consultation round instead of
          publishing (invitations with personal comment links, a private preview)
publish   end the consultation round of --state DIR now and publish it with its comments
demo      the yearly cycle on one local state: generated extracts for all 98 municipalities
          of the years before last, of last year, and a correction of last year
serve     show the locally published site on 127.0.0.1 (with --state DIR also the
          round's preview and the comment pages the invitations link to)
generate  write a sample extract file
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import errno
import os
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from http.server import ThreadingHTTPServer

    from danmarkskort_tools.local import ChainResult

DEFAULT_OUT = Path("out")
DEFAULT_PORT = 8000  # danmarkskort_tools.local.chain.DEFAULT_PORT (not imported: validate's speed)
PORT_HELP = (
    "the port `serve` will show the site on: the site's snippets and the mails link to "
    "http://127.0.0.1:PORT (default 8000; OUT/serve.json records it for `serve`)"
)
DEMO_EXTRACT = "Ankestyrelsen udtræk {years} – alle kommuner{suffix}.csv"
# The demo's correction: late registrations (efterregistreringer) of hjemviste cases for a few
# municipalities of last year (§ 85, voksenhandicap); exactly these get a "Rettelse: " mail.
DEMO_CORRECTION = {"155": 4, "400": 5, "787": 5}  # Dragør, Bornholm, Thisted
STATE_HELP = (
    "keep the local AWS (buckets, table) in this directory between commands, so consecutive "
    "runs behave like consecutive uploads (default: a fresh local AWS each time)"
)


def _config_source(directory: Path | None, not_a_dir: str = "not a directory"):  # type: ignore[no-untyped-def]
    from danmarkskort.config.sources import DirSource, layered

    if directory is None:
        return layered()
    if not directory.is_dir():
        raise SystemExit(f"--config {directory}: {not_a_dir}")
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
        config=_config_source(args.config, "ikke en mappe"),
        lav_n_threshold=args.low_n,
    )
    print(evaluation.report_text(), end="")
    return 0 if evaluation.accepted else 2


def _run(
    extract: Path,
    out: Path,
    config: Path | None,
    state: Path | None = None,
    port: int = DEFAULT_PORT,
    hoering: bool = False,
) -> int:
    from danmarkskort_tools.local import StateError, run_chain, summary
    from danmarkskort_tools.local.chain import local_site_url

    if config is not None and not config.is_dir():
        raise SystemExit(f"--config {config}: not a directory")
    try:
        result = run_chain(
            extract,
            out=out,
            config=config,
            state=state,
            site_url=local_site_url(port),
            hoering=hoering,
        )
    except StateError as exc:  # names the path and what is wrong with it
        print(f"--state: {exc}", file=sys.stderr)
        return 1
    print(summary(result, serve_command()))
    if result.status == "rejected":
        report = result.paths.get("rejected")
        if report and (report / "report.txt").is_file():
            print("\n" + (report / "report.txt").read_text(encoding="utf-8"), end="")
    return result.exit_code


def cmd_run(args: argparse.Namespace) -> int:
    if not args.extract.is_file():
        print(f"{args.extract}: no such file", file=sys.stderr)
        return 2
    if args.hoering and args.state is None:
        print(
            "run --hoering needs --state DIR: the round (its comments, then `publish`) lives "
            "there between commands",
            file=sys.stderr,
        )
        return 2
    return _run(args.extract, args.out, args.config, args.state, args.port, args.hoering)


def cmd_publish(args: argparse.Namespace) -> int:
    """End the round now: what the schedule does at the deadline, or the ministry earlier."""
    from danmarkskort_tools.local import StateError, summary
    from danmarkskort_tools.local.chain import local_site_url, publish_chain, recorded_site

    if not (args.state / "state.json").is_file():
        print(
            f"--state {args.state}: holds no local state; a round starts with "
            f"`danmarkskort run EXTRACT --hoering --state {args.state}`",
            file=sys.stderr,
        )
        return 1
    port = args.port
    if port is None:
        with contextlib.suppress(ValueError):
            recorded = recorded_site(args.out)
            port = recorded[1] if recorded else None
    try:
        result = publish_chain(
            out=args.out, state=args.state, site_url=local_site_url(port or DEFAULT_PORT)
        )
    except StateError as exc:
        print(f"--state: {exc}", file=sys.stderr)
        return 1
    print(summary(result, serve_command()))
    return result.exit_code


def recent_years() -> list[int]:
    """The three years before this one: the demo then plays this year's publication, so its
    mails carry this year's council deadline (31 December), not one long past."""
    this_year = datetime.date.today().year
    return [this_year - 3, this_year - 2, this_year - 1]


@dataclass
class _Step:
    """One upload of the demo's cycle: what it shows, its extract, how its mails are named."""

    number: int
    shows: str
    extract: Path
    years: list[int]
    mail_suffix: str  # "" keeps <kommunekode>.eml; "x" gives <kommunekode>-x.eml
    result: ChainResult | None = None
    mails: int = 0
    seconds: float = 0.0

    @property
    def mail_name(self) -> str:
        return "<kommunekode>" + (f"-{self.mail_suffix}" if self.mail_suffix else "") + ".eml"


def demo_years(years: Sequence[int] | None) -> tuple[list[int], int, str]:
    """Step 1's years and last year's (steps 2 and 3): the newest year given is last year,
    the others are the years before it. One year given: step 1 takes the year before it."""
    chosen = sorted(set(years or recent_years()))
    last = chosen[-1]
    if len(chosen) == 1:
        note = f"--years {last}: one year given; step 1 uses {last - 1}, steps 2 and 3 {last}"
        return [last - 1], last, note
    return chosen[:-1], last, ""


def _span(years: Sequence[int]) -> str:
    return f"{min(years)}-{max(years)}" if min(years) != max(years) else str(years[0])


def _said(years: Sequence[int]) -> str:
    """'2023–2024', '2021, 2023' or '2025', as the step lines say it."""
    ys = sorted(years)
    if len(ys) > 1 and ys == list(range(ys[0], ys[-1] + 1)):
        return f"{ys[0]}–{ys[-1]}"
    return ", ".join(map(str, ys))


def _keep_mails(outbox: Path, held: Path, suffix: str) -> int:
    """Move a step's mails out of OUT/outbox (the next step clears it) into `held`, named
    <kommunekode>-<suffix>.eml (<kommunekode>.eml as they are when suffix is empty)."""
    held.mkdir(parents=True, exist_ok=True)
    moved = 0
    for mail in sorted(outbox.glob("*.eml")) if outbox.is_dir() else []:
        code, _, rest = mail.stem.partition("-")
        mail.replace(held / ("-".join(p for p in (code, suffix, rest) if p) + ".eml"))
        moved += 1
    return moved


def _mailed(result: ChainResult) -> list[str]:
    """The kommunekoder this step's chain wrote a mail for."""
    from danmarkskort.domain.municipalities import NATIONAL_CODE
    from danmarkskort.events import MunicipalityNotified

    return sorted(
        str(e["detail"].get("kommunekode"))
        for e in result.of_type(MunicipalityNotified.DETAIL_TYPE)
        if e["detail"].get("kommunekode") != NATIONAL_CODE
        and e["detail"].get("status") in ("sent", "dry_run")
    )


def _outcome(step: _Step) -> str:
    """'published 2023–2024; 98 mails', 'corrected 2025; mails to Dragør, …', 'unchanged …'."""
    from danmarkskort.domain.municipalities import registry

    result = step.result
    if result is None:
        return "not run"
    mailed = _mailed(result)
    if result.status == "unchanged":
        return f"unchanged (the figures equal what is published); {len(mailed)} mails"
    if result.status != "published":
        return result.status
    if step.mail_suffix == "rettelse":
        names = ", ".join(registry().by_code(c).name for c in mailed) or "no one"
        return f"corrected {_said(step.years)}; {len(mailed)} mails, to {names}"
    return f"published {_said(step.years)}; {len(mailed)} mails"


def cmd_demo(args: argparse.Namespace) -> int:
    """The yearly cycle, three uploads on one local state (README.md, "Two commands")."""
    from danmarkskort.domain.municipalities import registry

    from danmarkskort_tools.generator import correct_extract, write_extract
    from danmarkskort_tools.local import LocalState, StateError, run_chain, summary
    from danmarkskort_tools.local.chain import local_site_url

    if args.config is not None and not args.config.is_dir():
        raise SystemExit(f"--config {args.config}: not a directory")
    if args.state is not None:
        try:  # before the samples are generated; run_chain checks the whole state again
            LocalState(args.state).check()
        except StateError as exc:
            print(f"--state: {exc}", file=sys.stderr)
            return 1
    before, last, note = demo_years(args.years)
    out: Path = args.out
    extracts = out / "extract"
    extracts.mkdir(parents=True, exist_ok=True)
    for stale in extracts.glob(DEMO_EXTRACT.format(years="*", suffix="*")):
        stale.unlink()  # an earlier demo's: OUT/extract holds this one's three
    corrected = ", ".join(registry().by_code(c).name for c in DEMO_CORRECTION)
    steps = [
        _Step(
            1,
            f"Extract for {_said(before)}, the years before last: the first publication; "
            "every municipality gets a mail",
            extracts / DEMO_EXTRACT.format(years=_span(before), suffix=""),
            before,
            str(max(before)),
        ),
        _Step(
            2,
            f"Extract for {last}, last year: the newest map joins the published years; "
            "every municipality gets a mail",
            extracts / DEMO_EXTRACT.format(years=last, suffix=""),
            [last],
            "",
        ),
        _Step(
            3,
            f"Corrected extract for {last}: late registrations for {corrected} change "
            "published figures; only they get a mail, «Rettelse: …»",
            extracts / DEMO_EXTRACT.format(years=last, suffix=", rettet"),
            [last],
            "rettelse",
        ),
    ]
    if note:
        print(note)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=".demo-", dir=out) as scratch:
        state = args.state or Path(scratch) / "state"
        held = Path(scratch) / "outbox"
        logs: list[str] = []
        try:
            for step in steps:
                print(f"\n{step.number}/3 {step.shows}")
                t = time.perf_counter()
                if step.mail_suffix == "rettelse":
                    rows = correct_extract(steps[1].extract, step.extract, last, DEMO_CORRECTION)
                else:
                    rows = write_extract(
                        step.extract, years=step.years, cases_per_year=args.cases, seed=args.seed
                    )
                years = ", ".join(map(str, step.years))
                print(f"generated {step.extract} ({rows:,} cases, years {years})")
                try:
                    step.result = run_chain(
                        step.extract,
                        out=out,
                        config=args.config,
                        state=state,
                        site_url=local_site_url(args.port),
                    )
                except StateError as exc:  # names the path and what is wrong with it
                    print(f"--state: {exc}", file=sys.stderr)
                    return 1
                step.seconds = time.perf_counter() - t
                log = out / "logs" / "chain.log"
                if log.is_file():
                    logs.append(f"# {step.number}/3 {step.extract.name}\n{log.read_text('utf-8')}")
                if step.result.exit_code != 0:
                    print(summary(step.result, serve_command()))
                    print(f"The demo stopped at step {step.number}/3.")
                    return step.result.exit_code
                step.mails = _keep_mails(out / "outbox", held, step.mail_suffix)
                print(f"{step.number}/3 {_outcome(step)}")
        finally:  # every mail the command sent, whatever step it ended at
            (out / "outbox").mkdir(parents=True, exist_ok=True)
            for mail in sorted(held.glob("*.eml")) if held.is_dir() else []:
                mail.replace(out / "outbox" / mail.name)
            if logs:
                (out / "logs" / "chain.log").write_text("".join(logs), encoding="utf-8")
    print(demo_summary(steps, out, args.state, time.perf_counter() - started))
    return 0


def demo_summary(steps: Sequence[_Step], out: Path, state: Path | None, seconds: float) -> str:
    """The closing lines of the demo: what each step did and which paths to open."""
    from danmarkskort_tools.local.chain import browse_line, figure_lines, legal_text_warnings

    last = steps[-1].result
    if last is None:
        raise RuntimeError("demo_summary needs the result of the last step")
    lines = ["", "The yearly cycle, three uploads on one local state:"]
    lines += [f"  {s.number}/3 {s.extract.name}: {_outcome(s)}" for s in steps]
    lines += figure_lines(last, " of the last extract")
    lines.append(
        f"Mails: {sum(s.mails for s in steps)} written: "
        + ", ".join(f"{s.mails} in step {s.number} ({s.mail_name})" for s in steps)
    )
    warnings: list[str] = []
    for s in steps:
        for w in legal_text_warnings(s.result) if s.result is not None else []:
            if w not in warnings:
                warnings.append(w)
    lines += warnings
    lines.append("")
    where = [
        ("site after all three: every year", out / "site" / "index.html"),
        ("the corrections", out / "site" / "rettelser.html"),
        ("mails of all three steps", out / "outbox"),
        ("figures of the last extract", out / "results"),
        ("the three extracts", out / "extract"),
        ("function logs of all three steps", out / "logs" / "chain.log"),
    ]
    if state is not None:
        where.append(("local state", state))
    lines += [f"  {label:<40} {path}" for label, path in where]
    if state is None:
        lines.append("The local state was temporary; give --state DIR to keep it.")
    lines.append(browse_line(serve_command(), out, last.site_url))
    if make_serve_works(out):
        lines.append("  (or `make serve`)")
    timing = ", ".join(f"step {s.number} {s.seconds:.2f}s" for s in steps)
    lines.append(f"Timings: {timing}, total {seconds:.2f}s")
    return "\n".join(lines)


def serve_command() -> str:
    """How to start this same `danmarkskort serve` from the current directory: the bare name
    when PATH finds this executable, else its path (relative when shorter), e.g.
    `.venv/bin/danmarkskort serve` outside the virtualenv."""
    running = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if running is None or not running.name.startswith("danmarkskort") or not running.is_file():
        # `python -m danmarkskort_tools.cli`, or a test: the console script of this Python
        beside = Path(sys.executable).parent / "danmarkskort"
        if not beside.is_file():
            return f"{shlex.quote(_short(Path(sys.executable)))} -m danmarkskort_tools.cli serve"
        running = beside
    found = shutil.which("danmarkskort")
    if found and _same_file(Path(found), running):
        return "danmarkskort serve"
    return f"{shlex.quote(_short(running))} serve"


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _short(path: Path) -> str:
    """The path relative to the cwd (with a '/', so the shell runs it as a path) when that
    is shorter than the absolute one."""
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute)
    except ValueError:  # another drive
        return absolute
    if "/" not in relative:
        relative = "./" + relative
    return relative if len(relative) < len(absolute) else absolute


def make_serve_works(out: Path) -> bool:
    """`make serve` serves ./out from the checkout: worth saying only when that is this OUT."""
    return Path("Makefile").is_file() and os.path.abspath(out) == os.path.abspath("out")


def _free_port_near(port: int) -> int | None:
    """The first port after `port` that can be bound now (a suggestion, not a promise)."""
    import socket

    for candidate in range(port + 1, min(port + 20, 65535) + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return candidate
    return None


def _port_problem(port: int, exc: OSError | OverflowError, recorded: int | None = None) -> str:
    """One line saying why `serve` cannot listen on `port`, and what to try."""
    if isinstance(exc, OverflowError) or not 1 <= port <= 65535:
        return (
            f"danmarkskort serve: port {port} is out of range (1-65535); "
            f"try --port {recorded or DEFAULT_PORT}"
        )
    free = _free_port_near(max(port, 1023))
    suggestion = f"--port {free}" if free else "--port N with another port"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"danmarkskort serve: port {port} is already in use (another `serve`?); "
            f"stop it, or try {suggestion}"
        )
    if exc.errno == errno.EACCES:
        return (
            f"danmarkskort serve: permission denied for port {port} (ports below 1024 "
            f"need root); try {suggestion}"
        )
    return (
        f"danmarkskort serve: cannot listen on 127.0.0.1:{port} ({exc.strerror}); try {suggestion}"
    )


def cmd_serve(args: argparse.Namespace) -> int:
    from danmarkskort_tools.local.chain import ServeFileError, recorded_site

    site = args.dir / "site"
    preview = args.dir / "preview"
    has_preview = (preview / "index.html").is_file()
    if not (site / "index.html").is_file() and not (args.state and has_preview):
        print(f"{site}/index.html does not exist; run `danmarkskort demo` first", file=sys.stderr)
        return 1
    try:
        recorded = recorded_site(args.dir)
    except ServeFileError as exc:  # serve anyway, but say the links may point elsewhere
        print(
            f"warning: {exc}; the mails and snippets in {args.dir} may link to another port "
            "(run again to rewrite it)",
            file=sys.stderr,
        )
        recorded = None
    port: int = args.port if args.port is not None else recorded[1] if recorded else DEFAULT_PORT
    if not 1 <= port <= 65535:
        print(_port_problem(port, OverflowError(), recorded and recorded[1]), file=sys.stderr)
        return 1
    import http.server  # only `serve` needs it: 60 ms of every `validate` otherwise

    from danmarkskort_tools.local.chain import local_site_url
    from danmarkskort_tools.local.comment_server import CommentServer
    from danmarkskort_tools.local.site_server import handler_for
    from danmarkskort_tools.local.state import StateError

    with contextlib.ExitStack() as held:
        comments = None
        if args.state is not None:
            try:
                comments = held.enter_context(CommentServer(args.state, local_site_url(port)))
            except StateError as exc:
                print(f"--state: {exc}", file=sys.stderr)
                return 1
        handler = handler_for(site, preview if has_preview else None, comments)
        try:
            server = held.enter_context(
                http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
            )
        except (OSError, OverflowError) as exc:
            print(_port_problem(port, exc, recorded and recorded[1]), file=sys.stderr)
            return 1
        return _serve(server, args, site, port, recorded, has_preview, comments is not None)
    return 0


def _serve(
    server: ThreadingHTTPServer,
    args: argparse.Namespace,
    site: Path,
    port: int,
    recorded: tuple[str, int] | None,
    has_preview: bool,
    comments: bool,
) -> int:
    """Say what is served where, then serve until Ctrl-C."""
    from danmarkskort_tools.local.chain import PREVIEW_PATH, SERVE_FILE

    print(f"serving {site} at http://127.0.0.1:{port}/ (Ctrl-C stops)", flush=True)
    if has_preview:
        print(
            f"the consultation round's preview (not published): "
            f"http://127.0.0.1:{port}{PREVIEW_PATH}",
            flush=True,
        )
    if comments:
        print(
            f"comment pages through the comment function, on the state in {args.state} "
            "(saved after each comment; `publish` is refused while serve runs: stop it "
            f"first): the links in {args.dir / 'outbox'}/*.eml",
            flush=True,
        )
    if recorded and recorded[1] != port:
        print(
            f"warning: the site's snippets and the mails in {args.dir} link to "
            f"{recorded[0]}/ ({args.dir / SERVE_FILE}); on port {port} those links do not "
            f"open. Serve on {recorded[1]}, or run again with --port {port}.",
            file=sys.stderr,
            flush=True,
        )
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


class _DanishHelp(argparse.HelpFormatter):
    """`validate --help` in Danish: argparse's own words are English."""

    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[no-untyped-def]
        super().add_usage(usage, actions, groups, prefix if prefix is not None else "brug: ")


class _DanishParser(argparse.ArgumentParser):
    """validate's parser: Danish headings and error prefix (argparse's detail stays English)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(formatter_class=_DanishHelp, add_help=False, **kwargs)
        self._positionals.title = "argumenter"
        self._optionals.title = "tilvalg"
        self.add_argument("-h", "--help", action="help", help="vis denne hjælp og afslut")

    def error(self, message: str) -> NoReturn:
        for english, danish in _ARGPARSE_DA.items():
            message = message.replace(english, danish)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: fejl: {message}\n")


_ARGPARSE_DA = {
    "the following arguments are required": "disse argumenter mangler",
    "unrecognized arguments": "ukendte argumenter",
    "expected one argument": "forventer en værdi",
    "invalid int value": "ikke et helt tal",
}


def _port(text: str) -> int:
    """A TCP port for the local site's links: 1-65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is out of range (1-65535)")
    return port


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="danmarkskort",
        description=" ".join(__doc__.split("\n\n")[0].split()).replace("`", ""),
        epilog="validate speaks Danish (it is for ministry and Ankestyrelsen staff); the "
        "developer commands run, demo, serve and generate speak English. "
        "`danmarkskort COMMAND --help` describes each.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub._parser_class = _DanishParser  # validate alone
    v = sub.add_parser(
        "validate",
        help="kontrollér et udtræk uden at offentliggøre noget (på dansk)",
        description="Kontrollerer et udtræk fra Ankestyrelsen uden at offentliggøre noget, og "
        "skriver en rapport på dansk med hver fejl og advarsel (række og kolonne). "
        "Afslutter med 0, når udtrækket er godkendt, og 2, når det er afvist.",
    )
    sub._parser_class = argparse.ArgumentParser
    v.add_argument("extract", type=Path, metavar="UDTRÆK", help="udtrækket (CSV eller XLSX)")
    v.add_argument(
        "--config",
        type=Path,
        metavar="MAPPE",
        help="mappe med konfigurationsfiler (areas.json …), som erstatter de indbyggede",
    )
    v.add_argument(
        "--low-n",
        type=int,
        default=20,
        metavar="N",
        help="færre realitetsbehandlede sager end N kaldes få sager (standard 20)",
    )
    v.set_defaults(func=cmd_validate)

    r = sub.add_parser("run", help="run the whole chain on a local AWS for one extract")
    r.add_argument("extract", type=Path)
    r.add_argument("--config", type=Path, help="directory uploaded to config/ in the data bucket")
    r.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (./out)")
    r.add_argument("--state", type=Path, help=STATE_HELP)
    r.add_argument("--port", type=_port, default=DEFAULT_PORT, help=PORT_HELP)
    r.add_argument(
        "--hoering",
        action="store_true",
        help="open a consultation round instead of publishing: a private preview and one "
        "invitation per municipality with a personal comment link (needs --state; end it "
        "with `danmarkskort publish`)",
    )
    r.set_defaults(func=cmd_run)

    pub = sub.add_parser(
        "publish",
        help="end the consultation round of --state now and publish it with its comments",
        description="Publishes the open consultation round of the local state now, as its "
        "schedule does at the deadline in the cloud (or the ministry earlier): the site with "
        "each municipality's comment, then the final mails with the comment included. Stop "
        "`serve` first: it holds the state while it runs.",
    )
    pub.add_argument("--state", type=Path, required=True, help="the state `run --hoering` used")
    pub.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (./out)")
    pub.add_argument(
        "--port",
        type=_port,
        help="the port of the links (default: what OUT/serve.json records, else 8000)",
    )
    pub.set_defaults(func=cmd_publish)

    d = sub.add_parser(
        "demo",
        help="the yearly cycle for all 98: the years before last, last year, a correction",
        description="Three uploads on one local state, each through the whole chain: an "
        "extract of the years before last (every municipality gets a mail), one of last year "
        "(the newest map; every municipality gets a mail), and a corrected extract of last "
        "year (only the changed municipalities get a «Rettelse» mail).",
    )
    d.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (./out)")
    d.add_argument("--config", type=Path, help="directory uploaded to config/ in the data bucket")
    d.add_argument(
        "--years",
        type=_years,
        help="e.g. 2023-2025: the newest is last year (steps 2 and 3), the others step 1's; "
        "one year Y: step 1 is Y-1 (default: the three years before this one)",
    )
    d.add_argument("--cases", type=int, default=10_000, help="cases per year (10000)")
    d.add_argument("--seed", type=int, default=2024)
    d.add_argument(
        "--state",
        type=Path,
        help="play the three steps on the local state in this directory and keep it there "
        "(default: a temporary state, removed afterwards)",
    )
    d.add_argument("--port", type=_port, default=DEFAULT_PORT, help=PORT_HELP)
    d.set_defaults(func=cmd_demo)

    s = sub.add_parser("serve", help="serve DIR/site on 127.0.0.1")
    s.add_argument("dir", type=Path, nargs="?", default=DEFAULT_OUT)
    s.add_argument(
        "--port",
        type=int,
        help="default: the port DIR/serve.json records (what the mails link to), else 8000",
    )
    s.add_argument(
        "--state",
        type=Path,
        help="the local state of a consultation round: also serve its comment pages (the "
        "invitations' links) through the comment function, and the preview",
    )
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
        label = "konfigurationsfejl" if args.command == "validate" else "configuration error"
        print(f"{label}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

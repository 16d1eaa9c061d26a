"""Benchmark: a 1,000,000-row case-level extract (Windows-1252, ';') through reading,
validating and computing, as compute_rates does it.

Target on the development machine: under 3 s wall and under 1 GiB peak RSS. The figures are
printed, not asserted (a slow run is information, not a failure); the exit code is non-zero
only when the run itself fails or the extract is rejected.

The extract is generated once and cached under bench/.cache/ (keyed by the generator's
source and data, so a changed generator makes a new file). Generation and the measured work
each run in a fresh child process; peak RSS is the child's VmHWM (the high-water mark of its
own address space; ru_maxrss would also count what the parent held when it forked).

    python bench/compute.py [--rows N] [--regenerate]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
YEARS = (2021, 2022, 2023, 2024)  # four years of 250,000 cases make exactly 1,000,000
TARGET_SECONDS = 3.0
TARGET_RSS_MIB = 1024.0


def _fingerprint() -> str:
    """Changes whenever the generator or the data it draws from changes."""
    h = hashlib.sha256(repr(YEARS).encode())
    tools, layer = resources.files("danmarkskort_tools"), resources.files("danmarkskort")
    parts = [tools.joinpath(p) for p in ("generator.py", "data/sample_profile.json",
                                         "data/befolkning.csv")]  # fmt: skip
    parts += [layer.joinpath(p) for p in ("data/kommuner.csv", "data/excluded_instances.csv",
                                          "config/defaults/areas.json",
                                          "config/defaults/cooperation.json")]  # fmt: skip
    for part in parts:
        h.update(part.read_bytes())
    return h.hexdigest()[:12]


def extract_path(rows: int, regenerate: bool) -> Path:
    """The cached extract, generated first (in a child process) when missing."""
    per_year = -(-rows // len(YEARS))
    path = CACHE / f"cases_{per_year * len(YEARS)}_cp1252_{_fingerprint()}.csv"
    if path.exists() and not regenerate:
        print(f"extract:          {path} (cached)")
        return path
    CACHE.mkdir(exist_ok=True)
    for old in CACHE.glob("cases_*.csv"):
        old.unlink()
    tmp = path.with_suffix(".tmp")
    r = _run_child("--generate", str(tmp), "--per-year", str(per_year))
    tmp.rename(path)
    print(f"extract:          {path} (generated)")
    print(
        f"generation:       {r['rows']:,} rows in {r['seconds']:.2f} s "
        f"({r['rows'] / r['seconds']:,.0f} rows/s, peak RSS {r['rss_peak_mib']:,.0f} MiB)"
    )
    return path


def generate(path: Path, per_year: int) -> None:
    """Child: write the extract; prints one JSON line for the parent."""
    from danmarkskort_tools.generator import write_extract

    t0 = time.perf_counter()
    n = write_extract(path, encoding="cp1252", sep=";", years=YEARS, cases_per_year=per_year)
    seconds = time.perf_counter() - t0
    print(json.dumps({"rows": n, "seconds": seconds, "rss_peak_mib": peak_rss_mib()}))


def peak_rss_mib() -> float:
    """This process's peak resident memory in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _run_child(*args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        print(proc.stdout + proc.stderr, file=sys.stderr)
        raise SystemExit(f"FAILED: child {' '.join(args)} exited with {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child(path: Path) -> None:
    """The measured work, in a fresh process; prints one JSON line for the parent."""
    t0 = time.perf_counter()
    from danmarkskort.compute.evaluate import evaluate

    t_import = time.perf_counter() - t0
    rss_imports = peak_rss_mib()
    t1 = time.perf_counter()
    data = path.read_bytes()
    t_read = time.perf_counter() - t1
    t2 = time.perf_counter()
    ev = evaluate(data, path.name)
    t_eval = time.perf_counter() - t2
    rss = peak_rss_mib()
    facts = ev.report.facts
    print(json.dumps({
        "accepted": ev.accepted,
        "rows": int(facts.get("rows", 0)),
        "rows_used": int(facts.get("rows_used", 0)),
        "figures": len(ev.figures.figures) if ev.figures else 0,
        "bytes": len(data),
        "import_s": t_import,
        "read_s": t_read,
        "evaluate_s": t_eval,
        "rss_imports_mib": rss_imports,
        "rss_peak_mib": rss,
        "report": "" if ev.accepted else ev.report_text()[:3000],
    }))  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--regenerate", action="store_true", help="ignore the cached extract")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--per-year", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return 0
    if args.generate:
        generate(args.generate, args.per_year)
        return 0

    path = extract_path(args.rows, args.regenerate)
    r = _run_child("--child", str(path))
    if not r["accepted"]:
        print("FAILED: the extract was rejected:\n" + r["report"], file=sys.stderr)
        return 1
    wall = r["read_s"] + r["evaluate_s"]
    ok_t = "OK" if wall < TARGET_SECONDS else "OVER TARGET"
    ok_m = "OK" if r["rss_peak_mib"] < TARGET_RSS_MIB else "OVER TARGET"
    print(f"file size:        {r['bytes'] / 1024 / 1024:,.1f} MiB (Windows-1252, ';')")
    print(f"rows:             {r['rows']:,} read, {r['rows_used']:,} used, "
          f"{r['figures']:,} figure records")  # fmt: skip
    print(f"import:           {r['import_s']:.2f} s (not counted)")
    print(f"read from disk:   {r['read_s']:.3f} s")
    print(f"read+validate+compute (evaluate): {r['evaluate_s']:.2f} s")
    print(f"seconds:          {wall:.2f} s wall (disk read + evaluate); "
          f"target < {TARGET_SECONDS:.0f} s: {ok_t}")  # fmt: skip
    print(f"rows per second:  {r['rows'] / wall:,.0f}")
    print(f"peak RSS:         {r['rss_peak_mib']:,.0f} MiB (after imports alone "
          f"{r['rss_imports_mib']:,.0f} MiB); "
          f"target < {TARGET_RSS_MIB:.0f} MiB: {ok_m}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

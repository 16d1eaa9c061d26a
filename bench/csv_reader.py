"""Benchmark (issue 10): `danmarkskort validate` of a 1,000,000-row case-level CSV against
DuckDB reading the same file and grouping it by municipality, law, provision, year and
outcome, each as a whole process (interpreter, imports and all), in the same run.

Target: ours within 2x DuckDB's wall time, and our peak RSS under 4x the file size. The
figures are printed, not asserted (a slow run is information, not a failure); the exit code
is non-zero only when a run itself fails or the extract is rejected.

The extract is bench/compute.py's (Windows-1252, ';', generated once and cached under
bench/.cache/). Every measurement is a fresh child process, timed from outside (wall, user
and system CPU, peak RSS from wait4's rusage, which is the child's own high-water mark);
min and median over --runs. Also measured: the import of the validate command alone (what
every run pays before reading a byte) and evaluate() in-process, split into its phases.

    python bench/csv_reader.py [--rows N] [--runs N] [--regenerate]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
compute_bench = importlib.import_module("compute")  # bench/compute.py: the cached extract

TARGET_RATIO = 2.0
TARGET_RSS_FACTOR = 4.0
DUCKDB_QUERY = """
import sys, duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
# The groups stay in the engine (only their count comes back): fetching 300,000 tuples into
# Python would add some 0.6 s that is no part of a group-by.
groups, total = con.sql('''
    SELECT count(*), sum(n) FROM (
        SELECT "Afgørelseskommune", "Lov", "Paragraf",
               regexp_extract("Afgørelsesdato", '([0-9]{4})') AS aar, "Afgørelse", count(*) AS n
        FROM read_csv(?, delim=';', header=true, encoding='latin-1', all_varchar=true)
        GROUP BY ALL
    )
''', params=[sys.argv[1]]).fetchall()[0]
print(groups, total)
"""
IMPORT_ONLY = "import danmarkskort_tools.cli, danmarkskort.compute.evaluate"


def _measure(cmd: list[str]) -> dict[str, Any]:
    """Wall, CPU and peak RSS of one child process (rusage of that child alone)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    out = proc.stdout.read().decode("utf-8", "replace") if proc.stdout else ""
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    return {
        "rc": os.waitstatus_to_exitcode(status),
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mib": usage.ru_maxrss / 1024,  # KiB on Linux
        "out": out,
        "err": err,
    }


def _series(
    name: str, cmd: list[str], runs: int, ok_codes: tuple[int, ...] = (0,)
) -> list[dict[str, Any]]:
    results = []
    for _ in range(runs):
        r = _measure(cmd)
        if r["rc"] not in ok_codes:
            print(f"FAILED: {name} exited with {r['rc']}:\n{r['out'][-2000:]}{r['err'][-2000:]}")
            raise SystemExit(1)
        results.append(r)
    return results


def _line(name: str, results: list[dict[str, Any]]) -> str:
    walls = [r["wall"] for r in results]
    cpus = [r["cpu"] for r in results]
    rss = max(r["rss_mib"] for r in results)
    return (
        f"{name:30s} wall min {min(walls):5.2f} s, median {statistics.median(walls):5.2f} s; "
        f"CPU min {min(cpus):5.2f} s; peak RSS {rss:,.0f} MiB"
    )


def phases(path: Path) -> None:
    """Child: evaluate() in-process, phase by phase (what the whole-process figure holds)."""
    t0 = time.perf_counter()
    from danmarkskort.compute import extract, validation
    from danmarkskort.compute.evaluate import evaluate

    t_import = time.perf_counter() - t0
    data = path.read_bytes()
    times: dict[str, float] = {}

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                times[name] = times.get(name, 0.0) + time.perf_counter() - t

        return wrapper

    import danmarkskort.compute.evaluate as ev_module

    ev_module.read_extract = timed("read (csv_reader + bounds)", extract.read_extract)
    ev_module.validate = timed("validate", validation.validate)
    ev_module.compute_figures = timed("compute_figures", ev_module.compute_figures)
    ev_module.provision_records = timed("provision_records", ev_module.provision_records)
    t1 = time.perf_counter()
    ev = evaluate(data, path.name)
    total = time.perf_counter() - t1
    print(json.dumps({"import": t_import, "evaluate": total, "accepted": ev.accepted, **times}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--regenerate", action="store_true", help="ignore the cached extract")
    parser.add_argument("--phases", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phases:
        phases(args.phases)
        return 0

    path = compute_bench.extract_path(args.rows, args.regenerate)
    size_mib = path.stat().st_size / 1024 / 1024
    cli = str(Path(sys.executable).with_name("danmarkskort"))
    ours_cmd = [cli, "validate", str(path)] if Path(cli).exists() else [
        sys.executable, "-m", "danmarkskort_tools.cli", "validate", str(path)]  # fmt: skip
    print(f"file size:                      {size_mib:,.1f} MiB (Windows-1252, ';')")
    print(f"load average:                   {', '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs (other work on the machine slows both sides)")  # fmt: skip
    duck = _series("duckdb", [sys.executable, "-c", DUCKDB_QUERY, str(path)], args.runs)
    ours = _series("validate", ours_cmd, args.runs)
    if "er godkendt" not in ours[0]["out"]:
        print("FAILED: the extract was rejected:\n" + ours[0]["out"][:3000], file=sys.stderr)
        return 1
    imports = _series("import", [sys.executable, "-c", IMPORT_ONLY], args.runs)
    groups, total = (int(x) for x in duck[0]["out"].split()[-2:])
    print(_line("duckdb read_csv + GROUP BY", duck) + f" ({groups:,} groups of {total:,} rows)")
    print(_line("danmarkskort validate", ours))
    print(_line("  of which: imports alone", imports))
    ratio = min(r["wall"] for r in ours) / min(r["wall"] for r in duck)
    ratio_med = statistics.median(r["wall"] for r in ours) / statistics.median(
        r["wall"] for r in duck
    )
    ok = "OK" if ratio <= TARGET_RATIO else "OVER TARGET"
    print(f"ratio (wall, ours / duckdb):    {ratio:.2f} (min), {ratio_med:.2f} (median); "
          f"target <= {TARGET_RATIO:.0f}: {ok}")  # fmt: skip
    rss = max(r["rss_mib"] for r in ours)
    ok = "OK" if rss < TARGET_RSS_FACTOR * size_mib else "OVER TARGET"
    print(
        f"peak RSS vs file size:          {rss:,.0f} MiB = {rss / size_mib:.1f}x the file; "
        f"target < {TARGET_RSS_FACTOR:.0f}x ({TARGET_RSS_FACTOR * size_mib:,.0f} MiB): {ok}"
    )
    split = _series("phases", [sys.executable, __file__, "--phases", str(path)], 1)
    p = json.loads(split[0]["out"].strip().splitlines()[-1])
    parts = ", ".join(f"{k} {v:.2f} s" for k, v in p.items() if k not in ("accepted", "evaluate"))
    print(f"in-process evaluate():          {p['evaluate']:.2f} s ({parts})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

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
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
compute_bench = importlib.import_module("compute")  # bench/compute.py: the cached extract
measure = importlib.import_module("measure")  # bench/measure.py

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


def phases(path: Path) -> None:
    """Child: evaluate() in-process, phase by phase (what the whole-process figure holds)."""

    def timed(time: Callable[[str, Any, str], None]) -> None:
        import danmarkskort.compute.evaluate as ev_module

        time("read (csv_reader + bounds)", ev_module, "read_extract")
        time("validate", ev_module, "validate")
        time("compute_figures", ev_module, "compute_figures")
        time("provision_records", ev_module, "provision_records")

    measure.phases(path, timed)


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
    duck = measure.series("duckdb", [sys.executable, "-c", DUCKDB_QUERY, str(path)], args.runs)
    ours = measure.series("validate", ours_cmd, args.runs)
    if "er godkendt" not in ours[0]["out"]:
        print("FAILED: the extract was rejected:\n" + ours[0]["out"][:3000], file=sys.stderr)
        return 1
    imports = measure.series("import", [sys.executable, "-c", IMPORT_ONLY], args.runs)
    groups, total = (int(x) for x in duck[0]["out"].split()[-2:])
    print(
        measure.line("duckdb read_csv + GROUP BY", duck) + f" ({groups:,} groups of {total:,} rows)"
    )
    print(measure.line("danmarkskort validate", ours))
    print(measure.line("  of which: imports alone", imports))
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
    split = measure.series("phases", [sys.executable, __file__, "--phases", str(path)], 1)
    p = json.loads(split[0]["out"].strip().splitlines()[-1])
    parts = ", ".join(f"{k} {v:.2f} s" for k, v in p.items() if k not in ("accepted", "evaluate"))
    print(f"in-process evaluate():          {p['evaluate']:.2f} s ({parts})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

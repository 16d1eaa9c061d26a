"""Measuring whole processes and the phases of one evaluate(), for the reader benchmarks.

bench/csv_reader.py and bench/xlsx_reader.py compare our `danmarkskort validate` with
another tool run as a process of its own; both use these helpers so that the two sides are
measured the same way.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def run(cmd: list[str]) -> dict[str, Any]:
    """Wall, CPU and peak RSS of one child process (wait4's rusage: that child alone)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = _drain(proc)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    return {
        "rc": os.waitstatus_to_exitcode(status),
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mib": usage.ru_maxrss / 1024,  # KiB on Linux
        "out": out,
        "err": err,
    }


def _drain(proc: subprocess.Popen[bytes]) -> tuple[str, str]:
    """The child's output, read without reaping it (wait4 must see it exit) and without
    blocking on a full pipe."""
    chunks: dict[str, list[bytes]] = {"out": [], "err": []}

    def pump(name: str, stream: Any) -> None:
        for block in iter(lambda: stream.read(65536), b""):
            chunks[name].append(block)

    threads = [
        threading.Thread(target=pump, args=("out", proc.stdout)),
        threading.Thread(target=pump, args=("err", proc.stderr)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out, err = (b"".join(chunks[k]).decode("utf-8", "replace") for k in ("out", "err"))
    return out, err


def series(
    name: str, cmd: list[str], runs: int, ok: tuple[int, ...] = (0,)
) -> list[dict[str, Any]]:
    """`runs` runs of one command; a run that fails ends the benchmark (exit 1)."""
    results = []
    for _ in range(runs):
        r = run(cmd)
        if r["rc"] not in ok:
            print(f"FAILED: {name} exited with {r['rc']}:\n{r['out'][-2000:]}{r['err'][-2000:]}")
            raise SystemExit(1)
        results.append(r)
    return results


def line(name: str, results: list[dict[str, Any]]) -> str:
    walls = [r["wall"] for r in results]
    cpus = [r["cpu"] for r in results]
    rss = max(r["rss_mib"] for r in results)
    return (
        f"{name:30s} wall min {min(walls):6.2f} s, median {statistics.median(walls):6.2f} s; "
        f"CPU min {min(cpus):6.2f} s; peak RSS {rss:,.0f} MiB"
    )


def phases(path: Path, timed: Callable[[Callable[[str, Any, str], None]], None]) -> None:
    """Child: evaluate() in-process, phase by phase, printed as JSON. `timed` is handed a
    function `time(name, module, attribute)` that wraps one function in a timer."""
    t0 = time.perf_counter()
    from danmarkskort.compute.evaluate import evaluate

    t_import = time.perf_counter() - t0
    data = path.read_bytes()
    times: dict[str, float] = {}

    def wrap(name: str, module: Any, attribute: str) -> None:
        fn = getattr(module, attribute)

        def wrapper(*a: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                times[name] = times.get(name, 0.0) + time.perf_counter() - t

        setattr(module, attribute, wrapper)

    timed(wrap)
    t1 = time.perf_counter()
    ev = evaluate(data, path.name)
    total = time.perf_counter() - t1
    print(json.dumps({"import": t_import, "evaluate": total, "accepted": ev.accepted, **times}))

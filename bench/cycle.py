"""Benchmark: the yearly cycle on a record of 10 years × 98 municipalities × 3 areas.

Measures, in this process (each step timed on its own, median of a few runs):
- building the record: ten yearly extracts merged one after the other (domain/record.py);
- rendering the whole site from the record (every year's pages, maps, open data);
- applying a one-year correction: merging an extract that changes five municipalities'
  figures of one year, planning the mails, and re-rendering the site;
- storing and loading the record state (JSON) and its size.
Figures are printed, not asserted. The render target of the issue (the whole site in a
Lambda of 512 MB within its timeout) is judged from them; for reference, the 5-year site's
render target is 2 s (bench/render.py).

    python bench/cycle.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.figures_support

from danmarkskort.config.sources import layered
from danmarkskort.domain.areas import default_mapping
from danmarkskort.domain.record import (
    Merge,
    Record,
    load_record,
    merge,
    plan_mailing,
    published_doc,
    record_to_json,
)
from danmarkskort.domain.remarks import load_remark_book
from danmarkskort.render.geometry import tilegrid
from danmarkskort.render.site import build_site
from danmarkskort.render.style import load_style

from tests.figures_support import corrected, make_doc

YEARS = tuple(range(2015, 2025))


def _median[T](fn: Callable[[], T], runs: int) -> tuple[float, T]:
    times: list[float] = []
    result = fn()  # a warm-up: templates compiled, caches filled, as in a warm Lambda
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs

    extracts = [
        replace(
            make_doc(years=(y,), seed=y, extract_id=f"{y:04x}" * 16),
            received=f"{y + 1}-05-01T09:00:00+00:00",
        )
        for y in YEARS
    ]

    def build() -> Record:
        record = Record()
        for doc in extracts:
            record = merge(record, doc, applied=doc.received).record
        return record

    t_build, record = _median(build, runs)
    assert isinstance(record, Record)
    source = layered()
    mapping = default_mapping()
    remarks, style, geometry = load_remark_book(source, mapping), load_style(source), tilegrid()

    def render(rec: Record, current):  # type: ignore[no-untyped-def]
        return build_site(
            published_doc(rec, current),
            remarks=remarks,
            mapping=mapping,
            geometry=geometry,
            style=style,
            site_url="https://kort.example.invalid",
            changelog=rec.changelog,
        )

    t_render, site = _median(lambda: render(record, extracts[-1]), runs)
    files = len(site.files) + len(site.entry_points)

    fix = extracts[-1]
    for code in ("155", "185", "101", "751", "860"):
        fix = corrected(fix, YEARS[-1], code, 3)
    fix = replace(fix, extract_id="c0" * 32, received=f"{YEARS[-1] + 1}-08-15T09:00:00+00:00")

    def correct() -> tuple[Merge, dict[str, Any]]:
        m = merge(record, fix, applied=fix.received)
        plan = plan_mailing(m)
        render(m.record, fix)
        return m, plan

    t_correct, _ = _median(correct, runs)
    m, plan = correct()
    t_merge, _ = _median(lambda: merge(record, fix, applied=fix.received), runs)
    text = record_to_json(m.record)
    t_store, _ = _median(lambda: record_to_json(m.record), runs)
    t_load, _ = _median(lambda: load_record(text, "record/states/x.json"), runs)

    print(
        f"record: {len(YEARS)} years × 98 municipalities × 3 areas = {len(record.figures)} records"
    )
    print(f"  building it from {len(YEARS)} yearly extracts: {t_build:.3f} s")
    print(f"  stored state: {len(text.encode()) / 1024:.0f} KiB; to JSON {t_store:.3f} s, "
          f"back {t_load:.3f} s")  # fmt: skip
    print(f"whole site from the record: {t_render:.3f} s, {files} files (5 years: target 2 s)")
    print(f"one-year correction (5 municipalities): merge {t_merge:.3f} s; "
          f"merge + mail plan + re-render {t_correct:.3f} s")  # fmt: skip
    print(f"  mails: {plan['kind']} to {sorted(plan.get('corrections', {}))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

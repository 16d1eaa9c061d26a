"""Benchmark: one year's national extract (about 10,000 cases, all 98 municipalities) from
upload to the last mail, on the local AWS built from template.yaml, through the three real
handlers. Target on the development machine: under 10 s from upload to last mail.

Prints each step's time; the figure is information, not an assertion. Exit code non-zero
only when the chain does not publish. SES pacing (SEND_RATE, 14 mails/s in the template) is a
deliberate sleep against the account's quota and is switched off locally; in the cloud 98
mails take at least 98 / SEND_RATE seconds on top of what is measured here.

    python bench/chain.py [--cases N] [--year Y] [--runs N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from danmarkskort_tools.generator import write_extract
from danmarkskort_tools.local import run_chain, summary

TARGET_SECONDS = 10.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-chain-") as tmp:
        extract = Path(tmp) / f"Ankestyrelsen udtræk {args.year}.csv"
        t = time.perf_counter()
        rows = write_extract(extract, years=[args.year], cases_per_year=args.cases, seed=2024)
        print(f"generated {rows:,} cases for {args.year} in {time.perf_counter() - t:.2f}s")
        worst = 0.0
        for run in range(1, args.runs + 1):
            result = run_chain(extract, out=Path(tmp) / f"out{run}", progress=lambda _s: None)
            if result.status != "published":
                print(summary(result))
                return 1
            timings = result.timings
            to_last_mail = timings["upload"] + timings["chain"]
            worst = max(worst, to_last_mail)
            print(f"run {run}:")
            steps = (
                ("local AWS from template.yaml", timings["setup"]),
                ("upload to incoming/", timings["upload"]),
                ("compute_rates", timings["ComputeRatesFunction"]),
                ("render_site", timings["RenderSiteFunction"]),
                ("notify_municipalities", timings["NotifyMunicipalitiesFunction"]),
                ("routing (rules, queues, dispatch)", timings["chain"]
                 - timings["ComputeRatesFunction"] - timings["RenderSiteFunction"]
                 - timings["NotifyMunicipalitiesFunction"]),
                ("upload to last mail", to_last_mail),
                ("export to out/ (not in the chain)", timings["export"]),
            )  # fmt: skip
            for label, seconds in steps:
                print(f"  {label:<36} {seconds:7.2f} s")
            print(
                f"  {result.counts.get('mails', 0)} mails, {result.counts.get('pages', 0)} pages,"
                f" {result.counts.get('site_files', 0)} site files"
            )
        verdict = "within" if worst < TARGET_SECONDS else "OVER"
        print(f"upload to last mail: {worst:.2f} s ({verdict} the {TARGET_SECONDS:.0f} s target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

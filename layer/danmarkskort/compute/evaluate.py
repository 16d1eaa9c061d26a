"""From extract bytes to published figures or a rejection report: the core of compute_rates.

Plain data in, plain data out; the handler and the CLI both call `evaluate`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from danmarkskort.compute.coverage import check_coverage, label_partial_years, min_kommuner
from danmarkskort.compute.extract import read_extract
from danmarkskort.compute.rates import compute_figures, provision_records
from danmarkskort.compute.report import Report
from danmarkskort.compute.table import SHAPE_NAMES
from danmarkskort.compute.validation import validate
from danmarkskort.config.sources import ConfigSource, layered
from danmarkskort.domain.areas import Mapping, load_mapping
from danmarkskort.domain.figures import FiguresDoc, figures_to_csv, new_doc
from danmarkskort.text import danish_time, long_date

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
logger = logging.getLogger(__name__)


def received_text(moment: dt.datetime) -> str:
    """'1. januar 2026 kl. 00.30 (dansk tid)': when the extract was received, as the report says."""
    local = danish_time(moment)
    return f"{long_date(local)} kl. {local:%H.%M} (dansk tid)"


def extract_id(data: bytes) -> str:
    """The extract's identity: SHA-256 of its bytes, so the same file is the same extract."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Evaluation:
    extract_id: str
    extract_file: str
    received: str
    report: Report
    figures: FiguresDoc | None

    @property
    def accepted(self) -> bool:
        return self.figures is not None

    def report_json(self) -> str:
        return self.report.to_json(
            extract_id=self.extract_id, extract_file=self.extract_file, received=self.received
        )

    def report_text(self) -> str:
        return self.report.to_text(self.extract_file, self.extract_id)

    def figures_csv(self) -> str:
        if self.figures is None:
            raise ValueError("a rejected extract has no figures")
        return figures_to_csv(self.figures.figures)


def too_large_report(size: int, max_bytes: int) -> Report:
    """The rejection for an extract that is not even read (it would not fit in memory)."""
    report = Report()
    report.error(
        "too_large",
        f"Filen fylder {size / 1024 / 1024:,.1f} MB; grænsen er {max_bytes / 1024 / 1024:,.0f} MB. "
        "Del udtrækket op pr. år, eller send det aggregerede format.".replace(",", "."),
    )
    return report


def evaluate(
    data: bytes,
    filename: str,
    *,
    config: ConfigSource | None = None,
    mapping: Mapping | None = None,
    lav_n_threshold: int = 20,
    max_bytes: int = DEFAULT_MAX_BYTES,
    received: dt.datetime | None = None,
) -> Evaluation:
    """Read, validate and compute; an extract with any error, or a year covering fewer
    municipalities than udtraek.json asks, yields a report and no figures.

    ``received`` is the upload's moment (UTC, as S3 gives it); figures and reports keep it
    in UTC, the checks and the report's text use its Danish date and time."""
    received = danish_time(received or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    received_iso = received.isoformat(timespec="seconds")
    ident = extract_id(data)
    if len(data) > max_bytes:
        report = too_large_report(len(data), max_bytes)
        report.facts["received"] = received_text(received)
        return Evaluation(ident, filename, received_iso, report, None)
    source = config or layered()
    mapping = mapping or load_mapping(source)
    minimum = min_kommuner(source)
    report = Report()
    report.facts["received"] = received_text(received)
    try:
        table = read_extract(data, filename, report)
        validated = None
        if table is not None:
            report.facts.update(table.facts)
            report.facts["shape"] = SHAPE_NAMES[table.shape]
            validated = validate(table, mapping, report, danish_time(received).date())
        if validated is None or not report.accepted:
            return Evaluation(ident, filename, received_iso, report, None)
        counts = validated.counts
        figures = compute_figures(counts, mapping, lav_n_threshold)
        check_coverage(figures, minimum, report)
        if not report.accepted:
            return Evaluation(ident, filename, received_iso, report, None)
        figures = label_partial_years(figures)
    except Exception as exc:  # a file we did not foresee must still get an answer, not a crash
        logger.exception("extract %s (%s) could not be evaluated", ident, filename)
        report.error(
            "internal_error",
            "Udtrækket kunne ikke behandles på grund af en fejl i programmet, ikke nødvendigvis "
            f"i filen ({type(exc).__name__}: {exc}). Intet er offentliggjort; send rapporten og "
            "filen til danmarkskorts udviklere.",
        )
        return Evaluation(ident, filename, received_iso, report, None)
    report.facts["rows_used"] = str(validated.rows_used)
    report.facts["years"] = ", ".join(str(y) for y in sorted({f.aar for f in figures}))
    report.facts["municipalities"] = str(counts["kommunekode"].nunique())
    doc = new_doc(
        extract_id=ident,
        extract_file=filename,
        received=received_iso,
        figures=figures,
        provisions=provision_records(counts, mapping),
        lav_n_threshold=lav_n_threshold,
    )
    return Evaluation(ident, filename, received_iso, report, doc)

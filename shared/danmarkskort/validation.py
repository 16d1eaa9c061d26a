"""Validating an extract's rows and turning them into counts per municipality × provision × year.

Work is done per distinct value (a million rows hold a few hundred names, labels and
dates), then spread to the rows by categorical codes, so a national extract validates in
about a second. Every problem is reported with its line, column and value.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from danmarkskort.areas import Mapping
from danmarkskort.extract import Table, header_key
from danmarkskort.municipalities import registry
from danmarkskort.provisions import parse_paragraph
from danmarkskort.report import Report

OUTCOMES = ("stadfaestet", "aendret_ophaevet", "hjemvist", "afvist")
FIRST_YEAR = 2007  # the municipal reform: no figures before the 98 municipalities existed
PROVISION_KEYS = ["kommunekode", "lov", "paragraf", "aar"]
_DATE_FORMATS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$"), (1, 2, 3)),
    (re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$"), (3, 2, 1)),
    (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"), (3, 2, 1)),
)


@cache
def outcome_labels() -> dict[str, str]:
    raw = resources.files("danmarkskort").joinpath("data", "outcomes.json").read_text("utf-8")
    doc = json.loads(raw)
    return {header_key(label): outcome for outcome in OUTCOMES for label in doc[outcome]}


def parse_date(text: str) -> dt.date | None:
    """A decision date in one of the contract's formats, or None."""
    for pattern, (y, m, d) in _DATE_FORMATS:
        if match := pattern.match(text):
            try:
                return dt.date(int(match.group(y)), int(match.group(m)), int(match.group(d)))
            except ValueError:
                return None
    return None


@dataclass
class Validated:
    """Counts per (kommunekode, lov, paragraf, aar): the input of the rate computation."""

    counts: pd.DataFrame
    rows: int
    rows_used: int


@dataclass(frozen=True)
class Distinct:
    """Results per distinct value, spread to the rows by categorical codes (-1 = missing)."""

    values: list[Any]
    codes: np.ndarray

    def rows(self, dtype: Any = bool, fn: Callable[[Any], Any] | None = None) -> np.ndarray:
        per_value = np.array([fn(v) if fn else v for v in self.values], dtype=dtype)
        return per_value[self.codes]

    def categorical(self, fn: Callable[[Any], str] | None = None) -> pd.Categorical:
        labels = [fn(v) if fn else v for v in self.values]
        categories = list(dict.fromkeys(labels))
        position = {label: i for i, label in enumerate(categories)}
        per_value = np.array([position[label] for label in labels], dtype=np.int32)
        return pd.Categorical.from_codes(per_value[self.codes], categories=categories)


class _Checker:
    """Per-table helpers: distinct-value evaluation and capped, row-precise reporting."""

    def __init__(self, table: Table, report: Report) -> None:
        self.table = table
        self.report = report
        self.frame = table.frame
        self.lines = table.lines.to_numpy()

    def per_value(self, name: str, fn: Callable[[str], Any]) -> Distinct:
        """fn applied once to each distinct (stripped) value of a column."""
        col = self.frame[name]
        if col.dtype != "category":
            col = col.astype("category")
        results = [fn(str(c).strip()) for c in col.cat.categories]
        results.append(fn(""))  # code -1: a missing cell
        return Distinct(results, col.cat.codes.to_numpy())

    def text(self, name: str, pos: int) -> str:
        return str(self.frame[name].iat[pos]).strip()

    def rows_error(
        self, code: str, name: str, mask: np.ndarray, message: Callable[[str], str]
    ) -> None:
        """One error per bad row, listed up to the cap and counted in full."""
        positions = np.flatnonzero(mask)
        if not len(positions):
            return
        column = self.table.headers.get(name, name)
        room = self.report.room("fejl", code)
        for pos in positions[:room]:
            value = self.text(name, pos)
            self.report.error(
                code, message(value), row=int(self.lines[pos]), column=column, value=value
            )
        self.report.count_only("fejl", code, max(len(positions) - room, 0))

    def grouped_warning(
        self, code: str, name: str, mask: np.ndarray, message: Callable[[str, int], str]
    ) -> None:
        """One warning per distinct value (with its row count and first row): these are many."""
        positions = np.flatnonzero(mask)
        if not len(positions):
            return
        values = self.frame[name].to_numpy()[positions]
        seen: dict[str, list[int]] = {}
        for pos, value in zip(positions, values, strict=True):
            seen.setdefault(str(value).strip(), []).append(int(pos))
        column = self.table.headers.get(name, name)
        for value, rows in seen.items():
            self.report.add(
                _warning(code, message(value, len(rows)), int(self.lines[rows[0]]), column, value),
                total=len(rows),
            )

    def required(self, name: str) -> np.ndarray:
        """Mask of rows whose required cell is empty (reported)."""
        mask = self.per_value(name, lambda v: v == "").rows(bool)
        label = self.table.headers.get(name, name)
        self.rows_error("missing_value", name, mask, lambda _v: f"Feltet «{label}» er tomt.")
        return mask


def _warning(code: str, message: str, row: int, column: str, value: str) -> Any:
    from danmarkskort.report import Problem

    return Problem("advarsel", code, message, row=row, column=column, value=value)


def validate(table: Table, mapping: Mapping, report: Report, received: dt.date) -> Validated | None:
    """Check every row; return counts per provision when the extract has no errors."""
    check = _Checker(table, report)
    n = len(table.frame)
    if n == 0:
        report.error("no_rows", "Filen har en overskrift, men ingen rækker med data.")
        return None
    codes = _municipalities(check)
    law_slugs = _laws(check, mapping)
    check.required("paragraf")
    if table.shape == "cases":
        years, outcome_idx = _case_rows(check, received)
    else:
        years, counts = _aggregated_rows(check, received)
    if not report.accepted:
        return None

    keep = np.asarray(codes != "")  # excluded instances (warned) drop out here
    paragraf = check.per_value("paragraf", lambda v: " ".join(v.split())).categorical()
    base = pd.DataFrame(
        {
            "kommunekode": codes[keep],
            "lov": law_slugs[keep],
            "paragraf": paragraf[keep],
            "aar": years[keep].astype(np.int16),
        }
    )
    if table.shape == "cases":
        onehot = np.zeros((int(keep.sum()), 4), dtype=np.int64)
        onehot[np.arange(len(onehot)), outcome_idx[keep]] = 1
        for i, outcome in enumerate(OUTCOMES):
            base[outcome] = onehot[:, i]
    else:
        for outcome in OUTCOMES:
            base[outcome] = counts[outcome][keep]
        _repeated_rows(check, base, keep)
    grouped = base.groupby(PROVISION_KEYS, observed=True, sort=True)[list(OUTCOMES)].sum()
    _unmapped(check, mapping, base, keep)
    return Validated(counts=grouped.reset_index(), rows=n, rows_used=int(keep.sum()))


def _municipalities(check: _Checker) -> pd.Categorical:
    """Kommunekode per row; '' for excluded instances (warned), unknown ones are errors."""
    resolved = check.per_value("instans", registry().resolve)
    label = check.table.headers["instans"]
    empty = check.required("instans")
    unknown = resolved.rows(bool, lambda r: r.kind == "unknown") & ~empty
    check.rows_error(
        "unknown_municipality",
        "instans",
        unknown,
        lambda v: (
            f"«{v}» er ikke en af de 98 kommuner (navn eller 3-cifret kommunekode) i «{label}»."
        ),
    )
    check.grouped_warning(
        "excluded_instance",
        "instans",
        resolved.rows(bool, lambda r: r.kind == "excluded"),
        lambda v, k: (
            f"«{v}» er ikke en kommune (region, kommunalt fællesskab eller "
            f"Christiansø); {k} række(r) indgår ikke i kortene."
        ),
    )
    return resolved.categorical(lambda r: r.municipality.code if r.municipality else "")


def _laws(check: _Checker, mapping: Mapping) -> pd.Categorical:
    slugs = check.per_value(
        "lov", lambda v: law.slug if (law := mapping.law_for(v)) else ""
    ).categorical()
    empty = check.required("lov")
    check.grouped_warning(
        "unknown_law",
        "lov",
        np.asarray(slugs == "") & ~empty,
        lambda v, k: (
            f"Loven «{v}» er hverken serviceloven eller barnets lov; {k} række(r) "
            "tælles ikke med i noget område."
        ),
    )
    return slugs


def _case_rows(check: _Checker, received: dt.date) -> tuple[np.ndarray, np.ndarray]:
    frame = check.frame
    report = check.report
    # Sagsnummer: present and unique.
    numbers = frame["sagsnummer"]  # compared as written: '24-1' and '24-1 ' are two numbers
    empty = numbers.eq("").to_numpy()
    label = check.table.headers["sagsnummer"]
    check.rows_error("missing_value", "sagsnummer", empty, lambda _v: f"Feltet «{label}» er tomt.")
    dup = numbers.duplicated(keep=False).to_numpy() & ~empty
    if dup.any():
        first_line: dict[str, int] = {}
        for pos in np.flatnonzero(dup):
            first_line.setdefault(numbers.iat[pos], int(check.lines[pos]))
        repeats = numbers.duplicated(keep="first").to_numpy() & ~empty
        check.rows_error(
            "duplicate_case",
            "sagsnummer",
            repeats,
            lambda v: (
                f"Sagsnummer «{v}» står også i række {first_line[v]}; hver sag må kun stå én gang."
            ),
        )
    # Outcome.
    lookup = outcome_labels()
    idx = check.per_value(
        "afgoerelse", lambda v: OUTCOMES.index(lookup[k]) if (k := header_key(v)) in lookup else -1
    ).rows(np.int64)
    empty = check.required("afgoerelse")
    check.rows_error(
        "unknown_outcome",
        "afgoerelse",
        (idx < 0) & ~empty,
        lambda v: (
            f"«{v}» er ikke et kendt udfald (stadfæstelse, ændring/ophævelse, "
            "hjemvisning eller afvisning/henvisning)."
        ),
    )

    # Date: readable, plausible; its year is the figure's year.
    def year_of(v: str) -> int:
        d = parse_date(v)
        if d is None:
            return -1
        if d.year < FIRST_YEAR or d > received:
            return -2
        return d.year

    years = check.per_value("dato", year_of).rows(np.int64)
    empty = check.required("dato")
    check.rows_error(
        "bad_date",
        "dato",
        (years == -1) & ~empty,
        lambda v: f"«{v}» er ikke en dato på formen ÅÅÅÅ-MM-DD, DD-MM-ÅÅÅÅ eller DD.MM.ÅÅÅÅ.",
    )
    check.rows_error(
        "bad_date",
        "dato",
        years == -2,
        lambda v: (
            f"«{v}» er usandsynlig: før {FIRST_YEAR} eller efter udtrækket blev modtaget "
            f"({received.isoformat()})."
        ),
    )
    report.facts["rows"] = str(len(frame))
    return years, np.maximum(idx, 0)


def _count_value(v: str) -> int:
    v = v.replace(" ", "")
    return int(v) if v.isdigit() else -1


def _aggregated_rows(
    check: _Checker, received: dt.date
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    counts: dict[str, np.ndarray] = {}
    for name in OUTCOMES:
        values = check.per_value(name, _count_value).rows(np.int64)
        empty = check.required(name)
        label = check.table.headers[name]
        check.rows_error(
            "bad_count",
            name,
            (values < 0) & ~empty,
            lambda v, label=label: f"«{label}» skal være et helt tal ≥ 0, ikke «{v}».",
        )
        counts[name] = np.maximum(values, 0)
    if "antal_sager_ialt" in check.frame:
        total = check.per_value(
            "antal_sager_ialt", lambda v: -3 if v == "" else _count_value(v)
        ).rows(np.int64)
        label = check.table.headers["antal_sager_ialt"]
        check.rows_error(
            "bad_count",
            "antal_sager_ialt",
            total == -1,
            lambda v: f"«{label}» skal være et helt tal ≥ 0, ikke «{v}».",
        )
        parts = sum(counts.values())
        mismatch = (total >= 0) & (total != parts)
        sums = dict(zip(np.flatnonzero(mismatch), parts[mismatch], strict=True))
        positions = iter(np.flatnonzero(mismatch))
        check.rows_error(
            "bad_total",
            "antal_sager_ialt",
            mismatch,
            lambda v: f"«{label}» er {v}, men de fire udfald giver {sums[next(positions)]}.",
        )
    this_year = received.year

    def year_value(v: str) -> int:
        y = _count_value(v)
        return y if FIRST_YEAR <= y <= this_year else -1

    years = check.per_value("aar", year_value).rows(np.int64)
    empty = check.required("aar")
    check.rows_error(
        "bad_year",
        "aar",
        (years < 0) & ~empty,
        lambda v: f"«{v}» er ikke et sandsynligt årstal ({FIRST_YEAR}-{this_year}).",
    )
    if "kvartal" in check.frame:
        quarter = check.per_value(
            "kvartal", lambda v: v in ("", "1", "2", "3", "4", "Q1", "Q2", "Q3", "Q4")
        ).rows(bool)
        check.rows_error(
            "bad_quarter",
            "kvartal",
            ~quarter,
            lambda v: f"«{v}» er ikke et kvartal (1-4).",
        )
    check.report.facts["rows"] = str(len(check.frame))
    return years, counts


def _repeated_rows(check: _Checker, base: pd.DataFrame, keep: np.ndarray) -> None:
    keys = [*PROVISION_KEYS] + (["kvartal"] if "kvartal" in check.frame else [])
    frame = base[PROVISION_KEYS].copy()
    if "kvartal" in check.frame:
        frame["kvartal"] = check.frame["kvartal"].to_numpy()[keep]
    repeated = frame.duplicated(subset=keys, keep="first").to_numpy()
    if repeated.any():
        mask = np.zeros(len(keep), dtype=bool)
        mask[np.flatnonzero(keep)[repeated]] = True
        check.grouped_warning(
            "repeated_row",
            "instans",
            mask,
            lambda v, k: (
                f"«{v}» har {k} række(r) med samme lov, paragraf og periode som en "
                "tidligere række; de er lagt sammen."
            ),
        )


def _unmapped(check: _Checker, mapping: Mapping, base: pd.DataFrame, keep: np.ndarray) -> None:
    """Warn (never drop silently) about provisions that count in no area, or no special area."""
    keys = ["lov", "paragraf", "aar"]
    combos = base[keys].drop_duplicates()
    status = []
    for lov, paragraf, aar in combos.itertuples(index=False):
        if not lov:
            status.append("")  # unknown law: warned already
        elif not mapping.areas_for(lov, paragraf, int(aar)):
            status.append("none")
        elif not parse_paragraph(paragraf):
            status.append("unparsed")
        else:
            status.append("")
    combos = combos.assign(_status=status)
    combos = combos[combos["_status"] != ""]
    if combos.empty:
        return
    merged = base[keys].merge(combos, how="left", on=keys)["_status"].fillna("").to_numpy()
    for flag, message in (
        (
            "none",
            "Bestemmelsen «{v}» hører ikke til noget område i områdetabellen for året "
            "(fx barnets lov før 2024); {k} række(r) tælles ikke med.",
        ),
        (
            "unparsed",
            "«{v}» kan ikke læses som en paragraf; {k} række(r) tælles kun med i "
            "socialområdet generelt, ikke i børne- eller voksenhandicap.",
        ),
    ):
        rows = np.zeros(len(keep), dtype=bool)
        rows[np.flatnonzero(keep)[merged == flag]] = True
        check.grouped_warning(
            "unmapped_provision", "paragraf", rows, lambda v, k, m=message: m.format(v=v, k=k)
        )

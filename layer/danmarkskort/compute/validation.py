"""Validating an extract's rows and turning them into counts per municipality × provision × year.

Work is done per distinct value (a million rows hold a few hundred names, labels and
dates), then spread to the rows by categorical codes, so a national extract validates in
about a second. Every problem is reported with its line, column and value.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from danmarkskort.compute.report import Report, shown
from danmarkskort.compute.table import ALT_INSTANS, Table, header_key
from danmarkskort.domain.areas import Mapping
from danmarkskort.domain.municipalities import CODE_AND_NAME as _CODE_AND_NAME
from danmarkskort.domain.municipalities import name_key, registry, resolve_instance
from danmarkskort.domain.municipalities import resolve_one as _resolve
from danmarkskort.domain.municipalities import suggestion as _suggestion
from danmarkskort.domain.municipalities import sum_row_keys as _sum_row_keys
from danmarkskort.domain.provisions import parse_paragraph

OUTCOMES = ("stadfaestet", "aendret_ophaevet", "hjemvist", "afvist")
FIRST_YEAR = 2007  # the municipal reform: no figures before the 98 municipalities existed
PROVISION_KEYS = ["kommunekode", "lov", "paragraf", "aar"]
# A time of day after the date is ignored ('2024-03-15 00:00:00', '15-03-2024 10:22').
_TIME = (
    r"(?:[ T]+(?:kl\.? ?)?\d{1,2}[:.]\d{2}(?:[:.]\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_DATE_FORMATS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME + "$", re.ASCII), (1, 2, 3)),
    (re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})" + _TIME + "$", re.ASCII), (3, 2, 1)),
    (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})" + _TIME + "$", re.ASCII), (3, 2, 1)),
    (re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})" + _TIME + "$", re.ASCII), (1, 2, 3)),
)
_SHORT_YEAR = re.compile(r"^\d{1,2}[-.]\d{1,2}[-.]\d{2}(?:\s.*)?$")
_EXCEL_SERIAL = re.compile(r"^\d{5}(?:[.,]\d+)?$")  # days since 1899-12-30: 45366 = 2024-03-15
# Whole numbers as people and spreadsheets write them (ASCII digits only).
_WHOLE = re.compile(r"^[0-9]+$")
_WHOLE_DECIMAL = re.compile(r"^([0-9]+)[.,]0{1,2}$")  # '3.0', '3,00': a whole number
_DANISH_THOUSANDS = re.compile(r"^[0-9]{1,3}(?:\.[0-9]{3})+$")  # '1.234' (Danish grouping)
_SPACE_THOUSANDS = re.compile(r"^[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+$")  # '1 234'
_AMBIGUOUS = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})+$")  # '1,234': 1234 in English, 1.234 in Danish
_FRACTION = re.compile(r"^-?[0-9]*[.,][0-9]+$")
_QUARTER = re.compile(
    r"^(?:(?P<y1>\d{4})\s*-?\s*)?(?:q|k|kvt\.?|kvartal)?\s*0?(?P<q>[1-4])"
    r"(?:[.,]0+)?\s*\.?\s*(?:kvt\.?|kvartal|q)?(?:\s*(?P<y2>\d{4}))?$",
    re.IGNORECASE | re.ASCII,
)


@cache
def outcome_labels() -> dict[str, str]:
    raw = resources.files("danmarkskort").joinpath("data", "outcomes.json").read_text("utf-8")
    doc = json.loads(raw)
    return {header_key(label): outcome for outcome in OUTCOMES for label in doc[outcome]}


def parse_count(text: str) -> tuple[int, str]:
    """A count as written in an extract: (value, '') or (-1, why not) or (value, 'thousands').

    Spreadsheets write whole numbers as '3', '3.0' or '3,00', and Danish ones group
    thousands as '1.234' (read as 1234, with a warning). '1,234' is left as ambiguous (one
    thousand two hundred and thirty-four, or 1.234?), and fractions are rejected.
    """
    v = text.strip()
    value, kind = None, ""
    if _WHOLE.match(v):
        value = int(v)
    elif m := _WHOLE_DECIMAL.match(v):
        value = int(m.group(1))
    elif _DANISH_THOUSANDS.match(v) or _SPACE_THOUSANDS.match(v):
        value, kind = int(re.sub(r"[^0-9]", "", v)), "thousands"
    if value is not None:
        return (value, kind) if value <= MAX_COUNT else (-1, "implausible")
    if v.startswith("-") and (_WHOLE.match(v[1:]) or _FRACTION.match(v[1:])):
        return -1, "negative"
    if _AMBIGUOUS.match(v):
        return -1, "ambiguous"
    if _FRACTION.match(v):
        return -1, "fraction"
    return -1, "not_a_number"


MAX_COUNT = 10_000_000  # more complaints than Denmark has inhabitants: a broken cell
_COUNT_PROBLEMS = {
    "implausible": "«{label}» er urealistisk stort: «{v}». Er cellen blevet til et andet tal?",
    "negative": "«{label}» må ikke være negativ: «{v}». Et antal er et helt tal ≥ 0.",
    "fraction": "«{label}» skal være et helt tal ≥ 0, ikke en brøk: «{v}».",
    "ambiguous": (
        "«{label}» er tvetydig: «{v}» kan være et tal med komma som tusindtalsseparator eller "
        "en brøk. Skriv antallet uden tusindtalsseparator."
    ),
    "not_a_number": "«{label}» skal være et helt tal ≥ 0, ikke «{v}».",
}


def parse_date(text: str) -> dt.date | None:
    """A decision date in one of the contract's formats, or None.

    Besides the contract's three forms: 'ÅÅÅÅ/MM/DD' (year first is unambiguous) and the
    month by name as Danish spreadsheets show it ('15. marts 2024', '15-mar-2024').
    """
    for pattern, (y, m, d) in _DATE_FORMATS:
        if match := pattern.match(text):
            try:
                return dt.date(int(match.group(y)), int(match.group(m)), int(match.group(d)))
            except ValueError:
                return None
    if match := _NAMED_MONTH.match(text):
        month = _MONTHS.get(match.group(2).lower().rstrip("."))
        try:
            return dt.date(int(match.group(3)), month, int(match.group(1))) if month else None
        except ValueError:
            return None
    return None


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("januar", "jan", "january"),
            ("februar", "feb", "february"),
            ("marts", "mar", "march"),
            ("april", "apr"),
            ("maj", "may"),
            ("juni", "jun", "june"),
            ("juli", "jul", "july"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "okt", "oct", "october"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_NAMED_MONTH = re.compile(
    r"^(\d{1,2})\.?[ -]+([a-zæøå]+\.?)[ -]+(\d{4})" + _TIME + "$", re.ASCII | re.IGNORECASE
)


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


_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"  # zero-width spaces and stray BOMs


def _clean(value: str) -> str:
    """A cell's text without surrounding white space or invisible characters."""
    return value.strip().strip(_INVISIBLE).strip()


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _rows_text(n: int) -> str:
    return "1 række" if n == 1 else f"{_thousands(n)} rækker"


class _Checker:
    """Per-table helpers: distinct-value evaluation and capped, row-precise reporting."""

    def __init__(self, table: Table, report: Report) -> None:
        self.table = table
        self.report = report
        self.frame = table.frame
        self.lines = table.lines.to_numpy()
        # Rows already excluded with a warning (regions, sum rows): their other cells do
        # not enter any figure, so problems in them are not reported.
        self.skip = np.zeros(len(table.frame), dtype=bool)
        # Rows of the whole country ('Hele landet'): excluded, but compared with the sum of
        # the municipalities' rows.
        self.national = np.zeros(len(table.frame), dtype=bool)

    def per_value(self, name: str, fn: Callable[[str], Any]) -> Distinct:
        """fn applied once to each distinct (stripped) value of a column."""
        col = self.frame[name]
        if col.dtype != "category":
            col = col.astype("category")
        results = [fn(_clean(str(c))) for c in col.cat.categories]
        results.append(fn(""))  # code -1: a missing cell
        return Distinct(results, col.cat.codes.to_numpy())

    def text(self, name: str, pos: int) -> str:
        return str(self.frame[name].iat[pos]).strip()

    def rows_error(
        self, code: str, name: str, mask: np.ndarray, message: Callable[[str], str]
    ) -> None:
        """One error per bad row, listed up to the cap and counted in full."""
        positions = np.flatnonzero(mask & ~self.skip)
        if not len(positions):
            return
        column = self.table.headers.get(name, name)
        room = self.report.room("fejl", code)
        for pos in positions[:room]:
            value = self.text(name, pos)
            self.report.error(
                code, message(shown(value)), row=int(self.lines[pos]), column=column, value=value
            )
        self.report.count_only("fejl", code, max(len(positions) - room, 0))

    def grouped_warning(
        self, code: str, name: str, mask: np.ndarray, message: Callable[[str, str], str]
    ) -> None:
        """One warning per distinct value (with its row count and first row): these are many.
        `message` gets the value and the rows as Danish text ('1 række', '1.234 rækker')."""
        positions = np.flatnonzero(mask & ~self.skip)
        if not len(positions):
            return
        values = self.frame[name].to_numpy()[positions]
        if len(positions) > 10 * self.report.cap_per_code:  # many distinct values: keep it cheap
            values = values.astype(str)
        seen: dict[str, list[int]] = {}
        for pos, value in zip(positions, values, strict=True):
            seen.setdefault(str(value).strip(), []).append(int(pos))
        column = self.table.headers.get(name, name)
        for value, rows in seen.items():
            self.report.add(
                _warning(
                    code,
                    message(shown(value), _rows_text(len(rows))),
                    int(self.lines[rows[0]]),
                    column,
                    value,
                ),
                total=len(rows),
            )

    def required(self, name: str, hint: str = "") -> np.ndarray:
        """Mask of rows whose required cell is empty (reported)."""
        mask = self.per_value(name, lambda v: v == "").rows(bool)
        label = self.table.headers.get(name, name)
        gaps = np.flatnonzero(mask & ~self.skip)
        if not hint and len(gaps) and gaps[0] > 0 and not mask[gaps[0] - 1]:
            hint = (
                " Står værdien kun i første række af en gruppe (flettede celler, en "
                "pivottabel)? Den skal stå i hver række."
            )
        self.rows_error("missing_value", name, mask, lambda _v: f"Feltet «{label}» er tomt.{hint}")
        return mask


def _warning(code: str, message: str, row: int, column: str, value: str) -> Any:
    from danmarkskort.compute.report import Problem

    return Problem("advarsel", code, message, row=row, column=column, value=value)


def validate(table: Table, mapping: Mapping, report: Report, received: dt.date) -> Validated | None:
    """Check every row; return counts per provision when the extract has no errors."""
    check = _Checker(table, report)
    n = len(table.frame)
    if n == 0:
        if report.accepted:  # else every row was already rejected while reading
            report.error("no_rows", "Filen har en overskrift, men ingen rækker med data.")
        return None
    codes = _municipalities(check)
    if "sagsemne" in table.frame:
        _subject(check, mapping)
    _sum_labels(check)
    law_slugs = _laws(check, mapping)
    check.required("paragraf")
    if table.shape == "cases":
        years, outcome_idx = _case_rows(check, received)
    else:
        years, counts = _aggregated_rows(check, received)
    if not report.accepted:
        return None

    # Excluded instances and sum rows (warned) drop out here.
    keep = np.asarray(codes != "") & ~check.skip
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
        # Cases counted per outcome by a group-by on it: no 4-column matrix of a million
        # rows (32 MB) to sum.
        outcome = pd.Series(outcome_idx[keep].astype(np.int8), name="_udfald")
        grouped = (
            base.groupby([*(base[k] for k in PROVISION_KEYS), outcome], observed=True, sort=True)
            .size()
            .unstack("_udfald", fill_value=0)
            .reindex(columns=range(len(OUTCOMES)), fill_value=0)
            .set_axis(list(OUTCOMES), axis=1)
        )
    else:
        for outcome in OUTCOMES:
            base[outcome] = counts[outcome][keep]
        if "kvartal" in check.frame:
            _subtotal_rows(check, base, keep)
            if not report.accepted:
                return None
        _repeated_rows(check, base, keep)
        _compare_national(check, base, counts, years)
        grouped = base.groupby(PROVISION_KEYS, observed=True, sort=True)[list(OUTCOMES)].sum()
    if not _unmapped(check, mapping, base, keep):
        report.error(
            "no_rows",
            "Ingen af filens rækker tæller med i kortene: alle er udeladt (ikke en kommune, "
            "ukendt lov eller en bestemmelse uden område; se advarslerne). Intet er "
            "offentliggjort.",
        )
        return None
    return Validated(counts=grouped.reset_index(), rows=n, rows_used=int(keep.sum()))


def _merge_alt_instans(check: _Checker) -> np.ndarray:
    """Fill an empty instance cell from the second instance column; True where it was."""
    frame = check.frame
    if ALT_INSTANS not in frame:
        return np.zeros(len(frame), dtype=bool)
    primary = check.per_value("instans", lambda v: v == "").rows(bool)
    alt_empty = check.per_value(ALT_INSTANS, lambda v: v == "").rows(bool)
    fill = primary & ~alt_empty
    if fill.any():
        merged = frame["instans"].astype(object).to_numpy().copy()
        merged[fill] = frame[ALT_INSTANS].astype(object).to_numpy()[fill]
        check.frame = check.table.frame = frame.assign(instans=pd.Categorical(merged))
        headers = check.table.headers
        headers["instans"] = f"{headers['instans']} / {headers[ALT_INSTANS]}"
    return fill


def _municipalities(check: _Checker) -> pd.Categorical:
    """Kommunekode per row; '' for excluded instances (warned), unknown ones are errors."""
    filled = _merge_alt_instans(check)
    resolved = check.per_value("instans", resolve_instance)
    label = check.table.headers["instans"]
    empty = check.required("instans")
    if ALT_INSTANS in check.frame:
        _instans_agree(check, resolved, filled)
    unknown = resolved.rows(bool, lambda r: r.kind == "unknown") & ~empty
    check.rows_error(
        "unknown_municipality",
        "instans",
        unknown,
        lambda v: (
            f"«{v}» er ikke en af de 98 kommuner (navn eller 3-cifret kommunekode) i "
            f"«{label}».{_disagreement(v) or _suggestion(v)}"
        ),
    )
    check.grouped_warning(
        "excluded_instance",
        "instans",
        resolved.rows(bool, lambda r: r.kind == "excluded"),
        lambda v, k: f"«{v}» er ikke en kommune ({_excluded_as(v)}); {k} indgår ikke i kortene.",
    )
    check.skip = resolved.rows(bool, lambda r: r.kind == "excluded")
    check.national = resolved.rows(bool, lambda r: r.excluded_as == "total")
    return resolved.categorical(lambda r: r.municipality.code if r.municipality else "")


def _instans_agree(check: _Checker, resolved: Distinct, filled: np.ndarray) -> None:
    """Where both instance columns are given, they must name the same municipality."""
    first = resolved.rows(object, lambda r: r.municipality.code if r.municipality else "")
    other = check.per_value(ALT_INSTANS, resolve_instance)
    second = other.rows(object, lambda r: r.municipality.code if r.municipality else "")
    clash = (first != "") & (second != "") & (first != second) & ~filled
    if not clash.any():
        return
    names = {m.code: m.name for m in registry().municipalities}
    alt_label = check.table.headers[ALT_INSTANS]
    code_label = check.table.headers["instans"]
    pairs = iter(zip(first[clash], second[clash], strict=True))

    def message(v: str) -> str:
        a, b = next(pairs)  # the codes of the row being reported (rows in order)
        return (
            f"«{code_label}» er «{v}» ({names[a]}), men «{alt_label}» i samme række er "
            f"{names[b]}. Ret den ene, så de angiver samme kommune."
        )

    check.rows_error("municipality_mismatch", "instans", clash, message)


def _excluded_as(value: str) -> str:
    kind = resolve_instance(value).excluded_as
    return _EXCLUDED_AS.get(kind, "region, kommunalt fællesskab eller Christiansø")


_EXCLUDED_AS = {
    "region": "en region",
    "faellesskab": "et kommunalt fællesskab",
    "ikke_kommune": "hører ikke til nogen kommune",
    "total": "en sumrække for hele landet; landstallet beregnes af kommunernes rækker",
}


def _disagreement(value: str) -> str:
    """' Koden 101 er København, men navnet er Dragør.' for a cell with both that disagree."""
    for pattern in _CODE_AND_NAME:
        if m := pattern.match(value.strip()):
            by_code = _resolve(m.group("code"))
            by_name = _resolve(m.group("name"))
            if by_code.municipality and by_name.municipality:
                return (
                    f" Kommunekoden {m.group('code')} er {by_code.municipality.name}, men navnet "
                    f"er {by_name.municipality.name}."
                )
    return ""


def _law_for(mapping: Mapping, value: str) -> Any:
    """The law a label names; 'Lov om social service (serviceloven)' and 'Barnets lov (BL)'
    name it twice, so the part in brackets and the part before them are tried as well."""
    if law := mapping.law_for(value):
        return law
    if m := re.fullmatch(r"\s*([^(]*?)\s*\(([^)]*)\)\s*", value):
        return mapping.law_for(m.group(2)) or mapping.law_for(m.group(1))
    return None


def _laws(check: _Checker, mapping: Mapping) -> pd.Categorical:
    slugs = check.per_value(
        "lov", lambda v: law.slug if (law := _law_for(mapping, v)) else ""
    ).categorical()
    empty = check.required("lov")
    check.grouped_warning(
        "unknown_law",
        "lov",
        np.asarray(slugs == "") & ~empty,
        lambda v, k: (
            f"Loven «{v}» er hverken serviceloven eller barnets lov; {k} "
            "tælles ikke med i noget område."
        ),
    )
    return slugs


_SUM_LABEL = re.compile(
    r"^(?:.*\s)?(?:i\s*alt|total[t]?|hovedtotal|subtotal|sum|samlet|alle)\.?$|^hele\s+(?:året|aaret)$",
    re.IGNORECASE,
)


def is_sum_label(value: str) -> bool:
    """A pivot table's or a spreadsheet's subtotal: 'I alt', 'Total', '§ 85 I alt', 'Hovedtotal'."""
    text = " ".join(value.split())
    return bool(text) and (_SUM_LABEL.match(text) is not None or name_key(text) in _sum_row_keys())


def _sum_labels(check: _Checker) -> None:
    """Sum rows in the provision columns are left out with a warning: counted, they would add
    a subtotal on top of its parts (the instance column's 'I alt' is handled likewise)."""
    for name in ("paragraf", "lov"):
        if name not in check.frame:
            continue
        rows = check.per_value(name, is_sum_label).rows(bool)
        label = check.table.headers.get(name, name)

        def sum_row(v: str, k: str, label: str = label) -> str:
            return (
                f"«{v}» i «{label}» er en sumrække (subtotal), ikke en bestemmelse; {k} er "
                "udeladt, så sagerne ikke tælles to gange."
            )

        check.grouped_warning("sum_row", name, rows, sum_row)
        check.skip |= rows


_SUBJECT_NUMBER = re.compile(r"^\s*\d+(?:\.\d+)*\.?\s+")
_SUBJECT_PARTS = re.compile(r"\s+[-–—]\s+|\s*[,:;]\s*")


def subject_parts(label: str, mapping: Mapping) -> tuple[str, str]:
    """(law as named, provision) of a Talportal subject: '1.9 Serviceloven - Børn - efterværn -
    §§ 68 og 76' -> ('Serviceloven', '§§ 68 og 76'). The provision is the text from the first
    '§'; without one, the whole label (it then counts in no special area, with a warning)."""
    text = " ".join(label.split())
    at = text.find("§")
    head, provision = (text[:at], text[at:]) if at >= 0 else (text, text)
    for part in _SUBJECT_PARTS.split(head):
        part = _SUBJECT_NUMBER.sub("", part).strip(" -–—")
        if part and _law_for(mapping, part):
            return part, provision
    return "", provision


def _subject(check: _Checker, mapping: Mapping) -> None:
    """Talportal's layout: one 'Sagsemne' column names the provisions and usually the law,
    the law otherwise (or as well) in 'Lovgrundlag'. Lov and Paragraf are made from it, so
    the rest of the checks see one layout; a label and a Lovgrundlag naming two different
    laws are an error."""
    table = check.table
    subject_label = table.headers["sagsemne"]
    parts = check.per_value("sagsemne", lambda v: subject_parts(v, mapping))
    updates: dict[str, pd.Categorical] = {}
    if "paragraf" not in check.frame:
        updates["paragraf"] = parts.categorical(lambda r: r[1])
        table.headers["paragraf"] = subject_label
    from_label = parts.rows(object, lambda r: r[0])
    has_column = "lov" in check.frame
    lov_label = table.headers.get("lov", "Lovgrundlag")
    if has_column:
        written = check.per_value("lov", lambda v: v).rows(object)
        slug_of = {
            v: (law.slug if (law := _law_for(mapping, v)) else "") for v in {*written, *from_label}
        }
        label_slug = np.array([slug_of[v] for v in from_label], dtype=object)
        column_slug = np.array([slug_of[v] for v in written], dtype=object)
        clash = (label_slug != "") & (column_slug != "") & (label_slug != column_slug)
        clash &= ~check.skip  # rows_error skips them: the names below must stay in step
        names = iter(from_label[clash])
        check.rows_error(
            "law_mismatch",
            "lov",
            clash,
            lambda v: (
                f"«{lov_label}» er «{v}», men «{subject_label}» i samme række nævner "
                f"«{next(names)}». Ret den ene, så de angiver samme lov."
            ),
        )
    else:
        written = np.full(len(from_label), "", dtype=object)
    blank_subject = check.per_value("sagsemne", lambda v: v == "").rows(bool)
    no_law = (written == "") & (from_label == "") & ~blank_subject
    where = f"«{lov_label}» er tom" if has_column else f"der er ingen kolonne «{lov_label}»"
    check.rows_error(
        "missing_value",
        "sagsemne",
        no_law,
        lambda v: (
            f"Sagsemnet «{v}» nævner ingen lov (fx «Serviceloven - … - § 85»), og {where}. "
            "Uden loven kan sagerne ikke henføres til et område."
        ),
    )
    check.skip |= no_law  # rejected above; its other cells would only repeat the problem
    fill = (written == "") & (from_label != "")
    if not has_column or fill.any():
        updates["lov"] = pd.Categorical(np.where(fill, from_label, written))
        table.headers["lov"] = f"{lov_label} / {subject_label}" if has_column else subject_label
    if updates:
        check.frame = table.frame = check.frame.assign(**updates)


_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def _case_key(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value.translate(_ZERO_WIDTH)).split())


def case_keys(numbers: pd.Series) -> pd.Series:
    """Case numbers as a reader sees them: '24-1', '24-1 ', '24-1\u00a0' and '24-1\u200b' are
    one case. Normalising a million numbers costs a third of a second, so it is done only
    when the numbers hold anything but printable ASCII without edge spaces (the usual case,
    checked in one pass over the joined text)."""
    values = numbers.to_numpy(dtype=object)
    joined = "\n".join(values)
    plain = (
        joined.isascii()
        and "\t" not in joined
        and " \n" not in joined
        and "\n " not in joined
        and not joined.startswith(" ")
        and not joined.endswith(" ")
    )
    if plain:
        return numbers
    return pd.Series([_case_key(v) for v in values], index=numbers.index, dtype=object)


def _no_empty(values: np.ndarray) -> np.ndarray:
    """All numbers unique: at most one of them is empty."""
    empty = np.zeros(len(values), dtype=bool)
    with contextlib.suppress(ValueError):
        empty[values.tolist().index("")] = True
    return empty


def _case_rows(check: _Checker, received: dt.date) -> tuple[np.ndarray, np.ndarray]:
    frame = check.frame
    report = check.report
    # Sagsnummer: present and unique, compared as a reader sees it.
    numbers = case_keys(frame["sagsnummer"])
    values = numbers.to_numpy(dtype=object)
    # 64-bit hashes of a million numbers, sorted: equal numbers have equal hashes, so no
    # repeated hash means no repeated number (a third of the time of a set or duplicated()).
    # Python's own string hash: twice as fast as pandas' hash_array; that it differs between
    # processes does not matter, since a repeated hash only sends the check the exact way.
    hashes = np.fromiter(map(hash, values), dtype=np.int64, count=len(values))
    hashes.sort()
    unique = not (hashes[1:] == hashes[:-1]).any()
    empty = _no_empty(values) if unique else numbers.eq("").to_numpy()
    label = check.table.headers["sagsnummer"]
    check.rows_error("missing_value", "sagsnummer", empty, lambda _v: f"Feltet «{label}» er tomt.")
    repeats = (
        np.zeros(len(values), dtype=bool)
        if unique
        else numbers.duplicated(keep="first").to_numpy() & ~empty & ~check.skip
    )
    if repeats.any():
        keys = numbers.to_numpy()
        first = pd.Series(np.arange(len(keys)))[~empty].groupby(keys[~empty]).min()
        raw = frame["sagsnummer"].to_numpy()
        pairs = iter(
            (int(check.lines[f]), raw[pos] != raw[f])
            for pos in np.flatnonzero(repeats)
            for f in (int(first[keys[pos]]),)
        )

        def message(v: str) -> str:
            line, invisible = next(pairs)
            note = (
                " (de to er kun forskellige i mellemrum eller usynlige tegn og er samme sag)"
                if invisible
                else ""
            )
            return f"Sagsnummer «{v}» står også i række {line}{note}; hver sag må kun stå én gang."

        check.rows_error("duplicate_case", "sagsnummer", repeats, message)
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
        lambda v: (
            f"«{v}» er ikke en dato på formen ÅÅÅÅ-MM-DD, DD-MM-ÅÅÅÅ eller DD.MM.ÅÅÅÅ."
            + _date_hint(v)
        ),
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


def _date_hint(v: str) -> str:
    if _SHORT_YEAR.match(v):
        return " Årstallet skal skrives med fire cifre (2024, ikke 24)."
    if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}.*", v):
        return (
            " Med skråstreg kan datoen læses både som dag/måned og måned/dag; skriv den som "
            "ÅÅÅÅ-MM-DD eller DD-MM-ÅÅÅÅ."
        )
    if _EXCEL_SERIAL.match(v):
        return (
            " Det ligner et Excel-datonummer: formatér kolonnen som dato (ÅÅÅÅ-MM-DD), før "
            "filen gemmes."
        )
    return ""


def _quarter(v: str) -> tuple[int, int]:
    """(quarter 1-4 or 0 when empty, year written with it or 0); (-1, 0) when unreadable."""
    if not v or is_sum_label(v):
        return 0, 0  # the whole year ('I alt' in a pivot table's quarter column)
    m = _QUARTER.match(v)
    if not m or (m.group("y1") and m.group("y2")):
        return -1, 0
    return int(m.group("q")), int(m.group("y1") or m.group("y2") or 0)


def _aggregated_rows(
    check: _Checker, received: dt.date
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    frame = check.frame
    n = len(frame)
    sources = [*OUTCOMES]
    if "aendret" in frame and "ophaevet" in frame:
        sources[1:2] = ["aendret", "ophaevet"]
    values = {name: _counts(check, name) for name in sources}
    blank = {name: v == BLANK for name, v in values.items()}
    bad_part = np.zeros(n, dtype=bool)
    for v in values.values():
        bad_part |= v == UNREADABLE
    total = _counts(check, "antal_sager_ialt") if "antal_sager_ialt" in frame else None
    any_blank = np.logical_or.reduce(list(blank.values()))
    written = sum((np.maximum(v, 0) for v in values.values()), np.zeros(n, dtype=np.int64))
    # Ankestyrelsen's statistics leave a cell blank for zero: read so where the row's total
    # confirms it (the other cells add up to it), and nowhere else.
    as_zero = (
        any_blank & ~bad_part & (total >= 0) & (total == written)
        if total is not None
        else np.zeros(n, dtype=bool)
    )
    as_zero &= ~check.skip
    if as_zero.any():
        cells = sum(int((b & as_zero).sum()) for b in blank.values())
        label = check.table.headers["antal_sager_ialt"]
        check.report.warning(
            "blank_as_zero",
            f"{_thousands(cells)} tomme celler (eller «.») i udfaldskolonnerne er læst som 0, "
            f"fordi rækkens «{label}» er lig summen af de øvrige udfald (første gang i række "
            f"{int(check.lines[np.flatnonzero(as_zero)[0]])}).",
        )
    for name, b in blank.items():
        label = check.table.headers[name]

        def missing(v: str, label: str = label) -> str:
            return (
                f"Feltet «{label}» er tomt{' («.»)' if v == '.' else ''}. Skriv 0, hvis der "
                "ingen sager er (et tomt felt læses kun som 0, når rækkens antal sager i alt "
                "er lig summen af de øvrige udfald)."
            )

        check.rows_error("missing_value", name, b & ~as_zero, missing)
    counts = {name: np.maximum(v, 0) for name, v in values.items()}
    if "aendret" in counts:
        counts["aendret_ophaevet"] = counts.pop("aendret") + counts.pop("ophaevet")
        check.report.facts["aendret_ophaevet"] = (
            f"summen af kolonnerne «{check.table.headers['aendret']}» og "
            f"«{check.table.headers['ophaevet']}»"
        )
        check.report.warning(
            "summed_columns",
            f"Kolonnerne «{check.table.headers['aendret']}» og "
            f"«{check.table.headers['ophaevet']}» er lagt sammen til udfaldet "
            "ændring/ophævelse (de tæller begge som omgjort).",
        )
    counts = {name: counts[name] for name in OUTCOMES}
    if total is not None:
        label = check.table.headers["antal_sager_ialt"]
        parts = sum(counts.values(), np.zeros(n, dtype=np.int64))
        # A row with an unreadable or missing part has its own error; its sum would only
        # repeat it.
        mismatch = (total >= 0) & (total != parts) & ~bad_part & ~(any_blank & ~as_zero)
        sums = dict(zip(np.flatnonzero(mismatch), parts[mismatch], strict=True))
        positions = iter(np.flatnonzero(mismatch & ~check.skip))
        check.rows_error(
            "bad_total",
            "antal_sager_ialt",
            mismatch,
            lambda v: f"«{label}» er {v}, men de fire udfald giver {sums[next(positions)]}.",
        )
    this_year = received.year

    def year_value(v: str) -> int:
        y, why = parse_count(v)
        return y if FIRST_YEAR <= y <= this_year and why == "" else -1

    years = check.per_value("aar", year_value).rows(np.int64)
    empty = check.required("aar")
    check.rows_error(
        "bad_year",
        "aar",
        (years < 0) & ~empty,
        lambda v: (
            f"«{v}» er ikke et sandsynligt årstal ({FIRST_YEAR}-{this_year})."
            + (" Årstallet skal skrives med fire cifre." if re.fullmatch(r"\d{2}", v) else "")
        ),
    )
    if "kvartal" in check.frame:
        quarter = check.per_value("kvartal", _quarter)
        number = quarter.rows(np.int64, lambda r: r[0])
        check.rows_error(
            "bad_quarter",
            "kvartal",
            number < 0,
            lambda v: f"«{v}» er ikke et kvartal (1-4, fx «1», «Q1» eller «1. kvartal»).",
        )
        written = quarter.rows(np.int64, lambda r: r[1])
        label = check.table.headers["aar"]
        check.rows_error(
            "bad_quarter",
            "kvartal",
            (written > 0) & (years > 0) & (written != years),
            lambda v: f"Kvartalet «{v}» hører til et andet år end «{label}» i samme række.",
        )
    check.report.facts["rows"] = str(len(check.frame))
    return years, counts


UNREADABLE = -1
BLANK = -3


def _counts(check: _Checker, name: str) -> np.ndarray:
    """Counts of one column: UNREADABLE where not a count (reported here), BLANK where empty
    or '.' (the caller decides whether that is a zero or a missing value)."""
    parsed = check.per_value(name, lambda v: (BLANK, "") if v in ("", ".") else parse_count(v))
    values = parsed.rows(np.int64, lambda r: r[0])
    kinds = ["", "thousands", *_COUNT_PROBLEMS]
    why = np.array(kinds, dtype=object)[parsed.rows(np.int8, lambda r: kinds.index(r[1]))]
    label = check.table.headers[name]
    for problem, text in _COUNT_PROBLEMS.items():

        def message(v: str, text: str = text) -> str:
            return text.format(label=label, v=v)

        check.rows_error("bad_count", name, why == problem, message)
    check.grouped_warning(
        "thousands_separator",
        name,
        why == "thousands",
        lambda v, k: (
            f"«{v}» i «{label}» er læst som {parse_count(v)[0]} (punktum eller mellemrum som "
            f"tusindtalsseparator); {k}."
        ),
    )
    return np.where((why == "") | (why == "thousands") | (values == BLANK), values, UNREADABLE)


def _repeated_rows(check: _Checker, base: pd.DataFrame, keep: np.ndarray) -> None:
    keys = [*PROVISION_KEYS] + (["kvartal"] if "kvartal" in check.frame else [])
    frame = base[PROVISION_KEYS].copy()
    if "kvartal" in check.frame:
        quarter = check.per_value("kvartal", _quarter).rows(np.int64, lambda r: r[0])
        frame["kvartal"] = quarter[keep]
    repeated = frame.duplicated(subset=keys, keep="first").to_numpy()
    if repeated.any():
        mask = np.zeros(len(keep), dtype=bool)
        mask[np.flatnonzero(keep)[repeated]] = True
        check.grouped_warning(
            "repeated_row",
            "instans",
            mask,
            lambda v, k: (
                f"«{v}» har {k} med samme lov, paragraf og periode som en "
                "tidligere række; de er lagt sammen."
            ),
        )


def _subtotal_rows(check: _Checker, base: pd.DataFrame, keep: np.ndarray) -> None:
    """A row for the whole year (empty Kvartal, or 'I alt') beside quarter rows of the same
    municipality, law, provision and year is a pivot table's subtotal: counted, its cases
    would count twice. Which of the two is meant cannot be known, so it is an error."""
    quarter = check.per_value("kvartal", _quarter).rows(np.int64, lambda r: r[0])[keep]
    frame = base[PROVISION_KEYS].assign(_q=quarter)
    has_year = frame.assign(_y=quarter == 0).groupby(PROVISION_KEYS, observed=True)["_y"]
    whole = has_year.transform("any").to_numpy()
    parts = frame.assign(_p=quarter > 0).groupby(PROVISION_KEYS, observed=True)["_p"]
    split = parts.transform("any").to_numpy()
    bad = (quarter == 0) & whole & split
    if not bad.any():
        return
    mask = np.zeros(len(keep), dtype=bool)
    rows = np.flatnonzero(keep)
    mask[rows[bad]] = True
    first_part = (
        frame.assign(_line=check.lines[rows])[quarter > 0]
        .groupby(PROVISION_KEYS, observed=True)["_line"]
        .min()
    )
    lines = iter(
        int(first_part.loc[tuple(k)])
        for k in frame[PROVISION_KEYS].to_numpy()[bad & ~check.skip[rows]]
    )
    label = check.table.headers["kvartal"]
    check.rows_error(
        "subtotal_row",
        "kvartal",
        mask,
        lambda v: (
            f"Rækken gælder hele året («{label}» er {'«' + v + '»' if v else 'tom'}), men "
            f"samme kommune, lov, paragraf og år står også pr. kvartal (fx række "
            f"{next(lines)}). Det ligner en subtotal fra en pivottabel, som ville tælle "
            "sagerne to gange: send enten kvartalsrækkerne eller årsrækken."
        ),
    )


def _compare_national(
    check: _Checker, base: pd.DataFrame, counts: dict[str, np.ndarray], years: np.ndarray
) -> None:
    """The extract's own 'Hele landet' rows against the sum of the municipalities' rows, per
    year: a difference is worth a look (a missing municipality, a region's cases), not a
    rejection, since the national figure is always computed from the municipalities."""
    national = check.national & (years > 0)
    if not national.any():
        return
    totals = sum(counts.values(), np.zeros(len(years), dtype=np.int64))
    theirs = pd.Series(totals[national]).groupby(years[national]).sum()
    ours = base.assign(_n=sum(base[o] for o in OUTCOMES)).groupby("aar")["_n"].sum()
    label = check.table.headers["instans"]
    for year, given in theirs.items():
        computed = int(ours.get(year, 0))
        if int(given) != computed:
            check.report.warning(
                "national_mismatch",
                f"Udtrækkets rækker for hele landet («{label}») giver {_thousands(int(given))} "
                f"sager i {year}, men kommunernes rækker giver {_thousands(computed)}. "
                "Landstallet beregnes af kommunernes rækker; forskellen kan være sager fra "
                "regioner eller fællesskaber, eller en kommune, der mangler.",
            )


def _unmapped(check: _Checker, mapping: Mapping, base: pd.DataFrame, keep: np.ndarray) -> bool:
    """Warn (never drop silently) about provisions that count in no area, or no special area.

    True when at least one row counts in some area (else there is nothing to publish).
    """
    keys = ["lov", "paragraf", "aar"]
    combos = base[keys].drop_duplicates()
    status = []
    counted = False
    for lov, paragraf, aar in combos.itertuples(index=False):
        if not lov:
            status.append("")  # unknown law: warned already
        elif not mapping.areas_for(lov, paragraf, int(aar)):
            status.append("none")
        elif not parse_paragraph(paragraf):
            status.append("unparsed")
            counted = True
        else:
            status.append("")
            counted = True
    combos = combos.assign(_status=status)
    combos = combos[combos["_status"] != ""]
    if combos.empty:
        return counted
    merged = base[keys].merge(combos, how="left", on=keys)["_status"].fillna("").to_numpy()
    for flag, message in (
        (
            "none",
            "Bestemmelsen «{v}» hører ikke til noget område i områdetabellen for året "
            "(fx barnets lov før 2024); {k} tælles ikke med.",
        ),
        (
            "unparsed",
            "«{v}» kan ikke læses som en paragraf; {k} tælles kun med i "
            "socialområdet generelt, ikke i børne- eller voksenhandicap.",
        ),
    ):
        rows = np.zeros(len(keep), dtype=bool)
        rows[np.flatnonzero(keep)[merged == flag]] = True

        def warning(v: str, k: str, m: str = message) -> str:
            return m.format(v=v, k=k)

        check.grouped_warning("unmapped_provision", "paragraf", rows, warning)
    return counted

"""Danmarks Statistik's count of citizens who received the benefits of a map area, per
municipality, area and year: an optional input beside the figures, shown next to them as
"X borgere modtog ydelser på området i <år> (Danmarks Statistik)" and as the complaints
Ankestyrelsen decided on substance per 1,000 recipients, with the national value.

Two layouts, both semicolon-separated, one header line:

- ``config/modtagere.csv``, every area in one file::

      kommunekode;omraade;aar;modtagere
      155;boernehandicap;2023;41
      101;voksenhandicap;2023;..

  ``kommunekode`` is a code or a name (resolved as the extract's instance names are),
  ``omraade`` an area of areas.json (slug or name), ``aar`` Danmarks Statistik's reference
  year (usually the year before the map's), ``modtagere`` a whole number or ``..``.

- ``config/modtagere-<omraade>.csv`` (e.g. ``modtagere-boernehandicap.csv``), one area per
  file, the area given by the file name: a Statistikbanken export as downloaded (Danish
  headers: the municipality by name in ``OMRÅDE`` or ``KOMMUNE``, the year in ``TID`` or
  ``ÅR``, the count in ``INDHOLD``, ``ANTAL``, ``MODTAGERE`` or ``VÆRDI``; other columns,
  such as the benefit, are allowed when they leave one row per municipality and year).
  Statistikbanken names the benefits in its own words, which do not map onto the three
  areas by any rule, so the area is said once, explicitly, by the file's name. The simple
  layout is accepted here too (its ``omraade`` column may then be left out).

``..`` is Danmarks Statistik's "no figure": kept as missing and said on the pages and in the
mails, never hidden. Sum rows and regions ("Hele landet", "Region Hovedstaden") are skipped:
national values are computed from the municipalities (Σ cases / Σ recipients).

Validated as an extract is: an unknown municipality or area, a bad or negative number, a bad
year, a duplicate key or a missing column is a Problem naming file, line and field. A file
with any problem is not used at all, but it never stops the figures: they are published
without recipients, and the problems are logged and reported (render's manifest).

Pure Python (csv module): render and notify import this, and stay without pandas.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from danmarkskort import text as fmt
from danmarkskort.config.sources import ConfigSource
from danmarkskort.domain.areas import Mapping as AreaMapping
from danmarkskort.domain.figures import Figure
from danmarkskort.domain.municipalities import name_key, near_miss, resolve_instance, slugify
from danmarkskort.log import child_logger

FILE = "modtagere.csv"
AREA_FILE = "modtagere-{omraade}.csv"
SOURCE = "Danmarks Statistik"
MISSING = ".."
MAX_BYTES = 5 * 1024 * 1024
MAX_PROBLEMS = 20  # listed; the rest are counted
MAX_AGE = 2  # the newest count at most this many years before the figures' year is shown
FIRST_YEAR, LAST_YEAR = 1990, 2100
# The open data's columns after the figures contract's and the shown values, present only
# when the input is (PerMap.values), and the attachments' Danish headers of the same.
OPEN_DATA_FIELDS = ("modtagere", "modtagere_aar", "sager_pr_1000_modtagere")
COLUMNS = (
    "Modtagere af ydelser (Danmarks Statistik)",
    "Modtagere: år (Danmarks Statistik)",
    "Realitetsbehandlede sager pr. 1.000 modtagere",
)

Key = tuple[str, str, int]  # (kommunekode, omraade, aar)

# Header names, as their matching keys (lower case, æ/ø/å spelled out, spaces as '_').
_SIMPLE = ("kommunekode", "omraade", "aar", "modtagere")
_STATBANK_MUNICIPALITY = ("omraade", "kommune", "kommuner")
_STATBANK_YEAR = ("tid", "aar")
_STATBANK_VALUE = ("indhold", "antal", "modtagere", "vaerdi")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a file, e.g. ``modtagere.csv: line 4: modtagere: '12,5' is not
    a whole number``."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = [self.file, *([f"line {self.line}"] if self.line else []), self.field]
        return ": ".join([*filter(None, where), self.message])


@dataclass(frozen=True)
class BeneficiaryTable:
    """Recipients per (kommunekode, omraade, aar); None where Danmarks Statistik has no
    figure (``..``). Immutable."""

    counts: Mapping[Key, int | None]
    files: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts", MappingProxyType(dict(self.counts)))

    def years(self, omraade: str) -> tuple[int, ...]:
        return tuple(sorted({aar for (_, o, aar) in self.counts if o == omraade}))

    def reference_year(self, omraade: str, aar: int) -> int | None:
        """The year whose counts stand beside the figures of ``aar``: the newest the file has
        for the area, not after ``aar`` and at most MAX_AGE years before it."""
        years = [y for y in self.years(omraade) if aar - MAX_AGE <= y <= aar]
        return max(years) if years else None

    def area_year(self, omraade: str, aar: int, cases: Mapping[str, int]) -> AreaYear:
        """The counts beside one map (area, figures' year); ``cases`` are the
        municipalities' realitetsbehandlede of that map, by kommunekode."""
        ref = self.reference_year(omraade, aar)
        counts: dict[str, int | None] = {}
        if ref is not None:
            counts = {c: n for (c, o, y), n in self.counts.items() if o == omraade and y == ref}
        # National: Σ cases / Σ recipients over the municipalities that have a count (a
        # municipality without one would otherwise lower the rate with cases of no base).
        known = [c for c, n in counts.items() if n and c in cases]
        national = (
            1000.0 * sum(cases[c] for c in known) / sum(counts[c] or 0 for c in known)
            if known
            else None
        )
        return AreaYear(omraade, aar, ref, counts, national)


class PerMap:
    """The table beside a set of figures: each map's (figures' year, area) AreaYear, made
    once from the municipalities' cases, for the pages, the open data, the mails, their
    attachments and the council PDF alike."""

    def __init__(self, table: BeneficiaryTable, figures: Iterable[Figure]):
        self.table = table
        self._cases: dict[tuple[int, str], dict[str, int]] = {}
        for f in figures:
            if not f.is_national:
                self._cases.setdefault((f.aar, f.omraade), {})[f.kommunekode] = (
                    f.realitetsbehandlede
                )
        self._made: dict[tuple[int, str], AreaYear] = {}

    def area_year(self, aar: int, omraade: str) -> AreaYear:
        ay = self._made.get((aar, omraade))
        if ay is None:
            cases = self._cases.get((aar, omraade), {})
            ay = self._made[(aar, omraade)] = self.table.area_year(omraade, aar, cases)
        return ay

    def shown(self, f: Figure, name: str, national_label: str) -> Shown:
        """A municipality's count and rate in the words of the pages and mails."""
        ay = self.area_year(f.aar, f.omraade)
        return ay.shown(f.kommunekode, name, f.realitetsbehandlede, national_label)

    def values(self, f: Figure) -> tuple[int | None, int | None, float | None]:
        """(recipients, Danmarks Statistik's year, cases per 1,000 recipients) for the open
        data and the attachments; for the national record, the sum over the municipalities
        that have a count, and the national rate (the same municipalities)."""
        ay = self.area_year(f.aar, f.omraade)
        if ay.reference_year is None:
            return (None, None, None)
        if f.is_national:
            cases = self._cases.get((f.aar, f.omraade), {})
            known = [n for c, n in ay.counts.items() if n and c in cases]
            return (sum(known) if known else None, ay.reference_year, ay.national_per_1000)
        n = ay.counts.get(f.kommunekode)
        rate = 1000.0 * f.realitetsbehandlede / n if n else None
        return (n, ay.reference_year, rate)


@dataclass(frozen=True)
class AreaYear:
    omraade: str
    aar: int  # the figures' year
    reference_year: int | None  # Danmarks Statistik's year; None: no counts near ``aar``
    counts: Mapping[str, int | None]
    national_per_1000: float | None

    def shown(self, code: str, name: str, cases: int, national_label: str) -> Shown:
        """One municipality's count and rate in the words of the pages and mails."""
        ref = self.reference_year
        nat_label = fmt.lower_first(national_label)
        nat = per_1000_text(self.national_per_1000)
        if ref is None:
            span = fmt.year_span(list(range(self.aar - MAX_AGE, self.aar + 1)))
            return Shown(
                ref,
                None,
                None,
                f"{SOURCE} har ikke tal for, hvor mange borgere der modtog ydelser på "
                f"området i {span}.",
                "",
                (f"{SOURCE} har ikke tal for modtagere i {span}",),
            )
        n = self.counts.get(code)
        if n is None:
            return Shown(
                ref,
                None,
                None,
                f"{SOURCE} har ikke tal for, hvor mange borgere i {name} der modtog ydelser "
                f"på området i {ref}.",
                "",
                (f"{SOURCE} har ikke tal for modtagere i {ref}",),
            )
        borgere = "borger" if n == 1 else "borgere"
        sentence = f"{fmt.number(n)} {borgere} modtog ydelser på området i {ref} ({SOURCE})."
        tip = [f"{fmt.number(n)} modtog ydelser i {ref} ({SOURCE})"]
        rate = 1000.0 * cases / n if n else None
        rate_sentence = ""
        if rate is not None:
            rate_sentence = (
                f"Det svarer til {per_1000_text(rate)} realitetsbehandlede klagesager i "
                f"{self.aar} pr. 1.000 modtagere ({nat_label}: {nat})."
            )
            tip.append(f"{per_1000_text(rate)} sager pr. 1.000 modtagere ({nat_label}: {nat})")
        return Shown(ref, n, rate, sentence, rate_sentence, tuple(tip))


@dataclass(frozen=True, slots=True)
class Shown:
    reference_year: int | None
    modtagere: int | None  # None: Danmarks Statistik has no figure
    per_1000: float | None
    sentence: str  # the count, or that there is none
    rate_sentence: str  # the cases per 1,000 recipients with the national value, or ''
    tooltip: tuple[str, ...]


def per_1000_text(value: float | None) -> str:
    """Cases per 1,000 recipients with one decimal, Danish style: 4.25 → '4,3'."""
    return "ingen tal" if value is None else fmt.number(value, 1)


@dataclass(frozen=True)
class Loaded:
    """What the config holds: the table (None when absent or rejected) and the problems."""

    table: BeneficiaryTable | None
    problems: tuple[Problem, ...] = ()
    files: tuple[str, ...] = ()
    more: int = 0  # problems beyond MAX_PROBLEMS, counted only

    @property
    def status(self) -> Literal["absent", "ok", "rejected"]:
        if not self.files:
            return "absent"
        return "rejected" if self.problems else "ok"

    def messages(self) -> list[str]:
        out = [str(p) for p in self.problems]
        if self.more:
            out.append(f"... and {self.more} more problem(s)")
        return out

    def report(self) -> dict[str, object]:
        """For the manifest and the logs."""
        out: dict[str, object] = {"status": self.status, "files": list(self.files)}
        if self.problems:
            out["problems"] = self.messages()
            out["effect"] = "the figures are published without Danmarks Statistik's recipients"
        return out


def area_files(mapping: AreaMapping) -> list[str]:
    return [AREA_FILE.format(omraade=slug) for slug in mapping.slugs]


def load_beneficiaries(source: ConfigSource, mapping: AreaMapping) -> Loaded:
    """modtagere.csv and modtagere-<omraade>.csv from the source (none is required)."""
    files: dict[str, bytes] = {}
    for name in (FILE, *area_files(mapping)):
        data = source.read(name)
        if data is not None:
            files[name] = data
    return parse_beneficiaries(files, mapping)


def load_reported(source: ConfigSource, mapping: AreaMapping, extract_id: str) -> Loaded:
    """load_beneficiaries, with a rejected file logged as a warning (never a failure: the
    figures and mails go out without Danmarks Statistik's counts, and the log names each
    file, line and field that is wrong). Render and notify both load it so."""
    loaded = load_beneficiaries(source, mapping)
    if loaded.status == "rejected":
        child_logger(__name__).warning(
            "recipients of benefits (Danmarks Statistik) not used: " + "; ".join(loaded.messages()),
            extra={"beneficiaries": loaded.report(), "extract_id": extract_id},
        )
    return loaded


def parse_beneficiaries(files: Mapping[str, bytes], mapping: AreaMapping) -> Loaded:
    """The files' bytes (by name) as one table; any problem rejects the lot."""
    parser = _Parser(mapping)
    for name, data in files.items():
        parser.file(name, data)
    problems = parser.problems
    if not files:
        return Loaded(None)
    if problems:
        shown = tuple(problems[:MAX_PROBLEMS])
        return Loaded(None, shown, tuple(files), more=len(problems) - len(shown))
    return Loaded(BeneficiaryTable(parser.counts, tuple(files)), (), tuple(files))


def _key(header: str) -> str:
    return slugify(header.strip().lstrip("\ufeff")).replace("-", "_")


@dataclass
class _Parser:
    mapping: AreaMapping
    counts: dict[Key, int | None] = field(default_factory=dict)
    where: dict[Key, tuple[str, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # The current file's columns: role (kommune, omraade, aar, value) → index, header text.
    layout: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def problem(self, file: str, line: int | None, column: str, message: str) -> None:
        self.problems.append(Problem(file, line, column, message))

    def file(self, name: str, data: bytes) -> None:
        if len(data) > MAX_BYTES:
            self.problem(name, None, "", f"is {len(data):,} bytes; at most {MAX_BYTES:,}")
            return
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")  # older Statistikbanken exports
        area = None if name == FILE else name[len("modtagere-") : -len(".csv")]
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=";")
        header: list[str] | None = None
        for row in rows:
            if not any(c.strip() for c in row) or row[0].lstrip().startswith("#"):
                continue
            if header is None:
                header = row
                if not self.columns(name, rows.line_num, header, area):
                    return
                continue
            self.row(name, rows.line_num, row, area)
        if header is None:
            self.problem(name, None, "", "is empty: expected a header line and rows")

    def columns(self, name: str, line: int, header: list[str], area: str | None) -> bool:
        keys = [_key(h) for h in header]
        found = ", ".join(repr(h.strip()) for h in header)
        if len(header) == 1:
            self.problem(name, line, "header", f"is not semicolon-separated (';'); found {found}")
            return False
        self.layout, self.names = {}, {}
        if "kommunekode" in keys:
            needed = [c for c in _SIMPLE if c != "omraade" or area is None]
            missing = [c for c in needed if c not in keys]
            if missing:
                self.problem(
                    name,
                    line,
                    "header",
                    f"missing column(s) {', '.join(missing)}; expected "
                    f"{';'.join(_SIMPLE)}, found {found}",
                )
                return False
            self.layout = {
                "kommune": keys.index("kommunekode"),
                "aar": keys.index("aar"),
                "value": keys.index("modtagere"),
            }
            if "omraade" in keys:
                self.layout["omraade"] = keys.index("omraade")
            self.names = {role: header[i].strip() for role, i in self.layout.items()}
            return True
        # A Statistikbanken export.
        chosen: dict[str, int] = {}
        for role, names in (
            ("kommune", _STATBANK_MUNICIPALITY),
            ("aar", _STATBANK_YEAR),
            ("value", _STATBANK_VALUE),
        ):
            hit = next((keys.index(n) for n in names if n in keys), None)
            if hit is not None:
                chosen[role] = hit
        if area is None and len(chosen) == 3:
            self.problem(
                name,
                line,
                "header",
                "looks like a Statistikbanken export, which names no map area: save it as "
                f"{' or '.join(area_files(self.mapping))} (one file per area), or use the "
                f"columns {';'.join(_SIMPLE)}",
            )
            return False
        if len(chosen) < 3:
            expected = (
                f"{';'.join(_SIMPLE)}"
                if area is None
                else f"{';'.join(_SIMPLE)}, or a Statistikbanken export with OMRÅDE (or "
                "KOMMUNE), TID (or ÅR) and INDHOLD (or ANTAL)"
            )
            self.problem(
                name, line, "header", f"missing columns: expected {expected}, found {found}"
            )
            return False
        self.layout = chosen
        self.names = {role: header[i].strip().lstrip("\ufeff") for role, i in chosen.items()}
        return True

    def row(self, name: str, line: int, row: list[str], area: str | None) -> None:
        width = max(self.layout.values()) + 1
        if len(row) < width:
            self.problem(name, line, "", f"has {len(row)} field(s), the header more")
            return
        ok = True
        raw_m = row[self.layout["kommune"]].strip()
        resolved = resolve_instance(raw_m)
        if resolved.kind == "excluded":
            return  # 'Hele landet', a region: the national value is computed
        column_m = self.names["kommune"]
        code = ""
        if resolved.municipality is None:
            close = near_miss(raw_m)
            hint = f" (did you mean «{close}»?)" if close else ""
            self.problem(name, line, column_m, f"unknown municipality {raw_m!r}{hint}")
            ok = False
        else:
            code = resolved.municipality.code
        omraade = area or ""
        if "omraade" in self.layout:
            raw_a = row[self.layout["omraade"]].strip()
            slug = self.area_slug(raw_a)
            if slug is None:
                self.problem(
                    name,
                    line,
                    self.names["omraade"],
                    f"unknown area {raw_a!r}; one of {', '.join(self.mapping.slugs)}",
                )
                ok = False
            elif area is not None and slug != area:
                self.problem(
                    name, line, self.names["omraade"], f"is {raw_a!r}, but the file is {area}'s"
                )
                ok = False
            else:
                omraade = slug
        raw_y = row[self.layout["aar"]].strip()
        year = int(raw_y) if raw_y.isascii() and raw_y.isdigit() else None
        if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
            self.problem(
                name, line, self.names["aar"], f"{raw_y!r} is not a year ({FIRST_YEAR}-{LAST_YEAR})"
            )
            ok = False
        value = self.value(name, line, row[self.layout["value"]])
        if value is False or not ok or year is None:
            return
        key = (code, omraade, year)
        if key in self.where:
            who = f"{resolved.municipality.name} ({code})" if resolved.municipality else code
            file, first = self.where[key]
            other = f"line {first}" + ("" if file == name else f" of {file}")
            hint = (
                ""
                if "omraade" in self.layout
                else "; an export must have one row per municipality and year (choose one "
                "value of every other variable, or the total, in Statistikbanken)"
            )
            self.problem(
                name, line, "", f"duplicate: {who}, {omraade}, {year} is also on {other}{hint}"
            )
            return
        self.where[key] = (name, line)
        self.counts[key] = value

    def value(self, name: str, line: int, raw: str) -> int | Literal[False] | None:
        """The count, None for '..', False (reported) when it is no count."""
        text = raw.strip()
        column = self.names["value"]
        if text == MISSING:
            return None
        if not text:
            self.problem(name, line, column, f"is empty; write {MISSING} where there is no figure")
            return False
        digits = text[1:] if text[0] in "-−" else text
        if not (digits.isascii() and digits.isdigit()):
            self.problem(name, line, column, f"{text!r} is not a whole number (or {MISSING})")
            return False
        if digits != text:
            self.problem(name, line, column, f"{text!r} is negative")
            return False
        return int(digits)

    def area_slug(self, value: str) -> str | None:
        key = name_key(value)
        for a in self.mapping.areas:
            if key in (name_key(a.slug), name_key(a.navn), name_key(a.kort)):
                return a.slug
        return None

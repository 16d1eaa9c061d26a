"""A municipality's figures as spreadsheets (CSV and XLSX) for its council's agenda.

The CSV follows Danish Excel (';' separator, decimal comma, UTF-8 with BOM so 'Dragør'
opens intact); the XLSX (mail/xlsx.py) holds real numbers. Text cells that start with
'=', '+', '-', '@' (or a tab/CR) get a leading apostrophe so a spreadsheet never runs them
as formulas: provision labels come from the extract, which we do not control. Numbers are
written as numbers, not text, so a negative change stays a number.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from danmarkskort.domain.areas import Mapping
from danmarkskort.domain.figures import Figure, FiguresDoc, Provision
from danmarkskort.domain.municipalities import Municipality
from danmarkskort.mail import xlsx
from danmarkskort.text import round_half_up

Cell = str | int | float | None
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Table:
    title: str  # sheet name (max 31 characters)
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    percent_columns: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Attachment:
    filename: str  # ASCII only
    content_type: str  # "maintype/subtype; charset=..." as it goes into the header
    data: bytes


class FigureIndex:
    """The figures by municipality and the national records by (year, area), built once per
    run: 98 mails must not each scan every record of the extract."""

    def __init__(self, doc: FiguresDoc):
        self.by_code: dict[str, list[Figure]] = {}
        self.national: dict[tuple[int, str], Figure] = {}
        self.provisions: dict[str, list[Provision]] = {}
        for f in doc.figures:
            if f.is_national:
                self.national[(f.aar, f.omraade)] = f
            else:
                self.by_code.setdefault(f.kommunekode, []).append(f)
        for p in doc.provisions:
            self.provisions.setdefault(p.kommunekode, []).append(p)

    def of(self, kommunekode: str) -> list[Figure]:
        return self.by_code.get(kommunekode, [])


# The same quantities under the same labels in every sheet (areas and provisions).
RATE_AND_COUNT_COLUMNS = (
    "Omgørelsesprocent",
    "Realitetsbehandlede sager",
    "Stadfæstet",
    "Ændret/ophævet",
    "Hjemvist",
    "Afvist/henvist (indgår ikke)",
)


def neutralise(value: Cell) -> Cell:
    """Text that a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def file_stem(kind: str, newest_year: int, municipality: Municipality) -> str:
    """'omgoerelsesprocenter-2024-155-dragoer': ASCII, sortable, says what and whose."""
    return f"{kind}-{newest_year}-{municipality.code}-{municipality.slug}"


def figure_table(
    doc: FiguresDoc,
    kommunekode: str,
    mapping: Mapping,
    index: FigureIndex | None = None,
) -> Table:
    """Every year × area of the municipality, next to the country's rate."""
    index = index or FigureIndex(doc)
    order = {slug: i for i, slug in enumerate(mapping.slugs)}
    figures = sorted(
        index.of(kommunekode),
        key=lambda f: (-f.aar, order.get(f.omraade, len(order)), f.omraade),
    )
    national = index.national
    columns = (
        "År",
        "Område",
        "Kommunekode",
        "Kommune",
        *RATE_AND_COUNT_COLUMNS,
        "95 %-usikkerhedsinterval, nedre",
        "95 %-usikkerhedsinterval, øvre",
        f"Få sager (under {doc.lav_n_threshold})",
        "Ændring fra året før (procentpoint)",
        "Hele landet: omgørelsesprocent",
        "Hele landet: realitetsbehandlede sager",
    )
    rows = []
    for f in figures:
        land = national.get((f.aar, f.omraade))
        rows.append(
            (
                f.aar,
                area_name(mapping, f.omraade),
                f.kommunekode,
                f.kommune,
                _round(f.omgoerelsesprocent),
                f.realitetsbehandlede,
                f.stadfaestet,
                f.aendret_ophaevet,
                f.hjemvist,
                f.afvist,
                _round(f.ci_lav),
                _round(f.ci_hoej),
                "ja" if f.lav_n else "nej",
                _round(f.aendring_pp),
                _round(land.omgoerelsesprocent) if land else None,
                land.realitetsbehandlede if land else None,
            )
        )
    return Table("Områder", columns, tuple(rows), frozenset({4, 10, 11, 13, 14}))


def provision_table(
    doc: FiguresDoc,
    kommunekode: str,
    mapping: Mapping,
    index: FigureIndex | None = None,
) -> Table | None:
    """Counts per legal provision, when the extract carried them; None otherwise."""
    index = index or FigureIndex(doc)
    provisions: list[Provision] = list(index.provisions.get(kommunekode, []))
    if not provisions:
        return None
    provisions.sort(key=lambda p: (-p.aar, p.lov, _paragraph_key(p.paragraf)))
    columns = (
        "År",
        "Lov",
        "Paragraf",
        "Indgår i",
        *RATE_AND_COUNT_COLUMNS,
    )
    rows = []
    for p in provisions:
        n = p.stadfaestet + p.aendret_ophaevet + p.hjemvist
        rate = 100.0 * (p.aendret_ophaevet + p.hjemvist) / n if n else None
        rows.append(
            (
                p.aar,
                p.lov,
                p.paragraf,
                ", ".join(area_name(mapping, s) for s in p.omraader),
                _round(rate),
                n,
                p.stadfaestet,
                p.aendret_ophaevet,
                p.hjemvist,
                p.afvist,
            )
        )
    return Table("Paragraffer", columns, tuple(rows), frozenset({4}))


def source_table(doc: FiguresDoc) -> Table:
    """Where the figures came from (the audit trail), as the workbook's last sheet."""
    rows: tuple[tuple[Cell, ...], ...] = (
        ("Udtræk", doc.extract_file),
        ("Udtrækkets id (SHA-256)", doc.extract_id),
        ("Modtaget", doc.received),
        ("Programversion", doc.software_version),
        ("Grænse for få sager", doc.lav_n_threshold),
        (
            "Omgørelsesprocent",
            "(ændret/ophævet + hjemvist) / realitetsbehandlede × 100; afviste/henviste sager "
            "indgår ikke",
        ),
    )
    return Table("Om tallene", ("Felt", "Værdi"), rows)


def to_csv(table: Table) -> bytes:
    """Danish Excel's CSV: ';', decimal comma, UTF-8 with BOM, CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(c) for c in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """One sheet per table: bold frozen header, real numbers, percentages shown as '0.0'."""
    sheets = [
        xlsx.Sheet(
            table.title,
            [
                [neutralise(c) for c in table.columns],
                *([neutralise(c) for c in row] for row in table.rows),
            ],
            decimal_columns=table.percent_columns,
            widths=_widths(table),
        )
        for table in tables
    ]
    return xlsx.write_xlsx(sheets)


def _widths(table: Table) -> list[float]:
    """Wide enough for the header and the longest value, so no text is cut off on opening."""
    longest = [len(str(c)) for c in table.columns]
    for row in table.rows:
        for i, cell in enumerate(row):
            if cell is not None:
                longest[i] = max(longest[i], len(str(cell)))
    return [max(10, min(70, n + 2)) for n in longest]


def _csv_cell(value: Cell) -> Cell:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return neutralise(value)


def _round(value: float | None) -> float | None:
    """One decimal, half up as on the site and in the mail text (12.25 → 12.3, not 12.2)."""
    return None if value is None else float(round_half_up(value, 1))


def area_name(mapping: Mapping, slug: str) -> str:
    """The area's name, or its slug when the mapping no longer knows it."""
    try:
        return mapping.area(slug).navn
    except KeyError:
        return slug


def _paragraph_key(label: str) -> tuple[int, str]:
    match = re.search(r"\d+", label)
    return (int(match.group()) if match else 10**6, label)

"""A municipality's figures as spreadsheets (CSV and XLSX) for its council's agenda.

The CSV follows Danish Excel (';' separator, decimal comma, UTF-8 with BOM so 'Dragør'
opens intact); the XLSX (danmarkskort/xlsx_writer.py, shared with the site's open data)
holds real numbers. Each figure is there as shown in the mail and on the map
(text.shown_figure) and unrounded. Text that a spreadsheet would run as a formula is
neutralised (xlsx_writer.neutralise). Numbers are written as numbers, not text, so a
negative change stays a number.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal

from danmarkskort.domain.areas import Mapping
from danmarkskort.domain.beneficiaries import COLUMNS as RECIPIENT_COLUMNS
from danmarkskort.domain.beneficiaries import PerMap
from danmarkskort.domain.figures import Figure, FiguresDoc, Provision
from danmarkskort.domain.municipalities import Municipality
from danmarkskort.text import ShownFigure, national_name, shown_figure, shown_percent
from danmarkskort.xlsx_writer import (
    RATE_AND_COUNT_COLUMNS,
    UNROUNDED,
    UNROUNDED_COLUMNS,
    Cell,
    Table,
    about_table,
    figure_cells,
    figure_columns,
    neutralise,
    unrounded_cells,
)

# The attachment's workbook comes from the writer the site's open data use as well.
from danmarkskort.xlsx_writer import XLSX_TYPE as XLSX_TYPE
from danmarkskort.xlsx_writer import to_xlsx as to_xlsx

CSV_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class Attachment:
    filename: str  # ASCII only
    content_type: str  # "maintype/subtype; charset=..." as it goes into the header
    data: bytes
    about: str = ""  # what it holds, in the mail's list of attachments (Danish)


class FigureIndex:
    """The figures by municipality and the national records by (year, area), built once per
    run: 98 mails must not each scan every record of the extract."""

    def __init__(self, doc: FiguresDoc):
        self.by_code: dict[str, list[Figure]] = {}
        self.national: dict[tuple[int, str], Figure] = {}
        self.provisions: dict[str, list[Provision]] = {}
        self.by_key: dict[tuple[int, str, str], Figure] = {}
        for f in doc.figures:
            self.by_key[(f.aar, f.omraade, f.kommunekode)] = f
            if f.is_national:
                self.national[(f.aar, f.omraade)] = f
            else:
                self.by_code.setdefault(f.kommunekode, []).append(f)
        for p in doc.provisions:
            self.provisions.setdefault(p.kommunekode, []).append(p)

    def of(self, kommunekode: str) -> list[Figure]:
        return self.by_code.get(kommunekode, [])

    def shown(self, f: Figure) -> ShownFigure:
        """The figure as the mail, its attachments and the site show it."""
        return shown_figure(f, self.by_key.get((f.aar - 1, f.omraade, f.kommunekode)))


def file_stem(kind: str, newest_year: int, municipality: Municipality) -> str:
    """'omgoerelsesprocenter-2024-155-dragoer': ASCII, sortable, says what and whose."""
    return f"{kind}-{newest_year}-{municipality.code}-{municipality.slug}"


def figure_table(
    doc: FiguresDoc,
    kommunekode: str,
    mapping: Mapping,
    index: FigureIndex | None = None,
    recipients: PerMap | None = None,
) -> Table:
    """Every year × area of the municipality, next to the national figure (named by its own
    label: 'Hele landet', or what a partial extract covers); with Danmarks Statistik's
    recipients as the last columns when the input is there."""
    index = index or FigureIndex(doc)
    order = {slug: i for i, slug in enumerate(mapping.slugs)}
    figures = sorted(
        index.of(kommunekode),
        key=lambda f: (-f.aar, order.get(f.omraade, len(order)), f.omraade),
    )
    columns = (
        "År",
        "Område",
        "Kommunekode",
        "Kommune",
        *figure_columns(doc.lav_n_threshold),
        "Sammenlignet med",
        "Sammenligning: omgørelsesprocent",
        "Sammenligning: realitetsbehandlede sager",
        *UNROUNDED_COLUMNS,
        f"Sammenligning: omgørelsesprocent, {UNROUNDED}",
        *(RECIPIENT_COLUMNS if recipients is not None else ()),
    )
    rows = []
    for f in figures:
        land = index.national.get((f.aar, f.omraade))
        rows.append(
            (
                f.aar,
                area_name(mapping, f.omraade),
                f.kommunekode,
                f.kommune,
                *figure_cells(f, index.shown(f)),
                national_name(land) if land else None,
                shown_percent(land.omgoerelsesprocent) if land else None,
                land.realitetsbehandlede if land else None,
                *unrounded_cells(f),
                land.omgoerelsesprocent if land else None,
                *(recipients.values(f) if recipients is not None else ()),
            )
        )
    return Table("Områder", columns, tuple(rows))


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
        f"Omgørelsesprocent, {UNROUNDED}",
    )
    rows = []
    for p in provisions:
        n = p.realitetsbehandlede
        rate = 100.0 * p.omgjort / n if n else None
        rows.append(
            (
                p.aar,
                p.lov,
                p.paragraf,
                ", ".join(area_name(mapping, s) for s in p.omraader),
                shown_percent(rate),
                n,
                p.stadfaestet,
                p.aendret_ophaevet,
                p.hjemvist,
                p.afvist,
                rate,
            )
        )
    return Table("Paragraffer", columns, tuple(rows))


def source_table(doc: FiguresDoc) -> Table:
    """Where the figures came from (the audit trail), as the workbook's last sheet."""
    return about_table(
        extract_file=doc.extract_file,
        extract_id=doc.extract_id,
        received=doc.received,
        software_version=doc.software_version,
        threshold=doc.lav_n_threshold,
    )


def to_csv(table: Table) -> bytes:
    """Danish Excel's CSV: ';', decimal comma, UTF-8 with BOM, CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(c) for c in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_cell(value: Cell) -> Cell:
    """Shown values are whole numbers; an unrounded one keeps every digit, with a comma and
    never in exponent form (Excel would not read '1,3e-15' as a number)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{Decimal(repr(value)):f}".replace(".", ",")
    return neutralise(value)


def area_name(mapping: Mapping, slug: str) -> str:
    """The area's name, or its slug when the mapping no longer knows it."""
    try:
        return mapping.area(slug).navn
    except KeyError:
        return slug


def _paragraph_key(label: str) -> tuple[int, str]:
    match = re.search(r"\d+", label)
    return (int(match.group()) if match else 10**6, label)

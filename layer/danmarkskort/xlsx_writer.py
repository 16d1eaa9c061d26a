"""Spreadsheets for people, written the same way for the site (each year's open data as
XLSX) and the mails (the municipality's attachment): a small, strict XLSX (Office Open XML)
writer, the tables both are made of, and the Danish columns of a figure.

Why not openpyxl: it costs about 10 ms per workbook here (styles, theme and a generic XML
serialiser), which alone breaks the budget of composing all 98 mails in under a second, and
render and notify must not import it. The workbooks need only what this module writes:
sheets of text and numbers, a bold frozen header row and column widths. Text is written as
inline strings, numbers as numbers. Tests read every workbook back with openpyxl.

Every figure is given twice: as shown on the map and in the mail (text.shown_figure: whole
percent, half up), and unrounded, so a reader can quote the one and compute with the other.
Text cells that start with '=', '+', '-', '@' (or a tab/CR) get a leading apostrophe so a
spreadsheet never runs them as formulas: provision labels come from the extract, which we
do not control.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from danmarkskort.domain.figures import Figure
from danmarkskort.text import ShownFigure

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")

STYLE_HEADER = 1

_OOXML = "application/vnd.openxmlformats-"
_SML = _OOXML + "officedocument.spreadsheetml."
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_CONTENT_TYPES = (
    _XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    f'<Default Extension="rels" ContentType="{_OOXML}package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_SML}sheet.main+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_SML}styles+xml"/>'
    "{sheets}</Types>"
)
_SHEET_TYPE = (
    f'<Override PartName="/xl/worksheets/sheet{{n}}.xml" ContentType="{_SML}worksheet+xml"/>'
)
_ROOT_RELS = (
    _XML_HEAD + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    _XML_HEAD + '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    f'xmlns:r="{_REL}">'
    "<sheets>{sheets}</sheets></workbook>"
)
_WORKBOOK_RELS = (
    _XML_HEAD + f'<Relationships xmlns="{_PKG_REL}">'
    "{sheets}"
    f'<Relationship Id="rIdStyles" Type="{_REL}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    "</sheetView></sheetViews>"
)


class Sheet:
    """Rows of a sheet; row 0 is the header (bold, frozen)."""

    def __init__(
        self,
        title: str,
        rows: Sequence[Sequence[object]],
        widths: Sequence[float] = (),
    ):
        self.title = sheet_title(title)
        self.rows = rows
        self.widths = widths


def sheet_title(title: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\ ."""
    cleaned = _BAD_SHEET_CHARS.sub(" ", title).strip() or "Ark"
    return cleaned[:31]


def column_letter(index: int) -> str:
    """0 → 'A', 25 → 'Z', 26 → 'AA'."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def write_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """The workbook's bytes; ValueError for what Excel would refuse (no sheet, equal titles)."""
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    titles = [s.title for s in sheets]
    if len({t.lower() for t in titles}) != len(titles):
        raise ValueError(f"sheet titles must differ: {titles}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        z.writestr(
            "[Content_Types].xml",
            _CONTENT_TYPES.format(
                sheets="".join(_SHEET_TYPE.format(n=i + 1) for i in range(len(sheets)))
            ),
        )
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr(
            "xl/workbook.xml",
            _WORKBOOK.format(
                sheets="".join(
                    f'<sheet name="{_attr(s.title)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                    for i, s in enumerate(sheets)
                )
            ),
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            _WORKBOOK_RELS.format(
                sheets="".join(
                    f'<Relationship Id="rId{i + 1}" Type="{_REL}/worksheet" '
                    f'Target="worksheets/sheet{i + 1}.xml"/>'
                    for i in range(len(sheets))
                )
            ),
        )
        z.writestr("xl/styles.xml", _STYLES)
        for i, sheet in enumerate(sheets):
            z.writestr(f"xl/worksheets/sheet{i + 1}.xml", _sheet_xml(sheet))
    return buffer.getvalue()


def _sheet_xml(sheet: Sheet) -> str:
    parts = [_SHEET_HEAD]
    if sheet.widths:
        parts.append("<cols>")
        for i, width in enumerate(sheet.widths):
            parts.append(f'<col min="{i + 1}" max="{i + 1}" width="{width:.1f}" customWidth="1"/>')
        parts.append("</cols>")
    parts.append("<sheetData>")
    letters = [column_letter(i) for i in range(max((len(r) for r in sheet.rows), default=0))]
    for r, row in enumerate(sheet.rows, start=1):
        parts.append(f'<row r="{r}">')
        for c, value in enumerate(row):
            ref = f"{letters[c]}{r}"
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                value = "ja" if value else "nej"
            if isinstance(value, float) and not math.isfinite(value):
                continue
            if isinstance(value, int | float):
                parts.append(f'<c r="{ref}"><v>{value!r}</v></c>')
            else:
                s_attr = f' s="{STYLE_HEADER}"' if r == 1 else ""
                text = escape(_ILLEGAL_XML.sub("", str(value)))
                parts.append(
                    f'<c r="{ref}"{s_attr} t="inlineStr">'
                    f'<is><t xml:space="preserve">{text}</t></is></c>'
                )
        parts.append("</row>")
    parts.append("</sheetData></worksheet>")
    return "".join(parts)


def _attr(text: str) -> str:
    return escape(_ILLEGAL_XML.sub("", text), {'"': "&quot;"})


# --- tables: what the site and the mails put in a workbook ---------------------------------

Cell = str | int | float | None
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Table:
    title: str  # sheet name (max 31 characters)
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def neutralise(value: Cell) -> Cell:
    """Text that a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """One sheet per table: bold frozen header, real numbers, neutralised text."""
    sheets = [
        Sheet(
            table.title,
            [
                [neutralise(c) for c in table.columns],
                *([neutralise(c) for c in row] for row in table.rows),
            ],
            widths=_widths(table),
        )
        for table in tables
    ]
    return write_xlsx(sheets)


def _widths(table: Table) -> list[float]:
    """Wide enough for the header and the longest value, so no text is cut off on opening."""
    longest = [len(str(c)) for c in table.columns]
    for row in table.rows:
        for i, cell in enumerate(row):
            if cell is not None:
                longest[i] = max(longest[i], len(str(cell)))
    return [max(10, min(70, n + 2)) for n in longest]


# The same quantities under the same labels in every sheet (areas, provisions, open data).
RATE_AND_COUNT_COLUMNS = (
    "Omgørelsesprocent",
    "Realitetsbehandlede sager",
    "Stadfæstet",
    "Ændret/ophævet",
    "Hjemvist",
    "Afvist/henvist (indgår ikke)",
)
UNROUNDED = "ikke afrundet"


def figure_columns(threshold: int) -> tuple[str, ...]:
    """A figure as shown (whole percent, as on the map and in the mail)."""
    return (
        *RATE_AND_COUNT_COLUMNS,
        "95 %-usikkerhedsinterval, nedre",
        "95 %-usikkerhedsinterval, øvre",
        f"Få sager (under {threshold})",
        "Ændring fra året før (procentpoint)",
    )


def figure_cells(f: Figure, shown: ShownFigure) -> tuple[Cell, ...]:
    """The cells under figure_columns: the shown values, never a rounding of their own."""
    return (
        shown.rate,
        f.realitetsbehandlede,
        f.stadfaestet,
        f.aendret_ophaevet,
        f.hjemvist,
        f.afvist,
        shown.ci_lav,
        shown.ci_hoej,
        "ja" if f.lav_n else "nej",
        shown.change,
    )


UNROUNDED_COLUMNS = (
    f"Omgørelsesprocent, {UNROUNDED}",
    f"95 %-usikkerhedsinterval, nedre, {UNROUNDED}",
    f"95 %-usikkerhedsinterval, øvre, {UNROUNDED}",
    f"Ændring fra året før, {UNROUNDED} (procentpoint)",
)


def unrounded_cells(f: Figure) -> tuple[Cell, ...]:
    """The cells under UNROUNDED_COLUMNS: the figures' full precision, for calculations."""
    return (f.omgoerelsesprocent, f.ci_lav, f.ci_hoej, f.aendring_pp)


ROUNDING_NOTE = (
    "Procenter vises som hele tal, afrundet halvt op (18,5 bliver 19), som på kortet og i "
    "mailen. Ændringen fra året før er forskellen mellem de to viste procenter, så den kan "
    f"regnes efter. Kolonnerne »{UNROUNDED}« har tallene med fuld præcision."
)


def about_table(
    *,
    extract_file: str,
    extract_id: str,
    received: str,
    software_version: str,
    threshold: int,
) -> Table:
    """Where the figures came from (the audit trail) and how they are rounded."""
    rows: tuple[tuple[Cell, ...], ...] = (
        ("Udtræk", extract_file),
        ("Udtrækkets id (SHA-256)", extract_id),
        ("Modtaget", received),
        ("Programversion", software_version),
        ("Grænse for få sager", threshold),
        (
            "Omgørelsesprocent",
            "(ændret/ophævet + hjemvist) / realitetsbehandlede × 100; afviste/henviste sager "
            "indgår ikke",
        ),
        ("Afrunding", ROUNDING_NOTE),
    )
    return Table("Om tallene", ("Felt", "Værdi"), rows)

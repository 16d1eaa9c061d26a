"""A small, strict XLSX (Office Open XML spreadsheet) writer for the mail attachments.

Why not openpyxl: it costs about 10 ms per workbook here (styles, theme and a generic XML
serialiser), which alone breaks the budget of composing all 98 mails in under a second. The
attachments need only what this module writes: sheets of text and numbers, a bold header
row, a frozen header, column widths and one number format. Text is written as inline
strings, numbers as numbers. Tests read every workbook back with openpyxl.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Sequence
from xml.sax.saxutils import escape

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")

STYLE_DEFAULT, STYLE_HEADER, STYLE_DECIMAL = 0, 1, 2

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
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="0.0"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
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
        decimal_columns: frozenset[int] = frozenset(),
        widths: Sequence[float] = (),
    ):
        self.title = sheet_title(title)
        self.rows = rows
        self.decimal_columns = decimal_columns
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
                style = STYLE_DECIMAL if (c in sheet.decimal_columns and r > 1) else STYLE_DEFAULT
                s_attr = f' s="{style}"' if style else ""
                parts.append(f'<c r="{ref}"{s_attr}><v>{value!r}</v></c>')
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

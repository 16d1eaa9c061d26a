"""Reading an extract (docs/design.md §3, a contract): CSV or XLSX, either shape, into one table.

Tolerant where senders differ (encoding, separator, header spelling, title rows above the
header, Excel's trailing empty columns), strict where it matters (which columns are there,
rows that have more fields than the header). Problems go to the report with their line;
nothing is guessed silently. The content decides the format; csv_reader and xlsx_reader
read it, table holds what both share.
"""

from __future__ import annotations

import re

from danmarkskort.compute.csv_reader import read_csv
from danmarkskort.compute.report import Report
from danmarkskort.compute.table import Table, within_bounds
from danmarkskort.compute.xlsx_reader import read_xlsx

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Excel (.xls), old Word, ...
_OTHER_FORMATS = (
    (b"%PDF", "en PDF-fil"),
    (b"\x1f\x8b", "en gzip-komprimeret fil"),
    (b"{\\rtf", "et RTF-dokument"),
    (b"Rar!", "et RAR-arkiv"),
    (b"7z\xbc\xaf", "et 7-Zip-arkiv"),
)
_BLANK = re.compile(rb"[ \t\r\n\x00\xef\xbb\xbf]*")
_MARKUP = (b"<!doctype html", b"<html", b"<table", b"<?xml", b"<workbook")


def read_extract(data: bytes, filename: str, report: Report) -> Table | None:
    """The extract as a Table, or None when it cannot be read (the reasons are in the report).

    The content decides the format, not the file name: a '.csv' that is really a workbook
    is read as XLSX, and a text file named '.xlsx' or '.xls' as CSV (noted in the facts).
    """
    if _BLANK.fullmatch(data):  # a scan, not a 200 MB copy of a file that starts blank
        report.error("empty", "Filen indeholder ingen data.")
        return None
    named = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if data[:4] == XLSX_MAGIC:
        table = _bounded(read_xlsx(data, report), report)
        if table is not None and named not in ("xlsx", "xlsm"):
            table.facts["format"] += f" (filnavnet siger .{named or '?'}, indholdet er XLSX)"
        return table
    if data[:8] == OLE_MAGIC and "EncryptedPackage".encode("utf-16-le") in data[:65536]:
        report.error(
            "unreadable",
            "Filen er beskyttet med adgangskode (krypteret Excel-fil) og kan ikke læses. Gem "
            "den uden adgangskode som «Excel-projektmappe (.xlsx)» eller «CSV UTF-8».",
        )
        return None
    if data[:8] == OLE_MAGIC:
        report.error(
            "unreadable",
            "Filen er i Excels gamle format (.xls, Excel 97-2003), som ikke kan læses. Åbn den i "
            "Excel og gem den som «Excel-projektmappe (.xlsx)» eller som «CSV UTF-8».",
        )
        return None
    head = data[:512].lstrip(b" \t\r\n\xef\xbb\xbf").lower()
    for magic, what in _OTHER_FORMATS:
        if data.startswith(magic):
            report.error("unreadable", f"Filen er {what}, ikke CSV eller XLSX.")
            return None
    if head.startswith(_MARKUP):
        report.error(
            "unreadable",
            "Filen er en HTML- eller XML-side (fx «Gem som webside» eller «XML-regneark» fra "
            "Excel), ikke CSV eller XLSX. Gem den som «Excel-projektmappe (.xlsx)» eller "
            "«CSV UTF-8».",
        )
        return None
    table = _bounded(read_csv(data, report), report)
    if table is not None and named in ("xlsx", "xlsm", "xls"):
        table.facts["format"] += f" (filnavnet siger .{named}, indholdet er tekst)"
    return table


def _bounded(table: Table | None, report: Report) -> Table | None:
    return table if table is None or within_bounds(table, report) else None

"""Reading an XLSX extract into a Table: the first visible worksheet, read with python-calamine.

calamine builds a whole sheet in memory as one dense grid of rows × columns, and a zip is
cheap to make huge: 20 million empty rows, a gigabyte of spaces or one 400 MB text fit in a
few hundred KB. Lambda kills compute_rates at 2,048 MB without a word (no report, retries,
the failure queue), so every cost is bounded before calamine reads the sheet: the zip's
central directory (parts, uncompressed sizes, compression ratios) and one streamed pass over
the sheet's XML (rows, the span of its cells, the longest text without markup, the copies
of shared texts calamine makes). Each exceeded limit is a rejection naming the limit and
what was found; Excel's own limits (rows, columns, characters per cell) are the natural ones.

The same pass finds what calamine shows as an empty cell: a formula without a computed
value (an error naming the cell) and an error value such as #N/A (read as its text, as
Excel shows it). A hidden first sheet is never read: the first visible one is.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from danmarkskort.compute.report import Report, shown
from danmarkskort.compute.table import (
    HEADER_SEARCH_ROWS,
    Table,
    choose_header,
    drop_blank_rows,
    make_frame,
    match_header,
    note_layout,
)

if TYPE_CHECKING:  # python-calamine is imported only where an XLSX extract is read
    from python_calamine import CalamineSheet, CalamineWorkbook

MiB = 1024 * 1024
# Excel's own limits: a workbook beyond them was not written by Excel.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
EXCEL_MAX_CELL_CHARS = 32_767
# Our limits, chosen so that the largest workbook accepted stays well under the function's
# 2,048 MB (measured figures in bench/xlsx_reader.py's docstring).
MAX_CELLS = 8_388_608  # rows × columns of the grid calamine builds: 1,048,576 rows × 8 columns
MAX_SHEET_XML_BYTES = 512 * MiB  # a sheet's XML unpacked (1,048,576 case rows take ~430 MB)
MAX_SHARED_STRINGS_XML_BYTES = 128 * MiB  # xl/sharedStrings.xml unpacked
MAX_SHARED_STRINGS = 2_097_152  # distinct texts in xl/sharedStrings.xml
MAX_SHARED_TEXT_BYTES = 256 * MiB  # the shared texts calamine copies into the sheet's cells
MAX_META_XML_BYTES = 16 * MiB  # xl/workbook.xml, its relationships, xl/styles.xml
MAX_COMPRESSION_RATIO = 100  # unpacked / packed; Excel's sheets pack 5-15 times
RATIO_FREE_BYTES = 1 * MiB  # parts smaller than this unpacked are not judged by their ratio
MAX_ZIP_ENTRIES = 10_000  # a workbook from Excel has tens of parts, a few hundred at most
MAX_CENTRAL_DIRECTORY_BYTES = 4 * MiB
# The longest stretch of XML without a tag: a cell's text at Excel's limit, even written
# with character references (up to 8 bytes a character).
MAX_TEXT_RUN_BYTES = 8 * EXCEL_MAX_CELL_CHARS
OTHER_SHEET_PEEK_BYTES = 1 * MiB  # read of another sheet to tell whether it holds data
OTHER_SHEETS_PEEKED = 64  # other sheets looked at for data (a message's hint, no more)

_CHUNK = 4 * MiB
_MEMO_LIMIT = 65_536  # distinct values a column remembers the text of (repeated values)
_STRICT_NS = b"http://purl.oclc.org/ooxml/spreadsheetml/main"
_FOLD = bytes.maketrans(b":>/\t\n\r", b"<     ")  # '<x:c>' and '<c/>' both count as '<c '
_PAD = bytes(16)
_SAVE_AS = "Gem den igen fra Excel som «Excel-projektmappe (.xlsx)», eller send «CSV UTF-8»."


def cell_text(value: object) -> str:
    """A cell as the text the validation reads: dates as ISO dates, whole numbers without .0."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class _Refused(Exception):
    """A workbook that is not read; code and Danish message go to the report."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def read_xlsx(data: bytes, report: Report) -> Table | None:
    """The first visible worksheet as a Table, or None (the reasons are in the report)."""
    if b"mimetypeapplication/vnd.oasis.opendocument" in data[:100]:
        report.error(
            "unreadable",
            "Filen er et OpenDocument-regneark (.ods). Gem den som «Excel-projektmappe (.xlsx)» "
            "eller som «CSV UTF-8».",
        )
        return None
    try:
        return _read(data, report)
    except _Refused as refused:
        report.error(refused.code, refused.message)
        return None


def _read(data: bytes, report: Report) -> Table | None:
    zf = _open_zip(data)
    package = _Package(zf)
    sheets = package.sheets()
    shared = package.shared_strings()
    workbook = _open_calamine(data)
    try:
        return _read_workbook(workbook, package, sheets, shared, report)
    except (_Refused, MemoryError):
        raise
    except Exception as exc:  # a broken part deep inside the zip shows only while reading
        raise _broken(exc) from exc
    finally:
        workbook.close()


def _broken(exc: BaseException) -> _Refused:
    return _Refused(
        "unreadable",
        "XLSX-filen er beskadiget og kan ikke læses til ende "
        f"({type(exc).__name__}: {shown(str(exc), 200)}). Gem den igen fra Excel.",
    )


def _n(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def _mb(size: int) -> str:
    """Megabytes the Danish way: '1.234,5' (a whole number without decimals: '512')."""
    text = f"{size / MiB:,.0f}" if size % MiB == 0 else f"{size / MiB:,.1f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


# --- the zip ---------------------------------------------------------------------------------


def _open_zip(data: bytes) -> zipfile.ZipFile:
    """The zip, once its central directory is known to be of a workbook's size."""
    entries, directory = _central_directory_size(data)
    if entries > MAX_ZIP_ENTRIES or directory > MAX_CENTRAL_DIRECTORY_BYTES:
        raise _Refused(
            "too_large",
            f"XLSX-filen består af {_n(entries)} dele ({_mb(directory)} MB indholdsfortegnelse); "
            f"grænsen er {_n(MAX_ZIP_ENTRIES)} dele. En projektmappe fra Excel har nogle få "
            f"hundrede. {_SAVE_AS}",
        )
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # BadZipFile, and struct/OS errors for a mangled directory
        raise _Refused(
            "unreadable", f"Filen kan ikke læses som XLSX (Excel): {shown(str(exc), 200)}"
        ) from exc


def _central_directory_size(data: bytes) -> tuple[int, int]:
    """(entries, bytes) of the central directory, from the end record, before zipfile reads
    it (zipfile makes an object per entry). (0, 0) when there is no end record: zipfile then
    says what is wrong."""
    tail_start = max(0, len(data) - 65_557)
    at = data.rfind(b"PK\x05\x06", tail_start)
    if at < 0 or at + 22 > len(data):
        return 0, 0
    entries, size = struct.unpack_from("<xxxxxxxxxxHI", data, at)
    locator = at - 20
    if locator >= 0 and data[locator : locator + 4] == b"PK\x06\x07":
        (offset,) = struct.unpack_from("<8xQ", data, locator)
        if offset + 56 <= len(data) and data[offset : offset + 4] == b"PK\x06\x06":
            entries, size = struct.unpack_from("<32xQQ", data, offset)
    return entries, size


def _part_label(name: str, sheet: str | None) -> str:
    if sheet is not None:
        return f"arket «{shown(sheet, 40)}»"
    if name.lower().endswith("sharedstrings.xml"):
        return "tabellen over tekster (xl/sharedStrings.xml)"
    return f"delen {shown(name, 60)}"


def _check_part(info: zipfile.ZipInfo, limit: int, label: str) -> None:
    """The part's unpacked size and compression ratio, as the central directory states them
    (zipfile stops at the stated size and checks the CRC, so a lie is caught while reading)."""
    if info.flag_bits & 0x1:
        raise _Refused(
            "unreadable",
            "Filen er beskyttet med adgangskode og kan ikke læses. Gem den uden adgangskode som "
            "«Excel-projektmappe (.xlsx)» eller «CSV UTF-8».",
        )
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _Refused(
            "unreadable",
            f"XLSX-filen er pakket på en måde, Excel ikke bruger (metode {info.compress_type} "
            f"i {shown(info.filename, 60)}). {_SAVE_AS}",
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > RATIO_FREE_BYTES and ratio > MAX_COMPRESSION_RATIO:
        raise _Refused(
            "too_large",
            f"{label[0].upper()}{label[1:]} pakker sig ud fra {_mb(info.compress_size)} MB til "
            f"{_mb(info.file_size)} MB ({_n(round(ratio))} gange; grænsen er "
            f"{MAX_COMPRESSION_RATIO} gange). Så tæt pakker et regneark med data ikke: filen "
            "er fyldt op med tomme rækker, mellemrum eller gentagelser. Slet de tomme rækker "
            f"og kolonner under og til højre for tabellen. {_SAVE_AS}",
        )
    if info.file_size > limit:
        raise _Refused(
            "too_large",
            f"{label[0].upper()}{label[1:]} fylder {_mb(info.file_size)} MB udpakket; grænsen er "
            f"{_mb(limit)} MB. Del udtrækket op pr. år, eller send det som «CSV UTF-8».",
        )


def _blocks(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int | None = None
) -> Iterator[bytes]:
    """The part unpacked in pieces (at most `limit` bytes); a broken part is refused."""
    try:
        with zf.open(info) as f:
            read = 0
            while block := f.read(_CHUNK if limit is None else min(_CHUNK, limit - read)):
                read += len(block)
                yield block
                if limit is not None and read >= limit:
                    return
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise _broken(exc) from exc
    except (NotImplementedError, RuntimeError) as exc:  # unsupported method, encryption
        raise _Refused(
            "unreadable", f"Filen kan ikke læses som XLSX (Excel): {shown(str(exc), 200)}"
        ) from exc


def _segments(blocks: Iterable[bytes], label: str) -> Iterator[bytes]:
    """XML in pieces cut after a row's end tag (or, failing that, after a '>'), so that no
    cell and no tag is split between two pieces."""
    carry = b""
    for block in blocks:
        buf = carry + block if carry else block
        cut = buf.rfind(b"row>") + 4
        if cut < 4:
            cut = buf.rfind(b">") + 1
        if cut <= 0:
            carry = buf
            if len(carry) > 2 * _CHUNK:  # the text-run check refuses such a file first
                raise _Refused("unreadable", f"XLSX-filen er beskadiget ({label} er ikke XML).")
            continue
        yield buf[:cut]
        carry = buf[cut:]
    if carry:
        yield carry


class _Runs:
    """The longest stretch without a tag ('<'): a cell's text, or whitespace padding."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.run = 0

    def feed(self, block: bytes) -> None:
        first = block.find(b"<")
        if first < 0:
            self.run += len(block)
            self._check(self.run, block)
            return
        self._check(self.run + first, block[:first])
        last = block.rfind(b"<")
        window = MAX_TEXT_RUN_BYTES // 2  # a longer stretch holds a whole window
        for start in range(first + 1, last, window):
            if block.find(b"<", start, min(start + window, last)) < 0:
                begin = block.rfind(b"<", 0, start) + 1
                end = block.find(b"<", start)
                self._check(end - begin, block[begin:end])
        self.run = len(block) - last - 1

    def _check(self, run: int, sample: bytes) -> None:
        if run <= MAX_TEXT_RUN_BYTES:
            return
        if not sample[sample.find(b">") + 1 :].strip():  # after the end of the tag it follows
            raise _Refused(
                "too_large",
                f"{self.label[0].upper()}{self.label[1:]} indeholder mindst {_n(run)} mellemrum "
                "eller linjeskift i træk uden data; sådan skriver Excel ikke et regneark. "
                + _SAVE_AS,
            )
        raise _Refused(
            "too_large",
            f"En celle eller en anden tekst i {self.label} fylder mindst {_n(run)} byte; Excel "
            f"tillader højst {_n(EXCEL_MAX_CELL_CHARS)} tegn i en celle. Er noget andet end "
            "tabellen endt i arket, fx et indsat dokument?",
        )


# --- the workbook's parts ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sheet:
    name: str
    state: str  # visible, hidden or veryHidden
    path: str  # the part in the zip, as calamine finds it


@dataclass
class _SharedStrings:
    count: int = 0
    longest: int = 0  # bytes of XML of the longest text (its text is no longer)
    lengths: array[int] = field(default_factory=lambda: array("q"))  # per index, XML bytes


class _Package:
    """The zip's parts, found as calamine finds them (names compared ignoring case)."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.infos = {i.filename.lower(): i for i in zf.infolist()}

    def find(self, name: str) -> zipfile.ZipInfo | None:
        return self.infos.get(name.lower())

    def read_meta(self, name: str) -> bytes | None:
        info = self.find(name)
        if info is None:
            return None
        _check_part(info, MAX_META_XML_BYTES, _part_label(name, None))
        return b"".join(_blocks(self.zf, info))

    def sheets(self) -> list[_Sheet]:
        """The workbook's sheets in order, once the workbook is known to be ordinary XLSX."""
        wb = self.read_meta("xl/workbook.xml")
        if wb is None:
            raise _Refused("unreadable", self._not_a_workbook())
        if _STRICT_NS in wb[:4096]:
            raise _Refused(
                "unreadable",
                "Filen er gemt som «Strict Open XML-regneark», som ikke kan læses. Åbn den i "
                "Excel, vælg Filer › Gem som, og gem den som «Excel-projektmappe (.xlsx)» "
                "(ikke «Strict Open XML-regneark»), eller som «CSV UTF-8».",
            )
        for name in ("xl/styles.xml", "_rels/.rels", "[Content_Types].xml"):
            if (info := self.find(name)) is not None:  # calamine reads them on opening
                _check_part(info, MAX_META_XML_BYTES, _part_label(info.filename, None))
        if self.find("_rels/.rels") is None:
            raise _Refused(
                "unreadable",
                "XLSX-filen er beskadiget: den mangler sin indholdsliste (_rels/.rels). "
                + _SAVE_AS,
            )
        rels = _relationships(self.read_meta("xl/_rels/workbook.xml.rels") or b"")
        sheets = []
        try:
            for _event, elem in _iterparse(wb):
                tag = elem.tag.rsplit("}", 1)[-1]
                if tag == "sheet":
                    rid = next((v for k, v in elem.attrib.items() if k.endswith("}id")), "")
                    target = rels.get(rid, "")
                    if target.startswith("/xl/"):
                        path = target[1:]
                    elif target.startswith("xl/"):
                        path = target
                    else:
                        path = "xl/" + target
                    sheets.append(_Sheet(elem.get("name", ""), elem.get("state", "visible"), path))
                elif tag == "sheets":
                    break
                elem.clear()
        except ElementTree.ParseError as exc:
            raise _broken(exc) from exc
        return sheets

    def _not_a_workbook(self) -> str:
        names = self.infos.keys()
        if "xl/workbook.bin" in names:
            return (
                "Filen er en binær Excel-projektmappe (.xlsb), som ikke kan læses. Åbn den i "
                "Excel og gem den som «Excel-projektmappe (.xlsx)» eller som «CSV UTF-8»."
            )
        if "word/document.xml" in names:
            return "Filen er et Word-dokument (.docx), ikke CSV eller XLSX."
        if "ppt/presentation.xml" in names:
            return "Filen er en PowerPoint-præsentation (.pptx), ikke CSV eller XLSX."
        return (
            "Filen er et ZIP-arkiv, men ikke en Excel-projektmappe (den har ingen "
            "xl/workbook.xml). Send udtrækket som «Excel-projektmappe (.xlsx)» eller «CSV UTF-8»."
        )

    def shared_strings(self) -> _SharedStrings:
        """Count and lengths of the shared texts, before calamine loads them on opening."""
        info = self.find("xl/sharedStrings.xml")
        shared = _SharedStrings()
        if info is None:
            return shared
        label = _part_label(info.filename, None)
        _check_part(info, MAX_SHARED_STRINGS_XML_BYTES, label)
        runs = _Runs(label)
        first = True
        for seg in _segments(_runs_fed(_blocks(self.zf, info), runs), label):
            lengths = array("q", map(len, _SI.split(seg)))
            if first:
                del lengths[0]  # what stands before the first text
                first = False
            elif len(shared.lengths):
                shared.lengths[-1] += lengths[0]  # the rest of the previous text
                del lengths[0]
            else:
                del lengths[0]
            shared.lengths.extend(lengths)
            if len(shared.lengths) > MAX_SHARED_STRINGS:
                raise _Refused(
                    "too_large",
                    f"XLSX-filen har over {_n(MAX_SHARED_STRINGS)} forskellige tekster; det er "
                    f"grænsen. {_SAVE_AS}",
                )
        shared.count = len(shared.lengths)
        shared.longest = max(shared.lengths, default=0)
        return shared


_SI = re.compile(rb"<(?:[\w.-]+:)?si\b")


def _runs_fed(blocks: Iterable[bytes], runs: _Runs) -> Iterator[bytes]:
    for block in blocks:
        runs.feed(block)
        yield block


def _iterparse(xml: bytes) -> Iterator[tuple[str, ElementTree.Element]]:
    """ElementTree's parser on a small part without a DTD: expat resolves no external
    entities, and a part declaring entities (the billion laughs) is refused first."""
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise _Refused(
            "unreadable", f"XLSX-filen indeholder en DTD, som Excel ikke skriver. {_SAVE_AS}"
        )
    return ElementTree.iterparse(io.BytesIO(xml), events=("end",))  # noqa: S314 (no DTD)


def _relationships(xml: bytes) -> dict[str, str]:
    rels: dict[str, str] = {}
    try:
        for _event, elem in _iterparse(xml):
            if elem.tag.rsplit("}", 1)[-1] == "Relationship":
                rels[elem.get("Id", "")] = elem.get("Target", "")
            elem.clear()
    except ElementTree.ParseError as exc:
        raise _broken(exc) from exc
    return rels


def _open_calamine(data: bytes) -> CalamineWorkbook:
    from python_calamine import CalamineWorkbook  # only XLSX extracts pay for the import

    try:
        return CalamineWorkbook.from_object(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own kinds for a broken file
        raise _Refused(
            "unreadable", f"Filen kan ikke læses som XLSX (Excel): {shown(str(exc), 200)}"
        ) from exc
    except BaseException as exc:  # a Rust panic (pyo3's PanicException) is no Exception
        if type(exc).__name__ != "PanicException":
            raise
        raise _broken(exc) from exc


# --- one pass over the sheet's XML -----------------------------------------------------------


@dataclass
class _SheetScan:
    """What the sheet's XML holds, as far as the bounds and calamine's blind spots go."""

    rows: int = 0  # row elements
    cells: int = 0  # cell elements (a repeated cell counts each time)
    min_row: int = EXCEL_MAX_ROWS  # 1-based, over every reference in the sheet
    max_row: int = 0
    min_col: int = EXCEL_MAX_COLUMNS  # 1-based
    max_col: int = 0
    shared_text: int = 0  # bytes of shared text the cells copy (when counted)
    uncomputed: list[tuple[int | None, int | None, str]] = field(default_factory=list)
    errors: dict[int, dict[int, str]] = field(default_factory=dict)  # row -> col -> '#N/A'
    error_cells: int = 0

    def span(self) -> tuple[int, int]:
        """(rows, columns) of the grid calamine builds, an upper bound."""
        if not self.max_row or not self.max_col:
            return 0, 0
        return self.max_row - self.min_row + 1, self.max_col - self.min_col + 1

    def see_rows(self, lo: int, hi: int) -> None:
        self.min_row = min(self.min_row, lo)
        self.max_row = max(self.max_row, hi)
        if hi > EXCEL_MAX_ROWS:
            raise _Refused(
                "too_large",
                f"Arket når til række {_n(hi)}; Excel tillader højst "
                f"{_n(EXCEL_MAX_ROWS)} rækker. Filen er ikke skrevet af Excel. {_SAVE_AS}",
            )

    def see_cols(self, lo: int, hi: int) -> None:
        self.min_col = min(self.min_col, lo)
        self.max_col = max(self.max_col, hi)
        if hi > EXCEL_MAX_COLUMNS:
            raise _Refused(
                "too_large",
                f"Arket når til kolonne {_n(hi)}; Excel tillader højst "
                f"{_n(EXCEL_MAX_COLUMNS)} kolonner. Filen er ikke skrevet af Excel. {_SAVE_AS}",
            )


class _Irregular(Exception):
    """The fast pass cannot vouch for the sheet (prefixed tags, cells without a reference):
    the exact pass simulates calamine instead."""


def _scan_sheet(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, shared: np.ndarray | None = None
) -> _SheetScan:
    """The sheet's XML in one pass (two for unusual writers); `shared` (the shared texts'
    lengths) when the copies calamine makes of them must be counted."""
    try:
        return _scan(zf, info, label, exact=False, shared=shared)
    except _Irregular:
        return _scan(zf, info, label, exact=True, shared=shared)


def _scan(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    label: str,
    *,
    exact: bool,
    shared: np.ndarray | None = None,
) -> _SheetScan:
    scan = _SheetScan()
    runs = _Runs(label)
    state = _Counters()
    first = True
    prefix = b""
    for seg in _segments(_runs_fed(_blocks(zf, info), runs), label):
        if first:
            _check_dimension(seg, label)
            if m := _ROOT_PREFIX.search(seg, 0, 64 * 1024):
                prefix = m.group(1)
            first = False
        if prefix:  # '<x:c r="A1">' is calamine's '<c r="A1">': it reads local names
            seg = seg.replace(b"<" + prefix, b"<").replace(b"</" + prefix, b"</")
        folded = seg.translate(_FOLD)
        cells = folded.count(b"<c ")
        rows = folded.count(b"<row ")
        if exact:
            _exact_refs(seg, cells + rows, scan, state)
        else:
            _fast_refs(seg, cells, rows, scan)
        scan.cells += cells
        scan.rows += rows
        _check_counts(scan, label)
        if b"<f " in folded:
            _find_uncomputed(seg, scan)
        if b't="e"' in seg:
            _find_errors(seg, scan)
        if shared is not None:
            scan.shared_text += _shared_text(seg, folded, shared)
    return scan


_ROOT_PREFIX = re.compile(rb"<([A-Za-z_][\w.-]*:)worksheet\b")


def _check_counts(scan: _SheetScan, label: str) -> None:
    if scan.rows > EXCEL_MAX_ROWS:
        raise _Refused(
            "too_large",
            f"{label[0].upper()}{label[1:]} har over {_n(EXCEL_MAX_ROWS)} rækker (fx tomme "
            f"rækker under tabellen); Excel tillader højst {_n(EXCEL_MAX_ROWS)}. Slet de tomme "
            f"rækker, eller del udtrækket op pr. år. {_SAVE_AS}",
        )
    if scan.cells > MAX_CELLS:
        raise _Refused(
            "too_large",
            f"{label[0].upper()}{label[1:]} har over {_n(MAX_CELLS)} celler; det er grænsen. "
            "Slet kolonner, der ikke bruges, eller del udtrækket op pr. år.",
        )


_DIMENSION = re.compile(
    rb'<(?:[\w.-]+:)?dimension\s+ref\s*=\s*["\']([A-Za-z]*)(\d*)(?::([A-Za-z]*)(\d*))?'
)


def _check_dimension(head: bytes, label: str) -> None:
    """The area the sheet declares (<dimension ref="A1:G20000000">) within Excel's limits."""
    m = _DIMENSION.search(head, 0, 64 * 1024)
    if not m:
        return
    col = m.group(3) or m.group(1)
    row = m.group(4) or m.group(2)
    rows = int(row) if row else 0
    cols = _col_number(col) if col else 0
    if rows > EXCEL_MAX_ROWS or cols > EXCEL_MAX_COLUMNS:
        ref = m.group(0).split(b"=", 1)[1].strip(b" \"'").decode("ascii", "replace")
        raise _Refused(
            "too_large",
            f"{label[0].upper()}{label[1:]} angiver sit område som {shown(ref, 40)} "
            f"({_n(rows)} rækker, {_n(cols)} kolonner); Excel tillader højst "
            f"{_n(EXCEL_MAX_ROWS)} rækker og {_n(EXCEL_MAX_COLUMNS)} kolonner. Filen er ikke "
            f"skrevet af Excel. {_SAVE_AS}",
        )


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _fast_refs(seg: bytes, cells: int, rows: int, scan: _SheetScan) -> None:
    """Cell and row references read vectorised, where every cell is written '<c r="A1"'
    and every row '<row r="1"' (Excel, openpyxl, LibreOffice, POI): then the counts of
    cell and row tags of any spelling ('<x:c>', '<c/>') equal the references found, and
    the references are all there is. Anything else is _Irregular."""
    a = np.frombuffer(_PAD + seg + _PAD, dtype=np.uint8)
    eq = np.flatnonzero(a == 61)  # '='
    eq = eq[(a[eq + 1] == 34) & (a[eq - 1] == 114) & (a[eq - 2] == 32)]  # ' r="'
    cell = eq[(a[eq - 3] == 99) & (a[eq - 4] == 60)]  # '<c r="'
    row = eq[(a[eq - 3] == 119) & (a[eq - 4] == 111) & (a[eq - 5] == 114) & (a[eq - 6] == 60)]
    if len(cell) != cells or len(row) != rows:
        raise _Irregular
    windows = np.lib.stride_tricks.sliding_window_view(a, 12)
    if len(row):
        scan.see_rows(*_bounds(windows[row + 2], _digit_count(windows[row + 2])))
    if len(cell):
        at = windows[cell + 2]
        upper = (at[:, :4] >= 65) & (at[:, :4] <= 90)
        letters = np.argmin(upper, axis=1)  # the first non-letter
        if not ((letters >= 1) & (letters <= 3)).all():
            raise _Irregular
        scan.see_cols(*_bounds(at, letters, base=26))
        digits = windows[cell + 2 + letters]
        scan.see_rows(*_bounds(digits, _digit_count(digits)))


def _digit_count(at: np.ndarray) -> np.ndarray:
    """Digits (1-8) at the start of each window, up to the closing quote; _Irregular when a
    reference is not written so."""
    digit = (at[:, :9] >= 48) & (at[:, :9] <= 57)
    end = np.argmin(digit, axis=1)
    if not ((end >= 1) & (at[np.arange(len(at)), end] == 34)).all():
        raise _Irregular
    return end


def _bounds(at: np.ndarray, length: np.ndarray, base: int = 10) -> tuple[int, int]:
    """The least and greatest number written at the windows' starts (`length` digits, or
    column letters for base 26): the longest ones are the greatest, and among equally long
    ones the bytes compare as the numbers do, so only those two are decoded."""
    keys = np.ascontiguousarray(at[:, :8]).view(">u8").ravel()
    ends = []
    for pick, extreme in ((np.argmin, length.min()), (np.argmax, length.max())):
        among = np.flatnonzero(length == extreme)
        i = int(among[pick(keys[among])])
        text = bytes(at[i, : length[i]])
        ends.append(int(text) if base == 10 else _col_number(text))
    return ends[0], ends[1]


def _weighted(at: np.ndarray, end: np.ndarray, most: int, zero: int, base: int) -> np.ndarray:
    """The numbers of `end` digits (base 10, or 26 for column letters) at each window's
    start: summed column by column (numpy's integer matmul is slow)."""
    value = np.zeros(len(at), dtype=np.int64)
    for j in range(most):
        digit = at[:, j].astype(np.int64) - zero
        value = np.where(j < end, value * base + digit, value)
    return value


@dataclass
class _Counters:
    """calamine's position counters, for cells and rows written without a reference."""

    row: int = 0  # 0-based, as calamine counts
    col: int = 0


_TAG = re.compile(rb"<(/?)([^\s<>/!?]+:)?(row|c)(?=[\s/>])((?:[^>\"']+|\"[^\"]*\"|'[^']*')*)>")
_R_ATTR = re.compile(rb"(?:^|\s)r\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_REF = re.compile(rb"([A-Za-z]{0,3})(\d{1,10})")


def _exact_refs(seg: bytes, tags: int, scan: _SheetScan, state: _Counters) -> None:
    """Every row and cell tag in order, placed as calamine places it: by its reference, or
    after the previous one where it has none. About 1 µs a tag; for unusual writers only."""
    if b"<!" in seg:  # a comment or CDATA could hide tags from this pass but not from XML
        raise _Refused(
            "unreadable",
            "Arkets XML indeholder kommentarer eller CDATA og er ikke skrevet, som Excel skriver "
            f"et regneark. {_SAVE_AS}",
        )
    counted = 0
    row, col = state.row, state.col  # 0-based, as calamine counts
    lo_r = lo_c = 1 << 62
    hi_r = hi_c = 0
    for end, prefix, name, attrs in _TAG.findall(seg):
        if not end or prefix:
            counted += 1  # what seg.translate(_FOLD).count() counted
        if end:
            if name == b"row":
                row += 1
                col = 0
            continue
        ref = _R_ATTR.search(attrs) if b"r" in attrs else None
        if name == b"row":
            if ref is not None:
                row = _ref(ref.group(1) or ref.group(2) or b"", row_only=True)[0] - 1
            lo_r, hi_r = min(lo_r, row + 1), max(hi_r, row + 1)
            if attrs[-1:] == b"/":
                row += 1
                col = 0
            continue
        if ref is not None:
            r, c = _ref(ref.group(1) or ref.group(2) or b"", row_only=False)
            col = c - 1
        else:
            r, c = row + 1, col + 1
        lo_r, hi_r, lo_c, hi_c = min(lo_r, r), max(hi_r, r), min(lo_c, c), max(hi_c, c)
        col += 1
    if hi_r:
        scan.see_rows(lo_r, hi_r)
    if hi_c:
        scan.see_cols(lo_c, hi_c)
    state.row, state.col = row, col
    if counted != tags:
        raise _Refused(
            "unreadable",
            f"Arkets XML kan ikke læses sikkert (tags, der ikke er skrevet som i XML). {_SAVE_AS}",
        )


def _ref(value: bytes, *, row_only: bool) -> tuple[int, int]:
    m = _REF.fullmatch(value.strip())
    if not m or (not row_only and not m.group(1)):
        raise _Refused(
            "unreadable",
            f"Arket har en ugyldig cellereference «{shown(value.decode('latin-1'), 20)}». "
            + _SAVE_AS,
        )
    row = int(m.group(2))
    col = _col_number(m.group(1)) if m.group(1) else 0
    if row < 1:
        raise _Refused("unreadable", f"Arket har en ugyldig række 0. {_SAVE_AS}")
    return row, col


# A formula cell with no cached value: no <v>, or an empty one.
_UNCOMPUTED = re.compile(
    rb"<(?:[\w.-]+:)?c\s((?:[^>\"']+|\"[^\"]*\"|'[^']*')*)>\s*"
    rb"<(?:[\w.-]+:)?f\b[^>]*?(?:/>|>([^<]*)</(?:[\w.-]+:)?f>)\s*"
    rb"(<(?:[\w.-]+:)?v\s*/>|<(?:[\w.-]+:)?v>\s*</(?:[\w.-]+:)?v>)?\s*</(?:[\w.-]+:)?c>"
)
_T_ATTR = re.compile(rb"(?:^|\s)t\s*=\s*[\"']([^\"']*)[\"']")
_ERROR_CELL = re.compile(
    rb"<(?:[\w.-]+:)?c\s([^>]*\bt=\"e\"[^>]*)>(?:(?!</(?:[\w.-]+:)?c>).)*?"
    rb"<(?:[\w.-]+:)?v>([^<]*)</(?:[\w.-]+:)?v>",
    re.S,
)
_MAX_LISTED = 10_000  # formula or error cells remembered; more are counted


def _find_uncomputed(seg: bytes, scan: _SheetScan) -> None:
    for m in _UNCOMPUTED.finditer(seg):
        attrs, formula, value = m.groups()
        kind = _T_ATTR.search(attrs)
        if value and kind and kind.group(1) in (b"str", b"inlineStr"):
            continue  # a formula whose computed value is the empty text
        if len(scan.uncomputed) >= _MAX_LISTED:
            return
        ref = _R_ATTR.search(attrs)
        text = (ref.group(1) or ref.group(2) or b"") if ref else b""
        at = _REF.fullmatch(text)
        row = int(at.group(2)) if at and at.group(1) else None
        col = _col_number(at.group(1)) if at and at.group(1) else None
        scan.uncomputed.append((row, col, _xml_text(formula or b"")))


def _find_errors(seg: bytes, scan: _SheetScan) -> None:
    for m in _ERROR_CELL.finditer(seg):
        ref = _R_ATTR.search(m.group(1))
        at = _REF.fullmatch(ref.group(1) or b"") if ref and ref.group(1) else None
        if at and at.group(1) and scan.error_cells < _MAX_LISTED:
            row_errors = scan.errors.setdefault(int(at.group(2)), {})
            row_errors[_col_number(at.group(1))] = _xml_text(m.group(2)).strip()
            scan.error_cells += 1


def _xml_text(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


_V_INDEX = re.compile(rb"<(?:[^\s<>/!?]+:)?v\b[^>]*>(\d+)<")


def _shared_text(seg: bytes, folded: bytes, lengths: np.ndarray) -> int:
    """Bytes of shared text the segment's cells copy (calamine gives each cell its own copy):
    every integer <v> counts as an index into the shared texts, numbers too (an upper bound)."""
    a = np.frombuffer(seg + _PAD, dtype=np.uint8)
    lt = np.flatnonzero(a == 60)  # '<'
    lt = lt[a[lt + 1] == 118]  # '<v'
    plain = lt[a[lt + 2] == 62]  # '<v>'
    if len(plain) != folded.count(b"<v "):  # '<v a="1">', '<y:v>': calamine reads them too
        found = np.array([int(i) for i in _V_INDEX.findall(seg) if len(i) < 11], dtype=np.int64)
    else:
        found = _index_values(a, plain + 3)
    found = found[found < len(lengths)]
    return int(lengths[found].sum())


def _index_values(a: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The whole numbers of 1-10 digits written at each start and ended by a tag."""
    at = np.lib.stride_tricks.sliding_window_view(a, 12)[start]
    digit = (at[:, :11] >= 48) & (at[:, :11] <= 57)
    end = np.argmin(digit, axis=1)
    whole = (end >= 1) & (at[np.arange(len(at)), end] == 60)
    return _weighted(at, end, 10, 48, 10)[whole]


def _check_shared_text(scan: _SheetScan) -> None:
    if scan.shared_text > MAX_SHARED_TEXT_BYTES:
        raise _Refused(
            "too_large",
            f"Arkets celler gentager tekster, der fylder {_mb(scan.shared_text)} MB i alt (den "
            f"samme lange tekst i mange celler); grænsen er {_mb(MAX_SHARED_TEXT_BYTES)} MB. "
            + _SAVE_AS,
        )


def _check_grid(scan: _SheetScan, label: str) -> None:
    rows, cols = scan.span()
    if rows * cols > MAX_CELLS:
        raise _Refused(
            "too_large",
            f"{label[0].upper()}{label[1:]} spænder over {_n(rows)} rækker × {_n(cols)} kolonner "
            f"= {_n(rows * cols)} celler; grænsen er {_n(MAX_CELLS)} celler. Slet indhold og "
            "formatering uden for tabellen (fx en enkelt celle langt ude til højre eller "
            "nede), slet kolonner, der ikke bruges, eller del udtrækket op pr. år.",
        )


# --- the sheet as a table ------------------------------------------------------------------------


def _read_workbook(
    workbook: CalamineWorkbook,
    package: _Package,
    sheets: list[_Sheet],
    shared: _SharedStrings,
    report: Report,
) -> Table | None:
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    meta = workbook.sheets_metadata
    worksheets = [i for i, m in enumerate(meta) if m.typ == SheetTypeEnum.WorkSheet]
    if not worksheets:
        report.error("empty", "XLSX-filen har intet regneark.")
        return None
    visible = [i for i in worksheets if meta[i].visible == SheetVisibleEnum.Visible]
    if not visible:
        names = ", ".join(f"«{shown(meta[i].name, 40)}»" for i in worksheets)
        report.error(
            "empty",
            f"Alle ark i XLSX-filen er skjulte ({names}); udtrækket læses fra det første synlige "
            "ark. Vis arket med udtrækket (højreklik på et arkfaneblad › Vis), og gem igen.",
        )
        return None
    chosen = visible[0]
    name = meta[chosen].name
    hidden = [meta[i].name for i in worksheets if i < chosen]
    which = "første synlige ark" if hidden else "første ark"
    paths = {s.name: s.path for s in sheets}
    if hidden:
        names = ", ".join(f"«{shown(n, 40)}»" for n in hidden)
        report.warning(
            "hidden_sheets",
            f"{'Arket' if len(hidden) == 1 else 'Arkene'} {names} er "
            f"{'skjult' if len(hidden) == 1 else 'skjulte'} og er ikke læst; "
            f"udtrækket er læst fra det første synlige ark, «{shown(name, 40)}». Skal rækkerne "
            "fra et skjult ark med, så vis arket (højreklik på et arkfaneblad › Vis) og saml "
            "rækkerne i det første synlige ark.",
        )
    info = package.find(paths.get(name, ""))
    if info is None:
        raise _Refused(
            "unreadable",
            f"XLSX-filen er beskadiget: arket «{shown(name, 40)}» findes ikke i filen. {_SAVE_AS}",
        )
    label = _part_label(info.filename, name)
    _check_part(info, MAX_SHEET_XML_BYTES, label)
    # calamine copies a shared text into every cell that refers to it: a 30,000-character
    # text in 100,000 cells is 3 GB. Counted when the sheet could hold enough cells
    # (16 bytes of XML at least each) for the longest text to pass the bound.
    count = shared.count and info.file_size // 16 * shared.longest > MAX_SHARED_TEXT_BYTES
    lengths = np.frombuffer(shared.lengths, dtype=np.int64) if count else None
    scan = _scan_sheet(package.zf, info, label, lengths)
    _check_grid(scan, label)
    _check_shared_text(scan)
    others = [
        (meta[i].name, meta[i].visible != SheetVisibleEnum.Visible)
        for i in [i for i in worksheets if i > chosen][:OTHER_SHEETS_PEEKED]
        if _sheet_has_data(package, paths.get(meta[i].name, ""))
    ]
    sheet = workbook.get_sheet_by_index(chosen)
    table = _sheet_table(sheet, scan, report, name, which, others)
    del sheet  # calamine's grid is freed before the frame is validated
    return table


def _sheet_table(
    sheet: CalamineSheet,
    scan: _SheetScan,
    report: Report,
    name: str,
    which: str,
    others: list[tuple[str, bool]],
) -> Table | None:
    start = sheet.start
    col0 = start[1] if start else 0  # calamine's rows begin at the first used column
    rows = _patched(enumerate(sheet.iter_rows(), start=1), scan.errors, col0)
    buffered: list[tuple[int, Sequence[object]]] = []
    candidates: list[tuple[int, list[str]]] = []
    for number, row in rows:
        buffered.append((number, row))
        if _nonempty(row):
            candidates.append((number, [cell_text(c) for c in row]))
            if len(candidates) >= HEADER_SEARCH_ROWS:
                break
    if not candidates:
        hint = (
            f" Data står i arket «{shown(others[0][0], 40)}»: flyt det forrest, eller gem det som "
            "sin egen fil."
            if others
            else ""
        )
        report.error(
            "empty",
            f"Det {which} («{shown(name, 40)}») i XLSX-filen er tomt; udtrækket læses altid fra "
            f"det {which}.{hint}",
        )
        return None
    chosen = choose_header(candidates, report)
    matched = None
    if chosen is not None:
        header_row, header = candidates[chosen]
        matched = match_header(header, report, header_row)
    if chosen is None or matched is None:
        last = candidates[-1][0]
        _report_uncomputed(scan, report, lambda r, c: r <= last, {})
        return None
    shape, positions = matched
    names = sorted(positions, key=positions.__getitem__)
    idx = [positions[n] for n in names]
    used = {col0 + i + 1: header[i] for i in idx}  # 1-based sheet column -> header
    width = len(header)
    if _report_uncomputed(
        scan,
        report,
        lambda r, c: (
            (r == header_row and col0 < c <= col0 + width) or (r > header_row and c in used)
        ),
        used,
    ):
        return None
    columns, lines = _take(buffered, rows, header_row, idx)
    if others:
        report.warning(
            "other_sheets",
            f"Kun det {which} («"
            + shown(name, 40)
            + "») er læst; arkene "
            + ", ".join(f"«{shown(t, 40)}»" + (" (skjult)" if h else "") for t, h in others)
            + " indeholder også data, men indgår ikke. Skal de med, så saml rækkerne i "
            f"det {which}.",
        )
    frame = make_frame(names, columns)
    table = Table(
        shape=shape,
        frame=frame,
        lines=pd.Series(lines, index=frame.index, dtype=np.int64),
        headers={n: header[positions[n]] for n in names},
        facts={"format": f"XLSX ({which}{'' if which == 'første ark' else f' «{name}»'})"},
    )
    note_layout(table, header, positions, header_row)
    return drop_blank_rows(table)


def _patched(
    rows: Iterator[tuple[int, Sequence[object]]], errors: dict[int, dict[int, str]], col0: int
) -> Iterator[tuple[int, Sequence[object]]]:
    """calamine's rows with Excel's error values (#N/A, #DIV/0!) as their text: calamine
    gives an error cell as empty, and an empty cell would be reported as a missing value."""
    if not errors:
        yield from rows
        return
    for number, row in rows:
        if fix := errors.get(number):
            patched = list(row)
            for col, text in fix.items():
                if 0 <= col - 1 - col0 < len(patched):
                    patched[col - 1 - col0] = text
            row = patched
        yield number, row


def _take(
    buffered: list[tuple[int, Sequence[object]]],
    rows: Iterator[tuple[int, Sequence[object]]],
    header_row: int,
    idx: list[int],
) -> tuple[list[list[str]], list[int]]:
    """The used columns' texts below the header. A column remembers the text of the values
    it has seen (a million rows share a few hundred values: one string each, not a million)
    until it has seen _MEMO_LIMIT of them (then it is a column of unique values)."""
    columns: list[list[str]] = [[] for _ in idx]
    memos: list[dict[object, str] | None] = [{} for _ in idx]
    lines: list[int] = []

    def take(number: int, row: Sequence[object]) -> None:
        n = len(row)
        for k, i in enumerate(idx):
            value = row[i] if i < n else ""
            memo = memos[k]
            if memo is None or value.__class__ is bool:  # True == 1 == 1.0 as keys
                columns[k].append(cell_text(value))
                continue
            text = memo.get(value)
            if text is None:
                text = cell_text(value)
                if len(memo) < _MEMO_LIMIT:
                    memo[value] = text
                else:
                    memos[k] = None
            columns[k].append(text)
        lines.append(number)

    for number, row in buffered:
        if number > header_row:
            take(number, row)
    for number, row in rows:
        take(number, row)
    return columns, lines


def _report_uncomputed(
    scan: _SheetScan,
    report: Report,
    read: Callable[[int, int], bool],
    used: dict[int, str],
) -> bool:
    """An error for each formula without a computed value in a cell that is read: calamine
    reads it as empty, and it is not empty but uncomputed (True when any was reported)."""
    found = False
    for row, col, formula in scan.uncomputed:
        if row is not None and col is not None and not read(row, col):
            continue
        found = True
        report.error(
            "uncomputed_formula",
            f"Cellen indeholder en formel uden beregnet værdi (={shown(formula, 80)}); filen er "
            "gemt af et program, der ikke beregner formler, så værdien kan ikke læses. Åbn "
            "filen i Excel, lad den beregne formlerne, og gem den igen (eller erstat "
            "formlerne med deres værdier).",
            row=row,
            column=used.get(col, _col_letters(col)) if col is not None else None,
            value=f"={formula}",
        )
    return found


def _col_letters(col: int) -> str:
    letters = ""
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _nonempty(row: Iterable[object]) -> bool:
    return any(cell_text(c) for c in row)


_DATA = re.compile(rb"<(?:[\w.-]+:)?(?:v|t)(?:\s[^>]*)?>\s*[^<\s]")


def _sheet_has_data(package: _Package, path: str) -> bool:
    """Whether another sheet holds a value in its first MiB of XML: only a hint for a
    message, so the sheet is never given to calamine (it could be the hostile part)."""
    info = package.find(path)
    if info is None:
        return False
    try:
        head = b"".join(_blocks(package.zf, info, OTHER_SHEET_PEEK_BYTES))
    except _Refused:
        return False
    body = head.find(b"sheetData")
    return body >= 0 and _DATA.search(head, body) is not None

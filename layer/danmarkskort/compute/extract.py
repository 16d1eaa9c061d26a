"""Reading an extract (docs/design.md §3, a contract): CSV or XLSX, either shape, into one table.

Tolerant where senders differ (encoding, separator, header spelling, title rows above the
header, Excel's trailing empty columns), strict where it matters (which columns are there,
rows that have more fields than the header). Problems go to the report with their line;
nothing is guessed silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from danmarkskort.compute.report import Report, shown

if TYPE_CHECKING:  # openpyxl is imported only where an XLSX extract is read
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

Shape = Literal["cases", "aggregated"]
SHAPES: tuple[Shape, ...] = ("cases", "aggregated")
SHAPE_NAMES = {
    "cases": "sagsniveau (én række pr. sag)",
    "aggregated": "aggregeret (antal pr. udfald)",
}
# Columns that tell the shapes apart.
_DISTINCTIVE = {
    "cases": ("sagsnummer", "afgoerelse", "dato"),
    "aggregated": ("stadfaestet", "aendret_ophaevet", "hjemvist", "afvist"),
}
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Excel (.xls), old Word, ...
HEADER_SEARCH_ROWS = 20  # non-empty rows searched for the header (title rows above it)
SEPARATORS = (";", "\t", ",")
MAX_HEADER_CHARS = 100_000
ALT_INSTANS = "instans_alt"  # a second instance column (Kommune beside Kommunekode)
_OTHER_FORMATS = (
    (b"%PDF", "en PDF-fil"),
    (b"\x1f\x8b", "en gzip-komprimeret fil"),
    (b"{\\rtf", "et RTF-dokument"),
    (b"Rar!", "et RAR-arkiv"),
    (b"7z\xbc\xaf", "et 7-Zip-arkiv"),
)
_MARKUP = (b"<!doctype html", b"<html", b"<table", b"<?xml", b"<workbook")
_DANISH_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "§": "paragraf"})


@dataclass(frozen=True, slots=True)
class Column:
    name: str  # canonical
    label: str  # as the contract names it, for messages
    required: bool
    keys: frozenset[str]
    order: tuple[str, ...] = ()  # the same keys, most preferred first


@dataclass
class Table:
    """The extract's rows under canonical column names, all values as text."""

    shape: Shape
    frame: pd.DataFrame
    lines: pd.Series  # the file's line (CSV) or sheet row (XLSX) of each row
    headers: dict[str, str]  # canonical name -> header as written in the file
    facts: dict[str, str] = field(default_factory=dict)


def header_key(text: object) -> str:
    """Case-, accent- and punctuation-insensitive: 'Ændring/Ophævelse' ~ 'aendring ophaevelse'."""
    s = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    s = s.translate(_DANISH_LETTERS)
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")
    s = re.sub(r"[^a-z0-9]+", "", s)
    # Senders drop the Danish letters in different ways ('Afgorelse', 'Aar', 'Andring').
    return s.replace("ae", "a").replace("oe", "o").replace("aa", "a")


def column_key(text: object) -> str:
    """header_key of a column name without a note in brackets: 'Kommunekode (3 cifre)'."""
    bare = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", str(text or ""))
    return header_key(bare) or header_key(text)


@cache
def column_specs() -> dict[str, tuple[Column, ...]]:
    raw = (
        resources.files("danmarkskort").joinpath("data", "extract_columns.json").read_text("utf-8")
    )
    doc = json.loads(raw)
    specs = {}
    for shape in ("cases", "aggregated"):
        columns = []
        for name, spec in doc[shape].items():
            order = tuple(dict.fromkeys(k for k in map(header_key, spec["aliases"]) if k))
            columns.append(Column(name, spec["label"], spec["required"], frozenset(order), order))
        specs[shape] = tuple(columns)
    return specs


def read_extract(data: bytes, filename: str, report: Report) -> Table | None:
    """The extract as a Table, or None when it cannot be read (the reasons are in the report).

    The content decides the format, not the file name: a '.csv' that is really a workbook
    is read as XLSX, and a text file named '.xlsx' or '.xls' as CSV (noted in the facts).
    """
    blank = b" \t\r\n\x00\xef\xbb\xbf"
    if not data[:4096].strip(blank) and not data.strip(blank):  # no 200 MB copy for a real file
        report.error("empty", "Filen indeholder ingen data.")
        return None
    named = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if data[:4] == XLSX_MAGIC:
        table = _read_xlsx(data, report)
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
    table = _read_csv(data, report)
    if table is not None and named in ("xlsx", "xlsm", "xls"):
        table.facts["format"] += f" (filnavnet siger .{named}, indholdet er tekst)"
    return table


def _decode(data: bytes, report: Report) -> tuple[str, str] | None:
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(data):
        report.error(
            "unreadable", "Filen er gemt som UTF-16. Gem den som UTF-8 eller Windows-1252."
        )
        return None
    else:
        encodings = ["utf-8", "cp1252"]
    if (nul := data.find(b"\x00")) >= 0:
        report.error(
            "unreadable",
            "Filen indeholder binære data (en NUL-byte ved byte "
            f"{nul}) og er ikke en tekstfil. Gem udtrækket som CSV eller XLSX.",
            row=data[:nul].count(b"\n") + 1,
        )
        return None
    first_error: UnicodeDecodeError | None = None
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
            continue
        if encoding == "cp1252" and first_error is not None and _has_utf8(data):
            line = data[: first_error.start].count(b"\n") + 1
            report.error(
                "unreadable",
                "Filen blander to tegnsæt: den er for det meste UTF-8, men række "
                f"{line} er ikke (byte 0x{data[first_error.start]:02x} ved byte "
                f"{first_error.start}; typisk æ, ø eller å gemt som Windows-1252). "
                "Gem hele filen som «CSV UTF-8».",
                row=line,
            )
            return None
        return text, encoding
    if first_error is None:  # each encoding tried either returned above or set first_error
        raise RuntimeError(f"decoding: no encoding tried, none failed (encodings={encodings!r})")
    last = first_error if len(encodings) == 1 else _cp1252_error(data)
    line = data[: last.start].count(b"\n") + 1
    report.error(
        "unreadable",
        "Filen er hverken gyldig UTF-8 eller Windows-1252 (ugyldig byte "
        f"0x{data[last.start]:02x} ved byte {last.start}). Gem filen som CSV (UTF-8) eller XLSX.",
        row=line,
    )
    return None


def _cp1252_error(data: bytes) -> UnicodeDecodeError:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError as exc:
        return exc
    raise AssertionError("decodes as cp1252")  # pragma: no cover


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 without a BOM: every other byte of ASCII text is NUL, the bytes between are not."""
    sample = data[:200]
    if len(sample) < 8:
        return False
    even, odd = sample[0::2], sample[1::2]
    return (odd.count(0) > 0.8 * len(odd) and even.count(0) < 0.2 * len(even)) or (
        even.count(0) > 0.8 * len(even) and odd.count(0) < 0.2 * len(odd)
    )


def _has_utf8(data: bytes) -> bool:
    """True when the bytes hold UTF-8 encoded Danish letters ('Ã' followed by a continuation)."""
    return data.find(b"\xc3") >= 0 and re.search(rb"\xc3[\x80-\xbf]", data) is not None


def _score(keys: list[str]) -> dict[Shape, int]:
    specs = column_specs()
    return {
        shape: sum(
            any(k in col.keys for k in keys)
            for col in specs[shape]
            if col.name in _DISTINCTIVE[shape]
        )
        for shape in SHAPES
    }


def _choose_header(candidates: list[tuple[int, list[str]]], report: Report) -> int | None:
    """Index of the header among the first non-empty rows; title rows above it are warned.

    A row naming two or more distinctive columns is the header, the first such row; failing
    that, the first row when it names one (a lone data cell such as 'Afvist' or a title such
    as 'Resultat' further down is no header).
    """
    scores = [max(_score([column_key(c) for c in cells]).values()) for _, cells in candidates]
    strong = [i for i, score in enumerate(scores) if score >= 2]
    chosen = strong[0] if strong else (0 if scores[0] >= 1 else None)
    if chosen is not None:
        if chosen:
            first, row = candidates[0][0], candidates[chosen][0]
            titles = " / ".join(
                shown(" ".join(c for c in cells if c), 60) for _, cells in candidates[:chosen]
            )
            report.warning(
                "skipped_lines",
                f"{'Række ' + str(first) if first == row - 1 else f'Række {first}-{row - 1}'}"
                f" står over overskriften i række {row} og er sprunget over (fx en "
                f"titel): {titles}",
                row=first,
            )
        return chosen
    row, cells = candidates[0]
    found = " | ".join(shown(h, 40) for h in cells[:30] if h) or "(ingen)"
    if len(cells) > 30:
        found += f" | … ({len(cells)} kolonner i alt)"
    report.error(
        "unknown_shape",
        "Overskriften passer hverken til et aggregeret udtræk (Instans; Lov; Paragraf; Aar; "
        "Stadfæstelse; Ændring/Ophævelse; Hjemvisning; Afvisning/Henvisning) eller til et "
        "udtræk på sagsniveau (Sagsnummer; Afgørelseskommune; Lov; Paragraf; Afgørelse; "
        f"Afgørelsesdato). Fundet: {found}",
        row=row,
    )
    return None


def _match_header(
    header: list[str], report: Report, row: int
) -> tuple[Shape, dict[str, int]] | None:
    """Pick the shape the header fits and map canonical names to column positions.

    Several columns may fit one field (Kommunekode and Kommune): the alias listed first in
    extract_columns.json wins and the others are ignored (named in the facts). Two columns
    with the same name are an error: which one holds the data cannot be known.
    """
    keys = [column_key(h) for h in header]
    specs = column_specs()
    scores = _score(keys)
    shape = max(scores, key=scores.__getitem__)
    other: Shape = "aggregated" if shape == "cases" else "cases"
    if scores[other]:
        also = [
            h for h, k in zip(header, keys, strict=True)
            if any(k in c.keys for c in specs[other] if c.name in _DISTINCTIVE[other])
        ]  # fmt: skip
        report.warning(
            "mixed_shape",
            f"Overskriften har kolonner fra begge udtrækstyper; filen læses som "
            f"{SHAPE_NAMES[shape]}, og kolonnerne {', '.join(shown(h, 40) for h in also)} "
            f"(fra {SHAPE_NAMES[other]}) bruges ikke.",
            row=row,
        )
    positions: dict[str, int] = {}
    ok = True
    for col in specs[shape]:
        found = [
            i for i, k in enumerate(keys) if k and k in col.keys and i not in positions.values()
        ]
        if not found:
            if col.required:
                report.error(
                    "missing_column",
                    f"Kolonnen «{col.label}» mangler; den kræves i et udtræk af typen "
                    f"{SHAPE_NAMES[shape]}. Overskriften har: "
                    + " | ".join(shown(h, 40) for h in header if h),
                    row=row,
                    column=col.label,
                )
                ok = False
            continue
        best = min(found, key=lambda i: (col.order.index(keys[i]), i))
        twins = [i for i in found if keys[i] == keys[best]]
        if len(twins) > 1:
            report.error(
                "duplicate_column",
                f"Kolonnen {col.label} står flere gange (kolonne "
                f"{', '.join(str(i + 1) for i in twins)}); det er uklart hvilken der gælder.",
                row=row,
                column=header[twins[1]],
            )
            ok = False
        positions[col.name] = best
        others = [i for i in found if keys[i] != keys[best]]
        if col.name == "instans" and others:
            # Kommunekode and Kommune side by side: the name stands in where the code is
            # empty (a sum row 'I alt'), and the two must agree where both are given.
            positions[ALT_INSTANS] = min(others, key=lambda i: (col.order.index(keys[i]), i))
    return (shape, positions) if ok else None


def _ignored(header: list[str], positions: dict[str, int]) -> str:
    used = set(positions.values())
    names = [shown(h, 40) for i, h in enumerate(header) if h.strip() and i not in used]
    if len(names) > 15:
        names = [*names[:15], f"… ({len(names)} i alt)"]
    return ", ".join(names)


# --- CSV ---------------------------------------------------------------------------------


def _split_line(line: str, sep: str) -> list[str]:
    try:
        return [c.strip() for c in next(csv.reader([line], delimiter=sep), [])]
    except csv.Error:  # e.g. a field over csv's size limit: the header is not there anyway
        return [c.strip() for c in line.split(sep)]


def _header_cells(line: str) -> tuple[str, list[str]]:
    """The separator that makes the best header of a line, and its cells."""
    line = line[:MAX_HEADER_CHARS]  # a file that is one huge line has no header anyway
    best: tuple[tuple[int, int], str, list[str]] | None = None
    for sep in SEPARATORS:
        if sep not in line and best is not None:
            continue
        cells = _split_line(line, sep)
        rank = (max(_score([column_key(c) for c in cells]).values()), len(cells))
        if best is None or rank > best[0]:
            best = (rank, sep, cells)
    if best is None:  # the first separator is always tried
        raise RuntimeError(f"header: no separator was tried (SEPARATORS={SEPARATORS!r})")
    return best[1], best[2]


def _first_lines(text: str, n: int) -> Iterator[tuple[int, int, int, str]]:
    """(first line, last line, offset after it, text) of the first rows holding any text.

    A row continues over line breaks inside quotes (a header cell written on two lines).
    """
    pos, number, found = 0, 0, 0
    while pos < len(text) and found < n:
        first = number + 1
        parts: list[str] = []
        while pos < len(text):
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            number += 1
            parts.append(text[pos:end].rstrip("\r"))
            pos = end + 1
            if "\n".join(parts).count('"') % 2 == 0 or len(parts) > 10:
                break
        line = "\n".join(parts)
        if line.strip().strip(";,\t").strip():
            found += 1
            yield first, number, pos, line


def _read_csv(data: bytes, report: Report) -> Table | None:
    decoded = _decode(data, report)
    if decoded is None:
        return None
    text, encoding = decoded
    del decoded
    if text.endswith("\x1a") or ("\r" in text and "\n" not in text) or "\r\r\n" in text:
        # DOS's end-of-file mark, classic Mac line ends (CR only) or CR CR LF from a double
        # conversion: rare, so a normalised copy is fine.
        text = text.rstrip("\x1a").replace("\r\r\n", "\n").replace("\r\n", "\n")
        text = text.replace("\r", "\n")
        data = (b"\xef\xbb\xbf" if encoding == "utf-8-sig" else b"") + text.encode(
            "utf-8" if encoding == "utf-8-sig" else encoding
        )
    boms = len(text) - len(text.lstrip("\ufeff"))  # a second BOM after utf-8-sig's own
    text = text[boms:]
    candidates = []
    for number, last, end, line in _first_lines(text, HEADER_SEARCH_ROWS):
        if number == 1 and re.fullmatch(r'"?sep=.?"?[;,\t]*', line.strip(), re.IGNORECASE):
            continue  # Excel's separator hint ('sep=;'): the header follows
        sep, cells = _header_cells(line)
        candidates.append((number, last, end, sep, cells))
    if not candidates:
        report.error("empty", "Filen indeholder ingen data.")
        return None
    chosen = _choose_header([(n, cells) for n, _, _, _, cells in candidates], report)
    if chosen is None:
        return None
    header_row, header_end, end, sep, header = candidates[chosen]
    matched = _match_header(header, report, header_row)
    if matched is None:
        return None
    shape, positions = matched
    plain = "utf-8" if encoding == "utf-8-sig" else encoding
    prefix = (3 if encoding == "utf-8-sig" else 0) + 3 * boms + len(text[:end].encode(plain))
    del text  # the decoded copy has served its purpose (checking the encoding, the header)
    read = _pandas_body(data, prefix, plain, sep, header, positions)
    found = None if read is None else _record_lines(data, prefix, len(read[0]), header_end)
    if found is None and data.find(b'"', prefix) < 0:
        # Without quotes every line is a record, and its fields can be counted directly:
        # pandas, given too few names, may wrap the surplus fields into rows of their own.
        widest = _widest_line(data, prefix, sep)
        if widest > len(header):
            read = _pandas_body(data, prefix, plain, sep, header, positions, widest)
            found = None if read is None else _record_lines(data, prefix, len(read[0]), header_end)
    if read is None or found is None:
        # Broken quoting, or a layout pandas cannot take: read record by record to report
        # each problem at its line (slower, but such files are rare and usually rejected).
        body = data[prefix:].decode(plain)
        built = _csv_module_body(body, sep, header, positions, header_end, report)
        if built is None:
            return None
        frame, lines = built
    else:
        frame, extra = read
        lines = pd.Series(found, index=frame.index)
        if extra is not None:
            frame, lines = _long_rows(frame, lines, extra, len(header), sep, report)
    names = list(frame.columns)
    table = Table(
        shape=shape,
        frame=frame,
        lines=lines,
        headers={n: header[positions[n]] for n in names},
        facts={
            "format": "CSV",
            "encoding": _ENCODING_NAMES[encoding],
            "separator": _SEP_NAMES[sep],
        },
    )
    _note_layout(table, header, positions, header_row)
    return _drop_blank_rows(table)


def _physical_lines(data: bytes, start: int) -> int:
    n = data.count(b"\n", start)
    return n + (1 if len(data) > start and not data.endswith(b"\n") else 0)


def _at(data: bytes, start: int) -> io.BytesIO:
    """The bytes from `start` as a file, without copying them (BytesIO shares a bytes object)."""
    stream = io.BytesIO(data)
    stream.seek(start)
    return stream


def _record_lines(data: bytes, start: int, records: int, header_row: int) -> np.ndarray | None:
    """The file line on which each record starts; None when it cannot be told reliably.

    Without quoted line breaks every line is a record. With them, a line break ends a
    record only outside quotes, i.e. after an even number of quote characters.
    """
    if _physical_lines(data, start) == records:
        return np.arange(records, dtype=np.int64) + header_row + 1
    if data.find(b'"', start) < 0:
        return None
    body = np.frombuffer(data, dtype=np.uint8)[start:]
    breaks = np.flatnonzero(body == 0x0A)
    quotes = np.flatnonzero(body == 0x22)
    ends = np.flatnonzero(np.searchsorted(quotes, breaks) % 2 == 0)  # indices into breaks
    count = len(ends) + 1
    if len(body) == 0 or (len(ends) and breaks[ends[-1]] == len(body) - 1):
        count -= 1  # the last line break ends the file, not a record
    if count != records:
        return None
    starts = np.concatenate([[0], ends[: records - 1] + 1]).astype(np.int64)
    return starts + header_row + 1


def _widest_line(data: bytes, start: int, sep: str) -> int:
    """The most fields on any line of an unquoted body (separators per line, plus one)."""
    body = np.frombuffer(data, dtype=np.uint8)[start:]
    seps = np.flatnonzero(body == ord(sep))
    before = np.searchsorted(seps, np.flatnonzero(body == 0x0A))
    per_line = np.diff(np.concatenate([[0], before, [len(seps)]]))
    return int(per_line.max()) + 1 if len(per_line) else 1


_FIELDS_SEEN = re.compile(r"Expected \d+ fields in line \d+, saw (\d+)")


def _pandas_body(
    data: bytes,
    start: int,
    encoding: str,
    sep: str,
    header: list[str],
    positions: dict[str, int],
    width: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame | None] | None:
    """The fast path: pandas' C reader. Rows longer than the header widen the read (Excel's
    trailing separators, an unquoted separator in a value); the fields beyond the header come
    back as a second frame. None when pandas cannot read the body at all.
    """
    names = sorted(positions, key=positions.__getitem__)
    width = max(width, len(header))
    for _attempt in range(4):
        generic = [f"c{i}" for i in range(width)]
        try:
            frame = _read_fields(data, start, encoding, sep, generic, positions)
            break
        except pd.errors.ParserError as exc:
            seen = _FIELDS_SEEN.search(str(exc))
            if not seen or int(seen.group(1)) <= width:
                return None
            width = int(seen.group(1))
        except pd.errors.ParserWarning:  # the first row is the longer one
            first = _first_record_width(data, start, encoding, sep)
            if first is None or first <= width:
                return None
            width = first
        except (ValueError, UnicodeDecodeError):
            return None
    else:
        return None
    extra = frame[generic[len(header) :]] if width > len(header) else None
    frame = frame[[generic[positions[n]] for n in names]].set_axis(names, axis=1)
    return frame, extra


def _read_fields(
    data: bytes,
    start: int,
    encoding: str,
    sep: str,
    generic: list[str],
    positions: dict[str, int],
) -> pd.DataFrame:
    numbers = generic[positions["sagsnummer"]] if "sagsnummer" in positions else None
    options = {
        "encoding": encoding,
        "sep": sep,
        "header": None,
        "names": generic,
        "keep_default_na": False,
        "na_filter": False,
        "skip_blank_lines": False,
        "index_col": False,
        "engine": "c",
    }
    with warnings.catch_warnings():
        # A first row longer than the names makes pandas take its width, and the extra
        # fields silently as an index or (index_col=False) dropped with only this warning.
        warnings.simplefilter("error", pd.errors.ParserWarning)
        frame = pd.read_csv(
            _at(data, start),
            dtype={g: "str" if g == numbers else "category" for g in generic},
            **options,
        )
    # pandas turns the categories of an all-numeric column into numbers ('0155' -> 155,
    # '2.000' -> 2.0, '1e3' -> 1000.0, '-0' -> 0): such columns are read again as text,
    # so every value is checked and reported as written.
    inferred = [
        g
        for g in frame.columns
        if frame[g].dtype == "category"
        and not pd.api.types.is_string_dtype(frame[g].cat.categories.dtype)
    ]
    if inferred:
        text = pd.read_csv(  # all columns again: usecols would take the first row's width
            _at(data, start),
            dtype={g: "str" if g in inferred else "category" for g in generic},
            **options,
        )
        for g in inferred:
            frame[g] = text[g].astype(object).astype("category")
    return frame


def _first_record_width(data: bytes, start: int, encoding: str, sep: str) -> int | None:
    head = data[start : start + 1_000_000].decode(encoding, errors="replace")
    try:
        record = next(csv.reader(io.StringIO(head, newline=""), delimiter=sep), None)
    except csv.Error:
        return None
    return len(record) if record is not None else None


def _long_rows(
    frame: pd.DataFrame,
    lines: pd.Series,
    extra: pd.DataFrame,
    width: int,
    sep: str,
    report: Report,
) -> tuple[pd.DataFrame, pd.Series]:
    """Report rows with text beyond the header's last column, and leave them out."""
    blank = np.ones(len(extra), dtype=bool)
    for name in extra.columns:
        blank &= _blank_cat(extra[name]).to_numpy()
    long = ~blank
    if not long.any():
        return frame, lines  # only Excel's trailing empty fields
    positions = np.flatnonzero(long)
    room = report.room("fejl", "too_many_fields")
    for pos in positions[:room]:
        cells = [str(c) for c in extra.iloc[pos].tolist()]
        fields = width + max(i + 1 for i, c in enumerate(cells) if c.strip())
        report.error(
            "too_many_fields",
            f"Rækken har {fields} felter, men overskriften har {width}. Står skilletegnet "
            f"({_SEP_NAMES[sep]}) i en værdi uden anførselstegn? Sæt værdien i "
            'anførselstegn, fx "§ 44, jf. § 83".',
            row=int(lines.iat[pos]),
            column=f"kolonne {width + 1}",
            value="; ".join(c for c in cells if c.strip()),
        )
    report.count_only("fejl", "too_many_fields", max(len(positions) - room, 0))
    # Its cells are shifted: checking them would only repeat the problem.
    return frame.loc[~long], lines.loc[~long]


def _csv_module_body(
    text: str,
    sep: str,
    header: list[str],
    positions: dict[str, int],
    header_row: int,
    report: Report,
) -> tuple[pd.DataFrame, pd.Series] | None:
    """Record by record with the stdlib reader: exact lines, every long row reported."""
    names = sorted(positions, key=positions.__getitem__)
    idx = [positions[n] for n in names]
    width = len(header)
    columns: list[list[str]] = [[] for _ in names]
    # One string object per distinct value: a million rows share a few hundred values.
    memos: list[dict[str, str] | None] = [None if n == "sagsnummer" else {} for n in names]
    lines: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    consumed = 0
    long_rows = 0
    room = report.room("fejl", "too_many_fields")
    while True:
        start = header_row + consumed + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            report.error(
                "bad_quoting",
                f'Rækken kan ikke læses: et anførselstegn (") er ikke lukket eller står midt i '
                f"et felt ({exc}). Værdier med skilletegn eller linjeskift skal stå i "
                'anførselstegn, fx "§ 44, jf. § 83", og et anførselstegn i en værdi skrives "".',
                row=start,
            )
            return None
        consumed = reader.line_num
        if len(record) > width and any(c.strip() for c in record[width:]):
            long_rows += 1
            if long_rows <= room:
                extra = "; ".join(c for c in record[width:] if c.strip())
                fields = max(i + 1 for i, c in enumerate(record) if c.strip())
                report.error(
                    "too_many_fields",
                    f"Rækken har {fields} felter, men overskriften har {width}. Står "
                    f"skilletegnet ({_SEP_NAMES[sep]}) i en værdi uden anførselstegn? Sæt "
                    'værdien i anførselstegn, fx "§ 44, jf. § 83".',
                    row=start,
                    column=f"kolonne {width + 1}",
                    value=extra,
                )
            continue  # its cells are shifted: checking them would only repeat the problem
        for out, i, memo in zip(columns, idx, memos, strict=True):
            value = record[i] if i < len(record) else ""
            out.append(value if memo is None else memo.setdefault(value, value))
        lines.append(start)
    report.count_only("fejl", "too_many_fields", max(long_rows - room, 0))
    frame = _frame(names, columns)
    return frame, pd.Series(lines, index=frame.index, dtype=np.int64)


def _frame(names: list[str], columns: list[list[str]]) -> pd.DataFrame:
    frame = pd.DataFrame(dict(zip(names, columns, strict=True)), columns=names, dtype="object")
    for name in names:
        if name != "sagsnummer":
            frame[name] = frame[name].astype("category")
    return frame


def _note_layout(table: Table, header: list[str], positions: dict[str, int], row: int) -> None:
    if ignored := _ignored(header, positions):
        table.facts["ignored_columns"] = ignored
    if row != 1:
        table.facts["header_row"] = str(row)


_ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 med BOM", "cp1252": "Windows-1252"}
_SEP_NAMES = {";": "semikolon", ",": "komma", "\t": "tabulator"}


# --- XLSX --------------------------------------------------------------------------------


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_xlsx(data: bytes, report: Report) -> Table | None:
    from openpyxl import load_workbook  # only XLSX extracts pay for the import

    if b"mimetypeapplication/vnd.oasis.opendocument" in data[:100]:
        report.error(
            "unreadable",
            "Filen er et OpenDocument-regneark (.ods). Gem den som «Excel-projektmappe (.xlsx)» "
            "eller som «CSV UTF-8».",
        )
        return None
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        report.error("unreadable", f"Filen kan ikke læses som XLSX (Excel): {shown(str(exc), 200)}")
        return None
    try:
        return _read_sheet(workbook, report)
    except Exception as exc:  # a broken part deep inside the zip shows only while reading
        report.error(
            "unreadable",
            "XLSX-filen er beskadiget og kan ikke læses til ende "
            f"({type(exc).__name__}: {shown(str(exc), 200)}). Gem den igen fra Excel.",
        )
        return None
    finally:
        workbook.close()


def _nonempty(row: Iterable[object]) -> bool:
    return any(_cell_text(c) for c in row)


def _read_sheet(workbook: Workbook, report: Report) -> Table | None:
    sheets = workbook.worksheets
    if not sheets:
        report.error("empty", "XLSX-filen har intet regneark.")
        return None
    sheet = sheets[0]
    sheet.reset_dimensions()  # some writers declare a wrong size; read what is there
    rows = enumerate(sheet.iter_rows(values_only=True), start=1)
    buffered: list[tuple[int, tuple[object, ...]]] = []
    candidates: list[tuple[int, list[str]]] = []
    for number, row in rows:
        buffered.append((number, row))
        if _nonempty(row):
            candidates.append((number, [_cell_text(c) for c in row]))
            if len(candidates) >= HEADER_SEARCH_ROWS:
                break
    if not candidates:
        others = [s.title for s in sheets[1:] if _sheet_has_data(s)]
        hint = (
            f" Data står i arket «{others[0]}»: flyt det forrest, eller gem det som sin egen fil."
            if others
            else ""
        )
        report.error(
            "empty",
            f"Det første ark («{shown(sheets[0].title, 40)}») i XLSX-filen er tomt; udtrækket "
            f"læses altid fra det første ark.{hint}",
        )
        return None
    chosen = _choose_header(candidates, report)
    if chosen is None:
        return None
    header_row, header = candidates[chosen]
    matched = _match_header(header, report, header_row)
    if matched is None:
        return None
    shape, positions = matched
    names = sorted(positions, key=positions.__getitem__)
    idx = [positions[n] for n in names]
    columns: list[list[str]] = [[] for _ in names]
    lines: list[int] = []

    def take(number: int, row: tuple[object, ...]) -> None:
        for out, i in zip(columns, idx, strict=True):
            out.append(_cell_text(row[i]) if i < len(row) else "")
        lines.append(number)

    for number, row in buffered:
        if number > header_row:
            take(number, row)
    for number, row in rows:
        take(number, row)
    if others := [s.title for s in sheets[1:] if _sheet_has_data(s)]:
        report.warning(
            "other_sheets",
            "Kun det første ark («"
            + shown(sheet.title, 40)
            + "») er læst; arkene "
            + ", ".join(f"«{shown(t, 40)}»" for t in others)
            + " indeholder også data, men indgår ikke. Skal de med, så saml rækkerne i "
            "det første ark.",
        )
    frame = _frame(names, columns)
    table = Table(
        shape=shape,
        frame=frame,
        lines=pd.Series(lines, index=frame.index, dtype=np.int64),
        headers={n: header[positions[n]] for n in names},
        facts={"format": "XLSX (første ark)"},
    )
    _note_layout(table, header, positions, header_row)
    return _drop_blank_rows(table)


def _sheet_has_data(sheet: ReadOnlyWorksheet) -> bool:
    try:
        return any(_nonempty(r) for r in sheet.iter_rows(max_row=50, values_only=True))
    except Exception:  # only a hint for the message; the sheet itself is not read
        return False


def _drop_blank_rows(table: Table) -> Table:
    """Rows with no text in any used column (blank lines, Excel's empty rows) are not rows."""
    frame = table.frame
    categorical = [n for n in frame.columns if frame[n].dtype == "category"]
    blank = np.ones(len(frame), dtype=bool)
    for name in categorical:
        blank &= _blank_cat(frame[name]).to_numpy()
    for name in frame.columns.difference(categorical):
        if blank.any():  # text columns (Sagsnummer: unique values) only where still blank
            at = np.flatnonzero(blank)
            blank[at] = frame[name].iloc[at].astype(str).str.strip().eq("").to_numpy()
    if blank.any():
        table.frame = frame.loc[~blank]
        table.lines = table.lines.loc[~blank]
    return table


def _blank_cat(col: pd.Series) -> pd.Series:
    """Blank test on the categories only: a million rows share a few hundred values."""
    blank_cats = pd.Series(col.cat.categories.astype(str)).str.strip().eq("").to_numpy()
    codes = col.cat.codes.to_numpy()
    if not len(blank_cats):
        return pd.Series(True, index=col.index)
    return pd.Series((codes < 0) | blank_cats[np.maximum(codes, 0)], index=col.index)

"""Reading a CSV extract into a Table.

Three paths, fastest first: a body without quotes, whose lines are its records, is cut into
fields by numpy and each column's distinct values are decoded once (a national extract of a
million rows in a fraction of a second); other bodies go to pandas' C reader; where the
layout needs exact lines (broken quoting, long rows), the stdlib's csv module reads record
by record. Before any of them, the bounds: no physical line over MAX_LINE_BYTES, no header
or row over MAX_COLUMNS fields, the header found within HEADER_SEARCH_BYTES; each a rejection
that names the limit, the line and what was found, in seconds and bounded memory.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd

from danmarkskort.compute.decode import BOM, ENCODING_NAMES, decode_head, detect
from danmarkskort.compute.report import Report, shown
from danmarkskort.compute.table import (
    HEADER_SEARCH_ROWS,
    Table,
    blank_cat,
    choose_header,
    column_key,
    drop_blank_rows,
    make_frame,
    match_header,
    note_layout,
    shape_scores,
)

SEPARATORS = (";", "\t", ",")
MAX_HEADER_CHARS = 100_000
SEP_NAMES = {";": "semikolon", ",": "komma", "\t": "tabulator"}
_FIELDS_SEEN = re.compile(r"Expected \d+ fields in line \d+, saw (\d+)")
# Bounds (issue 10). A real extract's line is a few hundred bytes and its header a few dozen
# columns; beyond these a file is broken or hostile, and reading on would cost minutes and
# gigabytes (a CSV with one 100 MB cell took 117 s and 1.96 GB). The cell-length and
# distinct-value bounds, shared with XLSX, are table.MAX_CELL_CHARS and table.MAX_DISTINCT.
MAX_LINE_BYTES = 4 * 1024 * 1024  # one physical line (between two line breaks)
MAX_COLUMNS = 1_000  # fields of the header or of any row, empty trailing ones included
MAX_LINES = 4_000_000  # physical lines of the file (a national extract has well under 1M rows)
HEADER_SEARCH_BYTES = 8 * 1024 * 1024  # the header and the title rows above it lie within
_BLOCK = 4 << 20  # bytes scanned at a time: temporaries stay in the cache, memory bounded
_CONTENT = re.compile(rb"[^ \t;,\r\n]")  # a byte that makes a line more than blank


def _n(number: int) -> str:
    return f"{number:,}".replace(",", ".")


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
        rank = (max(shape_scores([column_key(c) for c in cells]).values()), len(cells))
        if best is None or rank > best[0]:
            best = (rank, sep, cells)
    if best is None:  # the first separator is always tried
        raise RuntimeError(f"header: no separator was tried (SEPARATORS={SEPARATORS!r})")
    return best[1], best[2]


def _first_lines(
    data: bytes, start: int, encoding: str, n: int
) -> Iterator[tuple[int, int, int, str]]:
    """(first line, last line, offset after it, text) of the first rows holding any text.

    A row continues over line breaks inside quotes (a header cell written on two lines).
    Only the first HEADER_SEARCH_BYTES are searched, runs of blank lines are skipped at
    once, and only the start of a huge row is decoded: the search costs milliseconds
    whatever the file holds.
    """
    end_search = min(len(data), start + HEADER_SEARCH_BYTES)
    pos, number, found = start, 0, 0
    while pos < end_search and found < n:
        content = _CONTENT.search(data, pos, end_search)  # skip blank lines at once
        skip_to = data.rfind(b"\n", pos, content.start()) + 1 if content else end_search
        if skip_to > pos:
            number += data.count(b"\n", pos, skip_to)
            pos = skip_to
            if pos >= end_search:
                break
        first = number + 1
        parts_end = pos
        quotes = 0
        for _part in range(11):
            nl = data.find(b"\n", parts_end, len(data))
            line_end = len(data) if nl < 0 else nl
            number += 1
            quotes += data.count(b'"', parts_end, line_end)
            parts_end = line_end + 1
            if quotes % 2 == 0 or parts_end >= len(data):
                break
        stop = min(parts_end - 1, len(data), pos + 4 * MAX_HEADER_CHARS)
        text = decode_head(data, pos, stop, encoding)
        line = "\n".join(part.rstrip("\r") for part in text.split("\n"))
        pos = min(parts_end, len(data))
        if line.strip().strip(";,\t").strip():
            found += 1
            yield first, number, pos, line


def read_csv(data: bytes, report: Report) -> Table | None:
    encoding = detect(data, report)
    if encoding is None:
        return None
    if data.endswith(b"\x1a") or (b"\r" in data and b"\n" not in data) or b"\r\r\n" in data:
        # DOS's end-of-file mark, classic Mac line ends (CR only) or CR CR LF from a double
        # conversion: rare, so a normalised copy is fine (these bytes are the same
        # characters in UTF-8 and Windows-1252, never part of another character).
        data = data.rstrip(b"\x1a").replace(b"\r\r\n", b"\n").replace(b"\r\n", b"\n")
        data = data.replace(b"\r", b"\n")
    plain = "utf-8" if encoding == "utf-8-sig" else encoding
    start = len(BOM) if encoding == "utf-8-sig" else 0
    while data.startswith(BOM, start):  # a second BOM after utf-8-sig's own
        start += len(BOM)
    candidates = []
    for number, last, end, line in _first_lines(data, start, plain, HEADER_SEARCH_ROWS):
        if number == 1 and re.fullmatch(r'"?sep=.?"?[;,\t]*', line.strip(), re.IGNORECASE):
            continue  # Excel's separator hint ('sep=;'): the header follows
        sep, cells = _header_cells(line)
        candidates.append((number, last, end, sep, cells))
    if not candidates:
        if len(data) - start > HEADER_SEARCH_BYTES:
            report.error(
                "empty",
                f"Filens første {_n(HEADER_SEARCH_BYTES // 1024 // 1024)} MB indeholder "
                "ingen data (kun tomme linjer eller skilletegn); overskriften skal stå "
                "øverst i filen.",
            )
        else:
            report.error("empty", "Filen indeholder ingen data.")
        return None
    chosen = choose_header([(n, cells) for n, _, _, _, cells in candidates], report)
    if chosen is None:
        return None
    header_row, header_end, prefix, sep, header = candidates[chosen]
    if not _within_line_bounds(data, start, sep, plain, report):
        return None
    if len(header) > MAX_COLUMNS:
        report.error(
            "too_many_columns",
            f"Overskriften har {_n(len(header))} kolonner; grænsen er {_n(MAX_COLUMNS)}. Et "
            "udtræk har nogle få kolonner: slet de tomme kolonner til højre i regnearket, "
            "før filen gemmes.",
            row=header_row,
            column=f"kolonne {MAX_COLUMNS + 1}",
            value=shown(header[MAX_COLUMNS], 60),
        )
        return None
    matched = match_header(header, report, header_row)
    if matched is None:
        return None
    shape, positions = matched
    body = _body(data, prefix, plain, sep, header, positions, header_end, report)
    if body is None:
        return None
    frame, lines = body
    names = list(frame.columns)
    table = Table(
        shape=shape,
        frame=frame,
        lines=lines,
        headers={n: header[positions[n]] for n in names},
        facts={
            "format": "CSV",
            "encoding": ENCODING_NAMES[encoding],
            "separator": SEP_NAMES[sep],
        },
    )
    note_layout(table, header, positions, header_row)
    return drop_blank_rows(table)


def _body(
    data: bytes,
    prefix: int,
    plain: str,
    sep: str,
    header: list[str],
    positions: dict[str, int],
    header_end: int,
    report: Report,
) -> tuple[pd.DataFrame, pd.Series] | None:
    """The rows below the header, by the fastest path that reads them exactly."""
    quoted = data.find(b'"', prefix) >= 0
    if not quoted:
        fast = _fast_body(data, prefix, plain, sep, header, positions, header_end, report)
        if not isinstance(fast, _FallBack):
            return fast
    read = _pandas_body(data, prefix, plain, sep, header, positions)
    found = None if read is None else _record_lines(data, prefix, len(read[0]), header_end)
    if found is None and not quoted:
        # Without quotes every line is a record, and its fields can be counted directly:
        # pandas, given too few names, may wrap the surplus fields into rows of their own.
        widest = _widest_line(data, prefix, sep)
        if widest > len(header):
            read = _pandas_body(data, prefix, plain, sep, header, positions, widest)
            found = None if read is None else _record_lines(data, prefix, len(read[0]), header_end)
    if read is None or found is None:
        # Broken quoting, or a layout pandas cannot take: read record by record to report
        # each problem at its line (slower, but such files are rare and usually rejected).
        return _csv_module_body(data, prefix, plain, sep, header, positions, header_end, report)
    frame, extra = read
    lines = pd.Series(found, index=frame.index)
    if extra is not None:
        frame, lines = _long_rows(frame, lines, extra, len(header), sep, report)
    return frame, lines


def _within_line_bounds(data: bytes, start: int, sep: str, encoding: str, report: Report) -> bool:
    """False (reported) when a physical line is longer than MAX_LINE_BYTES.

    Scanned a block at a time, so even a 200 MB file that is one line costs a fraction of a
    second and no copy."""
    line_start, lines_before = start, 0
    too_long: tuple[int, int] | None = None  # (line number, offset of the line)
    for a in range(start, len(data), _BLOCK):
        b = min(a + _BLOCK, len(data))
        breaks = np.flatnonzero(np.frombuffer(data, np.uint8, b - a, a) == 0x0A) + a
        if len(breaks):
            starts = np.concatenate([[line_start], breaks[:-1] + 1])
            over = np.flatnonzero(breaks - starts > MAX_LINE_BYTES)
            if len(over):
                too_long = (lines_before + int(over[0]) + 1, int(starts[over[0]]))
                break
            lines_before += len(breaks)
            line_start = int(breaks[-1]) + 1
            if lines_before > MAX_LINES:
                report.error(
                    "too_many_lines",
                    f"Filen har mere end {_n(MAX_LINES)} linjer (grænsen); et udtræk for hele "
                    "landet har under en million rækker. Er filen fyldt op med tomme linjer, "
                    "eller er den ikke et udtræk?",
                    row=MAX_LINES + 1,
                    column="kolonne 1",
                )
                return False
        if b - line_start > MAX_LINE_BYTES:
            too_long = (lines_before + 1, line_start)
            break
    if too_long is None:
        return True
    line, at = too_long
    end = data.find(b"\n", at)
    length = (len(data) if end < 0 else end) - at
    column = data.count(sep.encode(), at, at + MAX_LINE_BYTES) + 1
    cell = data.rfind(sep.encode(), at, at + MAX_LINE_BYTES) + 1 or at
    value = decode_head(data, cell, min(cell + 240, len(data)), encoding)
    report.error(
        "line_too_long",
        f"Linjen er {_n(length)} byte lang; grænsen er {_n(MAX_LINE_BYTES)} byte pr. linje "
        "(en række i et udtræk fylder nogle hundrede). Mangler filen linjeskift, eller er "
        "den ikke et udtræk?",
        row=line,
        column=f"kolonne {column}",
        value=shown(value, 60),
    )
    return False


class _FallBack:
    """The fast path does not apply (short or long rows): pandas reads the body."""


_FALL_BACK = _FallBack()
_WORD_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], dtype=np.uint64)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MAX_WORDS = 16  # cells up to 128 bytes are compared as 64-bit words, longer ones as bytes
# Bytes that str.strip() removes and that never belong to a longer character: a field of
# only these (and separators) is blank.
_BLANK_BYTES = np.zeros(256, dtype=bool)
_BLANK_BYTES[list(b" \t\x0b\x0c\r\x1c\x1d\x1e\x1f")] = True


def _fast_body(
    data: bytes,
    start: int,
    encoding: str,
    sep: str,
    header: list[str],
    positions: dict[str, int],
    header_end: int,
    report: Report,
) -> tuple[pd.DataFrame, pd.Series] | _FallBack | None:
    """A body without quotes, every line a record: cut by numpy a block at a time.

    Each column's cells are compared as 64-bit words, factorized per block and decoded once
    per distinct value; the case numbers, all different, become text in one decode per
    block. Blank lines are dropped (they are no rows). Returns _FALL_BACK when a line has
    fewer fields than the header or text beyond it (pandas and _long_rows report those).
    """
    width = len(header)
    sep_byte = ord(sep)
    names = sorted(positions, key=positions.__getitem__)
    memo: dict[str, dict[bytes, int]] = {n: {} for n in names if n != "sagsnummer"}
    codes: dict[str, list[np.ndarray]] = {n: [] for n in names}
    texts: list[str] = []
    lines: list[np.ndarray] = []
    first_line = header_end + 1
    for a, b in _record_blocks(data, start):
        arr = np.frombuffer(data, np.uint8, b - a, a)
        cut = _cut(arr, sep_byte, width, b == len(data))
        if cut is None:
            return _FALL_BACK  # a carriage return alone ends a line for pandas
        starts, ends, fields, n_lines = cut
        if isinstance(fields, tuple):
            seps, first, count = fields
            if (widest := int(count.max(initial=0)) + 1) > MAX_COLUMNS:
                at = int(np.argmax(count + 1 > MAX_COLUMNS))
                report.error(
                    "too_many_columns",
                    f"Rækken har {_n(widest)} felter; grænsen er {_n(MAX_COLUMNS)} "
                    f"(overskriften har {_n(width)}). Står der data langt til højre for "
                    "tabellen?",
                    row=first_line + at,
                    column=f"kolonne {MAX_COLUMNS + 1}",
                    value=shown(
                        bytes(arr[starts[at] : starts[at] + 60]).decode(encoding, "replace")
                    ),
                )
                return None
            rows = _irregular_rows(arr, sep_byte, width, starts, ends, seps, first, count)
            if rows is None:
                return _FALL_BACK
            keep, bounds = rows
        else:
            keep, bounds = np.arange(n_lines), fields
        lines.append(keep + first_line)
        first_line += n_lines
        if not len(keep):
            continue
        pad = np.zeros(b - a + 8 * _MAX_WORDS + 16, dtype=np.uint8)
        pad[: b - a] = arr
        for name in names:
            j = positions[name]
            s = starts[keep] if j == 0 else bounds[:, j - 1] + 1
            e = bounds[:, j]
            if name == "sagsnummer":
                texts.extend(_cell_texts(pad, s, e, encoding))
            else:
                codes[name].append(_block_codes(data, a, pad, s, e, memo[name]))
    columns: dict[str, pd.Series] = {}
    for name in names:  # one column at a time, each block's pieces freed as it is built
        if name == "sagsnummer":
            numbers = np.empty(len(texts), dtype=object)
            numbers[:] = texts
            del texts[:]
            columns[name] = pd.Series(numbers, dtype=object, copy=False)
        else:
            columns[name] = pd.Series(_categorical(codes.pop(name), memo.pop(name), encoding))
    frame = pd.DataFrame(columns, columns=names, copy=False)
    found = np.concatenate(lines) if lines else np.zeros(0, dtype=np.int64)
    return frame, pd.Series(found.astype(np.int64), index=frame.index)


def _cut(
    arr: np.ndarray, sep_byte: int, width: int, last: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | tuple[np.ndarray, ...], int] | None:
    """A block's lines: (starts, ends without CR LF, field bounds, number of lines).

    The field bounds are an (lines, width) array of each field's end when every line has
    exactly the header's fields (one pass finds all separators and line breaks); otherwise
    (separators, index of each line's first, count per line) for _irregular_rows. None when
    a carriage return stands alone (pandas would end a line there)."""
    delimiters = np.flatnonzero((arr == 0x0A) | (arr == sep_byte))
    is_break = arr[delimiters] == 0x0A
    if last and len(arr) and arr[-1] != 0x0A:  # the last line has no line break
        delimiters = np.append(delimiters, len(arr))
        is_break = np.append(is_break, True)
    ends = delimiters[is_break]
    n_lines = len(ends)
    starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64)
    crlf = (arr[np.maximum(ends - 1, 0)] == 0x0D) & (ends > starts)
    if np.count_nonzero(arr == 0x0D) != np.count_nonzero(crlf):
        return None
    if len(delimiters) == n_lines * width and is_break[width - 1 :: width].all():
        grid = delimiters.reshape(n_lines, width)
        grid[:, -1] -= crlf
        return starts, grid[:, -1], grid, n_lines
    ends = ends - crlf
    seps = delimiters[~is_break]
    first = np.searchsorted(seps, starts)
    count = np.searchsorted(seps, ends) - first
    return starts, ends, (seps, first, count), n_lines


def _irregular_rows(
    arr: np.ndarray,
    sep_byte: int,
    width: int,
    starts: np.ndarray,
    ends: np.ndarray,
    seps: np.ndarray,
    first: np.ndarray,
    count: np.ndarray,
) -> tuple[np.ndarray, np.ndarray] | None:
    """(lines kept, their field ends) of a block whose lines differ in length: blank lines
    are dropped, Excel's trailing separators ignored. None when a line has text beyond the
    header or fewer fields than it (pandas and _long_rows report those)."""
    row = count == width - 1
    odd = np.flatnonzero(~row & (ends > starts))  # empty lines are no rows, and need no count
    if not len(odd):
        keep = np.flatnonzero(row)
        return keep, _field_ends(seps, first, count, ends, keep, width)
    blank_before = np.zeros(len(arr) + 1, dtype=np.int32)
    np.cumsum(_BLANK_BYTES[arr] | (arr == sep_byte), out=blank_before[1:])
    long = odd[count[odd] > width - 1]
    tail = seps[first[long] + width - 1]
    if (blank_before[ends[long]] - blank_before[tail] != ends[long] - tail).any():
        return None  # text beyond the header's last column
    short = odd[count[odd] < width - 1]
    size = ends[short] - starts[short]
    if (blank_before[ends[short]] - blank_before[starts[short]] != size).any():
        return None  # a row with fewer fields than the header
    row[long] = True  # Excel's trailing separators; short blank lines are no rows
    keep = np.flatnonzero(row)
    return keep, _field_ends(seps, first, count, ends, keep, width)


def _field_ends(
    seps: np.ndarray,
    first: np.ndarray,
    count: np.ndarray,
    ends: np.ndarray,
    keep: np.ndarray,
    width: int,
) -> np.ndarray:
    """(rows, width) array of each kept line's field ends (Excel's surplus fields cut off)."""
    at = np.minimum(first[keep][:, None] + np.arange(width), max(len(seps) - 1, 0))
    bounds = seps[at] if len(seps) else np.zeros((len(keep), width), dtype=np.int64)
    exact = count[keep] == width - 1
    bounds[exact, -1] = ends[keep][exact]
    return bounds


def _record_blocks(data: bytes, start: int) -> Iterator[tuple[int, int]]:
    """(start, end) of blocks of about _BLOCK bytes, each ending after a line break."""
    pos = start
    while pos < len(data):
        stop = min(pos + _BLOCK, len(data))
        if stop < len(data):
            cut = data.rfind(b"\n", pos, stop)
            if cut < 0:  # one line longer than the block (at most MAX_LINE_BYTES)
                cut = data.find(b"\n", stop)
            stop = len(data) if cut < 0 else cut + 1
        yield pos, stop
        pos = stop


def _words(pad: np.ndarray, s: np.ndarray, lengths: np.ndarray, count: int) -> np.ndarray:
    """The cells as (cells, count) little-endian 64-bit words, zero beyond each cell's end.

    One gather of `count` * 8 bytes per cell (a void dtype over the block, one byte apart),
    then a mask per word: element-wise gathers of words are several times slower."""
    span = np.dtype((np.void, 8 * count))
    view = np.ndarray((len(pad) - 8 * count + 1,), dtype=span, buffer=pad, strides=(1,))
    words = view[s].view("<u8").reshape(len(s), count)
    words &= np.take(_masks(count), lengths, axis=0)  # take: several times [] on rows
    return words


_MASKS_BY_LENGTH: dict[int, np.ndarray] = {}


def _masks(count: int) -> np.ndarray:
    """(8 * count + 1, count) table: row L masks the words of a cell of L bytes. One gather
    per cell instead of computing each word's room (three temporaries the size of words)."""
    table = _MASKS_BY_LENGTH.get(count)
    if table is None:
        room = np.clip(np.arange(8 * count + 1)[:, None] - 8 * np.arange(count), 0, 8)
        table = _MASKS_BY_LENGTH[count] = _WORD_MASKS[room]
    return table


def _block_codes(
    data: bytes, a: int, pad: np.ndarray, s: np.ndarray, e: np.ndarray, memo: dict[bytes, int]
) -> np.ndarray:
    """Codes of one block's cells into `memo` (each distinct cell's bytes -> its number)."""
    lengths = e - s
    count = max(1, -(-int(lengths.max()) // 8))
    if count > _MAX_WORDS:  # long cells: compared as bytes (rare, and bounded per cell)
        return _codes_as_bytes(data, a, s, e, memo)
    words = _words(pad, s, lengths, count)
    key = words[:, 0].copy()
    for w in range(1, count):
        key *= _MIX
        key ^= words[:, w]
    local, _ = pd.factorize(key)
    firsts = np.empty(local.max(initial=-1) + 1, dtype=np.int64)
    firsts[local[::-1]] = np.arange(len(local) - 1, -1, -1)
    if count > 1 and not np.array_equal(np.take(words[firsts], local, axis=0), words):
        return _codes_as_bytes(data, a, s, e, memo)  # two cells with one key: as bytes
    lut = np.array(
        [memo.setdefault(data[a + int(s[f]) : a + int(e[f])], len(memo)) for f in firsts],
        dtype=np.int32,
    )
    return lut[local]


def _codes_as_bytes(
    data: bytes, a: int, s: np.ndarray, e: np.ndarray, memo: dict[bytes, int]
) -> np.ndarray:
    ids = [memo.setdefault(data[a + i : a + j], len(memo)) for i, j in zip(s, e, strict=True)]
    return np.array(ids, dtype=np.int32)


def _cell_texts(pad: np.ndarray, s: np.ndarray, e: np.ndarray, encoding: str) -> list[str]:
    """Each cell as text (the case numbers: all different, so no memo): the cells are laid
    side by side with a line break after each, decoded once and split."""
    lengths = e - s
    wide = int(lengths.max(initial=0)) + 1
    if wide > 8 * _MAX_WORDS:  # long cells: one at a time (rare, and bounded per cell)
        return [bytes(pad[i:j]).decode(encoding) for i, j in zip(s, e, strict=True)]
    span = np.dtype((np.void, wide))
    view = np.ndarray((len(pad) - wide + 1,), dtype=span, buffer=pad, strides=(1,))
    matrix = view[s].view(np.uint8).reshape(len(s), wide)
    keep, line_break = _text_masks(wide)
    matrix &= np.take(keep, lengths, axis=0)
    matrix |= np.take(line_break, lengths, axis=0)
    joined = matrix.tobytes().replace(b"\x00", b"")
    # Every reader encoding (UTF-8, Windows-1252) reads ASCII as ASCII, and that codec is
    # ten times faster than cp1252's character map.
    return joined.decode("ascii" if joined.isascii() else encoding).split("\n")[:-1]


_TEXT_MASKS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _text_masks(wide: int) -> tuple[np.ndarray, np.ndarray]:
    """(wide, wide) tables for a cell of L bytes: row L keeps its bytes, and puts a line
    break after them (two row gathers instead of a comparison and a scatter per cell)."""
    tables = _TEXT_MASKS.get(wide)
    if tables is None:
        span = np.arange(wide)
        keep = np.where(span[None, :] < span[:, None], 0xFF, 0).astype(np.uint8)
        line_break = np.where(span[None, :] == span[:, None], 0x0A, 0).astype(np.uint8)
        tables = _TEXT_MASKS[wide] = (keep, line_break)
    return tables


def _categorical(blocks: list[np.ndarray], memo: dict[bytes, int], encoding: str) -> pd.Categorical:
    """The column as pandas' reader gives it: categories sorted, every value as written."""
    labels = [raw.decode(encoding) for raw in memo]
    order = sorted(range(len(labels)), key=labels.__getitem__)
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    ids = np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.int32)
    return pd.Categorical.from_codes(
        rank[ids] if len(ids) else ids, categories=pd.Index([labels[i] for i in order])
    )


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
        blank &= blank_cat(extra[name]).to_numpy()
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
            f"({SEP_NAMES[sep]}) i en værdi uden anførselstegn? Sæt værdien i "
            'anførselstegn, fx "§ 44, jf. § 83".',
            row=int(lines.iat[pos]),
            column=f"kolonne {width + 1}",
            value="; ".join(c for c in cells if c.strip()),
        )
    report.count_only("fejl", "too_many_fields", max(len(positions) - room, 0))
    # Its cells are shifted: checking them would only repeat the problem.
    return frame.loc[~long], lines.loc[~long]


def _csv_module_body(
    data: bytes,
    prefix: int,
    encoding: str,
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
    # Decoded as it is read: the body as one string could take four times the file.
    stream = io.TextIOWrapper(_at(data, prefix), encoding=encoding, newline="")
    reader = csv.reader(stream, delimiter=sep, strict=True)
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
                    f"skilletegnet ({SEP_NAMES[sep]}) i en værdi uden anførselstegn? Sæt "
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
    frame = make_frame(names, columns)
    return frame, pd.Series(lines, index=frame.index, dtype=np.int64)

"""Reading a CSV extract into a Table: pandas' C reader on the fast path, the stdlib's csv
module record by record where the layout needs exact lines (broken quoting, long rows).
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd

from danmarkskort.compute.decode import ENCODING_NAMES, decode
from danmarkskort.compute.report import Report
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


def read_csv(data: bytes, report: Report) -> Table | None:
    decoded = decode(data, report)
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
    chosen = choose_header([(n, cells) for n, _, _, _, cells in candidates], report)
    if chosen is None:
        return None
    header_row, header_end, end, sep, header = candidates[chosen]
    matched = match_header(header, report, header_row)
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
            "encoding": ENCODING_NAMES[encoding],
            "separator": SEP_NAMES[sep],
        },
    )
    note_layout(table, header, positions, header_row)
    return drop_blank_rows(table)


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

"""Reading an extract (design §3, a contract): CSV or XLSX, either shape, into one table.

Tolerant where senders differ (encoding, separator, header spelling), strict where it
matters (which columns are there). Problems go to the report; nothing is guessed silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd

from danmarkskort.report import Report

Shape = Literal["cases", "aggregated"]
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


@dataclass(frozen=True, slots=True)
class Column:
    name: str  # canonical
    label: str  # as the contract names it, for messages
    required: bool
    keys: frozenset[str]


@dataclass
class Table:
    """The extract's rows under canonical column names, all values as text."""

    shape: Shape
    frame: pd.DataFrame
    lines: pd.Series  # the file's line (CSV) or sheet row (XLSX) of each row
    headers: dict[str, str]  # canonical name -> header as written in the file
    facts: dict[str, str] = field(default_factory=dict)


def header_key(text: object) -> str:
    """Case-, accent- and separator-insensitive key: 'Ændring/Ophævelse' ~ 'aendring ophaevelse'."""
    s = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    s = s.translate(str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"}))
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")
    s = re.sub(r"[\s/._\-]+", "", s)
    # Senders drop the Danish letters in different ways ('Afgorelse', 'Aar', 'Andring').
    return s.replace("ae", "a").replace("oe", "o").replace("aa", "a")


@cache
def column_specs() -> dict[str, tuple[Column, ...]]:
    raw = (
        resources.files("danmarkskort").joinpath("data", "extract_columns.json").read_text("utf-8")
    )
    doc = json.loads(raw)
    return {
        shape: tuple(
            Column(
                name, spec["label"], spec["required"], frozenset(map(header_key, spec["aliases"]))
            )
            for name, spec in doc[shape].items()
        )
        for shape in ("cases", "aggregated")
    }


def read_extract(data: bytes, filename: str, report: Report) -> Table | None:
    """The extract as a Table, or None when it cannot be read (the reasons are in the report)."""
    blank = b" \t\r\n\x00\xef\xbb\xbf"
    if not data[:4096].strip(blank) and not data.strip(blank):  # no 200 MB copy for a real file
        report.error("empty", "Filen indeholder ingen data.")
        return None
    if data[:4] == XLSX_MAGIC or filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data, report)
    return _read_csv(data, report)


def _decode(data: bytes, report: Report) -> tuple[str, str] | None:
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        report.error(
            "unreadable", "Filen er gemt som UTF-16. Gem den som UTF-8 eller Windows-1252."
        )
        return None
    else:
        encodings = ["utf-8", "cp1252"]
    for encoding in encodings:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            last = exc
    line = data[: last.start].count(b"\n") + 1
    report.error(
        "unreadable",
        "Filen er hverken gyldig UTF-8 eller Windows-1252 (ugyldig byte "
        f"0x{data[last.start]:02x} ved byte {last.start}). Gem filen som CSV (UTF-8).",
        row=line,
    )
    return None


def _sniff_separator(header_line: str) -> str:
    counts = {sep: header_line.count(sep) for sep in (";", "\t", ",")}
    return max(counts, key=lambda sep: counts[sep])


def _match_header(header: list[str], report: Report) -> tuple[Shape, dict[str, int]] | None:
    """Pick the shape the header fits and map canonical names to column positions."""
    keys = [header_key(h) for h in header]
    specs = column_specs()
    scores = {
        shape: sum(
            any(k in col.keys for k in keys)
            for col in specs[shape]
            if col.name in _DISTINCTIVE[shape]
        )
        for shape in specs
    }
    shape: Shape = max(scores, key=lambda s: scores[s])  # type: ignore[assignment]
    if scores[shape] == 0:
        report.error(
            "unknown_shape",
            "Overskriften passer hverken til et aggregeret udtræk (Instans; Lov; Paragraf; Aar; "
            "Stadfæstelse; Ændring/Ophævelse; Hjemvisning; Afvisning/Henvisning) eller til et "
            "udtræk på sagsniveau (Sagsnummer; Afgørelseskommune; Lov; Paragraf; Afgørelse; "
            f"Afgørelsesdato). Fundet: {' | '.join(h for h in header if h) or '(ingen)'}",
            row=1,
        )
        return None
    positions: dict[str, int] = {}
    ok = True
    for col in specs[shape]:
        found = [i for i, k in enumerate(keys) if k in col.keys]
        # 'Kommune' may alias 'Instans' in cases; prefer the first exact alias.
        found = [i for i in found if i not in positions.values()]
        if len(found) > 1:
            report.error(
                "duplicate_column",
                f"Kolonnen {col.label} står flere gange (kolonne "
                f"{', '.join(str(i + 1) for i in found)}).",
                row=1,
                column=header[found[1]],
            )
            ok = False
        elif found:
            positions[col.name] = found[0]
        elif col.required:
            report.error(
                "missing_column",
                f"Kolonnen «{col.label}» mangler; den kræves i et udtræk af typen "
                f"{SHAPE_NAMES[shape]}. Overskriften har: {' | '.join(header)}",
                row=1,
                column=col.label,
            )
            ok = False
    return (shape, positions) if ok else None


def _read_csv(data: bytes, report: Report) -> Table | None:
    decoded = _decode(data, report)
    if decoded is None:
        return None
    text, encoding = decoded
    text = text.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0].rstrip("\r")
    sep = _sniff_separator(first_line)
    header = next(csv.reader([first_line], delimiter=sep))
    header = [h.strip() for h in header]
    matched = _match_header(header, report)
    if matched is None:
        return None
    shape, positions = matched
    names = sorted(positions, key=positions.get)  # type: ignore[arg-type]
    generic = [f"c{i}" for i in range(len(header))]
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            encoding=encoding,
            sep=sep,
            header=None,
            skiprows=1,
            names=generic,
            usecols=[generic[positions[n]] for n in names],
            dtype={
                generic[positions[n]]: "str" if n == "sagsnummer" else "category" for n in names
            },
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError) as exc:
        report.error(
            "unreadable",
            "Filen kan ikke læses som CSV; har alle rækker lige så mange felter som "
            f"overskriften, og er anførselstegn lukket? (læserens besked: {exc})",
        )
        return None
    frame = frame.rename(columns={generic[positions[n]]: n for n in names})[names]
    lines = pd.Series(frame.index.to_numpy() + 2, index=frame.index)
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
    return _drop_blank_rows(table)


_ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 med BOM", "cp1252": "Windows-1252"}
_SEP_NAMES = {";": "semikolon", ",": "komma", "\t": "tabulator"}


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

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        report.error("unreadable", f"Filen kan ikke læses som XLSX (Excel): {exc}")
        return None
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header: list[str] = []
        header_row = 0
        for number, row in enumerate(rows, start=1):
            if any(c not in (None, "") for c in row):
                header, header_row = [_cell_text(c) for c in row], number
                break
        if not header:
            report.error("empty", "Det første ark i XLSX-filen er tomt.")
            return None
        matched = _match_header(header, report)
        if matched is None:
            return None
        shape, positions = matched
        names = sorted(positions, key=positions.get)  # type: ignore[arg-type]
        records = []
        for row in rows:
            cells = [
                _cell_text(row[positions[n]]) if positions[n] < len(row) else "" for n in names
            ]
            records.append(cells)
    finally:
        workbook.close()
    frame = pd.DataFrame(records, columns=names, dtype="object")
    for name in names:
        if name != "sagsnummer":
            frame[name] = frame[name].astype("category")
    lines = pd.Series(frame.index.to_numpy() + header_row + 1, index=frame.index)
    table = Table(
        shape=shape,
        frame=frame,
        lines=lines,
        headers={n: header[positions[n]] for n in names},
        facts={"format": "XLSX (første ark)"},
    )
    return _drop_blank_rows(table)


def _drop_blank_rows(table: Table) -> Table:
    blank = None
    for name in table.frame.columns:
        col = table.frame[name]
        empty = col.eq("") if col.dtype != "category" else _blank_cat(col)
        blank = empty if blank is None else (blank & empty)
    if blank is not None and blank.any():
        table.frame = table.frame.loc[~blank]
        table.lines = table.lines.loc[~blank]
    return table


def _blank_cat(col: pd.Series) -> pd.Series:
    """Blank test on the categories only: a million rows share a few hundred values."""
    blank_cats = pd.Series(col.cat.categories.astype(str)).str.strip().eq("").to_numpy()
    codes = col.cat.codes.to_numpy()
    if not len(blank_cats):
        return pd.Series(True, index=col.index)
    return pd.Series((codes < 0) | blank_cats[np.maximum(codes, 0)], index=col.index)

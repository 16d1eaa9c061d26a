"""Reading an XLSX extract into a Table (the first sheet)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:  # openpyxl is imported only where an XLSX extract is read
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_xlsx(data: bytes, report: Report) -> Table | None:
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
    return any(cell_text(c) for c in row)


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
            candidates.append((number, [cell_text(c) for c in row]))
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
    chosen = choose_header(candidates, report)
    if chosen is None:
        return None
    header_row, header = candidates[chosen]
    matched = match_header(header, report, header_row)
    if matched is None:
        return None
    shape, positions = matched
    names = sorted(positions, key=positions.__getitem__)
    idx = [positions[n] for n in names]
    columns: list[list[str]] = [[] for _ in names]
    lines: list[int] = []

    def take(number: int, row: tuple[object, ...]) -> None:
        for out, i in zip(columns, idx, strict=True):
            out.append(cell_text(row[i]) if i < len(row) else "")
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
    frame = make_frame(names, columns)
    table = Table(
        shape=shape,
        frame=frame,
        lines=pd.Series(lines, index=frame.index, dtype=np.int64),
        headers={n: header[positions[n]] for n in names},
        facts={"format": "XLSX (første ark)"},
    )
    note_layout(table, header, positions, header_row)
    return drop_blank_rows(table)


def _sheet_has_data(sheet: ReadOnlyWorksheet) -> bool:
    try:
        return any(_nonempty(r) for r in sheet.iter_rows(max_row=50, values_only=True))
    except Exception:  # only a hint for the message; the sheet itself is not read
        return False

"""Workbooks written by openpyxl, as Excel users' files are, for the reader's tests."""

from __future__ import annotations

import io
from collections.abc import Iterable

from openpyxl import Workbook


def openpyxl_workbook(*sheets: list[list[object]], titles: Iterable[str] = ()) -> bytes:
    """One sheet per list of rows, in order; the first `titles` name them."""
    wb = Workbook()
    names = list(titles)
    for i, rows in enumerate(sheets):
        ws = wb.active if i == 0 else wb.create_sheet()
        if i < len(names):
            ws.title = names[i]
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

"""Hostile XLSX extracts through the real compute_rates handler, with a memory ceiling.

Measured before issue 10 (openpyxl): a 177 KB XLSX with 20 million empty rows ran 118 s and
3.7 GB, a 1 MB XLSX with 1 GB of whitespace peaked at 2.16 GB, a 410 KB XLSX with one 400 MB
shared string at 884 MB. compute_rates has 2,048 MB; above it Lambda kills the function and
there is no report, only retries and the failure queue. Each such file must now be rejected
with a report, in seconds and well under the function's memory; and an ordinary large
extract must still be published under the same ceiling.

Each run is a fresh child process (tests/integration/memory_ceiling.py): its peak RSS is the
handler's, not this test process's.
"""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape

import pytest
from danmarkskort_tools.generator import CASE_HEADER, generate_cases

from tests.integration.memory_ceiling import run_compute
from tests.unit.test_xlsx_reader import deflated, repeated, shared_xml, workbook

CEILING_MIB = 1024  # half the function's 2,048 MB
SECONDS = 15  # the handler's wall time for a rejection (a loaded CI machine included)
SHEET = "xl/worksheets/sheet1.xml"
HEAD = b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
TAIL = b"</sheetData></worksheet>"
CELLS = b'<row r="1"><c r="A1" t="inlineStr"><is><t>Sagsnummer</t></is></c></row>'


def rejected_cheaply(data: bytes, *codes: str) -> str:
    """The handler rejects the extract with exactly these error codes, fast and small; the
    report's first message."""
    outcome = run_compute(data, "udtraek.xlsx", kill_above_mib=2 * CEILING_MIB, timeout=300)
    assert outcome.status == "rejected", (outcome.status, outcome.exception, outcome.stderr)
    assert outcome.error_codes == codes, outcome.messages()
    assert outcome.peak_rss_mib < CEILING_MIB, outcome
    assert outcome.seconds < SECONDS, outcome
    return outcome.messages()[0]


def test_twenty_million_empty_rows_in_a_small_file():
    part = repeated(SHEET, HEAD + CELLS, b"<row/>" * 100_000, 200, TAIL)
    data = workbook(part)
    assert len(data) < 400_000 and part.size > 100_000_000
    assert "gange" in rejected_cheaply(data, "too_large")  # its compression ratio


def test_empty_rows_with_their_numbers_stop_at_excels_row_limit():
    rows = b"".join(b'<row r="%d"/>' % i for i in range(2, 1_200_000))
    data = workbook(deflated(SHEET, HEAD + CELLS + rows + TAIL))
    assert "1.048.576" in rejected_cheaply(data, "too_large")


def test_a_gigabyte_of_whitespace_in_one_megabyte():
    part = repeated(SHEET, HEAD + CELLS, b" " * (1 << 20), 1024, TAIL)
    data = workbook(part)
    assert len(data) < 2_000_000 and part.size > 1 << 30
    assert "gange" in rejected_cheaply(data, "too_large")


def test_one_shared_string_of_400_megabytes():
    head = b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
    shared = repeated("xl/sharedStrings.xml", head, b"x" * (1 << 20), 400, b"</t></si></sst>")
    sheet = HEAD + b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>' + TAIL
    data = workbook(sheet, shared=shared)
    assert len(data) < 1_000_000
    assert "sharedStrings.xml" in rejected_cheaply(data, "too_large")


def test_a_single_cell_at_the_far_corner_of_the_grid():
    sheet = HEAD + CELLS + b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>' + TAIL
    assert "16.384 kolonner" in rejected_cheaply(workbook(sheet), "too_large")


def test_one_long_shared_text_repeated_in_many_cells():
    cells = b"".join(
        b'<row r="%d"><c r="A%d" t="s"><v>0</v></c></row>' % (i, i) for i in range(1, 20_001)
    )
    data = workbook(HEAD + cells + TAIL, shared=shared_xml(["x" * 30_000]))
    assert len(data) < 1_000_000  # 600 MB of copies in calamine
    assert "gentager tekster" in rejected_cheaply(data, "too_large")


def case_workbook(rows: int) -> bytes:
    """A case-level extract of `rows` rows from the generator, written as openpyxl writes it
    (inline texts, dates as numbers with a date style), fast."""
    per_year = -(-rows // 4)
    cases = generate_cases(
        years=(2021, 2022, 2023, 2024), cases_per_year=per_year, seed=2024, config=None
    )
    epoch = dt.date(1899, 12, 30)
    letters = "ABCDEFG"
    out = [HEAD, b'<row r="1">']
    out += [
        b'<c r="%s1" t="inlineStr"><is><t>%s</t></is></c>' % (c.encode(), escape(h).encode())
        for c, h in zip(letters, CASE_HEADER, strict=True)
    ]
    out.append(b"</row>")
    for n, case in enumerate(cases, start=2):
        if n > rows + 1:
            break
        text = case[6]
        day = (
            dt.date.fromisoformat(text)
            if text[4] == "-"
            else dt.date(int(text[6:10]), int(text[3:5]), int(text[0:2]))
        )
        cells = "".join(
            f'<c r="{c}{n}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
            for c, v in zip(letters, case[:6], strict=False)
        )
        out.append(
            f'<row r="{n}">{cells}<c r="G{n}" s="1"><v>{(day - epoch).days}</v></c></row>'.encode()
        )
    out.append(TAIL)
    styles = deflated(
        "xl/styles.xml",
        b'<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
        b'<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>',
    )
    return workbook(b"".join(out), extra=[styles])


@pytest.mark.parametrize("rows", [100_000])
def test_a_large_ordinary_extract_is_published_under_the_ceiling(rows):
    outcome = run_compute(
        case_workbook(rows), "udtraek.xlsx", kill_above_mib=2 * CEILING_MIB, timeout=600
    )
    assert outcome.status == "published", (outcome.exception, outcome.messages(), outcome.stderr)
    assert outcome.peak_rss_mib < CEILING_MIB, outcome
    assert outcome.report["facts"]["rows"] == str(rows)

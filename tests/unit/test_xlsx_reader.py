"""The XLSX reader (python-calamine) on workbooks as Excel and other programs write them, and
on hostile ones that must be refused before calamine builds them in memory.

The hostile workbooks are crafted here with a small zip writer: deflate of repetitive data
is fast, and a part repeated after a full flush is deflated once (`repeated`), so a sheet
of a gigabyte of spaces costs a few KB and a second to make.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import struct
import time
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import pytest
from danmarkskort.compute import xlsx_reader
from danmarkskort.compute.report import Report
from danmarkskort.compute.xlsx_reader import read_xlsx
from openpyxl import Workbook

from tests.workbooks import openpyxl_workbook

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
STRICT_RELS = "http://purl.oclc.org/ooxml/officeDocument/relationships"
CASE_HEADER = ["Sagsnummer", "Afgørelseskommune", "Lov", "Paragraf", "Afgørelse", "Afgørelsesdato"]
CASE_ROW = ["24-1", "Tårnby", "Serviceloven", "§ 41", "Stadfæstet", "2024-03-15"]
AGG_HEADER = [
    "Instans",
    "Lov",
    "Paragraf",
    "Aar",
    "Stadfæstelse",
    "Ændring/Ophævelse",
    "Hjemvisning",
    "Afvisning/Henvisning",
]


# --- crafting workbooks ------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One zip entry: a raw deflate stream with the CRC and size of what it unpacks to."""

    name: str
    stream: bytes
    crc: int
    size: int


def deflated(name: str, data: bytes) -> Part:
    co = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Part(name, co.compress(data) + co.flush(), zlib.crc32(data), len(data))


def repeated(name: str, head: bytes, unit: bytes, count: int, tail: bytes) -> Part:
    """head + unit × count + tail, deflating `unit` once: after a full flush the deflater
    has no history, so each copy of the unit compresses to the same bytes."""
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = co.compress(head) + co.flush(zlib.Z_FULL_FLUSH)
    piece = co.compress(unit) + co.flush(zlib.Z_FULL_FLUSH)
    last = co.compress(tail) + co.flush()
    crc = zlib.crc32(head)
    for _ in range(count):
        crc = zlib.crc32(unit, crc)
    crc = zlib.crc32(tail, crc)
    return Part(name, first + piece * count + last, crc, len(head) + len(unit) * count + len(tail))


def zip_parts(parts: Iterable[Part], *, declare: dict[str, int] | None = None) -> bytes:
    """A zip of deflated parts; `declare` states another unpacked size for a part (a lie)."""
    out = io.BytesIO()
    central = []
    for p in parts:
        size = (declare or {}).get(p.name, p.size)
        name = p.name.encode()
        offset = out.tell()
        fixed = (20, 0, 8, 0, 0x21, p.crc, len(p.stream), size, len(name), 0)
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fixed) + name + p.stream)
        central.append(
            struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fixed, 0, 0, 0, 0, offset) + name
        )
    start = out.tell()
    for entry in central:
        out.write(entry)
    size = out.tell() - start
    out.write(
        struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), size, start, 0)
    )
    return out.getvalue()


def sheet_xml(rows: Iterable[Iterable[object]], *, start_row: int = 1, ns: str = MAIN) -> bytes:
    """A sheet as Excel writes it: references on every row and cell, inline texts."""
    out = [f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{ns}"><sheetData>']
    for r, row in enumerate(rows, start=start_row):
        cells = []
        for c, value in enumerate(row):
            ref = f"{xlsx_reader._col_letters(c + 1)}{r}"
            if value is None:
                continue
            if isinstance(value, int | float):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                text = str(value).replace("&", "&amp;").replace("<", "&lt;")
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>')
        out.append(f'<row r="{r}">{"".join(cells)}</row>')
    out.append("</sheetData></worksheet>")
    return "".join(out).encode()


def workbook(
    *sheets: bytes | Part,
    names: Iterable[str] = (),
    states: Iterable[str | None] = (),
    shared: bytes | Part | None = None,
    ns: str = MAIN,
    rels_ns: str = RELS,
    declare: dict[str, int] | None = None,
    extra: Iterable[Part] = (),
) -> bytes:
    """An XLSX of the given sheet XMLs (bytes, or a Part named xl/worksheets/sheetN.xml)."""
    names = list(names) or [f"Ark{i + 1}" for i in range(len(sheets))]
    states = list(states) + [None] * len(sheets)
    entries = "".join(
        f'<sheet name="{n}" sheetId="{i + 1}" r:id="rId{i + 1}"'
        + (f' state="{states[i]}"' if states[i] else "")
        + "/>"
        for i, n in enumerate(names)
    )
    rels = "".join(
        f'<Relationship Id="rId{i + 1}" Type="{RELS}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
        for i in range(len(sheets))
    )
    parts = [
        deflated(
            "[Content_Types].xml",
            b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
        ),
        deflated(
            "_rels/.rels",
            b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            + b'package/2006/relationships"><Relationship Id="rId1" Type="'
            + RELS.encode()
            + b'/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        ),
        deflated(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook xmlns="{ns}" xmlns:r="{rels_ns}"><sheets>{entries}'
            "</sheets></workbook>".encode(),
        ),
        deflated(
            "xl/_rels/workbook.xml.rels",
            b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            + b'package/2006/relationships">'
            + rels.encode()
            + b"</Relationships>",
        ),
    ]
    for i, sheet in enumerate(sheets):
        name = f"xl/worksheets/sheet{i + 1}.xml"
        parts.append(sheet if isinstance(sheet, Part) else deflated(name, sheet))
    if shared is not None:
        name = "xl/sharedStrings.xml"
        parts.append(shared if isinstance(shared, Part) else deflated(name, shared))
    parts.extend(extra)
    return zip_parts(parts, declare=declare)


def shared_xml(texts: Iterable[str]) -> bytes:
    body = "".join(f"<si><t>{t}</t></si>" for t in texts)
    return f'<?xml version="1.0"?><sst xmlns="{MAIN}">{body}</sst>'.encode()


def read(data: bytes):
    report = Report()
    table = read_xlsx(data, report)
    return table, report


def codes(report: Report, severity: str = "fejl") -> list[str]:
    return [p.code for p in report.problems if p.severity == severity]


def message(report: Report, code: str) -> str:
    return next(p.message for p in report.problems if p.code == code)


def refused(data: bytes, code: str = "too_large", *, within: float = 10.0) -> str:
    """The workbook is refused with one error of `code`, quickly; its message."""
    t0 = time.perf_counter()
    table, report = read(data)
    assert time.perf_counter() - t0 < within
    assert table is None
    assert codes(report) == [code], report.to_text()
    return message(report, code)


# --- values as the old reader gave them --------------------------------------------------------


def test_every_kind_of_cell_reads_as_the_text_openpyxl_gave():
    values = [
        dt.date(2024, 3, 15),
        dt.datetime(2024, 3, 15, 10, 22),
        dt.time(10, 22),
        dt.timedelta(days=1, hours=2),
        True,
        False,
        3.0,
        0.5,
        185,
        "0185",
        "#N/A",
        "#DIV/0!",
        -0.0,
        9.2e18,
        " x ",
        dt.datetime(1900, 1, 1),
    ]
    wb = Workbook()
    ws = wb.active
    ws.append(CASE_HEADER)
    for v in values:
        ws.append([v, "Tårnby", "SEL", "§ 41", "Stadfæstet", dt.date(2024, 1, 2)])
    ws["A12"].data_type = ws["A13"].data_type = "e"  # Excel's error values
    buf = io.BytesIO()
    wb.save(buf)
    table, report = read(buf.getvalue())
    assert report.problems == []
    assert table.frame["sagsnummer"].tolist() == [
        "2024-03-15",
        "2024-03-15",
        "10:22:00",
        "1 day, 2:00:00",
        "True",
        "False",
        "3",
        "0.5",
        "185",
        "0185",
        "#N/A",
        "#DIV/0!",
        "0",
        "9200000000000000000",
        "x",
        "1900-01-01",
    ]
    assert set(table.frame["dato"]) == {"2024-01-02"}
    assert table.facts["format"] == "XLSX (første ark)"


def test_a_formula_with_a_computed_value_reads_as_the_value():
    rows = (
        sheet_xml([CASE_HEADER])[: -len("</sheetData></worksheet>")]
        + b'<row r="2"><c r="A2" t="str"><f>"24-"&amp;1</f><v>24-1</v></c>'
        + b'<c r="B2"><f>100+85</f><v>185</v></c><c r="C2" t="inlineStr"><is><t>SEL</t></is>'
        + b'</c><c r="D2" t="inlineStr"><is><t>\xc2\xa7 41</t></is></c><c r="E2" t="e"><f>NA()</f>'
        + b'<v>#N/A</v></c><c r="F2" t="str"><f>IF(1,"","x")</f><v></v></c></row>'
        + b"</sheetData></worksheet>"
    )
    table, report = read(workbook(rows))
    assert report.problems == []
    row = table.frame.iloc[0]
    assert (row["sagsnummer"], row["instans"], row["afgoerelse"], row["dato"]) == (
        "24-1",
        "185",
        "#N/A",  # Excel's error value, as Excel shows it (calamine alone gives '')
        "",  # a formula whose computed value is the empty text is an empty cell
    )


def test_rows_and_columns_keep_their_numbers_when_the_table_starts_further_in():
    table, report = read(
        workbook(sheet_xml([[None, None, *AGG_HEADER], [None, None, "Dragør"]], start_row=3))
    )
    assert report.problems == []
    assert table.lines.tolist() == [4]
    assert table.facts["header_row"] == "3"


def test_rows_written_out_of_order_are_placed_by_their_reference():
    xml = sheet_xml([CASE_HEADER, CASE_ROW, ["24-2", *CASE_ROW[1:]]])
    head, body = xml.split(b"<sheetData>")
    rows = body.split(b"</row>")[:-1]
    shuffled = (
        head
        + b"<sheetData>"
        + b"</row>".join([rows[2], rows[0], rows[1]])
        + b"</row></sheetData></worksheet>"
    )
    table, _ = read(workbook(shuffled))
    assert table.frame["sagsnummer"].tolist() == ["24-1", "24-2"]
    assert table.lines.tolist() == [2, 3]


# --- which sheet --------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_first_sheet_is_never_read(state):
    old = sheet_xml([CASE_HEADER, ["23-1", *CASE_ROW[1:]]])
    new = sheet_xml([CASE_HEADER, CASE_ROW])
    data = workbook(old, new, names=["Gammel", "Data"], states=[state])
    table, report = read(data)
    assert table.frame["sagsnummer"].tolist() == ["24-1"]
    assert codes(report, "advarsel") == ["hidden_sheets"]
    assert "«Gammel»" in message(report, "hidden_sheets")
    assert "«Data»" in message(report, "hidden_sheets")
    assert table.facts["format"] == "XLSX (første synlige ark «Data»)"


def test_hidden_sheets_after_the_first_are_named_as_other_sheets_with_data():
    data = workbook(
        sheet_xml([CASE_HEADER, CASE_ROW]),
        sheet_xml([["Opslag"], ["Stadfæstet"]]),
        sheet_xml([]),
        names=["Data", "Lister", "Tom"],
        states=[None, "hidden", None],
    )
    table, report = read(data)
    assert table is not None
    assert codes(report, "advarsel") == ["other_sheets"]
    assert "«Lister» (skjult)" in message(report, "other_sheets")
    assert "«Tom»" not in message(report, "other_sheets")


def test_a_workbook_whose_sheets_are_all_hidden_says_so():
    data = workbook(sheet_xml([CASE_HEADER, CASE_ROW]), names=["Data"], states=["hidden"])
    assert "«Data»" in refused(data, "empty")


def test_another_sheet_is_never_given_to_calamine():
    """Only the sheet read is bounded; another one (here a grid of 17 billion cells) is
    peeked at in its XML, never built."""
    far = b'<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>'
    t0 = time.perf_counter()
    table, report = read(workbook(sheet_xml([CASE_HEADER, CASE_ROW]), far))
    assert time.perf_counter() - t0 < 5
    assert table is not None and codes(report, "advarsel") == ["other_sheets"]


def test_many_hostile_other_sheets_cost_a_bounded_peek():
    bomb = repeated(
        "x", b"<worksheet><sheetData>", b" " * (1 << 20), 64, b"</sheetData></worksheet>"
    )
    others = [
        Part(f"xl/worksheets/sheet{i}.xml", bomb.stream, bomb.crc, bomb.size) for i in range(2, 302)
    ]
    data = workbook(sheet_xml([CASE_HEADER, CASE_ROW]), *others)
    t0 = time.perf_counter()
    table, report = read(data)
    assert time.perf_counter() - t0 < 3  # 64 of them peeked at, 1 MiB each
    assert table is not None and codes(report) == []


def test_an_empty_first_visible_sheet_names_the_sheet_with_data():
    data = workbook(sheet_xml([]), sheet_xml([CASE_HEADER, CASE_ROW]), names=["Forside", "Data"])
    text = refused(data, "empty")
    assert "«Forside»" in text and "«Data»" in text


# --- formulas without a computed value --------------------------------------------------------


def test_a_formula_without_a_computed_value_is_an_error_at_its_cell():
    data = openpyxl_workbook(
        [
            [*AGG_HEADER, "Note"],
            ["Dragør", "SEL", "§ 83", 2024, "=1+1", 0, 0, 0, "=A2"],
            ["Dragør", "SEL", "§ 85", 2024, 1, 0, 0, 0, "=A3"],
        ]
    )
    table, report = read(data)
    assert table is None
    assert [(p.code, p.row, p.column, p.value) for p in report.problems] == [
        ("uncomputed_formula", 2, "Stadfæstelse", "=1+1")
    ]  # the note column is not read: its formulas are no problem
    text = message(report, "uncomputed_formula")
    assert "formel uden beregnet værdi" in text and "Åbn filen i Excel" in text


def test_formulas_in_columns_that_are_not_read_are_no_problem():
    data = openpyxl_workbook(
        [[*AGG_HEADER, "Note"], ["Dragør", "SEL", "§ 83", 2024, 1, 0, 0, 0, "=A2"]]
    )
    table, report = read(data)
    assert table is not None and codes(report) == []


def test_shared_formulas_without_values_are_found_too():
    rows = (
        sheet_xml([AGG_HEADER])[: -len("</sheetData></worksheet>")]
        + b'<row r="2"><c r="A2" t="inlineStr"><is><t>Drag\xc3\xb8r</t></is></c><c r="B2" t="inlineStr"><is><t>SEL</t></is></c>'
        + b'<c r="C2" t="inlineStr"><is><t>x</t></is></c><c r="D2"><v>2024</v></c>'
        + b'<c r="E2"><f t="shared" ref="E2:E3" si="0">F2*2</f></c><c r="F2"><v>0</v></c>'
        + b'<c r="G2"><v>0</v></c><c r="H2"><v>0</v></c></row>'
        + b'<row r="3"><c r="E3"><f t="shared" si="0"/></c></row></sheetData></worksheet>'
    )
    table, report = read(workbook(rows))
    assert table is None
    assert [(p.row, p.column) for p in report.problems] == [
        (2, "Stadfæstelse"),
        (3, "Stadfæstelse"),
    ]


# --- formats that are not ordinary XLSX --------------------------------------------------------


def test_strict_open_xml_is_refused_naming_the_format():
    data = workbook(sheet_xml([CASE_HEADER, CASE_ROW], ns=STRICT), ns=STRICT, rels_ns=STRICT_RELS)
    text = refused(data, "unreadable")
    assert "Strict Open XML-regneark" in text and "«Excel-projektmappe (.xlsx)»" in text


@pytest.mark.parametrize(
    ("names", "says"),
    [
        (["word/document.xml"], "Word-dokument"),
        (["xl/workbook.bin"], ".xlsb"),
        (["data.csv"], "ZIP-arkiv"),
    ],
)
def test_a_zip_that_is_no_workbook_says_what_it_is(names, says):
    data = zip_parts(deflated(n, b"x") for n in names)
    assert says in refused(data, "unreadable")


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04 broken", b"PK\x03\x04" + bytes(300)],
    ids=["short", "zeros"],
)
def test_a_broken_zip_is_unreadable(data):
    assert "XLSX" in refused(data, "unreadable")


def test_a_part_that_unpacks_to_more_than_its_entry_says_is_broken():
    sheet = sheet_xml([CASE_HEADER, CASE_ROW])
    data = workbook(sheet, declare={"xl/worksheets/sheet1.xml": 100})
    assert "beskadiget" in refused(data, "unreadable")


def test_a_zip_with_a_password_is_refused_as_protected():
    data = bytearray(workbook(sheet_xml([CASE_HEADER, CASE_ROW])))
    at = data.find(b"PK\x01\x02")
    while at >= 0:  # set "encrypted" in every central directory entry
        data[at + 8] |= 1
        at = data.find(b"PK\x01\x02", at + 4)
    assert "adgangskode" in refused(bytes(data), "unreadable")


def test_ods_is_refused_as_before():
    data = (
        b"PK\x03\x04\x14\x00\x00\x08\x00\x00"
        + b"\x00" * 20
        + b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet"
    )
    assert ".ods" in refused(data, "unreadable")


# --- bounded cost --------------------------------------------------------------------------------


def test_a_sheet_packed_far_tighter_than_data_is_refused_from_the_directory():
    part = repeated(
        "xl/worksheets/sheet1.xml",
        b"<worksheet><sheetData>",
        b" " * (1 << 20),
        256,
        b"</sheetData></worksheet>",
    )
    text = refused(workbook(part), within=2)
    assert "gange" in text and f"grænsen er {xlsx_reader.MAX_COMPRESSION_RATIO} gange" in text


def test_whitespace_that_does_not_pack_well_is_refused_by_its_length():
    rng = random.Random(1)
    padding = bytes(rng.choice(b" \t\r\n") for _ in range(400_000))
    sheet = sheet_xml([CASE_HEADER]).replace(b"<sheetData>", b"<sheetData>" + padding)
    assert "mellemrum eller linjeskift i træk" in refused(workbook(sheet))


def test_a_cell_longer_than_excel_allows_is_refused():
    rng = random.Random(2)
    text = "".join(rng.choice("abcdefghij") for _ in range(xlsx_reader.MAX_TEXT_RUN_BYTES + 10))
    assert "32.767 tegn" in refused(workbook(sheet_xml([CASE_HEADER, [text, *CASE_ROW[1:]]])))


def test_a_shared_text_longer_than_excel_allows_is_refused():
    rng = random.Random(3)
    text = "".join(rng.choice("abcdefghij") for _ in range(xlsx_reader.MAX_TEXT_RUN_BYTES + 10))
    sheet = b'<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>'
    message = refused(workbook(sheet, shared=shared_xml([text])))
    assert "sharedStrings.xml" in message and "32.767 tegn" in message


def test_more_rows_than_excel_allows_are_refused_early():
    unit = b"".join(b'<row r="%d"/>' % i for i in range(1, xlsx_reader.EXCEL_MAX_ROWS + 2))
    part = deflated(
        "xl/worksheets/sheet1.xml", b"<worksheet><sheetData>" + unit + b"</sheetData></worksheet>"
    )
    assert "1.048.576" in refused(workbook(part))


def test_empty_rows_without_numbers_are_counted(monkeypatch):
    monkeypatch.setattr(xlsx_reader, "MAX_COMPRESSION_RATIO", 10_000)  # else refused for that
    part = repeated(
        "xl/worksheets/sheet1.xml",
        b"<worksheet><sheetData>",
        b"<row/>" * 100_000,
        20,
        b"</sheetData></worksheet>",
    )
    assert "1.048.576 rækker" in refused(workbook(part))


def test_a_single_cell_far_out_is_refused_before_calamine_builds_the_grid():
    sheet = (
        b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
        b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>'
    )
    text = refused(workbook(sheet), within=2)
    assert "1.048.576 rækker × 16.384 kolonner" in text
    assert f"grænsen er {xlsx_reader.MAX_CELLS:,} celler".replace(",", ".") in text


@pytest.mark.parametrize(
    ("ref", "says"),
    [
        ("XFE1", "kolonne 16.385"),
        ("A1048577", "række 1.048.577"),
        ("A99999999", "række 99.999.999"),
    ],
)
def test_a_reference_beyond_excels_grid_is_refused(ref, says):
    sheet = (
        f'<worksheet><sheetData><row r="1"><c r="{ref}"><v>1</v></c></row></sheetData></worksheet>'
    )
    assert says in refused(workbook(sheet.encode()))


def test_a_declared_area_beyond_excels_grid_is_refused():
    sheet = b'<worksheet><dimension ref="A1:G20000000"/><sheetData></sheetData></worksheet>'
    assert "A1:G20000000" in refused(workbook(sheet))


@pytest.mark.parametrize("value", [b"<v>0</v>", b'<v a="1">0</v>', b"<y:v>0</y:v>"])
def test_one_long_shared_text_in_many_cells_is_refused(value):
    """calamine copies a shared text into each cell that refers to it: 10,000 × 30,000."""
    cells = b"".join(
        b'<row r="%d"><c r="A%d" t="s">%s</c></row>' % (i, i, value) for i in range(1, 10_001)
    )
    sheet = b"<worksheet><sheetData>" + cells + b"</sheetData></worksheet>"
    text = refused(workbook(sheet, shared=shared_xml(["x" * 30_000])))
    assert "gentager tekster" in text and "256 MB" in text


def test_a_long_shared_text_in_a_few_cells_is_read():
    """Cells × the longest text is over the bound, so the references are counted: only one
    cell holds the long text, and the workbook is read."""
    header = b"".join(
        b'<c r="%s1" t="s"><v>%d</v></c>' % (c.encode(), i) for i, c in enumerate("ABCDEF")
    )
    rows = [b'<row r="1">' + header + b"</row>"]
    rows += [
        b'<row r="%d"><c r="A%d" t="s"><v>%d</v></c><c r="B%d" t="s"><v>7</v></c></row>'
        % (i, i, 6 if i == 2 else 8, i)
        for i in range(2, 15_000)
    ]
    sheet = b"<worksheet><sheetData>" + b"".join(rows) + b"</sheetData></worksheet>"
    texts = [*CASE_HEADER, "y" * 20_000, "Tårnby", "24-1"]
    assert xlsx_reader.MAX_SHARED_TEXT_BYTES < 30_000 * 20_000
    table, report = read(workbook(sheet, shared=shared_xml(texts)))
    assert codes(report) == [] and len(table.frame) == 14_998
    assert table.frame["sagsnummer"].iloc[0] == "y" * 20_000


@pytest.mark.parametrize(
    ("limit", "value", "says"),
    [
        ("MAX_SHARED_STRINGS", 3, "over 3 forskellige tekster"),
        ("MAX_ZIP_ENTRIES", 3, "grænsen er 3 dele"),
        ("MAX_SHARED_STRINGS_XML_BYTES", 100, "sharedStrings.xml) fylder"),
        ("MAX_META_XML_BYTES", 100, "xl/workbook.xml fylder"),
        ("MAX_SHEET_XML_BYTES", 1000, "Arket «Ark1» fylder"),
        ("MAX_CELLS", 10, "over 10 celler"),
    ],
)
def test_each_limit_refuses_naming_itself(monkeypatch, limit, value, says):
    monkeypatch.setattr(xlsx_reader, limit, value)
    sheet = sheet_xml([CASE_HEADER, CASE_ROW, ["24-2", *CASE_ROW[1:]]])
    assert says in refused(workbook(sheet, shared=shared_xml(["a", "b", "c", "d"])))


# --- writers that do not write references, or use a namespace prefix --------------------------


def _prefixed(xml: bytes) -> bytes:
    return (
        xml.replace(b"<worksheet xmlns=", b"<x:worksheet xmlns:x=")
        .replace(b"</worksheet>", b"</x:worksheet>")
        .replace(b"<", b"<x:")
        .replace(b"<x:/", b"</x:")
        .replace(b"<x:?", b"<?")
        .replace(b"<x:x:", b"<x:")
    )


def test_a_namespace_prefix_reads_the_same():
    plain = sheet_xml([CASE_HEADER, CASE_ROW, ["24-2", *CASE_ROW[1:]]])
    prefixed = _prefixed(plain)
    assert b"<x:c r=" in prefixed and b"<c " not in prefixed
    a, _ = read(workbook(plain))
    b, report = read(workbook(prefixed))
    assert b is not None, report.to_text()
    assert b.frame.equals(a.frame) and b.lines.tolist() == a.lines.tolist()


def test_cells_without_references_are_placed_as_calamine_places_them():
    plain = sheet_xml([CASE_HEADER, CASE_ROW, ["24-2", *CASE_ROW[1:]]])
    bare = plain.replace(b'<row r="2">', b"<row>")
    for c in "ABCDEF":
        for r in "123":
            bare = bare.replace(f' r="{c}{r}"'.encode(), b"")
    assert b' r="' in bare  # rows 1 and 3 keep their number
    a, _ = read(workbook(plain))
    b, report = read(workbook(bare))
    assert b is not None, report.to_text()
    assert b.frame.equals(a.frame) and b.lines.tolist() == a.lines.tolist()


def test_a_wide_row_of_cells_without_references_is_bounded_too():
    row = b"<row>" + b"<c><v>1</v></c>" * 16_385 + b"</row>"
    assert "kolonne 16.385" in refused(
        workbook(b"<worksheet><sheetData>" + row + b"</sheetData></worksheet>")
    )


def test_unreferenced_cells_across_many_rows_count_towards_the_grid(monkeypatch):
    monkeypatch.setattr(xlsx_reader, "MAX_CELLS", 1000)
    rows = b"<row>" + b"<c><v>1</v></c>" * 100 + b"</row>" + b"<row><c><v>1</v></c></row>" * 50
    assert "51 rækker × 100 kolonner" in refused(
        workbook(b"<worksheet><sheetData>" + rows + b"</sheetData></worksheet>")
    )


def test_comments_in_an_irregular_sheet_are_refused():
    sheet = b'<worksheet><sheetData><!-- <c r="A1"> --><row><c><v>1</v></c></row></sheetData></worksheet>'
    assert "kommentarer" in refused(workbook(sheet), "unreadable")


def test_an_attribute_before_the_reference_is_read():
    plain = sheet_xml([CASE_HEADER, CASE_ROW])
    styled = plain.replace(b'<c r="', b'<c s="0" r="')
    a, _ = read(workbook(plain))
    b, _ = read(workbook(styled))
    assert b.frame.equals(a.frame)


def test_the_grid_of_a_normal_sheet_is_measured_exactly_by_both_passes():
    rows = [CASE_HEADER] + [[f"24-{i}", *CASE_ROW[1:]] for i in range(1, 200)]
    zf = zipfile.ZipFile(io.BytesIO(workbook(sheet_xml(rows))))
    info = zf.getinfo("xl/worksheets/sheet1.xml")
    for exact in (False, True):
        scan = xlsx_reader._scan(zf, info, "arket", exact=exact)
        assert (scan.rows, scan.cells, scan.span()) == (200, 1200, (200, 6))

"""The spreadsheets attached to each mail: CSV for Danish Excel, XLSX read back by openpyxl,
formula injection neutralised, numbers kept as numbers."""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile

import openpyxl
import pytest
from danmarkskort import xlsx_writer as xlsx
from danmarkskort.domain.areas import default_mapping
from danmarkskort.domain.municipalities import registry
from danmarkskort.mail import attachments as att
from danmarkskort.text import shown_percent

from tests.figures_support import INJECTION
from tests.figures_support import mail_doc as build_doc


@pytest.fixture(scope="module")
def doc():
    return build_doc()


def test_file_names_are_ascii_and_say_what_and_whose():
    m = registry().by_code("155")
    assert att.file_stem("omgoerelsesprocenter", 2024, m) == "omgoerelsesprocenter-2024-155-dragoer"
    hoeje = registry().by_code("169")
    assert att.file_stem("omgoerelsesprocenter-paragraffer", 2024, hoeje) == (
        "omgoerelsesprocenter-paragraffer-2024-169-hoeje-taastrup"
    )


@pytest.mark.parametrize("value", ["=1+1", "+45 1234", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_starts_are_neutralised(value):
    assert att.neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["§ 41", "Dragør", "", None, -3.5, 12, "a=b"])
def test_other_values_are_left_alone(value):
    assert att.neutralise(value) == value


def test_figure_table_all_years_and_areas_with_national(doc):
    table = att.figure_table(doc, "155", default_mapping())
    assert len(table.rows) == 9  # 3 years × 3 areas
    assert [r[0] for r in table.rows[:3]] == [2024, 2024, 2024]
    first = dict(zip(table.columns, table.rows[0], strict=True))
    land = doc.national(2024, "socialomraadet")
    assert first["Område"] == "Socialområdet generelt" and first["Kommune"] == "Dragør"
    assert first["Sammenlignet med"] == "Hele landet"
    assert first["Sammenligning: omgørelsesprocent"] == shown_percent(land.omgoerelsesprocent)
    assert first["Sammenligning: omgørelsesprocent, ikke afrundet"] == land.omgoerelsesprocent
    assert first["Få sager (under 20)"] in ("ja", "nej")


def test_rates_are_rounded_half_up_as_on_the_site(doc):
    """50 of 400 is exactly 12.5 %: the site and the mail text show 13 %, so must the sheet
    (Python's round() would say 12); the unrounded column keeps 12.5."""
    first = next(f for f in doc.figures if f.kommunekode == "155")
    exact = dataclasses.replace(
        first,
        stadfaestet=350,
        aendret_ophaevet=50,
        hjemvist=0,
        realitetsbehandlede=400,
        omgoerelsesprocent=100 * 50 / 400,
    )
    changed = dataclasses.replace(doc, figures=(exact,))
    table = att.figure_table(changed, "155", default_mapping())
    row = dict(zip(table.columns, table.rows[0], strict=True))
    assert row["Omgørelsesprocent"] == 13
    assert row["Omgørelsesprocent, ikke afrundet"] == 12.5
    cells = att.to_csv(table).decode("utf-8-sig").splitlines()[1].split(";")
    assert cells[4] == "13"
    assert cells[table.columns.index("Omgørelsesprocent, ikke afrundet")] == "12,5"


def test_csv_is_danish_excel_and_neutralised(doc):
    table = att.provision_table(doc, "101", default_mapping())
    data = att.to_csv(table)
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["År", "Lov", "Paragraf"]
    injected = [r for r in rows if "HYPERLINK" in r[2]]
    assert injected and all(r[2] == "'" + INJECTION for r in injected)
    rates = [r[4] for r in rows[1:] if r[4]]
    assert all("," in r or r.isdigit() for r in rates)  # decimal comma


def test_csv_keeps_negative_changes_as_numbers(doc):
    table = att.figure_table(doc, "101", default_mapping())
    data = att.to_csv(table).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data), delimiter=";"))
    changes = [r[13] for r in rows[1:] if r[13].startswith("-")]
    assert changes and all(c.lstrip("-").replace(",", "").isdigit() for c in changes)


def test_xlsx_reads_back_with_numbers_text_and_neutralised_cells(doc):
    mapping = default_mapping()
    tables = [
        att.figure_table(doc, "101", mapping),
        att.provision_table(doc, "101", mapping),
        att.source_table(doc),
    ]
    wb = openpyxl.load_workbook(io.BytesIO(att.to_xlsx(tables)))
    assert wb.sheetnames == ["Områder", "Paragraffer", "Om tallene"]
    ws = wb["Områder"]
    header = [c.value for c in ws[1]]
    assert header == list(tables[0].columns)
    assert ws["A2"].value == 2024 and ws["D2"].value == "København"
    assert isinstance(ws["E2"].value, int)  # the shown rate: a whole number
    unrounded = header.index("Omgørelsesprocent, ikke afrundet") + 1
    assert isinstance(ws.cell(2, unrounded).value, float)
    assert ws["A1"].font.b
    assert ws.freeze_panes == "A2"
    paragraffer = wb["Paragraffer"]
    texts = [c.value for c in paragraffer["C"]]
    assert "'" + INJECTION in texts and INJECTION not in texts
    assert all(c.data_type != "f" for row in paragraffer.iter_rows() for c in row)
    about = {r[0]: r[1] for r in wb["Om tallene"].iter_rows(min_row=2, values_only=True)}
    assert about["Udtræk"] == doc.extract_file


def test_xlsx_package_parts_and_escaping():
    data = xlsx.write_xlsx(
        [xlsx.Sheet("A/B:C*?[x]", [["navn"], ['<&"> \x01 Ærø'], [None], [float("nan")]])]
    )
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        assert "[Content_Types].xml" in z.namelist()
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws.title == "A B C   x"
    assert ws["A2"].value == '<&">  Ærø'
    assert ws["A3"].value is None and ws["A4"].value is None


def test_xlsx_refuses_what_excel_would():
    with pytest.raises(ValueError, match="at least one sheet"):
        xlsx.write_xlsx([])
    with pytest.raises(ValueError, match="must differ"):
        xlsx.write_xlsx([xlsx.Sheet("Ark", [["a"]]), xlsx.Sheet("ark", [["b"]])])
    assert xlsx.column_letter(0) == "A" and xlsx.column_letter(26) == "AA"
    assert len(xlsx.sheet_title("x" * 40)) == 31


def test_no_provisions_no_provision_table(doc):
    from dataclasses import replace

    bare = replace(doc, provisions=())
    assert att.provision_table(bare, "101", default_mapping()) is None

"""Extracts as other people's tools write them (Excel, SAS, a colleague's script).

Every file must end either accepted with the right figures, or rejected with a Danish
report that names the line, column and value of each problem: never a traceback and never
a silently dropped row. `danmarkskort validate` must answer 0 or 2 for any file at all.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from danmarkskort.compute import csv_reader
from danmarkskort.compute import evaluate as compute
from danmarkskort.compute.evaluate import evaluate
from danmarkskort_tools.cli import main
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from tests.config_support import SMALL_EXTRACTS, small_config_dir
from tests.workbooks import openpyxl_workbook as workbook

RECEIVED = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
AGG_COLUMNS = [
    "Instans",
    "Lov",
    "Paragraf",
    "Aar",
    "Stadfæstelse",
    "Ændring/Ophævelse",
    "Hjemvisning",
    "Afvisning/Henvisning",
]
AGG = ";".join(AGG_COLUMNS) + "\n"
CASES = "Sagsnummer;Afgørelseskommune;Bopælskommune;Lov;Paragraf;Afgørelse;Afgørelsesdato\n"
# Problems about the file as a whole; every other problem must name its row and column.
FILE_LEVEL = {
    "empty",
    "unreadable",
    "too_large",
    "no_rows",
    "unknown_shape",
    "missing_column",
    "partial_extract",
}


def run(data: str | bytes, name: str = "udtræk.csv", **kw):
    raw = data.encode("utf-8") if isinstance(data, str) else data
    ev = evaluate(raw, name, received=RECEIVED, **{"config": SMALL_EXTRACTS, **kw})
    _check_report(ev)
    return ev


def _check_report(ev) -> None:
    """What holds for every report: a verdict, no internal error, problems located."""
    report = ev.report
    assert ("fejl", "internal_error") not in report.counts, ev.report_text()
    assert ev.accepted == report.accepted
    if not ev.accepted:
        assert report.n_errors > 0 and any(p.severity == "fejl" for p in report.problems)
    for p in report.problems:
        assert p.message and "Traceback" not in p.message
        if p.severity == "fejl" and p.code not in FILE_LEVEL:
            assert p.row is not None and p.row >= 1, p
            if p.code not in ("bad_quoting",):
                assert p.column, p
    text = ev.report_text()
    assert text.startswith("Udtrækket") and len(text) < 200_000
    json.loads(ev.report_json())


def errors(ev) -> list[tuple[str, int | None, str | None, str | None]]:
    return [(p.code, p.row, p.column, p.value) for p in ev.report.problems if p.severity == "fejl"]


def warned(ev) -> list[tuple[str, int | None, str | None]]:
    """The warnings, without the one every small extract gets under SMALL_EXTRACTS."""
    return [
        (p.code, p.row, p.value)
        for p in ev.report.problems
        if p.severity == "advarsel" and p.code != "partial_year"
    ]


def message(ev, code: str) -> str:
    return next(p.message for p in ev.report.problems if p.code == code)


def fig(ev, code: str = "000", year: int = 2024, area: str = "socialomraadet"):
    return next(
        f
        for f in ev.figures.figures
        if f.kommunekode == code and f.omraade == area and f.aar == year
    )


def split(ev, code: str = "000", year: int = 2024, area: str = "socialomraadet"):
    f = fig(ev, code, year, area)
    return (f.stadfaestet, f.aendret_ophaevet, f.hjemvist, f.afvist)


# --- CSV as Excel and others write it: accepted, with the right figures ---------------------


def test_quoted_field_holding_the_separator():
    text = ",".join(AGG_COLUMNS) + "\n" + 'Dragør,Serviceloven,"§ 44, jf. § 83",2024,1,2,3,4\n'
    ev = run(text)
    assert ev.accepted, ev.report_text()
    assert split(ev, "155") == (1, 2, 3, 4)
    assert fig(ev, "155", area="voksenhandicap").stadfaestet == 0  # § 44 is børnehandicap
    assert fig(ev, "155", area="boernehandicap").stadfaestet == 1


def test_quoted_header_and_values():
    text = ";".join(f'"{c}"' for c in AGG_COLUMNS) + "\n"
    text += '"Dragør";"Serviceloven";"§ 83";"2024";"1";"2";"3";"4"\n'
    ev = run(text)
    assert ev.accepted, ev.report_text()
    assert split(ev, "155") == (1, 2, 3, 4)


@pytest.mark.parametrize(
    ("header_tail", "row_tail"), [(";;", ";;"), ("", ";;"), ("", ";"), (";;;", "")]
)
def test_excel_trailing_separators(header_tail, row_tail):
    ev = run(AGG.rstrip("\n") + header_tail + "\nDragør;Serviceloven;§ 83;2024;1;2;3;4" + row_tail)
    assert ev.accepted, ev.report_text()
    assert split(ev, "155") == (1, 2, 3, 4)


def test_unknown_columns_are_ignored_and_named_in_the_report():
    header = "Løbenr;" + AGG.rstrip("\n") + ";Omgørelsesprocent;Bemærkning\n"
    ev = run(header + "1;Dragør;Serviceloven;§ 83;2024;1;2;3;4;83,3;se note\n")
    assert ev.accepted, ev.report_text()
    assert split(ev, "155") == (1, 2, 3, 4)
    assert "Kolonner der ikke bruges: Løbenr, Omgørelsesprocent, Bemærkning" in ev.report_text()


def test_columns_in_another_order_with_odd_spacing():
    header = "Hjemvisning ; \u00a0Aar\u00a0;INSTANS;  lov;Afvisning / Henvisning;Paragraf;Stadfæstelse ;Ændring/Ophævelse\n"
    ev = run(header + "3;2024;Dragør;Serviceloven;4;§ 83;1;2\n")
    assert ev.accepted, ev.report_text()
    assert split(ev, "155") == (1, 2, 3, 4)


def test_kommunekode_column_with_and_without_leading_zero():
    header = "Kommunekode;" + AGG.split(";", 1)[1]
    ev = run(header + "0155;SEL;§ 83;2024;1;0;0;0\n155;SEL;§ 85;2024;1;0;0;0\n")
    assert ev.accepted, ev.report_text()
    assert fig(ev, "155").stadfaestet == 2


def test_kommunekode_and_kommune_columns_side_by_side():
    header = "Kommune;Kommunekode;" + AGG.split(";", 1)[1]  # the code leads in any order
    ev = run(
        header
        + "Dragør;155;SEL;§ 83;2024;1;0;0;0\n"
        + "Dragør Kommune;0155;SEL;§ 85;2024;2;0;0;0\n"
        + "Tårnby;;SEL;§ 85;2024;4;0;0;0\n"  # no code: the name stands in
        + "I alt;;;;2024;7;0;0;0\n"  # Excel's sum row: excluded, its empty cells no error
    )
    assert ev.accepted, ev.report_text()
    assert (fig(ev, "155").stadfaestet, fig(ev, "185").stadfaestet, fig(ev).stadfaestet) == (
        3,
        4,
        7,
    )
    assert warned(ev) == [("excluded_instance", 5, "I alt")]
    assert "ignored_columns" not in ev.report.facts
    ev = run(header + "Ærø;155;SEL;§ 83;2024;1;0;0;0\n")
    assert errors(ev) == [("municipality_mismatch", 2, "Kommunekode", "155")]
    assert "(Dragør), men «Kommune» i samme række er Ærø" in message(ev, "municipality_mismatch")


def test_excluded_rows_are_not_checked_further():
    ev = run(AGG + "Region Hovedstaden;;;2024;-1;x;;0\nDragør;SEL;§ 83;2024;1;0;0;0\n")
    assert ev.accepted, ev.report_text()
    assert warned(ev) == [("excluded_instance", 2, "Region Hovedstaden")]


def test_column_names_with_notes_in_brackets_and_other_spellings():
    header = "Kommunekode (3 cifre);Lovområde;§;År for afgørelse;Stadfæstede;Ændrede/ophævede;"
    header += "Hjemviste;Afviste/henviste;Sager i alt [antal]\n"
    ev = run(header + "155;SEL;§ 83;2024;1;2;3;4;10\n")
    assert ev.accepted, ev.report_text()
    assert split(ev, "155") == (1, 2, 3, 4)
    cases = (
        "J.nr.;Afgørelseskommunekode;Bopælskommunekode;Lov;Bestemmelse;Ankestyrelsens afgørelse;"
    )
    cases += "Dato for afgørelse (dd-mm-åååå)\n"
    ev = run(cases + "24-1;185;155;SEL;§ 41;Stadfæstet;15-03-2024\n")
    assert ev.accepted, ev.report_text()
    assert fig(ev, "185").stadfaestet == 1 and fig(ev, "155").stadfaestet == 0


@pytest.mark.parametrize(
    ("written", "value"),
    [(" 3 ", 3), ("3.0", 3), ("3,0", 3), ("3,00", 3), ("0003", 3), ("\u00a03", 3)],
)
def test_whole_numbers_as_spreadsheets_write_them(written, value):
    ev = run(AGG + f"Dragør;SEL;§ 83;2024;{written};0;0;0\n")
    assert ev.accepted, ev.report_text()
    assert fig(ev, "155").stadfaestet == value
    assert warned(ev) == []


@pytest.mark.parametrize("written", ["1.234", "1 234", "1\u00a0234"])
def test_danish_thousands_are_read_with_a_warning(written):
    ev = run(AGG + f"Dragør;SEL;§ 83;2024;{written};0;0;0\n")
    assert ev.accepted, ev.report_text()
    assert fig(ev, "155").stadfaestet == 1234
    assert [(c, r) for c, r, _ in warned(ev)] == [("thousands_separator", 2)]
    assert "læst som 1234" in message(ev, "thousands_separator")


@pytest.mark.parametrize(
    ("ending", "final"),
    [
        ("\n", "\n"),
        ("\r\n", "\r\n"),
        ("\n", ""),
        ("\r", ""),
        ("\n", "\n\n\n"),
        ("\r\r\n", "\r\r\n"),
    ],
)
def test_line_endings_and_trailing_empty_lines(ending, final):
    rows = ["Dragør;SEL;§ 83;2024;1;0;0;0", "Gotham;SEL;§ 83;2024;1;0;0;0"]
    ev = run(AGG.rstrip("\n") + ending + ending.join(rows) + final)
    assert errors(ev) == [("unknown_municipality", 3, "Instans", "Gotham")]


def test_blank_and_separator_only_lines_are_skipped_and_later_lines_keep_their_numbers():
    ev = run("\n" + AGG + ";;;;;;;\n   \nGotham;SEL;§ 83;2024;1;0;0;0\n\x1a")
    assert errors(ev) == [("unknown_municipality", 5, "Instans", "Gotham")]


@pytest.mark.parametrize(
    ("label", "index"),
    [
        ("ÆNDRET", 1),
        ("Ophævet", 1),
        ("hjemvist ", 2),
        ("Afvisning/Bortfald", 3),
        ("stadfæstelse.", 0),
        ("AFVIST/HENVIST", 3),
        ("Ændring / ophævelse", 1),
    ],
)
def test_outcome_labels_in_any_case_and_spelling(label, index):
    # Aarhus' case makes the year cover one municipality with a realitetsbehandlet case
    # (an extract of rejections alone has no figure to publish).
    ev = run(
        CASES
        + f"1;Tårnby;;Serviceloven;§ 41;{label};2024-03-15\n"
        + "2;Aarhus;;Serviceloven;§ 41;Stadfæstet;2024-03-15\n"
    )
    assert ev.accepted, ev.report_text()
    expected = [0, 0, 0, 0]
    expected[index] = 1
    assert split(ev, "185") == tuple(expected)


@pytest.mark.parametrize(
    "date",
    [
        "2024-03-15 00:00:00",
        "2024-03-15T10:22:00Z",
        "15-03-2024 10:22",
        "15.03.2024 10:22:05",
        "5-3-2024",
        "2024-3-5",
        "15. marts 2024",
        "15-mar-2024",
        "1. Marts 2024 10:22",
        "2024/03/15",
    ],
)
def test_dates_with_times_and_short_day_and_month(date):
    ev = run(CASES + f"1;Tårnby;;Serviceloven;§ 41;Stadfæstet;{date}\n")
    assert ev.accepted, ev.report_text()
    assert fig(ev, "185").stadfaestet == 1


def test_year_written_as_a_float():
    ev = run(AGG + "Dragør;SEL;§ 83;2024.0;1;0;0;0\n")
    assert ev.accepted, ev.report_text()
    assert fig(ev, "155", 2024).stadfaestet == 1


def test_windows_1252_with_danish_letters():
    text = (
        AGG
        + "Ærø;SEL;§ 83;2024;1;0;0;0\nTårnby;SEL;§ 83;2024;2;0;0;0\nHøje Taastrup;SEL;§ 83;2024;3;0;0;0\n"
    )
    ev = run(text.encode("cp1252"))
    assert ev.accepted, ev.report_text()
    assert (fig(ev, "492").stadfaestet, fig(ev, "185").stadfaestet) == (1, 2)
    assert fig(ev, "169").stadfaestet == 3
    assert ev.report.facts["encoding"] == "Windows-1252"


def test_utf8_bom_with_comma_and_tab_separators():
    body = ["Ærø", "SEL", "§ 83", "2024", "1", "0", "0", "0"]
    for sep in (",", "\t"):
        text = "\ufeff" + sep.join(AGG_COLUMNS) + "\n" + sep.join(body) + "\n"
        ev = run(text.encode("utf-8"))
        assert ev.accepted, ev.report_text()
        assert fig(ev, "492").stadfaestet == 1


def test_quoted_line_breaks_keep_line_numbers():
    ev = run(AGG + 'Dragør;SEL;"§ 83\nstk. 2";2024;1;0;0;0\nGotham;SEL;§ 83;2024;1;0;0;0\n')
    assert errors(ev) == [("unknown_municipality", 4, "Instans", "Gotham")]


def test_title_lines_above_the_header_are_skipped_with_a_warning():
    ev = run(
        "Ankestyrelsen – omgørelser 2024;;;\nUdtrukket 2025-01-10\n\n"
        + AGG
        + "Dragør;SEL;§ 83;2024;1;0;0;0\n"
    )
    assert ev.accepted, ev.report_text()
    assert warned(ev) == [("skipped_lines", 1, None)]
    assert "Ankestyrelsen – omgørelser 2024" in message(ev, "skipped_lines")
    assert ev.report.facts["header_row"] == "4"


def test_a_csv_that_is_really_xlsx_and_the_other_way_round():
    data = workbook([AGG_COLUMNS, ["Dragør", "SEL", "§ 83", 2024, 1, 0, 0, 0]])
    ev = run(data, "udtræk.csv")
    assert ev.accepted and "XLSX" in ev.report.facts["format"]
    ev = run(AGG + "Dragør;SEL;§ 83;2024;1;0;0;0\n", "udtræk.xlsx")
    assert ev.accepted, ev.report_text()
    assert "indholdet er tekst" in ev.report.facts["format"]
    ev = run("\t".join(AGG_COLUMNS) + "\nDragør\tSEL\t§ 83\t2024\t1\t0\t0\t0\n", "gammelt.xls")
    assert ev.accepted, ev.report_text()  # tab-separated text saved as .xls


@pytest.mark.parametrize(
    ("quarter", "ok"),
    [("Q1", True), ("q1", True), ("1. kvartal", True), ("K1", True), ("2024K1", True), ("01", True),
     # ("", False): an empty quarter beside a quarter row of the same provision is a subtotal.
     ("2024-Q1", True), ("1.0", True), ("", False), ("5", False), ("første", False),
     ("2023K1", False)],
)  # fmt: skip
def test_quarters_as_written(quarter, ok):
    header = AGG.replace("Aar;", "Aar;Kvartal;")
    ev = run(header + f"Odense;SEL;§ 52;2024;{quarter};1;1;0;0\nOdense;SEL;§ 52;2024;2;1;0;0;0\n")
    if ok:
        assert ev.accepted, ev.report_text()
        assert fig(ev, "461").realitetsbehandlede == 3
        assert warned(ev) == []  # two quarters, not a repeated row
    else:
        code = "subtotal_row" if quarter == "" else "bad_quarter"
        assert [(c, r, col) for c, r, col, _ in errors(ev)] == [(code, 2, "Kvartal")]


def test_total_column_may_be_empty_in_some_rows():
    header = AGG.rstrip("\n") + ";Antal_sager_ialt\n"
    ev = run(header + "Odense;SEL;§ 52;2024;1;1;0;0;\nOdense;SEL;§ 85;2024;1;1;1;1;4\n")
    assert ev.accepted, ev.report_text()
    assert split(ev, "461") == (2, 2, 1, 1)
    ev = run(header + "Odense;SEL;§ 52;2024;1;1;0;0;3\n")
    assert errors(ev) == [("bad_total", 2, "Antal_sager_ialt", "3")]


def test_serviceloven_and_barnets_lov_in_one_year_and_barnets_lov_too_early():
    ev = run(
        AGG
        + "Odense;Serviceloven;§ 41;2024;1;0;0;0\n"
        + "Odense;Barnets lov;§ 86;2024;2;0;0;0\n"
        + "Odense;SEL;§ 41;2023;4;0;0;0\n"
        + "Odense;Barnets lov;§ 86;2023;8;0;0;0\n"
    )
    assert ev.accepted, ev.report_text()
    assert fig(ev, "461", 2024).stadfaestet == 3
    assert fig(ev, "461", 2024, "boernehandicap").stadfaestet == 3
    assert fig(ev, "461", 2023).stadfaestet == 4  # barnets lov before 2024 counts nowhere ...
    assert [(c, r, v) for c, r, v in warned(ev)] == [("unmapped_provision", 5, "§ 86")]  # ... said


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Københavns Kommune", "101"),
        ("KØBENHAVN", "101"),
        ("Bornholms Regionskommune", "400"),
        ("Dragør Kommune", "155"),
        ("Høje Taastrup", "169"),
        ("Brønderslev-Dronninglund", "810"),
        ("155 Dragør", "155"),
        ("155 - Dragør", "155"),
        ("Dragør (155)", "155"),
        ("155.0", "155"),
        ("Dragor", "155"),  # æ, ø, å dropped by a system without them
        ("TARNBY KOMMUNE", "185"),
        ("Koge", "259"),
        ("Dragoer", "155"),
    ],
)
def test_municipality_names_as_written(name, code):
    ev = run(AGG + f"{name};SEL;§ 83;2024;1;0;0;0\n")
    assert ev.accepted, ev.report_text()
    assert fig(ev, code).stadfaestet == 1


def test_regions_faellesskaber_christiansoe_and_sum_rows_are_excluded_with_warnings():
    names = [
        "Region Sjælland",
        "Kommunale Fællesskaber",
        "Christiansø",
        "411",
        "Hele landet",
        "I alt",
        "SUM",
    ]
    ev = run(
        AGG
        + "".join(f"{n};SEL;§ 83;2024;100;0;0;0\n" for n in names)
        + "Ærø;SEL;§ 83;2024;1;0;0;0\n"
    )
    assert ev.accepted, ev.report_text()
    assert fig(ev).stadfaestet == 1  # the national figure is the municipalities' sum only
    assert [(c, r) for c, r, _ in warned(ev)] == [
        *(("excluded_instance", i) for i in range(2, 9)),
        ("national_mismatch", None),  # 'Hele landet' says 100, the municipalities 1
    ]
    assert "en sumrække" in ev.report_text() and "en region" in ev.report_text()


# --- XLSX as Excel writes it ----------------------------------------------------------------


def test_xlsx_numbers_floats_and_real_dates():
    data = workbook(
        [
            ["Sagsnummer", "Kommunekode", "Lov", "Paragraf", "Afgørelse", "Afgørelsesdato"],
            [24001, 185, "Serviceloven", "§ 41", "Stadfæstelse", dt.datetime(2024, 3, 15, 10, 22)],
            [24002.0, 185.0, "Serviceloven", "§ 41", "Hjemvist", dt.date(2024, 3, 16)],
            ["24003", "0185", "Serviceloven", "§ 41", "ændret", "15-03-2024 00:00"],
        ]
    )
    ev = run(data, "sager.xlsx")
    assert ev.accepted, ev.report_text()
    assert split(ev, "185") == (1, 1, 1, 0)


def test_xlsx_counts_as_floats_and_text():
    data = workbook(
        [AGG_COLUMNS, [155, "SEL", "§ 83", 2024.0, 3.0, "2", " 3 ", 4], [None] * 8, ["", None]]
    )
    ev = run(data, "agg.xlsx")
    assert ev.accepted, ev.report_text()
    assert split(ev, "155") == (3, 2, 3, 4)


def test_xlsx_with_merged_title_rows_above_the_header():
    wb = Workbook()
    ws = wb.active
    ws.append(["Omgørelser på socialområdet 2024"])
    ws.merge_cells("A1:H1")
    ws.append([])
    ws.append(AGG_COLUMNS)
    ws.append(["Dragør", "SEL", "§ 83", 2024, 1, 0, 0, 0])
    ws.append(["Gotham", "SEL", "§ 83", 2024, 1, 0, 0, 0])
    buf = io.BytesIO()
    wb.save(buf)
    ev = run(buf.getvalue(), "titel.xlsx")
    assert errors(ev) == [("unknown_municipality", 5, "Instans", "Gotham")]
    assert warned(ev) == [("skipped_lines", 1, None)]


def test_xlsx_first_sheet_empty_names_the_sheet_with_data():
    data = workbook(
        [], [AGG_COLUMNS, ["Dragør", "SEL", "§ 83", 2024, 1, 0, 0, 0]], titles=("Forside", "Data")
    )
    ev = run(data, "to ark.xlsx")
    assert [c for c, *_ in errors(ev)] == ["empty"]
    assert "«Forside»" in message(ev, "empty") and "«Data»" in message(ev, "empty")


def test_xlsx_data_on_other_sheets_is_not_dropped_silently():
    data = workbook(
        [AGG_COLUMNS, ["Dragør", "SEL", "§ 83", 2024, 1, 0, 0, 0]],
        [AGG_COLUMNS, ["Ærø", "SEL", "§ 83", 2023, 1, 0, 0, 0]],
        [],
        titles=("2024", "2023", "Tom"),
    )
    ev = run(data, "to år.xlsx")
    assert ev.accepted, ev.report_text()
    assert [c for c, *_ in warned(ev)] == ["other_sheets"]
    assert "«2023»" in message(ev, "other_sheets") and "«Tom»" not in message(ev, "other_sheets")


def test_xlsx_bad_cells_are_located():
    data = workbook(
        [
            AGG_COLUMNS,
            ["Dragør", "SEL", "§ 83", dt.datetime(2024, 1, 1), 1, 0, 0, 0],
            ["Dragør", "SEL", "§ 83", 2024, True, 0, 0, 0.5],
        ]
    )
    ev = run(data, "x.xlsx")
    assert errors(ev) == [
        ("bad_count", 3, "Stadfæstelse", "True"),
        ("bad_count", 3, "Afvisning/Henvisning", "0.5"),
        ("bad_year", 2, "Aar", "2024-01-01"),
    ]


# --- rejected, with the line, column and value ----------------------------------------------


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("1,5", "brøk"),
        ("1.5", "brøk"),
        ("0,25", "brøk"),
        ("-1", "negativ"),
        ("-0", "negativ"),
        ("1,000", "tvetydig"),
        ("²", "helt tal"),
        ("٣", "helt tal"),
        ("3 sager", "helt tal"),
        ("1e3", "helt tal"),
    ],
)
def test_counts_that_are_not_whole_numbers(written, says):
    ev = run(AGG + f"Dragør;SEL;§ 83;2024;{written};0;0;0\n")
    assert errors(ev) == [("bad_count", 2, "Stadfæstelse", written)]
    assert says in message(ev, "bad_count")


def test_an_empty_count_says_to_write_zero():
    ev = run(AGG + "Dragør;SEL;§ 83;2024;;0;0;0\n")
    assert errors(ev) == [("missing_value", 2, "Stadfæstelse", "")]
    assert "Skriv 0" in message(ev, "missing_value")


def test_a_date_with_slashes_day_first_is_rejected_as_ambiguous():
    ev = run(CASES + "1;Tårnby;;SEL;§ 41;Stadfæstet;03/04/2024\n")
    assert errors(ev) == [("bad_date", 2, "Afgørelsesdato", "03/04/2024")]
    assert "både som dag/måned og måned/dag" in message(ev, "bad_date")


@pytest.mark.parametrize(
    ("law", "area"),
    [
        ("Lov om social service (serviceloven)", "voksenhandicap"),
        ("Serviceloven (SEL)", "voksenhandicap"),
        ("Barnets Lov (BL)", "boernehandicap"),
        ("BARNETS LOV", "boernehandicap"),
    ],
)
def test_law_names_as_written(law, area):
    ev = run(AGG + f"Dragør;{law};§ 83;2024;1;0;0;0\n")
    assert ev.accepted, ev.report_text()
    assert fig(ev, "155", area=area).stadfaestet == 1
    assert warned(ev) == []


def test_two_digit_years_are_rejected_clearly():
    ev = run(
        CASES + "1;Tårnby;;SEL;§ 41;Stadfæstet;15-03-24\n2;Tårnby;;SEL;§ 41;Stadfæstet;45366\n"
    )
    assert [(c, r, v) for c, r, _, v in errors(ev)] == [
        ("bad_date", 2, "15-03-24"),
        ("bad_date", 3, "45366"),
    ]
    assert "fire cifre" in ev.report_text() and "Excel-datonummer" in ev.report_text()
    ev = run(AGG + "Dragør;SEL;§ 83;24;1;0;0;0\n")
    assert errors(ev) == [("bad_year", 2, "Aar", "24")]
    assert "fire cifre" in message(ev, "bad_year")


def test_an_unquoted_separator_in_a_value_is_found_at_its_line():
    text = ",".join(AGG_COLUMNS) + "\n"
    text += "Dragør,SEL,§ 41,2024,1,0,0,0\n" + "Dragør,SEL,§ 44, jf. § 83,2024,1,0,0,0\n"
    ev = run(text)
    assert errors(ev) == [("too_many_fields", 3, "kolonne 9", "0")]
    assert "anførselstegn" in message(ev, "too_many_fields")
    # the same when the very first row is the long one (pandas would take its width)
    ev = run(",".join(AGG_COLUMNS) + "\nDragør,SEL,§ 44, jf. § 83,2024,1,0,0,0\n")
    assert [(c, r) for c, r, *_ in errors(ev)] == [("too_many_fields", 2)]


def test_an_unclosed_quote_is_found_at_its_line():
    ev = run(
        AGG
        + "Dragør;SEL;§ 83;2024;1;0;0;0\n"
        + 'Dragør;SEL;"§ 83;2024;1;0;0;0\n'
        + "Ærø;SEL;§ 83;2024;1;0;0;0\n"
    )
    assert [(c, r) for c, r, *_ in errors(ev)] == [("bad_quoting", 3)]


def test_a_short_row_names_its_empty_fields():
    ev = run(AGG + "Dragør;SEL;§ 83;2024;1;0\n")
    assert errors(ev) == [
        ("missing_value", 2, "Hjemvisning", ""),
        ("missing_value", 2, "Afvisning/Henvisning", ""),
    ]


def test_mixed_encodings_name_the_first_bad_line():
    data = (AGG + "Tårnby;SEL;§ 83;2024;1;0;0;0\n").encode() + "Ærø;SEL;§ 83;2024;1;0;0;0\n".encode(
        "cp1252"
    )
    ev = run(data)
    assert [(c, r) for c, r, *_ in errors(ev)] == [("unreadable", 3)]
    assert "blander" in message(ev, "unreadable")


@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8, "gammel.xls", "Excel 97-2003"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600) + "EncryptedPackage".encode("utf-16-le"), "hemmelig.xlsx", "adgangskode"),
        (b"<html><body><table><tr><td>Instans</td></tr></table></body></html>", "x.xls", "HTML"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "x.pdf", "PDF"),
        (b"PK\x03\x04\x14\x00\x00\x08\x00\x00" + b"\x00" * 20 + b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet", "x.ods", ".ods"),
        (b"PK\x03\x04 broken", "x.xlsx", "XLSX"),
        (AGG.encode("utf-16-le"), "x.csv", "UTF-16"),
        (AGG.encode("utf-16"), "x.csv", "UTF-16"),
        (bytes(range(256)) * 40, "x.csv", "binære"),
        (b"\x81\x8d\x8f\x90\x9d" * 20, "x.csv", "hverken gyldig UTF-8"),
        (b"", "x.csv", "ingen data"),
        (b"\xef\xbb\xbf\r\n \r\n", "x.csv", "ingen data"),
        (b";;;;\n;;;\n", "x.csv", "ingen data"),
    ],
)  # fmt: skip
def test_files_that_are_not_extracts(data, name, says):
    ev = run(data, name)
    assert not ev.accepted
    assert says in ev.report_text()


def test_a_huge_single_line_gives_a_short_report():
    ev = run("a;" * 500_000)
    assert [c for c, *_ in errors(ev)] == ["unknown_shape"]
    assert len(ev.report_text()) < 5_000 and "kolonner i alt)" in ev.report_text()
    ev = run(AGG + "Dragør;SEL;" + "§" * 1_000_000 + ";2024;1;0;0;x\n")
    assert errors(ev)[0][:3] == ("cell_too_long", 2, "Paragraf")
    assert len(ev.report_text()) < 5_000


def test_header_only_duplicate_columns_and_half_of_each_shape():
    assert [c for c, *_ in errors(run(AGG))] == ["no_rows"]
    assert [c for c, *_ in errors(run(AGG + "\n\n;;;\n"))] == ["no_rows"]
    ev = run(AGG.replace("Lov;", "Lov;Lov;") + "Ærø;SEL;SEL;§ 83;2024;1;0;0;0\n")
    assert [(c, r, col) for c, r, col, _ in errors(ev)] == [("duplicate_column", 1, "Lov")]
    ev = run(
        "Sagsnummer;Instans;Lov;Paragraf;Aar;Stadfæstelse;Afgørelse\n1;Ærø;SEL;§ 83;2024;1;x\n"
    )
    assert [(c, col) for c, _, col, _ in errors(ev)] == [("missing_column", "Afgørelsesdato")]
    assert warned(ev) == [("mixed_shape", 1, None)]
    ev = run("Sagsnummer;" + AGG.rstrip("\n") + ";Afgørelse\n1;Ærø;SEL;§ 83;2024;1;0;0;0;x\n")
    assert ev.accepted, ev.report_text()
    assert warned(ev) == [("mixed_shape", 1, None)]
    assert "Sagsnummer, Afgørelse" in message(ev, "mixed_shape")


def test_an_extract_where_nothing_counts_is_rejected_not_published_empty():
    ev = run(AGG + "Region Hovedstaden;SEL;§ 83;2024;1;0;0;0\nI alt;SEL;§ 83;2024;1;0;0;0\n")
    assert [c for c, *_ in errors(ev)] == ["no_rows"]
    ev = run(AGG + "Dragør;Aktivloven;§ 34;2024;1;0;0;0\n")
    assert [c for c, *_ in errors(ev)] == ["no_rows"]
    assert [c for c, *_ in warned(ev)] == ["unknown_law"]


def test_unknown_municipalities_get_the_closest_official_name():
    ev = run(
        AGG
        + "Frederiksbrg;SEL;§ 83;2024;1;0;0;0\n"
        + "Københaven;SEL;§ 83;2024;1;0;0;0\n"
        + "Gotham;SEL;§ 83;2024;1;0;0;0\n"
        + "101 Dragør;SEL;§ 83;2024;1;0;0;0\n"
    )
    listed = {p.value: p.message for p in ev.report.problems if p.code == "unknown_municipality"}
    assert "Mente du «Frederiksberg»?" in listed["Frederiksbrg"]
    assert "Mente du «København»?" in listed["Københaven"]
    assert "Mente du" not in listed["Gotham"]
    assert "Kommunekoden 101 er København, men navnet er Dragør" in listed["101 Dragør"]


def test_five_thousand_problems_are_capped_per_kind_and_counted_in_full(tmp_path):
    rows = "".join(
        f"{i % 2500};Gothm;;Serviceloven;§ 41;{'Forkert' if i % 2 else 'Stadfæstet'};15-03-24\n"
        for i in range(5000)
    )
    ev = run(CASES + rows)
    counts = {code: n for (_, code), n in ev.report.counts.items()}
    assert counts == {
        "unknown_municipality": 5000,
        "duplicate_case": 2500,
        "unknown_outcome": 2500,
        "bad_date": 5000,
    }
    assert ev.report.n_errors == 15000
    listed = [p for p in ev.report.problems if p.code == "unknown_municipality"]
    assert len(listed) == 50 and [p.row for p in listed[:3]] == [2, 3, 4]
    text = ev.report_text()
    assert "… og 4950 flere af samme slags." in text and len(text.splitlines()) < 250
    summary = {s["code"]: (s["count"], s["listed"]) for s in ev.report.to_dict()["summary"]}
    assert summary["bad_date"] == (5000, 50)


def test_control_characters_in_values_stay_on_one_line_of_the_report():
    ev = run(AGG + 'Gotham\x07;SEL;"§ 83";2024;"1\n2";0;0;0\n')
    text = ev.report_text()
    assert all(
        line.startswith(
            ("-", " ", "Udtr", "Fejl", "Format", "Tegn", "Skille", "Rækker", "Modtaget")
        )
        or not line
        for line in text.splitlines()
    )
    assert "«1↵2»" in text


def test_a_bug_in_the_program_is_a_rejection_not_a_traceback(monkeypatch):
    def broken(*_args, **_kw):
        raise KeyError("boom")

    monkeypatch.setattr(compute, "validate", broken)
    ev = evaluate(
        (AGG + "Dragør;SEL;§ 83;2024;1;0;0;0\n").encode(),
        "x.csv",
        received=RECEIVED,
        config=SMALL_EXTRACTS,
    )
    assert not ev.accepted and [c for c, *_ in errors(ev)] == ["internal_error"]
    assert "fejl i programmet" in ev.report_text()


# --- properties -----------------------------------------------------------------------------

NAMES = {
    "155": ["Dragør", "dragør kommune", "0155", "155", "DRAGØR"],
    "751": ["Århus", "Aarhus Kommune", "751", "aarhus"],
    "400": ["Bornholms Regionskommune", "Bornholm", "400"],
    "492": ["Ærø", "Ærø Kommune", "492"],
}


def _count_text(n: int, style: int) -> str:
    if style == 1:
        return f"{n}.0"
    if style == 2:
        return f" {n} "
    if style == 3 and n >= 1000:
        return f"{n // 1000}.{n % 1000:03d}"
    return str(n)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(sorted(NAMES)),
            st.integers(0, 4),
            st.sampled_from(["§ 41", "§ 83", "§§ 42-43", "§ 32 a", "SEL § 85", "§ 44, jf. § 83"]),
            st.lists(st.integers(0, 1500), min_size=4, max_size=4),
            st.integers(0, 3),
        ),
        min_size=1,
        max_size=25,
    ),
    sep=st.sampled_from([";", ",", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    quote_all=st.booleans(),
    crlf=st.booleans(),
)
def test_any_spelling_of_a_valid_extract_gives_the_same_figures(
    rows, sep, encoding, quote_all, crlf
):
    # A year with no realitetsbehandlet case at all has no figure to publish (coverage 0).
    assume(any(sum(counts[:3]) for _, _, _, counts, _ in rows))

    def cell(text: str) -> str:
        return f'"{text}"' if quote_all or sep in text else text

    lines = [sep.join(cell(c) for c in AGG_COLUMNS)]
    expected: dict[str, list[int]] = {}
    for code, variant, paragraf, counts, style in rows:
        name = NAMES[code][variant % len(NAMES[code])]
        values = [_count_text(n, style) for n in counts]
        lines.append(sep.join(cell(c) for c in [name, "Serviceloven", paragraf, "2024", *values]))
        total = expected.setdefault(code, [0, 0, 0, 0])
        for i, n in enumerate(counts):
            total[i] += n
    text = ("\r\n" if crlf else "\n").join(lines) + "\n"
    ev = run(text.encode(encoding))
    assert ev.accepted, ev.report_text()
    for code, total in expected.items():
        assert list(split(ev, code)) == total
    assert list(split(ev)) == [sum(t[i] for t in expected.values()) for i in range(4)]


@settings(max_examples=150, deadline=None)
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.text(max_size=300).map(lambda t: (AGG + t).encode("utf-8")),
        st.lists(
            st.lists(
                st.sampled_from(
                    ["Dragør", "SEL", "§ 83", "2024", "1", "", '"', "\n", ";", "x", "-1", "1,5"]
                ),
                max_size=10,
            ),
            max_size=6,
        ).map(lambda rows: (CASES + "\n".join(";".join(r) for r in rows)).encode("cp1252")),
    ),
    name=st.sampled_from(["x.csv", "x.xlsx", "x.xls", "x"]),
)
def test_any_bytes_get_an_answer_never_a_crash(data, name):
    run(data, name)


# --- the console command ----------------------------------------------------------------------


FILES: dict[str, bytes] = {
    "godkendt.csv": (AGG + "Dragør;SEL;§ 83;2024;1;0;0;0\n").encode("cp1252"),
    "titel og kode.xlsx": workbook(
        [
            ["Udtræk"],
            ["Kommunekode", "Kommune", *AGG_COLUMNS[1:]],
            [155, "Dragør", "SEL", "§ 83", 2024, 1, 0, 0, 0],
        ]
    ),
    "skævt komma.csv": (
        ",".join(AGG_COLUMNS) + "\nDragør,SEL,§ 44, jf. § 83,2024,1,0,0,0\n"
    ).encode(),
    "gammel.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512),
    "tom.csv": b"",
    "støj.csv": bytes(range(256)) * 16,
    "ark.xlsx": b"PK\x03\x04" + bytes(300),
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_validate_command_answers_0_or_2_for_any_file(name, tmp_path, capsys):
    path = tmp_path / name
    path.write_bytes(FILES[name])
    code = main(["validate", "--config", str(small_config_dir(tmp_path)), str(path)])
    out = capsys.readouterr().out
    assert code == (0 if name in ("godkendt.csv", "titel og kode.xlsx") else 2), out
    assert out.startswith("Udtrækket") and ("godkendt" in out if code == 0 else "AFVIST" in out)


def test_validate_command_on_a_missing_file_and_a_directory(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "findes ikke.csv")]) == 2
    assert main(["validate", str(tmp_path)]) == 2
    assert "findes ikke" in capsys.readouterr().err


# --- regressions found by the property tests ---------------------------------------------------


def test_digits_other_than_0_to_9_are_no_municipality_code():
    ev = run(AGG + "¹;SEL;§ 83;2024;1;0;0;0\n٣٣٣;SEL;§ 83;2024;1;0;0;0\n")
    assert [(c, r, v) for c, r, _, v in errors(ev)] == [
        ("unknown_municipality", 2, "¹"),
        ("unknown_municipality", 3, "٣٣٣"),
    ]


def test_an_absurdly_large_count_is_rejected_not_overflowed():
    data = workbook([AGG_COLUMNS, ["Dragør", "SEL", "§ 83", 2024, 9.2e18, 0, 0, 0]])
    ev = run(data, "x.xlsx")
    assert [(c, r, col) for c, r, col, _ in errors(ev)] == [("bad_count", 2, "Stadfæstelse")]
    assert "urealistisk" in message(ev, "bad_count")


def test_a_repeated_case_number_with_a_control_character_is_reported():
    ev = run(CASES.replace(";", "\t") + "A\x07\tTårnby\nA\x07\tTårnby\n")
    dup = [(r, v) for c, r, _, v in errors(ev) if c == "duplicate_case"]
    assert dup == [(3, "A�")]
    assert "står også i række 2" in message(ev, "duplicate_case")


def test_long_rows_after_quoted_line_breaks_keep_their_lines():
    text = ",".join(AGG_COLUMNS) + "\n"
    text += 'Dragør,SEL,"§ 83\nstk. 2",2024,1,0,0,0\n'  # lines 2-3
    text += "Dragør,SEL,§ 44, jf. § 83,2024,1,0,0,0\n"  # line 4: one field too many
    text += "Gotham,SEL,§ 83,2024,1,0,0,0\n"  # line 5
    ev = run(text)
    assert [(c, r) for c, r, *_ in errors(ev)] == [
        ("too_many_fields", 4),
        ("unknown_municipality", 5),
    ]


def test_excel_trailing_separators_and_quoted_breaks_take_the_fast_path(monkeypatch):
    def slow(*_a, **_kw):
        raise AssertionError("the record-by-record reader is for broken files only")

    monkeypatch.setattr(csv_reader, "_csv_module_body", slow)
    ev = run(AGG + 'Dragør;SEL;"§ 83\nstk. 2";2024;1;0;0;0\nGotham;SEL;§ 83;2024;1;0;0;0\n')
    assert errors(ev) == [("unknown_municipality", 4, "Instans", "Gotham")]
    rows = "".join(f"Odense;SEL;§ 52;2024;{i % 7};1;0;0;;\r\n" for i in range(20_000))
    ev = run(AGG.replace("\n", "\r\n") + rows)
    assert ev.accepted, ev.report_text()
    assert fig(ev, "461").stadfaestet == sum(i % 7 for i in range(20_000))


def test_pivot_style_blanks_below_a_value_get_a_hint():
    ev = run(AGG + "Dragør;SEL;§ 83;2024;1;0;0;0\n;SEL;§ 85;2024;1;0;0;0\n")
    assert errors(ev) == [("missing_value", 3, "Instans", "")]
    assert "første række af en gruppe" in message(ev, "missing_value")


def test_header_cells_written_on_two_lines_and_invisible_characters():
    header = 'Instans;Lov;Paragraf;Aar;"Stadfæstelse\n(antal)";"Ændring/\nOphævelse";'
    header += "Hjemvisning;Afvisning/Henvisning\n"
    ev = run(
        header + "\u200bDragør;SEL;§ 83;2024;\u200b1\ufeff;0;0;0\nGotham;SEL;§ 83;2024;1;0;0;0\n"
    )
    assert errors(ev) == [("unknown_municipality", 5, "Instans", "Gotham")]
    ev = run(header + "\u200bDragør;SEL;§ 83;2024;\u200b1\ufeff;0;0;0\n")
    assert ev.accepted, ev.report_text()
    assert fig(ev, "155").stadfaestet == 1


def test_excel_separator_hint_line_is_not_a_title():
    ev = run("sep=;\n" + AGG + "Dragør;SEL;§ 83;2024;1;0;0;0\nGotham;SEL;§ 83;2024;1;0;0;0\n")
    assert errors(ev) == [("unknown_municipality", 4, "Instans", "Gotham")]
    assert warned(ev) == []


def test_a_title_that_happens_to_be_a_column_name_is_still_a_title():
    data = workbook([["Resultat"], ["Afgørelser 2024"], CASES.strip().split(";"),
                     ["1", "Tårnby", "", "SEL", "§ 41", "Stadfæstet", "2024-03-15"]])  # fmt: skip
    ev = run(data, "x.xlsx")
    assert ev.accepted, ev.report_text()
    assert warned(ev) == [("skipped_lines", 1, None)]

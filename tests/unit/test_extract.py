"""Reading and validating extracts: the formats accepted and every reason for rejection."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from danmarkskort.compute.evaluate import evaluate
from openpyxl import Workbook

from tests.config_support import SMALL_EXTRACTS

RECEIVED = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
AGG = "Instans;Lov;Paragraf;Aar;Kvartal;Stadfæstelse;Ændring/Ophævelse;Hjemvisning;Afvisning/Henvisning;Antal_sager_ialt\n"
AGG9 = "Instans;Lov;Paragraf;Aar;Stadfæstelse;Ændring/Ophævelse;Hjemvisning;Afvisning/Henvisning\n"
CASES = "Sagsnummer;Afgørelseskommune;Bopælskommune;Lov;Paragraf;Afgørelse;Afgørelsesdato\n"


def run(text: str | bytes, name: str = "x.csv", **kw):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return evaluate(data, name, received=RECEIVED, **{"config": SMALL_EXTRACTS, **kw})


def errors(ev) -> list[tuple[str, int | None, str | None, str | None]]:
    return [(p.code, p.row, p.column, p.value) for p in ev.report.problems if p.severity == "fejl"]


def social(ev, code: str, year: int = 2024):
    return next(
        f
        for f in ev.figures.figures
        if f.kommunekode == code and f.omraade == "socialomraadet" and f.aar == year
    )


# --- formats that must be accepted -------------------------------------------------------

CASE_ROWS = "1;Tårnby;Dragør;Serviceloven;§ 41;Stadfæstelse;2024-01-17\n2;Århus;Aarhus;Serviceloven;§ 85;hjemvist;05-03-2024\n"


@pytest.mark.parametrize(
    ("encoding", "sep"),
    [("utf-8", ";"), ("utf-8-sig", ";"), ("cp1252", ";"), ("utf-8", ","), ("cp1252", "\t")],
)
def test_csv_encodings_and_separators(encoding, sep):
    text = (CASES + CASE_ROWS).replace(";", sep)
    ev = run(text.encode(encoding))
    assert ev.accepted, ev.report_text()
    assert social(ev, "185").stadfaestet == 1
    assert social(ev, "751").hjemvist == 1


def test_crlf_line_ends_and_blank_lines():
    ev = run((CASES + "\n" + CASE_ROWS + "\n\n").replace("\n", "\r\n"))
    assert ev.accepted, ev.report_text()
    assert social(ev, "000").realitetsbehandlede == 2


def test_headers_are_case_accent_and_separator_insensitive():
    header = "SAGSNUMMER,afgorelseskommune,Bopaels kommune,LOV,paragraf,Afgorelse,afgørelses.dato\n"
    ev = run(header + CASE_ROWS.replace(";", ","))
    assert ev.accepted, ev.report_text()
    agg = "instans;lov;paragraf;år;stadfaestelse;aendring ophaevelse;hjemvisning;Afvisning_henvisning\n"
    ev = run(agg + "Dragør;Serviceloven;§ 83;2023;2;0;1;0\n")
    assert ev.accepted, ev.report_text()
    assert social(ev, "155", 2023).realitetsbehandlede == 3


def test_xlsx_first_sheet():
    wb = Workbook()
    ws = wb.active
    ws.append(
        [
            "Instans",
            "Lov",
            "Paragraf",
            "Aar",
            "Stadfæstelse",
            "Ændring/Ophævelse",
            "Hjemvisning",
            "Afvisning/Henvisning",
        ]
    )
    ws.append(["Dragør", "Serviceloven", "§ 83", 2023, 2, 0, 1, 0])
    ws.append([155, "Serviceloven", "§ 41", 2023.0, 1, 1, 0, 0])
    wb.create_sheet("Noter").append(["ignored"])
    buf = io.BytesIO()
    wb.save(buf)
    ev = run(buf.getvalue(), "udtræk.xlsx")
    assert ev.accepted, ev.report_text()
    assert social(ev, "155", 2023).realitetsbehandlede == 5


def test_xlsx_case_level_with_real_dates_and_row_numbers():
    wb = Workbook()
    ws = wb.active
    ws.append(["Sagsnummer", "Afgørelseskommune", "Lov", "Paragraf", "Afgørelse", "Afgørelsesdato"])
    ws.append(["1", "Tårnby", "Serviceloven", "§ 41", "Stadfæstelse", dt.datetime(2024, 1, 17)])
    ws.append(["2", "Tårnby", "Serviceloven", "§ 41", "Forkert", dt.datetime(2024, 1, 18)])
    buf = io.BytesIO()
    wb.save(buf)
    ev = run(buf.getvalue(), "cases.xlsx")
    assert errors(ev) == [("unknown_outcome", 3, "Afgørelse", "Forkert")]


@pytest.mark.parametrize(
    "name", ["Århus", "Aarhus Kommune", "751", "0751", "aarhus", "ÅRHUS KOMMUNE"]
)
def test_municipality_variants_resolve(name):
    ev = run(AGG9 + f"{name};Serviceloven;§ 52;2024;1;0;0;1\n")
    assert ev.accepted, ev.report_text()
    assert social(ev, "751").stadfaestet == 1


def test_regions_faellesskaber_and_christiansoe_are_excluded_with_warnings():
    ev = run(
        AGG
        + "Region Hovedstaden;Serviceloven;§ 107;2024;1;3;0;1;0;4\n"
        + "Kommunale fællesskaber;Serviceloven;§ 107;2024;1;3;0;0;0;3\n"
        + "411;Serviceloven;§ 107;2024;1;3;0;0;0;3\n"
        + "Ærø;Serviceloven;§ 107;2024;1;1;0;0;0;1\n"
    )
    assert ev.accepted
    warned = [
        (p.code, p.row, p.value)
        for p in ev.report.problems
        if p.severity == "advarsel" and p.code != "partial_year"  # see SMALL_EXTRACTS
    ]
    assert warned == [
        ("excluded_instance", 2, "Region Hovedstaden"),
        ("excluded_instance", 3, "Kommunale fællesskaber"),
        ("excluded_instance", 4, "411"),
    ]
    assert social(ev, "000").realitetsbehandlede == 1


def test_unknown_law_and_barnets_lov_before_2024_are_warnings_not_silent_drops():
    ev = run(
        AGG
        + "Odense;Lov om aktiv socialpolitik;§ 34;2023;1;1;0;0;0;1\n"
        + "Odense;Barnets lov;§ 86;2023;1;1;0;0;0;1\n"
        + "Odense;Serviceloven;paragraffen om hjælp;2023;1;1;0;0;0;1\n"
    )
    assert ev.accepted
    codes = sorted(p.code for p in ev.report.problems if p.code != "partial_year")
    assert codes == ["unknown_law", "unmapped_provision", "unmapped_provision"]
    assert social(ev, "461", 2023).realitetsbehandlede == 1  # only the serviceloven row


def test_quarters_are_summed():
    ev = run(AGG + "".join(f"Odense;Serviceloven;§ 52;2024;{q};1;1;0;0;2\n" for q in range(1, 5)))
    assert social(ev, "461").realitetsbehandlede == 8


# --- every reason for rejection -----------------------------------------------------------


def test_empty_file():
    for data in (b"", b"\xef\xbb\xbf", b"\n\n  \n"):
        ev = run(data)
        assert not ev.accepted and [p.code for p in ev.report.problems] == ["empty"]


def test_header_only_has_no_rows():
    assert [c for c, *_ in errors(run(CASES))] == ["no_rows"]


def test_unreadable_bytes():
    ev = run(b"\x00\x81\x8d\x8f\x90\x9d" * 10)
    assert not ev.accepted and errors(ev)[0][0] == "unreadable"
    ev = run((CASES + CASE_ROWS).encode("utf-16"))
    assert [c for c, *_ in errors(ev)] == ["unreadable"]
    ev = run(b"PK\x03\x04 not really a workbook", "broken.xlsx")
    assert [c for c, *_ in errors(ev)] == ["unreadable"]


def test_not_one_of_the_two_shapes():
    ev = run("Navn;Adresse\nAnne;Vej 1\n")
    assert [(c, r) for c, r, *_ in errors(ev)] == [("unknown_shape", 1)]
    assert "Navn | Adresse" in ev.report_text()


def test_missing_required_columns_are_all_named():
    ev = run("Sagsnummer;Afgørelseskommune;Lov;Afgørelse\n1;Tårnby;Serviceloven;Stadfæstelse\n")
    assert sorted(col for c, _, col, _ in errors(ev) if c == "missing_column") == [
        "Afgørelsesdato",
        "Paragraf",
    ]


def test_bad_counts_negative_fractional_not_a_number():
    ev = run(
        AGG
        + "Odense;Serviceloven;§ 52;2024;1;-1;0;0;0;0\n"
        + "Odense;Serviceloven;§ 52;2024;2;1,5;0;0;0;1\n"
        + "Odense;Serviceloven;§ 52;2024;3;1;to;0;0;1\n"
        + "Odense;Serviceloven;§ 52;2024;4;1;0;;0;2\n"  # the total does not confirm a 0
    )
    assert not ev.accepted
    assert ("bad_count", 2, "Stadfæstelse", "-1") in errors(ev)
    assert ("bad_count", 3, "Stadfæstelse", "1,5") in errors(ev)
    assert ("bad_count", 4, "Ændring/Ophævelse", "to") in errors(ev)
    assert ("missing_value", 5, "Hjemvisning", "") in errors(ev)


def test_total_disagreeing_with_its_parts():
    ev = run(
        AGG
        + "Odense;Serviceloven;§ 52;2024;1;5;1;1;0;6\nOdense;Serviceloven;§ 52;2024;2;5;1;1;0;7\n"
    )
    assert errors(ev) == [("bad_total", 2, "Antal_sager_ialt", "6")]
    assert "de fire udfald giver 7" in ev.report_text()


def test_unknown_outcome_label():
    ev = run(CASES + "1;Tårnby;;Serviceloven;§ 41;Delvist medhold?;2024-01-17\n")
    assert errors(ev) == [("unknown_outcome", 2, "Afgørelse", "Delvist medhold?")]


def test_unknown_municipality():
    ev = run(
        CASES
        + "1;Tårnby;;Serviceloven;§ 41;stadfæstet;2024-01-17\n2;Gotham;;Serviceloven;§ 41;stadfæstet;2024-01-17\n3;999;;Serviceloven;§ 41;stadfæstet;2024-01-17\n"
    )
    assert errors(ev) == [
        ("unknown_municipality", 3, "Afgørelseskommune", "Gotham"),
        ("unknown_municipality", 4, "Afgørelseskommune", "999"),
    ]


def test_unknown_or_implausible_year_and_dates():
    ev = run(
        AGG
        + "Odense;Serviceloven;§ 52;1999;1;1;0;0;0;1\nOdense;Serviceloven;§ 52;2031;1;1;0;0;0;1\nOdense;Serviceloven;§ 52;tyve;1;1;0;0;0;1\n"
    )
    assert [(c, r, v) for c, r, _, v in errors(ev)] == [
        ("bad_year", 2, "1999"),
        ("bad_year", 3, "2031"),
        ("bad_year", 4, "tyve"),
    ]
    ev = run(
        CASES
        + "1;Tårnby;;Serviceloven;§ 41;stadfæstet;2024-02-30\n"
        + "2;Tårnby;;Serviceloven;§ 41;stadfæstet;2025-12-01\n"
        + "3;Tårnby;;Serviceloven;§ 41;stadfæstet;i går\n"
    )
    assert [(c, r, v) for c, r, _, v in errors(ev)] == [
        ("bad_date", 2, "2024-02-30"),
        ("bad_date", 4, "i går"),
        ("bad_date", 3, "2025-12-01"),  # after the extract was received
    ]


def test_repeated_case_number_names_both_rows():
    ev = run(CASES + "A-1;Tårnby;;Serviceloven;§ 41;stadfæstet;2024-01-17\n" * 2)
    assert errors(ev) == [("duplicate_case", 3, "Sagsnummer", "A-1")]
    assert "står også i række 2" in ev.report_text()


def test_problems_are_capped_per_kind_but_counted_in_full():
    rows = "".join(f"{i};Gotham;;Serviceloven;§ 41;stadfæstet;2024-01-17\n" for i in range(500))
    ev = run(CASES + rows)
    listed = [p for p in ev.report.problems if p.code == "unknown_municipality"]
    assert len(listed) == 50
    assert ev.report.n_errors == 500
    assert "… og 450 flere af samme slags." in ev.report_text()
    summary = ev.report.to_dict()["summary"]
    assert summary == [
        {
            "severity": "fejl",
            "code": "unknown_municipality",
            "title": "Kommunen er ukendt",
            "count": 500,
            "listed": 50,
        }
    ]


def test_all_problems_are_reported_in_one_go():
    ev = run(
        CASES
        + "1;Gotham;;Serviceloven;§ 41;stadfæstet;2024-01-17\n"
        + "1;Tårnby;;Serviceloven;§ 41;hmm;2024-01-17\n"
        + "3;Tårnby;;;§ 41;stadfæstet;17/1/2024\n"
    )
    assert {c for c, *_ in errors(ev)} == {
        "unknown_municipality",
        "duplicate_case",
        "unknown_outcome",
        "missing_value",
        "bad_date",
    }
    data = ev.report.to_dict(extract_id="x")
    assert data["accepted"] is False and data["errors_total"] == 5
    assert all({"code", "message", "row", "column", "value"} <= set(e) for e in data["errors"])


def test_too_large_is_rejected_before_reading():
    ev = run(CASES + CASE_ROWS, max_bytes=10)
    assert [c for c, *_ in errors(ev)] == ["too_large"]

"""Layouts that real sources produce, and the ones that used to give wrong figures silently.

Each case of issue 10 §1-2 ends either with the right figures (and a word in the report
where the reader did something on the sender's behalf) or with a rejection naming the
rows or columns: never with a figure that counts a case twice or not at all.
"""

from __future__ import annotations

import datetime as dt

import pytest
from danmarkskort.compute.evaluate import evaluate
from danmarkskort.compute.validation import is_sum_label, subject_parts
from danmarkskort.domain.areas import default_mapping

from tests.config_support import SMALL_EXTRACTS

RECEIVED = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)
AGG = "Instans;Lov;Paragraf;Aar;Stadfæstelse;Ændring/Ophævelse;Hjemvisning;Afvisning/Henvisning\n"


def run(text: str, name: str = "udtræk.csv"):
    return evaluate(text.encode("utf-8"), name, received=RECEIVED, config=SMALL_EXTRACTS)


def errors(ev) -> list[tuple[str, int | None]]:
    return [(p.code, p.row) for p in ev.report.problems if p.severity == "fejl"]


def warnings(ev) -> list[str]:
    """The warnings, but the one every small extract gets under SMALL_EXTRACTS."""
    return [
        p.code for p in ev.report.problems if p.severity == "advarsel" and p.code != "partial_year"
    ]


def problem(ev, code: str):
    return next(p for p in ev.report.problems if p.code == code)


def fig(ev, code: str, area: str = "socialomraadet", year: int = 2024):
    return next(
        f
        for f in ev.figures.figures
        if f.kommunekode == code and f.omraade == area and f.aar == year
    )


# --- §1: two columns, one field --------------------------------------------------------


def test_aendring_and_ophaevelse_as_two_columns_are_summed_and_said():
    ev = run(
        "Instans;Lov;Paragraf;Aar;Stadfæstelse;Ændring;Ophævelse;Hjemvisning;Afvisning\n"
        "Odense;SEL;§ 85;2024;3;4;3;0;1\n"
    )
    assert ev.accepted, ev.report_text()
    f = fig(ev, "461")
    assert (f.stadfaestet, f.aendret_ophaevet, f.hjemvist, f.afvist) == (3, 7, 0, 1)
    assert f.omgoerelsesprocent == pytest.approx(70.0)  # not 40 % (Ophævelse dropped)
    assert "summed_columns" in warnings(ev)
    assert "«Ændring» og «Ophævelse»" in problem(ev, "summed_columns").message


def test_a_combined_outcome_column_beside_its_parts_is_an_error():
    ev = run(
        "Instans;Lov;Paragraf;Aar;Stadfæstelse;Ændring/Ophævelse;Ophævelse;Hjemvisning;Afvist\n"
        "Odense;SEL;§ 85;2024;3;4;3;0;1\n"
    )
    assert not ev.accepted
    assert errors(ev) == [("ambiguous_column", 1)]
    assert "«Ændring/Ophævelse» (kolonne 6) og «Ophævelse» (kolonne 7)" in (
        problem(ev, "ambiguous_column").message
    )


def test_ophaevelse_alone_is_a_missing_column_that_says_why():
    ev = run(
        "Instans;Lov;Paragraf;Aar;Stadfæstelse;Ophævelse;Hjemvisning;Afvist\n"
        "Odense;SEL;§ 85;2024;3;3;0;1\n"
    )
    assert errors(ev) == [("missing_column", 1)]
    assert "ændringer skal også med" in problem(ev, "missing_column").message


@pytest.mark.parametrize(
    ("header", "named"),
    [
        (
            "Instans;Lov;Paragraf;Aar;Stadfæstelse;Stadfæstet;Ændring/Ophævelse;Hjemvisning;Afvist",
            "«Stadfæstelse» (kolonne 5) og «Stadfæstet» (kolonne 6)",
        ),
        (
            "Sagsnummer;Kommune;Lov;Paragraf;Afgørelse;Resultat;Afgørelsesdato",
            "«Afgørelse» (kolonne 5) og «Resultat» (kolonne 6)",
        ),
        (
            "Sagsnummer;Kommune;Lov;Paragraf;Afgørelse;Dato;Afgørelsesdato",
            "«Afgørelsesdato» (kolonne 7) og «Dato» (kolonne 6)",
        ),
    ],
)
def test_two_columns_that_fit_one_field_are_an_error_naming_both(header, named):
    ev = run(header + "\n")
    assert ("ambiguous_column", 1) in errors(ev)
    assert named in problem(ev, "ambiguous_column").message


def test_code_beside_name_of_the_municipality_is_still_allowed():
    ev = run(
        "Kommunekode;Kommune;Lov;Paragraf;Aar;Stadfæstelse;Ændring/Ophævelse;Hjemvisning;Afvist\n"
        "461;Odense;SEL;§ 85;2024;3;1;0;0\n"
    )
    assert ev.accepted, ev.report_text()


# --- §1: subtotals ------------------------------------------------------------------------


@pytest.mark.parametrize("whole_year", ["", "I alt", "Hele året"])
def test_a_whole_year_row_beside_quarter_rows_is_a_subtotal_error(whole_year):
    header = AGG.replace("Aar;", "Aar;Kvartal;")
    ev = run(
        header
        + "Odense;SEL;§ 85;2024;1;2;1;0;0\n"
        + "Odense;SEL;§ 85;2024;2;1;1;0;0\n"
        + f"Odense;SEL;§ 85;2024;{whole_year};3;2;0;0\n"  # the pivot table's subtotal
        + "Aarhus;SEL;§ 85;2024;;5;1;0;0\n"  # a year row alone is fine
    )
    assert not ev.accepted
    assert errors(ev) == [("subtotal_row", 4)]
    assert "fx række 2" in problem(ev, "subtotal_row").message


def test_a_year_row_alone_counts_once():
    header = AGG.replace("Aar;", "Aar;Kvartal;")
    ev = run(header + "Odense;SEL;§ 85;2024;I alt;3;2;0;0\nOdense;SEL;§ 41;2024;1;1;0;0;0\n")
    assert ev.accepted, ev.report_text()
    assert fig(ev, "461").realitetsbehandlede == 6


@pytest.mark.parametrize(
    "label", ["I alt", "Total", "§ 85 I alt", "Hovedtotal", "Serviceloven Total"]
)
def test_a_sum_label_in_paragraf_is_left_out_with_a_warning(label):
    ev = run(
        AGG
        + "Odense;SEL;§ 85;2024;3;1;0;0\n"
        + "Odense;SEL;§ 41;2024;1;1;0;0\n"
        + f"Odense;SEL;{label};2024;4;2;0;0\n"
    )
    assert ev.accepted, ev.report_text()
    assert fig(ev, "461").realitetsbehandlede == 6  # not 12
    assert warnings(ev) == ["sum_row"]
    assert problem(ev, "sum_row").row == 4


def test_a_sum_label_in_lov_is_left_out_even_with_bad_counts():
    ev = run(AGG + "Odense;SEL;§ 85;2024;3;1;0;0\nOdense;I alt;;2024;x;;0;0\n")
    assert ev.accepted, ev.report_text()  # the sum row's cells are not checked: it is out
    assert warnings(ev) == ["sum_row"]


@pytest.mark.parametrize(
    ("value", "is_sum"),
    [
        ("I alt", True),
        ("ialt", True),
        ("Total", True),
        ("Hele landet", True),
        ("§ 85 i alt", True),
        ("Hovedtotal", True),
        ("§ 85", False),
        ("§ 41, jf. § 42", False),
        ("Alternativ", False),
        ("Totalforsørgelse", False),
        ("", False),
    ],
)
def test_sum_labels(value, is_sum):
    assert is_sum_label(value) is is_sum


# --- §1: case numbers ---------------------------------------------------------------------

CASES = "Sagsnummer;Afgørelseskommune;Lov;Paragraf;Afgørelse;Afgørelsesdato\n"


@pytest.mark.parametrize("twin", ["24-1 ", "24-1\u00a0", "24-1\u200b", "\u200b24-1", " 24-1"])
def test_case_numbers_differing_only_by_invisible_characters_are_one_case(twin):
    ev = run(
        CASES
        + "24-1;Odense;SEL;§ 85;Stadfæstelse;2024-03-01\n"
        + f"{twin};Odense;SEL;§ 85;Hjemvisning;2024-03-02\n"
        + "24-2;Odense;SEL;§ 85;Hjemvisning;2024-03-02\n"
    )
    assert errors(ev) == [("duplicate_case", 3)]
    assert "står også i række 2 (de to er kun forskellige i mellemrum" in (
        problem(ev, "duplicate_case").message
    )


def test_plain_repeated_case_number_says_nothing_about_invisible_characters():
    ev = run(
        CASES
        + "24-1;Odense;SEL;§ 85;Stadfæstelse;2024-03-01\n"
        + "24-1;Odense;SEL;§ 85;Hjemvisning;2024-03-02\n"
    )
    assert errors(ev) == [("duplicate_case", 3)]
    assert "usynlige" not in problem(ev, "duplicate_case").message


def test_a_case_number_of_spaces_only_is_missing():
    ev = run(CASES + "\u00a0 \u200b;Odense;SEL;§ 85;Stadfæstelse;2024-03-01\n")
    assert errors(ev) == [("missing_value", 2)]


# --- §2: Ankestyrelsen's statistics layout (Talportal) ----------------------------------

TALPORTAL = (
    "Instans;Sagsemne;Lovgrundlag;Aar;Stadfæstelse;Ændring/ophævelse;Hjemvisning;"
    "Afvisning/henvisning;Antal_sager_ialt;Sagsbehandlingstid\n"
)


@pytest.mark.parametrize(
    ("label", "law", "provision"),
    [
        ("1.9 Serviceloven - Børn - efterværn - §§ 68 og 76", "Serviceloven", "§§ 68 og 76"),
        ("Socialpædagogisk støtte - § 85", "", "§ 85"),
        ("Barnets lov - Handicapkompenserende ydelser - §§ 86-87", "Barnets lov", "§§ 86-87"),
        ("3.2 Lov om social service: Merudgifter - § 41", "Lov om social service", "§ 41"),
        ("Hjælpemidler", "", "Hjælpemidler"),
    ],
)
def test_subject_parts(label, law, provision):
    assert subject_parts(label, default_mapping()) == (law, provision)


def test_talportal_layout_is_read():
    ev = run(
        TALPORTAL
        + "Odense;1.9 Serviceloven - Børn - efterværn - §§ 68 og 76;;2024;4;2;;1;7;83\n"
        + "Odense;Socialpædagogisk støtte - § 85;Serviceloven;2024;3;.;1;;4;60\n"
        + "Odense;Handicapkompenserende ydelser - § 32 a;Serviceloven;2024;2;2;0;0;4;70\n"
        + "Odense;Merudgifter - §§ 42-43;Lov om social service;2024;1;1;0;0;2;50\n"
    )
    assert ev.accepted, ev.report_text()
    assert fig(ev, "461").realitetsbehandlede == 16
    assert fig(ev, "461", "voksenhandicap").realitetsbehandlede == 4  # § 85
    assert fig(ev, "461", "boernehandicap").realitetsbehandlede == 6  # § 32 a, §§ 42-43
    assert warnings(ev) == ["blank_as_zero"]
    assert problem(ev, "blank_as_zero").message.startswith("3 tomme celler")
    assert "Sagsbehandlingstid" in ev.report.facts["ignored_columns"]


def test_talportal_blank_that_the_total_does_not_confirm_is_missing():
    ev = run(TALPORTAL + "Odense;Socialpædagogisk støtte - § 85;SEL;2024;3;;1;0;6;60\n")
    assert errors(ev) == [("missing_value", 2)]
    assert "læses kun som 0" in problem(ev, "missing_value").message


def test_talportal_without_any_law_is_an_error():  # Lovgrundlag empty, no law in the label
    ev = run(TALPORTAL + "Odense;Socialpædagogisk støtte - § 85;;2024;3;1;1;0;5;60\n")
    assert errors(ev) == [("missing_value", 2)]


def test_talportal_label_and_lovgrundlag_naming_two_laws_is_an_error():
    ev = run(TALPORTAL + "Odense;Barnets lov - § 86;Serviceloven;2024;3;1;1;0;5;60\n")
    assert errors(ev) == [("law_mismatch", 2)]
    assert "«Barnets lov»" in problem(ev, "law_mismatch").message


def test_hele_landet_rows_are_compared_with_the_municipalities():
    rows = (
        "Odense;Socialpædagogisk støtte - § 85;SEL;2024;3;1;0;0;4;60\n"
        "Aarhus;Socialpædagogisk støtte - § 85;SEL;2024;5;1;0;0;6;60\n"
    )
    same = run(
        TALPORTAL + rows + "Hele landet;Socialpædagogisk støtte - § 85;SEL;2024;8;2;0;0;10;60\n"
    )
    assert same.accepted, same.report_text()
    assert "national_mismatch" not in warnings(same)
    other = run(
        TALPORTAL + rows + "Hele landet;Socialpædagogisk støtte - § 85;SEL;2024;9;2;0;0;11;60\n"
    )
    assert other.accepted, other.report_text()
    message = problem(other, "national_mismatch").message
    assert "giver 11 sager i 2024" in message and "kommunernes rækker giver 10" in message
    assert fig(other, "000").realitetsbehandlede == 10  # the municipalities' sum, always


# --- §3: bounds on what a table may hold -------------------------------------------------


def test_a_label_longer_than_the_cell_limit_is_rejected_naming_row_and_size():
    from danmarkskort.compute.table import MAX_CELL_CHARS

    label = "§ 85 " + "x" * MAX_CELL_CHARS
    ev = run(AGG + "Odense;SEL;§ 85;2024;3;1;0;0\n" + f"Odense;SEL;{label};2024;1;0;0;0\n")
    assert errors(ev) == [("cell_too_long", 3)]
    p = problem(ev, "cell_too_long")
    assert p.column == "Paragraf" and len(p.value) <= 60
    assert f"{len(label):,}".replace(",", ".") in p.message
    assert len(ev.report_json()) < 20_000  # the label does not travel into the report


def test_a_long_case_number_is_rejected_too():
    ev = run(CASES + "x" * 5_000 + ";Odense;SEL;§ 85;Stadfæstelse;2024-03-01\n")
    assert errors(ev) == [("cell_too_long", 2)]


def test_a_column_with_too_many_distinct_values_is_rejected():
    from danmarkskort.compute.table import MAX_DISTINCT

    body = "".join(f"Odense;SEL;§ 85 nr. {i};2024;1;0;0;0\n" for i in range(MAX_DISTINCT + 1))
    ev = run(AGG + body)
    assert errors(ev) == [("too_many_values", None)]
    assert "«Paragraf»" in problem(ev, "too_many_values").message


def test_talportal_without_a_lovgrundlag_column_and_no_law_in_the_label_is_an_error():
    header = TALPORTAL.replace("Lovgrundlag;", "")
    ev = run(
        header
        + "Odense;Socialpædagogisk støtte - § 85;2024;3;1;1;0;5;60\n"
        + "Odense;Serviceloven - Socialpædagogisk støtte - § 85;2024;3;1;1;0;5;60\n"
    )
    assert errors(ev) == [("missing_value", 2)]
    message = problem(ev, "missing_value").message
    assert "nævner ingen lov" in message and "ingen kolonne «Lovgrundlag»" in message

"""Danmarks Statistik's recipients per municipality, area and year (domain/beneficiaries.py):
both layouts parse, every bad case names file, line and field, '..' is kept as missing."""

from __future__ import annotations

import pytest
from danmarkskort.domain.areas import default_mapping
from danmarkskort.domain.beneficiaries import (
    FILE,
    BeneficiaryTable,
    load_beneficiaries,
    parse_beneficiaries,
)

from tests.config_support import MemorySource

SIMPLE = (
    "kommunekode;omraade;aar;modtagere\n"
    "155;boernehandicap;2023;41\n"
    "Københavns Kommune;Voksenhandicap;2023;..\n"
    "0580;socialomraadet;2023;1234\n"
)
# As Statistikbanken exports it: quoted Danish headers, names, a sum row, another variable.
STATBANK = (
    '"OMRÅDE";"YDELSE";"TID";"INDHOLD"\n'
    '"Hele landet";"Merudgifter";"2023";9999\n'
    '"Region Hovedstaden";"Merudgifter";"2023";999\n'
    '"Åbenrå";"Merudgifter";"2023";120\n'
    '"Aarhus";"Merudgifter";"2023";..\n'
    '"Dragør";"Merudgifter";"2022";17\n'
)


def parse(**files: str | bytes):
    named = {
        (FILE if k == "simple" else f"modtagere-{k}.csv"): v if isinstance(v, bytes) else v.encode()
        for k, v in files.items()
    }
    return parse_beneficiaries(named, default_mapping())


def test_simple_layout_parses_codes_names_and_missing() -> None:
    loaded = parse(simple=SIMPLE)
    assert loaded.status == "ok" and loaded.problems == ()
    assert loaded.table is not None
    assert dict(loaded.table.counts) == {
        ("155", "boernehandicap", 2023): 41,
        ("101", "voksenhandicap", 2023): None,  # '..': Danmarks Statistik has no figure
        ("580", "socialomraadet", 2023): 1234,
    }


def test_statistikbanken_export_parses_with_the_area_from_the_file_name() -> None:
    loaded = parse(boernehandicap=STATBANK.encode("utf-8-sig"))
    assert loaded.status == "ok", loaded.messages()
    assert loaded.table is not None
    assert dict(loaded.table.counts) == {
        ("580", "boernehandicap", 2023): 120,  # Åbenrå is Aabenraa
        ("751", "boernehandicap", 2023): None,
        ("155", "boernehandicap", 2022): 17,
    }  # Hele landet and the region are skipped: national values are computed


def test_older_windows_1252_export_is_read() -> None:
    loaded = parse(voksenhandicap=STATBANK.encode("cp1252"))
    assert loaded.status == "ok" and loaded.table is not None
    assert loaded.table.counts[("580", "voksenhandicap", 2023)] == 120


def test_both_layouts_together_and_the_table_is_immutable() -> None:
    loaded = parse(simple=SIMPLE, voksenhandicap=STATBANK)
    assert loaded.table is not None and len(loaded.table.counts) == 6
    with pytest.raises(TypeError):
        loaded.table.counts[("155", "boernehandicap", 2023)] = 1  # type: ignore[index]


def test_no_file_is_absent_not_a_problem() -> None:
    loaded = load_beneficiaries(MemorySource(), default_mapping())
    assert loaded.status == "absent" and loaded.table is None and loaded.problems == ()


def test_load_reads_the_files_from_a_config_source() -> None:
    source = MemorySource({"modtagere.csv": SIMPLE.encode(), "modtagere-boernehandicap.csv": b""})
    loaded = load_beneficiaries(source, default_mapping())
    assert loaded.status == "rejected"
    assert loaded.messages() == [
        "modtagere-boernehandicap.csv: is empty: expected a header line and rows"
    ]


HEADER = "kommunekode;omraade;aar;modtagere\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "999;boernehandicap;2023;4\n",
            "modtagere.csv: line 2: kommunekode: unknown municipality '999'",
        ),
        (
            "Frederiksbreg;boernehandicap;2023;4\n",
            "modtagere.csv: line 2: kommunekode: unknown municipality 'Frederiksbreg' (did you "
            "mean «Frederiksberg»?)",
        ),
        (
            "155;boernehandicap;2023;12,5\n",
            "modtagere.csv: line 2: modtagere: '12,5' is not a whole number (or ..)",
        ),
        (
            "155;boernehandicap;2023;mange\n",
            "modtagere.csv: line 2: modtagere: 'mange' is not a whole number (or ..)",
        ),
        ("155;boernehandicap;2023;-3\n", "modtagere.csv: line 2: modtagere: '-3' is negative"),
        (
            "155;boernehandicap;2023;\n",
            "modtagere.csv: line 2: modtagere: is empty; write .. where there is no figure",
        ),
        ("155;boernehandicap;23;4\n", "modtagere.csv: line 2: aar: '23' is not a year (1990-2100)"),
        (
            "155;boernehandicap;2023/24;4\n",
            "modtagere.csv: line 2: aar: '2023/24' is not a year (1990-2100)",
        ),
        (
            "155;handicap;2023;4\n",
            "modtagere.csv: line 2: omraade: unknown area 'handicap'; one of socialomraadet, "
            "boernehandicap, voksenhandicap",
        ),
        (
            "155;boernehandicap;2023;4\nDragør;Børnehandicap;2023;5\n",
            "modtagere.csv: line 3: duplicate: Dragør (155), boernehandicap, 2023 is also on line 2",
        ),
        ("155;boernehandicap\n", "modtagere.csv: line 2: has 2 field(s), the header more"),
    ],
)
def test_every_bad_row_is_named_by_line_and_field(body: str, message: str) -> None:
    loaded = parse(simple=HEADER + body)
    assert loaded.status == "rejected" and loaded.table is None
    assert loaded.messages() == [message]


def test_missing_columns_and_wrong_separator_name_the_header() -> None:
    assert parse(simple="kommunekode;aar;modtagere\n155;2023;4\n").messages() == [
        "modtagere.csv: line 1: header: missing column(s) omraade; expected "
        "kommunekode;omraade;aar;modtagere, found 'kommunekode', 'aar', 'modtagere'"
    ]
    assert parse(simple="kommunekode,omraade,aar,modtagere\n").messages() == [
        "modtagere.csv: line 1: header: is not semicolon-separated (';'); found "
        "'kommunekode,omraade,aar,modtagere'"
    ]
    (message,) = parse(boernehandicap='"OMRÅDE";"TID"\n"Dragør";"2023"\n').messages()
    assert message.startswith("modtagere-boernehandicap.csv: line 1: header: missing columns")


def test_a_statistikbanken_export_as_modtagere_csv_is_told_where_to_go() -> None:
    (message,) = parse(simple=STATBANK).messages()
    assert "names no map area: save it as modtagere-socialomraadet.csv or" in message


def test_statistikbanken_problems_name_the_export_s_own_columns() -> None:
    body = '"OMRÅDE";"YDELSE";"TID";"INDHOLD"\n"Dragør";"a";"2023";4\n"Dragør";"b";"2023";5\n"Gotham";"a";"2023K4";x\n'
    assert parse(boernehandicap=body).messages() == [
        "modtagere-boernehandicap.csv: line 3: duplicate: Dragør (155), boernehandicap, 2023 is "
        "also on line 2; an export must have one row per municipality and year (choose one "
        "value of every other variable, or the total, in Statistikbanken)",
        "modtagere-boernehandicap.csv: line 4: OMRÅDE: unknown municipality 'Gotham'",
        "modtagere-boernehandicap.csv: line 4: TID: '2023K4' is not a year (1990-2100)",
        "modtagere-boernehandicap.csv: line 4: INDHOLD: 'x' is not a whole number (or ..)",
    ]


def test_a_duplicate_across_files_names_both() -> None:
    body = '"OMRÅDE";"TID";"INDHOLD"\n"Dragør";"2023";40\n'
    (message,) = parse(simple=SIMPLE, boernehandicap=body).messages()
    assert message == (
        "modtagere-boernehandicap.csv: line 2: duplicate: Dragør (155), boernehandicap, 2023 is "
        "also on line 2 of modtagere.csv; an export must have one row per municipality and "
        "year (choose one value of every other variable, or the total, in Statistikbanken)"
    )


def test_problems_are_capped_and_counted() -> None:
    loaded = parse(simple=HEADER + "999;boernehandicap;2023;4\n" * 30)
    assert len(loaded.problems) == 20 and loaded.more == 10
    assert loaded.messages()[-1] == "... and 10 more problem(s)"
    assert loaded.report()["status"] == "rejected"


def test_reference_year_national_rate_and_missing_are_said() -> None:
    table = BeneficiaryTable(
        {
            ("155", "boernehandicap", 2023): 40,
            ("101", "boernehandicap", 2023): 960,
            ("147", "boernehandicap", 2023): None,
        }
    )
    assert table.reference_year("boernehandicap", 2024) == 2023
    assert table.reference_year("boernehandicap", 2026) is None  # too old to stand beside 2026
    ay = table.area_year("boernehandicap", 2024, {"155": 2, "101": 48, "147": 30})
    assert ay.national_per_1000 == pytest.approx(50.0)  # Σ 50 cases / Σ 1,000 recipients
    s = ay.shown("155", "Dragør", 2, "Hele landet")
    assert s.sentence == "40 borgere modtog ydelser på området i 2023 (Danmarks Statistik)."
    assert s.rate_sentence == (
        "Det svarer til 50,0 realitetsbehandlede klagesager i 2024 pr. 1.000 modtagere "
        "(hele landet: 50,0)."
    )
    missing = ay.shown("147", "Frederiksberg", 30, "Hele landet")
    assert missing.sentence == (
        "Danmarks Statistik har ikke tal for, hvor mange borgere i Frederiksberg der modtog "
        "ydelser på området i 2023."
    )
    assert missing.rate_sentence == "" and missing.modtagere is None
    none = table.area_year("voksenhandicap", 2024, {}).shown("155", "Dragør", 1, "Hele landet")
    assert none.sentence.startswith("Danmarks Statistik har ikke tal for, hvor mange borgere")
    assert "2022–2024" in none.sentence

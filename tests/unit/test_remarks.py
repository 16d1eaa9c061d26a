"""Remarks and cooperation arrangements: the bundled defaults and the checks on bad config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from danmarkskort.config.sources import ConfigError, DirSource, layered
from danmarkskort.domain.remarks import load_remark_book


def _book(tmp_path: Path, remarks: list | None = None, cooperation: dict | None = None):
    if remarks is not None:
        (tmp_path / "remarks.json").write_text(json.dumps({"remarks": remarks}), encoding="utf-8")
    if cooperation is not None:
        (tmp_path / "cooperation.json").write_text(json.dumps(cooperation), encoding="utf-8")
    return load_remark_book(layered(DirSource(tmp_path)))


def _coop(**arrangement) -> dict:
    base = {
        "vaert": "185",
        "betjent": "155",
        "omraader": ["boernehandicap"],
        "gyldig_fra": "2007-01-01",
        "gyldig_til": None,
    }
    return {
        "kilde": "Social- og Boligministeriet",
        "tekster": {
            "betjent": "{vaert} afgør {betjent}s sager om {omraader} {periode}.",
            "vaert": "{vaert}s tal omfatter {betjent}s sager om {omraader}.",
        },
        "arrangements": [{**base, **arrangement}],
    }


def test_bundled_dragoer_remark_says_tarnby_decides_and_counts() -> None:
    book = load_remark_book(layered())
    remarks = book.for_municipality("155", 2024, "boernehandicap")
    assert [r.kind for r in remarks] == ["samarbejde"]
    text = remarks[0].text
    assert "Tårnby Kommune træffer afgørelserne" in text
    assert "Dragør Kommunes sager om børnehandicap" in text
    assert "tæller derfor med i Tårnby Kommunes tal og ikke i Dragør Kommunes" in text
    assert remarks[0].kilde == "Social- og Boligministeriet"
    assert "<" not in text


def test_bundled_tarnby_remark_says_its_figures_include_dragoer() -> None:
    remarks = load_remark_book(layered()).for_municipality("185", 2024, "boernehandicap")
    assert len(remarks) == 1
    assert "Tårnby Kommunes tal om børnehandicap omfatter også Dragør Kommunes sager" in (
        remarks[0].text
    )


def test_adult_part_of_dragoer_arrangement_ends_in_2021() -> None:
    book = load_remark_book(layered())
    in_2021 = book.for_municipality("155", 2021, "voksenhandicap")
    assert len(in_2021) == 1 and "31. august 2021" in in_2021[0].text
    assert book.for_municipality("155", 2022, "voksenhandicap") == []
    assert len(book.for_municipality("155", 2022, "boernehandicap")) == 1


def test_socialomraadet_map_shows_the_arrangement_too() -> None:
    book = load_remark_book(layered())
    assert len(book.for_municipality("155", 2020, "socialomraadet")) == 2
    assert len(book.for_municipality("155", 2023, "socialomraadet")) == 1
    assert len(book.for_municipality("155", 2020)) == 2  # any area


def test_ishoej_vallensbaek_both_ways() -> None:
    book = load_remark_book(layered())
    served = book.for_municipality("187", 2023, "voksenhandicap")
    host = book.for_municipality("183", 2023, "voksenhandicap")
    assert len(served) == 1 and "Ishøj Kommune træffer afgørelserne" in served[0].text
    assert len(host) == 1 and "Vallensbæk Kommunes sager" in host[0].text
    assert book.for_municipality("101", 2023) == []


def test_arrangement_applies_for_a_partly_covered_year(tmp_path: Path) -> None:
    book = _book(tmp_path, cooperation=_coop(gyldig_fra="2019-12-31", gyldig_til="2021-01-01"))
    years = [y for y in range(2017, 2024) if book.for_municipality("155", y, "boernehandicap")]
    assert years == [2019, 2020, 2021]
    assert book.for_municipality("155", 2020, "voksenhandicap") == []


def test_remarks_file_kinds_areas_years_and_order(tmp_path: Path) -> None:
    book = _book(
        tmp_path,
        remarks=[
            {
                "kommunekode": "825",
                "kind": "kommentar",
                "text": "Læsø traf 212 afgørelser i alt.",
                "aar_fra": 2023,
                "aar_til": 2023,
            },
            {
                "kommunekode": "Læsø",
                "kind": "bemaerkning",
                "text": "Tallet bygger på få sager.",
                "omraader": ["voksenhandicap"],
                "kilde": "Ankestyrelsen",
            },
        ],
        cooperation=_coop(),
    )
    all_2023 = book.for_municipality("825", 2023)
    assert [r.kind for r in all_2023] == ["bemaerkning", "kommentar"]
    assert all_2023[1].kilde == "Læsø Kommune"
    assert [r.kind for r in book.for_municipality("825", 2023, "boernehandicap")] == ["kommentar"]
    assert [r.kind for r in book.for_municipality("825", 2022)] == ["bemaerkning"]
    assert all_2023[0].omraader == ("voksenhandicap",)


def test_html_in_remark_text_is_kept_as_plain_text(tmp_path: Path) -> None:
    text = '<script>alert("x")</script> & <b>fed</b>'
    book = _book(tmp_path, remarks=[{"kommunekode": "101", "kind": "kommentar", "text": text}])
    assert book.for_municipality("101", 2024)[0].text == text


def test_without_files_the_book_is_empty() -> None:
    class Empty:
        def read(self, name: str) -> bytes | None:
            return None

    assert len(load_remark_book(Empty())) == 0


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"kommunekode": "999", "kind": "kommentar", "text": "x"},
            "remarks.json: remarks[0].kommunekode: is not one of the 98 municipalities (value: '999')",
        ),
        (
            {"kommunekode": "411", "kind": "kommentar", "text": "x"},
            "remarks[0].kommunekode: is not one of the 98 municipalities (value: '411')",
        ),
        (
            {"kommunekode": "101", "kind": "kommentar", "text": "x", "omraader": ["skole"]},
            "remarks.json: remarks[0].omraader[0]: is no area of areas.json",
        ),
        (
            {"kommunekode": "101", "kind": "ros", "text": "x"},
            "remarks[0].kind: must be 'kommentar' or 'bemaerkning' (value: 'ros')",
        ),
        (
            {"kommunekode": "101", "kind": "kommentar", "text": "  "},
            "remarks[0].text: must be a non-empty text",
        ),
        (
            {"kommunekode": "101", "kind": "bemaerkning", "text": "x"},
            "remarks[0].kilde: must name who makes the remark",
        ),
        (
            {"kommunekode": "101", "kind": "kommentar", "text": "x", "aar_fra": "2020"},
            "remarks[0].aar_fra: must be a year such as 2024 (value: '2020')",
        ),
        (
            {
                "kommunekode": "101",
                "kind": "kommentar",
                "text": "x",
                "aar_fra": 2022,
                "aar_til": 2021,
            },
            "remarks[0].aar_til: is before aar_fra 2022 (value: 2021)",
        ),
        ({"kommunekode": "101", "kind": "kommentar", "txt": "x"}, "remarks[0].txt: unknown field"),
    ],
)
def test_bad_remarks_are_rejected_naming_file_entry_and_field(
    tmp_path: Path, entry: dict, message: str
) -> None:
    with pytest.raises(ConfigError) as err:
        _book(tmp_path, remarks=[entry])
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"vaert": "Atlantis"},
            "arrangements[0].vaert: is not one of the 98 municipalities (value: 'Atlantis')",
        ),
        ({"betjent": "185"}, "arrangements[0].betjent: is the same municipality as vaert"),
        (
            {"omraader": ["boernehandicap", "skole"]},
            "arrangements[0].omraader[1]: is no area of areas.json (known: socialomraadet, "
            "boernehandicap, voksenhandicap) (value: 'skole')",
        ),
        ({"omraader": []}, "arrangements[0].omraader: must have at least 1 entry"),
        (
            {"gyldig_fra": "2007-13-01"},
            "arrangements[0].gyldig_fra: is not a valid date YYYY-MM-DD (value: '2007-13-01')",
        ),
        (
            {"gyldig_fra": None},
            "arrangements[0].gyldig_fra: must be a date YYYY-MM-DD (value: None)",
        ),
        (
            {"gyldig_til": "01-09-2021"},
            "arrangements[0].gyldig_til: is not a valid date YYYY-MM-DD (value: '01-09-2021')",
        ),
        (
            {"gyldig_fra": "2010-01-01", "gyldig_til": "2009-12-31"},
            "arrangements[0].gyldig_til: is before gyldig_fra 2010-01-01 (value: '2009-12-31')",
        ),
        ({"gyldig_tl": "2021-08-31"}, "arrangements[0].gyldig_tl: unknown field"),
    ],
)
def test_bad_cooperation_is_rejected_naming_file_entry_and_field(
    tmp_path: Path, change: dict, message: str
) -> None:
    with pytest.raises(ConfigError) as err:
        _book(tmp_path, cooperation=_coop(**change))
    assert "cooperation.json" in str(err.value)
    assert message in str(err.value)


def test_corrupt_json_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "remarks.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^remarks\.json: not valid JSON"):
        load_remark_book(layered(DirSource(tmp_path)))

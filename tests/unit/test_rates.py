"""The rate computation on hand-computed cases from the domain primer."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from danmarkskort.compute.evaluate import evaluate
from danmarkskort.compute.rates import provision_label, wilson_interval
from danmarkskort.domain.provisions import parse_paragraph

from tests.config_support import SMALL_EXTRACTS

HEADER = (
    "Instans;Lov;Paragraf;Aar;Stadfæstelse;Ændring/Ophævelse;Hjemvisning;Afvisning/Henvisning\n"
)
RECEIVED = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


def figures(body: str, **kw):
    """Figures of a small hand-written extract (a partial delivery on purpose)."""
    ev = evaluate((HEADER + body).encode(), "t.csv", received=RECEIVED, config=SMALL_EXTRACTS, **kw)
    assert ev.accepted, ev.report_text()
    return ev.figures


def one(doc, code, area="socialomraadet", year=None):
    hits = [
        f
        for f in doc.figures
        if f.kommunekode == code and f.omraade == area and (year is None or f.aar == year)
    ]
    assert len(hits) == 1
    return hits[0]


def test_ankestyrelsens_worked_example_24_of_129():
    doc = figures("Dragør;Serviceloven;§ 52;2024;105;5;19;7\n")
    f = one(doc, "155")
    assert (f.stadfaestet, f.aendret_ophaevet, f.hjemvist, f.afvist) == (105, 5, 19, 7)
    assert f.realitetsbehandlede == 129
    assert f.omgoerelsesprocent == pytest.approx(24 / 129 * 100)
    assert round(f.omgoerelsesprocent) == 19  # published as "19 %"
    assert f.ci_lav < f.omgoerelsesprocent < f.ci_hoej


@pytest.mark.parametrize(
    ("year", "law_section", "area", "aendret", "hjemvist", "stadfaestet", "rate"),
    [
        # National splits from the primer (percent of realitetsbehandlede).
        (2022, "§ 52", "socialomraadet", 777, 2460, 5394, 37.5),  # 8,631 cases
        (2021, "§ 52", "socialomraadet", 77, 241, 682, 31.8),
        (2020, "§ 41", "boernehandicap", 155, 365, 480, 52.0),
    ],
)
def test_national_splits_of_the_primer(
    year, law_section, area, aendret, hjemvist, stadfaestet, rate
):
    # Spread over three municipalities: the country is the sum of counts.
    def split(total):
        first, second = total // 2, total // 3
        return first, second, total - first - second

    rows = [
        f"{code};Serviceloven;{law_section};{year};{s};{a};{h};0\n"
        for code, s, a, h in zip(
            ("101", "751", "825"), split(stadfaestet), split(aendret), split(hjemvist), strict=True
        )
    ]
    nat = one(figures("".join(rows)), "000", area)
    n = nat.realitetsbehandlede
    assert nat.kommune == "De 3 kommuner i udtrækket"  # three municipalities are no country
    assert (nat.stadfaestet, nat.aendret_ophaevet, nat.hjemvist) == (stadfaestet, aendret, hjemvist)
    assert round(nat.omgoerelsesprocent, 1) == rate
    assert round(100 * nat.hjemvist / n, 1) + round(
        100 * nat.aendret_ophaevet / n, 1
    ) == pytest.approx(rate, abs=0.11)


def test_national_rate_is_sum_of_counts_not_mean_of_rates():
    doc = figures("Læsø;Serviceloven;§ 52;2024;0;1;0;0\nAarhus;Serviceloven;§ 52;2024;9;0;0;0\n")
    assert one(doc, "825").omgoerelsesprocent == 100.0
    assert one(doc, "751").omgoerelsesprocent == 0.0
    assert one(doc, "000").omgoerelsesprocent == pytest.approx(10.0)  # not (100 + 0) / 2


def test_case_counts_for_the_deciding_municipality_not_the_residence():
    body = (
        "Sagsnummer;Afgørelseskommune;Bopælskommune;Lov;Paragraf;Afgørelse;Afgørelsesdato\n"
        "1;Tårnby;Dragør;Serviceloven;§ 41;Hjemvisning;2024-03-01\n"
        "2;Tårnby;Dragør;Serviceloven;§ 83;Stadfæstelse;2024-03-02\n"
    )
    ev = evaluate(body.encode(), "c.csv", received=RECEIVED, config=SMALL_EXTRACTS)
    doc = ev.figures
    assert one(doc, "185").realitetsbehandlede == 2
    assert one(doc, "155").realitetsbehandlede == 0
    assert one(doc, "185", "boernehandicap").hjemvist == 1
    assert one(doc, "185", "voksenhandicap").stadfaestet == 1


def test_every_municipality_year_and_area_is_present_with_zeros():
    doc = figures("Dragør;Serviceloven;§ 41;2023;1;0;0;0\nDragør;Serviceloven;§ 41;2024;1;0;0;0\n")
    assert len(doc.figures) == 2 * 3 * (98 + 1)
    empty = one(doc, "825", "voksenhandicap", 2024)
    assert empty.realitetsbehandlede == 0
    assert empty.omgoerelsesprocent is None and empty.ci_lav is None and empty.aendring_pp is None
    assert empty.lav_n is True


def test_afviste_cases_are_counted_but_excluded_from_the_rate():
    f = one(figures("Fanø;Serviceloven;§ 52;2024;3;1;0;50\n"), "563")
    assert f.afvist == 50
    assert f.realitetsbehandlede == 4
    assert f.omgoerelsesprocent == 25.0


def test_change_from_previous_year_in_percentage_points():
    doc = figures("Odense;Serviceloven;§ 52;2023;3;1;0;0\nOdense;Serviceloven;§ 52;2024;1;1;0;0\n")
    assert one(doc, "461", year=2023).aendring_pp is None
    assert one(doc, "461", year=2024).aendring_pp == pytest.approx(50.0 - 25.0)


def test_low_n_threshold_is_configurable():
    body = "Odense;Serviceloven;§ 52;2024;15;5;0;0\n"
    assert one(figures(body), "461").lav_n is False  # 20 realitetsbehandlede, default 20
    assert one(figures(body, lav_n_threshold=21), "461").lav_n is True


def test_rates_are_unrounded():
    f = one(figures("Odense;Serviceloven;§ 52;2024;2;1;0;0\n"), "461")
    assert f.omgoerelsesprocent == pytest.approx(100 / 3, rel=1e-12)


def test_provision_maps_to_special_areas_and_socialomraadet():
    doc = figures(
        "Odense;Serviceloven;§§ 42-43;2024;1;0;0;0\n"
        "Odense;Barnets lov;§ 86;2024;0;1;0;0\n"
        "Odense;Serviceloven;§ 107;2024;0;0;1;0\n"
    )
    assert one(doc, "461", "socialomraadet").realitetsbehandlede == 3
    assert one(doc, "461", "boernehandicap").realitetsbehandlede == 2
    assert one(doc, "461", "voksenhandicap").realitetsbehandlede == 1
    provisions = {(p.lov, p.paragraf): p.omraader for p in doc.provisions}
    assert provisions[("Barnets lov", "§ 86")] == ("socialomraadet", "boernehandicap")


def test_wilson_interval_known_values():
    low, high = wilson_interval(np.array([0, 10, 24]), np.array([10, 10, 129]))
    assert low[0] == 0.0 and high[0] == pytest.approx(27.75, abs=0.01)
    assert low[1] == pytest.approx(72.25, abs=0.01) and high[1] == 100.0
    # 24/129 by hand: centre 0.19513, half-width 0.06680.
    assert (low[2], high[2]) == (pytest.approx(12.83, abs=0.01), pytest.approx(26.19, abs=0.01))
    low, high = wilson_interval(np.array([0]), np.array([0]))
    assert np.isnan(low[0]) and np.isnan(high[0])


def test_provisions_group_by_law_and_section_not_by_the_label_as_written():
    """København's 'BL § 86', '§ 86' and '§86' are one provision with one rate; so are
    'SEL § 41', 'Servicelovens § 41' and '§41'. The same section of another law, another
    municipality or another year stays apart."""
    doc = figures(
        "København;Barnets lov;BL § 86;2024;3;1;0;0\n"
        "København;Barnets lov;§ 86;2024;2;0;1;1\n"
        "København;Barnets lov;§86;2024;1;0;0;0\n"
        "København;Serviceloven;SEL § 41;2024;4;0;0;0\n"
        "København;Serviceloven;Servicelovens § 41;2024;0;2;0;0\n"
        "København;Serviceloven;§41;2024;0;0;1;2\n"
        "København;Serviceloven;§ 86;2024;1;0;0;0\n"
        "København;Serviceloven;SEL § 41;2023;5;0;0;0\n"
        "Aarhus;Barnets lov;BL § 86;2024;7;0;0;0\n"
    )
    rows = {(p.kommunekode, p.lov, p.paragraf, p.aar): p for p in doc.provisions}
    assert set(rows) == {
        ("101", "Barnets lov", "§ 86", 2024),
        ("101", "Serviceloven", "§ 41", 2024),
        ("101", "Serviceloven", "§ 86", 2024),
        ("101", "Serviceloven", "§ 41", 2023),
        ("751", "Barnets lov", "§ 86", 2024),
    }
    bl86 = rows[("101", "Barnets lov", "§ 86", 2024)]
    assert (bl86.stadfaestet, bl86.aendret_ophaevet, bl86.hjemvist, bl86.afvist) == (6, 1, 1, 1)
    assert bl86.omraader == ("socialomraadet", "boernehandicap")
    sel41 = rows[("101", "Serviceloven", "§ 41", 2024)]
    assert (sel41.stadfaestet, sel41.aendret_ophaevet, sel41.hjemvist, sel41.afvist) == (4, 2, 1, 2)
    # The area figures were right before and stay so: the provisions add up to them.
    area = one(doc, "101", "boernehandicap", 2024)
    assert area.realitetsbehandlede == 8 + 7  # BL § 86 and SEL § 41


def test_provisions_written_in_other_orders_and_forms_are_one_row():
    doc = figures(
        "Odense;Serviceloven;§§ 68, 76;2024;1;0;0;0\n"
        "Odense;Serviceloven;§§ 76 og 68;2024;1;0;0;0\n"
        "Odense;Serviceloven;§ 32a;2024;1;0;0;0\n"
        "Odense;Serviceloven;SEL § 32 a;2024;1;0;0;0\n"
        "Odense;Serviceloven;Særlig  ordning;2024;1;0;0;0\n"
        "Odense;Serviceloven;Særlig ordning;2024;1;0;0;0\n"
    )
    counts = {p.paragraf: p.stadfaestet for p in doc.provisions if p.kommunekode == "461"}
    assert counts == {"§§ 68 og 76": 2, "§ 32 a": 2, "Særlig ordning": 2}


@pytest.mark.parametrize(
    ("written", "label"),
    [
        ("§86", "§ 86"),
        ("BL § 86", "§ 86"),
        ("Servicelovens § 41", "§ 41"),
        ("§ 32a", "§ 32 a"),
        ("SEL § 032 A", "§ 32 a"),
        ("§§ 68, 76", "§§ 68 og 76"),
        ("§§ 42-43", "§§ 42-43"),
        ("§§ 86, 82-84", "§§ 82-84 og 86"),
        ("§§ 32 a, 32", "§§ 32 og 32 a"),
        ("§ 44, jf. § 83", "§ 44"),
        ("§ 85 stk. 2", "§ 85"),
        ("§§ 1-10, 11-20, 21-25", "§§ 1-21 og 22-25"),
        ("  Ingen   paragraf ", "Ingen paragraf"),
    ],
)
def test_provision_label_is_canonical_and_names_the_same_sections(written, label):
    assert provision_label(written) == label
    assert parse_paragraph(label) == tuple(sorted(parse_paragraph(written), key=_order))
    assert provision_label(label) == label


def _order(section: str) -> tuple[int, str]:
    letter = section.lstrip("0123456789")
    return int(section[: len(section) - len(letter)]), letter

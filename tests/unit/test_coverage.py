"""Partial deliveries (compute/coverage.py, udtraek.json): a year in which few municipalities
have a realitetsbehandlet case is rejected under the bundled min_kommuner (90); a lower one
lets a deliberate partial extract through, and its national figure never says 'Hele landet'."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from danmarkskort.compute.evaluate import evaluate
from danmarkskort.domain.figures import FiguresError, load_figures_json
from danmarkskort.domain.municipalities import NATIONAL_NAME, registry

from tests.config_support import with_files

HEADER = (
    "Instans;Lov;Paragraf;Aar;Stadfæstelse;Ændring/Ophævelse;Hjemvisning;Afvisning/Henvisning\n"
)
RECEIVED = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
CODES = [m.code for m in registry().municipalities]


def rows(codes: list[str], aar: int = 2024, law: str = "Serviceloven", para: str = "§ 41") -> str:
    """One row per municipality: 3 stadfæstet, 1 ændret, 1 hjemvist, 1 afvist."""
    return "".join(f"{code};{law};{para};{aar};3;1;1;1\n" for code in codes)


def judge(body: str, min_kommuner: int | None = None):
    config = None if min_kommuner is None else with_files(udtraek={"min_kommuner": min_kommuner})
    return evaluate((HEADER + body).encode(), "u.csv", received=RECEIVED, config=config)


def errors(ev, code: str) -> list[str]:
    return [p.message for p in ev.report.problems if p.code == code and p.severity == "fejl"]


def national(ev, aar: int = 2024) -> list:
    return [f for f in ev.figures.figures if f.is_national and f.aar == aar]


def test_one_municipality_is_rejected_under_the_bundled_config_naming_year_count_and_which():
    ev = judge(rows(["155"]))
    assert not ev.accepted and ev.figures is None
    [message] = errors(ev, "partial_extract")
    assert message.startswith("I 2024 har kun 1 af de 98 kommuner realitetsbehandlede sager;")
    assert "mindst 90 kommuner (udtraek.json, min_kommuner)" in message
    assert "Udtrækket har sager fra Dragør." in message
    assert ev.report.facts["coverage"] == "2024: 1 af 98"


def test_just_below_the_minimum_names_the_municipalities_without_a_case():
    missing = CODES[-9:]
    ev = judge(rows(CODES[:-9]))
    [message] = errors(ev, "partial_extract")
    assert "har kun 89 af de 98 kommuner" in message
    names = [registry().by_code(c).name for c in missing]
    assert "Uden sager: " + ", ".join(names[:-1]) + " og " + names[-1] + "." in message


def test_a_complete_delivery_with_a_few_municipalities_without_cases_is_the_whole_country():
    """90 of 98 with a case: accepted under the bundled config, and 'Hele landet'."""
    ev = judge(rows(CODES[:90]))
    assert ev.accepted, ev.report_text()
    assert {f.kommune for f in national(ev)} == {NATIONAL_NAME}
    assert not [p for p in ev.report.problems if p.code == "partial_year"]
    assert ev.figures.coverage == {2024: 90}


def test_rows_that_count_in_no_area_do_not_cover_a_municipality():
    """A municipality whose only rows are of a law outside the maps has no case in any area."""
    body = rows(CODES[:89]) + rows(CODES[89:90], law="Sundhedsloven")
    [message] = errors(judge(body), "partial_extract")
    assert "har kun 89 af de 98" in message


def test_a_lower_minimum_lets_a_partial_extract_through_named_for_what_it_covers():
    codes = CODES[:12]
    ev = judge(rows(codes), min_kommuner=10)
    assert ev.accepted, ev.report_text()
    labels = {f.omraade: f.kommune for f in national(ev)}
    assert set(labels) == {"socialomraadet", "boernehandicap", "voksenhandicap"}
    assert set(labels.values()) == {"De 12 kommuner i udtrækket"}
    social = next(f for f in national(ev) if f.omraade == "socialomraadet")
    assert social.realitetsbehandlede == 12 * 5  # the sum of the 12, no one else
    [warning] = [p.message for p in ev.report.problems if p.code == "partial_year"]
    assert warning.startswith("I 2024 har kun 12 af de 98 kommuner realitetsbehandlede sager.")
    assert "«De 12 kommuner i udtrækket», ikke «Hele landet»" in warning
    # The municipalities keep their names; those outside the extract stay in the grid at zero.
    by_code = {f.kommunekode: f for f in ev.figures.figures if f.omraade == "socialomraadet"}
    assert by_code["101"].kommune == "København" and by_code[CODES[50]].realitetsbehandlede == 0
    assert ev.figures.coverage == {2024: 12}


def test_an_accepted_year_below_ninety_is_never_the_whole_country():
    ev = judge(rows(CODES[:89]), min_kommuner=50)
    assert ev.accepted
    assert {f.kommune for f in national(ev)} == {"De 89 kommuner i udtrækket"}


def test_one_municipality_is_named_in_the_singular():
    ev = judge(rows(["155"]), min_kommuner=1)
    assert {f.kommune for f in national(ev)} == {"Den ene kommune i udtrækket"}


def test_the_label_counts_municipalities_with_only_afviste_cases_too():
    """Coverage counts realitetsbehandlede cases; the national figure sums every municipality
    in the extract, and one with only afviste cases is in it."""
    body = rows(CODES[:12]) + f"{CODES[12]};Serviceloven;§ 41;2024;0;0;0;4\n"
    ev = judge(body, min_kommuner=10)
    assert ev.figures.coverage == {2024: 12}
    social = next(f for f in national(ev) if f.omraade == "socialomraadet")
    assert social.kommune == "De 13 kommuner i udtrækket"
    assert social.afvist == 12 + 4


def test_each_year_is_judged_on_its_own():
    ev = judge(rows(CODES, aar=2023) + rows(CODES[:30], aar=2024))
    [message] = errors(ev, "partial_extract")
    assert message.startswith("I 2024 har kun 30 af de 98")
    assert ev.report.facts["coverage"] == "2023: 98 af 98; 2024: 30 af 98"


def test_no_national_change_between_a_partial_year_and_the_whole_country():
    """'De 30 kommuner i udtrækket' 2024 against 'Hele landet' 2023 is no change of a rate;
    a municipality's own change from last year stands."""
    body = rows(CODES, aar=2023) + rows(CODES[:30], aar=2024, para="§ 42")
    ev = judge(body.replace(";2024;3;1;1;1", ";2024;1;1;1;1"), min_kommuner=20)
    assert ev.accepted, ev.report_text()
    [nat] = [f for f in national(ev) if f.omraade == "socialomraadet"]
    assert nat.kommune == "De 30 kommuner i udtrækket" and nat.aendring_pp is None
    own = next(
        f
        for f in ev.figures.figures
        if (f.aar, f.omraade, f.kommunekode) == (2024, "socialomraadet", CODES[0])
    )
    assert own.aendring_pp == pytest.approx(100 * 2 / 3 - 100 * 2 / 5)
    complete = judge(rows(CODES, aar=2023) + rows(CODES, aar=2024).replace(";3;1;1;1", ";1;1;1;1"))
    [whole] = [f for f in national(complete) if f.omraade == "socialomraadet"]
    assert whole.kommune == NATIONAL_NAME and whole.aendring_pp == pytest.approx(
        100 * 2 / 3 - 100 * 2 / 5
    )


def test_figures_json_states_its_coverage_and_older_documents_still_load():
    ev = judge(rows(CODES[:12]), min_kommuner=10)
    text = ev.figures.to_json()
    assert json.loads(text)["coverage"] == {"2024": 12}
    assert load_figures_json(text) == ev.figures
    older = json.loads(text)
    del older["coverage"]  # written before coverage was recorded
    assert load_figures_json(json.dumps(older)) == ev.figures
    wrong = re.sub(r'"2024": 12\b', '"2024": 98', text, count=1)
    with pytest.raises(FiguresError, match="coverage"):
        load_figures_json(wrong)

"""The system of record (domain/record.py): years merged across extracts, corrections kept
with old and new figures, the later-received extract winning a year, change from last
year against the record, and a damaged stored record refused."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from danmarkskort.compute.evaluate import evaluate
from danmarkskort.domain.figures import Figure, FiguresDoc
from danmarkskort.domain.municipalities import NATIONAL_NAME, registry
from danmarkskort.domain.record import (
    Record,
    RecordError,
    changed_municipalities,
    load_record,
    merge,
    plan_mailing,
    published_doc,
    record_to_json,
)

from tests.config_support import with_files
from tests.figures_support import corrected, make_doc

A, B, C = "a1" * 32, "b2" * 32, "c3" * 32


def doc(years, extract_id, received, seed=7) -> FiguresDoc:
    return replace(make_doc(years=years, seed=seed, extract_id=extract_id), received=received)


def fig(d: FiguresDoc | Record, aar: int, omraade: str, code: str) -> Figure:
    return next(f for f in d.figures if (f.aar, f.omraade, f.kommunekode) == (aar, omraade, code))


def test_the_first_extract_publishes_all_its_years():
    m = merge(Record(), doc((2022, 2023), A, "2024-05-01T10:00:00+00:00"), "2024-05-01T10:01:00")
    assert m.changed and m.years("first") == (2022, 2023)
    assert m.record.seq == 1 and m.record.years == (2022, 2023)
    assert {s.extract_id for s in m.record.sources} == {A}
    assert m.record.changelog == ()


def test_a_new_year_joins_the_record_and_earlier_years_stay():
    first = merge(Record(), doc((2022, 2023), A, "2024-05-01T10:00:00+00:00"), "t1").record
    m = merge(first, doc((2024,), B, "2025-05-01T10:00:00+00:00", seed=9), "t2")
    assert m.years("first") == (2024,)
    assert m.record.years == (2022, 2023, 2024)
    assert m.record.source(2023).extract_id == A and m.record.source(2024).extract_id == B
    assert fig(m.record, 2023, "socialomraadet", "155") == fig(first, 2023, "socialomraadet", "155")
    # The change from last year is against the 2023 published a year earlier.
    f24, f23 = (
        fig(m.record, 2024, "socialomraadet", "101"),
        fig(m.record, 2023, "socialomraadet", "101"),
    )
    assert f24.aendring_pp == pytest.approx(f24.omgoerelsesprocent - f23.omgoerelsesprocent)


def test_the_same_figures_again_change_nothing():
    d = doc((2024,), B, "2025-05-01T10:00:00+00:00")
    first = merge(Record(), d, "t1").record
    again = merge(first, replace(d, extract_id=C, received="2025-05-02T10:00:00+00:00"), "t2")
    assert not again.changed and again.years("unchanged") == (2024,)
    assert again.record is first  # nothing new to store


def test_a_correction_is_logged_with_old_and_new_figures():
    d = doc((2023, 2024), B, "2025-05-01T10:00:00+00:00")
    first = merge(Record(), d, "2025-05-01T10:05:00+00:00").record
    fixed = corrected(d, 2024, "155", 3)
    m = merge(first, replace(fixed, extract_id=C, received="2025-08-01T09:00:00+00:00"), "t2")
    assert m.years("corrected") == (2024,) and m.years("unchanged") == (2023,)
    [outcome] = [o for o in m.outcomes if o.kind == "corrected"]
    assert {(c.omraade, c.kommunekode) for c in outcome.corrections} == {("socialomraadet", "155")}
    assert changed_municipalities(m.outcomes) == {"155"}
    [entry] = m.record.changelog
    assert entry.aar == 2024 and entry.extract_id == C and entry.previous_extract_id == B
    [c] = entry.corrections
    assert c.new.hjemvist == c.old.hjemvist + 3
    assert m.record.source(2024).extract_id == C
    assert m.record.source(2024).first_published == "2025-05-01T10:05:00+00:00"
    assert m.record.source(2023).extract_id == B  # unchanged: stays with the first extract


def test_a_national_figure_changes_with_its_municipality_but_mails_name_only_municipalities():
    d = doc((2024,), B, "2025-05-01T10:00:00+00:00")
    first = merge(Record(), d, "t1").record
    fixed = corrected(d, 2024, "000", 5)
    m = merge(first, replace(fixed, extract_id=C, received="2025-08-01T09:00:00+00:00"), "t2")
    assert m.years("corrected") == (2024,)
    assert changed_municipalities(m.outcomes) == set()


def test_an_older_extract_never_replaces_a_later_one_in_either_order():
    early = doc((2024,), B, "2025-05-01T10:00:00+00:00")
    late = replace(
        corrected(early, 2024, "155", 2), extract_id=C, received="2025-05-01T10:00:05+00:00"
    )
    one = merge(merge(Record(), early, "t1").record, late, "t2").record
    other = merge(merge(Record(), late, "t1").record, early, "t2")
    assert other.years("older") == (2024,) and not other.changed
    assert one.figures == other.record.figures
    assert one.source(2024).extract_id == other.record.source(2024).extract_id == C


def test_an_older_year_joins_without_touching_the_newest():
    newest = merge(Record(), doc((2024,), B, "2025-05-01T10:00:00+00:00"), "t1").record
    m = merge(newest, doc((2021,), C, "2025-06-01T10:00:00+00:00", seed=3), "t2")
    assert m.years("first") == (2021,)
    assert max(m.record.years) == 2024
    assert fig(m.record, 2024, "boernehandicap", "851") == fig(
        newest, 2024, "boernehandicap", "851"
    )


def test_published_doc_is_the_whole_record_under_the_current_extract():
    first = merge(Record(), doc((2022, 2023), A, "2024-05-01T10:00:00+00:00"), "t1").record
    current = doc((2024,), B, "2025-05-01T10:00:00+00:00", seed=9)
    record = merge(first, current, "t2").record
    published = published_doc(record, current)
    assert published.extract_id == B and published.years == (2022, 2023, 2024)
    assert len(published.figures) == len(record.figures) == 3 * 3 * 99


def test_the_stored_form_round_trips_and_damage_is_refused():
    d = doc((2023, 2024), B, "2025-05-01T10:00:00+00:00")
    first = merge(Record(), d, "t1").record
    m = merge(first, replace(corrected(d, 2024, "155", 1), extract_id=C, received="z"), "t2")
    text = record_to_json(m.record)
    assert load_record(text, "record/states/2.json") == m.record
    for damaged in (
        "",
        "{}",
        '{"format": 1}',
        text[: len(text) // 2],
        text.replace('"seq": 2', '"seq": "x"'),
    ):
        with pytest.raises(RecordError, match=r"record/states/2\.json"):
            load_record(damaged, "record/states/2.json")


# --- a deliberate partial extract (udtraek.json min_kommuner lowered) -----------------------

CODES = [m.code for m in registry().municipalities]
TWELVE = CODES[:12]
AGG = "Instans;Lov;Paragraf;Aar;Stadfæstelse;Ændring/Ophævelse;Hjemvisning;Afvisning/Henvisning\n"


def partial(codes, aar, extract_id, received, extra_hjemvist=0) -> FiguresDoc:
    """What compute publishes for an extract of only these municipalities, let through by
    an udtraek.json with min_kommuner 5."""
    body = AGG + "".join(
        f"{c};Serviceloven;§ 41;{aar};3;1;{1 + (extra_hjemvist if c == codes[0] else 0)};1\n"
        for c in codes
    )
    ev = evaluate(
        body.encode(),
        "delvis.csv",
        received=dt.datetime.fromisoformat(received),
        config=with_files(udtraek={"min_kommuner": 5}),
    )
    assert ev.accepted and ev.figures is not None, ev.report_text()
    return replace(ev.figures, extract_id=extract_id)


def test_a_partial_year_keeps_its_label_through_the_record_and_its_stored_form():
    first = merge(Record(), doc((2023,), A, "2024-05-01T10:00:00+00:00"), "t1").record
    m = merge(first, partial(TWELVE, 2024, B, "2025-05-01T10:00:00+00:00"), "t2")
    assert m.years("first") == (2024,)
    nat24 = fig(m.record, 2024, "socialomraadet", "000")
    assert nat24.kommune == "De 12 kommuner i udtrækket"
    assert nat24.aendring_pp is None  # twelve municipalities are not the country of 2023
    assert fig(m.record, 2023, "socialomraadet", "000").kommune == NATIONAL_NAME
    own = fig(m.record, 2024, "socialomraadet", TWELVE[0])
    last_year = fig(m.record, 2023, "socialomraadet", TWELVE[0])
    assert own.aendring_pp == pytest.approx(own.omgoerelsesprocent - last_year.omgoerelsesprocent)
    stored = load_record(record_to_json(m.record), "record/states/2.json")
    assert stored == m.record
    assert fig(stored, 2024, "boernehandicap", "000").kommune == "De 12 kommuner i udtrækket"
    coverage = published_doc(stored, partial(TWELVE, 2024, B, "2025-05-01T10:00:00+00:00"))
    assert coverage.coverage[2024] == 12 and coverage.coverage[2023] >= 90


def test_a_partial_year_is_mailed_only_to_the_municipalities_in_the_extract():
    first = merge(Record(), doc((2023,), A, "2024-05-01T10:00:00+00:00"), "t1").record
    m = merge(first, partial(TWELVE, 2024, B, "2025-05-01T10:00:00+00:00"), "t2")
    plan = plan_mailing(m)
    assert plan["kind"] == "publication" and plan["aar"] == 2024
    assert plan["kommuner"] == sorted(TWELVE)


def test_a_whole_country_year_is_mailed_to_everyone():
    m = merge(Record(), doc((2024,), A, "2025-05-01T10:00:00+00:00"), "t1")
    plan = plan_mailing(m)
    assert plan["kind"] == "publication" and "kommuner" not in plan


def test_a_correction_of_a_partial_year_never_mails_a_municipality_outside_it_a_zero():
    """The later partial extract lacks one of the twelve: its figures read as zero, but
    that is not known, so it is not told its figures went to 'no cases'."""
    first = merge(Record(), partial(TWELVE, 2024, B, "2025-05-01T10:00:00+00:00"), "t1").record
    later = partial(TWELVE[:11], 2024, C, "2025-08-01T10:00:00+00:00", extra_hjemvist=2)
    m = merge(first, later, "t2")
    [outcome] = m.outcomes
    assert outcome.kind == "corrected"
    assert {c.kommunekode for c in outcome.corrections if not c.old.is_national} == {
        TWELVE[0],
        TWELVE[11],
    }
    plan = plan_mailing(m)
    assert plan["kind"] == "correction" and set(plan["corrections"]) == {TWELVE[0]}
    assert fig(m.record, 2024, "socialomraadet", "000").kommune == "De 11 kommuner i udtrækket"

"""'received' and the plausibility of dates use Danish time (Europe/Copenhagen): S3's event
time is UTC, and an upload at 00:30 on 1 January (23:30 UTC the day before) may carry
decisions of that day. Figures keep the moment in UTC; the report says it in Danish time."""

from __future__ import annotations

import datetime as dt

import pytest
from danmarkskort.compute.evaluate import danish_time, evaluate, received_text

from tests.config_support import SMALL_EXTRACTS

CASES = "Sagsnummer;Afgørelseskommune;Lov;Paragraf;Afgørelse;Afgørelsesdato\n"
AGG = "Instans;Lov;Paragraf;Aar;Stadfæstelse;Ændring/Ophævelse;Hjemvisning;Afvisning/Henvisning\n"


def decided_on(day: str, received: dt.datetime):
    body = CASES + f"1;Dragør;Serviceloven;§ 41;Stadfæstelse;{day}\n"
    return evaluate(body.encode(), "t.csv", received=received, config=SMALL_EXTRACTS)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def bad_dates(ev) -> list[str]:
    return [p.message for p in ev.report.problems if p.code == "bad_date"]


def test_upload_at_half_past_midnight_on_new_years_day_accepts_that_days_decisions():
    ev = decided_on("2026-01-01", utc("2025-12-31T23:30:00Z"))
    assert ev.accepted, ev.report_text()
    assert ev.figures.years == (2026,)
    assert ev.received == "2025-12-31T23:30:00+00:00"  # figures.json keeps UTC
    assert ev.figures.received == ev.received
    assert ev.report.facts["received"] == "1. januar 2026 kl. 00.30 (dansk tid)"


def test_the_next_day_is_still_after_receipt_and_the_message_gives_the_danish_date():
    ev = decided_on("2026-01-02", utc("2025-12-31T23:30:00Z"))
    assert not ev.accepted
    [message] = bad_dates(ev)
    assert "efter udtrækket blev modtaget (2026-01-01)" in message


def test_an_aggregated_year_of_the_danish_new_year_is_plausible():
    body = AGG + "Dragør;Serviceloven;§ 41;2026;1;0;0;0\n"
    ev = evaluate(
        body.encode(), "a.csv", received=utc("2025-12-31T23:30:00Z"), config=SMALL_EXTRACTS
    )
    assert ev.accepted, ev.report_text()
    assert ev.figures.years == (2026,)


@pytest.mark.parametrize(
    ("moment", "day", "accepted", "shown"),
    [
        # Winter time, CET = UTC+1.
        ("2025-01-31T23:30:00Z", "2025-02-01", True, "1. februar 2025 kl. 00.30"),
        ("2025-01-31T22:30:00Z", "2025-02-01", False, "31. januar 2025 kl. 23.30"),
        # Summer time, CEST = UTC+2.
        ("2025-06-30T22:30:00Z", "2025-07-01", True, "1. juli 2025 kl. 00.30"),
        ("2025-06-30T21:30:00Z", "2025-07-01", False, "30. juni 2025 kl. 23.30"),
        ("2025-06-30T22:30:00+00:00", "2025-07-01", True, "1. juli 2025 kl. 00.30"),
        # Another offset in, the same moment out.
        ("2025-07-01T00:30:00+02:00", "2025-07-01", True, "1. juli 2025 kl. 00.30"),
    ],
)
def test_summer_and_winter_time(moment: str, day: str, accepted: bool, shown: str):
    ev = decided_on(day, utc(moment))
    assert ev.accepted is accepted, ev.report_text()
    assert ev.report.facts["received"] == f"{shown} (dansk tid)"
    assert ev.received.endswith("+00:00")


def test_the_change_to_summer_time_and_back():
    # 30 March 2025: 02:00 CET becomes 03:00 CEST (01:00 UTC).
    assert danish_time(utc("2025-03-30T00:59:00Z")).strftime("%H:%M %Z") == "01:59 CET"
    assert danish_time(utc("2025-03-30T01:00:00Z")).strftime("%H:%M %Z") == "03:00 CEST"
    # 26 October 2025: 03:00 CEST becomes 02:00 CET (01:00 UTC).
    assert danish_time(utc("2025-10-26T00:59:00Z")).strftime("%H:%M %Z") == "02:59 CEST"
    assert danish_time(utc("2025-10-26T01:00:00Z")).strftime("%H:%M %Z") == "02:00 CET"


def test_a_naive_moment_is_taken_as_utc():
    naive = dt.datetime(2025, 12, 31, 23, 30)
    assert received_text(naive) == "1. januar 2026 kl. 00.30 (dansk tid)"
    ev = decided_on("2026-01-01", naive)
    assert ev.accepted and ev.received == "2025-12-31T23:30:00+00:00"


def test_a_rejection_unread_also_says_when_it_was_received():
    ev = evaluate(b"x" * 50, "stor.csv", received=utc("2025-12-31T23:30:00Z"), max_bytes=10)
    assert [p.code for p in ev.report.problems] == ["too_large"]
    assert ev.report.facts["received"] == "1. januar 2026 kl. 00.30 (dansk tid)"


def test_pages_and_mails_show_the_danish_date_of_a_utc_moment():
    from danmarkskort.text import long_date

    assert long_date("2025-12-31T23:30:00+00:00") == "1. januar 2026"
    assert long_date("2025-06-30T22:30:00Z") == "1. juli 2025"
    assert long_date(dt.date(2025, 12, 31)) == "31. december 2025"  # a date has no zone

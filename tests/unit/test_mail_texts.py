"""mail.json: the mail's words and legal text, as data."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from danmarkskort.config.sources import ConfigError, layered
from danmarkskort.mail.texts import NBSP, load_mail_texts, parse_mail_texts

BUNDLED = Path(__file__).resolve().parents[2] / "layer/danmarkskort/config/defaults/mail.json"


def texts(**changes) -> bytes:
    doc = json.loads(BUNDLED.read_text(encoding="utf-8"))
    doc.update(changes)
    return json.dumps(doc).encode()


def test_bundled_texts_fill_the_deadline_from_the_newest_year():
    t = load_mail_texts(layered())
    assert t.deadline(2024) == date(2025, 12, 31)
    duty = t.fill("pligt_79b", 2024, "Dragør Kommune")
    assert f"31.{NBSP}december 2025" in duty  # a date is not split over two lines
    assert f"§{NBSP}79{NBSP}b" not in duty  # '79 b' may break; '§ 79' may not
    assert f"§{NBSP}79 b" in duty
    assert t.fill("emne", 2024, "Dragør Kommune") == (
        "Danmarkskort over omgørelsesprocenter 2024 – Dragør Kommune"
    )


def test_deadline_can_be_configured():
    t = parse_mail_texts(texts(frist="2026-03-31"))
    assert t.deadline(2024) == date(2026, 3, 31)
    assert f"31.{NBSP}marts 2026" in t.fill("pligt_79b", 2024, "Dragør Kommune")


def test_action_plan_text_stops_after_the_configured_publication_year():
    t = parse_mail_texts(texts(handlingsplan_sidste_offentliggoerelsesaar=2025))
    assert "handlingsplan" in t.action_plan(2024, "Dragør Kommune")  # published 2025
    assert t.action_plan(2025, "Dragør Kommune") == ""  # published 2026: lapsed
    always = parse_mail_texts(texts(handlingsplan_sidste_offentliggoerelsesaar=None))
    assert always.action_plan(2030, "Dragør Kommune")
    none = parse_mail_texts(texts(handlingsplan=""))
    assert none.action_plan(2024, "Dragør Kommune") == ""


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"emne": "Tal for {aar} til {modtager}"},
            r"^mail\.json: emne: uses unknown placeholder \{modtager\}",
        ),
        ({"emne": "Tal {aar"}, "emne: has a broken placeholder"),
        ({"emne": "Tal\r\nBcc: x@y.dk"}, "emne: contains a line break"),
        (
            {"afsender_navn": "Ministeriet\nBcc: x@y.dk"},
            "afsender_navn: contains a line break",
        ),
        ({"pligt_79b": ""}, "pligt_79b: must be a non-empty text"),
        ({"frist": "31-12-2025"}, "frist: is not a valid date YYYY-MM-DD"),
        (
            {"handlingsplan_sidste_offentliggoerelsesaar": "2025"},
            "handlingsplan_sidste_offentliggoerelsesaar: must be a year",
        ),
        ({"ekstra": "x"}, "unknown field"),
    ],
)
def test_bad_texts_are_refused_with_file_and_field(changes, message):
    with pytest.raises(ConfigError, match=message) as info:
        parse_mail_texts(texts(**changes))
    assert str(info.value).startswith("mail.json")


def test_legal_text_says_which_setting_left_the_action_plan_out():
    t = parse_mail_texts(texts(handlingsplan_sidste_offentliggoerelsesaar=2025))
    assert t.legal_text(2024).included and t.legal_text(2024).warning() == ""
    lapsed = t.legal_text(2026)  # published 2027
    assert not lapsed.included
    assert lapsed.warning() == (
        "Mails leave out the § 79 b, stk. 2 text (mail.json "
        "handlingsplan_sidste_offentliggoerelsesaar = 2025; publication year 2027): "
        "the ministry must confirm the law."
    )
    assert lapsed.as_dict()["warning"] == lapsed.warning()
    removed = parse_mail_texts(texts(handlingsplan=""))
    assert "mail.json has no 'handlingsplan' text" in removed.legal_text(2024).warning()

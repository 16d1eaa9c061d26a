"""mail.json's 'kontakt' and 'sagsnummer': whom to ask and which case, in both body parts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from danmarkskort.config.models import ContactEntry
from danmarkskort.config.sources import ConfigError
from danmarkskort.mail.texts import contact_sentence, parse_mail_texts

from tests.unit.test_mail_compose import Source, context, mail_for

BUNDLED = Path(__file__).resolve().parents[2] / "layer/danmarkskort/config/defaults/mail.json"
FULL = {
    "navn": "Kontoret for Socialjura",
    "enhed": "Social- og Boligministeriet",
    "email": "socialjura@example.invalid",
    "telefon": "+45 33 92 93 00",
    "adresse": "Holmens Kanal 22, 1060 København K",
}


def mail_json(**changes) -> bytes:
    doc = json.loads(BUNDLED.read_text(encoding="utf-8"))
    doc.update(changes)
    return json.dumps(doc).encode()


def bodies(**changes) -> tuple[str, str, object]:
    _, msg = mail_for(context(Source(mail_json=mail_json(**changes))), "155")
    text = " ".join(msg.get_body(("plain",)).get_content().split())
    html = " ".join(msg.get_body(("html",)).get_content().split())
    return text, html, msg


def test_the_wording_is_stilles_not_besvares():
    raw = BUNDLED.read_text(encoding="utf-8")
    assert "besvares" not in raw
    text, html, _ = bodies(kontakt=None)
    assert "Spørgsmål til tallene kan stilles ved at svare på mailen." in text
    assert "Spørgsmål til tallene kan stilles ved at svare på mailen." in html


def test_bundled_contact_is_the_ministry_placeholder_without_invented_numbers():
    doc = json.loads(BUNDLED.read_text(encoding="utf-8"))
    assert doc["kontakt"] == {
        "enhed": "Social- og Boligministeriet",
        "adresse": "Holmens Kanal 22, 1060 København K",
    }
    assert "replaces it" in doc["_comment"]
    text, html, _ = bodies()
    sentence = (
        "Spørgsmål til tallene kan stilles til Social- og Boligministeriet, "
        "Holmens Kanal 22, 1060 København K."
    )
    assert sentence in text and sentence in html
    assert "ved at svare på mailen" not in text
    assert "Sagsnummer" not in text  # none configured


def test_a_full_contact_and_case_number_in_both_parts():
    text, html, msg = bodies(kontakt=FULL, sagsnummer="2026-1234")
    sentence = (
        "Spørgsmål til tallene kan stilles til Kontoret for Socialjura, Social- og "
        "Boligministeriet, Holmens Kanal 22, 1060 København K, tlf. +45 33 92 93 00, "
        "e-mail socialjura@example.invalid."
    )
    assert sentence in text and sentence in html
    assert "Sagsnummer: 2026-1234" in text and "Sagsnummer: 2026-1234" in html
    # the headers are untouched by these texts
    assert "socialjura" not in str(msg["From"]) + str(msg["Reply-To"]) + str(msg["To"])
    assert "2026-1234" not in str(msg["Subject"])


@pytest.mark.parametrize(
    ("kontakt", "sentence"),
    [
        (
            {"navn": "Jens Hansen", "email": "jh@example.invalid"},
            "Spørgsmål til tallene kan stilles til Jens Hansen, e-mail jh@example.invalid.",
        ),
        (
            {"enhed": "Ankestyrelsen", "telefon": "33 41 12 00"},
            "Spørgsmål til tallene kan stilles til Ankestyrelsen, tlf. 33 41 12 00.",
        ),
    ],
)
def test_only_the_fields_given(kontakt, sentence):
    # A phone number is bound together with no-break spaces, so wrapping never splits it.
    said = contact_sentence(ContactEntry.model_validate(kontakt))
    assert said.replace("\xa0", " ") == sentence
    if "telefon" in kontakt:
        assert "tlf.\xa033\xa041\xa012\xa000" in said
    text, html, _ = bodies(kontakt=kontakt)
    assert sentence in text and sentence in html


def test_markup_in_the_contact_is_escaped_in_html():
    text, html, _ = bodies(kontakt={"navn": "Kontoret <b>for</b> & co", "adresse": "Vej 1"})
    assert "Kontoret <b>for</b> & co" in text
    assert "Kontoret &lt;b&gt;for&lt;/b&gt; &amp; co" in html


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kontakt": {"navn": "X\r\nBcc: a@b.dk", "adresse": "Vej 1"}}, r"kontakt\.navn"),
        ({"kontakt": {"enhed": "X", "email": "a@b.dk\nBcc: c@d.dk"}}, r"kontakt\.email"),
        ({"kontakt": {"enhed": "X"}}, "needs at least one of"),
        ({"kontakt": {"email": "a@example.invalid"}}, "needs 'navn' or 'enhed'"),
        ({"kontakt": {"enhed": "X", "telefon": "ring til os"}}, "not a phone number"),
        ({"sagsnummer": "2026-1\r\nBcc: x@y.dk"}, "sagsnummer: contains a line break"),
        ({"sagsnummer": "x" * 101}, "sagsnummer"),
    ],
)
def test_bad_contact_or_case_number_is_refused_naming_the_field(changes, message):
    with pytest.raises(ConfigError, match=message) as info:
        parse_mail_texts(mail_json(**changes))
    assert str(info.value).startswith("mail.json")


def test_no_question_text_and_no_case_number_leave_no_empty_lines():
    _, msg = mail_for(context(Source(mail_json=mail_json(kontakt=None, spoergsmaal=""))), "155")
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Spørgsmål" not in text and "<p></p>" not in html
    assert "\n\n\n" not in text
    _, only_case = mail_for(
        context(Source(mail_json=mail_json(kontakt=None, spoergsmaal="", sagsnummer="7"))), "155"
    )
    assert "<p>Sagsnummer: 7</p>" in only_case.get_body(("html",)).get_content()

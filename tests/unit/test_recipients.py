"""recipients.json: addresses as data, checked before anything is sent."""

from __future__ import annotations

import json

import pytest
from danmarkskort.config.sources import ConfigError, layered
from danmarkskort.domain.municipalities import registry
from danmarkskort.mail.recipients import (
    check_address,
    check_header_text,
    load_recipients,
    parse_recipients,
)


def doc(recipients: dict) -> bytes:
    return json.dumps({"recipients": recipients}).encode()


def test_bundled_default_covers_all_98_under_example_invalid():
    book = load_recipients(layered())
    assert len(book) == 98
    for m in registry().municipalities:
        [r] = book.for_municipality(m.code)
        assert r.address == f"omgoerelsesprocent@{m.slug}.example.invalid"
        assert r.name == m.full_name
    assert book.for_municipality("155")[0].address == "omgoerelsesprocent@dragoer.example.invalid"


def test_shorthands_several_addresses_and_optional_names():
    book = parse_recipients(
        doc(
            {
                "155": "post@dragoer.dk",
                "185": ["a@taarnby.dk", {"address": "b@taarnby.dk", "name": "Sekretariatet"}],
                "101": {"address": "x@kk.dk"},
            }
        )
    )
    assert [r.address for r in book.for_municipality("155")] == ["post@dragoer.dk"]
    assert [(r.address, r.name) for r in book.for_municipality("185")] == [
        ("a@taarnby.dk", ""),
        ("b@taarnby.dk", "Sekretariatet"),
    ]
    assert book.for_municipality("147") == ()  # no entry: no recipient, not an error


def test_duplicate_addresses_are_sent_once():
    book = parse_recipients(doc({"155": ["post@dragoer.dk", "POST@dragoer.dk"]}))
    assert len(book.for_municipality("155")) == 1


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"155": "not-an-address"},
            r"recipients\['155'\]\[0\]\.address: is not a valid email address \(value: 'not-an-address'\)",
        ),
        ({"155": "a@b"}, "is not a valid email address"),
        ({"155": "a b@dragoer.dk"}, "is not a valid email address"),
        ({"155": "ø@dragoer.dk"}, "is not a valid email address"),
        (
            {"155": [{"address": "a@dragoer.dk\r\nBcc: x@evil.invalid"}]},
            r"recipients\['155'\]\[0\]\.address: .*header injection",
        ),
        (
            {"155": [{"address": "a@dragoer.dk", "name": "Dragør\nBcc: x@evil.invalid"}]},
            r"recipients\['155'\]\[0\]\.name: .*header injection",
        ),
        ({"999": "a@b.dk"}, r"recipients\['999'\]: is not the kommunekode .*\(value: '999'\)"),
        ({"Dragør": "a@b.dk"}, "is not the kommunekode"),
        ({"155": [{"adresse": "a@b.dk"}]}, "unknown field"),
        ({"155": [42]}, "must be an address"),
    ],
)
def test_bad_entries_name_file_entry_and_field(entry, message):
    with pytest.raises(ConfigError, match=message) as info:
        parse_recipients(doc(entry))
    assert str(info.value).startswith("recipients.json")


def test_bad_top_level_and_json():
    with pytest.raises(ConfigError, match=r"recipients\.json: not valid JSON"):
        parse_recipients(b"{")
    with pytest.raises(ConfigError, match=r"^recipients\.json: recipients: is missing"):
        parse_recipients(b'{"155": "a@b.dk"}')


def test_same_code_twice_is_refused():
    with pytest.raises(ConfigError, match="more than once"):
        parse_recipients(b'{"recipients": {"155": "a@b.dk", "0155": "c@d.dk"}}')


def test_header_checks_for_environment_values():
    assert check_address(" svar@example.invalid ", "REPLY_TO_ADDRESS") == "svar@example.invalid"
    with pytest.raises(ConfigError, match=r"REPLY_TO_ADDRESS.*header injection"):
        check_address("svar@example.invalid\r\nBcc: x@y.dk", "REPLY_TO_ADDRESS")
    with pytest.raises(ConfigError, match="line break"):
        check_header_text("Emne\u2028Bcc: x", "subject")

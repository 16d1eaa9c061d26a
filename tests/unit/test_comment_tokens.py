"""The personal link's token (hoering/tokens.py): what it signs, and everything it refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from danmarkskort.hoering.tokens import (
    LINK_PATH,
    Claims,
    TokenError,
    TokenExpired,
    link,
    sign,
    verify,
)

KEY = b"k" * 48
OTHER = b"o" * 48
ROUND = "0123456789abcdef"
EXPIRES = datetime(2026, 12, 15, 11, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)


def good() -> str:
    return sign(KEY, ROUND, "155", EXPIRES)


def test_roundtrip_gives_the_claims() -> None:
    claims = verify(KEY, good(), NOW)
    assert claims == Claims(ROUND, "155", EXPIRES)
    assert claims.expires.tzinfo is not None


def test_the_token_reads_round_code_and_expiry() -> None:
    round_id, code, expires, signature = good().split(".")
    assert (round_id, code, int(expires)) == (ROUND, "155", int(EXPIRES.timestamp()))
    assert len(signature) == 43


def test_token_id_is_stable_short_and_not_the_token() -> None:
    a = verify(KEY, good(), NOW).token_id
    assert a == verify(KEY, sign(KEY, ROUND, "155", EXPIRES + timedelta(days=1)), NOW).token_id
    assert a != verify(KEY, sign(KEY, ROUND, "101", EXPIRES), NOW).token_id
    assert len(a) == 12 and a not in good()


def test_signing_is_deterministic() -> None:
    assert good() == good()


@pytest.mark.parametrize("part", [0, 1, 2, 3])
def test_every_changed_part_is_refused(part: int) -> None:
    pieces = good().split(".")
    replacements = {
        0: "0123456789abcdee",
        1: "101",
        2: str(int(pieces[2]) + 86400),
        3: ("A" if pieces[3][0] != "A" else "B") + pieces[3][1:],
    }
    pieces[part] = replacements[part]
    with pytest.raises(TokenError) as info:
        verify(KEY, ".".join(pieces), NOW)
    assert not isinstance(info.value, TokenExpired)
    assert str(info.value) == "not a token"  # one message for every kind of forgery


def test_every_single_character_flip_is_refused() -> None:
    token = good()
    for i, ch in enumerate(token):
        if ch == ".":
            continue
        flipped = token[:i] + ("1" if ch != "1" else "2") + token[i + 1 :]
        with pytest.raises(TokenError):
            verify(KEY, flipped, NOW)


def test_another_keys_token_is_refused_as_a_forgery() -> None:
    with pytest.raises(TokenError) as info:
        verify(KEY, sign(OTHER, ROUND, "155", EXPIRES), NOW)
    assert not isinstance(info.value, TokenExpired)


def test_expired_at_the_deadline_names_whose_it_was() -> None:
    with pytest.raises(TokenExpired) as info:
        verify(KEY, good(), EXPIRES)
    assert info.value.claims == Claims(ROUND, "155", EXPIRES)
    assert verify(KEY, good(), EXPIRES - timedelta(seconds=1)).kommunekode == "155"


def test_an_expired_forgery_is_a_forgery_not_expired() -> None:
    pieces = good().split(".")
    pieces[2] = str(int(NOW.timestamp()) - 10)
    with pytest.raises(TokenError) as info:
        verify(KEY, ".".join(pieces), NOW)
    assert not isinstance(info.value, TokenExpired)


@pytest.mark.parametrize(
    "token",
    [
        "",
        ".",
        "...",
        "not-a-token",
        "0123456789abcdef.155.1797332400",
        "0123456789ABCDEF.155.1797332400." + "A" * 43,
        "0123456789abcdef.15.1797332400." + "A" * 43,
        "0123456789abcdef.1555.1797332400." + "A" * 43,
        "0123456789abcdef.155.-1797332400." + "A" * 43,
        "0123456789abcdef.155.1797332400." + "A" * 42,
        "0123456789abcdef.155.1797332400." + "A" * 44,
        "0123456789abcdef.155.1797332400." + "A" * 42 + "=",
        "0123456789abcdef.155.1797332400." + "A" * 42 + "+",
        "0123456789abcdef.155.1797332400.." + "A" * 43,
        " 0123456789abcdef.155.1797332400." + "A" * 43,
        "0123456789abcdef.155.1797332400." + "A" * 43 + "\n",
        "0123456789abcdef.155.1797332400." + "A" * 43 + "\x00",
        "æøå.155.1797332400." + "Å" * 43,
        "\ud800",
        "x" * 100,
        "x" * 1_000_000,
        "0123456789abcdef.155." + "9" * 500 + "." + "A" * 43,
    ],
)
def test_malformed_tokens_are_refused_alike(token: str) -> None:
    with pytest.raises(TokenError) as info:
        verify(KEY, token, NOW)
    assert not isinstance(info.value, TokenExpired)
    assert str(info.value) == "not a token"


# Python's \d matches every Unicode digit, which int() reads as digits: tokens._TOKEN takes
# ASCII digits only, so these are forgeries like any other (not a UnicodeEncodeError).
@pytest.mark.parametrize(
    "token",
    [
        "0123456789abcdef.１５５.1797332400." + "A" * 43,  # fullwidth digits
        "0123456789abcdef.155.٣٣٣." + "A" * 43,  # Arabic-Indic digits
    ],
)
def test_non_ascii_digits_are_refused_as_forgeries(token: str) -> None:
    with pytest.raises(TokenError):
        verify(KEY, token, NOW)


@pytest.mark.parametrize("value", [None, 155, b"0123456789abcdef.155.1.x"])
def test_non_strings_are_refused(value: object) -> None:
    with pytest.raises(TokenError):
        verify(KEY, value, NOW)  # type: ignore[arg-type]


def test_a_short_key_is_refused_both_ways() -> None:
    with pytest.raises(ValueError):
        sign(b"short", ROUND, "155", EXPIRES)
    with pytest.raises(ValueError):
        verify(b"short", good(), NOW)


@pytest.mark.parametrize(
    ("round_id", "code", "expires"),
    [
        ("0123456789abcde", "155", EXPIRES),
        ("0123456789ABCDEF", "155", EXPIRES),
        (ROUND, "15", EXPIRES),
        (ROUND, "abc", EXPIRES),
        (ROUND, "155", datetime(2026, 12, 15, 11, 0)),
    ],
)
def test_sign_refuses_what_it_cannot_name(round_id: str, code: str, expires: datetime) -> None:
    with pytest.raises(ValueError):
        sign(KEY, round_id, code, expires)


def test_link_puts_the_token_under_kommentar() -> None:
    token = good()
    assert link("https://example.invalid/", token) == f"https://example.invalid{LINK_PATH}{token}"
    assert "/kommentar/" in link("https://example.invalid", token)

"""The comment form's input rules (hoering/comments.py)."""

from __future__ import annotations

import pytest
from danmarkskort.hoering.comments import (
    AreaField,
    CommentInputError,
    field_name,
    normalise,
    parse_comment,
)

AREAS = (
    AreaField("boernehandicap", "Børnehandicap"),
    AreaField("voksenhandicap", "Voksenhandicap"),
)
B, V = field_name("boernehandicap"), field_name("voksenhandicap")


def parse(*pairs: tuple[str, str], max_tegn: int = 100) -> dict[str, str]:
    return parse_comment(list(pairs), AREAS, max_tegn)


def refusal(*pairs: tuple[str, str], max_tegn: int = 100) -> CommentInputError:
    with pytest.raises(CommentInputError) as info:
        parse(*pairs, max_tegn=max_tegn)
    return info.value


def test_field_names() -> None:
    assert B == "kommentar-boernehandicap"
    assert AREAS[0].field == B


def test_texts_per_area_in_the_rounds_order() -> None:
    assert parse((V, "Om voksne."), (B, "Om børn.")) == {
        "boernehandicap": "Om børn.",
        "voksenhandicap": "Om voksne.",
    }
    assert list(parse((V, "v"), (B, "b"))) == ["boernehandicap", "voksenhandicap"]


def test_an_empty_area_has_no_comment_and_all_empty_withdraws() -> None:
    assert parse((B, "Om børn."), (V, "")) == {"boernehandicap": "Om børn."}
    assert parse((B, "  \r\n\t "), (V, "")) == {}
    assert parse() == {}


def test_line_breaks_whitespace_and_nfc() -> None:
    got = parse((B, "  Linje 1\r\nLinje 2\rLinje 3\n\n\tindrykket\t  \r\n"))
    assert got["boernehandicap"] == "Linje 1\nLinje 2\nLinje 3\n\n\tindrykket"
    decomposed = "Drago\u0308r og a\u030a"  # ö and å as base + combining mark
    assert parse((B, decomposed))["boernehandicap"] == "Dragör og å"
    assert normalise("e\u0301") == "é"


def test_length_counts_characters_after_normalising() -> None:
    assert parse((B, "x" * 100))["boernehandicap"] == "x" * 100
    assert parse((B, "a\u030a" * 100))["boernehandicap"] == "å" * 100  # 200 code points in
    assert parse((B, "\r\n".join(["x"] * 50)))  # 50 + 49 newlines = 99
    err = refusal((B, "x" * 101))
    assert err.errors[0].field == B
    assert "Børnehandicap" in err.errors[0].message and "101" in err.errors[0].message
    assert "100" in err.errors[0].message
    long = refusal((B, "x" * 1500), max_tegn=1000).errors[0].message
    assert "1.500" in long and "1.000" in long  # Danish thousands
    assert parse((B, "  " + "x" * 100 + "  \n"))  # the ends do not count


@pytest.mark.parametrize(
    "bad",
    ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9f"],
)
def test_control_characters_are_refused_inside_the_text(bad: str) -> None:
    err = refusal((B, f"før{bad}efter"))
    assert err.errors[0].field == B
    assert "Børnehandicap" in err.errors[0].message
    assert f"U+{ord(bad):04X}" in err.errors[0].message


def test_newline_and_tab_are_allowed() -> None:
    assert parse((B, "a\tb\nc"))["boernehandicap"] == "a\tb\nc"


@pytest.mark.parametrize("code", [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
def test_bidi_controls_are_refused(code: int) -> None:
    err = refusal((V, f"abc{chr(code)}def"))
    assert err.errors[0].field == V
    assert "Voksenhandicap" in err.errors[0].message and f"U+{code:04X}" in err.errors[0].message


@pytest.mark.parametrize("surrogate", ["\ud800", "\udfff", "\udc80"])
def test_lone_surrogates_are_refused(surrogate: str) -> None:
    err = refusal((B, f"a{surrogate}b"))
    assert "Børnehandicap" in err.errors[0].message and "surrogat" in err.errors[0].message


def test_the_replacement_character_is_refused() -> None:
    err = refusal((B, "Ankestyrelsen har omgjort 12 sager \ufffd ikke 14."))
    assert "tabt" in err.errors[0].message


def test_ordinary_unicode_is_kept() -> None:
    text = "Æblegrød – «citat» “citat” 50 % € ½ 🙂 👩‍👧 \u200b zero-width og emoji"
    assert parse((B, text))["boernehandicap"] == text


def test_markup_is_kept_as_text() -> None:
    text = '<script>alert(1)</script> <b>fed</b> & "=HYPERLINK()"'
    assert parse((B, text))["boernehandicap"] == text


def test_unknown_fields_and_areas_not_in_the_round_are_refused() -> None:
    err = refusal((B, "ok"), ("navn", "x"))
    assert err.errors[0].field == "" and "navn" in err.errors[0].message
    err = refusal((field_name("socialomraadet"), "x"))
    assert "ikke er med i høringen" in err.errors[0].message
    assert "socialomraadet" in err.errors[0].message


def test_an_unknown_field_name_is_shown_harmlessly() -> None:
    err = refusal(("x\x00" + "y" * 500, "v"))
    message = err.errors[0].message
    assert "\x00" not in message and len(message) < 200


def test_a_field_sent_twice_is_refused() -> None:
    err = refusal((B, "første"), (B, "anden"))
    assert err.errors[0].field == B and "to gange" in err.errors[0].message


def test_every_refusal_is_reported_at_once() -> None:
    err = refusal((B, "x" * 101), (V, "a\x00b"), ("andet", ""))
    assert [e.field for e in err.errors] == [B, V, ""]
    assert str(err)  # readable in a log

"""The typed config: every file goes through one loader with one error format
('file: path: message (value: ...)') and the same rules against hostile input."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from danmarkskort.compute.coverage import min_kommuner
from danmarkskort.config import loader
from danmarkskort.config.models import (
    COOPERATION_PLACEHOLDERS,
    FILES,
    MAIL_PLACEHOLDERS,
    ConfigFile,
    json_schema,
)
from danmarkskort.config.sources import ConfigError, layered
from danmarkskort.domain.areas import load_mapping
from danmarkskort.domain.figures import WHOLE_COUNTRY
from danmarkskort.domain.remarks import load_remark_book
from danmarkskort.mail.recipients import load_recipients
from danmarkskort.mail.texts import load_mail_texts
from danmarkskort.render.publisher import load_publisher
from danmarkskort.render.style import load_style

REPO = Path(__file__).resolve().parents[2]
DEFAULTS = REPO / "layer/danmarkskort/config/defaults"
SCHEMAS = REPO / "docs/config"

LOADERS: dict[str, Callable[[Any], object]] = {
    "areas.json": load_mapping,
    "remarks.json": load_remark_book,
    "cooperation.json": load_remark_book,
    "recipients.json": load_recipients,
    "mail.json": load_mail_texts,
    "kort.json": load_style,
    "udtraek.json": min_kommuner,
    "udgiver.json": load_publisher,
}
NAMES = list(LOADERS)
REMARK = {"kommunekode": "101", "kind": "kommentar", "text": "Vi traf 212 afgørelser."}


class Override:
    """The bundled config with one file replaced by the given bytes."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name, self.data, self.bundled = name, data, layered()

    def read(self, name: str) -> bytes | None:
        return self.data if name == self.name else self.bundled.read(name)


def valid(name: str) -> dict[str, Any]:
    """A valid document of the file: the bundled one (remarks.json with one remark)."""
    doc = json.loads((DEFAULTS / name).read_text(encoding="utf-8"))
    if name == "remarks.json":
        doc["remarks"] = [dict(REMARK)]
    return doc


def changed(name: str, path: tuple[str | int, ...], value: object) -> dict[str, Any]:
    doc = copy.deepcopy(valid(name))
    node: Any = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


def read(name: str, data: bytes | dict[str, Any]) -> object:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return LOADERS[name](Override(name, raw))


def refused(name: str, data: bytes | dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        read(name, data)
    message = str(info.value)
    assert message.startswith(f"{name}: ")
    for raw in ("pydantic", "Input should", "For further information", "validation error"):
        assert raw not in message  # our format, never pydantic's dump
    return message


# One text field per file: (path, its name in messages). Multi-line ones take \n and \t.
TEXTS = {
    "areas.json": (("areas", 0, "navn"), "areas[0].navn"),
    "remarks.json": (("remarks", 0, "text"), "remarks[0].text"),
    "cooperation.json": (("tekster", "betjent"), "tekster.betjent"),
    "recipients.json": (("recipients", "155", 0, "name"), "recipients['155'][0].name"),
    "mail.json": (("indledning",), "indledning"),
    "kort.json": (("_comment",), "_comment"),
    "udtraek.json": (("_comment",), "_comment"),
    "udgiver.json": (("tilgaengelighedserklaering", "tekst"), "tilgaengelighedserklaering.tekst"),
}
SINGLE_LINE = [
    ("areas.json", ("areas", 0, "navn"), "areas[0].navn"),
    ("areas.json", ("laws", 0, "aliases", 1), "laws[0].aliases[1]"),
    ("remarks.json", ("remarks", 0, "kilde"), "remarks[0].kilde"),
    ("cooperation.json", ("kilde",), "kilde"),
    ("recipients.json", ("recipients", "155", 0, "name"), "recipients['155'][0].name"),
    ("mail.json", ("emne",), "emne"),
    ("mail.json", ("afsender_navn",), "afsender_navn"),
    ("udgiver.json", ("udgiver", "navn"), "udgiver.navn"),
    ("udgiver.json", ("kontakt", "adresse"), "kontakt.adresse"),
]
LIMITS = [
    ("areas.json", ("areas", 0, "navn"), "areas[0].navn", 200),
    ("areas.json", ("areas", 0, "beskrivelse"), "areas[0].beskrivelse", 2_000),
    ("remarks.json", ("remarks", 0, "text"), "remarks[0].text", 2_000),
    ("remarks.json", ("remarks", 0, "kilde"), "remarks[0].kilde", 200),
    ("cooperation.json", ("tekster", "vaert"), "tekster.vaert", 2_000),
    ("recipients.json", ("recipients", "155", 0, "name"), "recipients['155'][0].name", 200),
    ("mail.json", ("emne",), "emne", 300),
    ("mail.json", ("pligt_79b",), "pligt_79b", 5_000),
    ("kort.json", ("_comment",), "_comment", 10_000),
    ("udtraek.json", ("_comment",), "_comment", 10_000),
    ("udgiver.json", ("udgiver", "navn"), "udgiver.navn", 200),
    (
        "udgiver.json",
        ("tilgaengelighedserklaering", "tekst"),
        "tilgaengelighedserklaering.tekst",
        5_000,
    ),
]


def test_every_bundled_file_loads() -> None:
    for name in NAMES:
        read(name, valid(name))


@pytest.mark.parametrize("name", NAMES)
def test_lone_surrogate_is_refused(name: str) -> None:
    path, where = TEXTS[name]
    message = refused(name, changed(name, path, "Dragør \ud800 Kommune"))
    assert message == f"{name}: {where}: contains a lone surrogate (U+D800)"


@pytest.mark.parametrize("name", NAMES)
def test_control_character_is_refused(name: str) -> None:
    path, where = TEXTS[name]
    message = refused(name, changed(name, path, "ding\x07dong"))
    assert message.startswith(f"{name}: {where}: contains a control character (U+0007)")
    assert "(value: 'ding\\x07dong')" in message


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u200f", "\u200b", "\ufeff"])
def test_invisible_formatting_characters_are_refused(name: str, char: str) -> None:
    """A right-to-left override or a zero-width space makes a text (a sender name in a mail
    header, a remark on the site) display other than it reads."""
    path, where = TEXTS[name]
    message = refused(name, changed(name, path, f"Dragør{char}Kommune"))
    expected = f"contains an invisible formatting character (U+{ord(char):04X})"
    assert message.startswith(f"{name}: {where}: {expected}")


@pytest.mark.parametrize(("name", "path", "where"), SINGLE_LINE)
def test_line_break_in_a_single_line_text_is_refused(name: str, path: tuple, where: str) -> None:
    for text in ("a\nb", "a\rb", "a\u2028b", "a\tb", "a\x85b"):
        assert refused(name, changed(name, path, text)).startswith(f"{name}: {where}: contains")


def test_multi_line_texts_keep_line_feeds_and_tabs() -> None:
    book = read("remarks.json", changed("remarks.json", ("remarks", 0, "text"), " a\n\tb "))
    assert book.for_municipality("101", 2024)[0].text == "a\n\tb"  # type: ignore[attr-defined]
    assert "\n" in load_mail_texts(layered()).afslutning


@pytest.mark.parametrize(("name", "path", "where", "limit"), LIMITS)
def test_too_long_text_is_refused(name: str, path: tuple, where: str, limit: int) -> None:
    read(name, changed(name, path, "x" * limit))
    message = refused(name, changed(name, path, "x" * (limit + 1)))
    assert message.startswith(f"{name}: {where}: is longer than {limit} characters (value: 'xx")
    assert len(message) < 200  # the value is shown truncated


@pytest.mark.parametrize(
    ("name", "path", "item", "where", "limit"),
    [
        ("areas.json", ("areas",), {"slug": "a", "navn": "A"}, "areas", 20),
        ("areas.json", ("laws", 0, "aliases"), "sel", "laws[0].aliases", 50),
        ("remarks.json", ("remarks",), REMARK, "remarks", 2_000),
        ("remarks.json", ("remarks", 0, "omraader"), "socialomraadet", "remarks[0].omraader", 20),
        ("recipients.json", ("recipients", "155"), "a@b.dk", "recipients['155']", 20),
        ("kort.json", ("klasser",), {}, "klasser", 20),
    ],
)
def test_lists_are_bounded(name: str, path: tuple, item: object, where: str, limit: int) -> None:
    message = refused(name, changed(name, path, [item] * (limit + 1)))
    assert message.startswith(f"{name}: {where}: must have at most {limit} entries")


@pytest.mark.parametrize(
    "slug", ["../../evil", '=HYPERLINK("x")', "", "Boernehandicap", "-x", "a b", "ø", "x" * 41]
)
def test_bad_area_slug_is_refused(slug: str) -> None:
    message = refused("areas.json", changed("areas.json", ("areas", 0, "slug"), slug))
    assert message.startswith("areas.json: areas[0].slug: ")
    laws = refused("areas.json", changed("areas.json", ("laws", 0, "slug"), slug))
    assert laws.startswith("areas.json: laws[0].slug: ")


@pytest.mark.parametrize(
    ("name", "path", "where"),
    [
        ("remarks.json", ("remarks", 0, "omraader"), "remarks[0].omraader[0]"),
        ("cooperation.json", ("arrangements", 0, "omraader"), "arrangements[0].omraader[0]"),
        ("cooperation.json", ("arrangements", 0, "ogsaa_under"), "arrangements[0].ogsaa_under[0]"),
    ],
)
def test_bad_slug_where_an_area_is_named_is_refused(name: str, path: tuple, where: str) -> None:
    for slug in ("../../evil", '=HYPERLINK("x")'):
        message = refused(name, changed(name, path, [slug]))
        assert message.startswith(f"{name}: {where}: must be a slug")


def test_duplicate_slugs_are_refused() -> None:
    doc = valid("areas.json")
    doc["areas"][2]["slug"] = doc["areas"][0]["slug"]
    message = refused("areas.json", doc)
    assert message == (
        "areas.json: areas[2].slug: duplicate slug: also areas[0] (value: 'socialomraadet')"
    )
    doc = valid("areas.json")
    doc["laws"][1]["slug"] = "serviceloven"
    assert refused("areas.json", doc).startswith("areas.json: laws[1].slug: duplicate slug")


@pytest.mark.parametrize("name", NAMES)
def test_duplicate_json_key_is_refused_naming_key_and_where(name: str) -> None:
    text = json.dumps(valid(name), ensure_ascii=False)
    top = next(k for k in valid(name) if k != "_comment")
    doubled = text.replace('{"_comment"', '{"_comment": "x", "_comment"', 1)
    assert refused(name, doubled.encode()) == f"{name}: duplicate key '_comment'"
    nested = '{"' + top + '": {"a": [0, {"b": 1, "c": 2, "b": 3}]}}'
    assert refused(name, nested.encode()) == f"{name}: {top}.a[1]: duplicate key 'b'"


@pytest.mark.parametrize("name", NAMES)
def test_deep_nesting_is_refused_clearly(name: str) -> None:
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    assert refused(name, deep) == f"{name}: nested more than {loader.MAX_DEPTH} levels deep"
    top = next(k for k in valid(name) if k != "_comment")
    twenty = json.dumps({top: [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]})
    message = refused(name, twenty.encode())
    assert message.startswith(f"{name}: {top}[0][0]")
    assert message.endswith(f"nested more than {loader.MAX_DEPTH} levels deep")


@pytest.mark.parametrize("name", NAMES)
def test_non_json_non_utf8_and_too_large_files_name_the_file(name: str) -> None:
    assert refused(name, b"{not json").startswith(f"{name}: not valid JSON: ")
    assert refused(name, b'{"a": NaN}') == f"{name}: not valid JSON: NaN is not a JSON number"
    doc = {**valid(name), "_comment": "Ændret af Tårnby"}
    cp1252 = json.dumps(doc, ensure_ascii=False).encode("cp1252", errors="replace")
    assert refused(name, cp1252).startswith(f"{name}: not UTF-8 text (byte 0x")
    assert refused(name, b"\xff\xfe{\x00}\x00").startswith(f"{name}: not UTF-8 text")  # UTF-16
    big = b" " * (loader.MAX_BYTES + 1)
    assert refused(name, big) == (
        f"{name}: the file has {len(big):,} bytes, more than the limit of {loader.MAX_BYTES:,}"
    )
    assert refused(name, b"[]") == f"{name}: must be an object (value: [])"


def test_a_utf8_bom_is_accepted() -> None:
    data = b"\xef\xbb\xbf" + (DEFAULTS / "kort.json").read_bytes()
    assert read("kort.json", data) == load_style(layered())


MAIL_TEMPLATES = [
    "emne",
    "hilsen",
    "indledning",
    "pligt_79b",
    "handlingsplan",
    "laesevejledning",
    "afslutning",
    "automatisk",
]
TEMPLATES = [("mail.json", (f,), f, "aar") for f in MAIL_TEMPLATES] + [
    ("cooperation.json", ("tekster", f), f"tekster.{f}", "vaert")
    for f in ("betjent", "vaert", "ogsaa_under")
]


@pytest.mark.parametrize(("name", "path", "where", "known"), TEMPLATES)
def test_format_spec_and_conversion_are_refused(
    name: str, path: tuple, where: str, known: str
) -> None:
    for placeholder in ("{%s:>100000000}", "{%s!r}", "{%s!s:^9}", "{%s:{%s}}"):
        text = "Tal " + placeholder.replace("%s", known)
        message = refused(name, changed(name, path, text))
        assert message.startswith(f"{name}: {where}: placeholder {{{known}")
        assert "has a format spec or conversion" in message


@pytest.mark.parametrize(("name", "path", "where", "known"), TEMPLATES)
def test_unknown_placeholder_is_refused(name: str, path: tuple, where: str, known: str) -> None:
    for unknown in ("modtager", "", "0", f"{known}.__class__", f"{known}[0]"):
        message = refused(name, changed(name, path, "Tal {" + unknown + "}"))
        assert message.startswith(f"{name}: {where}: uses unknown placeholder {{{unknown}}}")
    assert refused(name, changed(name, path, "Tal {")).startswith(
        f"{name}: {where}: has a broken placeholder"
    )
    read(name, changed(name, path, "Tal {{ og }} " + "{" + known + "}"))  # escaped braces


def test_every_known_placeholder_is_accepted_and_filled() -> None:
    text = " ".join("{" + p + "}" for p in sorted(MAIL_PLACEHOLDERS))
    texts = read("mail.json", changed("mail.json", ("indledning",), text))
    filled = texts.fill("indledning", 2024, "Dragør Kommune")  # type: ignore[attr-defined]
    assert "{" not in filled and "Dragør Kommune" in filled
    assert set(texts.values(2024, "Dragør Kommune")) == MAIL_PLACEHOLDERS  # type: ignore[attr-defined]
    text = " ".join("{" + p + "}" for p in sorted(COOPERATION_PLACEHOLDERS))
    book = read("cooperation.json", changed("cooperation.json", ("tekster", "betjent"), text))
    [remark] = book.for_municipality("155", 2024, "boernehandicap")  # type: ignore[attr-defined]
    assert "{" not in remark.text and "Tårnby Kommune" in remark.text


def test_the_sender_name_is_no_template() -> None:
    message = refused("mail.json", changed("mail.json", ("afsender_navn",), "Ministeriet {aar}"))
    assert message.startswith(
        "mail.json: afsender_navn: uses unknown placeholder {aar} (known: none)"
    )


@pytest.mark.parametrize(
    ("name", "path", "value", "where"),
    [
        ("mail.json", ("frist",), "1999-12-31", "frist"),
        ("mail.json", ("frist",), "2999-12-31", "frist"),
        (
            "mail.json",
            ("handlingsplan_sidste_offentliggoerelsesaar",),
            1999,
            "handlingsplan_sidste_offentliggoerelsesaar",
        ),
        ("remarks.json", ("remarks", 0, "aar_fra"), 1999, "remarks[0].aar_fra"),
        ("remarks.json", ("remarks", 0, "aar_til"), 2205, "remarks[0].aar_til"),
        (
            "cooperation.json",
            ("arrangements", 0, "gyldig_fra"),
            "1999-01-01",
            "arrangements[0].gyldig_fra",
        ),
        ("areas.json", ("mappings", 0, "gyldig_fra"), 1900, "mappings[0].gyldig_fra"),
        ("areas.json", ("laws", 0, "gyldig_til"), 3000, "laws[0].gyldig_til"),
    ],
)
def test_implausible_years_and_dates_are_refused(
    name: str, path: tuple, value: object, where: str
) -> None:
    message = refused(name, changed(name, path, value))
    assert message.startswith(f"{name}: {where}: is not a plausible ")
    assert message.endswith(f"(value: {value!r})")


def test_dates_are_plain_iso_dates() -> None:
    for bad in ("20261231", "2026-W01-1", "31-12-2026", "2026-12-31T00:00"):
        message = refused("mail.json", changed("mail.json", ("frist",), bad))
        assert message == f"mail.json: frist: is not a valid date YYYY-MM-DD (value: {bad!r})"
    texts = read("mail.json", changed("mail.json", ("frist",), "2026-03-31"))
    assert texts.frist == date(2026, 3, 31)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "path", "fra", "til", "where"),
    [
        ("areas.json", ("laws", 0), 2020, 2019, "laws[0].gyldig_til: is before gyldig_fra 2020"),
        ("areas.json", ("mappings", 0), 2020, 2019, "mappings[0].gyldig_til: is before"),
        ("cooperation.json", ("arrangements", 0), "2020-01-02", "2020-01-01", "is before"),
    ],
)
def test_periods_end_after_they_start(
    name: str, path: tuple, fra: object, til: object, where: str
) -> None:
    doc = changed(name, (*path, "gyldig_fra"), fra)
    node: Any = doc
    for key in path:
        node = node[key]
    node["gyldig_til"] = til
    message = refused(name, doc)
    assert where in message and repr(til) in message


@pytest.mark.parametrize("name", NAMES)
def test_unknown_fields_are_refused_everywhere(name: str) -> None:
    assert (
        refused(name, {**valid(name), "ekstra": 1}) == f"{name}: ekstra: unknown field (value: 1)"
    )
    assert refused(name, {**valid(name), "comment": "x"}).startswith(f"{name}: comment: unknown")


@pytest.mark.parametrize(
    ("name", "path", "where"),
    [
        ("areas.json", ("areas", 0), "areas[0]"),
        ("areas.json", ("laws", 0), "laws[0]"),
        ("areas.json", ("mappings", 0), "mappings[0]"),
        ("remarks.json", ("remarks", 0), "remarks[0]"),
        ("cooperation.json", ("arrangements", 0), "arrangements[0]"),
        ("cooperation.json", ("tekster",), "tekster"),
        ("recipients.json", ("recipients", "155", 0), "recipients['155'][0]"),
        ("kort.json", ("klasser", 0), "klasser[0]"),
        ("kort.json", ("ingen_sager",), "ingen_sager"),
    ],
)
def test_unknown_fields_in_entries_are_refused_and_comments_allowed(
    name: str, path: tuple, where: str
) -> None:
    doc = copy.deepcopy(valid(name))
    node: Any = doc
    for key in path:
        node = node[key]
    node["_comment"] = "Fra kommunens brev af 3. marts."
    read(name, doc)
    node["gyldig_tl"] = "2021-08-31"
    assert refused(name, doc).startswith(f"{name}: {where}.gyldig_tl: unknown field")


@pytest.mark.parametrize("name", NAMES)
def test_a_file_may_name_its_schema(name: str) -> None:
    read(name, {"$schema": f"../../docs/config/{name}.schema.json", **valid(name)})


def test_several_problems_are_listed_one_a_line() -> None:
    doc = valid("remarks.json")
    doc["remarks"] = [{"kommunekode": "999", "kind": "ros", "text": ""}] * 12
    lines = refused("remarks.json", doc).splitlines()
    assert lines[:3] == [
        "remarks.json: remarks[0].kommunekode: is not one of the 98 municipalities (value: '999')",
        "remarks.json: remarks[0].kind: must be 'kommentar' or 'bemaerkning' (value: 'ros')",
        "remarks.json: remarks[0].text: must be a non-empty text (value: '')",
    ]
    assert len(lines) == loader.MAX_ERRORS + 1
    assert lines[-1] == f"remarks.json: and {36 - loader.MAX_ERRORS} more problems"


def test_kommunekoder_must_be_among_the_98() -> None:
    for code in ("999", "411", True, 155.0, "", "x" * 200):
        message = refused(
            "remarks.json", changed("remarks.json", ("remarks", 0, "kommunekode"), code)
        )
        assert message.startswith("remarks.json: remarks[0].kommunekode: ")
    for key in ("999", "Dragør", "../155"):
        doc = {"recipients": {key: "a@b.dk"}}
        assert refused("recipients.json", doc).startswith(f"recipients.json: recipients[{key!r}]")


@pytest.mark.parametrize("model", FILES, ids=lambda m: m.FILE)
def test_committed_schemas_match_the_models(model: type[ConfigFile]) -> None:
    path = SCHEMAS / f"{model.FILE}.schema.json"
    hint = "run .venv/bin/python scripts/config_schemas.py and commit docs/config/"
    assert path.is_file(), f"{path.relative_to(REPO)} is missing: {hint}"
    committed = json.loads(path.read_text(encoding="utf-8"))
    assert committed == json_schema(model), f"{path.relative_to(REPO)} is stale: {hint}"
    assert committed["$schema"].startswith("https://json-schema.org/")
    assert committed["title"] == model.FILE and committed["description"]
    assert committed["additionalProperties"] is False


def test_udtraek_bundled_minimum_is_the_whole_country_threshold() -> None:
    """The bundled min_kommuner is the line between 'Hele landet' and a partial year: a
    lower override lets a partial extract through, it never makes it the whole country."""
    assert read("udtraek.json", valid("udtraek.json")) == WHOLE_COUNTRY == 90
    assert read("udtraek.json", {"min_kommuner": 12}) == 12


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("90", "must be a whole number (value: '90')"),
        (90.0, "must be a whole number (value: 90.0)"),
        (True, "must be a whole number (value: True)"),
        (None, "must be a whole number (value: None)"),
        (0, "must be at least 1 (value: 0)"),
        (-5, "must be at least 1 (value: -5)"),
        (99, "must be at most 98 (value: 99)"),
        (10**40, "must be at most 98 (value: 100000000000000000...0000000000000000000)"),
        ([90], "must be a whole number (value: [90])"),
    ],
)
def test_udtraek_min_kommuner_must_be_a_count_of_the_98(value: object, says: str) -> None:
    message = refused("udtraek.json", changed("udtraek.json", ("min_kommuner",), value))
    assert message == f"udtraek.json: min_kommuner: {says}"


def test_udtraek_min_kommuner_is_required() -> None:
    assert refused("udtraek.json", {"_comment": "x"}) == "udtraek.json: min_kommuner: is missing"

"""The mail's words: mail.json (bundled default, overridable in the data bucket's config/).

Legal text lives in data because the law changes (§ 79 b, stk. 2-3 may lapse on 1 January
2026); code only decides where each text goes and fills in its placeholders.
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass
from datetime import date

from danmarkskort.config.sources import ConfigError, ConfigSource, require
from danmarkskort.text import long_date

MAIL_FILE = "mail.json"
NBSP = "\u00a0"
# '§ 79 b', 'stk. 2', '1. januar': keep them on one line when the text is wrapped.
_NO_BREAK = re.compile(
    r"(§§?|stk\.|nr\.|\b\d{1,2}\.) "
    r"(?=\d|januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december)"
)


def no_break(text: str) -> str:
    """Non-breaking spaces inside legal references and dates."""
    return _NO_BREAK.sub(lambda m: m.group(1) + NBSP, text)


PLACEHOLDERS = frozenset({"aar", "kommune", "frist", "offentliggoerelsesaar"})
_TEXT_FIELDS = (
    "afsender_navn",
    "emne",
    "hilsen",
    "indledning",
    "pligt_79b",
    "handlingsplan",
    "laesevejledning",
    "afslutning",
    "automatisk",
)
_OPTIONAL = frozenset({"handlingsplan", "automatisk"})
_HEADER_FIELDS = ("afsender_navn", "emne")


@dataclass(frozen=True)
class MailTexts:
    afsender_navn: str
    emne: str
    hilsen: str
    indledning: str
    pligt_79b: str
    handlingsplan: str
    laesevejledning: str
    afslutning: str
    automatisk: str
    handlingsplan_sidste_aar: int | None
    frist: date | None  # None: 31 December of the publication year

    def deadline(self, newest_year: int) -> date:
        """The council's deadline: the end of the year the map is published (§ 79 b, stk. 1)."""
        return self.frist or date(newest_year + 1, 12, 31)

    def values(self, newest_year: int, kommune: str) -> dict[str, str]:
        return {
            "aar": str(newest_year),
            "kommune": kommune,
            "frist": long_date(self.deadline(newest_year)),
            "offentliggoerelsesaar": str(newest_year + 1),
        }

    def fill(self, field: str, newest_year: int, kommune: str) -> str:
        return no_break(getattr(self, field).format_map(self.values(newest_year, kommune)))

    def action_plan(self, newest_year: int, kommune: str) -> str:
        """The handlingsplan text, or '' once the configured last publication year has passed."""
        last = self.handlingsplan_sidste_aar
        if not self.handlingsplan or (last is not None and newest_year + 1 > last):
            return ""
        return self.fill("handlingsplan", newest_year, kommune)


def parse_mail_texts(data: bytes, source: str = MAIL_FILE) -> MailTexts:
    """Check every text and placeholder now, so a typo fails the run before any mail is sent."""
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{source}: not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise ConfigError(f"{source}: the top level must be an object")
    unknown = set(doc) - {
        *_TEXT_FIELDS,
        "handlingsplan_sidste_offentliggoerelsesaar",
        "frist",
        "_comment",
    }
    if unknown:
        raise ConfigError(f"{source}: unknown field(s) {', '.join(sorted(unknown))}")
    texts: dict[str, str] = {}
    for name in _TEXT_FIELDS:
        value = doc.get(name, "" if name in _OPTIONAL else None)
        if value is None and name in _OPTIONAL:
            value = ""
        if not isinstance(value, str) or (name not in _OPTIONAL and not value.strip()):
            raise ConfigError(f"{source}: field '{name}' must be a non-empty text")
        _check_placeholders(value, source, name)
        if name in _HEADER_FIELDS and ("\r" in value or "\n" in value):
            raise ConfigError(
                f"{source}: field '{name}' contains a line break; it goes into a mail header"
            )
        texts[name] = value.strip()
    last = doc.get("handlingsplan_sidste_offentliggoerelsesaar")
    if last is not None and (isinstance(last, bool) or not isinstance(last, int)):
        raise ConfigError(
            f"{source}: field 'handlingsplan_sidste_offentliggoerelsesaar' = {last!r} "
            "must be a year or null"
        )
    frist = doc.get("frist")
    if frist is not None:
        try:
            frist = date.fromisoformat(str(frist))
        except ValueError as exc:
            raise ConfigError(
                f"{source}: field 'frist' = {frist!r} must be a date YYYY-MM-DD or null"
            ) from exc
    return MailTexts(**texts, handlingsplan_sidste_aar=last, frist=frist)


def load_mail_texts(source: ConfigSource) -> MailTexts:
    return parse_mail_texts(require(source, MAIL_FILE))


def _check_placeholders(text: str, source: str, name: str) -> None:
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError as exc:
        raise ConfigError(f"{source}: field '{name}' has a broken placeholder: {exc}") from exc
    bad = fields - PLACEHOLDERS
    if bad:
        raise ConfigError(
            f"{source}: field '{name}' uses unknown placeholder(s) "
            f"{', '.join('{' + b + '}' for b in sorted(bad))} "
            f"(known: {', '.join('{' + p + '}' for p in sorted(PLACEHOLDERS))})"
        )

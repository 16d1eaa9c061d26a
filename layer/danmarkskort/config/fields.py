"""The rules every config file shares, defined once: safe text, slugs, colours, years, dates,
kommunekoder, email addresses and format templates.

Each rule is an ``Annotated`` type the file models in ``config.models`` reuse, so a remark's
text and a mail paragraph refuse a lone surrogate or a control character the same way. A rule
that fails raises ``FieldError``; ``config.loader`` turns it into ``file: path: message``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

from danmarkskort.domain.municipalities import registry

FIRST_YEAR = 2007  # the municipal reform: no figures, arrangements or deadlines before it
FIRST_LAW_YEAR = 1950  # laws and their mappings may predate the reform (serviceloven: 1998)
YEARS_AHEAD = 10

_NO_VALUE = object()


class FieldError(ValueError):
    """A rule failed. ``path`` leads from where the validator runs to the offending field
    (a list validator names the entry, e.g. ``(3, "fra")``); ``value`` is what to show."""

    def __init__(self, message: str, *path: str | int, value: object = _NO_VALUE) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.value = value

    @property
    def has_value(self) -> bool:
        return self.value is not _NO_VALUE


# --- text -----------------------------------------------------------------------------------

# Cc (C0, DEL, C1), the Unicode line/paragraph separators and lone surrogates (a surrogate
# pair in JSON escapes is decoded into one character; only a lone half is left here).
# Also the invisible formatting characters that can make a text display other than it
# reads: bidi embeddings, overrides, isolates and marks (a reversed sender name in a mail
# header), and zero-width spaces and joiners' kin (U+200B, U+2060, U+FEFF).
_INVISIBLE = "\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff"
_UNSAFE_SINGLE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff{_INVISIBLE}]")
_UNSAFE_MULTI = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff{_INVISIBLE}]")
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x85\u2028\u2029")
_INVISIBLE_SET = frozenset("\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060")
_INVISIBLE_SET |= frozenset("\u2066\u2067\u2068\u2069\ufeff")


def unsafe_character(text: str, *, multiline: bool = False) -> str | None:
    """What is wrong with the text's first unsafe character ('a line break (U+000A)'), or
    None. Multi-line text may hold line feeds and tabs; nothing else below U+0020."""
    found = (_UNSAFE_MULTI if multiline else _UNSAFE_SINGLE).search(text)
    if found is None:
        return None
    ch = found.group()
    if "\ud800" <= ch <= "\udfff":
        kind = "a lone surrogate"
    elif ch in _LINE_BREAKS:
        kind = "a line break"
    elif ch in _INVISIBLE_SET:
        kind = "an invisible formatting character"
    else:
        kind = "a control character"
    return f"{kind} (U+{ord(ch):04X})"


def _single_line(value: str) -> str:
    if problem := unsafe_character(value):
        raise FieldError(f"contains {problem}")
    return value.strip()


def _multi_line(value: str) -> str:
    if problem := unsafe_character(value, multiline=True):
        raise FieldError(f"contains {problem}")
    return value.strip()


def _header(value: str) -> str:
    if problem := unsafe_character(value):
        raise FieldError(f"contains {problem}, refused in a mail header (header injection)")
    return value.strip()


def _non_empty(value: str) -> str:
    if not value:
        raise FieldError("must be a non-empty text")
    return value


Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    AfterValidator(_single_line),
    AfterValidator(_non_empty),
]
Label = Annotated[str, StringConstraints(max_length=100), AfterValidator(_single_line)]
Description = Annotated[str, StringConstraints(max_length=2_000), AfterValidator(_multi_line)]
RemarkText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2_000),
    AfterValidator(_multi_line),
    AfterValidator(_non_empty),
]
Paragraph = Annotated[
    str,
    StringConstraints(min_length=1, max_length=5_000),
    AfterValidator(_multi_line),
    AfterValidator(_non_empty),
]
OptionalParagraph = Annotated[str, StringConstraints(max_length=5_000), AfterValidator(_multi_line)]
Comment = Annotated[str, StringConstraints(max_length=10_000), AfterValidator(_multi_line)]
Reference = Annotated[str, StringConstraints(max_length=500), AfterValidator(_single_line)]
HeaderName = Annotated[str, StringConstraints(max_length=200), AfterValidator(_header)]
HeaderText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=300),
    AfterValidator(_header),
    AfterValidator(_non_empty),
]

# --- patterns -------------------------------------------------------------------------------

SLUG = r"^[a-z0-9][a-z0-9-]*$"
LAW_SLUG = r"^[a-z0-9][a-z0-9_-]*$"
COLOUR = r"^#[0-9a-fA-F]{6}$"
RECIPIENT_KEY = r"^[0-9]{1,4}$"
# What a failed pattern means, in words (the loader's message for string_pattern_mismatch).
PATTERN_MESSAGES = {
    SLUG: "must be a slug of a-z, 0-9 and '-' that starts with a letter or digit",
    LAW_SLUG: "must be a slug of a-z, 0-9, '-' and '_' that starts with a letter or digit",
    COLOUR: "must be a colour like #1a2b3c",
    RECIPIENT_KEY: "is not the kommunekode of one of the 98 municipalities",
}

# Slugs end up in URLs, file names and the open-data CSV: no path, no formula, no space.
Slug = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=SLUG)]
LawSlug = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=LAW_SLUG)]


def _lower(value: str) -> str:
    return value.lower()


Colour = Annotated[str, StringConstraints(max_length=7, pattern=COLOUR), AfterValidator(_lower)]

# --- years and dates ------------------------------------------------------------------------


def last_year() -> int:
    """The latest plausible year: ten years ahead (a typo such as 2205 is caught)."""
    return date.today().year + YEARS_AHEAD


def _year_from(first: int) -> Callable[[object], object]:
    def check(value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldError("must be a year such as 2024")
        if not first <= value <= last_year():
            raise FieldError(f"is not a plausible year ({first}-{last_year()})")
        return value

    return check


def _iso_date(value: object) -> date:
    if not isinstance(value, str):
        raise FieldError("must be a date YYYY-MM-DD")
    # date.fromisoformat also takes '20250101' and '2025-W01-1'; only the plain form is meant.
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise FieldError("is not a valid date YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise FieldError("is not a valid date YYYY-MM-DD") from None
    if not FIRST_YEAR <= parsed.year <= last_year():
        raise FieldError(f"is not a plausible date (years {FIRST_YEAR}-{last_year()})")
    return parsed


_AHEAD = f"up to {YEARS_AHEAD} years after the current year"
Year = Annotated[
    int,
    Field(ge=FIRST_YEAR, description=f"A year from {FIRST_YEAR} {_AHEAD}."),
    BeforeValidator(_year_from(FIRST_YEAR)),
]
LawYear = Annotated[
    int,
    Field(ge=FIRST_LAW_YEAR, description=f"A year from {FIRST_LAW_YEAR} {_AHEAD}."),
    BeforeValidator(_year_from(FIRST_LAW_YEAR)),
]
IsoDate = Annotated[
    date,
    BeforeValidator(
        _iso_date,
        json_schema_input_type=Annotated[
            str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$", max_length=10)
        ],
    ),
    Field(description=f"An ISO date YYYY-MM-DD from {FIRST_YEAR} {_AHEAD}."),
]

# --- municipalities -------------------------------------------------------------------------


def kommunekode(value: object) -> str:
    """The 3-digit code of the municipality the value names ('155', 155, '0155', 'Dragør');
    FieldError when it names none of the 98."""
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise FieldError('must be a kommunekode such as "155"')
    if len(str(value)) > 100:
        raise FieldError("is not one of the 98 municipalities")
    hit = registry().resolve(value)
    if hit.kind != "municipality" or hit.municipality is None:
        raise FieldError("is not one of the 98 municipalities")
    return hit.municipality.code


def _is_kommunekode(value: str) -> str:
    if registry().resolve(value).kind != "municipality":
        raise FieldError("is not the kommunekode of one of the 98 municipalities")
    return value  # unchanged: '0155' and '155' must stay two keys to be caught as the same


# A municipality by code or name ('155', 155, 'Dragør'); validated to its 3-digit code.
Kommunekode = Annotated[
    str,
    BeforeValidator(kommunekode, json_schema_input_type=str | int),
    Field(description='A kommunekode such as "155" (or the municipality\'s name).'),
]
# A key of recipients.json: digits that name one of the 98 (normalised by the file's model).
KommunekodeKey = Annotated[
    str, StringConstraints(pattern=RECIPIENT_KEY), AfterValidator(_is_kommunekode)
]

# --- email addresses ------------------------------------------------------------------------

# Deliberately stricter than RFC 5322: what SES accepts and municipal mail servers expect.
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})+")


def address_problem(value: str) -> str | None:
    """Why the value is not a plain ASCII address, or None (after stripping spaces)."""
    if unsafe_character(value):
        return "contains a line break or control character (header injection)"
    text = value.strip()
    if len(text) > 254 or not _ADDRESS.fullmatch(text):
        return "is not a valid email address"
    return None


def _address(value: str) -> str:
    if problem := address_problem(value):
        raise FieldError(problem)
    return value.strip()


EmailAddress = Annotated[str, StringConstraints(max_length=254), AfterValidator(_address)]

# --- web addresses and phone numbers -----------------------------------------------------

# An absolute http(s) address without spaces, quotes or angle brackets: it goes into href
# attributes and mails as it is (autoescaped, but a javascript: URL would still run).
_WEB_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#][^\s\"'<>\\]*)?")
_PHONE = re.compile(r"\+?[0-9][0-9 ]{6,18}[0-9]")


def _web_url(value: str) -> str:
    if problem := unsafe_character(value):
        raise FieldError(f"contains {problem}")
    text = value.strip()
    if not _WEB_URL.fullmatch(text):
        raise FieldError("is not an absolute web address (https://…) without spaces or quotes")
    return text


def _phone(value: str) -> str:
    text = value.strip()
    if not _PHONE.fullmatch(text):
        raise FieldError("is not a phone number (digits and spaces, optionally a leading +)")
    return text


WebUrl = Annotated[str, StringConstraints(max_length=500), AfterValidator(_web_url)]
Phone = Annotated[str, StringConstraints(max_length=30), AfterValidator(_phone)]

# --- format templates -----------------------------------------------------------------------


def template(placeholders: frozenset[str]) -> Callable[[str], str]:
    """A validator for a text that goes through str.format: only plain ``{name}``
    placeholders from the known set. A format spec (``{x:>100000000}`` is 100 MB), a
    conversion (``{x!r}``), an attribute or index (``{x.__class__}``) or ``{}`` is refused."""
    known = ", ".join("{" + p + "}" for p in sorted(placeholders)) or "none"

    def check(text: str) -> str:
        try:
            parts = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise FieldError(f"has a broken placeholder: {exc}") from None
        for _, name, spec, conversion in parts:
            if name is None:
                continue
            if spec or conversion:
                written = "{" + name + ("!" + conversion if conversion else "")
                written += (":" + spec if spec else "") + "}"
                raise FieldError(
                    f"placeholder {written[:60]} has a format spec or conversion; "
                    "only plain {name} placeholders are allowed"
                )
            if name not in placeholders:
                raise FieldError(f"uses unknown placeholder {{{name[:40]}}} (known: {known})")
        return text

    return check

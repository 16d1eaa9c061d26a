"""Parsing the free-text legal provision labels of extracts ('§§ 42-43', 'SEL § 32 a', ...)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_JF = re.compile(r"\bjf\.?|\bjfr\.?|\bsml\.?", re.IGNORECASE)
_STK = re.compile(r"\b(stk|nr|litra|pkt)\b.*$", re.IGNORECASE)
_RANGE = re.compile(r"^(\d+)\s*([a-z]?)\s*[-–—]\s*(\d+)\s*([a-z]?)$")
_SINGLE = re.compile(r"^(\d+)\s*([a-z]?)$")
_NUMBER = re.compile(r"\d+")


def parse_paragraph(label: object) -> tuple[str, ...]:
    """The provisions a label names, as section numbers with an optional letter.

    '§ 32 a' → ('32a',); '§§ 42-43' → ('42', '43'); '§ 44, jf. § 83' → ('44',): a 'jf.'
    reference points to another rule and is not the provision decided on. Returns () when
    the label names no section number.
    """
    text = str(label or "")
    # An extract has a few hundred distinct labels over a million rows, and the rate
    # computation asks again per (provision, year): short labels are parsed once.
    return _parse_cached(text) if len(text) <= _CACHED_CHARS else _parse(text)


_CACHED_CHARS = 200


@lru_cache(maxsize=8192)
def _parse_cached(text: str) -> tuple[str, ...]:
    return _parse(text)


def _parse(label: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKC", label).lower().strip()
    text = _JF.split(text, maxsplit=1)[0]
    text = re.sub(r"^[^§\d]*", "", text)  # 'SEL ', 'Servicelovens ' before the §
    text = text.replace("§", " ").replace("paragraf", " ")
    text = _STK.sub("", text)
    parts = [p.strip(" .") for p in re.split(r"[,;/]| og ", text) if p.strip(" .")]
    found: list[str] = []
    for part in parts:
        part = re.sub(r"\s+", " ", part)
        if m := _RANGE.match(part):
            lo, lo_letter, hi, hi_letter = m.groups()
            if lo_letter or hi_letter or int(hi) < int(lo) or int(hi) - int(lo) > 20:
                found += [lo + lo_letter, hi + hi_letter]
            else:
                found += [str(n) for n in range(int(lo), int(hi) + 1)]
        elif m := _SINGLE.match(part):
            found.append(m.group(1) + m.group(2))
        else:
            break  # trailing prose: stop at the first part that is not a section
    return tuple(dict.fromkeys(_without_leading_zeros(p) for p in found))


def _without_leading_zeros(section: str) -> str:
    """'032a' → '32a'. A section found above always starts with its number."""
    number = _NUMBER.match(section)
    if number is None:
        raise RuntimeError(f"parse_paragraph: section {section!r} does not start with a number")
    return str(int(number.group())) + section.lstrip("0123456789")

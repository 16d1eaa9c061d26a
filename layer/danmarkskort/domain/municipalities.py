"""The registry of the 98 municipalities and how free-text instance names resolve to them.

Sources spell names inconsistently (Århus/Aarhus, "X Kommune", Høje Taastrup), so matching
is done on a normalised key; the facts themselves live in ``data/kommuner.csv``.
"""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

NATIONAL_CODE = "000"
NATIONAL_NAME = "Hele landet"


@dataclass(frozen=True, slots=True)
class Municipality:
    code: str  # 3-digit kommunekode as text, e.g. "155"
    name: str  # official name, e.g. "Dragør"
    region_code: str
    region: str

    @property
    def full_name(self) -> str:
        """The name used in salutations and subjects, e.g. 'Dragør Kommune'."""
        if self.code == "400":
            return "Bornholms Regionskommune"
        if self.code == "101":  # the official name is genitive, as Bornholm's
            return "Københavns Kommune"
        return f"{self.name} Kommune"

    @property
    def slug(self) -> str:
        """ASCII-safe name for file names and URLs ('dragoer', 'hoeje-taastrup')."""
        return slugify(self.name)


@dataclass(frozen=True, slots=True)
class Resolution:
    """What an instance value in an extract stands for."""

    kind: Literal["municipality", "excluded", "unknown"]
    municipality: Municipality | None = None
    excluded_as: str = ""  # region | faellesskab | ikke_kommune


_TRANSLIT = str.maketrans(
    {"æ": "ae", "ø": "oe", "å": "aa", "é": "e", "ü": "u", "ö": "oe", "ä": "ae"}
)


def slugify(text: str) -> str:
    """Lower-case ASCII slug with Danish letters spelled out (æ→ae, ø→oe, å→aa)."""
    text = text.lower().translate(_TRANSLIT)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def name_key(text: str) -> str:
    """Matching key: case, accents, 'Kommune', hyphens, spaces and aa/å do not matter."""
    text = unicodedata.normalize("NFC", str(text)).strip().lower()
    text = re.sub(r"\bkommune(s)?\b", " ", text)
    return slugify(text).replace("-", "")


def _data_rows(filename: str) -> list[dict[str, str]]:
    raw = resources.files("danmarkskort").joinpath("data", filename).read_text(encoding="utf-8")
    lines = [line for line in raw.splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter=";"))


class Registry:
    """Lookup of municipalities by code or (variant) name; built once per process."""

    def __init__(self) -> None:
        self.municipalities: list[Municipality] = []
        self._by_code: dict[str, Municipality] = {}
        self._by_key: dict[str, Municipality] = {}
        for row in _data_rows("kommuner.csv"):
            m = Municipality(row["kommunekode"], row["kommune"], row["regionskode"], row["region"])
            self.municipalities.append(m)
            self._by_code[m.code] = m
            for variant in [m.name, *filter(None, row["varianter"].split("|"))]:
                self._by_key[name_key(variant)] = m
        self._excluded_codes: dict[str, str] = {}
        self._excluded_keys: dict[str, str] = {}
        for row in _data_rows("excluded_instances.csv"):
            if row["kode"]:
                self._excluded_codes[row["kode"]] = row["art"]
            self._excluded_keys[name_key(row["navn"])] = row["art"]
        self._cache: dict[str, Resolution] = {}

    def __len__(self) -> int:
        return len(self.municipalities)

    def by_code(self, code: str) -> Municipality:
        """The municipality with this 3-digit code; KeyError when there is none."""
        return self._by_code[code]

    def resolve(self, value: object) -> Resolution:
        """Resolve a name, a code ('155', '0155', 155) or a variant to a municipality."""
        text = "" if value is None else str(value).strip()
        hit = self._cache.get(text)
        if hit is None:
            hit = self._cache[text] = self._resolve(text)
        return hit

    def _resolve(self, text: str) -> Resolution:
        digits = text[:-2] if re.fullmatch(r"\d+\.0", text) else text
        if digits.isdigit():
            code = str(int(digits)) if int(digits) else digits
            code = code.zfill(3)
            if code in self._by_code:
                return Resolution("municipality", self._by_code[code])
            if code.lstrip("0") in self._excluded_codes:
                return Resolution("excluded", excluded_as=self._excluded_codes[code.lstrip("0")])
            return Resolution("unknown")
        key = name_key(text)
        if key in self._by_key:
            return Resolution("municipality", self._by_key[key])
        if key in self._excluded_keys:
            return Resolution("excluded", excluded_as=self._excluded_keys[key])
        if key.startswith("region"):
            return Resolution("excluded", excluded_as="region")
        if "faellesskab" in key:
            return Resolution("excluded", excluded_as="faellesskab")
        return Resolution("unknown")


@cache
def registry() -> Registry:
    """The process-wide registry (the data file is read once)."""
    return Registry()


# --- free-text instance names (extracts, Statistikbanken exports) ---------------------------

CODE_AND_NAME = (
    re.compile(
        r"^(?P<code>[0-9]{3,4})\s*[-–:]?\s*(?P<name>[^0-9].*)$"
    ),  # '155 Dragør', '155 - Dragør'
    re.compile(r"^(?P<name>[^0-9].*?)\s*[(\[]\s*(?P<code>[0-9]{3,4})\s*[)\]]$"),  # 'Dragør (155)'
)


def resolve_one(value: str) -> Resolution:
    """The registry's answer; digits other than 0-9 ('¹', '٣') are no code (int() would take
    some and choke on others)."""
    text = value.strip()
    core = text[:-2] if text.endswith(".0") else text
    if core.isdigit() and not core.isascii():
        return Resolution("unknown")
    return registry().resolve(value)


_FOLD = str.maketrans({"æ": "a", "ø": "o", "å": "a", "Æ": "A", "Ø": "O", "Å": "A"})


def _fold(text: str) -> str:
    """Danish letters as systems without them write them: 'Dragør' -> 'Dragor'."""
    return text.translate(_FOLD)


@cache
def _folded_names() -> dict[str, Municipality]:
    """Official names with æ, ø, å folded to a, o, a; only folds that name one municipality."""
    seen: dict[str, list[Municipality]] = {}
    for m in registry().municipalities:
        seen.setdefault(name_key(_fold(m.name)), []).append(m)
    return {k: ms[0] for k, ms in seen.items() if len(ms) == 1}


@cache
def sum_row_keys() -> frozenset[str]:
    raw = resources.files("danmarkskort").joinpath("data", "sum_rows.csv").read_text("utf-8")
    names = [line for line in raw.splitlines()[1:] if line.strip() and not line.startswith("#")]
    return frozenset(name_key(n) for n in names if n != "navn")


def resolve_instance(value: str) -> Resolution:
    """A municipality by name or code, or both in one cell when they agree ('155 Dragør').

    A sum row ('Hele landet', 'I alt') is excluded like a region (data/sum_rows.csv).
    """
    hit = resolve_one(value)
    if hit.kind != "unknown":
        return hit
    if name_key(value) in sum_row_keys():
        return Resolution("excluded", excluded_as="total")
    if folded := _folded_names().get(name_key(_fold(value))):
        return Resolution("municipality", folded)
    for pattern in CODE_AND_NAME:
        if m := pattern.match(value.strip()):
            by_code = resolve_one(m.group("code"))
            by_name = resolve_one(m.group("name"))
            if by_code.kind != "unknown" and by_code == by_name:
                return by_code
    return hit


@cache
def _official_keys() -> dict[str, str]:
    return {name_key(m.name): m.name for m in registry().municipalities}


def near_miss(value: str) -> str | None:
    """The official name a misspelt one is closest to ('Frederiksbreg' → 'Frederiksberg')."""
    key = name_key(value)
    if not key or key.isdigit():
        return None
    close = difflib.get_close_matches(key, list(_official_keys()), n=1, cutoff=0.8)
    return _official_keys()[close[0]] if close else None


def suggestion(value: str) -> str:
    """' Mente du «Frederiksberg»?' for a near miss of an official name, else ''."""
    name = near_miss(value)
    return f" Mente du «{name}»?" if name else ""

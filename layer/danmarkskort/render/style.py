"""The maps' colour classes and legend, from config/kort.json (breaks and colours are data)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from danmarkskort.config.sources import ConfigError, ConfigSource, require
from danmarkskort.text import round_half_up

STYLE_FILE = "kort.json"
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True, slots=True)
class MapClass:
    index: int
    fra: int
    til: int | None  # exclusive upper bound, None = open
    farve: str
    tekst: str

    @property
    def label(self) -> str:
        if self.til is None:
            return f"{self.fra}\u00a0% og derover"
        if self.fra == 0:
            return f"Under {self.til}\u00a0%"
        return f"{self.fra}\u2013{self.til - 1}\u00a0%"


@dataclass(frozen=True, slots=True)
class MapStyle:
    classes: tuple[MapClass, ...]
    none_fill: str
    none_dot: str
    none_text: str

    def classify(self, rate: float | None) -> MapClass | None:
        """The class of a rate by its published whole-percent value; None when no cases."""
        if rate is None:
            return None
        shown = int(round_half_up(rate, 0))
        for c in self.classes:
            if shown >= c.fra and (c.til is None or shown < c.til):
                return c
        return self.classes[-1]


def parse_style(data: bytes, source: str = STYLE_FILE) -> MapStyle:
    try:
        doc = json.loads(data)
        raw = doc["klasser"]
        none = doc["ingen_sager"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise ConfigError(f"{source}: needs 'klasser' and 'ingen_sager' ({exc!r})") from exc
    if not isinstance(raw, list) or not isinstance(none, dict):
        raise ConfigError(f"{source}: 'klasser' must be a list and 'ingen_sager' an object")
    classes = []
    expected = 0
    for i, c in enumerate(raw):
        where = f"{source}: klasser[{i}]"
        if not isinstance(c, dict) or c.get("fra") != expected:
            raise ConfigError(
                f"{where}: field 'fra' must be {expected} (classes must be contiguous)"
            )
        til = c.get("til")
        last = i == len(raw) - 1
        if (til is None) != last or (
            til is not None and (not isinstance(til, int) or til <= expected)
        ):
            raise ConfigError(f"{where}: field 'til' must rise, and be null only in the last class")
        for field in ("farve", "tekst"):
            if not isinstance(c.get(field), str) or not _COLOUR.match(c[field]):
                raise ConfigError(f"{where}: field '{field}' must be a colour like #1a2b3c")
        classes.append(MapClass(i, expected, til, c["farve"].lower(), c["tekst"].lower()))
        expected = til if til is not None else expected
    if len(classes) < 2:
        raise ConfigError(f"{source}: field 'klasser' needs at least two classes")
    for field in ("farve", "prik", "tekst"):
        if not isinstance(none.get(field), str) or not _COLOUR.match(none[field]):
            raise ConfigError(
                f"{source}: ingen_sager: field '{field}' must be a colour like #1a2b3c"
            )
    return MapStyle(
        tuple(classes), none["farve"].lower(), none["prik"].lower(), none["tekst"].lower()
    )


def load_style(source: ConfigSource) -> MapStyle:
    return parse_style(require(source, STYLE_FILE))

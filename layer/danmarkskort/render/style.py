"""The maps' colour classes and legend, from config/kort.json (breaks and colours are data)."""

from __future__ import annotations

from dataclasses import dataclass

from danmarkskort.config.loader import load, parse
from danmarkskort.config.models import KortFile
from danmarkskort.config.sources import ConfigSource
from danmarkskort.text import shown_percent


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
        """The class of a rate by its shown value (text.shown_percent), so a tile's colour
        and its number agree; None when no cases."""
        shown = shown_percent(rate)
        if shown is None:
            return None
        for c in self.classes:
            if shown >= c.fra and (c.til is None or shown < c.til):
                return c
        return self.classes[-1]


def parse_style(data: bytes) -> MapStyle:
    """kort.json's bytes as a MapStyle; ConfigError names the file, the class and the field."""
    return _style(parse(data, KortFile))


def load_style(source: ConfigSource) -> MapStyle:
    """kort.json from the source (the bundled default stands last)."""
    return _style(load(source, KortFile))


def _style(doc: KortFile) -> MapStyle:
    classes = tuple(MapClass(i, c.fra, c.til, c.farve, c.tekst) for i, c in enumerate(doc.klasser))
    none = doc.ingen_sager
    return MapStyle(classes, none.farve, none.prik, none.tekst)

"""The maps' colour classes and legend, from config/kort.json (breaks and colours are data)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from danmarkskort.config.loader import load, parse
from danmarkskort.config.models import KortFile
from danmarkskort.config.sources import ConfigSource
from danmarkskort.render.geometry import MapGeometry
from danmarkskort.text import shown_percent

REMARK_DOT = "#c2410c"  # the orange dot on a tile whose municipality has a remark

Swatch = Literal["fyld", "moenster", "prik", "stiplet", "ramme"]


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
class LegendEntry:
    """One legend entry. ``kind`` is the data-mark of what the map draws for it, so a test
    can check that every mark on a map has its entry."""

    kind: str  # klasse-0, klasse-1, …, lavn, ingen, bem, udsnit, ramme
    swatch: Swatch
    text: str
    fill: str = ""  # 'fyld': the colour; 'moenster': the suffix of the pattern's id


@dataclass(frozen=True, slots=True)
class MapStyle:
    classes: tuple[MapClass, ...]
    none_fill: str
    none_dot: str
    none_text: str
    remark_dot: str = REMARK_DOT

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

    def legend(self, geometry: MapGeometry, threshold: int) -> tuple[LegendEntry, ...]:
        """Every kind of mark the map can draw, in the order the legends show them: the
        classes, few cases, no cases, the remark dot, and a geographic map's insets."""
        mid = self.classes[(len(self.classes) - 1) // 2].index
        entries = [LegendEntry(f"klasse-{c.index}", "fyld", c.label, c.farve) for c in self.classes]
        entries += [
            LegendEntry(
                "lavn", "moenster", f"Skraveret: under {threshold} sager, usikker", f"lavn{mid}"
            ),
            LegendEntry("ingen", "moenster", "Prikket: ingen sager", "ingen"),
            LegendEntry(
                "bem", "prik", "Kommunen har en bemærkning eller kommentar (se kommunens side)"
            ),
        ]
        insets = [f for f in geometry.frames if not f.marker]
        zoom = next((f.caption for f in insets if f.clip), "")
        if zoom and any(f.marker for f in geometry.frames):
            entries.append(
                LegendEntry("udsnit", "stiplet", f"Stiplet ramme: vist forstørret i „{zoom}“")
            )
        if insets:
            shown = ", ".join(
                f"{f.caption} forstørret" if f.clip else f"{f.caption} flyttet" for f in insets
            )
            entries.append(LegendEntry("ramme", "ramme", f"Udsnit i egen ramme: {shown}"))
        return tuple(entries)


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

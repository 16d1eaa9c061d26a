"""Map geometry: where each municipality is drawn. The built-in default is the project's own
tile-grid cartogram (data/tilegrid.csv: one equal tile each, so Læsø weighs as much as
Aarhus); a configured ``kommuner.geojson`` gives a geographic map instead (render.geojson).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from danmarkskort.config.sources import ConfigError
from danmarkskort.domain.municipalities import registry

TILE = 40.0
GAP = 4.0
MARGIN = 2.0

LABEL_SIZE = 10.5  # px, bold: a tile's name (the .kort-navn rule of the stylesheets)
MIN_LABEL_SIZE = 8.5  # a long name is shrunk, but not below this
LABEL_ROOM = TILE - 4  # a label keeps 2 units clear of either edge of its tile

# Advance widths (1/1000 em, rounded up, as Chromium measures them) of DejaVu Sans Bold: it is
# Linux's system-ui and the widest of the fonts the maps ask for (Segoe UI, San Francisco,
# Roboto and Arial are narrower), so a label that fits by this estimate fits on every screen.
# A letter not in the table counts as 1 em.
_BOLD_EM = dict(
    zip(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZÆØÅabcdefghijklmnopqrstuvwxyzæøå.- ",
        (
            774, 763, 734, 830, 684, 684, 821, 837, 373, 373, 775, 638, 995, 837, 850, 733,
            850, 770, 721, 683, 813, 774, 1103, 771, 725, 725, 1085, 850, 774,
            675, 716, 593, 716, 679, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 688, 716,
            716, 494, 596, 478, 712, 652, 924, 645, 652, 583, 1048, 688, 675,
            380, 415, 349,
        ),
        strict=True,
    )
)  # fmt: skip


class GeometryError(ConfigError):
    """The configured map geometry cannot be used; the message names file, feature and field."""


@dataclass(frozen=True, slots=True)
class Shape:
    code: str
    d: str  # SVG path data in the map's coordinates
    label: str  # text on the shape ('' when the shape is too small for one)
    lx: float  # label / tooltip anchor
    ly: float
    primary: bool = True  # False: a second, non-interactive copy (e.g. under a zoom inset)
    clip: int = 0  # 1-based index of the frame that clips this shape, 0 = none
    label_size: float = LABEL_SIZE  # px; smaller than LABEL_SIZE for a long label


def label_width(label: str, size: float = LABEL_SIZE) -> float:
    """A conservative estimate of a bold label's width in map units (see _BOLD_EM)."""
    return sum(_BOLD_EM.get(ch, 1000) for ch in label) / 1000 * size


def label_size(label: str) -> float:
    """The label's font size: LABEL_SIZE, or as much smaller (to 0.1 px) as makes it fit a
    tile; below MIN_LABEL_SIZE it would be unreadable, and parse_tilegrid refuses it."""
    fit = math.floor(LABEL_ROOM / label_width(label, 1.0) * 10) / 10
    return min(LABEL_SIZE, fit)


@dataclass(frozen=True, slots=True)
class Frame:
    """An inset's border and caption (Bornholm, the capital area)."""

    x: float
    y: float
    w: float
    h: float
    caption: str
    clip: bool = False  # shapes inside are clipped to the frame
    marker: bool = False  # only an outline on the main map (where an inset enlarges)


@dataclass(frozen=True, slots=True)
class MapGeometry:
    kind: Literal["tilegrid", "geografisk"]
    width: float
    height: float
    shapes: tuple[Shape, ...]  # primary shapes in reading order (keyboard order)
    frames: tuple[Frame, ...] = ()
    background: tuple[Shape, ...] = ()  # non-interactive copies drawn first
    attribution: str = ""

    def codes(self) -> list[str]:
        return [s.code for s in self.shapes]


def _rounded_square(x: float, y: float, size: float, r: float = 3.0) -> str:
    s = size - 2 * r
    return (
        f"M{x + r:g} {y:g}h{s:g}a{r:g} {r:g} 0 0 1 {r:g} {r:g}v{s:g}"
        f"a{r:g} {r:g} 0 0 1 -{r:g} {r:g}h-{s:g}a{r:g} {r:g} 0 0 1 -{r:g} -{r:g}"
        f"v-{s:g}a{r:g} {r:g} 0 0 1 {r:g} -{r:g}z"
    )


def parse_tilegrid(text: str, source: str = "tilegrid.csv") -> MapGeometry:
    """Read the tile grid; every one of the 98 municipalities must have exactly one free cell."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    reg = registry()
    cells: dict[tuple[int, int], str] = {}
    found: dict[str, tuple[str, int, int]] = {}
    for i, row in enumerate(csv.DictReader(lines, delimiter=";"), start=1):
        where = f"{source}: row {i}"
        try:
            code, label = row["kommunekode"].strip(), row["kort"].strip()
            col, rw = int(row["kolonne"]), int(row["raekke"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise GeometryError(
                f"{where}: needs kommunekode, kort, kolonne, raekke ({exc})"
            ) from exc
        try:
            reg.by_code(code)
        except KeyError as exc:
            raise GeometryError(f"{where}: field 'kommunekode' = {code!r} is unknown") from exc
        if code in found:
            raise GeometryError(f"{where}: municipality {code} has a second tile")
        if not label or label_size(label) < MIN_LABEL_SIZE:
            raise GeometryError(
                f"{where}: field 'kort' = {label!r} is empty or too wide for a tile"
            )
        if (col, rw) in cells or col < 0 or rw < 0:
            raise GeometryError(f"{where}: cell ({col}, {rw}) is taken or invalid")
        cells[(col, rw)] = code
        found[code] = (label, col, rw)
    missing = [m.code for m in reg.municipalities if m.code not in found]
    if missing:
        raise GeometryError(f"{source}: no tile for municipality {', '.join(missing)}")
    step = TILE + GAP
    shapes = []
    # Reading order (row by row, left to right) is the keyboard order.
    for (col, rw), code in sorted(cells.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        x, y = MARGIN + col * step, MARGIN + rw * step
        label = found[code][0]
        shapes.append(
            Shape(
                code,
                _rounded_square(x, y, TILE),
                label,
                x + TILE / 2,
                y + TILE / 2,
                label_size=label_size(label),
            )
        )
    cols = 1 + max(c for c, _ in cells)
    rows = 1 + max(r for _, r in cells)
    return MapGeometry(
        kind="tilegrid",
        width=2 * MARGIN + cols * step - GAP,
        height=2 * MARGIN + rows * step - GAP,
        shapes=tuple(shapes),
    )


@cache
def tilegrid() -> MapGeometry:
    """The bundled tile-grid cartogram."""
    path = resources.files("danmarkskort").joinpath("data", "tilegrid.csv")
    return parse_tilegrid(path.read_text(encoding="utf-8"))

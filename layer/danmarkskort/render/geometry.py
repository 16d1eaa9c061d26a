"""Map geometry: where each municipality is drawn. The built-in default is the project's own
tile-grid cartogram (data/tilegrid.csv: one equal tile each, so Læsø weighs as much as
Aarhus); a configured ``kommuner.geojson`` gives a geographic map instead (render.geojson).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from danmarkskort.config.sources import ConfigError
from danmarkskort.domain.municipalities import registry

TILE = 40.0
GAP = 4.0
MARGIN = 2.0


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
        shapes.append(
            Shape(code, _rounded_square(x, y, TILE), found[code][0], x + TILE / 2, y + TILE / 2)
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

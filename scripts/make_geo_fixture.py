"""Write tests/fixtures/kommuner-mini.geojson: a small synthetic stand-in for the DAGI boundaries.

Not real boundaries. The 98 municipalities (codes and names from the package registry) are the
cells of the bundled tile grid (data/tilegrid.csv) laid over Denmark, so neighbouring cells
share their borders exactly. Every cell edge is cut into several points with small
deterministic wiggles, some above and some below the simplification tolerance, so
render/geojson.py has borders to simplify and must keep them common to both neighbours. The
capital area is shrunk around the capital inset's box (a radial warp), Bornholm is an island
far east, and the fixture holds the cases the real data has: Frederiksberg an enclave in a
hole of København, Lolland a MultiPolygon with an island and an islet too small to keep,
Vordingborg in two features (Møn apart), Læsø an island, and Christiansø (411, not a
municipality) by code and by name. Pure arithmetic and a hash: the same file on every run.

Run after changing it: .venv/bin/python scripts/make_geo_fixture.py  (--check: only compare)
(tests/unit/test_geo.py fails while the committed fixture differs from this script's output.)
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import math
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from danmarkskort.domain.municipalities import registry

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "kommuner-mini.geojson"

Grid = tuple[float, float]  # tile-grid units: column right, row down
LonLat = tuple[float, float]

# Grid → lon/lat: the middle of the capital block (grid 11, 7.5) goes to the middle of the
# capital inset's box (render.geojson.ZOOM_BOX); a column is 0.33° of longitude, a row 0.25°
# of latitude, so the grid spans Jutland to Zealand.
CENTRE_GRID = (11.0, 7.5)
CENTRE = (12.43, 55.685)
DEG_PER_COL, DEG_PER_ROW = 0.33, 0.25
KM_PER_LAT = 111.2
KM_PER_LON = 111.32 * math.cos(math.radians(CENTRE[1]))
# Radial warp around the centre (km): within R0 everything is shrunk by K, so the capital
# municipalities are small and inside the inset; between R0 and R1 it stretches back; beyond R1
# it is unchanged. Monotone in the radius, so no cell folds over another.
K, R0, R1 = 0.22, 75.0, 250.0
SLOPE = (R1 - K * R0) / (R1 - R0)

SEGMENTS = 6  # each cell edge becomes this many segments
WIGGLE_KM = 0.6  # at most this far off the straight edge (the tolerance is 0.22 km) ...
WIGGLE_FRACTION = 0.09  # ... and at most this fraction of the edge's length
DECIMALS = 6  # about 0.1 m

# Cells of the tile grid that are drawn differently (see the docstring).
ENCLAVE, HOST = "147", "101"  # Frederiksberg inside København, which takes its cell
ISLANDS = {"825": ((6.5, 1.5), (0.30, 0.25))}  # Læsø: centre and radii in grid units
BORNHOLM = "400"
LOLLAND, VORDINGBORG = "360", "390"
LOLLAND_ISLAND = ((8.6, 12.45), (0.22, 0.16))
LOLLAND_ISLET = ((8.15, 12.3), (0.02, 0.015))  # well under 2.5 km²: left out of the map
MOEN = ((11.5, 11.5), (0.30, 0.25))
# Frederikshavn: an island that touches the mainland's coast in one point, the corner (6, 0).
TOUCHING, TOUCH_POINT, TOUCHING_SHAPE = "813", (6.0, 0.0), ((6.25, -0.25), (0.2, 0.2))
BORNHOLM_SHAPE = ((14.92, 55.13), (0.28, 0.13))  # lon/lat centre and radii in degrees
CHRISTIANSOE = (15.187, 55.321)


def _unit(*key: object) -> float:
    """A deterministic number in [0, 1) for a key."""
    digest = hashlib.sha256(repr(key).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _km(p: Grid) -> tuple[float, float]:
    """Grid → km east/north of the centre, before the warp."""
    return (
        (p[0] - CENTRE_GRID[0]) * DEG_PER_COL * KM_PER_LON,
        (CENTRE_GRID[1] - p[1]) * DEG_PER_ROW * KM_PER_LAT,
    )


def _warp(x: float, y: float) -> tuple[float, float]:
    r = math.hypot(x, y)
    if r == 0 or r >= R1:
        return x, y
    r2 = K * r if r <= R0 else K * R0 + SLOPE * (r - R0)
    return x * r2 / r, y * r2 / r


def _lonlat(x: float, y: float) -> LonLat:
    lon = CENTRE[0] + x / KM_PER_LON
    lat = CENTRE[1] + y / KM_PER_LAT
    return round(lon, DECIMALS), round(lat, DECIMALS)


def _place(p: Grid) -> tuple[float, float]:
    return _warp(*_km(p))


_EDGES: dict[tuple[Grid, Grid], list[LonLat]] = {}


def _edge(a: Grid, b: Grid) -> list[LonLat]:
    """The points of the cell edge a → b, computed once per edge whichever way it is walked."""
    key = (a, b) if a < b else (b, a)
    points = _EDGES.get(key)
    if points is None:
        (ax, ay), (bx, by) = _place(key[0]), _place(key[1])
        length = math.hypot(bx - ax, by - ay)
        nx, ny = (ay - by) / length, (bx - ax) / length  # unit normal
        amplitude = min(WIGGLE_KM, WIGGLE_FRACTION * length)
        points = [_lonlat(ax, ay)]
        for i in range(1, SEGMENTS):
            t = i / SEGMENTS
            gx = key[0][0] + (key[1][0] - key[0][0]) * t
            gy = key[0][1] + (key[1][1] - key[0][1]) * t
            x, y = _place((gx, gy))
            off = amplitude * (2 * _unit("edge", key, i) - 1)
            points.append(_lonlat(x + nx * off, y + ny * off))
        points.append(_lonlat(bx, by))
        _EDGES[key] = points
    return points if (a, b) == key else points[::-1]


def _outline(cells: list[tuple[int, int]]) -> list[LonLat]:
    """The outer ring of a set of cells (one connected block without holes), closed."""
    directed = set()
    for c, r in cells:
        corners = [(c, r), (c + 1, r), (c + 1, r + 1), (c, r + 1)]
        for i in range(4):
            directed.add((corners[i], corners[(i + 1) % 4]))
    boundary = {e for e in directed if (e[1], e[0]) not in directed}
    following = {a: b for a, b in boundary}
    assert len(following) == len(boundary), "a block that touches itself at a corner"
    start = min(following)
    ring: list[LonLat] = []
    a = start
    while True:
        b = following[a]
        ring.extend(_edge((float(a[0]), float(a[1])), (float(b[0]), float(b[1])))[:-1])
        a = b
        if a == start:
            break
    assert len(ring) == SEGMENTS * len(boundary)
    return [*ring, ring[0]]


def _blob(tag: str, centre: Grid, radii: Grid, n: int = 20, grid: bool = True) -> list[LonLat]:
    """An island-like ring: an ellipse with a wiggled radius, in grid units (warped) or lon/lat."""
    ring = []
    for i in range(n):
        angle = 2 * math.pi * i / n
        f = 1 + 0.12 * (2 * _unit("blob", tag, i) - 1)
        p = (centre[0] + radii[0] * f * math.cos(angle), centre[1] + radii[1] * f * math.sin(angle))
        if grid:
            ring.append(_lonlat(*_place(p)))
        else:
            ring.append((round(p[0], DECIMALS), round(p[1], DECIMALS)))
    return [*ring, ring[0]]


def _touching_island() -> list[LonLat]:
    """A blob beside the coast with the point nearest the coast's corner moved onto it."""
    ring = _blob("touching", *TOUCHING_SHAPE)[:-1]
    corner = _lonlat(*_place(TOUCH_POINT))
    nearest = min(range(len(ring)), key=lambda i: math.dist(ring[i], corner))
    ring[nearest] = corner
    return [*ring, ring[0]]


def _signed_area(ring: list[LonLat]) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring)) / 2


def _oriented(ring: list[LonLat], exterior: bool = True) -> list[list[float]]:
    """RFC 7946: exterior rings counterclockwise, holes clockwise."""
    if (_signed_area(ring) > 0) != exterior:
        ring = ring[::-1]
    return [list(p) for p in ring]


def _feature(props: dict[str, str], kind: str, coordinates: Sequence[object]) -> dict[str, object]:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": kind, "coordinates": coordinates},
    }


def _tilegrid() -> dict[str, tuple[int, int]]:
    text = resources.files("danmarkskort").joinpath("data", "tilegrid.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return {
        row["kommunekode"]: (int(row["kolonne"]), int(row["raekke"]))
        for row in csv.DictReader(lines, delimiter=";")
    }


def _cells() -> dict[str, list[tuple[int, int]]]:
    """The tile-grid cells each municipality is drawn as (islands and the enclave have none)."""
    cell_of = _tilegrid()
    cells: dict[str, list[tuple[int, int]]] = {}
    for m in registry().municipalities:
        if m.code not in (ENCLAVE, BORNHOLM, *ISLANDS):
            cells[m.code] = [cell_of[m.code]]
    cells[HOST].append(cell_of[ENCLAVE])
    return cells


def neighbours() -> set[tuple[str, str]]:
    """The pairs of municipalities (sorted codes) that share a border in the fixture."""
    owner = {cell: code for code, cs in _cells().items() for cell in cs}
    pairs = {(HOST, ENCLAVE) if HOST < ENCLAVE else (ENCLAVE, HOST)}
    for (c, r), code in owner.items():
        for other in (owner.get((c + 1, r)), owner.get((c, r + 1))):
            if other is not None and other != code:
                pairs.add((min(code, other), max(code, other)))
    return pairs


def build() -> str:
    """The fixture's text."""
    _EDGES.clear()
    reg = registry()
    cell_of = _tilegrid()
    cells = _cells()

    def props(code: str) -> dict[str, str]:
        return {"KOMKODE": code.zfill(4), "KOMNAVN": reg.by_code(code).name}

    (hc, hr) = cell_of[ENCLAVE]
    enclave = _blob("enclave", (hc + 0.5, hr + 0.55), (0.30, 0.28), n=16)
    features = []
    extra = []
    for m in reg.municipalities:
        code = m.code
        if code == ENCLAVE:
            features.append(_feature(props(code), "Polygon", [_oriented(enclave)]))
        elif code == BORNHOLM:
            # As in DAGI: positions with a third value, and a point given twice in a row.
            ring = _blob("bornholm", *BORNHOLM_SHAPE, n=28, grid=False)
            ring.insert(5, ring[5])
            bornholm = [[*p, -999.0] for p in _oriented(ring)]
            features.append(_feature(props(code), "Polygon", [bornholm]))
        elif code in ISLANDS:
            ring = _blob(code, *ISLANDS[code])
            features.append(_feature(props(code), "Polygon", [_oriented(ring)]))
        elif code == HOST:
            rings = [_oriented(_outline(cells[code])), _oriented(enclave, exterior=False)]
            features.append(_feature(props(code), "Polygon", rings))
        elif code == LOLLAND:
            parts = [
                _outline(cells[code]),
                _blob("lolland", *LOLLAND_ISLAND, n=14),
                _blob("islet", *LOLLAND_ISLET, n=6),
            ]
            features.append(_feature(props(code), "MultiPolygon", [[_oriented(p)] for p in parts]))
        else:
            features.append(_feature(props(code), "Polygon", [_oriented(_outline(cells[code]))]))
            if code == VORDINGBORG:  # Møn in a feature of its own, as DAGI has it
                extra.append(_feature(props(code), "Polygon", [_oriented(_blob("moen", *MOEN))]))
            if code == TOUCHING:
                extra.append(_feature(props(code), "Polygon", [_oriented(_touching_island())]))
    # Christiansø is not one of the 98: once by code, once by name only.
    lon, lat = CHRISTIANSOE
    tiny = [(lon, lat), (lon + 0.006, lat), (lon + 0.003, lat + 0.004), (lon, lat)]
    extra.append(_feature({"KOMKODE": "0411", "KOMNAVN": "Christiansø"}, "Polygon", [tiny]))
    extra.append(
        _feature({"KOMNAVN": "Christiansø"}, "Polygon", [[[x + 0.01, y] for x, y in tiny]])
    )
    head = {
        "type": "FeatureCollection",
        "name": "kommuner-mini",
        "description": "Synthetic test fixture, not real boundaries: scripts/make_geo_fixture.py",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
    }
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features + extra]
    opening = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    return opening + ',"features":[\n' + ",\n".join(lines) + "\n]}\n"


def main(argv: list[str]) -> int:
    text = build()
    if "--check" in argv:
        same = OUT.is_file() and OUT.read_text(encoding="utf-8") == text
        print(f"{OUT.name}: {'up to date' if same else 'STALE, run without --check'}")
        return 0 if same else 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(text.encode()):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

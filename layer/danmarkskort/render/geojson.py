"""A geographic map from a GeoJSON of municipality boundaries (e.g. DAGI), in pure Python.

Steps: features → municipality by a code property (KOMKODE, 4 or 3 digits) or name; WGS84
lon/lat → UTM zone 32N (ETRS89/WGS84, Krüger series); topology-preserving simplification
(boundaries are cut into arcs at the points where three or more municipalities meet, and each
shared arc is simplified once with Douglas–Peucker, so neighbours keep a common border
without slivers or gaps); tiny islands dropped; all parts of a municipality merged into one
path; Bornholm in an inset; the capital area enlarged in a second inset so Frederiksberg and
Dragør can be found and clicked. Christiansø (411) is not a municipality and is left out.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from danmarkskort.config.loader import decode
from danmarkskort.config.sources import ConfigError
from danmarkskort.domain.municipalities import registry
from danmarkskort.render.geometry import Frame, GeometryError, MapGeometry, Shape

Point = tuple[int, int]  # metres in UTM 32N

CODE_PROPERTIES = ("KOMKODE", "kommunekode", "KOMMUNEKODE", "komkode", "kode", "code")
NAME_PROPERTIES = ("KOMNAVN", "kommune", "navn", "name")
MAX_GEOJSON_BYTES = 25 * 1024 * 1024
MAX_GEOJSON_DEPTH = 12
DEFAULT_ATTRIBUTION = "Kommunegrænser: Geodatastyrelsen (nu Klimadatastyrelsen), DAGI 1:500.000"
BORNHOLM = "400"
# The capital-area inset: a box around Copenhagen in lon/lat (west, south, east, north).
ZOOM_BOX = (12.16, 55.54, 12.70, 55.83)
TOLERANCE_M = 220.0  # Douglas–Peucker tolerance: about a third of a pixel on the main map
MIN_AREA_M2 = 2.5e6  # islands smaller than this are left out (the largest part always stays)
MAIN_WIDTH = 470.0
PAD = 10.0

# --- projection -----------------------------------------------------------------------------

_A = 6378137.0
_F = 1 / 298.257223563
_N = _F / (2 - _F)
_AA = _A / (1 + _N) * (1 + _N**2 / 4 + _N**4 / 64)
_ALPHA = (
    _N / 2 - 2 * _N**2 / 3 + 5 * _N**3 / 16,
    13 * _N**2 / 48 - 3 * _N**3 / 5,
    61 * _N**3 / 240,
)
_E = math.sqrt(_F * (2 - _F))
K0 = 0.9996
LON0 = math.radians(9.0)  # UTM zone 32
FALSE_EASTING = 500000.0


def utm32(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 / ETRS89 lon/lat in degrees → UTM zone 32N easting, northing in metres."""
    phi = math.radians(lat)
    dlam = math.radians(lon) - LON0
    t = math.sinh(math.atanh(math.sin(phi)) - _E * math.atanh(_E * math.sin(phi)))
    xi = math.atan2(t, math.cos(dlam))
    eta = math.atanh(math.sin(dlam) / math.sqrt(1 + t * t))
    e, n = eta, xi
    for j, a in enumerate(_ALPHA, start=1):
        e += a * math.cos(2 * j * xi) * math.sinh(2 * j * eta)
        n += a * math.sin(2 * j * xi) * math.cosh(2 * j * eta)
    return FALSE_EASTING + K0 * _AA * e, K0 * _AA * n


# --- reading --------------------------------------------------------------------------------


@dataclass
class _Municipality:
    code: str
    polygons: list[list[list[Point]]]  # polygon → rings (first exterior) → points


def _read(data: bytes, source: str) -> tuple[dict[str, _Municipality], str]:
    try:
        # The config loader's strict JSON (size, depth, duplicate keys, lone surrogates),
        # with limits for boundaries: DAGI's 1:500.000 file has 2 MB and nests 7 levels.
        doc = decode(data, source, max_bytes=MAX_GEOJSON_BYTES, max_depth=MAX_GEOJSON_DEPTH)
    except ConfigError as exc:
        raise GeometryError(str(exc)) from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise GeometryError(f"{source}: must be a GeoJSON FeatureCollection")
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        raise GeometryError(f"{source}: holds no features")
    reg = registry()
    found: dict[str, _Municipality] = {}
    cache: dict[tuple[float, float], Point] = {}
    for i, feature in enumerate(features):
        where = f"{source}: features[{i}]"
        props = feature.get("properties") or {} if isinstance(feature, dict) else {}
        field = next((p for p in CODE_PROPERTIES if props.get(p) not in (None, "")), None)
        field = field or next((p for p in NAME_PROPERTIES if props.get(p)), None)
        if field is None:
            raise GeometryError(
                f"{where}: no municipality property (one of {', '.join(CODE_PROPERTIES)})"
            )
        hit = reg.resolve(props[field])
        if hit.kind == "excluded":
            continue  # Christiansø and other non-municipal areas
        if hit.kind != "municipality" or hit.municipality is None:
            raise GeometryError(
                f"{where}: property '{field}' = {props[field]!r} is not a municipality"
            )
        geometry = feature.get("geometry") or {}
        kind = geometry.get("type")
        coords: Any = geometry.get("coordinates")  # raw JSON, checked by _ring below
        if kind == "Polygon":
            polygons = [coords]
        elif kind == "MultiPolygon":
            polygons = coords
        else:
            raise GeometryError(f"{where}: geometry type {kind!r} is not Polygon/MultiPolygon")
        m = found.setdefault(hit.municipality.code, _Municipality(hit.municipality.code, []))
        try:
            for polygon in polygons:
                m.polygons.append([_ring(ring, cache) for ring in polygon])
        except (TypeError, ValueError, IndexError) as exc:
            raise GeometryError(f"{where}: bad coordinates ({exc})") from exc
    missing = [m.code for m in reg.municipalities if m.code not in found]
    if missing:
        raise GeometryError(f"{source}: no boundary for municipality {', '.join(missing)}")
    attribution = doc.get("attribution") or doc.get("kilde") or DEFAULT_ATTRIBUTION
    return found, str(attribution)


def _ring(raw: list[Any], cache: dict[tuple[float, float], Point]) -> list[Point]:
    out: list[Point] = []
    for pos in raw:
        lon, lat = float(pos[0]), float(pos[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError(f"{lon}, {lat} is not longitude/latitude (CRS84)")
        key = (lon, lat)
        p = cache.get(key)
        if p is None:
            e, n = utm32(lon, lat)
            p = cache[key] = (round(e), round(n))
        if not out or out[-1] != p:
            out.append(p)
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    if len(out) < 3:
        raise ValueError("a ring needs at least three distinct points")
    return out


# --- simplification -------------------------------------------------------------------------


def _douglas_peucker(points: list[Point], tolerance: float) -> list[Point]:
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    tol2 = tolerance * tolerance
    while stack:
        a, b = stack.pop()
        if b <= a + 1:
            continue
        ax, ay = points[a]
        bx, by = points[b]
        dx, dy = bx - ax, by - ay
        seg2 = dx * dx + dy * dy
        worst, worst_d = -1, tol2
        d: float  # squared distance: an int between points, a float from a segment
        for i in range(a + 1, b):
            px, py = points[i]
            if seg2 == 0:
                d = (px - ax) ** 2 + (py - ay) ** 2
            else:
                cross = dx * (py - ay) - dy * (px - ax)
                d = cross * cross / seg2
            if d > worst_d:
                worst, worst_d = i, d
        if worst >= 0:
            keep[worst] = True
            stack.append((a, worst))
            stack.append((worst, b))
    return [p for p, k in zip(points, keep, strict=True) if k]


class _Simplifier:
    """Simplifies rings arc by arc, so a border shared by two rings is simplified once."""

    def __init__(self, rings: list[list[Point]], tolerance: float) -> None:
        self.tolerance = tolerance
        neighbours: dict[Point, set[Point]] = defaultdict(set)
        for ring in rings:
            n = len(ring)
            for i, p in enumerate(ring):
                neighbours[p].add(ring[i - 1])
                neighbours[p].add(ring[(i + 1) % n])
        self.junctions = {p for p, ns in neighbours.items() if len(ns) > 2}
        self.arcs: dict[tuple[Point, ...], list[Point]] = {}

    def _arc(self, arc: list[Point]) -> list[Point]:
        forward = arc[0] < arc[-1] or (arc[0] == arc[-1] and arc[1] <= arc[-2])
        key = tuple(arc) if forward else tuple(reversed(arc))
        done = self.arcs.get(key)
        if done is None:
            done = self.arcs[key] = _douglas_peucker(list(key), self.tolerance)
        return done if forward else done[::-1]

    def ring(self, ring: list[Point]) -> list[Point]:
        cuts = [i for i, p in enumerate(ring) if p in self.junctions]
        if not cuts:
            # A closed loop nobody else shares a junction with (an island, an enclave):
            # start at its smallest point and split in two, the same way from either side.
            start = ring.index(min(ring))
            rotated = ring[start:] + ring[:start]
            if rotated[1] > rotated[-1]:
                rotated = [rotated[0], *reversed(rotated[1:])]
            half = len(rotated) // 2
            first = self._arc(rotated[: half + 1])
            second = self._arc([*rotated[half:], rotated[0]])
            return first[:-1] + second[:-1]
        start = cuts[0]
        rotated = ring[start:] + ring[:start]
        cuts = [i - start if i >= start else i - start + len(ring) for i in cuts]
        cuts.append(len(ring))
        rotated.append(rotated[0])
        out: list[Point] = []
        for a, b in itertools.pairwise(cuts):
            out.extend(self._arc(rotated[a : b + 1])[:-1])
        return out


def _area(ring: list[Point]) -> float:
    s = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        s += x1 * y2 - x2 * y1
    return s / 2


def _centroid(ring: list[Point]) -> tuple[float, float]:
    a = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x1 * y2 - x2 * y1
        a += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if a == 0:
        return float(ring[0][0]), float(ring[0][1])
    return cx / (3 * a), cy / (3 * a)


# --- layout ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _View:
    """Metres → pixels for one frame: the main map or an inset."""

    min_e: float
    max_n: float
    scale: float
    x0: float
    y0: float

    def xy(self, p: tuple[float, float]) -> tuple[float, float]:
        return self.x0 + (p[0] - self.min_e) * self.scale, self.y0 + (
            self.max_n - p[1]
        ) * self.scale


def _path(rings: list[list[Point]], view: _View) -> str:
    """Compact path data: relative moves in tenths of a pixel, rounded without drift."""
    parts = []
    for ring in rings:
        tenths: list[tuple[int, int]] = []
        for p in ring:
            x, y = view.xy(p)
            q = (round(x * 10), round(y * 10))
            if not tenths or q != tenths[-1]:
                tenths.append(q)
        if len(tenths) < 3:
            continue
        x0, y0 = tenths[0]
        steps = [f"M{_t(x0)} {_t(y0)}l"]
        px, py = x0, y0
        deltas = []
        for x, y in tenths[1:]:
            deltas.append(f"{_t(x - px)} {_t(y - py)}")
            px, py = x, y
        parts.append(steps[0] + " ".join(deltas) + "z")
    return "".join(parts)


def _t(tenths: int) -> str:
    """Tenths of a pixel as the shortest decimal text: 15 → '1.5', -3 → '-.3', 20 → '2'."""
    sign = "-" if tenths < 0 else ""
    whole, frac = divmod(abs(tenths), 10)
    if frac == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole if whole else ''}.{frac}"


def _bbox(rings: list[list[Point]]) -> tuple[float, float, float, float]:
    xs = [p[0] for r in rings for p in r]
    ys = [p[1] for r in rings for p in r]
    return min(xs), min(ys), max(xs), max(ys)


_CACHE: dict[str, MapGeometry] = {}


def geometry_from_geojson(data: bytes, source: str = "kommuner.geojson") -> MapGeometry:
    """The geographic map; the same bytes give the same geometry (cached per process)."""
    digest = hashlib.sha256(data).hexdigest()
    if digest not in _CACHE:
        _CACHE[digest] = _build(data, source)
    return _CACHE[digest]


def _build(data: bytes, source: str) -> MapGeometry:
    found, attribution = _read(data, source)
    all_rings = [ring for m in found.values() for poly in m.polygons for ring in poly]
    simplifier = _Simplifier(all_rings, TOLERANCE_M)
    rings_by_code: dict[str, list[list[Point]]] = {}
    anchor: dict[str, tuple[float, float]] = {}
    for code, m in found.items():
        kept: list[list[Point]] = []
        largest: list[Point] | None = None
        largest_area = -1.0
        for poly in m.polygons:
            for k, ring in enumerate(poly):
                area = abs(_area(ring))
                if k == 0 and area > largest_area:
                    largest, largest_area = ring, area
                if area < MIN_AREA_M2:
                    continue
                simple = simplifier.ring(ring)
                if len(simple) >= 3:
                    kept.append(simple)
        if largest is None:  # a Polygon without rings, or a MultiPolygon without polygons
            raise GeometryError(f"{source}: municipality {code} has no outer ring")
        if not kept:  # a municipality of only small islets: keep its largest as it is
            kept.append(largest)
        rings_by_code[code] = kept
        anchor[code] = _centroid(largest)

    main_rings = [r for code, rs in rings_by_code.items() if code != BORNHOLM for r in rs]
    min_e, min_n, max_e, max_n = _bbox(main_rings)
    scale = MAIN_WIDTH / (max_e - min_e)
    main = _View(min_e, max_n, scale, PAD, PAD)
    main_h = (max_n - min_n) * scale

    # Capital-area inset, four times the main scale, to the right of Zealand.
    zw, zs = utm32(ZOOM_BOX[0], ZOOM_BOX[1])
    ze, zn = utm32(ZOOM_BOX[2], ZOOM_BOX[3])
    zoom_scale = scale * 3.4
    zoom_w, zoom_h = (ze - zw) * zoom_scale, (zn - zs) * zoom_scale
    zoom_x, zoom_y = PAD + MAIN_WIDTH + 24, PAD + main_h * 0.22
    zoom = _View(zw, zn, zoom_scale, zoom_x, zoom_y)

    # Bornholm inset, at the main scale, below the capital inset.
    b_e0, b_n0, b_e1, b_n1 = _bbox(rings_by_code[BORNHOLM])
    b_w, b_h = (b_e1 - b_e0) * scale, (b_n1 - b_n0) * scale
    frame_pad = 10.0
    born_x = zoom_x
    born_y = zoom_y + zoom_h + 36
    born = _View(b_e0, b_n1, scale, born_x + frame_pad, born_y + frame_pad)

    def in_zoom(code: str) -> bool:
        e, n = anchor[code]
        return zw <= e <= ze and zs <= n <= zn

    def touches_zoom(code: str) -> bool:
        e0, n0, e1, n1 = _bbox(rings_by_code[code])
        return e0 < ze and e1 > zw and n0 < zn and n1 > zs

    primary: list[Shape] = []
    background: list[Shape] = []
    order = sorted(rings_by_code, key=lambda c: (-anchor[c][1], anchor[c][0]))
    for code in order:
        rings = rings_by_code[code]
        view = born if code == BORNHOLM else main
        lx, ly = view.xy(anchor[code])
        shape = Shape(code, _path(rings, view), "", round(lx, 1), round(ly, 1))
        if code != BORNHOLM and in_zoom(code):
            background.append(Shape(code, shape.d, "", shape.lx, shape.ly, primary=False))
        else:
            primary.append(shape)
    zoom_shapes: list[Shape] = []
    for code in order:
        if code == BORNHOLM or not touches_zoom(code):
            continue
        zx, zy = zoom.xy(anchor[code])
        s = Shape(
            code,
            _path(rings_by_code[code], zoom),
            "",
            round(zx, 1),
            round(zy, 1),
            primary=in_zoom(code),
            clip=2,
        )
        (zoom_shapes if s.primary else background).append(s)
    # Mark the enlarged area on the main map.
    mx0, my0 = main.xy((zw, zn))
    mx1, my1 = main.xy((ze, zs))
    frames = (
        Frame(mx0, my0, mx1 - mx0, my1 - my0, "", clip=False, marker=True),
        Frame(zoom_x, zoom_y, zoom_w, zoom_h, "Hovedstadsområdet", clip=True),
        Frame(born_x, born_y, b_w + 2 * frame_pad, b_h + 2 * frame_pad, "Bornholm"),
    )
    width = zoom_x + max(zoom_w, b_w + 2 * frame_pad) + PAD
    height = max(PAD + main_h, born_y + b_h + 2 * frame_pad) + PAD
    return MapGeometry(
        kind="geografisk",
        width=round(width, 1),
        height=round(height, 1),
        shapes=tuple(primary + zoom_shapes),
        frames=frames,
        background=tuple(background),
        attribution=attribution,
    )

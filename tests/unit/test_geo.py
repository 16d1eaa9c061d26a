"""The geographic map: projection, topology-preserving simplification, insets, bad GeoJSON.

Most tests run on tests/fixtures/kommuner-mini.geojson, a small synthetic GeoJSON of the 98
municipalities (written by scripts/make_geo_fixture.py), so a fresh clone tests the map. Tests
marked ``dagi`` check figures of the real DAGI boundaries in ../shared/geo and are skipped,
loudly, without them.
"""

from __future__ import annotations

import copy
import importlib.util
import itertools
import json
import math
import re
from collections import defaultdict
from types import ModuleType
from typing import Any

import pytest
from danmarkskort.domain.municipalities import registry
from danmarkskort.render import geojson as geojson_module
from danmarkskort.render.geojson import (
    _A,
    _F,
    K0,
    MIN_AREA_M2,
    _area,
    _build,
    _ring,
    _Simplifier,
    geometry_from_geojson,
    utm32,
)
from danmarkskort.render.geometry import GeometryError, MapGeometry, Shape

from tests.conftest import REPO, fixture_path, shared_path

E2 = _F * (2 - _F)


def meridian_arc(lat: float, steps: int = 2000) -> float:
    """Independent check: the meridian arc by Simpson integration of the radius of curvature."""
    phi = math.radians(lat)
    h = phi / steps

    def m(p: float) -> float:
        return _A * (1 - E2) / (1 - E2 * math.sin(p) ** 2) ** 1.5

    s = m(0) + m(phi) + sum((4 if i % 2 else 2) * m(i * h) for i in range(1, steps))
    return s * h / 3


def test_utm32_on_the_central_meridian_is_the_scaled_meridian_arc() -> None:
    assert utm32(9.0, 0.0) == pytest.approx((500000.0, 0.0), abs=1e-6)
    for lat in (54.5, 56.0, 57.75):
        e, n = utm32(9.0, lat)
        assert e == pytest.approx(500000.0, abs=1e-6)
        assert n == pytest.approx(K0 * meridian_arc(lat), abs=0.01)


def test_utm32_is_symmetric_and_conformal_off_the_meridian() -> None:
    e1, n1 = utm32(12.0, 55.7)
    e2, n2 = utm32(6.0, 55.7)
    assert e1 - 500000 == pytest.approx(500000 - e2, abs=1e-6)
    assert n1 == pytest.approx(n2, abs=1e-6)
    # Local scale east and north must agree (conformal) and match the TM scale factor.
    lat, lon, d = 55.7, 12.5, 1e-5
    phi = math.radians(lat)
    nu = _A / math.sqrt(1 - E2 * math.sin(phi) ** 2)
    rho = _A * (1 - E2) / (1 - E2 * math.sin(phi) ** 2) ** 1.5
    e0, n0 = utm32(lon, lat)
    ee, ne = utm32(lon + d, lat)
    en, nn = utm32(lon, lat + d)
    k_east = math.hypot(ee - e0, ne - n0) / (nu * math.cos(phi) * math.radians(d))
    k_north = math.hypot(en - e0, nn - n0) / (rho * math.radians(d))
    assert k_east == pytest.approx(k_north, rel=1e-5)
    ep2 = E2 / (1 - E2)
    x = math.radians(lon - 9) * math.cos(phi)
    approx = K0 * (1 + (1 + ep2 * math.cos(phi) ** 2) * x * x / 2)
    assert k_east == pytest.approx(approx, rel=1e-5)


def test_shared_border_is_simplified_once_and_identically() -> None:
    wiggle = [(100, i * 10 + (3 if i % 2 else -3)) for i in range(1, 30)]
    left = [(0, 0), (100, 0), *wiggle, (100, 300), (0, 300)]
    right = [(100, 0), (200, 0), (200, 300), (100, 300), *reversed(wiggle)]
    s = _Simplifier([left, right], tolerance=5.0)
    a, b = s.ring(left), s.ring(right)
    border_a = {p for p in a if p[0] == 100}
    border_b = {p for p in b if p[0] == 100}
    assert border_a == border_b
    assert len(border_a) < len(wiggle)  # it did simplify
    assert (100, 0) in border_a and (100, 300) in border_a  # junctions are kept


def test_enclave_ring_matches_its_hole() -> None:
    hole = [(10, 10), (12, 40), (10, 70), (40, 72), (70, 70), (72, 40), (70, 10), (40, 8)]
    outer = [(0, 0), (100, 0), (100, 100), (0, 100)]
    s = _Simplifier([outer, hole, list(reversed(hole))], tolerance=3.0)
    assert set(s.ring(hole)) == set(s.ring(list(reversed(hole))))


# --- the map, on the synthetic fixture and (marked dagi) on the real DAGI boundaries ---------

MINI = "kommuner-mini.geojson"
Tenths = tuple[int, int]  # a point of a path, in tenths of a pixel


def rings_of(d: str) -> list[list[Tenths]]:
    """Path data ('M x y l dx dy … z' per ring) decoded into absolute points."""
    rings = []
    for sub in re.findall(r"M([-\d.]+) ([-\d.]+)l([^Mz]*)z", d):
        x, y = round(float(sub[0]) * 10), round(float(sub[1]) * 10)
        ring = [(x, y)]
        nums = [round(float(v) * 10) for v in sub[2].split()]
        for dx, dy in zip(nums[::2], nums[1::2], strict=True):
            x, y = x + dx, y + dy
            ring.append((x, y))
        if ring[-1] == ring[0]:
            ring.pop()
        rings.append(ring)
    assert len(rings) == d.count("M"), d[:80]
    return rings


def extent(d: str) -> float:
    """The larger side of a path's bounding box, in pixels."""
    points = [p for ring in rings_of(d) for p in ring]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return max(max(xs) - min(xs), max(ys) - min(ys)) / 10


def main_map(geo: MapGeometry) -> dict[str, Shape]:
    """Each municipality as drawn on the main map (Bornholm, in its own inset, left out)."""
    drawn = {s.code: s for s in (*geo.background, *geo.shapes) if not s.clip}
    drawn.pop("400")
    return drawn


def zoom_map(geo: MapGeometry) -> dict[str, Shape]:
    """Each municipality as drawn in the capital-area inset."""
    return {s.code: s for s in (*geo.background, *geo.shapes) if s.clip}


def _runs(ring: list[Tenths], common: set[Tenths]) -> list[tuple[list[Tenths], bool]]:
    """The stretches of a ring made of common points; True when it is the whole ring."""
    if all(p in common for p in ring):
        return [(ring, True)]
    k = next(i for i, p in enumerate(ring) if p not in common)
    runs, run = [], []
    for p in ring[k:] + ring[:k]:
        if p in common:
            run.append(p)
        elif run:
            runs.append((run, False))
            run = []
    if run:
        runs.append((run, False))
    return runs


def _same_border(a: tuple[list[Tenths], bool], b: tuple[list[Tenths], bool]) -> bool:
    (ra, loop_a), (rb, loop_b) = a, b
    if loop_a or loop_b:  # an enclave: the same loop, from any start, either way round
        return (
            loop_a
            and loop_b
            and len(ra) == len(rb)
            and any(r[i:] + r[:i] == rb for r in (ra, ra[::-1]) for i in range(len(r)))
        )
    return ra in (rb, rb[::-1])


def borders(view: dict[str, Shape]) -> dict[tuple[str, str], list[Tenths]]:
    """The border of every two municipalities that share one, asserting it is drawn once: the
    points they have in common form one stretch of each ring, the same in both."""
    rings = {code: rings_of(s.d) for code, s in view.items()}
    owners: dict[Tenths, set[str]] = defaultdict(set)
    for code, rs in rings.items():
        for ring in rs:
            for p in ring:
                owners[p].add(code)
    pairs = {pair for cs in owners.values() for pair in itertools.combinations(sorted(cs), 2)}
    found = {}
    for a, b in sorted(pairs):
        common = {p for r in rings[a] for p in r} & {p for r in rings[b] for p in r}
        if len(common) < 2:
            continue  # they touch in a corner
        runs_a = [run for r in rings[a] for run in _runs(r, common)]
        runs_b = [run for r in rings[b] for run in _runs(r, common)]
        assert len(runs_a) == len(runs_b) == 1, f"{a}/{b}: the border is broken"
        assert _same_border(runs_a[0], runs_b[0]), f"{a}/{b}: the border differs"
        found[(a, b)] = runs_a[0][0]
    return found


@pytest.fixture(scope="module")
def mini_bytes() -> bytes:
    return fixture_path(MINI).read_bytes()


@pytest.fixture(scope="module")
def mini(mini_bytes: bytes) -> MapGeometry:
    return geometry_from_geojson(mini_bytes)


@pytest.fixture
def mini_doc(mini_bytes: bytes) -> dict[str, Any]:
    """The fixture as JSON, fresh for each test to change."""
    return json.loads(mini_bytes)


@pytest.fixture(scope="module")
def dagi() -> MapGeometry:
    return geometry_from_geojson(shared_path("geo", "kommuner.geojson").read_bytes())


@pytest.fixture(scope="module", params=["mini", pytest.param("dagi", marks=pytest.mark.dagi)])
def geo(request: pytest.FixtureRequest) -> MapGeometry:
    """The map from the fixture and, when ../shared is there, from the real boundaries."""
    return request.getfixturevalue(request.param)


def _features(doc: dict[str, Any], komkode: str) -> list[dict[str, Any]]:
    return [f for f in doc["features"] if f["properties"].get("KOMKODE") == komkode]


@pytest.fixture(scope="module")
def script() -> ModuleType:
    """scripts/make_geo_fixture.py, which wrote the fixture."""
    spec = importlib.util.spec_from_file_location(
        "make_geo_fixture", REPO / "scripts" / "make_geo_fixture.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_fixture_is_what_its_script_writes(script: ModuleType, mini_bytes: bytes) -> None:
    hint = "run .venv/bin/python scripts/make_geo_fixture.py and commit tests/fixtures/"
    assert script.build().encode() == mini_bytes, f"{MINI} is stale: {hint}"
    assert len(mini_bytes) < 200_000


def test_gives_98_merged_municipalities_without_christiansoe(geo: MapGeometry) -> None:
    codes = geo.codes()
    assert len(codes) == 98 and set(codes) == {m.code for m in registry().municipalities}
    assert "411" not in codes
    assert not any(s.code == "411" for s in geo.background)
    lolland = next(s for s in geo.shapes if s.code == "360")
    assert lolland.d.count("M") > 1  # several islands merged into one path
    assert geo.kind == "geografisk"
    assert "Geodatastyrelsen" in geo.attribution


def test_parts_are_merged_and_islets_left_out(mini: MapGeometry, mini_doc: dict) -> None:
    # What the fixture holds, as DAGI does: Christiansø by code and by name, a MultiPolygon
    # with an island and an islet, municipalities in two features, an enclave in a hole.
    names = [f["properties"].get("KOMNAVN") for f in mini_doc["features"]]
    assert names.count("Christiansø") == 2 and len(_features(mini_doc, "0411")) == 1
    (lolland,) = _features(mini_doc, "0360")
    assert lolland["geometry"]["type"] == "MultiPolygon"
    areas = [abs(_area(_ring(p[0], {}))) for p in lolland["geometry"]["coordinates"]]
    assert len(areas) == 3 and sorted(areas)[0] < MIN_AREA_M2 <= sorted(areas)[1]
    assert len(_features(mini_doc, "0390")) == len(_features(mini_doc, "0813")) == 2
    (kbh,) = _features(mini_doc, "0101")
    assert len(kbh["geometry"]["coordinates"]) == 2  # the outer ring and a hole

    drawn = {code: len(rings_of(s.d)) for code, s in main_map(mini).items()}
    assert drawn.pop("360") == 2  # Lolland and its island; the islet is left out
    assert drawn.pop("390") == 2  # Vordingborg's two features (Møn) in one path
    assert drawn.pop("813") == 2  # with an island that touches the coast in one point
    assert drawn.pop("101") == 2  # København round the hole where Frederiksberg is
    assert set(drawn.values()) == {1}


@pytest.mark.parametrize("view", [main_map, zoom_map], ids=["main", "zoom"])
def test_shared_borders_are_identical_in_both_neighbours(
    mini: MapGeometry, script: ModuleType, view
) -> None:
    shapes = view(mini)
    found = borders(shapes)  # asserts each is one stretch, the same in both neighbours
    # No border is lost: every pair of neighbouring cells of the fixture has one.
    assert set(found) == {(a, b) for a, b in script.neighbours() if a in shapes and b in shapes}
    assert len(found) > (150 if view is main_map else 50)
    assert ("101", "147") in found  # the enclave, all round
    # Wiggles larger than the tolerance survive simplification, identically in both.
    assert sum(len(run) > 2 for run in found.values()) > 0.9 * len(found)


def test_borders_are_simplified(mini: MapGeometry, mini_doc: dict) -> None:
    given = 0
    for f in mini_doc["features"]:
        g = f["geometry"]
        for polygon in [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]:
            given += sum(len(ring) - 1 for ring in polygon)
    drawn = sum(
        len(r) for s in (*mini.shapes, *mini.background) if not s.clip for r in rings_of(s.d)
    )
    assert drawn < 0.75 * given


def test_bornholm_is_in_an_inset_and_the_capital_enlarged(geo: MapGeometry) -> None:
    captions = [f.caption for f in geo.frames]
    assert "Bornholm" in captions and "Hovedstadsområdet" in captions
    born_frame = next(f for f in geo.frames if f.caption == "Bornholm")
    bornholm = next(s for s in geo.shapes if s.code == "400")
    assert born_frame.x <= bornholm.lx <= born_frame.x + born_frame.w
    assert born_frame.y <= bornholm.ly <= born_frame.y + born_frame.h
    zoom = next(f for f in geo.frames if f.caption == "Hovedstadsområdet")
    for code in ("147", "155", "101", "185"):
        primary = next(s for s in geo.shapes if s.code == code)
        assert primary.clip, code  # the clickable shape is the enlarged one
        assert zoom.x <= primary.lx <= zoom.x + zoom.w
        assert any(b.code == code and not b.clip for b in geo.background)  # main-map copy
    for shape in geo.shapes:  # everything else lies inside the drawing
        assert 0 <= shape.lx <= geo.width and 0 <= shape.ly <= geo.height


def test_inset_details(mini: MapGeometry) -> None:
    born = next(f for f in mini.frames if f.caption == "Bornholm")
    (bornholm,) = [s for s in (*mini.shapes, *mini.background) if s.code == "400"]
    for x, y in (p for ring in rings_of(bornholm.d) for p in ring):  # all of it in the inset
        assert born.x <= x / 10 <= born.x + born.w and born.y <= y / 10 <= born.y + born.h
    zoom = next(f for f in mini.frames if f.caption == "Hovedstadsområdet")
    marker = next(f for f in mini.frames if f.marker)
    assert marker.x + marker.w < zoom.x  # the enlarged area is marked on the main map
    assert zoom.w / marker.w == pytest.approx(3.4) == zoom.h / marker.h
    enlarged = {s.code for s in mini.shapes if s.clip}
    assert enlarged == {s.code for s in mini.background if not s.clip}  # each with its copy
    touching = {s.code for s in mini.background if s.clip}  # cut by the inset's edge
    assert touching and not touching & enlarged
    assert all(s.primary and not s.clip for s in mini.shapes if s.code in touching)
    main, inset = main_map(mini)["185"], zoom_map(mini)["185"]
    assert extent(inset.d) / extent(main.d) == pytest.approx(3.4, rel=0.05)


def test_names_multipolygons_and_other_code_forms_are_accepted(
    mini: MapGeometry, mini_doc: dict
) -> None:
    reg = registry()
    by_name = copy.deepcopy(mini_doc)  # names only, every Polygon as a MultiPolygon
    for f in by_name["features"]:
        code, name = f["properties"].get("KOMKODE", "").lstrip("0"), f["properties"]["KOMNAVN"]
        if code not in ("", "411"):  # Christiansø stays as it is
            name = reg.by_code(code).name + " Kommune"
        f["properties"] = {"KOMNAVN": name}
        if f["geometry"]["type"] == "Polygon":
            f["geometry"] = {"type": "MultiPolygon", "coordinates": [f["geometry"]["coordinates"]]}
    g = geometry_from_geojson(json.dumps(by_name).encode())
    assert len(g.shapes) == 98
    assert g == mini  # the same map, however the municipalities are named
    by_code = copy.deepcopy(mini_doc)  # the fixture has 4-digit KOMKODE; here numbers
    for f in by_code["features"]:
        if "KOMKODE" in f["properties"]:
            f["properties"] = {"kommunekode": int(f["properties"]["KOMKODE"])}
    g = geometry_from_geojson(json.dumps(by_code).encode())
    assert len(g.shapes) == 98 and g.attribution  # a default attribution is always given
    assert g == mini


@pytest.mark.parametrize("key", ["attribution", "kilde"])
def test_the_file_may_name_its_source(mini_doc: dict, key: str) -> None:
    mini_doc[key] = "Kommunegrænser: en testkilde"
    g = geometry_from_geojson(json.dumps(mini_doc).encode())
    assert g.attribution == "Kommunegrænser: en testkilde"


def test_a_municipality_of_only_islets_keeps_its_largest(mini_doc: dict) -> None:
    def box(lon: float, lat: float, size: float) -> list[list[list[float]]]:
        return [[[lon, lat], [lon + size, lat], [lon + size, lat + size / 2], [lon, lat]]]

    islets = [box(11.0, 57.3, 0.01), box(11.05, 57.3, 0.025)]
    assert all(abs(_area(_ring(p[0], {}))) < MIN_AREA_M2 for p in islets)
    (laesoe,) = _features(mini_doc, "0825")
    laesoe["geometry"] = {"type": "MultiPolygon", "coordinates": islets}
    g = geometry_from_geojson(json.dumps(mini_doc).encode())
    (ring,) = rings_of(main_map(g)["825"].d)  # the larger islet, not simplified away
    assert len(ring) == 3


def test_the_same_bytes_give_the_same_geometry(mini_bytes: bytes, mini: MapGeometry) -> None:
    assert geometry_from_geojson(mini_bytes) is mini  # cached per process
    assert _build(mini_bytes, "kommuner.geojson") == mini  # and built again, the same


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(type="Feature"), "must be a GeoJSON FeatureCollection"),
        (lambda d: d.update(features=[]), "holds no features"),
        (
            lambda d: d["features"][3]["properties"].update(KOMKODE="0999"),
            "features[3]: property 'KOMKODE' = '0999' is not a municipality",
        ),
        (lambda d: d["features"][5].update(properties={}), "features[5]: no municipality property"),
        (lambda d: d["features"].pop(0), "no boundary for municipality 101"),
        (  # a region is skipped, like Christiansø, and then the municipality is missing
            lambda d: d["features"][4].update(properties={"KOMNAVN": "Region Hovedstaden"}),
            "no boundary for municipality 155",
        ),
        (
            lambda d: d["features"][2]["geometry"].update(type="LineString"),
            "features[2]: geometry type 'LineString'",
        ),
        (
            lambda d: d["features"][1]["geometry"].update(coordinates=[[[700000, 6100000]] * 4]),
            "features[1]: bad coordinates (700000.0, 6100000.0 is not longitude/latitude",
        ),
        (
            lambda d: d["features"][1]["geometry"].update(
                coordinates=[[[12.5, 55.7], [12.6, 55.7], [12.5, 55.7]]]
            ),
            "features[1]: bad coordinates (a ring needs at least three distinct points)",
        ),
        (
            lambda d: d["features"][1]["geometry"].update(coordinates=[[12.5, 55.7]]),
            "features[1]: bad coordinates",
        ),
    ],
)
def test_bad_geojson_names_the_feature_and_field(mini_doc: dict, mutate, message) -> None:
    mutate(mini_doc)
    with pytest.raises(GeometryError) as err:
        geometry_from_geojson(json.dumps(mini_doc).encode())
    assert message in str(err.value)
    assert "kommuner.geojson" in str(err.value)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"{", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"\xff\x00", "not UTF-8 text"),
        (b"[" * 100_000 + b"]" * 100_000, "nested more than 12 levels deep"),
        (b'{"type": "FeatureCollection", "type": "x"}', "duplicate key 'type'"),
        (b'{"type": "FeatureCollection", "name": "\\ud800"}', "lone surrogate"),
    ],
)
def test_a_file_that_is_not_strict_json_is_refused(data: bytes, says: str) -> None:
    with pytest.raises(GeometryError, match=rf"kommuner\.geojson: .*{re.escape(says)}"):
        geometry_from_geojson(data)


def test_a_file_over_the_size_limit_is_refused_unread(monkeypatch) -> None:
    monkeypatch.setattr(geojson_module, "MAX_GEOJSON_BYTES", 1000)
    with pytest.raises(GeometryError, match="more than the limit of 1,000"):
        geometry_from_geojson(b" " * 1001)


@pytest.mark.dagi
def test_dagi_is_simplified_to_a_sensible_size(dagi: MapGeometry) -> None:
    size = sum(len(s.d) for s in (*dagi.shapes, *dagi.background))
    assert size < 150_000  # the 2.1 MB source, simplified for a 700-pixel map


@pytest.mark.dagi
def test_small_municipalities_are_big_enough_to_find(dagi: MapGeometry) -> None:
    """Læsø, Samsø, Ærø, Fanø on the main map, Dragør and Frederiksberg in the inset."""
    shapes = {s.code: s for s in dagi.shapes}
    for code in ("825", "741", "492", "563", "155", "147"):
        assert extent(shapes[code].d) >= 8, code  # pixels: hoverable and clickable

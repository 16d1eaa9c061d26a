"""The geographic map: projection, topology-preserving simplification, insets, bad GeoJSON."""

from __future__ import annotations

import json
import math

import pytest
from danmarkskort.domain.municipalities import registry
from danmarkskort.render.geojson import (
    _A,
    _F,
    K0,
    _Simplifier,
    geometry_from_geojson,
    utm32,
)
from danmarkskort.render.geometry import GeometryError, tilegrid

from tests.conftest import shared_path

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


@pytest.fixture(scope="module")
def dagi():
    return geometry_from_geojson(shared_path("geo", "kommuner.geojson").read_bytes())


def test_dagi_geojson_gives_98_merged_municipalities_without_christiansoe(dagi) -> None:
    codes = dagi.codes()
    assert len(codes) == 98 and set(codes) == {m.code for m in registry().municipalities}
    assert "411" not in codes
    lolland = next(s for s in dagi.shapes if s.code == "360")
    assert lolland.d.count("M") > 1  # several islands merged into one path
    assert dagi.kind == "geografisk"
    assert "Geodatastyrelsen" in dagi.attribution


def test_dagi_is_simplified_to_a_sensible_size(dagi) -> None:
    size = sum(len(s.d) for s in (*dagi.shapes, *dagi.background))
    assert size < 150_000  # the 2.1 MB source, simplified for a 700-pixel map


def test_bornholm_is_in_an_inset_and_the_capital_enlarged(dagi) -> None:
    captions = [f.caption for f in dagi.frames]
    assert "Bornholm" in captions and "Hovedstadsområdet" in captions
    born_frame = next(f for f in dagi.frames if f.caption == "Bornholm")
    bornholm = next(s for s in dagi.shapes if s.code == "400")
    assert born_frame.x <= bornholm.lx <= born_frame.x + born_frame.w
    assert born_frame.y <= bornholm.ly <= born_frame.y + born_frame.h
    zoom = next(f for f in dagi.frames if f.caption == "Hovedstadsområdet")
    for code in ("147", "155", "101", "185"):
        primary = next(s for s in dagi.shapes if s.code == code)
        assert primary.clip, code  # the clickable shape is the enlarged one
        assert zoom.x <= primary.lx <= zoom.x + zoom.w
        assert any(b.code == code and not b.clip for b in dagi.background)  # main-map copy
    for shape in dagi.shapes:  # everything else lies inside the drawing
        assert 0 <= shape.lx <= dagi.width and 0 <= shape.ly <= dagi.height


def _squares(props_for, geometry_type: str = "Polygon") -> bytes:
    features = []
    for s in tilegrid().shapes:
        col, row = (s.lx - 22) / 44, (s.ly - 22) / 44
        lon, lat = 8.2 + col * 0.3, 57.6 - row * 0.25
        ring = [
            [lon, lat],
            [lon + 0.25, lat],
            [lon + 0.25, lat - 0.2],
            [lon, lat - 0.2],
            [lon, lat],
        ]
        coords = [ring] if geometry_type == "Polygon" else [[ring]]
        features.append(
            {
                "type": "Feature",
                "properties": props_for(s.code),
                "geometry": {"type": geometry_type, "coordinates": coords},
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def test_names_multipolygons_and_four_digit_codes_are_accepted() -> None:
    reg = registry()
    by_name = _squares(lambda c: {"KOMNAVN": reg.by_code(c).name + " Kommune"}, "MultiPolygon")
    assert len(geometry_from_geojson(by_name).shapes) == 98
    by_code = _squares(lambda c: {"KOMKODE": "0" + c})
    g = geometry_from_geojson(by_code)
    assert len(g.shapes) == 98 and g.attribution  # a default attribution is always given


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(type="Feature"), "must be a GeoJSON FeatureCollection"),
        (
            lambda d: d["features"][3]["properties"].update(KOMKODE="0999"),
            "features[3]: property 'KOMKODE' = '0999' is not a municipality",
        ),
        (lambda d: d["features"][5].update(properties={}), "features[5]: no municipality property"),
        (lambda d: d["features"].pop(0), "no boundary for municipality"),
        (
            lambda d: d["features"][2]["geometry"].update(type="LineString"),
            "features[2]: geometry type 'LineString'",
        ),
        (
            lambda d: d["features"][1]["geometry"].update(coordinates=[[[700000, 6100000]] * 4]),
            "features[1]: bad coordinates",
        ),
    ],
)
def test_bad_geojson_names_the_feature_and_field(mutate, message) -> None:
    doc = json.loads(_squares(lambda c: {"KOMKODE": c}))
    mutate(doc)
    with pytest.raises(GeometryError) as err:
        geometry_from_geojson(json.dumps(doc).encode())
    assert message in str(err.value)
    assert "kommuner.geojson" in str(err.value)


def test_small_municipalities_are_big_enough_to_find(dagi) -> None:
    """Læsø, Samsø, Ærø, Fanø on the main map, Dragør and Frederiksberg in the inset."""
    import re

    def extent(d: str) -> float:
        xs, ys, x, y = [], [], 0.0, 0.0
        for sub in re.findall(r"M([-\d.]+) ([-\d.]+)l([^Mz]*)z", d):
            x, y = float(sub[0]), float(sub[1])
            xs.append(x)
            ys.append(y)
            nums = [float(v) for v in sub[2].split()]
            for dx, dy in zip(nums[::2], nums[1::2], strict=True):
                x, y = x + dx, y + dy
                xs.append(x)
                ys.append(y)
        return max(max(xs) - min(xs), max(ys) - min(ys))

    shapes = {s.code: s for s in dagi.shapes}
    for code in ("825", "741", "492", "563", "155", "147"):
        assert extent(shapes[code].d) >= 8, code  # pixels: hoverable and clickable

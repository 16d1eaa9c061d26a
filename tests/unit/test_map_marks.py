"""The maps' marks: tile labels that read as their municipality and fit their tile, labels that
stay legible on hatched and dotted tiles, a legend entry for every kind of mark a map draws,
and the embeddable snippet's keyboard- and touch-friendly list and search form."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

import pytest
from danmarkskort.config.sources import layered
from danmarkskort.domain.municipalities import registry
from danmarkskort.render.geojson import geometry_from_geojson
from danmarkskort.render.geometry import (
    LABEL_ROOM,
    LABEL_SIZE,
    MIN_LABEL_SIZE,
    GeometryError,
    MapGeometry,
    label_width,
    parse_tilegrid,
    tilegrid,
)
from danmarkskort.render.style import load_style

from tests.conftest import REPO, fixture_path
from tests.unit.test_render import files, render, text

SVG = "{http://www.w3.org/2000/svg}"
AREAS = ("socialomraadet", "boernehandicap", "voksenhandicap")
NAMES = {m.code: m.name for m in registry().municipalities}


def _letters(s: str) -> str:
    return "".join(ch for ch in s.lower() if ch not in ".- ")


def reads_as(label: str, name: str) -> bool:
    """The label is an abbreviation of the name: its letters, in order, from the first one."""
    a, b = _letters(label), _letters(name)
    rest = iter(b)
    return a[:1] == b[:1] and all(ch in rest for ch in a)


def one_reading(labels: dict[str, str], names: dict[str, str]) -> dict[str, str]:
    """Labels → names where the reading is forced: repeatedly a label that is an abbreviation of
    exactly one name not yet taken. A label left out could be read as more than one."""
    candidates = {c: {n for n in names if reads_as(lab, names[n])} for c, lab in labels.items()}
    taken: dict[str, str] = {}
    while True:
        forced = next(
            (
                c
                for c in candidates
                if c not in taken and len(candidates[c] - {*taken.values()}) == 1
            ),
            None,
        )
        if forced is None:
            return taken
        taken[forced] = next(iter(candidates[forced] - {*taken.values()}))


def _luminance(colour: str) -> float:
    def channel(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# --- labels --------------------------------------------------------------------------------


def test_labels_are_unique_and_abbreviate_their_municipality() -> None:
    shapes = tilegrid().shapes
    assert len({_letters(s.label) for s in shapes}) == 98
    wrong = [(s.label, NAMES[s.code]) for s in shapes if not reads_as(s.label, NAMES[s.code])]
    assert wrong == []
    # Where the whole name fits, it is the label.
    labels = {NAMES[s.code]: s.label for s in shapes}
    for name in ("Odense", "Vejle", "Køge", "Sorø", "Fanø", "Læsø", "Ærø", "Skive", "Aarhus"):
        assert labels[name] == name


def test_every_label_can_be_read_as_one_municipality_only() -> None:
    labels = {s.code: s.label for s in tilegrid().shapes}
    assert one_reading(labels, NAMES) == {c: c for c in labels}


def test_the_formerly_confusable_labels_are_told_apart() -> None:
    group = ("147", "607", "210", "250", "813", "163", "430")  # the Frederik…s, Herlev, Faaborg
    names = {c: NAMES[c] for c in group}
    labels = {s.code: s.label for s in tilegrid().shapes if s.code in group}
    assert one_reading(labels, names) == {c: c for c in group}
    # The three-letter codes they replace fail the same check: FRB and FRE fit both
    # Frederiksberg and Fredensborg.
    old = dict(zip(group, ("FRB", "FRC", "FRE", "FSU", "FHV", "HRL", "FMI"), strict=True))
    forced = one_reading(old, names)
    assert "147" not in forced and "210" not in forced
    assert {labels[c] for c in ("147", "607", "210", "250", "813")} == {
        "Frb.",
        "Fr.cia",
        "Fr.borg",
        "F.sund",
        "F.havn",
    }


def test_every_label_fits_its_tile_by_a_conservative_estimate() -> None:
    for s in tilegrid().shapes:
        assert MIN_LABEL_SIZE <= s.label_size <= LABEL_SIZE, s.label
        assert label_width(s.label, s.label_size) <= LABEL_ROOM, (s.label, s.label_size)
        if s.label_size < LABEL_SIZE:  # shrunk only as far as needed (to 0.1 px)
            assert label_width(s.label, s.label_size + 0.1) > LABEL_ROOM, s.label
    # The estimate is DejaVu Sans Bold's widths (Chromium on Linux measures these exactly).
    assert label_width("Odense", 1.0) == pytest.approx(4.230, abs=0.002)
    assert label_width("Kbh.") < label_width("Æ" * 4)  # unknown and wide letters count more


def test_a_label_too_wide_for_a_tile_is_refused() -> None:
    csv = (REPO / "layer/danmarkskort/data/tilegrid.csv").read_text(encoding="utf-8")
    assert "\n101;Kbh.;" in csv
    with pytest.raises(GeometryError, match=r"'kort' = 'Københavns Kommune' .*too wide"):
        parse_tilegrid(csv.replace("\n101;Kbh.;", "\n101;Københavns Kommune;"))
    with pytest.raises(GeometryError, match=r"'kort' = '' is empty"):
        parse_tilegrid(csv.replace("\n101;Kbh.;", "\n101;;"))


def test_the_geographic_map_has_no_tile_labels() -> None:
    """Its municipalities differ in size: names are in the tooltip and the list, not on it."""
    geo = geometry_from_geojson(fixture_path("kommuner-mini.geojson").read_bytes())
    assert all(s.label == "" for s in (*geo.shapes, *geo.background))
    svg = text(render(geometry=geo), "2024/kort/voksenhandicap.svg")
    assert 'class="kort-navn"' not in svg


# --- legible labels on patterned tiles -------------------------------------------------------


def test_labels_on_hatched_and_dotted_tiles_have_a_halo_with_contrast() -> None:
    s = render()
    body = files(s)["2024/kort/voksenhandicap.svg"]
    svg = ET.fromstring(body)
    patterns = {p.get("id"): p.find(f"{SVG}rect").get("fill") for p in svg.iter(f"{SVG}pattern")}
    tiles = [a.find(f"{SVG}path") for a in svg.iter(f"{SVG}a") if "kommune" in a.get("class", "")]
    labels = svg.find(f".//{SVG}g[@class='etiketter']").findall(f"{SVG}text")
    assert len(tiles) == 98 and len(labels) == 2 * 98  # name and number, in the tiles' order
    kinds = set()
    for i, tile in enumerate(tiles):
        fill = tile.get("fill")
        m = re.fullmatch(r"url\(#(.+)\)", fill)
        base = patterns[m.group(1)] if m else fill
        kinds.add(tile.get("data-mark").split()[-1])
        for label in labels[2 * i : 2 * i + 2]:
            assert contrast(label.get("fill"), base) >= 4.5, (label.text, base)
            if m:  # the pattern stops at the letters' halo, in the tile's own colour
                assert label.get("stroke") == base and label.get("paint-order") == "stroke"
            else:
                assert label.get("stroke") is None
    assert {"ingen", "lavn"} <= kinds
    # Every colour the config offers keeps its text at 4.5:1 (kort.json's promise).
    style = load_style(layered())
    for c in style.classes:
        assert contrast(c.tekst, c.farve) >= 4.5, c
    assert contrast(style.none_text, style.none_fill) >= 4.5


def test_a_long_label_is_drawn_smaller_and_the_labels_are_the_same_everywhere() -> None:
    s = render()
    svg = text(s, "2024/kort/socialomraadet.svg")
    odense = next(x for x in tilegrid().shapes if x.code == "461")
    assert odense.label_size < LABEL_SIZE
    assert f'style="font-size:{odense.label_size}px">Odense</text>' in svg
    assert re.search(r'paint-order="stroke">Kbh\.</text>|fill="#[0-9a-f]{6}">Kbh\.</text>', svg)

    def block(body: str) -> str:
        return re.search(r'<g class="etiketter".*?</g>', body, re.S).group(0)

    fragment = text(s, "2024/kort/socialomraadet.html")
    page = text(s, "2024/index.html")
    assert block(svg) == block(fragment) == block(page)  # the page's first map


# --- legends ---------------------------------------------------------------------------------


def _kinds(marks: Iterable[str]) -> set[str]:
    return {k for m in marks for k in m.split()}


def _html_map_and_legend(body: str, map_start: str) -> list[tuple[set[str], set[str]]]:
    """Each map (up to its </svg>: the map draws no nested svg) and the legend after it."""
    found = re.finditer(
        re.escape(map_start) + r'(.*?</svg>).*?(<ul class="legende".*?</ul>)', body, re.S
    )
    return [
        (
            _kinds(re.findall(r'data-mark="([^"]*)"', m.group(1))),
            _kinds(re.findall(r'data-mark="([^"]*)"', m.group(2))),
        )
        for m in found
    ]


def _svg_map_and_legend(body: bytes) -> tuple[set[str], set[str]]:
    svg = ET.fromstring(body)
    legend = svg.find(f".//{SVG}g[@class='legende']")
    in_legend = {id(e) for e in legend.iter()}
    drawn = [
        e.get("data-mark") for e in svg.iter() if e.get("data-mark") and id(e) not in in_legend
    ]
    return _kinds(drawn), _kinds(e.get("data-mark") for e in legend.iter() if e.get("data-mark"))


GEO = pytest.param("geo", id="geografisk")


@pytest.mark.parametrize("kind", ["tilegrid", GEO])
def test_every_mark_a_map_draws_has_a_legend_entry(kind: str) -> None:
    geometry: MapGeometry = (
        tilegrid()
        if kind == "tilegrid"
        else geometry_from_geojson(fixture_path("kommuner-mini.geojson").read_bytes())
    )
    s = render(geometry=geometry)
    pairs = _html_map_and_legend(text(s, "2024/index.html"), '<svg class="kort"')
    assert len(pairs) == 3
    for area in AREAS:
        pairs += _html_map_and_legend(text(s, f"2024/kort/{area}.html"), '<svg class="dk-kort"')
        pairs.append(_svg_map_and_legend(files(s)[f"2024/kort/{area}.svg"]))
    assert len(pairs) == 9
    drawn_anywhere = set()
    for drawn, legend in pairs:
        assert drawn <= legend, drawn - legend
        drawn_anywhere |= drawn
    # The check is not empty: the site draws each special mark somewhere.
    expected = {"lavn", "ingen", "bem"} | ({"udsnit", "ramme"} if kind == "geo" else set())
    assert expected <= drawn_anywhere
    assert {k for k in drawn_anywhere if k.startswith("klasse-")}


def test_legend_entries_say_what_each_mark_means() -> None:
    style = load_style(layered())
    entries = {e.kind: e for e in style.legend(tilegrid(), 20)}
    assert list(entries)[:6] == [f"klasse-{i}" for i in range(6)]
    assert entries["bem"].text == "Kommunen har en bemærkning eller kommentar (se kommunens side)"
    assert "under 20 sager" in entries["lavn"].text and entries["lavn"].fill == "lavn2"
    assert {"udsnit", "ramme"}.isdisjoint(entries)  # the tile grid has no insets
    geo = geometry_from_geojson(fixture_path("kommuner-mini.geojson").read_bytes())
    entries = {e.kind: e for e in style.legend(geo, 20)}
    assert entries["udsnit"].text == "Stiplet ramme: vist forstørret i „Hovedstadsområdet“"
    assert entries["ramme"].text == (
        "Udsnit i egen ramme: Hovedstadsområdet forstørret, Bornholm flyttet"
    )


# --- the embeddable snippet --------------------------------------------------------------------


def test_the_snippet_has_no_script_and_loads_nothing() -> None:
    s = render(site_url="https://kort.example.dk")
    for area in AREAS:
        frag = text(s, f"2024/kort/{area}.html")
        for tag in ("<script", "<img", "<link", "<iframe", "<object", "<embed", "@import"):
            assert tag not in frag.lower(), (area, tag)
        assert re.findall(r"url\((?!#)", frag) == []  # only the map's own patterns
        assert re.findall(r"\bsrc=", frag) == []
        assert 'action="https://kort.example.dk/' in frag and "/find.html" in frag


def test_the_snippet_lists_every_municipality_with_its_figures_and_a_search_form() -> None:
    s = render()
    frag = text(s, "2024/kort/boernehandicap.html")
    uid = "k2024-boernehandicap"
    tiles = re.findall(r'<a class="kommune[^"]*" href="([^"]+)"', frag)
    assert len(tiles) == 98
    form = re.search(r"<form\b[^>]*>.*?</form>", frag, re.S).group(0)
    assert re.match(
        r'<form class="dk-find" action="\.\./\.\./find\.html" method="get" role="search" target="_top">',
        form,
    )
    assert f'<label for="{uid}-q">Find din kommune</label>' in form
    assert f'<input id="{uid}-q" name="q" list="{uid}-navne" autocomplete="off">' in form
    assert '<button type="submit">Find</button>' in form
    datalist = re.search(rf'<datalist id="{uid}-navne">(.*?)</datalist>', form).group(1)
    assert sorted(re.findall(r'<option value="([^"]+)">', datalist)) == sorted(NAMES.values())
    details = re.search(r"<details>\s*<summary>(.*?)</summary>(.*?)</details>", frag, re.S)
    assert details and details.group(1) == "Se tallene for alle kommuner"
    rows = re.findall(
        r'<li><a href="([^"]+)" target="_top">([^<]+)</a>: (.*?)</li>', details.group(2)
    )
    assert len(rows) == 98 and sorted(h for h, _, _ in rows) == sorted(tiles)
    # Each row says what the tile's tooltip says: the shown rate and the number of cases.
    titles = dict(
        re.findall(r'<a class="kommune[^"]*" href="([^"]+)"[^>]*><title>(.*?)</title>', frag, re.S)
    )
    for href, name, figures in rows:
        tip = titles[href].split("\n")
        assert tip[0] == name
        if figures.startswith("ingen sager"):
            assert "ingen realitetsbehandlede sager" in tip[1]
        else:
            rate, cases = re.match(r"(\d+)&#160;% af ([\d.]+ sag(?:er)?)", figures).groups()
            assert tip[1] == f"{rate}\u00a0% omgjort af {cases}", (name, tip[1])
            assert ("få sager" in figures) == any(line.startswith("Få sager") for line in tip)
    assert "tabulatortasten" in frag and "tryk på kommunen" in frag and "markøren" in frag
    assert "Hold musen over en kommune, eller" not in frag

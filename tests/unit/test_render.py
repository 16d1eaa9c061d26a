"""The site renderer: Danish numbers, classes, tile grid, pages, snippets, escaping, open data."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from danmarkskort import text as fmt
from danmarkskort.config.sources import ConfigError, layered
from danmarkskort.domain.areas import default_mapping
from danmarkskort.domain.municipalities import Registry
from danmarkskort.domain.remarks import RemarkBook, load_remark_book
from danmarkskort.render import site as site_module
from danmarkskort.render.geometry import GeometryError, label_width, parse_tilegrid, tilegrid
from danmarkskort.render.site import RenderError, build_site
from danmarkskort.render.style import load_style, parse_style

from tests.conftest import REPO
from tests.figures_support import doc_without, make_doc

NB = "\u00a0"


# --- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (18.6, f"19{NB}%"),
        (18.5, f"19{NB}%"),  # half up, not to even
        (12.5, f"13{NB}%"),
        (18.49, f"18{NB}%"),
        (0.0, f"0{NB}%"),
        (100.0, f"100{NB}%"),
        (38.46153846153846, f"38{NB}%"),
        (None, "–"),
    ],
)
def test_percentages_are_whole_and_round_half_up(value, text) -> None:
    assert fmt.pct(value) == text


def test_year_spans_of_remarks() -> None:
    assert fmt.year_span([2024]) == "2024"
    assert fmt.year_span([2024, 2022, 2023]) == "2022\u20132024"
    assert fmt.year_span([2024, 2022]) == "2022 og 2024"


def test_danish_numbers_dates_and_changes() -> None:
    assert fmt.number(8631) == "8.631"
    assert fmt.number(1234567.25, 1) == "1.234.567,3"
    assert fmt.number(-2.5, 1) == "\u22122,5"
    assert fmt.pp(4) == f"+4{NB}procentpoint"
    assert fmt.pp(-17) == f"\u221217{NB}procentpoint"
    assert fmt.pp(0) == f"0{NB}procentpoint" and fmt.pp_short(0) == f"±0{NB}pp"
    assert fmt.pp_short(None) == "–"
    with pytest.raises(TypeError, match="shown_change"):
        fmt.pp(4.4)  # type: ignore[arg-type]  # a raw difference has no rounding of its own
    assert fmt.long_date("2021-08-31") == "31. august 2021"
    assert fmt.long_date("2025-06-02T08:14:09+00:00") == "2. juni 2025"
    assert fmt.cases(1) == "1 sag" and fmt.cases(1204) == "1.204 sager"
    assert fmt.join_and(["a", "b", "c"]) == "a, b og c"


# --- classes -------------------------------------------------------------------------------


def test_rates_are_classed_by_their_published_value() -> None:
    style = load_style(layered())
    assert style.classify(None) is None
    assert style.classify(19.4).label == f"Under 20{NB}%"
    assert style.classify(19.5).label == f"20–29{NB}%"  # shown as "20 %"
    assert style.classify(100.0).label == f"60{NB}% og derover"
    assert len({c.farve for c in style.classes}) == len(style.classes)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            {
                "klasser": [{"fra": 5, "til": 10, "farve": "#000000", "tekst": "#ffffff"}],
                "ingen_sager": {},
            },
            "klasser[0].fra: must be 0 (classes must be contiguous) (value: 5)",
        ),
        (
            {
                "klasser": [
                    {"fra": 0, "til": 10, "farve": "blå", "tekst": "#ffffff"},
                    {"fra": 10, "til": None, "farve": "#000000", "tekst": "#ffffff"},
                ],
                "ingen_sager": {},
            },
            "klasser[0].farve: must be a colour like #1a2b3c (value: 'blå')",
        ),
        (
            {
                "klasser": [
                    {"fra": 0, "til": None, "farve": "#000000", "tekst": "#ffffff"},
                    {"fra": 0, "til": None, "farve": "#000000", "tekst": "#ffffff"},
                ],
                "ingen_sager": {},
            },
            "klasser[0].til: must rise, and be null only in the last class",
        ),
        (
            {
                "klasser": [
                    {"fra": 0, "til": 10, "farve": "#000000", "tekst": "#ffffff"},
                    {"fra": 10, "til": None, "farve": "#000000", "tekst": "#ffffff"},
                ],
                "ingen_sager": "#eceeef",
            },
            "kort.json: ingen_sager: must be an object",
        ),
    ],
)
def test_bad_map_style_is_rejected(doc, message) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_style(json.dumps(doc).encode())


# --- tile grid -----------------------------------------------------------------------------


def test_tile_grid_has_one_free_tile_per_municipality() -> None:
    g = tilegrid()
    assert g.kind == "tilegrid"
    assert len(g.shapes) == 98 and len(set(g.codes())) == 98
    assert len({(s.lx, s.ly) for s in g.shapes}) == 98
    assert all(s.label and label_width(s.label, s.label_size) <= 36 for s in g.shapes)
    assert len({s.label for s in g.shapes}) == 98


def test_tile_grid_keeps_neighbours_near() -> None:
    pos = {s.code: (s.lx, s.ly) for s in tilegrid().shapes}

    def dist(a: str, b: str) -> float:
        (x1, y1), (x2, y2) = pos[a], pos[b]
        return max(abs(x1 - x2), abs(y1 - y2)) / 44

    assert dist("155", "185") == 1  # Dragør–Tårnby
    assert dist("183", "187") == 1  # Ishøj–Vallensbæk
    assert dist("101", "147") == 1  # København–Frederiksberg
    assert dist("751", "727") <= 1  # Aarhus–Odder
    assert dist("461", "440") <= 1  # Odense–Kerteminde
    assert pos["400"][0] > pos["101"][0] - 1  # Bornholm in the east
    assert pos["561"][0] < pos["461"][0] < pos["101"][0]  # Esbjerg, Odense, København


def test_bad_tile_grid_is_rejected() -> None:
    text = (REPO / "layer/danmarkskort/data/tilegrid.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    with pytest.raises(GeometryError, match="no tile for municipality 860"):
        parse_tilegrid("\n".join(ln for ln in lines if not ln.startswith("860;")))
    with pytest.raises(GeometryError, match=r"cell \(\d+, \d+\) is taken"):
        parse_tilegrid(text.replace("155;Dragør;12;9", "155;Dragør;13;8"))
    with pytest.raises(GeometryError, match="'kommunekode' = '999' is unknown"):
        parse_tilegrid(text + "\n999;QQQ;0;0")


# --- the site ------------------------------------------------------------------------------


def render(doc=None, remarks: RemarkBook | None = None, site_url: str = "", **kw):
    src = layered()
    return build_site(
        doc or make_doc(years=(2023, 2024)),
        remarks=remarks if remarks is not None else load_remark_book(src),
        mapping=default_mapping(),
        geometry=kw.pop("geometry", tilegrid()),
        style=load_style(src),
        site_url=site_url,
        published="2025-06-03T10:00:00+00:00",
        **kw,
    )


@pytest.fixture(scope="module")
def site():
    return render()


def files(site) -> dict[str, bytes]:
    return {f.path: f.body for f in site.files}


def text(site, path: str) -> str:
    return files(site)[path].decode("utf-8")


class _Checker(HTMLParser):
    """Collects what the accessibility and self-containment checks below look at."""

    def __init__(self) -> None:
        super().__init__()
        self.html_lang = None
        self.external: list[str] = []
        self.links_out: list[str] = []
        self.ids: list[str] = []
        self.imgs_without_alt = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.html_lang = a.get("lang")
        if "id" in a:
            self.ids.append(a["id"])
        for attr in ("src", "href"):
            if a.get(attr, "").startswith(("http:", "https:", "//")):
                # A link the reader follows (the publisher's site) is no resource the page loads.
                where = self.links_out if tag == "a" else self.external
                where.append(f"{tag} {attr}={a[attr]}")
        if tag == "img" and "alt" not in a:
            self.imgs_without_alt += 1


def check_html(body: str) -> _Checker:
    c = _Checker()
    c.feed(body)
    return c


def test_site_has_every_page_snippet_and_data_file(site) -> None:
    paths = set(files(site))
    for aar in (2023, 2024):
        assert f"{aar}/index.html" in paths
        for omraade in ("socialomraadet", "boernehandicap", "voksenhandicap"):
            assert f"{aar}/kort/{omraade}.svg" in paths
            assert f"{aar}/kort/{omraade}.html" in paths
        assert f"{aar}/data/omgoerelser-{aar}.csv" in paths
        assert f"{aar}/data/omgoerelser-{aar}.json" in paths
    assert sum(p.startswith("kommune/") and p.endswith(".html") for p in paths) == 98
    # The council PDF next to each page (tests/unit/test_council_pdf.py reads them).
    assert sum(p.startswith("kommune/") and p.endswith(".pdf") for p in paths) == 98
    assert {"index.html", "laesevejledning.html", "static/site.css", "static/site.js"} <= paths
    assert {f.path for f in site.entry_points} == paths - {"static/site.css", "static/site.js"}
    assert site.entry_points[-1].path == "index.html"


def test_pages_are_danish_self_contained_and_unique_ids(site) -> None:
    for f in (*site.files, *site.entry_points):
        if f.path.endswith(".html") and "/kort/" not in f.path:
            c = check_html(f.body.decode("utf-8"))
            assert c.html_lang == "da", f.path
            assert c.external == [], (f.path, c.external[:3])
            # Outgoing links: only the publisher's site from udgiver.json.
            assert set(c.links_out) <= {"a href=https://www.sm.dk"}, f.path
            assert len(c.ids) == len(set(c.ids)), f.path
            assert c.imgs_without_alt == 0


def test_snippets_link_absolutely_when_the_site_url_is_known() -> None:
    s = render(site_url="https://kort.example.dk")
    frag = text(s, "2024/kort/socialomraadet.html")
    assert f'href="https://kort.example.dk/{s.prefix}laesevejledning.html"' in frag
    assert f'href="https://kort.example.dk/{s.prefix}kommune/155-dragoer.html"' in frag
    assert "<script" not in frag and "<link" not in frag  # styles inline, no resources
    page = text(s, "2024/index.html")
    assert 'href="../kommune/155-dragoer.html"' in page  # pages stay relative


def test_svg_snippet_is_valid_xml_with_title_source_legend_and_links(site) -> None:
    svg = ET.fromstring(files(site)["2024/kort/voksenhandicap.svg"])
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert svg.find("s:title", ns).text == "Omgørelsesprocent 2024: voksenhandicap"
    body = text(site, "2024/kort/voksenhandicap.svg")
    assert "Kilde: Ankestyrelsen, udtræk modtaget 2. juni 2025." in body
    assert "Sådan læser du kortet" in body and "../../laesevejledning.html" in body
    links = svg.findall(".//s:a[@class]", ns)
    kommuner = [a for a in links if a.get("class").startswith("kommune")]
    assert len(kommuner) == 98
    assert all(a.find("s:title", ns) is not None for a in kommuner)
    assert all(a.get("href").startswith("../../kommune/") for a in kommuner)


def test_low_n_and_no_cases_are_drawn_differently(site) -> None:
    svg = text(site, "2024/kort/voksenhandicap.svg")
    laesoe = re.search(r'<a class="kommune ingen"[^>]*data-kode="825".*?</a>', svg, re.S)
    assert laesoe and "url(#k2024-voksenhandicap-ingen)" in laesoe.group(0)
    assert "ingen realitetsbehandlede sager" in laesoe.group(0)
    doc = make_doc(years=(2023, 2024))
    few = next(
        f
        for f in doc.figures
        if f.aar == 2024
        and f.omraade == "voksenhandicap"
        and f.lav_n
        and f.realitetsbehandlede > 0
        and f.kommunekode != "000"
    )
    many = next(
        f
        for f in doc.figures
        if f.aar == 2024
        and f.omraade == "voksenhandicap"
        and not f.lav_n
        and f.kommunekode != "000"
    )
    tile = re.search(
        rf'<a class="kommune lavn"[^>]*data-kode="{few.kommunekode}".*?</a>', svg, re.S
    )
    assert tile and "url(#k2024-voksenhandicap-lavn" in tile.group(0)
    assert "Få sager (under 20): procenten er meget usikker" in tile.group(0)
    plain = re.search(rf'<a class="kommune"[^>]*data-kode="{many.kommunekode}".*?</a>', svg, re.S)
    assert plain and 'fill="#' in plain.group(0) and "usikker" not in plain.group(0)
    from danmarkskort.domain.municipalities import registry

    m = registry().by_code(few.kommunekode)
    assert "Få sager – usikker procent" in text(site, f"kommune/{m.code}-{m.slug}.html")


def test_tooltip_has_rate_next_to_n_split_and_remarks(site) -> None:
    svg = text(site, "2024/kort/boernehandicap.svg")
    title = re.search(r'data-kode="185"[^>]*><title>(.*?)</title>', svg, re.S).group(1)
    lines = title.split("\n")
    assert lines[0] == "Tårnby"
    assert re.fullmatch(rf"\d+{NB}% omgjort af \d+ sag(er)?", lines[1]), lines[1]
    assert any(line.startswith("Ændret/ophævet ") for line in lines)
    assert "Tårnby Kommunes tal om børnehandicap omfatter også Dragør Kommunes sager" in title


def test_year_page_has_three_maps_national_split_legend_and_change(site) -> None:
    page = text(site, "2024/index.html")
    assert page.count('<svg class="kort"') == 3
    doc = make_doc(years=(2023, 2024))
    nat = doc.national(2024, "socialomraadet")
    before = doc.national(2023, "socialomraadet")
    assert f'<p class="stortal">{fmt.pct(nat.omgoerelsesprocent)}</p>' in page
    change = fmt.shown_change(nat.omgoerelsesprocent, before.omgoerelsesprocent)
    assert f"{fmt.pp(change)} fra 2023 ({fmt.pct(before.omgoerelsesprocent)})" in page
    for label in ("Ændret/ophævet", "Hjemvist", "Stadfæstet", "Signaturforklaring"):
        assert label in page
    assert page.count('class="kommuneliste"') == 1 and page.count("kommune/155-dragoer.html") >= 4
    assert 'href="../laesevejledning.html"' in page


def test_year_page_after_a_gap_in_the_years_compares_with_nothing() -> None:
    """Changes are only against the year before (docs/design.md §4): 2024 after 2022 has none."""
    doc = make_doc(years=(2022, 2024))
    doc = dataclasses.replace(
        doc,
        figures=tuple(
            dataclasses.replace(f, aendring_pp=None) if f.aar == 2024 else f for f in doc.figures
        ),
    )
    page = text(render(doc), "2024/index.html")
    assert "Ingen sammenligning med 2022" not in page
    assert page.count('<p class="aendring">Udtrækket har ikke tal for 2023.</p>') == 3


def test_municipality_page_has_rate_n_split_ci_national_change_trend_and_remarks(site) -> None:
    doc = make_doc(years=(2023, 2024))
    f = next(
        x
        for x in doc.figures
        if x.aar == 2024 and x.omraade == "socialomraadet" and x.kommunekode == "751"
    )
    page = text(site, "kommune/751-aarhus.html")
    assert f'<p class="stortal">{fmt.pct(f.omgoerelsesprocent)}' in page
    assert f"omgjort af <strong>{fmt.cases(f.realitetsbehandlede)}</strong>" in page
    before = next(
        x
        for x in doc.figures
        if x.aar == 2023 and x.omraade == "socialomraadet" and x.kommunekode == "751"
    )
    assert fmt.pct_range(f.ci_lav, f.ci_hoej) in page
    change = fmt.shown_change(f.omgoerelsesprocent, before.omgoerelsesprocent)
    assert f"<dt>Ændring fra 2023</dt><dd>{fmt.pp(change)}</dd>" in page
    assert page.count('class="trend-svg"') == 3
    assert "Hele landet" in page and "laesevejledning.html" in page
    dragoer = text(site, "kommune/155-dragoer.html")
    assert "Samarbejde mellem kommuner" in dragoer
    assert "Kilde: Social- og Boligministeriet" in dragoer


def test_reading_guide_covers_every_point_with_the_worked_example(site) -> None:
    guide = text(site, "laesevejledning.html")
    for anchor in (
        "paaklagede",
        "hjemvisning",
        "afviste",
        "faa-sager",
        "samarbejde",
        "kommentarer",
        "lovgivning",
        "genvurdering",
    ):
        assert f'id="{anchor}"' in guide, anchor
    assert "24 / 129 = 18,6 %" in guide and "<strong>19 %</strong>" in guide
    assert "105 stadfæstede sager, 5 ændrede sager og 19 hjemviste sager" in guide
    assert "Tårnby Kommune</a> træffer afgørelserne for" in guide
    assert "Ishøj Kommune</a> træffer afgørelserne for" in guide
    assert "barnets lov" in guide and "genvurdering" in guide


def test_open_data_per_year_as_csv_and_json(site) -> None:
    rows = list(
        csv.DictReader(io.StringIO(text(site, "2024/data/omgoerelser-2024.csv").lstrip("\ufeff")))
    )
    assert len(rows) == 3 * 99 and {r["aar"] for r in rows} == {"2024"}
    assert rows[0]["kommunekode"] == "000"
    doc = json.loads(files(site)["2024/data/omgoerelser-2024.json"])
    assert doc["aar"] == 2024 and len(doc["figures"]) == 3 * 99
    assert doc["extract_id"] == "ab" * 32 and doc["kilde"] == "Ankestyrelsen"


def test_remark_html_is_escaped_everywhere() -> None:
    from danmarkskort.domain.remarks import Remark

    evil = Remark(
        "101",
        "kommentar",
        '<script>alert("x")</script> & <b>fed</b>',
        (),
        None,
        None,
        "<i>København</i>",
    )
    s = render(remarks=RemarkBook([evil]))
    for path in (
        "kommune/101-koebenhavn.html",
        "2024/kort/socialomraadet.svg",
        "2024/kort/socialomraadet.html",
        "2024/index.html",
    ):
        body = text(s, path)
        assert "<script>alert" not in body and "<b>fed" not in body, path
        assert "&lt;script&gt;" in body, path
    ET.fromstring(files(s)["2024/kort/socialomraadet.svg"])


def test_names_with_ampersand_and_quotes_give_valid_svg_and_html(monkeypatch) -> None:
    reg = Registry()
    odd = {"155": 'Dragør & "Søn"', "185": "Tårnby <Øst> 'T'"}
    reg.municipalities = [
        dataclasses.replace(m, name=odd.get(m.code, m.name)) for m in reg.municipalities
    ]
    reg._by_code = {m.code: m for m in reg.municipalities}
    monkeypatch.setattr(site_module, "registry", lambda: reg)
    s = render(remarks=RemarkBook([]))
    for path in ("2024/kort/socialomraadet.svg", "2024/kort/boernehandicap.svg"):
        root = ET.fromstring(files(s)[path])
        titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
        assert any(t and t.startswith('Dragør & "Søn"\n') for t in titles)
    page = text(s, "kommune/155-dragoer-soen.html")
    assert "Dragør &amp; &#34;Søn&#34; Kommune" in page
    assert "Tårnby &lt;Øst&gt; &#39;T&#39;" in text(s, "2024/index.html")


def test_incomplete_or_unknown_figures_are_refused() -> None:
    with pytest.raises(RenderError, match=r"incomplete.*2024/socialomraadet/155"):
        render(doc_without(make_doc(years=(2024,)), "155"))
    doc = make_doc(years=(2024,))
    odd = dataclasses.replace(
        doc,
        figures=tuple(
            dataclasses.replace(f, omraade="skole") if f.omraade == "voksenhandicap" else f
            for f in doc.figures
        ),
        areas=("socialomraadet", "boernehandicap", "skole"),
    )
    with pytest.raises(RenderError, match="skole"):
        render(odd)


def test_render_site_does_not_import_pandas() -> None:
    code = (
        "import sys, importlib.util;"
        "spec = importlib.util.spec_from_file_location('app', 'functions/render_site/app.py');"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m);"
        "import danmarkskort.render.site, danmarkskort.render.geojson, danmarkskort.render.job;"
        "print('pandas' in sys.modules, 'numpy' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": f"{REPO}/layer",
            "AWS_DEFAULT_REGION": "eu-north-1",
            "POWERTOOLS_TRACE_DISABLED": "true",
        },
    )
    assert out.stdout.split() == ["False", "False"], out.stderr


class _RecordingBucket:
    name = "site"

    def __init__(self, fail_on: str | None = None) -> None:
        self.order: list[tuple[str, str]] = []
        self.objects: dict[str, bytes] = {}
        self.fail_on = fail_on

    def put(self, key, body, *, content_type=None, cache_control=None, metadata=None):
        if key == self.fail_on:
            raise ConnectionError(key)
        self.order.append((key, cache_control))
        self.objects[key] = body if isinstance(body, bytes) else body.encode()
        return key

    def get_or_none(self, key):
        return self.objects.get(key)


def test_publisher_writes_versioned_objects_then_manifest_then_entry_points(site) -> None:
    from danmarkskort.render.publish import publish_site

    bucket = _RecordingBucket()
    result = publish_site(bucket, site, about={"extract_id": "ab" * 32}, now="2025-06-03")
    keys = [k for k, _ in bucket.order]
    manifest = keys.index(f"{site.prefix}manifest.json")
    assert all(k.startswith(site.prefix) for k in keys[:manifest])
    assert len(keys[:manifest]) == len(site.files)
    assert not any(k.startswith("v/") for k in keys[manifest + 1 :])
    assert keys[-1] == "index.html" and keys[-2] == "versions.json"
    assert all("immutable" in c for k, c in bucket.order if k.startswith("v/"))
    assert all(c == site_module.ENTRY for k, c in bucket.order if not k.startswith("v/"))
    assert result["files"] == len(site.files) + 1
    versions = json.loads(bucket.objects["versions.json"])
    assert versions["current"] == site.version


def test_publisher_failure_before_entry_points_writes_no_entry_point(site) -> None:
    from danmarkskort.render.publish import publish_site

    bucket = _RecordingBucket(fail_on=f"{site.prefix}kommune/155-dragoer.html")
    with pytest.raises(ConnectionError):
        publish_site(bucket, site, about={}, now="2025-06-03")
    assert all(k.startswith(site.prefix) for k, _ in bucket.order)
    assert f"{site.prefix}manifest.json" not in bucket.objects


# --- Danmarks Statistik's recipients of benefits -------------------------------------------


def _recipients_table():
    from danmarkskort.domain.beneficiaries import BeneficiaryTable

    counts = {(m.code, "boernehandicap", 2023): 1000 for m in Registry().municipalities}
    counts[("155", "boernehandicap", 2023)] = 40
    counts[("101", "boernehandicap", 2023)] = None  # '..' in the file
    return BeneficiaryTable(counts)


@pytest.fixture(scope="module")
def recipients_site():
    return render(beneficiaries=_recipients_table())


def _per_1000(doc, code: str) -> str:
    f = next(
        f
        for f in doc.figures
        if (f.aar, f.omraade, f.kommunekode) == (2024, "boernehandicap", code)
    )
    return fmt.number(1000.0 * f.realitetsbehandlede / 40, 1)


def test_municipality_page_says_the_recipients_and_cases_per_1000_with_the_national(
    recipients_site,
) -> None:
    doc = make_doc(years=(2023, 2024))
    cases = {
        f.kommunekode: f.realitetsbehandlede
        for f in doc.figures
        if (f.aar, f.omraade) == (2024, "boernehandicap") and not f.is_national
    }
    known = [c for c in cases if c != "101"]
    recipients = sum(40 if c == "155" else 1000 for c in known)
    national = fmt.number(1000.0 * sum(cases[c] for c in known) / recipients, 1)
    page = " ".join(text(recipients_site, "kommune/155-dragoer.html").split())
    section = page[page.index('id="boernehandicap"') :]
    assert "40 borgere modtog ydelser på området i 2023 (Danmarks Statistik)." in section
    assert (
        f"Det svarer til {_per_1000(doc, '155')} realitetsbehandlede klagesager i 2024 pr. "
        f"1.000 modtagere (hele landet: {national})." in section
    )


def test_missing_recipients_are_said_not_hidden(recipients_site) -> None:
    page = " ".join(text(recipients_site, "kommune/101-koebenhavn.html").split())
    assert (
        "Danmarks Statistik har ikke tal for, hvor mange borgere i København der modtog "
        "ydelser på området i 2023." in page
    )
    # An area the file has no counts for says so too.
    social = page[page.index('id="socialomraadet"') : page.index('id="boernehandicap"')]
    assert "Danmarks Statistik har ikke tal for, hvor mange borgere der modtog ydelser" in social


def test_map_tooltip_has_the_recipients(recipients_site) -> None:
    svg = text(recipients_site, "2024/kort/boernehandicap.svg")
    assert "40 modtog ydelser i 2023 (Danmarks Statistik)" in svg
    assert "sager pr. 1.000 modtagere (hele landet: " in svg
    assert "Danmarks Statistik har ikke tal for modtagere i 2023" in svg  # København


def test_without_recipients_nothing_about_them_is_shown(site) -> None:
    page = text(site, "kommune/155-dragoer.html")
    assert "Danmarks Statistik" not in page


def test_open_data_carry_the_recipients_after_the_contract_columns(recipients_site) -> None:
    from danmarkskort.domain.figures import FIELDS

    doc = make_doc(years=(2023, 2024))
    f155 = next(
        f
        for f in doc.figures
        if (f.aar, f.omraade, f.kommunekode) == (2024, "boernehandicap", "155")
    )
    body = files(recipients_site)["2024/data/omgoerelser-2024.csv"].decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    header = body.splitlines()[0].split(",")
    # The contract's columns first and unchanged, then the shown values, then the recipients.
    assert header[: len(FIELDS)] == list(FIELDS)
    assert header[-3:] == ["modtagere", "modtagere_aar", "sager_pr_1000_modtagere"]
    by = {(r["omraade"], r["kommunekode"]): r for r in rows}
    dragoer = by[("boernehandicap", "155")]
    assert (dragoer["modtagere"], dragoer["modtagere_aar"]) == ("40", "2023")
    assert float(dragoer["sager_pr_1000_modtagere"]) == pytest.approx(
        1000.0 * f155.realitetsbehandlede / 40
    )
    assert by[("boernehandicap", "101")]["modtagere"] == ""  # '..': no figure
    assert by[("socialomraadet", "155")]["modtagere_aar"] == ""  # no counts for the area
    national = by[("boernehandicap", "000")]
    assert national["modtagere"] == str(40 + 1000 * 96)  # all but København (no count)
    data = json.loads(files(recipients_site)["2024/data/omgoerelser-2024.json"])
    record = next(
        r for r in data["figures"] if (r["omraade"], r["kommunekode"]) == ("boernehandicap", "155")
    )
    assert (record["modtagere"], record["modtagere_aar"]) == (40, 2023)
    assert "Danmarks Statistik" in data["modtagere"]
    every_year = files(recipients_site)["data/omgoerelser.csv"].decode("utf-8-sig")
    assert every_year.splitlines()[0].endswith("modtagere,modtagere_aar,sager_pr_1000_modtagere")


def test_open_data_without_recipients_keep_their_columns(site) -> None:
    body = files(site)["2024/data/omgoerelser-2024.csv"].decode("utf-8-sig")
    assert "modtagere" not in body.splitlines()[0]
    data = json.loads(files(site)["2024/data/omgoerelser-2024.json"])
    assert "modtagere" not in data and "modtagere" not in data["figures"][0]


def test_open_data_xlsx_has_the_recipients_columns(recipients_site) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.load_workbook(
        io.BytesIO(files(recipients_site)["2024/data/omgoerelser-2024.xlsx"])
    )
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[-3:] == [
        "Modtagere af ydelser (Danmarks Statistik)",
        "Modtagere: år (Danmarks Statistik)",
        "Realitetsbehandlede sager pr. 1.000 modtagere",
    ]
    rows = {(r[1], r[2]): r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[("Børnehandicap", "155")][-3:-1] == (40, 2023)


def test_reading_guide_explains_recipients_only_when_shown(recipients_site, site) -> None:
    guide = " ".join(text(recipients_site, "laesevejledning.html").split())
    assert 'id="modtagere"' in guide and 'href="#modtagere"' in guide
    assert "referenceår" in guide and "Én borger kan have flere sager" in guide
    assert "pr. 1.000 modtagere" in guide
    page = text(recipients_site, "kommune/155-dragoer.html")
    assert 'laesevejledning.html#modtagere">Om modtagertallene</a>' in page
    assert 'id="modtagere"' not in text(site, "laesevejledning.html")


def test_snippet_and_year_page_tooltips_have_the_recipients(recipients_site) -> None:
    """The embeddable snippet (no script: the tile's <title> and the <details> list) and the
    year page's map carry the same lines as the SVG."""
    for path in ("2024/kort/boernehandicap.html", "2024/index.html"):
        body = text(recipients_site, path)
        assert "40 modtog ydelser i 2023 (Danmarks Statistik)" in body, path
        assert "Danmarks Statistik har ikke tal for modtagere i 2023" in body, path


# --- one render for the versioned page and its entry point ---------------------------------


def test_a_page_gets_both_bases_and_a_damaged_stand_in_is_refused():
    from danmarkskort.render import site as s

    body = f'<a href="{s._BASE}x.html">x</a><link href="{s._HOME}"> NUL\x00 from data'.encode()
    assert (
        s._based(body, "../", "abc")
        == b'<a href="../x.html">x</a><link href="../../../"> NUL\x00 from data'
    )
    assert (
        s._based(body, "v/abc/", "abc")
        == b'<a href="v/abc/x.html">x</a><link href="./"> NUL\x00 from data'
    )
    with pytest.raises(RuntimeError, match="stand-in"):
        s._based(s._BASE[:-1].encode() + b"x.html", "../", "abc")  # cut: never published

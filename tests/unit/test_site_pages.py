"""What every page tells a reader beside the figures: who publishes them and how to reach
them, the accessibility statement, the source in words (no file names or hashes), a
canonical address, plain wording, and "Find din kommune" with a list view for phones."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from danmarkskort.config.sources import ConfigError
from danmarkskort.domain.municipalities import registry
from danmarkskort.render.publisher import STATEMENT_PAGE, bundled_publisher, parse_publisher

from tests.figures_support import make_doc
from tests.unit.test_render import render, text

PAGES = ("index.html", "2024/index.html", "kommune/155-dragoer.html", "laesevejledning.html")


@pytest.fixture(scope="module")
def site():
    return render(site_url="https://kort.example.dk")


def _footer(html: str) -> str:
    return html[html.index('<footer class="bund">') : html.index("</footer>")]


def _words(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _udgiver(**changes: object) -> bytes:
    doc = {
        "udgiver": {"navn": "Social- og Boligministeriet", "url": "https://www.sm.dk"},
        "kontakt": {"enhed": "Kontoret for Ankestyrelsen", "email": "kontor@sm.dk"},
        "tilgaengelighedserklaering": {"url": "https://www.was.digst.dk/omgoerelser"},
    }
    doc.update(changes)
    return json.dumps(doc).encode()


# --- the publisher, from udgiver.json -------------------------------------------------------


def test_every_page_names_the_publisher_its_contact_and_the_statement(site) -> None:
    publisher = bundled_publisher()
    for f in (*site.files, *site.entry_points):
        if not f.path.endswith(".html") or "/kort/" in f.path:
            continue
        footer = _footer(f.body.decode("utf-8"))
        assert f'Udgivet af <a href="https://www.sm.dk">{publisher.name}</a>' in footer, f.path
        assert "Holmens Kanal 22, 1060 København K" in footer, f.path
        assert re.search(rf'href="[^"]*{STATEMENT_PAGE}"[^>]*>Tilgængelighedserklæring<', footer)


def test_the_bundled_statement_is_a_page_with_the_contact(site) -> None:
    page = _words(text(site, STATEMENT_PAGE))
    assert "Tilgængelighedserklæring" in page
    assert "WCAG 2.1 på niveau AA" in page
    assert "Kontakt Social- og Boligministeriet, Holmens Kanal 22" in page
    assert "senest gennemgået 1. december 2026" in page


def test_a_statement_elsewhere_is_linked_and_no_page_is_made() -> None:
    s = render(publisher=parse_publisher(_udgiver()))
    paths = {f.path for f in s.files}
    assert STATEMENT_PAGE not in paths
    footer = _footer(text(s, "index.html"))
    assert '<a href="https://www.was.digst.dk/omgoerelser">Tilgængelighedserklæring</a>' in footer
    assert 'e-mail <a href="mailto:kontor@sm.dk">kontor@sm.dk</a>' in footer


def test_publisher_texts_are_escaped() -> None:
    bad = _udgiver(udgiver={"navn": "<b>Ministeriet</b> & co"})
    footer = _footer(text(render(publisher=parse_publisher(bad)), "index.html"))
    assert "&lt;b&gt;Ministeriet&lt;/b&gt; &amp; co" in footer
    assert "<b>" not in footer


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        (
            {"tilgaengelighedserklaering": {}},
            "tilgaengelighedserklaering: needs exactly one of 'url' (a link) or 'tekst'",
        ),
        (
            {"tilgaengelighedserklaering": {"url": "https://a.dk/x", "tekst": "Erklæring"}},
            "tilgaengelighedserklaering: needs exactly one of 'url' (a link) or 'tekst'",
        ),
        (
            {"tilgaengelighedserklaering": {"url": "javascript:alert(1)"}},
            "tilgaengelighedserklaering.url: is not an absolute web address",
        ),
        ({"udgiver": {"navn": "SM", "url": 'https://sm.dk/"onclick'}}, "udgiver.url: is not"),
        ({"kontakt": {"enhed": "Kontoret"}}, "kontakt: needs at least one of 'email', 'telefon'"),
        ({"kontakt": {"email": "a@sm.dk"}}, "kontakt: needs 'navn' or 'enhed'"),
        ({"kontakt": {"enhed": "K", "telefon": "ring os op"}}, "kontakt.telefon: is not a phone"),
        ({"kontakt": {"enhed": "K", "email": "a@sm.dk\nBcc: x@y.dk"}}, "kontakt.email: contains"),
        ({"udgiver": {"navn": ""}}, "udgiver.navn: must be a non-empty text"),
        ({"udgivr": {"navn": "SM"}}, "udgivr: unknown field"),
    ],
)
def test_a_wrong_udgiver_json_is_refused_naming_the_field(changes: dict, says: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_publisher(_udgiver(**changes))
    assert str(info.value).startswith("udgiver.json: ")
    assert says in str(info.value), str(info.value)


# --- the footer, canonical addresses --------------------------------------------------------


def test_the_footer_says_source_and_date_in_words_without_file_name_or_hash(site) -> None:
    doc = make_doc(years=(2023, 2024))  # what render() publishes
    for path in PAGES:
        footer = _words(_footer(text(site, path)))
        assert "Kilde: Ankestyrelsen." in footer
        assert re.search(r"modtaget \d{1,2}\. \w+ \d{4}\. Siden er opdateret", footer), footer
        assert doc.extract_file not in footer and doc.extract_id[:8] not in footer, path
        assert site.version not in footer, path
        assert "version" not in footer.lower(), path
    # The technical id stays in the open data.
    data = json.loads(text(site, "2024/data/omgoerelser-2024.json"))
    assert (data["extract_id"], data["extract_file"]) == (doc.extract_id, doc.extract_file)


def test_every_page_declares_its_stable_address(site) -> None:
    expected = {
        "index.html": "https://kort.example.dk/",
        "2024/index.html": "https://kort.example.dk/2024/index.html",
        "kommune/155-dragoer.html": "https://kort.example.dk/kommune/155-dragoer.html",
        "laesevejledning.html": "https://kort.example.dk/laesevejledning.html",
        "find.html": "https://kort.example.dk/find.html",
    }
    entries = {f.path: f.body.decode("utf-8") for f in site.entry_points if f.path in expected}
    for path, url in expected.items():
        for body in (text(site, path), entries[path]):  # the versioned copy and the entry point
            assert re.findall(r'<link rel="canonical" href="([^"]+)">', body) == [url], path
    assert "canonical" not in text(site, "2024/kort/socialomraadet.html")


def test_without_a_site_url_the_canonical_address_is_relative_to_the_root() -> None:
    s = render()
    assert '<link rel="canonical" href="../../../kommune/155-dragoer.html">' in text(
        s, "kommune/155-dragoer.html"
    )
    entry = next(f for f in s.entry_points if f.path == "kommune/155-dragoer.html")
    assert '<link rel="canonical" href="../kommune/155-dragoer.html">' in entry.body.decode()
    root = next(f for f in s.entry_points if f.path == "index.html")
    assert '<link rel="canonical" href="./">' in root.body.decode()


# --- wording --------------------------------------------------------------------------------


def test_the_headline_does_not_count_hjemvisninger_as_changes(site) -> None:
    page = text(site, "2024/index.html")
    h1 = re.search(r"<h1>(.*?)</h1>", page).group(1)
    assert h1 == "Hvor ofte omgør Ankestyrelsen kommunernes afgørelser?"
    lead = _words(re.search(r'<p class="lead">(.*?)</p>', page, re.S).group(1))
    assert "der blev omgjort, det vil sige ændret, ophævet eller hjemvist" in lead
    municipality = _words(text(site, "kommune/155-dragoer.html"))
    assert "Så stor en del" not in municipality
    assert (
        "hvor mange procent af klagesagerne fra Dragør Kommune, som Ankestyrelsen" in municipality
    )


# --- find din kommune, the list view --------------------------------------------------------


def test_the_front_page_has_a_search_box_with_every_name(site) -> None:
    page = text(site, "index.html")
    form = page[page.index('<form class="find"') : page.index("</form>")]
    assert 'action="find.html" method="get" role="search"' in form
    assert '<label for="find-q">Find din kommune</label>' in form
    names = re.findall(r'<option value="([^"]+)">', form)
    assert sorted(names) == sorted(unescape(m.name) for m in registry().municipalities)


def test_find_page_lists_every_municipality_with_its_page(site) -> None:
    page = text(site, "find.html")
    links = re.findall(r'<li data-navn="([^"]+)" data-fuldt="[^"]+"><a href="([^"]+)">', page)
    assert len(links) == 98
    assert ("Dragør", "kommune/155-dragoer.html") in links


def test_each_map_has_a_list_view_with_every_municipality_and_its_figures(site) -> None:
    page = text(site, "2024/index.html")
    lists = re.findall(r'<ul class="tal-liste".*?</ul>', page, re.S)
    assert len(lists) == 3  # one per area
    rows = re.findall(
        r'<li data-navn="([^"]+)" data-fuldt="[^"]+"><a href="([^"]+)">(.*?)</a></li>', lists[0]
    )
    assert len(rows) == 98
    # The list shows what the table shows: the same rate and cases for each municipality.
    table = page[page.index("<table>") : page.index("</table>")]
    for name, href, body in rows:
        cells = re.search(rf'<a href="{re.escape(href)}">[^<]*</a>.*?</tr>', table, re.S)
        assert cells, name
        rate = " ".join(re.findall(r"<td class=\"tal\">([^<]*)</td>", cells.group())[0].split())
        words = _words(body)
        assert (rate in words) if rate != "–" else ("ingen sager" in words), (name, words)

"""The maps' legends and the embeddable snippet in headless Chromium: every kind of mark drawn
is in the legend beside it, tile labels fit their tiles in a real font, and the snippet works
by keyboard, holds every municipality's figures, loads nothing and passes axe."""

from __future__ import annotations

import re

import pytest
from danmarkskort.render.geojson import geometry_from_geojson
from danmarkskort.render.geometry import LABEL_ROOM, tilegrid

from tests.browser.conftest import Served, serious_violations
from tests.conftest import fixture_path
from tests.unit.test_render import render

pytestmark = pytest.mark.browser

AREAS = ("socialomraadet", "boernehandicap", "voksenhandicap")


@pytest.fixture(scope="module")
def marked(served: Served) -> dict[str, str]:
    """Two sites beside the chain's, under the same server: the tile grid and the geographic
    map, from a figures document with few-cases and no-cases municipalities (Læsø has no
    voksenhandicap cases in 2024) and the bundled remarks (Dragør, Tårnby, …)."""
    geo = geometry_from_geojson(fixture_path("kommuner-mini.geojson").read_bytes())
    roots = {}
    for name, geometry in (("maerker", tilegrid()), ("maerker-geo", geo)):
        for f in render(geometry=geometry).files:
            path = served.root / name / f.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f.body)
        roots[name] = f"{name}/"
    return roots


MARKS_AND_LEGENDS = """(sel) => [...document.querySelectorAll(sel)].map(fig => {
    const kinds = els => new Set([...els].flatMap(e => e.dataset.mark.split(/\\s+/)));
    const map = fig.querySelector('svg');
    const legend = fig.querySelector('ul.legende');
    const drawn = kinds(map.querySelectorAll('[data-mark]'));
    const listed = kinds(legend.querySelectorAll('li[data-mark]'));
    const hidden = [...legend.querySelectorAll('li')].filter(li => !li.checkVisibility()).length;
    return {drawn: [...drawn], missing: [...drawn].filter(k => !listed.has(k)), hidden};
})"""


@pytest.mark.parametrize("root", ["maerker", "maerker-geo"])
def test_every_mark_on_a_map_is_in_its_legend(browser, marked, root) -> None:
    page = browser.page
    drawn: set[str] = set()
    browser.goto(marked[root] + "2024/index.html")
    figures = page.evaluate(MARKS_AND_LEGENDS, "figure.kort-figur")
    for area in AREAS:
        browser.goto(f"{marked[root]}2024/kort/{area}.html")
        figures += page.evaluate(MARKS_AND_LEGENDS, "figure.dkkort")
    assert len(figures) == 6
    for fig in figures:
        assert fig["missing"] == [] and fig["hidden"] == 0, fig
        drawn |= set(fig["drawn"])
    expected = {"lavn", "ingen", "bem"} | ({"udsnit", "ramme"} if root == "maerker-geo" else set())
    assert expected <= drawn, drawn
    assert browser.console_errors == [] and browser.foreign == []


def test_every_tile_label_fits_its_tile_in_the_browsers_font(browser, marked) -> None:
    page = browser.page
    browser.goto(marked["maerker"] + "2024/index.html")
    widths = page.evaluate(
        """() => [...document.querySelectorAll('svg.kort')[0].querySelectorAll('.kort-navn')]
            .map(t => [t.textContent, t.getComputedTextLength(), getComputedStyle(t).fontSize])"""
    )
    assert len(widths) == 98
    too_wide = [(label, w) for label, w, _ in widths if w > LABEL_ROOM]
    assert too_wide == []
    sizes = {label: size for label, _, size in widths}
    assert sizes["Kbh."] == "10.5px" and sizes["Odense"] == "8.5px"


def _tab_to(page, selector: str, limit: int = 150) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"Tab never reached {selector}")


def test_snippet_tile_opens_its_page_by_keyboard(browser, marked) -> None:
    page = browser.page
    browser.goto(marked["maerker"] + "2024/kort/voksenhandicap.html")
    _tab_to(page, "figure.dkkort a.kommune")
    name = page.evaluate("document.activeElement.querySelector('title').textContent")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/kommune/" in page.url
    assert page.locator("h1").inner_text().startswith(name.split("\n")[0])
    assert browser.console_errors == [] and browser.foreign == []


def test_snippet_list_opens_by_keyboard_and_its_links_work(browser, marked) -> None:
    page = browser.page
    browser.goto(marked["maerker"] + "2024/kort/boernehandicap.html")
    details = page.locator("figure.dkkort details")
    assert not details.evaluate("d => d.open")
    assert details.locator("li a").first.is_hidden()
    _tab_to(page, "figure.dkkort summary")
    page.keyboard.press("Enter")
    assert details.evaluate("d => d.open")
    assert details.locator("li").count() == 98
    page.keyboard.press("Tab")
    first = page.evaluate("document.activeElement.textContent")
    assert first == details.locator("li a").first.inner_text()
    line = details.locator("li").first.inner_text()
    assert re.fullmatch(rf"{first}: (\d+\xa0% af [\d.]+ sag(er)?.*|ingen sager.*)", line), line
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/kommune/" in page.url and page.locator("h1").inner_text().startswith(first)
    assert browser.console_errors == [] and browser.foreign == []


def test_snippet_search_form_asks_find_html(browser, marked) -> None:
    page = browser.page
    browser.goto(marked["maerker"] + "2024/kort/socialomraadet.html")
    field = page.get_by_label("Find din kommune")
    assert field.is_visible()
    options = page.locator("figure.dkkort datalist option")
    assert options.count() == 98
    asked: list[str] = []
    page.on("request", lambda r: r.is_navigation_request() and asked.append(r.url))
    field.fill("Frederiksberg")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/kommune/147-|/find\.html"))
    # The form asks the site's find.html, which opens the municipality's page.
    assert asked[0] == browser.served.url + "maerker/find.html?q=Frederiksberg"


def test_snippet_loads_nothing_from_another_origin(browser, marked) -> None:
    page = browser.page
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    for root in ("maerker", "maerker-geo"):
        for area in AREAS:
            browser.goto(f"{marked[root]}2024/kort/{area}.html")
            page.locator("figure.dkkort summary").click()  # open the list too
    assert browser.foreign == []
    # Each snippet is one request: no style sheet, script, font or image of its own.
    assert [u for u in requested if not u.endswith("/kort/" + u.rsplit("/", 1)[-1])] == []
    assert len(requested) == 6
    assert browser.console_errors == []


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("root", ["maerker", "maerker-geo"])
def test_axe_finds_no_serious_violations_in_the_snippet(browser, marked, root, width) -> None:
    page = browser.page
    page.set_viewport_size({"width": width, "height": 900})
    browser.goto(marked[root] + "2024/kort/voksenhandicap.html")
    serious = serious_violations(page, "document.querySelector('figure.dkkort')")
    assert serious == []
    # Targets outside the map are at least 24 × 24 CSS px (WCAG 2.2, 2.5.8).
    small = page.evaluate(
        """() => [...document.querySelectorAll(
            'figure.dkkort details a, figure.dkkort summary, figure.dkkort form input,'
            + 'figure.dkkort form button, figure.dkkort .dk-kilde a')]
            .map(e => [e.textContent.trim() || e.name, e.getBoundingClientRect()])
            .filter(([, r]) => r.width < 24 || r.height < 24)
            .map(([t, r]) => [t, Math.round(r.width), Math.round(r.height)])"""
    )
    assert small == []
    assert browser.foreign == []

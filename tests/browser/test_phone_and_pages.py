"""The site on a phone and on a desktop, in headless Chromium: every municipality reachable
and tappable at 390 px (list view, then the map), "Find din kommune", the publisher and the
accessibility statement on every page, and axe (WCAG 2.2 AA, target size included) at both
widths."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import Browser, serious_violations

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PAGES = [
    "index.html",
    "2023/index.html",
    "kommune/155-dragoer.html",
    "laesevejledning.html",
    "rettelser.html",
    "find.html",
    "tilgaengelighed.html",
]
MIN_TARGET = 24  # WCAG 2.2, 2.5.8 Target Size (Minimum), CSS px


@pytest.fixture
def phone(chromium, served, site) -> Iterator[Browser]:
    context = chromium.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="da-DK"
    )
    page = context.new_page()
    b = Browser(page=page, served=served)

    def route(r) -> None:
        if urlsplit(r.request.url).netloc == served.host:
            r.continue_()
        else:
            b.foreign.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page.on("pageerror", lambda e: b.console_errors.append(str(e)))
    yield b
    context.close()


def _boxes(page, selector: str) -> list[dict]:
    return page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)].map(e => {
            const r = e.getBoundingClientRect();
            return {w: r.width, h: r.height, visible: r.width > 0 && r.height > 0,
                    name: e.closest('[data-navn]')?.dataset.navn || e.dataset.kode || ''};
        })""",
        selector,
    )


def test_on_a_phone_each_map_is_a_list_of_all_98_with_tappable_rows(phone) -> None:
    phone.goto("index.html")
    page = phone.page
    for section in page.locator("section.omraade").all():
        rows = _boxes(page, f"#{section.get_attribute('id')} .tal-liste li a")
        assert len(rows) == 98
        assert all(r["visible"] for r in rows)
        small = [r for r in rows if r["h"] < MIN_TARGET or r["w"] < MIN_TARGET]
        assert small == []
        # The map is behind the "Kort" button: the list is the phone's default.
        assert not section.locator("svg.kort").is_visible()
    row = page.locator('#socialomraadet .tal-liste li[data-navn="Dragør"] a')
    row.scroll_into_view_if_needed()
    row.tap()
    page.wait_for_url("**/kommune/155-dragoer.html")
    assert page.locator("h1").text_content() == "Dragør Kommune"
    assert phone.foreign == [] and phone.console_errors == []


def test_on_a_phone_every_tile_of_the_map_is_reachable_and_big_enough_to_tap(phone) -> None:
    phone.goto("index.html")
    page = phone.page
    button = page.locator('#boernehandicap button[data-vis="kort"]')
    button.tap()
    assert button.get_attribute("aria-pressed") == "true"
    tiles = _boxes(page, "#boernehandicap svg.kort a.kommune")
    assert len({t["name"] for t in tiles}) == 98
    small = [t for t in tiles if t["w"] < MIN_TARGET or t["h"] < MIN_TARGET]
    assert small == [], small[:5]
    # The map scrolls sideways inside its box; the page itself does not.
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1]
    tile = page.locator('#boernehandicap a.kommune[data-kode="400"]')  # Bornholm, far east
    tile.scroll_into_view_if_needed()
    tile.tap()
    page.wait_for_url("**/kommune/400-bornholm.html")


def test_without_javascript_a_phone_shows_the_map_and_the_list(chromium, served, site) -> None:
    context = chromium.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(served.url + "index.html")
        section = page.locator("#socialomraadet")
        assert section.locator("svg.kort").is_visible()
        assert section.locator(".tal-liste li").count() == 98
        assert section.locator(".tal-liste").is_visible()
        assert not section.locator(".visning-valg").is_visible()
    finally:
        context.close()


def test_find_din_kommune_opens_the_one_match_and_narrows_the_lists(browser) -> None:
    browser.goto("index.html")
    page = browser.page
    box = page.get_by_label("Find din kommune")
    box.fill("fre")
    assert page.locator(".find-svar").text_content().startswith("5 kommuner passer på «fre»")
    visible = page.locator(".kommuneliste[data-find-liste] li:not([hidden])")
    assert visible.count() == 5
    box.press("Enter")  # several matches: the page stays, the list shows them
    assert page.url.endswith("index.html")
    box.fill("dragør kommune")
    box.press("Enter")
    page.wait_for_url("**/kommune/155-dragoer.html")


@pytest.mark.parametrize(
    ("typed", "page"),
    [
        ("Københavns Kommune", "101-koebenhavn"),  # the name as its page's h1 says it
        ("Århus", "751-aarhus"),
        ("Åbenrå", "580-aabenraa"),
        ("Lyngby Taarbæk", "173-lyngby-taarbaek"),
        ("Sonderborg", "540-soenderborg"),
        ("bornholms regionskommune", "400-bornholm"),
        ("Drag", "155-dragoer"),  # the one name that starts so
    ],
)
def test_find_din_kommune_knows_names_as_people_type_them(browser, typed, page) -> None:
    browser.goto("index.html")
    box = browser.page.get_by_label("Find din kommune")
    box.fill(typed)
    box.press("Enter")
    browser.page.wait_for_url(f"**/kommune/{page}.html")


def test_find_page_with_a_query_opens_the_municipality_or_lists_matches(browser) -> None:
    browser.goto("find.html?q=Bornholm")
    browser.page.wait_for_url("**/kommune/400-bornholm.html")
    browser.goto("find.html?q=%3Cscript%3Ex")  # shown as text, nothing found
    page = browser.page
    assert (
        page.locator(".find-svar").text_content().startswith("Ingen kommune passer på «<script>x»")
    )
    assert page.locator("[data-find-liste] li:not([hidden])").count() == 0
    # A name that only begins one municipality's name is listed, not opened, when the query
    # comes from elsewhere (a snippet's form): "Hals" is a town in Aalborg, not Halsnæs.
    browser.goto("find.html?q=Hals")
    assert page.url.endswith("find.html?q=Hals")
    assert page.locator("[data-find-liste] li:not([hidden])").all_text_contents() == ["Halsnæs"]
    assert browser.console_errors == []


@pytest.mark.parametrize("path", PAGES)
def test_no_page_scrolls_sideways_on_a_phone(phone, path) -> None:
    phone.goto(path)
    scroll, client = phone.page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client, path


def test_the_funnel_plot_by_mouse_and_keyboard(browser) -> None:
    browser.goto("index.html")
    page = browser.page
    plot = page.locator("#socialomraadet svg.tragt")
    points = plot.locator(".punkt")
    assert points.count() > 90
    first = points.first
    first.hover()
    tip = page.locator("#tip")
    assert tip.is_visible()
    name = tip.locator("strong").text_content()
    assert name and name in first.get_attribute("aria-label")
    # One tab stop for the whole plot; the arrow keys walk its points in order of cases.
    assert plot.locator('.punkt[tabindex="0"]').count() == 1
    first.focus()
    page.keyboard.press("ArrowRight")
    second = points.nth(1)
    assert second.evaluate("el => el === document.activeElement")
    assert tip.is_visible() and tip.locator("strong").text_content() in (
        second.get_attribute("aria-label")
    )
    page.keyboard.press("End")
    assert points.last.evaluate("el => el === document.activeElement")
    assert browser.console_errors == []


@pytest.mark.parametrize("path", PAGES)
def test_every_page_links_the_publisher_and_the_accessibility_statement(browser, path) -> None:
    browser.goto(path)
    page = browser.page
    footer = page.locator("footer.bund")
    assert "Udgivet af Social- og Boligministeriet" in footer.text_content()
    link = footer.get_by_role("link", name="Tilgængelighedserklæring")
    href = link.get_attribute("href")
    response = page.request.get(page.url.rsplit("/", 1)[0] + "/" + href)
    assert response.ok, href
    assert "<h1>Tilgængelighedserklæring</h1>" in response.text()
    canonical = page.locator('link[rel="canonical"]')
    assert canonical.count() == 1


@pytest.mark.parametrize("path", PAGES)
def test_axe_at_phone_and_desktop_width(browser, phone, path) -> None:
    for b in (phone, browser):
        b.goto(path)
        assert serious_violations(b.page) == [], (b.page.viewport_size, path)
        assert b.foreign == []


def test_in_the_list_view_the_legend_swatches_paint_their_own_patterns(phone) -> None:
    """The hatched and dotted swatches were blank on a phone: they used the map's patterns,
    and a browser paints no pattern of an SVG that is not displayed."""
    phone.goto("index.html")
    page = phone.page
    assert not page.locator("#socialomraadet svg.kort").is_visible()
    foreign = page.evaluate(
        """() => [...document.querySelectorAll('.legende svg.tegn [fill^="url(#"]')]
            .filter(el => {
                const id = el.getAttribute('fill').slice(5, -1);
                const target = document.getElementById(id);
                return !target || target.closest('svg') !== el.closest('svg');
            }).map(el => el.getAttribute('fill'))"""
    )
    swatches = page.locator('#socialomraadet .legende svg.tegn [fill^="url(#"]').count()
    assert swatches == 2 and foreign == []

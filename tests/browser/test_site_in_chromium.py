"""The published site in headless Chromium: maps, tooltip, keyboard, links, accessibility."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import serious_violations

pytestmark = pytest.mark.browser


def shape_fills_are_from_the_legend(page, figure_index: int) -> dict:
    return page.evaluate(
        """(i) => {
        const fig = document.querySelectorAll('figure.kort-figur, figure.dkkort')[i];
        const svg = fig.querySelector('svg');
        const legend = new Set([...fig.querySelectorAll('[data-fill]')]
            .map(e => e.dataset.fill).filter(f => f.startsWith('#')));
        const bad = [];
        const fills = [...svg.querySelectorAll('a.kommune path.felt')].map(p => {
            let fill = p.getAttribute('fill');
            const m = fill.match(/^url\\(#(.+)\\)$/);
            if (m) {
                const pattern = svg.querySelector('#' + CSS.escape(m[1]));
                if (!pattern) { bad.push(fill); return fill; }
                if (m[1].endsWith('-ingen')) { return 'ingen'; }
                fill = pattern.querySelector('rect').getAttribute('fill');
            }
            if (!legend.has(fill)) { bad.push(fill); }
            return fill;
        });
        const codes = new Set([...svg.querySelectorAll('a.kommune')].map(a => a.dataset.kode));
        return {shapes: fills.length, codes: codes.size, bad, legend: legend.size};
    }""",
        figure_index,
    )


def test_year_page_has_three_maps_of_98_filled_municipalities(browser) -> None:
    browser.goto("index.html")
    page = browser.page
    assert page.locator("html").get_attribute("lang") == "da"
    assert page.locator("svg.kort").count() == 3
    for i in range(3):
        result = shape_fills_are_from_the_legend(page, i)
        assert result["shapes"] == 98 and result["codes"] == 98, result
        assert result["bad"] == [] and result["legend"] >= 6, result
    assert browser.console_errors == [] and browser.foreign == []


def test_hover_shows_a_tooltip_with_rate_and_cases(browser) -> None:
    browser.goto("index.html")
    page = browser.page
    tip = page.locator("#tip")
    assert tip.is_hidden()
    page.locator("svg.kort >> nth=0").locator('a.kommune[data-kode="155"] path').hover()
    assert tip.is_visible()
    text = tip.inner_text()
    assert text.startswith("Dragør")
    assert re.search(r"(omgjort af \d+ sag|ingen realitetsbehandlede sager)", text)
    page.mouse.move(2, 2)
    page.locator("h1").hover()
    assert tip.is_hidden()


def test_keyboard_reaches_a_municipality_and_opens_its_page(browser) -> None:
    browser.goto("index.html")
    page = browser.page
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('svg.kort a.kommune')"):
            break
    else:
        pytest.fail("Tab never reached a municipality on the map")
    assert page.locator("#tip").is_visible()  # the tooltip also follows keyboard focus
    name = page.locator("#tip strong").inner_text()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/kommune/" in page.url
    assert page.locator("h1").inner_text().startswith(name.split(" ")[0])
    assert browser.console_errors == [] and browser.foreign == []


def test_reading_guide_is_reachable_from_map_page_and_municipality_page(browser) -> None:
    browser.goto("index.html")
    page = browser.page
    with page.expect_navigation():
        page.get_by_role("navigation", name="Hovedmenu").get_by_role(
            "link", name="Læsevejledning"
        ).click()
    assert page.locator("h1").inner_text() == "Sådan læser du omgørelsesprocenterne"
    browser.goto("kommune/155-dragoer.html")
    assert "Tårnby Kommune træffer afgørelserne" in page.locator(".bemaerkninger").inner_text()
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name=re.compile("Læs vejledningen")).click()
    assert page.url.endswith("laesevejledning.html")
    assert browser.console_errors == [] and browser.foreign == []


def test_snippets_work_on_their_own(browser) -> None:
    page = browser.page
    browser.goto("2024/kort/boernehandicap.html")
    assert page.locator("figure.dkkort a.kommune").count() == 98
    result = shape_fills_are_from_the_legend(page, 0)
    assert result["bad"] == [] and result["shapes"] == 98
    caption = page.locator("figure.dkkort").inner_text()
    assert "Kilde: Ankestyrelsen" in caption
    assert "Omgørelsesprocent 2024: børnehandicap" in caption  # UTF-8 even without headers
    browser.goto("2024/kort/boernehandicap.svg")
    assert page.locator("a.kommune").count() == 98
    title = page.locator('a.kommune[data-kode="825"] title').text_content()
    assert title.startswith("Læsø")
    assert browser.console_errors == [] and browser.foreign == []


def test_no_request_leaves_the_local_host(browser) -> None:
    for path in (
        "index.html",
        "2023/index.html",
        "kommune/185-taarnby.html",
        "laesevejledning.html",
        "2024/kort/socialomraadet.html",
        "2024/kort/socialomraadet.svg",
    ):
        browser.goto(path)
    assert browser.foreign == []
    assert browser.console_errors == []


@pytest.mark.parametrize(
    "path", ["index.html", "kommune/155-dragoer.html", "laesevejledning.html", "2023/index.html"]
)
def test_axe_finds_no_serious_violations(browser, path) -> None:
    browser.goto(path)
    serious = serious_violations(browser.page)
    assert serious == []
    assert browser.foreign == []


def test_without_javascript_the_svg_title_is_the_tooltip(chromium, served, site) -> None:
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(served.url + "index.html")
        first_map = page.locator("svg.kort").first
        assert first_map.locator("a.kommune > title").count() == 98
        title = first_map.locator('a.kommune[data-kode="147"] > title').text_content()
        assert title.startswith("Frederiksberg\n")
    finally:
        context.close()


def test_the_tooltip_and_the_table_show_the_same_figures(browser) -> None:
    """One number everywhere: what the tooltip says of a municipality is its table row."""
    browser.goto("index.html")
    page = browser.page
    section = page.locator("section.omraade").first
    section.locator("details.tabel summary").click()
    compared = 0
    for code in ("751", "101", "147", "825"):
        section.locator(f'svg.kort a.kommune[data-kode="{code}"] path').hover()
        tip = page.locator("#tip").inner_text()
        row = section.locator(f'table tr:has(a[href*="kommune/{code}-"])')
        cells = row.locator("td").all_inner_texts()
        rate, change = re.match(r"\d+|–", cells[0]), re.match(r"[+−±]?\d+|–", cells[6])
        assert rate and change, cells
        if rate.group() == "–":
            assert "ingen realitetsbehandlede sager" in tip
            continue
        assert re.search(r"\n(\d+)\xa0% omgjort", tip).group(1) == rate.group(), (code, tip)
        said = re.search(r"Ændring fra \d+: ([+−]?\d+)\xa0procentpoint", tip)
        assert (said.group(1) if said else "–") == change.group().lstrip("±"), (code, tip)
        compared += 1
    assert compared >= 3
    assert browser.console_errors == [] and browser.foreign == []


def test_the_open_data_spreadsheet_is_one_click_from_the_map(browser) -> None:
    browser.goto("2024/index.html")
    page = browser.page
    link = page.get_by_role("link", name="Data som regneark (XLSX)").first
    href = link.get_attribute("href")
    assert href and href.endswith("2024/data/omgoerelser-2024.xlsx")
    response = page.request.get(browser.served.url + "2024/" + href)
    assert response.ok and response.body()[:2] == b"PK"  # a zip: the workbook itself
    assert page.locator('footer a[href$="omgoerelser-2023.xlsx"]').count() == 1
    assert browser.console_errors == [] and browser.foreign == []

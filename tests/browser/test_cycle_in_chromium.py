"""The yearly cycle as a reader sees it, in headless Chromium: after a 2022–2023 extract, a
2024 extract and a corrected 2024 extract on one local state, the year navigation lists
every published year, the 2024 page and Dragør's page say "Rettet" with what changed, the
change log lists it, and a page of the superseded version says it is old and links to the
current one. No serious accessibility violations on the new pages."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator

import pytest

from tests.browser.conftest import AXE, _Quiet

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def cycle_site(tmp_path_factory) -> Iterator[tuple[str, dict[str, str]]]:
    from danmarkskort_tools.generator import correct_extract, write_extract
    from danmarkskort_tools.local.chain import run_chain

    work = tmp_path_factory.mktemp("browser-cycle")
    root = work / "served"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/"
    first = work / "a.csv"
    write_extract(first, years=[2022, 2023], cases_per_year=400, seed=41)
    second = work / "b.csv"
    write_extract(second, years=[2024], cases_per_year=400, seed=42)
    third = work / "c.csv"
    correct_extract(second, third, 2024, {"155": 3})
    versions: dict[str, str] = {}
    for name, extract in (("first", first), ("second", second), ("third", third)):
        out = work / f"out-{name}"
        result = run_chain(
            extract,
            out=out,
            progress=lambda *_: None,
            state=work / "state",
            site_url=url.rstrip("/"),
        )
        assert result.status == "published", name
        versions[name] = json.loads((out / "site" / "versions.json").read_text())["current"]
    import shutil

    shutil.copytree(work / "out-third" / "site", root, dirs_exist_ok=True)
    try:
        yield url, versions
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def page(chromium, cycle_site):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    p = context.new_page()
    errors: list[str] = []
    p.on("console", lambda m: m.type == "error" and errors.append(m.text))
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.errors = errors  # type: ignore[attr-defined]
    yield p
    assert errors == []
    context.close()


def _serious(page) -> list[str]:  # type: ignore[no-untyped-def]
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run()")
    return [
        f"{v['id']}: {v['help']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_the_year_navigation_lists_every_published_year(page, cycle_site):
    url, _ = cycle_site
    page.goto(url + "index.html", wait_until="load")
    years = page.locator("header nav a").all_inner_texts()
    assert [y for y in years if y.isdigit()] == ["2024", "2023", "2022"]
    page.locator("header nav a", has_text="2022").click()
    assert page.url.endswith("/2022/index.html") or "/2022/" in page.url
    assert "2022" in page.locator("h1, .overtitel").first.inner_text()


def test_the_correction_is_shown_on_the_year_page_and_dragoers_page(page, cycle_site):
    url, _ = cycle_site
    page.goto(url + "2024/index.html", wait_until="load")
    notice = page.locator(".rettet").first
    assert notice.is_visible() and "Rettet" in notice.inner_text()
    notice.locator("a").click()
    assert "rettelser.html" in page.url
    assert "Dragør" in page.locator("main").inner_text()
    assert _serious(page) == []
    page.goto(url + "kommune/155-dragoer.html", wait_until="load")
    rettet = page.locator("section.rettet")
    assert rettet.is_visible() and "→" in rettet.inner_text()
    assert _serious(page) == []


def test_a_superseded_version_says_so_and_links_to_the_current_figures(page, cycle_site):
    url, versions = cycle_site
    page.goto(url + f"v/{versions['second']}/kommune/155-dragoer.html", wait_until="load")
    note = page.locator(".foraeldet")
    note.wait_for(state="visible")
    assert "ældre udgave" in note.inner_text()
    note.locator("a").click()
    page.wait_for_load_state("load")
    assert page.url == url + "kommune/155-dragoer.html"
    assert page.locator(".foraeldet").count() == 0  # the current page has no such notice

"""The consultation round in headless Chromium, as a municipality and then a reader meet it
(issue 11): `danmarkskort run --hoering` on a small extract, `serve OUT --state DIR` as a
subprocess; the personal link from out/outbox/155.eml opens Dragør's comment page (its
figures, the deadline, no serious axe violations); a comment with markup written with the
keyboard only is received and shown as text, no script runs; the page works without
JavaScript (GET and POST); a link whose token names another municipality gets a plain
Danish 4xx page without figures. Then serve stops, `publish` runs, serve starts again, and
the comment stands on Dragør's page and in the map's info box, as text, attributed.
One `run --hoering` and one `publish` for the whole module; the tests run in file order.
"""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import serious_violations
from tests.invitations import free_port, invitation_link
from tests.local_serve import start_serve, stop_serve

pytestmark = pytest.mark.browser

COMMENT = "<script>alert(1)</script> & <b>fed</b>"
NO_JS_COMMENT = "Frederiksberg skrev dette uden JavaScript <i>kursiv</i>."
FIELD = "kommentar-socialomraadet"
MONTHS = "januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december"


@dataclass
class Round:
    state: Path
    out: Path
    port: int
    serve: subprocess.Popen[bytes] | None = None
    posted: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def link(self, code: str) -> str:
        return invitation_link(self.out / "outbox" / f"{code}.eml")

    def start(self) -> None:
        assert self.serve is None
        self.serve = start_serve(self.out, self.port, state=self.state)

    def stop(self) -> None:
        if self.serve is not None:
            stop_serve(self.serve)
            self.serve = None


@pytest.fixture(scope="module")
def hoering(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Round]:
    from danmarkskort_tools.cli import main
    from danmarkskort_tools.generator import write_extract

    root = tmp_path_factory.mktemp("browser-hoering")
    extract = root / "udtræk.csv"
    write_extract(extract, years=[2024, 2025], cases_per_year=3000, seed=11)
    r = Round(state=root / "state", out=root / "out", port=free_port())
    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        code = main(
            [
                "run",
                str(extract),
                "--hoering",
                *("--state", str(r.state), "--out", str(r.out), "--port", str(r.port)),
            ]
        )
    assert code == 0, said.getvalue()
    assert not (r.out / "site").exists() and (r.out / "preview" / "index.html").is_file()
    r.start()
    try:
        yield r
    finally:
        r.stop()


@pytest.fixture(scope="module")
def published(hoering: Round) -> Round:
    """serve stopped, `publish`, serve started again: the round's site is public."""
    from danmarkskort_tools.cli import main

    assert "155" in hoering.posted, "the comment tests above run first (file order)"
    hoering.stop()
    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        code = main(
            [
                "publish",
                *("--state", str(hoering.state), "--out", str(hoering.out)),
                *("--port", str(hoering.port)),
            ]
        )
    assert code == 0, said.getvalue()
    assert (hoering.out / "site" / "kommune" / "155-dragoer.html").is_file()
    hoering.start()
    return hoering


@dataclass
class Tab:
    page: object
    dialogs: list[str]
    errors: list[str]


@contextlib.contextmanager
def tab(chromium, **options: object) -> Iterator[Tab]:  # type: ignore[no-untyped-def]
    context = chromium.new_context(
        locale="da-DK", viewport={"width": 1280, "height": 900}, **options
    )
    page = context.new_page()
    t = Tab(page=page, dialogs=[], errors=[])

    def on_dialog(dialog) -> None:  # type: ignore[no-untyped-def]
        t.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda e: t.errors.append(str(e)))
    try:
        yield t
    finally:
        context.close()


def tab_until(page, selector: str, limit: int = 10) -> int:  # type: ignore[no-untyped-def]
    """Press Tab until the focus is on `selector`; how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return presses
    pytest.fail(f"Tab never reached {selector}")


def write_with_the_keyboard(page, text: str) -> None:  # type: ignore[no-untyped-def]
    """Tab to the first comment field, type, Tab to the submit button, Enter: no click."""
    assert tab_until(page, "textarea") == 1  # nothing to pass before the first field
    assert page.evaluate("document.activeElement.id") == FIELD
    page.keyboard.type(text)
    tab_until(page, "#gem")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_the_invitation_link_opens_dragoers_page_with_figures_and_deadline(
    chromium, hoering
) -> None:
    # axe is injected as a script, which the page's CSP forbids: this context bypasses the
    # CSP, so that no script running below is the escaping's doing, not the CSP's
    with tab(chromium, bypass_csp=True) as t:
        page = t.page
        response = page.goto(hoering.link("155"), wait_until="load")
        assert response is not None and response.status == 200
        assert page.locator("html").get_attribute("lang") == "da"
        h1 = page.locator("h1").inner_text()
        assert "Dragør Kommune" in h1, h1
        main = page.locator("main").inner_text()
        assert "Socialområdet generelt" in main and "Voksenhandicap" in main
        assert re.search(r"\d+\xa0?% omgjort af \d+ sag", main), main  # the figures
        assert "Hele landet:" in main
        frist = page.locator(".frist").inner_text()
        assert re.search(rf"Frist: \d{{1,2}}\. ({MONTHS}) \d{{4}}", frist), frist
        assert page.locator("textarea").count() == 3
        assert serious_violations(page) == []
        assert t.dialogs == [] and t.errors == []


def test_a_comment_written_with_the_keyboard_only_is_received_and_shown_as_text(
    chromium, hoering
) -> None:
    with tab(chromium, bypass_csp=True) as t:
        page = t.page
        page.goto(hoering.link("155"), wait_until="load")
        write_with_the_keyboard(page, COMMENT)
        assert urlsplit(page.url).path.endswith("/kvittering"), page.url
        assert page.locator("h1").inner_text() == "Kommentaren er gemt"
        assert "Dragør Kommunes kommentar er gemt" in page.locator("main").inner_text()
        words = page.locator("main blockquote")
        assert words.count() == 1 and words.inner_text() == COMMENT  # literally, not as HTML
        assert page.locator("main script, main b").count() == 0
        assert page.evaluate("typeof window.alert") == "function"
        assert t.dialogs == [] and t.errors == []  # no alert: the script did not run
        assert serious_violations(page) == []
        # The link again: the form holds the stored words, ready to be changed.
        page.goto(hoering.link("155"), wait_until="load")
        assert page.locator(f"#{FIELD}").input_value().strip() == COMMENT
        assert t.dialogs == []
    hoering.posted["155"] = COMMENT


def test_the_comment_page_works_without_javascript(chromium, hoering) -> None:
    with tab(chromium, java_script_enabled=False) as t:
        page = t.page
        response = page.goto(hoering.link("147"), wait_until="load")
        assert response is not None and response.status == 200
        assert "Frederiksberg Kommune" in page.locator("h1").inner_text()
        write_with_the_keyboard(page, NO_JS_COMMENT)
        assert page.locator("h1").inner_text() == "Kommentaren er gemt"
        assert page.locator("main blockquote").inner_text() == NO_JS_COMMENT
        assert page.locator("main i").count() == 0
    hoering.posted["147"] = NO_JS_COMMENT


def test_a_token_changed_to_another_municipality_gets_a_plain_danish_4xx(chromium, hoering) -> None:
    link = hoering.link("155")
    assert link.count(".155.") == 1
    foreign = link.replace(".155.", ".147.")
    with tab(chromium, bypass_csp=True) as t:
        page = t.page
        response = page.goto(foreign, wait_until="load")
        assert response is not None and 400 <= response.status < 500, response.status
        assert page.locator("html").get_attribute("lang") == "da"
        h1 = page.locator("h1").inner_text()
        text = page.locator("main").inner_text()
        assert h1 == "Siden findes ikke", h1
        assert re.search(r"\d\s?%", text) is None, text  # no figures, no one's name
        for word in ("omgjort", "Hele landet", "Frist", "Dragør", "Frederiksberg", "Kommune "):
            assert word not in page.locator("body").inner_text(), word
        assert page.locator("form, textarea, input").count() == 0
        assert serious_violations(page) == []


def test_before_publish_only_the_private_preview_exists(hoering) -> None:
    with urllib.request.urlopen(hoering.url + "/forhaandsvisning/", timeout=10) as resp:
        assert resp.status == 200 and b"Dr" in resp.read()
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(hoering.url + "/kommune/155-dragoer.html", timeout=10)
    assert info.value.code == 404


def test_after_publish_the_comment_stands_on_dragoers_page_attributed(chromium, published) -> None:
    with tab(chromium) as t:
        page = t.page
        response = page.goto(published.url + "/kommune/155-dragoer.html", wait_until="load")
        assert response is not None and response.status == 200
        comment = page.locator("article.bem-kommentar")
        assert comment.count() == 1
        said = comment.inner_text()
        assert COMMENT in said and "Kilde: Dragør Kommune" in said, said
        assert "Kommunens kommentar" in said
        assert comment.locator("script, b").count() == 0
        assert t.dialogs == [] and t.errors == []
        page.goto(published.url + "/kommune/147-frederiksberg.html", wait_until="load")
        other = page.locator("article.bem-kommentar").inner_text()
        assert NO_JS_COMMENT in other and "Kilde: Frederiksberg Kommune" in other
        assert COMMENT not in page.locator("main").inner_text()


def dragoers_tip(page, url: str) -> str:  # type: ignore[no-untyped-def]
    page.goto(url + "/", wait_until="load")
    tip = page.locator("#tip")
    page.locator('section#socialomraadet svg.kort a.kommune[data-kode="155"] path').hover()
    assert tip.is_visible()
    assert tip.locator("script, b").count() == 0
    return str(tip.inner_text())


def attributed(lines: list[str]) -> bool:
    """The comment's line, or one beside it, names Dragør Kommune as its source ("Dragør
    Kommunes kommentar: …", "Kilde: Dragør Kommune"), not merely the "Dragør Kommunes sager"
    of the ministry's cooperation remark."""
    [at] = [i for i, line in enumerate(lines) if COMMENT in line]
    near = lines[max(at - 1, 0) : at + 2]
    return any(re.search(r"Dragør Kommune(s kommentar|\b)", line) for line in near)


def test_after_publish_the_comment_is_in_the_map_info_box_as_text_attributed(
    chromium, published
) -> None:
    with tab(chromium) as t:
        text = dragoers_tip(t.page, published.url)
        assert text.startswith("Dragør"), text
        lines = text.splitlines()
        assert any(COMMENT in line for line in lines), text  # literally, as text
        assert attributed(lines), lines
        # the embeddable snippet's tooltip (its SVG title) says the same
        t.page.goto(published.url + "/2025/kort/socialomraadet.html", wait_until="load")
        title = t.page.locator('figure.dkkort a.kommune[data-kode="155"] > title')
        snippet = str(title.text_content()).splitlines()
        assert attributed(snippet), snippet
        assert t.dialogs == [] and t.errors == []

"""Browser fixtures: a site built by the real local chain from a generated extract, served on
127.0.0.1, and headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) that
refuses and records every request to any other host.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class Served:
    root: Path
    url: str
    host: str


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """An http.server on 127.0.0.1 over an output directory the chain fills afterwards."""
    root = tmp_path_factory.mktemp("browser-site")
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host = f"127.0.0.1:{server.server_port}"
    try:
        yield Served(root=root, url=f"http://{host}/", host=host)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def site(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The published site of `danmarkskort run` on a generated extract (the whole chain)."""
    from danmarkskort_tools.generator import write_extract
    from danmarkskort_tools.local.chain import run_chain

    work = tmp_path_factory.mktemp("browser-chain")
    extract = work / "udtraek.csv"
    write_extract(extract, years=(2022, 2023, 2024), cases_per_year=6000, seed=11)
    result = run_chain(
        extract, out=work / "out", progress=lambda *_: None, site_url=served.url.rstrip("/")
    )
    site_dir = work / "out" / "site"
    assert (site_dir / "index.html").is_file(), result
    shutil.copytree(site_dir, served.root, dirs_exist_ok=True)
    return served.root


@dataclass
class Browser:
    page: object
    served: Served
    foreign: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        self.page.goto(self.served.url + path, wait_until="load")


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser(chromium, served: Served, site: Path) -> Iterator[Browser]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    page = context.new_page()
    b = Browser(page=page, served=served)

    def route(r) -> None:
        url = r.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about") or parts.netloc == served.host:
            r.continue_()
        else:
            b.foreign.append(url)
            r.abort()

    context.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and b.console_errors.append(m.text))
    page.on("pageerror", lambda e: b.console_errors.append(str(e)))
    yield b
    context.close()


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def serious_violations(page, within: str = "document") -> list:
    """axe-core's serious and critical findings (WCAG 2.0-2.2 A/AA and best practice) on the
    page, or within the element the JavaScript expression ``within`` names; the <details>
    are opened first so that their tables are checked too."""
    assert AXE.is_file(), "run tests/browser/fetch_axe.sh (make chromium does)"
    page.add_script_tag(path=str(AXE))
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    result = page.evaluate(
        f"(tags) => axe.run({within}, {{runOnly: {{type: 'tag', values: tags}}}})", AXE_TAGS
    )
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]

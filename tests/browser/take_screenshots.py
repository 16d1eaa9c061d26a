"""Takes the README's screenshots (docs/screenshots/) in headless Chromium from a site made
by the real local chain on a generated extract. Run by hand after changing how pages look:

    .venv/bin/python tests/browser/take_screenshots.py
"""

from __future__ import annotations

import functools
import http.server
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.browser.conftest import ARGS, CHROMIUM, _Quiet  # noqa: E402

OUT = REPO / "docs" / "screenshots"


def main() -> None:
    from danmarkskort_tools.generator import write_extract
    from danmarkskort_tools.local.chain import run_chain
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        extract = work / "udtraek.csv"
        write_extract(extract, years=(2022, 2023, 2024), seed=2024)
        handler = functools.partial(_Quiet, directory=str(work / "out" / "site"))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        url = f"http://127.0.0.1:{server.server_port}"
        run_chain(extract, out=work / "out", progress=lambda *_: None, site_url=url)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 1000})
            page.goto(f"{url}/2024/kort/socialomraadet.html")
            page.locator('a.kommune[data-kode="155"] path').hover()
            page.locator("figure.dkkort").screenshot(path=str(OUT / "kort-socialomraadet.png"))
            # The front page and a municipality page at a desktop's and a phone's width.
            page.set_viewport_size({"width": 1280, "height": 1100})
            page.goto(f"{url}/index.html")
            page.locator("#boernehandicap").scroll_into_view_if_needed()
            page.locator('#boernehandicap a.kommune[data-kode="185"] path').hover()
            page.screenshot(path=str(OUT / "forside.png"))
            page.set_viewport_size({"width": 1280, "height": 1500})
            page.goto(f"{url}/kommune/155-dragoer.html")
            page.screenshot(path=str(OUT / "kommune-dragoer.png"))
            mobile = browser.new_page(
                viewport={"width": 390, "height": 844},
                device_scale_factor=2,
                is_mobile=True,
                has_touch=True,
            )
            mobile.goto(f"{url}/index.html")
            mobile.locator("#socialomraadet .visning-valg").scroll_into_view_if_needed()
            mobile.screenshot(path=str(OUT / "forside-mobil.png"))
            mobile.goto(f"{url}/kommune/155-dragoer.html")
            mobile.screenshot(path=str(OUT / "kommune-dragoer-mobil.png"))
            geojson = REPO.parent / "shared" / "geo" / "kommuner.geojson"
            if geojson.is_file():  # the geographic map, from the DAGI file beside the repo
                config = work / "config"
                config.mkdir()
                (config / "kommuner.geojson").write_bytes(geojson.read_bytes())
                run_chain(
                    extract, out=work / "out", config=config, progress=lambda *_: None, site_url=url
                )
                page.set_viewport_size({"width": 1200, "height": 1000})
                page.goto(f"{url}/2024/kort/voksenhandicap.html")
                page.locator('a.kommune[data-kode="147"] path').hover()
                page.locator("figure.dkkort").screenshot(
                    path=str(OUT / "kort-geografisk-voksenhandicap.png")
                )
            browser.close()
        server.shutdown()
    for png in sorted(OUT.glob("*.png")):
        print(png.relative_to(REPO), png.stat().st_size)


if __name__ == "__main__":
    main()

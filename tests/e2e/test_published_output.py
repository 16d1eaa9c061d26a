"""What the chain leaves for its readers holds together: every link and resource in the site
resolves to a file of the site, the mails link to existing pages, the open data of each
year (CSV, JSON, XLSX) is the figures the chain computed, and every mail's spreadsheet shows
the figures as the site does."""

from __future__ import annotations

import csv
import email
import email.policy
import html
import io
import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import openpyxl
import pytest
from danmarkskort.render.publisher import bundled_publisher
from danmarkskort.text import shown_percent
from danmarkskort_tools.generator import write_extract
from danmarkskort_tools.local import run_chain

REFERENCE = re.compile(r'(?:href|src)\s*=\s*"([^"]*)"|url\((#[^)]+)\)')


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("published")
    extract = root / "udtraek.csv"
    write_extract(extract, years=[2023, 2024], cases_per_year=4000, seed=5)
    result = run_chain(extract, out=root / "out", progress=lambda _line: None)
    assert result.status == "published", result.reason
    return root / "out", result.site_url.rstrip("/") + "/"


def _ids(path: Path, cache: dict[Path, set[str]]) -> set[str]:
    if path not in cache:
        cache[path] = set(re.findall(r'\sid="([^"]+)"', path.read_text(encoding="utf-8")))
    return cache[path]


_PUBLISHER = bundled_publisher()
OUTGOING = {u for u in (_PUBLISHER.url, _PUBLISHER.statement_url) if u}


def _resolve(site: Path, page: Path, ref: str, site_url: str) -> tuple[Path, str] | None:
    """The file and fragment a reference points to, or None for data:, mailto: and tel:
    links and the publisher's own site (udgiver.json), which readers follow, never load."""
    if ref.startswith(("data:", "mailto:", "tel:")) or ref in OUTGOING:
        return None
    if ref.startswith(site_url):  # the snippets link absolutely to the published site
        ref = "/" + ref[len(site_url) :]
    parts = urlsplit(ref)
    assert not parts.scheme and not parts.netloc, f"{page}: request to another host: {ref}"
    if not parts.path:
        return page, parts.fragment
    base = site if parts.path.startswith("/") else page.parent
    target = (base / unquote(parts.path).lstrip("/")).resolve()
    if target.is_dir():
        target = target / "index.html"
    return target, parts.fragment


def test_every_link_and_resource_of_the_site_resolves(out) -> None:
    root, site_url = out
    site = (root / "site").resolve()
    ids: dict[Path, set[str]] = {}
    broken: list[str] = []
    checked = 0
    for page in sorted(site.rglob("*")):
        if page.suffix not in (".html", ".svg", ".css"):
            continue
        for ref, fill in REFERENCE.findall(page.read_text(encoding="utf-8")):
            resolved = _resolve(site, page, html.unescape(ref or fill), site_url)
            if resolved is None:
                continue
            checked += 1
            target, fragment = resolved
            where = f"{page.relative_to(site)} → {ref or fill}"
            if site not in target.parents or not target.is_file():
                broken.append(where)
            elif fragment and fragment not in _ids(target, ids):
                broken.append(where + " (no such id)")
    assert checked > 5000
    assert broken == [], broken[:10]


def test_mail_links_point_to_pages_of_the_site(out) -> None:
    root, site_url = out
    site = root / "site"
    mails = sorted((root / "outbox").glob("*.eml"))
    assert len(mails) == 98
    for path in mails:
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        links = set(re.findall(r'href="([^"]+)"', msg.get_body(("html",)).get_content()))
        links |= set(re.findall(r"https?://\S+", msg.get_body(("plain",)).get_content()))
        assert len(links) >= 3, path.name
        for link in links:
            assert link.startswith(site_url), (path.name, link)
            assert (site / urlsplit(link).path.lstrip("/")).is_file(), (path.name, link)


SHOWN = ("omgoerelsesprocent_vist", "ci_lav_vist", "ci_hoej_vist", "aendring_pp_vist")


def test_open_data_of_each_year_is_the_computed_figures(out) -> None:
    root, _ = out
    computed = list(csv.DictReader((root / "results" / "figures.csv").open(encoding="utf-8-sig")))
    for year in ("2023", "2024"):
        mine = {(r["omraade"], r["kommunekode"]): r for r in computed if r["aar"] == year}
        data = root / "site" / year / "data"
        rows = list(csv.DictReader((data / f"omgoerelser-{year}.csv").open(encoding="utf-8-sig")))
        # The contract's columns as computed, then the values as the pages show them.
        assert list(rows[0]) == [*computed[0], *SHOWN]
        assert {(r["omraade"], r["kommunekode"]): {k: r[k] for k in computed[0]} for r in rows} == (
            mine
        )
        for r in rows:
            rate = r["omgoerelsesprocent"]
            shown = r["omgoerelsesprocent_vist"]
            assert shown == ("" if rate == "" else str(shown_percent(float(rate))))
        doc = json.loads((data / f"omgoerelser-{year}.json").read_text(encoding="utf-8"))
        assert len(doc["figures"]) == len(mine) == 3 * 99
        for f in doc["figures"]:
            r = mine[(f["omraade"], f["kommunekode"])]
            assert f["realitetsbehandlede"] == int(r["realitetsbehandlede"])
            assert f["hjemvist"] == int(r["hjemvist"])
            if f["omgoerelsesprocent"] is not None:
                assert f["omgoerelsesprocent"] == pytest.approx(float(r["omgoerelsesprocent"]))


def _sheet(data: bytes, sheet: int | str = 0) -> list[dict[str, object]]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.worksheets[sheet] if isinstance(sheet, int) else wb[sheet]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_each_years_xlsx_holds_the_csv_figures_and_is_linked_from_its_page(out) -> None:
    root, _ = out
    site = root / "site"
    for year in ("2023", "2024"):
        data = site / year / "data"
        body = (data / f"omgoerelser-{year}.xlsx").read_bytes()
        assert (site / "data" / f"omgoerelser-{year}.xlsx").read_bytes() == body
        rows = list(csv.DictReader((data / f"omgoerelser-{year}.csv").open(encoding="utf-8-sig")))
        sheet = _sheet(body)
        assert len(sheet) == len(rows) == 3 * 99
        for r, x in zip(rows, sheet, strict=True):
            assert (x["År"], x["Kommunekode"], x["Kommune"]) == (
                int(year),
                r["kommunekode"],
                r["kommune"],
            )
            assert x["Realitetsbehandlede sager"] == int(r["realitetsbehandlede"])
            for column, field in (
                ("Omgørelsesprocent", "omgoerelsesprocent_vist"),
                ("Ændring fra året før (procentpoint)", "aendring_pp_vist"),
                ("Omgørelsesprocent, ikke afrundet", "omgoerelsesprocent"),
            ):
                expected = None if r[field] == "" else float(r[field])
                assert x[column] == expected, (year, r["kommunekode"], column)
        page = (site / year / "index.html").read_text(encoding="utf-8")
        assert f"data/omgoerelser-{year}.xlsx" in page
    versions = json.loads((site / "versions.json").read_text(encoding="utf-8"))
    prefix = versions["versions"][0]["prefix"]
    manifest = json.loads((site / prefix / "manifest.json").read_text(encoding="utf-8"))
    assert f"{prefix}2024/data/omgoerelser-2024.xlsx" in manifest["files"]


def test_each_mail_attachment_shows_the_sites_figures(out) -> None:
    """The XLSX a council puts on its agenda says what the public map says."""
    root, _ = out
    site = _sheet((root / "site" / "2024" / "data" / "omgoerelser-2024.xlsx").read_bytes())
    shown = (
        "Omgørelsesprocent",
        "95 %-usikkerhedsinterval, nedre",
        "95 %-usikkerhedsinterval, øvre",
    )
    shown += ("Ændring fra året før (procentpoint)",)
    published = {(r["Område"], r["Kommunekode"]): [r[c] for c in shown] for r in site}
    compared = 0
    for path in sorted((root / "outbox").glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        [xlsx] = [a for a in msg.iter_attachments() if a.get_filename().endswith(".xlsx")]
        for r in _sheet(xlsx.get_content(), "Områder"):
            if r["År"] == 2024:
                assert [r[c] for c in shown] == published[(r["Område"], r["Kommunekode"])], path
                compared += 1
    assert compared == 98 * 3

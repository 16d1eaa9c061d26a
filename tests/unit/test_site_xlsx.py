"""The site's open data per year: the CSV and JSON for machines (full precision plus the
shown values) and the same figures as XLSX for people, linked wherever the CSV is."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import openpyxl
import pytest
from danmarkskort import text as fmt
from danmarkskort.domain.figures import FIELDS, figures_to_csv
from danmarkskort.render.site import SHOWN_FIELDS
from danmarkskort.xlsx_writer import UNROUNDED_COLUMNS, XLSX_TYPE, figure_columns

from tests.figures_support import make_doc
from tests.unit.test_render import files, render, text

YEARS = (2023, 2024)
PROVENANCE = {
    2023: {
        "extract_id": "cd" * 32,
        "extract_file": "udtraek_2023.csv",
        "received": "2024-06-01T08:00:00+00:00",
    }
}


@pytest.fixture(scope="module")
def doc():
    return make_doc(years=YEARS)


@pytest.fixture(scope="module")
def site(doc):
    return render(doc, provenance=PROVENANCE)


def workbook(site, path: str) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(files(site)[path]))


def test_each_year_has_its_xlsx_next_to_the_csv_in_the_version_and_at_the_stable_address(
    site,
) -> None:
    versioned = {f.path: f for f in site.files}
    entries = {f.path: f for f in site.entry_points}
    for aar in YEARS:
        for path in (f"{aar}/data/omgoerelser-{aar}.xlsx", f"data/omgoerelser-{aar}.xlsx"):
            assert versioned[path].content_type == XLSX_TYPE, path
            assert entries[path].body == versioned[path].body, path
            with zipfile.ZipFile(io.BytesIO(versioned[path].body)) as z:
                assert z.testzip() is None
        assert (
            versioned[f"data/omgoerelser-{aar}.xlsx"].body
            == versioned[f"{aar}/data/omgoerelser-{aar}.xlsx"].body
        )


def test_the_xlsx_has_danish_headers_the_shown_and_the_unrounded_figures(site, doc) -> None:
    wb = workbook(site, "2024/data/omgoerelser-2024.xlsx")
    assert wb.sheetnames == ["Omgørelsesprocenter 2024", "Om tallene"]
    ws = wb["Omgørelsesprocenter 2024"]
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    assert header == [
        "År",
        "Område",
        "Kommunekode",
        "Kommune",
        *figure_columns(20),
        *UNROUNDED_COLUMNS,
    ]
    assert ws["A1"].font.b and ws.freeze_panes == "A2"
    body = [dict(zip(header, r, strict=True)) for r in rows[1:]]
    assert len(body) == 3 * 99
    assert body[0]["Kommunekode"] == "000" and body[0]["Kommune"] == "Hele landet"
    assert {r["Område"] for r in body} == {
        "Socialområdet generelt",
        "Børnehandicap",
        "Voksenhandicap",
    }
    assert any(r["Kommune"] == "Dragør" for r in body)
    previous = {(f.omraade, f.kommunekode): f for f in doc.figures if f.aar == 2023}
    names = {"Socialområdet generelt": "socialomraadet", "Børnehandicap": "boernehandicap"}
    names["Voksenhandicap"] = "voksenhandicap"
    checked = 0
    for r in body:
        [f] = [
            x
            for x in doc.figures
            if (x.aar, x.omraade, x.kommunekode) == (2024, names[r["Område"]], r["Kommunekode"])
        ]
        shown = fmt.shown_figure(f, previous[(f.omraade, f.kommunekode)])
        assert r["Omgørelsesprocent"] == shown.rate
        assert r["95 %-usikkerhedsinterval, nedre"] == shown.ci_lav
        assert r["95 %-usikkerhedsinterval, øvre"] == shown.ci_hoej
        assert r["Ændring fra året før (procentpoint)"] == shown.change
        assert r["Omgørelsesprocent, ikke afrundet"] == f.omgoerelsesprocent
        assert r["Ændring fra året før, ikke afrundet (procentpoint)"] == f.aendring_pp
        assert r["Realitetsbehandlede sager"] == f.realitetsbehandlede
        assert r["Få sager (under 20)"] == ("ja" if f.lav_n else "nej")
        checked += shown.rate is not None
    assert checked > 250
    # A figure without cases is an empty cell, not 0.
    [laesoe] = [r for r in body if r["Kommunekode"] == "825" and r["Område"] == "Voksenhandicap"]
    assert laesoe["Omgørelsesprocent"] is None and laesoe["Realitetsbehandlede sager"] == 0


def test_the_xlsx_says_where_its_year_comes_from_and_how_it_is_rounded(site, doc) -> None:
    about = {
        r[0]: r[1]
        for r in workbook(site, "2023/data/omgoerelser-2023.xlsx")["Om tallene"].iter_rows(
            min_row=2, values_only=True
        )
    }
    assert about["Udtræk"] == "udtraek_2023.csv"  # the year's own extract, not the newest
    assert about["Udtrækkets id (SHA-256)"] == "cd" * 32
    assert "halvt op" in about["Afrunding"] and "ikke afrundet" in about["Afrunding"]
    newest = {
        r[0]: r[1]
        for r in workbook(site, "2024/data/omgoerelser-2024.xlsx")["Om tallene"].iter_rows(
            min_row=2, values_only=True
        )
    }
    assert newest["Udtræk"] == doc.extract_file


def test_the_csv_keeps_the_contract_columns_and_adds_the_shown_values(site, doc) -> None:
    raw = text(site, "2024/data/omgoerelser-2024.csv")
    assert raw.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(raw.lstrip("\ufeff"))))
    assert rows[0] == [*FIELDS, *SHOWN_FIELDS]
    figs = [f for f in doc.figures if f.aar == 2024]
    figs.sort(
        key=lambda f: (
            ["socialomraadet", "boernehandicap", "voksenhandicap"].index(f.omraade),
            f.kommunekode,
        )
    )
    contract = list(csv.reader(io.StringIO(figures_to_csv(figs))))
    assert [r[: len(FIELDS)] for r in rows] == contract  # byte for byte the §4 columns
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["kommunekode"] == "000"
    assert record["omgoerelsesprocent_vist"] == str(
        fmt.shown_percent(float(record["omgoerelsesprocent"]))
    )
    every = text(site, "data/omgoerelser.csv").lstrip("\ufeff").splitlines()
    assert every[0] == ",".join((*FIELDS, *SHOWN_FIELDS))
    assert len(every) == 1 + 2 * 3 * 99


def test_the_json_has_full_precision_and_the_shown_values(site) -> None:
    doc = json.loads(files(site)["2024/data/omgoerelser-2024.json"])
    assert "halvt op" in doc["afrunding"]
    for f in doc["figures"]:
        assert f["omgoerelsesprocent_vist"] == fmt.shown_percent(f["omgoerelsesprocent"])
        assert f["ci_lav_vist"] == fmt.shown_percent(f["ci_lav"])
        assert f["ci_hoej_vist"] == fmt.shown_percent(f["ci_hoej"])
        assert (f["aendring_pp_vist"] is None) == (f["aendring_pp"] is None)


def test_the_xlsx_is_linked_wherever_the_csv_is(site) -> None:
    pages = [f for f in (*site.files, *site.entry_points) if f.path.endswith(".html")]
    linked = 0
    for f in pages:
        body = f.body.decode("utf-8")
        for href in re.findall(r'href="([^"]*omgoerelser-\d{4})\.csv"', body):
            assert f'href="{href}.xlsx"' in body, (f.path, href)
            linked += 1
    assert linked >= 98 * 2 * 2  # every page's footer, per year, in the version and at the root
    page = text(site, "2024/index.html")
    assert page.count('href="../2024/data/omgoerelser-2024.xlsx">Data som regneark (XLSX)</a>') == 3

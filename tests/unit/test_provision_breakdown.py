"""What drives the rate: a municipality's page shows each area's cases per provision, the
most cases first, with the labels escaped."""

from __future__ import annotations

import re

from tests.figures_support import INJECTION, make_doc
from tests.unit.test_render import render, text


def _tables(page: str) -> list[str]:
    return re.findall(r'<div class="tabel-rul paragraffer".*?</table>', page, re.S)


def test_each_area_lists_its_provisions_largest_first() -> None:
    doc = make_doc(years=(2023, 2024), provisions=True)
    page = text(render(doc), "kommune/101-koebenhavn.html")
    tables = _tables(page)
    assert len(tables) == 3  # socialområdet, børnehandicap, voksenhandicap
    for table in tables:
        rows = re.findall(r'<tr><th scope="row">([^<]*)</th><td class="tal">([\d.]+)</td>', table)
        counts = [int(n.replace(".", "")) for _, n in rows]
        assert counts == sorted(counts, reverse=True) and counts
    boern = next(t for t in tables if "Børnehandicap 2024" in t)
    expected = [
        p
        for p in doc.provisions
        if p.kommunekode == "101" and p.aar == 2024 and "boernehandicap" in p.omraader
    ]
    (p,) = expected
    n = p.stadfaestet + p.aendret_ophaevet + p.hjemvist
    assert f'<th scope="row">SEL § 41</th><td class="tal">{n}</td>' in boern
    # A formula-looking label from the extract is shown as text, escaped.
    social = next(t for t in tables if "Socialområdet generelt 2024" in t)
    assert INJECTION.replace('"', "&#34;") in social


def test_without_provisions_in_the_extract_there_is_no_table() -> None:
    page = text(render(make_doc(years=(2023, 2024))), "kommune/101-koebenhavn.html")
    assert _tables(page) == []

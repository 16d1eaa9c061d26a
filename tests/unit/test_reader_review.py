"""Defects found by reading the product as its users do (a review of the demo's site, mails
and console output): each test pins one of them."""

from __future__ import annotations

import dataclasses
import email
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import openpyxl
from danmarkskort.domain.municipalities import registry
from danmarkskort.mail import attachments as att
from danmarkskort.mail.compose import ComposedMail, compose
from danmarkskort_tools.local.chain import ChainResult, summary

from tests.figures_support import mail_doc
from tests.unit.test_mail_compose import context
from tests.unit.test_render import files, render, text

SVG = "{http://www.w3.org/2000/svg}"


def _translate(el: ET.Element) -> tuple[float, float]:
    m = re.fullmatch(r"translate\(([-\d.]+) ([-\d.]+)\)", el.get("transform", ""))
    assert m, el.get("transform")
    return float(m.group(1)), float(m.group(2))


def test_svg_legend_labels_do_not_run_into_each_other() -> None:
    """'Under 20 sager: usikker' was cut off by the 'Ingen sager' swatch in the standalone SVG."""
    s = render()
    for area in ("socialomraadet", "boernehandicap", "voksenhandicap"):
        svg = ET.fromstring(files(s)[f"2024/kort/{area}.svg"])
        width = float(svg.get("width"))
        legend = svg.find(f".//{SVG}g[@class='legende']")
        left, _ = _translate(legend)
        rows: dict[float, list[tuple[float, str]]] = {}
        for item in legend.findall(f"{SVG}g"):
            x, y = _translate(item)
            rows.setdefault(y, []).append((x, item.find(f"{SVG}text").text))
        assert (
            sum(len(r) for r in rows.values()) == 9
        )  # six classes, few cases, no cases, remark dot
        for items in rows.values():
            items.sort()
            for i, (x, label) in enumerate(items):
                # swatch and gap (22) plus the label at a generous 0.6 em per character (12px)
                end = x + 22 + len(label) * 0.6 * 12
                limit = items[i + 1][0] if i + 1 < len(items) else width - 2 * left
                assert end <= limit, (area, label, end, limit)


def test_copenhagen_has_its_official_name() -> None:
    reg = registry()
    assert reg.by_code("101").full_name == "Københavns Kommune"
    assert reg.by_code("400").full_name == "Bornholms Regionskommune"
    assert reg.by_code("155").full_name == "Dragør Kommune"
    page = text(render(), "kommune/101-koebenhavn.html")
    assert "<h1>Københavns Kommune</h1>" in page
    assert "København Kommune" not in page


def test_remark_heading_lists_areas_in_running_text() -> None:
    """'Børnehandicap og Socialområdet generelt' had a capital in the middle of the phrase."""
    page = text(render(), "kommune/155-dragoer.html")
    assert "· Børnehandicap og socialområdet generelt ·" in page
    assert "og Socialområdet" not in page


def _mail(ctx, code: str) -> tuple[ComposedMail, email.message.EmailMessage]:
    mail = compose(ctx, registry().by_code(code))
    assert isinstance(mail, ComposedMail)
    raw = mail.with_date(datetime(2025, 6, 24, 9, 0, tzinfo=UTC))
    return mail, email.message_from_bytes(raw, policy=policy.default)


def _doc_with_one_dismissed_case():
    doc = mail_doc()
    figures = tuple(
        dataclasses.replace(f, afvist=1)
        if (f.aar, f.omraade, f.kommunekode) == (2024, "socialomraadet", "825")
        else f
        for f in doc.figures
    )
    return dataclasses.replace(doc, figures=figures)


def test_mail_html_does_not_repeat_its_row_labels_and_says_one_case_in_singular() -> None:
    ctx = context(doc=_doc_with_one_dismissed_case())
    _, msg = _mail(ctx, "825")  # Læsø: few cases everywhere
    html = msg.get_body(("html",)).get_content()
    plain = " ".join(msg.get_body(("plain",)).get_content().split())
    assert "Få sager:</strong> Få sager" not in html
    assert "Få sager: færre end 20 realitetsbehandlede sager" in plain
    assert "OBS:" not in plain
    assert re.search(r">Ændring fra 2023</th><td[^>]*>[+−]?[\d,]+\xa0procentpoint</td>", html)
    assert re.search(r">Hele landet</th><td[^>]*>[\d,]+\xa0% af [\d.]+ sager</td>", html)
    assert "Hele landet: " not in html and "Ændring fra 2023: " not in html
    assert "Ændring fra 2023:" in plain and "Hele landet:" in plain  # the text part keeps them
    assert "Desuden 1 sag afvist eller henvist; den indgår ikke i procenten." in plain
    assert "1 sag afvist eller henvist; de indgår" not in plain


def test_mail_says_which_year_had_no_cases_when_there_is_no_comparison() -> None:
    _, msg = _mail(context(), "155")  # no Dragør voksenhandicap cases in 2024
    plain = " ".join(msg.get_body(("plain",)).get_content().split())
    assert "Ingen sammenligning med 2023 (ingen realitetsbehandlede sager i 2024)." in plain


def test_mail_gives_the_received_date_in_danish() -> None:
    """The footer read 'modtaget 2025-06-02T08:15:00+00:00'. (The remarks are in the body
    now, not in an attachment of their own.)"""
    _, msg = _mail(context(), "155")
    for body in (
        msg.get_body(("plain",)).get_content(),
        msg.get_body(("html",)).get_content(),
    ):
        assert "modtaget 2. juni 2025" in body
        assert "T08:15:00" not in body


def test_xlsx_columns_are_wide_enough_for_their_values() -> None:
    """Widths came from the headers only, so 'Socialområdet generelt' was cut at 10 characters."""
    doc = mail_doc()
    ctx = context(doc=doc)
    tables = [
        att.figure_table(doc, "155", ctx.mapping, ctx.index),
        att.provision_table(doc, "155", ctx.mapping, ctx.index),
    ]
    wb = openpyxl.load_workbook(io.BytesIO(att.to_xlsx(tables)))
    for table, ws in zip(tables, wb.worksheets, strict=True):
        for i, column in enumerate(table.columns):
            longest = max(len(str(v)) for v in (column, *(r[i] for r in table.rows)) if v)
            width = ws.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width
            assert width >= min(70, longest), (ws.title, column, width, longest)


def test_rejected_run_says_what_to_do(tmp_path: Path) -> None:
    result = ChainResult(status="rejected", out=tmp_path, extract_file="udtraek.csv")
    result.problems = ["Kommunen er ukendt: 1"]
    result.paths["rejected"] = tmp_path / "rejected"
    out = summary(result)
    assert "REJECTED" in out and "Kommunen er ukendt: 1" in out
    assert "What to do: correct the rows named in the report" in out
    assert str(tmp_path / "rejected" / "report.txt") in out
    assert "danmarkskort validate" in out


def test_chain_progress_counts_the_notify_summary_apart_from_the_municipalities() -> None:
    """The demo said '99 × MunicipalityNotified' next to '98 municipalities notified'."""
    from danmarkskort_tools.local.chain import _describe
    from danmarkskort_tools.local.dispatcher import Invocation

    inv = Invocation("Notify", "notify_municipalities", "rule", "SitePublished", 1.0, 1)
    produced = [
        {"detail-type": "MunicipalityNotified", "detail": {"kommunekode": f"{c:03d}"}}
        for c in (101, 147, 155)
    ] + [{"detail-type": "MunicipalityNotified", "detail": {"kommunekode": "000"}}]
    line = _describe(inv, produced)
    assert "3 × MunicipalityNotified, MunicipalityNotified summary" in line


ENGLISH_LEFTOVERS = re.compile(
    r"\b(the|and|click|hover|tab|cases|rate|none|null|nan|undefined|todo|fixme|felt-kort)\b",
    re.IGNORECASE,
)


def test_visible_text_has_no_english_leftovers_or_anglicisms() -> None:
    """The snippet said 'Hold musen over eller tab til en kommune'; the guide 'felt-kort'."""
    s = render()
    for path, body in files(s).items():
        if not path.endswith((".html", ".svg")):
            continue
        page = re.sub(r"<(script|style)\b.*?</\1>", " ", body.decode("utf-8"), flags=re.S)
        shown = re.findall(r'(?:title|aria-label|alt|data-tip)="([^"]*)"', page)
        visible = re.sub(r"<[^>]+>", " ", page) + " " + " ".join(shown)
        found = ENGLISH_LEFTOVERS.findall(visible)
        assert not found, (path, found[:5])
    frag = text(s, "2024/kort/socialomraadet.html")
    assert "gå til den med tabulatortasten" in frag

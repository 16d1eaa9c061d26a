"""No HTML attachment in any mail (municipal mail filters quarantine them): every remark of
every year of the extract is in the body, in the text part and (escaped) in the HTML part."""

from __future__ import annotations

import email
import json
from dataclasses import replace
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage

import pytest
from danmarkskort.domain.municipalities import registry
from danmarkskort.mail.compose import ComposedMail, CorrectedFigure, compose
from markupsafe import escape

from tests.figures_support import corrected
from tests.unit.test_mail_compose import Source, context

# Remarks of several kinds and years for Dragør (155), which also has its cooperation remark.
REMARKS = [
    {
        "kommunekode": "155",
        "kind": "kommentar",
        "aar_fra": 2024,
        "aar_til": 2024,
        "omraader": ["boernehandicap"],
        "text": "Dragør Kommune traf i 2024 i alt 212 afgørelser på børnehandicapområdet.",
    },
    {
        "kommunekode": "155",
        "kind": "kommentar",
        "aar_fra": 2022,
        "aar_til": 2022,
        "text": "I 2022 flyttede kommunens sagsbehandling til nye lokaler & et nyt it-system.",
    },
    {
        "kommunekode": "155",
        "kind": "bemaerkning",
        "kilde": "Ankestyrelsen",
        "aar_fra": 2023,
        "aar_til": 2023,
        "text": "Tallene for 2023 omfatter <script>alert('x')</script> \"citat\" og <b>fed</b>.",
    },
]


def message(mail: ComposedMail | object) -> EmailMessage:
    assert isinstance(mail, ComposedMail)
    raw = mail.with_date(datetime(2025, 6, 24, 9, 0, tzinfo=UTC))
    return email.message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def squashed(text: str) -> str:
    """All whitespace (line wraps, NBSP) as single spaces: the text part is wrapped."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def ctx():
    return context(Source(remarks_json=json.dumps({"remarks": REMARKS}).encode()))


def mails(ctx) -> dict[str, EmailMessage]:
    """A normal mail (København), one with remarks of several kinds and years (Dragør), and a
    correction mail to Dragør."""
    reg = registry()
    normal = message(compose(ctx, reg.by_code("101")))
    with_remarks = message(compose(ctx, reg.by_code("155")))
    new_doc = corrected(ctx.doc, 2024, "155", 3)
    [old] = [
        f
        for f in ctx.doc.figures
        if (f.aar, f.omraade, f.kommunekode) == (2024, "socialomraadet", "155")
    ]
    [new] = [
        f
        for f in new_doc.figures
        if (f.aar, f.omraade, f.kommunekode) == (2024, "socialomraadet", "155")
    ]
    correction_ctx = replace(
        ctx,
        doc=new_doc,
        corrections={"155": (CorrectedFigure(2024, "socialomraadet", old, new),)},
        correction_year=2024,
    )
    correction = message(compose(correction_ctx, reg.by_code("155")))
    assert correction["Subject"].startswith("Rettelse: ")
    return {"normal": normal, "remarks": with_remarks, "correction": correction}


def test_no_part_but_the_alternative_body_is_html(ctx):
    for kind, msg in mails(ctx).items():
        html_parts = [p for p in msg.walk() if p.get_content_type() == "text/html"]
        assert html_parts == [msg.get_body(("html",))], kind
        alternative = next(p for p in msg.walk() if p.get_content_type() == "multipart/alternative")
        assert html_parts[0] in list(alternative.iter_parts()), kind
        names = [a.get_filename() or "" for a in msg.iter_attachments()]
        assert names, kind  # the spreadsheets are still attached
        assert not any(n.lower().endswith((".html", ".htm")) for n in names), (kind, names)
        assert all(a.get_content_type() != "text/html" for a in msg.iter_attachments()), kind


def test_every_remark_of_every_year_is_in_both_body_parts(ctx):
    book = ctx.remarks
    for kind in ("remarks", "correction"):
        msg = mails(ctx)[kind]
        text = squashed(msg.get_body(("plain",)).get_content())
        html = squashed(msg.get_body(("html",)).get_content())
        expected = book.over_years("155", [2024, 2023, 2022])
        assert len(expected) == 4  # three from remarks.json, one from cooperation.json
        for remark, years in expected.items():
            assert squashed(remark.text) in text, (kind, remark.text)
            assert squashed(str(escape(remark.text))) in html, (kind, remark.text)
        # each with its years and areas and who says it
        assert "Kilde: Dragør Kommune. Gælder tallene for 2022, alle områder." in text
        assert "Gælder tallene for 2024, børnehandicap." in text
        assert "Kilde: Ankestyrelsen. Gælder tallene for 2023, alle områder." in html


def test_markup_in_a_remark_arrives_escaped_in_the_html_part(ctx):
    msg = mails(ctx)["remarks"]
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "<b>fed</b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&#34;citat&#34;" in html and "&amp; et nyt it-system" in html
    text = msg.get_body(("plain",)).get_content()
    assert "<script>alert('x')</script>" in text  # plain text is not HTML: kept as written


def test_a_municipality_without_remarks_has_no_remarks_section(ctx):
    msg = mails(ctx)["normal"]
    assert "BEMÆRKNINGER" not in msg.get_body(("plain",)).get_content()
    assert "Bemærkninger til" not in msg.get_body(("html",)).get_content()

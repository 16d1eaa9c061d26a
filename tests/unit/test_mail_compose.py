"""Composing the mails: structure, Danish text, figures, remarks, links, duty, safety."""

from __future__ import annotations

import email
import json
from datetime import UTC, datetime
from email import policy

import pytest
from danmarkskort.config.sources import ConfigError, layered
from danmarkskort.domain.areas import load_mapping
from danmarkskort.domain.municipalities import registry
from danmarkskort.domain.remarks import load_remark_book
from danmarkskort.mail.compose import (
    ComposedMail,
    Context,
    Links,
    MailTooLarge,
    NoRecipient,
    Sender,
    compose,
    compose_all,
)
from danmarkskort.mail.texts import load_mail_texts
from danmarkskort.text import number as fmt_number
from danmarkskort.text import shown_percent

from tests.figures_support import mail_doc as build_doc

LINKS = Links(
    "https://kort.example.invalid/",
    "v/abc/laesevejledning.html",
    "v/abc/kommune/{kommunekode}-{slug}.html",
    "v/abc/{aar}/index.html",
)


class Source:
    """Bundled config with some files replaced."""

    def __init__(self, **files: bytes):
        self.files = {k.replace("_", "."): v for k, v in files.items()}
        self.bundled = layered()

    def read(self, name: str) -> bytes | None:
        return self.files.get(name, self.bundled.read(name))


def context(source=None, doc=None, reply_to: str = "") -> Context:
    source = source or layered()
    mapping = load_mapping(source)
    texts = load_mail_texts(source)
    from danmarkskort.mail.recipients import load_recipients

    return Context(
        doc=doc or build_doc(),
        mapping=mapping,
        remarks=load_remark_book(source, mapping),
        recipients=load_recipients(source),
        texts=texts,
        sender=Sender.checked("omgoerelser@example.invalid", texts.afsender_navn, reply_to),
        links=LINKS,
    )


@pytest.fixture(scope="module")
def ctx() -> Context:
    return context()


def mail_for(ctx: Context, code: str) -> tuple[ComposedMail, email.message.EmailMessage]:
    mail = compose(ctx, registry().by_code(code))
    assert isinstance(mail, ComposedMail)
    msg = email.message_from_bytes(
        mail.with_date(datetime(2025, 6, 24, 9, 0, tzinfo=UTC)), policy=policy.default
    )
    return mail, msg


def plain(msg) -> str:
    """The text part with all whitespace (line wraps, NBSP) as single spaces."""
    return " ".join(msg.get_body(("plain",)).get_content().split())


def test_structure_headers_and_attachment_names(ctx):
    mail, msg = mail_for(ctx, "155")
    assert msg.get_content_type() == "multipart/mixed"
    parts = list(msg.iter_parts())
    assert parts[0].get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parts[0].iter_parts()] == ["text/plain", "text/html"]
    assert msg["Subject"] == "Danmarkskort over omgørelsesprocenter 2024 – Dragør Kommune"
    assert str(msg["From"]) == "Social- og Boligministeriet <omgoerelser@example.invalid>"
    assert str(msg["To"]) == "Dragør Kommune <omgoerelsesprocent@dragoer.example.invalid>"
    assert msg["Reply-To"] is None
    assert msg["Date"] == "Tue, 24 Jun 2025 09:00:00 +0000"
    assert mail.raw.isascii()  # every header and part is encoded for transport
    assert [a.get_filename() for a in msg.iter_attachments()] == [
        "omgoerelsesprocenter-2024-155-dragoer.pdf",
        "omgoerelsesprocenter-2024-155-dragoer.csv",
        "omgoerelsesprocenter-paragraffer-2024-155-dragoer.csv",
        "omgoerelsesprocenter-2024-155-dragoer.xlsx",
    ]
    assert mail.recipients == ("omgoerelsesprocent@dragoer.example.invalid",)


def test_reply_to_when_configured():
    _, msg = mail_for(context(reply_to="svar@example.invalid"), "101")
    assert str(msg["Reply-To"]) == "svar@example.invalid"


def test_body_has_each_area_with_rate_n_split_ci_change_and_national(ctx):
    doc = ctx.doc
    _, msg = mail_for(ctx, "751")
    text = plain(msg)
    for slug, navn in (
        ("socialomraadet", "SOCIALOMRÅDET GENERELT"),
        ("boernehandicap", "BØRNEHANDICAP"),
        ("voksenhandicap", "VOKSENHANDICAP"),
    ):
        [f] = [x for x in doc.for_municipality("751") if x.aar == 2024 and x.omraade == slug]
        assert navn in text
        assert f"stadfæstet {f.stadfaestet}, ændret/ophævet {f.aendret_ophaevet}" in text
        rate = shown_percent(f.omgoerelsesprocent)  # whole percent, as on the site
        assert f"Omgørelsesprocent 2024: {rate} %" in text  # plain() turns NBSP into space
        land = doc.national(2024, slug)
        assert f"Hele landet: {shown_percent(land.omgoerelsesprocent)} % af" in text
    assert "95 %-usikkerhedsinterval" in text
    assert "Ændring fra 2023:" in text and "procentpoint" in text
    html = msg.get_body(("html",)).get_content()
    assert "<h2" in html and "Børnehandicap" in html


def test_low_n_note_for_a_small_island(ctx):
    _, msg = mail_for(ctx, "825")  # Læsø
    assert "Få sager: færre end 20 realitetsbehandlede sager" in plain(msg)
    _, big = mail_for(ctx, "101")
    assert "Få sager:" not in plain(big)


def test_no_cases_reads_as_such(ctx):
    _, msg = mail_for(ctx, "155")  # the test figures give Dragør no adult cases in 2024
    assert "Ingen realitetsbehandlede sager i 2024" in plain(msg)


def test_links_duty_deadline_and_action_plan(ctx):
    _, msg = mail_for(ctx, "155")
    text = plain(msg)
    assert "https://kort.example.invalid/v/abc/kommune/155-dragoer.html" in text
    assert "https://kort.example.invalid/v/abc/laesevejledning.html" in text
    assert "https://kort.example.invalid/v/abc/2024/index.html" in text
    assert "retssikkerhedslovens § 79 b" in text and "senest den 31. december 2025" in text
    assert "handlingsplan" in text
    html = msg.get_body(("html",)).get_content()
    assert 'href="https://kort.example.invalid/v/abc/kommune/155-dragoer.html"' in html


def test_cooperation_remarks_dragoer_and_taarnby(ctx):
    _, dragoer = mail_for(ctx, "155")
    assert "Tårnby Kommune træffer afgørelserne (myndighedsopgaven) i Dragør Kommunes sager" in (
        plain(dragoer)
    )
    _, taarnby = mail_for(ctx, "185")
    assert "Tårnby Kommunes tal om børnehandicap omfatter også Dragør Kommunes sager" in plain(
        taarnby
    )
    _, plain_city = mail_for(ctx, "101")
    assert "BEMÆRKNINGER" not in plain(plain_city)


def test_remarks_are_escaped_in_html_and_kept_in_text():
    remarks = {
        "remarks": [
            {
                "kommunekode": "101",
                "kind": "kommentar",
                "text": "Vi traf 12.000 afgørelser <script>alert(1)</script> & klagede sjældent.",
            }
        ]
    }
    ctx = context(Source(remarks_json=json.dumps(remarks).encode()))
    _, msg = mail_for(ctx, "101")
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<script>alert(1)</script>" in plain(msg)
    assert "Kommunens egen kommentar" in html


def test_a_remark_spelling_the_boundary_cannot_cut_the_mail():
    """The MIME boundaries are fixed ("=_danmarkskort_…"); "=" is always escaped in
    quoted-printable and never followed by "_" in base64, so text that spells a boundary
    stays text."""
    sneaky = "--=_danmarkskort_mixed --=_danmarkskort_alternative-- Content-Type: text/html"
    remarks = {"remarks": [{"kommunekode": "101", "kind": "kommentar", "text": sneaky}]}
    ctx = context(Source(remarks_json=json.dumps(remarks).encode()))
    mail, msg = mail_for(ctx, "101")
    assert b"\r\n--=_danmarkskort_mixed\r\n" in mail.raw  # the real boundaries are there
    assert not msg.defects and not any(p.defects for p in msg.walk())
    assert [p.get_content_type() for p in msg.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "application/pdf",
        "text/csv",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]
    assert "--=_danmarkskort_mixed" in msg.get_body(("plain",)).get_content()


def test_mime_version_only_on_the_message_and_danish_names_encoded():
    recipients = json.dumps(
        {"recipients": {"101": [{"address": "post@kk.example.invalid", "name": "Økonomi, Ærø"}]}}
    ).encode()
    mail, msg = mail_for(context(Source(recipients_json=recipients)), "101")
    assert mail.raw.count(b"MIME-Version:") == 1 and msg["MIME-Version"] == "1.0"
    assert str(msg["To"]) == '"Økonomi, Ærø" <post@kk.example.invalid>'
    assert msg["To"].addresses[0].addr_spec == "post@kk.example.invalid"
    assert all(len(line) <= 78 for line in mail.raw.split(b"\r\n"))  # folded, RFC 5322


@pytest.mark.parametrize(
    "field, value",
    [
        ("subject", "Tal\r\nBcc: evil@example.invalid"),
        ("subject", "Tal\nfortsat"),  # compat32 would write this line as it is
        ("headers", "abc\x00def"),
        ("to", "Kommune\r\nBcc: evil@example.invalid"),
    ],
)
def test_an_injected_header_is_refused_even_past_the_checks(ctx, field, value):
    """The values are checked where they come from (config, environment, figures.json);
    should one slip through, mime_message refuses it rather than send a header of its own."""
    import dataclasses

    from danmarkskort.mail.compose import Draft, draft, mime_message
    from danmarkskort.mail.recipients import Recipient

    d = draft(ctx, registry().by_code("101"))
    assert isinstance(d, Draft)
    bad = {
        "subject": {"subject": value},
        "headers": {"headers": (("X-Danmarkskort-Extract", value),)},
        "to": {"to": (Recipient("post@kk.example.invalid", value),)},
    }[field]
    with pytest.raises(ValueError, match=r"mail header .* contains a"):
        mime_message(dataclasses.replace(d, **bad))


def test_a_long_danish_name_is_cut_into_encoded_words_that_fit_a_line():
    name = "Københavns Kommune, Socialforvaltningen – Borgerrådgiveren og Ældreområdet"
    recipients = json.dumps(
        {"recipients": {"101": [{"address": "post@kk.example.invalid", "name": name}]}}
    ).encode()
    mail, msg = mail_for(context(Source(recipients_json=recipients)), "101")
    head = mail.raw.split(b"\r\n\r\n")[0].split(b"\r\n")
    assert all(len(line) <= 78 for line in head)
    to = [line for line in head if line.startswith(b"To:")]
    assert to and to[0].count(b"=?utf-8?") == 1  # the name goes on in the next line
    assert msg["To"].addresses[0].addr_spec == "post@kk.example.invalid"
    # Python's parser keeps the fold between two encoded words as a space (mail clients
    # join them, RFC 2047 § 6.2); the name is otherwise whole.
    assert msg["To"].addresses[0].display_name.replace(" ", "") == name.replace(" ", "")


def test_municipality_without_recipient():
    recipients = json.dumps({"recipients": {"155": "post@dragoer.dk"}}).encode()
    ctx = context(Source(recipients_json=recipients))
    mails = compose_all(ctx)
    assert len(mails) == 98
    assert sum(isinstance(m, NoRecipient) for m in mails) == 97
    [dragoer] = [m for m in mails if isinstance(m, ComposedMail)]
    assert dragoer.recipients == ("post@dragoer.dk",)


def test_sender_and_reply_to_are_checked():
    with pytest.raises(ConfigError, match="SENDER_ADDRESS"):
        Sender.checked("omgoerelser@example.invalid\r\nBcc: x@y.dk", "Ministeriet")
    with pytest.raises(ConfigError, match="REPLY_TO_ADDRESS"):
        Sender.checked("omgoerelser@example.invalid", "Ministeriet", "nope")


def test_size_is_checked_against_the_ses_limit(ctx):
    mail, _ = mail_for(ctx, "155")
    mail.check_size()
    with pytest.raises(MailTooLarge, match="Dragør Kommune"):
        mail.check_size(limit=1000)


def test_all_98_compose(ctx):
    mails = compose_all(ctx)
    assert len(mails) == 98 and all(isinstance(m, ComposedMail) for m in mails)
    assert len({m.subject for m in mails}) == 98


# --- Danmarks Statistik's recipients of benefits -------------------------------------------


def _with_recipients(ctx: Context) -> Context:
    import dataclasses

    from danmarkskort.domain.beneficiaries import BeneficiaryTable

    counts = {(m.code, "boernehandicap", 2023): 1000 for m in registry().municipalities}
    counts[("155", "boernehandicap", 2023)] = 40
    counts[("101", "boernehandicap", 2023)] = None
    return dataclasses.replace(ctx, beneficiaries=BeneficiaryTable(counts))


def test_mail_says_the_recipients_and_cases_per_1000_with_the_national(ctx):
    with_ds = _with_recipients(ctx)
    f = ctx.index.by_key[(2024, "boernehandicap", "155")]
    per_1000 = fmt_number(1000.0 * f.realitetsbehandlede / 40, 1)
    _, msg = mail_for(with_ds, "155")
    body = plain(msg)
    assert "40 borgere modtog ydelser på området i 2023 (Danmarks Statistik)." in body
    assert (
        f"Det svarer til {per_1000} realitetsbehandlede klagesager i 2024 pr. 1.000 "
        "modtagere (hele landet: " in body
    )
    html = " ".join(msg.get_body(("html",)).get_content().split())
    assert "40 borgere modtog ydelser på området i 2023 (Danmarks Statistik)." in html
    # Only the area the file covers; the others say that Danmarks Statistik has no count.
    assert body.count("Danmarks Statistik har ikke tal for, hvor mange borgere der") == 2


def test_mail_says_when_danmarks_statistik_has_no_count(ctx):
    _, msg = mail_for(_with_recipients(ctx), "101")
    assert (
        "Danmarks Statistik har ikke tal for, hvor mange borgere i København der modtog "
        "ydelser på området i 2023." in plain(msg)
    )


def test_mail_without_recipients_does_not_mention_them(ctx):
    _, msg = mail_for(ctx, "155")
    assert "Danmarks Statistik" not in plain(msg)


def test_a_bad_recipients_file_is_logged_and_the_mails_go_without_it(caplog):
    from danmarkskort.mail.compose import Links as MailLinks
    from danmarkskort.mail.job import mail_context

    from tests.config_support import MemorySource

    source = layered(
        MemorySource({"modtagere.csv": b"kommunekode;omraade;aar;modtagere\n999;x;1;2\n"})
    )
    with caplog.at_level("WARNING"):
        ctx = mail_context(
            build_doc(),
            source,
            sender="omgoerelser@example.invalid",
            reply_to="",
            links=MailLinks(
                "https://example.invalid", "laesevejledning.html", "k/{kommunekode}.html"
            ),
        )
    assert ctx.beneficiaries is None
    (record,) = [r for r in caplog.records if hasattr(r, "beneficiaries")]
    assert "modtagere.csv: line 2: kommunekode: unknown municipality '999'" in record.getMessage()
    _, msg = mail_for(ctx, "155")
    assert "Danmarks Statistik" not in plain(msg)


def test_attachments_carry_the_recipients_as_their_last_columns(ctx):
    import io

    import openpyxl

    with_ds = _with_recipients(ctx)
    _, msg = mail_for(with_ds, "155")
    files = {a.get_filename(): a.get_content() for a in msg.iter_attachments()}
    csv_text = files["omgoerelsesprocenter-2024-155-dragoer.csv"]
    csv_text = csv_text.decode("utf-8-sig") if isinstance(csv_text, bytes) else csv_text
    lines = csv_text.lstrip("\ufeff").splitlines()
    assert lines[0].endswith(
        "Modtagere af ydelser (Danmarks Statistik);Modtagere: år (Danmarks Statistik);"
        "Realitetsbehandlede sager pr. 1.000 modtagere"
    )
    (row,) = [line for line in lines if line.startswith("2024;Børnehandicap;")]
    assert row.split(";")[-3:-1] == ["40", "2023"]
    book = openpyxl.load_workbook(io.BytesIO(files["omgoerelsesprocenter-2024-155-dragoer.xlsx"]))
    header = [c.value for c in book["Områder"][1]]
    assert header[-3] == "Modtagere af ydelser (Danmarks Statistik)"
    # Without the input the attachments keep their columns.
    _, plain_msg = mail_for(ctx, "155")
    plain_files = {a.get_filename(): a.get_content() for a in plain_msg.iter_attachments()}
    plain_csv = plain_files["omgoerelsesprocenter-2024-155-dragoer.csv"]
    plain_csv = plain_csv.decode("utf-8-sig") if isinstance(plain_csv, bytes) else plain_csv
    assert "Modtagere" not in plain_csv.splitlines()[0]

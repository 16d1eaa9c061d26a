"""The consultation round through the real handlers under moto (render_site, notify and the
comment function, with events shaped as EventBridge and a function URL send them): an
accepted extract in consultation mode publishes nothing and invites every municipality
with a link that opens its own comment page; a comment submitted and changed is published
in the page, the map and the final mail; the schedule and the ministry asking twice publish
once; a replaced round keeps its comments; after publication the link takes nothing."""

from __future__ import annotations

import csv
import email
import io
import json
import re
import urllib.parse
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from typing import Any

import boto3
import pytest
from danmarkskort.domain.figures import FiguresDoc
from danmarkskort.hoering import tokens
from danmarkskort_tools.local.function_url import request_event, response_from
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from tests.clock import FakeClock
from tests.conftest import DATA_BUCKET, REGION, SITE_BUCKET
from tests.figures_support import corrected, make_doc
from tests.handlers import envelope, lambda_context, load_app, rates_computed

SITE = "https://kort.example.invalid"
SECRET = "danmarkskort-test-CommentKey"
GROUP = "danmarkskort-test-hoering"
A, B = "a1" * 32, "b2" * 32
LINK = re.compile(r"https://kort\.example\.invalid/kommentar/[A-Za-z0-9._-]+")


class Round:
    """Extract → render (opens the round) → notify (invitations); comments through the
    comment function; ConsultationDue → render (publishes) → notify (final mails)."""

    def __init__(self, aws: Any) -> None:
        self.aws = aws
        self.render = load_app("render_site")
        self.notify = load_app("notify_municipalities")
        self.notify.clock = FakeClock()
        self.comment = load_app("comment_page")
        self.sent_before = 0
        self.scheduler = boto3.client("scheduler", region_name=REGION)

    def upload(self, doc: FiguresDoc) -> dict[str, Any]:
        result: dict[str, Any] = self.render.handler(
            rates_computed(self.aws.s3, DATA_BUCKET, doc), lambda_context("render_site")
        )
        return result

    def deliver(self) -> tuple[list[dict[str, Any]], list[EmailMessage]]:
        """What render put on the bus, handed to notify as its rule would; the mails sent."""
        events = self.aws.bus_events()
        for event in events:
            if event["detail-type"] in ("ConsultationOpened", "SitePublished"):
                event["account"] = "123456789012"  # moto leaves it out of what it delivers
                self.notify.handler(event, lambda_context("notify_municipalities"))
        messages = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
        new = messages[self.sent_before :]
        self.sent_before = len(messages)
        mails = [
            email.message_from_string(m.raw_data, policy=policy.default)  # type: ignore[misc]
            for m in new
        ]
        return events, mails

    def due(self, round_id: str, requested_by: str = "schedule") -> dict[str, Any]:
        result: dict[str, Any] = self.render.handler(
            envelope("ConsultationDue", {"round_id": round_id, "requested_by": requested_by}),
            lambda_context("render_site"),
        )
        return result

    def page(self, method: str, link: str, form: dict[str, str] | None = None) -> Any:
        path = urllib.parse.urlsplit(link).path
        headers = {"user-agent": "test", "origin": SITE}
        body = None
        if form is not None:
            headers["content-type"] = "application/x-www-form-urlencoded"
            body = urllib.parse.urlencode(form)
        event = request_event(method, path, headers=headers, body=body, source_ip="192.0.2.7")
        return response_from(self.comment.handler(event, lambda_context("comment_page")))

    def comment_on(self, link: str, words: dict[str, str]) -> Any:
        form_page = self.page("GET", link).body.decode()
        csrf = re.search(r'name="csrf" value="([^"]+)"', form_page)
        assert csrf, form_page[:500]
        fields = {"csrf": csrf.group(1)} | {f"kommentar-{k}": v for k, v in words.items()}
        return self.page("POST", link, fields)

    def site(self, key: str) -> str:
        return self.aws.s3.get_object(Bucket=SITE_BUCKET, Key=key)["Body"].read().decode()

    def data(self, key: str) -> Any:
        return json.loads(self.aws.s3.get_object(Bucket=DATA_BUCKET, Key=key)["Body"].read())


@pytest.fixture
def round_(aws, monkeypatch) -> Round:
    monkeypatch.setenv("SITE_URL", SITE)
    monkeypatch.setenv("HOERING", "true")
    monkeypatch.setenv("COMMENT_KEY_SECRET", SECRET)
    monkeypatch.setenv("SCHEDULE_GROUP", GROUP)
    monkeypatch.setenv("SCHEDULER_ROLE_ARN", "arn:aws:iam::123456789012:role/scheduler")
    monkeypatch.setenv("EVENT_BUS_ARN", "arn:aws:events:eu-north-1:123456789012:event-bus/b")
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name=SECRET, SecretString="s" * 64
    )
    boto3.client("scheduler", region_name=REGION).create_schedule_group(Name=GROUP)
    return Round(aws)


def extract(extract_id: str, received: str, seed: int = 7) -> FiguresDoc:
    return replace(
        make_doc(years=(2023, 2024), seed=seed, extract_id=extract_id), received=received
    )


def links_of(mails: list[EmailMessage]) -> dict[str, str]:
    out = {}
    for m in mails:
        text = m.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = m.get_body(("html",)).get_content()  # type: ignore[union-attr]
        (link,) = set(LINK.findall(text))
        assert f'href="{link}"' in html  # the same link in both parts
        out[str(m["X-Danmarkskort-Kommunekode"])] = link
    return out


def test_a_round_invites_publishes_nothing_then_publishes_the_comments_once(round_):
    opened = round_.upload(extract(A, "2026-11-30T09:00:00+00:00"))
    assert opened["status"] == "consultation_opened"
    rid = opened["round_id"]
    # Nothing public exists yet: no page, no figures of the year, no SitePublished.
    assert round_.aws.keys(SITE_BUCKET) == []
    assert round_.aws.keys(DATA_BUCKET, "record/") == []
    preview = round_.aws.keys(DATA_BUCKET, f"hoering/{rid}/preview/")
    assert f"hoering/{rid}/preview/index.html" in preview
    schedule = round_.scheduler.get_schedule(Name=f"hoering-{rid}", GroupName=GROUP)
    frist = datetime.fromisoformat(opened["frist"])
    assert schedule["ScheduleExpression"] == f"at({frist.astimezone(UTC):%Y-%m-%dT%H:%M:%S})"
    assert json.loads(schedule["Target"]["Input"])["round_id"] == rid
    # 14 days, to 23:59 Danish time.
    assert frist.astimezone(UTC) - datetime.now(UTC) > timedelta(days=13)

    events, invitations = round_.deliver()
    assert [e["detail-type"] for e in events] == ["ConsultationOpened"]
    assert len(invitations) == 98
    links = links_of(invitations)
    assert len(set(links.values())) == 98  # one personal link each
    dragoer = next(m for m in invitations if m["X-Danmarkskort-Kommunekode"] == "155")
    assert str(dragoer["Subject"]).startswith("Høring: ")
    assert dragoer["X-Danmarkskort-Round"] == rid
    text = dragoer.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "KOMMUNALBESTYRELSENS BEHANDLING" not in text  # that comes with the publication
    # The council's paper comes with the publication too: spreadsheets only, no PDF.
    names = [p.get_filename() or "" for p in dragoer.iter_attachments()]
    assert names and not any(n.endswith(".pdf") for n in names)
    assert re.search(r"\d+\.\s+december\s+2026\s+kl\.\s+23\.59", text)
    claims = tokens.verify(
        b"s" * 64, links["155"].rsplit("/", 1)[1], datetime.now(UTC)
    )  # signed with the stack's key, for Dragør, expiring at the deadline
    assert (claims.round_id, claims.kommunekode, claims.expires) == (rid, "155", frist)
    # A repeated ConsultationOpened sends nothing again (the ledger of the round).
    opened_event = events[0]
    round_.notify.handler(opened_event, lambda_context("notify_municipalities"))
    assert round_.deliver()[1] == []

    # Dragør comments, then changes its comment; Københavns comments with markup.
    page = round_.page("GET", links["155"])
    assert page.status == 200 and "Dragør Kommune" in page.body.decode()
    assert round_.comment_on(links["155"], {"socialomraadet": "Første udgave."}).status == 303
    changed = round_.comment_on(
        links["155"], {"socialomraadet": "Vi traf 1.204 afgørelser i alt i 2024."}
    )
    assert changed.status == 303
    markup = "<script>alert(1)</script> & <b>fed</b>"
    assert round_.comment_on(links["101"], {"boernehandicap": markup}).status == 303
    audit = round_.aws.keys(DATA_BUCKET, f"hoering/{rid}/audit/155/")
    assert len(audit) == 2
    entry = round_.data(audit[-1])
    assert entry["action"] == "changed" and entry["source_ip"] == "192.0.2.7"

    # A form opened before the round ends, sent after it.
    before = round_.page("GET", links["155"]).body.decode()
    late_csrf = re.search(r'name="csrf" value="([^"]+)"', before).group(1)  # type: ignore[union-attr]

    # The deadline's schedule and the ministry both ask: one publication.
    published = round_.due(rid)
    assert published["status"] == "published" and published["comments"] == 2
    again = round_.due(rid, requested_by="danmarkskort publish")
    assert again["status"] == "already_published"
    events, final = round_.deliver()
    assert [e["detail-type"] for e in events] == ["SitePublished"]
    assert len(final) == 98
    with pytest.raises(round_.scheduler.exceptions.ResourceNotFoundException):
        round_.scheduler.get_schedule(Name=f"hoering-{rid}", GroupName=GROUP)

    page_155 = round_.site("kommune/155-dragoer.html")
    assert "Vi traf 1.204 afgørelser i alt i 2024." in page_155
    assert "Første udgave." not in page_155
    page_101 = round_.site("kommune/101-koebenhavn.html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;fed&lt;/b&gt;" in page_101
    assert "<script>alert(1)" not in page_101
    front = round_.site("index.html")
    assert "Vi traf 1.204 afgørelser i alt i 2024." in front  # the map's info box
    mail_155 = next(m for m in final if m["X-Danmarkskort-Kommunekode"] == "155")
    body = mail_155.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert any((p.get_filename() or "").endswith(".pdf") for p in mail_155.iter_attachments())
    assert "Kommunens egen kommentar" in body and "Vi traf 1.204 afgørelser" in body
    html = mail_155.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Vi traf 1.204 afgørelser" in html
    mail_101 = next(m for m in final if m["X-Danmarkskort-Kommunekode"] == "101")
    assert "&lt;script&gt;" in mail_101.get_body(("html",)).get_content()  # type: ignore[union-attr]

    # The record keeps the comments: a later re-render shows them still.
    record = round_.data(round_.data("record/current.json")["key"])
    assert {(c["kommunekode"], c["omraade"]) for c in record["comments"]} == {
        ("155", "socialomraadet"),
        ("101", "boernehandicap"),
    }
    # The link takes nothing once the round is published.
    assert round_.page("GET", links["155"]).status == 410
    late = round_.page(
        "POST", links["155"], {"csrf": late_csrf, "kommentar-socialomraadet": "For sent."}
    )
    assert late.status == 410
    assert "For sent." not in round_.site("kommune/155-dragoer.html")


def test_a_newer_extract_replaces_the_open_round_and_keeps_its_comments(round_):
    first = round_.upload(extract(A, "2026-11-30T09:00:00+00:00"))
    _, invitations = round_.deliver()
    old_link = links_of(invitations)["155"]
    assert round_.comment_on(old_link, {"socialomraadet": "Vores kommentar."}).status == 303

    second = round_.upload(extract(B, "2026-12-01T09:00:00+00:00", seed=8))
    assert second["status"] == "consultation_opened"
    assert second["superseded"] == first["round_id"] != second["round_id"]
    _, invitations = round_.deliver()
    new_link = links_of(invitations)["155"]
    # The old link no longer takes comments; the new page shows the carried comment.
    assert round_.page("GET", old_link).status == 410
    assert "Vores kommentar." in round_.page("GET", new_link).body.decode()
    # The old round's schedule is gone; publishing the old round does nothing.
    with pytest.raises(round_.scheduler.exceptions.ResourceNotFoundException):
        round_.scheduler.get_schedule(Name=f"hoering-{first['round_id']}", GroupName=GROUP)
    assert round_.due(first["round_id"])["status"] == "not_current"
    assert round_.aws.keys(SITE_BUCKET) == []
    published = round_.due(second["round_id"])
    assert published["status"] == "published" and published["extract_id"] == B
    assert "Vores kommentar." in round_.site("kommune/155-dragoer.html")


def test_without_consultation_mode_nothing_changes(round_, monkeypatch):
    monkeypatch.setenv("HOERING", "false")
    round_.render = load_app("render_site")
    result = round_.upload(extract(A, "2026-11-30T09:00:00+00:00"))
    assert result["status"] == "published"
    assert round_.aws.keys(DATA_BUCKET, "hoering/") == []
    events, mails = round_.deliver()
    assert [e["detail-type"] for e in events] == ["SitePublished"]
    assert len(mails) == 98 and not str(mails[0]["Subject"]).startswith("Høring")


def test_hoering_json_turns_the_round_on(round_, monkeypatch):
    monkeypatch.setenv("HOERING", "false")
    round_.render = load_app("render_site")
    round_.aws.s3.put_object(
        Bucket=DATA_BUCKET,
        Key="config/hoering.json",
        Body=json.dumps({"aktiv": True, "frist_dage": 3, "max_tegn": 200}).encode(),
    )
    opened = round_.upload(extract(A, "2026-11-30T09:00:00+00:00"))
    assert opened["status"] == "consultation_opened"
    doc = round_.data(f"hoering/{opened['round_id']}/round.json")
    assert doc["max_tegn"] == 200
    frist = datetime.fromisoformat(doc["frist"])
    assert timedelta(days=2) < frist - datetime.now(UTC) < timedelta(days=4)


def test_a_due_event_for_an_unknown_round_publishes_nothing(round_):
    assert round_.due("0" * 16)["status"] == "not_current"
    assert round_.aws.keys(SITE_BUCKET) == []


def test_comments_are_open_data_with_formulas_neutralised(round_):
    opened = round_.upload(extract(A, "2026-11-30T09:00:00+00:00"))
    _, invitations = round_.deliver()
    link = links_of(invitations)["155"]
    assert round_.comment_on(link, {"voksenhandicap": '=HYPERLINK("x";"klik")'}).status == 303
    round_.due(opened["round_id"])
    rows = list(csv.reader(io.StringIO(round_.site("data/bemaerkninger.csv").lstrip("\ufeff"))))
    assert rows[0] == ["type", "kommunekode", "kommune", "omraader", "aar", "kilde", "tekst"]
    (own,) = [r for r in rows[1:] if r[0] == "kommentar"]
    assert own[:6] == ["kommentar", "155", "Dragør", "voksenhandicap", "2024", "Dragør Kommune"]
    assert own[6] == '\'=HYPERLINK("x";"klik")'  # a spreadsheet shows it, never runs it
    assert "data/bemaerkninger.csv" in round_.site("index.html")


def test_a_correction_of_a_published_year_is_published_at_once(round_, monkeypatch):
    """The round is for a new year's maps; late registrations of a published year are
    published as without it, and only the changed municipalities are mailed."""
    monkeypatch.setenv("HOERING", "false")
    round_.render = load_app("render_site")
    round_.upload(extract(A, "2026-11-30T09:00:00+00:00"))
    round_.deliver()
    monkeypatch.setenv("HOERING", "true")
    round_.render = load_app("render_site")
    fixed = replace(corrected(extract(B, "2026-12-01T09:00:00+00:00"), 2024, "155", 4))
    result = round_.upload(fixed)
    assert result["status"] == "published"
    assert round_.aws.keys(DATA_BUCKET, "hoering/") == []
    _, mails = round_.deliver()
    assert [m["X-Danmarkskort-Kommunekode"] for m in mails] == ["155"]
    assert str(mails[0]["Subject"]).startswith("Rettelse: ")


def test_a_round_being_replaced_takes_no_comment_and_is_not_published(round_):
    """Replacing a round first marks it "superseded" (then the comments are carried over):
    an opening interrupted there leaves a round that neither takes comments nor publishes."""
    opened = round_.upload(extract(A, "2026-11-30T09:00:00+00:00"))
    _, invitations = round_.deliver()
    link = links_of(invitations)["155"]
    current = round_.data("hoering/current.json")
    current["status"] = "superseded"
    round_.aws.s3.put_object(
        Bucket=DATA_BUCKET, Key="hoering/current.json", Body=json.dumps(current).encode()
    )
    assert round_.page("GET", link).status == 410
    assert round_.due(opened["round_id"])["status"] == "not_current"
    assert round_.aws.keys(SITE_BUCKET) == []

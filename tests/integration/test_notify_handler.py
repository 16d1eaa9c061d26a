"""notify_municipalities under moto, through the real handler, with SitePublished as
EventBridge delivers it: 98 mails, each parsed back with the ``email`` package."""

from __future__ import annotations

import copy
import email
import io
import json
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from botocore.exceptions import ClientError
from danmarkskort.adapters import ledger as ledger_module
from danmarkskort.adapters import ses as ses_module
from danmarkskort.config.sources import ConfigError
from danmarkskort.domain.municipalities import registry
from danmarkskort.events import EventError
from danmarkskort.mail.notify import NotificationsIncomplete
from danmarkskort.mail.outbox import export_outbox
from danmarkskort.ports import SenderNotVerified
from danmarkskort.render.manifest import ManifestError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from tests.clock import FakeClock
from tests.conftest import DATA_BUCKET, REGION, SENDER, SITE_BUCKET
from tests.figures_support import MAIL_EXTRACT_ID as EXTRACT_ID
from tests.figures_support import mail_doc as build_doc
from tests.handlers import lambda_context, load_app

REPO = Path(__file__).resolve().parents[2]
FIGURES_KEY = f"results/{EXTRACT_ID}/figures.json"
SITE_URL = "https://kort.example.invalid"
VERSION = EXTRACT_ID[:16]
LINKS = {
    "reading_guide": "v/abc/laesevejledning.html",
    "municipality_page": "v/abc/kommune/{kommunekode}-{slug}.html",
    "year_page": "v/abc/{aar}/index.html",
}


def site_published() -> dict[str, Any]:
    event = json.loads((REPO / "events" / "site_published.json").read_text(encoding="utf-8"))
    event["detail"].update(
        {
            "extract_id": EXTRACT_ID,
            "bucket": SITE_BUCKET,
            "data_bucket": DATA_BUCKET,
            "figures_key": FIGURES_KEY,
            "version": VERSION,
            "site_url": SITE_URL,
            "links": LINKS,
        }
    )
    return event


def put_manifest(aws, **changes: Any) -> None:
    """What render_site writes for the version: notify takes its links from here."""
    manifest = {
        "extract_id": EXTRACT_ID,
        "version": VERSION,
        "figures_key": FIGURES_KEY,
        "links": LINKS,
        **changes,
    }
    key = f"v/{VERSION}/manifest.json"
    aws.s3.put_object(Bucket=SITE_BUCKET, Key=key, Body=json.dumps(manifest).encode())


@pytest.fixture
def notify(aws, monkeypatch):
    """Figures in the data bucket, the version's manifest in the site bucket; returns a
    function invoking the handler once (its clock, a FakeClock, as invoke.clock)."""
    monkeypatch.setenv("SITE_URL", SITE_URL)
    app = load_app("notify_municipalities")
    app.clock = FakeClock()
    aws.s3.put_object(Bucket=DATA_BUCKET, Key=FIGURES_KEY, Body=build_doc().to_json().encode())
    put_manifest(aws)

    def invoke(event: dict[str, Any] | None = None, context: Any = None):
        return app.handler(
            event or site_published(), context or lambda_context("notify_municipalities")
        )

    invoke.clock = app.clock  # type: ignore[attr-defined]
    return invoke


def sent() -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def parsed(message: Any) -> EmailMessage:
    return email.message_from_string(message.raw_data, policy=policy.default)  # type: ignore[return-value]


def by_code(messages: list[Any]) -> dict[str, list[EmailMessage]]:
    out: dict[str, list[EmailMessage]] = {}
    for m in messages:
        msg = parsed(m)
        out.setdefault(msg["X-Danmarkskort-Kommunekode"], []).append(msg)
    return out


def notified(aws) -> tuple[list[dict], list[dict]]:
    details = [e["detail"] for e in aws.bus_events() if e["detail-type"] == "MunicipalityNotified"]
    return [d for d in details if d["kommunekode"] != "000"], [
        d for d in details if d["kommunekode"] == "000"
    ]


class FlakyClient:
    """The real (moto) sesv2 client, with chosen calls failing the way SES fails."""

    def __init__(self, real: Any, fail: Any):
        self.real = real
        self.fail = fail
        self.calls = 0

    def send_email(self, **kwargs: Any) -> Any:
        self.calls += 1
        self.fail(self.calls, kwargs)
        return self.real.send_email(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def client_error(code: str, message: str, status: int = 400) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "SendEmail",
    )


def use_client(monkeypatch, fail) -> list[FlakyClient]:
    made: list[FlakyClient] = []
    real_factory = ses_module.ses_client

    def factory() -> FlakyClient:
        made.append(FlakyClient(real_factory(), fail))
        return made[-1]

    monkeypatch.setattr(ses_module, "ses_client", factory)
    return made


class Crash(BaseException):
    """The process dying (timeout, out of memory): nothing after it runs."""


# --- the whole run ---------------------------------------------------------------------------


def test_98_mails_with_recipients_subjects_and_attachments(aws, notify):
    summary = notify()
    messages = sent()
    assert len(messages) == 98
    mails = by_code(messages)
    assert sorted(mails) == sorted(m.code for m in registry().municipalities)
    for code, [msg] in mails.items():
        m = registry().by_code(code)
        assert msg["Subject"] == f"Danmarkskort over omgørelsesprocenter 2024 – {m.full_name}"
        assert msg["To"].addresses[0].addr_spec == f"omgoerelsesprocent@{m.slug}.example.invalid"
        assert msg["From"].addresses[0].addr_spec == SENDER
        assert msg.get_content_type() == "multipart/mixed"
        body = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        assert m.full_name in body and "31.\u00a0december 2025" in body
        assert f"{SITE_URL}/v/abc/kommune/{code}-{m.slug}.html" in html
        names = [a.get_filename() for a in msg.iter_attachments()]
        stem = f"omgoerelsesprocenter-2024-{code}-{m.slug}"
        assert f"{stem}.csv" in names and f"{stem}.xlsx" in names
        assert all(n.isascii() for n in names)
    assert summary["sent"] == summary["sent_this_run"] == 98
    per_municipality, summaries = notified(aws)
    assert len(per_municipality) == 98 and {d["status"] for d in per_municipality} == {"sent"}
    assert len(summaries) == 1 and summaries[0]["summary"]["sent"] == 98
    assert summaries[0]["status"] == "summary"
    eml = aws.keys(DATA_BUCKET, f"notifications/{EXTRACT_ID}/")
    assert len([k for k in eml if k.endswith(".eml")]) == 98
    assert f"notifications/{EXTRACT_ID}/summary.json" in eml


def test_dragoer_and_taarnby_carry_the_cooperation_remarks(aws, notify):
    notify()
    mails = by_code(sent())
    [dragoer] = mails["155"]
    [taarnby] = mails["185"]
    d_body = dragoer.get_body(("plain",)).get_content()
    assert "Tårnby Kommune træffer afgørelserne" in " ".join(d_body.split())
    t_body = " ".join(taarnby.get_body(("plain",)).get_content().split())
    assert "Tårnby Kommunes tal om børnehandicap omfatter også Dragør Kommunes sager" in t_body
    assert not any(a.get_filename().endswith(".html") for a in dragoer.iter_attachments())
    # The adult arrangement ended in 2021: not in a mail about 2022-2024.
    assert "voksenhandicap" not in d_body.split("KOMMUNALBESTYRELSENS")[0].split("BEMÆRKNINGER")[1]


def test_danish_letters_survive_in_subject_body_and_attachments(aws, notify, tmp_path):
    notify()
    [aeroe] = by_code(sent())["492"]  # Ærø
    assert aeroe["Subject"].endswith("Ærø Kommune")
    assert "Ærø Kommunes tal" in aeroe.get_body(("plain",)).get_content()
    files = {a.get_filename(): a for a in aeroe.iter_attachments()}
    csv_text = files["omgoerelsesprocenter-2024-492-aeroe.csv"].get_content()
    assert ";Ærø;" in csv_text
    wb = openpyxl.load_workbook(
        io.BytesIO(files["omgoerelsesprocenter-2024-492-aeroe.xlsx"].get_content())
    )
    assert wb["Områder"]["D2"].value == "Ærø"
    # The local chain's hook: the same mails as files, openable in a mail client.
    from danmarkskort.adapters.s3 import Bucket

    paths = export_outbox(Bucket(DATA_BUCKET, aws.s3), EXTRACT_ID, tmp_path / "outbox")
    assert len(paths) == 98
    again = email.message_from_bytes(
        (tmp_path / "outbox" / "492.eml").read_bytes(), policy=policy.default
    )
    assert again["Subject"] == aeroe["Subject"]


def test_a_duplicated_event_sends_nothing_twice(aws, notify):
    notify()
    second = notify()
    assert len(sent()) == 98
    assert second["sent"] == 98 and second["sent_this_run"] == 0
    per_municipality, summaries = notified(aws)
    assert len(per_municipality) == 98  # announced once
    assert len(summaries) == 2


def test_throttling_every_third_call_still_gives_98_without_duplicates(aws, notify, monkeypatch):
    def every_third(n: int, _: Any) -> None:
        if n % 3 == 0:
            raise client_error("TooManyRequestsException", "Maximum sending rate exceeded.", 429)

    made = use_client(monkeypatch, every_third)
    summary = notify()
    mails = by_code(sent())
    assert len(sent()) == 98 and all(len(v) == 1 for v in mails.values())
    assert summary["sent"] == 98
    assert made[0].calls > 98  # the throttled calls were retried
    backoffs = [s for s in notify.clock.sleeps if s > 0.01]  # pacing at 1000/s sleeps ~1 ms
    assert backoffs, "throttling must back off"


def test_a_crash_after_40_then_reruns_give_98_in_all(aws, notify, monkeypatch):
    crashed: list[int] = []

    def crash_on_41(n: int, _: Any) -> None:
        if n == 41 and not crashed:
            crashed.append(n)
            raise Crash("killed after 40 mails, inside the send of the 41st")

    use_client(monkeypatch, crash_on_41)
    with pytest.raises(Crash):
        notify()
    assert len(sent()) == 40
    # The 41st is still claimed (SES may or may not have taken it). A rerun without the time
    # to wait out the lease sends the other 57 and fails, so it is retried.
    short = lambda_context("notify_municipalities")
    short.get_remaining_time_in_millis = lambda: 120_000
    with pytest.raises(NotificationsIncomplete) as info:
        notify(context=short)
    assert len(sent()) == 97
    assert len(info.value.summary["busy"]) == 1
    # The next retry has its full time: it waits the lease out and sends the 41st.
    notify.clock.sleeps.clear()
    summary = notify()
    waited = [s for s in notify.clock.sleeps if s > 1]
    mails = by_code(sent())
    assert len(sent()) == 98 and len(mails) == 98
    assert all(len(v) == 1 for v in mails.values())
    assert summary["sent"] == 98 and summary["busy"] == []
    assert len(waited) == 1 and 0 < waited[0] <= ledger_module.LEASE_SECONDS + 1


def test_running_out_of_time_stops_and_the_retry_resumes(aws, notify):
    context = lambda_context("notify_municipalities")
    # Under the 30 s reserve once 40 mails are out.
    context.get_remaining_time_in_millis = lambda: (900 if len(sent()) < 40 else 20) * 1000

    with pytest.raises(NotificationsIncomplete) as info:
        notify(context=context)
    assert len(sent()) == 40
    assert len(info.value.summary["not_reached"]) == 58
    summary = notify()
    assert len(sent()) == 98 and summary["sent_this_run"] == 58
    assert all(len(v) == 1 for v in by_code(sent()).values())


def test_permanent_failures_are_recorded_and_reported(aws, notify, monkeypatch):
    def reject_dragoer(_: int, kwargs: Any) -> None:
        if "dragoer" in kwargs["Destination"]["ToAddresses"][0]:
            raise client_error("MessageRejected", "Email address is not verified.")

    use_client(monkeypatch, reject_dragoer)
    summary = notify()
    assert len(sent()) == 97
    assert [f["kommunekode"] for f in summary["failed"]] == ["155"]
    assert "MessageRejected" in summary["failed"][0]["error"]
    item = aws.dynamodb.get_item(
        TableName=aws.names["table"], Key={"id": {"S": f"notify#{EXTRACT_ID}#155"}}
    )["Item"]
    assert item["status"]["S"] == "failed" and "MessageRejected" in item["error"]["S"]
    per_municipality, _ = notified(aws)
    assert [d["status"] for d in per_municipality if d["kommunekode"] == "155"] == ["failed"]


def test_a_municipality_without_recipient_is_reported_not_a_crash(aws, notify):
    table = json.loads(
        (REPO / "layer/danmarkskort/config/defaults/recipients.json").read_text(encoding="utf-8")
    )
    del table["recipients"]["101"]
    aws.s3.put_object(
        Bucket=DATA_BUCKET, Key="config/recipients.json", Body=json.dumps(table).encode()
    )
    summary = notify()
    assert len(sent()) == 97
    assert summary["no_recipient"] == [{"kommunekode": "101", "kommune": "Københavns Kommune"}]


def test_an_unverified_sender_fails_loudly_before_any_mail(aws, notify, monkeypatch):
    monkeypatch.setenv("SENDER_ADDRESS", "noreply@unverified.example.invalid")
    with pytest.raises(SenderNotVerified, match=re.escape("noreply@unverified.example.invalid")):
        notify()
    assert sent() == []
    assert aws.dynamodb.scan(TableName=aws.names["table"])["Items"] == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Dragør Kommune\r\nBcc: victim@example.invalid"),
        ("address", "omgoerelsesprocent@dragoer.example.invalid\nBcc: victim@example.invalid"),
        ("address", "not an address"),
    ],
)
def test_header_injection_in_recipients_is_refused_before_sending(aws, notify, field, value):
    table = json.loads(
        (REPO / "layer/danmarkskort/config/defaults/recipients.json").read_text(encoding="utf-8")
    )
    table["recipients"]["155"][0][field] = value
    aws.s3.put_object(
        Bucket=DATA_BUCKET, Key="config/recipients.json", Body=json.dumps(table).encode()
    )
    with pytest.raises(
        ConfigError, match=rf"recipients\.json: recipients\['155'\]\[0\]\.{field}: "
    ):
        notify()
    assert sent() == []


def test_header_injection_in_reply_to_and_subject_is_refused(aws, notify, monkeypatch):
    monkeypatch.setenv("REPLY_TO_ADDRESS", "svar@example.invalid\r\nBcc: victim@example.invalid")
    with pytest.raises(ConfigError, match="REPLY_TO_ADDRESS"):
        notify()
    monkeypatch.delenv("REPLY_TO_ADDRESS")
    texts = json.loads(
        (REPO / "layer/danmarkskort/config/defaults/mail.json").read_text(encoding="utf-8")
    )
    texts["emne"] = "Tal {aar}\nBcc: victim@example.invalid"
    aws.s3.put_object(Bucket=DATA_BUCKET, Key="config/mail.json", Body=json.dumps(texts).encode())
    with pytest.raises(ConfigError, match=re.escape("mail.json: emne: ")):
        notify()
    assert sent() == []


def test_reply_to_is_set_when_configured(aws, notify, monkeypatch):
    monkeypatch.setenv("REPLY_TO_ADDRESS", "svar@example.invalid")
    notify()
    [msg] = by_code(sent())["155"]
    assert msg["Reply-To"].addresses[0].addr_spec == "svar@example.invalid"


def test_dry_run_composes_and_records_without_sending(aws, notify, monkeypatch):
    monkeypatch.setenv("DRY_RUN", "true")
    summary = notify()
    assert sent() == []
    assert summary["dry_run"] and summary["dry_run_composed"] == 98
    keys = aws.keys(DATA_BUCKET, f"notifications/{EXTRACT_ID}/")
    assert len([k for k in keys if k.endswith(".eml")]) == 98
    # A dry run does not use up the real run.
    monkeypatch.setenv("DRY_RUN", "false")
    assert notify()["sent_this_run"] == 98
    assert len(sent()) == 98


# --- § 79 b, stk. 2: never left out silently ---------------------------------------------


def test_the_action_plan_text_is_included_and_the_summary_says_so(aws, notify, caplog):
    summary = notify()  # figures of 2024: published 2025, the bundled last year
    assert summary["legal_text"] == {
        "handlingsplan_included": True,
        "setting": "mail.json handlingsplan_sidste_offentliggoerelsesaar",
        "last_publication_year": 2025,
        "publication_year": 2025,
    }
    assert not [r for r in caplog.records if hasattr(r, "legal_text")]
    [msg] = by_code(sent())["155"]
    assert "§ 79 b, stk. 2" in " ".join(msg.get_body(("plain",)).get_content().split())


def test_leaving_out_the_action_plan_text_is_logged_and_in_the_summary(aws, notify, caplog):
    mail_json = json.loads(
        (REPO / "layer/danmarkskort/config/defaults/mail.json").read_text(encoding="utf-8")
    )
    mail_json["handlingsplan_sidste_offentliggoerelsesaar"] = 2024
    aws.s3.put_object(Bucket=DATA_BUCKET, Key="config/mail.json", Body=json.dumps(mail_json))
    summary = notify()
    warning = (
        "Mails leave out the § 79 b, stk. 2 text (mail.json "
        "handlingsplan_sidste_offentliggoerelsesaar = 2024; publication year 2025): "
        "the ministry must confirm the law."
    )
    assert summary["legal_text"]["handlingsplan_included"] is False
    assert summary["legal_text"]["warning"] == warning
    [record] = [r for r in caplog.records if hasattr(r, "legal_text")]
    assert record.levelname == "WARNING" and record.getMessage() == warning
    assert record.legal_text["last_publication_year"] == 2024
    assert record.legal_text["publication_year"] == 2025
    assert record.name.startswith("danmarkskort-test.")  # a child of notify's own logger
    _, [closing] = notified(aws)
    assert closing["summary"]["legal_text"]["warning"] == warning  # on the bus too
    [msg] = by_code(sent())["155"]
    assert "stk. 2" not in " ".join(msg.get_body(("plain",)).get_content().split())


def test_a_forged_event_cannot_choose_where_the_mails_link(aws, notify):
    event = copy.deepcopy(site_published())
    event["detail"]["site_url"] = "https://evil.example.invalid"
    event["detail"]["links"] = {k: "https://evil.example.invalid/x" for k in LINKS}
    notify(event)
    for message in sent():
        html = parsed(message).get_body(("html",)).get_content()
        assert "evil" not in html and f"{SITE_URL}/v/abc/" in html


@pytest.mark.parametrize(
    ("field", "value", "error", "says"),
    [
        ("data_bucket", "someone-elses-bucket", EventError, "someone-elses-bucket"),
        ("bucket", "someone-elses-site", EventError, "someone-elses-site"),
        ("version", "0123456789abcdef", ManifestError, "was never published"),
        ("version", "../../etc", EventError, "detail.version"),
        ("extract_id", "not-a-hash", EventError, "detail.extract_id"),
        ("years", "2024", EventError, "detail.years"),
    ],
)
def test_a_malformed_or_foreign_event_is_refused_naming_the_field(
    aws, notify, field, value, error, says
):
    event = copy.deepcopy(site_published())
    event["detail"][field] = value
    with pytest.raises(error, match=re.escape(says)):
        notify(event)
    assert sent() == []


@pytest.mark.parametrize("missing", ["extract_id", "version", "bucket", "keys"])
def test_an_event_missing_a_field_names_it(aws, notify, missing):
    event = copy.deepcopy(site_published())
    del event["detail"][missing]
    with pytest.raises(EventError, match=rf"detail\.{missing}: Field required"):
        notify(event)
    assert sent() == []


def test_a_manifest_of_another_extract_is_refused(aws, notify):
    put_manifest(aws, extract_id="f" * 64)
    with pytest.raises(ManifestError, match="refused"):
        notify()
    assert sent() == []


def test_an_event_of_another_type_is_refused(aws, notify):
    event = copy.deepcopy(site_published())
    event["detail-type"] = "RatesComputed"
    with pytest.raises(EventError, match="detail-type"):
        notify(event)

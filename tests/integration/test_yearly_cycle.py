"""The yearly cycle through the real render and notify handlers under moto: consecutive
extracts join one record of published figures; a correction mails exactly the changed
municipalities, marked as such; figures equal to what is published change and send
nothing; an older year joins the archive without touching the front page; a damaged record
is an error, never an empty site."""

from __future__ import annotations

import email
import json
from dataclasses import replace
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from danmarkskort.domain.figures import FiguresDoc
from danmarkskort.domain.record import RecordError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from tests.clock import FakeClock
from tests.conftest import DATA_BUCKET, REGION, SITE_BUCKET
from tests.figures_support import corrected, make_doc
from tests.handlers import envelope, lambda_context, load_app, rates_computed

A, B, C, D, E = ("a1" * 32, "b2" * 32, "c3" * 32, "d4" * 32, "e5" * 32)


def extract(years: tuple[int, ...], extract_id: str, received: str, seed: int) -> FiguresDoc:
    return replace(make_doc(years=years, seed=seed, extract_id=extract_id), received=received)


class Cycle:
    """Upload → compute's result → render → notify, as the chain runs them."""

    def __init__(self, aws: Any) -> None:
        self.aws = aws
        self.render = load_app("render_site")
        self.notify = load_app("notify_municipalities")
        self.notify.clock = FakeClock()
        self.sent_before = 0

    def upload(self, doc: FiguresDoc) -> tuple[dict[str, Any], list[EmailMessage]]:
        result = self.render.handler(
            rates_computed(self.aws.s3, DATA_BUCKET, doc), lambda_context("render_site")
        )
        published = [e for e in self.aws.bus_events() if e["detail-type"] == "SitePublished"]
        if published:
            [event] = published
            event["account"] = "123456789012"  # moto leaves it out of what it delivers
            self.notify.handler(event, lambda_context("notify_municipalities"))
        messages = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
        new = messages[self.sent_before :]
        self.sent_before = len(messages)
        return result, [
            email.message_from_string(m.raw_data, policy=policy.default)  # type: ignore[misc]
            for m in new
        ]

    def page(self, key: str) -> str:
        body = self.aws.s3.get_object(Bucket=SITE_BUCKET, Key=key)["Body"].read()
        return body.decode("utf-8")

    def manifest(self, result: dict[str, Any]) -> dict[str, Any]:
        return json.loads(self.page(result["keys"]["manifest"]))


@pytest.fixture
def cycle(aws, monkeypatch) -> Cycle:
    monkeypatch.setenv("SITE_URL", "https://kort.example.invalid")
    return Cycle(aws)


def by_code(mails: list[EmailMessage]) -> dict[str, EmailMessage]:
    return {str(m["X-Danmarkskort-Kommunekode"]): m for m in mails}


def test_three_consecutive_uploads_build_one_published_history(cycle):
    first, mails = cycle.upload(extract((2022, 2023), A, "2024-05-02T09:00:00+00:00", 7))
    assert first["status"] == "published" and len(mails) == 98
    assert "2023" in str(mails[0]["Subject"])

    second, mails = cycle.upload(extract((2024,), B, "2025-05-02T09:00:00+00:00", 8))
    assert second["years"] == [2022, 2023, 2024]
    assert len(mails) == 98 and all("2024" in str(m["Subject"]) for m in mails)
    front = cycle.page("index.html")
    for year in (2022, 2023, 2024):
        assert f"{year}/index.html" in front  # every published year in the navigation
    body = by_code(mails)["155"].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "ingen tal for året før" not in body  # the change from 2023, published a year ago
    dragoer = cycle.page("kommune/155-dragoer.html")
    assert "2022" in dragoer and "2024" in dragoer  # the trend over every published year
    # Stable open data of the current figures: per year and all years.
    every = cycle.page("data/omgoerelser.csv").lstrip("\ufeff").splitlines()
    assert every[0].startswith("aar,omraade,kommunekode")
    assert {line.split(",")[0] for line in every[1:]} == {"2022", "2023", "2024"}
    assert len(every) == 1 + 3 * 3 * 99
    y2023 = cycle.page("data/omgoerelser-2023.csv").lstrip("\ufeff").splitlines()
    assert len(y2023) == 1 + 3 * 99 and all(line.startswith("2023,") for line in y2023[1:])
    # Each year's open data names the extract its figures come from.
    version = second["version"]
    assert json.loads(cycle.page(f"v/{version}/2023/data/omgoerelser-2023.json"))["extract_id"] == A
    assert json.loads(cycle.page(f"v/{version}/2024/data/omgoerelser-2024.json"))["extract_id"] == B

    base = extract((2024,), C, "2025-08-15T09:00:00+00:00", 8)
    fixed = corrected(corrected(base, 2024, "155", 4), 2024, "185", 2, "boernehandicap")
    third, mails = cycle.upload(fixed)
    assert third["status"] == "published"
    mails_by_code = by_code(mails)
    assert sorted(mails_by_code) == ["155", "185"]  # exactly the municipalities that changed
    for code, msg in mails_by_code.items():
        assert str(msg["Subject"]).startswith("Rettelse: "), code
        text = " ".join(msg.get_body(("plain",)).get_content().split())  # type: ignore[union-attr]
        assert "erstatter den, vi sendte tidligere" in text and "→" in text
    dragoer_text = " ".join(
        mails_by_code["155"].get_body(("plain",)).get_content().split()  # type: ignore[union-attr]
    )
    assert "Socialområdet generelt 2024: 0 % af 2 sager → 67 % af 6 sager" in dragoer_text
    manifest = cycle.manifest(third)
    assert manifest["mailing"]["kind"] == "correction"
    assert sorted(manifest["mailing"]["corrections"]) == ["155", "185"]
    record = json.loads(
        cycle.aws.s3.get_object(Bucket=DATA_BUCKET, Key="record/states/000003.json")["Body"].read()
    )
    [entry] = record["changelog"]
    assert entry["aar"] == 2024 and entry["extract_id"] == C and entry["previous_extract_id"] == B
    # The pages say what changed, old → new, and when; the change log lists it.
    year_page = cycle.page("2024/index.html")
    assert "Rettet 15. august 2025" in year_page and "rettelser.html#rettelse-2024-" in year_page
    assert "ændrede tallene for 2 kommuner" in year_page
    dragoer = " ".join(cycle.page("kommune/155-dragoer.html").split())
    assert "Rettet 15. august 2025:" in dragoer
    assert "Socialområdet generelt 2024: 0 % af 2 sager → 67 % af 6 sager" in dragoer
    assert "Rettet" not in cycle.page("kommune/101-koebenhavn.html").split("<footer")[0]
    log = " ".join(cycle.page("rettelser.html").split())
    assert "Tallene for 2024, rettet 15. august 2025" in log
    assert "Dragør" in log and "Tårnby" in log
    # Every earlier state of the record stays.
    states = cycle.aws.keys(DATA_BUCKET, "record/states/")
    assert states == [f"record/states/00000{i}.json" for i in (1, 2, 3)]


def test_an_extract_equal_to_what_is_published_changes_and_sends_nothing(cycle):
    cycle.upload(extract((2024,), A, "2025-05-02T09:00:00+00:00", 8))
    front = cycle.page("index.html")
    again, mails = cycle.upload(extract((2024,), B, "2025-05-09T09:00:00+00:00", 8))
    assert again["status"] == "unchanged" and again["years"] == {"2024": "unchanged"}
    assert mails == [] and cycle.page("index.html") == front


def test_an_older_year_joins_the_archive_and_leaves_the_front_page(cycle):
    cycle.upload(extract((2024,), A, "2025-05-02T09:00:00+00:00", 8))
    front = cycle.page("index.html")
    older, mails = cycle.upload(extract((2021,), B, "2025-06-01T09:00:00+00:00", 5))
    assert older["status"] == "published" and older["years"] == [2021, 2024]
    assert cycle.manifest(older)["mailing"]["kind"] == "none"
    assert mails == []
    assert "2024" in cycle.page("index.html").split("<h1", 1)[1][:400]
    assert "2021/index.html" in cycle.page("index.html")
    assert front != cycle.page("index.html")  # the navigation gained 2021


def test_a_damaged_record_is_an_error_and_the_site_stays(cycle):
    cycle.upload(extract((2024,), A, "2025-05-02T09:00:00+00:00", 8))
    front = cycle.page("index.html")
    cycle.aws.s3.put_object(Bucket=DATA_BUCKET, Key="record/states/000001.json", Body=b"{oops")
    with pytest.raises(RecordError, match=r"record/states/000001\.json"):
        cycle.upload(extract((2025,), B, "2026-05-02T09:00:00+00:00", 9))
    assert cycle.page("index.html") == front
    cycle.aws.s3.delete_object(Bucket=DATA_BUCKET, Key="record/current.json")
    with pytest.raises(RecordError, match=r"current\.json is missing"):
        cycle.upload(extract((2025,), C, "2026-05-02T09:00:00+00:00", 9))


def test_a_failed_first_publication_is_retried_onto_the_same_record(cycle, monkeypatch):
    from danmarkskort.adapters.s3 import Bucket

    real_put = Bucket.put

    def site_down(self, key, body, **kw):  # type: ignore[no-untyped-def]
        if self.name == SITE_BUCKET:
            raise ConnectionError("S3 went away")
        return real_put(self, key, body, **kw)

    monkeypatch.setattr(Bucket, "put", site_down)
    doc = extract((2024,), A, "2025-05-02T09:00:00+00:00", 8)
    with pytest.raises(ConnectionError):
        cycle.upload(doc)
    monkeypatch.setattr(Bucket, "put", real_put)
    # The state was written, not yet in force: the retry (Lambda's) merges onto the same one.
    result, mails = cycle.upload(doc)
    assert result["status"] == "published" and len(mails) == 98
    pointer = json.loads(
        cycle.aws.s3.get_object(Bucket=DATA_BUCKET, Key="record/current.json")["Body"].read()
    )
    assert pointer == {
        "seq": 1,
        "key": "record/states/000001.json",
        "years": [2024],
        "coverage": {"2024": 98},  # compute refuses a partial extract over a complete year
    }


def test_a_late_remarks_file_reaches_the_pages_without_a_new_extract(cycle):
    first, _ = cycle.upload(extract((2024,), A, "2025-05-02T09:00:00+00:00", 8))
    remark = "Dragør Kommune traf i 2024 i alt 212 afgørelser på børnehandicapområdet."
    remarks = {
        "remarks": [
            {
                "kind": "kommentar",
                "kommunekode": "155",
                "omraader": ["boernehandicap"],
                "aar_fra": 2024,
                "aar_til": 2024,
                "text": remark,
            }
        ]
    }
    key = "config/remarks.json"
    cycle.aws.s3.put_object(Bucket=DATA_BUCKET, Key=key, Body=json.dumps(remarks).encode())
    changed = envelope(
        "Object Created",
        {
            "version": "0",
            "bucket": {"name": DATA_BUCKET},
            "object": {"key": key, "size": 10, "etag": "x", "sequencer": "0001"},
            "request-id": "r",
            "requester": "123456789012",
            "reason": "PutObject",
        },
    )
    changed["source"] = "aws.s3"
    again = cycle.render.handler(changed, lambda_context("render_site"))
    assert again["status"] == "published" and again["version"] != first["version"]
    assert remark in cycle.page("kommune/155-dragoer.html")
    assert cycle.manifest(again)["mailing"]["kind"] == "none"
    assert cycle.aws.keys(DATA_BUCKET, "record/states/") == ["record/states/000001.json"]
    # The same event again (EventBridge delivers at least once) rewrites the same version.
    assert (
        cycle.render.handler(changed, lambda_context("render_site"))["version"] == again["version"]
    )


def test_a_config_change_before_anything_is_published_does_nothing(cycle):
    changed = envelope(
        "Object Created",
        {
            "version": "0",
            "bucket": {"name": DATA_BUCKET},
            "object": {"key": "config/remarks.json", "size": 10, "sequencer": "0001"},
            "request-id": "r",
            "requester": "123456789012",
        },
    )
    changed["source"] = "aws.s3"
    result = cycle.render.handler(changed, lambda_context("render_site"))
    assert result["status"] == "nothing_published"
    assert cycle.aws.keys(SITE_BUCKET) == []


def test_a_new_year_that_also_corrects_an_earlier_one_says_so_in_the_new_years_mail(cycle):
    first = extract((2023,), A, "2024-05-02T09:00:00+00:00", 7)
    cycle.upload(first)
    both = extract((2023, 2024), B, "2025-05-02T09:00:00+00:00", 7)
    both = corrected(both, 2023, "155", 4)
    # 2023's other figures as published (the same seed gives the same 2023 figures).
    result, mails = cycle.upload(both)
    assert cycle.manifest(result)["mailing"]["kind"] == "publication"
    assert len(mails) == 98 and all("2024" in str(m["Subject"]) for m in mails)
    assert not any(str(m["Subject"]).startswith("Rettelse") for m in mails)
    texts = {
        code: " ".join(m.get_body(("plain",)).get_content().split())  # type: ignore[union-attr]
        for code, m in by_code(mails).items()
    }
    assert "RETTEDE TAL FRA TIDLIGERE ÅR" in texts["155"]
    assert "Socialområdet generelt 2023:" in texts["155"]
    assert "RETTEDE TAL FRA TIDLIGERE ÅR" not in texts["101"]

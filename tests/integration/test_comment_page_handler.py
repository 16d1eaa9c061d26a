"""The comment function through its real handler (functions/comment_page/app.py), as a
function URL calls it: moto S3, DynamoDB and Secrets Manager; the round's documents written
with the models of hoering/round.py, as render_site writes them."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from danmarkskort.adapters.s3 import Bucket
from danmarkskort.hoering.round import AuditEntry, parse_doc
from danmarkskort.hoering.store import RoundStore
from danmarkskort.hoering.tokens import sign
from danmarkskort_tools.local.function_url import HttpResponse, request_event, response_from

from tests.comment_support import OLD_ROUND_ID, ROUND_ID, make_current, make_round
from tests.conftest import DATA_BUCKET, REGION, TABLE, Aws
from tests.handlers import lambda_context, load_app

SECRET = "danmarkskort-test/comment-key"
SECRET_VALUE = "s3cr3t-" + "x" * 57  # 64 characters, as the template generates
KEY = SECRET_VALUE.encode()
SITE = "https://omgoerelser.example.invalid"
B, V = "kommentar-boernehandicap", "kommentar-voksenhandicap"
UA = "Mozilla/5.0 (X11; Linux x86_64) Chromium/140"


@dataclass
class Fn:
    app: ModuleType
    aws: Aws
    store: RoundStore
    frist: datetime

    def token(self, code: str = "155", round_id: str = ROUND_ID, key: bytes = KEY) -> str:
        return sign(key, round_id, code, self.frist)

    def call(self, event: dict[str, Any]) -> HttpResponse:
        return response_from(self.app.handler(event, lambda_context("comment_page", 10)))

    def get(self, path: str) -> HttpResponse:
        return self.call(request_event("GET", path, headers={"user-agent": UA}))

    def csrf(self, tok: str) -> str:
        page = self.get(f"/kommentar/{tok}")
        assert page.status == 200, page.status
        match = re.search(rb'name="csrf" value="([^"]+)"', page.body)
        assert match
        return match.group(1).decode()

    def post(
        self,
        fields: dict[str, str],
        *,
        tok: str | None = None,
        csrf: str | None = None,
        headers: dict[str, str] | None = None,
        body: bytes | str | None = None,
    ) -> HttpResponse:
        tok = tok or self.token()
        if body is None:
            value = self.csrf(tok) if csrf is None else csrf
            body = urlencode([("csrf", value), *fields.items()])
        hdrs = {
            "content-type": "application/x-www-form-urlencoded",
            "origin": "null",  # what Chromium sends under Referrer-Policy: no-referrer
            "sec-fetch-site": "same-origin",
            "user-agent": UA,
            "x-forwarded-for": "203.0.113.9",  # CloudFront: the viewer's address
        }
        hdrs.update(headers or {})
        return self.call(
            request_event(
                "POST",
                f"/kommentar/{tok}",
                headers={k: v for k, v in hdrs.items() if v is not None},
                body=body,
                source_ip="198.51.100.23",
            )
        )

    def audit(self) -> list[AuditEntry]:
        keys = self.aws.keys(DATA_BUCKET, f"hoering/{ROUND_ID}/audit/")
        return [
            parse_doc(
                self.aws.s3.get_object(Bucket=DATA_BUCKET, Key=k)["Body"].read(), AuditEntry, k
            )
            for k in keys
        ]


@pytest.fixture
def fn(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fn]:
    parameters.clear_caches()
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name=SECRET, SecretString=SECRET_VALUE
    )
    monkeypatch.setenv("COMMENT_KEY_SECRET", SECRET)
    monkeypatch.setenv("COMMENT_POSTS_PER_MINUTE", "4")
    monkeypatch.setenv("SITE_URL", SITE)
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")  # the handler must ignore it
    frist = (datetime.now(UTC) + timedelta(days=14)).replace(microsecond=0)
    store = RoundStore(Bucket(DATA_BUCKET, client=aws.s3))
    store.put_round(make_round(frist=frist))
    store.set_current(make_current(frist=frist))
    yield Fn(load_app("comment_page"), aws, store, frist)
    parameters.clear_caches()


def body_text(r: HttpResponse) -> str:
    return r.body.decode("utf-8")


def test_get_shows_the_form_with_the_security_headers(fn: Fn) -> None:
    r = fn.get(f"/kommentar/{fn.token()}")
    assert r.status == 200
    text = body_text(r)
    assert "Dragør Kommune" in text and "Børnehandicap" in text and "<form" in text
    h = r.headers
    assert h["Content-Type"] == "text/html; charset=utf-8"
    assert h["Referrer-Policy"] == "no-referrer" and h["Cache-Control"] == "no-store"
    assert "default-src 'none'" in h["Content-Security-Policy"]
    assert h["X-Frame-Options"] == "DENY" and h["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" in h and "Permissions-Policy" in h
    assert "noindex" in h["X-Robots-Tag"]


def test_submit_change_withdraw_with_the_audit_trail(fn: Fn) -> None:
    r = fn.post({B: "Kommunen har fået ny praksis.", V: ""})
    assert r.status == 303
    assert r.headers["Location"] == f"/kommentar/{fn.token()}/kvittering"
    receipt = fn.get(r.headers["Location"])
    assert receipt.status == 200 and "Kommunen har fået ny praksis." in body_text(receipt)
    assert "Kommentaren er gemt" in body_text(receipt)
    comment = fn.store.comment(ROUND_ID, "155")
    assert comment and comment.kommentarer == {"boernehandicap": "Kommunen har fået ny praksis."}

    assert fn.post({B: "Ny tekst.", V: "Og voksne."}).status == 303
    assert fn.store.comment(ROUND_ID, "155").revision == 2
    assert fn.post({B: "", V: ""}).status == 303
    comment = fn.store.comment(ROUND_ID, "155")
    assert comment.kommentarer == {} and comment.revision == 3
    assert "trukket tilbage" in body_text(fn.get(f"/kommentar/{fn.token()}/kvittering"))

    entries = sorted(fn.audit(), key=lambda e: e.revision)
    assert [(e.action, e.revision) for e in entries] == [
        ("saved", 1),
        ("changed", 2),
        ("withdrawn", 3),
    ]
    for e in entries:
        assert e.source_ip == "198.51.100.23" and e.user_agent == UA
        assert e.forwarded_for == "203.0.113.9"
        assert re.fullmatch(r"[0-9a-f-]{36}", e.request_id)
        assert e.token_id == comment.token_id
    raw = [
        fn.aws.s3.get_object(Bucket=DATA_BUCKET, Key=k)
        for k in fn.aws.keys(DATA_BUCKET, f"hoering/{ROUND_ID}/")
    ]
    assert all(o["ContentType"] == "application/json" for o in raw)
    assert all(fn.token() not in o["Body"].read().decode() for o in raw)


def test_the_rate_limit_lives_in_the_state_table_under_comment_keys(fn: Fn) -> None:
    csrf = fn.csrf(fn.token())
    if datetime.now(UTC).second >= 55:  # not across a minute's boundary (the window)
        time.sleep(61 - datetime.now(UTC).second)
    statuses = [fn.post({B: f"v{i}"}, csrf=csrf).status for i in range(6)]
    assert statuses == [303] * 4 + [429] * 2  # COMMENT_POSTS_PER_MINUTE=4
    r = fn.post({B: "igen"}, csrf=csrf)
    assert r.status == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
    assert "Vent" in body_text(r) and "Content-Security-Policy" in r.headers
    assert fn.store.comment(ROUND_ID, "155").kommentarer == {"boernehandicap": "v3"}
    items = fn.aws.dynamodb.scan(TableName=TABLE)["Items"]
    assert [i["id"]["S"].rsplit("#", 1)[0] for i in items] == [f"comment#rate#{ROUND_ID}#155"]
    assert items[0]["hits"]["N"] == "4"
    assert int(items[0]["expiration"]["N"]) > datetime.now(UTC).timestamp()
    # another municipality's link has its own count
    assert fn.post({B: "x"}, tok=fn.token(code="101")).status == 303


@pytest.mark.parametrize("suffix", ["", "/kvittering"])
def test_tampered_foreign_and_malformed_tokens_get_one_404(fn: Fn, suffix: str) -> None:
    good = fn.token()
    round_id, code, expires, sig = good.split(".")
    bad = [
        f"{round_id}.101.{expires}.{sig}",
        f"{round_id}.{code}.{int(expires) + 1}.{sig}",
        f"{round_id}.{code}.{expires}.{sig[::-1]}",
        fn.token(key=b"another key, another ministry, 32+ bytes"),
        "x",
        "%3Cscript%3E",
    ]
    reference = fn.get("/ingenting")
    assert reference.status == 404
    for tok in bad:
        r = fn.get(f"/kommentar/{tok}{suffix}")
        assert (r.status, r.body) == (404, reference.body), tok
        assert "Dragør" not in body_text(r) and "Content-Security-Policy" in r.headers


def test_an_expired_token_is_410(fn: Fn) -> None:
    past = datetime.now(UTC) - timedelta(minutes=1)
    r = fn.get(f"/kommentar/{sign(KEY, ROUND_ID, '155', past)}")
    assert r.status == 410 and "Fristen er udløbet" in body_text(r)


def test_a_link_of_another_round_or_municipality(fn: Fn) -> None:
    assert fn.get(f"/kommentar/{fn.token(round_id=OLD_ROUND_ID)}").status == 410
    assert fn.get(f"/kommentar/{fn.token(code='851')}").status == 404


def test_markup_is_stored_as_text_and_shown_escaped(fn: Fn) -> None:
    evil = '<script>alert(1)</script><a href="javascript:x">link</a>'
    assert fn.post({B: evil}).status == 303
    assert fn.store.comment(ROUND_ID, "155").kommentarer["boernehandicap"] == evil
    for path in (f"/kommentar/{fn.token()}/kvittering", f"/kommentar/{fn.token()}"):
        text = body_text(fn.get(path))
        assert "<script>alert" not in text and '<a href="javascript' not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_a_cross_site_post_and_a_bad_csrf_field_are_refused(fn: Fn) -> None:
    r = fn.post(
        {B: "x"}, headers={"origin": "https://evil.example", "sec-fetch-site": "cross-site"}
    )
    assert r.status == 403
    r = fn.post({B: "Mine ord"}, csrf="1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert r.status == 403 and "Mine ord</textarea>" in body_text(r)
    assert fn.store.comment(ROUND_ID, "155") is None and fn.audit() == []


def test_the_body_limit_and_the_media_type(fn: Fn) -> None:
    assert fn.post({}, body="a=" + "x" * 40_000).status == 413
    assert fn.post({}, body=bytes(range(256)) * 200).status == 413  # base64 in the event
    r = fn.post({B: "x"}, headers={"content-type": "application/json"})
    assert r.status == 415
    r = fn.post({}, body=b"csrf=x&" + B.encode() + b"=\xff\xfe")  # not UTF-8: base64 event
    assert r.status == 400
    assert fn.store.comment(ROUND_ID, "155") is None


def test_after_the_deadline_and_when_the_round_is_not_open(fn: Fn) -> None:
    tok = fn.token()
    csrf = fn.csrf(tok)
    fn.store.set_current(make_current(status="publishing", frist=fn.frist))
    r = fn.post({B: "for sent"}, csrf=csrf)
    assert r.status == 410 and "Høringen er slut" in body_text(r)
    assert fn.get(f"/kommentar/{tok}").status == 410
    fn.store.set_current(make_current(frist=datetime.now(UTC) - timedelta(seconds=1)))
    assert fn.post({B: "for sent"}, csrf=csrf).status == 410
    assert fn.store.comment(ROUND_ID, "155") is None and fn.audit() == []


def test_a_damaged_round_document_is_a_500_page_with_the_headers(fn: Fn) -> None:
    fn.aws.s3.put_object(Bucket=DATA_BUCKET, Key=f"hoering/{ROUND_ID}/round.json", Body=b"{")
    r = fn.get(f"/kommentar/{fn.token()}")
    assert r.status == 500 and "Noget gik galt" in body_text(r)
    assert r.headers["Cache-Control"] == "no-store" and "Content-Security-Policy" in r.headers


def test_a_missing_secret_is_a_500_page(fn: Fn, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMENT_KEY_SECRET", "no-such-secret")
    r = fn.get(f"/kommentar/{fn.token()}")
    assert r.status == 500 and r.headers["Referrer-Policy"] == "no-referrer"


def test_the_token_and_the_words_are_never_logged(fn: Fn, caplog: pytest.LogCaptureFixture) -> None:
    tok = fn.token()
    fn.post({B: "Hemmelige ord"})
    fn.get(f"/kommentar/{tok}")
    fn.get(f"/kommentar/{tok}x")
    records = [r for r in caplog.records if r.name == "danmarkskort-test"]
    everything = " ".join(repr(r.__dict__) for r in records)
    assert tok not in everything and "Hemmelige ord" not in everything
    assert "/kommentar/" not in everything
    pages = [r for r in records if r.getMessage() == "comment page"]
    assert [(r.method, r.status, r.outcome) for r in pages] == [
        ("GET", 200, "form"),
        ("POST", 303, "saved"),
        ("GET", 200, "form"),
        ("GET", 404, "not_found"),
    ]
    assert {r.token_id for r in pages[:3]} == {fn.store.comment(ROUND_ID, "155").token_id}
    assert pages[3].token_id == ""

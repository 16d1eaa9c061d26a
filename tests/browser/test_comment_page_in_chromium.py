"""The comment page in headless Chromium, served through the real handler (moto S3,
DynamoDB and Secrets Manager behind a local function-URL bridge): open the personal link,
write a comment with the keyboard only, see the receipt; the CSP lets the page's own
styles through and nothing else; the form, its error state and the receipt have no
serious axe violations."""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.browser.conftest import serious_violations

pytestmark = pytest.mark.browser

SECRET = "danmarkskort-browser/comment-key"
KEY = "b" * 64
B = "kommentar-boernehandicap"


@pytest.fixture(scope="module")
def comment_site() -> Iterator[tuple[str, str]]:
    import boto3
    from danmarkskort.adapters.s3 import Bucket
    from danmarkskort.hoering.store import RoundStore
    from danmarkskort.hoering.tokens import sign
    from danmarkskort_tools.local.function_url import request_event, response_from
    from moto import mock_aws

    from tests.comment_support import ROUND_ID, make_current, make_round
    from tests.conftest import DATA_BUCKET, REGION, TABLE
    from tests.handlers import lambda_context, load_app

    saved = dict(os.environ)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    url = f"http://127.0.0.1:{server.server_port}"
    os.environ.update(
        {
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "DATA_BUCKET": DATA_BUCKET,
            "STATE_TABLE": TABLE,
            "SITE_URL": url,
            "COMMENT_KEY_SECRET": SECRET,
            "POWERTOOLS_SERVICE_NAME": "comment_page",
        }
    )
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(
            Bucket=DATA_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        boto3.client("dynamodb", region_name=REGION).create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name=SECRET, SecretString=KEY
        )
        frist = (datetime.now(UTC) + timedelta(days=14)).replace(microsecond=0)
        store = RoundStore(Bucket(DATA_BUCKET, client=s3))
        store.put_round(make_round(frist=frist))
        store.set_current(make_current(frist=frist))
        app = load_app("comment_page")
        lock = threading.Lock()

        class Bridge(http.server.BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                path, _, query = self.path.partition("?")
                event = request_event(
                    self.command,
                    path,
                    query=query,
                    headers=dict(self.headers.items()),
                    body=self.rfile.read(length) if length else None,
                    source_ip=self.client_address[0],
                )
                with lock:
                    result = response_from(app.handler(event, lambda_context("comment_page", 10)))
                self.send_response(result.status)
                for name, value in result.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(result.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(result.body)

            do_GET = do_POST = do_HEAD = _serve

            def log_message(self, format: str, *args: object) -> None:
                pass

        server.RequestHandlerClass = Bridge
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield url, sign(KEY.encode(), ROUND_ID, "155", frist)
        finally:
            server.shutdown()
            server.server_close()
            os.environ.clear()
            os.environ.update(saved)


def test_keyboard_only_comment_with_the_csp_enforced(comment_site, chromium) -> None:
    url, token = comment_site
    context = chromium.new_context(locale="da-DK")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        response = page.goto(f"{url}/kommentar/{token}", wait_until="load")
        assert response is not None and response.status == 200
        assert page.locator("h1").inner_text().startswith("Kommentar til tallene for Dragør")
        # the inline stylesheet applies (its hash is in the CSP): the label is bold
        assert (
            page.eval_on_selector(f"label[for={B}]", "e => getComputedStyle(e).fontWeight") == "700"
        )
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == B
        page.keyboard.type("Vi har ændret praksis. <b>Ikke fed</b>")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "gem"
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url == f"{url}/kommentar/{token}/kvittering"
        assert page.locator("h1").inner_text() == "Kommentaren er gemt"
        assert page.locator("blockquote").inner_text() == "Vi har ændret praksis. <b>Ikke fed</b>"
        assert page.locator("b").count() == 0
        assert errors == []  # no CSP violation, no script error
        # (Chromium posts with Origin: null under Referrer-Policy: no-referrer, and
        # Sec-Fetch-Site: same-origin, which is what the page accepts then.)
    finally:
        context.close()


def test_no_serious_axe_violations(comment_site, chromium) -> None:
    url, token = comment_site
    # axe is injected as a script, which the page's CSP forbids: this context bypasses it
    context = chromium.new_context(locale="da-DK", bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(f"{url}/kommentar/{token}", wait_until="load")
        assert serious_violations(page) == []
        page.fill(f"#{B}", "a\u202eb")  # a bidi override: refused
        with page.expect_navigation():
            page.click("#gem")
        assert page.locator(".fejlopsummering").count() == 1
        assert page.evaluate("document.activeElement.className") == "fejlopsummering"
        assert serious_violations(page) == []
        page.fill(f"#{B}", "En gyldig kommentar.")
        with page.expect_navigation():
            page.click("#gem")
        assert page.locator("h1").inner_text() == "Kommentaren er gemt"
        assert serious_violations(page) == []
        page.goto(f"{url}/kommentar/forkert", wait_until="load")
        assert serious_violations(page) == []
    finally:
        context.close()

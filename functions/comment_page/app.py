"""comment_page: the pages a municipality opens from its personal link (a Lambda function
URL, payload format 2.0; locally `danmarkskort serve` sends the same events). The pages
themselves are hoering/page.py; this is the event in and the answer out.

Nothing here logs the path or the body: the path carries the token, the body the words.
The log line of a request names the link by its token_id (Claims.token_id) only.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.data_classes import LambdaFunctionUrlEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from danmarkskort.adapters.rate_limit import DynamoRateLimiter
from danmarkskort.adapters.s3 import Bucket
from danmarkskort.adapters.secrets import signing_key
from danmarkskort.hoering.page import CommentPages, Request, Response, server_error
from danmarkskort.hoering.store import RoundStore
from danmarkskort.observability import observability
from danmarkskort.settings import load_settings

obs = observability()
SAVED = frozenset({"saved", "changed", "withdrawn"})


@cache
def _adapters(bucket: str, table: str) -> tuple[RoundStore, DynamoRateLimiter]:
    """One S3 and one DynamoDB client per warm process (creating them costs more than a page)."""
    return RoundStore(Bucket(bucket)), DynamoRateLimiter(table)


def request_from(event: dict[str, Any], now: datetime) -> Request:
    """The request a function URL event describes (header names arrive lower-cased)."""
    parsed = LambdaFunctionUrlEvent(event)
    raw = parsed.body or ""
    if parsed.is_base64_encoded:
        try:
            body = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            body = b"\xff"  # not UTF-8: the page refuses it as a form it cannot read
    else:
        body = raw.encode("utf-8", "surrogatepass")
    context = parsed.request_context
    return Request(
        method=parsed.request_context.http.method,
        path=parsed.raw_path or "/",
        now=now,
        headers={str(k).lower(): str(v) for k, v in (parsed.headers or {}).items()},
        body=body,
        source_ip=context.http.source_ip or "",
        request_id=context.request_id or "",
    )


def answer(response: Response) -> dict[str, Any]:
    return {
        "statusCode": response.status,
        "headers": response.headers,
        "body": response.body,
        "isBase64Encoded": False,
    }


def _handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        settings = load_settings().need(
            "data_bucket", "state_table", "site_url", "comment_key_secret"
        )
        store, limiter = _adapters(settings.data_bucket, settings.state_table)
        pages = CommentPages(
            store=store,
            limiter=limiter,
            key=signing_key(settings.comment_key_secret),
            site_url=settings.site_url,
            posts_per_minute=settings.comment_posts_per_minute,
        )
        request = request_from(event, datetime.now(UTC))
        response = pages.handle(request)
    except Exception:
        # Never Lambda's bare 502: the Danish error page, with the security headers.
        obs.logger.exception("comment page failed")
        obs.count("CommentPageErrors", 1)
        return answer(server_error())
    obs.logger.info(
        "comment page",
        extra={
            "method": request.method,
            "status": response.status,
            "outcome": response.outcome,
            "token_id": response.token_id,
        },
    )
    obs.count("CommentPageRequests", 1)
    if response.outcome in SAVED:
        obs.count("CommentsSaved", 1)
    elif response.status >= 400:
        obs.count("CommentRequestsRefused", 1)
    return answer(response)


# Observability.handler would log the event when POWERTOOLS_LOGGER_LOG_EVENT is on; this
# event carries the token in its path, so it is never logged, whatever the environment says.
handler = obs.logger.inject_lambda_context(
    obs.metrics.log_metrics(_handler), log_event=False, clear_state=True
)

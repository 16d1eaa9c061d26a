"""HTTP requests as a Lambda function URL hands them to its function (payload format 2.0),
and the function's answer back as HTTP: how `danmarkskort serve` puts the comment pages
through the cloud's own handler, and what the tests send it.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

DOMAIN = "local.lambda-url.eu-north-1.on.aws"


def request_event(
    method: str,
    path: str,
    *,
    query: str = "",
    headers: Mapping[str, str] | None = None,
    body: bytes | str | None = None,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """The event a function URL sends for this request. Header names are lower-cased and
    repeated headers joined with commas, cookies listed apart, as AWS does; a body that is
    not UTF-8 text arrives base64-encoded."""
    lowered: dict[str, str] = {}
    for name, value in (headers or {}).items():
        key = name.lower()
        lowered[key] = f"{lowered[key]},{value}" if key in lowered else value
    cookies = [c.strip() for c in lowered.pop("cookie", "").split(";") if c.strip()]
    encoded = False
    text: str | None = None
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text, encoded = base64.b64encode(body).decode("ascii"), True
    else:
        text = body
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": lowered,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": DOMAIN.split(".")[0],
            "domainName": DOMAIN,
            "domainPrefix": DOMAIN.split(".")[0],
            "http": {
                "method": method.upper(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": encoded,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        params: dict[str, str] = {}
        for k, v in parse_qsl(query, keep_blank_values=True):
            params[k] = f"{params[k]},{v}" if k in params else v
        event["queryStringParameters"] = params
    if text is not None:
        event["body"] = text
    return event


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    cookies: tuple[str, ...] = ()
    body: bytes = b""


def response_from(result: Any) -> HttpResponse:
    """What a function URL makes of the handler's return value: a dict with statusCode is
    the response; anything else would be sent as a JSON body with 200, which the comment
    function never does (so it is refused here, loudly)."""
    if not isinstance(result, dict) or "statusCode" not in result:
        raise ValueError(f"the handler returned {type(result).__name__}, not a response")
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode("utf-8")
    headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[str(name)] = ", ".join(str(v) for v in values)
    return HttpResponse(
        status=int(result["statusCode"]),
        headers=headers,
        cookies=tuple(str(c) for c in result.get("cookies") or ()),
        body=body,
    )

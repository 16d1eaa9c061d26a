"""The comment pages a municipality opens from its personal link: request in, response out.

Pure: the handler (functions/comment_page/app.py) turns a function URL event into a
``Request`` and the ``Response`` back into the event's answer; the round's documents come
through a RoundStore, the rate limit through a ``RateLimiter``, the key as bytes.

Routes (everything else is 404):

    GET|HEAD /kommentar/<token>             the figures, the rules and the form
    POST     /kommentar/<token>             store the comment -> 303 to the receipt
    GET|HEAD /kommentar/<token>/kvittering  the comment as stored now, and when

The token (hoering/tokens.py) decides everything: tampered, malformed, another key's, or a
municipality not in the round -> 404, one page for all, with nothing of any municipality;
expired (the deadline has passed) -> 410; a signed link of a round that is not the current
one, or of one that no longer takes comments -> 410.

A POST passes, in this order: body size (413) and media type (415); the token and the
round (404/410); the rate limit per link (429 with Retry-After); the request's origin
(Origin, or Sec-Fetch-Site when the browser sends Origin "null", which it does on every
POST from a page with Referrer-Policy: no-referrer) -> 403; the page's CSRF field (an HMAC
of the token and the moment the form was shown, under the link key with a purpose of its
own, so it can never pass as a link token; valid CSRF_SECONDS) -> 403 with the form and
the words kept; then the input rules (hoering/comments.py) -> 422 with the form, an error
summary linked to the fields, and the words kept. A valid POST writes the audit entry and
the comment (RoundStore.save_comment) and redirects to the receipt (Post/Redirect/Get, so
a reload never posts twice).

Every response, errors too, carries the security headers (HEADERS, and a CSP whose only
source is the hash of the inline stylesheet; no script at all) and no-store.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from danmarkskort import text as fmt
from danmarkskort.hoering.comments import (
    AreaField,
    CommentInputError,
    FieldError,
    field_name,
    parse_comment,
)
from danmarkskort.hoering.round import AuditEntry, Comment, Round, RoundMunicipality
from danmarkskort.hoering.store import RoundStore
from danmarkskort.hoering.tokens import LINK_PATH, Claims, TokenError, TokenExpired, verify
from danmarkskort.templates import with_built_bytecode

MAX_BODY_BYTES = 32 * 1024
MAX_FIELDS = 50
CSRF_FIELD = "csrf"
CSRF_SECONDS = 4 * 3600
CSRF_SKEW_SECONDS = 300  # a form "issued" this far in the future still counts (clock skew)
USER_AGENT_CHARS = 256
FORWARDED_CHARS = 200
RECEIPT = "kvittering"
FORM_TYPE = "application/x-www-form-urlencoded"
HTML = "text/html; charset=utf-8"

# Never valid as a link token: another purpose under the same key, and another shape.
_CSRF_PURPOSE = b"danmarkskort/kommentar-csrf/v1\n"
_CSRF = re.compile(r"(\d{1,12})\.([A-Za-z0-9_-]{43})")
_ROUTE = re.compile(r"/kommentar/([^/]{1,200})(/kvittering)?/?")

HEADERS = {
    "Content-Type": HTML,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the URL
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-Robots-Tag": "noindex, nofollow",
    "Strict-Transport-Security": "max-age=31536000",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class RateLimiter(Protocol):
    """Counts the POSTs of one link (adapters/rate_limit.py has the DynamoDB one)."""

    def hit(self, round_id: str, kommunekode: str, limit: int, now: datetime) -> int | None:
        """Count one POST; None when it is allowed, else the seconds until it would be."""
        ...


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    now: datetime  # aware
    headers: Mapping[str, str] = field(default_factory=dict)  # names lower-case
    body: bytes = b""
    source_ip: str = ""
    request_id: str = ""

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "").strip()


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: str
    outcome: str  # for the logs and metrics: what happened, one word
    token_id: str = ""  # the link's Claims.token_id when the token was valid (never the token)


# --- CSRF -------------------------------------------------------------------------------------


def _csrf_mac(key: bytes, token: str, issued: int) -> str:
    payload = f"{token}\n{issued}".encode()
    mac = hmac.new(key, _CSRF_PURPOSE + payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def csrf_value(key: bytes, token: str, now: datetime) -> str:
    """The form's hidden field for this link, issued now."""
    issued = int(now.timestamp())
    return f"{issued}.{_csrf_mac(key, token, issued)}"


def csrf_valid(key: bytes, token: str, value: str, now: datetime) -> bool:
    match = _CSRF.fullmatch(value) if len(value) < 100 else None
    if match is None:
        return False
    issued = int(match.group(1))
    if not hmac.compare_digest(_csrf_mac(key, token, issued), match.group(2)):
        return False
    age = now.timestamp() - issued
    return -CSRF_SKEW_SECONDS <= age <= CSRF_SECONDS


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(request: Request, site_origin: str) -> bool:
    """The browser says the POST comes from the site's own pages (or says nothing: a client
    without Origin and Sec-Fetch-Site still needs the CSRF field, which only a page gives)."""
    fetch_site = request.header("sec-fetch-site").lower()
    if fetch_site and fetch_site != "same-origin":
        return False
    origin = request.header("origin").lower()
    if origin == "null":
        return fetch_site == "same-origin"
    return origin in ("", site_origin)


# --- rendering --------------------------------------------------------------------------------


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("danmarkskort.hoering", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(pct=fmt.pct, num=fmt.number, sager=fmt.cases, tidspunkt=moment)
    return with_built_bytecode(env, "danmarkskort.hoering")


@cache
def stylesheet() -> str:
    return (
        resources.files("danmarkskort.hoering")
        .joinpath("templates", "kommentar.css")
        .read_text(encoding="utf-8")
    )


@cache
def content_security_policy() -> str:
    digest = base64.b64encode(hashlib.sha256(stylesheet().encode("utf-8")).digest()).decode()
    return (
        f"default-src 'none'; style-src 'sha256-{digest}'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )


def security_headers() -> dict[str, str]:
    return {**HEADERS, "Content-Security-Policy": content_security_policy()}


def moment(value: datetime) -> str:
    """'15. december 2026 kl. 12.00', in Danish time."""
    return f"{fmt.long_date(value)} kl. {fmt.danish_time(value):%H.%M}"


def _render(template: str, **view: Any) -> str:
    return environment().get_template(template).render(css=Markup(stylesheet()), **view)  # noqa: S704 -- our own file


def _response(
    status: int,
    body: str,
    outcome: str,
    *,
    claims: Claims | None = None,
    extra: Mapping[str, str] | None = None,
) -> Response:
    headers = security_headers()
    headers.update(extra or {})
    return Response(
        status=status,
        headers=headers,
        body=body,
        outcome=outcome,
        token_id="" if claims is None else claims.token_id,
    )


MESSAGES: dict[str, tuple[int, str, tuple[str, ...]]] = {
    "not_found": (
        404,
        "Siden findes ikke",
        (
            "Der er ingen side på denne adresse. Er du kommet hertil fra et link i en mail, "
            "så kontrollér, at hele linket er kommet med: kopiér det fra mailen, og sæt "
            "det ind i adresselinjen.",
            "Har kommunen fået en ny mail om høringen, så brug linket i den nyeste.",
        ),
    ),
    "expired": (
        410,
        "Fristen er udløbet",
        (
            "Fristen for at kommentere tallene i denne høring er udløbet, og linket virker "
            "ikke længere. Kommentarer, som kommunen har gemt inden fristen, kommer med, "
            "når tallene offentliggøres.",
        ),
    ),
    "closed": (
        410,
        "Høringen er slut",
        (
            "Høringen, som dette link hører til, tager ikke imod kommentarer længere. "
            "Kommentarer, som kommunen har gemt inden da, kommer med, når tallene "
            "offentliggøres.",
        ),
    ),
    "method": (
        405,
        "Det kan siden ikke",
        ("Siden kan kun vises og modtage kommunens kommentar fra formularen.",),
    ),
    "too_large": (
        413,
        "For meget tekst",
        (
            "Formularen, der blev sendt, er større, end siden tager imod. Der er ikke gemt "
            "noget. Gå tilbage, forkort kommentarerne, og send igen.",
        ),
    ),
    "media_type": (
        415,
        "Formularen kunne ikke læses",
        ("Siden tager kun imod sin egen formular. Der er ikke gemt noget.",),
    ),
    "bad_form": (
        400,
        "Formularen kunne ikke læses",
        (
            "Det, der blev sendt, kunne ikke læses som sidens formular (teksten skal være "
            "UTF-8). Der er ikke gemt noget. Åbn linket fra mailen igen, og send på ny.",
        ),
    ),
    "cross_site": (
        403,
        "Kommentaren er ikke gemt",
        (
            "Kommentaren blev sendt fra en anden side end kommentarsiden selv, og det tager "
            "siden ikke imod. Der er ikke gemt noget. Åbn linket fra mailen, og skriv "
            "kommentaren der.",
        ),
    ),
    "rate_limited": (
        429,
        "Vent lidt",
        (
            "Der er sendt mange kommentarer fra dette link på kort tid. Vent et minut, og "
            "send så igen. Den kommentar, der sidst blev gemt, står stadig.",
        ),
    ),
    "error": (
        500,
        "Noget gik galt",
        (
            "Siden kunne ikke vises på grund af en fejl hos os. Der er måske ikke gemt "
            "noget. Prøv igen om lidt; virker det stadig ikke, så skriv til os.",
        ),
    ),
}


def message(kind: str, *, claims: Claims | None = None, **extra: str) -> Response:
    status, title, paragraphs = MESSAGES[kind]
    body = _render("besked.html", title=title, paragraphs=paragraphs)
    return _response(status, body, kind, claims=claims, extra=extra)


def server_error() -> Response:
    """The page of an unexpected failure (the handler logs the exception)."""
    return message("error")


# --- the pages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Link:
    token: str
    claims: Claims
    round: Round
    municipality: RoundMunicipality

    @property
    def form_path(self) -> str:
        return f"{LINK_PATH}{self.token}"

    @property
    def receipt_path(self) -> str:
        return f"{LINK_PATH}{self.token}/{RECEIPT}"

    @property
    def areas(self) -> tuple[AreaField, ...]:
        return tuple(AreaField(a.omraade, a.navn) for a in self.municipality.areas)


def _area_views(link: _Link) -> list[dict[str, Any]]:
    views = []
    for a in link.municipality.areas:
        f = a.municipality_figure()
        national = a.national_figure()
        views.append(
            {
                "slug": a.omraade,
                "navn": a.navn,
                "field": field_name(a.omraade),
                "f": f,
                "national": national,
                "national_name": fmt.national_name(national),
            }
        )
    return views


@dataclass
class CommentPages:
    store: RoundStore
    limiter: RateLimiter
    key: bytes
    site_url: str
    posts_per_minute: int = 5
    nonce: Callable[[], str] = field(default=lambda: secrets.token_hex(8))

    def handle(self, request: Request) -> Response:
        method = request.method.upper()
        route = _ROUTE.fullmatch(request.path)
        if route is None:
            return message("not_found")
        token, receipt = route.group(1), route.group(2) is not None
        allowed = "GET, HEAD" if receipt else "GET, HEAD, POST"
        if method not in allowed.split(", "):
            return message("method", Allow=allowed)
        if method == "POST":
            if len(request.body) > MAX_BODY_BYTES:
                return message("too_large")
            kind, _, params = request.header("content-type").partition(";")
            charset = params.strip().lower().removeprefix("charset=").strip('"')
            if kind.strip().lower() != FORM_TYPE or charset not in ("", "utf-8"):
                return message("media_type")
        link = self._link(token, request.now)
        if isinstance(link, Response):
            return link
        if method == "POST":
            response = self._post(link, request)
        elif receipt:
            response = self._receipt(link)
        else:
            response = self._form(link, request.now)
        if method == "HEAD":
            response = Response(
                response.status, response.headers, "", response.outcome, response.token_id
            )
        return response

    # The token and the round: nothing about a round or a code before the signature holds.
    def _link(self, token: str, now: datetime) -> _Link | Response:
        if not token.isascii():  # tokens._TOKEN's \d takes any Unicode digit (proposals, 1)
            return message("not_found")
        try:
            claims = verify(self.key, token, now)
        except TokenExpired as exc:
            return message("expired", claims=exc.claims)
        except TokenError:
            return message("not_found")
        current = self.store.current()
        if current is None or current.round_id != claims.round_id:
            return message("closed", claims=claims)
        doc = self.store.round(claims.round_id)
        municipality = doc.municipality(claims.kommunekode)
        if municipality is None:
            return message("not_found", claims=claims)
        if not current.takes_comments(now):
            return message("closed", claims=claims)
        return _Link(token, claims, doc, municipality)

    def _form(
        self,
        link: _Link,
        now: datetime,
        *,
        status: int = 200,
        outcome: str = "form",
        values: Mapping[str, str] | None = None,
        errors: Sequence[FieldError] = (),
    ) -> Response:
        stored = self.store.comment(link.claims.round_id, link.claims.kommunekode)
        if values is None:
            words = {} if stored is None else stored.kommentarer
            values = {field_name(slug): text for slug, text in words.items()}
        first_field = field_name(link.areas[0].slug) if link.areas else ""
        body = _render(
            "formular.html",
            round=link.round,
            m=link.municipality,
            areas=_area_views(link),
            values=values,
            errors=errors,
            field_errors={e.field: e.message for e in errors if e.field},
            first_field=first_field,
            stored=stored if stored is not None and stored.kommentarer else None,
            action=link.form_path,
            csrf_field=CSRF_FIELD,
            csrf=csrf_value(self.key, link.token, now),
        )
        return _response(status, body, outcome, claims=link.claims)

    def _receipt(self, link: _Link) -> Response:
        stored = self.store.comment(link.claims.round_id, link.claims.kommunekode)
        if stored is None:
            return _response(
                303,
                _render("besked.html", title="Ingen kommentar endnu", paragraphs=()),
                "no_receipt",
                claims=link.claims,
                extra={"Location": link.form_path},
            )
        names = {a.omraade: a.navn for a in link.municipality.areas}
        body = _render(
            "kvittering.html",
            round=link.round,
            m=link.municipality,
            comment=stored,
            words=[(names.get(slug, slug), text) for slug, text in stored.kommentarer.items()],
            form_path=link.form_path,
        )
        return _response(200, body, "receipt", claims=link.claims)

    def _post(self, link: _Link, request: Request) -> Response:
        claims = link.claims
        retry = self.limiter.hit(
            claims.round_id, claims.kommunekode, self.posts_per_minute, request.now
        )
        if retry is not None:
            return message("rate_limited", claims=claims, **{"Retry-After": str(retry)})
        if not same_origin(request, origin_of(self.site_url)):
            return message("cross_site", claims=claims)
        try:
            pairs = parse_qsl(
                request.body.decode("utf-8"),
                keep_blank_values=True,
                strict_parsing=False,
                encoding="utf-8",
                errors="strict",
                max_num_fields=MAX_FIELDS,
            )
        except ValueError:  # UnicodeDecodeError too
            return message("bad_form", claims=claims)
        csrf = [v for k, v in pairs if k == CSRF_FIELD]
        fields = [(k, v) for k, v in pairs if k != CSRF_FIELD]
        known = {a.field for a in link.areas}
        kept = {k: v.replace("\r\n", "\n") for k, v in fields if k in known}
        if len(csrf) != 1 or not csrf_valid(self.key, link.token, csrf[0], request.now):
            error = FieldError(
                "",
                "Siden har været åben for længe, eller formularen kom ikke fra denne side, "
                "så kommentaren er ikke gemt. Teksten står her igen: se den efter, og send "
                "igen.",
            )
            return self._form(
                link, request.now, status=403, outcome="csrf", values=kept, errors=[error]
            )
        try:
            words = parse_comment(fields, link.areas, link.round.max_tegn)
        except CommentInputError as exc:
            return self._form(
                link, request.now, status=422, outcome="invalid", values=kept, errors=exc.errors
            )
        previous = self.store.comment(claims.round_id, claims.kommunekode)
        had_words = previous is not None and bool(previous.kommentarer)
        if not words and not had_words:
            error = FieldError(
                field_name(link.areas[0].slug) if link.areas else "",
                "Skriv en kommentar til mindst ét område. Kommunen har ingen kommentar nu, "
                "så der er intet at trække tilbage.",
            )
            return self._form(
                link, request.now, status=422, outcome="empty", values=kept, errors=[error]
            )
        action = "withdrawn" if not words else "changed" if had_words else "saved"
        revision = 1 if previous is None else previous.revision + 1
        audit = AuditEntry(
            round_id=claims.round_id,
            kommunekode=claims.kommunekode,
            action=action,
            kommentarer=words,
            received=request.now,
            revision=revision,
            token_id=claims.token_id,
            source_ip=request.source_ip[:64],
            forwarded_for=request.header("x-forwarded-for")[:FORWARDED_CHARS],
            user_agent=request.header("user-agent")[:USER_AGENT_CHARS],
            request_id=request.request_id[:128],
        )
        comment = Comment(
            round_id=claims.round_id,
            kommunekode=claims.kommunekode,
            kommentarer=words,
            saved=request.now,
            revision=revision,
            token_id=claims.token_id,
        )
        self.store.save_comment(comment, audit, self.nonce())
        return _response(
            303,
            _render("besked.html", title="Kommentaren er gemt", paragraphs=()),
            action,
            claims=claims,
            extra={"Location": link.receipt_path},
        )

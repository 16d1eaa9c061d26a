"""The comment pages (hoering/page.py) with in-memory ports: the routes, the token rules,
the POST checks in their order, the stored documents, the headers and the escaping."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from danmarkskort.adapters.rate_limit import MemoryRateLimiter
from danmarkskort.hoering import page as page_module
from danmarkskort.hoering.page import (
    CSRF_SECONDS,
    MAX_BODY_BYTES,
    CommentPages,
    Request,
    Response,
    csrf_valid,
    csrf_value,
)
from danmarkskort.hoering.round import AuditEntry, Comment, parse_doc
from danmarkskort.hoering.store import RoundStore
from danmarkskort.hoering.tokens import TokenError, verify

from tests.comment_support import (
    FRIST,
    KEY,
    NOW,
    OLD_ROUND_ID,
    OTHER_KEY,
    ROUND_ID,
    MemoryBlobs,
    later,
    make_current,
    make_round,
    token,
)

SITE = "https://omgoerelser.example.invalid"
B, V = "kommentar-boernehandicap", "kommentar-voksenhandicap"
SAME = {"origin": SITE, "sec-fetch-site": "same-origin"}


class Site:
    def __init__(self, *, status: str = "open", limit: int = 5, max_tegn: int = 1000) -> None:
        self.blobs = MemoryBlobs()
        self.store = RoundStore(self.blobs)
        self.store.put_round(make_round(max_tegn=max_tegn))
        self.store.set_current(make_current(status=status))
        self.limiter = MemoryRateLimiter()
        self.nonces = iter(f"n{i:04d}" for i in range(1000))
        self.pages = CommentPages(
            store=self.store,
            limiter=self.limiter,
            key=KEY,
            site_url=SITE,
            posts_per_minute=limit,
            nonce=lambda: next(self.nonces),
        )

    def get(self, path: str, now=NOW, method: str = "GET") -> Response:
        return self.pages.handle(Request(method, path, now))

    def form(self, tok: str | None = None, now=NOW) -> Response:
        return self.get(f"/kommentar/{tok or token()}", now)

    def post(
        self,
        fields: dict[str, str] | list[tuple[str, str]],
        *,
        tok: str | None = None,
        now=NOW,
        csrf: str | None = None,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Response:
        tok = tok or token()
        pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
        if csrf is None:
            csrf = csrf_value(KEY, tok, now)
        if csrf != "":
            pairs = [("csrf", csrf), *pairs]
        data = body if body is not None else urlencode(pairs).encode()
        hdrs = {"content-type": "application/x-www-form-urlencoded", **SAME, "user-agent": "UA"}
        hdrs.update(headers or {})
        return self.pages.handle(
            Request(
                "POST",
                f"/kommentar/{tok}",
                now,
                headers={k: v for k, v in hdrs.items() if v is not None},
                body=data,
                source_ip="192.0.2.7",
                request_id="req-1",
            )
        )

    def audit(self) -> list[AuditEntry]:
        keys = self.blobs.keys(f"hoering/{ROUND_ID}/audit/")
        return [parse_doc(self.blobs.get(k), AuditEntry, k) for k in keys]

    def comment(self, code: str = "155") -> Comment | None:
        return self.store.comment(ROUND_ID, code)


@pytest.fixture
def site() -> Site:
    return Site()


def text_of(response: Response) -> str:
    """The visible text, roughly: tags out, entities decoded, whitespace collapsed."""
    body = re.sub(r"<style>.*?</style>", "", response.body, flags=re.S)
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def h1(response: Response) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", response.body, flags=re.S)


# --- GET -----------------------------------------------------------------------------------


def test_the_form_shows_the_municipality_its_figures_the_deadline_and_rules(site: Site) -> None:
    r = site.form()
    assert r.status == 200 and r.outcome == "form"
    assert r.token_id == verify(KEY, token(), NOW).token_id
    text = text_of(r)
    assert h1(r) == ["Kommentar til tallene for Dragør Kommune 2024"]
    assert '<html lang="da">' in r.body
    assert "Børnehandicap" in text and "Voksenhandicap" in text
    # 300 stadfæstet, 90 ændret, 10 hjemvist: 100 of 400 = 25 %
    assert "25\u00a0% omgjort af 400 sager (100 ændret, ophævet eller hjemvist) i 2024" in text
    # the few-cases area: 2+1 of 8
    assert "38\u00a0% omgjort af 8 sager" in text and "Få sager" in text
    assert "Hele landet: 25\u00a0% af 12.000 sager" in text
    assert "15. december 2026 kl. 12.00" in text  # 11:00 UTC in Danish (winter) time
    assert "højst 1.000 tegn" in text
    assert "kommunens egne ord" in text and "indtil fristen" in text
    assert "Københavns" not in text  # nothing of another municipality


def test_the_form_has_a_labelled_textarea_per_area_and_no_script(site: Site) -> None:
    r = site.form()
    for field in (B, V):
        assert f'<label for="{field}">' in r.body
        assert re.search(rf'<textarea id="{field}" name="{field}"[^>]*maxlength="1000"', r.body)
    assert f'action="/kommentar/{token()}"' in r.body and 'method="post"' in r.body
    assert "<script" not in r.body and " style=" not in r.body
    assert len(h1(r)) == 1
    field = re.search(r'name="csrf" value="([^"]+)"', r.body)
    assert field and csrf_valid(KEY, token(), field.group(1), NOW)


def test_head_is_get_without_a_body(site: Site) -> None:
    r = site.get(f"/kommentar/{token()}", method="HEAD")
    assert r.status == 200 and r.body == "" and r.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/index.html",
        "/kommentar",
        "/kommentar/",
        "/kommentar/x/y",
        "/kommentarer/x",
        "/favicon.ico",
        "/kommentar/" + "a" * 5000,
    ],
)
def test_every_other_path_is_the_plain_404(site: Site, path: str) -> None:
    r = site.get(path)
    assert r.status == 404 and r.outcome == "not_found"
    assert h1(r) == ["Siden findes ikke"]


def _tampered() -> list[str]:
    good = token()
    round_id, code, expires, sig = good.split(".")
    return [
        f"0123456789abcdee.{code}.{expires}.{sig}",
        f"{round_id}.101.{expires}.{sig}",
        f"{round_id}.{code}.{int(expires) + 60}.{sig}",
        f"{round_id}.{code}.{expires}.{'B' if sig[0] == 'A' else 'A'}{sig[1:]}",
        token(key=OTHER_KEY),
        token(code="999", key=OTHER_KEY),
        good[:-1],
        good + "A",
        "garbage",
        "%00",
        "0123456789abcdef.１５５.1797332400." + "A" * 43,
        "æøå",
    ]


@pytest.mark.parametrize("bad", _tampered())
@pytest.mark.parametrize("suffix", ["", "/kvittering"])
def test_a_forged_token_gets_one_plain_page_for_every_kind(
    site: Site, bad: str, suffix: str
) -> None:
    reference = site.get("/nowhere")
    r = site.get(f"/kommentar/{bad}{suffix}")
    assert r.status == 404 and r.token_id == ""
    assert r.body == reference.body  # byte for byte: no hint which part failed
    assert "Dragør" not in r.body and "%" not in text_of(r)


@pytest.mark.parametrize("bad", _tampered()[:6])
def test_a_forged_token_cannot_post_either(site: Site, bad: str) -> None:
    r = site.post({B: "x"}, tok=bad)
    assert r.status == 404
    assert site.audit() == [] and site.comment() is None
    assert site.limiter.counts == {}  # no rate-limit item for an unsigned link


def test_an_expired_link_is_410_fristen_er_udloebet(site: Site) -> None:
    r = site.form(now=FRIST)
    assert r.status == 410 and r.outcome == "expired"
    assert "Fristen er udløbet" in h1(r)[0]
    assert "Dragør" not in r.body and "Børnehandicap" not in r.body


def test_a_valid_link_of_a_municipality_not_in_the_round_is_404(site: Site) -> None:
    r = site.form(token(code="851"))
    assert r.status == 404 and r.body == site.get("/x").body


def test_a_valid_link_of_another_round_is_410(site: Site) -> None:
    r = site.form(token(round_id=OLD_ROUND_ID))
    assert r.status == 410 and r.outcome == "closed"
    assert "Dragør" not in r.body


def test_no_round_at_all_is_410_for_a_signed_link_and_404_for_a_forged_one() -> None:
    site = Site()
    site.blobs.objects.clear()
    assert site.form().status == 410
    assert site.form(token(key=OTHER_KEY)).status == 404


@pytest.mark.parametrize("status", ["publishing", "published", "superseded"])
def test_a_round_that_no_longer_takes_comments_is_410(status: str) -> None:
    site = Site(status=status)
    assert site.form().status == 410
    r = site.post({B: "x"})
    assert r.status == 410 and "Høringen er slut" in r.body
    assert site.audit() == [] and site.comment() is None


def test_an_earlier_deadline_in_current_json_closes_the_round() -> None:
    site = Site()
    site.store.set_current(make_current(frist=NOW - timedelta(minutes=1)))
    assert site.form().status == 410


def test_the_other_municipality_sees_only_its_own_figures(site: Site) -> None:
    r = site.form(token(code="101"))
    assert r.status == 200 and "Københavns Kommune" in r.body and "Dragør" not in r.body


# --- POST ----------------------------------------------------------------------------------


def test_a_comment_is_saved_with_its_audit_entry_and_redirects_to_the_receipt(site: Site) -> None:
    r = site.post({B: "Vi har  ændret praksis i 2024.\r\nSe vores side.", V: ""})
    assert r.status == 303 and r.outcome == "saved"
    assert r.headers["Location"] == f"/kommentar/{token()}/kvittering"
    comment = site.comment()
    assert comment is not None
    assert comment.kommentarer == {
        "boernehandicap": "Vi har  ændret praksis i 2024.\nSe vores side."
    }
    assert comment.revision == 1 and comment.saved == NOW
    assert comment.token_id == verify(KEY, token(), NOW).token_id
    [entry] = site.audit()
    assert entry.action == "saved" and entry.revision == 1
    assert entry.kommentarer == comment.kommentarer
    assert (entry.source_ip, entry.user_agent, entry.request_id) == ("192.0.2.7", "UA", "req-1")
    assert entry.token_id == comment.token_id and token() not in json.dumps(
        entry.model_dump(mode="json")
    )
    receipt = site.get(r.headers["Location"])
    assert receipt.status == 200 and h1(receipt) == ["Kommentaren er gemt"]
    text = text_of(receipt)
    assert "Vi har ændret praksis i 2024. Se vores side." in text
    assert "2. december 2026 kl. 11.30" in text and "indtil fristen" in text
    assert "15. december 2026 kl. 12.00" in text


def test_changed_then_withdrawn(site: Site) -> None:
    assert site.post({B: "Første."}).outcome == "saved"
    r = site.post({B: "Anden.", V: "Også voksne."}, now=later(1))
    assert r.outcome == "changed"
    assert site.comment().kommentarer == {
        "boernehandicap": "Anden.",
        "voksenhandicap": "Også voksne.",
    }
    form = site.form(now=later(2))
    assert "Anden.</textarea>" in form.body and "Også voksne.</textarea>" in form.body
    assert "Kommunen har en kommentar nu" in form.body
    r = site.post({B: "  ", V: ""}, now=later(3))
    assert r.status == 303 and r.outcome == "withdrawn"
    comment = site.comment()
    assert comment.kommentarer == {} and comment.revision == 3
    assert [(e.action, e.revision) for e in site.audit()] == [
        ("saved", 1),
        ("changed", 2),
        ("withdrawn", 3),
    ]
    receipt = site.get(f"/kommentar/{token()}/kvittering", now=later(3))
    assert h1(receipt) == ["Kommentaren er trukket tilbage"]
    # after a withdrawal, a new comment is "saved" again
    assert site.post({V: "Igen."}, now=later(4)).outcome == "saved"
    assert site.comment().revision == 4


def test_an_empty_form_without_a_comment_is_refused_with_nothing_stored(site: Site) -> None:
    r = site.post({B: "", V: ""})
    assert r.status == 422 and r.outcome == "empty"
    assert "intet at trække tilbage" in r.body and site.audit() == []


def test_the_receipt_without_a_comment_redirects_to_the_form(site: Site) -> None:
    r = site.get(f"/kommentar/{token()}/kvittering")
    assert r.status == 303 and r.headers["Location"] == f"/kommentar/{token()}"


def test_markup_is_stored_as_text_and_shown_escaped(site: Site) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)> & </textarea><b>'
    assert site.post({B: evil}).status == 303
    assert site.comment().kommentarer["boernehandicap"] == evil
    for r in (site.get(f"/kommentar/{token()}/kvittering"), site.form()):
        assert "<script>" not in r.body and "<img" not in r.body and "</textarea><b>" not in r.body
        assert "&lt;script&gt;" in r.body and "&lt;/textarea&gt;&lt;b&gt;" in r.body


def test_invalid_input_keeps_the_words_and_links_the_error_to_the_field() -> None:
    site = Site(max_tegn=10)
    r = site.post({B: "Tolv tegn her", V: "kort\r\nok"})
    assert r.status == 422 and r.outcome == "invalid"
    assert site.comment() is None and site.audit() == []
    assert h1(r) == ["Kommentar til tallene for Dragør Kommune 2024"]
    assert "<title>Fejl: " in r.body
    assert f'<a href="#{B}">Kommentaren til området Børnehandicap er 13 tegn lang.' in r.body
    assert re.search(
        rf'<textarea id="{B}"[^>]*aria-describedby="{B}-hjaelp {B}-fejl"[^>]*aria-invalid="true"',
        r.body,
    )
    assert f'id="{B}-fejl"' in r.body
    assert "Tolv tegn her</textarea>" in r.body and "kort\nok</textarea>" in r.body
    assert 'role="alert"' in r.body


def test_a_control_character_is_refused_naming_the_area(site: Site) -> None:
    r = site.post({V: "a\x00b"})
    assert r.status == 422 and "Voksenhandicap" in r.body and "U+0000" in r.body


def test_unknown_fields_and_foreign_areas_are_refused(site: Site) -> None:
    assert site.post({B: "ok", "kommentar-socialomraadet": "x"}).status == 422
    assert site.post({B: "ok", "redirect": "https://evil.invalid"}).status == 422
    assert site.comment() is None


def test_the_stored_words_are_nfc_and_stripped(site: Site) -> None:
    site.post({B: "  Drago\u0308r\r\n  "})
    assert site.comment().kommentarer == {"boernehandicap": "Dragör"}


# --- the POST checks -----------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_before_anything_else(site: Site) -> None:
    r = site.post({}, body=b"x" * (MAX_BODY_BYTES + 1), tok="forged")
    assert r.status == 413
    r = site.post({B: "x" * (MAX_BODY_BYTES + 10)})
    assert r.status == 413 and site.comment() is None
    assert site.limiter.counts == {}


def test_a_body_at_the_limit_is_read() -> None:
    site = Site(max_tegn=10_000)
    tok = token()
    prefix = urlencode([("csrf", csrf_value(KEY, tok, NOW)), (B, "")]).encode()
    body = prefix + b"x" * (MAX_BODY_BYTES - len(prefix))
    r = site.post({}, body=body, csrf="")
    assert r.status == 422  # read, then refused for length (over 10.000 characters)


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "text/plain",
        "application/json",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded; charset=latin-1",
    ],
)
def test_only_urlencoded_forms_are_taken(site: Site, content_type: str | None) -> None:
    r = site.post({B: "x"}, headers={"content-type": content_type})
    assert r.status == 415 and site.comment() is None


def test_urlencoded_with_utf8_charset_is_taken(site: Site) -> None:
    r = site.post(
        {B: "x"}, headers={"content-type": "Application/X-WWW-Form-Urlencoded; charset=UTF-8"}
    )
    assert r.status == 303


def test_a_body_that_is_not_utf8_is_400(site: Site) -> None:
    tok = token()
    body = f"csrf={csrf_value(KEY, tok, NOW)}&{B}=%C3%28".encode()
    assert site.post({}, body=body, csrf="").status == 400
    assert site.post({}, body=b"csrf=x&" + B.encode() + b"=\xff", csrf="").status == 400
    assert site.comment() is None


def test_too_many_fields_is_400(site: Site) -> None:
    assert site.post([("a", "b")] * 60).status == 400


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example", "sec-fetch-site": None},
        {"origin": "https://evil.example", "sec-fetch-site": "cross-site"},
        {"origin": None, "sec-fetch-site": "cross-site"},
        {"origin": None, "sec-fetch-site": "same-site"},
        {"origin": SITE, "sec-fetch-site": "cross-site"},
        {"origin": "null", "sec-fetch-site": None},
        {"origin": "null", "sec-fetch-site": "cross-site"},
        {"origin": "http://omgoerelser.example.invalid", "sec-fetch-site": None},
        {"origin": SITE + ".evil.example", "sec-fetch-site": None},
    ],
)
def test_a_cross_site_post_is_refused_even_with_a_valid_csrf_field(site: Site, headers) -> None:
    r = site.post({B: "x"}, headers=headers)
    assert r.status == 403 and r.outcome == "cross_site"
    assert site.comment() is None and site.audit() == []


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": SITE, "sec-fetch-site": "same-origin"},
        {"origin": SITE.upper(), "sec-fetch-site": None},
        # Referrer-Policy: no-referrer makes the browser send Origin: null on a POST
        {"origin": "null", "sec-fetch-site": "same-origin"},
        {"origin": None, "sec-fetch-site": "same-origin"},
        {"origin": None, "sec-fetch-site": None},  # no browser: the CSRF field decides
    ],
)
def test_a_same_origin_post_is_taken(site: Site, headers) -> None:
    assert site.post({B: "x"}, headers=headers).status == 303


@pytest.mark.parametrize(
    "csrf",
    [
        "",  # missing
        "garbage",
        "1796207400.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        token(),  # a link token is not a CSRF value
    ],
)
def test_a_missing_or_forged_csrf_field_is_403_with_the_words_kept(site: Site, csrf: str) -> None:
    r = site.post({B: "Mine ord."}, csrf=csrf)
    assert r.status == 403 and r.outcome == "csrf"
    assert "Mine ord.</textarea>" in r.body and "ikke gemt" in r.body
    assert site.comment() is None and site.audit() == []
    fresh = re.search(r'name="csrf" value="([^"]+)"', r.body)
    assert fresh and csrf_valid(KEY, token(), fresh.group(1), NOW)


def test_the_csrf_field_is_bound_to_the_link_the_key_and_time() -> None:
    site = Site(limit=100)
    other = token(code="101")
    assert site.post({B: "x"}, csrf=csrf_value(KEY, other, NOW)).status == 403
    assert site.post({B: "x"}, csrf=csrf_value(OTHER_KEY, token(), NOW)).status == 403
    old = csrf_value(KEY, token(), NOW - timedelta(seconds=CSRF_SECONDS + 1))
    assert site.post({B: "x"}, csrf=old).status == 403
    future = csrf_value(KEY, token(), NOW + timedelta(hours=1))
    assert site.post({B: "x"}, csrf=future).status == 403
    recent = csrf_value(KEY, token(), NOW - timedelta(seconds=CSRF_SECONDS - 60))
    assert site.post({B: "x"}, csrf=recent).status == 303
    assert site.post([(B, "x"), ("csrf", csrf_value(KEY, token(), NOW))]).status == 403  # twice


def test_a_csrf_value_never_passes_as_a_link_token() -> None:
    value = csrf_value(KEY, token(), NOW)
    with pytest.raises(TokenError):
        verify(KEY, value, NOW)
    _issued, mac = value.split(".")
    round_id, code, expires, _ = token().split(".")
    with pytest.raises(TokenError):
        verify(KEY, f"{round_id}.{code}.{expires}.{mac}", NOW)


def test_posts_are_limited_per_link_per_minute() -> None:
    site = Site(limit=3)
    for i in range(3):
        assert site.post({B: f"v{i}"}).status == 303
    r = site.post({B: "for mange"})
    assert r.status == 429 and r.outcome == "rate_limited"
    assert r.headers["Retry-After"] == str(60 - int(NOW.timestamp()) % 60)
    assert "Vent" in h1(r)[0]
    assert site.comment().kommentarer == {"boernehandicap": "v2"}
    # another municipality's link is counted apart; the next minute is a new window
    assert site.post({B: "x"}, tok=token(code="101")).status == 303
    assert site.post({B: "næste minut"}, now=NOW + timedelta(seconds=60)).status == 303


def test_refused_posts_count_against_the_limit_too() -> None:
    site = Site(limit=2)
    assert site.post({B: "x"}, csrf="bad").status == 403
    assert site.post({B: "x"}, headers={"origin": "https://evil.example"}).status == 403
    assert site.post({B: "x"}).status == 429


def test_a_post_after_the_deadline_is_410_and_stores_nothing(site: Site) -> None:
    r = site.post({B: "for sent"}, now=FRIST + timedelta(seconds=1))
    assert r.status == 410 and "Fristen er udløbet" in r.body
    assert site.comment() is None and site.audit() == []


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_405(site: Site, method: str) -> None:
    r = site.get(f"/kommentar/{token()}", method=method)
    assert r.status == 405 and r.headers["Allow"] == "GET, HEAD, POST"
    assert (
        site.get(f"/kommentar/{token()}/kvittering", method="POST").headers["Allow"] == "GET, HEAD"
    )


def test_a_long_user_agent_is_truncated_in_the_audit(site: Site) -> None:
    site.post({B: "x"}, headers={"user-agent": "U" * 5000})
    assert len(site.audit()[0].user_agent) == page_module.USER_AGENT_CHARS


# --- headers -------------------------------------------------------------------------------


def _all_responses() -> list[Response]:
    site = Site(limit=1)
    responses = [
        site.form(),
        site.get("/x"),
        site.form(token(key=OTHER_KEY)),
        site.form(now=FRIST),
        site.form(token(round_id=OLD_ROUND_ID)),
        site.post({B: "x"}),
        site.post({B: "x"}),
        site.get(f"/kommentar/{token()}/kvittering"),
        site.post({B: "x"}, headers={"content-type": "text/plain"}),
        site.get("/kommentar/x", method="PUT"),
        page_module.server_error(),
    ]
    return responses


def test_every_response_carries_the_security_headers() -> None:
    statuses = set()
    for r in _all_responses():
        statuses.add(r.status)
        h = r.headers
        csp = h["Content-Security-Policy"]
        for directive in (
            "default-src 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ):
            assert directive in csp
        assert "unsafe-inline" not in csp and "script-src" not in csp
        assert h["Referrer-Policy"] == "no-referrer"
        assert h["Cache-Control"] == "no-store"
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["X-Frame-Options"] == "DENY"
        assert h["Strict-Transport-Security"].startswith("max-age=")
        assert "camera=()" in h["Permissions-Policy"]
        assert "noindex" in h["X-Robots-Tag"]
        assert h["Content-Type"] == "text/html; charset=utf-8"
    assert statuses >= {200, 303, 404, 405, 410, 415, 429, 500}


def test_the_stylesheet_hash_in_the_csp_is_the_inline_styles() -> None:
    import base64
    import hashlib

    r = Site().form()
    [css] = re.findall(r"<style>(.*?)</style>", r.body, flags=re.S)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in r.headers["Content-Security-Policy"]


def test_every_page_is_danish_with_one_h1() -> None:
    for r in _all_responses():
        if r.body:
            assert '<html lang="da">' in r.body and len(h1(r)) == 1

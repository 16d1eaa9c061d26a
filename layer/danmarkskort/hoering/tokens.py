"""The personal link's token: which round, which municipality, until when, signed.

A token is ``<round_id>.<kommunekode>.<expires>.<signature>``: the round's 16 hex digits,
the three-digit municipality code, the expiry as Unix seconds (the round's deadline) and
HMAC-SHA256 over the first three parts under the round key, base64url without padding.
Everything but the signature is readable on purpose (a municipality may see what its link
says); nothing in it can be changed without the key, and the 256-bit signature leaves
nothing to guess: a link found by trying would need about 2^255 tries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

# Domain separation: the same key also signs other things (the form's CSRF field), and a
# signature of one kind must never pass as the other.
_PURPOSE = b"danmarkskort/kommentar/v1\n"
# ASCII only: \d would also take "１５５" or "٣٣٣", which int() reads as digits.
_TOKEN = re.compile(r"([0-9a-f]{16})\.([0-9]{3})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})")
MIN_KEY_BYTES = 32
LINK_PATH = "/kommentar/"


class TokenError(ValueError):
    """The token is not one this key signed (malformed, tampered, or another key's)."""


class TokenExpired(TokenError):
    """Signed by this key, but its deadline has passed; ``claims`` says whose it was."""

    def __init__(self, claims: Claims) -> None:
        super().__init__(f"token of round {claims.round_id} expired at {claims.expires}")
        self.claims = claims


@dataclass(frozen=True, slots=True)
class Claims:
    round_id: str
    kommunekode: str
    expires: datetime  # aware, UTC

    @property
    def token_id(self) -> str:
        """A short, stable name of the link for the audit trail (never the token itself)."""
        return hashlib.sha256(f"{self.round_id}.{self.kommunekode}".encode()).hexdigest()[:12]


def _check_key(key: bytes) -> None:
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the signing key has {len(key)} bytes; at least {MIN_KEY_BYTES}")


def _signature(key: bytes, payload: str) -> str:
    mac = hmac.new(key, _PURPOSE + payload.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def sign(key: bytes, round_id: str, kommunekode: str, expires: datetime) -> str:
    """The token for one municipality's link in one round, valid until ``expires``."""
    _check_key(key)
    if not re.fullmatch(r"[0-9a-f]{16}", round_id):
        raise ValueError(f"round id {round_id!r} is not 16 hex digits")
    if not re.fullmatch(r"[0-9]{3}", kommunekode):
        raise ValueError(f"kommunekode {kommunekode!r} is not three digits")
    if expires.tzinfo is None:
        raise ValueError("expires must be an aware datetime")
    payload = f"{round_id}.{kommunekode}.{int(expires.timestamp())}"
    return f"{payload}.{_signature(key, payload)}"


def verify(key: bytes, token: str, now: datetime) -> Claims:
    """The claims of a token this key signed that has not expired at ``now``.

    TokenError for anything else, with one message for every kind of forgery, so a caller
    cannot learn which part was wrong; TokenExpired when only the time has run out."""
    _check_key(key)
    match = _TOKEN.fullmatch(token) if isinstance(token, str) and len(token) < 100 else None
    if match is None:
        raise TokenError("not a token")
    round_id, kommunekode, expires, signature = match.groups()
    payload = f"{round_id}.{kommunekode}.{expires}"
    if not hmac.compare_digest(_signature(key, payload), signature):
        raise TokenError("not a token")
    claims = Claims(round_id, kommunekode, datetime.fromtimestamp(int(expires), UTC))
    if now >= claims.expires:
        raise TokenExpired(claims)
    return claims


def link(site_url: str, token: str) -> str:
    """The personal link as the invitation carries it."""
    return f"{site_url.rstrip('/')}{LINK_PATH}{token}"

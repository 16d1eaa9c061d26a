"""Sending raw mails with SES v2, within a send rate, retrying only what is safe to retry.

SES's answers fall into four kinds, and each is handled differently:
- throttling and SES-side errors (nothing was accepted): wait with exponential backoff and
  jitter, then try again, at most ``max_attempts`` times and never past the deadline;
- a refusal of this message (MessageRejected, BadRequest, ...): ``PermanentSendError``, the
  caller records it and goes on with the next municipality;
- the account cannot send at all (paused, suspended, quota): ``SendingBlocked``, the run stops;
- anything else (e.g. a read timeout: did SES take it?) propagates untouched.

Botocore's own retries are switched off for this client so a lost response is never
silently re-sent, and the retries here are counted and paced.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError

from danmarkskort.clock import SystemClock
from danmarkskort.ports import (
    Clock,
    PermanentSendError,
    SenderNotVerified,
    SendingBlocked,
    TransientSendError,
)

THROTTLING = frozenset(
    {"TooManyRequestsException", "Throttling", "ThrottlingException", "RequestThrottled"}
)
SERVER_SIDE = frozenset({"InternalFailure", "InternalServerError", "ServiceUnavailable"})
ACCOUNT_BLOCKED = frozenset(
    {"AccountSuspendedException", "SendingPausedException", "LimitExceededException"}
)


def ses_client() -> Any:
    """The sesv2 client; tests replace this function to put a wrapper around the client."""
    import boto3  # on first use: importing boto3 costs more than the rest of the handler
    from botocore.config import Config

    return boto3.client(
        "sesv2",
        config=Config(
            retries={"mode": "standard", "total_max_attempts": 1},
            connect_timeout=5,
            read_timeout=15,
        ),
    )


@dataclass
class SesSender:
    send_rate: float = 14.0  # mails per second (SES default production quota; sandbox: 1)
    client: Any = None
    max_attempts: int = 8
    backoff_base: float = 0.25  # seconds; doubled per attempt, with full jitter
    backoff_cap: float = 20.0
    clock: Clock = field(default_factory=SystemClock)  # pacing and backoff (tests move it)
    throttled: int = field(default=0, init=False)  # retries because of throttling
    _next_slot: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        if self.send_rate <= 0:
            raise ValueError(f"send rate must be positive, not {self.send_rate}")
        if self.client is None:
            self.client = ses_client()

    def check_identity(self, address: str) -> None:
        """Fail loudly before the first mail unless the address (or its domain) is verified."""
        domain = address.partition("@")[2]
        problems = []
        for identity in (address, domain):
            try:
                info = self.client.get_email_identity(EmailIdentity=identity)
            except ClientError as exc:
                code = exc.response["Error"]["Code"]
                if code in ("NotFoundException", "NotFound"):
                    problems.append(f"{identity}: no such SES identity")
                    continue
                if code in ("AccessDenied", "AccessDeniedException"):
                    raise SenderNotVerified(
                        f"cannot check SENDER_ADDRESS {address}: the function may not call "
                        f"ses:GetEmailIdentity on {identity} ({exc})"
                    ) from exc
                raise
            if info.get("VerifiedForSendingStatus") or info.get("VerificationStatus") == "SUCCESS":
                return
            problems.append(
                f"{identity}: not verified (status {info.get('VerificationStatus', 'unknown')})"
            )
        raise SenderNotVerified(
            f"SENDER_ADDRESS {address} is not a verified SES identity in this account and "
            f"region ({'; '.join(problems)}); verify it (or its domain) in SES, then retry"
        )

    def send(
        self,
        raw: bytes,
        *,
        from_address: str,
        recipients: tuple[str, ...],
        deadline: float | None = None,
    ) -> str:
        """Send one raw MIME message; the SES MessageId on success."""
        request = {
            "FromEmailAddress": from_address,
            "Destination": {"ToAddresses": list(recipients)},
            "Content": {"Raw": {"Data": raw}},
        }
        for attempt in range(1, self.max_attempts + 1):
            self._pace(deadline)
            try:
                response = self.client.send_email(**request)
            except (EndpointConnectionError, ConnectTimeoutError) as exc:
                # Never reached SES, so nothing was sent: safe to try again.
                reason = f"connection: {exc}"
            except ClientError as exc:
                error = exc.response.get("Error", {})
                code = str(error.get("Code", ""))
                status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
                if code in ACCOUNT_BLOCKED:
                    raise SendingBlocked(f"{code}: {error.get('Message', '')}") from exc
                if code in THROTTLING:
                    self.throttled += 1
                elif code not in SERVER_SIDE and status < 500:
                    raise PermanentSendError(code, str(error.get("Message", ""))) from exc
                reason = code
            else:
                return str(response["MessageId"])
            if attempt == self.max_attempts:
                break
            delay = random.uniform(0, min(self.backoff_cap, self.backoff_base * 2**attempt))  # noqa: S311
            if deadline is not None and self.clock.monotonic() + delay >= deadline:
                raise TransientSendError(f"{reason}; no time left to retry before the deadline")
            self.clock.sleep(delay)
        raise TransientSendError(f"{reason} after {self.max_attempts} attempts")

    def _pace(self, deadline: float | None) -> None:
        """Keep at most ``send_rate`` calls per second (attempts count, retries included)."""
        now = self.clock.monotonic()
        wait = self._next_slot - now
        if wait > 0:
            if deadline is not None and now + wait >= deadline:
                raise TransientSendError("no time left before the deadline")
            self.clock.sleep(wait)
            now += wait
        self._next_slot = now + 1.0 / self.send_rate

"""The interfaces the jobs are handed: blob store, event publisher, mail sender, ledger, clock.

The jobs (compute/job.py, render/job.py, mail/job.py) and the sending loop depend on these
Protocols only, never on boto3: the adapters in adapters/ implement them against AWS, and
tests hand in moto-backed adapters or small doubles. The errors a mail sender raises live
here too, so the loop can tell them apart without importing the SES adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the event models import pydantic; the interfaces only name them
    from danmarkskort.events import EventDetail


class BlobStore(Protocol):
    """One bucket: bytes in, bytes out, every object with an explicit Content-Type."""

    name: str

    def get(self, key: str) -> bytes: ...
    def get_or_none(self, key: str) -> bytes | None: ...
    def size(self, key: str) -> int: ...
    def sha256(self, key: str) -> str: ...
    def exists(self, key: str) -> bool: ...
    def keys(self, prefix: str) -> list[str]: ...
    def resolve_key(self, key: str) -> str: ...

    def put(
        self,
        key: str,
        body: bytes | str,
        *,
        content_type: str | None = None,
        cache_control: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> str: ...

    def delete(self, key: str) -> None: ...

    def create(self, key: str, body: bytes | str, *, content_type: str | None = None) -> bool:
        """Write the object only if the key is free; False when it already exists."""
        ...

    def copy_in(
        self,
        source_key: str,
        target_key: str,
        metadata: dict[str, str],
        *,
        content_type: str | None = None,
    ) -> str: ...


class EventPublisher(Protocol):
    """The project's bus: a typed event detail in, the event id out."""

    def emit(self, detail: EventDetail) -> str: ...


class Scheduler(Protocol):
    """One-time schedules that put an event on the bus at a moment (EventBridge Scheduler):
    a consultation round's publication at its deadline."""

    def at(self, name: str, when: datetime, detail: EventDetail) -> None: ...
    def cancel(self, name: str) -> None: ...


class Clock(Protocol):
    """Time as the notify loop, the ledger's leases and SES pacing see it (tests move it)."""

    def now(self) -> datetime: ...
    def time(self) -> float: ...  # wall-clock seconds (the ledger's leases)
    def monotonic(self) -> float: ...  # for deadlines and pacing
    def sleep(self, seconds: float) -> None: ...


# --- the mail ledger --------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerEntry:
    """What the ledger knows about one municipality's mail."""

    kommunekode: str
    status: str
    message_id: str = ""
    error: str = ""
    recipients: tuple[str, ...] = ()
    announced: bool = False
    attempts: int = 0
    lease_until: float = 0.0


@dataclass(frozen=True)
class Claim:
    """This invocation owns the mail until it marks or releases it."""

    extract_id: str
    kommunekode: str
    token: str
    attempts: int


class MailLedger(Protocol):
    def claim(self, extract_id: str, kommunekode: str) -> Claim | LedgerEntry: ...
    def mark_sent(self, claim: Claim, message_id: str, recipients: tuple[str, ...]) -> None: ...
    def mark_failed(self, claim: Claim, error: str, recipients: tuple[str, ...]) -> None: ...
    def mark_dry_run(self, claim: Claim, recipients: tuple[str, ...]) -> None: ...
    def release(self, claim: Claim) -> None: ...
    def mark_announced(self, extract_id: str, kommunekode: str) -> None: ...


# --- sending mail -----------------------------------------------------------------------------


class MailSender(Protocol):
    throttled: int  # retries because the service throttled us (a metric)

    def check_identity(self, address: str) -> None: ...

    def send(
        self,
        raw: bytes,
        *,
        from_address: str,
        recipients: tuple[str, ...],
        deadline: float | None = None,
    ) -> str: ...


class MailOutbox(Protocol):
    def write(self, extract_id: str, kommunekode: str, raw: bytes) -> str: ...


class SenderNotVerified(RuntimeError):
    """The From identity is not verified in SES: nothing can be sent, so the run fails."""


class PermanentSendError(RuntimeError):
    """SES refused this message; retrying the same message will not help."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code


class TransientSendError(RuntimeError):
    """SES did not take the message for a passing reason and we gave up for now."""


class SendingBlocked(RuntimeError):
    """The account cannot send (paused, suspended, daily quota): stop the whole run."""


# --- once per extract -------------------------------------------------------------------------

Job = Callable[..., dict[str, Any]]
Once = Callable[[Job], Job]
"""Wraps a job step so it runs once per extract id; a repeat returns the stored result."""


def always(step: Job) -> Job:
    """The Once of a run without a state table (unit tests): every call runs."""
    return step

"""The sending loop: each composed mail claimed in the ledger, sent, recorded, announced.

It talks to the ledger, SES, the outbox and the bus through the small interfaces below, so
it runs the same against AWS, moto and test doubles. See adapters/ledger.py for the states
and for what happens when a process dies between claiming and recording a mail.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from danmarkskort.domain.municipalities import NATIONAL_CODE
from danmarkskort.mail.compose import ComposedMail, MailTooLarge, NoRecipient
from danmarkskort.ports import (
    Claim,
    Clock,
    LedgerEntry,
    MailLedger,
    MailOutbox,
    MailSender,
    PermanentSendError,
    SendingBlocked,
    TransientSendError,
)

# A send needs at most this long once its lease is won (the margin kept for the last one).
SEND_MARGIN_SECONDS = 60.0


class NotificationsIncomplete(RuntimeError):
    """Some mails are still to be sent (time ran out, SES said 'later', or another invocation
    holds them): the invocation fails on purpose so the retry resumes with the rest."""

    def __init__(self, message: str, summary: dict[str, Any]):
        super().__init__(message)
        self.summary = summary


@dataclass
class Outcome:
    kommunekode: str
    kommune: str
    status: str  # sent | failed | dry_run | no_recipient | busy | not_reached
    recipients: tuple[str, ...] = ()
    message_id: str = ""
    error: str = ""
    this_run: bool = False
    eml_key: str = ""


@dataclass
class Run:
    """One pass over the mails of an extract."""

    extract_id: str
    from_address: str
    ledger: MailLedger
    sender: MailSender | None  # None in dry-run mode
    outbox: MailOutbox
    announce: Callable[[dict[str, Any]], None]
    clock: Clock
    dry_run: bool = False
    time_left: Callable[[], float] | None = None  # seconds the invocation has left
    reserve_seconds: float = 30.0  # stop claiming when less than this is left
    # Whether the mails carry the § 79 b, stk. 2 text, and which setting decided it
    # (MailTexts.legal_text): in every summary, so an omission is never silent.
    legal_text: dict[str, Any] | None = None
    round_id: str | None = None  # a consultation round's invitations
    outcomes: list[Outcome] = field(default_factory=list)
    held: list[tuple[float, ComposedMail]] = field(default_factory=list)  # (lease_until, mail)

    def run(self, mails: Sequence[ComposedMail | NoRecipient]) -> dict[str, Any]:
        """Send what is not yet sent; the summary, or NotificationsIncomplete to be retried."""
        stopped = ""
        for i, mail in enumerate(mails):
            if self.time_left is not None and self.time_left() < self.reserve_seconds:
                stopped = f"stopped with {self.time_left():.0f} s left"
                self._not_reached(mails[i:])
                break
            try:
                self._one(mail)
            except _Stop as stop:
                stopped = str(stop)
                self._not_reached(mails[i + 1 :])
                break
        if not stopped:
            stopped = self._take_over_stale()
        summary = self.summary()
        if stopped or summary["busy"] or summary["not_reached"]:
            left = len(summary["busy"]) + len(summary["not_reached"])
            raise NotificationsIncomplete(
                f"{left} municipalities not yet notified for extract {self.extract_id[:12]}"
                f"{': ' + stopped if stopped else ' (held by another invocation)'}; "
                "the retry resumes with them",
                summary,
            )
        self.announce(
            {
                "extract_id": self.extract_id,
                "kommunekode": NATIONAL_CODE,
                "status": "summary",
                "recipients": [],
                "message_id": None,
                "summary": summary,
                **({"round_id": self.round_id} if self.round_id else {}),
            }
        )
        return summary

    # --- one mail ---------------------------------------------------------------------------

    def _one(self, mail: ComposedMail | NoRecipient) -> None:
        if isinstance(mail, NoRecipient):
            self._finish(Outcome(mail.kommunekode, mail.kommune, "no_recipient", this_run=True))
            return
        claim = self.ledger.claim(self.extract_id, mail.kommunekode)
        if not isinstance(claim, Claim):
            self._known(mail, claim)
            return
        outcome = Outcome(mail.kommunekode, mail.kommune, "", mail.recipients, this_run=True)
        try:
            mail.check_size()
        except MailTooLarge as exc:
            self.ledger.mark_failed(claim, str(exc), mail.recipients)
            outcome.status, outcome.error = "failed", str(exc)
            self._finish(outcome)
            return
        raw = mail.with_date(self.clock.now())
        if self.dry_run or self.sender is None:
            self.ledger.mark_dry_run(claim, mail.recipients)
            outcome.status = "dry_run"
            outcome.eml_key = self.outbox.write(self.extract_id, mail.kommunekode, raw)
            self._finish(outcome)
            return
        try:
            message_id = self.sender.send(
                raw,
                from_address=self.from_address,
                recipients=mail.recipients,
                deadline=self._deadline(),
            )
        except PermanentSendError as exc:
            self.ledger.mark_failed(claim, str(exc), mail.recipients)
            outcome.status, outcome.error = "failed", str(exc)
            self._finish(outcome)
            return
        except TransientSendError as exc:
            self.ledger.release(claim)  # SES did not take it: the next run sends it
            self.outcomes.append(
                Outcome(mail.kommunekode, mail.kommune, "not_reached", error=str(exc))
            )
            raise _Stop(f"SES: {exc}") from exc
        except SendingBlocked:
            self.ledger.release(claim)
            raise
        self.ledger.mark_sent(claim, message_id, mail.recipients)
        outcome.status, outcome.message_id = "sent", message_id
        outcome.eml_key = self.outbox.write(self.extract_id, mail.kommunekode, raw)
        self._finish(outcome)

    def _known(self, mail: ComposedMail, entry: LedgerEntry) -> None:
        """The ledger already has this mail: report it, and finish an interrupted announce."""
        outcome = Outcome(
            mail.kommunekode,
            mail.kommune,
            entry.status if entry.status in ("sent",) else "busy",
            entry.recipients or mail.recipients,
            entry.message_id,
            entry.error,
        )
        if outcome.status == "busy":
            self.held.append((entry.lease_until, mail))
        if outcome.status == "sent" and not entry.announced:
            # The process stopped after recording the send but before announcing it.
            outcome.eml_key = self.outbox.write(
                self.extract_id, mail.kommunekode, mail.with_date(self.clock.now())
            )
            self._finish(outcome)
            return
        self.outcomes.append(outcome)

    def _take_over_stale(self) -> str:
        """Mails held by an invocation that died keep their lease for minutes, longer than
        Lambda waits before its retries. So when this invocation has the time, it waits the
        lease out and claims them (or finds them sent by a live owner) instead of failing."""
        held, self.held = sorted(self.held, key=lambda h: h[0]), []
        for lease_until, mail in held:
            wait = max(0.0, lease_until - self.clock.time() + 1.0)
            if self.time_left is None or (
                self.time_left() - wait < self.reserve_seconds + SEND_MARGIN_SECONDS
            ):
                return ""  # left as busy: the retry resumes with them
            self.clock.sleep(wait)
            self.outcomes = [o for o in self.outcomes if o.kommunekode != mail.kommunekode]
            try:
                self._one(mail)
            except _Stop as stop:
                return str(stop)
        return ""

    def _finish(self, outcome: Outcome) -> None:
        detail: dict[str, Any] = {
            "extract_id": self.extract_id,
            "kommunekode": outcome.kommunekode,
            "kommune": outcome.kommune,
            "status": outcome.status,
            "recipients": list(outcome.recipients),
            "message_id": outcome.message_id or None,
        }
        if outcome.error:
            detail["error"] = outcome.error
        if outcome.eml_key:
            detail["eml_key"] = outcome.eml_key
        if self.round_id:
            detail["round_id"] = self.round_id
        self.announce(detail)
        if outcome.status != "no_recipient":
            self.ledger.mark_announced(self.extract_id, outcome.kommunekode)
        self.outcomes.append(outcome)

    def _not_reached(self, mails: Sequence[ComposedMail | NoRecipient]) -> None:
        for m in mails:
            self.outcomes.append(Outcome(m.kommunekode, m.kommune, "not_reached"))

    def _deadline(self) -> float | None:
        if self.time_left is None:
            return None
        return self.clock.monotonic() + max(0.0, self.time_left() - self.reserve_seconds / 2)

    # --- summary ----------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        by: dict[str, list[Outcome]] = {}
        for o in self.outcomes:
            by.setdefault(o.status, []).append(o)

        def listed(status: str, *keys: str) -> list[dict[str, Any]]:
            return [
                {k: v for k, v in asdict(o).items() if k in ("kommunekode", "kommune", *keys)}
                for o in by.get(status, [])
            ]

        return {
            "extract_id": self.extract_id,
            "dry_run": self.dry_run,
            "municipalities": len(self.outcomes),
            "sent": len(by.get("sent", [])),
            "sent_this_run": sum(1 for o in by.get("sent", []) if o.this_run),
            "dry_run_composed": len(by.get("dry_run", [])),
            "failed": listed("failed", "error", "recipients"),
            "no_recipient": listed("no_recipient"),
            "busy": listed("busy"),
            "not_reached": listed("not_reached", "error"),
            "legal_text": self.legal_text,
            **({"round_id": self.round_id} if self.round_id else {}),
        }


class _Stop(Exception):
    """Stop this pass now; what is left is for the retry."""

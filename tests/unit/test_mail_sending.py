"""The sending loop (mail.notify.Run) and the SES sender's handling of SES's answers, with
test doubles for the ledger, the outbox and the SES client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from danmarkskort.adapters.ses import SesSender
from danmarkskort.mail.compose import ComposedMail, NoRecipient
from danmarkskort.mail.notify import NotificationsIncomplete, Run
from danmarkskort.ports import (
    Claim,
    LedgerEntry,
    PermanentSendError,
    SenderNotVerified,
    SendingBlocked,
    TransientSendError,
)

from tests.clock import FakeClock

# --- doubles --------------------------------------------------------------------------------


def mail(code: str, raw: bytes = b"Subject: x\r\n\r\nbody\r\n") -> ComposedMail:
    return ComposedMail(code, f"Kommune {code}", "x", (f"a{code}@example.invalid",), (), raw)


@dataclass
class FakeLedger:
    state: dict[str, str] = field(default_factory=dict)
    released: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def claim(self, extract_id: str, code: str) -> Claim | LedgerEntry:
        status = self.state.get(code)
        if status in (None, "dry_run", "failed"):
            self.state[code] = "sending"
            return Claim(extract_id, code, "tok", 1)
        return LedgerEntry(code, status, message_id="old", announced=True)

    def mark_sent(self, claim, message_id, recipients):
        self.state[claim.kommunekode] = "sent"

    def mark_failed(self, claim, error, recipients):
        self.state[claim.kommunekode] = "failed"
        self.errors[claim.kommunekode] = error

    def mark_dry_run(self, claim, recipients):
        self.state[claim.kommunekode] = "dry_run"

    def release(self, claim):
        self.released.append(claim.kommunekode)
        del self.state[claim.kommunekode]

    def mark_announced(self, extract_id, code):
        pass


class FakeSender:
    def __init__(self, fail: dict[str, Exception] | None = None):
        self.fail = fail or {}
        self.sent: list[str] = []

    def send(self, raw, *, from_address, recipients, deadline=None):
        code = recipients[0][1:4]
        if code in self.fail:
            raise self.fail[code]
        self.sent.append(code)
        return f"mid-{code}"


class FakeOutbox:
    def __init__(self):
        self.files: dict[str, bytes] = {}

    def write(self, extract_id, code, raw):
        self.files[code] = raw
        return f"notifications/{extract_id}/{code}.eml"


def run(ledger=None, sender=None, **kwargs) -> tuple[Run, list[dict]]:
    announced: list[dict] = []
    r = Run(
        extract_id="x" * 64,
        from_address="omgoerelser@example.invalid",
        ledger=ledger or FakeLedger(),
        sender=sender if sender is not None else FakeSender(),
        outbox=kwargs.pop("outbox", FakeOutbox()),
        announce=announced.append,
        clock=kwargs.pop("clock", FakeClock()),
        **kwargs,
    )
    return r, announced


# --- the loop -------------------------------------------------------------------------------


def test_sends_records_writes_and_announces_each_then_a_summary():
    outbox = FakeOutbox()
    r, announced = run(outbox=outbox)
    summary = r.run([mail("101"), mail("147"), NoRecipient("155", "Dragør Kommune")])
    assert summary["sent"] == 2 and summary["no_recipient"][0]["kommunekode"] == "155"
    assert [a["status"] for a in announced] == ["sent", "sent", "no_recipient", "summary"]
    assert announced[-1]["kommunekode"] == "000"
    assert sorted(outbox.files) == ["101", "147"]
    assert outbox.files["101"].startswith(b"Date: ")


def test_already_sent_is_not_sent_again():
    ledger = FakeLedger(state={"101": "sent"})
    sender = FakeSender()
    r, announced = run(ledger, sender)
    summary = r.run([mail("101"), mail("147")])
    assert sender.sent == ["147"]
    assert summary["sent"] == 2 and summary["sent_this_run"] == 1
    assert [a["kommunekode"] for a in announced] == ["147", "000"]


def test_permanent_failure_is_recorded_and_the_rest_goes_on():
    ledger = FakeLedger()
    sender = FakeSender({"101": PermanentSendError("MessageRejected", "nope")})
    r, announced = run(ledger, sender)
    summary = r.run([mail("101"), mail("147")])
    assert ledger.state == {"101": "failed", "147": "sent"}
    assert summary["failed"][0]["kommunekode"] == "101"
    assert "MessageRejected" in summary["failed"][0]["error"]
    assert announced[0]["status"] == "failed" and announced[0]["error"]


def test_too_large_is_recorded_as_failed_without_sending(monkeypatch):
    big = mail("101")
    monkeypatch.setattr(ComposedMail, "check_size", _too_large)
    ledger, sender = FakeLedger(), FakeSender()
    r, _ = run(ledger, sender)
    summary = r.run([big])
    assert sender.sent == [] and ledger.state == {"101": "failed"}
    assert "SES accepts" in summary["failed"][0]["error"]


def _too_large(self, limit=0):
    from danmarkskort.mail.compose import MailTooLarge

    raise MailTooLarge(f"the mail to {self.kommune} is 50 MB; SES accepts at most 40 MB")


def test_transient_give_up_releases_the_claim_and_fails_for_a_retry():
    ledger = FakeLedger()
    sender = FakeSender({"147": TransientSendError("TooManyRequestsException after 8 attempts")})
    r, announced = run(ledger, sender)
    with pytest.raises(NotificationsIncomplete, match="2 municipalities not yet notified") as info:
        r.run([mail("101"), mail("147"), mail("151")])
    assert ledger.released == ["147"] and "147" not in ledger.state
    assert [o["kommunekode"] for o in info.value.summary["not_reached"]] == ["147", "151"]
    assert all(a["kommunekode"] != "000" for a in announced)  # no summary yet


def test_blocked_account_releases_and_stops():
    ledger = FakeLedger()
    sender = FakeSender({"101": SendingBlocked("SendingPausedException: paused")})
    r, _ = run(ledger, sender)
    with pytest.raises(SendingBlocked):
        r.run([mail("101"), mail("147")])
    assert ledger.released == ["101"] and sender.sent == []


def test_a_claim_held_elsewhere_is_busy_and_the_run_fails_for_a_retry():
    ledger = FakeLedger(state={"101": "sending"})
    r, _ = run(ledger)
    with pytest.raises(NotificationsIncomplete, match="held by another invocation") as info:
        r.run([mail("101"), mail("147")])
    assert info.value.summary["busy"][0]["kommunekode"] == "101"
    assert info.value.summary["sent"] == 1


def test_stops_before_time_runs_out():
    left = iter([100.0, 100.0, 10.0, 10.0, 10.0])
    sender = FakeSender()
    r, _ = run(sender=sender, time_left=lambda: next(left), reserve_seconds=30)
    with pytest.raises(NotificationsIncomplete, match="stopped with 10 s left"):
        r.run([mail("101"), mail("147"), mail("151")])
    assert sender.sent == ["101"]


def test_dry_run_records_and_writes_but_does_not_send():
    ledger, outbox = FakeLedger(), FakeOutbox()
    r, announced = run(ledger, None, outbox=outbox, dry_run=True)
    r.sender = None
    summary = r.run([mail("101")])
    assert ledger.state == {"101": "dry_run"} and "101" in outbox.files
    assert summary["dry_run_composed"] == 1 and announced[0]["status"] == "dry_run"


# --- the SES sender -------------------------------------------------------------------------


def error(code: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "SendEmail",
    )


class ScriptedClient:
    def __init__(self, *answers: Any):
        self.answers = list(answers)
        self.requests: list[dict] = []

    def send_email(self, **request):
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return {"MessageId": answer}

    def get_email_identity(self, EmailIdentity):
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


def sender(client, rate=14.0, **kwargs) -> tuple[SesSender, FakeClock]:
    clock = FakeClock()
    return SesSender(rate, client, clock=clock, **kwargs), clock


def send(s: SesSender, deadline=None) -> str:
    return s.send(b"raw", from_address="a@b.dk", recipients=("c@d.dk",), deadline=deadline)


def test_raw_request_shape():
    client = ScriptedClient("m1")
    s, _ = sender(client)
    assert send(s) == "m1"
    assert client.requests == [
        {
            "FromEmailAddress": "a@b.dk",
            "Destination": {"ToAddresses": ["c@d.dk"]},
            "Content": {"Raw": {"Data": b"raw"}},
        }
    ]


def test_throttling_and_server_errors_are_retried_with_growing_backoff():
    client = ScriptedClient(
        error("TooManyRequestsException", 429),
        error("Throttling", 400),
        error("InternalFailure", 500),
        EndpointConnectionError(endpoint_url="https://email.eu-north-1.amazonaws.com"),
        "m1",
    )
    s, clock = sender(client, backoff_base=1.0)
    assert send(s) == "m1"
    assert s.throttled == 2 and len(client.requests) == 5
    assert sum(clock.sleeps) > 0


def test_send_rate_paces_the_calls():
    client = ScriptedClient(*[f"m{i}" for i in range(5)])
    s, clock = sender(client, rate=1.0)
    for _ in range(5):
        send(s)
    assert clock.monotonic() == pytest.approx(4.0)  # 5 calls at 1/s: 4 s between first and last


def test_permanent_and_account_errors_are_not_retried():
    s, _ = sender(ScriptedClient(error("MessageRejected")))
    with pytest.raises(PermanentSendError, match="MessageRejected"):
        send(s)
    s, _ = sender(ScriptedClient(error("SendingPausedException")))
    with pytest.raises(SendingBlocked):
        send(s)


def test_gives_up_after_max_attempts_or_at_the_deadline():
    s, _ = sender(ScriptedClient(*[error("TooManyRequestsException", 429)] * 3), max_attempts=3)
    with pytest.raises(TransientSendError, match="after 3 attempts"):
        send(s)
    s, _ = sender(ScriptedClient(*[error("TooManyRequestsException", 429)] * 8), backoff_base=10.0)
    with pytest.raises(TransientSendError, match="deadline"):
        send(s, deadline=5.0)


def test_a_lost_response_is_not_retried():
    """A read timeout may mean SES took the mail: never silently send it again."""
    timeout = ReadTimeoutError(endpoint_url="https://email.eu-north-1.amazonaws.com")
    client = ScriptedClient(timeout, "m2")
    s, _ = sender(client)
    with pytest.raises(ReadTimeoutError):
        send(s)
    assert len(client.requests) == 1


def test_identity_check():
    ok, _ = sender(ScriptedClient({"VerifiedForSendingStatus": True}))
    ok.check_identity("a@b.dk")
    by_domain, _ = sender(
        ScriptedClient(error("NotFoundException", 404), {"VerificationStatus": "SUCCESS"})
    )
    by_domain.check_identity("a@b.dk")
    pending, _ = sender(
        ScriptedClient(
            {"VerifiedForSendingStatus": False, "VerificationStatus": "PENDING"},
            error("NotFoundException", 404),
        )
    )
    with pytest.raises(SenderNotVerified, match="not verified \\(status PENDING\\)"):
        pending.check_identity("a@b.dk")

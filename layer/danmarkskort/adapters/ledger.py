"""The exactly-once ledger of mails: one DynamoDB item per (extract id, kommunekode).

States and moves, each a conditional write so two invocations never both own a mail:

    (none) | dry_run | failed | sending with an expired lease  --claim-->  sending
    sending --mark_sent--> sent        (final: never sent again for this extract)
    sending --mark_failed--> failed    (a permanent SES refusal; a later event may retry)
    sending --mark_dry_run--> dry_run  (composed and recorded, not sent)
    sending --release--> (none)        (SES refused for a passing reason: nothing was sent)

The window between claim and mark_sent is one SES call. If the process dies inside it, the
ledger cannot know whether SES took the mail. We chose at-least-once for that window: the
claim carries a lease, and once the lease has run out the next run sends the mail again
(the Message-ID header stays the same, so the copy is recognisable). A council getting the
same figures twice is a nuisance; a council never getting them is a missed legal duty.
Until the lease runs out the item is 'busy'. A run with the time to spare waits the lease
out and then claims the mail (mail.notify.Run._take_over_stale); one without fails, so it is
retried.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, cast

from botocore.exceptions import ClientError

from danmarkskort.clock import SystemClock
from danmarkskort.ports import Claim, Clock, LedgerEntry

PREFIX = "notify"
SENDING, SENT, FAILED, DRY_RUN = "sending", "sent", "failed", "dry_run"
# Longer than one claim can legitimately be held: an SES call plus its throttling backoff.
LEASE_SECONDS = 300
# Records outlive the yearly cycle, so a late duplicate event never resends (TTL attribute
# `expiration`, shared with Powertools idempotency in the same table).
KEEP_SECONDS = 400 * 24 * 3600


@dataclass
class Ledger:
    table: str
    client: Any = None
    lease_seconds: float = LEASE_SECONDS
    clock: Clock = field(default_factory=SystemClock)  # the leases' time (tests move it)

    def __post_init__(self) -> None:
        if self.client is None:
            import boto3  # on first use: importing boto3 costs more than the rest of the handler

            self.client = boto3.client("dynamodb")

    @staticmethod
    def key(extract_id: str, kommunekode: str) -> dict[str, Any]:
        return {"id": {"S": f"{PREFIX}#{extract_id}#{kommunekode}"}}

    def claim(self, extract_id: str, kommunekode: str) -> Claim | LedgerEntry:
        """Own the mail (Claim), or learn who has it and in which state (Entry)."""
        now = self.clock.time()
        token = uuid.uuid4().hex
        try:
            response = self.client.update_item(
                TableName=self.table,
                Key=self.key(extract_id, kommunekode),
                UpdateExpression=(
                    "SET #s = :sending, #tok = :tok, lease_until = :lease, claimed_at = :now, "
                    "extract_id = :x, kommunekode = :k, expiration = :exp "
                    "ADD attempts :one"
                ),
                ConditionExpression=(
                    "attribute_not_exists(id) OR #s IN (:dry, :failed) "
                    "OR (#s = :sending AND lease_until < :now)"
                ),
                ExpressionAttributeNames={"#s": "status", "#tok": "token"},
                ExpressionAttributeValues={
                    ":sending": {"S": SENDING},
                    ":dry": {"S": DRY_RUN},
                    ":failed": {"S": FAILED},
                    ":tok": {"S": token},
                    ":lease": {"N": repr(now + self.lease_seconds)},
                    ":now": {"N": repr(now)},
                    ":x": {"S": extract_id},
                    ":k": {"S": kommunekode},
                    ":exp": {"N": str(int(now + KEEP_SECONDS))},
                    ":one": {"N": "1"},
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            # The item as it was (ReturnValuesOnConditionCheckFailure); the stubs say object.
            old = cast(dict[str, Any], exc.response.get("Item") or {})
            return _entry(kommunekode, old or self._get(extract_id, kommunekode))
        attempts = int(response["Attributes"].get("attempts", {"N": "1"})["N"])
        return Claim(extract_id, kommunekode, token, attempts)

    def mark_sent(self, claim: Claim, message_id: str, recipients: tuple[str, ...]) -> None:
        self._finish(
            claim,
            SENT,
            "message_id = :mid, recipients = :rcpt, finished_at = :now REMOVE #err",
            {":mid": {"S": message_id}, ":rcpt": _string_list(recipients)},
        )

    def mark_failed(self, claim: Claim, error: str, recipients: tuple[str, ...]) -> None:
        self._finish(
            claim,
            FAILED,
            "#err = :err, recipients = :rcpt, finished_at = :now",
            {":err": {"S": error[:2000]}, ":rcpt": _string_list(recipients)},
        )

    def mark_dry_run(self, claim: Claim, recipients: tuple[str, ...]) -> None:
        self._finish(
            claim,
            DRY_RUN,
            "recipients = :rcpt, finished_at = :now",
            {":rcpt": _string_list(recipients)},
        )

    def release(self, claim: Claim) -> None:
        """Give the mail back untouched: nothing was sent, the next run takes it."""
        try:
            self.client.delete_item(
                TableName=self.table,
                Key=self.key(claim.extract_id, claim.kommunekode),
                ConditionExpression="#s = :sending AND #tok = :tok",
                ExpressionAttributeNames={"#s": "status", "#tok": "token"},
                ExpressionAttributeValues={
                    ":sending": {"S": SENDING},
                    ":tok": {"S": claim.token},
                },
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def mark_announced(self, extract_id: str, kommunekode: str) -> None:
        """MunicipalityNotified has been emitted for the final state."""
        self.client.update_item(
            TableName=self.table,
            Key=self.key(extract_id, kommunekode),
            UpdateExpression="SET announced = :t",
            ConditionExpression="attribute_exists(id)",
            ExpressionAttributeValues={":t": {"BOOL": True}},
        )

    def _finish(self, claim: Claim, status: str, update: str, values: dict[str, Any]) -> None:
        set_part, _, remove_part = update.partition(" REMOVE ")
        expression = f"SET #s = :status, announced = :f, {set_part} REMOVE lease_until, #tok"
        if remove_part:
            expression += f", {remove_part}"
        names = {"#s": "status", "#tok": "token"}
        if "#err" in update:
            names["#err"] = "error"
        try:
            self.client.update_item(
                TableName=self.table,
                Key=self.key(claim.extract_id, claim.kommunekode),
                UpdateExpression=expression,
                ConditionExpression="#s = :sending AND #tok = :tok",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={
                    ":status": {"S": status},
                    ":f": {"BOOL": False},
                    ":now": {"N": repr(self.clock.time())},
                    ":sending": {"S": SENDING},
                    ":tok": {"S": claim.token},
                    **values,
                },
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise LostClaim(
                    f"the ledger claim on {claim.kommunekode} for extract "
                    f"{claim.extract_id[:12]} was taken over (lease expired) before it was "
                    f"marked {status}"
                ) from exc
            raise

    def _get(self, extract_id: str, kommunekode: str) -> dict[str, Any]:
        response = self.client.get_item(
            TableName=self.table, Key=self.key(extract_id, kommunekode), ConsistentRead=True
        )
        return response.get("Item", {})


class LostClaim(RuntimeError):
    """Another invocation took this claim over; our outcome is not recorded."""


def _string_list(values: tuple[str, ...]) -> dict[str, Any]:
    return {"L": [{"S": v} for v in values]}


def _entry(kommunekode: str, item: dict[str, Any]) -> LedgerEntry:
    if not item:
        # Deleted between our write and our read (a release): treat as free next time.
        return LedgerEntry(kommunekode, status="")
    return LedgerEntry(
        kommunekode=kommunekode,
        status=item.get("status", {}).get("S", ""),
        message_id=item.get("message_id", {}).get("S", ""),
        error=item.get("error", {}).get("S", ""),
        recipients=tuple(v["S"] for v in item.get("recipients", {}).get("L", [])),
        announced=bool(item.get("announced", {}).get("BOOL", False)),
        attempts=int(item.get("attempts", {}).get("N", "0")),
        lease_until=float(item.get("lease_until", {}).get("N", "0")),
    )

"""The comment function's rate limit: a fixed-window counter per link in the state table.

One item per (round, municipality, minute): ``comment#rate#<round_id>#<kode>#<window>``,
where the window is the Unix minute. Each POST is one conditional UpdateItem that adds 1
only while the count is below the limit, so concurrent requests can never together exceed
it; the item expires (TTL attribute ``expiration``, as the other items of the table) an
hour after its minute. Both limiters here are hoering.page.RateLimiter (the Protocol the
page is handed). The function's IAM policy allows it only the ``comment#`` items
(dynamodb:LeadingKeys), so every id here starts so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

PREFIX = "comment#rate"
WINDOW_SECONDS = 60
KEEP_SECONDS = 3600


def window_of(now: datetime) -> tuple[int, int]:
    """The window's number and the seconds left of it (at least 1)."""
    seconds = int(now.timestamp())
    return seconds // WINDOW_SECONDS, WINDOW_SECONDS - seconds % WINDOW_SECONDS


def item_id(round_id: str, kommunekode: str, window: int) -> str:
    return f"{PREFIX}#{round_id}#{kommunekode}#{window}"


@dataclass
class DynamoRateLimiter:
    table: str
    client: Any = None

    def __post_init__(self) -> None:
        if self.client is None:
            import boto3  # on first use, as the other adapters

            self.client = boto3.client("dynamodb")

    def hit(self, round_id: str, kommunekode: str, limit: int, now: datetime) -> int | None:
        window, left = window_of(now)
        limit = max(1, limit)
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"id": {"S": item_id(round_id, kommunekode, window)}},
                UpdateExpression="ADD hits :one SET expiration = if_not_exists(expiration, :exp)",
                ConditionExpression="attribute_not_exists(hits) OR hits < :limit",
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":exp": {"N": str((window + 1) * WINDOW_SECONDS + KEEP_SECONDS)},
                },
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return left
        return None


@dataclass
class MemoryRateLimiter:
    """The same rule in memory (unit tests, and a local serve without a table)."""

    counts: dict[str, int]

    def __init__(self) -> None:
        self.counts = {}

    def hit(self, round_id: str, kommunekode: str, limit: int, now: datetime) -> int | None:
        window, left = window_of(now)
        key = item_id(round_id, kommunekode, window)
        if self.counts.get(key, 0) >= max(1, limit):
            return left
        self.counts[key] = self.counts.get(key, 0) + 1
        return None

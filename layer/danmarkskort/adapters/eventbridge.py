"""The project's EventBridge bus (ports.EventPublisher): how one function announces its result."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from danmarkskort.events import SOURCE, EventDetail


class PublishError(RuntimeError):
    """EventBridge accepted the call but not the entry: the caller must fail so it is retried."""


@dataclass
class EventBus:
    name: str
    client: Any = None

    def __post_init__(self) -> None:
        if self.client is None:
            import boto3  # on first use: importing boto3 costs more than the rest of the handler

            self.client = boto3.client("events")

    def emit(self, detail: EventDetail) -> str:
        detail_type = detail.DETAIL_TYPE
        entry = {
            "Source": SOURCE,
            "DetailType": detail_type,
            "Detail": json.dumps(detail.to_detail(), ensure_ascii=False),
            "EventBusName": self.name,
        }
        response = self.client.put_events(Entries=[entry])
        result = response["Entries"][0]
        if response.get("FailedEntryCount") or "EventId" not in result:
            raise PublishError(f"{detail_type} was not accepted by bus {self.name}: {result}")
        return str(result["EventId"])

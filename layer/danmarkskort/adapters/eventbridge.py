"""The project's EventBridge bus: how one function announces its result to the next."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3

from danmarkskort.events import SOURCE


class PublishError(RuntimeError):
    """EventBridge accepted the call but not the entry: the caller must fail so it is retried."""


@dataclass
class EventBus:
    name: str
    client: Any = None

    def __post_init__(self) -> None:
        if self.client is None:
            self.client = boto3.client("events")

    def emit(self, detail_type: str, detail: dict[str, Any]) -> str:
        entry = {
            "Source": SOURCE,
            "DetailType": detail_type,
            "Detail": json.dumps(detail, ensure_ascii=False),
            "EventBusName": self.name,
        }
        response = self.client.put_events(Entries=[entry])
        result = response["Entries"][0]
        if response.get("FailedEntryCount") or "EventId" not in result:
            raise PublishError(f"{detail_type} was not accepted by bus {self.name}: {result}")
        return result["EventId"]

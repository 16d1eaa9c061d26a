"""EventBridge Scheduler (ports.Scheduler): a one-time schedule per consultation round that
puts ConsultationDue on the project's bus at the deadline and then deletes itself.

The schedule's target is the bus itself (a templated EventBridge target), assumed through
the template's scheduler role, which may put events on that bus and do nothing else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from danmarkskort.events import SOURCE, EventDetail


@dataclass
class EventScheduler:
    group: str  # the template's schedule group
    bus_arn: str
    role_arn: str
    client: Any = None

    def __post_init__(self) -> None:
        if self.client is None:
            import boto3

            self.client = boto3.client("scheduler")

    def at(self, name: str, when: datetime, detail: EventDetail) -> None:
        """Create the schedule, or leave it when it exists (a retry of the same opening)."""
        moment = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        try:
            self.client.create_schedule(
                Name=name,
                GroupName=self.group,
                ScheduleExpression=f"at({moment})",
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                Description=f"danmarkskort: publish consultation round at {moment} UTC",
                Target={
                    "Arn": self.bus_arn,
                    "RoleArn": self.role_arn,
                    "EventBridgeParameters": {
                        "DetailType": detail.DETAIL_TYPE,
                        "Source": SOURCE,
                    },
                    "Input": json.dumps(detail.to_detail()),
                    # A day of retries: the bus is rarely away that long.
                    "RetryPolicy": {
                        "MaximumEventAgeInSeconds": 86400,
                        "MaximumRetryAttempts": 185,
                    },
                },
            )
        except self.client.exceptions.ConflictException:
            return

    def cancel(self, name: str) -> None:
        """Delete the schedule; one that already ran (and deleted itself) is fine."""
        try:
            self.client.delete_schedule(Name=name, GroupName=self.group)
        except self.client.exceptions.ResourceNotFoundException:
            return

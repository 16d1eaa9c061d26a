"""Shared fixtures: a moto-backed AWS with the project's resources, and paths to ../shared.

`aws` gives each test a fresh in-process AWS (moto). Handlers read their resource names from
the same environment variables the template sets.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

REGION = "eu-north-1"
DATA_BUCKET = "danmarkskort-data-test"
SITE_BUCKET = "danmarkskort-site-test"
BUS = "danmarkskort-test"
TABLE = "danmarkskort-state-test"
SENDER = "omgoerelser@example.invalid"


def shared_path(*parts: str) -> Path:
    """A file handed to us beside the repo; the test is skipped, loudly, when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"SKIPPED: {path} is absent (../shared is handed out beside the repo)")
    return path


def fixture_path(name: str) -> Path:
    """A file committed under tests/fixtures; the test fails (never skips) when it is missing."""
    path = Path(__file__).resolve().parent / "fixtures" / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: it is committed with the tests", pytrace=False)
    return path


@dataclass
class Aws:
    """Clients and names of the test AWS, plus the events that reached the bus."""

    s3: Any
    events: Any
    sqs: Any
    dynamodb: Any
    sesv2: Any
    queue_url: str
    names: dict[str, str] = field(default_factory=dict)

    def bus_events(self) -> list[dict[str, Any]]:
        """Drain every event put on the project's bus so far (as EventBridge delivers them)."""
        out = []
        while True:
            msgs = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not msgs:
                return out
            for m in msgs:
                out.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        resp = self.s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
        return sorted(o["Key"] for o in resp.get("Contents", []))


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "DATA_BUCKET": DATA_BUCKET,
        "SITE_BUCKET": SITE_BUCKET,
        "EVENT_BUS_NAME": BUS,
        "STATE_TABLE": TABLE,
        "SENDER_ADDRESS": SENDER,
        "SITE_URL": "https://omgoerelser.example.invalid",
        "POWERTOOLS_SERVICE_NAME": "danmarkskort-test",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Danmarkskort",
        "POWERTOOLS_DEV": "false",
        "SEND_RATE": "1000",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def aws(aws_env: dict[str, str]) -> Iterator[Aws]:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in (DATA_BUCKET, SITE_BUCKET):
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
            )
        events = boto3.client("events", region_name=REGION)
        events.create_event_bus(Name=BUS)
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName="bus-capture")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        events.put_rule(
            Name="capture-all",
            EventBusName=BUS,
            EventPattern=json.dumps({"source": ["danmarkskort"]}),
        )
        events.put_targets(
            Rule="capture-all", EventBusName=BUS, Targets=[{"Id": "capture", "Arn": arn}]
        )
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        sesv2 = boto3.client("sesv2", region_name=REGION)
        sesv2.create_email_identity(EmailIdentity=SENDER)
        yield Aws(
            s3=s3,
            events=events,
            sqs=sqs,
            dynamodb=dynamodb,
            sesv2=sesv2,
            queue_url=queue_url,
            names={"data": DATA_BUCKET, "site": SITE_BUCKET, "bus": BUS, "table": TABLE},
        )


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach a real AWS account by accident."""
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)

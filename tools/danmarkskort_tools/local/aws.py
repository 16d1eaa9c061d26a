"""An in-process AWS (moto) holding the resources of template.yaml, with every rule target
replaced by an SQS queue. moto cannot run Lambda code; the Dispatcher drains the queues into
the real handlers instead, so an event only reaches a function if the template's own rule
pattern matches it, as in the cloud.

moto (5.x) emits S3's EventBridge "Object Created" event itself for buckets whose template
enables EventBridge notifications; the local uploader relies on that, and on nothing else.
"""

from __future__ import annotations

import json
import os
import secrets
import string
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from unittest.mock import patch

import boto3
from danmarkskort.adapters import secrets as secrets_cache
from danmarkskort.events import SOURCE
from moto import mock_aws
from moto import settings as moto_settings
from moto.iam.access_control import IAMRequestBase

from danmarkskort_tools.local.template import RuleSpec, Stack, TemplateError

LOCAL_SENDER = "omgoerelser@example.invalid"
OBSERVER_RULE = "local-observer"
S3_OBSERVER_RULE = "local-s3-observer"

# The services the local chain uses (boto3-stubs types a client per service name).
Service = Literal["dynamodb", "events", "iam", "s3", "scheduler", "secretsmanager", "sesv2", "sqs"]

_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


@contextmanager
def environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set (None: unset) environment variables for a block, then put the old values back."""
    saved = {k: os.environ.get(k) for k in values}
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@dataclass(frozen=True)
class StandIn:
    """The SQS queue standing in for one target of one rule."""

    rule: RuleSpec
    target_kind: str
    target: str  # logical id of the function/topic
    queue_url: str


@dataclass
class LocalAws:
    """moto with the stack's buckets, bus, table, SES identity and rules (SQS stand-ins)."""

    stack: Stack
    sender: str = LOCAL_SENDER
    enforce_iam: bool = True
    stand_ins: list[StandIn] = field(default_factory=list)
    identities: dict[str, dict[str, str | None]] = field(default_factory=dict)
    # Fills the new buckets and tables before S3 sends events and before any rule exists, so
    # what it writes triggers nothing (a restored local state: local/state.py).
    seed: Callable[[LocalAws], None] | None = None

    def __post_init__(self) -> None:
        # The template's SenderAddress stands for an identity verified in SES beforehand.
        self.sender = self.stack.values.get("SenderAddress", self.sender)
        self._mock = mock_aws()
        self._env = environment(
            {
                **_CREDENTIALS,
                "AWS_DEFAULT_REGION": self.stack.region,
                "AWS_REGION": self.stack.region,
            }
        )
        self.clients: dict[str, Any] = {}

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> LocalAws:
        secrets_cache.forget()  # a key cached from an earlier local AWS is not this one's
        self._env.__enter__()
        self._mock.start()
        try:
            self._create()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        secrets_cache.forget()
        self._mock.stop()
        self._env.__exit__(None, None, None)

    def client(self, service: Service) -> Any:
        if service not in self.clients:
            self.clients[service] = boto3.client(service, region_name=self.stack.region)
        return self.clients[service]

    # ------------------------------------------------------------------ resources
    @property
    def data_bucket(self) -> str:
        return self.stack.physical_name("DataBucket")

    @property
    def site_bucket(self) -> str:
        return self.stack.physical_name("SiteBucket")

    @property
    def bus(self) -> str:
        return self.stack.physical_name("EventBus")

    def _create(self) -> None:
        buckets = self.stack.of_type("AWS::S3::Bucket")
        for lid in buckets:
            self._create_bucket(lid)
        for lid in self.stack.of_type("AWS::DynamoDB::Table"):
            self._create_table(lid)
        for lid in self.stack.of_type("AWS::SecretsManager::Secret"):
            self._create_secret(lid)
        for lid in self.stack.of_type("AWS::Scheduler::ScheduleGroup"):
            self.client("scheduler").create_schedule_group(Name=self.stack.physical_name(lid))
        if self.seed is not None:
            self.seed(self)
        for lid in buckets:
            self._enable_notifications(lid)
        events = self.client("events")
        for lid in self.stack.of_type("AWS::Events::EventBus"):
            events.create_event_bus(Name=self.stack.physical_name(lid))
        self.client("sesv2").create_email_identity(EmailIdentity=self.sender)
        for rule in self.stack.rules():
            self._create_rule(rule)
        self._create_observers()
        if self.enforce_iam:
            for function in self.stack.functions():
                self._create_identity(function)

    def _create_identity(self, function: str) -> None:
        """An IAM user holding the function's own policy statements from the template.

        moto checks S3 requests against resources (bucket/key ARNs), so the template's
        prefix scoping is enforced as in AWS; for other services it checks actions only
        (their resources become "*"), and it cannot evaluate conditions such as
        ses:FromAddress (dropped here; test_template.py checks them statically).
        """
        policies = self.stack.properties(function).get("Policies", [])
        statements = []
        for policy in policies:
            if not isinstance(policy, dict) or "Statement" not in policy:
                raise TemplateError(
                    f"{function}: the local AWS enforces inline policy statements only, "
                    f"not {policy!r}"
                )
            for statement in policy["Statement"]:
                actions = statement["Action"]
                actions = actions if isinstance(actions, list) else [actions]
                local = {"Effect": statement["Effect"], "Action": actions}
                s3_only = all(a.startswith("s3:") for a in actions)
                local["Resource"] = statement["Resource"] if s3_only else "*"
                statements.append(local)
        iam = self.client("iam")
        user = f"{function}-role"[:64]
        iam.create_user(UserName=user)
        if statements:
            iam.put_user_policy(
                UserName=user,
                PolicyName="template-policies",
                PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
            )
        key = iam.create_access_key(UserName=user)["AccessKey"]
        self.identities[function] = {
            "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
            "AWS_SESSION_TOKEN": None,
        }

    @contextmanager
    def acting_as(self, function: str) -> Iterator[None]:
        """Run a block with the function's identity, IAM enforced (when enforce_iam)."""
        if not self.enforce_iam:
            yield
            return
        saved = moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
        # boto3's default session caches the first credentials it resolves: start afresh so
        # clients made in this block sign as the function; restore afterwards.
        previous_session = boto3.DEFAULT_SESSION
        boto3.DEFAULT_SESSION = None
        try:
            # Who calls and what they may do is checked; signatures are not: moto's SigV4
            # check disagrees with botocore's for SES v2 paths holding an address ("@").
            with (
                environment(self.identities[function]),
                patch.object(IAMRequestBase, "check_signature", lambda _self: None),
            ):
                moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
                yield
        finally:
            moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = saved
            boto3.DEFAULT_SESSION = previous_session

    def _create_bucket(self, logical_id: str) -> None:
        s3 = self.client("s3")
        name = self.stack.physical_name(logical_id)
        props = self.stack.properties(logical_id)
        s3.create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.stack.region}
        )
        if "VersioningConfiguration" in props:
            s3.put_bucket_versioning(
                Bucket=name,
                VersioningConfiguration={"Status": props["VersioningConfiguration"]["Status"]},
            )
        if "BucketEncryption" in props:
            rules = [
                {
                    "ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"],
                    "BucketKeyEnabled": bool(rule.get("BucketKeyEnabled", False)),
                }
                for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            s3.put_bucket_encryption(
                Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules}
            )
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(
                Bucket=name,
                PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"],
            )

    def _create_secret(self, logical_id: str) -> None:
        """A generated secret as the template's GenerateSecretString makes it (moto does not
        generate one itself); a restored state then puts its saved value back."""
        props = self.stack.properties(logical_id).get("GenerateSecretString", {})
        length = int(props.get("PasswordLength", 32))
        alphabet = string.ascii_letters + string.digits
        if not props.get("ExcludePunctuation"):
            alphabet += "!#$%&()*+,-.:;<=>?@[]^_{|}~"
        value = "".join(secrets.choice(alphabet) for _ in range(length))
        self.client("secretsmanager").create_secret(
            Name=self.stack.physical_name(logical_id), SecretString=value
        )

    def secret(self, logical_id: str) -> str:
        response = self.client("secretsmanager").get_secret_value(
            SecretId=self.stack.physical_name(logical_id)
        )
        return str(response["SecretString"])

    def _enable_notifications(self, logical_id: str) -> None:
        notify = self.stack.properties(logical_id).get("NotificationConfiguration", {})
        if notify.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled"):
            self.client("s3").put_bucket_notification_configuration(
                Bucket=self.stack.physical_name(logical_id),
                NotificationConfiguration={"EventBridgeConfiguration": {}},
            )

    def _create_table(self, logical_id: str) -> None:
        props = self.stack.properties(logical_id)
        name = self.stack.physical_name(logical_id)
        dynamodb = self.client("dynamodb")
        dynamodb.create_table(
            TableName=name,
            KeySchema=props["KeySchema"],
            AttributeDefinitions=props["AttributeDefinitions"],
            BillingMode=props.get("BillingMode", "PAY_PER_REQUEST"),
        )
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={
                    "AttributeName": ttl["AttributeName"],
                    "Enabled": bool(ttl.get("Enabled", True)),
                },
            )

    def _queue(self, name: str) -> tuple[str, str]:
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=name[:80])["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return url, arn

    def _create_rule(self, rule: RuleSpec) -> None:
        events = self.client("events")
        events.put_rule(
            Name=rule.logical_id, EventBusName=rule.bus, EventPattern=json.dumps(rule.pattern)
        )
        targets = []
        for target in rule.targets:
            url, arn = self._queue(f"{rule.logical_id}-{target.id}")
            targets.append({"Id": target.id[:64], "Arn": arn})
            self.stand_ins.append(StandIn(rule, target.kind, target.logical_id, url))
        events.put_targets(Rule=rule.logical_id, EventBusName=rule.bus, Targets=targets)

    def _create_observers(self) -> None:
        """Local-only listeners, for the summary and diagnostics; they route nothing."""
        events = self.client("events")
        self.observer_url, arn = self._queue(OBSERVER_RULE)
        for lid in self.stack.of_type("AWS::Events::EventBus"):
            bus = self.stack.physical_name(lid)
            events.put_rule(
                Name=OBSERVER_RULE, EventBusName=bus, EventPattern=json.dumps({"source": [SOURCE]})
            )
            events.put_targets(
                Rule=OBSERVER_RULE, EventBusName=bus, Targets=[{"Id": "observer", "Arn": arn}]
            )
        self.s3_observer_url, arn = self._queue(S3_OBSERVER_RULE)
        events.put_rule(Name=S3_OBSERVER_RULE, EventPattern=json.dumps({"source": ["aws.s3"]}))
        events.put_targets(Rule=S3_OBSERVER_RULE, Targets=[{"Id": "observer", "Arn": arn}])

    # ------------------------------------------------------------------ use
    def receive(self, queue_url: str) -> list[dict[str, Any]]:
        """Take every message now in a queue (bodies parsed), deleting them."""
        sqs = self.client("sqs")
        out: list[dict[str, Any]] = []
        while True:
            messages = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not messages:
                return out
            for message in messages:
                event = json.loads(message["Body"])
                # EventBridge always sends the account; moto leaves it out of events it
                # delivers to SQS, and the handlers parse the whole envelope.
                if isinstance(event, dict) and "detail-type" in event:
                    event.setdefault("account", self.stack.account)
                out.append(event)
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    def pending(self) -> dict[str, int]:
        """Messages still in any queue of the local AWS (rule stand-ins, observers), by queue
        name; empty once the Dispatcher and the chain have drained everything."""
        sqs = self.client("sqs")
        counts = (
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        )
        left: dict[str, int] = {}
        for url in sqs.list_queues().get("QueueUrls", []):
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(counts))
            waiting = sum(int(attributes["Attributes"].get(name, 0)) for name in counts)
            if waiting:
                left[url.rsplit("/", 1)[-1]] = waiting
        return left

    def queue_count(self) -> int:
        return len(self.client("sqs").list_queues().get("QueueUrls", []))

    def upload(self, key: str, body: bytes) -> None:
        """What Ankestyrelsen does: put the extract into the data bucket (S3 emits the event)."""
        self.client("s3").put_object(Bucket=self.data_bucket, Key=key, Body=body)

    def upload_config(self, directory: Path) -> list[str]:
        """The files of a config directory, as config/<name> in the data bucket."""
        keys = []
        for path in sorted(Path(directory).iterdir()):
            if path.is_file() and not path.name.startswith("."):
                key = f"config/{path.name}"
                self.client("s3").put_object(
                    Bucket=self.data_bucket, Key=key, Body=path.read_bytes()
                )
                keys.append(key)
        return keys

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        paginator = self.client("s3").get_paginator("list_objects_v2")
        return [
            obj["Key"]
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
            for obj in page.get("Contents", [])
        ]

    def get(self, bucket: str, key: str) -> bytes:
        return self.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()

    def download(self, bucket: str, prefix: str, target: Path, strip: str = "") -> list[Path]:
        """Copy every object under prefix into target (keys minus `strip` become paths)."""
        written = []
        for key in self.keys(bucket, prefix):
            relative = key[len(strip) :] if strip and key.startswith(strip) else key
            path = (target / relative).resolve()
            if not path.is_relative_to(target.resolve()):
                raise ValueError(f"s3://{bucket}/{key} would be written outside {target}")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(self.get(bucket, key))
            written.append(path)
        return written

"""template.yaml as an operator must be able to trust it: private encrypted buckets, TLS only,
least-privilege functions (prefix-scoped S3, one table, one bus, one sender), retries with
somewhere for failures to land, alarms on both, and cfn-lint clean.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from danmarkskort_tools.local import load_stack, load_template

REPO = Path(__file__).resolve().parents[2]
T = load_template(REPO / "template.yaml")
R = T["Resources"]
FUNCTIONS = {
    "ComputeRatesFunction": "compute_rates",
    "RenderSiteFunction": "render_site",
    "NotifyMunicipalitiesFunction": "notify_municipalities",
}
SETTINGS_ENV = (
    "DATA_BUCKET",
    "SITE_BUCKET",
    "EVENT_BUS_NAME",
    "STATE_TABLE",
    "SENDER_ADDRESS",
    "REPLY_TO_ADDRESS",
    "SITE_URL",
    "LOW_N_THRESHOLD",
    "MAX_EXTRACT_BYTES",
    "SEND_RATE",
    "DRY_RUN",
)


def statements(function: str) -> list[dict]:
    policies = R[function]["Properties"]["Policies"]
    assert all(isinstance(p, dict) and "Statement" in p for p in policies), (
        f"{function}: only inline statements (no broad SAM policy templates)"
    )
    return [s for p in policies for s in p["Statement"]]


def object_scopes(function: str, action: str, bucket: str) -> set[str]:
    """The key prefixes of `bucket` that `function` may use `action` on."""
    out = set()
    for s in statements(function):
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        if action not in actions:
            continue
        resources = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
        for r in resources:
            if isinstance(r, dict) and "Fn::Sub" in r:
                m = re.fullmatch(r"\$\{" + bucket + r"\.Arn\}/(.*)", r["Fn::Sub"])
                if m:
                    out.add(m.group(1))
    return out


def test_cfn_lint_is_clean():
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "template.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("bucket", ["DataBucket", "SiteBucket"])
def test_buckets_private_encrypted_versioned_tls_only(bucket):
    props = R[bucket]["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert props["VersioningConfiguration"]["Status"] == "Enabled"
    assert R[bucket]["DeletionPolicy"] == "Retain"
    policy = next(
        r["Properties"]["PolicyDocument"]
        for r in R.values()
        if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": bucket}
    )
    tls = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert tls and tls[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert {"Fn::GetAtt": [bucket, "Arn"]} in tls[0]["Resource"]
    assert {"Fn::Sub": f"${{{bucket}.Arn}}/*"} in tls[0]["Resource"]
    for s in policy["Statement"]:
        if s["Effect"] == "Allow":
            assert s["Principal"] != "*", "nothing is public"


def test_data_bucket_sends_eventbridge_notifications_and_keeps_the_record():
    props = R["DataBucket"]["Properties"]
    assert props["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"]
    for rule in props["LifecycleConfiguration"]["Rules"]:
        prefix = rule.get("Prefix", "")
        if prefix == "" or "extracts/".startswith(prefix) or "rejected/".startswith(prefix):
            assert "ExpirationInDays" not in rule and "ExpirationDate" not in rule, rule
            assert "NoncurrentVersionExpiration" not in rule, rule
    kept = {r["Prefix"] for r in props["LifecycleConfiguration"]["Rules"] if "Prefix" in r}
    assert {"extracts/", "rejected/"} <= kept


def test_site_is_served_only_through_cloudfront_with_oac():
    policy = R["SiteBucketPolicy"]["Properties"]["PolicyDocument"]
    allow = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert len(allow) == 1
    assert allow[0]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow[0]["Action"] == "s3:GetObject"
    assert "SiteDistribution" in str(allow[0]["Condition"]["StringEquals"]["AWS:SourceArn"])
    config = R["SiteDistribution"]["Properties"]["DistributionConfig"]
    origin = config["Origins"][0]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["Aliases"]["Fn::If"][0] == "HasCustomDomain"


def test_parameters_and_outputs():
    assert {"SenderAddress", "LowNThreshold", "SiteDomain", "CertificateArn", "AlarmEmail"} <= set(
        T["Parameters"]
    )
    assert {"DataBucketName", "SiteBucketName", "SiteUrl", "EventBusName"} <= set(T["Outputs"])


def test_every_function_gets_every_setting():
    stack = load_stack(REPO, {"SenderAddress": "a@example.dk"})
    for lid, spec in stack.functions().items():
        missing = [name for name in SETTINGS_ENV if name not in spec.environment]
        assert not missing, f"{lid} lacks {missing}"
        services = {**FUNCTIONS, "CommentPageFunction": "comment_page"}
        assert spec.environment["POWERTOOLS_SERVICE_NAME"] == services[lid]
    glob = T["Globals"]["Function"]
    assert glob["Runtime"] == "python3.13"
    assert glob["Layers"] == [{"Ref": "SharedLayer"}]
    assert R["SharedLayer"]["Metadata"]["BuildMethod"] == "python3.13"


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_no_wildcard_actions_or_unconditioned_wildcard_resources(function):
    for s in statements(function):
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        assert all("*" not in a for a in actions), s
        resources = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
        for r in resources:
            text = r if isinstance(r, str) else str(r)
            assert text != "*", s
            if "identity/*" in text:
                if any(a.startswith("ses:Send") for a in actions):
                    assert s["Condition"] == {
                        "StringEquals": {"ses:FromAddress": {"Ref": "SenderAddress"}}
                    }
                else:
                    assert actions == ["ses:GetEmailIdentity"], s


def test_each_function_reads_and_writes_only_its_prefixes():
    get = {f: object_scopes(f, "s3:GetObject", "DataBucket") for f in FUNCTIONS}
    put = {f: object_scopes(f, "s3:PutObject", "DataBucket") for f in FUNCTIONS}
    assert put["ComputeRatesFunction"] == {"extracts/*", "results/*", "rejected/*"}
    # The system of record (render alone), and the consultation rounds.
    assert put["RenderSiteFunction"] == {"record/*", "hoering/*"}
    assert put["NotifyMunicipalitiesFunction"] == {"notifications/*"}
    assert object_scopes("RenderSiteFunction", "s3:PutObject", "SiteBucket") == {"*"}
    assert object_scopes("ComputeRatesFunction", "s3:PutObject", "SiteBucket") == set()
    assert object_scopes("NotifyMunicipalitiesFunction", "s3:PutObject", "SiteBucket") == set()
    # Nobody writes where uploads trigger compute: no recursion.
    assert all(not any(p.startswith("incoming") for p in scopes) for scopes in put.values())
    assert {f for f, scopes in get.items() if "incoming/*" in scopes} == {"ComputeRatesFunction"}
    assert get["RenderSiteFunction"] == {"results/*", "config/*", "record/*", "hoering/*"}
    # The internet's one way in writes comments and their audit trail, nothing else.
    assert object_scopes("CommentPageFunction", "s3:PutObject", "DataBucket") == {
        "hoering/*/comments/*",
        "hoering/*/audit/*",
    }
    assert object_scopes("CommentPageFunction", "s3:GetObject", "DataBucket") == {
        "hoering/current.json",
        "hoering/*/round.json",
        "hoering/*/comments/*",
    }
    assert object_scopes("CommentPageFunction", "s3:PutObject", "SiteBucket") == set()
    assert get["NotifyMunicipalitiesFunction"] >= {"hoering/*/round.json", "hoering/*/figures.json"}


def test_only_notify_sends_mail_and_only_as_the_sender():
    senders = {
        f
        for f in FUNCTIONS
        for s in statements(f)
        if any(
            str(a).startswith("ses:")
            for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
        )
    }
    assert senders == {"NotifyMunicipalitiesFunction"}


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_table_and_bus_are_the_projects_own(function):
    for s in statements(function):
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        if any(a.startswith("dynamodb:") for a in actions):
            assert s["Resource"] == {"Fn::GetAtt": ["StateTable", "Arn"]}
        if "events:PutEvents" in actions:
            assert s["Resource"] == {"Fn::GetAtt": ["EventBus", "Arn"]}


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_retries_and_somewhere_for_failures(function):
    props = R[function]["Properties"]
    invoke = props["EventInvokeConfig"]
    assert invoke["MaximumRetryAttempts"] >= 1
    failures = invoke["DestinationConfig"]["OnFailure"]
    assert failures["Type"] == "SQS"
    queue = failures["Destination"]["Fn::GetAtt"][0]
    assert R[queue]["Type"] == "AWS::SQS::Queue"
    for event in props["Events"].values():  # render has two: RatesComputed, ConfigChanged
        assert event["Type"] == "EventBridgeRule"
        assert event["Properties"]["RetryPolicy"]["MaximumRetryAttempts"] > 0
        assert event["Properties"]["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [queue, "Arn"]}
    alarms = [r["Properties"] for r in R.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    errors = [
        a
        for a in alarms
        if a["MetricName"] == "Errors" and a["Dimensions"][0]["Value"] == {"Ref": function}
    ]
    depth = [
        a
        for a in alarms
        if a["Namespace"] == "AWS/SQS"
        and a["Dimensions"][0]["Value"] == {"Fn::GetAtt": [queue, "QueueName"]}
    ]
    assert errors and depth
    for alarm in errors + depth:
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_alarm_topic_has_an_email_subscription_parameter():
    sub = R["AlarmSubscription"]
    assert sub["Condition"] == "HasAlarmEmail"
    assert sub["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}


def test_notify_is_slow_and_alone():
    props = R["NotifyMunicipalitiesFunction"]["Properties"]
    assert props["Timeout"] == 900
    assert props["ReservedConcurrentExecutions"] == 1


def test_render_publishes_one_version_at_a_time():
    # versions.json is read, extended and written back: two renders at once could drop one.
    assert R["RenderSiteFunction"]["Properties"]["ReservedConcurrentExecutions"] == 1


def test_state_table():
    props = R["StateTable"]["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def requirements(path: Path) -> str:
    if not path.exists():
        return ""
    lines = path.read_text().splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("#"))


def test_pandas_only_where_it_is_needed():
    layer = requirements(REPO / "layer" / "requirements.txt")
    assert "pandas" not in layer and "numpy" not in layer
    for lid, name in FUNCTIONS.items():
        assert R[lid]["Properties"]["CodeUri"] == f"functions/{name}/"
        req = REPO / "functions" / name / "requirements.txt"
        text = requirements(req)
        assert ("pandas" in text) == (name == "compute_rates"), name


def test_the_comment_function_is_fenced_in():
    """The first thing the internet can write to: a URL that needs no AWS credentials, so
    what its role may do is all that stands between a forged request and the data."""
    props = R["CommentPageFunction"]["Properties"]
    assert props["FunctionUrlConfig"]["AuthType"] == "NONE"
    assert props["ReservedConcurrentExecutions"] <= 10
    assert props["Timeout"] <= 10
    # Settling after a round closes waits out the comment function's longest request.
    render_env = R["RenderSiteFunction"]["Properties"]["Environment"]["Variables"]
    assert int(render_env["COMMENT_SETTLE_SECONDS"]) > props["Timeout"]
    actions = {
        a
        for s in statements("CommentPageFunction")
        for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    }
    assert actions == {
        "s3:ListBucket",
        "s3:GetObject",
        "s3:PutObject",
        "dynamodb:UpdateItem",
        "secretsmanager:GetSecretValue",
    }
    for s in statements("CommentPageFunction"):
        if "dynamodb:UpdateItem" in s["Action"]:
            assert s["Condition"] == {
                "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["comment#*"]}
            }
        if "secretsmanager:GetSecretValue" in s["Action"]:
            assert s["Resource"] == {"Ref": "CommentKey"}
    invoke = R["CommentPageInvoke"]["Properties"]
    assert invoke["Action"] == "lambda:InvokeFunction" and invoke["InvokedViaFunctionUrl"] is True
    # Reached under the site's domain; nothing of it cached.
    config = R["SiteDistribution"]["Properties"]["DistributionConfig"]
    (behaviour,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/kommentar/*"]
    assert behaviour["TargetOriginId"] == "comment-pages"
    assert behaviour["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # disabled
    assert "POST" in behaviour["AllowedMethods"]
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"


def test_a_rounds_schedule_can_only_announce_its_deadline():
    role = R["ConsultationSchedulerRole"]["Properties"]
    (principal,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert principal["Principal"] == {"Service": "scheduler.amazonaws.com"}
    ((statement,),) = [p["PolicyDocument"]["Statement"] for p in role["Policies"]]
    assert statement["Action"] == "events:PutEvents"
    assert statement["Resource"] == {"Fn::GetAtt": ["EventBus", "Arn"]}
    passing = [s for s in statements("RenderSiteFunction") if s["Action"] == "iam:PassRole"]
    assert passing == [
        {
            "Sid": "PassSchedulerRole",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": {"Fn::GetAtt": ["ConsultationSchedulerRole", "Arn"]},
            "Condition": {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
        }
    ]
    key = R["CommentKey"]["Properties"]["GenerateSecretString"]
    assert key["PasswordLength"] >= 43  # 256 bits of [A-Za-z0-9]

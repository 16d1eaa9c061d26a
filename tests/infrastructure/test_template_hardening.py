"""template.yaml's hardening, checked statically (the local AWS cannot check any of it: moto
runs no CloudFront, delivers no access logs and evaluates no IAM conditions):

1. TLS 1.2 at least wherever CloudFront lets it be chosen;
2. our own security headers, and a Content-Security-Policy the published pages work under
   (checked against a freshly rendered site, path by path, with the policy CloudFront would
   send for that path);
3. access logs of the distribution and of both buckets into a private, expiring log bucket;
4. a dead-letter queue (allowed to receive from its rule, with a depth alarm) and a retry
   policy on every EventBridge rule target;
5. each function's state-table access limited to its own items (dynamodb:LeadingKeys),
   matched against the keys Powertools and the ledger really write.
"""

from __future__ import annotations

import fnmatch
import itertools
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import boto3
import pytest
from danmarkskort_tools.local import load_stack, load_template
from moto import mock_aws

REPO = Path(__file__).resolve().parents[2]
T = load_template(REPO / "template.yaml")
R = T["Resources"]
DIST = R["SiteDistribution"]["Properties"]["DistributionConfig"]
FUNCTIONS = ("ComputeRatesFunction", "RenderSiteFunction", "NotifyMunicipalitiesFunction")
STACK_NAME = "danmarkskort-prod"
SITE_URL = "https://omgoerelser.example.dk"
ONE_YEAR = 365 * 24 * 3600
MANAGED_SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _stack():
    return load_stack(REPO, {"SenderAddress": "a@example.dk"}, name=STACK_NAME)


# ------------------------------------------------------------------ 1. TLS


def test_custom_certificate_pins_tls_1_2_and_the_default_one_sets_nothing_it_would_ignore():
    condition, custom, default = DIST["ViewerCertificate"]["Fn::If"]
    assert condition == "HasCustomDomain"
    assert custom == {
        "AcmCertificateArn": {"Ref": "CertificateArn"},
        "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    # CloudFront fixes the *.cloudfront.net certificate at TLSv1 whatever is given.
    assert default == {"CloudFrontDefaultCertificate": True}
    text = (REPO / "template.yaml").read_text(encoding="utf-8")
    assert "cannot be pinned" in text, "the template says why the default is not pinned"


def test_viewers_are_sent_to_https_on_every_behaviour():
    for behaviour in [DIST["DefaultCacheBehavior"], *DIST.get("CacheBehaviors", [])]:
        assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"


# ------------------------------------------------------------------ 2. headers and CSP


def _policy_of(behaviour: dict[str, Any]) -> dict[str, Any]:
    ref = behaviour["ResponseHeadersPolicyId"]
    assert isinstance(ref, dict) and "Ref" in ref, f"not our own policy: {ref}"
    resource = R[ref["Ref"]]
    assert resource["Type"] == "AWS::CloudFront::ResponseHeadersPolicy"
    return resource["Properties"]["ResponseHeadersPolicyConfig"]


def _csp(config: dict[str, Any]) -> dict[str, list[str]]:
    text = config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    out: dict[str, list[str]] = {}
    for part in text.split(";"):
        words = part.split()
        if words:
            assert words[0] not in out, f"{words[0]} twice"
            out[words[0]] = words[1:]
    return out


SITE_POLICY = _policy_of(DIST["DefaultCacheBehavior"])
SNIPPET_BEHAVIOURS = [b for b in DIST.get("CacheBehaviors", []) if "/kort/" in b["PathPattern"]]


def _policy_for_path(path: str) -> dict[str, Any]:
    """The response headers policy CloudFront applies to a request path (first match)."""
    for behaviour in DIST.get("CacheBehaviors", []):
        pattern = "/" + behaviour["PathPattern"].lstrip("/")
        if fnmatch.fnmatchcase(path, pattern):
            return _policy_of(behaviour)
    return SITE_POLICY


def test_no_managed_headers_policy_is_left_and_snippets_have_their_own():
    assert MANAGED_SECURITY_HEADERS not in str(DIST)
    assert len(SNIPPET_BEHAVIOURS) == 1
    (snippets,) = SNIPPET_BEHAVIOURS
    assert snippets["PathPattern"] == "*/kort/*"
    default = DIST["DefaultCacheBehavior"]
    # Apart from the headers the snippets are served exactly like the rest of the site.
    for key in set(default) | set(snippets):
        if key not in {"ResponseHeadersPolicyId", "PathPattern"}:
            assert snippets.get(key) == default.get(key), key
    assert _policy_of(snippets) is not SITE_POLICY


@pytest.mark.parametrize("which", ["site", "snippets"])
def test_security_headers(which):
    config = SITE_POLICY if which == "site" else _policy_of(SNIPPET_BEHAVIOURS[0])
    sec = config["SecurityHeadersConfig"]
    assert all(header["Override"] is True for header in sec.values()), "S3 cannot weaken them"
    hsts = sec["StrictTransportSecurity"]
    assert hsts["AccessControlMaxAgeSec"] >= ONE_YEAR and hsts["IncludeSubdomains"] is True
    assert "ContentTypeOptions" in sec  # X-Content-Type-Options: nosniff
    assert sec["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"
    assert sec["XSSProtection"]["Protection"] is False  # "0": the auditor is a liability
    custom = {h["Header"]: h["Value"] for h in config["CustomHeadersConfig"]["Items"]}
    features = dict(f.strip().split("=") for f in custom["Permissions-Policy"].split(","))
    assert {"camera", "microphone", "geolocation", "payment"} <= set(features)
    assert set(features.values()) == {"()"}
    csp = _csp(config)
    assert csp["default-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'"]
    for directive in ("font-src", "connect-src", "base-uri", "form-action"):
        assert csp[directive] == ["'self'"], directive
    assert set(csp["img-src"]) <= {"'self'", "data:"}
    assert csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" in csp["style-src"] and "'self'" in csp["style-src"]
    everything = " ".join(" ".join(v) for v in csp.values())
    assert "unsafe-eval" not in everything and "nonce-" not in everything
    assert not re.search(r"https?:", everything), "nothing from other origins"


def test_pages_refuse_framing_and_inline_style_elements_and_snippets_may_be_framed():
    site = _csp(SITE_POLICY)
    assert site["frame-ancestors"] == ["'none'"]
    assert SITE_POLICY["SecurityHeadersConfig"]["FrameOptions"]["FrameOption"] == "DENY"
    assert site["style-src-elem"] == ["'self'"]
    snippets = _policy_of(SNIPPET_BEHAVIOURS[0])
    assert _csp(snippets)["frame-ancestors"] == ["*"]
    assert "FrameOptions" not in snippets["SecurityHeadersConfig"]  # XFO has no "allow all"


# --- the CSP against the pages the renderer really publishes


def _render_site():
    from danmarkskort.config.sources import layered
    from danmarkskort.domain.areas import default_mapping
    from danmarkskort.domain.remarks import load_remark_book
    from danmarkskort.render.geometry import tilegrid
    from danmarkskort.render.site import build_site
    from danmarkskort.render.style import load_style

    from tests.figures_support import make_doc

    src = layered()
    return build_site(
        make_doc(years=(2023, 2024)),
        remarks=load_remark_book(src),
        mapping=default_mapping(),
        geometry=tilegrid(),
        style=load_style(src),
        site_url=SITE_URL,
        published="2025-06-03T10:00:00+00:00",
    )


@pytest.fixture(scope="module")
def served() -> dict[str, bytes]:
    """Every published HTML/SVG file under the request path CloudFront serves it at."""
    site = _render_site()
    out = {f"/{site.prefix}{f.path}": f.body for f in site.files}
    out.update({f"/{f.path}": f.body for f in site.entry_points})
    return {p: b for p, b in out.items() if p.endswith((".html", ".svg"))}


class _Uses(HTMLParser):
    """What a document asks of the CSP: (kind, source) pairs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.uses: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for name, value in a.items():
            if name.startswith("on"):
                self.uses.append(("script-attr", "inline"))
            if value.strip().lower().startswith("javascript:"):
                self.uses.append(("script-attr", "inline"))
        if "style" in a:
            self.uses.append(("style-attr", "inline"))
        if tag == "script":
            self.uses.append(("script-elem", a.get("src", "inline")))
        elif tag == "style":
            self.uses.append(("style-elem", "inline"))
        elif tag == "link":
            rel = a.get("rel", "").lower().split()
            if "stylesheet" in rel:
                self.uses.append(("style-elem", a.get("href", "")))
            elif "icon" in rel:
                self.uses.append(("img", a.get("href", "")))
            elif "manifest" in rel or "preload" in rel or "prefetch" in rel:
                self.uses.append(("other", a.get("href", "")))
        elif tag in {"img", "image", "source", "video", "audio", "track"}:
            src = a.get("src") or a.get("href") or a.get("xlink:href", "")
            self.uses.append(("img" if tag in {"img", "image"} else "media", src))
        elif tag in {"iframe", "frame"}:
            self.uses.append(("frame", a.get("src", "")))
        elif tag in {"object", "embed"}:
            self.uses.append(("object", a.get("data") or a.get("src", "")))
        elif tag == "form":
            self.uses.append(("form", a.get("action", "")))
        elif tag == "base":
            self.uses.append(("base", a.get("href", "")))
        elif tag == "use" and not (a.get("href") or a.get("xlink:href", "")).startswith("#"):
            self.uses.append(("img", a.get("href") or a.get("xlink:href", "")))


# Where a browser looks for the sources of each kind: CSP Level 3, and Level 2 (no -elem,
# no -attr), which older browsers still in use know.
FALLBACK = {
    3: {
        "script-elem": ["script-src-elem", "script-src", "default-src"],
        "script-attr": ["script-src-attr", "script-src", "default-src"],
        "style-elem": ["style-src-elem", "style-src", "default-src"],
        "style-attr": ["style-src-attr", "style-src", "default-src"],
        "img": ["img-src", "default-src"],
        "media": ["media-src", "default-src"],
        "frame": ["frame-src", "child-src", "default-src"],
        "object": ["object-src", "default-src"],
        "other": ["default-src"],
        "form": ["form-action"],
        "base": ["base-uri"],
    },
}
FALLBACK[2] = {
    kind: [d for d in chain if not d.endswith(("-elem", "-attr"))]
    for kind, chain in FALLBACK[3].items()
}


def _allowed(csp: dict[str, list[str]], level: int, kind: str, source: str) -> bool:
    directive = next((d for d in FALLBACK[level][kind] if d in csp), None)
    if directive is None:
        return True  # form-action and base-uri do not fall back: unset means anything
    sources = csp[directive]
    if source == "inline":
        return "'unsafe-inline'" in sources
    if source.startswith("data:"):
        return "data:" in sources
    if re.match(r"^([a-z][a-z0-9+.-]*:|//)", source, re.I) and not source.startswith(SITE_URL):
        return "*" in sources or any(source.startswith(s) for s in sources if "." in s)
    return "'self'" in sources or "*" in sources


def test_every_published_page_works_under_the_csp_it_is_served_with(served):
    assert len(served) > 200
    problems = []
    for path, body in sorted(served.items()):
        csp = _csp(_policy_for_path(path))
        parser = _Uses()
        parser.feed(body.decode("utf-8"))
        for kind, source in parser.uses:
            for level in (3, 2):
                if not _allowed(csp, level, kind, source):
                    problems.append(f"{path}: {kind} {source[:40]!r} (CSP level {level})")
    assert not problems, "\n".join(problems[:20])


def test_each_relaxation_of_the_csp_is_needed_and_goes_no_further(served):
    uses = {}
    for path, body in served.items():
        parser = _Uses()
        parser.feed(body.decode("utf-8"))
        uses[path] = {kind for kind, source in parser.uses if source == "inline"}
    snippet_paths = {p for p in served if _policy_for_path(p) is not SITE_POLICY}
    # The framable policy covers the snippets and nothing else...
    assert snippet_paths == {p for p in served if re.search(r"/\d{4}/kort/[^/]+\.(svg|html)$", p)}
    # ...which need their inline <style>; no page under the site policy has one.
    assert all("style-elem" in uses[p] for p in snippet_paths)
    assert not any("style-elem" in uses[p] for p in served if p not in snippet_paths)
    # style-src 'unsafe-inline' is there for style="..." attributes the pages do carry.
    assert any("style-attr" in uses[p] for p in served if p not in snippet_paths)
    # No inline script anywhere, so script-src stays 'self'.
    assert not any(u & {"script-elem", "script-attr"} for u in uses.values())


def test_site_css_and_js_stay_within_the_csp():
    static = REPO / "layer" / "danmarkskort" / "render" / "static"
    css = (static / "site.css").read_text(encoding="utf-8")
    for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", css):
        assert url.startswith(("#", "data:")) or not re.match(r"^[a-z]+:|//", url), url
    assert "@import" not in css
    js = (static / "site.js").read_text(encoding="utf-8")
    forbidden = [r"\beval\(", r"new Function\b", r"setAttribute\(\s*['\"](style|on)", r"https?://"]
    for pattern in forbidden:
        assert not re.search(pattern, js), pattern


# ------------------------------------------------------------------ 3. access logs


def _bucket_policy(bucket: str) -> dict[str, Any]:
    return next(
        r["Properties"]["PolicyDocument"]
        for r in R.values()
        if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": bucket}
    )


def test_log_bucket_is_private_encrypted_expiring_and_tls_only():
    res = R["AccessLogBucket"]
    props = res["Properties"]
    assert res["DeletionPolicy"] == "Retain"
    block = props["PublicAccessBlockConfiguration"]
    assert len(block) == 4 and all(v is True for v in block.values())
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    # SSE-S3: CloudFront standard logs and S3 server access logs cannot be written with KMS.
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    # CloudFront standard logging writes through an ACL grant: ACLs must stay enabled.
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerPreferred"}]
    expiring = [
        r
        for r in props["LifecycleConfiguration"]["Rules"]
        if r["Status"] == "Enabled" and "Prefix" not in r and "ExpirationInDays" in r
    ]
    assert expiring and 30 <= expiring[0]["ExpirationInDays"] <= 400
    assert "LoggingConfiguration" not in props, "a log bucket must not log to itself"
    policy = _bucket_policy("AccessLogBucket")
    (deny,) = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert {"Fn::GetAtt": ["AccessLogBucket", "Arn"]} in deny["Resource"]
    assert {"Fn::Sub": "${AccessLogBucket.Arn}/*"} in deny["Resource"]


def test_distribution_and_both_buckets_log_into_it_under_their_own_prefixes():
    logging = DIST["Logging"]
    assert logging["Bucket"] == {"Fn::GetAtt": ["AccessLogBucket", "DomainName"]}
    assert logging["IncludeCookies"] is False
    prefixes = {"SiteDistribution": logging["Prefix"]}
    for bucket in ("DataBucket", "SiteBucket"):
        config = R[bucket]["Properties"]["LoggingConfiguration"]
        assert config["DestinationBucketName"] == {"Ref": "AccessLogBucket"}
        prefixes[bucket] = config["LogFilePrefix"]
    assert all(p.endswith("/") for p in prefixes.values())
    values = sorted(prefixes.values())
    assert all(not b.startswith(a) for a, b in itertools.pairwise(values)), prefixes
    # S3 server access logging may write under its prefixes, for these two buckets only.
    (allow,) = [s for s in _bucket_policy("AccessLogBucket")["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert allow["Action"] == "s3:PutObject"
    resource = allow["Resource"]["Fn::Sub"]
    assert resource.startswith("${AccessLogBucket.Arn}/")
    allowed_keys = resource.removeprefix("${AccessLogBucket.Arn}/")
    for bucket in ("DataBucket", "SiteBucket"):
        assert fnmatch.fnmatchcase(prefixes[bucket] + "2025-01-01-00-00-00-X", allowed_keys)
    assert not fnmatch.fnmatchcase(prefixes["SiteDistribution"] + "x.gz", allowed_keys)
    condition = allow["Condition"]
    assert condition["ArnLike"]["aws:SourceArn"] == [
        {"Fn::GetAtt": ["DataBucket", "Arn"]},
        {"Fn::GetAtt": ["SiteBucket", "Arn"]},
    ]
    assert condition["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


# ------------------------------------------------------------------ 4. rule targets


def _rule_targets() -> list[tuple[str, str, dict[str, Any]]]:
    """(rule logical id, target id, target settings) of every EventBridge rule target."""
    out = []
    for lid, res in R.items():
        if res["Type"] == "AWS::Serverless::Function":
            for event_id, event in res["Properties"].get("Events", {}).items():
                if event["Type"] in {"EventBridgeRule", "Schedule", "ScheduleV2"}:
                    out.append((f"{lid}{event_id}", lid, event["Properties"]))
        elif res["Type"] == "AWS::Events::Rule":
            for target in res["Properties"]["Targets"]:
                out.append((lid, target["Id"], target))
    return out


def test_every_rule_target_has_retries_and_a_dead_letter_queue():
    targets = _rule_targets()
    # compute, render (3: RatesComputed, config/, ConsultationDue), notify, alarm topic
    assert len(targets) == 6
    assert ("ExtractRejectedRule", "alarm-topic") in {(r, t) for r, t, _ in targets}
    statements = [
        s
        for res in R.values()
        if res["Type"] == "AWS::SQS::QueuePolicy"
        for s in res["Properties"]["PolicyDocument"]["Statement"]
    ]
    alarms = [r["Properties"] for r in R.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    for rule, target, settings in targets:
        assert settings["RetryPolicy"]["MaximumRetryAttempts"] > 0, (rule, target)
        arn = settings["DeadLetterConfig"]["Arn"]
        queue, attribute = arn["Fn::GetAtt"]
        assert attribute == "Arn" and R[queue]["Type"] == "AWS::SQS::Queue", (rule, target)
        assert R[queue]["Properties"]["SqsManagedSseEnabled"] is True
        policies = [
            res["Properties"]
            for res in R.values()
            if res["Type"] == "AWS::SQS::QueuePolicy"
            and {"Ref": queue} in res["Properties"]["Queues"]
        ]
        assert policies, f"{queue} has no queue policy"
        assert any(
            s["Effect"] == "Allow"
            and s["Principal"] == {"Service": "events.amazonaws.com"}
            and s["Action"] == "sqs:SendMessage"
            and s["Resource"] == arn
            and s["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule, "Arn"]}}}
            for s in statements
        ), f"EventBridge may not send {rule}'s dead letters to {queue}"
        assert any(
            a["Namespace"] == "AWS/SQS"
            and a["MetricName"] == "ApproximateNumberOfMessagesVisible"
            and a["Dimensions"]
            == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
            and a["Threshold"] == 1
            and a["AlarmActions"] == [{"Ref": "AlarmTopic"}]
            for a in alarms
        ), f"no depth alarm on {queue}"


# ------------------------------------------------------------------ 5. state-table items


def _dynamodb_statements(stack, function: str) -> list[dict[str, Any]]:
    policies = stack.properties(function)["Policies"]
    return [
        s
        for p in policies
        for s in p["Statement"]
        if any(a.startswith("dynamodb:") for a in _list(s["Action"]))
    ]


def _leading_keys(stack, function: str) -> list[str]:
    (statement,) = _dynamodb_statements(stack, function)
    condition = statement["Condition"]
    assert list(condition) == ["ForAllValues:StringLike"], condition
    assert list(condition["ForAllValues:StringLike"]) == ["dynamodb:LeadingKeys"]
    return _list(condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"])


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_dynamodb_statement_is_limited_by_leading_keys(function):
    stack = _stack()
    statements = _dynamodb_statements(stack, function)
    assert len(statements) == 1
    # Item actions only: LeadingKeys says nothing about a Scan, which names no key and so
    # would pass a ForAllValues condition vacuously.
    item_actions = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}
    item_actions |= {"dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"}
    assert set(_list(statements[0]["Action"])) <= item_actions
    patterns = _leading_keys(stack, function)
    assert patterns and all(p and p != "*" for p in patterns)
    raw = R[function]["Properties"]["FunctionName"]
    assert raw["Fn::Sub"].startswith("${AWS::StackName}-"), "the name the pattern is made from"


class _Context:
    aws_request_id = "test"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


def _powertools_key(monkeypatch, function_name: str, decorated: Any, keyword: str) -> str:
    """The partition key Powertools writes for `decorated` wrapped by once_per_extract in a
    Lambda function called `function_name` (as AWS_LAMBDA_FUNCTION_NAME says in Lambda)."""
    from danmarkskort.adapters.idempotency import once_per_extract

    for name, value in {
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_DEFAULT_REGION": "eu-north-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }.items():
        monkeypatch.setenv(name, value)

    def stand_in(**kwargs: Any) -> dict[str, Any]:  # the real one computes or renders
        return {"ok": True}

    stand_in.__module__ = decorated.__module__
    stand_in.__qualname__ = decorated.__qualname__
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(
            TableName="state",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        once_per_extract("state", _Context(), data_keyword=keyword)(stand_in)(
            **{keyword: {"extract_id": "ab" * 32}}
        )
        (item,) = client.scan(TableName="state")["Items"]
    return item["id"]["S"]


def test_leading_keys_match_the_keys_the_code_writes_and_only_those(monkeypatch):
    from danmarkskort.adapters.ledger import Ledger
    from danmarkskort.compute.job import ComputeJob
    from danmarkskort.render.job import RenderJob

    stack = _stack()
    names = {f: stack.physical_name(f) for f in FUNCTIONS}
    assert len(set(names.values())) == 3
    # What each function writes: compute and render their Powertools records (compute
    # wraps ComputeJob._process, render RenderJob._publish), notify its ledger items.
    written = {
        "ComputeRatesFunction": _powertools_key(
            monkeypatch, names["ComputeRatesFunction"], ComputeJob._process, "job"
        ),
        "RenderSiteFunction": _powertools_key(
            monkeypatch, names["RenderSiteFunction"], RenderJob._publish, "detail"
        ),
        "NotifyMunicipalitiesFunction": Ledger.key("ab" * 32, "155")["id"]["S"],
    }
    assert written["ComputeRatesFunction"].startswith(names["ComputeRatesFunction"] + ".")
    assert written["NotifyMunicipalitiesFunction"] == "notify#" + "ab" * 32 + "#155"
    for owner in FUNCTIONS:
        patterns = _leading_keys(stack, owner)
        if owner != "NotifyMunicipalitiesFunction":
            assert patterns == [names[owner] + ".*"], "derived from the function's own name"
        for writer, key in written.items():
            matches = any(fnmatch.fnmatchcase(key, p) for p in patterns)
            assert matches == (writer == owner), (owner, patterns, writer, key)

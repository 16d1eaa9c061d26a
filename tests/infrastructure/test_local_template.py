"""The local AWS's reading of CloudFormation: short tags, intrinsic functions, conditions,
SAM Globals. What it resolves wrongly, the local chain would build wrongly."""

from __future__ import annotations

from pathlib import Path

import pytest
from danmarkskort_tools.local.template import Stack, TemplateError, load_stack, load_template

REPO = Path(__file__).resolve().parents[2]

SMALL = """
Parameters:
  Name: {Type: String, Default: demo}
  Required: {Type: String}
Conditions:
  IsDemo: !Equals [!Ref Name, demo]
  NotDemo: !Not [!Condition IsDemo]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      Tags: !If [IsDemo, !Ref AWS::NoValue, [{Key: k, Value: v}]]
  Named:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${AWS::StackName}-${Name}-data"
  Queue:
    Type: AWS::SQS::Queue
  Thing:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: !Sub
        - "${Prefix}/${Bucket}/${Bucket.Arn}/${!Literal}/${AWS::Region}"
        - {Prefix: !Select [1, !Split [",", "a,b,c"]]}
      Other: !Join ["-", [!GetAtt Queue.QueueName, !GetAtt [Queue, Arn]]]
"""


@pytest.fixture
def small(tmp_path: Path) -> Stack:
    (tmp_path / "template.yaml").write_text(SMALL, encoding="utf-8")
    return load_stack(tmp_path, {"Required": "x"}, name="st", region="eu-west-1")


def test_short_tags_become_long_form(tmp_path):
    (tmp_path / "template.yaml").write_text(SMALL, encoding="utf-8")
    t = load_template(tmp_path / "template.yaml")
    assert t["Conditions"]["IsDemo"] == {"Fn::Equals": [{"Ref": "Name"}, "demo"]}
    assert t["Conditions"]["NotDemo"] == {"Fn::Not": [{"Condition": "IsDemo"}]}
    other = t["Resources"]["Thing"]["Properties"]["Other"]
    assert other["Fn::Join"][1][0] == {"Fn::GetAtt": ["Queue", "QueueName"]}
    assert other["Fn::Join"][1][1] == {"Fn::GetAtt": ["Queue", "Arn"]}


def test_intrinsics_resolve(small):
    props = small.properties("Thing")
    assert props["DisplayName"] == "b/st-bucket/arn:aws:s3:::st-bucket/${Literal}/eu-west-1"
    assert props["Other"] == "st-Queue-arn:aws:sqs:eu-west-1:123456789012:st-Queue"
    assert small.physical_name("Named") == "st-demo-data"


def test_conditions_and_no_value(small, tmp_path):
    assert small.condition("IsDemo") and not small.condition("NotDemo")
    assert "Tags" not in small.properties("Bucket")
    other = load_stack(tmp_path, {"Required": "x", "Name": "prod"})
    assert other.properties("Bucket")["Tags"] == [{"Key": "k", "Value": "v"}]


def test_parameters_are_checked(tmp_path):
    (tmp_path / "template.yaml").write_text(SMALL, encoding="utf-8")
    with pytest.raises(TemplateError, match="Required has no default"):
        load_stack(tmp_path, {})
    with pytest.raises(TemplateError, match="unknown template parameter"):
        load_stack(tmp_path, {"Required": "x", "Typo": "y"})


def test_unresolvable_things_are_named(small):
    with pytest.raises(TemplateError, match=r"Bucket\.WebsiteURL"):
        small.get_att("Bucket", "WebsiteURL")
    with pytest.raises(TemplateError, match="no resource Nope"):
        small.ref("Nope")


def test_not_a_template(tmp_path):
    (tmp_path / "template.yaml").write_text("just: text\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="not a CloudFormation template"):
        load_template(tmp_path / "template.yaml")


def test_the_real_template_site_url_follows_the_custom_domain():
    default = load_stack(REPO, {"SenderAddress": "a@example.dk"}).functions()
    custom = load_stack(
        REPO,
        {
            "SenderAddress": "a@example.dk",
            "SiteDomain": "omgoerelser.example.dk",
            "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x",
        },
    ).functions()
    for lid in default:
        assert default[lid].environment["SITE_URL"].endswith(".cloudfront.invalid")
        assert custom[lid].environment["SITE_URL"] == "https://omgoerelser.example.dk"
        assert default[lid].environment["REPLY_TO_ADDRESS"] == "a@example.dk"


def test_the_real_templates_rules():
    stack = load_stack(REPO, {"SenderAddress": "a@example.dk"})
    buses = {r.logical_id: r.bus for r in stack.rules()}
    assert buses == {
        "ComputeRatesFunctionExtractUploaded": "default",
        "RenderSiteFunctionRatesComputed": stack.physical_name("EventBus"),
        "RenderSiteFunctionConfigChanged": "default",
        "RenderSiteFunctionConsultationDue": stack.physical_name("EventBus"),
        "NotifyMunicipalitiesFunctionSitePublished": stack.physical_name("EventBus"),
        "ExtractRejectedRule": stack.physical_name("EventBus"),
    }
    functions = stack.functions()
    assert functions["NotifyMunicipalitiesFunction"].timeout == 900
    assert functions["ComputeRatesFunction"].code_dir == REPO / "functions" / "compute_rates"

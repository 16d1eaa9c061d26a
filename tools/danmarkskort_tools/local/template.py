"""template.yaml as the local AWS reads it: CloudFormation YAML with its short tags, and just
enough of CloudFormation's resolution (Ref, GetAtt, Sub, If, conditions, SAM Globals) to know
the names, properties, rules and function settings the deployed stack would have.

Reading the real template (rather than a second, hand-written list of resources) is the point:
a rule pattern or environment variable that is wrong in template.yaml is wrong locally too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

NO_VALUE = object()


class TemplateError(ValueError):
    """template.yaml cannot be read or uses something the local AWS cannot resolve."""


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns `!Ref x` into `{"Ref": "x"}`, `!Sub s` into `{"Fn::Sub": s}`..."""


def _construct(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        logical, _, attribute = value.partition(".")
        value = [logical, attribute]
    return {f"Fn::{tag_suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct)


def load_template(path: Path) -> dict[str, Any]:
    try:
        document = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError(f"cannot read {path}: {exc}") from exc
    if not isinstance(document, dict) or "Resources" not in document:
        raise TemplateError(f"{path} is not a CloudFormation template (no Resources)")
    return document


@dataclass(frozen=True)
class RuleTarget:
    """Where a rule delivers: a function of the template, or another kind of target."""

    id: str
    kind: str  # "function" | "topic" | "other"
    logical_id: str


@dataclass(frozen=True)
class RuleSpec:
    logical_id: str
    bus: str  # physical bus name; "default" for the account's default bus
    pattern: dict[str, Any]
    targets: tuple[RuleTarget, ...]


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    code_dir: Path
    module: str
    attribute: str
    environment: dict[str, str]
    timeout: int
    memory: int
    max_retries: int


@dataclass
class Stack:
    """The template resolved for one (local) stack: names, parameters, conditions."""

    template: dict[str, Any]
    root: Path
    name: str = "danmarkskort-local"
    region: str = "eu-north-1"
    account: str = "123456789012"
    parameters: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        declared = self.template.get("Parameters", {})
        unknown = set(self.parameters) - set(declared)
        if unknown:
            raise TemplateError(f"unknown template parameter(s): {', '.join(sorted(unknown))}")
        values: dict[str, str] = {}
        for pname, spec in declared.items():
            if pname in self.parameters:
                values[pname] = str(self.parameters[pname])
            elif "Default" in spec:
                values[pname] = str(spec["Default"])
            else:
                raise TemplateError(f"template parameter {pname} has no default; give a value")
        self.values = values
        self._conditions: dict[str, bool] = {}

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template["Resources"]

    # ------------------------------------------------------------------ resolution
    def resource(self, logical_id: str) -> dict[str, Any]:
        try:
            return self.resources[logical_id]
        except KeyError:
            raise TemplateError(f"template.yaml has no resource {logical_id}") from None

    def physical_name(self, logical_id: str) -> str:
        """The name CloudFormation would give (explicit name property, else a stack name)."""
        res = self.resource(logical_id)
        props = res.get("Properties", {})
        kind = res["Type"]
        explicit = {
            "AWS::S3::Bucket": "BucketName",
            "AWS::Events::EventBus": "Name",
            "AWS::DynamoDB::Table": "TableName",
            "AWS::SQS::Queue": "QueueName",
            "AWS::Serverless::Function": "FunctionName",
            "AWS::SNS::Topic": "TopicName",
            "AWS::Scheduler::ScheduleGroup": "Name",
            "AWS::SecretsManager::Secret": "Name",
            "AWS::IAM::Role": "RoleName",
        }.get(kind)
        if explicit and explicit in props:
            return str(self.resolve(props[explicit]))
        generated = f"{self.name}-{logical_id}"
        return generated.lower() if kind == "AWS::S3::Bucket" else generated

    def arn(self, logical_id: str) -> str:
        kind = self.resource(logical_id)["Type"]
        name = self.physical_name(logical_id)
        r, a = self.region, self.account
        arns = {
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
            "AWS::Events::EventBus": f"arn:aws:events:{r}:{a}:event-bus/{name}",
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{r}:{a}:table/{name}",
            "AWS::SQS::Queue": f"arn:aws:sqs:{r}:{a}:{name}",
            "AWS::SNS::Topic": f"arn:aws:sns:{r}:{a}:{name}",
            "AWS::Serverless::Function": f"arn:aws:lambda:{r}:{a}:function:{name}",
            "AWS::Events::Rule": f"arn:aws:events:{r}:{a}:rule/{name}",
            "AWS::IAM::Role": f"arn:aws:iam::{a}:role/{name}",
            "AWS::Scheduler::ScheduleGroup": f"arn:aws:scheduler:{r}:{a}:schedule-group/{name}",
        }
        if kind not in arns:
            raise TemplateError(f"the local AWS cannot give the Arn of {logical_id} ({kind})")
        return arns[kind]

    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::StackName": self.name,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.values:
            return self.values[name]
        kind = self.resource(name)["Type"]
        if kind in {"AWS::SNS::Topic"}:
            return self.arn(name)
        if kind == "AWS::SecretsManager::Secret":
            # Its ARN in AWS (with a random suffix); locally the name, which the same
            # APIs accept as SecretId.
            return self.physical_name(name)
        if kind == "AWS::SQS::Queue":
            return (
                f"https://sqs.{self.region}.amazonaws.com/{self.account}/{self.physical_name(name)}"
            )
        if kind == "AWS::CloudFront::Distribution":
            return "ELOCALDISTRIBUTION"
        return self.physical_name(name)

    def get_att(self, logical_id: str, attribute: str) -> Any:
        kind = self.resource(logical_id)["Type"]
        if attribute == "Arn":
            return self.arn(logical_id)
        if kind == "AWS::SQS::Queue" and attribute == "QueueName":
            return self.physical_name(logical_id)
        if kind == "AWS::CloudFront::Distribution" and attribute == "DomainName":
            return "local.cloudfront.invalid"
        if kind == "AWS::S3::Bucket" and attribute in {"DomainName", "RegionalDomainName"}:
            return f"{self.physical_name(logical_id)}.s3.{self.region}.amazonaws.com"
        raise TemplateError(f"the local AWS cannot resolve {logical_id}.{attribute}")

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            try:
                spec = self.template["Conditions"][name]
            except KeyError:
                raise TemplateError(f"template.yaml has no condition {name}") from None
            self._conditions[name] = bool(self.resolve(spec))
        return self._conditions[name]

    def _sub(self, text: str, variables: dict[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            expr = match.group(1)
            if expr.startswith("!"):
                return "${" + expr[1:] + "}"
            if expr in variables:
                return str(self.resolve(variables[expr]))
            if "." in expr and not expr.startswith("AWS::"):
                logical, _, attribute = expr.partition(".")
                return str(self.get_att(logical, attribute))
            return str(self.ref(expr))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def resolve(self, value: Any) -> Any:
        """Resolve intrinsic functions in value; NO_VALUE entries are dropped."""
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical, attribute)
            if key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                return self._sub(text, variables)
            if key == "Fn::If":
                name, when_true, when_false = arg
                return self.resolve(when_true if self.condition(name) else when_false)
            if key == "Fn::Equals":
                left, right = (self.resolve(v) for v in arg)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::And":
                return all(self.resolve(v) for v in arg)
            if key == "Fn::Or":
                return any(self.resolve(v) for v in arg)
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::Join":
                sep, parts = arg
                return sep.join(str(p) for p in self.resolve(parts))
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                sep, text = arg
                return str(self.resolve(text)).split(sep)
            if key.startswith("Fn::"):
                raise TemplateError(f"the local AWS does not resolve {key}")
        out = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not NO_VALUE}

    # ------------------------------------------------------------------ views
    def of_type(self, kind: str) -> list[str]:
        return [lid for lid, res in self.resources.items() if res.get("Type") == kind]

    def properties(self, logical_id: str) -> dict[str, Any]:
        return self.resolve(self.resource(logical_id).get("Properties", {}))

    def functions(self) -> dict[str, FunctionSpec]:
        glob = self.template.get("Globals", {}).get("Function", {})
        out: dict[str, FunctionSpec] = {}
        for lid in self.of_type("AWS::Serverless::Function"):
            raw = self.resource(lid).get("Properties", {})
            env = {
                **glob.get("Environment", {}).get("Variables", {}),
                **raw.get("Environment", {}).get("Variables", {}),
            }
            handler = str(raw.get("Handler", glob.get("Handler", "")))
            module, _, attribute = handler.rpartition(".")
            if not module:
                raise TemplateError(f"{lid}: Handler {handler!r} is not module.function")
            code_dir = (self.root / str(raw["CodeUri"])).resolve()
            retries = raw.get("EventInvokeConfig", {}).get("MaximumRetryAttempts", 2)
            out[lid] = FunctionSpec(
                logical_id=lid,
                name=self.physical_name(lid),
                code_dir=code_dir,
                module=module,
                attribute=attribute,
                environment={k: str(v) for k, v in self.resolve(env).items()},
                timeout=int(raw.get("Timeout", glob.get("Timeout", 3))),
                memory=int(raw.get("MemorySize", glob.get("MemorySize", 128))),
                max_retries=int(retries),
            )
        return out

    def _target_of(self, arn_expr: Any) -> tuple[str, str]:
        """(kind, logical id) of a rule target given as !Ref X or !GetAtt X.Arn."""
        logical = None
        if isinstance(arn_expr, dict) and "Ref" in arn_expr:
            logical = arn_expr["Ref"]
        elif isinstance(arn_expr, dict) and "Fn::GetAtt" in arn_expr:
            arg = arn_expr["Fn::GetAtt"]
            logical = arg[0] if isinstance(arg, list) else arg.split(".")[0]
        if logical is None or logical not in self.resources:
            return "other", str(arn_expr)
        kind = self.resources[logical]["Type"]
        if kind in {"AWS::Serverless::Function", "AWS::Lambda::Function"}:
            return "function", logical
        if kind == "AWS::SNS::Topic":
            return "topic", logical
        return "other", logical

    def rules(self) -> list[RuleSpec]:
        """Every EventBridge rule: SAM EventBridgeRule events and plain AWS::Events::Rule."""
        rules: list[RuleSpec] = []
        for lid in self.of_type("AWS::Serverless::Function"):
            events = self.resource(lid).get("Properties", {}).get("Events", {})
            for event_id, event in events.items():
                if event.get("Type") != "EventBridgeRule":
                    continue
                props = event.get("Properties", {})
                rules.append(
                    RuleSpec(
                        logical_id=f"{lid}{event_id}",  # the id SAM gives the generated rule
                        bus=str(self.resolve(props.get("EventBusName", "default"))),
                        pattern=self.resolve(props["Pattern"]),
                        targets=(RuleTarget(id=lid, kind="function", logical_id=lid),),
                    )
                )
        for lid in self.of_type("AWS::Events::Rule"):
            raw = self.resource(lid).get("Properties", {})
            if "EventPattern" not in raw:
                continue  # scheduled rules have nothing to route locally
            targets = []
            for target in raw.get("Targets", []):
                kind, logical = self._target_of(target.get("Arn"))
                targets.append(RuleTarget(id=str(target.get("Id")), kind=kind, logical_id=logical))
            rules.append(
                RuleSpec(
                    logical_id=lid,
                    bus=str(self.resolve(raw.get("EventBusName", "default"))),
                    pattern=self.resolve(raw["EventPattern"]),
                    targets=tuple(targets),
                )
            )
        return rules


def load_stack(root: Path, parameters: dict[str, str] | None = None, **kwargs: Any) -> Stack:
    """The stack of root/template.yaml with the given parameter values."""
    return Stack(
        template=load_template(Path(root) / "template.yaml"),
        root=Path(root),
        parameters=dict(parameters or {}),
        **kwargs,
    )

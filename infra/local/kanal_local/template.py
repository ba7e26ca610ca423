"""Reading `template.yaml` and turning it into plain CloudFormation with the SAM transform.

The local stack never keeps a second copy of names or wiring: everything comes from the template.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "template.yaml"
LOCAL_CODE_BUCKET = "kanal-local-code"


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that understands CloudFormation's short-form intrinsic functions."""


def _intrinsic(tag: str):  # type: ignore[no-untyped-def]
    name = "Ref" if tag == "Ref" else f"Fn::{tag}"

    def construct(loader: yaml.Loader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {name: value}

    return construct


for _tag in (
    "Ref",
    "GetAtt",
    "Sub",
    "Join",
    "Select",
    "Split",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "FindInMap",
    "GetAZs",
    "ImportValue",
    "Base64",
    "Cidr",
    "Condition",
):
    _CfnLoader.add_constructor(f"!{_tag}", _intrinsic(_tag))


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass


@dataclass
class FunctionSource:
    """Where a function's code lives on disk, from its CodeUri and Handler."""

    logical_id: str
    code_dir: Path
    handler: str
    api_events: list[tuple[str, str, bool]] = field(default_factory=list)  # (method, path, needs auth)


@dataclass
class PreparedTemplate:
    sam: dict[str, Any]  # the SAM template with local paths replaced, ready for the transform
    functions: dict[str, FunctionSource]


def prepare(template: dict[str, Any], root: Path = ROOT) -> PreparedTemplate:
    """Replace local code paths with S3 locations and inline state machine definitions.

    This is what `sam build`/`sam package` do before CloudFormation sees the template.
    """
    sam = copy.deepcopy(template)
    globals_fn = sam.get("Globals", {}).get("Function", {})
    functions: dict[str, FunctionSource] = {}
    for logical_id, resource in sam.get("Resources", {}).items():
        props = resource.setdefault("Properties", {})
        kind = resource.get("Type")
        if kind == "AWS::Serverless::Function":
            code_uri = props.get("CodeUri", globals_fn.get("CodeUri"))
            handler = props.get("Handler", globals_fn.get("Handler"))
            functions[logical_id] = FunctionSource(
                logical_id, (root / code_uri).resolve(), handler, _api_events(props, sam["Resources"])
            )
            props["CodeUri"] = f"s3://{LOCAL_CODE_BUCKET}/{logical_id}.zip"
        elif kind == "AWS::Serverless::LayerVersion":
            props["ContentUri"] = f"s3://{LOCAL_CODE_BUCKET}/{logical_id}.zip"
        elif kind == "AWS::Serverless::StateMachine" and "DefinitionUri" in props:
            definition_path = root / props.pop("DefinitionUri")
            props["Definition"] = json.loads(definition_path.read_text(encoding="utf-8"))
    return PreparedTemplate(sam, functions)


def _api_events(props: dict[str, Any], resources: dict[str, Any]) -> list[tuple[str, str, bool]]:
    events = []
    for event in (props.get("Events") or {}).values():
        if event.get("Type") not in ("Api", "HttpApi"):
            continue
        event_props = event["Properties"]
        api = resources.get(
            (event_props.get("RestApiId") or event_props.get("ApiId") or {}).get("Ref", ""), {}
        )
        default = api.get("Properties", {}).get("Auth", {}).get("DefaultAuthorizer")
        authorizer = event_props.get("Auth", {}).get("Authorizer", default)
        events.append((event_props["Method"].upper(), event_props["Path"], authorizer not in (None, "NONE")))
    return events


# The one rule of the template the local stack widens (docs/local.md): the channels' base URLs are https in
# AWS, and the local stack's channel sandbox is plain http on loopback. Every other value is checked as
# the template says.
LOCAL_ALLOWED_PATTERNS = {
    "GraphBaseUrl": r"http://127\.0\.0\.1:[0-9]+/sandbox/graph/v[0-9.]+",
    "XBaseUrl": r"http://127\.0\.0\.1:[0-9]+/sandbox/x",
}


class ParameterError(ValueError):
    """A parameter value the template's constraints refuse, as CloudFormation would refuse it."""


def check_parameters(
    declared: dict[str, Any],
    values: dict[str, str],
    local_patterns: dict[str, str] | None = None,
) -> None:
    """Check each declared parameter's value (given, else its default) against the template's
    AllowedPattern (the whole value), AllowedValues, MinValue and MaxValue, as CloudFormation does before a
    deploy (the emulator's CloudFormation checks none of them). A value matching `local_patterns` for its
    parameter passes too (LOCAL_ALLOWED_PATTERNS on the local stack)."""
    for name, spec in declared.items():
        value = values.get(name, spec.get("Default"))
        if value is None:
            raise ParameterError(f"Parameter {name} needs a value")
        text = str(value)
        local = (local_patterns or {}).get(name)
        if local is not None and re.fullmatch(local, text):
            continue
        pattern = spec.get("AllowedPattern")
        if pattern is not None and not re.fullmatch(pattern, text):
            raise ParameterError(f"Parameter {name} must match pattern {pattern}")
        allowed = spec.get("AllowedValues")
        if allowed is not None and text not in {str(v) for v in allowed}:
            raise ParameterError(f"Parameter {name} must be one of {allowed}")
        if spec.get("Type") == "Number":
            try:
                number = float(text)
            except ValueError:
                raise ParameterError(f"Parameter {name} must be a number") from None
            if "MinValue" in spec and number < float(spec["MinValue"]):
                raise ParameterError(f"Parameter {name} must be at least {spec['MinValue']}")
            if "MaxValue" in spec and number > float(spec["MaxValue"]):
                raise ParameterError(f"Parameter {name} must be at most {spec['MaxValue']}")


def transform(
    sam: dict[str, Any], parameters: dict[str, Any], region: str, iam_client: Any
) -> dict[str, Any]:
    """Run the SAM transform (aws-sam-translator) as CloudFormation would, managed policies from IAM."""
    import os

    from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
    from samtranslator.translator.transform import transform as sam_transform

    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    os.environ.setdefault("AWS_REGION", region)
    return sam_transform(copy.deepcopy(sam), parameters, ManagedPolicyLoader(iam_client))

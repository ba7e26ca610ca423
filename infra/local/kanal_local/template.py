"""Reading `template.yaml` and turning it into plain CloudFormation with the SAM transform.

The local stack never keeps a second copy of names or wiring: everything comes from the template.
"""

from __future__ import annotations

import copy
import json
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

"""The embedded stack: `template.yaml` deployed into an in-process AWS emulator, handlers run in-process.

What the emulator cannot do, and what stands in for it, is listed in one place: docs/local.md. Any
resource type moto's CloudFormation lacks is left out of the emulated deploy and listed by
`LocalStack.unsupported`; references to it resolve to `local-<LogicalId>`.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws
from moto.cloudformation.parsing import NULL_MODELS, get_model_map

from kanal_local import iam
from kanal_local.auth import LocalSignIn
from kanal_local.emulator import needs, speedups
from kanal_local.notifications import NotificationLog
from kanal_local.pollers import SqsPoller
from kanal_local.runtime import Dispatcher, LocalFunction
from kanal_local.template import (
    LOCAL_ALLOWED_PATTERNS,
    LOCAL_CODE_BUCKET,
    ROOT,
    PreparedTemplate,
    check_parameters,
    load_template,
    prepare,
    transform,
)

log = logging.getLogger("kanal.local")

REGION = "eu-central-1"
STACK_NAME = "kanal-local"

# Parameters the local stack passes to the template: fast retries so a failing record reaches the
# dead-letter queue in seconds, a rules change that applies within seconds, real time (`kanal local
# --time-scale N` passes TimeScale), and an SMS number from the range Ofcom reserves for fiction.
LOCAL_PARAMETERS = {
    "Stage": "local",
    "LogLevel": "WARNING",  # a newcomer reads what Kanal does, not every handler's log line
    "IngestVisibilityTimeout": "10",
    "IngestMaxReceiveCount": "3",
    "RulesCacheSeconds": "5",
    "TimeScale": "1",
    "SmsOriginationNumber": "+447700900100",
    "MailFromAddress": "service@kanal.local",  # a handover's e-mail (kanal.local is a verified SES domain)
    # Kanal's own Meta app (the app id of the sample echoes) and a bot app that answers Messenger and
    # Instagram first, so handovers between them can be played through the channel sandbox
    "MetaAppId": "1517776481860111",
    "MetaBotAppId": "784512309876543",
}

LOCAL_ENVIRONMENT = {
    "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here
    "POWERTOOLS_METRICS_DISABLED": "true",  # no CloudWatch to read EMF lines
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


# API Gateway is served by the local gateway as a whole, from the functions' Api events.
SERVED_LOCALLY = ("AWS::ApiGateway::", "AWS::ApiGatewayV2::")


def _strip_unsupported(cfn: dict[str, Any]) -> dict[str, str]:
    supported = set(get_model_map()) | set(NULL_MODELS)
    removed = {
        logical_id: resource["Type"]
        for logical_id, resource in cfn["Resources"].items()
        if (resource["Type"] not in supported and not resource["Type"].startswith("Custom::"))
        or resource["Type"].startswith(SERVED_LOCALLY)
    }
    for logical_id in removed:
        del cfn["Resources"][logical_id]

    def replace(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {"Ref"} and node["Ref"] in removed:
                return f"local-{node['Ref']}"
            if set(node) == {"Fn::GetAtt"} and node["Fn::GetAtt"][0] in removed:
                return f"local-{node['Fn::GetAtt'][0]}-{node['Fn::GetAtt'][1]}"
            if "DependsOn" in node:
                depends = node["DependsOn"] if isinstance(node["DependsOn"], list) else [node["DependsOn"]]
                node["DependsOn"] = [d for d in depends if d not in removed]
            return {key: replace(value) for key, value in node.items()}
        if isinstance(node, list):
            return [replace(value) for value in node]
        if isinstance(node, str) and "${" in node:
            return re.sub(r"\$\{(\w+)(?:\.(\w+))?\}", lambda m: _sub_removed(m, removed), node)
        return node

    cfn.update(replace({k: v for k, v in cfn.items() if k != "Transform"}))
    return removed


def _holds(condition: str | None, cfn: dict[str, Any], parameters: dict[str, Any]) -> bool:
    """Whether a resource's Condition holds for these parameters (the Not/Equals/Ref forms the template
    uses): the local stack creates the SNS subscriptions itself, so it leaves out those CloudFormation
    would (the ops alerts e-mail when OpsAlertEmail is empty)."""
    if condition is None:
        return True
    declared = cfn.get("Parameters", {})

    def value(node: Any) -> Any:
        if isinstance(node, dict) and set(node) == {"Ref"}:
            name = node["Ref"]
            return str(parameters.get(name, declared.get(name, {}).get("Default", "")))
        if isinstance(node, dict) and set(node) == {"Fn::Equals"}:
            left, right = (value(side) for side in node["Fn::Equals"])
            return left == right
        if isinstance(node, dict) and set(node) == {"Fn::Not"}:
            return not value(node["Fn::Not"][0])
        if isinstance(node, dict) and set(node) == {"Condition"}:
            return value(cfn["Conditions"][node["Condition"]])
        if isinstance(node, dict):
            raise RuntimeError(f"the local stack cannot evaluate the condition {node}")
        return str(node)

    return bool(value(cfn["Conditions"][condition]))


def _aliases_to_functions(cfn: dict[str, Any]) -> dict[str, Any]:
    """moto's CloudFormation has no `AWS::Lambda::Alias` (the template's `AutoPublishAlias: live`): a
    reference to an alias becomes one to its function, so event sources and permissions name the function
    (the local stack runs one version of each, in-process; an alias's provisioned concurrency, an AWS
    billing setting, has nothing to stand for locally). The aliases themselves are then left out as
    unsupported, like any other type moto lacks."""
    aliases = {
        logical_id: resource["Properties"]["FunctionName"]
        for logical_id, resource in cfn["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Alias"
    }

    def replace(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {"Ref"} and node["Ref"] in aliases:
                return aliases[node["Ref"]]
            return {key: replace(value) for key, value in node.items()}
        if isinstance(node, list):
            return [replace(value) for value in node]
        return node

    cfn["Resources"] = {
        logical_id: resource if logical_id in aliases else replace(resource)
        for logical_id, resource in cfn["Resources"].items()
    }
    return aliases


def _sub_removed(match: re.Match[str], removed: dict[str, str]) -> str:
    if match.group(1) in removed:
        return f"local-{match.group(1)}" + (f"-{match.group(2)}" if match.group(2) else "")
    return match.group(0)


def _empty_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README", "code runs in-process on the local stack")
    return buffer.getvalue()


@dataclass
class LocalStack:
    """Start with `start()`; everything the template declares then exists in the emulator."""

    parameters: dict[str, str] = field(default_factory=dict)
    template: dict[str, Any] | None = None
    root: Path = ROOT
    poll: bool = True
    aws_port: int | None = None  # serve the emulator's AWS endpoint here (for `kanal dlq` and inspection)
    emulator_speedups: bool = field(default_factory=speedups.wanted)  # off: KANAL_EMULATOR_SPEEDUPS=off
    dispatcher: Dispatcher = field(default_factory=Dispatcher)
    unsupported: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    resources: dict[str, str] = field(default_factory=dict)  # logical id -> physical id
    environment: dict[str, str] = field(default_factory=dict)
    pollers: list[SqsPoller] = field(default_factory=list)
    notifications: NotificationLog = field(default_factory=NotificationLog)  # SNS e-mail and SMS
    prepared: PreparedTemplate | None = None
    sign_in: LocalSignIn | None = None  # agents' tokens from the emulator's Cognito (kanal_local/auth.py)
    _mock: Any = None
    _endpoint: Any = None
    _saved_environ: dict[str, str | None] = field(default_factory=dict)
    _clients: dict[str, Any] = field(default_factory=dict)
    _clients_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def region(self) -> str:
        return REGION

    @property
    def account(self) -> str:
        return iam.ACCOUNT

    @property
    def time_scale(self) -> float:
        """How many times shorter every SLA, warning and escalation delay is (the TimeScale parameter)."""
        return float({**LOCAL_PARAMETERS, **self.parameters}["TimeScale"])

    def client(self, service: str) -> Any:
        """One client per service for the stack's own calls (creating one costs milliseconds; a client is
        thread-safe)."""
        with self._clients_lock:
            if service not in self._clients:
                self._clients[service] = boto3.client(service, region_name=REGION)
            return self._clients[service]

    def start(self) -> LocalStack:
        self._set_environ(LOCAL_ENVIRONMENT)
        self._mock = mock_aws(
            config={
                "stepfunctions": {"execute_state_machine": True},
                "iam": {"load_aws_managed_policies": True},
            }
        )
        self._mock.start()
        needs.install(self.dispatcher.invoke, self.notifications.record, self.dispatcher.foreground.wait_turn)
        if self.emulator_speedups:
            speedups.install()
        try:
            if self.aws_port is not None:
                self._endpoint = needs.Endpoint(ip_address="127.0.0.1", port=self.aws_port, verbose=False)
                self._endpoint.start()
            self._deploy()
        except Exception:
            self.stop()
            raise
        return self

    def _set_environ(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved_environ.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def _deploy(self) -> None:
        self.prepared = prepare(self.template or load_template(), self.root)
        s3 = self.client("s3")
        s3.create_bucket(Bucket=LOCAL_CODE_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        cfn = transform(self.prepared.sam, self.parameters, REGION, self.client("iam"))
        for logical_id, resource in cfn["Resources"].items():
            if resource["Type"] in ("AWS::Lambda::Function", "AWS::Lambda::LayerVersion"):
                s3.put_object(Bucket=LOCAL_CODE_BUCKET, Key=f"{logical_id}.zip", Body=_empty_zip())
        needs.inline_definition_substitutions(cfn)
        removed_subscriptions = {
            logical_id: resource["Properties"]
            for logical_id, resource in cfn["Resources"].items()
            if resource["Type"] == "AWS::SNS::Subscription"
            and _holds(resource.get("Condition"), cfn, {**LOCAL_PARAMETERS, **self.parameters})
        }
        _aliases_to_functions(cfn)
        self.unsupported = _strip_unsupported(cfn)
        cloudformation = self.client("cloudformation")
        parameters = {**LOCAL_PARAMETERS, **self.parameters}
        declared = cfn.get("Parameters", {})
        check_parameters(declared, parameters, LOCAL_ALLOWED_PATTERNS)
        cloudformation.create_stack(
            StackName=STACK_NAME,
            TemplateBody=json.dumps(cfn),
            Parameters=[
                {"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items() if k in declared
            ],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
        stack = cloudformation.describe_stacks(StackName=STACK_NAME)["Stacks"][0]
        if stack["StackStatus"] != "CREATE_COMPLETE":
            raise RuntimeError(
                f"local deploy ended in {stack['StackStatus']}: {stack.get('StackStatusReason')}"
            )
        self.outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        paginator = cloudformation.get_paginator("list_stack_resources")
        for page in paginator.paginate(StackName=STACK_NAME):
            for resource in page["StackResourceSummaries"]:
                self.resources[resource["LogicalResourceId"]] = resource["PhysicalResourceId"]
        needs.mirror_state_machines(iam.ACCOUNT, REGION)
        needs.key_policies_as_text(iam.ACCOUNT, REGION)
        self._register_functions()
        self._subscribe(removed_subscriptions)
        self.sign_in = LocalSignIn(self.client("cognito-idp"), self.resources["UserPool"], REGION)
        if self.poll:
            self.start_pollers()

    def _register_functions(self) -> None:
        assert self.prepared is not None
        lam, iam_client = self.client("lambda"), self.client("iam")
        for logical_id, source in self.prepared.functions.items():
            config = lam.get_function_configuration(FunctionName=self.resources[logical_id])
            for key, raw in config.get("Environment", {}).get("Variables", {}).items():
                value = str(raw)
                if self.environment.get(key, value) != value:
                    raise RuntimeError(
                        f"{logical_id} sets {key} differently from another function; the local stack runs "
                        "all functions in one process, so give them one value (e.g. in Globals)"
                    )
                self.environment[key] = value
            self.dispatcher.register(
                LocalFunction(
                    name=config["FunctionName"],
                    logical_id=logical_id,
                    arn=config["FunctionArn"],
                    code_dir=source.code_dir,
                    handler=source.handler,
                    role=iam.load_role(iam_client, config["Role"]),
                    timeout=float(config.get("Timeout", 3)),
                    memory=int(config.get("MemorySize", 128)),
                )
            )
        self._set_environ(self.environment)

    def _resolve(self, value: Any) -> str:
        """A Ref or GetAtt of a deployed resource (what a stripped resource pointed at)."""
        if isinstance(value, dict) and "Ref" in value:
            return self.resources[value["Ref"]]
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            logical_id, attribute = value["Fn::GetAtt"]
            if attribute == "Arn" and logical_id in self.dispatcher.by_logical_id:
                return self.dispatcher.by_logical_id[logical_id].arn
            raise RuntimeError(f"cannot resolve {logical_id}.{attribute} locally")
        return str(value)

    def _subscribe(self, subscriptions: dict[str, dict[str, Any]]) -> None:
        """Create the template's SNS subscriptions through the SNS API (moto's CloudFormation lacks them)."""
        sns = self.client("sns")
        for properties in subscriptions.values():
            sns.subscribe(
                TopicArn=self._resolve(properties["TopicArn"]),
                Protocol=properties["Protocol"],
                Endpoint=self._resolve(properties["Endpoint"]),
            )

    def start_pollers(self) -> None:
        for mapping in needs.detach_sqs_mappings(iam.ACCOUNT, REGION):
            poller = SqsPoller(self.dispatcher, mapping, REGION)
            poller.start()
            self.pollers.append(poller)

    def physical(self, logical_id: str) -> str:
        return self.resources[logical_id]

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stop()
        for poller in self.pollers:
            poller.join(timeout=5)
        self.pollers.clear()
        if self._endpoint is not None:
            self._endpoint.stop()
            self._endpoint = None
        speedups.uninstall()
        needs.uninstall()
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
        self._clients.clear()
        for key, value in self._saved_environ.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_environ.clear()

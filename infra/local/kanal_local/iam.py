"""Least-privilege checks for the local stack.

Every AWS call a handler makes is checked against the policies of that function's own role, as deployed
from `template.yaml` into the emulator's IAM: the action (``service:Operation``) and the resource ARN the
call touches. A permission missing from the template fails locally with AccessDenied, as in AWS.

What is checked: identity-based Allow/Deny statements (inline and managed), Action/NotAction, Resource
with wildcards, for the services and operations in ``_RESOURCES`` (DynamoDB tables and indexes, SQS
queues, SNS topics and subscriptions, Step Functions state machines and executions, S3 buckets and objects,
Secrets Manager secrets by their full ARN, SSM parameters, Lambda functions, SES sending identities,
Cognito user pools).
Operations without resource-level permissions in AWS (e.g. ``states:SendTaskSuccess``,
``comprehend:DetectSentiment``) are checked against ``*``. A publish to a topic encrypted with a KMS key
also needs ``kms:GenerateDataKey`` and ``kms:Decrypt`` on that key, as in AWS (SNS makes and reads the
message's data key as the caller).
What is not: conditions other than the emulator's own, resource policies, SCPs and permission boundaries.
"""

from __future__ import annotations

import ast
import contextvars
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from botocore.exceptions import ClientError
from moto.iam.access_control import IAMPolicy, PermissionResult

ACCOUNT = "123456789012"


@dataclass(frozen=True)
class RolePolicies:
    role_arn: str
    documents: tuple[str, ...]  # JSON policy documents

    def decide(self, action: str, resource: str) -> bool:
        allowed = False
        for document in self.documents:
            result = IAMPolicy(document).is_action_permitted(action, resource)
            if result == PermissionResult.DENIED:
                return False
            allowed = allowed or result == PermissionResult.PERMITTED
        return allowed


current_role: contextvars.ContextVar[RolePolicies | None] = contextvars.ContextVar("kanal_role", default=None)


def policy_document(raw: Any) -> str:
    """A policy document as JSON, whether the emulator returns a dict, JSON or a Python repr."""
    if isinstance(raw, dict):
        return json.dumps(raw)
    try:
        return json.dumps(json.loads(raw))
    except json.JSONDecodeError:
        return json.dumps(ast.literal_eval(raw))


def load_role(iam: Any, role_arn: str) -> RolePolicies:
    name = role_arn.rsplit("/", 1)[-1]
    documents = [
        policy_document(iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"])
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]
    ]
    for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
        version = iam.get_policy_version(
            PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"]
        )
        documents.append(policy_document(version["PolicyVersion"]["Document"]))
    return RolePolicies(role_arn, tuple(documents))


# --------------------------------------------------------------------------- what a call touches


@dataclass(frozen=True)
class Lookups:
    """Names AWS authorises a call on that its parameters do not carry; the emulator's state answers them
    (`emulator.needs.install` sets `lookups`): a secret's full ARN (with the six characters Secrets Manager
    appends to its name) and the KMS key ARN of an encrypted topic (None: not encrypted)."""

    secret_arn: Callable[[str, str], str] = lambda region, secret: (
        secret if secret.startswith("arn:") else f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{secret}"
    )
    topic_key: Callable[[str, str], str | None] = lambda region, topic_arn: None


lookups = Lookups()

Call = tuple[str, str]  # (action, resource)


def _table(region: str, name: str, index: str | None = None) -> str:
    arn = name if name.startswith("arn:") else f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}"
    return f"{arn}/index/{index}" if index else arn


_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def _dynamodb(region: str, op: str, params: dict[str, Any]) -> Iterator[Call]:
    if op in ("BatchGetItem", "BatchWriteItem"):
        for table in params.get("RequestItems", {}):
            yield f"dynamodb:{op}", _table(region, table)
    elif op in ("TransactWriteItems", "TransactGetItems"):
        for item in params.get("TransactItems", []):
            for kind, body in item.items():
                yield f"dynamodb:{_TRANSACT_ACTIONS[kind]}", _table(region, body["TableName"])
    elif "TableName" in params:
        yield f"dynamodb:{op}", _table(region, params["TableName"], params.get("IndexName"))
    else:
        yield f"dynamodb:{op}", "*"


def _queue_arn(region: str, url: str) -> str:
    parts = urlparse(url).path.strip("/").split("/")
    return f"arn:aws:sqs:{region}:{parts[0] if len(parts) > 1 else ACCOUNT}:{parts[-1]}"


def _sqs(region: str, op: str, params: dict[str, Any]) -> Iterator[Call]:
    action = {
        "SendMessageBatch": "SendMessage",
        "DeleteMessageBatch": "DeleteMessage",
        "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
    }.get(op, op)
    if "QueueUrl" in params:
        yield f"sqs:{action}", _queue_arn(region, params["QueueUrl"])
    elif "QueueName" in params:
        yield f"sqs:{action}", f"arn:aws:sqs:{region}:{ACCOUNT}:{params['QueueName']}"
    else:
        yield f"sqs:{action}", "*"


def _arn_param(service: str, *names: str) -> Callable[[str, str, dict[str, Any]], Iterator[Call]]:
    def calls(region: str, op: str, params: dict[str, Any]) -> Iterator[Call]:
        for name in names:
            if params.get(name):
                yield f"{service}:{op}", params[name]
                return
        yield f"{service}:{op}", "*"

    return calls


_S3_ACTIONS = {
    "HeadObject": "GetObject",
    "ListObjectsV2": "ListBucket",
    "ListObjects": "ListBucket",
    "HeadBucket": "ListBucket",
    "CopyObject": "PutObject",
}


def _s3(region: str, op: str, params: dict[str, Any]) -> Iterator[Call]:
    bucket, key = params.get("Bucket", ""), params.get("Key")
    yield f"s3:{_S3_ACTIONS.get(op, op)}", f"arn:aws:s3:::{bucket}/{key}" if key else f"arn:aws:s3:::{bucket}"


def _secrets(region: str, op: str, params: dict[str, Any]) -> Iterator[Call]:
    secret = params.get("SecretId", "")
    yield f"secretsmanager:{op}", lookups.secret_arn(region, secret)


_SNS_ARNS = ("TopicArn", "TargetArn", "SubscriptionArn", "ResourceArn")


def _sns(region: str, op: str, params: dict[str, Any]) -> Iterator[Call]:
    arn = next((params[name] for name in _SNS_ARNS if params.get(name)), "*")
    yield f"sns:{op}", arn
    if op in ("Publish", "PublishBatch") and arn != "*":
        key = lookups.topic_key(region, arn)
        if key:
            yield "kms:GenerateDataKey", key
            yield "kms:Decrypt", key


def _ssm(region: str, op: str, params: dict[str, Any]) -> Iterator[Call]:
    names = params.get("Names") or [params.get("Name") or params.get("Path") or ""]
    for name in names:
        yield f"ssm:{op}", f"arn:aws:ssm:{region}:{ACCOUNT}:parameter/{name.lstrip('/')}"


def _lambda(region: str, op: str, params: dict[str, Any]) -> Iterator[Call]:
    name = params.get("FunctionName", "")
    arn = name if name.startswith("arn:") else f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}"
    yield f"lambda:{'InvokeFunction' if op == 'Invoke' else op}", arn


def _ses(region: str, op: str, params: dict[str, Any]) -> Iterator[Call]:
    """SES sending is authorised on the sending identity (the From address; its domain in AWS too)."""
    source = params.get("SourceArn") or params.get("FromArn")
    if not source:
        address = str(params.get("Source") or "").rsplit("<", 1)[-1].rstrip(">").strip()
        source = f"arn:aws:ses:{region}:{ACCOUNT}:identity/{address or '*'}"
    yield f"ses:{op}", source


def _cognito(region: str, op: str, params: dict[str, Any]) -> Iterator[Call]:
    """Cognito user pool operations are authorised on the pool's ARN."""
    pool = params.get("UserPoolId")
    yield f"cognito-idp:{op}", f"arn:aws:cognito-idp:{region}:{ACCOUNT}:userpool/{pool}" if pool else "*"


_RESOURCES: dict[str, Callable[[str, str, dict[str, Any]], Iterator[Call]]] = {
    "dynamodb": _dynamodb,
    "sqs": _sqs,
    "sns": _sns,
    "states": _arn_param("states", "stateMachineArn", "executionArn"),
    "s3": _s3,
    "secretsmanager": _secrets,
    "ssm": _ssm,
    "lambda": _lambda,
    "ses": _ses,
    "cognito-idp": _cognito,
}


def calls_of(service: str, region: str, operation: str, params: dict[str, Any]) -> list[Call]:
    resolve = _RESOURCES.get(service)
    if resolve is None:
        return [(f"{service}:{operation}", "*")]
    return list(resolve(region, operation, params))


def check(role: RolePolicies, service: str, region: str, operation: str, params: dict[str, Any]) -> None:
    """Raise the AccessDenied error AWS would answer when the role may not make this call."""
    for action, resource in calls_of(service, region, operation, params):
        if not role.decide(action, resource):
            code = "AccessDenied" if service in ("sqs", "s3", "sns") else "AccessDeniedException"
            message = f"User: {role.role_arn} is not authorized to perform: {action} on resource: {resource}"
            raise ClientError({"Error": {"Code": code, "Message": message}}, operation)

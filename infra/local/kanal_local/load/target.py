"""What `kanal load` sends to and reads its books from: the local stack or a deployed one."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

DEFAULT_URL = "http://127.0.0.1:{port}"


@dataclass
class Inspection:
    """What the books read: the messages and inquiries tables and the ingest queues."""

    dynamodb: Any
    sqs: Any
    messages_table: str
    inquiries_table: str
    queue_url: str
    dead_letter_url: str
    # the record keys still in the ingest queue (waiting or in flight), where they can be read without
    # receiving them: the local stack's GET /local/queued; SQS itself has no such read
    queued: Callable[[], Counter[str]] | None = None

    @classmethod
    def of(cls, session_client: Callable[[str], Any], outputs: dict[str, str]) -> Inspection:
        return cls(
            session_client("dynamodb"),
            session_client("sqs"),
            outputs["MessagesTableName"],
            outputs["InquiriesTableName"],
            outputs["IngestQueueUrl"],
            outputs["IngestDeadLetterQueueUrl"],
        )


@dataclass
class Target:
    url: str
    secrets: dict[str, str]
    token: str | None
    local: bool  # the local stack: e-mail through POST /local/email, poison through the sandbox
    inspection: Inspection | None = None


def local_target(url: str | None = None, aws_port: int | None = None) -> Target:
    """The `kanal local` stack on this machine: secrets as the stack reads them, a local admin token, and
    the tables and queues through the emulator's endpoint."""
    import boto3

    from kanal_local.auth import SignInFailed, token_from
    from kanal_local.server import local_secret
    from kanal_local.stack import REGION, STACK_NAME

    port = int(os.environ.get("KANAL_PORT") or 8787)
    url = url or DEFAULT_URL.format(port=port)
    aws_port = aws_port or int(os.environ.get("KANAL_AWS_PORT") or port + 1)
    kwargs = {
        "region_name": REGION,
        "endpoint_url": f"http://127.0.0.1:{aws_port}",
        "aws_access_key_id": "local",
        "aws_secret_access_key": "local",
    }
    secrets = {"meta": local_secret("meta-app-secret"), "x": local_secret("x-consumer-secret")}

    def client(service: str) -> Any:
        return boto3.client(service, **kwargs)  # type: ignore[call-overload]

    def inspection() -> Inspection:
        stack = client("cloudformation").describe_stacks(StackName=STACK_NAME)["Stacks"][0]
        return Inspection.of(client, {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])})

    try:
        token = token_from(url, "admin")  # signed in through the stack's Cognito
    except (OSError, SignInFailed) as error:
        raise Unreachable(f"no answer from {url.rstrip('/')} ({type(error).__name__})") from error
    target = Target(url.rstrip("/"), secrets, token, local=True)

    def local_inspection() -> Inspection:
        found = inspection()
        found.queued = queued_reader(target.url)
        return found

    target.inspection = _lazy(local_inspection)
    return target


def deployed_target(
    url: str,
    meta_secret: str | None,
    x_secret: str | None,
    token: str | None,
    stack: str | None,
    region: str | None,
) -> Target:
    secrets = {
        "meta": meta_secret or os.environ.get("KANAL_META_APP_SECRET") or "",
        "x": x_secret or os.environ.get("KANAL_X_CONSUMER_SECRET") or "",
    }
    target = Target(url.rstrip("/"), secrets, token or os.environ.get("KANAL_TOKEN"), local=False)
    if stack:
        import boto3

        session = boto3.session.Session(region_name=region)
        described = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
        target.inspection = Inspection.of(session.client, outputs)
    return target


def queued_reader(url: str) -> Callable[[], Counter[str]]:
    """The record keys the local stack's ingest queue holds, read through its GET /local/queued."""

    def queued() -> Counter[str]:
        answer = requests.get(f"{url.rstrip('/')}/local/queued", timeout=60)
        answer.raise_for_status()
        return Counter({str(key): int(n) for key, n in answer.json()["keys"].items()})

    return queued


class _Lazy:
    def __init__(self, make: Callable[[], Inspection]) -> None:
        self.make = make
        self.value: Inspection | None = None

    def get(self) -> Inspection:
        if self.value is None:
            self.value = self.make()
        return self.value


def _lazy(make: Callable[[], Inspection]) -> Any:
    return _Lazy(make)


def inspection_of(target: Target) -> Inspection | None:
    found = target.inspection
    return found.get() if isinstance(found, _Lazy) else found


class Unreachable(Exception):
    """The target does not answer HTTP."""


def check_reachable(target: Target) -> None:
    path = "/healthz" if target.local else "/webhooks/meta"
    try:
        answer = requests.get(target.url + path, timeout=5)
    except requests.RequestException as error:
        raise Unreachable(f"no answer from {target.url} ({type(error).__name__})") from error
    if target.local and answer.status_code != 200:
        raise Unreachable(f"{target.url}/healthz answered {answer.status_code}; is the stack still starting?")

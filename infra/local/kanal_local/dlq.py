"""`kanal dlq list|redrive`: the ingest dead-letter queue, for the local stack and for a deployed one.

Both talk to SQS through its API: locally to the emulator's endpoint (the `kanal local` process serves
it on port + 1), in AWS to the stack's queues found from its outputs. Listing shows what a record is
(source, platform key, receive count, age), never the message text or the customer's handle.

Redrive receives, re-sends and then deletes each record rather than calling SQS's StartMessageMoveTask:
the emulator does not implement that API, and one code path for both keeps what is tested what runs.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3

from kanal_local.stack import REGION, STACK_NAME

LOCAL_ENDPOINT = "http://127.0.0.1:{port}"


@dataclass
class Target:
    sqs: Any
    dead_letter_url: str
    source_url: str

    @classmethod
    def resolve(cls, stack: str | None, endpoint_url: str | None, region: str | None) -> Target:
        local = stack is None
        if local and endpoint_url is None:
            port = int(os.environ.get("KANAL_AWS_PORT") or int(os.environ.get("KANAL_PORT") or 8787) + 1)
            endpoint_url = LOCAL_ENDPOINT.format(port=port)
        kwargs: dict[str, Any] = {"region_name": region or (REGION if local else None)}
        if endpoint_url:
            kwargs["endpoint_url"] = endpoint_url
        if local:
            kwargs.update(aws_access_key_id="local", aws_secret_access_key="local")
        outputs = _outputs(boto3.client("cloudformation", **kwargs), stack or STACK_NAME)
        return cls(
            boto3.client("sqs", **kwargs), outputs["IngestDeadLetterQueueUrl"], outputs["IngestQueueUrl"]
        )


def _outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def _receive(target: Target, limit: int, visibility: int) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    while len(received) < limit:
        batch = target.sqs.receive_message(
            QueueUrl=target.dead_letter_url,
            MaxNumberOfMessages=min(10, limit - len(received)),
            VisibilityTimeout=visibility,
            AttributeNames=["All"],
        ).get("Messages", [])
        if not batch:
            break
        received += batch
    return received


def record_of(body: str) -> dict[str, Any]:
    """The queued record an ingest message carries ({} for a body that is not one)."""
    try:
        record = json.loads(body).get("record", {})
    except (json.JSONDecodeError, AttributeError):
        return {}
    return record if isinstance(record, dict) else {}


def describe(message: dict[str, Any]) -> dict[str, Any]:
    attributes = message.get("Attributes", {})
    sent = int(attributes.get("SentTimestamp", "0")) / 1000
    record = record_of(message["Body"])
    return {
        "message_id": message["MessageId"],
        "source": record.get("source"),
        "key": record.get("key"),
        "receive_count": int(attributes.get("ApproximateReceiveCount", "0")),
        "sent_at": datetime.fromtimestamp(sent, UTC).isoformat() if sent else None,
    }


def list_records(target: Target, limit: int) -> list[dict[str, Any]]:
    messages = _receive(target, limit, visibility=30)
    for message in messages:  # make them visible again at once: listing changes nothing
        target.sqs.change_message_visibility(
            QueueUrl=target.dead_letter_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return [describe(m) for m in messages]


def print_list(target: Target, limit: int) -> int:
    records = list_records(target, limit)
    for record in records:
        print(json.dumps(record))
    print(f"{len(records)} record(s) in the dead-letter queue", file=sys.stderr)
    return 0


def redrive(target: Target, limit: int) -> int:
    """Move records back to the ingest queue: sent first, then deleted, so none is lost on the way."""
    moved = 0
    for message in _receive(target, limit, visibility=60):
        target.sqs.send_message(QueueUrl=target.source_url, MessageBody=message["Body"])
        target.sqs.delete_message(QueueUrl=target.dead_letter_url, ReceiptHandle=message["ReceiptHandle"])
        moved += 1
    print(f"redrove {moved} record(s) to the ingest queue", file=sys.stderr)
    return 0

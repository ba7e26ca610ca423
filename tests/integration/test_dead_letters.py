"""A record that keeps failing in ingest is kept in the dead-letter queue and can be redriven."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from tests.conftest import eventually

ROOT = Path(__file__).resolve().parents[2]
EML = ROOT / "tests/events/ses/inquiry.eml"


def kanal(local, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KANAL_AWS_PORT": str(local.stack.aws_port)}
    return subprocess.run(
        [sys.executable, "-m", "kanal_local.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=True,
    )


def dead_letters(local) -> list[dict]:
    listed = kanal(local, "dlq", "list")
    return [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]


def test_a_failing_record_ends_in_the_dead_letter_queue_and_redrive_brings_it_back_as_an_inquiry(
    local, http, admin_headers
):
    # Given an SES notification whose raw mail is not (yet) in the bucket: ingest cannot read it
    bucket, topic = local.stack.outputs["InboundMailBucketName"], local.stack.outputs["InboundMailTopicArn"]
    message_id = uuid.uuid4().hex
    key = f"inbound/{message_id}"
    notification = {
        "notificationType": "Received",
        "mail": {"messageId": message_id, "destination": ["service@kanal.local"]},
        "receipt": {
            "recipients": ["service@kanal.local"],
            "spamVerdict": {"status": "PASS"},
            "virusVerdict": {"status": "PASS"},
            "action": {"type": "S3", "bucketName": bucket, "objectKey": key, "topicArn": topic},
        },
    }
    local.stack.client("sns").publish(TopicArn=topic, Message=json.dumps(notification))

    # When ingest has failed on it as often as the redrive policy allows
    record = eventually(
        lambda: [r for r in dead_letters(local) if r["key"] == f"email:{message_id}"], timeout=40, interval=1
    )[0]
    # Then it is in the dead-letter queue, described without its content
    assert record["source"] == "email" and record["receive_count"] >= 1
    assert set(record) == {"message_id", "source", "key", "receive_count", "sent_at"}

    # When the mail arrives in the bucket and an operator redrives the queue
    raw = EML.read_bytes().replace(b"Message-ID: <", f"Message-ID: <{message_id}.".encode(), 1)
    local.stack.client("s3").put_object(Bucket=bucket, Key=key, Body=raw)
    redriven = kanal(local, "dlq", "redrive")
    assert "redrove" in redriven.stderr

    # Then the record becomes an inquiry, and the dead-letter queue no longer holds it
    table = local.stack.environment["KANAL_MESSAGES_TABLE"]
    external_id = f"{message_id}.9f1c2b7e-4d3a-4a51-8f0e-3b9c6a1d2e77@example.de"
    dynamodb = local.stack.client("dynamodb")
    item = eventually(
        lambda: dynamodb.get_item(TableName=table, Key={"key": {"S": f"email#{external_id}"}}).get("Item"),
        timeout=20,
    )
    inquiry = http.get(f"{local.url}/api/inquiries/{item['inquiry_id']['S']}", headers=admin_headers).json()
    assert inquiry["channel"] == "email" and inquiry["external_id"] == external_id
    assert inquiry["author"]["id"] == "anna.becker@example.de"
    assert not [r for r in dead_letters(local) if r["key"] == f"email:{message_id}"]

"""E-mail through SES receiving (its local stand-in): stored in S3, notified over SNS, ingested, threaded."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.conftest import eventually

EVENTS = Path(__file__).resolve().parents[1] / "events/ses"


def _mail(name: str, thread: str) -> bytes:
    """A fixture mail whose Message-ID, In-Reply-To and References are unique to this test."""
    return (EVENTS / name).read_bytes().replace(b"@example.de>", f".{thread}@example.de>".encode())


def _message(local, external_id: str):
    table = local.stack.environment["KANAL_MESSAGES_TABLE"]
    dynamodb = local.stack.client("dynamodb")
    return eventually(
        lambda: dynamodb.get_item(TableName=table, Key={"key": {"S": f"email#{external_id}"}}).get("Item"),
        timeout=20,
    )


def _message_id(raw: bytes) -> str:
    line = next(line for line in raw.splitlines() if line.lower().startswith(b"message-id:"))
    return line.split(b":", 1)[1].strip().strip(b"<>").decode()


def test_an_email_and_its_reply_become_one_inquiry_with_two_messages(local, http, admin_headers):
    thread = uuid.uuid4().hex
    first, reply = _mail("inquiry.eml", thread), _mail("reply.eml", thread)
    # When a customer's e-mail arrives, and later their reply in the same thread
    assert http.post(f"{local.url}/local/email", data=first).status_code == 200
    opened = _message(local, _message_id(first))
    assert http.post(f"{local.url}/local/email", data=reply).status_code == 200
    joined = _message(local, _message_id(reply))
    # Then both belong to one private e-mail inquiry, oldest first
    assert joined["inquiry_id"] == opened["inquiry_id"]
    detail = http.get(f"{local.url}/api/inquiries/{opened['inquiry_id']['S']}", headers=admin_headers).json()
    assert detail["channel"] == "email" and detail["visibility"] == "private"
    assert [m["external_id"] for m in detail["messages"]] == [_message_id(first), _message_id(reply)]
    assert all(m["direction"] == "in" for m in detail["messages"])


def test_the_same_email_received_twice_is_stored_once(local, http, admin_headers):
    raw = _mail("inquiry.eml", uuid.uuid4().hex)
    for _ in range(2):
        assert http.post(f"{local.url}/local/email", data=raw).status_code == 200
    stored = _message(local, _message_id(raw))
    detail = eventually(
        lambda: (
            (
                d := http.get(
                    f"{local.url}/api/inquiries/{stored['inquiry_id']['S']}", headers=admin_headers
                ).json()
            ).get("priority")
            and d
        )
    )
    assert len(detail["messages"]) == 1

"""The local stand-in for SNS e-mail and SMS delivery: notifications recorded at GET /local/notifications."""

from __future__ import annotations

import json
import uuid


def _phone() -> str:
    return f"+49151{uuid.uuid4().int % 10**8:08d}"


def _agent(local, run: str, email: str, phone: str) -> str:
    """An agent subscribed to the notifications topic, as the stack subscribes its agents."""
    sns, recipient = local.stack.client("sns"), f"agent-{run}"
    for protocol, endpoint in (("email", email), ("sms", phone)):
        sns.subscribe(
            TopicArn=local.stack.outputs["NotificationsTopicArn"],
            Protocol=protocol,
            Endpoint=endpoint,
            Attributes={"FilterPolicy": json.dumps({"recipient": [recipient], "deliver": [protocol]})},
            ReturnSubscriptionArn=True,
        )
    return recipient


def _notify(local, recipient: str, inquiry_id: str, deliver: list[str]) -> str:
    attributes = {"kind": "warning", "inquiry_id": inquiry_id, "recipient": recipient, "team": "support"}
    return local.stack.client("sns").publish(
        TopicArn=local.stack.outputs["NotificationsTopicArn"],
        Subject="Kanal: SLA warning",
        MessageStructure="json",
        Message=json.dumps({"default": "due", "email": "Inquiry due in 10 minutes", "sms": "Due in 10m"}),
        MessageAttributes={
            **{k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
            "deliver": {"DataType": "String.Array", "StringValue": json.dumps(deliver)},
        },
    )["MessageId"]


def test_get_local_notifications_lists_each_email_and_sms_oldest_first(local, http):
    # Given an agent with an e-mail and an SMS subscription
    run = uuid.uuid4().hex[:8]
    email, phone = f"agent-{run}@kanal.test", _phone()
    recipient = _agent(local, run, email, phone)
    # When two notifications go out to them, the second by SMS only
    _notify(local, recipient, f"first-{run}", ["email", "sms"])
    _notify(local, recipient, f"second-{run}", ["sms"])
    # Then GET /local/notifications lists the three deliveries, in order, with what was sent where
    response = http.get(f"{local.url}/local/notifications")
    assert response.status_code == 200
    items = [n for n in response.json()["items"] if n["recipient"] == recipient]
    assert [(n["inquiry_id"], n["protocol"], n["address"], n["text"]) for n in items] == [
        (f"first-{run}", "email", email, "Inquiry due in 10 minutes"),
        (f"first-{run}", "sms", phone, "Due in 10m"),
        (f"second-{run}", "sms", phone, "Due in 10m"),
    ]
    assert all(n["kind"] == "warning" and n["subject"] == "Kanal: SLA warning" for n in items)
    assert all(n["team"] == "support" and "band" not in n and n["at"] for n in items)
    assert [n["at"] for n in items] == sorted(n["at"] for n in items)

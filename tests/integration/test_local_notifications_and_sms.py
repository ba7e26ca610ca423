"""The local stand-ins for SMS: notifications recorded at GET /local/notifications, two-way SMS at
POST /local/sms."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.conftest import eventually


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


@pytest.fixture
def inbound_sms(local):
    """An SQS queue subscribed to the inbound-SMS topic: what two-way SMS published."""
    sqs, sns = local.stack.client("sqs"), local.stack.client("sns")
    url = sqs.create_queue(QueueName=f"inbound-sms-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    subscription = sns.subscribe(
        TopicArn=local.stack.outputs["InboundSmsTopicArn"],
        Protocol="sqs",
        Endpoint=arn,
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]

    def received() -> list[dict]:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(json.loads(m["Body"])["Message"]) for m in messages]

    yield received
    sns.unsubscribe(SubscriptionArn=subscription)
    sqs.delete_queue(QueueUrl=url)


def test_an_sms_posted_to_local_sms_is_published_as_two_way_sms_publishes_it(local, http, inbound_sms):
    # Given an agent who got an SMS notification
    run = uuid.uuid4().hex[:8]
    phone = _phone()
    recipient = _agent(local, run, f"agent-{run}@kanal.test", phone)
    notified = _notify(local, recipient, f"inq-{run}", ["sms"])
    # When they answer it by SMS
    response = http.post(f"{local.url}/local/sms", json={"from": phone, "text": "ok, ich übernehme"})
    # Then the inbound-SMS topic carries the documented message, answering the notification
    assert response.status_code == 200, response.text
    inbound_id = response.json()["inbound_message_id"]
    message = eventually(inbound_sms)[0]
    assert list(message) == [
        "originationNumber",
        "destinationNumber",
        "messageKeyword",
        "messageBody",
        "inboundMessageId",
        "previousPublishedMessageId",
    ]
    assert message["originationNumber"] == phone
    assert message["destinationNumber"] == local.stack.environment["KANAL_SMS_ORIGINATION_NUMBER"]
    assert message["messageBody"] == "ok, ich übernehme"
    assert message["inboundMessageId"] == inbound_id
    assert message["previousPublishedMessageId"] == notified
    assert message["messageKeyword"] == f"KEYWORD_{local.stack.account}"


def test_an_sms_from_a_number_never_notified_answers_nothing_and_a_keyword_is_named(local, http, inbound_sms):
    response = http.post(f"{local.url}/local/sms", json={"from": _phone(), "text": "stop please"})
    assert response.status_code == 200
    message = eventually(inbound_sms)[0]
    assert message["previousPublishedMessageId"] == ""
    assert message["messageKeyword"] == "STOP"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'"+4915112345678"',
        b"{}",
        b'{"text": "hi"}',
        b'{"from": "+4915112345678"}',
        b'{"from": "+4915112345678", "text": ""}',
        b'{"from": "+4915112345678", "text": 42}',
        b'{"from": "+4915112345678", "text": null}',
        json.dumps({"from": "+4915112345678", "text": "x" * 1601}).encode(),
        b'{"from": "004915112345678", "text": "hi"}',
        b'{"from": "+0915112345678", "text": "hi"}',
        b'{"from": "+49 151 12345678", "text": "hi"}',
        b'{"from": "+12345", "text": "hi"}',
        b'{"from": "+1234567890123456", "text": "hi"}',
        b'{"from": "+4915112345678\\n", "text": "hi"}',
        b'{"from": 4915112345678, "text": "hi"}',
    ],
)
def test_a_body_that_is_not_an_sms_is_refused_with_400(local, http, body):
    response = http.post(f"{local.url}/local/sms", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert isinstance(response.json()["error"], str)


def test_the_longest_sms_is_accepted(local, http):
    text = "x" * 1600
    response = http.post(f"{local.url}/local/sms", json={"from": "+4915112345678", "text": text})
    assert response.status_code == 200 and response.json()["inbound_message_id"]

"""E-mail through SES receiving (its local stand-in): stored in S3, notified over SNS, ingested, threaded."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.conftest import eventually
from tests.integration.deliveries import (
    contacts_of,
    customer_of,
    listed_inquiry,
    settled,
    stored_message,
)

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


# ------------------------------------------------------------------------------------ unverified senders


def _raw(sender: str, text: str, answering: str | None = None, later: int = 0) -> tuple[bytes, str]:
    """A plain mail from ``sender`` to the local mailbox (answering ``answering``), and its Message-ID;
    dated now, or ``later`` seconds after (a Date has whole seconds: two mails of one second tie)."""
    message = EmailMessage()
    message_id = f"{uuid.uuid4().hex}@example.de"
    message["From"] = f"Jana Vogt <{sender}>"
    message["To"] = "service@kanal.local"
    message["Subject"] = "Rechnung"
    message["Date"] = format_datetime(datetime.now(UTC) + timedelta(seconds=later))
    message["Message-ID"] = f"<{message_id}>"
    if answering:
        message["In-Reply-To"] = f"<{answering}>"
        message["References"] = f"<{answering}>"
    message.set_content(text)
    return bytes(message), message_id


def _receive(local, http, raw: bytes, **verdicts: str):
    return http.post(f"{local.url}/local/email", params=verdicts, data=raw, timeout=30)


def _detail(local, http, headers, inquiry_id: str) -> dict:
    response = http.get(f"{local.url}/api/inquiries/{inquiry_id}", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_spoofed_mail_from_a_known_customer_opens_a_flagged_inquiry_apart_and_a_genuine_one_joins(
    local, http, admin_headers
):
    # Given a customer who wrote by e-mail and has an open inquiry
    sender = f"jana.vogt.{uuid.uuid4().hex[:10]}@example.de"
    first, first_id = _raw(sender, "Meine Rechnung 4471 ist doppelt abgebucht.")
    assert _receive(local, http, first).status_code == 200
    opened = _message(local, first_id)["inquiry_id"]["S"]
    customer = customer_of(local, "email", sender)
    assert customer is not None
    settled(local)  # ingest has finished with it: its contact is on the timeline
    before = _detail(local, http, admin_headers, opened)
    timeline_before = contacts_of(local, customer)
    assert len(timeline_before) == 1

    # When a mail from the same address arrives that SES's checks do not vouch for (DMARC failed), in
    # answer to the customer's own mail
    spoofed, spoofed_id = _raw(sender, "Bitte überweisen Sie die Erstattung auf IBAN DE00 ...", first_id)
    answer = _receive(local, http, spoofed, spf="FAIL", dkim="FAIL", dmarc="FAIL", dmarc_policy="reject")
    assert answer.status_code == 200, answer.text

    # Then it opens an inquiry of its own, under another, unverified identity, marked for the agent
    apart = _message(local, spoofed_id)["inquiry_id"]["S"]
    assert apart != opened
    flagged = _detail(local, http, admin_headers, apart)
    assert flagged["sender_verified"] is False
    assert flagged["customer_id"] not in (None, customer)
    assert [m["external_id"] for m in flagged["messages"]] == [spoofed_id]
    assert eventually(lambda: listed_inquiry(http, local, admin_headers, apart))["sender_verified"] is False
    # And the customer's open inquiry and timeline are as they were
    settled(local)
    after = _detail(local, http, admin_headers, opened)
    assert [m["external_id"] for m in after["messages"]] == [first_id]
    assert after["sender_verified"] is True and after["customer_id"] == customer
    assert contacts_of(local, customer) == timeline_before
    assert before["messages"] == after["messages"]
    assert customer_of(local, "email", sender) == customer

    # When a genuine mail from the same address answers the first one
    genuine, genuine_id = _raw(sender, "Gibt es schon Neuigkeiten?", first_id, later=1)
    assert _receive(local, http, genuine).status_code == 200
    # Then it joins the customer's open inquiry, as any follow-up does
    assert _message(local, genuine_id)["inquiry_id"]["S"] == opened
    assert [m["external_id"] for m in _detail(local, http, admin_headers, opened)["messages"]] == [
        first_id,
        genuine_id,
    ]


@pytest.mark.parametrize(
    "verdicts",
    [
        {"dmarc": "FAIL"},  # SPF and DKIM pass for another domain than the From address's
        {"spf": "FAIL", "dkim": "GRAY", "dmarc": "GRAY"},
        {"spf": "GRAY", "dkim": "PROCESSING_FAILED", "dmarc": "GRAY"},
    ],
    ids=["dmarc-fail", "spf-fail-dkim-gray", "neither-pass"],
)
def test_a_mail_whose_sender_is_not_verified_never_joins_the_customers_inquiry(
    verdicts, local, http, admin_headers
):
    sender = f"jana.vogt.{uuid.uuid4().hex[:10]}@example.de"
    first, first_id = _raw(sender, "Wo bleibt meine Lieferung?")
    assert _receive(local, http, first).status_code == 200
    opened = _message(local, first_id)["inquiry_id"]["S"]
    follow_up, follow_up_id = _raw(sender, "Noch einmal: wo bleibt sie?", first_id)
    assert _receive(local, http, follow_up, **verdicts).status_code == 200
    apart = _message(local, follow_up_id)["inquiry_id"]["S"]
    assert apart != opened
    assert _detail(local, http, admin_headers, apart)["sender_verified"] is False


@pytest.mark.parametrize(
    "params",
    [{"dmarc": "MAYBE"}, {"spf": "pass"}, {"dkim": ""}, {"virus": "CLEAN"}, {"dmarc_policy": "drop"}],
    ids=["dmarc", "lower-case", "empty", "virus", "policy"],
)
def test_local_email_with_a_verdict_ses_never_gives_is_a_bad_request_and_stores_nothing(params, local, http):
    sender = f"jana.vogt.{uuid.uuid4().hex[:10]}@example.de"
    raw, message_id = _raw(sender, "Hallo")
    response = _receive(local, http, raw, **params)
    assert response.status_code == 400
    assert next(iter(params)) in response.json()["error"]
    settled(local)
    assert stored_message(local, "email", message_id) is None
    assert customer_of(local, "email", sender) is None

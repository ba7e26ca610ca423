"""Contact events from hotline, CRM and shop: schema-checked, split per event, normalised to ContactEvent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kanal.channels import normalise_record, split_delivery
from kanal.errors import MalformedPayload
from kanal.model import ContactEvent

EVENTS = Path(__file__).resolve().parents[1] / "events" / "contact-events"
RECEIVED = datetime(2024, 4, 25, 13, 0, tzinfo=UTC)


def load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    return payload


def events(payload: object) -> list[ContactEvent]:
    found = [
        item
        for record in split_delivery("contact-events", payload)
        for item in normalise_record(record, RECEIVED)
    ]
    assert all(isinstance(item, ContactEvent) for item in found)
    return found  # type: ignore[return-value]


def test_call_with_a_phone_number() -> None:
    (event,) = events(load("call"))
    assert event.event_id == "hotline-2024-04-25-000731" and event.kind == "call"
    assert event.channel == "phone" and event.identity == "+4915112345678"
    assert event.occurred_at == datetime(2024, 4, 25, 9, 42, 7, tzinfo=UTC)
    assert event.source == "hotline" and event.amount is None and event.vip is None


def test_email_identity_is_lower_cased() -> None:
    (event,) = events(load("email"))
    assert event.kind == "email" and event.channel == "email"
    assert event.identity == "james.carter@example.co.uk" and event.customer_ref == "CUST-10442"


def test_order_carries_amount_and_vip() -> None:
    (event,) = events(load("order"))
    assert event.kind == "order" and event.amount == 1899.0 and event.vip is True
    assert event.occurred_at == datetime(2024, 4, 3, 16, 20, 31, 512000, tzinfo=UTC)


def test_batch_gives_one_record_and_one_event_each() -> None:
    records = split_delivery("contact-events", load("batch"))
    assert [record["key"] for record in records] == [
        "contact-event:hotline:hotline-2024-04-25-000744",
        "contact-event:shop:order-48991",
        "contact-event:store-berlin:store-berlin-2024-04-24-17",
    ]
    assert all(record["source"] == "contact-events" for record in records)
    call, order, visit = events(load("batch"))
    assert call.identity == "+493090182017"
    assert order.channel == "whatsapp" and order.identity == "4915112345678" and order.amount == 349.9
    assert visit.channel is None and visit.customer_ref == "CUST-20918" and visit.vip is False


def test_a_whatsapp_bsuid_is_kept_as_it_is_not_compacted_like_a_phone_number() -> None:
    payload = load("order") | {"customer": {"channel": "whatsapp", "identity": " DE.7216094835517720394 "}}
    (event,) = events(payload)
    assert event.channel == "whatsapp" and event.identity == "DE.7216094835517720394"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"kind": "fax"}, r"body\.kind: must be one of call, email, order, chat, visit"),
        ({"occurred_at": "yesterday"}, r"body\.occurred_at"),
        ({"occurred_at": "2024-04-25T10:00:00"}, r"body\.occurred_at"),  # no time zone
        ({"occurred_at": "2024-13-45T10:00:00Z"}, "occurred_at is not a valid date-time"),
        ({"event_id": ""}, r"body\.event_id"),
        ({"amount": -5}, r"body\.amount"),
        ({"vipp": True}, "'vipp' was unexpected"),
        ({"customer": {"channel": "fax", "identity": "1"}}, r"body\.customer\.channel"),
        ({"customer": {"channel": "email"}}, "'identity' is a required property"),
        (
            {"customer": {"channel": "phone", "identity": "x" * 400}},
            r"body\.customer\.identity: violates maxLength 320",
        ),
    ],
)
def test_invalid_single_events_name_the_field(change: dict[str, Any], problem: str) -> None:
    with pytest.raises(MalformedPayload, match=problem):
        split_delivery("contact-events", load("call") | change)


def test_an_event_needs_customer_or_customer_ref() -> None:
    payload = load("call")
    del payload["customer"]
    with pytest.raises(MalformedPayload, match="customer or customer_ref is required"):
        split_delivery("contact-events", payload)


def test_a_required_field_missing_is_named() -> None:
    payload = load("call")
    del payload["kind"]
    with pytest.raises(MalformedPayload, match="'kind' is a required property"):
        split_delivery("contact-events", payload)


def test_problems_never_echo_the_customer_identity() -> None:
    payload = load("call") | {"customer": {"channel": "phone", "identity": ["+49 151 1234 5678"]}}
    with pytest.raises(MalformedPayload) as raised:
        split_delivery("contact-events", payload)
    assert "5678" not in str(raised.value) and "body.customer.identity: must be of type string" in str(
        raised.value
    )


def test_errors_in_a_batch_name_the_event() -> None:
    payload = load("batch")
    payload["events"][1]["kind"] = "parcel"
    with pytest.raises(MalformedPayload, match=r"body\.events\[1\]\.kind"):
        split_delivery("contact-events", payload)


@pytest.mark.parametrize("payload", [[], "call", {"events": []}, {"events": "x"}])
def test_non_objects_and_empty_batches_are_rejected(payload: object) -> None:
    with pytest.raises(MalformedPayload):
        split_delivery("contact-events", payload)

"""What the console reads beside the contract's fields: the SLA warning on a queue item, and the channel's
reply windows on the detail ("24 h window: 3 h left")."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from kanal.api.views import detail_view, inquiry_view
from kanal.model import Author, Channel, Direction, Inquiry, Message, Sla, Visibility

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def inquiry(channel: Channel, visibility: Visibility, sla: Sla | None = None) -> Inquiry:
    return Inquiry(
        id="inq-1",
        channel=channel,
        external_id="m-1",
        author=Author(id="cust-1", name="Kim"),
        text="hello",
        visibility=visibility,
        thread_id="t-1",
        account_id="acc-1",
        customer_id="c-1",
        created_at=NOW - timedelta(hours=21),
        received_at=NOW - timedelta(hours=21),
        sla=sla,
    )


def message(external_id: str, direction: Direction, visibility: Visibility, hours_ago: float) -> Message:
    return Message(
        inquiry_id="inq-1",
        channel=Channel.WHATSAPP,
        external_id=external_id,
        direction=direction,
        author=Author(id="cust-1"),
        text="text",
        visibility=visibility,
        created_at=NOW - timedelta(hours=hours_ago),
    )


def test_a_queue_item_says_when_its_owner_is_warned_and_whether_its_clock_is_paused():
    sla = Sla(started_at=NOW, due_at=NOW + timedelta(hours=1), warn_at=NOW + timedelta(minutes=48))
    item = inquiry_view(inquiry(Channel.X, Visibility.PUBLIC, sla))
    assert item["sla_warn_at"] == "2026-12-01T12:48:00Z"
    assert item["sla_due_at"] == "2026-12-01T13:00:00Z"
    assert item["sla_paused"] is False
    assert item["sla_responded"] is False
    assert item["sla_tier"] == 0
    assert inquiry_view(inquiry(Channel.X, Visibility.PUBLIC))["sla_warn_at"] is None


def test_whatsapp_shows_the_time_left_of_the_24_hour_window_from_the_customers_latest_message():
    # Given a customer who wrote 23 h ago and again 21 h ago, answered once since
    messages = [
        message("in-1", Direction.IN, Visibility.PRIVATE, 23),
        message("in-2", Direction.IN, Visibility.PRIVATE, 21),
        message("out-1", Direction.OUT, Visibility.PRIVATE, 20),
    ]
    detail = detail_view(inquiry(Channel.WHATSAPP, Visibility.PRIVATE), messages, now=NOW)
    private = detail["windows"]["private"]
    # Then the window runs from the latest inbound message: 3 hours left
    assert private["open"] is True
    assert private["name"] == "customer_service"
    assert private["remaining_seconds"] == 3 * 3600
    assert private["closes_at"] == "2026-12-01T15:00:00Z"


def test_a_closed_window_carries_the_reason_and_the_options_and_public_replies_have_none():
    messages = [message("in-1", Direction.IN, Visibility.PRIVATE, 30)]
    detail = detail_view(inquiry(Channel.WHATSAPP, Visibility.PRIVATE), messages, now=NOW)
    closed = detail["windows"]["private"]
    assert closed["open"] is False
    assert "131047" in closed["reason"]
    assert closed["options"] == ["template", "wait_for_customer"]
    x = detail_view(
        inquiry(Channel.X, Visibility.PUBLIC),
        [replace(message("in-1", Direction.IN, Visibility.PUBLIC, 30), channel=Channel.X)],
    )
    assert x["windows"]["public"] == {
        "open": True,
        "name": "none",
        "closes_at": None,
        "remaining_seconds": None,
        "reason": None,
        "options": [],
    }


def test_an_inquiry_without_a_customer_message_left_has_no_windows():
    removed = Message(
        inquiry_id="inq-1",
        channel=Channel.FACEBOOK,
        external_id="in-1",
        direction=Direction.IN,
        author=Author(id="cust-1"),
        text="",
        visibility=Visibility.PUBLIC,
        created_at=NOW,
        removed=True,
    )
    assert detail_view(inquiry(Channel.FACEBOOK, Visibility.PUBLIC), [removed], now=NOW)["windows"] == {}


def test_after_a_handover_the_window_is_the_private_chats_where_the_customer_now_writes():
    # Given a public Facebook comment handed over, and the customer answering in Messenger 30 h ago
    comment = replace(message("in-1", Direction.IN, Visibility.PUBLIC, 40), channel=Channel.FACEBOOK)
    answer = replace(message("in-2", Direction.IN, Visibility.PRIVATE, 30), channel=Channel.MESSENGER)
    detail = detail_view(inquiry(Channel.FACEBOOK, Visibility.PUBLIC), [comment, answer], now=NOW)
    # Then a private reply is judged by Messenger's rules: past 24 h only a human agent may answer
    private = detail["windows"]["private"]
    assert (private["open"], private["name"]) == (True, "human_agent")
    assert private["remaining_seconds"] == (7 * 24 - 30) * 3600

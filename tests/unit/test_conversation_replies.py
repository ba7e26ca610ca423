"""Replies on in-memory adapters: what is sent, what is stored, when the SLA clock stops."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from kanal.channels.outbound import DeliveryFailed, Outbound, Sent, WindowClosed
from kanal.conversation.replies import Replies, ReplyRequest
from kanal.errors import BadRequest, Conflict, NotFound
from kanal.model import Author, Channel, Direction, Inquiry, Message, Status, Visibility
from tests.fakes import at


class Store:
    def __init__(self, inquiry: Inquiry, messages: list[Message]) -> None:
        self.inquiry = inquiry
        self.messages = list(messages)

    def get_inquiry(self, inquiry_id: str) -> Inquiry | None:
        return self.inquiry if inquiry_id == self.inquiry.id else None

    def messages_of(self, inquiry_id: str) -> list[Message]:
        return [m for m in self.messages if m.inquiry_id == inquiry_id]

    def add_message(self, message: Message, in_reply_to: str | None = None) -> None:
        self.messages.append(message)


class Client:
    def __init__(self, outcome: Sent | Exception) -> None:
        self.outcome = outcome
        self.sent: list[Outbound] = []

    def send(self, outbound: Outbound) -> Sent:
        if isinstance(self.outcome, Exception):
            raise self.outcome
        self.sent.append(outbound)
        return self.outcome


class Clock:
    def __init__(self) -> None:
        self.responses: list[tuple[str, bool]] = []

    def responded(self, inquiry_id: str, at: datetime | None = None, waiting: bool = False) -> Inquiry:
        self.responses.append((inquiry_id, waiting))
        return INQUIRY


INQUIRY = Inquiry(
    id="inq-1",
    channel=Channel.X,
    external_id="t-1",
    author=Author("cust", "Kim", "kim"),
    text="Where is my order?",
    visibility=Visibility.PUBLIC,
    thread_id="t-1",
    account_id="brand",
    customer_id="c-1",
    created_at=at(1),
    received_at=at(1),
    status=Status.ASSIGNED,
    assignee="jonas",
)


def inbound(external_id: str, minute: int, visibility: Visibility = Visibility.PUBLIC) -> Message:
    return Message("inq-1", Channel.X, external_id, Direction.IN, INQUIRY.author, "?", visibility, at(minute))


def replies(outcome: Sent | Exception, inquiry: Inquiry = INQUIRY) -> tuple[Replies, Store, Client, Clock]:
    store = Store(inquiry, [inbound("t-1", 1), inbound("t-2", 5)])
    client, clock = Client(outcome), Clock()
    return Replies(store, lambda i, v: client, lambda: clock), store, client, clock


def test_a_reply_answers_the_latest_customer_message_and_stops_the_clock():
    sut, store, client, clock = replies(Sent("t-99"))
    answer = sut.reply("inq-1", "jonas", ReplyRequest("We are on it", None))
    assert answer["status"] == "sent" and answer["external_id"] == "t-99"
    assert client.sent[0].answering.external_id == "t-2" and client.sent[0].visibility is Visibility.PUBLIC
    out = store.messages[-1]
    assert (out.direction, out.external_id, out.author.id) == (Direction.OUT, "t-99", "jonas")
    assert (
        out.delivery is not None and out.delivery.status == "sent" and out.delivery.reply_id == answer["id"]
    )
    assert clock.responses == [("inq-1", False)]


def test_a_reply_that_asks_the_customer_pauses_the_clock():
    sut, _, _, clock = replies(Sent("t-99"))
    sut.reply("inq-1", "jonas", ReplyRequest("Which order number?", Visibility.PRIVATE, waiting=True))
    assert clock.responses == [("inq-1", True)]


def test_a_closed_window_sends_and_stores_nothing_and_the_clock_runs_on():
    sut, store, _, clock = replies(WindowClosed("7-day window closed", ["ask for an e-mail address"]))
    with pytest.raises(WindowClosed) as refused:
        sut.reply("inq-1", "jonas", ReplyRequest("Hello", None))
    assert refused.value.options == ["ask for an e-mail address"]
    assert [m.direction for m in store.messages] == [Direction.IN, Direction.IN] and clock.responses == []


def test_a_platform_failure_is_stored_as_failed_with_its_error_and_the_clock_runs_on():
    sut, store, _, clock = replies(DeliveryFailed("(#100) Invalid parameter", code="100"))
    answer = sut.reply("inq-1", "jonas", ReplyRequest("Hello", None))
    assert answer["status"] == "failed" and answer["external_id"] is None
    assert "Invalid parameter" in answer["error"]
    failed = store.messages[-1]
    assert failed.delivery is not None and failed.delivery.status == "failed" and clock.responses == []


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {},
        {"text": ""},
        {"text": "   "},
        {"text": 5},
        {"text": "hi", "visibility": "secret"},
        {"text": "hi", "visibility": {}},  # unhashable: answered 500 before it was refused
        {"text": "hi", "visibility": ["public"]},
        {"text": "hi", "waiting": "yes"},
        {"text": "hi", "colour": "red"},
    ],
)
def test_a_malformed_reply_is_refused_before_anything_happens(body):
    with pytest.raises(BadRequest):
        ReplyRequest.parse(body)


def test_too_long_for_the_channel_unknown_or_resolved_inquiries_are_refused():
    sut, store, client, _ = replies(Sent("t-99"))
    with pytest.raises(BadRequest):
        sut.reply("inq-1", "jonas", ReplyRequest("x" * 281, None))
    with pytest.raises(NotFound):
        sut.reply("nope", "jonas", ReplyRequest("hi", None))
    resolved, _, _, _ = replies(Sent("t-99"), replace(INQUIRY, status=Status.RESOLVED))
    with pytest.raises(Conflict):
        resolved.reply("inq-1", "jonas", ReplyRequest("hi", None))
    assert client.sent == [] and len(store.messages) == 2

"""Replies on the inquiry's own channel: the agent writes once, Kanal sends it where the customer wrote.

A reply answers the customer's latest message of the inquiry. Before sending, the channel's client checks
the platform's window (``WindowClosed``: 409 with the reason and the options, nothing sent). What the
platform took is stored as an outbound message under the platform's own id, so its echo webhook creates
nothing and the customer's answer to it threads; what it refused is stored as ``failed`` with the
platform's error, visible on the inquiry. The first reply that reaches the customer stops the SLA clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from kanal.channels.outbound import ChannelClient, DeliveryFailed, Outbound, Sent
from kanal.errors import BadRequest, Conflict, NotFound
from kanal.model import Author, Delivery, Direction, Inquiry, Message, Status, Visibility
from kanal.observability import logger

MAX_TEXT = {  # the platforms' limits for one message's text
    "x": 280,
    "messenger": 2000,
    "instagram": 1000,
    "whatsapp": 4096,
    "facebook": 8000,
    "email": 100_000,
}


class Store(Protocol):
    def get_inquiry(self, inquiry_id: str) -> Inquiry | None: ...
    def messages_of(self, inquiry_id: str) -> list[Message]: ...
    def add_message(self, message: Message, in_reply_to: str | None = None) -> None: ...


Gate = Callable[[Inquiry, Visibility], None]  # raises to refuse a reply before it is sent


class Clock(Protocol):
    def responded(self, inquiry_id: str, at: datetime | None = None, waiting: bool = False) -> Inquiry: ...


@dataclass(frozen=True)
class ReplyRequest:
    text: str
    visibility: Visibility | None  # None: where the customer wrote
    waiting: bool = False  # the reply asks the customer something: the clock pauses until they answer

    @classmethod
    def parse(cls, body: Any) -> ReplyRequest:
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object with text and visibility")
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise BadRequest("text must be a non-empty string")
        visibility = body.get("visibility")
        if visibility is not None and visibility not in {v.value for v in Visibility}:
            raise BadRequest("visibility must be public or private")
        waiting = body.get("waiting", False)
        if not isinstance(waiting, bool):
            raise BadRequest("waiting must be true or false")
        unknown = set(body) - {"text", "visibility", "waiting", "idempotency_key"}
        if unknown:
            raise BadRequest(f"unknown fields: {', '.join(sorted(unknown))}")
        return cls(text.strip(), Visibility(visibility) if visibility else None, waiting)


class Replies:
    def __init__(
        self,
        store: Store,
        client_for: Callable[[Inquiry, Visibility], ChannelClient],
        clock: Callable[[], Clock],
    ) -> None:
        self.store = store
        self.client_for = client_for
        self.clock = clock

    def reply(
        self, inquiry_id: str, agent_id: str, request: ReplyRequest, gate: Gate | None = None
    ) -> dict[str, Any]:
        """Send the reply; ``gate`` (the agent API's approval check) may refuse it before anything is
        sent, knowing the visibility it would go out with."""
        inquiry = self.store.get_inquiry(inquiry_id)
        if inquiry is None:
            raise NotFound(f"inquiry {inquiry_id} does not exist")
        if inquiry.status is Status.RESOLVED:
            raise Conflict("the inquiry is resolved; reopen it to answer")
        limit = MAX_TEXT.get(str(inquiry.channel), 2000)
        if len(request.text) > limit:
            raise BadRequest(f"{inquiry.channel} takes at most {limit} characters in one message")
        messages = sorted(self.store.messages_of(inquiry_id), key=lambda m: (m.created_at, m.external_id))
        inbound = [m for m in messages if m.direction is Direction.IN and not m.removed]
        if not inbound:
            raise Conflict("the inquiry has no customer message left to answer")
        answering = inbound[-1]
        visibility = request.visibility or answering.visibility
        now = datetime.now(UTC)
        outbound = Outbound(
            inquiry=inquiry,
            answering=answering,
            text=request.text,
            visibility=visibility,
            last_customer_message_at=answering.created_at,
            now=now,
            email_to=inquiry.author.id if str(inquiry.channel) == "email" else None,
            email_subject=inquiry.subject,
            email_references=tuple(m.external_id for m in messages if str(m.channel) == "email"),
        )
        if gate is not None:
            gate(inquiry, visibility)  # e.g. ApprovalRequired: 409, nothing sent
        reply_id = uuid.uuid4().hex
        try:
            sent: Sent | None = self.client_for(inquiry, visibility).send(outbound)  # WindowClosed: 409
            failure: DeliveryFailed | None = None
        except DeliveryFailed as error:
            sent, failure = None, error
            logger.warning(
                "reply not delivered",
                extra={
                    "channel": str(inquiry.channel),
                    "error_type": type(error).__name__,
                    "code": error.code,
                },
            )
        delivery = Delivery(
            "sent" if sent else "failed", str(failure) if failure else None, reply_id, agent_id
        )
        external_id = sent.external_id if sent else f"failed:{reply_id}"
        self.store.add_message(
            Message(
                inquiry_id=inquiry_id,
                channel=inquiry.channel,
                external_id=external_id,
                direction=Direction.OUT,
                author=Author(id=agent_id),
                text=request.text,
                visibility=visibility,
                created_at=now,
                delivery=delivery,
            ),
            in_reply_to=answering.external_id,
        )
        if sent is None:
            return {"id": reply_id, "status": "failed", "external_id": None, "error": delivery.error}
        self.clock().responded(inquiry_id, now, waiting=request.waiting)
        return {"id": reply_id, "status": "sent", "external_id": sent.external_id, **sent.details}

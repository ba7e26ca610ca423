"""Replies on the inquiry's own channel: the agent writes once, Kanal sends it where the customer wrote.

A reply answers the customer's latest message of the inquiry, on that message's channel: after a handover
to a private chat that is where the customer now writes (Messenger for a Facebook comment, an Instagram or
X DM, an e-mail), with that channel's window. Before sending, the channel's client checks
the platform's window (``WindowClosed``: 409 with the reason and the options, nothing sent). What the
platform took is stored as an outbound message under the platform's own id, so its echo webhook creates
nothing and the customer's answer to it threads; what it refused is stored as ``failed`` with the
platform's error, visible on the inquiry. The first reply that reaches the customer stops the SLA clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from kanal.channels.outbound import ChannelClient, DeliveryFailed, Outbound, Sent
from kanal.errors import BadRequest, Conflict, NotFound
from kanal.model import Author, Channel, Delivery, Direction, Inquiry, Message, Status, Visibility
from kanal.observability import logger, metrics

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
        if visibility is not None and (not isinstance(visibility, str) or visibility not in set(Visibility)):
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
        mail_from: str | None = None,
    ) -> None:
        self.store = store
        self.client_for = client_for
        self.clock = clock
        self.mail_from = mail_from  # the company address of an e-mail a handover started

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
        messages = sorted(self.store.messages_of(inquiry_id), key=lambda m: (m.created_at, m.external_id))
        inbound = [m for m in messages if m.direction is Direction.IN and not m.removed]
        if not inbound:
            raise Conflict("the inquiry has no customer message left to answer")
        answering = inbound[-1]
        channel = Channel(answering.channel)  # where the customer now writes
        limit = MAX_TEXT.get(str(channel), 2000)
        if len(request.text) > limit:
            raise BadRequest(f"{channel} takes at most {limit} characters in one message")
        visibility = request.visibility or answering.visibility
        now = datetime.now(UTC)
        on = self._on_channel(inquiry, channel)
        outbound = Outbound(
            inquiry=on,
            answering=answering,
            text=request.text,
            visibility=visibility,
            last_customer_message_at=answering.created_at,
            now=now,
            email_to=answering.author.id if channel is Channel.EMAIL else None,
            email_subject=inquiry.subject,
            email_references=tuple(m.external_id for m in messages if str(m.channel) == "email"),
        )
        if gate is not None:
            gate(inquiry, visibility)  # e.g. ApprovalRequired: 409, nothing sent
        reply_id = uuid.uuid4().hex
        try:
            sent: Sent | None = self.client_for(on, visibility).send(outbound)  # WindowClosed: 409
            failure: DeliveryFailed | None = None
        except DeliveryFailed as error:
            sent, failure = None, error
            metrics.add_metric(name="ReplyFailed", unit="Count", value=1)  # ReplyFailuresAlarm
            logger.warning(
                "reply not delivered",
                extra={
                    "channel": str(channel),
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
                channel=channel,
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

    def _on_channel(self, inquiry: Inquiry, channel: Channel) -> Inquiry:
        """The inquiry as the channel's client sees it: the customer's latest message may be on another
        channel than the inquiry's first one (a handover). The company's account stays the inquiry's (the
        Page also sends on Messenger, the Instagram and X accounts their DMs), but for an e-mail, which
        comes from the company's address."""
        if channel == inquiry.channel:
            return inquiry
        if channel is Channel.EMAIL:
            if not self.mail_from:
                raise Conflict("no company address is configured (MailFromAddress) to answer by e-mail")
            return replace(inquiry, channel=channel, account_id=self.mail_from)
        return replace(inquiry, channel=channel)

"""Handover from a public conversation to a private 1:1 chat, without losing the thread.

The customer wrote in public (a Facebook comment or visitor post, an Instagram comment, an X post); the agent
moves the conversation into a private chat: one private message to the customer, and a short public answer
in the thread where they wrote ("we've sent you a private message"). Private first: when the private one is
refused, nothing public is sent. The customer's private answer joins the same inquiry (the handover points
the private conversation's open-inquiry marker at it), and later replies go where the customer now writes.

Whether there is a private path, and why not when there is none: ``private_path``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from kanal.channels.outbound import (
    ChannelClient,
    DeliveryFailed,
    Outbound,
    Sent,
    UnsupportedVisibility,
    WindowClosed,
)
from kanal.channels.outbound.x import DirectMessagesClosed
from kanal.conversation.private_path import (
    GRAPH_ALREADY_REPLIED,
    PUBLIC_REPLY,
    Path,
    Plan,
    already_private,
    already_replied,
    dm_not_accepted,
    nothing_public_left,
    plan,
    window_closed,
)
from kanal.conversation.replies import MAX_TEXT, Clock
from kanal.errors import BadRequest, Conflict, NotFound
from kanal.model import Author, Channel, Delivery, Direction, Inquiry, Message, Status, Visibility
from kanal.observability import logger


def conversation_key(customer_id: str, channel: Channel, thread_id: str) -> str:
    """The key of a customer's conversation, as intake computes it (``kanal.intake.ingest.thread_key``)."""
    return f"{customer_id}#{channel}#{thread_id}"


def x_dm_thread(account_id: str, user_id: str) -> str:
    """The thread id of a one-to-one X DM conversation (``kanal.channels.x``): ``dm:<sorted ids>``."""
    return "dm:" + "-".join(sorted([account_id, user_id]))


# ------------------------------------------------------------------------------------------ the texts

_GERMAN = {
    "private": (
        "Hallo, wir melden uns hier privat bei Ihnen, damit wir Ihr Anliegen mit Ihren Daten in Ruhe "
        "klären können."
    ),
    "public_message": "Wir haben Ihnen eine private Nachricht geschickt.",
    "public_email": "Wir haben Ihnen eine E-Mail geschickt.",
    "subject": "Ihre Nachricht an uns",
}
_ENGLISH = {
    "private": "Hi, we're following up here in private so we can look into this with your details.",
    "public_message": "We've sent you a private message.",
    "public_email": "We've sent you an e-mail.",
    "subject": "Your message to us",
}


def texts(language: str | None) -> dict[str, str]:
    """The default texts in the customer's language (German or English)."""
    return _GERMAN if (language or "").lower().startswith("de") else _ENGLISH


# ------------------------------------------------------------------------------------------ the service


@dataclass(frozen=True)
class PrivateRequest:
    text: str | None = None  # the private message (default: a greeting in the customer's language)
    public_text: str | None = None  # the short public answer (default: "we've sent you a private message")
    message_id: str | None = None  # the public message to hand over (default: the customer's latest)


class Store(Protocol):
    def get_inquiry(self, inquiry_id: str) -> Inquiry | None: ...
    def messages_of(self, inquiry_id: str) -> list[Message]: ...
    def add_message(self, message: Message, in_reply_to: str | None = None) -> None: ...
    def identities_of(self, customer_id: str) -> list[tuple[str, str]]: ...
    def link_identity(self, channel: str, author: Author, customer_id: str) -> str: ...
    def find_customer(self, channel: str, identity: str) -> str | None: ...
    def mark_private_reply(self, channel: str, external_id: str, private_id: str) -> bool: ...
    def open_private_thread(self, inquiry_id: str, thread_key: str) -> bool: ...


class Mailer(Protocol):
    def send_message(self, sender: str, to: str, subject: str, text: str, now: datetime) -> Sent: ...


class Handover:
    def __init__(
        self,
        store: Store,
        client_of: Callable[[Channel], ChannelClient],
        mailer: Callable[[], Mailer],
        clock: Callable[[], Clock],
        mail_from: str | None = None,
    ) -> None:
        self.store = store
        self.client_of = client_of
        self.mailer = mailer
        self.clock = clock
        self.mail_from = mail_from

    def to_private(self, inquiry_id: str, agent_id: str, request: PrivateRequest) -> dict[str, Any]:
        """Send the private message, then the short public answer; store both; the clock counts it."""
        inquiry = self.store.get_inquiry(inquiry_id)
        if inquiry is None:
            raise NotFound(f"inquiry {inquiry_id} does not exist")
        if inquiry.status is Status.RESOLVED:
            raise Conflict("the inquiry is resolved; reopen it to hand it over")
        target = self._target(inquiry, request.message_id)
        now = datetime.now(UTC)
        chosen = plan(inquiry, target, now, self._email_of(inquiry.customer_id))
        words = texts(inquiry.language)
        text = request.text or words["private"]
        self._check_length(chosen.channel, text)
        chosen, sent = self._send_private(inquiry, target, chosen, text, words["subject"], now)
        reply_id = uuid.uuid4().hex
        self.store.add_message(
            _outbound(inquiry_id, chosen.channel, sent, agent_id, text, Visibility.PRIVATE, now, reply_id),
            in_reply_to=target.external_id,
        )
        self.store.mark_private_reply(target.channel, target.external_id, sent.external_id)
        joined = self.store.open_private_thread(inquiry_id, self._private_key(inquiry, target, chosen, sent))
        sent_how = "public_email" if chosen.path is Path.EMAIL else "public_message"
        public_text = request.public_text or words[sent_how]
        public = self._send_public(inquiry, target, public_text, agent_id)
        self.clock().responded(inquiry_id, now)
        logger.info(
            "inquiry handed over to a private chat",
            extra={"inquiry_id": inquiry_id, "path": str(chosen.path), "joined": joined, "by": agent_id},
        )
        private = {
            "id": reply_id,
            "status": "sent",
            "channel": str(chosen.channel),
            "external_id": sent.external_id,
            "path": str(chosen.path),
            **({"recipient_id": sent.recipient_id} if sent.recipient_id else {}),
            **sent.details,
        }
        return {"private": private, "public": public}

    # ------------------------------------------------------------------------------------------ parts
    def _target(self, inquiry: Inquiry, message_id: str | None) -> Message:
        messages = sorted(self.store.messages_of(inquiry.id), key=lambda m: (m.created_at, m.external_id))
        if message_id is not None:
            found = [m for m in messages if m.external_id == message_id]
            if not found:
                raise BadRequest("message_id names no message of this inquiry")
            return found[0]
        public = [
            m
            for m in messages
            if m.direction is Direction.IN and m.visibility is Visibility.PUBLIC and not m.removed
        ]
        if public:
            return public[-1]
        if inquiry.private_thread_key or inquiry.visibility is Visibility.PRIVATE:
            raise already_private()
        raise nothing_public_left()

    def _email_of(self, customer_id: str) -> str | None:
        if not self.mail_from:
            return None  # no company address to write from
        addresses = [value for channel, value in self.store.identities_of(customer_id) if channel == "email"]
        return addresses[0] if addresses else None

    @staticmethod
    def _check_length(channel: Channel, text: str) -> None:
        limit = MAX_TEXT.get(str(channel), 2000)
        if len(text) > limit:
            raise BadRequest(f"{channel} takes at most {limit} characters in one message")

    def _send_private(
        self, inquiry: Inquiry, target: Message, chosen: Plan, text: str, subject: str, now: datetime
    ) -> tuple[Plan, Sent]:
        if chosen.path is Path.EMAIL:
            return chosen, self._mail(chosen, text, subject, now)
        outbound = Outbound(inquiry, target, text, Visibility.PRIVATE, target.created_at, now)
        try:
            return chosen, self.client_of(Channel(target.channel)).send(outbound)
        except WindowClosed as closed:  # the client's own check (the clock moved past the window)
            raise window_closed() from closed
        except DirectMessagesClosed as refused:
            if chosen.email:
                fallback = Plan(Path.EMAIL, chosen.email)
                return fallback, self._mail(fallback, text, subject, now)
            raise dm_not_accepted() from refused
        except DeliveryFailed as failed:
            if failed.code == GRAPH_ALREADY_REPLIED:
                raise already_replied() from failed
            logger.warning(
                "handover not delivered",
                extra={"path": str(chosen.path), "error_type": type(failed).__name__, "code": failed.code},
            )
            raise HandoverFailed(str(failed), failed.code) from failed

    def _mail(self, chosen: Plan, text: str, subject: str, now: datetime) -> Sent:
        assert chosen.email is not None and self.mail_from is not None  # plan() chose e-mail only then
        try:
            return self.mailer().send_message(self.mail_from, chosen.email, subject, text, now)
        except DeliveryFailed as failed:
            logger.warning(
                "handover e-mail not delivered",
                extra={"error_type": type(failed).__name__, "code": failed.code},
            )
            raise HandoverFailed(str(failed), failed.code) from failed

    def _private_key(self, inquiry: Inquiry, target: Message, chosen: Plan, sent: Sent) -> str:
        """The customer's private conversation, keyed as intake will key their answer in it."""
        account = inquiry.account_id
        if chosen.path in (Path.FACEBOOK_PRIVATE_REPLY, Path.INSTAGRAM_PRIVATE_REPLY):
            scoped = sent.recipient_id
            if not scoped:
                raise DeliveryFailed("Graph API answered the private reply without a recipient_id")
            channel = chosen.channel
            # the PSID / IGSID is the customer's identity on Messenger / Instagram messaging from now on
            owner = self.store.link_identity(
                str(channel), Author(id=scoped, name=target.author.name), inquiry.customer_id
            )
            return conversation_key(owner, channel, f"{account}:{scoped}")
        if chosen.path is Path.X_DM:
            return conversation_key(inquiry.customer_id, Channel.X, x_dm_thread(account, target.author.id))
        assert chosen.email is not None
        owner = self.store.find_customer("email", chosen.email) or inquiry.customer_id
        return conversation_key(owner, Channel.EMAIL, sent.external_id)

    def _send_public(
        self, inquiry: Inquiry, target: Message, text: str, agent_id: str
    ) -> dict[str, Any] | None:
        """The short public answer under the customer's message (the existing public reply path), sent
        after the private one (and stored after it: the detail lists it second)."""
        channel = Channel(target.channel)
        now = datetime.now(UTC)
        outbound = Outbound(inquiry, target, text, Visibility.PUBLIC, target.created_at, now)
        reply_id = uuid.uuid4().hex
        try:
            sent = self.client_of(channel).send(outbound)
        except (WindowClosed, UnsupportedVisibility) as refused:  # nothing was sent
            return {"id": reply_id, "status": "skipped", "channel": str(channel), "error": str(refused)}
        except DeliveryFailed as failed:
            logger.warning(
                "handover's public answer not delivered",
                extra={"channel": str(channel), "error_type": type(failed).__name__, "code": failed.code},
            )
            self.store.add_message(
                Message(
                    inquiry_id=inquiry.id,
                    channel=channel,
                    external_id=f"failed:{reply_id}",
                    direction=Direction.OUT,
                    author=Author(id=agent_id),
                    text=text,
                    visibility=Visibility.PUBLIC,
                    created_at=now,
                    delivery=Delivery("failed", str(failed), reply_id, agent_id),
                ),
                in_reply_to=target.external_id,
            )
            return {"id": reply_id, "status": "failed", "channel": str(channel), "error": str(failed)}
        self.store.add_message(
            _outbound(inquiry.id, channel, sent, agent_id, text, Visibility.PUBLIC, now, reply_id),
            in_reply_to=target.external_id,
        )
        return {"id": reply_id, "status": "sent", "channel": str(channel), "external_id": sent.external_id}


class HandoverFailed(Conflict):
    """The platform did not take the private message (after the retries): nothing was stored or sent in
    public; the agent may try again (409 with the platform's error)."""

    def __init__(self, message: str, code: str | None) -> None:
        super().__init__(f"the private message was not delivered: {message}")
        self.reason = "not_delivered"
        self.options = ["retry", PUBLIC_REPLY]
        self.code = code


def _outbound(
    inquiry_id: str,
    channel: Channel,
    sent: Sent,
    agent_id: str,
    text: str,
    visibility: Visibility,
    now: datetime,
    reply_id: str,
) -> Message:
    return Message(
        inquiry_id=inquiry_id,
        channel=channel,
        external_id=sent.external_id,
        direction=Direction.OUT,
        author=Author(id=agent_id),
        text=text,
        visibility=visibility,
        created_at=now,
        delivery=Delivery("sent", None, reply_id, agent_id),
    )

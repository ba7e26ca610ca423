"""Intake: a normalised platform message becomes a new inquiry, or joins its conversation's open one.

Rules:
- the company's own posts, echoes and answers are not inquiries;
- one platform message is stored once, however often it is delivered (keyed on channel + platform id);
- a follow-up by the same customer in the same conversation joins their open inquiry (the DM thread, a
  reply under their own comment or under the company's answer to it, their e-mail thread); other
  customers' comments under the same post stay separate inquiries;
- edits and removals change what is stored;
- every contact, on any channel, goes on the customer's timeline;
- an e-mail whose sender SES could not verify (DMARC failed, or neither SPF nor DKIM passed) joins nothing:
  it opens an inquiry of its own, marked ``sender_verified: false``, under a separate, unverified identity
  of its From address, never the customer that address belongs to (their timeline, value and open
  inquiries stay as they were);
- a new inquiry starts its routing workflow;
- a Messenger or Instagram message delivered while the company's bot owns the conversation is held, not
  an inquiry (``kanal.intake.threads``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from kanal.adapters.items import AlreadyStored
from kanal.adapters.store import DynamoStore
from kanal.channels.meta import is_bsuid
from kanal.model import (
    OPEN_STATUSES,
    Action,
    Author,
    Contact,
    ContactEvent,
    Direction,
    InboundMessage,
    Inquiry,
    Message,
)


class Workflow(Protocol):
    def start(self, inquiry_id: str) -> str:
        """Start (or find, when started already) the routing execution of an inquiry; return its id."""
        ...

    def followed_up(self, inquiry_id: str) -> None:
        """The customer wrote again on an open inquiry (the SLA clock may open a next-response window)."""
        ...


class Threads(Protocol):
    """Conversations the company's bot owns (``kanal.intake.threads.ThreadRouting``)."""

    def hold(self, customer_id: str, key: str, message: InboundMessage) -> bool:
        """Hold the message while the bot owns its conversation; False: it takes the usual way."""
        ...


class Outcome(StrEnum):
    CREATED = "created"
    JOINED = "joined"
    DUPLICATE = "duplicate"
    EDITED = "edited"
    REMOVED = "removed"
    OWN = "own"
    UNKNOWN = "unknown"  # an edit or removal of a message Kanal never stored
    CONTACT = "contact"
    HELD = "held"  # on the customer's timeline while the bot owns the conversation; no inquiry


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    inquiry_id: str | None = None


WHATSAPP_USER = "whatsapp-user"
UNVERIFIED_EMAIL = "email-unverified"  # the identity of a From address SES could not verify


def identity_key(channel: str, identity: str) -> tuple[str, str]:
    """How an identity is looked up: a WhatsApp account is its phone number, so a hotline call from that
    number and a WhatsApp message belong to one customer. A WhatsApp user Meta names by a business-scoped
    user id (BSUID, e.g. ``US.13491208655302741918``) is no phone number: that is an identity of its own."""
    if channel == "whatsapp" and is_bsuid(identity):
        return WHATSAPP_USER, identity
    if channel in ("whatsapp", "phone"):
        return "phone", identity.lstrip("+")
    return str(channel), identity


def thread_key(customer_id: str, message: InboundMessage) -> str:
    return conversation_key(customer_id, message.channel, message.thread_id)


def unverified(message: InboundMessage) -> InboundMessage:
    """An e-mail whose sender is not verified, as its own conversation: no References or In-Reply-To
    threads it onto an existing inquiry, whoever's it is."""
    return replace(message, thread_id=message.external_id, in_reply_to=None)


def conversation_key(customer_id: str, channel: str, thread_id: str) -> str:
    """A customer's conversation on a channel: its open inquiry is found under this key."""
    return f"{customer_id}#{channel}#{thread_id}"


def new_id() -> str:
    return uuid.uuid4().hex


class Intake:
    def __init__(self, store: DynamoStore, workflow: Workflow, threads: Threads | None = None) -> None:
        self.store = store
        self.workflow = workflow
        self.threads = threads  # conversations owned by the company's bot (Messenger, Instagram)

    def ingest(self, message: InboundMessage) -> Result:
        if message.own:
            return Result(Outcome.OWN)
        if message.action is Action.EDIT:
            return self._edit(message)
        if message.action is Action.REMOVE:
            removed = self.store.remove_message(message.channel, message.external_id)
            return Result(Outcome.REMOVED if removed else Outcome.UNKNOWN)
        stored = self.store.get_message(message.channel, message.external_id)
        if stored is not None:
            return self._redelivered(stored)
        return self._create_or_join(message)

    def _edit(self, message: InboundMessage) -> Result:
        if self.store.edit_message(message.channel, message.external_id, message.text):
            return Result(Outcome.EDITED)
        return self._create_or_join(message)  # an edit of a message whose creation Kanal never saw

    def _redelivered(self, stored: Message) -> Result:
        # A delivery can be retried after the inquiry was written but before its workflow started.
        inquiry = self.store.get_inquiry(stored.inquiry_id)
        opened_it = inquiry is not None and inquiry.external_id == stored.external_id
        if opened_it and self.store.execution_of(stored.inquiry_id) is None:
            self._start(stored.inquiry_id)
        return Result(Outcome.DUPLICATE, stored.inquiry_id)

    def _create_or_join(self, message: InboundMessage) -> Result:
        if not message.sender_verified:
            message = unverified(message)
        customer_id = self._customer_of(message)
        self.store.update_reach(customer_id, message.author)
        key = thread_key(customer_id, message)
        result = (
            self._hold(customer_id, key, message)
            or self._join(customer_id, key, message)
            or self._create(customer_id, key, message)
        )
        contact = Contact(
            message.created_at, message.channel, "message", message.external_id, result.inquiry_id
        )
        self.store.add_contact(customer_id, contact)  # the scorer tells this inquiry's own contact by its id
        return result

    def _customer_of(self, message: InboundMessage) -> str:
        """The customer behind the author, found by any of the ids the platform gives them (a WhatsApp
        phone number, or the BSUID of the same user); an id new to Kanal is linked to that customer."""
        ids = (message.author.id, *message.author_aliases)
        channel = message.channel if message.sender_verified else UNVERIFIED_EMAIL
        keys = list(dict.fromkeys(identity_key(channel, value) for value in ids))
        owners = [self.store.find_customer(channel, value) for channel, value in keys]
        unlinked = [key for key, owner in zip(keys, owners, strict=True) if owner is None]
        customer_id = next((owner for owner in owners if owner), None)
        if customer_id is None:  # first contact: the author's own id creates the customer
            channel, value = unlinked.pop(0)
            customer_id = self.store.link_identity(channel, replace(message.author, id=value), new_id())
        for channel, value in unlinked:
            self.store.link_identity(channel, replace(message.author, id=value), customer_id)
        return customer_id

    def _conversation_inquiry(self, customer_id: str, key: str, message: InboundMessage) -> str | None:
        inquiry_id = self.store.open_inquiry_of_thread(key)
        if inquiry_id is None and message.in_reply_to:
            # e.g. a reply to the company's answer on X: the answered message names the inquiry
            answered = self.store.get_message(message.channel, message.in_reply_to)
            if answered is not None:
                inquiry = self.store.get_inquiry(answered.inquiry_id)
                if (
                    inquiry is not None
                    and inquiry.customer_id == customer_id
                    and inquiry.status in OPEN_STATUSES
                ):
                    inquiry_id = inquiry.id
        return inquiry_id

    def _hold(self, customer_id: str, key: str, message: InboundMessage) -> Result | None:
        if self.threads is not None and self.threads.hold(customer_id, key, message):
            return Result(Outcome.HELD)
        return None

    def _join(self, customer_id: str, key: str, message: InboundMessage) -> Result | None:
        if not message.sender_verified:
            return None  # its own inquiry, always (a redelivery is found before, by its message id)
        inquiry_id = self._conversation_inquiry(customer_id, key, message)
        if inquiry_id is None:
            return None
        try:
            self.store.add_message(stored_message(inquiry_id, message), message.in_reply_to)
        except AlreadyStored:
            return Result(Outcome.DUPLICATE, inquiry_id)
        self.workflow.followed_up(inquiry_id)
        return Result(Outcome.JOINED, inquiry_id)

    def _create(self, customer_id: str, key: str, message: InboundMessage) -> Result:
        inquiry = Inquiry(
            id=new_id(),
            channel=message.channel,
            external_id=message.external_id,
            author=message.author,
            text=message.text,
            visibility=message.visibility,
            thread_id=message.thread_id,
            account_id=message.account_id,
            customer_id=customer_id,
            created_at=message.created_at,
            received_at=message.received_at,
            language=message.language,
            attachments=message.attachments,
            subject=message.subject,
            sender_verified=message.sender_verified,
        )
        try:
            self.store.create_inquiry(inquiry, stored_message(inquiry.id, message), key, message.in_reply_to)
        except AlreadyStored:
            # a concurrent delivery stored this message, or opened this conversation's inquiry first
            stored = self.store.get_message(message.channel, message.external_id)
            if stored is not None:
                return Result(Outcome.DUPLICATE, stored.inquiry_id)
            joined = self._join(customer_id, key, message)
            if joined is None:
                raise
            return joined
        self._start(inquiry.id)
        return Result(Outcome.CREATED, inquiry.id)

    def _start(self, inquiry_id: str) -> None:
        self.store.set_execution(inquiry_id, self.workflow.start(inquiry_id))

    def record_contact(self, event: ContactEvent) -> Result:
        """A hotline call, e-mail or order from a CRM or shop: goes on the customer's timeline.

        The customer is found by the CRM's reference or by the identity the event names (a phone number
        is the same identity as that number's WhatsApp account); an event naming both links them.
        """
        identities = []
        if event.customer_ref:
            identities.append(("crm", event.customer_ref))
        if event.channel and event.identity:
            identities.append(identity_key(event.channel, event.identity))
        known = (self.store.find_customer(channel, value) for channel, value in identities)
        customer_id = next((found for found in known if found), None) or new_id()
        for channel, value in identities:
            self.store.link_identity(channel, Author(id=value), customer_id)
        channel = event.channel or "crm"
        self.store.add_contact(
            customer_id, Contact(event.occurred_at, channel, event.kind, f"event:{event.event_id}")
        )
        if event.kind == "order" or event.vip is not None:
            self.store.update_value(customer_id, event.amount if event.kind == "order" else None, event.vip)
        return Result(Outcome.CONTACT)


def stored_message(inquiry_id: str, message: InboundMessage) -> Message:
    """The customer's message as it is stored under ``inquiry_id``."""
    return Message(
        inquiry_id=inquiry_id,
        channel=message.channel,
        external_id=message.external_id,
        direction=Direction.IN,
        author=message.author,
        text=message.text,
        visibility=message.visibility,
        created_at=message.created_at,
        attachments=message.attachments,
        parent_id=message.parent_id,
        mentions_account=message.mentions_account,
    )

"""Bot and human on Messenger and Instagram: which app owns a conversation, and what Kanal does about it.

Meta's Conversation Routing (which replaced the Handover Protocol: developers.facebook.com/documentation/
business-messaging/messenger-platform/conversation-routing) gives each customer's conversation with a Page
or Instagram account one owning app. A company that lets its bot answer first configures the bot's app id
(``MetaBotAppId``) next to Kanal's own (``MetaAppId``). Kanal then learns the owner from three sources:
the ``messaging_handovers`` webhooks (``pass_thread_control`` to Kanal, ``take_thread_control`` from it),
its own passes, and, when it knows nothing recent, Graph's thread owner endpoint
(``GET /{page-id}/thread_owner``, documented for Conversation Routing's Messenger and Instagram control
APIs, see ``kanal.channels.outbound.thread_control``).

Rules:
- A message Meta delivers as ``standby`` (Kanal is not the owner: .../webhooks/webhook-events/standby)
  while the configured bot owns the conversation is held: stored once under the customer, on their
  timeline, and neither an inquiry nor queued. Under any other owner (Meta's Page Inbox, where people
  answer in Meta's own tool, another app, nobody) it stays an inquiry as before.
- An owner Kanal has not heard of within ``FRESH`` (a bot can be the Page's default owner without any
  handover event, and a change between two other apps is not told to Kanal) is asked of Graph; the answer
  is stored. A lookup that fails counts as "another owner": the message becomes an inquiry, because an
  inquiry too many is answered while a message held by mistake is not.
- When the conversation is passed to Kanal's app, its held messages of the last ``HELD_DAYS`` (the
  HUMAN_AGENT window: older ones could not be answered anyway) become one inquiry, oldest first, and its
  routing starts (or they join the conversation's open inquiry); the passing app's ``metadata`` is a note
  on it. Later ``messaging[]`` messages join it as any follow-up does. A pass with nothing held creates
  nothing; the customer's next message opens an inquiry as usual.
- When an inquiry of a conversation Kanal owns is resolved, the conversation is passed back to the bot
  (``pass_thread_control``). A failure is logged with its error type and kept on the inquiry
  (``handback``); it never undoes the resolve.
- Owner changes are written only when not older than the stored one (deliveries arrive out of order);
  a lookup updates the owner but not the time of the last change.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from kanal.adapters.items import AlreadyStored
from kanal.adapters.threads import Owner, held_id
from kanal.channels.language import guess
from kanal.channels.outbound import DeliveryFailed
from kanal.channels.outbound.thread_control import ThreadOwnedByOtherApp
from kanal.intake.ingest import Workflow, conversation_key, identity_key, stored_message
from kanal.model import (
    Channel,
    Contact,
    ControlAction,
    Handback,
    InboundMessage,
    Inquiry,
    Message,
    Note,
    ThreadControl,
    Visibility,
)
from kanal.observability import logger

CHANNELS = frozenset({Channel.MESSENGER, Channel.INSTAGRAM})
FRESH = timedelta(minutes=10)  # an owner learnt this recently is trusted without asking Graph
HELD_DAYS = timedelta(days=7)  # held messages older than this do not open the inquiry
NAMESPACE = uuid.UUID("5b0f6b1e-8f4c-4c55-9a55-2f1c6e0d7a31")  # deterministic ids of adopted inquiries
HANDOVER_NOTE = "handover"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the kind of the note that carries the passing app's metadata


class Owners(Protocol):
    """Conversation ownership and held messages (``kanal.adapters.threads.ThreadStore``)."""

    def owner(self, channel: str, account_id: str, customer: str) -> Owner | None: ...
    def set_owner(self, channel: str, account_id: str, customer: str, owner: Owner) -> bool: ...
    def hold(self, message: Message) -> None: ...
    def held(self, thread_key: str, since: datetime) -> list[Message]: ...
    def adopt(self, inquiry: Inquiry, thread_key: str, first: Message) -> None: ...
    def move(self, message: Message, inquiry_id: str) -> bool: ...
    def record_handback(self, inquiry_id: str, handback: Handback) -> Inquiry: ...
    def add_note_once(self, note: Note, channel: str) -> bool: ...


class Store(Protocol):
    """What this module reads and writes of customers and inquiries (``kanal.adapters.store.DynamoStore``)."""

    def find_customer(self, channel: str, identity: str) -> str | None: ...
    def add_contact(self, customer_id: str, contact: Contact) -> None: ...
    def open_inquiry_of_thread(self, thread_key: str) -> str | None: ...
    def get_inquiry(self, inquiry_id: str) -> Inquiry | None: ...
    def execution_of(self, inquiry_id: str) -> str | None: ...
    def set_execution(self, inquiry_id: str, execution_arn: str) -> None: ...


class ControlApi(Protocol):
    """Graph's Conversation Routing calls (``ThreadControlApi``)."""

    def thread_owner(self, channel: str, account_id: str, customer: str) -> str | None: ...
    def pass_thread_control(
        self, channel: str, account_id: str, customer: str, target_app_id: str, metadata: str | None = None
    ) -> None: ...


@dataclass(frozen=True)
class Apps:
    kanal: str | None  # Kanal's own Meta app id
    bot: str | None  # the company's bot; None: no bot answers first

    @property
    def enabled(self) -> bool:
        return self.kanal is not None and self.bot is not None


def _now() -> datetime:
    return datetime.now(UTC)


class ThreadRouting:
    def __init__(
        self,
        store: Store,
        owners: Owners,
        apps: Apps,
        api: Callable[[], ControlApi],
        workflow: Workflow,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.store = store
        self.owners = owners
        self.apps = apps
        self.api = api  # built on first use: most deliveries never need Graph
        self.workflow = workflow
        self.clock = clock

    # ---------------------------------------------------------------- standby messages
    def hold(self, customer_id: str, key: str, message: InboundMessage) -> bool:
        """Hold a standby message while the bot owns its conversation; False: it takes the usual way.

        Held, it is stored once (a redelivery is a no-op) under the placeholder inquiry of its
        conversation; the caller puts it on the customer's timeline."""
        if not (self.apps.enabled and message.standby and message.channel in CHANNELS):
            return False
        owner = self.owner(message.channel, message.account_id, message.author.id)
        if owner != self.apps.bot:
            return False
        with suppress(AlreadyStored):  # the same message, delivered again meanwhile
            self.owners.hold(stored_message(held_id(key), message))
        logger.info(
            "message held while the bot owns the conversation", extra={"channel": str(message.channel)}
        )
        return True

    def owner(self, channel: str, account_id: str, customer: str) -> str | None:
        """The conversation's owner as last learnt, or as Graph says when that is not recent."""
        now = self.clock()
        stored = self.owners.owner(channel, account_id, customer)
        if stored is not None and now - stored.learnt_at < FRESH:
            return stored.app_id
        try:
            app_id = self.api().thread_owner(channel, account_id, customer)
        except (DeliveryFailed, ThreadOwnedByOtherApp) as error:
            logger.warning(
                "thread owner lookup failed",
                extra={
                    "channel": channel,
                    "error_type": type(error).__name__,
                    "code": getattr(error, "code", None),
                },
            )
            return None  # counts as another owner: the message stays an inquiry
        # A lookup keeps the time of the last change Kanal heard of: only handovers order changes, so a
        # pass delivered after the lookup is never taken for an older one (the clocks are Meta's and ours)
        changed = stored.at if stored is not None else EPOCH
        self.owners.set_owner(channel, account_id, customer, Owner(app_id, changed, now, "lookup"))
        return app_id

    # ---------------------------------------------------------------- handovers
    def handover(self, event: ThreadControl) -> str | None:
        """A messaging_handovers event; the id of the inquiry it gave held messages to, if any."""
        extra = {"channel": str(event.channel), "action": str(event.action)}
        if event.action is ControlAction.REQUEST or event.channel not in CHANNELS:
            logger.info("thread control request noted", extra=extra)
            return None
        owner = Owner(event.new_owner, event.at, self.clock(), str(event.action))
        if not self.owners.set_owner(str(event.channel), event.account_id, event.customer_id, owner):
            logger.info("thread control change older than the one known", extra=extra)
            return None
        logger.info("thread owner changed", extra={**extra, "to_kanal": event.new_owner == self.apps.kanal})
        if self.apps.kanal is None or event.new_owner != self.apps.kanal:
            return None
        return self._adopt(event)

    def _adopt(self, event: ThreadControl) -> str | None:
        customer_id = self.store.find_customer(*identity_key(event.channel, event.customer_id))
        if customer_id is None:
            return None  # Kanal never heard from this customer: nothing is held
        key = conversation_key(customer_id, event.channel, event.thread_id)
        held = self.owners.held(key, event.at - HELD_DAYS)
        if not held:
            return None
        own_id = uuid.uuid5(NAMESPACE, f"{key}#{event.at.isoformat()}").hex  # the same for a redelivery
        inquiry_id = self.store.open_inquiry_of_thread(key)
        opened, moved_first = inquiry_id == own_id, False
        if inquiry_id is None:
            inquiry_id, opened, moved_first = self._create(event, own_id, customer_id, key, held[0])
        for message in held[1:] if moved_first else held:
            self.owners.move(message, inquiry_id)
        for message in held:  # the timeline now names the inquiry (the scorer tells its own contacts)
            contact = Contact(message.created_at, message.channel, "message", message.external_id, inquiry_id)
            self.store.add_contact(customer_id, contact)
        if event.metadata:
            note_id = uuid.uuid5(NAMESPACE, f"note:{inquiry_id}:{event.at.isoformat()}").hex
            author = f"app:{event.previous_owner}" if event.previous_owner else "app"
            note = Note(note_id, inquiry_id, author, event.metadata, event.at, HANDOVER_NOTE)
            self.owners.add_note_once(note, str(event.channel))
        if not opened:
            self.workflow.followed_up(inquiry_id)
        elif self.store.execution_of(inquiry_id) is None:
            self.store.set_execution(inquiry_id, self.workflow.start(inquiry_id))
        logger.info(
            "held messages handed to an inquiry",
            extra={"channel": str(event.channel), "inquiry_id": inquiry_id, "messages": len(held)},
        )
        return inquiry_id

    def _create(
        self, event: ThreadControl, inquiry_id: str, customer_id: str, key: str, first: Message
    ) -> tuple[str, bool, bool]:
        """A new inquiry whose first message is the first held one: (its id, whether this handover opened
        it, whether ``first`` moved into it now)."""
        inquiry = Inquiry(
            id=inquiry_id,
            channel=event.channel,
            external_id=first.external_id,
            author=first.author,
            text=first.text,
            visibility=Visibility.PRIVATE,
            thread_id=event.thread_id,
            account_id=event.account_id,
            customer_id=customer_id,
            created_at=first.created_at,
            received_at=self.clock(),
            language=guess(first.text),
            attachments=first.attachments,
        )
        try:
            self.owners.adopt(inquiry, key, first)
        except AlreadyStored:
            if self.store.get_inquiry(inquiry_id) is not None:
                return inquiry_id, True, False  # this handover, delivered again: carry on where it stopped
            opened = self.store.open_inquiry_of_thread(key)
            if opened is None:
                raise  # the first message moved meanwhile: the delivery is retried
            return opened, False, False  # a message opened an inquiry meanwhile: the held ones join it
        return inquiry_id, True, True

    # ---------------------------------------------------------------- back to the bot
    def hand_back(self, inquiry: Inquiry) -> Inquiry:
        """After a resolve: a conversation Kanal owns goes back to the bot. Never raises for the platform."""
        if not (
            self.apps.enabled and inquiry.channel in CHANNELS and inquiry.visibility is Visibility.PRIVATE
        ):
            return inquiry
        customer = inquiry.author.id
        stored = self.owners.owner(str(inquiry.channel), inquiry.account_id, customer)
        if stored is None or stored.app_id != self.apps.kanal:
            return inquiry  # Kanal does not hold the conversation: nothing to pass back
        bot, now = str(self.apps.bot), self.clock()
        try:
            self.api().pass_thread_control(
                str(inquiry.channel),
                inquiry.account_id,
                customer,
                bot,
                metadata=f"kanal:resolved:{inquiry.id}",
            )
        except (DeliveryFailed, ThreadOwnedByOtherApp) as error:
            logger.warning(
                "passing the conversation back to the bot failed",
                extra={
                    "inquiry_id": inquiry.id,
                    "channel": str(inquiry.channel),
                    "error_type": type(error).__name__,
                    "code": getattr(error, "code", None),
                },
            )
            return self.owners.record_handback(inquiry.id, Handback(now, bot, "failed", str(error)))
        self.owners.set_owner(
            str(inquiry.channel), inquiry.account_id, customer, Owner(bot, now, now, "handback")
        )
        logger.info("conversation passed back to the bot", extra={"inquiry_id": inquiry.id})
        return self.owners.record_handback(inquiry.id, Handback(now, bot, "passed"))

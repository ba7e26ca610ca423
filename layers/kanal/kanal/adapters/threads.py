"""The DynamoDB adapter of conversation ownership (Messenger / Instagram) and of the messages held meanwhile.

- The owner of one customer's conversation with one account is an item of the customers table,
  ``pk=OWNER#<channel>#<account>#<psid>``, ``sk=OWNER``: a key lookup, never a Scan. A change is written
  only when it is not older than the one stored (deliveries can arrive out of order).
- A message held while the company's bot owns the conversation is stored like any message (keyed on the
  platform's id, so a redelivery cannot store it twice) under the placeholder inquiry id
  ``held#<thread key>``; the ``by_inquiry`` index then reads a conversation's held messages oldest first,
  and adopting them into an inquiry is a conditional update of that id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from kanal.adapters.inquiry_store import update_inquiry
from kanal.adapters.items import (
    AlreadyStored,
    connection,
    handback_json,
    inquiry_item,
    message_item,
    message_key,
    note_item,
    to_inquiry,
    to_message,
)
from kanal.adapters.models import CustomerItem, InquiryItem, MessageItem
from kanal.model import Handback, Inquiry, Message, Note
from kanal.times import iso, parse_iso

HELD = "held#"  # prefix of the placeholder inquiry id of held messages


def held_id(thread_key: str) -> str:
    return f"{HELD}{thread_key}"


@dataclass(frozen=True)
class Owner:
    """The app that owns a conversation, as Kanal last learnt it."""

    app_id: str | None  # None: idle (no app owns it)
    at: datetime  # when it changed (the platform's time of the handover, or of the lookup)
    learnt_at: datetime  # when Kanal learnt it
    via: str  # pass | take | lookup | handback


def _owner_key(channel: str, account_id: str, customer: str) -> str:
    return f"OWNER#{channel}#{account_id}#{customer}"


class ThreadStore:
    """Reads and writes of conversation ownership and held messages: key lookups and queries only."""

    def owner(self, channel: str, account_id: str, customer: str) -> Owner | None:
        try:
            item = CustomerItem.get(_owner_key(channel, account_id, customer), "OWNER", consistent_read=True)
        except DoesNotExist:
            return None
        return Owner(
            app_id=item.ref or None,
            at=parse_iso(item.at or ""),
            learnt_at=parse_iso(item.created_at or item.at or ""),
            via=item.kind or "",
        )

    def set_owner(self, channel: str, account_id: str, customer: str, owner: Owner) -> bool:
        """Store the owner unless a later change is stored already; True when it was stored."""
        pk = _owner_key(channel, account_id, customer)
        item = CustomerItem(
            pk,
            "OWNER",
            ref=owner.app_id or "",
            at=iso(owner.at),
            created_at=iso(owner.learnt_at),
            kind=owner.via,
            channel=channel,
        )
        try:
            item.save(condition=CustomerItem.pk.does_not_exist() | (CustomerItem.at <= iso(owner.at)))
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # ---------------------------------------------------------------- held messages
    def hold(self, message: Message) -> None:
        """Store a held message (``message.inquiry_id`` is its ``held_id``); AlreadyStored when its
        platform id is stored already."""
        try:
            message_item(message).save(condition=MessageItem.key.does_not_exist())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise AlreadyStored(message.external_id) from error
            raise

    def held(self, thread_key: str, since: datetime) -> list[Message]:
        """The conversation's held messages since ``since``, oldest first."""
        items = MessageItem.by_inquiry.query(
            held_id(thread_key), MessageItem.created_at >= iso(since), scan_index_forward=True
        )
        return [to_message(item) for item in items]

    def adopt(self, inquiry: Inquiry, thread_key: str, first: Message) -> None:
        """Write the inquiry and the conversation's open-inquiry marker, and make the first held message
        its first message, at once. AlreadyStored when the inquiry or an open inquiry of the conversation
        exists, or the message is no longer held."""
        try:
            with TransactWrite(connection=connection(InquiryItem.Meta.region)) as transaction:
                transaction.save(inquiry_item(inquiry, thread_key), condition=InquiryItem.id.does_not_exist())
                transaction.save(
                    CustomerItem(f"THREAD#{thread_key}", "OPEN", inquiry_id=inquiry.id),
                    condition=CustomerItem.pk.does_not_exist(),
                )
                transaction.update(
                    MessageItem(message_key(first.channel, first.external_id)),
                    actions=[MessageItem.inquiry_id.set(inquiry.id)],
                    condition=MessageItem.inquiry_id == first.inquiry_id,
                )
        except TransactWriteError as error:
            if error.cause_response_code == "TransactionCanceledException":
                raise AlreadyStored(inquiry.external_id) from error
            raise

    def move(self, message: Message, inquiry_id: str) -> bool:
        """A held message joins an inquiry; False when it was no longer held (moved already)."""
        try:
            MessageItem(message_key(message.channel, message.external_id)).update(
                actions=[MessageItem.inquiry_id.set(inquiry_id)],
                condition=MessageItem.inquiry_id == message.inquiry_id,
            )
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        update_inquiry(inquiry_id, [])
        return True

    def record_handback(self, inquiry_id: str, handback: Handback) -> Inquiry:
        return to_inquiry(update_inquiry(inquiry_id, [InquiryItem.handback.set(handback_json(handback))]))

    def add_note_once(self, note: Note, channel: str) -> bool:
        """Store a note under its id unless it is stored already (a handover delivered twice)."""
        try:
            note_item(note, channel).save(condition=MessageItem.key.does_not_exist())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

"""An inquiry's conversation in DynamoDB: its messages (keyed on the platform's id, so a redelivery cannot
store one twice), its internal notes and its draft replies, all in the messages table and read together by
the ``by_inquiry`` index."""

from __future__ import annotations

from dataclasses import replace

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.update import Action

from kanal.adapters.inquiry_store import update_inquiry
from kanal.adapters.items import (
    DRAFT,
    NOTE,
    AlreadyStored,
    draft_item,
    draft_json,
    message_item,
    message_key,
    note_item,
    to_draft,
    to_message,
    to_note,
)
from kanal.adapters.models import InquiryItem, MessageItem
from kanal.errors import Conflict
from kanal.model import Draft, Message, Note


class MessageStore:
    """Every read and write of messages, notes and drafts."""

    # ---------------------------------------------------------------- messages
    def get_message(self, channel: str, external_id: str) -> Message | None:
        try:
            return to_message(MessageItem.get(message_key(channel, external_id)))
        except DoesNotExist:
            return None

    def add_message(self, message: Message, in_reply_to: str | None = None) -> None:
        """Store a message once; raise AlreadyStored when its platform id is stored already."""
        try:
            message_item(message, in_reply_to).save(condition=MessageItem.key.does_not_exist())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise AlreadyStored(message.external_id) from error
            raise
        update_inquiry(message.inquiry_id, [])

    def edit_message(self, channel: str, external_id: str, text: str) -> bool:
        return self._update_message(
            channel, external_id, [MessageItem.text.set(text), MessageItem.edited.set(True)]
        )

    def remove_message(self, channel: str, external_id: str) -> bool:
        return self._update_message(
            channel, external_id, [MessageItem.removed.set(True), MessageItem.text.set("")]
        )

    def _update_message(self, channel: str, external_id: str, actions: list[Action]) -> bool:
        try:
            item = MessageItem.get(message_key(channel, external_id))
        except DoesNotExist:
            return False
        item.update(actions=actions)
        inquiry = _inquiry(item.inquiry_id) if item.inquiry_id else None  # None: a held message
        if inquiry is not None and inquiry.external_id == external_id:
            update_inquiry(item.inquiry_id, [InquiryItem.text.set(item.text)])  # it shows its first message
        return True

    def messages_of(self, inquiry_id: str) -> list[Message]:
        return self.thread_of(inquiry_id)[0]

    def thread_of(self, inquiry_id: str) -> tuple[list[Message], list[Note]]:
        """The inquiry's inbound and outbound messages and its internal notes, from one query."""
        messages, notes, _ = self.conversation_of(inquiry_id)
        return messages, notes

    def conversation_of(self, inquiry_id: str) -> tuple[list[Message], list[Note], list[Draft]]:
        """The inquiry's messages, internal notes and draft replies, from one query."""
        messages: list[Message] = []
        notes: list[Note] = []
        drafts: list[Draft] = []
        for item in MessageItem.by_inquiry.query(inquiry_id):
            if item.direction == NOTE:
                notes.append(to_note(item))
            elif item.direction == DRAFT:
                drafts.append(to_draft(item))
            else:
                messages.append(to_message(item))
        return messages, notes, drafts

    # ---------------------------------------------------------------- drafts
    def get_draft(self, inquiry_id: str, draft_id: str) -> Draft | None:
        try:
            item = MessageItem.get(f"{DRAFT}#{draft_id}", consistent_read=True)
        except DoesNotExist:
            return None
        return to_draft(item) if item.inquiry_id == inquiry_id and item.direction == DRAFT else None

    def add_draft(self, draft: Draft, channel: str) -> Draft:
        """Store a new draft (version 1) of an inquiry (``channel``: the inquiry's, for the item's shape)."""
        stored = replace(draft, version=1)
        draft_item(stored, channel).save(condition=MessageItem.key.does_not_exist())
        return stored

    def save_draft(self, draft: Draft, expected_version: int) -> Draft:
        """Write the draft's text and state while its stored version is ``expected_version``; Conflict when
        another change came first (two approvers: one wins)."""
        saved = replace(draft, version=expected_version + 1)
        try:
            MessageItem(f"{DRAFT}#{draft.id}").update(
                actions=[
                    MessageItem.text.set(saved.text),
                    MessageItem.draft.set(draft_json(saved)),
                    MessageItem.draft_version.set(saved.version),
                ],
                condition=MessageItem.draft_version == expected_version,
            )
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict("the draft was changed meanwhile; reload it") from error
            raise
        return saved

    def add_note(self, note: Note, channel: str) -> None:
        """Store an internal note of an inquiry (``channel``: the inquiry's, kept for the item's shape)."""
        note_item(note, channel).save(condition=MessageItem.key.does_not_exist())

    def mark_private_reply(self, channel: str, external_id: str, private_id: str) -> bool:
        """Record the private message sent in answer to a public one; False when one was recorded already."""
        try:
            MessageItem(message_key(channel, external_id)).update(
                actions=[MessageItem.private_reply.set(private_id)],
                condition=MessageItem.key.exists() & MessageItem.private_reply.does_not_exist(),
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            return False
        return True


def _inquiry(inquiry_id: str) -> InquiryItem | None:
    try:
        return InquiryItem.get(inquiry_id)
    except DoesNotExist:
        return None

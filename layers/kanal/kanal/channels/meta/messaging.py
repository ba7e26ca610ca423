"""Messenger and Instagram Direct (``entry[].messaging[]``, ``standby[]``): messages, edits and postbacks as
InboundMessages, conversation handovers between apps as ThreadControls."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kanal.channels._common import JsonObject, id_of, obj, text_of
from kanal.channels.meta import HANDOVERS, Context, event_identity, handover, inbound, listed, party
from kanal.errors import MalformedPayload
from kanal.kinds import Channel, ControlAction, Visibility

if TYPE_CHECKING:
    from kanal.model import Attachment, InboundMessage, ThreadControl


def messages(channel: Channel) -> Callable[[Context, JsonObject, JsonObject], list[InboundMessage]]:
    def normalise_event(context: Context, event: JsonObject, record: JsonObject) -> list[InboundMessage]:
        from kanal.model import Author

        identity = event_identity(event)
        if identity is None:
            return []  # deliveries, reads, reactions, referrals, handover notices
        external_id, action, _ = identity
        sender = party(event, "sender")
        own = sender == context.account or bool(obj(event, "message").get("is_echo"))
        customer = party(event, "recipient") if own else sender
        text, attachments, in_reply_to = _event_content(event)
        return [
            inbound(
                context,
                channel=channel,
                external_id=external_id,
                author=Author(id=sender),
                text=text,
                visibility=Visibility.PRIVATE,
                thread_id=f"{context.account}:{customer}",
                in_reply_to=in_reply_to,
                created_at=context.created_at(event.get("timestamp")),
                action=action,
                own=own,
                attachments=attachments,
                standby=context.standby,
            )
        ]

    return normalise_event


def thread_control(channel: Channel) -> Callable[[Context, JsonObject, JsonObject], list[ThreadControl]]:
    def normalise_event(context: Context, event: JsonObject, record: JsonObject) -> list[ThreadControl]:
        from kanal.model import ThreadControl

        found = handover(event)
        if found is None:
            raise MalformedPayload("meta handover record carries no thread control event")
        name, value = found
        action = HANDOVERS[name]
        metadata = value.get("metadata")
        return [
            ThreadControl(
                channel=channel,
                account_id=context.account,
                customer_id=party(event, "sender"),
                action=action,
                at=context.created_at(event.get("timestamp")),
                new_owner=None if action is ControlAction.REQUEST else id_of(value.get("new_owner_app_id")),
                previous_owner=id_of(value.get("previous_owner_app_id")),
                metadata=metadata if isinstance(metadata, str) and metadata else None,
                requested_by=id_of(value.get("requested_owner_app_id")),
            )
        ]

    return normalise_event


def _event_content(event: JsonObject) -> tuple[str, tuple[Attachment, ...], str | None]:
    """(text, attachments, id of the message replied to) of a message, edit or postback event."""
    from kanal.model import Attachment

    if isinstance(event.get("message_edit"), dict):
        return text_of(event["message_edit"].get("text")), (), None
    if isinstance(event.get("postback"), dict):
        postback = event["postback"]
        return text_of(postback.get("title")) or text_of(postback.get("payload")), (), None
    message = obj(event, "message")
    attachments = tuple(
        Attachment(
            type=text_of(item.get("type")) or "file", url=text_of(obj(item, "payload").get("url")) or None
        )
        for item in listed(message, "attachments")
        if isinstance(item, dict)
    )
    return text_of(message.get("text")), attachments, id_of(obj(message, "reply_to").get("mid"))

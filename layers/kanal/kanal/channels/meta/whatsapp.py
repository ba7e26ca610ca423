"""WhatsApp Cloud API messages (``changes[].field`` = ``messages``) as InboundMessages: text, media, buttons,
lists, locations and orders, from a phone number or a business-scoped user id."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kanal.channels._common import JsonObject, fallback_key, id_of, obj, text_of
from kanal.channels.meta import WA_IGNORED_TYPES, Context, inbound, whatsapp_sender
from kanal.errors import MalformedPayload
from kanal.kinds import Channel, Visibility

if TYPE_CHECKING:
    from kanal.model import Attachment, InboundMessage

_WA_MEDIA_TYPES = ("image", "video", "document", "audio", "sticker")


def message(context: Context, message: JsonObject, record: JsonObject) -> list[InboundMessage]:
    from kanal.model import Author

    if text_of(message.get("type")) in WA_IGNORED_TYPES:
        return []
    external_id = id_of(message.get("id")) or fallback_key("wamid", message)
    contact = obj(record, "contact")
    phone, bsuid = whatsapp_sender(contact, message)
    user_id = phone or bsuid  # the phone number when Meta gives one: a call from it meets the customer
    if user_id is None:
        raise MalformedPayload("whatsapp message names no sender (from, from_user_id)")
    profile = obj(contact, "profile")
    name = text_of(profile.get("name")) or None
    handle = phone or text_of(profile.get("username")) or None
    text, attachments = _whatsapp_content(message)
    return [
        inbound(
            context,
            channel=Channel.WHATSAPP,
            external_id=external_id,
            author=Author(id=user_id, name=name, handle=handle),
            author_aliases=(bsuid,) if bsuid and bsuid != user_id else (),
            text=text,
            visibility=Visibility.PRIVATE,
            thread_id=f"{context.account}:{user_id}",
            in_reply_to=id_of(obj(message, "context").get("id")),
            created_at=context.created_at(message.get("timestamp")),
            attachments=attachments,
        )
    ]


def _whatsapp_content(message: JsonObject) -> tuple[str, tuple[Attachment, ...]]:
    from kanal.model import Attachment

    kind = text_of(message.get("type"))
    if kind in _WA_MEDIA_TYPES:
        media = obj(message, kind)
        return text_of(media.get("caption")), (Attachment(type=kind, url=text_of(media.get("url")) or None),)
    extract = _WA_TEXT.get(kind)
    return (extract(message) if extract else ""), ()


def _interactive_text(message: JsonObject) -> str:
    interactive = obj(message, "interactive")
    for reply in ("button_reply", "list_reply"):
        title = text_of(obj(interactive, reply).get("title"))
        if title:
            return title
    return text_of(obj(interactive, "nfm_reply").get("body"))


def _location_text(message: JsonObject) -> str:
    location = obj(message, "location")
    parts = [text_of(location.get("name")), text_of(location.get("address"))]
    return ", ".join(part for part in parts if part)


_WA_TEXT: dict[str, Callable[[JsonObject], str]] = {
    "text": lambda message: text_of(obj(message, "text").get("body")),
    "button": lambda message: text_of(obj(message, "button").get("text")),
    "interactive": _interactive_text,
    "location": _location_text,
    "order": lambda message: text_of(obj(message, "order").get("text")),
}

"""A Facebook page's feed (``changes[].field`` = ``feed``): visitor posts and comments as InboundMessages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kanal.channels._common import JsonObject, id_of, obj, text_of
from kanal.channels.meta import Context, feed_identity, inbound, listed, unresolved
from kanal.kinds import Channel, Visibility

if TYPE_CHECKING:
    from kanal.model import Attachment, Author, InboundMessage


def feed(context: Context, value: JsonObject, record: JsonObject) -> list[InboundMessage]:
    identity = feed_identity(value)
    if identity is None:
        return []
    external_id, action = identity
    author = _feed_author(value, external_id)
    if value.get("item") == "comment":
        post_id = id_of(value.get("post_id"))
        parent_id = id_of(value.get("parent_id"))
        thread_id = external_id if parent_id in (None, post_id) else parent_id
    else:
        parent_id, thread_id = None, external_id
    return [
        inbound(
            context,
            channel=Channel.FACEBOOK,
            external_id=external_id,
            author=author,
            text=text_of(value.get("message")),
            visibility=Visibility.PUBLIC,
            thread_id=thread_id,
            parent_id=parent_id,
            in_reply_to=parent_id,
            created_at=context.created_at(value.get("created_time")),
            action=action,
            own=author.id == context.account,
            attachments=_feed_attachments(value),
        )
    ]


def _feed_author(value: JsonObject, external_id: str) -> Author:
    """The comment's or post's author; Meta withholds ``from`` for some people, and those stay apart."""
    from kanal.model import Author

    sender = obj(value, "from")
    author_id = id_of(sender.get("id")) or id_of(value.get("sender_id")) or unresolved(external_id)
    name = text_of(sender.get("name")) or text_of(value.get("sender_name")) or None
    return Author(id=author_id, name=name)


def _feed_attachments(value: JsonObject) -> tuple[Attachment, ...]:
    from kanal.model import Attachment

    found = []
    for field, kind in (("photo", "image"), ("video", "video")):
        url = text_of(value.get(field))
        if url:
            found.append(Attachment(type=kind, url=url))
    for url in listed(value, "photos"):
        if isinstance(url, str):
            found.append(Attachment(type="image", url=url))
    if not found and value.get("item") == "photo" and text_of(value.get("link")):
        found.append(Attachment(type="image", url=value["link"]))
    return tuple(found)

"""Instagram comments and @mentions (``changes[].field`` = ``comments``, ``live_comments``, ``mentions``) as
InboundMessages; an @mention completed with what the Graph API says of it."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from kanal.channels._common import JsonObject, fallback_key, first_time, id_of, obj, text_of
from kanal.channels.language import guess
from kanal.channels.meta import Context, inbound, mention_id, unresolved
from kanal.kinds import Channel, Visibility

if TYPE_CHECKING:
    from kanal.model import InboundMessage


def comment(context: Context, value: JsonObject, record: JsonObject) -> list[InboundMessage]:
    from kanal.model import Author

    external_id = id_of(value.get("id")) or fallback_key("comment", value)
    sender = obj(value, "from")
    author = Author(
        id=id_of(sender.get("id")) or unresolved(external_id), handle=text_of(sender.get("username")) or None
    )
    reply_to = id_of(value.get("parent_id"))
    parent_id = reply_to or id_of(obj(value, "media").get("id"))
    return [
        inbound(
            context,
            channel=Channel.INSTAGRAM,
            external_id=external_id,
            author=author,
            text=text_of(value.get("text")),
            visibility=Visibility.PUBLIC,
            thread_id=reply_to or external_id,
            parent_id=parent_id,
            in_reply_to=parent_id,
            created_at=context.created_at(value.get("timestamp")),
            own=author.id == context.account,
        )
    ]


def mention(context: Context, value: JsonObject, record: JsonObject) -> list[InboundMessage]:
    """An @mention: Meta sends only ``media_id`` and ``comment_id``; ingest fetches text and author.

    Until then the author is a placeholder unique to the mention, so unrelated people never merge.
    """
    from kanal.model import Author

    external_id = mention_id(value)
    sender = obj(value, "from")
    author_id = id_of(sender.get("id")) or unresolved(external_id)
    media_id = id_of(value.get("media_id"))
    return [
        inbound(
            context,
            channel=Channel.INSTAGRAM,
            external_id=external_id,
            author=Author(id=author_id, handle=text_of(sender.get("username")) or None),
            text=text_of(value.get("text")),
            visibility=Visibility.PUBLIC,
            thread_id=external_id,
            parent_id=media_id if media_id != external_id else None,
            created_at=context.created_at(value.get("timestamp")),
            own=author_id == context.account,
            mentions_account=True,
        )
    ]


def unresolved_mention(message: InboundMessage) -> bool:
    """An Instagram @mention whose text and author ingest has yet to fetch (``resolve_mention``)."""
    return (
        message.channel is Channel.INSTAGRAM
        and message.mentions_account
        and message.author.id == unresolved(message.external_id)
    )


def resolve_mention(message: InboundMessage, found: JsonObject) -> InboundMessage:
    """An @mention with what the Graph API said of it: the ``mentioned_comment`` (``text``, ``from``,
    ``username``, ``timestamp``, ``media``) or, for a caption, the ``mentioned_media`` (``caption``,
    ``username``, ``timestamp``). An author Meta does not name by id keeps the placeholder id, so unrelated
    people never merge, but gets the username as their handle."""
    from kanal.model import Author

    sender = obj(found, "from")
    author_id = id_of(sender.get("id")) or message.author.id
    handle = text_of(sender.get("username")) or text_of(found.get("username")) or message.author.handle
    text = text_of(found.get("text")) or text_of(found.get("caption")) or message.text
    media = found.get("media")
    media_id = id_of(media.get("id")) if isinstance(media, dict) else id_of(media)
    parent_id = (media_id or message.parent_id) if message.parent_id else None
    return replace(
        message,
        author=Author(id=author_id, handle=handle),
        text=text,
        language=guess(text),
        parent_id=parent_id,
        created_at=first_time(found.get("timestamp")) or message.created_at,
        own=author_id == message.account_id,
    )

"""X Account Activity API deliveries.

``for_user_id`` is the subscribed (company) account. ``split`` keeps tweets (not retweets), direct
messages and tweet deletions, one record each; likes, follows, typing indicators and read receipts are
acknowledged and dropped. ``normalise`` turns one record into an ``InboundMessage``.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kanal.channels._common import (
    JsonObject,
    fallback_key,
    first_time,
    id_of,
    obj,
    optional_list,
    require_id,
    require_object,
    text_of,
)
from kanal.channels.language import guess
from kanal.errors import MalformedPayload
from kanal.kinds import Action, Channel, Visibility

if TYPE_CHECKING:  # the ack path only splits: the normalisers import the domain classes when they run
    from kanal.model import Attachment, Author, InboundMessage

SOURCE = "x"


# --------------------------------------------------------------------------------------------- split


def split(payload: object) -> list[JsonObject]:
    """Validate an Account Activity delivery and cut it into records; other event types give []."""
    body = require_object(payload, "x body")
    account = id_of(body.get("for_user_id"))
    if account is None:
        raise MalformedPayload("x body.for_user_id is missing")
    records: list[JsonObject] = []
    for name, splitter in _SPLITTERS.items():
        for index, raw in enumerate(optional_list(body, name, "x body")):
            where = f"x body.{name}[{index}]"
            records.extend(splitter(body, account, require_object(raw, where), where))
    return records


def _record(key: str, kind: str, account: str, payload: JsonObject, **extra: Any) -> JsonObject:
    record: JsonObject = {
        "source": SOURCE,
        "key": key,
        "kind": kind,
        "account_id": account,
        "payload": payload,
    }
    record.update(extra)
    return record


def _split_tweet(_body: JsonObject, account: str, tweet: JsonObject, where: str) -> list[JsonObject]:
    if "retweeted_status" in tweet:
        return []
    _user_id(obj(tweet, "user"), f"{where}.user")  # ingest needs the author; refuse here, not in the DLQ
    tweet_id = id_of(tweet.get("id_str")) or id_of(tweet.get("id")) or fallback_key("tweet", tweet)
    return [_record(f"x:{tweet_id}", "x.tweet", account, tweet)]


def _split_dm(body: JsonObject, account: str, event: JsonObject, where: str) -> list[JsonObject]:
    if event.get("type") != "message_create":
        return []
    create = obj(event, "message_create")
    participants = (
        require_id(create, "sender_id", f"{where}.message_create"),
        require_id(obj(create, "target"), "recipient_id", f"{where}.message_create.target"),
    )
    users = obj(body, "users")
    known = {user_id: users[user_id] for user_id in participants if user_id in users}
    event_id = id_of(event.get("id")) or fallback_key("dm", event)
    return [_record(f"x:dm:{event_id}", "x.dm", account, event, users=known)]


def _split_delete(_body: JsonObject, account: str, event: JsonObject, where: str) -> list[JsonObject]:
    tweet_id = require_id(obj(event, "status"), "id", f"{where}.status")
    return [_record(f"x:{tweet_id}:remove", "x.tweet_delete", account, event)]


_SPLITTERS: dict[str, Callable[[JsonObject, str, JsonObject, str], list[JsonObject]]] = {
    "tweet_create_events": _split_tweet,
    "direct_message_events": _split_dm,
    "tweet_delete_events": _split_delete,
}


# ------------------------------------------------------------------------------------------ normalise


def normalise(record: JsonObject, received_at: datetime) -> list[InboundMessage]:
    """One record from ``split`` as InboundMessage(s)."""
    kind = record.get("kind")
    normaliser = _NORMALISERS.get(kind) if isinstance(kind, str) else None
    if normaliser is None:
        raise MalformedPayload(f"x record kind {kind!r} is not known")
    payload = require_object(record.get("payload"), "x record.payload")
    account = require_id(record, "account_id", "x record")
    return normaliser(record, payload, account, received_at)


def _user_id(user: JsonObject, where: str) -> str:
    return id_of(user.get("id_str")) or require_id(user, "id", where)


def _author(user: JsonObject, user_id: str) -> Author:
    from kanal.model import Author

    followers = user.get("followers_count")
    return Author(
        id=user_id,
        name=text_of(user.get("name")) or None,
        handle=text_of(user.get("screen_name")) or None,
        followers=followers if isinstance(followers, int) and not isinstance(followers, bool) else None,
        verified=user.get("verified") is True,
    )


def _tweet_text(tweet: JsonObject) -> str:
    extended = obj(tweet, "extended_tweet")
    text = text_of(extended.get("full_text")) or text_of(tweet.get("full_text")) or text_of(tweet.get("text"))
    return html.unescape(text)  # X escapes &, < and > in tweet text (and in DMs: see _dm)


def _tweet_media(tweet: JsonObject) -> tuple[Attachment, ...]:
    from kanal.model import Attachment

    entities = obj(obj(tweet, "extended_tweet"), "extended_entities") or obj(tweet, "extended_entities")
    media = entities.get("media") or obj(tweet, "entities").get("media")
    return tuple(
        Attachment(
            type=text_of(item.get("type")) or "photo", url=text_of(item.get("media_url_https")) or None
        )
        for item in (media if isinstance(media, list) else [])
        if isinstance(item, dict)
    )


def _summons(tweet: JsonObject, account: str) -> bool:
    """Whether the tweet @mentions the company's account or quotes one of its posts: the two ways its
    author "summons" the account, after which a self-serve X app may reply (docs.x.com, Manage Posts,
    "Post creation restrictions (self-serve)"). A reply to the account's post names it in
    ``user_mentions`` too (in ``extended_tweet`` for a long tweet)."""
    mentions = [
        *_mentions_of(obj(tweet, "entities")),
        *_mentions_of(obj(obj(tweet, "extended_tweet"), "entities")),
    ]
    if any((id_of(m.get("id_str")) or id_of(m.get("id"))) == account for m in mentions):
        return True
    quoted = obj(obj(tweet, "quoted_status"), "user")
    return (id_of(quoted.get("id_str")) or id_of(quoted.get("id"))) == account


def _mentions_of(entities: JsonObject) -> list[JsonObject]:
    found = entities.get("user_mentions")
    return [m for m in found if isinstance(m, dict)] if isinstance(found, list) else []


def _tweet(
    record: JsonObject, tweet: JsonObject, account: str, received_at: datetime
) -> list[InboundMessage]:
    from kanal.model import InboundMessage

    if "retweeted_status" in tweet:
        return []
    tweet_id = id_of(tweet.get("id_str")) or id_of(tweet.get("id")) or fallback_key("tweet", tweet)
    user = obj(tweet, "user")
    author = _author(user, _user_id(user, "x tweet.user"))
    reply_to = id_of(tweet.get("in_reply_to_status_id_str"))
    quoted = id_of(tweet.get("quoted_status_id_str"))
    text = _tweet_text(tweet)
    return [
        InboundMessage(
            channel=Channel.X,
            external_id=tweet_id,
            author=author,
            text=text,
            visibility=Visibility.PUBLIC,
            thread_id=reply_to or quoted or tweet_id,
            account_id=account,
            created_at=first_time(tweet.get("timestamp_ms"), tweet.get("created_at")) or received_at,
            received_at=received_at,
            in_reply_to=reply_to,
            parent_id=reply_to or quoted,
            attachments=_tweet_media(tweet),
            language=guess(text),
            own=author.id == account,
            mentions_account=_summons(tweet, account),
        )
    ]


def _dm(record: JsonObject, event: JsonObject, account: str, received_at: datetime) -> list[InboundMessage]:
    from kanal.model import Attachment, InboundMessage

    if event.get("type") != "message_create":
        return []
    create = obj(event, "message_create")
    sender = require_id(create, "sender_id", "x dm.message_create")
    recipient = require_id(obj(create, "target"), "recipient_id", "x dm.message_create.target")
    data = obj(create, "message_data")
    text = html.unescape(text_of(data.get("text")))  # Account Activity escapes &, < and > here as well
    media = obj(obj(data, "attachment"), "media")
    attachments = (
        (
            Attachment(
                type=text_of(media.get("type")) or "photo", url=text_of(media.get("media_url_https")) or None
            ),
        )
        if media
        else ()
    )
    return [
        InboundMessage(
            channel=Channel.X,
            external_id=id_of(event.get("id")) or fallback_key("dm", event),
            author=_author(obj(obj(record, "users"), sender), sender),
            text=text,
            visibility=Visibility.PRIVATE,
            thread_id="dm:" + "-".join(sorted([sender, recipient])),
            account_id=account,
            created_at=first_time(event.get("created_timestamp")) or received_at,
            received_at=received_at,
            attachments=attachments,
            language=guess(text),
            own=sender == account,
        )
    ]


def _delete(
    record: JsonObject, event: JsonObject, account: str, received_at: datetime
) -> list[InboundMessage]:
    from kanal.model import Author, InboundMessage

    status = obj(event, "status")
    tweet_id = require_id(status, "id", "x tweet_delete.status")
    user_id = id_of(status.get("user_id")) or "unknown"
    return [
        InboundMessage(
            channel=Channel.X,
            external_id=tweet_id,
            author=Author(id=user_id),
            text="",
            visibility=Visibility.PUBLIC,
            thread_id=tweet_id,  # ingest finds the stored message by external_id
            account_id=account,
            created_at=first_time(event.get("timestamp_ms")) or received_at,
            received_at=received_at,
            action=Action.REMOVE,
            own=user_id == account,
        )
    ]


_NORMALISERS: dict[str, Callable[[JsonObject, JsonObject, str, datetime], list[InboundMessage]]] = {
    "x.tweet": _tweet,
    "x.dm": _dm,
    "x.tweet_delete": _delete,
}

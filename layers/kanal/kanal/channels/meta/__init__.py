"""What a Meta webhook looks like (``object``: ``page``, ``instagram``, ``whatsapp_business_account``).

A delivery is ``{"object", "entry": [{"id" (the page, Instagram account or WhatsApp business account),
"time", "changes": [{"field", "value"}], "messaging": [...], "standby": [...]}]}``. ``split`` checks the
envelope and cuts a delivery into self-contained records (one per feed change, messaging event, Instagram
comment or WhatsApp message, or conversation handover), each keyed by the platform's id, dropping what
carries no customer message (reactions, deliveries, reads, role changes, WhatsApp statuses). This is all the
webhook function imports. Ingest turns each record into an ``InboundMessage`` (or a ``ThreadControl``) with
``records.normalise``, which hands each kind to its normaliser: ``facebook`` (page feed posts and comments),
``messaging`` (Messenger and Instagram Direct messages, edits, postbacks, handovers), ``instagram``
(comments and @mentions) and ``whatsapp``; what they share of a record (its ``Context``) is here.

Conversation Routing (which replaced the Handover Protocol for Messenger; "backwards compatible with most
of the Handover Protocol API": developers.facebook.com/documentation/business-messaging/messenger-platform/
conversation-routing; Instagram: .../instagram-messaging/features/conversation-routing/apis) gives every
conversation one owning app. What Kanal reads of it:

- ``entry[].standby[]``: messaging events (messages, edits, reads) "sent to your page, but your
  application is not the current thread owner" (.../messenger-platform/webhooks/webhook-events/standby).
  They are normalised like ``messaging[]`` ones and marked ``standby``; a standby postback carries no
  payload, so its title is the text.
- ``messaging_handovers`` (.../webhook-events/messaging_handovers), in ``entry[].messaging[]`` with the
  customer as ``sender`` and the Page (or Instagram account) as ``recipient``:
  ``pass_thread_control`` ``{"new_owner_app_id", "previous_owner_app_id" (null when the thread was
  idle), "metadata"}`` to the app it was passed to; ``take_thread_control`` ``{"previous_owner_app_id",
  "new_owner_app_id", "metadata"}`` to the app it was taken from; ``request_thread_control``
  ``{"requested_owner_app_id", "metadata"}`` to the owner, which changes nobody. ``app_roles`` (role
  changes) carry no conversation and are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
from kanal.kinds import Action, Channel, ControlAction

if TYPE_CHECKING:  # the ack path only splits: the normalisers import the domain classes when they run
    from kanal.model import InboundMessage

SOURCE = "meta"

_VERBS = {"add": Action.CREATE, "edited": Action.EDIT, "remove": Action.REMOVE}
_FEED_POST_ITEMS = frozenset({"post", "status", "photo", "video"})
_IG_COMMENT_FIELDS = frozenset({"comments", "live_comments"})
# Messaging events that some apps receive as ``changes`` (field name → value is one messaging event).
_MESSAGING_FIELDS = frozenset({"messages", "messaging_postbacks", "message_edits", "messaging_handovers"})
WA_IGNORED_TYPES = frozenset({"reaction", "system", "request_welcome"})
# messaging_handovers events: the event's key -> what happened
HANDOVERS = {
    "pass_thread_control": ControlAction.PASS,
    "take_thread_control": ControlAction.TAKE,
    "request_thread_control": ControlAction.REQUEST,
}

# WhatsApp users who adopt a username may withhold their phone number. Meta then names them by a
# business-scoped user id (BSUID), unique to the user and the business portfolio (WhatsApp Cloud API,
# "Business-scoped user IDs": developers.facebook.com/documentation/business-messaging/whatsapp/
# business-scoped-user-ids). In a ``messages`` webhook value:
#   messages[].from                 the user's phone number (wa_id); omitted when it is withheld
#   messages[].from_user_id         the user's BSUID
#   messages[].from_parent_user_id  the user's parent BSUID, only for portfolios enrolled in them
#   contacts[].wa_id                the phone number; omitted when it is withheld
#   contacts[].user_id              the BSUID, always sent
#   contacts[].parent_user_id       the parent BSUID, as above
#   contacts[].profile.username     the user's username, when they have one
# A BSUID is an ISO 3166 alpha-2 country code, a period and up to 128 letters and digits
# ("US.13491208655302741918"); a parent BSUID has "ENT" in between ("US.ENT.11815799212886844830").
# Kanal keeps the phone number as the identity when Meta gives one, else the BSUID; parent BSUIDs are
# not read (opt-in, and the BSUID is always there).
_BSUID = re.compile(r"[A-Za-z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}")


def is_bsuid(value: str) -> bool:
    """Whether a WhatsApp user id is a business-scoped user id rather than a phone number."""
    return _BSUID.fullmatch(value) is not None


# --------------------------------------------------------------------------------------------- split


def split(payload: object) -> list[JsonObject]:
    """Validate a Meta delivery and cut it into records; an object type Kanal ignores gives []."""
    body = require_object(payload, "meta body")
    kind = body.get("object")
    if not isinstance(kind, str) or not kind:
        raise MalformedPayload("meta body.object must be a non-empty string")
    entries = body.get("entry")
    if not isinstance(entries, list):
        raise MalformedPayload("meta body.entry must be a list")
    splitter = _SPLITTERS.get(kind)
    if splitter is None:
        return []
    records: list[JsonObject] = []
    for index, raw in enumerate(entries):
        where = f"meta entry[{index}]"
        entry = require_object(raw, where)
        account = require_id(entry, "id", where)
        records.extend(splitter(entry, account, where))
    return records


def _record(
    key: str, kind: str, account: str, entry: JsonObject, payload: JsonObject, **extra: Any
) -> JsonObject:
    record: JsonObject = {
        "source": SOURCE,
        "key": key,
        "kind": kind,
        "account_id": account,
        "time": entry.get("time"),
        "payload": payload,
    }
    record.update(extra)
    return record


def _key(channel: Channel, external_id: str, action: Action, version: object = None) -> str:
    """Dedupe key: the platform id, plus the action for edits (one per edit) and removals."""
    if action is Action.EDIT:
        return f"{channel}:{external_id}:edit:{version}"
    if action is Action.REMOVE:
        return f"{channel}:{external_id}:remove"
    return f"{channel}:{external_id}"


def _changes(entry: JsonObject, where: str) -> Iterator[tuple[str, JsonObject, str]]:
    for index, raw in enumerate(optional_list(entry, "changes", where)):
        change_where = f"{where}.changes[{index}]"
        change = require_object(raw, change_where)
        field = change.get("field")
        if not isinstance(field, str):
            raise MalformedPayload(f"{change_where}.field must be a string")
        yield field, require_object(change.get("value"), f"{change_where}.value"), change_where


def _messaging_events(entry: JsonObject, where: str) -> Iterator[tuple[JsonObject, bool]]:
    """Every messaging event of an entry with whether it came as ``standby`` (another app owns the thread)."""
    for list_name in ("messaging", "standby"):
        for index, raw in enumerate(optional_list(entry, list_name, where)):
            yield require_object(raw, f"{where}.{list_name}[{index}]"), list_name == "standby"
    for field, value, _ in _changes(entry, where):
        if field in _MESSAGING_FIELDS and "sender" in value:
            yield value, False


def _split_messaging(entry: JsonObject, account: str, where: str, channel: Channel) -> list[JsonObject]:
    records = []
    for event, standby in _messaging_events(entry, where):
        identity = event_identity(event)
        if identity is not None:
            party(event, "sender")  # ingest needs both parties; refuse here, not in the dead-letter queue
            party(event, "recipient")
            external_id, action, version = identity
            key = _key(channel, external_id, action, version)
            records.append(_record(key, f"{channel}.messaging", account, entry, event, standby=standby))
        elif handover(event) is not None:
            records.append(_handover_record(channel, account, entry, event))
    return records


def handover(event: JsonObject) -> tuple[str, JsonObject] | None:
    """(event key, its object) of a messaging_handovers event; None for any other messaging event."""
    for name in HANDOVERS:
        if name in event:
            value = event[name]
            if not isinstance(value, dict):
                raise MalformedPayload(f"meta messaging event {name} must be an object")
            for field in ("new_owner_app_id", "previous_owner_app_id", "requested_owner_app_id"):
                if value.get(field) is not None and id_of(value.get(field)) is None:
                    raise MalformedPayload(f"meta messaging event {name}.{field} must be an app id")
            return name, value
    return None


def party(event: JsonObject, name: str) -> str:
    """The id of a messaging event's ``sender`` or ``recipient`` (or its ``user_ref``)."""
    found = obj(event, name)
    party_id = id_of(found.get("id")) or id_of(found.get("user_ref"))
    if party_id is None:
        raise MalformedPayload(f"meta messaging event {name}.id is missing")
    return party_id


def _handover_record(channel: Channel, account: str, entry: JsonObject, event: JsonObject) -> JsonObject:
    name, value = handover(event) or ("", {})
    customer = party(event, "sender")
    party(event, "recipient")
    owner = id_of(value.get("new_owner_app_id")) or id_of(value.get("requested_owner_app_id")) or "idle"
    when = event.get("timestamp", entry.get("time"))
    key = f"{channel}:handover:{account}:{customer}:{when}:{HANDOVERS[name]}:{owner}"
    return _record(key, f"{channel}.handover", account, entry, event)


def _split_page(entry: JsonObject, account: str, where: str) -> list[JsonObject]:
    records = []
    for field, value, change_where in _changes(entry, where):
        if field != "feed":
            continue
        if not isinstance(value.get("item", ""), str):
            raise MalformedPayload(f"{change_where}.value.item must be a string")
        identity = feed_identity(value)
        if identity is not None:
            external_id, action = identity
            version = value.get("created_time", entry.get("time"))
            records.append(
                _record(
                    _key(Channel.FACEBOOK, external_id, action, version),
                    "facebook.feed",
                    account,
                    entry,
                    value,
                )
            )
    return records + _split_messaging(entry, account, where, Channel.MESSENGER)


def _split_instagram(entry: JsonObject, account: str, where: str) -> list[JsonObject]:
    records = []
    for field, value, _ in _changes(entry, where):
        if field in _IG_COMMENT_FIELDS:
            external_id = id_of(value.get("id")) or fallback_key("comment", value)
            records.append(_record(f"instagram:{external_id}", "instagram.comments", account, entry, value))
        elif field == "mentions":
            external_id = mention_id(value)
            records.append(_record(f"instagram:{external_id}", "instagram.mentions", account, entry, value))
    return records + _split_messaging(entry, account, where, Channel.INSTAGRAM)


def _split_whatsapp(entry: JsonObject, account: str, where: str) -> list[JsonObject]:
    records = []
    for field, value, change_where in _changes(entry, where):
        if field != "messages":
            continue
        metadata = obj(value, "metadata")  # sent with every messages change, statuses included
        phone_number_id = require_id(metadata, "phone_number_id", f"{change_where}.value.metadata")
        messages = optional_list(value, "messages", f"{change_where}.value")
        if not messages:
            continue  # statuses or errors only
        contacts = optional_list(value, "contacts", f"{change_where}.value")
        for index, raw in enumerate(messages):
            message_where = f"{change_where}.value.messages[{index}]"
            message = require_object(raw, message_where)
            if _whatsapp_type(message, message_where) in WA_IGNORED_TYPES:
                continue
            contact = _contact_for(contacts, message)
            if whatsapp_sender(contact, message) == (None, None):
                raise MalformedPayload(f"{message_where} names no sender (from, from_user_id)")
            external_id = id_of(message.get("id")) or fallback_key("wamid", message)
            extra = {"contact": contact, "metadata": metadata, "waba_id": account}
            records.append(
                _record(
                    f"whatsapp:{external_id}", "whatsapp.message", phone_number_id, entry, message, **extra
                )
            )
    return records


def _whatsapp_type(message: JsonObject, where: str) -> str:
    kind = message.get("type", "")
    if not isinstance(kind, str):
        raise MalformedPayload(f"{where}.type must be a string")
    return kind


def _contact_for(contacts: list[Any], message: JsonObject) -> JsonObject:
    """The ``contacts`` entry of a message's sender: the one with its phone number or its BSUID."""
    phone, bsuid = id_of(message.get("from")), id_of(message.get("from_user_id"))
    candidates = [contact for contact in contacts if isinstance(contact, dict)]
    for contact in candidates:
        if (phone and id_of(contact.get("wa_id")) == phone) or (
            bsuid and id_of(contact.get("user_id")) == bsuid
        ):
            return contact
    return candidates[0] if len(candidates) == 1 else {}


def whatsapp_sender(contact: JsonObject, message: JsonObject) -> tuple[str | None, str | None]:
    """(phone number, BSUID) of a message's sender, each None when Meta leaves it out."""
    phone = id_of(contact.get("wa_id")) or id_of(message.get("from"))
    bsuid = id_of(contact.get("user_id")) or id_of(message.get("from_user_id"))
    return phone, bsuid


_SPLITTERS: dict[str, Callable[[JsonObject, str, str], list[JsonObject]]] = {
    "page": _split_page,
    "instagram": _split_instagram,
    "whatsapp_business_account": _split_whatsapp,
}


# ------------------------------------------------------------------------------------------ identity


def feed_identity(value: JsonObject) -> tuple[str, Action] | None:
    """(external id, action) of a feed change Kanal keeps: comments and visitor posts; else None."""
    action = _VERBS.get(text_of(value.get("verb")))
    item = text_of(value.get("item"))
    if action is None:
        return None
    if item == "comment":
        return id_of(value.get("comment_id")) or fallback_key("comment", value), action
    if item in _FEED_POST_ITEMS:
        return id_of(value.get("post_id")) or fallback_key("post", value), action
    return None


def event_identity(event: JsonObject) -> tuple[str, Action, object] | None:
    """(external id, action, edit version) of a messaging event that carries a message; else None."""
    if isinstance(event.get("message"), dict):
        message = event["message"]
        external_id = id_of(message.get("mid")) or fallback_key("mid", event)
        return external_id, Action.REMOVE if message.get("is_deleted") else Action.CREATE, None
    if isinstance(event.get("message_edit"), dict):
        edit = event["message_edit"]
        external_id = id_of(edit.get("mid")) or fallback_key("mid", event)
        return external_id, Action.EDIT, edit.get("num_edit", event.get("timestamp"))
    if isinstance(event.get("postback"), dict):
        external_id = id_of(event["postback"].get("mid")) or fallback_key("postback", event)
        return external_id, Action.CREATE, None
    return None


def mention_id(value: JsonObject) -> str:
    return id_of(value.get("comment_id")) or id_of(value.get("media_id")) or fallback_key("mention", value)


# ------------------------------------------------------------------- what the normalisers share


def unresolved(external_id: str) -> str:
    """A placeholder author unique to one message, so that people Meta does not name never merge."""
    return f"unresolved:{external_id}"


def listed(container: JsonObject, name: str) -> list[Any]:
    """``container[name]`` when it is a list, else [] (optional lists inside one event)."""
    value = container.get(name)
    return value if isinstance(value, list) else []


@dataclass(frozen=True)
class Context:
    """What a record carries from around its event: the account, the entry's time, standby."""

    account: str
    entry_time: object
    received_at: datetime
    standby: bool = False

    def created_at(self, *candidates: object) -> datetime:
        return first_time(*candidates, self.entry_time) or self.received_at


def inbound(context: Context, **fields: Any) -> InboundMessage:
    """An InboundMessage to the record's account, its language guessed from its text."""
    from kanal.model import InboundMessage

    text = fields.pop("text", "")
    return InboundMessage(
        account_id=context.account,
        received_at=context.received_at,
        text=text,
        language=guess(text),
        **fields,
    )

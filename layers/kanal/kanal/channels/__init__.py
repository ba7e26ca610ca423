"""Channel adapters: platform payloads in, normalised records and messages out.

The webhook side calls ``split_delivery`` (cheap: envelope checks and slicing, no I/O) and enqueues the
records it returns; the ingest side calls ``normalise_record`` on each. A record is a JSON object:

``source``      ``"meta"`` | ``"x"`` | ``"contact-events"``
``key``         stable dedupe key built from the platform's id, e.g. ``"messenger:m_abc"``,
                ``"facebook:123_456:edit:1714040000"``, ``"x:dm:1490"``, ``"contact-event:crm:ev-1"``
``kind``        what the payload is, e.g. ``"facebook.feed"``, ``"messenger.messaging"``,
                ``"messenger.handover"`` (a conversation changing hands between apps),
                ``"instagram.comments"``, ``"whatsapp.message"``, ``"x.tweet"``, ``"x.dm"``,
                ``"x.tweet_delete"``, ``"contact.event"``
``account_id``  the company account it was addressed to (page, Instagram account, WhatsApp phone number
                id, X user id); absent for contact events
``payload``     the platform's own object for this one event, unchanged
plus what that event needs from around it: ``time`` (Meta entry time), ``standby`` (Meta: another app
owns the thread), ``contact``/``metadata``/``waba_id`` (WhatsApp), ``users`` (X DMs).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

from kanal.errors import MalformedPayload

if TYPE_CHECKING:
    from kanal.model import ContactEvent, InboundMessage, ThreadControl

__all__ = [
    "SOURCES",
    "load_schema",
    "message_to_dict",
    "normalise_record",
    "normaliser",
    "platform",
    "split_delivery",
]

# Each source's module with its ``split``, and the one with its ``normalise`` (the same module but for Meta,
# whose normalisers sit apart from the envelope), imported when first asked for: a function that serves one
# platform (a webhook) loads that one's splitter, ingest every normaliser, and code that only needs a
# channel's outbound side or windows (the agent API) loads none of the parsers.
_PLATFORMS = {
    "meta": "kanal.channels.meta",
    "x": "kanal.channels.x",
    "contact-events": "kanal.channels.contact_events",
}
_NORMALISERS = {**_PLATFORMS, "meta": "kanal.channels.meta.records"}
SOURCES = frozenset(_PLATFORMS)


def platform(source: str) -> ModuleType:
    """The module that splits ``source``'s payloads (``ValueError`` for another)."""
    return import_module(_module(_PLATFORMS, source))


def normaliser(source: str) -> ModuleType:
    """The module that normalises ``source``'s records (``ValueError`` for another)."""
    return import_module(_module(_NORMALISERS, source))


def _module(modules: dict[str, str], source: str) -> str:
    name = modules.get(source)
    if name is None:
        raise ValueError(f"unknown webhook source {source!r}")
    return name


def load_schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped in ``kanal/channels/schemas`` (see ``contact_events.load_schema``)."""
    from kanal.channels.contact_events import load_schema as load

    return load(name)


def split_delivery(source: str, payload: object) -> list[dict[str, Any]]:
    """Check a webhook body's envelope and cut it into self-contained records, one per platform event.

    Raises MalformedPayload (naming the problem) for a body that is not what the platform sends. Object
    and event types Kanal ignores give [] — answer those with 200 as well.
    """
    split: list[dict[str, Any]] = platform(source).split(payload)
    return split


def normalise_record(
    record: dict[str, Any], received_at: datetime
) -> list[InboundMessage | ContactEvent | ThreadControl]:
    """One record from ``split_delivery`` as domain objects; [] when it carries no customer message.

    Raises MalformedPayload for a record it cannot understand (the ingest side sends it to the DLQ).
    """
    if not isinstance(record, dict):
        raise MalformedPayload("record must be a JSON object")
    source = record.get("source")
    if not isinstance(source, str) or source not in _PLATFORMS:
        raise MalformedPayload(f"record source {source!r} is not known")
    return list(normaliser(source).normalise(record, received_at))


def message_to_dict(message: InboundMessage) -> dict[str, Any]:
    """An InboundMessage as the JSON object ``schemas/inquiry.schema.json`` describes."""
    data = asdict(message)
    for name in ("created_at", "received_at"):
        data[name] = _iso(data[name])
    data["channel"] = str(message.channel)
    data["visibility"] = str(message.visibility)
    data["action"] = str(message.action)
    data["attachments"] = [dict(item) for item in data["attachments"]]
    data["author_aliases"] = list(data["author_aliases"])
    return data


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")

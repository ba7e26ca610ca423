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

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from kanal.channels import contact_events, meta, x
from kanal.channels.contact_events import load_schema
from kanal.errors import MalformedPayload
from kanal.model import ContactEvent, InboundMessage, ThreadControl

__all__ = ["SOURCES", "load_schema", "message_to_dict", "normalise_record", "split_delivery"]

_SPLIT: dict[str, Callable[[object], list[dict[str, Any]]]] = {
    meta.SOURCE: meta.split,
    x.SOURCE: x.split,
    contact_events.SOURCE: contact_events.split,
}
_NORMALISE: dict[str, Callable[[dict[str, Any], datetime], list[Any]]] = {
    meta.SOURCE: meta.normalise,
    x.SOURCE: x.normalise,
    contact_events.SOURCE: contact_events.normalise,
}
SOURCES = frozenset(_SPLIT)


def split_delivery(source: str, payload: object) -> list[dict[str, Any]]:
    """Check a webhook body's envelope and cut it into self-contained records, one per platform event.

    Raises MalformedPayload (naming the problem) for a body that is not what the platform sends. Object
    and event types Kanal ignores give [] — answer those with 200 as well.
    """
    splitter = _SPLIT.get(source)
    if splitter is None:
        raise ValueError(f"unknown webhook source {source!r}")
    return splitter(payload)


def normalise_record(
    record: dict[str, Any], received_at: datetime
) -> list[InboundMessage | ContactEvent | ThreadControl]:
    """One record from ``split_delivery`` as domain objects; [] when it carries no customer message.

    Raises MalformedPayload for a record it cannot understand (the ingest side sends it to the DLQ).
    """
    if not isinstance(record, dict):
        raise MalformedPayload("record must be a JSON object")
    source = record.get("source")
    normaliser = _NORMALISE.get(source) if isinstance(source, str) else None
    if normaliser is None:
        raise MalformedPayload(f"record source {source!r} is not known")
    return list(normaliser(record, received_at))


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

"""What a Meta record becomes: each kind ``split`` gives, and the normaliser that reads it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from kanal.channels._common import JsonObject, require_id, require_object
from kanal.channels.meta import Context, facebook, instagram, messaging, whatsapp
from kanal.errors import MalformedPayload
from kanal.kinds import Channel

if TYPE_CHECKING:
    from kanal.model import InboundMessage, ThreadControl


def normalise(record: JsonObject, received_at: datetime) -> list[InboundMessage | ThreadControl]:
    """One record from ``split`` as InboundMessage(s) or a ThreadControl; [] when it carries no customer
    message."""
    kind = record.get("kind")
    normaliser = _NORMALISERS.get(kind) if isinstance(kind, str) else None
    if normaliser is None:
        raise MalformedPayload(f"meta record kind {kind!r} is not known")
    payload = require_object(record.get("payload"), "meta record.payload")
    account = require_id(record, "account_id", "meta record")
    context = Context(account, record.get("time"), received_at, bool(record.get("standby")))
    return list(normaliser(context, payload, record))


_NORMALISERS: dict[
    str, Callable[[Context, JsonObject, JsonObject], Sequence[InboundMessage | ThreadControl]]
] = {
    "facebook.feed": facebook.feed,
    "messenger.messaging": messaging.messages(Channel.MESSENGER),
    "instagram.messaging": messaging.messages(Channel.INSTAGRAM),
    "messenger.handover": messaging.thread_control(Channel.MESSENGER),
    "instagram.handover": messaging.thread_control(Channel.INSTAGRAM),
    "instagram.comments": instagram.comment,
    "instagram.mentions": instagram.mention,
    "whatsapp.message": whatsapp.message,
}

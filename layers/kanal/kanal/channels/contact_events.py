"""Contact events from a hotline, CRM or shop (``POST /webhooks/contact-events``).

The body is one event or ``{"events": [...]}`` as ``schemas/contact-event.schema.json`` describes; a copy
of that schema ships in this package. Each event becomes one record and then one ``ContactEvent``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from kanal.channels._common import JsonObject, require_object, to_utc
from kanal.channels.meta import is_bsuid
from kanal.errors import MalformedPayload

if TYPE_CHECKING:  # jsonschema is imported on first use: the Meta and X webhooks never need it
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

    from kanal.model import ContactEvent

SOURCE = "contact-events"
SCHEMA_FILE = "contact-event.schema.json"
_PHONE_NOISE = re.compile(r"[\s\-/().]")


def load_schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped in ``kanal/channels/schemas`` (copies of the files under ``schemas/``)."""
    text = resources.files("kanal.channels").joinpath("schemas", name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validators() -> tuple[Draft202012Validator, Draft202012Validator]:
    """(batch, single event): the schema's two ``oneOf`` branches, so errors point at the field."""
    from jsonschema import Draft202012Validator

    schema = load_schema(SCHEMA_FILE)
    batch, single = (
        {**branch, "$defs": schema["$defs"]} for branch in (schema["oneOf"][1], schema["oneOf"][0])
    )
    return Draft202012Validator(batch), Draft202012Validator(single)


# Messages that name the field and the rule but never echo the value (it may be personal data).
_RULES: dict[str, Callable[[Any], str]] = {
    "enum": lambda allowed: "must be one of " + ", ".join(str(item) for item in allowed),
    "type": lambda expected: f"must be of type {expected}",
    "pattern": lambda _: "is not in the expected format",
    "anyOf": lambda _: "customer or customer_ref is required",
}


def _problem(error: ValidationError) -> str:
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
    where = f"contact-events body{path}"
    if error.validator in ("required", "additionalProperties"):
        return f"{where}: {error.message}"  # names the property, carries no value
    rule = _RULES.get(str(error.validator))
    if rule is not None:
        return f"{where}: {rule(error.validator_value)}"
    return f"{where}: violates {error.validator} {error.validator_value}"


def _validate(body: JsonObject) -> list[JsonObject]:
    whole, single = _validators()
    validator = whole if "events" in body else single
    errors = sorted(validator.iter_errors(body), key=lambda error: list(error.absolute_path))
    if errors:
        raise MalformedPayload(_problem(errors[0]))
    events: list[JsonObject] = body.get("events", [body])
    for index, event in enumerate(events):
        if to_utc(event["occurred_at"]) is None:
            raise MalformedPayload(f"contact-events event {index}: occurred_at is not a valid date-time")
    return events


def split(payload: object) -> list[JsonObject]:
    """Validate a contact-events body against its schema and cut it into one record per event."""
    body = require_object(payload, "contact-events body")
    return [
        {
            "source": SOURCE,
            "key": f"contact-event:{event.get('source', '-')}:{event['event_id']}",
            "kind": "contact.event",
            "payload": event,
        }
        for event in _validate(body)
    ]


def _identity(customer: JsonObject) -> tuple[str | None, str | None]:
    channel = customer.get("channel")
    identity = customer.get("identity")
    if not isinstance(channel, str) or not isinstance(identity, str):
        return None, None
    identity = identity.strip()
    if channel == "email":
        identity = identity.lower()
    elif channel == "phone":
        identity = _PHONE_NOISE.sub("", identity)
    elif channel == "whatsapp" and not is_bsuid(identity):  # a wa_id: digits, no "+"; a BSUID as it is
        identity = _PHONE_NOISE.sub("", identity).lstrip("+")
    return channel, identity


def normalise(record: JsonObject, received_at: datetime) -> list[ContactEvent]:
    """One record from ``split`` as a ContactEvent; e-mail identities lower-cased, phone numbers compacted."""
    from kanal.model import ContactEvent

    event = require_object(record.get("payload"), "contact-events record.payload")
    event_id = event.get("event_id")
    kind = event.get("kind")
    if not isinstance(event_id, str) or not isinstance(kind, str):
        raise MalformedPayload("contact-events record needs event_id and kind")
    customer = event.get("customer")
    channel, identity = _identity(customer) if isinstance(customer, dict) else (None, None)
    amount = event.get("amount")
    return [
        ContactEvent(
            event_id=event_id,
            kind=kind,
            occurred_at=to_utc(event.get("occurred_at")) or received_at,
            channel=channel,
            identity=identity,
            customer_ref=event.get("customer_ref"),
            amount=float(amount)
            if isinstance(amount, int | float) and not isinstance(amount, bool)
            else None,
            vip=event.get("vip") if isinstance(event.get("vip"), bool) else None,
            source=event.get("source"),
        )
    ]

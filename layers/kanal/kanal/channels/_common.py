"""Small helpers the channel adapters share: typed access to untrusted JSON, timestamps, record keys."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from kanal.errors import MalformedPayload

JsonObject = dict[str, Any]

# Epoch values above this are milliseconds (1e11 seconds is the year 5138).
_MILLIS_THRESHOLD = 100_000_000_000
_X_CREATED_AT = "%a %b %d %H:%M:%S %z %Y"


def require_object(value: object, where: str) -> JsonObject:
    """The value as a JSON object, or MalformedPayload naming where it sits."""
    if not isinstance(value, dict):
        raise MalformedPayload(f"{where} must be a JSON object")
    return value


def optional_list(container: JsonObject, name: str, where: str) -> list[Any]:
    """``container[name]`` as a list ([] when absent), or MalformedPayload when it is something else."""
    value = container.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedPayload(f"{where}.{name} must be a list")
    return value


def obj(container: JsonObject, name: str) -> JsonObject:
    """``container[name]`` when it is an object, else an empty one (for optional nested objects)."""
    value = container.get(name)
    return value if isinstance(value, dict) else {}


def text_of(value: object) -> str:
    """A string field, or "" when absent or not a string."""
    return value if isinstance(value, str) else ""


def id_of(value: object) -> str | None:
    """A platform id given as a string or an integer, as a string; None when absent or empty."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value:
        return value
    return None


def require_id(container: JsonObject, name: str, where: str) -> str:
    """``container[name]`` as an id string, or MalformedPayload naming the field."""
    value = id_of(container.get(name))
    if value is None:
        raise MalformedPayload(f"{where}.{name} is missing")
    return value


def to_utc(value: object) -> datetime | None:
    """A platform timestamp as an aware UTC datetime.

    Accepts epoch seconds or milliseconds (number or numeric string), ISO 8601 strings (``Z`` or
    ``+0000`` offsets) and X's ``Wed Oct 10 20:19:24 +0000 2018``. None when absent or unreadable.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        try:
            return _from_epoch(float(value))
        except OverflowError:  # an integer too large for a float
            return None
    if isinstance(value, str) and value:
        return _from_string(value.strip())
    return None


def _from_epoch(number: float) -> datetime | None:
    if number <= 0:
        return None
    if number >= _MILLIS_THRESHOLD:
        number /= 1000.0
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _from_string(value: str) -> datetime | None:
    if value.replace(".", "", 1).isdigit():
        return _from_epoch(float(value))
    for parse in (datetime.fromisoformat, _parse_x_created_at):
        try:
            parsed = parse(value)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    return None


def _parse_x_created_at(value: str) -> datetime:
    return datetime.strptime(value, _X_CREATED_AT)


def first_time(*candidates: object) -> datetime | None:
    """The first readable timestamp among the candidates."""
    for candidate in candidates:
        parsed = to_utc(candidate)
        if parsed is not None:
            return parsed
    return None


def fallback_key(prefix: str, payload: object) -> str:
    """A stable key for an event that carries no platform id: a digest of its canonical JSON."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{prefix}:sha256:{hashlib.sha256(canonical.encode('utf-8')).hexdigest()[:32]}"

"""The webhook ack path: check size and signature, split the delivery into records. Nothing else."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping

from kanal.channels import split_delivery
from kanal.channels.signatures import (
    verify_contact_events_signature,
    verify_meta_signature,
    verify_x_signature,
)
from kanal.errors import MalformedPayload, PayloadTooLarge

Verify = Callable[[bytes, Mapping[str, str], str, float], None]


def _meta(raw_body: bytes, headers: Mapping[str, str], secret: str, _now: float) -> None:
    verify_meta_signature(raw_body, headers.get("x-hub-signature-256"), secret)


def _x(raw_body: bytes, headers: Mapping[str, str], secret: str, _now: float) -> None:
    verify_x_signature(raw_body, headers.get("x-twitter-webhooks-signature"), secret)


def _contact_events(raw_body: bytes, headers: Mapping[str, str], secret: str, now: float) -> None:
    signature, timestamp = headers.get("x-kanal-signature-256"), headers.get("x-kanal-timestamp")
    verify_contact_events_signature(raw_body, signature, secret, timestamp, now)


VERIFIERS: dict[str, Verify] = {"meta": _meta, "x": _x, "contact-events": _contact_events}


def accept_delivery(
    source: str,
    raw_body: bytes,
    headers: Mapping[str, str],
    secret: str,
    max_bytes: int,
    now: float | None = None,
) -> list[dict]:
    """Verify a delivery and split it into self-contained records for the ingest queue.

    ``now`` (epoch seconds, the clock by default) is what a signed timestamp is checked against.
    Raises PayloadTooLarge, InvalidSignature (missing or wrong signature, a stale timestamp),
    MalformedPayload.
    """
    if len(raw_body) > max_bytes:
        raise PayloadTooLarge(f"body is {len(raw_body)} bytes; at most {max_bytes} are accepted")
    names = {name.lower(): value for name, value in headers.items()}  # HTTP header names ignore case
    VERIFIERS[source](raw_body, names, secret, time.time() if now is None else now)
    try:
        payload = json.loads(raw_body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise MalformedPayload(
            f"body is not JSON: {error.msg if hasattr(error, 'msg') else error}"
        ) from error
    except ValueError as error:  # an integer of more than 4,300 digits (sys.get_int_max_str_digits)
        raise MalformedPayload("body holds a number too long to be a platform's id or value") from error
    except RecursionError as error:
        raise MalformedPayload("body is nested too deeply to be a platform's delivery") from error
    return split_delivery(source, payload)

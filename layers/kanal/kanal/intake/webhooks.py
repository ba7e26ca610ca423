"""The webhook ack path: check size and signature, split the delivery into records. Nothing else."""

from __future__ import annotations

import json
from collections.abc import Callable

from kanal.channels import split_delivery
from kanal.channels.signatures import (
    verify_contact_events_signature,
    verify_meta_signature,
    verify_x_signature,
)
from kanal.errors import MalformedPayload, PayloadTooLarge

Verify = Callable[[bytes, str | None, str], None]

SIGNATURE_HEADERS: dict[str, tuple[str, Verify]] = {
    "meta": ("X-Hub-Signature-256", verify_meta_signature),
    "x": ("x-twitter-webhooks-signature", verify_x_signature),
    "contact-events": ("X-Kanal-Signature-256", verify_contact_events_signature),
}


def accept_delivery(
    source: str, raw_body: bytes, headers: dict[str, str], secret: str, max_bytes: int
) -> list[dict]:
    """Verify a delivery and split it into self-contained records for the ingest queue.

    Raises PayloadTooLarge, InvalidSignature (missing or wrong signature), MalformedPayload.
    """
    if len(raw_body) > max_bytes:
        raise PayloadTooLarge(f"body is {len(raw_body)} bytes; at most {max_bytes} are accepted")
    header, verify = SIGNATURE_HEADERS[source]
    names = {name.lower(): value for name, value in headers.items()}  # HTTP header names ignore case
    verify(raw_body, names.get(header.lower()), secret)
    try:
        payload = json.loads(raw_body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise MalformedPayload(
            f"body is not JSON: {error.msg if hasattr(error, 'msg') else error}"
        ) from error
    except RecursionError as error:
        raise MalformedPayload("body is nested too deeply to be a platform's delivery") from error
    return split_delivery(source, payload)

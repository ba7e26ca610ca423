"""HMAC signing: what Meta, X and a contact-events sender put in their signature headers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time


def _digest(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()


def sign_meta(body: bytes, app_secret: str) -> str:
    """Value of ``X-Hub-Signature-256``."""
    return "sha256=" + _digest(app_secret, body).hex()


def sign_x(body: bytes, consumer_secret: str) -> str:
    """Value of ``x-twitter-webhooks-signature``."""
    return "sha256=" + base64.b64encode(_digest(consumer_secret, body)).decode("ascii")


def sign_contact_events(body: bytes, secret: str, timestamp: int | str) -> str:
    """Value of ``X-Kanal-Signature-256`` for a body sent with ``X-Kanal-Timestamp: <timestamp>``."""
    return "sha256=" + _digest(secret, f"{timestamp}.".encode() + body).hex()


def contact_events_headers(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """``X-Kanal-Timestamp`` (epoch seconds, now unless given) and the ``X-Kanal-Signature-256`` over it."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return {
        "X-Kanal-Timestamp": str(stamp),
        "X-Kanal-Signature-256": sign_contact_events(body, secret, stamp),
    }


def x_crc_token(crc_token: str, consumer_secret: str) -> str:
    """The ``response_token`` X expects for a CRC request."""
    return "sha256=" + base64.b64encode(_digest(consumer_secret, crc_token.encode("utf-8"))).decode("ascii")

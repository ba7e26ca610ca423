"""Webhook authenticity: Meta's X-Hub-Signature-256 and verify-token handshake, X's CRC and signature,
and the HMAC on Kanal's own contact-events endpoint.

Every comparison is constant-time (``hmac.compare_digest``). A missing secret never verifies anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from kanal.errors import Forbidden, InvalidSignature, MalformedPayload

_PREFIX = "sha256="


def _digest(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()


def _check(header: str | None, expected: str, secret: str, name: str) -> None:
    if not secret:
        raise InvalidSignature(f"{name}: no secret configured")
    if not header:
        raise InvalidSignature(f"{name}: missing signature header")
    given = header.strip()
    if not given.startswith(_PREFIX):
        raise InvalidSignature(f"{name}: signature must start with '{_PREFIX}'")
    if not hmac.compare_digest(given[len(_PREFIX) :].encode("ascii", "replace"), expected.encode("ascii")):
        raise InvalidSignature(f"{name}: signature does not match")


def verify_meta_signature(raw_body: bytes, header: str | None, app_secret: str) -> None:
    """Check ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with the app secret>``."""
    expected = _digest(app_secret, raw_body).hex() if app_secret else ""
    _check(header.lower() if header else header, expected, app_secret, "meta")


def meta_handshake(params: Mapping[str, str], verify_token: str) -> str:
    """Answer Meta's subscription check: ``hub.mode=subscribe`` with the right ``hub.verify_token``.

    Returns ``hub.challenge`` (the body to echo with 200). Missing parameters or another mode raise
    MalformedPayload; a wrong token (or none configured) raises Forbidden.
    """
    mode = params.get("hub.mode")
    token = params.get("hub.verify_token")
    challenge = params.get("hub.challenge")
    missing = [
        name
        for name, value in (("hub.mode", mode), ("hub.verify_token", token), ("hub.challenge", challenge))
        if not value
    ]
    if missing:
        raise MalformedPayload(f"meta handshake: missing {', '.join(missing)}")
    if mode != "subscribe":
        raise MalformedPayload("meta handshake: hub.mode must be 'subscribe'")
    if not verify_token or not hmac.compare_digest(str(token).encode("utf-8"), verify_token.encode("utf-8")):
        raise Forbidden("meta handshake: verify token does not match")
    return str(challenge)


def x_crc_response(crc_token: str, consumer_secret: str) -> dict[str, str]:
    """X's challenge-response check: ``{"response_token": "sha256=<base64 HMAC-SHA256(crc_token)>"}``."""
    if not crc_token:
        raise MalformedPayload("x crc: missing crc_token")
    if not consumer_secret:
        raise InvalidSignature("x crc: no consumer secret configured")
    token = base64.b64encode(_digest(consumer_secret, crc_token.encode("utf-8"))).decode("ascii")
    return {"response_token": f"{_PREFIX}{token}"}


def verify_x_signature(raw_body: bytes, header: str | None, consumer_secret: str) -> None:
    """Check ``x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256 of the raw body>``."""
    expected = base64.b64encode(_digest(consumer_secret, raw_body)).decode("ascii") if consumer_secret else ""
    _check(header, expected, consumer_secret, "x")


def verify_contact_events_signature(raw_body: bytes, header: str | None, secret: str) -> None:
    """Check ``X-Kanal-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret>``."""
    expected = _digest(secret, raw_body).hex() if secret else ""
    _check(header.lower() if header else header, expected, secret, "contact-events")

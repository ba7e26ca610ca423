"""Webhook authenticity: Meta's X-Hub-Signature-256 and verify-token handshake, X's CRC and signature,
and the timestamped HMAC on Kanal's own contact-events endpoint.

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


# X's crc_token is a random base64-like string (a UUID or base64/base64url of random bytes). Only such tokens
# are signed: the answer is the very HMAC that signs a POST body equal to the token, so a token that could
# be a JSON object would hand out a valid x-twitter-webhooks-signature for it (docs/decisions.md).
CRC_TOKEN_MAX = 256
_CRC_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_")


def crc_token_of(raw: str | None) -> str:
    """The crc_token as X signed it: a ``+`` that query-string decoding turned into a space is a ``+``.

    Raises MalformedPayload unless it is 1 to ``CRC_TOKEN_MAX`` characters of ``A-Z a-z 0-9 + / = - _``.
    """
    if not raw:
        raise MalformedPayload("x crc: crc_token query parameter is required")
    token = raw.replace(" ", "+")
    if len(token) > CRC_TOKEN_MAX or not _CRC_ALPHABET.issuperset(token):
        raise MalformedPayload(
            f"x crc: crc_token must be 1 to {CRC_TOKEN_MAX} characters of A-Z, a-z, 0-9, '+', '/', '=', "
            "'-', '_' as X sends it"
        )
    return token


def x_crc_response(crc_token: str, consumer_secret: str) -> dict[str, str]:
    """X's challenge-response check: ``{"response_token": "sha256=<base64 HMAC-SHA256(crc_token)>"}``.

    Only a token shaped as X sends it is answered (``crc_token_of``): anything else is MalformedPayload.
    """
    token = crc_token_of(crc_token)
    if not consumer_secret:
        raise InvalidSignature("x crc: no consumer secret configured")
    digest = base64.b64encode(_digest(consumer_secret, token.encode("ascii"))).decode("ascii")
    return {"response_token": f"{_PREFIX}{digest}"}


def verify_x_signature(raw_body: bytes, header: str | None, consumer_secret: str) -> None:
    """Check ``x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256 of the raw body>``."""
    expected = base64.b64encode(_digest(consumer_secret, raw_body)).decode("ascii") if consumer_secret else ""
    _check(header, expected, consumer_secret, "x")


CONTACT_EVENTS_TOLERANCE_SECONDS = 300  # a signed contact event is taken up to 5 minutes either side of now


def verify_contact_events_signature(
    raw_body: bytes, header: str | None, secret: str, timestamp: str | None, now: float
) -> None:
    """Check ``X-Kanal-Timestamp: <epoch seconds>`` and ``X-Kanal-Signature-256: sha256=<hex HMAC-SHA256 of
    "<timestamp>.<raw body>", keyed with the secret>``, and that the timestamp is within
    ``CONTACT_EVENTS_TOLERANCE_SECONDS`` of ``now`` (epoch seconds): a captured event cannot be sent again
    later. A missing or malformed timestamp is a missing signature part (InvalidSignature)."""
    stamp = (timestamp or "").strip()
    if not stamp:
        raise InvalidSignature("contact-events: missing X-Kanal-Timestamp header (epoch seconds)")
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        raise InvalidSignature(
            "contact-events: X-Kanal-Timestamp must be the epoch seconds the body was signed at"
        )
    expected = _digest(secret, stamp.encode("ascii") + b"." + raw_body).hex() if secret else ""
    _check(header.lower() if header else header, expected, secret, "contact-events")
    if abs(now - int(stamp)) > CONTACT_EVENTS_TOLERANCE_SECONDS:
        raise InvalidSignature(
            "contact-events: X-Kanal-Timestamp is more than 5 minutes from now; "
            "sign each delivery as it is sent"
        )

"""Local stand-in for Cognito sign-in: `kanal token AGENT_ID` mints a JWT the local gateway accepts.

In AWS the API's Cognito authorizer checks the user pool's token and hands its claims to the function
as `requestContext.authorizer.claims`; locally the gateway checks this HS256 token and does the same.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from typing import Any

ISSUER = "kanal-local"
DEFAULT_KEY = "kanal-local-signing-key"
TOKEN_HOURS = 12


def _key() -> bytes:
    return os.environ.get("KANAL_LOCAL_SIGNING_KEY", DEFAULT_KEY).encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint(agent_id: str, groups: list[str] | None = None, hours: float = TOKEN_HOURS) -> str:
    now = int(time.time())
    claims = {
        "sub": agent_id,
        "cognito:username": agent_id,
        "cognito:groups": groups if groups is not None else _seeded_groups(agent_id),
        "iss": ISSUER,
        "token_use": "id",
        "iat": now,
        "exp": now + int(hours * 3600),
    }
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = _b64(hmac.new(_key(), f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}"


def _seeded_groups(agent_id: str) -> list[str]:
    from kanal_local.seed import groups_of

    return groups_of(agent_id) or ["agents"]


def verify(token: str) -> dict[str, Any] | None:
    """The token's claims, or None when it is malformed, forged or expired."""
    try:
        header, payload, signature = token.split(".")
        expected = _b64(hmac.new(_key(), f"{header}.{payload}".encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, signature):
            return None
        claims: dict[str, Any] = json.loads(_unb64(payload))
    except (ValueError, json.JSONDecodeError):
        return None
    if claims.get("iss") != ISSUER or int(claims.get("exp", 0)) < time.time():
        return None
    return claims


def authorizer_context(claims: dict[str, Any]) -> dict[str, Any]:
    """Claims as API Gateway's Cognito authorizer passes them (groups as a comma-separated string)."""
    flat = {key: ",".join(value) if isinstance(value, list) else str(value) for key, value in claims.items()}
    return {"claims": flat}

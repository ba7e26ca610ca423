"""Tokens for tests: every one issued by the running local stack's Cognito (the user pool of
`template.yaml` in the emulator, Kanal's pre-token-generation trigger run by the local runtime), so a
token says what the organisation table says of its agent.

`token(agent_id)` signs the agent in (`POST /local/token`, as the console's sign-in and `kanal token`).
Passing ``groups`` states what the test relies on: it fails when the agent's groups in the table are
not exactly those (a token cannot carry groups its agent does not have).
`expired(agent_id)` and `foreign(agent_id)` are that agent's real token re-signed: expired an hour ago
with the emulator's own key, or unexpired with a key that is not the pool's.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

_server: list[Any] = []  # the session's LocalServer (tests/conftest.py's `local`)


def use(server: Any) -> None:
    _server[:] = [server]


def token(agent_id: str, groups: list[str] | None = None) -> str:
    if not _server:
        raise RuntimeError("tokens come from the local stack: use the `local` fixture first")
    answer = requests.post(f"{_server[0].url}/local/token", json={"agent_id": agent_id}, timeout=30)
    assert answer.status_code == 200, answer.text
    issued: str = answer.json()["token"]
    if groups is not None:
        held = claims(issued).get("cognito:groups") or []
        assert sorted(held) == sorted(groups), f"{agent_id} holds {held} in the organisation, not {groups}"
    return issued


def bearer(agent_id: str, groups: list[str] | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(agent_id, groups)}"}


def claims(issued: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(issued, options={"verify_signature": False})
    return decoded


def _resigned(agent_id: str, key: Any, **changes: Any) -> str:
    payload = {**claims(token(agent_id)), **changes}
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": "dummy"})


def expired(agent_id: str) -> str:
    from moto.utilities.utils import load_resource

    emulator_key = jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json")).key
    now = int(time.time())
    return _resigned(agent_id, emulator_key, iat=now - 7200, auth_time=now - 7200, exp=now - 3600)


def foreign(agent_id: str) -> str:
    return _resigned(agent_id, rsa.generate_private_key(public_exponent=65537, key_size=2048))


class Bearer(Mapping[str, str]):
    """An agent's Authorization header for a module-level constant: signed in when first used (the stack
    starts with the first test), then kept."""

    def __init__(self, agent_id: str) -> None:
        self.agent_id = agent_id
        self._headers: dict[str, str] = {}

    def _loaded(self) -> dict[str, str]:
        if not self._headers:
            self._headers = bearer(self.agent_id)
        return self._headers

    def __getitem__(self, key: str) -> str:
        return self._loaded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())

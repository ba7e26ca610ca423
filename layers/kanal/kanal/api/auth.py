"""Who is calling the agent API: the Cognito authorizer's claims, as plain data.

The agent id is the ``kanal:agent_id`` claim that Kanal's own pre-token-generation trigger puts into
every ID token (`kanal.api.sign_in`); Cognito's ``cognito:username`` is the pool's own id for the user
(a UUID when e-mail is the sign-in name) and names no agent. The groups are the ``cognito:groups`` the
trigger wrote, from the organisation table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kanal.errors import Forbidden, NotSignedIn

AGENT_ID_CLAIM = "kanal:agent_id"
ADMINS = "admins"
LEADS = "leads"


@dataclass(frozen=True)
class Caller:
    agent_id: str
    groups: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return ADMINS in self.groups

    @property
    def is_lead(self) -> bool:
        """In the leads group: leads the teams whose ``lead`` names them (admins count as leads too)."""
        return LEADS in self.groups or self.is_admin

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("only admins may do this")

    def require_lead(self) -> None:
        if not self.is_lead:
            raise Forbidden("only leads and admins may do this")


def caller_from_context(context: dict[str, Any] | None) -> Caller:
    claims = ((context or {}).get("authorizer") or {}).get("claims") or {}
    agent_id = claims.get(AGENT_ID_CLAIM)
    if not agent_id:
        raise NotSignedIn("the token names no agent")
    groups = claims.get("cognito:groups") or ""
    if isinstance(groups, str):  # API Gateway passes list claims as a comma- or space-separated string
        groups = groups.strip("[]").replace(",", " ").split()
    return Caller(str(agent_id), frozenset(str(g) for g in groups))

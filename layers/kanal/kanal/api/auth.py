"""Who is calling the agent API: the Cognito authorizer's claims, as plain data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kanal.errors import Forbidden

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
    agent_id = claims.get("cognito:username") or claims.get("sub")
    if not agent_id:
        raise Forbidden("the request carries no signed-in agent")
    groups = claims.get("cognito:groups") or ""
    if isinstance(groups, str):  # API Gateway passes list claims as a comma- or space-separated string
        groups = groups.strip("[]").replace(",", " ").split()
    return Caller(str(agent_id), frozenset(str(g) for g in groups))

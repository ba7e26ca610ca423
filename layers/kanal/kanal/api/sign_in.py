"""Who may sign in, and what their token says: the organisation table is the one source of both.

Cognito calls Kanal's pre-token-generation trigger (`functions/pre_token.py`) before it issues an ID
token; `token_claims` answers with the agent id (claim ``kanal:agent_id``) and the agent's groups as they
are in the table now, or refuses (`SignInRefused`, so Cognito issues no token) for an agent that is
unknown or disabled. The agent API then checks every request's agent once more (`signed_in`): API
Gateway's Cognito authorizer accepts an unexpired ID token even after its user was signed out or
disabled, so a disabled agent's hour-long token is answered 401 at once, not when it expires.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from kanal.api.auth import AGENT_ID_CLAIM, Caller
from kanal.errors import KanalError, NotSignedIn
from kanal.routing.roster import Agent

AGENT_ID_ATTRIBUTE = "custom:agent_id"  # the user pool's immutable attribute naming the user's agent


class SignInRefused(KanalError):
    """No token for this user: their agent is unknown or disabled (Cognito fails the sign-in)."""


class Agents(Protocol):
    def get_agent(self, agent_id: str) -> Agent | None: ...


@dataclass(frozen=True)
class TokenClaims:
    agent_id: str
    groups: tuple[str, ...]

    @property
    def claims(self) -> dict[str, str]:
        return {AGENT_ID_CLAIM: self.agent_id}


def token_claims(agents: Agents, agent_id: str | None) -> TokenClaims:
    """What the next ID token of the user whose ``custom:agent_id`` is ``agent_id`` says."""
    agent = agents.get_agent(agent_id) if agent_id else None
    if agent is None:
        raise SignInRefused("the user names no agent of this organisation")
    if not agent.enabled:
        raise SignInRefused("the agent is disabled")
    return TokenClaims(agent.id, tuple(agent.groups))


def signed_in(caller: Caller, agents: Agents) -> Caller:
    """The caller as the organisation table has them now (one GetItem): 401 for an unknown or disabled
    agent. A group taken away since the token was issued is gone at once; one granted since comes with
    the next token (within the hour)."""
    agent = agents.get_agent(caller.agent_id)
    if agent is None or not agent.enabled:
        raise NotSignedIn("the token's agent is unknown or disabled")
    return Caller(caller.agent_id, caller.groups & frozenset(agent.groups))

"""Which inquiries a caller sees and works on, and what they may do with one.

- Admins see every inquiry, the triage queue (inquiries no team takes) included.
- Everyone else sees the inquiries of their teams (the teams their profile names and, for a lead, the teams
  whose ``lead`` they are) and the ones they own; a lead also sees an inquiry whose escalation told them,
  and acts on it as its team's lead would.
- An inquiry outside the caller's scope answers exactly as one that does not exist: a 404 with the same
  message (see docs/decisions.md).

Within scope, the role decides (a 403 otherwise):

| what | who |
|---|---|
| read, claim, notes, reopen | everyone who sees it |
| resolve | its owner, anyone while nobody owns it, a lead of its team, an admin |
| transfer, wait | its owner, a lead of its team, an admin |
| assign, csat | a lead of its team, an admin |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from kanal.api.auth import Caller
from kanal.errors import NotFound
from kanal.model import Inquiry
from kanal.routing.roster import Agent, Team


class Directory(Protocol):
    """What scoping reads of the organisation (``OrganisationStore``)."""

    def get_agent(self, agent_id: str) -> Agent | None: ...
    def get_team(self, team_id: str) -> Team | None: ...
    def teams(self) -> list[Team]: ...


@dataclass(frozen=True)
class Scope:
    caller: Caller
    member: frozenset[str] = frozenset()  # the teams the caller's profile names
    led: frozenset[str] = frozenset()  # the teams whose lead the caller is

    @property
    def everything(self) -> bool:
        return self.caller.is_admin

    @property
    def teams(self) -> frozenset[str]:
        """The teams whose queues the caller reads (not meaningful for admins, who read every queue)."""
        return self.member | self.led

    def told(self, inquiry: Inquiry) -> bool:
        """A lead whom one of the inquiry's escalations told."""
        return self.caller.is_lead and any(self.caller.agent_id in e.to for e in inquiry.escalations)

    def sees(self, inquiry: Inquiry) -> bool:
        return (
            self.everything
            or (inquiry.team is not None and inquiry.team in self.teams)
            or self.owns(inquiry)
            or self.told(inquiry)
        )

    def owns(self, inquiry: Inquiry) -> bool:
        return inquiry.assignee == self.caller.agent_id

    def leads(self, inquiry: Inquiry) -> bool:
        """A lead of the inquiry's team (or told by its escalation), or an admin."""
        return self.everything or (inquiry.team in self.led) or self.told(inquiry)


def unseen(inquiry_id: str) -> NotFound:
    """The one answer for an inquiry that does not exist and for one outside the caller's scope."""
    return NotFound(f"inquiry {inquiry_id} does not exist, or is not one you may see")


class Scopes:
    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    def of(self, caller: Caller) -> Scope:
        """The caller's scope: one read of their profile, and for a lead one query of the teams."""
        if caller.is_admin:
            return Scope(caller)
        agent = self.directory.get_agent(caller.agent_id)
        member = frozenset(agent.teams) if agent else frozenset()
        led = (
            frozenset(team.id for team in self.directory.teams() if team.lead == caller.agent_id)
            if caller.is_lead
            else frozenset()
        )
        return Scope(caller, member, led)

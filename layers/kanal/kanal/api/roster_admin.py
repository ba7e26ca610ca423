"""Agents and teams through the agent API: who may read and change what, and bodies to domain models.

- Admins read and change every agent and team.
- A lead leads the teams whose ``lead`` names them. They list the agents of those teams, create agents
  in them and change agents who are wholly within them (and stay there), but never grant or take the
  ``leads`` or ``admins`` group; they change their own teams' settings, but do not hand a team to
  another lead.
- Every signed-in agent lists the teams and changes their own status; a lead of one of the agent's teams
  and an admin may change it too.

A resource that does not exist is a 404 for everyone; one that exists but is not the caller's to change
is a 403 (agent and team ids are not secret inside the company: the teams list names every lead).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from typing import Any, Protocol

from kanal.api.auth import Caller
from kanal.api.documents import AGENT, TEAM, validated
from kanal.api.views import agent_view, team_view
from kanal.errors import Forbidden, InvalidDocument, NotFound
from kanal.observability import logger
from kanal.routing.roster import OPS, Agent, AgentStatus, Team, agent_from_document, team_from_document

PRIVILEGED = frozenset({"leads", "admins"})
READ_ONLY = ("status", "open_caseload", "figures")  # the system's fields of an agent, ignored when sent
CHAIN_ROLES = frozenset({"lead", "owner", OPS})  # what an escalation chain may name besides agents


class Directory(Protocol):
    """What is read of the organisation (``OrganisationStore``)."""

    def get_agent(self, agent_id: str) -> Agent | None: ...
    def all_agents(self) -> list[Agent]: ...
    def members(self, team: str) -> list[Agent]: ...
    def get_team(self, team_id: str) -> Team | None: ...
    def teams(self) -> list[Team]: ...


class Changes(Protocol):
    """Saving agents and teams, with their notification subscriptions (``Organisation``)."""

    def save_agent(self, agent: Agent, create: bool) -> Agent: ...
    def save_team(self, team: Team, create: bool) -> Team: ...


class StatusChanges(Protocol):
    """What follows a status change: queues drain, unanswered inquiries go back (``Events``)."""

    def agent_status_changed(self, agent_id: str, status: AgentStatus) -> Agent: ...


def _with_id(body: Any, ident: str) -> Any:
    """A PUT body names its resource in the path; an ``id`` in the body must be the same."""
    if not isinstance(body, dict):
        return body
    if "id" in body and body["id"] != ident:
        raise InvalidDocument(["$.id: must be the id in the path"])
    return {**body, "id": ident}


def _privileged(groups: Sequence[str]) -> frozenset[str]:
    return PRIVILEGED & frozenset(groups)


def _lead_may_place(led: set[str], agent: Agent, privileged: frozenset[str]) -> None:
    """A lead's agent is wholly within the teams they lead, with the privileged groups they had."""
    if not agent.teams or not set(agent.teams) <= led:
        raise Forbidden(f"agent {agent.id} is not wholly within the teams you lead")
    if _privileged(agent.groups) != privileged:
        raise Forbidden("only admins grant or take the leads and admins groups")


class OrganisationApi:
    def __init__(
        self,
        directory: Directory,
        changes: Changes,
        routing: Callable[[], StatusChanges],
        calendars: Callable[[], Collection[str]],
    ) -> None:
        self.directory = directory
        self.changes = changes
        self.routing = routing  # built on first use: most requests never change a status
        self.calendars = calendars  # the calendars of the rules in force

    def led_teams(self, caller: Caller) -> set[str]:
        if not caller.is_lead:
            return set()
        return {team.id for team in self.directory.teams() if team.lead == caller.agent_id}

    # ---------------------------------------------------------------- agents
    def list_agents(self, caller: Caller) -> dict[str, Any]:
        caller.require_lead()
        if caller.is_admin:
            agents = self.directory.all_agents()
        else:
            found = {a.id: a for team in self.led_teams(caller) for a in self.directory.members(team)}
            agents = [found[ident] for ident in sorted(found)]
        return {"items": [agent_view(agent) for agent in agents]}

    def create_agent(self, caller: Caller, body: Any) -> dict[str, Any]:
        caller.require_lead()
        agent = self._agent(body)
        if not caller.is_admin:
            _lead_may_place(self.led_teams(caller), agent, privileged=frozenset())
        saved = self.changes.save_agent(agent, create=True)
        logger.info("agent created", extra={"agent": saved.id, "by": caller.agent_id})
        return agent_view(saved)

    def update_agent(self, caller: Caller, agent_id: str, body: Any) -> dict[str, Any]:
        caller.require_lead()
        existing = self._existing_agent(agent_id)
        led = set() if caller.is_admin else self.led_teams(caller)
        if not caller.is_admin:
            _lead_may_place(led, existing, privileged=_privileged(existing.groups))
        agent = self._agent(_with_id(body, agent_id))
        if not caller.is_admin:
            _lead_may_place(led, agent, privileged=_privileged(existing.groups))
        saved = self.changes.save_agent(agent, create=False)
        logger.info("agent changed", extra={"agent": saved.id, "by": caller.agent_id})
        if existing.enabled and not saved.enabled and existing.status != AgentStatus.OFFLINE:
            # a disabled agent takes nothing more: offline, what they have not answered goes back
            self.routing().agent_status_changed(agent_id, AgentStatus.OFFLINE)
            saved = self._existing_agent(agent_id)
        return agent_view(saved)

    def set_status(self, caller: Caller, agent_id: str, body: Any) -> dict[str, Any]:
        existing = self._existing_agent(agent_id)
        if not (
            caller.agent_id == agent_id or caller.is_admin or set(existing.teams) & self.led_teams(caller)
        ):
            raise Forbidden("only the agent, a lead of their team or an admin changes their status")
        status = AgentStatus(validated(AGENT, body, part="status_change")["status"])
        self.routing().agent_status_changed(agent_id, status)
        logger.info(
            "agent status changed", extra={"agent": agent_id, "status": str(status), "by": caller.agent_id}
        )
        return agent_view(self._existing_agent(agent_id))

    def _existing_agent(self, agent_id: str) -> Agent:
        agent = self.directory.get_agent(agent_id)
        if agent is None:
            raise NotFound(f"agent {agent_id} does not exist")
        return agent

    def _agent(self, body: Any) -> Agent:
        document = validated(AGENT, body)
        agent = agent_from_document({k: v for k, v in document.items() if k not in READ_ONLY})
        unknown = [
            f"$.teams[{i}]: team {team} does not exist"
            for i, team in enumerate(agent.teams)
            if self.directory.get_team(team) is None
        ]
        if unknown:
            raise InvalidDocument(unknown)
        # A new agent starts offline; a saved one keeps their status (it changes through its own route).
        return replace(agent, status=AgentStatus.OFFLINE)

    # ---------------------------------------------------------------- teams
    def list_teams(self, caller: Caller) -> dict[str, Any]:
        return {"items": [team_view(team) for team in self.directory.teams()]}

    def create_team(self, caller: Caller, body: Any) -> dict[str, Any]:
        caller.require_admin()
        saved = self.changes.save_team(self._team(body), create=True)
        logger.info("team created", extra={"team": saved.id, "by": caller.agent_id})
        return team_view(saved)

    def update_team(self, caller: Caller, team_id: str, body: Any) -> dict[str, Any]:
        existing = self.directory.get_team(team_id)
        if existing is None:
            raise NotFound(f"team {team_id} does not exist")
        leads_it = caller.is_lead and existing.lead == caller.agent_id
        if not (caller.is_admin or leads_it):
            raise Forbidden(f"only admins and the lead of team {team_id} change it")
        team = self._team(_with_id(body, team_id))
        if not caller.is_admin and team.lead != existing.lead:
            raise Forbidden("only admins hand a team to another lead")
        saved = self.changes.save_team(team, create=False)
        logger.info("team changed", extra={"team": saved.id, "by": caller.agent_id})
        return team_view(saved)

    def _team(self, body: Any) -> Team:
        team = team_from_document(validated(TEAM, body))
        errors = []
        if team.lead is not None:
            lead = self.directory.get_agent(team.lead)
            if lead is None:
                errors.append(f"$.lead: agent {team.lead} does not exist")
            elif "leads" not in lead.groups:
                errors.append(f"$.lead: agent {team.lead} is not in the leads group")
        errors += [
            f"$.escalation_chain[{i}]: {who} is neither lead, owner, ops nor an agent"
            for i, who in enumerate(team.escalation_chain)
            if who not in CHAIN_ROLES and self.directory.get_agent(who) is None
        ]
        if team.calendar is not None and team.calendar not in self.calendars():
            errors.append(f"$.calendar: the rules have no calendar {team.calendar}")
        if errors:
            raise InvalidDocument(errors)
        return team

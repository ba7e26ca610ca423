"""The roster's items in DynamoDB: agents, teams and on-call contacts mapped to their PynamoDB item and
back. No reads or writes here: ``roster_store`` makes those."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from kanal.adapters.models import OrgItem
from kanal.routing.roster import Agent, AgentStatus, Figures, OnCall, Skills, Team


def _tuple(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value or ())


def to_agent(item: OrgItem) -> Agent:
    data = dict(item.data or {})
    skills = data.get("skills") or {}
    figures = dict(item.figures or {})
    return Agent(
        id=data["id"],
        name=str(data.get("name") or data["id"]),
        email=data.get("email"),
        phone=data.get("phone"),
        language=data.get("language", "en"),
        teams=_tuple(data.get("teams")),
        groups=_tuple(data.get("groups")) or ("agents",),
        skills=Skills(
            _tuple(skills.get("channels")), _tuple(skills.get("languages")), _tuple(skills.get("topics"))
        ),
        max_concurrent=int(item.max_concurrent or data.get("max_concurrent", 5)),
        status=AgentStatus(item.status or AgentStatus.OFFLINE),
        figures=Figures(
            open_caseload=int(item.open_caseload or 0),
            first_responses=int(item.first_responses or figures.get("first_responses", 0)),
            first_response_seconds=float(
                item.first_response_seconds or figures.get("first_response_seconds", 0)
            ),
            csat_count=int(item.csat_count or figures.get("csat_count", 0)),
            csat_total=float(item.csat_total or figures.get("csat_total", 0)),
            last_assigned_at=str(item.last_assigned_at or figures.get("last_assigned_at", "")),
        ),
        enabled=data.get("enabled", True) is not False,
    )


def agent_data(agent: Agent) -> dict[str, Any]:
    return {
        "id": agent.id,
        "name": agent.name,
        "email": agent.email,
        "phone": agent.phone,
        "language": agent.language,
        "teams": list(agent.teams),
        "groups": list(agent.groups),
        "skills": {k: list(v) for k, v in asdict(agent.skills).items()},
        "max_concurrent": agent.max_concurrent,
        "enabled": agent.enabled,
    }


def to_team(item: OrgItem) -> Team:
    data = dict(item.data or {})
    return Team(
        id=data["id"],
        name=str(data.get("name") or data["id"]),
        lead=data.get("lead"),
        channels=_tuple(data.get("channels")),
        languages=_tuple(data.get("languages")),
        topics=_tuple(data.get("topics")),
        calendar=data.get("calendar"),
        escalation_chain=_tuple(data.get("escalation_chain")),
        order=int(data.get("order", 100)),
    )


def team_data(team: Team) -> dict[str, Any]:
    data = asdict(team)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def to_oncall(item: OrgItem) -> OnCall:
    data = dict(item.data or {})
    return OnCall(
        data["id"],
        str(data.get("name") or data["id"]),
        data.get("phone"),
        data.get("email"),
        data.get("language", "en"),
    )

"""The organisation that answers inquiries: agents, teams and the on-call ops contact, as plain models."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

GROUPS = ("agents", "leads", "admins")
LANGUAGES = ("de", "en")
OPS = "ops"  # the recipient id of the on-call ops contact


class AgentStatus(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


@dataclass(frozen=True)
class Skills:
    channels: tuple[str, ...] = ()  # empty: every channel
    languages: tuple[str, ...] = ()  # empty: every language
    topics: tuple[str, ...] = ()  # priority rule ids the agent is good at (e.g. "content.legal")


@dataclass(frozen=True)
class Figures:
    """Running figures the system keeps current (assignment, first responses, CSAT)."""

    open_caseload: int = 0
    first_responses: int = 0
    first_response_seconds: float = 0.0  # sum over first_responses
    csat_count: int = 0
    csat_total: float = 0.0
    last_assigned_at: str = ""  # ISO time of the last assignment: round-robin tie break

    @property
    def average_first_response_seconds(self) -> float | None:
        return self.first_response_seconds / self.first_responses if self.first_responses else None

    @property
    def csat(self) -> float | None:
        return self.csat_total / self.csat_count if self.csat_count else None


@dataclass(frozen=True)
class Agent:
    id: str
    name: str
    email: str | None = None
    phone: str | None = None  # E.164
    language: str = "en"  # the language of their notifications
    teams: tuple[str, ...] = ()
    groups: tuple[str, ...] = ("agents",)
    skills: Skills = field(default_factory=Skills)
    max_concurrent: int = 5
    status: AgentStatus = AgentStatus.OFFLINE
    figures: Figures = field(default_factory=Figures)
    enabled: bool = True  # False: may not sign in, and a token they still hold is refused

    @property
    def under_capacity(self) -> bool:
        return self.figures.open_caseload < self.max_concurrent

    def takes(self, channel: str, language: str | None) -> bool:
        channels, languages = self.skills.channels, self.skills.languages
        return (not channels or channel in channels) and (
            not languages or language is None or language in languages
        )


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    lead: str | None = None  # an agent id
    channels: tuple[str, ...] = ()  # empty: every channel
    languages: tuple[str, ...] = ()  # empty: every language
    topics: tuple[str, ...] = ()  # priority rule ids that send an inquiry here first
    calendar: str | None = None  # a calendar of the rules document (business hours)
    escalation_chain: tuple[str, ...] = ()  # who each tier notifies instead of the tiers' defaults
    order: int = 100  # among equally fitting teams, the lower order wins

    def takes(self, channel: str, language: str | None) -> bool:
        return (not self.channels or channel in self.channels) and (
            not self.languages or language is None or language in self.languages
        )


@dataclass(frozen=True)
class OnCall:
    """The on-call ops contact that the last escalation tier pages."""

    id: str
    name: str
    phone: str | None = None
    email: str | None = None
    language: str = "en"


def _names(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()


def _whole(value: object) -> int:
    """A schema-validated integer as an int: JSON Schema counts 44.0 as one, and DynamoDB gives Decimal."""
    return int(Decimal(str(value)))


def agent_from_document(doc: dict[str, object]) -> Agent:
    """An agent from its JSON form (the API's body, the seed file); validated by the caller."""
    skills = doc.get("skills") if isinstance(doc.get("skills"), dict) else {}
    assert isinstance(skills, dict)
    return Agent(
        id=str(doc["id"]),
        name=str(doc.get("name") or doc["id"]),
        email=str(doc["email"]) if doc.get("email") else None,
        phone=str(doc["phone"]) if doc.get("phone") else None,
        language=str(doc.get("language") or "en"),
        teams=_names(doc.get("teams")),
        groups=_names(doc.get("groups")) or ("agents",),
        skills=Skills(
            _names(skills.get("channels")), _names(skills.get("languages")), _names(skills.get("topics"))
        ),
        max_concurrent=_whole(doc.get("max_concurrent", 5)),
        status=AgentStatus(str(doc.get("status") or AgentStatus.OFFLINE)),
        enabled=doc.get("enabled", True) is not False,
    )


def team_from_document(doc: dict[str, object]) -> Team:
    return Team(
        id=str(doc["id"]),
        name=str(doc.get("name") or doc["id"]),
        lead=str(doc["lead"]) if doc.get("lead") else None,
        channels=_names(doc.get("channels")),
        languages=_names(doc.get("languages")),
        topics=_names(doc.get("topics")),
        calendar=str(doc["calendar"]) if doc.get("calendar") else None,
        escalation_chain=_names(doc.get("escalation_chain")),
        order=_whole(doc.get("order", 100)),
    )


def oncall_from_document(doc: dict[str, object]) -> OnCall:
    return OnCall(
        id=str(doc["id"]),
        name=str(doc.get("name") or doc["id"]),
        phone=str(doc["phone"]) if doc.get("phone") else None,
        email=str(doc["email"]) if doc.get("email") else None,
        language=str(doc.get("language") or "en"),
    )

"""Who gets an inquiry: the team that fits it, the eligible agents of that team, their ranking, and the
assigner that gives it to the best of them and tells them.

The choice is plain functions over plain models. An agent is eligible when online, under capacity and
skilled for the inquiry's channel and language. The usual ranking balances the caseload first, then prefers
faster first responses and better CSAT; a strongly negative or VIP inquiry goes to the best-rated agent
first. Whatever still ties goes round-robin: the agent assigned longest ago first.

The ``Assigner`` tries the agents in that order: one who went offline or reached capacity meanwhile is
skipped, and an inquiry somebody else took meanwhile is left to them (never two owners). The chosen agent
is notified; with a phone number, their SMS names the inquiry so that a reply can take it or pass it on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from pynamodb.expressions.update import Action

from kanal.adapters.roster_store import AlreadyOwned, CapacityTaken, OrganisationStore
from kanal.adapters.store import DynamoStore
from kanal.errors import NotFound
from kanal.model import CustomerContext, Inquiry, Priority, Status
from kanal.observability import logger
from kanal.routing.notices import Notice, compose, reference
from kanal.routing.roster import Agent, AgentStatus, Team

STRONGLY_NEGATIVE = frozenset({"sentiment.very_negative"})
UNKNOWN_RESPONSE_SECONDS = float("inf")
SMS_REFERENCE_SECONDS = 24 * 3600  # how long an SMS reply can still take or pass on its inquiry


@dataclass(frozen=True)
class Needs:
    """What the inquiry asks of its owner."""

    channel: str
    language: str | None
    topics: frozenset[str] = frozenset()  # the priority rules that fired
    top_rated: bool = False  # strongly negative or VIP: the best-rated agent first


def needs_of(
    channel: str, language: str | None, priority: Priority | None, context: CustomerContext
) -> Needs:
    topics = frozenset(reason.rule for reason in priority.reasons) if priority else frozenset()
    return Needs(channel, language, topics, top_rated=context.vip or bool(topics & STRONGLY_NEGATIVE))


def choose_team(teams: Iterable[Team], needs: Needs) -> Team | None:
    """The team that takes the channel and language, preferring the most matching topics, then ``order``."""
    fitting = [team for team in teams if team.takes(needs.channel, needs.language)]
    if not fitting:
        return None
    return min(fitting, key=lambda t: (-len(needs.topics & set(t.topics)), t.order, t.id))


def eligible(agents: Iterable[Agent], needs: Needs, exclude: Sequence[str] = ()) -> list[Agent]:
    return [
        agent
        for agent in agents
        if agent.status is AgentStatus.ONLINE
        and agent.under_capacity
        and agent.takes(needs.channel, needs.language)
        and agent.id not in exclude
    ]


def _csat(agent: Agent) -> float:
    return agent.figures.csat if agent.figures.csat is not None else 0.0


def _response(agent: Agent) -> float:
    average = agent.figures.average_first_response_seconds
    return average if average is not None else UNKNOWN_RESPONSE_SECONDS


def rank(agents: Iterable[Agent], needs: Needs) -> list[Agent]:
    """Best first."""

    def usual(agent: Agent) -> tuple[object, ...]:
        topical = -len(needs.topics & set(agent.skills.topics))
        return (
            agent.figures.open_caseload,
            topical,
            _response(agent),
            -_csat(agent),
            agent.figures.last_assigned_at,
            agent.id,
        )

    def best_rated(agent: Agent) -> tuple[object, ...]:
        return (-_csat(agent), _response(agent), *usual(agent))

    return sorted(agents, key=best_rated if needs.top_rated else usual)


class Notifier(Protocol):
    def notify(self, notice: Notice) -> None: ...


class Assigner:
    """Gives an inquiry to the best eligible agent of its team, and tells them; shared by the state machine's
    tasks, the events and the work on an inquiry."""

    def __init__(
        self, store: DynamoStore, org: OrganisationStore, notifier: Notifier, console_url: str = ""
    ) -> None:
        self.store = store
        self.org = org
        self.notifier = notifier
        self.console_url = console_url

    def inquiry(self, inquiry_id: str) -> Inquiry:
        inquiry = self.store.get_inquiry(inquiry_id)
        if inquiry is None:
            raise NotFound(f"inquiry {inquiry_id} does not exist")
        return inquiry

    def team_of(self, inquiry: Inquiry) -> Team | None:
        return self.org.get_team(inquiry.team) if inquiry.team else None

    def needs(self, inquiry: Inquiry) -> Needs:
        context = self.store.customer_context(inquiry.customer_id, datetime.now(UTC))
        return needs_of(str(inquiry.channel), inquiry.language, inquiry.priority, context)

    def best(
        self,
        inquiry: Inquiry,
        team: Team | None,
        needs: Needs,
        exclude: Sequence[str],
        kind: str = "assigned",
        also: Callable[[Agent], list[Action]] | None = None,
    ) -> Agent | None:
        """Give the inquiry to the best eligible agent of ``team`` (``also``: more changes of the inquiry in
        the same write) and tell them (a notice of ``kind``); None leaves it where it is."""
        if team is None:
            return None
        candidates = rank(eligible(self.org.online_members(team.id), needs, exclude), needs)
        for agent in candidates:
            more = also(agent) if also else None
            try:
                self.org.assign(inquiry.id, team.id, agent, inquiry.assignee, more)
            except CapacityTaken:
                continue
            except AlreadyOwned:
                current = self.inquiry(inquiry.id)
                if current.assignee != inquiry.assignee or current.status is Status.RESOLVED:
                    return None  # somebody else took it: never two owners
                inquiry = current
                try:
                    self.org.assign(inquiry.id, team.id, agent, inquiry.assignee, more)
                except (AlreadyOwned, CapacityTaken):
                    continue
            assigned = self.inquiry(inquiry.id)
            self.notify_assigned(assigned, agent, kind)
            logger.info("inquiry assigned", extra={"inquiry_id": inquiry.id, "agent": agent.id})
            return agent
        return None

    def notify_assigned(self, inquiry: Inquiry, agent: Agent, kind: str = "assigned") -> None:
        notice = compose(
            kind, inquiry, agent.id, agent.language, self.console_url, asks_reply=bool(agent.phone)
        )
        if agent.phone:
            self.org.remember_sms(
                agent.phone, reference(inquiry.id), inquiry.id, agent.id, SMS_REFERENCE_SECONDS
            )
        self.notifier.notify(notice)

    def drain(self, team_id: str, limit: int = 25) -> int:
        """Assign the team's queued inquiries, most urgent first, while its agents have room."""
        team = self.org.get_team(team_id)
        if team is None:
            return 0
        assigned = 0
        for inquiry in self.store.queued(team_id, limit):
            if self.best(inquiry, team, self.needs(inquiry), exclude=()) is not None:
                assigned += 1
        return assigned

    def tell_lead(self, inquiry: Inquiry) -> None:
        """The lead of the inquiry's team hears that it waits in the queue with nobody free."""
        team = self.team_of(inquiry)
        lead = self.org.get_agent(team.lead) if team and team.lead else None
        if lead is not None:
            self.notifier.notify(compose("queued", inquiry, lead.id, lead.language, self.console_url))

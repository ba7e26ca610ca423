"""Who takes an inquiry: the team that fits it, the eligible agents of that team, and their ranking.

Plain functions over plain models. An agent is eligible when online, under capacity and skilled for the
inquiry's channel and language. The usual ranking balances the caseload first, then prefers faster first
responses and better CSAT; a strongly negative or VIP inquiry goes to the best-rated agent first. Whatever
still ties goes round-robin: the agent assigned longest ago first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kanal.model import CustomerContext, Priority
from kanal.routing.roster import Agent, AgentStatus, Team

STRONGLY_NEGATIVE = frozenset({"sentiment.very_negative"})
UNKNOWN_RESPONSE_SECONDS = float("inf")


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

"""Scoring one inquiry: every rule is asked, the weights add up to a 0-100 score, the score gives the
band, the band and the channel give the first-response target, and the team calendar the due time.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from operator import attrgetter

from kanal.errors import NotFound
from kanal.model import CustomerContext, Inquiry, Priority, Reason
from kanal.priority.facts import Facts, Hit, Rule, more_urgent
from kanal.priority.rules import Rules
from kanal.priority.sentiment import SentimentAnalyzer, SentimentConfig, sentiment_analyzer
from kanal.priority.sla import Calendar, as_utc

MAX_SCORE = 100
_WEIGHT = attrgetter("weight")


@lru_cache(maxsize=8)
def configured_analyzer(config: SentimentConfig) -> SentimentAnalyzer:
    """The analyzer a rules document's ``sentiment`` section asks for, created once per process."""
    return sentiment_analyzer(config)


def score_inquiry(
    inquiry: Inquiry,
    context: CustomerContext,
    rules: Rules,
    sentiment: SentimentAnalyzer | None = None,
    now: datetime | None = None,
    calendar: str | None = None,
) -> Priority:
    """Score, band, reasons and first-response due time of one inquiry.

    ``now`` ends the repeat-contact window and defaults to when the inquiry was received, so the same
    inputs always give the same priority. The SLA clock starts at ``inquiry.received_at`` and runs in
    the business hours of ``calendar`` (the rules document's ``default_calendar`` when None).
    ``sentiment`` defaults to the analyzer the rules document configures.
    """
    clock = _calendar(rules, calendar)
    facts = Facts(
        inquiry,
        context,
        as_utc(now or inquiry.received_at),
        sentiment or configured_analyzer(rules.sentiment),
        rules.matcher,
    )
    hits = [(rule, hit) for rule in rules.rules if (hit := rule.evaluate(facts)) is not None]
    score = _clamp(sum(hit.weight for _, hit in hits))
    band = rules.bands.band(score)
    reasons = [Reason(rule.id, hit.matched, _weight(hit.weight)) for rule, hit in hits]
    floor = _floor(hits)
    if floor is not None and floor[1] < band:
        lifted = rules.bands.floor(floor[1])
        reasons.append(Reason(floor[0], f"at least {floor[1]}", float(lifted - score)))
        score, band = lifted, floor[1]
    minutes = rules.channel.target_minutes(str(inquiry.channel), band)
    return Priority(
        score=score,
        band=band,
        reasons=tuple(sorted(reasons, key=_WEIGHT, reverse=True)),  # stable: ties keep document order
        sla_due_at=clock.add_business_minutes(inquiry.received_at, minutes),
        rules_version=rules.version,
    )


def _calendar(rules: Rules, name: str | None) -> Calendar:
    try:
        return rules.calendar(name)
    except KeyError:
        raise NotFound(f"no calendar named {name!r} in rules {rules.version!r}") from None


def _clamp(total: float) -> int:
    return max(0, min(MAX_SCORE, int(total + 0.5) if total >= 0 else 0))


def _weight(weight: float) -> float:
    return weight + 0.0  # no -0.0 in a reason


def _floor(hits: list[tuple[Rule, Hit]]) -> tuple[str, str] | None:
    """(rule id, band) of the most urgent ``min_band`` among the rules that fired."""
    best: tuple[str, str] | None = None
    for rule, hit in hits:
        band = more_urgent(best[1] if best else None, hit.min_band)
        if band is not None and (best is None or band != best[1]):
            best = (rule.id, band)
    return best

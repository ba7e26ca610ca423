"""The SLA clock of one inquiry: plain functions over a plain value, no I/O.

A response window opens when the inquiry arrives (first response) and again when the customer writes after
being answered (next response). In a window the owner is warned at a share of it, and when it passes the
escalation tiers fire one after another. An answer to the customer closes the window; asking the customer
something pauses the clock (``waiting``) until they write again. Every change bumps ``version``, so a
waiting execution can tell that the clock it was given is stale.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from kanal.model import Sla
from kanal.routing.policy import Policy, Tier

IDLE_SECONDS = 7 * 24 * 3600  # nothing due: look again in a week (a Standard execution lives a year)
# Waits are whole seconds (TimeoutSeconds): a wait ends at most this much before its deadline, and what
# is due within it fires then, so a short window's warning is not lost to rounding.
EARLY = timedelta(seconds=1)


def open_window(now: datetime, window: timedelta, policy: Policy, previous: Sla | None = None) -> Sla:
    """A new response window of ``window`` from ``now`` (the first one, or a next response)."""
    window = max(window, timedelta(seconds=1))
    return Sla(
        started_at=now,
        due_at=now + window,
        warn_at=now + window * policy.warning_share if policy.warning_share < 1 else None,
        first_response_at=previous.first_response_at if previous else None,
        breached=previous.breached if previous else False,
        version=(previous.version + 1) if previous else 1,
    )


def tier_at(sla: Sla, tier: Tier, scale: float) -> datetime:
    """When ``tier`` fires: after the due time by a share of the window, at least ``min_after_minutes``."""
    after = max(sla.window * tier.after_breach_share, timedelta(minutes=tier.min_after_minutes) / scale)
    return sla.due_at + after


def next_deadline(sla: Sla, policy: Policy, scale: float) -> datetime | None:
    """The next moment the clock must act: the warning, the breach, or the next tier; None when idle."""
    if not sla.pending:
        return None
    if sla.warn_at is not None and not sla.warned and sla.tier == 0:
        return sla.warn_at
    if sla.tier < len(policy.tiers):
        return tier_at(sla, policy.tiers[sla.tier], scale)
    return None


def seconds_until(moment: datetime | None, now: datetime) -> int:
    if moment is None:
        return IDLE_SECONDS
    return max(1, int((moment - now).total_seconds()))


@dataclass(frozen=True)
class Due:
    """What is due at a deadline: warn the owner, or fire escalation tier ``tier`` (1-based)."""

    kind: str  # "warning" | "escalation"
    tier: int = 0


def fire_due(sla: Sla, policy: Policy, now: datetime, scale: float) -> tuple[Sla, list[Due]]:
    """Everything whose time has come (a late wake-up fires several, in order), and the clock after it."""
    fired: list[Due] = []
    while True:
        deadline = next_deadline(sla, policy, scale)
        if deadline is None or deadline > now + EARLY:
            return sla, fired
        if sla.warn_at is not None and not sla.warned and sla.tier == 0:
            sla = replace(sla, warned=True, version=sla.version + 1)
            if now < sla.due_at:
                fired.append(Due("warning"))
            continue
        tier = policy.tiers[sla.tier]
        sla = replace(sla, tier=sla.tier + 1, breached=sla.breached or tier.breached, version=sla.version + 1)
        fired.append(Due("escalation", sla.tier))


def respond(sla: Sla, now: datetime, waiting: bool = False) -> Sla:
    """An answer reached the customer: the window closes; ``waiting`` pauses the clock on the customer."""
    return replace(
        sla,
        responded=True,
        paused=waiting,
        first_response_at=sla.first_response_at or now,
        version=sla.version + 1,
    )


def follow_up(sla: Sla, now: datetime, policy: Policy) -> Sla:
    """The customer wrote again: after an answer (or while we wait on them) a next-response window opens,
    as long as the first one was; while a response is still owed nothing changes."""
    if sla.pending:
        return sla
    return open_window(now, sla.window, policy, previous=sla)

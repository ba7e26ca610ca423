"""The routing workflow's tasks, as plain functions over the store: score, wait for an answer, escalate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from kanal.adapters.dynamo import DynamoStore
from kanal.errors import NotFound
from kanal.model import Inquiry, Priority
from kanal.priority import Rules, score_inquiry

MAX_TIERS = 3
ESCALATION_MINIMUM_SECONDS = 60


class Notifier(Protocol):
    def notify(self, subject: str, message: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class Wait:
    band: str
    sla_seconds: int
    tier: int = 0
    exhausted: bool = False

    def as_output(self) -> dict[str, Any]:
        return {
            "band": self.band,
            "sla_seconds": self.sla_seconds,
            "tier": self.tier,
            "exhausted": self.exhausted,
        }


def seconds_until(due: datetime | None, now: datetime, minimum: int = 1) -> int:
    if due is None:
        return minimum
    return max(minimum, int((due - now).total_seconds()))


class Routing:
    def __init__(
        self, store: DynamoStore, rules: Callable[[], Rules], notifier: Notifier, context_hours: int = 72
    ) -> None:
        self.store = store
        self.rules = rules  # read on every scoring: an admin's change applies to the next inquiry
        self.notifier = notifier
        self.context_hours = context_hours

    def _inquiry(self, inquiry_id: str) -> Inquiry:
        inquiry = self.store.get_inquiry(inquiry_id)
        if inquiry is None:
            raise NotFound(f"inquiry {inquiry_id} does not exist")
        return inquiry

    def score(self, inquiry_id: str, now: datetime | None = None) -> Wait:
        now = now or datetime.now(UTC)
        inquiry = self._inquiry(inquiry_id)
        context = self.store.customer_context(inquiry.customer_id, now - timedelta(hours=self.context_hours))
        priority: Priority = score_inquiry(inquiry, context, self.rules(), now=now)
        self.store.set_priority(inquiry_id, priority)
        return Wait(priority.band, seconds_until(priority.sla_due_at, now))

    def await_response(self, inquiry_id: str, task_token: str) -> None:
        """Remember the waiting execution's token: the first reply releases it."""
        self._inquiry(inquiry_id)
        self.store.set_task_token(inquiry_id, task_token)

    def escalate(self, inquiry_id: str, tier: int) -> Wait:
        """The SLA passed at ``tier``: notify the next tier and say how long to wait for it."""
        tier += 1
        inquiry = self._inquiry(inquiry_id)
        band = inquiry.priority.band if inquiry.priority else "P4"
        self.notifier.notify(
            "escalation",
            {"inquiry_id": inquiry_id, "tier": tier, "band": band, "channel": str(inquiry.channel)},
        )
        if tier >= MAX_TIERS:
            return Wait(band, ESCALATION_MINIMUM_SECONDS, tier, exhausted=True)
        created = inquiry.created_at
        first_window = seconds_until(inquiry.priority.sla_due_at if inquiry.priority else None, created)
        return Wait(band, max(ESCALATION_MINIMUM_SECONDS, first_window // 2), tier)

"""The routing state machine's tasks: ``route``, ``await_response`` and ``deadline``, ``failed`` (a task
failed after its retries), and ``release``, which hands a waiting execution the clock as it stands now.

``route`` scores a new inquiry, opens its SLA window, puts it in its team and gives it to the best agent
(``assign.py``). The execution then waits with its task token stored on the inquiry (``await_response``)
for as long as the clock says; the wait ends when its time comes (``deadline`` fires what is due: the
warning and the escalation tiers of ``escalation.py``) or when an event (``events.py``) or the work on the
inquiry (``casework.py``) changed the inquiry and released it. An event changes the inquiry first and then
releases the waiting execution with the clock as it now stands, so the execution never decides on a stale
clock: a wait that starts after the clock moved on fails at once with ``ClockChanged`` and the state
machine looks again.

A task that fails after its retries ends the execution through ``failed``: the inquiry is flagged
(``routing_failure``: the error's name, when, which state), stays in its team's queue (a ``new`` one is
queued, in ``unrouted`` when it has no team yet) and the on-call ops contact is told. Its SLA warnings and
escalations stop until the execution is restarted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from kanal.adapters.items import UNROUTED, routing_failure_json, status_actions
from kanal.adapters.models import InquiryItem
from kanal.errors import ClockChanged, NotFound
from kanal.model import Inquiry, RoutingFailure, Sla, Status
from kanal.observability import logger, metrics
from kanal.routing import clock
from kanal.routing.assign import Assigner, choose_team, needs_of
from kanal.routing.escalation import Escalator
from kanal.routing.notices import compose
from kanal.routing.policy import Policy
from kanal.routing.roster import OPS

if TYPE_CHECKING:  # the priority engine is loaded by the first `route`: the other tasks never score
    from kanal.priority import Rules


class Releaser(Protocol):
    def release(self, token: str, output: dict[str, Any]) -> bool:
        """Complete a waiting task; False when the wait is over already."""
        ...


@dataclass(frozen=True)
class Clock:
    """What the state machine waits for next."""

    seconds: int
    version: int
    done: bool = False

    def as_output(self) -> dict[str, Any]:
        return {"seconds": self.seconds, "version": self.version, "done": self.done}


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


class Tasks:
    def __init__(
        self,
        assigner: Assigner,
        rules: Callable[[], Rules],
        policy: Callable[[], Policy],
        releaser: Releaser,
        scale: float = 1.0,
        context_hours: int = 72,
    ) -> None:
        self.assigner = assigner
        self.store = assigner.store
        self.rules = rules  # read on every scoring: an admin's change applies to the next inquiry
        self.policy = policy
        self.releaser = releaser
        self.scale = scale
        self.context_hours = context_hours
        self.escalator = Escalator(assigner)

    def clock(self, inquiry: Inquiry, now: datetime | None = None) -> Clock:
        if inquiry.status is Status.RESOLVED or inquiry.sla is None:
            return Clock(1, inquiry.sla.version if inquiry.sla else 0, done=True)
        deadline = clock.next_deadline(inquiry.sla, self.policy(), self.scale)
        return Clock(clock.seconds_until(deadline, _now(now)), inquiry.sla.version)

    def route(self, inquiry_id: str, now: datetime | None = None) -> Clock:
        """Score the inquiry, open its SLA window, put it in its team and give it to the best agent."""
        now = _now(now)
        inquiry = self.assigner.inquiry(inquiry_id)
        if inquiry.sla is not None:  # a retried task: routed already
            return self.clock(inquiry, now)
        from kanal.priority import score_inquiry

        rules = self.rules()
        context = self.store.customer_context(inquiry.customer_id, now - timedelta(hours=self.context_hours))
        priority = score_inquiry(inquiry, context, rules, now=now)
        needs = needs_of(str(inquiry.channel), inquiry.language, priority, context)
        team = choose_team(self.assigner.org.teams(), needs)
        if team is not None and team.calendar and team.calendar != rules.default_calendar:
            try:
                priority = score_inquiry(inquiry, context, rules, now=now, calendar=team.calendar)
            except NotFound:
                logger.warning("team calendar missing from the rules", extra={"team": team.id})
        window = (priority.sla_due_at - now) / self.scale if priority.sla_due_at else timedelta(hours=1)
        sla = clock.open_window(now, window, self.policy())
        team_id = team.id if team else UNROUTED
        inquiry = self.store.set_priority(
            inquiry_id,
            replace(priority, sla_due_at=sla.due_at),
            more=lambda item: [
                *status_actions(item, Status.QUEUED, team_id),
                InquiryItem.sla.set(sla.as_json()),
            ],
        )
        logger.info("inquiry scored", extra={"band": priority.band, "team": team_id})
        self.assigner.best(inquiry, team, needs, exclude=())
        return self.clock(inquiry, now)  # its SLA as just written (an assignment leaves the clock alone)

    def await_response(self, inquiry_id: str, task_token: str, version: int) -> None:
        """Keep the waiting execution's token on the inquiry, unless the clock moved on meanwhile."""

        def keep(item: InquiryItem) -> list[Any]:
            current = Sla.from_json(item.sla).version if item.sla else 0
            if current != version or item.status == Status.RESOLVED:
                raise ClockChanged(f"clock {current}, wait computed for {version}")
            return [InquiryItem.task_token.set(task_token)]

        self.store.change(inquiry_id, keep)

    def deadline(self, inquiry_id: str, now: datetime | None = None) -> Clock:
        """A wait ended (its time came, or the clock changed): fire what is due, then say what comes next."""
        now = _now(now)
        inquiry = self.assigner.inquiry(inquiry_id)
        if inquiry.status is Status.RESOLVED or inquiry.sla is None:
            return self.clock(inquiry, now)
        policy = self.policy()
        fired: list[clock.Due] = []
        breaches: list[bool] = []

        def fire(item: InquiryItem) -> list[Any]:
            fired.clear()
            breaches.clear()
            current = Sla.from_json(item.sla)
            after, due = clock.fire_due(current, policy, now, self.scale)
            fired.extend(due)
            if not due and after == current:
                return []
            breached = [InquiryItem.breached.set(True)] if after.breached and not item.breached else []
            breaches[:] = [bool(breached)]
            return [InquiryItem.sla.set(after.as_json()), *breached]

        inquiry = self.store.change(inquiry_id, fire)
        if breaches and breaches[0]:  # SlaBreachRateAlarm: breached over breached plus answered in time
            metrics.add_metric(name="SlaBreached", unit="Count", value=1)
        for due in fired:
            if due.kind == "warning":
                self.escalator.warn(inquiry)
            else:
                inquiry = self.escalator.escalate(inquiry, policy.tiers[due.tier - 1], due.tier, now)
        return self.clock(self.assigner.inquiry(inquiry_id), now)

    def failed(self, inquiry_id: str, error: str, state: str, now: datetime | None = None) -> Inquiry:
        """A task failed after its retries: flag the inquiry, keep it queued, tell the on-call ops contact."""
        failure = RoutingFailure(error=error[:100], at=_now(now), state=state[:40])

        def flag(item: InquiryItem) -> list[Any]:
            queued = (
                status_actions(item, Status.QUEUED, item.team or UNROUTED)
                if item.status == Status.NEW and not item.assignee
                else []
            )
            return [*queued, InquiryItem.routing_failure.set(routing_failure_json(failure))]

        inquiry = self.store.change(inquiry_id, flag)
        logger.error("routing failed", extra={"error": failure.error, "state": failure.state})
        contacts = self.assigner.org.oncall()
        language = contacts[0].language if contacts else "en"
        self.assigner.notifier.notify(
            compose("routing_failed", inquiry, OPS, language, self.assigner.console_url, ("email",))
        )
        return inquiry

    def release(self, inquiry_id: str) -> None:
        """Hand the waiting execution the clock as it stands now."""
        token = self.store.task_token_of(inquiry_id)
        if not token:
            return  # no wait stored: the next wait sees the new version and looks again
        inquiry = self.assigner.inquiry(inquiry_id)
        self.releaser.release(token, self.clock(inquiry).as_output())
        self.store.clear_task_token(inquiry_id, token)

"""Routing: score, route to a team and an agent, notify, and keep the SLA clock of every inquiry.

The routing state machine calls ``route``, ``await_response`` and ``deadline``; the agent API, ingest and
the SMS replies call the events (``responded``, ``followed_up``, ``resolved``, ``claim``, ``pass_on``,
``agent_status_changed``) and the agent API the work of a lead or an owner (``assign``, ``transfer``,
``wait``, ``reopen``). An event changes the inquiry first and then releases the waiting execution with
the clock as it now stands, so the execution never decides on a stale clock: a wait that starts after the
clock moved on fails at once with ``ClockChanged`` and the state machine looks again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from pynamodb.expressions.update import Action

from kanal.adapters.items import UNROUTED, escalation_json, status_actions, transfer_json
from kanal.adapters.models import InquiryItem
from kanal.adapters.organisation import AlreadyOwned, CapacityTaken, OrganisationStore
from kanal.adapters.store import DynamoStore
from kanal.errors import ClockChanged, Conflict, NotFound
from kanal.model import Escalation, Inquiry, Sla, Status, Transfer
from kanal.observability import logger
from kanal.routing import clock
from kanal.routing.assign import Needs, choose_team, eligible, needs_of, rank
from kanal.routing.notices import Notice, compose, reference
from kanal.routing.org import OPS, Agent, AgentStatus, Team
from kanal.routing.policy import Policy, Tier
from kanal.routing.sms import Answer, normalise_phone, parse_reply

if TYPE_CHECKING:  # the priority engine is loaded by the first `route`: the other tasks never score
    from kanal.priority import Rules

SMS_REFERENCE_SECONDS = 24 * 3600
ASSIGN_ATTEMPTS = 3


class Notifier(Protocol):
    def notify(self, notice: Notice) -> None: ...


class Releaser(Protocol):
    def release(self, token: str, output: dict[str, Any]) -> bool:
        """Complete a waiting task; False when the wait is over already."""
        ...


class Workflow(Protocol):
    def start(self, inquiry_id: str, name: str | None = None) -> str:
        """Start a routing execution of the inquiry (named ``name``, or after the inquiry); its id."""
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


class Routing:
    def __init__(
        self,
        store: DynamoStore,
        org: OrganisationStore,
        rules: Callable[[], Rules],
        policy: Callable[[], Policy],
        notifier: Notifier,
        releaser: Releaser,
        scale: float = 1.0,
        console_url: str = "",
        context_hours: int = 72,
        workflow: Workflow | None = None,
    ) -> None:
        self.store = store
        self.org = org
        self.rules = rules  # read on every scoring: an admin's change applies to the next inquiry
        self.policy = policy
        self.notifier = notifier
        self.releaser = releaser
        self.scale = scale
        self.console_url = console_url
        self.context_hours = context_hours
        self.workflow = workflow  # starts a reopened inquiry's execution

    # ---------------------------------------------------------------- the state machine's tasks
    def _inquiry(self, inquiry_id: str) -> Inquiry:
        inquiry = self.store.get_inquiry(inquiry_id)
        if inquiry is None:
            raise NotFound(f"inquiry {inquiry_id} does not exist")
        return inquiry

    def clock(self, inquiry: Inquiry, now: datetime | None = None) -> Clock:
        if inquiry.status is Status.RESOLVED or inquiry.sla is None:
            return Clock(1, inquiry.sla.version if inquiry.sla else 0, done=True)
        deadline = clock.next_deadline(inquiry.sla, self.policy(), self.scale)
        return Clock(clock.seconds_until(deadline, _now(now)), inquiry.sla.version)

    def route(self, inquiry_id: str, now: datetime | None = None) -> Clock:
        """Score the inquiry, open its SLA window, put it in its team and give it to the best agent."""
        now = _now(now)
        inquiry = self._inquiry(inquiry_id)
        if inquiry.sla is not None:  # a retried task: routed already
            return self.clock(inquiry, now)
        from kanal.priority import score_inquiry

        rules = self.rules()
        context = self.store.customer_context(inquiry.customer_id, now - timedelta(hours=self.context_hours))
        priority = score_inquiry(inquiry, context, rules, now=now)
        needs = needs_of(str(inquiry.channel), inquiry.language, priority, context)
        team = choose_team(self.org.teams(), needs)
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
        self._assign_best(inquiry, team, needs, exclude=())
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
        inquiry = self._inquiry(inquiry_id)
        if inquiry.status is Status.RESOLVED or inquiry.sla is None:
            return self.clock(inquiry, now)
        policy = self.policy()
        fired: list[clock.Due] = []

        def fire(item: InquiryItem) -> list[Any]:
            fired.clear()
            current = Sla.from_json(item.sla)
            after, due = clock.fire_due(current, policy, now, self.scale)
            fired.extend(due)
            if not due and after == current:
                return []
            breached = [InquiryItem.breached.set(True)] if after.breached and not item.breached else []
            return [InquiryItem.sla.set(after.as_json()), *breached]

        inquiry = self.store.change(inquiry_id, fire)
        for due in fired:
            if due.kind == "warning":
                self._warn(inquiry)
            else:
                inquiry = self._escalate(inquiry, policy.tiers[due.tier - 1], due.tier, now)
        return self.clock(self._inquiry(inquiry_id), now)

    # ---------------------------------------------------------------- assignment
    def _team(self, inquiry: Inquiry) -> Team | None:
        return self.org.get_team(inquiry.team) if inquiry.team else None

    def _needs(self, inquiry: Inquiry) -> Needs:
        context = self.store.customer_context(inquiry.customer_id, _now(None))
        return needs_of(str(inquiry.channel), inquiry.language, inquiry.priority, context)

    def _assign_best(
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
                current = self._inquiry(inquiry.id)
                if current.assignee != inquiry.assignee or current.status is Status.RESOLVED:
                    return None  # somebody else took it: never two owners
                inquiry = current
                try:
                    self.org.assign(inquiry.id, team.id, agent, inquiry.assignee, more)
                except (AlreadyOwned, CapacityTaken):
                    continue
            assigned = self._inquiry(inquiry.id)
            self._notify_assigned(assigned, agent, kind)
            logger.info("inquiry assigned", extra={"inquiry_id": inquiry.id, "agent": agent.id})
            return agent
        return None

    def _notify_assigned(self, inquiry: Inquiry, agent: Agent, kind: str = "assigned") -> None:
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
            if self._assign_best(inquiry, team, self._needs(inquiry), exclude=()) is not None:
                assigned += 1
        return assigned

    # ---------------------------------------------------------------- notices of the clock
    def _warn(self, inquiry: Inquiry) -> None:
        if inquiry.assignee:
            agent = self.org.get_agent(inquiry.assignee)
            if agent is not None:
                self.notifier.notify(compose("warning", inquiry, agent.id, agent.language, self.console_url))
                return
        self._tell_lead(inquiry)

    def _tell_lead(self, inquiry: Inquiry) -> None:
        """The lead of the inquiry's team hears that it waits in the queue with nobody free."""
        team = self._team(inquiry)
        lead = self.org.get_agent(team.lead) if team and team.lead else None
        if lead is not None:
            self.notifier.notify(compose("queued", inquiry, lead.id, lead.language, self.console_url))

    def _escalate(self, inquiry: Inquiry, tier: Tier, number: int, now: datetime) -> Inquiry:
        team = self._team(inquiry)
        previous = inquiry.assignee
        if tier.reroute and team is not None:
            moved = self._assign_best(
                inquiry, team, self._needs(inquiry), exclude=[previous] if previous else []
            )
            if moved is not None:
                inquiry = self._inquiry(inquiry.id)
        told = self._recipients(inquiry, tier, number, team, previous)
        for recipient, language in told:
            notice = compose(
                "escalation", inquiry, recipient, language, self.console_url, tuple(tier.protocols), number
            )
            self.notifier.notify(notice)
        escalation = Escalation(number, now, tuple(r for r, _ in told))
        logger.info("inquiry escalated", extra={"inquiry_id": inquiry.id, "tier": number})
        return self.store.change(
            inquiry.id,
            lambda item: [
                InquiryItem.escalations.set([*(item.escalations or []), escalation_json(escalation)])
            ],
        )

    def _recipients(
        self, inquiry: Inquiry, tier: Tier, number: int, team: Team | None, previous: str | None
    ) -> list[tuple[str, str]]:
        """(recipient id, language) of everyone a tier tells; a team's escalation chain names them itself."""
        names: list[str] = []
        chain = team.escalation_chain if team else ()
        for who in [chain[number - 1]] if len(chain) >= number else tier.notify:
            if who == "lead":
                names += [team.lead] if team and team.lead else [OPS]
            elif who == "owner":
                names += [n for n in (inquiry.assignee, previous) if n]
            else:
                names.append(who)
        told: list[tuple[str, str]] = []
        for name in dict.fromkeys(names):
            if name == OPS:
                contacts = self.org.oncall()
                told += [(OPS, contacts[0].language if contacts else "en")]
                continue
            agent = self.org.get_agent(name)
            if agent is not None:
                told.append((agent.id, agent.language))
        return told

    # ---------------------------------------------------------------- events
    def release(self, inquiry_id: str) -> None:
        """Hand the waiting execution the clock as it stands now."""
        token = self.store.task_token_of(inquiry_id)
        if not token:
            return  # no wait stored: the next wait sees the new version and looks again
        inquiry = self._inquiry(inquiry_id)
        self.releaser.release(token, self.clock(inquiry).as_output())
        self.store.clear_task_token(inquiry_id, token)

    def responded(self, inquiry_id: str, at: datetime | None = None, waiting: bool = False) -> Inquiry:
        """An answer reached the customer (a reply): the window closes; ``waiting`` pauses the clock."""
        at = _now(at)
        first: list[bool] = []

        def answer(item: InquiryItem) -> list[Any]:
            if item.status == Status.RESOLVED or not item.sla:
                raise Conflict("the inquiry is resolved")
            current = Sla.from_json(item.sla)
            first[:] = [current.first_response_at is None]
            status = Status.WAITING if waiting else Status.ASSIGNED if item.assignee else Status(item.status)
            return [
                *status_actions(item, status),
                InquiryItem.sla.set(clock.respond(current, at, waiting).as_json()),
            ]

        inquiry = self.store.change(inquiry_id, answer)
        if first and first[0] and inquiry.assignee and inquiry.sla:
            self.org.record_first_response(
                inquiry.assignee, (at - inquiry.created_at).total_seconds() * self.scale
            )
        self.release(inquiry_id)
        return inquiry

    def followed_up(self, inquiry_id: str, at: datetime | None = None) -> None:
        """The customer wrote again on an open inquiry: a next-response window opens if one was closed."""
        at = _now(at)
        policy = self.policy()
        changed: list[bool] = []

        def reopen(item: InquiryItem) -> list[Any]:
            changed.clear()
            if item.status == Status.RESOLVED or not item.sla:
                return []
            current = Sla.from_json(item.sla)
            after = clock.follow_up(current, at, policy)
            if after == current:
                return []
            changed.append(True)
            status = Status.ASSIGNED if item.assignee else Status.QUEUED
            return [*status_actions(item, status), InquiryItem.sla.set(after.as_json())]

        self.store.change(inquiry_id, reopen)
        if changed:
            self.release(inquiry_id)

    def resolved(self, inquiry_id: str) -> Inquiry:
        before = self._inquiry(inquiry_id)
        if before.status is Status.RESOLVED:
            return before

        def resolve(item: InquiryItem) -> list[Any]:
            actions = status_actions(item, Status.RESOLVED)
            if item.sla:
                sla = Sla.from_json(item.sla)
                actions.append(InquiryItem.sla.set(replace(sla, version=sla.version + 1).as_json()))
            return actions

        inquiry = self.store.change(inquiry_id, resolve)
        self.store.close_thread(inquiry_id)
        if inquiry.assignee:
            self.org.release(inquiry.assignee)
        self.release(inquiry_id)
        if inquiry.assignee and inquiry.team:
            self.drain(inquiry.team)  # the freed capacity takes the next queued inquiry
        return inquiry

    def claim(self, inquiry_id: str, agent_id: str, at: datetime | None = None) -> Inquiry:
        """The agent confirms they take the inquiry (it stays on the clock). 409 when another owns it."""
        inquiry = self._inquiry(inquiry_id)
        if inquiry.status is Status.RESOLVED:
            raise Conflict("the inquiry is resolved")
        if inquiry.assignee and inquiry.assignee != agent_id:
            raise Conflict(f"the inquiry belongs to {inquiry.assignee}")
        if inquiry.assignee is None:
            agent = self.org.get_agent(agent_id)
            if agent is None:
                raise NotFound(f"agent {agent_id} does not exist")
            try:
                self.org.assign(inquiry_id, inquiry.team or UNROUTED, agent, None)
            except AlreadyOwned as error:
                raise Conflict("somebody else claimed the inquiry first") from error
            except CapacityTaken as error:
                raise Conflict(f"{agent_id} is offline or at capacity") from error
        claimed = _now(at)

        def confirm(item: InquiryItem) -> list[Any]:
            if item.assignee != agent_id:
                raise Conflict("somebody else claimed the inquiry first")
            return [InquiryItem.claimed_at.set(claimed.isoformat())]

        return self.store.change(inquiry_id, confirm)

    def pass_on(self, inquiry_id: str, agent_id: str) -> Agent | None:
        """The owner passes the inquiry to the next best agent at once (back to the queue if nobody)."""
        inquiry = self._inquiry(inquiry_id)
        if inquiry.assignee != agent_id:
            raise Conflict(f"the inquiry does not belong to {agent_id}")
        team = self._team(inquiry)
        moved = self._assign_best(inquiry, team, self._needs(inquiry), exclude=[agent_id])
        if moved is None:
            self.org.unassign(inquiry_id, agent_id, inquiry.team or UNROUTED)
        return moved

    def sms_reply(self, phone: str, text: str) -> str:
        """An agent answered a notification SMS; returns what happened (for the log, never the text)."""
        reply = parse_reply(text)
        if reply is None:
            return "not a reply"
        phone = normalise_phone(phone)
        named = self.org.sms_reference(phone, reply.ref)
        if named is None:
            return "no notification to this number names that inquiry"
        inquiry_id, agent_id, _ = named
        agent = self.org.get_agent(agent_id)
        if agent is None or not agent.phone or normalise_phone(agent.phone) != phone:
            return "the number is no longer the agent's"
        try:
            if reply.answer is Answer.TAKE:
                self.claim(inquiry_id, agent_id)
                return "claimed"
            self.pass_on(inquiry_id, agent_id)
            return "passed on"
        except (Conflict, NotFound) as error:
            return f"refused: {type(error).__name__}"

    def agent_status_changed(self, agent_id: str, status: AgentStatus) -> Agent:
        """Online: the agent's teams' queues drain to them. Away or offline: the inquiries they have not
        answered yet go back to routing."""
        agent = self.org.set_status(agent_id, status)
        if status is AgentStatus.ONLINE:
            for team_id in agent.teams:
                self.drain(team_id)
            return agent
        for inquiry in self.store.by_assignee(agent_id, Status.ASSIGNED):
            if inquiry.sla is not None and inquiry.sla.first_response_at is not None:
                continue
            team = self._team(inquiry)
            try:
                moved = self._assign_best(inquiry, team, self._needs(inquiry), exclude=[agent_id])
                if moved is None:
                    self.org.unassign(inquiry.id, agent_id, inquiry.team or UNROUTED)
            except AlreadyOwned:
                continue
        return agent

    # ---------------------------------------------------------------- the work of leads and owners
    def _open(self, inquiry_id: str) -> Inquiry:
        """The inquiry, if it is routed and not resolved (a 409 otherwise)."""
        inquiry = self._inquiry(inquiry_id)
        if inquiry.status is Status.RESOLVED:
            raise Conflict("the inquiry is resolved")
        if inquiry.status is Status.NEW:
            raise Conflict("the inquiry is not routed yet")
        return inquiry

    def _agent(self, agent_id: str) -> Agent:
        agent = self.org.get_agent(agent_id)
        if agent is None:
            raise NotFound(f"agent {agent_id} does not exist")
        return agent

    def _hand(
        self, inquiry: Inquiry, team_id: str, agent: Agent, kind: str, more: list[Action] | None = None
    ) -> Inquiry:
        """Give the inquiry to ``agent``: only while its owner is still the one read, and the agent online
        and under capacity (a 409 otherwise). They are told."""
        try:
            self.org.assign(inquiry.id, team_id, agent, inquiry.assignee, more)
        except CapacityTaken as error:
            raise Conflict(f"{agent.id} is offline or at capacity") from error
        except AlreadyOwned as error:
            raise Conflict("the inquiry's owner changed meanwhile") from error
        handed = self._inquiry(inquiry.id)
        self._notify_assigned(handed, agent, kind)
        logger.info("inquiry handed", extra={"inquiry_id": inquiry.id, "agent": agent.id, "kind": kind})
        return handed

    def assign(self, inquiry_id: str, agent_id: str) -> Inquiry:
        """A lead gives the inquiry to an agent; it stays in its team and on its clock."""
        inquiry = self._open(inquiry_id)
        if inquiry.assignee == agent_id:
            return inquiry
        return self._hand(inquiry, inquiry.team or UNROUTED, self._agent(agent_id), "assigned")

    def transfer(
        self,
        inquiry_id: str,
        by: str,
        note: str,
        to_agent: str | None = None,
        to_team: str | None = None,
        at: datetime | None = None,
    ) -> Inquiry:
        """Hand the inquiry over with a note the new owner reads first: to ``to_agent`` (in ``to_team``, or
        in the inquiry's team), or to the best eligible agent of ``to_team`` (never back to its owner).
        Nobody of that team eligible: it waits in the team's queue and the team's lead is told."""
        inquiry = self._open(inquiry_id)
        team = self.org.get_team(to_team) if to_team else self._team(inquiry)
        team_id = team.id if team else inquiry.team or UNROUTED
        record = Transfer(_now(at), by, note, inquiry.assignee, inquiry.team, to_agent, team_id)
        if to_agent is not None:
            if to_agent == inquiry.assignee:
                raise Conflict(f"{to_agent} owns the inquiry already")
            more: list[Action] = [InquiryItem.transfer.set(transfer_json(record))]
            return self._hand(inquiry, team_id, self._agent(to_agent), "transferred", more)
        moved = self._assign_best(
            inquiry,
            team,
            self._needs(inquiry),
            exclude=[inquiry.assignee] if inquiry.assignee else [],
            kind="transferred",
            also=lambda agent: [InquiryItem.transfer.set(transfer_json(replace(record, to_agent=agent.id)))],
        )
        if moved is None:
            self._queue_in(inquiry, team_id, record)
        return self._inquiry(inquiry_id)

    def _queue_in(self, inquiry: Inquiry, team_id: str, record: Transfer) -> None:
        """Put the inquiry in ``team_id``'s queue without an owner (a 409 when its owner changed)."""
        more: list[Action] = [InquiryItem.transfer.set(transfer_json(record))]
        status = Status.WAITING if inquiry.status is Status.WAITING else Status.QUEUED

        def unowned(item: InquiryItem) -> list[Any]:
            if item.assignee or item.status == Status.RESOLVED:
                raise Conflict("the inquiry's owner changed meanwhile")
            return [*status_actions(item, status, team_id), *more]

        try:
            if inquiry.assignee:
                self.org.unassign(inquiry.id, inquiry.assignee, team_id, status, more)
            else:
                self.store.change(inquiry.id, unowned)
        except AlreadyOwned as error:
            raise Conflict("the inquiry's owner changed meanwhile") from error
        self._tell_lead(self._inquiry(inquiry.id))

    def wait(self, inquiry_id: str, at: datetime | None = None) -> Inquiry:
        """The owner's answer asked the customer something: ``waiting``, the clock paused until they write.

        Only after an answer (the current window responded): pausing an unanswered clock would stop an SLA
        that nothing met. A reply that asks marks waiting itself (``responded(waiting=True)``)."""
        now = _now(at)

        def pause(item: InquiryItem) -> list[Any]:
            if item.status == Status.RESOLVED or not item.sla:
                raise Conflict("the inquiry is resolved" if item.sla else "the inquiry is not routed yet")
            if not item.assignee:
                raise Conflict("nobody owns the inquiry")
            current = Sla.from_json(item.sla)
            if not current.responded:
                raise Conflict("the customer has not been answered yet: a reply that asks sets waiting")
            if current.paused and item.status == Status.WAITING:
                return []
            return [
                *status_actions(item, Status.WAITING),
                InquiryItem.sla.set(clock.respond(current, now, waiting=True).as_json()),
            ]

        inquiry = self.store.change(inquiry_id, pause)
        self.release(inquiry_id)
        return inquiry

    def reopen(self, inquiry_id: str, at: datetime | None = None) -> Inquiry:
        """A resolved inquiry comes back with a new response window: to its last owner while they are
        online with room, else to the best eligible agent of its team, else into the team's queue. Its
        conversation is its own again unless a newer inquiry has taken it; a new execution keeps its clock."""
        now = _now(at)
        inquiry = self._inquiry(inquiry_id)
        if inquiry.status is not Status.RESOLVED:
            raise Conflict("only a resolved inquiry is reopened")
        window = inquiry.sla.window if inquiry.sla else timedelta(hours=1) / self.scale
        sla = clock.open_window(now, window, self.policy(), previous=inquiry.sla)
        owner = self._reopen_to(inquiry, [InquiryItem.sla.set(sla.as_json())])
        self.store.reopen_thread(inquiry_id)
        reopened = self._inquiry(inquiry_id)
        if owner is not None:
            self._notify_assigned(reopened, owner, "reopened")
        elif self._assign_best(reopened, self._team(reopened), self._needs(reopened), (), "reopened") is None:
            self._tell_lead(reopened)
        if self.workflow is not None:  # the resolved inquiry's execution has ended: a new one keeps the clock
            execution = self.workflow.start(inquiry_id, f"{inquiry_id}-{sla.version}")
            self.store.set_execution(inquiry_id, execution)
        logger.info("inquiry reopened", extra={"inquiry_id": inquiry_id, "to_owner": owner is not None})
        return self._inquiry(inquiry_id)

    def _reopen_to(self, inquiry: Inquiry, more: list[Action]) -> Agent | None:
        """Reopen to the last owner if they can take it now (returned), else without an owner (None)."""
        team_id = inquiry.team or UNROUTED
        owner = self.org.get_agent(inquiry.assignee) if inquiry.assignee else None
        try:
            if owner is not None:
                try:
                    self.org.reopen(inquiry.id, team_id, owner, more)
                    return owner
                except CapacityTaken:
                    pass
            self.org.reopen(inquiry.id, team_id, None, more)
        except AlreadyOwned as error:
            raise Conflict("the inquiry was reopened meanwhile") from error
        return None

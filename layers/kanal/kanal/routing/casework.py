"""The work on an inquiry that changes its owner or its wait: an agent claims it or passes it on, a lead
assigns it, its owner or a lead transfers it with a note, the owner marks it waiting on the customer, and a
resolved inquiry is reopened.

Each is a conditional write through the roster store: the owner changes only while it is still the one
read, and only to an agent online and under capacity; anything else is a 409 (``Conflict``) and changes
nothing. Whoever gets the inquiry is told (``Assigner.notify_assigned``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pynamodb.expressions.update import Action

from kanal.adapters.items import UNROUTED, status_actions, transfer_json
from kanal.adapters.models import InquiryItem
from kanal.adapters.roster_store import AlreadyOwned, CapacityTaken
from kanal.errors import Conflict, NotFound
from kanal.model import Inquiry, Sla, Status, Transfer
from kanal.observability import logger
from kanal.routing import clock
from kanal.routing.assign import Assigner
from kanal.routing.roster import Agent
from kanal.routing.tasks import Tasks


class Workflow(Protocol):
    def start(self, inquiry_id: str, name: str | None = None) -> str:
        """Start a routing execution of the inquiry (named ``name``, or after the inquiry); its id."""
        ...


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


class Casework:
    def __init__(self, assigner: Assigner, tasks: Tasks, workflow: Workflow | None = None) -> None:
        self.assigner = assigner
        self.store = assigner.store
        self.org = assigner.org
        self.tasks = tasks  # releases the waiting execution
        self.workflow = workflow  # starts a reopened inquiry's execution

    # ---------------------------------------------------------------- an agent's own answer
    def claim(self, inquiry_id: str, agent_id: str, at: datetime | None = None) -> Inquiry:
        """The agent confirms they take the inquiry (it stays on the clock). 409 when another owns it."""
        inquiry = self.assigner.inquiry(inquiry_id)
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
        inquiry = self.assigner.inquiry(inquiry_id)
        if inquiry.assignee != agent_id:
            raise Conflict(f"the inquiry does not belong to {agent_id}")
        team = self.assigner.team_of(inquiry)
        moved = self.assigner.best(inquiry, team, self.assigner.needs(inquiry), exclude=[agent_id])
        if moved is None:
            self.org.unassign(inquiry_id, agent_id, inquiry.team or UNROUTED)
        return moved

    # ---------------------------------------------------------------- the work of leads and owners
    def _open(self, inquiry_id: str) -> Inquiry:
        """The inquiry, if it is routed and not resolved (a 409 otherwise)."""
        inquiry = self.assigner.inquiry(inquiry_id)
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
        handed = self.assigner.inquiry(inquiry.id)
        self.assigner.notify_assigned(handed, agent, kind)
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
        team = self.org.get_team(to_team) if to_team else self.assigner.team_of(inquiry)
        team_id = team.id if team else inquiry.team or UNROUTED
        record = Transfer(_now(at), by, note, inquiry.assignee, inquiry.team, to_agent, team_id)
        if to_agent is not None:
            if to_agent == inquiry.assignee:
                raise Conflict(f"{to_agent} owns the inquiry already")
            more: list[Action] = [InquiryItem.transfer.set(transfer_json(record))]
            return self._hand(inquiry, team_id, self._agent(to_agent), "transferred", more)
        moved = self.assigner.best(
            inquiry,
            team,
            self.assigner.needs(inquiry),
            exclude=[inquiry.assignee] if inquiry.assignee else [],
            kind="transferred",
            also=lambda agent: [InquiryItem.transfer.set(transfer_json(replace(record, to_agent=agent.id)))],
        )
        if moved is None:
            self._queue_in(inquiry, team_id, record)
        return self.assigner.inquiry(inquiry_id)

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
        self.assigner.tell_lead(self.assigner.inquiry(inquiry.id))

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
        self.tasks.release(inquiry_id)
        return inquiry

    def reopen(self, inquiry_id: str, at: datetime | None = None) -> Inquiry:
        """A resolved inquiry comes back with a new response window: to its last owner while they are
        online with room, else to the best eligible agent of its team, else into the team's queue. Its
        conversation is its own again unless a newer inquiry has taken it; a new execution keeps its clock."""
        now = _now(at)
        inquiry = self.assigner.inquiry(inquiry_id)
        if inquiry.status is not Status.RESOLVED:
            raise Conflict("only a resolved inquiry is reopened")
        window = inquiry.sla.window if inquiry.sla else timedelta(hours=1) / self.tasks.scale
        sla = clock.open_window(now, window, self.tasks.policy(), previous=inquiry.sla)
        owner = self._reopen_to(inquiry, [InquiryItem.sla.set(sla.as_json())])
        self.store.reopen_thread(inquiry_id)
        reopened = self.assigner.inquiry(inquiry_id)
        if owner is not None:
            self.assigner.notify_assigned(reopened, owner, "reopened")
        else:
            team, needs = self.assigner.team_of(reopened), self.assigner.needs(reopened)
            if self.assigner.best(reopened, team, needs, (), "reopened") is None:
                self.assigner.tell_lead(reopened)
        if self.workflow is not None:  # the resolved inquiry's execution has ended: a new one keeps the clock
            execution = self.workflow.start(inquiry_id, f"{inquiry_id}-{sla.version}")
            self.store.set_execution(inquiry_id, execution)
        logger.info("inquiry reopened", extra={"inquiry_id": inquiry_id, "to_owner": owner is not None})
        return self.assigner.inquiry(inquiry_id)

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

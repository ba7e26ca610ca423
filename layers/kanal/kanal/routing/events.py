"""What happens to an inquiry's clock and owner when something happens outside the state machine.

- ``responded``: an answer reached the customer (the agent API's reply, a handover's private message); the
  response window closes, ``waiting`` pauses the clock until the customer writes;
- ``followed_up``: the customer wrote again on an open inquiry (ingest); a next-response window opens;
- ``resolved``: the agent resolved the inquiry; its owner's capacity takes the next queued inquiry;
- ``sms_reply``: an agent answered a notification SMS with TAKE or PASS (the SMS replies function);
- ``agent_status_changed``: an agent came online (their teams' queues drain to them) or went away (the
  inquiries they have not answered yet go back to routing).

One that moves the clock changes the inquiry first and then releases the waiting execution
(``Tasks.release``), which then waits on the clock as it now stands.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from kanal.adapters.items import UNROUTED, status_actions
from kanal.adapters.models import InquiryItem
from kanal.adapters.roster_store import AlreadyOwned
from kanal.errors import Conflict, NotFound
from kanal.model import Inquiry, Sla, Status
from kanal.observability import metrics
from kanal.routing import clock
from kanal.routing.assign import Assigner
from kanal.routing.casework import Casework
from kanal.routing.roster import Agent, AgentStatus
from kanal.routing.sms import Answer, normalise_phone, parse_reply
from kanal.routing.tasks import Tasks


class Events:
    def __init__(self, assigner: Assigner, tasks: Tasks, casework: Casework) -> None:
        self.assigner = assigner
        self.store = assigner.store
        self.org = assigner.org
        self.tasks = tasks  # releases the waiting execution
        self.casework = casework  # an SMS reply claims or passes on

    def responded(self, inquiry_id: str, at: datetime | None = None, waiting: bool = False) -> Inquiry:
        """An answer reached the customer (a reply): the window closes; ``waiting`` pauses the clock."""
        at = at or datetime.now(UTC)
        first: list[bool] = []

        def answer(item: InquiryItem) -> list[Any]:
            if item.status == Status.RESOLVED or not item.sla:
                raise Conflict("the inquiry is resolved")
            current = Sla.from_json(item.sla)
            first[:] = [current.first_response_at is None, not current.breached]
            status = Status.WAITING if waiting else Status.ASSIGNED if item.assignee else Status(item.status)
            return [
                *status_actions(item, status),
                InquiryItem.sla.set(clock.respond(current, at, waiting).as_json()),
            ]

        inquiry = self.store.change(inquiry_id, answer)
        if first and first[0] and first[1]:  # SlaBreachRateAlarm: the first answer came within the SLA
            metrics.add_metric(name="AnsweredInTime", unit="Count", value=1)
        if first and first[0] and inquiry.assignee and inquiry.sla:
            self.org.record_first_response(
                inquiry.assignee, (at - inquiry.created_at).total_seconds() * self.tasks.scale
            )
        self.tasks.release(inquiry_id)
        return inquiry

    def followed_up(self, inquiry_id: str, at: datetime | None = None) -> None:
        """The customer wrote again on an open inquiry: a next-response window opens if one was closed."""
        at = at or datetime.now(UTC)
        policy = self.tasks.policy()
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
            self.tasks.release(inquiry_id)

    def resolved(self, inquiry_id: str) -> Inquiry:
        before = self.assigner.inquiry(inquiry_id)
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
        self.tasks.release(inquiry_id)
        if inquiry.assignee and inquiry.team:
            self.assigner.drain(inquiry.team)  # the freed capacity takes the next queued inquiry
        return inquiry

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
                self.casework.claim(inquiry_id, agent_id)
                return "claimed"
            self.casework.pass_on(inquiry_id, agent_id)
            return "passed on"
        except (Conflict, NotFound) as error:
            return f"refused: {type(error).__name__}"

    def agent_status_changed(self, agent_id: str, status: AgentStatus) -> Agent:
        """Online: the agent's teams' queues drain to them. Away or offline: the inquiries they have not
        answered yet go back to routing."""
        agent = self.org.set_status(agent_id, status)
        if status is AgentStatus.ONLINE:
            for team_id in agent.teams:
                self.assigner.drain(team_id)
            return agent
        for inquiry in self.store.by_assignee(agent_id, Status.ASSIGNED):
            if inquiry.sla is not None and inquiry.sla.first_response_at is not None:
                continue
            team = self.assigner.team_of(inquiry)
            try:
                moved = self.assigner.best(inquiry, team, self.assigner.needs(inquiry), exclude=[agent_id])
                if moved is None:
                    self.org.unassign(inquiry.id, agent_id, inquiry.team or UNROUTED)
            except AlreadyOwned:
                continue
        return agent

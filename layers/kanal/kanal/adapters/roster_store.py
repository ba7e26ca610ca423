"""The DynamoDB adapter of the organisation: agents, teams, on-call contacts, memberships, SMS references.

Routing reads "the online members of team T" from the roster index (one query, as many items as that
team has online members) and their profiles with one BatchGetItem: the cost of a decision grows with the
team, never with the company. Caseload changes are conditional: an agent is never given more than their
capacity, and two assignments of one inquiry cannot both succeed. The items' mapping is ``roster_items``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from kanal.adapters.items import connection as _connection
from kanal.adapters.items import queue_key, rating_json
from kanal.adapters.models import InquiryItem, MemberItem, OrgItem
from kanal.adapters.roster_items import agent_data, team_data, to_agent, to_oncall, to_team
from kanal.errors import Conflict, NotFound
from kanal.model import Rating, Status
from kanal.routing.roster import Agent, AgentStatus, OnCall, Team
from kanal.times import iso

AGENT, TEAM, ONCALL = "agent", "team", "oncall"
PROFILE = "PROFILE"


class CapacityTaken(Exception):
    """The agent went offline or reached capacity while being assigned; try the next one."""


class AlreadyOwned(Exception):
    """Somebody else changed the inquiry's owner first."""


def _pk(kind: str, ident: str) -> str:
    return f"{kind.upper()}#{ident}"


def roster(team: str, status: str) -> str:
    return f"{team}#{status}"


def _now() -> str:
    return iso(datetime.now(UTC))


def _refused(error: TransactWriteError, inquiry_id: str, agent_id: str) -> None:
    """Which condition refused an assignment: the inquiry's (changed meanwhile: the caller looks again)
    or the agent's (offline or at capacity). Returns for any other failure (the caller raises it)."""
    codes = [reason.code if reason else None for reason in error.cancellation_reasons or []]
    if codes and codes[0] == "ConditionalCheckFailed":
        raise AlreadyOwned(inquiry_id) from error
    if "ConditionalCheckFailed" in codes:
        raise CapacityTaken(agent_id) from error


class OrganisationStore:
    """Agents, teams and on-call contacts. Key lookups and queries only: never a Scan."""

    # ---------------------------------------------------------------- agents
    def get_agent(self, agent_id: str) -> Agent | None:
        try:
            return to_agent(OrgItem.get(_pk(AGENT, agent_id), PROFILE))
        except DoesNotExist:
            return None

    def agents(self, ids: Iterable[str]) -> list[Agent]:
        keys = [(_pk(AGENT, i), PROFILE) for i in dict.fromkeys(ids)]
        found = {to_agent(item).id: to_agent(item) for item in OrgItem.batch_get(keys)} if keys else {}
        return [found[i] for i in dict.fromkeys(ids) if i in found]

    def all_agents(self) -> list[Agent]:
        return sorted((to_agent(i) for i in OrgItem.by_kind.query(AGENT)), key=lambda a: a.id)

    def members(self, team: str) -> list[Agent]:
        ids = [m.agent_id for m in MemberItem.query(_pk(TEAM, team), MemberItem.sk.startswith("MEMBER#"))]
        return self.agents(ids)

    def online_members(self, team: str) -> list[Agent]:
        """The team's online agents with their figures: one query and one batch read."""
        ids = [m.agent_id for m in MemberItem.by_roster.query(roster(team, AgentStatus.ONLINE))]
        return self.agents(ids)

    def save_agent(self, agent: Agent, create: bool) -> Agent:
        """Create (Conflict when the id exists) or replace an agent's profile; status and figures are kept
        (they are the system's), memberships follow ``agent.teams``."""
        key = _pk(AGENT, agent.id)
        existing = self.get_agent(agent.id)
        if create and existing is not None:
            raise Conflict(f"agent {agent.id} exists already")
        if not create and existing is None:
            raise NotFound(f"agent {agent.id} does not exist")
        old_teams = set(existing.teams) if existing else set()
        with TransactWrite(connection=_connection(OrgItem.Meta.region)) as transaction:
            if existing is None:
                transaction.save(self.new_profile(agent), condition=OrgItem.pk.does_not_exist())
            else:  # the profile only: status, caseload and figures are the system's, changed atomically
                agent = replace(agent, status=existing.status, figures=existing.figures)
                transaction.update(
                    OrgItem(key, PROFILE),
                    actions=[
                        OrgItem.data.set(agent_data(agent)),
                        OrgItem.max_concurrent.set(agent.max_concurrent),
                    ],
                    condition=OrgItem.pk.exists(),
                )
            for team in set(agent.teams):
                transaction.save(self._member(team, agent.id, agent.status))
            for team in old_teams - set(agent.teams):
                transaction.delete(MemberItem(_pk(TEAM, team), f"MEMBER#{agent.id}"))
        return agent

    @staticmethod
    def new_profile(agent: Agent) -> OrgItem:
        """A new agent's profile item: no open caseload yet."""
        return OrgItem(
            _pk(AGENT, agent.id),
            PROFILE,
            kind=AGENT,
            data=agent_data(agent),
            status=str(agent.status),
            open_caseload=0,
            max_concurrent=agent.max_concurrent,
        )

    @staticmethod
    def _member(team: str, agent_id: str, status: str) -> MemberItem:
        return MemberItem(
            _pk(TEAM, team), f"MEMBER#{agent_id}", roster=roster(team, status), agent_id=agent_id, team=team
        )

    def set_status(self, agent_id: str, status: AgentStatus) -> Agent:
        agent = self.get_agent(agent_id)
        if agent is None:
            raise NotFound(f"agent {agent_id} does not exist")
        with TransactWrite(connection=_connection(OrgItem.Meta.region)) as transaction:
            transaction.update(
                OrgItem(_pk(AGENT, agent_id), PROFILE),
                actions=[OrgItem.status.set(str(status))],
                condition=OrgItem.pk.exists(),
            )
            for team in agent.teams:
                transaction.save(self._member(team, agent_id, status))
        return replace(agent, status=status)

    def subscriptions(self, agent_id: str) -> dict[str, Any]:
        try:
            return dict(OrgItem.get(_pk(AGENT, agent_id), PROFILE).subscriptions or {})
        except DoesNotExist:
            return {}

    def set_subscriptions(self, kind: str, ident: str, subscriptions: dict[str, Any]) -> None:
        OrgItem(_pk(kind, ident), PROFILE).update(actions=[OrgItem.subscriptions.set(subscriptions)])

    def record_first_response(self, agent_id: str, seconds: float) -> None:
        OrgItem(_pk(AGENT, agent_id), PROFILE).update(
            actions=[OrgItem.first_responses.add(1), OrgItem.first_response_seconds.add(seconds)],
            condition=OrgItem.pk.exists(),
        )

    def record_csat(self, agent_id: str, score: float) -> None:
        OrgItem(_pk(AGENT, agent_id), PROFILE).update(
            actions=[OrgItem.csat_count.add(1), OrgItem.csat_total.add(score)], condition=OrgItem.pk.exists()
        )

    def rate(self, inquiry_id: str, score: int, nps: int | None, at: datetime, attempts: int = 3) -> Rating:
        """The customer's rating of an inquiry, once (Conflict for a second one), counted in its owner's CSAT
        in the same transaction: the figures never count a rating twice nor miss one."""
        for _ in range(attempts):
            inquiry = InquiryItem.get(inquiry_id, consistent_read=True)
            if inquiry.rating:
                raise Conflict("the inquiry is rated already")
            if not inquiry.assignee:
                raise Conflict("nobody has owned the inquiry: there is no one to rate")
            rating = Rating(score, at, inquiry.assignee, nps)
            try:
                with TransactWrite(connection=_connection(OrgItem.Meta.region)) as transaction:
                    transaction.update(
                        inquiry,
                        actions=[
                            InquiryItem.rating.set(rating_json(rating)),
                            InquiryItem.updated_at.set(_now()),
                        ],
                        condition=InquiryItem.rating.does_not_exist(),
                    )
                    transaction.update(
                        OrgItem(_pk(AGENT, rating.agent), PROFILE),
                        actions=[OrgItem.csat_count.add(1), OrgItem.csat_total.add(score)],
                        condition=OrgItem.pk.exists(),
                    )
                return rating
            except TransactWriteError as error:
                codes = [reason.code if reason else None for reason in error.cancellation_reasons or []]
                if not codes or codes[0] != "ConditionalCheckFailed":
                    raise  # the owner's profile is gone, or DynamoDB failed: not the caller's conflict
        raise Conflict("the inquiry kept changing while it was rated")

    def release(self, agent_id: str) -> None:
        """One inquiry fewer on the agent's caseload (never below zero)."""
        try:
            OrgItem(_pk(AGENT, agent_id), PROFILE).update(
                actions=[OrgItem.open_caseload.add(-1)], condition=OrgItem.open_caseload > 0
            )
        except UpdateError as error:  # a caseload already at zero stays there
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise

    # ---------------------------------------------------------------- assignment
    def assign(
        self,
        inquiry_id: str,
        team: str,
        agent: Agent,
        previous: str | None,
        actions: list[Action] | None = None,
    ) -> None:
        """Give the inquiry to ``agent`` (taking it from ``previous``, or from nobody) in one transaction.

        Raises AlreadyOwned when the inquiry's owner is no longer ``previous`` or it is resolved, and
        CapacityTaken when the agent went offline or reached capacity meanwhile.
        """
        inquiry = InquiryItem.get(inquiry_id, consistent_read=True)
        if inquiry.assignee != previous or inquiry.status == Status.RESOLVED:
            raise AlreadyOwned(inquiry_id)
        status = inquiry.status if inquiry.status == Status.WAITING else Status.ASSIGNED
        owner: Condition = (
            InquiryItem.assignee == previous if previous else InquiryItem.assignee.does_not_exist()
        )
        try:
            with TransactWrite(connection=_connection(OrgItem.Meta.region)) as transaction:
                transaction.update(
                    inquiry,
                    actions=[
                        InquiryItem.assignee.set(agent.id),
                        InquiryItem.team.set(team),
                        InquiryItem.status.set(str(status)),
                        InquiryItem.queue_key.set(queue_key(team, status)),
                        InquiryItem.assignee_key.set(f"{agent.id}#{status}"),
                        InquiryItem.updated_at.set(_now()),
                        *(actions or []),
                    ],
                    condition=owner & (InquiryItem.status != str(Status.RESOLVED)),
                )
                self._take(transaction, agent)
                if previous:
                    transaction.update(
                        OrgItem(_pk(AGENT, previous), PROFILE),
                        actions=[OrgItem.open_caseload.add(-1)],
                        condition=OrgItem.open_caseload > 0,
                    )
        except TransactWriteError as error:
            _refused(error, inquiry_id, agent.id)
            raise

    @staticmethod
    def _take(transaction: TransactWrite, agent: Agent) -> None:
        """One inquiry more on the agent's caseload, only while they are online and under capacity."""
        with_capacity = (OrgItem.open_caseload < agent.max_concurrent) & (
            OrgItem.status == str(AgentStatus.ONLINE)
        )
        transaction.update(
            OrgItem(_pk(AGENT, agent.id), PROFILE),
            actions=[OrgItem.open_caseload.add(1), OrgItem.last_assigned_at.set(_now())],
            condition=with_capacity,
        )

    def reopen(self, inquiry_id: str, team: str, agent: Agent | None, actions: list[Action]) -> None:
        """Bring a resolved inquiry back: to ``agent`` (CapacityTaken unless they are online and under
        capacity) or, with None, into its team's queue without an owner. AlreadyOwned when it is no
        longer resolved."""
        inquiry = InquiryItem.get(inquiry_id, consistent_read=True)
        if inquiry.status != Status.RESOLVED:
            raise AlreadyOwned(inquiry_id)
        status = Status.ASSIGNED if agent else Status.QUEUED
        owner: list[Action] = (
            [InquiryItem.assignee.set(agent.id), InquiryItem.assignee_key.set(f"{agent.id}#{status}")]
            if agent
            else [InquiryItem.assignee.remove(), InquiryItem.assignee_key.remove()]
        )
        try:
            with TransactWrite(connection=_connection(OrgItem.Meta.region)) as transaction:
                transaction.update(
                    inquiry,
                    actions=[
                        *owner,
                        InquiryItem.team.set(team),
                        InquiryItem.status.set(str(status)),
                        InquiryItem.queue_key.set(queue_key(team, status)),
                        InquiryItem.updated_at.set(_now()),
                        *actions,
                    ],
                    condition=InquiryItem.status == str(Status.RESOLVED),
                )
                if agent:
                    self._take(transaction, agent)
        except TransactWriteError as error:
            _refused(error, inquiry_id, agent.id if agent else "")
            raise

    def unassign(
        self,
        inquiry_id: str,
        previous: str,
        team: str,
        status: Status = Status.QUEUED,
        actions: list[Action] | None = None,
    ) -> None:
        """Take the inquiry from ``previous`` back into its team's queue (``actions``: more changes of the
        inquiry in the same write)."""
        inquiry = InquiryItem.get(inquiry_id, consistent_read=True)
        if inquiry.assignee != previous:
            raise AlreadyOwned(inquiry_id)
        with TransactWrite(connection=_connection(OrgItem.Meta.region)) as transaction:
            transaction.update(
                inquiry,
                actions=[
                    InquiryItem.assignee.remove(),
                    InquiryItem.assignee_key.remove(),
                    InquiryItem.team.set(team),
                    InquiryItem.status.set(str(status)),
                    InquiryItem.queue_key.set(queue_key(team, status)),
                    InquiryItem.updated_at.set(_now()),
                    *(actions or []),
                ],
                condition=InquiryItem.assignee == previous,
            )
            transaction.update(
                OrgItem(_pk(AGENT, previous), PROFILE),
                actions=[OrgItem.open_caseload.add(-1)],
                condition=OrgItem.open_caseload > 0,
            )

    # ---------------------------------------------------------------- teams and on-call
    def get_team(self, team_id: str) -> Team | None:
        try:
            return to_team(OrgItem.get(_pk(TEAM, team_id), PROFILE))
        except DoesNotExist:
            return None

    def teams(self) -> list[Team]:
        return sorted((to_team(i) for i in OrgItem.by_kind.query(TEAM)), key=lambda t: (t.order, t.id))

    def save_team(self, team: Team, create: bool) -> Team:
        condition = OrgItem.pk.does_not_exist() if create else OrgItem.pk.exists()
        try:
            OrgItem(_pk(TEAM, team.id), PROFILE, kind=TEAM, data=team_data(team)).save(condition=condition)
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            if create:
                raise Conflict(f"team {team.id} exists already") from error
            raise NotFound(f"team {team.id} does not exist") from error
        return team

    def get_oncall(self, oncall_id: str) -> OnCall | None:
        try:
            return to_oncall(OrgItem.get(_pk(ONCALL, oncall_id), PROFILE))
        except DoesNotExist:
            return None

    def oncall(self) -> list[OnCall]:
        return sorted((to_oncall(i) for i in OrgItem.by_kind.query(ONCALL)), key=lambda o: o.id)

    def save_oncall(self, contact: OnCall) -> OnCall:
        OrgItem(_pk(ONCALL, contact.id), PROFILE, kind=ONCALL, data=asdict(contact)).save()
        return contact

    # ---------------------------------------------------------------- two-way SMS references
    def remember_sms(self, phone: str, ref: str, inquiry_id: str, agent_id: str, ttl_seconds: int) -> None:
        now = datetime.now(UTC)
        expires = int(now.timestamp()) + ttl_seconds
        for sk in (f"REF#{ref}", "LAST"):
            OrgItem(
                f"SMS#{phone}",
                sk,
                inquiry_id=inquiry_id,
                agent_id=agent_id,
                ref=ref,
                sent_at=iso(now),
                expires=expires,
            ).save()

    def sms_reference(self, phone: str, ref: str | None) -> tuple[str, str, str] | None:
        """(inquiry id, agent id, ref) of the notification SMS to ``phone`` named ``ref`` (or the last)."""
        try:
            item = OrgItem.get(f"SMS#{phone}", f"REF#{ref}" if ref else "LAST")
        except DoesNotExist:
            return None
        if item.expires is not None and item.expires < datetime.now(UTC).timestamp():
            return None
        return str(item.inquiry_id), str(item.agent_id), str(item.ref)

"""What the agent API reads: queue pages and one inquiry's detail, within the caller's scope.

A queue page is read from an index, never a Scan: ``by_queue`` (team#status) for a team's queue,
``by_assignee`` (agent#status) for an owner's inquiries, both ranked most urgent first (band, then SLA
due). The band is a key condition; channel, breached and the scope's teams on an assignee's inquiries are
a FilterExpression applied while paging, so a page is full whenever enough inquiries match.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from kanal.adapters.inquiry_store import BY_ASSIGNEE, BY_QUEUE, QueueFilter
from kanal.adapters.items import UNROUTED, queue_key
from kanal.adapters.store import DynamoStore
from kanal.api.auth import Caller
from kanal.api.scope import Directory, Scope, Scopes, unseen
from kanal.api.views import detail_view, inquiry_view
from kanal.errors import BadRequest, Forbidden
from kanal.model import OPEN_STATUSES, Channel, Draft, Status

MAX_PAGE = 100
DEFAULT_PAGE = 25
TIMELINE_DAYS = 90
TIMELINE_LIMIT = 100  # the latest contacts of those 90 days
BANDS = ("P1", "P2", "P3", "P4")
PARAMETERS = ("status", "team", "channel", "band", "assignee", "breached", "limit", "cursor")
ME = "me"
# An owner's inquiries are assigned, waiting or resolved: new and queued ones have no owner.
OWNED = (Status.ASSIGNED, Status.WAITING, Status.RESOLVED)


def _statuses(status: str | None) -> list[Status]:
    if status in (None, "", "open"):
        return sorted(OPEN_STATUSES)
    if status not in {s.value for s in Status}:
        raise BadRequest(f"status must be one of open, {', '.join(s.value for s in Status)}")
    return [Status(status)]


def _limit(limit: str | None) -> int:
    if limit in (None, ""):
        return DEFAULT_PAGE
    try:
        value = int(limit)
    except ValueError as error:
        raise BadRequest("limit must be a whole number") from error
    if not 1 <= value <= MAX_PAGE:
        raise BadRequest(f"limit must be between 1 and {MAX_PAGE}")
    return value


def _one_of(name: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value in (None, ""):
        return None
    if value not in allowed:
        raise BadRequest(f"{name} must be one of {', '.join(allowed)}")
    return value


def _breached(value: str | None) -> bool | None:
    flag = _one_of("breached", value, ("true", "false"))
    return None if flag is None else flag == "true"


def _owned_teams(scope: Scope, assignee: str, team: str | None) -> tuple[str, ...] | None:
    """The teams an owner's inquiries are read in: the one asked for; else every team for an admin or for
    the caller's own inquiries; else (another agent's) only the caller's teams."""
    if team:
        return (team,)
    if scope.everything or assignee == scope.caller.agent_id:
        return None
    return tuple(sorted(scope.teams))


class Queries:
    def __init__(
        self,
        store: DynamoStore,
        directory: Directory,
        approves: Callable[[Caller, str | None], bool] | None = None,
    ) -> None:
        self.store = store
        self.directory = directory
        self.scopes = Scopes(directory)
        # approves(caller, team): the caller approves drafts for team (None: the policy's approving team);
        # an approver sees an inquiry that has a draft
        self.approves = approves

    def list_inquiries(self, caller: Caller, params: dict[str, str]) -> dict[str, Any]:
        unknown = sorted(set(params) - set(PARAMETERS))
        if unknown:
            raise BadRequest(f"unknown parameter {unknown[0]}: the queue takes {', '.join(PARAMETERS)}")
        statuses = _statuses(params.get("status"))
        limit = _limit(params.get("limit"))
        narrow = QueueFilter(
            band=_one_of("band", params.get("band"), BANDS),
            channel=_one_of("channel", params.get("channel"), tuple(c.value for c in Channel)),
            breached=_breached(params.get("breached")),
        )
        scope = self.scopes.of(caller)
        team = self._team(scope, params.get("team"))
        assignee = self._assignee(caller, params.get("assignee"))
        if assignee is not None:
            partitions = [f"{assignee}#{status}" for status in statuses if status in OWNED]
            index, narrow = BY_ASSIGNEE, replace(narrow, teams=_owned_teams(scope, assignee, team))
        else:
            queues = [team] if team else self._queues(scope)
            partitions = [queue_key(t, status) for t in queues for status in statuses]
            index = BY_QUEUE
        items, cursor = self.store.queue(partitions, limit, params.get("cursor"), index, narrow)
        return {"items": [inquiry_view(i) for i in items], "next": cursor}

    def _queues(self, scope: Scope) -> list[str]:
        """The caller's default queues: every team's and triage for an admin, their own teams' otherwise."""
        if scope.everything:
            return [*(team.id for team in self.directory.teams()), UNROUTED]
        return sorted(scope.teams)

    def _team(self, scope: Scope, team: str | None) -> str | None:
        if not team:
            return None
        if team != UNROUTED and self.directory.get_team(team) is None:
            raise BadRequest(f"team {team} does not exist")
        if not scope.everything and team not in scope.teams:
            raise Forbidden(f"team {team} is not one of your teams")
        return team

    def _assignee(self, caller: Caller, assignee: str | None) -> str | None:
        if not assignee:
            return None
        if assignee == ME:
            return caller.agent_id
        if self.directory.get_agent(assignee) is None:
            raise BadRequest(f"assignee {assignee} is not an agent (or me)")
        return assignee

    def detail(self, caller: Caller, inquiry_id: str) -> dict[str, Any]:
        inquiry = self.store.get_inquiry(inquiry_id)
        if inquiry is None:
            raise unseen(inquiry_id)
        seen = self.scopes.of(caller).sees(inquiry)
        if not seen and not (self.approves is not None and self.approves(caller, None)):
            raise unseen(inquiry_id)
        messages, notes, drafts = self.store.conversation_of(inquiry_id)
        if not seen and not drafts:  # an approver sees another team's inquiry for its drafts
            raise unseen(inquiry_id)
        since = datetime.now(UTC) - timedelta(days=TIMELINE_DAYS)
        timeline = self.store.contacts(inquiry.customer_id, since, limit=TIMELINE_LIMIT)
        return detail_view(inquiry, messages, notes, timeline, drafts, can_approve=self._approver(caller))

    def _approver(self, caller: Caller) -> Callable[[Draft], bool]:
        """Whether the caller approves (and rejects) a draft: for its approving team, asked once per team."""
        asked: dict[str | None, bool] = {}

        def can_approve(draft: Draft) -> bool:
            if self.approves is None:
                return False
            if draft.team not in asked:
                asked[draft.team] = self.approves(caller, draft.team)
            return asked[draft.team]

        return can_approve

"""What the agent API reads: queue pages and one inquiry's detail."""

from __future__ import annotations

from typing import Any

from kanal.adapters.dynamo import UNROUTED, DynamoStore, open_statuses, queue_key
from kanal.adapters.organisation import OrganisationStore
from kanal.api.views import detail_view, inquiry_view
from kanal.errors import BadRequest, NotFound
from kanal.model import Status

MAX_PAGE = 100
DEFAULT_PAGE = 25


def _statuses(status: str | None) -> list[str]:
    if status in (None, "", "open"):
        return open_statuses()
    if status not in {s.value for s in Status}:
        raise BadRequest(f"status must be one of open, {', '.join(s.value for s in Status)}")
    return [status]


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


class Queries:
    def __init__(self, store: DynamoStore, organisation: OrganisationStore | None = None) -> None:
        self.store = store
        self.organisation = organisation

    def teams(self) -> list[str]:
        """Every team's queue and the queue of inquiries no team takes."""
        known = [team.id for team in self.organisation.teams()] if self.organisation else []
        return [*known, UNROUTED]

    def list_inquiries(self, params: dict[str, str]) -> dict[str, Any]:
        teams = [params["team"]] if params.get("team") else self.teams()
        partitions = [queue_key(team, status) for team in teams for status in _statuses(params.get("status"))]
        items, cursor = self.store.queue(partitions, _limit(params.get("limit")), params.get("cursor"))
        return {"items": [inquiry_view(i) for i in items], "next": cursor}

    def detail(self, inquiry_id: str) -> dict[str, Any]:
        inquiry = self.store.get_inquiry(inquiry_id)
        if inquiry is None:
            raise NotFound(f"inquiry {inquiry_id} does not exist")
        return detail_view(inquiry, self.store.messages_of(inquiry_id))

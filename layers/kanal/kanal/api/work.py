"""Work on an inquiry through the agent API: claim it, resolve it.

Any signed-in agent claims an inquiry; the second of two claims by different agents is a 409
(``Routing.claim``). An inquiry is resolved by its owner, by anyone while it has no owner (spam in the
queue), or by a lead of its team or an admin; anyone else gets a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from kanal.api.auth import Caller
from kanal.api.views import inquiry_view
from kanal.errors import Forbidden, NotFound
from kanal.model import Inquiry
from kanal.routing.org import Team


class Inquiries(Protocol):
    def get_inquiry(self, inquiry_id: str) -> Inquiry | None: ...


class Teams(Protocol):
    def get_team(self, team_id: str) -> Team | None: ...


class Events(Protocol):
    """The routing service's events (``Routing``)."""

    def claim(self, inquiry_id: str, agent_id: str) -> Inquiry: ...
    def resolved(self, inquiry_id: str) -> Inquiry: ...


class Work:
    def __init__(self, inquiries: Inquiries, teams: Teams, routing: Callable[[], Events]) -> None:
        self.inquiries = inquiries
        self.teams = teams
        self.routing = routing

    def claim(self, caller: Caller, inquiry_id: str) -> dict[str, Any]:
        return inquiry_view(self.routing().claim(inquiry_id, caller.agent_id))

    def resolve(self, caller: Caller, inquiry_id: str) -> dict[str, Any]:
        inquiry = self.inquiries.get_inquiry(inquiry_id)
        if inquiry is None:
            raise NotFound(f"inquiry {inquiry_id} does not exist")
        if not self._may_resolve(caller, inquiry):
            raise Forbidden(f"the inquiry belongs to {inquiry.assignee}")
        return inquiry_view(self.routing().resolved(inquiry_id))

    def _may_resolve(self, caller: Caller, inquiry: Inquiry) -> bool:
        if inquiry.assignee in (None, caller.agent_id) or caller.is_admin:
            return True
        team = self.teams.get_team(inquiry.team) if inquiry.team and caller.is_lead else None
        return team is not None and team.lead == caller.agent_id

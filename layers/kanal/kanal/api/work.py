"""Work on an inquiry through the agent API: claim, assign, transfer, notes, wait, resolve, reopen, CSAT.

Who may do what is in ``kanal.api.scope``. The checks run in one order, and a refused request changes
nothing: the inquiry within the caller's scope (404 otherwise, the same as for one that does not exist),
the role (403), the body (400, every problem listed), and last a clash with the inquiry's state or a
concurrent change (409, from the routing service's conditional writes).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol

from kanal.api.auth import Caller
from kanal.api.documents import WORK, validated
from kanal.api.scope import Directory, Scope, Scopes, unseen
from kanal.api.views import inquiry_view, note_view, rating_view
from kanal.errors import Conflict, Forbidden, InvalidDocument
from kanal.model import Inquiry, Note, Rating
from kanal.observability import logger
from kanal.routing.roster import Agent


class Inquiries(Protocol):
    def get_inquiry(self, inquiry_id: str) -> Inquiry | None: ...
    def add_note(self, note: Note, channel: str) -> None: ...


class Ratings(Protocol):
    """Recording the customer's rating, once, in the owner's figures (``OrganisationStore``)."""

    def rate(self, inquiry_id: str, score: int, nps: int | None, at: datetime) -> Rating: ...


class Events(Protocol):
    """The routing event the API reports (``kanal.routing.events.Events``)."""

    def resolved(self, inquiry_id: str) -> Inquiry: ...


class Casework(Protocol):
    """The work on an inquiry (``kanal.routing.casework.Casework``)."""

    def claim(self, inquiry_id: str, agent_id: str) -> Inquiry: ...
    def assign(self, inquiry_id: str, agent_id: str) -> Inquiry: ...
    def transfer(
        self, inquiry_id: str, by: str, note: str, to_agent: str | None = None, to_team: str | None = None
    ) -> Inquiry: ...
    def wait(self, inquiry_id: str) -> Inquiry: ...
    def reopen(self, inquiry_id: str) -> Inquiry: ...


class Work:
    def __init__(
        self,
        inquiries: Inquiries,
        directory: Directory,
        events: Callable[[], Events],
        casework: Callable[[], Casework],
        ratings: Ratings,
        after_resolve: Callable[[Inquiry], Inquiry] | None = None,
    ) -> None:
        self.inquiries = inquiries
        self.directory = directory
        self.events = events  # built on first use
        self.casework = casework
        self.ratings = ratings
        # e.g. pass a Messenger conversation back to the company's bot; never undoes the resolve
        self.after_resolve = after_resolve
        self.scopes = Scopes(directory)

    def _visible(self, caller: Caller, inquiry_id: str) -> tuple[Scope, Inquiry]:
        scope = self.scopes.of(caller)
        inquiry = self.inquiries.get_inquiry(inquiry_id)
        if inquiry is None or not scope.sees(inquiry):
            raise unseen(inquiry_id)
        return scope, inquiry

    # ---------------------------------------------------------------- everyone who sees it
    def claim(self, caller: Caller, inquiry_id: str) -> dict[str, Any]:
        self._visible(caller, inquiry_id)
        return inquiry_view(self.casework().claim(inquiry_id, caller.agent_id))

    def add_note(self, caller: Caller, inquiry_id: str, body: Any) -> dict[str, Any]:
        _, inquiry = self._visible(caller, inquiry_id)
        text = validated(WORK, body, part="note")["text"]
        note = Note(uuid.uuid4().hex, inquiry_id, caller.agent_id, text, datetime.now(UTC))
        self.inquiries.add_note(note, str(inquiry.channel))
        logger.info("note added", extra={"inquiry_id": inquiry_id, "by": caller.agent_id})
        return note_view(note)

    def reopen(self, caller: Caller, inquiry_id: str) -> dict[str, Any]:
        self._visible(caller, inquiry_id)
        return inquiry_view(self.casework().reopen(inquiry_id))

    # ---------------------------------------------------------------- owners, leads and admins
    def reply(
        self, caller: Caller, inquiry_id: str, body: Any, send: Callable[[str, str, Any], dict[str, Any]]
    ) -> dict[str, Any]:
        """The owner (or a lead of its team, or an admin) answers on the inquiry's own channel."""
        scope, inquiry = self._visible(caller, inquiry_id)
        if inquiry.assignee is None and not scope.leads(inquiry):
            raise Conflict("claim the inquiry before answering it")
        if inquiry.assignee is not None and not (scope.owns(inquiry) or scope.leads(inquiry)):
            raise Forbidden(f"the inquiry belongs to {inquiry.assignee}")
        return send(inquiry_id, caller.agent_id, body)

    def handover(
        self,
        caller: Caller,
        inquiry_id: str,
        body: Any,
        to_private: Callable[[str, str, dict[str, Any]], dict[str, Any]],
    ) -> dict[str, Any]:
        """One route for every handover: to a private chat with the customer (like a reply: its owner, a
        lead of its team, an admin), or to an agent or a team (a transfer, with its own checks)."""
        self._visible(caller, inquiry_id)
        document = validated(WORK, body, part="handover")
        if document["to"] in ("agent", "team"):
            key = f"to_{document['to']}"
            return self.transfer(
                caller, inquiry_id, {key: document[document["to"]], "note": document["note"]}
            )

        def send(inquiry: str, agent: str, _: Any) -> dict[str, Any]:
            result = to_private(inquiry, agent, document)
            handed = self.inquiries.get_inquiry(inquiry)
            return {**result, "inquiry": inquiry_view(handed) if handed else None}

        return self.reply(caller, inquiry_id, body, send)

    def resolve(self, caller: Caller, inquiry_id: str) -> dict[str, Any]:
        scope, inquiry = self._visible(caller, inquiry_id)
        if not (inquiry.assignee is None or scope.owns(inquiry) or scope.leads(inquiry)):
            raise Forbidden(f"the inquiry belongs to {inquiry.assignee}")
        resolved = self.events().resolved(inquiry_id)
        if self.after_resolve is not None:
            resolved = self.after_resolve(resolved)
        return inquiry_view(resolved)

    def wait(self, caller: Caller, inquiry_id: str) -> dict[str, Any]:
        scope, inquiry = self._visible(caller, inquiry_id)
        if not (scope.owns(inquiry) or scope.leads(inquiry)):
            raise Forbidden("only its owner, a lead of its team or an admin marks the inquiry waiting")
        return inquiry_view(self.casework().wait(inquiry_id))

    def transfer(self, caller: Caller, inquiry_id: str, body: Any) -> dict[str, Any]:
        scope, inquiry = self._visible(caller, inquiry_id)
        if not (scope.owns(inquiry) or scope.leads(inquiry)):
            raise Forbidden("only its owner, a lead of its team or an admin hands the inquiry over")
        document = validated(WORK, body, part="transfer")
        agent, team = self._destination(inquiry, document.get("to_agent"), document.get("to_team"))
        moved = self.casework().transfer(inquiry_id, caller.agent_id, document["note"], agent, team)
        note = Note(
            uuid.uuid4().hex, inquiry_id, caller.agent_id, document["note"], datetime.now(UTC), "transfer"
        )
        self.inquiries.add_note(note, str(inquiry.channel))
        logger.info(
            "inquiry transferred",
            extra={"inquiry_id": inquiry_id, "by": caller.agent_id, "to": moved.assignee, "team": moved.team},
        )
        return inquiry_view(moved)

    def _destination(
        self, inquiry: Inquiry, to_agent: str | None, to_team: str | None
    ) -> tuple[str | None, str]:
        """(agent, team) a transfer goes to: the team named, or the agent's (the inquiry's own team when
        they are in it). Every problem of the body is listed (400)."""
        errors: list[str] = []
        agent: Agent | None = None
        if to_team is not None and self.directory.get_team(to_team) is None:
            errors.append(f"$.to_team: team {to_team} does not exist")
        if to_agent is not None:
            agent = self.directory.get_agent(to_agent)
            if agent is None:
                errors.append(f"$.to_agent: agent {to_agent} does not exist")
            elif to_team is not None and to_team not in agent.teams:
                errors.append(f"$.to_agent: agent {to_agent} is not in team {to_team}")
            elif to_team is None and not agent.teams:
                errors.append(f"$.to_agent: agent {to_agent} is in no team")
        if errors:
            raise InvalidDocument(errors)
        if to_team is not None:
            return to_agent, to_team
        assert agent is not None  # the schema asks for to_agent or to_team
        team = inquiry.team if inquiry.team in agent.teams else agent.teams[0]
        return agent.id, str(team)

    # ---------------------------------------------------------------- leads and admins
    def assign(self, caller: Caller, inquiry_id: str, body: Any) -> dict[str, Any]:
        scope, inquiry = self._visible(caller, inquiry_id)
        if not scope.leads(inquiry):
            raise Forbidden("only a lead of the inquiry's team or an admin assigns it")
        to = validated(WORK, body, part="assign")["to"]
        agent = self.directory.get_agent(to)
        if agent is None:
            raise InvalidDocument([f"$.to: agent {to} does not exist"])
        if inquiry.team not in agent.teams:
            raise InvalidDocument([f"$.to: agent {to} is not in team {inquiry.team} (transfer it instead)"])
        assigned = self.casework().assign(inquiry_id, to)
        logger.info("inquiry assigned by a lead", extra={"inquiry_id": inquiry_id, "by": caller.agent_id})
        return inquiry_view(assigned)

    def rate(self, caller: Caller, inquiry_id: str, body: Any) -> dict[str, Any]:
        scope, inquiry = self._visible(caller, inquiry_id)
        if not scope.leads(inquiry):
            raise Forbidden("only a lead of the inquiry's team or an admin records its CSAT")
        document = validated(WORK, body, part="csat")
        nps = document.get("nps")
        rating = self.ratings.rate(
            inquiry_id, int(document["score"]), None if nps is None else int(nps), datetime.now(UTC)
        )
        logger.info("inquiry rated", extra={"inquiry_id": inquiry_id, "by": caller.agent_id})
        return rating_view(replace(inquiry, rating=rating)) or {}

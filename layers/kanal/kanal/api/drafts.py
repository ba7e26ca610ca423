"""Draft replies through the agent API: write, edit, approve (which publishes) and reject.

The checks run in the order of ``kanal.api.work``: the inquiry within the caller's scope (404; an
approver of the draft's team also reaches another team's inquiry for its drafts), the role (403), the
body (400, every problem listed), and last the draft's state or a concurrent change (409). A refused
request changes nothing.

| what | who |
|---|---|
| write a draft | as for a reply: its owner, a lead of its team, an admin |
| edit it | its author, an approver |
| approve (publishes it) | a member or the lead of the approving team, an admin (or, unneeded, its author) |
| reject it (a comment) | a member or the lead of the approving team, an admin |
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from kanal.api.auth import Caller
from kanal.api.documents import WORK, validated
from kanal.api.scope import Directory, Scope, Scopes, unseen
from kanal.api.views import draft_view
from kanal.conversation.drafts import Actor, Drafts, may_approve, may_edit, may_reject
from kanal.errors import Conflict, Forbidden, NotFound
from kanal.model import Draft, Inquiry, Visibility
from kanal.observability import logger

if TYPE_CHECKING:
    from kanal.conversation.replies import Gate


class Inquiries(Protocol):
    def get_inquiry(self, inquiry_id: str) -> Inquiry | None: ...


class DraftsApi:
    def __init__(self, inquiries: Inquiries, directory: Directory, drafts: Callable[[], Drafts]) -> None:
        self.inquiries = inquiries
        self.directory = directory
        self.drafts = drafts  # built on first use
        self.scopes = Scopes(directory)

    # ---------------------------------------------------------------- who
    def approves(self, caller: Caller, team: str | None = None) -> bool:
        """The caller approves for ``team`` (else the policy's approving team)."""
        return self.drafts().is_approver(caller.agent_id, caller.is_admin, team)

    def gate(self, caller: Caller) -> Gate:
        """The replies route's check: a reply that needs approval is a 409 with the option ``draft``."""

        def check(inquiry: Inquiry, visibility: Visibility) -> None:
            self.drafts().check_reply(inquiry, visibility, lambda team: self.approves(caller, team))

        return check

    def _inquiry(self, caller: Caller, inquiry_id: str) -> tuple[Scope, Inquiry]:
        scope = self.scopes.of(caller)
        inquiry = self.inquiries.get_inquiry(inquiry_id)
        if inquiry is None:
            raise unseen(inquiry_id)
        return scope, inquiry

    def _draft(self, caller: Caller, inquiry_id: str, draft_id: str) -> tuple[Inquiry, Draft, Actor]:
        """The draft, for a caller who sees its inquiry or approves for its team (404 otherwise)."""
        scope, inquiry = self._inquiry(caller, inquiry_id)
        draft = self.drafts().find(inquiry_id, draft_id)
        approver = self.approves(caller, draft.team if draft else None)
        if not (scope.sees(inquiry) or (approver and draft is not None)):
            raise unseen(inquiry_id)
        if draft is None:
            raise NotFound(f"draft {draft_id} does not exist")
        return inquiry, draft, Actor(caller.agent_id, approver)

    # ---------------------------------------------------------------- the work
    def create(self, caller: Caller, inquiry_id: str, body: Any) -> dict[str, Any]:
        scope, inquiry = self._inquiry(caller, inquiry_id)
        if not scope.sees(inquiry):
            raise unseen(inquiry_id)
        if inquiry.assignee is None and not scope.leads(inquiry):
            raise Conflict("claim the inquiry before answering it")
        if inquiry.assignee is not None and not (scope.owns(inquiry) or scope.leads(inquiry)):
            raise Forbidden(f"the inquiry belongs to {inquiry.assignee}")
        document = validated(WORK, body, part="draft")
        visibility = document.get("visibility")
        draft = self.drafts().create(
            inquiry,
            Actor(caller.agent_id),
            document["text"].strip(),
            Visibility(visibility) if visibility else None,
            lambda team: self.approves(caller, team),
        )
        return draft_view(draft)

    def edit(self, caller: Caller, inquiry_id: str, draft_id: str, body: Any) -> dict[str, Any]:
        inquiry, draft, actor = self._draft(caller, inquiry_id, draft_id)
        may_edit(draft, actor)
        text = validated(WORK, body, part="draft_edit")["text"].strip()
        saved = self.drafts().edit(inquiry, draft, actor, text)
        logger.info("draft edited", extra={"inquiry_id": inquiry_id, "draft_id": draft_id, "by": actor.id})
        return draft_view(saved)

    def approve(self, caller: Caller, inquiry_id: str, draft_id: str, body: Any) -> dict[str, Any]:
        """Publish the draft: the reply's answer (``id``, ``status``, ``external_id``, ``error``?) and the
        draft as it now is."""
        inquiry, draft, actor = self._draft(caller, inquiry_id, draft_id)
        may_approve(draft, actor)
        text = validated(WORK, {} if body is None else body, part="approve").get("text")
        result, saved = self.drafts().approve(inquiry, draft, actor, text.strip() if text else None)
        return {**result, "draft": draft_view(saved)}

    def reject(self, caller: Caller, inquiry_id: str, draft_id: str, body: Any) -> dict[str, Any]:
        inquiry, draft, actor = self._draft(caller, inquiry_id, draft_id)
        may_reject(draft, actor)
        comment = validated(WORK, body, part="reject")["comment"].strip()
        return draft_view(self.drafts().reject(inquiry, draft, actor, comment))

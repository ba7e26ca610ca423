"""Drafts and approval: departments answer together before a reply reaches the customer.

An agent writes a draft instead of a reply. When the approval policy (``kanal.conversation.approval``)
says the reply needs approval, the draft is ``pending`` and the approving team's members are told
(``approval_requested``, no customer text); otherwise it is a ``draft`` its author sends when ready. A
member of the approving team (or an admin) approves it, and may edit it while approving: the approval
publishes it through ``Replies.reply`` exactly once, on the inquiry's own channel. Or they reject it with
a comment (``rejected``, the author told by ``draft_rejected``); the author's edit submits it again.

Every change is a conditional write under the draft's version, so of two approvers who approve at once one
publishes and the other gets a 409. A draft does not stop the SLA clock; publishing does (the reply's
``responded``), so the time a draft waits for approval counts in the response time, and an inquiry whose
draft waits escalates as any unanswered one.

A draft may wait longer than the platform's messaging window: the approval sends it through the same
checks as a reply (Messenger/Instagram: 24 hours, 7 days for a human agent's reply,
developers.facebook.com/documentation/business-messaging/messenger-platform/policy; WhatsApp: the 24-hour
customer service window, developers.facebook.com/documentation/business-messaging/whatsapp/messages/
send-messages), and a closed window is a 409 that leaves the draft as it was.

States: ``draft`` (needs no approval) | ``pending`` | ``rejected`` -> ``publishing`` (claimed by the one
approval that sends it) -> ``published`` | ``failed`` (the platform refused it; it may be approved again).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from kanal.conversation.approval import ApprovalPolicy, ApprovalRequired, Rule, needs_approval
from kanal.errors import BadRequest, Conflict, Forbidden, KanalError
from kanal.model import Direction, Draft, DraftEvent, DraftStatus, Inquiry, Message, Status, Visibility
from kanal.observability import logger
from kanal.routing.notices import CHANNELS, TIMEZONE, Notice, reference
from kanal.routing.roster import Agent, Team

if TYPE_CHECKING:  # the replies load the channel clients: only when a draft is published
    from kanal.conversation.replies import ReplyRequest


EDITABLE = frozenset({DraftStatus.DRAFT, DraftStatus.PENDING, DraftStatus.REJECTED, DraftStatus.FAILED})
SENDABLE = EDITABLE


@dataclass(frozen=True)
class Actor:
    """Who acts on a draft: their id, and whether they approve for the draft's team (a member, its lead,
    or an admin)."""

    id: str
    approver: bool = False


# ---------------------------------------------------------------- who may (403), pure
def may_edit(draft: Draft, actor: Actor) -> None:
    if actor.id != draft.author and not actor.approver:
        raise Forbidden("only the draft's author or an approver edits it")


def may_approve(draft: Draft, actor: Actor) -> None:
    if draft.rule is not None and not actor.approver:
        raise Forbidden(f"only a member of team {draft.team} or an admin approves this draft")
    if draft.rule is None and actor.id != draft.author and not actor.approver:
        raise Forbidden("only the draft's author sends it")


def may_reject(draft: Draft, actor: Actor) -> None:
    if not actor.approver:
        raise Forbidden(
            f"only a member of team {draft.team or 'of the approving team'} or an admin rejects it"
        )


# ---------------------------------------------------------------- state changes (409), pure
def _event(draft: Draft, *events: DraftEvent, **changes: Any) -> Draft:
    return replace(draft, history=(*draft.history, *events), **changes)


def edited(draft: Draft, actor: Actor, text: str, at: datetime) -> Draft:
    """The text changed; the author's edit of a rejected (or failed) draft submits it again."""
    may_edit(draft, actor)
    if draft.status not in EDITABLE:
        raise Conflict(f"the draft is {draft.status}; it can no longer be edited")
    status = draft.status
    events = [DraftEvent("edited", actor.id, at)]
    if actor.id == draft.author and status in (DraftStatus.REJECTED, DraftStatus.FAILED):
        status = DraftStatus.PENDING if draft.rule else DraftStatus.DRAFT
        if draft.rule:
            events.append(DraftEvent("submitted", actor.id, at))
    return _event(draft, *events, text=text, status=status)


def approved(draft: Draft, actor: Actor, at: datetime, text: str | None = None) -> Draft:
    """The decision that sends it (``publishing``): approved by an approver, or sent by its author when it
    needs no approval. An approver may edit it while approving."""
    may_approve(draft, actor)
    if draft.status not in SENDABLE:
        raise Conflict(f"the draft is {draft.status}")
    if draft.status is DraftStatus.REJECTED and not actor.approver:
        raise Conflict("the draft was rejected: edit it first")
    events = []
    if text is not None and text != draft.text:
        events.append(DraftEvent("edited", actor.id, at))
    events.append(DraftEvent("approved" if draft.rule else "sent", actor.id, at))
    return _event(
        draft, *events, text=text if text is not None else draft.text, status=DraftStatus.PUBLISHING
    )


def rejected(draft: Draft, actor: Actor, comment: str, at: datetime) -> Draft:
    may_reject(draft, actor)
    if draft.status is not DraftStatus.PENDING:
        raise Conflict(f"the draft is {draft.status}; only a pending draft is rejected")
    return _event(draft, DraftEvent("rejected", actor.id, at, comment), status=DraftStatus.REJECTED)


def submitted(draft: Draft, actor: Actor, rule: Rule, team: str, at: datetime) -> Draft:
    """A draft that needed no approval when written needs it now (the policy changed): it waits."""
    return _event(
        draft, DraftEvent("submitted", actor.id, at), status=DraftStatus.PENDING, rule=rule.id, team=team
    )


def published(draft: Draft, result: dict[str, Any], by: str, at: datetime) -> Draft:
    """What the platform did with it: ``published``, or ``failed`` with the platform's error."""
    sent = result.get("status") == "sent"
    reply = {k: result.get(k) for k in ("id", "status", "external_id", "error") if k in result}
    event = DraftEvent("published" if sent else "failed", by, at, None if sent else result.get("error"))
    return _event(draft, event, status=DraftStatus.PUBLISHED if sent else DraftStatus.FAILED, reply=reply)


# ---------------------------------------------------------------- the service
class DraftStore(Protocol):
    def messages_of(self, inquiry_id: str) -> list[Message]: ...
    def get_draft(self, inquiry_id: str, draft_id: str) -> Draft | None: ...
    def add_draft(self, draft: Draft, channel: str) -> Draft: ...
    def save_draft(self, draft: Draft, expected_version: int) -> Draft:
        """Write ``draft`` while the stored version is still ``expected_version`` (Conflict otherwise)."""
        ...


class Publisher(Protocol):
    def reply(self, inquiry_id: str, agent_id: str, request: ReplyRequest) -> dict[str, Any]: ...


class Roster(Protocol):
    def get_agent(self, agent_id: str) -> Agent | None: ...
    def get_team(self, team_id: str) -> Team | None: ...
    def members(self, team: str) -> list[Agent]: ...


class Notifier(Protocol):
    def notify(self, notice: Notice) -> None: ...


def _now() -> datetime:
    return datetime.now(UTC)


def _check_length(inquiry: Inquiry, text: str) -> None:
    from kanal.conversation.replies import MAX_TEXT

    limit = MAX_TEXT.get(str(inquiry.channel), 2000)
    if len(text) > limit:
        raise BadRequest(f"{inquiry.channel} takes at most {limit} characters in one message")


class Drafts:
    def __init__(
        self,
        store: DraftStore,
        replies: Callable[[], Publisher],
        policy: Callable[[], ApprovalPolicy],
        roster: Roster,
        notifier: Notifier,
        console_url: str,
    ) -> None:
        self.store = store
        self.replies = replies  # built on first use
        self.policy = policy
        self.roster = roster
        self.notifier = notifier
        self.console_url = console_url

    # ---------------------------------------------------------------- who approves
    def is_approver(self, agent_id: str, admin: bool, team: str | None = None) -> bool:
        """A member of the approving team (``team``, else the policy's), its lead, or an admin."""
        if admin:
            return True
        team_id = team or self.policy().team
        found = self.roster.get_team(team_id)
        if found is not None and found.lead == agent_id:
            return True
        agent = self.roster.get_agent(agent_id)
        return agent is not None and team_id in agent.teams

    def check_reply(self, inquiry: Inquiry, visibility: Visibility, approver: Callable[[str], bool]) -> None:
        """Before a reply is sent: ApprovalRequired (409, nothing sent) when it needs approval and
        ``approver(team)`` does not say the one answering approves for that team."""
        policy = self.policy()
        rule = needs_approval(policy, inquiry, visibility)
        if rule is None or (policy.approvers_reply_directly and approver(policy.team)):
            return
        logger.info("reply needs approval", extra={"inquiry_id": inquiry.id, "rule": rule.id})
        raise ApprovalRequired(rule, policy.team)

    def find(self, inquiry_id: str, draft_id: str) -> Draft | None:
        return self.store.get_draft(inquiry_id, draft_id)

    # ---------------------------------------------------------------- the work
    def create(
        self,
        inquiry: Inquiry,
        author: Actor,
        text: str,
        visibility: Visibility | None,
        approver_of: Callable[[str], bool],
    ) -> Draft:
        """A new draft of ``author``'s reply: ``pending`` (the approvers told) when it needs approval."""
        if inquiry.status is Status.RESOLVED:
            raise Conflict("the inquiry is resolved; reopen it to answer")
        _check_length(inquiry, text)
        chosen = visibility or self._answering_visibility(inquiry.id)
        policy = self.policy()
        rule = needs_approval(policy, inquiry, chosen)
        if rule is not None and policy.approvers_reply_directly and approver_of(policy.team):
            rule = None
        now = _now()
        draft = Draft(
            id=uuid.uuid4().hex,
            inquiry_id=inquiry.id,
            author=author.id,
            text=text,
            visibility=chosen,
            status=DraftStatus.PENDING if rule else DraftStatus.DRAFT,
            created_at=now,
            rule=rule.id if rule else None,
            team=policy.team if rule else None,
            history=(DraftEvent("created", author.id, now),),
        )
        stored = self.store.add_draft(draft, str(inquiry.channel))
        logger.info(
            "draft created",
            extra={
                "inquiry_id": inquiry.id,
                "draft_id": draft.id,
                "status": str(draft.status),
                "rule": draft.rule,
            },
        )
        if rule is not None:
            self._ask_approval(inquiry, stored)
        return stored

    def edit(self, inquiry: Inquiry, draft: Draft, actor: Actor, text: str) -> Draft:
        _check_length(inquiry, text)
        saved = self.store.save_draft(edited(draft, actor, text, _now()), draft.version)
        if saved.status is DraftStatus.PENDING and draft.status is not DraftStatus.PENDING:
            self._ask_approval(inquiry, saved)
        return saved

    def approve(
        self, inquiry: Inquiry, draft: Draft, actor: Actor, text: str | None = None
    ) -> tuple[dict[str, Any], Draft]:
        """Publish the draft through the replies (one platform call): (the reply's answer, the draft)."""
        if text is not None:
            _check_length(inquiry, text)
        draft = self._still_without_approval(inquiry, draft, actor)
        claimed = self.store.save_draft(approved(draft, actor, _now(), text), draft.version)  # 409: lost
        from kanal.conversation.replies import ReplyRequest

        request = ReplyRequest(claimed.text, claimed.visibility)
        try:
            result = self.replies().reply(inquiry.id, claimed.author, request)
        except KanalError:  # refused before sending (window closed, resolved, too long): as it was
            self.store.save_draft(replace(draft, version=claimed.version), claimed.version)
            raise
        done = self.store.save_draft(published(claimed, result, actor.id, _now()), claimed.version)
        logger.info(
            "draft published",
            extra={
                "inquiry_id": inquiry.id,
                "draft_id": draft.id,
                "by": actor.id,
                "status": result.get("status"),
            },
        )
        return result, done

    def reject(self, inquiry: Inquiry, draft: Draft, actor: Actor, comment: str) -> Draft:
        saved = self.store.save_draft(rejected(draft, actor, comment, _now()), draft.version)
        logger.info("draft rejected", extra={"inquiry_id": inquiry.id, "draft_id": draft.id, "by": actor.id})
        self._tell(inquiry, saved, "draft_rejected", [saved.author])
        return saved

    # ---------------------------------------------------------------- helpers
    def _still_without_approval(self, inquiry: Inquiry, draft: Draft, actor: Actor) -> Draft:
        """A draft written when it needed no approval is checked again under the policy in force: when it
        needs approval now (and its author does not approve), it waits for it and the answer is a 409."""
        if draft.rule is not None or actor.approver:
            return draft
        policy = self.policy()
        rule = needs_approval(policy, inquiry, draft.visibility)
        if rule is None:
            return draft
        saved = self.store.save_draft(submitted(draft, actor, rule, policy.team, _now()), draft.version)
        self._ask_approval(inquiry, saved)
        raise ApprovalRequired(rule, policy.team)

    def _answering_visibility(self, inquiry_id: str) -> Visibility:
        """Where the customer wrote last (what a reply without ``visibility`` answers)."""
        inbound = sorted(
            (m for m in self.store.messages_of(inquiry_id) if m.direction is Direction.IN and not m.removed),
            key=lambda m: (m.created_at, m.external_id),
        )
        if not inbound:
            raise Conflict("the inquiry has no customer message left to answer")
        return inbound[-1].visibility

    def approvers(self, team: str) -> list[str]:
        found = self.roster.get_team(team)
        members = [agent.id for agent in self.roster.members(team)]
        return list(dict.fromkeys([*([found.lead] if found and found.lead else []), *members]))

    def _ask_approval(self, inquiry: Inquiry, draft: Draft) -> None:
        assert draft.team is not None
        recipients = [agent for agent in self.approvers(draft.team) if agent != draft.author]
        if not recipients:
            logger.warning(
                "nobody to approve the draft", extra={"inquiry_id": inquiry.id, "team": draft.team}
            )
        self._tell(inquiry, draft, "approval_requested", recipients)

    def _tell(self, inquiry: Inquiry, draft: Draft, kind: str, recipients: list[str]) -> None:
        for recipient in recipients:
            agent = self.roster.get_agent(recipient)
            language = agent.language if agent else "en"
            self.notifier.notify(compose(kind, inquiry, draft, recipient, language, self.console_url))


# ---------------------------------------------------------------- what the approvers and the author are told
NOTICES: dict[str, dict[str, tuple[str, str]]] = {  # kind -> (subject, line)
    "de": {
        "approval_requested": (
            "Antwort wartet auf Freigabe",
            "Ein {visibility} Antwortentwurf auf eine {band}-Anfrage ({channel}, Team {team}) wartet auf "
            "Ihre Freigabe. Die Antwortfrist läuft weiter.",
        ),
        "draft_rejected": (
            "Entwurf abgelehnt",
            "Ihr Antwortentwurf auf eine {band}-Anfrage ({channel}) wurde mit einem Kommentar abgelehnt: "
            "bitte lesen und überarbeiten.",
        ),
    },
    "en": {
        "approval_requested": (
            "Reply waiting for approval",
            "A {visibility} draft reply to a {band} inquiry ({channel}, team {team}) waits for your "
            "approval. The response deadline keeps running.",
        ),
        "draft_rejected": (
            "Draft rejected",
            "Your draft reply to a {band} inquiry ({channel}) was rejected with a comment: please read it "
            "and revise the draft.",
        ),
    },
}
WORDS: dict[str, dict[str, str]] = {
    "de": {"public": "öffentlicher", "private": "privater", "due": "Fällig: {due}", "open": "Öffnen: {link}"},
    "en": {"public": "public", "private": "private", "due": "Due: {due}", "open": "Open: {link}"},
}


def compose(
    kind: str, inquiry: Inquiry, draft: Draft, recipient: str, language: str, console_url: str
) -> Notice:
    """A notice about a draft: band, channel, visibility, due time and the link; never the customer's
    text, name or handle, nor the draft's text or the rejection's comment (the console shows them)."""
    language = language if language in NOTICES else "en"
    subject_template, line_template = NOTICES[language][kind]
    words = WORDS[language]
    band = inquiry.priority.band if inquiry.priority else "P4"
    channel = CHANNELS.get(language, CHANNELS["en"]).get(str(inquiry.channel), str(inquiry.channel))
    values = {
        "band": band,
        "channel": channel,
        "team": inquiry.team or "-",
        "visibility": words[str(draft.visibility)],
    }
    line = line_template.format(**values)
    due = inquiry.sla.due_at if inquiry.sla else None
    due_text = words["due"].format(due=due.astimezone(TIMEZONE).strftime("%d.%m. %H:%M:%S")) if due else ""
    link = f"{console_url.rstrip('/')}/#/inquiries/{inquiry.id}"
    open_text = words["open"].format(link=link)
    return Notice(
        kind=kind,
        inquiry_id=inquiry.id,
        recipient=recipient,
        team=inquiry.team or "-",
        band=band,
        channel=str(inquiry.channel),
        deliver=("email", "sms"),
        subject=f"Kanal {band}: {subject_template}",
        email="\n".join(part for part in (line, due_text, open_text) if part),
        sms=" ".join(part for part in (f"Kanal {reference(inquiry.id)}:", line, due_text, link) if part),
    )

"""Drafts and approval on in-memory adapters: the policy, each state change, who may make it, and what is
sent and told."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from kanal.api.http import error_body
from kanal.channels.outbound import WindowClosed
from kanal.conversation.approval import (
    ApprovalPolicy,
    ApprovalRequired,
    Rule,
    default_approval,
    load_approval,
    needs_approval,
)
from kanal.conversation.drafts import Actor, Drafts, approved, edited, published, rejected
from kanal.errors import BadRequest, Conflict, Forbidden, InvalidRules
from kanal.model import (
    Author,
    Channel,
    Direction,
    Draft,
    DraftStatus,
    Inquiry,
    Message,
    Priority,
    Reason,
    Status,
    Visibility,
)
from kanal.routing.notices import Notice
from kanal.routing.roster import Agent, Team

ROOT = Path(__file__).resolve().parents[2]
PACKAGED = ROOT / "layers" / "kanal" / "kanal" / "conversation"
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
CUSTOMER_TEXT = "Mein Akku hat gebrannt, Velora ist ein Betrug"


def inquiry(
    band: str = "P1",
    channel: Channel = Channel.FACEBOOK,
    visibility: Visibility = Visibility.PUBLIC,
    reasons: tuple[str, ...] = (),
    status: Status = Status.ASSIGNED,
) -> Inquiry:
    return Inquiry(
        id="inq-1",
        channel=channel,
        external_id="c-1",
        author=Author("cust-1", "Kim Kunde", "kim"),
        text=CUSTOMER_TEXT,
        visibility=visibility,
        thread_id="t-1",
        account_id="page-1",
        customer_id="cust-1",
        created_at=NOW,
        received_at=NOW,
        status=status,
        priority=Priority(60, band, tuple(Reason(r, "x", 10) for r in reasons)),
        team="social",
        assignee="jonas",
    )


# ---------------------------------------------------------------- the policy
def test_the_packaged_and_repo_schemas_are_identical_and_the_default_validates():
    repo = ROOT / "schemas" / "approval.schema.json"
    assert repo.read_bytes() == (PACKAGED / "approval.schema.json").read_bytes()
    schema = json.loads(repo.read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    shipped = json.loads((PACKAGED / "approval.json").read_text("utf-8"))
    assert list(Draft202012Validator(schema).iter_errors(shipped)) == []
    assert default_approval() == load_approval(shipped)


def test_the_default_asks_pr_for_public_urgent_replies_and_every_reply_on_a_legal_threat():
    policy = default_approval()
    assert policy.team == "pr" and policy.approvers_reply_directly
    public, private = Visibility.PUBLIC, Visibility.PRIVATE
    assert needs_approval(policy, inquiry("P1"), public) == policy.rules[0]
    assert needs_approval(policy, inquiry("P2"), public) == policy.rules[0]
    assert needs_approval(policy, inquiry("P3"), public) is None
    assert needs_approval(policy, inquiry("P1"), private) is None  # a DM to an urgent inquiry
    legal = inquiry("P3", Channel.MESSENGER, private, reasons=("content.legal",))
    assert needs_approval(policy, legal, private) == policy.rules[1]
    assert needs_approval(policy, inquiry("P4", reasons=("content.service",)), public) is None


def test_a_rule_matches_only_when_every_condition_it_names_holds():
    rule = Rule("wa-legal", channels=("whatsapp",), reasons=("content.legal", "content.safety"))
    policy = ApprovalPolicy("v", "legal", (rule,))
    wa = inquiry("P4", Channel.WHATSAPP, Visibility.PRIVATE, reasons=("content.safety",))
    assert needs_approval(policy, wa, Visibility.PRIVATE) == rule
    assert needs_approval(policy, replace(wa, channel=Channel.MESSENGER), Visibility.PRIVATE) is None
    assert needs_approval(policy, replace(wa, priority=None), Visibility.PRIVATE) is None
    assert needs_approval(ApprovalPolicy("v", "pr", ()), wa, Visibility.PRIVATE) is None


def test_a_bad_policy_lists_every_problem():
    document = json.loads((PACKAGED / "approval.json").read_text("utf-8"))
    bad = copy.deepcopy(document)
    bad["team"] = "PR team"
    bad["rules"].append({"id": "nothing"})
    bad["rules"][0]["bands"] = ["P9"]
    with pytest.raises(InvalidRules) as caught:
        load_approval(bad)
    text = " ".join(caught.value.errors)
    assert "$.team" in text and "$.rules[2]" in text and "$.rules[0].bands[0]" in text
    twice = copy.deepcopy(document)
    twice["rules"].append(copy.deepcopy(twice["rules"][0]))
    with pytest.raises(InvalidRules, match="used twice"):
        load_approval(twice)


# ---------------------------------------------------------------- state changes, pure
def pending(**changes: Any) -> Draft:
    draft = Draft(
        "d-1", "inq-1", "jonas", "Wir melden uns.", Visibility.PUBLIC, DraftStatus.PENDING, NOW,
        rule="public-urgent", team="pr", version=1,
    )  # fmt: skip
    return replace(draft, **changes)


AUTHOR, APPROVER, OTHER = Actor("jonas"), Actor("mira", approver=True), Actor("amelia")


def test_only_an_approver_approves_or_rejects_a_draft_that_needs_approval():
    for actor in (AUTHOR, OTHER):
        with pytest.raises(Forbidden):
            approved(pending(), actor, NOW)
        with pytest.raises(Forbidden):
            rejected(pending(), actor, "nein", NOW)
    sending = approved(pending(), APPROVER, NOW, text="Wir melden uns heute.")
    assert sending.status is DraftStatus.PUBLISHING and sending.text == "Wir melden uns heute."
    assert [(e.action, e.by) for e in sending.history] == [("edited", "mira"), ("approved", "mira")]


def test_a_draft_that_needs_no_approval_is_sent_by_its_author_only():
    free = pending(status=DraftStatus.DRAFT, rule=None, team=None)
    with pytest.raises(Forbidden):
        approved(free, OTHER, NOW)
    sending = approved(free, AUTHOR, NOW)
    assert sending.status is DraftStatus.PUBLISHING and [e.action for e in sending.history] == ["sent"]
    with pytest.raises(Conflict):
        rejected(free, APPROVER, "nein", NOW)  # nothing to reject: it needs no approval


def test_the_authors_edit_of_a_rejected_draft_submits_it_again_an_approvers_does_not():
    back = rejected(pending(), APPROVER, "Bitte ohne Schuldeingeständnis.", NOW)
    assert (
        back.status is DraftStatus.REJECTED and back.history[-1].comment == "Bitte ohne Schuldeingeständnis."
    )
    assert edited(back, APPROVER, "neu", NOW).status is DraftStatus.REJECTED
    again = edited(back, AUTHOR, "Wir prüfen den Fall.", NOW)
    assert again.status is DraftStatus.PENDING and again.text == "Wir prüfen den Fall."
    assert [e.action for e in again.history][-2:] == ["edited", "submitted"]
    with pytest.raises(Forbidden):
        edited(back, OTHER, "meins", NOW)
    with pytest.raises(Conflict):
        approved(replace(back, rule=None), AUTHOR, NOW)  # sent back: edited first


def test_a_published_or_publishing_draft_changes_no_more():
    for status in (DraftStatus.PUBLISHING, DraftStatus.PUBLISHED):
        done = pending(status=status)
        with pytest.raises(Conflict):
            edited(done, AUTHOR, "später", NOW)
        with pytest.raises(Conflict):
            approved(done, APPROVER, NOW)
        with pytest.raises(Conflict):
            rejected(done, APPROVER, "zu spät", NOW)


def test_publishing_records_what_the_platform_did():
    sending = approved(pending(), APPROVER, NOW)
    sent = published(sending, {"id": "r-1", "status": "sent", "external_id": "c-9"}, "mira", NOW)
    assert sent.status is DraftStatus.PUBLISHED and sent.reply == {
        "id": "r-1",
        "status": "sent",
        "external_id": "c-9",
    }
    failed = published(
        sending, {"id": "r-2", "status": "failed", "external_id": None, "error": "boom"}, "mira", NOW
    )
    assert failed.status is DraftStatus.FAILED and failed.history[-1].comment == "boom"
    assert approved(failed, APPROVER, NOW).status is DraftStatus.PUBLISHING  # it may go out again


# ---------------------------------------------------------------- the service on in-memory adapters
class Store:
    def __init__(self, messages: list[Message]) -> None:
        self.messages = messages
        self.drafts: dict[str, Draft] = {}

    def messages_of(self, inquiry_id: str) -> list[Message]:
        return self.messages

    def get_draft(self, inquiry_id: str, draft_id: str) -> Draft | None:
        return self.drafts.get(draft_id)

    def add_draft(self, draft: Draft, channel: str) -> Draft:
        stored = replace(draft, version=1)
        self.drafts[draft.id] = stored
        return stored

    def save_draft(self, draft: Draft, expected_version: int) -> Draft:
        if self.drafts[draft.id].version != expected_version:
            raise Conflict("the draft was changed meanwhile; reload it")
        saved = replace(draft, version=expected_version + 1)
        self.drafts[draft.id] = saved
        return saved


class Replies:
    def __init__(self, outcome: dict[str, Any] | Exception | None = None) -> None:
        self.outcome = outcome or {"id": "r-1", "status": "sent", "external_id": "c-out"}
        self.calls: list[tuple[str, str, str, Visibility | None]] = []

    def reply(self, inquiry_id: str, agent_id: str, request: Any) -> dict[str, Any]:
        if isinstance(self.outcome, Exception):
            raise self.outcome
        self.calls.append((inquiry_id, agent_id, request.text, request.visibility))
        return self.outcome


class Roster:
    agents = {
        "mira": Agent("mira", "Mira", language="de", teams=("pr",)),
        "oliver": Agent("oliver", "Oliver", language="en", teams=("pr",)),
        "jonas": Agent("jonas", "Jonas", language="de", teams=("social",)),
    }

    def get_agent(self, agent_id: str) -> Agent | None:
        return self.agents.get(agent_id)

    def get_team(self, team_id: str) -> Team | None:
        return Team("pr", "PR", lead="mira") if team_id == "pr" else None

    def members(self, team: str) -> list[Agent]:
        return [a for a in self.agents.values() if team in a.teams]


class Notifier:
    def __init__(self) -> None:
        self.notices: list[Notice] = []

    def notify(self, notice: Notice) -> None:
        self.notices.append(notice)


def desk(outcome: dict[str, Any] | Exception | None = None) -> tuple[Drafts, Store, Replies, Notifier]:
    message = Message(
        "inq-1", Channel.FACEBOOK, "c-1", Direction.IN, Author("cust-1", "Kim Kunde", "kim"), CUSTOMER_TEXT,
        Visibility.PUBLIC, NOW,
    )  # fmt: skip
    store, replies, notifier = Store([message]), Replies(outcome), Notifier()
    drafts = Drafts(store, lambda: replies, default_approval, Roster(), notifier, "https://console.example")
    return drafts, store, replies, notifier


def nobody_approves(team: str) -> bool:
    return False


def test_a_draft_that_needs_approval_waits_and_tells_the_approvers_without_customer_text():
    drafts, _store, replies, notifier = desk()
    draft = drafts.create(inquiry("P1"), AUTHOR, "Das tut uns leid.", None, nobody_approves)
    assert draft.status is DraftStatus.PENDING and draft.rule == "public-urgent" and draft.team == "pr"
    assert draft.visibility is Visibility.PUBLIC  # where the customer wrote
    assert replies.calls == []  # a draft sends nothing
    assert {(n.kind, n.recipient) for n in notifier.notices} == {
        ("approval_requested", "mira"),
        ("approval_requested", "oliver"),
    }
    for notice in notifier.notices:
        for text in (notice.subject, notice.email, notice.sms):
            assert "Kim" not in text and "Akku" not in text and "Das tut uns leid" not in text
    german = next(n for n in notifier.notices if n.recipient == "mira")
    assert "Freigabe" in german.email and "https://console.example/#/inquiries/inq-1" in german.email


def test_a_draft_that_needs_no_approval_is_a_draft_its_author_sends_once():
    drafts, _store, replies, notifier = desk()
    draft = drafts.create(inquiry("P4"), AUTHOR, "Gern geschehen!", None, nobody_approves)
    assert draft.status is DraftStatus.DRAFT and notifier.notices == []
    result, done = drafts.approve(inquiry("P4"), draft, AUTHOR)
    assert replies.calls == [("inq-1", "jonas", "Gern geschehen!", Visibility.PUBLIC)]
    assert result["status"] == "sent" and done.status is DraftStatus.PUBLISHED
    assert [e.action for e in done.history] == ["created", "sent", "published"]


def test_an_approvers_own_draft_needs_no_approval():
    drafts, *_ = desk()
    draft = drafts.create(inquiry("P1"), Actor("oliver"), "Wir sind dran.", None, lambda team: team == "pr")
    assert draft.status is DraftStatus.DRAFT and draft.rule is None


def test_approving_publishes_once_and_a_second_approval_of_the_same_version_is_a_conflict():
    drafts, _store, replies, _ = desk()
    draft = drafts.create(inquiry("P1"), AUTHOR, "Das tut uns leid.", None, nobody_approves)
    result, done = drafts.approve(inquiry("P1"), draft, APPROVER, "Das tut uns leid, wir melden uns per DM.")
    assert result["external_id"] == "c-out" and done.status is DraftStatus.PUBLISHED
    assert done.reply == {"id": "r-1", "status": "sent", "external_id": "c-out"}
    assert [(e.action, e.by) for e in done.history] == [
        ("created", "jonas"),
        ("edited", "mira"),
        ("approved", "mira"),
        ("published", "mira"),
    ]
    with pytest.raises(Conflict):  # oliver read it at the same version as mira
        drafts.approve(inquiry("P1"), draft, Actor("oliver", approver=True))
    assert len(replies.calls) == 1 and replies.calls[0][2] == "Das tut uns leid, wir melden uns per DM."


def test_a_closed_window_at_approval_leaves_the_draft_as_it_was():
    drafts, store, _replies, _ = desk(WindowClosed("the 24 hours are over", ["template"]))
    draft = drafts.create(inquiry("P1"), AUTHOR, "Hallo", None, nobody_approves)
    with pytest.raises(WindowClosed):
        drafts.approve(inquiry("P1"), draft, APPROVER)
    kept = store.drafts[draft.id]
    assert kept.status is DraftStatus.PENDING and [e.action for e in kept.history] == ["created"]


def test_rejecting_tells_the_author_and_their_edit_asks_the_approvers_again():
    drafts, _store, _, notifier = desk()
    draft = drafts.create(inquiry("P1"), AUTHOR, "Hallo", None, nobody_approves)
    notifier.notices.clear()
    back = drafts.reject(inquiry("P1"), draft, APPROVER, "Bitte ohne Schuldeingeständnis.")
    assert back.status is DraftStatus.REJECTED
    assert [(n.kind, n.recipient) for n in notifier.notices] == [("draft_rejected", "jonas")]
    assert "Schuldeingeständnis" not in notifier.notices[0].email  # the comment is read in the console
    notifier.notices.clear()
    again = drafts.edit(inquiry("P1"), back, AUTHOR, "Wir prüfen es.")
    assert again.status is DraftStatus.PENDING
    assert {n.recipient for n in notifier.notices} == {"mira", "oliver"}


def test_a_draft_too_long_for_its_channel_or_on_a_resolved_inquiry_is_refused():
    drafts, store, *_ = desk()
    with pytest.raises(BadRequest):
        drafts.create(inquiry("P4", Channel.X), AUTHOR, "x" * 281, Visibility.PUBLIC, nobody_approves)
    with pytest.raises(Conflict):
        drafts.create(inquiry(status=Status.RESOLVED), AUTHOR, "Hallo", None, nobody_approves)
    assert store.drafts == {}


def test_a_draft_written_without_approval_asks_for_it_when_the_policy_changed_since():
    drafts, store, replies, notifier = desk()
    draft = drafts.create(inquiry("P1"), AUTHOR, "Hallo", Visibility.PRIVATE, nobody_approves)
    assert draft.status is DraftStatus.DRAFT
    drafts.policy = lambda: ApprovalPolicy("v2", "pr", (Rule("all-facebook", channels=("facebook",)),))
    with pytest.raises(ApprovalRequired):
        drafts.approve(inquiry("P1"), draft, AUTHOR)
    assert replies.calls == [] and store.drafts[draft.id].status is DraftStatus.PENDING
    assert store.drafts[draft.id].rule == "all-facebook" and len(notifier.notices) == 2


def test_a_reply_that_needs_approval_is_refused_unless_an_approver_writes_it():
    drafts, *_ = desk()
    with pytest.raises(ApprovalRequired) as caught:
        drafts.check_reply(inquiry("P2"), Visibility.PUBLIC, nobody_approves)
    assert caught.value.reason == "approval_required" and caught.value.options == ["draft"]
    body = error_body(caught.value)  # what the replies route answers with the 409
    assert body["reason"] == "approval_required" and body["options"] == ["draft"]
    assert body["approval"] == {"rule": "public-urgent", "team": "pr"}
    drafts.check_reply(inquiry("P2"), Visibility.PUBLIC, lambda team: team == "pr")  # PR answers itself
    drafts.check_reply(inquiry("P3"), Visibility.PUBLIC, nobody_approves)


def test_approvers_are_the_teams_members_its_lead_and_admins():
    drafts, *_ = desk()
    assert drafts.is_approver("mira", admin=False) and drafts.is_approver("oliver", admin=False)
    assert not drafts.is_approver("jonas", admin=False)
    assert drafts.is_approver("someone", admin=True)

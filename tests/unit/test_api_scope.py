"""Who sees and works on which inquiry, which index a queue page reads, and bodies refused before any
change: the agent API's scoping on an in-memory organisation and store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from kanal.adapters.inquiry_store import BY_ASSIGNEE, BY_QUEUE, QueueFilter
from kanal.api.auth import Caller
from kanal.api.queries import Queries
from kanal.api.scope import Scopes
from kanal.api.work import Work
from kanal.errors import BadRequest, Forbidden, InvalidDocument, NotFound
from kanal.model import (
    Author,
    Channel,
    Draft,
    DraftStatus,
    Escalation,
    Inquiry,
    Note,
    Rating,
    Status,
    Visibility,
)
from kanal.routing.roster import Agent, Team
from tests.fakes import FakeOrganisation, at

ADMIN = Caller("admin", frozenset({"agents", "leads", "admins"}))
LENA = Caller("lena", frozenset({"agents", "leads"}))  # leads social
TOBIAS = Caller("tobias", frozenset({"agents", "leads"}))  # leads billing
JONAS = Caller("jonas", frozenset({"agents"}))  # social
AMELIA = Caller("amelia", frozenset({"agents"}))  # social
SOPHIE = Caller("sophie", frozenset({"agents"}))  # billing
STRANGER = Caller("stranger", frozenset({"agents"}))  # signed in, but no profile


@pytest.fixture
def org() -> FakeOrganisation:
    return FakeOrganisation(
        teams=[
            Team("social", "Social care", lead="lena", order=10),
            Team("billing", "Billing", lead="tobias", order=20),
        ],
        agents=[
            Agent("lena", "Lena", teams=("social",), groups=("agents", "leads")),
            Agent("jonas", "Jonas", teams=("social",)),
            Agent("amelia", "Amelia", teams=("social",)),
            Agent("tobias", "Tobias", teams=("billing",), groups=("agents", "leads")),
            Agent("sophie", "Sophie", teams=("billing",)),
            Agent("admin", "Admin", groups=("agents", "leads", "admins")),
        ],
    )


def inquiry(team: str | None = "social", assignee: str | None = "jonas", **fields: Any) -> Inquiry:
    return Inquiry(
        id="inq-1",
        channel=Channel.MESSENGER,
        external_id="m_1",
        author=Author("123", "Kim"),
        text="Hallo",
        visibility=Visibility.PRIVATE,
        thread_id="123",
        account_id="page-1",
        customer_id="c-1",
        created_at=at(0),
        received_at=at(0),
        status=Status.ASSIGNED if assignee else Status.QUEUED,
        assignee=assignee,
        team=team,
        **fields,
    )


# ---------------------------------------------------------------- who sees an inquiry
@pytest.mark.parametrize(
    ("caller", "seen", "subject"),
    [
        (JONAS, inquiry(), True),
        (AMELIA, inquiry(), True),  # a colleague in the team
        (LENA, inquiry(), True),
        (ADMIN, inquiry(), True),
        (SOPHIE, inquiry(), False),  # another team's agent
        (TOBIAS, inquiry(), False),  # another team's lead
        (STRANGER, inquiry(), False),
        (SOPHIE, inquiry(team="social", assignee="sophie"), True),  # what one owns
        (TOBIAS, inquiry(escalations=(Escalation(1, at(5), ("tobias",)),)), True),  # told as a lead
        (SOPHIE, inquiry(escalations=(Escalation(1, at(5), ("sophie",)),)), False),  # not a lead
        (LENA, inquiry(team="triage", assignee=None), False),  # triage is the admins'
        (ADMIN, inquiry(team="triage", assignee=None), True),
    ],
)
def test_an_inquiry_is_seen_by_its_teams_its_owner_told_leads_and_admins(org, caller, seen, subject):
    assert Scopes(org).of(caller).sees(seen) is subject


# ---------------------------------------------------------------- queue pages
class RecordingStore:
    """Records the queue reads a page makes; answers with nothing."""

    def __init__(self, inquiries: dict[str, Inquiry] | None = None) -> None:
        self.reads: list[tuple[list[str], int, str | None, str, QueueFilter | None]] = []
        self.inquiries = inquiries or {}
        self.notes: list[Note] = []
        self.drafts: list[Draft] = []
        self.contacts_read: list[tuple[str, datetime | None, int | None]] = []

    def queue(self, partitions, limit, cursor, index=BY_QUEUE, narrow=None):
        self.reads.append((partitions, limit, cursor, index, narrow))
        return [], None

    def get_inquiry(self, inquiry_id: str) -> Inquiry | None:
        return self.inquiries.get(inquiry_id)

    def thread_of(self, inquiry_id: str):
        return [], [note for note in self.notes if note.inquiry_id == inquiry_id]

    def conversation_of(self, inquiry_id: str):
        messages, notes = self.thread_of(inquiry_id)
        return messages, notes, [d for d in self.drafts if d.inquiry_id == inquiry_id]

    def contacts(self, customer_id, since=None, limit=None):
        self.contacts_read.append((customer_id, since, limit))
        return []

    def add_note(self, note: Note, channel: str) -> None:
        self.notes.append(note)


def read(org, caller: Caller, **params: str) -> tuple[list[str], str, QueueFilter]:
    store = RecordingStore()
    Queries(store, org).list_inquiries(caller, params)  # type: ignore[arg-type]
    ((partitions, _, _, index, narrow),) = store.reads
    return partitions, index, narrow


def test_an_agent_reads_their_teams_open_queues_by_default(org):
    partitions, index, narrow = read(org, JONAS)
    assert index == BY_QUEUE and narrow == QueueFilter()
    assert sorted(partitions) == [f"social#{s}" for s in ("assigned", "new", "queued", "waiting")]


def test_an_admin_reads_every_queue_and_triage(org):
    partitions, _, _ = read(org, ADMIN, status="queued")
    assert partitions == ["social#queued", "billing#queued", "triage#queued"]


def test_a_signed_in_caller_without_teams_reads_no_queue(org):
    assert read(org, STRANGER)[0] == []


def test_assignee_me_reads_the_callers_own_inquiries_from_the_assignee_index(org):
    partitions, index, narrow = read(org, SOPHIE, assignee="me", status="open")
    assert index == BY_ASSIGNEE and narrow.teams is None
    assert sorted(partitions) == ["sophie#assigned", "sophie#waiting"]  # an owner's are never new or queued


def test_another_agents_inquiries_are_read_only_within_the_callers_teams(org):
    partitions, index, narrow = read(org, LENA, assignee="sophie", breached="true", channel="x")
    assert index == BY_ASSIGNEE and partitions[0].startswith("sophie#")
    assert narrow == QueueFilter(band=None, channel="x", teams=("social",), breached=True)


def test_the_band_is_a_key_condition_and_the_rest_a_filter(org):
    _, _, narrow = read(org, LENA, band="P1", breached="false", team="social")
    assert narrow.band == "P1" and narrow.breached is False
    assert QueueFilter(band="P1").condition() is None  # the band narrows the key, not a filter
    condition = QueueFilter(channel="x", teams=("social", "pr"), breached=True).condition()
    assert condition is not None
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    expression = condition.serialize(names, values)
    assert set(names) == {"channel", "team", "breached"} and " IN " in expression


@pytest.mark.parametrize(
    ("caller", "params", "error", "fragment"),
    [
        (JONAS, {"status": "lost"}, BadRequest, "status"),
        (JONAS, {"band": "P7"}, BadRequest, "band"),
        (JONAS, {"channel": "fax"}, BadRequest, "channel"),
        (JONAS, {"breached": "yes"}, BadRequest, "breached"),
        (JONAS, {"assignee": "nobody"}, BadRequest, "assignee"),
        (JONAS, {"team": "nowhere"}, BadRequest, "team"),
        (JONAS, {"stauts": "queued"}, BadRequest, "stauts"),
        (JONAS, {"team": "billing"}, Forbidden, "billing"),
        (LENA, {"team": "triage"}, Forbidden, "triage"),
    ],
)
def test_an_unknown_filter_value_is_a_400_and_another_teams_queue_a_403(org, caller, params, error, fragment):
    store = RecordingStore()
    with pytest.raises(error) as caught:
        Queries(store, org).list_inquiries(caller, params)  # type: ignore[arg-type]
    assert fragment in str(caught.value) and store.reads == []


def test_the_detail_of_another_teams_inquiry_answers_as_one_that_does_not_exist(org):
    store = RecordingStore({"inq-1": inquiry()})
    queries = Queries(store, org)  # type: ignore[arg-type]
    with pytest.raises(NotFound) as hidden:
        queries.detail(SOPHIE, "inq-1")
    with pytest.raises(NotFound) as missing:
        queries.detail(SOPHIE, "inq-2")
    assert str(hidden.value).replace("inq-1", "X") == str(missing.value).replace("inq-2", "X")
    assert queries.detail(JONAS, "inq-1")["notes"] == []
    ((customer, since, limit),) = store.contacts_read
    assert customer == "c-1" and limit == 100 and since is not None
    assert 89 <= (datetime.now(UTC) - since).days <= 90


def test_an_approver_sees_another_teams_inquiry_only_while_it_has_a_draft(org):
    store = RecordingStore({"inq-1": inquiry()})
    queries = Queries(store, org, approves=lambda caller, team: caller == SOPHIE)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        queries.detail(SOPHIE, "inq-1")  # no draft to approve: as any other team's inquiry
    store.drafts.append(
        Draft("d-1", "inq-1", "jonas", "Hallo", Visibility.PRIVATE, DraftStatus.PENDING, datetime.now(UTC))
    )
    shown = queries.detail(SOPHIE, "inq-1")
    assert [(d["id"], d["status"], d["author"]) for d in shown["drafts"]] == [("d-1", "pending", "jonas")]
    with pytest.raises(NotFound):
        queries.detail(STRANGER, "inq-1")


def test_the_detail_says_for_each_draft_whether_the_caller_approves_for_its_team(org):
    # Given an inquiry of social with a draft for pr, one that needed no approval (the policy's team, pr,
    # approves it) and one for a team an older policy named
    store = RecordingStore({"inq-1": inquiry()})
    now = datetime.now(UTC)
    store.drafts += [
        Draft("d-1", "inq-1", "jonas", "Hallo", Visibility.PUBLIC, DraftStatus.PENDING, now, "r", "pr"),
        Draft("d-2", "inq-1", "jonas", "Tschüss", Visibility.PRIVATE, DraftStatus.DRAFT, now),
        Draft("d-3", "inq-1", "jonas", "Servus", Visibility.PUBLIC, DraftStatus.PENDING, now, "r", "legal"),
    ]
    asked: list[tuple[str, str | None]] = []

    def approves(caller: Caller, team: str | None) -> bool:  # sophie approves for pr, the policy's team
        asked.append((caller.agent_id, team))
        return caller == SOPHIE and team in ("pr", None)

    queries = Queries(store, org, approves=approves)  # type: ignore[arg-type]
    # Then sophie may approve pr's drafts and not legal's; jonas, their author, approves none
    shown = {d["id"]: d["can_approve"] for d in queries.detail(SOPHIE, "inq-1")["drafts"]}
    assert shown == {"d-1": True, "d-2": True, "d-3": False}
    mine = {d["id"]: d["can_approve"] for d in queries.detail(JONAS, "inq-1")["drafts"]}
    assert mine == {"d-1": False, "d-2": False, "d-3": False}
    # and the roster is asked once per team and caller, not once per draft
    assert asked.count(("sophie", "pr")) == 1 and asked.count(("jonas", "legal")) == 1
    # and without an approval service nobody approves
    plain = Queries(store, org)  # type: ignore[arg-type]
    assert [d["can_approve"] for d in plain.detail(JONAS, "inq-1")["drafts"]] == [False, False, False]


# ---------------------------------------------------------------- what each role may do
class RecordingRouting:
    def __init__(self, store: RecordingStore) -> None:
        self.store = store
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def _did(self, name: str, *args: Any) -> Inquiry:
        self.calls.append((name, args))
        return self.store.inquiries[args[0]]

    def claim(self, inquiry_id, agent_id):
        return self._did("claim", inquiry_id, agent_id)

    def resolved(self, inquiry_id):
        return self._did("resolved", inquiry_id)

    def assign(self, inquiry_id, agent_id):
        return self._did("assign", inquiry_id, agent_id)

    def transfer(self, inquiry_id, by, note, to_agent=None, to_team=None):
        return self._did("transfer", inquiry_id, by, note, to_agent, to_team)

    def wait(self, inquiry_id):
        return self._did("wait", inquiry_id)

    def reopen(self, inquiry_id):
        return self._did("reopen", inquiry_id)


class RecordingRatings:
    def __init__(self) -> None:
        self.rated: list[tuple[str, int, int | None]] = []

    def rate(self, inquiry_id, score, nps, at_):
        self.rated.append((inquiry_id, score, nps))
        return Rating(score, at_, "jonas", nps)


ACTIONS: dict[str, tuple[str, Any]] = {
    "claim": ("claim", None),
    "notes": ("add_note", {"text": "Kunde ist Stammkunde"}),
    "reopen": ("reopen", None),
    "resolve": ("resolve", None),
    "wait": ("wait", None),
    "transfer": ("transfer", {"to_team": "billing", "note": "Rechnungsfrage"}),
    "assign": ("assign", {"to": "amelia"}),
    "csat": ("rate", {"score": 4, "nps": 9}),
}
# action -> callers allowed, on an inquiry of social owned by jonas (everyone else in scope: 403)
ALLOWED = {
    "claim": {JONAS, AMELIA, LENA, ADMIN},
    "notes": {JONAS, AMELIA, LENA, ADMIN},
    "reopen": {JONAS, AMELIA, LENA, ADMIN},
    "resolve": {JONAS, LENA, ADMIN},
    "wait": {JONAS, LENA, ADMIN},
    "transfer": {JONAS, LENA, ADMIN},
    "assign": {LENA, ADMIN},
    "csat": {LENA, ADMIN},
}


def act(org, caller: Caller, action: str, seen: Inquiry | None = None):
    store = RecordingStore({"inq-1": seen or inquiry()})
    routing = RecordingRouting(store)
    ratings = RecordingRatings()
    work = Work(store, org, lambda: routing, lambda: routing, ratings)  # type: ignore[arg-type]
    method, body = ACTIONS[action]
    args = ("inq-1",) if body is None else ("inq-1", body)
    try:
        outcome: Any = getattr(work, method)(caller, *args)
    except (Forbidden, NotFound, InvalidDocument) as error:
        outcome = error
    return outcome, routing.calls, store.notes, ratings.rated


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("caller", [JONAS, AMELIA, LENA, ADMIN, SOPHIE, TOBIAS], ids=lambda c: c.agent_id)
def test_each_action_by_each_role(org, action, caller):
    outcome, calls, notes, rated = act(org, caller, action)
    if caller in ALLOWED[action]:
        assert not isinstance(outcome, Exception), outcome
        assert calls or notes or rated
    else:
        expected = Forbidden if caller in (AMELIA, JONAS, LENA) else NotFound
        assert isinstance(outcome, expected), (action, caller, outcome)
        assert (calls, notes, rated) == ([], [], [])


def test_a_lead_told_by_an_escalation_acts_as_the_teams_lead(org):
    told = inquiry(escalations=(Escalation(1, at(5), ("tobias",)),))
    outcome, calls, _, _ = act(org, TOBIAS, "assign", told)
    assert not isinstance(outcome, Exception) and calls == [("assign", ("inq-1", "amelia"))]


@pytest.mark.parametrize(
    ("action", "body", "fragments"),
    [
        ("assign", {}, ["'to' is a required property"]),
        ("assign", {"to": "nobody"}, ["$.to: agent nobody does not exist"]),
        ("assign", {"to": "sophie"}, ["$.to: agent sophie is not in team social"]),
        ("transfer", {"note": "x"}, ["$: must have to_agent or to_team"]),
        ("transfer", {"to_team": "billing"}, ["'note' is a required property"]),
        ("transfer", {"to_team": "billing", "note": "   "}, ["$.note: must match"]),
        ("transfer", {"to_team": "nowhere", "to_agent": "ghost", "note": "x"}, ["$.to_team", "$.to_agent"]),
        ("transfer", {"to_team": "billing", "to_agent": "amelia", "note": "x"}, ["not in team billing"]),
        ("transfer", {"to_agent": "admin", "note": "x"}, ["$.to_agent: agent admin is in no team"]),
        ("notes", {"text": ""}, ["$.text: must not be empty"]),
        ("notes", {"text": "x" * 4001}, ["$.text: must be at most 4000 characters"]),
        ("notes", [], ["$: must be of type object"]),
        ("csat", {"score": 6}, ["$.score: must be at most 5"]),
        ("csat", {"score": 0, "nps": 11}, ["$.score: must be at least 1", "$.nps: must be at most 10"]),
        ("csat", {"score": True}, ["$.score: must be of type integer"]),
        ("csat", {"score": 3, "comment": "nett"}, ["Additional properties"]),
    ],
)
def test_a_bad_body_lists_its_problems_and_changes_nothing(org, action, body, fragments):
    store = RecordingStore({"inq-1": inquiry()})
    routing = RecordingRouting(store)
    ratings = RecordingRatings()
    work = Work(store, org, lambda: routing, lambda: routing, ratings)  # type: ignore[arg-type]
    with pytest.raises(InvalidDocument) as caught:
        getattr(work, ACTIONS[action][0])(ADMIN, "inq-1", body)
    joined = "; ".join(caught.value.errors)
    assert all(fragment in joined for fragment in fragments), joined
    assert (routing.calls, store.notes, ratings.rated) == ([], [], [])


def test_a_transfer_to_an_agent_stays_in_the_inquirys_team_when_they_are_in_it(org):
    org.agent_items["amelia"] = replace(org.agent_items["amelia"], teams=("billing", "social"))
    _, calls, notes, _ = act(org, JONAS, "transfer")
    assert calls == [("transfer", ("inq-1", "jonas", "Rechnungsfrage", None, "billing"))]
    assert [(n.kind, n.author, n.text) for n in notes] == [("transfer", "jonas", "Rechnungsfrage")]
    store = RecordingStore({"inq-1": inquiry()})
    routing = RecordingRouting(store)
    Work(store, org, lambda: routing, lambda: routing, RecordingRatings()).transfer(  # type: ignore[arg-type]
        JONAS, "inq-1", {"to_agent": "amelia", "note": "Bitte übernehmen"}
    )
    assert routing.calls == [("transfer", ("inq-1", "jonas", "Bitte übernehmen", "amelia", "social"))]

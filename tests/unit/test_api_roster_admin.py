"""Who may read and change agents and teams through the agent API, on an in-memory organisation."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from kanal.api.auth import Caller
from kanal.api.roster_admin import OrganisationApi
from kanal.api.work import Work
from kanal.errors import Conflict, Forbidden, InvalidDocument, NotFound
from kanal.model import Author, Channel, Inquiry, Status, Visibility
from kanal.routing.roster import Agent, AgentStatus, Figures, Team
from tests.fakes import FakeOrganisation, at

ADMIN = Caller("admin", frozenset({"agents", "leads", "admins"}))
LENA = Caller("lena", frozenset({"agents", "leads"}))  # leads social
TOBIAS = Caller("tobias", frozenset({"agents", "leads"}))  # leads billing
JONAS = Caller("jonas", frozenset({"agents"}))


@pytest.fixture
def org() -> FakeOrganisation:
    return FakeOrganisation(
        teams=[
            Team("social", "Social care", lead="lena", calendar="round-the-clock", order=10),
            Team("billing", "Billing", lead="tobias", order=20),
        ],
        agents=[
            Agent("lena", "Lena", teams=("social",), groups=("agents", "leads"), status=AgentStatus.ONLINE),
            Agent("jonas", "Jonas", teams=("social",), figures=Figures(open_caseload=2)),
            Agent("amelia", "Amelia", teams=("social",)),
            Agent("both", "Bo", teams=("social", "billing")),
            Agent("tobias", "Tobias", teams=("billing",), groups=("agents", "leads")),
            Agent("sophie", "Sophie", teams=("billing",)),
            Agent("admin", "Admin", groups=("agents", "leads", "admins")),
        ],
    )


@pytest.fixture
def api(org: FakeOrganisation) -> OrganisationApi:
    return OrganisationApi(org, org, lambda: org, calendars=lambda: {"round-the-clock", "office"})


def new_agent(ident: str = "nina", **fields: Any) -> dict[str, Any]:
    return {"id": ident, "name": "Nina Weber", "teams": ["social"], "groups": ["agents"], **fields}


def ids(listing: dict[str, Any]) -> list[str]:
    return [item["id"] for item in listing["items"]]


# ---------------------------------------------------------------- listing agents
def test_an_admin_lists_every_agent_a_lead_the_agents_of_their_teams_an_agent_nobody(api):
    assert ids(api.list_agents(ADMIN)) == ["admin", "amelia", "both", "jonas", "lena", "sophie", "tobias"]
    assert ids(api.list_agents(LENA)) == ["amelia", "both", "jonas", "lena"]
    with pytest.raises(Forbidden):
        api.list_agents(JONAS)


def test_a_listed_agent_carries_profile_status_caseload_and_figures(api):
    jonas = next(item for item in api.list_agents(LENA)["items"] if item["id"] == "jonas")
    assert jonas["status"] == "offline" and jonas["open_caseload"] == 2
    assert jonas["skills"] == {"channels": [], "languages": [], "topics": []}
    assert jonas["figures"] == {"average_first_response_seconds": None, "csat": None, "first_responses": 0}
    assert {"email", "phone", "language", "max_concurrent", "teams", "groups"} <= set(jonas)


# ---------------------------------------------------------------- creating and changing agents
def test_a_lead_creates_an_agent_in_their_team_who_starts_offline(api, org):
    created = api.create_agent(LENA, new_agent(status="online", phone="+4915112345678"))
    assert created["id"] == "nina" and created["status"] == "offline"
    assert org.agent_items["nina"].phone == "+4915112345678"


@pytest.mark.parametrize(
    "body",
    [
        new_agent(teams=["billing"]),
        new_agent(teams=["social", "billing"]),
        new_agent(teams=[]),
        new_agent(groups=["agents", "leads"]),
        new_agent(groups=["admins"]),
    ],
    ids=["other-team", "partly-other-team", "no-team", "grants-leads", "grants-admins"],
)
def test_a_lead_may_not_create_an_agent_outside_their_teams_or_with_more_rights(api, org, body):
    with pytest.raises(Forbidden):
        api.create_agent(LENA, body)
    assert "nina" not in org.agent_items


def test_an_agent_may_not_create_agents_and_an_admin_creates_anywhere(api, org):
    with pytest.raises(Forbidden):
        api.create_agent(JONAS, new_agent())
    assert api.create_agent(ADMIN, new_agent(teams=["social", "billing"], groups=["agents", "leads"]))


def test_an_existing_id_is_a_conflict_and_an_unknown_team_a_bad_request(api, org):
    with pytest.raises(Conflict):
        api.create_agent(ADMIN, new_agent("jonas"))
    with pytest.raises(InvalidDocument) as caught:
        api.create_agent(ADMIN, new_agent(teams=["social", "nowhere"]))
    assert caught.value.errors == ["$.teams[1]: team nowhere does not exist"]
    assert org.agent_items["jonas"].name == "Jonas" and "nina" not in org.agent_items


def test_a_lead_changes_an_agent_of_their_team_who_keeps_status_and_figures(api, org):
    changed = api.update_agent(LENA, "jonas", {"name": "Jonas B.", "teams": ["social"], "status": "away"})
    assert changed["name"] == "Jonas B." and changed["status"] == "offline" and changed["open_caseload"] == 2
    assert org.agent_items["jonas"].name == "Jonas B."


def test_a_lead_changes_themself_as_long_as_they_keep_their_groups(api, org):
    me = {"name": "Lena H.", "teams": ["social"], "groups": ["agents", "leads"]}
    assert api.update_agent(LENA, "lena", me)["name"] == "Lena H."
    with pytest.raises(Forbidden):
        api.update_agent(LENA, "lena", {**me, "groups": ["agents"]})


@pytest.mark.parametrize(
    ("agent_id", "body"),
    [
        ("sophie", {"name": "S", "teams": ["billing"]}),  # another team's agent
        ("sophie", {"name": "S", "teams": ["social"]}),  # ... taken into the lead's team
        ("both", {"name": "B", "teams": ["social", "billing"]}),  # only partly in the lead's teams
        ("jonas", {"name": "J", "teams": ["billing"]}),  # moved out of the lead's teams
        ("jonas", {"name": "J", "teams": ["social"], "groups": ["agents", "leads"]}),  # promoted
        ("admin", {"name": "A", "teams": ["social"], "groups": ["agents"]}),  # in no team
    ],
)
def test_a_lead_may_not_change_an_agent_beyond_their_teams(api, org, agent_id, body):
    before = dict(org.agent_items)
    with pytest.raises(Forbidden):
        api.update_agent(LENA, agent_id, body)
    assert org.agent_items == before


def test_changing_an_unknown_agent_is_a_404_and_a_different_id_in_the_body_a_400(api, org):
    with pytest.raises(NotFound):
        api.update_agent(ADMIN, "nobody", {"name": "N"})
    with pytest.raises(InvalidDocument) as caught:
        api.update_agent(ADMIN, "jonas", {"id": "amelia", "name": "J"})
    assert caught.value.errors == ["$.id: must be the id in the path"]
    assert org.agent_items["amelia"].name == "Amelia"


def test_every_problem_of_an_agent_is_listed_without_echoing_a_value(api, org):
    body = {
        "id": "Nina!",
        "name": "",
        "email": "nina.weber.example",
        "phone": "0151 1234567",
        "language": "fr",
        "groups": ["agents", "owners"],
        "skills": {"channels": ["fax"]},
        "max_concurrent": 80,
        "nickname": "nin",
    }
    with pytest.raises(InvalidDocument) as caught:
        api.create_agent(ADMIN, body)
    errors = caught.value.errors
    fields = ("$.id", "$.name", "$.email", "$.phone", "$.language", "$.groups[1]")
    for field in (*fields, "$.skills.channels[0]", "$.max_concurrent", "nickname"):
        assert any(error.startswith(field) or field in error for error in errors), (field, errors)
    assert not any("nina.weber.example" in error or "1234567" in error for error in errors)


def test_an_id_with_a_trailing_newline_is_not_an_id(api, org):
    with pytest.raises(InvalidDocument):
        api.create_agent(ADMIN, new_agent("nina\n"))
    with pytest.raises(InvalidDocument):
        api.create_agent(ADMIN, new_agent(phone="+4915112345678\n"))


@pytest.mark.parametrize("body", [None, [], "agent", 7])
def test_a_body_that_is_not_an_object_is_a_bad_request(api, body):
    with pytest.raises(InvalidDocument) as caught:
        api.create_agent(ADMIN, body)
    assert caught.value.errors == ["$: must be of type object"]


# ---------------------------------------------------------------- status
def test_an_agent_changes_their_own_status_and_routing_hears_of_it(api, org):
    assert api.set_status(JONAS, "jonas", {"status": "online"})["status"] == "online"
    assert org.status_changes == [("jonas", AgentStatus.ONLINE)]


def test_a_lead_of_their_team_and_an_admin_change_an_agents_status_others_may_not(api, org):
    assert api.set_status(LENA, "both", {"status": "away"})["status"] == "away"
    assert api.set_status(TOBIAS, "both", {"status": "online"})["status"] == "online"
    assert api.set_status(ADMIN, "jonas", {"status": "away"})["status"] == "away"
    for caller, agent_id in ((JONAS, "amelia"), (TOBIAS, "jonas"), (LENA, "sophie")):
        with pytest.raises(Forbidden):
            api.set_status(caller, agent_id, {"status": "offline"})
    assert len(org.status_changes) == 3


@pytest.mark.parametrize(
    "body", [{"status": "busy"}, {}, {"status": "online", "until": "5pm"}, {"status": None}, "online"]
)
def test_a_wrong_status_body_is_a_bad_request_and_changes_nothing(api, org, body):
    with pytest.raises(InvalidDocument):
        api.set_status(JONAS, "jonas", body)
    assert org.status_changes == [] and org.agent_items["jonas"].status is AgentStatus.OFFLINE


def test_the_status_of_an_unknown_agent_is_a_404(api):
    with pytest.raises(NotFound):
        api.set_status(ADMIN, "nobody", {"status": "online"})


# ---------------------------------------------------------------- teams
def test_every_agent_lists_the_teams_with_their_settings(api):
    teams = api.list_teams(JONAS)["items"]
    assert [t["id"] for t in teams] == ["social", "billing"]
    assert teams[0] == {
        "id": "social",
        "name": "Social care",
        "lead": "lena",
        "channels": [],
        "languages": [],
        "topics": [],
        "calendar": "round-the-clock",
        "escalation_chain": [],
        "order": 10,
    }


def test_only_admins_create_teams(api, org):
    team = {"id": "returns", "name": "Returns", "lead": "tobias", "channels": ["email"], "order": 40}
    with pytest.raises(Forbidden):
        api.create_team(LENA, team)
    assert api.create_team(ADMIN, team)["lead"] == "tobias"
    with pytest.raises(Conflict):
        api.create_team(ADMIN, team)


def test_a_whole_number_written_with_a_fraction_is_an_integer(api, org):
    # JSON Schema counts 44.0 as an integer; it was validated, then int("44.0") answered 500
    assert api.create_agent(ADMIN, new_agent(max_concurrent=44.0))["max_concurrent"] == 44
    assert api.create_team(ADMIN, {"id": "returns", "name": "Returns", "order": 40.0})["order"] == 40


def test_a_lead_changes_their_team_but_does_not_hand_it_over(api, org):
    social = {"name": "Social", "lead": "lena", "channels": ["x"], "escalation_chain": ["lead", "ops"]}
    assert api.update_team(LENA, "social", social)["channels"] == ["x"]
    with pytest.raises(Forbidden):
        api.update_team(LENA, "social", {**social, "lead": "tobias"})
    with pytest.raises(Forbidden):
        api.update_team(LENA, "billing", {"name": "Billing", "lead": "tobias"})
    with pytest.raises(Forbidden):
        api.update_team(JONAS, "social", social)
    assert org.team_items["social"].lead == "lena" and org.team_items["billing"].name == "Billing"
    assert api.update_team(ADMIN, "social", {**social, "lead": "tobias"})["lead"] == "tobias"


def test_a_team_names_only_agents_leads_and_calendars_that_exist(api, org):
    team = {
        "name": "Social",
        "lead": "jonas",
        "calendar": "weekends",
        "escalation_chain": ["lead", "nobody"],
    }
    with pytest.raises(InvalidDocument) as caught:
        api.update_team(ADMIN, "social", team)
    assert caught.value.errors == [
        "$.lead: agent jonas is not in the leads group",
        "$.escalation_chain[1]: nobody is neither lead, owner, ops nor an agent",
        "$.calendar: the rules have no calendar weekends",
    ]
    with pytest.raises(InvalidDocument, match="does not exist"):
        api.update_team(ADMIN, "social", {**team, "lead": "ghost", "calendar": None, "escalation_chain": []})
    with pytest.raises(NotFound):
        api.update_team(ADMIN, "nowhere", {"name": "N"})
    assert org.team_items["social"].lead == "lena"


def test_every_problem_of_a_team_is_listed(api):
    with pytest.raises(InvalidDocument) as caught:
        api.create_team(ADMIN, {"id": "-x", "channels": ["fax", "x", "x"], "languages": ["fr"], "order": -1})
    joined = " ".join(caught.value.errors)
    for fragment in ("'name' is a required property", "$.id", "$.channels", "$.languages[0]", "$.order"):
        assert fragment in joined, caught.value.errors


# ---------------------------------------------------------------- resolving
class FakeRouting:
    def __init__(self, inquiry: Inquiry) -> None:
        self.inquiry = inquiry

    def claim(self, inquiry_id: str, agent_id: str) -> Inquiry:
        raise NotImplementedError

    def resolved(self, inquiry_id: str) -> Inquiry:
        self.inquiry = replace(self.inquiry, status=Status.RESOLVED)
        return self.inquiry


def inquiry(assignee: str | None) -> Inquiry:
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
        team="social",
    )


@pytest.mark.parametrize(
    ("assignee", "caller", "refused"),
    [
        ("jonas", JONAS, None),
        (None, JONAS, None),
        ("amelia", JONAS, Forbidden),
        ("amelia", LENA, None),
        ("amelia", TOBIAS, NotFound),  # another team's inquiry: as if it did not exist
        ("amelia", ADMIN, None),
    ],
)
def test_the_owner_a_lead_of_the_team_or_an_admin_resolves_an_inquiry(org, assignee, caller, refused):
    routing = FakeRouting(inquiry(assignee))
    store = type("Store", (), {"get_inquiry": lambda self, _: routing.inquiry})()
    work = Work(store, org, lambda: routing, lambda: routing, ratings=None)  # type: ignore[arg-type]
    if refused is None:
        assert work.resolve(caller, "inq-1")["status"] == "resolved"
    else:
        with pytest.raises(refused):
            work.resolve(caller, "inq-1")
        assert routing.inquiry.status is not Status.RESOLVED

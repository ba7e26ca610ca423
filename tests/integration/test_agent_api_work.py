"""Work on an inquiry through the agent API on the running stack, over HTTP: who may do what (routes by
roles), the queue's filters and cursor pages, concurrent claims, resolve and reopen, transfers with a note,
internal notes, waiting on the customer, the customer's timeline and their rating.

The module brings an office of its own: teams that take the inquiries naming a word only this module uses
(a topic rule), their agents and leads, and an admin with room for inquiries, so no seeded agent's
capacity and no other test's inquiry is in play. At the end the rules are restored and its agents go
offline.
"""

from __future__ import annotations

import copy
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from tests import tokens
from tests.conftest import eventually
from tests.integration.test_routing_paths import detail, execution_status, notices, post_meta
from tests.signing import contact_events_headers

TAG = uuid.uuid4().hex[:8]


@dataclass
class Desk:
    team: str
    lead: str
    word: str
    agents: list[str] = field(default_factory=list)


@dataclass
class Office:
    a: Desk  # ana and ben take its inquiries; cy is online for e-mail only (a target); eve is offline
    b: Desk  # dora
    race: Desk  # two agents, offline while inquiries arrive: those wait in the queue
    pages: Desk  # nobody: every inquiry waits in the queue
    admin: str
    cy: str
    eve: str


def bearer(agent_id: str, groups: list[str] | None = None) -> dict[str, str]:
    return tokens.bearer(agent_id, groups)


LEAD_GROUPS = ["agents", "leads"]
ADMIN_GROUPS = ["agents", "leads", "admins"]


@pytest.fixture(scope="module")
def office(local) -> Iterator[Office]:
    from kanal.adapters.roster_store import OrganisationStore
    from kanal.routing.roster import Agent, AgentStatus, Skills, Team
    from kanal.routing.staffing import Organisation
    from kanal.routing.wiring import assigner, identities, notifier

    admin_headers = tokens.bearer("admin")
    before = requests.get(f"{local.url}/api/rules", headers=admin_headers, timeout=10).json()
    document = copy.deepcopy(before["document"])
    document["version"] = f"work-{TAG}"
    document["default_calendar"] = "round-the-clock"
    for rule in document["rules"]:
        if rule["type"] == "channel":  # WhatsApp: a day (24 minutes here); Messenger: a minute (a second)
            rule["sla_minutes"]["whatsapp"] = dict.fromkeys(("P1", "P2", "P3", "P4"), 1440)
            rule["sla_minutes"]["messenger"] = dict.fromkeys(("P1", "P2", "P3", "P4"), 1)
    desks = {
        name: Desk(f"{name}-{TAG}", f"lead{name}-{TAG}", f"zq{name}{TAG}") for name in ("a", "b", "r", "p")
    }
    for desk in desks.values():
        document["rules"].append(
            {
                "id": f"topic.{desk.team}",
                "type": "content",
                "weight": 1,
                "terms": {"en": [desk.word], "de": [desk.word]},
            }
        )
    answer = requests.put(f"{local.url}/api/rules", json=document, headers=admin_headers, timeout=10)
    assert answer.status_code == 200, answer.text

    organisation = Organisation(OrganisationStore(), notifier(), identities())  # they can sign in
    for desk in desks.values():
        organisation.save_agent(
            Agent(desk.lead, "Lead", f"{desk.lead}@velora.example", groups=tuple(LEAD_GROUPS)), create=True
        )
        # order 5000: the desk wins only the inquiries naming its word, never another test's
        organisation.save_team(
            Team(desk.team, desk.team, lead=desk.lead, topics=(f"topic.{desk.team}",), order=5000),
            create=True,
        )

    def agent(ident: str, desk: Desk, status: AgentStatus, **fields: Any) -> str:
        organisation.save_agent(
            Agent(
                ident,
                ident.split("-")[0].title(),
                f"{ident}@velora.example",
                teams=(desk.team,),
                max_concurrent=50,
                status=status,
                **fields,
            ),
            create=True,
        )
        desk.agents.append(ident)
        return ident

    online, offline = AgentStatus.ONLINE, AgentStatus.OFFLINE
    agent(f"ana-{TAG}", desks["a"], online)
    agent(f"ben-{TAG}", desks["a"], online)
    cy = agent(f"cy-{TAG}", desks["a"], online, skills=Skills(channels=("email",)))
    eve = agent(f"eve-{TAG}", desks["a"], offline)
    agent(f"dora-{TAG}", desks["b"], online)
    agent(f"rita-{TAG}", desks["r"], offline)
    agent(f"rolf-{TAG}", desks["r"], offline)
    admin = f"boss-{TAG}"
    organisation.save_agent(
        Agent(
            admin,
            "Boss",
            f"{admin}@velora.example",
            groups=tuple(ADMIN_GROUPS),
            max_concurrent=50,
            status=online,
        ),
        create=True,
    )
    yield Office(desks["a"], desks["b"], desks["r"], desks["p"], admin, cy, eve)

    for desk in desks.values():  # nobody of this office takes later tests' inquiries
        for ident in desk.agents:
            assigner().org.set_status(ident, offline)
    assigner().org.set_status(admin, offline)
    restored = copy.deepcopy(before["document"])
    restored["version"] = f"restored-{TAG}"
    assert requests.put(f"{local.url}/api/rules", json=restored, headers=admin_headers, timeout=10).ok


@pytest.fixture(scope="module")
def admin(office) -> dict[str, str]:
    return bearer(office.admin, ADMIN_GROUPS)


# ---------------------------------------------------------------- deliveries
def whatsapp(local, http, text: str, sender: str | None = None) -> tuple[str, str]:
    """A WhatsApp text from ``sender`` (a new customer by default), sent now; (sender, message id)."""
    from tests.conftest import load_event

    event = load_event("meta/whatsapp_text.json")
    value = event["entry"][0]["changes"][0]["value"]
    sender = sender or f"49152{uuid.uuid4().int % 10**8:08d}"
    value["contacts"][0]["wa_id"] = sender
    message = value["messages"][0]
    message["from"], message["id"] = sender, f"wamid.{uuid.uuid4().hex}"
    message["timestamp"] = str(int(time.time()))
    message["text"]["body"] = text
    post_meta(local, http, event)
    return sender, message["id"]


def messenger(local, http, text: str) -> str:
    from tests.conftest import load_event

    event = load_event("meta/messenger_text.json")
    messaging = event["entry"][0]["messaging"][0]
    messaging["sender"]["id"] = str(uuid.uuid4().int % 10**15)
    messaging["message"]["mid"] = mid = f"m_{uuid.uuid4().hex}"
    messaging["message"]["text"] = text
    messaging["timestamp"] = int(time.time() * 1000)
    post_meta(local, http, event)
    return mid


def inquiry_id_of(local, channel: str, external_id: str) -> str:
    table = local.stack.environment["KANAL_MESSAGES_TABLE"]
    dynamodb = local.stack.client("dynamodb")
    item = eventually(
        lambda: dynamodb.get_item(TableName=table, Key={"key": {"S": f"{channel}#{external_id}"}}).get(
            "Item"
        ),
        timeout=20,
    )
    return str(item["inquiry_id"]["S"])


def executions(local, inquiry_id: str) -> list[dict]:
    """The inquiry's routing executions, oldest first (a reopened inquiry has one more)."""
    stepfunctions = local.stack.client("stepfunctions")
    machine = local.stack.outputs["RoutingStateMachineArn"]
    found = [
        execution
        for page in stepfunctions.get_paginator("list_executions").paginate(stateMachineArn=machine)
        for execution in page["executions"]
        if execution["name"] == inquiry_id or execution["name"].startswith(f"{inquiry_id}-")
    ]
    return sorted(found, key=lambda e: e["startDate"])


def arrived(local, http, headers, channel: str, external_id: str, status: str = "assigned") -> dict:
    """The inquiry of a delivered message, once routing has placed it (``status``)."""
    inquiry_id = inquiry_id_of(local, channel, external_id)
    return detail(local, http, headers, inquiry_id, lambda d: d.get("status") == status, timeout=30)


def fresh(local, http, admin, desk: Desk, status: str = "assigned") -> dict:
    _, message_id = whatsapp(local, http, f"Hallo, eine Frage zu {desk.word}")
    return arrived(local, http, admin, "whatsapp", message_id, status)


def state(local, http, admin, inquiry_id: str) -> dict:
    """What a refused request must leave as it was."""
    found = http.get(f"{local.url}/api/inquiries/{inquiry_id}", headers=admin).json()
    return {k: found[k] for k in ("status", "assignee", "team", "notes", "csat", "transfer", "claimed_at")}


# ---------------------------------------------------------------- routes x roles
def table(code: int, **overrides: int) -> dict[str, int]:
    return {
        "agent": code,
        "lead": code,
        "admin": code,
        "other": 404,
        "none": 401,
        "expired": 401,
        **overrides,
    }


# route: (method, path after /api/inquiries/{id}, body, what must hold first, status by role)
ROUTES: dict[str, tuple[str, str, Any, str | None, dict[str, int]]] = {
    "queue": ("GET", "", None, None, table(200, other=403)),
    "detail": ("GET", "", None, None, table(200)),
    "claim": ("POST", "/claim", None, None, table(200, lead=409, admin=409)),  # the owner claims it
    "resolve": ("POST", "/resolve", None, None, table(200)),
    "assign": ("POST", "/assign", {"to": "CY"}, None, table(200, agent=403)),
    "transfer": ("POST", "/transfer", {"to_agent": "CY", "note": "Bitte übernehmen"}, None, table(200)),
    "notes": ("POST", "/notes", {"text": "Stammkunde seit 2019"}, None, table(201)),
    "wait": ("POST", "/wait", None, "answered", table(200)),
    "reopen": ("POST", "/reopen", None, "resolved", table(200)),
    "csat": ("POST", "/csat", {"score": 5, "nps": 10}, None, table(201, agent=403)),
}
ROLES = ("agent", "lead", "admin", "other", "none", "expired")


@pytest.fixture(scope="module")
def shared(local, office, admin) -> dict:
    """One assigned inquiry that every refused request is tried on (it must stay as it is)."""
    return fresh(local, requests.Session(), admin, office.a)


def headers_of(role: str, office: Office, inquiry: dict) -> dict[str, str]:
    owner = inquiry["assignee"]
    return {
        "agent": bearer(owner),
        "lead": bearer(office.a.lead, LEAD_GROUPS),
        "admin": bearer(office.admin, ADMIN_GROUPS),
        "other": bearer(office.b.agents[0]),
        "none": {},
        "expired": {"Authorization": f"Bearer {tokens.expired(owner)}"},
    }[role]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", list(ROUTES))
def test_each_route_answers_each_role(local, http, office, admin, shared, route, role):
    from kanal.routing.wiring import events

    method, suffix, body, first, expected = ROUTES[route]
    code = expected[role]
    changes = method == "POST" and code < 300 and route != "notes"
    # Given an inquiry of desk A owned by one of its agents (a fresh one when the request changes it)
    inquiry = fresh(local, http, admin, office.a) if changes else shared
    if first == "answered" and changes:
        events().responded(inquiry["id"])
    if first == "resolved" and changes:
        assert http.post(f"{local.url}/api/inquiries/{inquiry['id']}/resolve", headers=admin).ok
    before = state(local, http, admin, inquiry["id"])
    sent = json.loads(json.dumps(body).replace("CY", office.cy)) if body is not None else None
    # When the role calls the route
    if route == "queue":
        url, params = f"{local.url}/api/inquiries", {"team": office.a.team}
    else:
        url, params = f"{local.url}/api/inquiries/{inquiry['id']}{suffix}", None
    response = http.request(
        method, url, params=params, json=sent, headers=headers_of(role, office, inquiry), timeout=20
    )
    # Then it gets its status, and a refusal changes nothing
    assert response.status_code == code, (route, role, response.text)
    if code >= 400:
        assert state(local, http, admin, inquiry["id"]) == before
        if code != 401:  # the gateway's own 401 is API Gateway's {"message"}
            assert response.json()["error"]


def test_another_teams_inquiry_answers_exactly_as_one_that_does_not_exist(local, http, office, shared):
    other = bearer(office.b.agents[0])
    hidden = http.get(f"{local.url}/api/inquiries/{shared['id']}", headers=other)
    missing_id = uuid.uuid4().hex
    missing = http.get(f"{local.url}/api/inquiries/{missing_id}", headers=other)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"].replace(shared["id"], "X") == missing.json()["error"].replace(
        missing_id, "X"
    )


# ---------------------------------------------------------------- claims
def test_two_agents_claiming_at_once_one_gets_it_the_other_a_409(local, http, office, admin):
    from kanal.routing.roster import AgentStatus
    from kanal.routing.wiring import assigner

    # Given an inquiry waiting in the queue of a desk whose two agents then come online (no drain)
    _, message_id = whatsapp(local, http, f"Hallo {office.race.word}")
    inquiry = arrived(local, http, admin, "whatsapp", message_id, status="queued")
    first, second = office.race.agents
    for agent in (first, second):
        assigner().org.set_status(agent, AgentStatus.ONLINE)
    try:
        # When both claim it at the same moment
        barrier = threading.Barrier(2)
        answers: dict[str, requests.Response] = {}

        def claim(agent: str) -> None:
            session = requests.Session()
            barrier.wait()
            answers[agent] = session.post(
                f"{local.url}/api/inquiries/{inquiry['id']}/claim", headers=bearer(agent), timeout=20
            )

        threads = [threading.Thread(target=claim, args=(agent,)) for agent in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        # Then one owns it and the other got a 409
        codes = sorted(answer.status_code for answer in answers.values())
        assert codes == [200, 409], {a: r.text for a, r in answers.items()}
        winner = next(agent for agent, answer in answers.items() if answer.status_code == 200)
        owned = detail(local, http, admin, inquiry["id"])
        assert owned["assignee"] == winner and owned["status"] == "assigned" and owned["claimed_at"]
        loser = first if winner == second else second
        agents = {a["id"]: a for a in http.get(f"{local.url}/api/agents", headers=admin).json()["items"]}
        assert [agents[a]["open_caseload"] for a in (winner, loser)] == [1, 0]
        # When the owner resolves it, its execution ends, and a late claim is a conflict too
        resolved = http.post(f"{local.url}/api/inquiries/{inquiry['id']}/resolve", headers=bearer(winner))
        assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
        eventually(lambda: execution_status(local, inquiry["id"]) == "SUCCEEDED", timeout=20)
        late = http.post(f"{local.url}/api/inquiries/{inquiry['id']}/claim", headers=bearer(loser))
        assert late.status_code == 409
    finally:
        for agent in (first, second):
            assigner().org.set_status(agent, AgentStatus.OFFLINE)


# ---------------------------------------------------------------- the queue: filters and pages
@pytest.fixture(scope="module")
def queued(local, office, admin) -> list[dict]:
    """Three WhatsApp and two Messenger inquiries waiting in the pages desk's queue (nobody is online)."""
    http = requests.Session()
    ids = [whatsapp(local, http, f"Frage {n} zu {office.pages.word}")[1] for n in range(3)]
    mids = [messenger(local, http, f"Frage {n} zu {office.pages.word}") for n in range(2)]
    found = [arrived(local, http, admin, "whatsapp", i, "queued") for i in ids]
    found += [arrived(local, http, admin, "messenger", m, "queued") for m in mids]
    return found


def pages(local, http, headers, **params: Any) -> list[list[dict]]:
    """Every page of a query, following ``next``."""
    found, cursor = [], None
    while True:
        page = http.get(
            f"{local.url}/api/inquiries",
            params={**params, **({"cursor": cursor} if cursor else {})},
            headers=headers,
        )
        assert page.status_code == 200, page.text
        body = page.json()
        found.append(body["items"])
        cursor = body["next"]
        if not cursor or len(found) > 20:
            return found


def test_a_teams_queue_reads_in_pages_with_a_cursor_most_urgent_first(local, http, office, queued):
    lead = bearer(office.pages.lead, LEAD_GROUPS)
    whole = http.get(
        f"{local.url}/api/inquiries", params={"team": office.pages.team, "limit": 100}, headers=lead
    ).json()
    assert {i["id"] for i in whole["items"]} == {i["id"] for i in queued} and whole["next"] is None
    ranks = [((i["priority"] or {}).get("band", "P9"), i["sla_due_at"]) for i in whole["items"]]
    assert ranks == sorted(ranks)
    read = pages(local, http, lead, team=office.pages.team, status="queued", limit=2)
    assert [len(page) for page in read] == [2, 2, 1]
    assert [i["id"] for page in read for i in page] == [i["id"] for i in whole["items"]]


def test_filters_apply_while_paging_so_pages_stay_full(local, http, office, queued):
    lead = bearer(office.pages.lead, LEAD_GROUPS)
    # WhatsApp inquiries rank after the Messenger ones (a day's SLA against a minute's)
    read = pages(local, http, lead, team=office.pages.team, channel="whatsapp", limit=2)
    assert [len(page) for page in read] == [2, 1]
    assert {i["channel"] for page in read for i in page} == {"whatsapp"}
    band = queued[0]["priority"]["band"]
    banded = pages(local, http, lead, team=office.pages.team, band=band)
    expected = {i["id"] for i in queued if i["priority"]["band"] == band}
    assert {i["id"] for page in banded for i in page} == expected


def test_breached_true_lists_the_inquiries_whose_deadline_passed(local, http, office, queued):
    lead = bearer(office.pages.lead, LEAD_GROUPS)
    late = {i["id"] for i in queued if i["channel"] == "messenger"}  # a minute's SLA: a second here

    def breached():
        items = http.get(
            f"{local.url}/api/inquiries", params={"team": office.pages.team, "breached": "true"}, headers=lead
        ).json()["items"]
        return items if {i["id"] for i in items} == late else None

    items = eventually(breached, timeout=40, interval=0.5)
    assert all(i["breached"] for i in items)
    calm = http.get(
        f"{local.url}/api/inquiries", params={"team": office.pages.team, "breached": "false"}, headers=lead
    ).json()["items"]
    assert {i["id"] for i in calm} == {i["id"] for i in queued} - late


def test_assignee_me_lists_the_callers_own_inquiries(local, http, office, admin):
    inquiry = fresh(local, http, admin, office.a)
    owner = inquiry["assignee"]
    read = pages(local, http, bearer(owner), assignee="me", limit=5)
    mine = [i for page in read for i in page]
    assert inquiry["id"] in {i["id"] for i in mine}
    assert {i["assignee"] for i in mine} == {owner} and {i["status"] for i in mine} <= {"assigned", "waiting"}
    # and a lead reads an agent of their team's inquiries the same way
    theirs = http.get(
        f"{local.url}/api/inquiries",
        params={"assignee": owner, "limit": 100},
        headers=bearer(office.a.lead, LEAD_GROUPS),
    ).json()["items"]
    assert {i["id"] for i in theirs} >= {inquiry["id"]}


def test_an_agent_reads_their_teams_open_inquiries_by_default(local, http, office, admin, shared, queued):
    dora = http.get(f"{local.url}/api/inquiries", params={"limit": 100}, headers=bearer(office.b.agents[0]))
    assert dora.status_code == 200
    assert {i["team"] for i in dora.json()["items"]} <= {office.b.team}
    ana = http.get(
        f"{local.url}/api/inquiries", params={"limit": 100}, headers=bearer(shared["assignee"])
    ).json()
    assert shared["id"] in {i["id"] for i in ana["items"]}
    assert {i["team"] for i in ana["items"]} == {office.a.team}
    assert {i["status"] for i in ana["items"]} <= {"new", "queued", "assigned", "waiting"}


@pytest.mark.parametrize(
    ("params", "status", "fragment"),
    [
        ({"breached": "maybe"}, 400, "breached"),
        ({"band": "P0"}, 400, "band"),
        ({"channel": "fax"}, 400, "channel"),
        ({"assignee": "nobody-at-all"}, 400, "assignee"),
        ({"team": "no-such-team"}, 400, "team"),
        ({"colour": "red"}, 400, "colour"),
        ({"team": "OTHER"}, 403, "not one of your teams"),
    ],
)
def test_an_unknown_filter_value_is_a_400_and_another_teams_queue_a_403(
    local, http, office, params, status, fragment
):
    params = {k: v.replace("OTHER", office.a.team) for k, v in params.items()}
    response = http.get(f"{local.url}/api/inquiries", params=params, headers=bearer(office.b.agents[0]))
    assert response.status_code == status, response.text
    assert fragment in response.json()["error"]


# ---------------------------------------------------------------- resolve and reopen
def test_resolve_closes_the_conversation_and_reopen_brings_the_inquiry_back(local, http, office, admin):
    # Given a customer's inquiry, resolved by its owner
    sender, message_id = whatsapp(local, http, f"Mein Rad {office.a.word} quietscht")
    first = arrived(local, http, admin, "whatsapp", message_id)
    owner = bearer(first["assignee"])
    assert http.post(f"{local.url}/api/inquiries/{first['id']}/resolve", headers=owner).status_code == 200
    eventually(lambda: execution_status(local, first["id"]) == "SUCCEEDED", timeout=20)
    # When the customer writes again, that opens a new inquiry
    _, again = whatsapp(local, http, f"Es quietscht wieder {office.a.word}", sender=sender)
    second = arrived(local, http, admin, "whatsapp", again)
    assert second["id"] != first["id"]
    assert len(detail(local, http, admin, first["id"])["messages"]) == 1
    # When the first one is reopened
    reopened = http.post(f"{local.url}/api/inquiries/{first['id']}/reopen", headers=owner)
    # Then it is its owner's again, on a new response window with a routing execution watching it
    assert reopened.status_code == 200, reopened.text
    back = detail(local, http, admin, first["id"])
    assert back["status"] == "assigned" and back["assignee"] == first["assignee"]
    assert back["sla"]["due_at"] > first["sla"]["due_at"] and back["sla"]["responded"] is False
    assert [e["status"] for e in executions(local, first["id"])] == ["SUCCEEDED", "RUNNING"]
    assert http.post(f"{local.url}/api/inquiries/{first['id']}/reopen", headers=owner).status_code == 409
    # and the conversation stays with the newer inquiry, which took it meanwhile
    _, third = whatsapp(local, http, f"Noch etwas {office.a.word}", sender=sender)
    assert inquiry_id_of(local, "whatsapp", third) == second["id"]
    # When the newer one is resolved and reopened with nobody else in the conversation, the customer's next
    # message joins it again
    assert http.post(f"{local.url}/api/inquiries/{second['id']}/resolve", headers=admin).status_code == 200
    assert http.post(f"{local.url}/api/inquiries/{second['id']}/reopen", headers=admin).status_code == 200
    _, fourth = whatsapp(local, http, f"Und noch eine Frage {office.a.word}", sender=sender)
    assert inquiry_id_of(local, "whatsapp", fourth) == second["id"]
    for inquiry in (first, second):
        assert http.post(f"{local.url}/api/inquiries/{inquiry['id']}/resolve", headers=admin).ok


def test_the_detail_shows_the_customers_timeline_across_channels(local, http, office, admin):
    # Given a customer with a resolved inquiry, a new one and a hotline call from the same number
    sender, message_id = whatsapp(local, http, f"Hallo {office.a.word}")
    first = arrived(local, http, admin, "whatsapp", message_id)
    assert http.post(f"{local.url}/api/inquiries/{first['id']}/resolve", headers=admin).ok
    _, again = whatsapp(local, http, f"Nochmal {office.a.word}", sender=sender)
    second = arrived(local, http, admin, "whatsapp", again)
    call = {
        "event_id": f"call-{uuid.uuid4().hex}",
        "kind": "call",
        "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "customer": {"channel": "phone", "identity": f"+{sender}"},
        "source": "hotline",
    }
    body = json.dumps(call).encode()
    assert http.post(
        f"{local.url}/webhooks/contact-events",
        data=body,
        headers=contact_events_headers(body, "local-contact-events-secret"),
    ).ok

    # Then the newer inquiry's detail lists every contact, oldest first, a message naming its inquiry
    def with_call():
        found = detail(local, http, admin, second["id"])
        return found if any(c["kind"] == "call" for c in found["timeline"]) else None

    timeline = eventually(with_call, timeout=20)["timeline"]
    assert sorted((c["channel"], c["kind"], c["inquiry_id"] or "") for c in timeline) == sorted(
        [("whatsapp", "message", first["id"]), ("whatsapp", "message", second["id"]), ("phone", "call", "")]
    )
    assert [c["at"] for c in timeline] == sorted(c["at"] for c in timeline)
    assert http.post(f"{local.url}/api/inquiries/{second['id']}/resolve", headers=admin).ok


# ---------------------------------------------------------------- transfer, assign, notes, wait
def test_a_transfer_with_a_note_tells_the_new_owner_who_reads_the_note_first(local, http, office, admin):
    inquiry = fresh(local, http, admin, office.a)
    owner, dora = inquiry["assignee"], office.b.agents[0]
    note = "Rechnungsfrage: bitte die Gutschrift vom 3. prüfen"
    # When the owner hands it to the billing desk with a note
    moved = http.post(
        f"{local.url}/api/inquiries/{inquiry['id']}/transfer",
        json={"to_team": office.b.team, "note": note},
        headers=bearer(owner),
    )
    # Then that desk's agent owns it and is told
    assert moved.status_code == 200, moved.text
    assert (moved.json()["assignee"], moved.json()["team"]) == (dora, office.b.team)
    told = eventually(
        lambda: [
            n
            for n in notices(local, http, inquiry["id"])
            if (n["kind"], n["recipient"]) == ("transferred", dora)
        ]
    )
    assert all(note not in n["text"] for n in told)  # the note is read in the console, not in an SMS
    # and reads the note first: the handover, and the note among the inquiry's notes (not its messages)
    seen = http.get(f"{local.url}/api/inquiries/{inquiry['id']}", headers=bearer(dora)).json()
    assert seen["transfer"]["note"] == note
    assert (seen["transfer"]["by"], seen["transfer"]["from_agent"], seen["transfer"]["to_agent"]) == (
        owner,
        owner,
        dora,
    )
    assert [(n["kind"], n["author"], n["text"]) for n in seen["notes"]] == [("transfer", owner, note)]
    assert {m["direction"] for m in seen["messages"]} <= {"in", "out"}
    # while the previous owner, outside that desk, no longer sees it
    assert http.get(f"{local.url}/api/inquiries/{inquiry['id']}", headers=bearer(owner)).status_code == 404
    # When the new owner hands it on to a desk where nobody is free, it waits in that queue; its lead is told
    queued = http.post(
        f"{local.url}/api/inquiries/{inquiry['id']}/transfer",
        json={"to_team": office.pages.team, "note": "Bitte Rückruf"},
        headers=bearer(dora),
    )
    assert queued.status_code == 200, queued.text
    assert (queued.json()["status"], queued.json()["assignee"], queued.json()["team"]) == (
        "queued",
        None,
        office.pages.team,
    )
    eventually(
        lambda: (
            ("queued", office.pages.lead)
            in {(n["kind"], n["recipient"]) for n in notices(local, http, inquiry["id"])}
        )
    )
    # and from that queue its lead hands it on: to another empty queue, then to the billing desk again
    lead = bearer(office.pages.lead, LEAD_GROUPS)
    path = f"{local.url}/api/inquiries/{inquiry['id']}/transfer"
    again = http.post(path, json={"to_team": office.race.team, "note": "Rückruf nötig"}, headers=lead)
    assert again.status_code == 200 and again.json()["team"] == office.race.team, again.text
    assert http.post(path, json={"to_team": office.b.team, "note": "Doch Rechnung"}, headers=admin).ok
    final = detail(local, http, admin, inquiry["id"])
    assert (final["status"], final["assignee"], final["team"]) == ("assigned", dora, office.b.team)
    assert [n["text"] for n in final["notes"]] == [note, "Bitte Rückruf", "Rückruf nötig", "Doch Rechnung"]
    assert final["transfer"]["by"] == office.admin and final["transfer"]["from_agent"] is None
    assert http.post(f"{local.url}/api/inquiries/{inquiry['id']}/resolve", headers=admin).ok


def test_a_lead_assigns_only_to_an_agent_who_can_take_it(local, http, office, admin):
    inquiry = fresh(local, http, admin, office.a)
    lead = bearer(office.a.lead, LEAD_GROUPS)
    path = f"{local.url}/api/inquiries/{inquiry['id']}/assign"
    before = state(local, http, admin, inquiry["id"])
    offline = http.post(path, json={"to": office.eve}, headers=lead)
    elsewhere = http.post(path, json={"to": office.b.agents[0]}, headers=lead)
    assert (offline.status_code, elsewhere.status_code) == (409, 400), (offline.text, elsewhere.text)
    assert state(local, http, admin, inquiry["id"]) == before
    assigned = http.post(path, json={"to": office.cy}, headers=lead)
    assert assigned.status_code == 200 and assigned.json()["assignee"] == office.cy
    assert ("assigned", office.cy) in {
        (n["kind"], n["recipient"]) for n in notices(local, http, inquiry["id"])
    }
    assert http.post(f"{local.url}/api/inquiries/{inquiry['id']}/resolve", headers=admin).ok


def test_notes_are_internal_and_listed_apart_from_the_messages(local, http, office, admin, shared):
    colleague = next(a for a in office.a.agents[:2] if a != shared["assignee"])
    text = f"Kunde hat gestern angerufen ({uuid.uuid4().hex[:6]})"
    added = http.post(
        f"{local.url}/api/inquiries/{shared['id']}/notes", json={"text": text}, headers=bearer(colleague)
    )
    assert added.status_code == 201, added.text
    assert added.json()["author"] == colleague and added.json()["text"] == text
    seen = detail(local, http, admin, shared["id"])
    assert {"author": colleague, "text": text, "kind": "note"}.items() <= next(
        n for n in seen["notes"] if n["text"] == text
    ).items()
    assert all(m["direction"] in ("in", "out") for m in seen["messages"]) and len(seen["messages"]) == 1
    assert (
        http.post(
            f"{local.url}/api/inquiries/{shared['id']}/notes", json={"text": " "}, headers=bearer(colleague)
        ).status_code
        == 400
    )


def test_waiting_follows_an_answer_and_pauses_the_clock(local, http, office, admin):
    from kanal.routing.wiring import events

    inquiry = fresh(local, http, admin, office.a)
    owner = bearer(inquiry["assignee"])
    path = f"{local.url}/api/inquiries/{inquiry['id']}/wait"
    # Before any answer the clock may not stop
    assert http.post(path, headers=owner).status_code == 409
    assert detail(local, http, admin, inquiry["id"])["status"] == "assigned"
    # After the owner's answer, the inquiry waits on the customer with the clock paused
    events().responded(inquiry["id"])
    waiting = http.post(path, headers=owner)
    assert waiting.status_code == 200 and waiting.json()["status"] == "waiting"
    assert detail(local, http, admin, inquiry["id"])["sla"]["paused"] is True
    assert http.post(f"{local.url}/api/inquiries/{inquiry['id']}/resolve", headers=owner).ok


# ---------------------------------------------------------------- the customer's rating
def test_csat_feeds_the_owners_figures_once_per_inquiry(local, http, office, admin):
    dora = office.b.agents[0]
    lead = bearer(office.b.lead, LEAD_GROUPS)
    first = fresh(local, http, admin, office.b)
    second = fresh(local, http, admin, office.b)
    assert first["assignee"] == second["assignee"] == dora

    def csat_of(agent: str) -> float | None:
        agents = http.get(f"{local.url}/api/agents", headers=lead).json()["items"]
        return next(a for a in agents if a["id"] == agent)["figures"]["csat"]

    assert csat_of(dora) is None
    rated = http.post(
        f"{local.url}/api/inquiries/{first['id']}/csat", json={"score": 4, "nps": 9}, headers=lead
    )
    assert rated.status_code == 201, rated.text
    assert {k: rated.json()[k] for k in ("score", "nps", "agent")} == {"score": 4, "nps": 9, "agent": dora}
    assert csat_of(dora) == 4.0
    again = http.post(f"{local.url}/api/inquiries/{first['id']}/csat", json={"score": 1}, headers=lead)
    assert again.status_code == 409 and csat_of(dora) == 4.0
    own = http.post(f"{local.url}/api/inquiries/{second['id']}/csat", json={"score": 5}, headers=bearer(dora))
    assert own.status_code == 403  # nobody rates their own work
    assert (
        http.post(
            f"{local.url}/api/inquiries/{second['id']}/csat", json={"score": 2}, headers=lead
        ).status_code
        == 201
    )
    assert csat_of(dora) == 3.0
    assert detail(local, http, admin, first["id"])["csat"]["score"] == 4
    for inquiry in (first, second):
        assert http.post(f"{local.url}/api/inquiries/{inquiry['id']}/resolve", headers=admin).ok

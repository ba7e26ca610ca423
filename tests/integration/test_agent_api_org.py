"""Agents and teams through the agent API on the running stack: who sees and changes what, their
notification subscriptions, status changes, and bad requests that change nothing (the work on an inquiry,
claims included, is in test_agent_api_work.py).

Seeded agents are routed to by other tests: what these tests change, they change on agents and a team of
their own (unique ids), and every status they change is put back.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from kanal_local.seed import organisation_document
from tests import tokens

SYSTEM_FIELDS = ("status", "open_caseload", "figures")  # change as inquiries come and go


def bearer(agent_id: str, groups: list[str] | None = None) -> dict[str, str]:
    return tokens.bearer(agent_id, groups)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def listed(local, http, headers) -> dict[str, dict[str, Any]]:
    response = http.get(f"{local.url}/api/agents", headers=headers)
    assert response.status_code == 200, response.text
    return {agent["id"]: agent for agent in response.json()["items"]}


def profiles(local, http, admin_headers) -> dict[str, Any]:
    """Every agent's profile and every team, without what the system changes meanwhile."""
    agents = {
        ident: {k: v for k, v in agent.items() if k not in SYSTEM_FIELDS}
        for ident, agent in listed(local, http, admin_headers).items()
    }
    teams = http.get(f"{local.url}/api/teams", headers=admin_headers).json()["items"]
    return {"agents": agents, "teams": teams}


def subscriptions(local, endpoint: str) -> list[dict[str, Any]]:
    """The notification topic's subscriptions of ``endpoint``, each with its filter policy."""
    sns = local.stack.client("sns")
    topic = local.stack.environment["KANAL_NOTIFICATIONS_TOPIC_ARN"]
    found = []
    for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic):
        for subscription in page["Subscriptions"]:
            if subscription["Endpoint"] == endpoint:
                attributes = sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])
                policy = json.loads(attributes["Attributes"].get("FilterPolicy") or "null")
                found.append({**subscription, "FilterPolicy": policy})
    return found


def new_agent(ident: str, team: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "name": f"Test agent {ident}",
        "email": f"{ident}@velora.example",
        "phone": f"+49151{uuid.uuid4().int % 10**8:08d}",
        "language": "de",
        "teams": [team],
        "groups": ["agents"],
        "skills": {"channels": ["messenger"], "languages": ["de"], "topics": []},
        "max_concurrent": 3,
        **fields,
    }


@pytest.fixture(scope="module")
def team(local, admin_headers) -> dict[str, Any]:
    """A team of this module's own with a lead and two agents; it never wins an inquiry's routing (it
    takes only e-mail, which the seeded billing team takes at a lower order)."""
    import requests

    ident = unique("it-team")
    body = {"id": ident, "name": "Integration team", "channels": ["email"], "order": 9000}
    created = requests.post(f"{local.url}/api/teams", json=body, headers=admin_headers)
    assert created.status_code == 201, created.text
    lead, first, second = unique("it-lead"), unique("it-agent"), unique("it-agent")
    for ident_, groups in ((lead, ["agents", "leads"]), (first, ["agents"]), (second, ["agents"])):
        answer = requests.post(
            f"{local.url}/api/agents", json=new_agent(ident_, ident, groups=groups), headers=admin_headers
        )
        assert answer.status_code == 201, answer.text
    led = requests.put(f"{local.url}/api/teams/{ident}", json={**body, "lead": lead}, headers=admin_headers)
    assert led.status_code == 200, led.text
    return {"id": ident, "body": {**body, "lead": lead}, "lead": lead, "agents": [first, second]}


@pytest.fixture
def status_restored(local, http, admin_headers) -> Iterator[list[str]]:
    """Agents whose status a test changes; each is put back to what it was."""
    touched: list[str] = []
    before = listed(local, http, admin_headers)
    yield touched
    for ident in touched:
        status = before[ident]["status"]
        back = http.put(
            f"{local.url}/api/agents/{ident}/status", json={"status": status}, headers=admin_headers
        )
        assert back.status_code == 200, back.text


# ---------------------------------------------------------------- listing
def test_an_admin_lists_every_seeded_agent_with_their_fields(local, http, admin_headers):
    agents = listed(local, http, admin_headers)
    seeded = {agent["id"]: agent for agent in organisation_document()["agents"]}
    assert set(seeded) <= set(agents)
    lena = agents["lena"]
    assert {
        k: lena[k] for k in ("name", "teams", "groups", "email", "phone", "language", "max_concurrent")
    } == {
        k: seeded["lena"][k]
        for k in ("name", "teams", "groups", "email", "phone", "language", "max_concurrent")
    }
    assert lena["skills"] == seeded["lena"]["skills"]
    assert lena["status"] in {"online", "away", "offline"} and isinstance(lena["open_caseload"], int)
    assert set(lena["figures"]) == {"average_first_response_seconds", "csat", "first_responses"}
    assert agents["admin"]["phone"] is None and agents["deniz"]["skills"]["channels"] == [
        "x",
        "whatsapp",
        "messenger",
    ]


def test_a_lead_lists_only_the_agents_of_their_team(local, http):
    agents = listed(local, http, bearer("lena"))
    social = {a["id"] for a in organisation_document()["agents"] if "social" in a["teams"]}
    assert social <= set(agents)
    assert all("social" in agent["teams"] for agent in agents.values())
    assert not {"tobias", "sophie", "mira", "admin"} & set(agents)


def test_an_agent_may_not_list_agents_but_lists_the_teams(local, http):
    assert http.get(f"{local.url}/api/agents", headers=bearer("jonas")).status_code == 403
    response = http.get(f"{local.url}/api/teams", headers=bearer("jonas"))
    assert response.status_code == 200
    teams = {t["id"]: t for t in response.json()["items"]}
    assert {"social", "billing", "pr"} <= set(teams)
    assert teams["billing"] == {
        "id": "billing",
        "name": "Billing and technical support",
        "lead": "tobias",
        "channels": ["email", "messenger", "whatsapp", "facebook"],
        "languages": ["de", "en"],
        "topics": ["content.service", "content.safety"],
        "calendar": "office",
        "escalation_chain": [],
        "order": 20,
    }


# ---------------------------------------------------------------- creating and changing agents
def test_a_created_agent_is_listed_and_subscribed_to_their_own_notifications(
    local, http, admin_headers, team
):
    # Given a new agent with an e-mail address and a phone number
    ident = unique("it-new")
    body = new_agent(ident, team["id"])
    # When an admin creates them
    response = http.post(f"{local.url}/api/agents", json=body, headers=admin_headers)
    # Then they are listed, offline, with what was sent
    assert response.status_code == 201, response.text
    agent = listed(local, http, admin_headers)[ident]
    assert agent == response.json()
    assert agent["status"] == "offline" and agent["phone"] == body["phone"] and agent["teams"] == [team["id"]]
    # and the notifications topic has their e-mail and SMS subscriptions, filtered on their id
    (email,) = subscriptions(local, body["email"])
    (sms,) = subscriptions(local, body["phone"])
    assert (email["Protocol"], email["FilterPolicy"]) == (
        "email",
        {"recipient": [ident], "deliver": ["email"]},
    )
    assert (sms["Protocol"], sms["FilterPolicy"]) == ("sms", {"recipient": [ident], "deliver": ["sms"]})
    # When their phone number changes
    phone = f"+49160{uuid.uuid4().int % 10**8:08d}"
    changed = http.put(
        f"{local.url}/api/agents/{ident}", json={**body, "phone": phone}, headers=admin_headers
    )
    # Then the SMS subscription is replaced (the old one is gone) and the e-mail one kept
    assert changed.status_code == 200, changed.text
    assert changed.json()["phone"] == phone
    assert subscriptions(local, body["phone"]) == []
    (new_sms,) = subscriptions(local, phone)
    assert new_sms["FilterPolicy"] == {"recipient": [ident], "deliver": ["sms"]}
    assert [s["SubscriptionArn"] for s in subscriptions(local, body["email"])] == [email["SubscriptionArn"]]


def test_a_lead_creates_and_changes_agents_of_their_team(local, http, admin_headers, team):
    lead = bearer(team["lead"], ["agents", "leads"])
    ident = unique("it-hire")
    body = new_agent(ident, team["id"], email=None, phone=None)
    assert http.post(f"{local.url}/api/agents", json=body, headers=lead).status_code == 201
    changed = http.put(f"{local.url}/api/agents/{ident}", json={**body, "max_concurrent": 7}, headers=lead)
    assert changed.status_code == 200, changed.text
    assert listed(local, http, lead)[ident]["max_concurrent"] == 7
    # but may not make them a lead
    promoted = {**body, "groups": ["agents", "leads"]}
    assert http.put(f"{local.url}/api/agents/{ident}", json=promoted, headers=lead).status_code == 403
    assert listed(local, http, admin_headers)[ident]["groups"] == ["agents"]


def test_a_lead_changes_their_team_but_does_not_hand_it_over(local, http, admin_headers, team):
    lead = bearer(team["lead"], ["agents", "leads"])
    path = f"{local.url}/api/teams/{team['id']}"
    renamed = http.put(path, json={**team["body"], "name": "Integration team (renamed)"}, headers=lead)
    assert renamed.status_code == 200, renamed.text
    handed = http.put(path, json={**team["body"], "lead": "lena"}, headers=lead)
    assert handed.status_code == 403
    teams = {t["id"]: t for t in http.get(f"{local.url}/api/teams", headers=lead).json()["items"]}
    assert teams[team["id"]]["lead"] == team["lead"]
    assert teams[team["id"]]["name"] == "Integration team (renamed)"


# ---------------------------------------------------------------- status
def test_an_agent_changes_their_own_status_and_no_other_agents(
    local, http, admin_headers, team, status_restored
):
    first, second = team["agents"]
    status_restored.append(first)
    jonas = listed(local, http, admin_headers)["jonas"]["status"]
    # When the agent goes online themself
    response = http.put(
        f"{local.url}/api/agents/{first}/status", json={"status": "online"}, headers=bearer(first)
    )
    # Then they are online
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "online"
    assert listed(local, http, admin_headers)[first]["status"] == "online"
    # When another agent sets them away, or they set a seeded agent away
    other = http.put(
        f"{local.url}/api/agents/{first}/status", json={"status": "away"}, headers=bearer(second)
    )
    seeded = http.put(f"{local.url}/api/agents/jonas/status", json={"status": "away"}, headers=bearer(first))
    # Then both are refused and nothing changed
    assert (other.status_code, seeded.status_code) == (403, 403)
    agents = listed(local, http, admin_headers)
    assert agents[first]["status"] == "online"
    assert agents["jonas"]["status"] == jonas


def test_the_lead_of_their_team_changes_an_agents_status(local, http, admin_headers, team, status_restored):
    _, second = team["agents"]
    status_restored.append(second)
    lead = bearer(team["lead"], ["agents", "leads"])
    response = http.put(f"{local.url}/api/agents/{second}/status", json={"status": "away"}, headers=lead)
    assert response.status_code == 200, response.text
    assert listed(local, http, admin_headers)[second]["status"] == "away"


# ---------------------------------------------------------------- bad requests change nothing
def bad_requests(team: dict[str, Any]) -> list[tuple[str, str, str, Any, int]]:
    """(who, method, path, body (bytes: sent as they are), expected status)."""
    first = team["agents"][0]
    several = {
        "id": "Not An Id",
        "name": "",
        "email": "not-an-address",
        "phone": "0151 1234567",
        "teams": [team["id"]],
        "max_concurrent": 0,
        "groups": ["owners"],
    }
    return [
        ("admin", "PUT", "/api/agents/nobody-at-all", new_agent("nobody-at-all", team["id"]), 404),
        ("admin", "PUT", "/api/agents/nobody-at-all/status", {"status": "online"}, 404),
        ("admin", "PUT", f"/api/agents/{first}/status", {"status": "busy"}, 400),
        ("admin", "PUT", f"/api/agents/{first}/status", b"{not json", 400),
        ("admin", "POST", "/api/agents", b"{not json", 400),
        ("admin", "POST", "/api/agents", b"", 400),
        ("admin", "POST", "/api/agents", several, 400),
        ("admin", "POST", "/api/agents", new_agent(unique("it-x"), "no-such-team"), 400),
        ("admin", "POST", "/api/agents", new_agent(first, team["id"]), 409),
        ("admin", "PUT", f"/api/agents/{first}", {"id": "someone-else", "name": "X"}, 400),
        ("lead", "PUT", "/api/agents/jonas", {"id": "jonas", "name": "Jonas", "teams": [team["id"]]}, 403),
        ("lead", "POST", "/api/agents", new_agent(unique("it-x"), "social"), 403),
        ("lead", "PUT", "/api/teams/social", {"name": "Social care", "lead": "lena"}, 403),
        ("agent", "GET", "/api/agents", None, 403),
        ("agent", "PUT", f"/api/agents/{team['lead']}", {"name": "X", "teams": [team["id"]]}, 403),
        ("admin", "POST", "/api/teams", {"id": team["id"], "name": "Again"}, 409),
        ("admin", "POST", "/api/teams", {"id": unique("it-t"), "name": "T", "lead": "nobody-at-all"}, 400),
        (
            "admin",
            "POST",
            "/api/teams",
            {"id": unique("it-t"), "name": "T", "channels": ["fax"], "order": -1},
            400,
        ),
        ("admin", "PUT", "/api/teams/no-such-team", {"name": "T"}, 404),
        ("admin", "PUT", f"/api/teams/{team['id']}", b"[1, 2", 400),
        ("lead", "POST", "/api/teams", {"id": unique("it-t"), "name": "T"}, 403),
        ("agent", "POST", "/api/inquiries/no-such-inquiry/claim", None, 404),
        ("agent", "POST", "/api/inquiries/no-such-inquiry/resolve", None, 404),
    ]


def test_every_bad_request_gets_its_4xx_and_changes_nothing(local, http, admin_headers, team):
    headers = {
        "admin": admin_headers,
        "lead": bearer(team["lead"], ["agents", "leads"]),
        "agent": bearer(team["agents"][1]),
    }
    before = profiles(local, http, admin_headers)
    statuses = {ident: a["status"] for ident, a in listed(local, http, admin_headers).items()}
    for who, method, path, body, expected in bad_requests(team):
        sent = {"data": body} if isinstance(body, bytes) else {"json": body} if body is not None else {}
        response = http.request(method, f"{local.url}{path}", headers=headers[who], **sent)
        assert response.status_code == expected, (who, method, path, response.text)
        assert isinstance(response.json()["error"], str) and response.json()["error"]
    assert profiles(local, http, admin_headers) == before
    after = listed(local, http, admin_headers)
    assert [after[i]["status"] for i in (team["lead"], *team["agents"])] == [
        statuses[i] for i in (team["lead"], *team["agents"])
    ]


def test_a_schema_violation_lists_every_problem_without_the_values(local, http, admin_headers, team):
    body = {
        "id": "Not An Id",
        "name": "",
        "email": "not-an-address",
        "phone": "0151 1234567",
        "teams": [team["id"]],
        "max_concurrent": 0,
        "groups": ["owners"],
        "skills": {"channels": ["fax"]},
    }
    response = http.post(f"{local.url}/api/agents", json=body, headers=admin_headers)
    assert response.status_code == 400
    errors = response.json()["errors"]
    for field in (
        "$.id",
        "$.name",
        "$.email",
        "$.phone",
        "$.max_concurrent",
        "$.groups[0]",
        "$.skills.channels[0]",
    ):
        assert any(error.startswith(f"{field}:") for error in errors), (field, errors)
    assert "0151 1234567" not in response.text and "not-an-address" not in response.text

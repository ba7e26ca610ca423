"""Sign-in maps to agents, over HTTP on the local stack: an agent created through the API is a user of
the template's user pool in the emulator's Cognito; their ID token, issued by that Cognito with Kanal's
pre-token-generation trigger, names them and carries their groups from the organisation table; the API
answers as their groups allow, and 401 once they are disabled."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests import tokens
from tests.integration.test_agent_api_org import new_agent, unique

pytestmark = pytest.mark.integration


def cognito(local) -> tuple[Any, str]:
    return local.stack.client("cognito-idp"), local.stack.physical("UserPool")


def users_with(local, email: str) -> list[dict[str, Any]]:
    client, pool = cognito(local)
    return client.list_users(UserPoolId=pool, Filter=f'email = "{email}"')["Users"]


def sign_in_directly(local, email: str) -> dict[str, Any]:
    """What an administrator's sign-in does against the emulator's Cognito (boto3, no Kanal code)."""
    client, pool = cognito(local)
    password = f"Pw-{uuid.uuid4().hex}aA1"
    client.admin_set_user_password(UserPoolId=pool, Username=email, Password=password, Permanent=True)
    answer = client.admin_initiate_auth(
        UserPoolId=pool,
        ClientId=local.stack.sign_in.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    return answer["AuthenticationResult"]


@pytest.fixture
def desk(local, http, admin_headers) -> dict[str, Any]:
    """A new team, its lead and one agent, all created through the API."""
    team = unique("signin-team")
    body = {"id": team, "name": "Sign-in desk", "channels": ["email"], "order": 9100}
    assert http.post(f"{local.url}/api/teams", json=body, headers=admin_headers).status_code == 201
    lead, agent = unique("signin-lead"), unique("signin-agent")
    for ident, groups in ((lead, ["agents", "leads"]), (agent, ["agents"])):
        created = http.post(
            f"{local.url}/api/agents", json=new_agent(ident, team, groups=groups), headers=admin_headers
        )
        assert created.status_code == 201, created.text
    assert http.put(f"{local.url}/api/teams/{team}", json={**body, "lead": lead}, headers=admin_headers).ok
    return {"team": team, "lead": lead, "agent": agent}


def profile_of(local, http, admin_headers, ident: str) -> dict[str, Any]:
    agents = http.get(f"{local.url}/api/agents", headers=admin_headers).json()["items"]
    found = next(a for a in agents if a["id"] == ident)
    return {k: v for k, v in found.items() if k not in ("status", "open_caseload", "figures")}


def test_an_agent_created_through_the_api_is_invited_and_signs_in_as_themselves(local, http, desk):
    # Given the lead created through POST /api/agents: an invited user of the pool, named by e-mail
    email = f"{desk['lead']}@velora.example"
    [user] = users_with(local, email)
    attributes = {a["Name"]: a["Value"] for a in user["Attributes"]}
    assert attributes["custom:agent_id"] == desk["lead"] and attributes["email_verified"] == "true"
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD" and user["Enabled"]  # the invitation's password
    # When they sign in through the emulator's Cognito
    result = sign_in_directly(local, email)
    # Then the ID token is the pool's, names them and carries their groups from the organisation table
    claims = local.stack.sign_in.verify(result["IdToken"])
    assert claims is not None
    assert claims["kanal:agent_id"] == desk["lead"] and claims["cognito:username"] != desk["lead"]
    assert claims["cognito:groups"] == ["agents", "leads"]
    assert claims["exp"] - claims["iat"] == 3600
    # And the API takes it: the lead's queue is their team's, another team's is not theirs
    lead = {"Authorization": f"Bearer {result['IdToken']}"}
    mine = http.get(f"{local.url}/api/inquiries", params={"team": desk["team"]}, headers=lead)
    assert mine.status_code == 200, mine.text
    assert all(item["team"] == desk["team"] for item in mine.json()["items"])
    assert http.get(f"{local.url}/api/inquiries", params={"team": "billing"}, headers=lead).status_code == 403
    assert [a["id"] for a in http.get(f"{local.url}/api/agents", headers=lead).json()["items"]] == sorted(
        [desk["lead"], desk["agent"]]
    )


def test_an_agent_taken_out_of_leads_loses_the_lead_routes_with_their_next_token(
    local, http, admin_headers, desk
):
    lead = desk["lead"]
    before = tokens.bearer(lead, ["agents", "leads"])
    assert http.get(f"{local.url}/api/agents", headers=before).status_code == 200
    # When an admin takes the leads group away (the team first gets another lead)
    team = http.get(f"{local.url}/api/teams", headers=admin_headers).json()["items"]
    body = next({k: v for k, v in t.items()} for t in team if t["id"] == desk["team"])
    assert http.put(
        f"{local.url}/api/teams/{desk['team']}", json={**body, "lead": None}, headers=admin_headers
    ).ok
    profile = profile_of(local, http, admin_headers, lead)
    changed = http.put(
        f"{local.url}/api/agents/{lead}", json={**profile, "groups": ["agents"]}, headers=admin_headers
    )
    assert changed.status_code == 200, changed.text
    # Then their next token says agents only, and a lead route is a 403
    after = tokens.bearer(lead, ["agents"])
    assert http.get(f"{local.url}/api/agents", headers=after).status_code == 403
    # (the token from before says leads, but the API reads the table too: the group is gone at once)
    assert http.get(f"{local.url}/api/agents", headers=before).status_code == 403
    assert http.get(f"{local.url}/api/inquiries", headers=after).status_code == 200


def test_a_disabled_agent_gets_401_with_their_unexpired_token_and_no_new_token(
    local, http, admin_headers, desk
):
    agent = desk["agent"]
    email = f"{agent}@velora.example"
    held = tokens.bearer(agent, ["agents"])
    signed = http.post(f"{local.url}/local/token", json={"agent_id": agent}).json()
    assert http.get(f"{local.url}/api/inquiries", headers=held).status_code == 200
    online = http.put(f"{local.url}/api/agents/{agent}/status", json={"status": "online"}, headers=held)
    assert online.status_code == 200
    # When an admin disables them
    profile = profile_of(local, http, admin_headers, agent)
    assert profile["enabled"] is True
    disabled = http.put(
        f"{local.url}/api/agents/{agent}", json={**profile, "enabled": False}, headers=admin_headers
    )
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    assert disabled.json()["status"] == "offline"  # they take no more inquiries
    # Then the token they still hold (valid for most of an hour) is a 401 on every route
    assert local.stack.sign_in.verify(held["Authorization"][7:]) is not None  # the authorizer still takes it
    assert http.get(f"{local.url}/api/inquiries", headers=held).status_code == 401
    assert (
        http.put(
            f"{local.url}/api/agents/{agent}/status", json={"status": "online"}, headers=held
        ).status_code
        == 401
    )
    # And Cognito gives them no new one: not by sign-in, not by refresh (signed out everywhere)
    [user] = users_with(local, email)
    assert user["Enabled"] is False
    assert http.post(f"{local.url}/local/token", json={"agent_id": agent}).status_code == 401
    refreshed = http.post(f"{local.url}/local/token/refresh", json={"refresh_token": signed["refresh_token"]})
    assert refreshed.status_code == 401
    client, _ = cognito(local)
    with pytest.raises(client.exceptions.NotAuthorizedException):
        sign_in_directly(local, email)
    # And enabled again, they sign in again
    assert http.put(f"{local.url}/api/agents/{agent}", json=profile, headers=admin_headers).status_code == 200
    assert http.get(f"{local.url}/api/inquiries", headers=tokens.bearer(agent, ["agents"])).status_code == 200


def test_an_expired_or_foreign_signed_token_is_a_401(local, http):
    for token in (tokens.expired("lena"), tokens.foreign("lena")):
        answer = http.get(f"{local.url}/api/inquiries", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401


@pytest.mark.parametrize(
    ("email", "status"),
    [("not-an-address", 400), ("two@@velora.example", 400), ("lena.hoffmann@velora.example", 409)],
)
def test_a_malformed_or_taken_email_is_refused_and_creates_nothing(local, http, admin_headers, email, status):
    ident = unique("refused")
    before = users_with(local, email) if "@" in email and "@@" not in email else []
    answer = http.post(
        f"{local.url}/api/agents", json=new_agent(ident, "social", email=email), headers=admin_headers
    )
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]
    # nothing in the table, nothing new in the pool
    agents = http.get(f"{local.url}/api/agents", headers=admin_headers).json()["items"]
    assert ident not in {a["id"] for a in agents}
    client, pool = cognito(local)
    everyone = client.list_users(UserPoolId=pool)["Users"]
    assert ident not in {
        a["Value"] for u in everyone for a in u["Attributes"] if a["Name"] == "custom:agent_id"
    }
    if before:
        assert users_with(local, email) == before

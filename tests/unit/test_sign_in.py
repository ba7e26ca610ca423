"""Sign-in maps to agents: the pre-token-generation trigger's event and answer in Cognito's documented
V1_0 shape, and the API's per-request check of the token's agent."""

from __future__ import annotations

import copy
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from kanal.api.auth import Caller, caller_from_context
from kanal.api.sign_in import SignInRefused, signed_in, token_claims
from kanal.errors import NotSignedIn
from kanal.routing.roster import Agent
from tests.fakes import FakeOrganisation

ROOT = Path(__file__).resolve().parents[2]

AGENTS = FakeOrganisation(
    teams=[],
    agents=[
        Agent("lena", "Lena", "lena@velora.example", groups=("agents", "leads")),
        Agent("jonas", "Jonas", "jonas@velora.example"),
        Agent("gone", "Gone", "gone@velora.example", enabled=False),
    ],
)

# The V1_0 event as Cognito documents it (user-pool-lambda-pre-token-generation.html), for a sign-in.
EVENT: dict[str, Any] = {
    "version": "1",
    "triggerSource": "TokenGeneration_Authentication",
    "region": "eu-central-1",
    "userPoolId": "eu-central-1_EXAMPLE",
    "userName": "5b8f8e4e-3f0e-4d1c-9d8e-1b5c0f1a2b3c",
    "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "1example23456789"},
    "request": {
        "userAttributes": {
            "sub": "5b8f8e4e-3f0e-4d1c-9d8e-1b5c0f1a2b3c",
            "cognito:user_status": "CONFIRMED",
            "email": "lena@velora.example",
            "email_verified": "true",
            "custom:agent_id": "lena",
        },
        "groupConfiguration": {"groupsToOverride": [], "iamRolesToOverride": [], "preferredRole": None},
    },
    "response": {"claimsOverrideDetails": None},
}


@pytest.fixture
def trigger(monkeypatch) -> Iterator[ModuleType]:
    """functions/pre_token.py, loaded under a name of its own, reading the in-memory organisation."""
    from kanal.adapters.models import MemberItem, OrgItem

    saved = [(m, m.Meta.table_name, m.Meta.region) for m in (OrgItem, MemberItem)]
    monkeypatch.setenv("KANAL_ORGANISATION_TABLE", "unit-organisation")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    from kanal.config import config

    config.cache_clear()
    spec = importlib.util.spec_from_file_location("unit_pre_token", ROOT / "functions" / "pre_token.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.agents = AGENTS
    yield module
    sys.modules.pop("unit_pre_token", None)
    for model, table, region in saved:
        model.Meta.table_name, model.Meta.region = table, region
    config.cache_clear()


class Context:
    function_name = "pre-token"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:eu-central-1:123456789012:function:pre-token"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"


def test_the_trigger_answers_the_agent_id_and_their_groups_in_the_documented_shape(trigger):
    answer = trigger.lambda_handler(copy.deepcopy(EVENT), Context())
    # Cognito reads the event back with `response` filled in; everything else as it was sent
    assert {k: v for k, v in answer.items() if k != "response"} == {
        k: v for k, v in EVENT.items() if k != "response"
    }
    assert answer["response"] == {
        "claimsOverrideDetails": {
            "claimsToAddOrOverride": {"kanal:agent_id": "lena"},
            "groupOverrideDetails": {"groupsToOverride": ["agents", "leads"]},
        }
    }


@pytest.mark.parametrize("agent_id", ["gone", "nobody", None])
def test_a_disabled_unknown_or_unnamed_agent_gets_no_token(trigger, agent_id):
    event = copy.deepcopy(EVENT)
    event["request"]["userAttributes"]["custom:agent_id"] = agent_id
    if agent_id is None:
        del event["request"]["userAttributes"]["custom:agent_id"]
    with pytest.raises(SignInRefused):
        trigger.lambda_handler(event, Context())


def test_the_token_carries_the_groups_the_table_has_now():
    assert token_claims(AGENTS, "jonas").groups == ("agents",)
    assert token_claims(AGENTS, "lena").claims == {"kanal:agent_id": "lena"}


def test_the_caller_is_the_agent_the_kanal_claim_names_not_the_cognito_username():
    claims = {"cognito:username": "5b8f8e4e", "kanal:agent_id": "lena", "cognito:groups": "agents,leads"}
    caller = caller_from_context({"authorizer": {"claims": claims}})
    assert caller == Caller("lena", frozenset({"agents", "leads"}))
    with pytest.raises(NotSignedIn):  # a token Kanal's trigger did not shape names no agent: 401
        caller_from_context({"authorizer": {"claims": {"cognito:username": "lena"}}})


def test_a_disabled_or_unknown_agent_is_refused_and_a_group_taken_away_is_gone_at_once():
    with pytest.raises(NotSignedIn):
        signed_in(Caller("gone", frozenset({"agents"})), AGENTS)
    with pytest.raises(NotSignedIn):
        signed_in(Caller("nobody", frozenset({"agents"})), AGENTS)
    # jonas's token still says leads (issued before an admin took it away): he is an agent now
    assert signed_in(Caller("jonas", frozenset({"agents", "leads"})), AGENTS).groups == {"agents"}

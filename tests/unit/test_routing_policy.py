"""The escalation policy document: the shipped default, its schema, and every problem of a bad one at once."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from kanal.errors import BadRequest, InvalidRules
from kanal.routing.policy import Tier, default_policy, load_policy, policy_schema, validate_policy

ROOT = Path(__file__).resolve().parents[2]
PACKAGED = ROOT / "layers" / "kanal" / "kanal" / "routing"
PACKAGED_SCHEMA = PACKAGED / "escalation.schema.json"
REPO_SCHEMA = ROOT / "schemas" / "escalation.schema.json"
SHIPPED_POLICY = PACKAGED / "escalation.json"


def shipped() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SHIPPED_POLICY.read_text("utf-8"))
    return document


def errors_of(document: Any) -> list[str]:
    with pytest.raises(InvalidRules) as caught:
        load_policy(document)
    return caught.value.errors


def test_the_packaged_and_repo_schema_files_are_identical() -> None:
    assert REPO_SCHEMA.read_bytes() == PACKAGED_SCHEMA.read_bytes()


def test_the_schema_is_valid_draft_2020_12_and_is_the_one_in_use() -> None:
    schema = json.loads(REPO_SCHEMA.read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    assert policy_schema() == schema


def test_the_shipped_default_validates_against_the_repo_schema() -> None:
    # Given the default policy as shipped
    document = shipped()
    # When it is checked against the schema copy in schemas/ and by the loader
    repo_errors = list(Draft202012Validator(json.loads(REPO_SCHEMA.read_text("utf-8"))).iter_errors(document))
    # Then neither finds a problem
    assert repo_errors == []
    assert validate_policy(document) == []


def test_the_default_policy_is_the_shipped_document() -> None:
    # Given the shipped document and the policy the functions load by default
    # Then they are the same: warn at 80 %, the lead at the due time, ops by SMS half a window later
    policy = default_policy()
    assert policy == load_policy(shipped())
    assert policy.version == "2026.1-default" and policy.warning_share == 0.8
    assert policy.tiers == (
        Tier(name="lead", notify=("lead",), reroute=True, protocols=("email", "sms")),
        Tier(
            name="ops",
            notify=("ops",),
            after_breach_share=0.5,
            min_after_minutes=5,
            protocols=("sms",),
            breached=True,
        ),
    )


def test_a_tier_left_to_the_defaults_mails_and_texts_without_rerouting_or_breaching() -> None:
    policy = load_policy({"version": "v", "warning_share": 1, "tiers": [{"name": "t", "notify": ["owner"]}]})
    assert policy.tiers == (Tier(name="t", notify=("owner",)),)
    assert policy.tiers[0].protocols == ("email", "sms")


def test_an_invalid_document_lists_every_problem_at_once() -> None:
    # Given a policy with eight problems in different places
    document = copy.deepcopy(shipped())
    document["version"] = ""
    document["warning_share"] = 0
    document["colour"] = "red"
    document["tiers"][0].update(notify=["boss"], protocols=["fax"], after_breach_share=-1)
    document["tiers"][1].pop("name")
    document["tiers"][1]["notify"] = []
    # When it is loaded
    errors = errors_of(document)
    # Then each problem is named with where it is, all of them in one answer
    assert errors == [
        "$: Additional properties are not allowed ('colour' was unexpected)",
        "$.tiers[0].after_breach_share: -1 is less than the minimum of 0",
        "$.tiers[0].notify[0]: 'boss' is not one of ['lead', 'owner', 'ops']",
        "$.tiers[0].protocols[0]: 'fax' is not one of ['email', 'sms']",
        "$.tiers[1]: 'name' is a required property",
        "$.tiers[1].notify: [] should be non-empty",
        "$.version: '' should be non-empty",
        "$.warning_share: 0 is less than or equal to the minimum of 0",
    ]


def test_the_error_is_a_bad_request_whose_message_joins_the_problems() -> None:
    with pytest.raises(BadRequest) as caught:
        load_policy({"version": "v", "warning_share": 2, "tiers": []})
    assert isinstance(caught.value, InvalidRules)
    assert str(caught.value) == "; ".join(caught.value.errors)
    assert len(caught.value.errors) == 2


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        pytest.param([], "$: [] is not of type 'object'", id="not_an_object"),
        pytest.param(
            {"version": "v", "warning_share": 0.8}, "$: 'tiers' is a required property", id="no_tiers"
        ),
        pytest.param(
            {"version": "v", "warning_share": 0.8, "tiers": []}, "$.tiers: [] should be non-empty", id="empty"
        ),
        pytest.param(
            {"version": "v", "warning_share": 0.8, "tiers": [{"name": "t", "notify": ["ops"]}] * 6},
            "$.tiers: [",
            id="more_than_five_tiers",
        ),
        pytest.param(
            {"version": "v", "warning_share": 1.5, "tiers": [{"name": "t", "notify": ["ops"]}]},
            "$.warning_share: 1.5 is greater than the maximum of 1",
            id="warning_after_the_window",
        ),
        pytest.param(
            {"version": "v", "warning_share": 0.8, "tiers": [{"name": "t", "notify": ["ops", "ops"]}]},
            "$.tiers[0].notify: ['ops', 'ops'] has non-unique elements",
            id="same_recipient_twice",
        ),
        pytest.param(
            {
                "version": "v",
                "warning_share": 0.8,
                "tiers": [{"name": "t", "notify": ["ops"], "min_after_minutes": 10081}],
            },
            "$.tiers[0].min_after_minutes: 10081 is greater than the maximum of 10080",
            id="more_than_a_week_late",
        ),
    ],
)
def test_single_problems_are_named(document: Any, expected: str) -> None:
    errors = errors_of(document)
    assert len(errors) == 1 and errors[0].startswith(expected)

"""The agent and team schemas: one copy in schemas/, one in the package, both valid draft 2020-12."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from kanal.api.documents import AGENT, TEAM, WORK, problems, schema, validated
from kanal.errors import InvalidDocument

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", [AGENT, TEAM, WORK])
def test_the_repo_and_packaged_schemas_are_identical_and_valid(name):
    repo = ROOT / "schemas" / name
    assert repo.read_bytes() == (ROOT / "layers" / "kanal" / "kanal" / "api" / name).read_bytes()
    Draft202012Validator.check_schema(json.loads(repo.read_text("utf-8")))
    assert schema(name)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_a_listed_agent_can_be_sent_back_as_it_is():
    listed = {
        "id": "jonas",
        "name": "Jonas Becker",
        "teams": ["social"],
        "groups": ["agents"],
        "status": "online",
        "skills": {"channels": ["facebook"], "languages": ["de"], "topics": ["content.legal"]},
        "max_concurrent": 6,
        "open_caseload": 2,
        "email": "jonas.becker@velora.example",
        "phone": "+4915110000002",
        "language": "de",
        "figures": {"average_first_response_seconds": 84.0, "csat": None, "first_responses": 3},
    }
    assert validated(AGENT, listed) is listed
    assert problems(AGENT, {**listed, "email": None, "phone": None}) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "+49 151 10000002"),
        ("phone", "+0151100000002"),
        ("phone", "+49151" + "\u0661\u0662\u0663\u0664\u0665\u0666\u0667"),  # Arabic-Indic: not E.164
        ("email", "jonas@velora"),
        ("email", "jonas becker@velora.example"),
        ("id", "Jonas"),
        ("id", "x" * 65),
        ("max_concurrent", 0),
        ("max_concurrent", 5.5),
    ],
)
def test_a_wrong_field_is_named_and_its_value_never_repeated(field, value):
    errors = problems(AGENT, {"id": "jonas", "name": "Jonas", field: value})
    assert [e.split(":")[0] for e in errors] == [f"$.{field}"]
    assert str(value) not in errors[0]


def test_a_status_change_is_one_of_three_statuses():
    assert problems(AGENT, {"status": "away"}, part="status_change") == []
    with pytest.raises(InvalidDocument) as caught:
        validated(AGENT, {"status": "lunch", "note": "back at 2"}, part="status_change")
    assert len(caught.value.errors) == 2

"""The rules document: schema, semantic checks, every error at once, the compiled immutable Rules."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from kanal.errors import BadRequest, InvalidRules
from kanal.priority import default_rules, load_rules, rules_schema, validate
from kanal.priority.words import Matching

ROOT = Path(__file__).resolve().parents[2]
REPO_SCHEMA = ROOT / "schemas" / "rules.schema.json"
PACKAGED_SCHEMA = ROOT / "layers" / "kanal" / "kanal" / "priority" / "rules.schema.json"
SHIPPED_RULES = ROOT / "layers" / "kanal" / "kanal" / "priority" / "default_rules.json"

CHANNEL_RULE = {
    "type": "channel",
    "weight": 0,
    "sla_minutes": {"default": {"P1": 30, "P2": 60, "P3": 120, "P4": 240}},
}


def minimal() -> dict[str, Any]:
    return {
        "version": "t1",
        "bands": {"P1": 70, "P2": 45, "P3": 20},
        "rules": [{"type": "content", "weight": 20, "terms": {"en": ["help"]}}, copy.deepcopy(CHANNEL_RULE)],
    }


def errors_of(doc: Any) -> list[str]:
    with pytest.raises(InvalidRules) as caught:
        load_rules(doc)
    return caught.value.errors


def test_given_repo_and_packaged_schema_then_they_are_identical() -> None:
    assert REPO_SCHEMA.read_bytes() == PACKAGED_SCHEMA.read_bytes()


def test_given_schema_then_it_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(json.loads(REPO_SCHEMA.read_text("utf-8")))
    assert rules_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_given_shipped_rules_then_they_validate_against_the_repo_schema() -> None:
    document = json.loads(SHIPPED_RULES.read_text("utf-8"))

    assert list(Draft202012Validator(json.loads(REPO_SCHEMA.read_text("utf-8"))).iter_errors(document)) == []
    assert validate(document) == []


def test_given_shipped_rules_then_they_cover_german_and_english_service_words() -> None:
    terms = {
        rule["id"]: rule["terms"] for rule in default_rules().document["rules"] if rule["type"] == "content"
    }
    words = {w.casefold() for rule in terms.values() for lang in ("en", "de") for w in rule[lang]}

    for expected in ("help", "hilfe", "broken", "kaputt*", "defekt*", "refund", "erstattung", "geld zurück"):
        assert expected in words
    for expected in ("cancel", "kündigen", "kündigung", "complaint", "beschwerde", "urgent", "dringend"):
        assert expected in words
    for expected in ("lawyer", "anwalt", "fraud", "betrug", "not working", "funktioniert nicht"):
        assert expected in words


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        pytest.param(
            lambda d: d["rules"][0].update(weight="ten"),
            "$.rules[0].weight: 'ten' is not of type 'number'",
            id="wrong_type",
        ),
        pytest.param(
            lambda d: d["rules"][0].update(weight=-5),
            "$.rules[0].weight: -5 is less than the minimum of 0",
            id="negative_weight",
        ),
        pytest.param(
            lambda d: d["rules"][0].update(type="sentimant"),
            "$.rules[0].type: 'sentimant' is not one of",
            id="unknown_rule",
        ),
        pytest.param(
            lambda d: d["rules"][0].update(patterns=["(unclosed"]),
            "$.rules[0].patterns[0]: invalid regex '(unclosed'",
            id="bad_regex",
        ),
        pytest.param(
            lambda d: d["bands"].update(P2=80),
            "$.bands: thresholds must fall from P1 to P3",
            id="bands_unordered",
        ),
        pytest.param(lambda d: d.pop("version"), "$: 'version' is a required property", id="missing_version"),
        pytest.param(
            lambda d: d["rules"][0].update(colour="red"),
            "$.rules[0]: Unevaluated properties are not allowed ('colour'",
            id="unknown_field",
        ),
        pytest.param(
            lambda d: d["rules"].pop(), "$.rules: needs exactly one 'channel' rule", id="no_channel_rule"
        ),
        pytest.param(
            lambda d: d["rules"].append(copy.deepcopy(d["rules"][0])),
            "$.rules[2].id: duplicate rule id 'content'",
            id="duplicate_id",
        ),
        pytest.param(
            lambda d: d["rules"][0]["terms"]["en"].append("kaputt*e"),
            "$.rules[0].terms.en[1]: '*' may only end a term",
            id="star_inside",
        ),
        pytest.param(
            lambda d: d["rules"][0]["terms"]["en"].append("   "),
            "$.rules[0].terms.en[1]: the term '   ' has nothing",
            id="blank_term",
        ),
        pytest.param(
            lambda d: d["rules"][0].update(terms={}),
            "$.rules[0]: a content rule needs at least one term",
            id="empty_content",
        ),
        pytest.param(
            lambda d: d["rules"].append(
                {"type": "brand_trigger", "weight": 5, "brand": "nope", "triggers": ["content"]}
            ),
            "$.rules[2].brand: no rule with id 'nope'",
            id="dangling_reference",
        ),
        pytest.param(
            lambda d: d["rules"].append(
                {"type": "brand_trigger", "weight": 5, "brand": "content", "triggers": ["content"]}
            ),
            "$.rules[2].brand: rule 'content' is a content rule, expected brand",
            id="wrong_reference",
        ),
        pytest.param(
            lambda d: d["rules"].append(
                {
                    "type": "reach",
                    "weight": 20,
                    "tiers": [{"min_followers": 100, "weight": 10}, {"min_followers": 10, "weight": 20}],
                }
            ),
            "$.rules[2].tiers[1].min_followers: tiers must ascend (10 after 100)",
            id="tiers_unordered",
        ),
        pytest.param(
            lambda d: d["rules"].append({"type": "customer_value", "weight": 10, "vip_weight": 25}),
            "$.rules[2].vip_weight: 25 exceeds the rule's weight 10",
            id="part_over_cap",
        ),
        pytest.param(
            lambda d: d["rules"][1]["sla_minutes"].update(x={"P1": 90, "P2": 60, "P3": 120, "P4": 240}),
            "$.rules[1].sla_minutes.x: targets must not shrink from P1 to P4",
            id="sla_unordered",
        ),
        pytest.param(
            lambda d: d["rules"][1].update(sla_minutes={"x": {"P1": 1, "P2": 2, "P3": 3, "P4": 4}}),
            "$.rules[1].sla_minutes: no target for facebook, messenger, instagram, whatsapp, email",
            id="sla_channels_missing",
        ),
        pytest.param(
            lambda d: d.update(
                calendars={"office": {"timezone": "Europe/Atlantis", "hours": {"mon": ["08:00", "18:00"]}}}
            ),
            "$.calendars.office.timezone: unknown time zone 'Europe/Atlantis'",
            id="unknown_timezone",
        ),
        pytest.param(
            lambda d: d.update(
                calendars={"office": {"timezone": "UTC", "hours": {"mon": ["18:00", "08:00"]}}}
            ),
            "$.calendars.office.hours.mon: opens at 18:00 but closes at 08:00",
            id="closes_before_opening",
        ),
        pytest.param(
            lambda d: d.update(calendars={"office": {"timezone": "UTC", "hours": {}}}),
            "$.calendars.office.hours: the calendar is never open",
            id="never_open",
        ),
        pytest.param(
            lambda d: d.update(
                calendars={
                    "office": {
                        "timezone": "UTC",
                        "hours": {"mon": ["08:00", "18:00"]},
                        "holidays": ["2026-02-30"],
                    }
                }
            ),
            "$.calendars.office.holidays[0]: '2026-02-30' is not a date",
            id="impossible_holiday",
        ),
        pytest.param(
            lambda d: d.update(default_calendar="night-shift"),
            "$.default_calendar: no calendar named 'night-shift'",
            id="unknown_default_calendar",
        ),
        pytest.param(
            lambda d: d.update(sentiment={"provider": "magic"}),
            "$.sentiment.provider: 'magic' is not one of",
            id="unknown_provider",
        ),
        pytest.param(
            lambda d: d["rules"][0].update(weight=float("nan")),
            "$.rules[0].weight: nan is not a finite",
            id="nan_weight",
        ),
    ],
)
def test_given_one_defect_when_loaded_then_refused_with_its_path(mutate: Any, expected: str) -> None:
    doc = minimal()
    mutate(doc)

    errors = errors_of(doc)

    assert any(e.startswith(expected) for e in errors), errors
    assert all(e.startswith("$") for e in errors)


def test_given_many_defects_when_loaded_then_every_error_is_listed_once() -> None:
    doc = minimal()
    doc["bands"] = {"P1": 20, "P2": 45, "P3": 70}
    doc["rules"] = [
        {"type": "content", "weight": "heavy", "terms": {"en": ["help"]}},
        {"id": "neg", "type": "content", "weight": -1, "terms": {"de": ["Hilfe"]}},
        {"id": "mystery", "type": "astrology", "weight": 5},
        {
            "id": "rx",
            "type": "content",
            "weight": 5,
            "patterns": ["[a-", {"regex": "ok", "label": "fine"}, "(?P<x"],
        },
        copy.deepcopy(CHANNEL_RULE),
    ]

    errors = errors_of(doc)

    expected = [
        "$.bands: thresholds must fall",
        "$.rules[0].weight: 'heavy' is not of type 'number'",
        "$.rules[1].weight: -1 is less than the minimum of 0",
        "$.rules[2].type: 'astrology' is not one of",
        "$.rules[3].patterns[0]: invalid regex '[a-'",
        "$.rules[3].patterns[2]: invalid regex '(?P<x'",
    ]
    for prefix in expected:
        assert sum(e.startswith(prefix) for e in errors) == 1, (prefix, errors)
    assert len(errors) == len(set(errors)) == len(expected)


def test_given_invalid_rules_then_error_is_a_bad_request_with_a_readable_message() -> None:
    doc = minimal()
    doc["rules"][0]["weight"] = -1

    with pytest.raises(BadRequest) as caught:
        load_rules(doc)

    assert "$.rules[0].weight" in str(caught.value)


@pytest.mark.parametrize("doc", [None, [], "rules", 42], ids=["none", "list", "string", "number"])
def test_given_not_an_object_when_loaded_then_refused(doc: Any) -> None:
    assert errors_of(doc) == [f"$: {doc!r} is not of type 'object'"]


def test_given_valid_document_when_loaded_then_version_and_document_are_exposed() -> None:
    doc = minimal()

    rules = load_rules(doc)

    assert rules.version == "t1"
    assert rules.document == doc


def test_given_loaded_rules_when_caller_changes_its_dict_then_rules_do_not_change() -> None:
    doc = minimal()
    rules = load_rules(doc)

    doc["version"] = "changed"
    rules.document["version"] = "changed too"

    assert rules.version == "t1"
    assert rules.document["version"] == "t1"


def test_given_rules_then_they_are_immutable() -> None:
    rules = load_rules(minimal())

    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.version = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        rules.calendars["x"] = rules.calendars["24/7"]  # type: ignore[index]


def test_given_patterns_when_loaded_then_regexes_are_compiled_once() -> None:
    doc = minimal()
    doc["rules"][0]["patterns"] = [{"regex": r"\border\s+#?\d{6}\b", "label": "order number"}]

    rules = load_rules(doc)

    content = rules.rules[0]
    assert isinstance(content, Matching)
    assert all(isinstance(p, re.Pattern) for _, p in content.patterns)
    assert [label for label, _ in content.patterns] == ["order number"]


def test_given_default_rules_when_loaded_twice_then_same_compiled_object() -> None:
    assert default_rules() is default_rules()
    assert default_rules().default_calendar == "office"
    assert default_rules().sentiment.provider == "local"


def test_given_no_calendars_when_loaded_then_always_open_is_the_default() -> None:
    rules = load_rules(minimal())

    assert rules.default_calendar == "24/7"
    assert rules.calendar().name == "24/7"

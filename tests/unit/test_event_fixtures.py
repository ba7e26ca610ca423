"""Every sample event under tests/events validates against its schema before any test relies on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "tests" / "events"
SCHEMAS = ROOT / "schemas"

# fixture folder -> the schema its JSON files must satisfy
SCHEMA_BY_FOLDER = {
    "meta": SCHEMAS / "webhooks" / "meta.schema.json",
    "x": SCHEMAS / "webhooks" / "x.schema.json",
    "ses": SCHEMAS / "webhooks" / "ses-notification.schema.json",
    "contact-events": SCHEMAS / "contact-event.schema.json",
}

FIXTURES = sorted(EVENTS.rglob("*.json"))


def _validator(schema_path: Path) -> Draft202012Validator:
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_there_are_fixtures_for_every_folder() -> None:
    folders = {path.relative_to(EVENTS).parts[0] for path in FIXTURES}
    assert folders == set(SCHEMA_BY_FOLDER)


@pytest.mark.parametrize("schema_path", sorted(SCHEMAS.rglob("*.schema.json")), ids=lambda path: path.name)
def test_every_schema_is_a_valid_json_schema(schema_path: Path) -> None:
    Draft202012Validator.check_schema(json.loads(schema_path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda path: str(path.relative_to(EVENTS)))
def test_fixture_validates_against_its_schema(fixture: Path) -> None:
    folder = fixture.relative_to(EVENTS).parts[0]
    assert folder in SCHEMA_BY_FOLDER, f"no schema mapped for tests/events/{folder}"
    validator = _validator(SCHEMA_BY_FOLDER[folder])
    errors = [
        f"{list(error.absolute_path)}: {error.message}"
        for error in validator.iter_errors(json.loads(fixture.read_text("utf-8")))
    ]
    assert errors == []


@pytest.mark.parametrize(
    ("folder", "broken"),
    [
        ("meta", {"object": "page"}),
        ("meta", {"object": "page", "entry": [{"time": 1714043125}]}),
        (
            "meta",
            {
                "object": "whatsapp_business_account",
                "entry": [{"id": "1", "changes": [{"field": "messages", "value": {}}]}],
            },
        ),
        ("x", {"tweet_create_events": []}),
        (
            "x",
            {
                "for_user_id": "1346889436626259968",
                "direct_message_events": [{"type": "message_create", "id": "1", "created_timestamp": "1"}],
            },
        ),
        ("ses", {"notificationType": "Received", "mail": {}, "receipt": {"action": {"type": "S3"}}}),
        (
            "contact-events",
            {"event_id": "1", "kind": "fax", "occurred_at": "2024-04-25T10:00:00Z", "customer_ref": "C-1"},
        ),
        ("contact-events", {"event_id": "1", "kind": "call", "occurred_at": "2024-04-25T10:00:00Z"}),
        ("contact-events", {"events": []}),
    ],
)
def test_schemas_reject_what_the_platform_would_not_send(folder: str, broken: dict) -> None:
    assert not _validator(SCHEMA_BY_FOLDER[folder]).is_valid(broken)


def test_raw_emails_are_present_for_the_ses_flow() -> None:
    assert {path.name for path in (EVENTS / "ses").glob("*.eml")} == {"inquiry.eml", "reply.eml"}

"""The channel package's contract: dispatch, record shape, the normalised message schema, shipped schemas."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from kanal.channels import SOURCES, load_schema, message_to_dict, normalise_record, split_delivery
from kanal.channels._common import first_time, to_utc
from kanal.channels.email import parse_email
from kanal.errors import MalformedPayload
from kanal.model import InboundMessage

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "tests" / "events"
SHIPPED = ROOT / "layers" / "kanal" / "kanal" / "channels" / "schemas"
RECEIVED = datetime(2024, 4, 25, 13, 0, tzinfo=UTC)
FOLDER_SOURCE = {"meta": "meta", "x": "x", "contact-events": "contact-events"}


def all_messages() -> list[InboundMessage]:
    messages: list[InboundMessage] = []
    for folder, source in FOLDER_SOURCE.items():
        for path in sorted((EVENTS / folder).glob("*.json")):
            for record in split_delivery(source, json.loads(path.read_text("utf-8"))):
                messages.extend(
                    item for item in normalise_record(record, RECEIVED) if isinstance(item, InboundMessage)
                )
    for path in sorted((EVENTS / "ses").glob("*.eml")):
        messages.append(parse_email(path.read_bytes(), RECEIVED, "service@velora-bikes.de"))
    return messages


def test_sources() -> None:
    assert frozenset({"meta", "x", "contact-events"}) == SOURCES


def test_unknown_source_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown webhook source"):
        split_delivery("tiktok", {})


@pytest.mark.parametrize(
    "record",
    [
        [],
        {},
        {"source": "fax"},
        {"source": "meta"},
        {"source": "x", "kind": "x.tweet"},
        {"source": "contact-events", "payload": 5},
    ],
    ids=["not-object", "no-source", "unknown-source", "no-kind", "no-payload", "payload-not-object"],
)
def test_records_it_cannot_understand_are_malformed(record: Any) -> None:
    with pytest.raises(MalformedPayload):
        normalise_record(record, RECEIVED)


def test_every_record_has_source_and_key() -> None:
    for folder, source in FOLDER_SOURCE.items():
        for path in sorted((EVENTS / folder).glob("*.json")):
            for record in split_delivery(source, json.loads(path.read_text("utf-8"))):
                assert record["source"] == source and isinstance(record["key"], str) and record["key"]


def test_every_normalised_fixture_matches_the_inquiry_schema() -> None:
    validator = Draft202012Validator(
        json.loads((ROOT / "schemas" / "inquiry.schema.json").read_text("utf-8"))
    )
    messages = all_messages()
    assert len(messages) >= 30
    for message in messages:
        data = message_to_dict(message)
        assert list(validator.iter_errors(data)) == [], message.external_id
        assert data["created_at"].endswith("Z") and json.loads(json.dumps(data)) == data


@pytest.mark.parametrize("name", sorted(path.name for path in SHIPPED.glob("*.json")))
def test_shipped_schema_is_identical_to_schemas_folder(name: str) -> None:
    assert (SHIPPED / name).read_bytes() == (ROOT / "schemas" / name).read_bytes()


def test_the_schemas_the_code_needs_are_shipped() -> None:
    assert {"contact-event.schema.json", "inquiry.schema.json"} <= {
        path.name for path in SHIPPED.glob("*.json")
    }
    assert load_schema("contact-event.schema.json")["title"] == "Contact events"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1714043120, datetime(2024, 4, 25, 11, 5, 20, tzinfo=UTC)),
        (1714044999876, datetime(2024, 4, 25, 11, 36, 39, 876000, tzinfo=UTC)),
        ("1714048010", datetime(2024, 4, 25, 12, 26, 50, tzinfo=UTC)),
        ("1714046473662", datetime(2024, 4, 25, 12, 1, 13, 662000, tzinfo=UTC)),
        ("2024-04-25T11:05:20+0000", datetime(2024, 4, 25, 11, 5, 20, tzinfo=UTC)),
        ("2024-04-25T13:05:20+02:00", datetime(2024, 4, 25, 11, 5, 20, tzinfo=UTC)),
        ("2024-04-25T11:05:20Z", datetime(2024, 4, 25, 11, 5, 20, tzinfo=UTC)),
        ("Thu Apr 25 12:01:13 +0000 2024", datetime(2024, 4, 25, 12, 1, 13, tzinfo=UTC)),
        (None, None),
        (True, None),
        ("", None),
        ("soon", None),
        (-5, None),
        ({"t": 1}, None),
    ],
)
def test_platform_timestamps_become_aware_utc(value: object, expected: datetime | None) -> None:
    parsed = to_utc(value)
    assert parsed == expected
    if parsed is not None:
        assert parsed.utcoffset() == timedelta(0)


def test_first_time_skips_unreadable_candidates() -> None:
    assert first_time(None, "x", 1714043120) == datetime(2024, 4, 25, 11, 5, 20, tzinfo=UTC)
    assert first_time(None) is None


def test_message_to_dict_writes_utc_as_z() -> None:
    message = all_messages()[0]
    local = datetime(2024, 4, 25, 15, 0, tzinfo=timezone(timedelta(hours=2)))
    data = message_to_dict(message.__class__(**{**message.__dict__, "received_at": local.astimezone(UTC)}))
    assert data["received_at"] == "2024-04-25T13:00:00Z"

"""Hostile input: every channel parser and the webhook ack path, fed generated payloads.

The payloads start from the real deliveries in tests/events and are mutated (fields replaced by values of
another type, removed, nested deeply, huge numbers, unicode), or are arbitrary bytes. Whatever comes in,
the parsers give records (or messages) or refuse with one of the project's typed errors
(MalformedPayload → 400, PayloadTooLarge → 413, InvalidSignature → 401); any other exception would be a
502 from API Gateway or a record in the ingest DLQ without a reason.

The ``ci`` profile (the default) runs 200 examples a test; ``HYPOTHESIS_PROFILE=deep`` (``make fuzz``)
runs 5,000.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import importlib.util
import json
import os
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kanal.channels import normalise_record, split_delivery
from kanal.channels.email import locate_ses_object, parse_email
from kanal.errors import KanalError, MalformedPayload
from kanal.intake.webhooks import accept_delivery
from tests.signing import contact_events_headers, sign_meta, sign_x

settings.register_profile("ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "deep", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

EVENTS = Path(__file__).resolve().parents[1] / "events"
RECEIVED = datetime(2024, 4, 26, 6, 5, tzinfo=UTC)
SECRET = "test-secret"
NOW = 1_714_111_500.0


def _load(folder: str) -> list[Any]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted((EVENTS / folder).glob("*.json"))]


FIXTURES = {"meta": _load("meta"), "x": _load("x"), "contact-events": _load("contact-events")}
SES_NOTIFICATIONS = _load("ses")
EMAILS = [path.read_bytes() for path in sorted((EVENTS / "ses").glob("*.eml"))]

# ------------------------------------------------------------------------------------------- strategies

HUGE = st.sampled_from([10**30, -(10**30), 2**63, 1e308, -1e308, 10**4000, 5e-324, 0, -1])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | HUGE
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["", "\x00", "\u202e\ud7ff", "9" * 30, "2024-13-45T99:99:99Z", "Fri Apr 26 06:05:00"])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (keys and indexes) into a JSON document, the root included."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _nest(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = {"a": [value]}
    return value


@st.composite
def mutated(draw: st.DrawFn, documents: list[Any]) -> Any:
    """A real document with a few of its fields replaced, removed or buried deep."""
    document = copy.deepcopy(draw(st.sampled_from(documents)))
    for _ in range(draw(st.integers(0, 4))):
        path = draw(st.sampled_from(_paths(document)))
        operation = draw(st.sampled_from(["replace", "remove", "nest", "huge", "unicode"]))
        if not path:
            document = draw(JSON) if operation == "replace" else document
            continue
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        if operation == "remove":
            del parent[last]
        elif operation == "replace":
            parent[last] = draw(JSON)
        elif operation == "nest":
            parent[last] = _nest(parent[last], draw(st.integers(1, 50)))
        elif operation == "huge":
            parent[last] = draw(HUGE)
        else:
            parent[last] = draw(st.text(min_size=1, max_size=30))
    return document


def _records_or_refusal(source: str, payload: Any) -> None:
    try:
        records = split_delivery(source, payload)
    except MalformedPayload:
        return
    assert isinstance(records, list)
    json.dumps(records)  # records travel through SQS as JSON
    for record in records:
        with contextlib.suppress(MalformedPayload):
            normalise_record(json.loads(json.dumps(record)), RECEIVED)


# ------------------------------------------------------------------------------------------------ tests


@given(mutated(FIXTURES["meta"]))
def test_meta_parsers_give_records_or_refuse(payload: Any) -> None:
    _records_or_refusal("meta", payload)


@given(mutated(FIXTURES["x"]))
@example({"for_user_id": 10**4000, "tweet_create_events": []})
def test_x_parser_gives_records_or_refuses(payload: Any) -> None:
    _records_or_refusal("x", payload)


@given(mutated(FIXTURES["contact-events"]))
def test_contact_events_parser_gives_records_or_refuses(payload: Any) -> None:
    _records_or_refusal("contact-events", payload)


@given(st.sampled_from(sorted(FIXTURES)), JSON)
def test_any_json_gives_records_or_refuses(source: str, payload: Any) -> None:
    _records_or_refusal(source, payload)


@given(mutated(SES_NOTIFICATIONS))
def test_ses_notification_locates_or_refuses(notification: Any) -> None:
    try:
        bucket, key = locate_ses_object(notification)
    except MalformedPayload:
        return
    assert isinstance(bucket, str) and isinstance(key, str)


@st.composite
def damaged_email(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from(EMAILS)))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(raw)))
        cut = draw(st.integers(0, 40))
        insert = draw(
            st.binary(max_size=30)
            | st.sampled_from(
                [
                    b"\r\nFrom: \r\n",
                    b"\r\nDate: Mon, 99 Foo 99999 99:99:99 +9999\r\n",
                    b"=?utf-8?b?////?=",
                    b"\r\nContent-Type: multipart/mixed; boundary=\r\n",
                    b"\r\nMessage-ID: <>\r\n",
                ]
            )
        )
        raw[at : at + cut] = insert
    return bytes(raw)


@given(damaged_email() | st.binary(max_size=400))
@example(b"From: Anna <anna@\rexample.de>\r\n\r\nHallo")  # IndexError in the address parser
@example(b"Message-ID:<: <a@example.de>\r\nFrom: a@example.de\r\n\r\nHallo")  # IndexError, msg-id
def test_email_parses_or_refuses(raw: bytes) -> None:
    try:
        message = parse_email(raw, RECEIVED)
    except MalformedPayload:
        return
    assert message.author.id


def _signed(source: str, body: bytes, now: float = NOW) -> dict[str, str]:
    if source == "meta":
        return {"X-Hub-Signature-256": sign_meta(body, SECRET)}
    if source == "x":
        return {"X-Twitter-Webhooks-Signature": sign_x(body, SECRET)}
    return contact_events_headers(body, SECRET, timestamp=int(now))


BODIES = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(sorted(FIXTURES)).flatmap(
        lambda source: mutated(FIXTURES[source]).map(lambda doc: json.dumps(doc).encode())
    ),
    st.integers(1, 3000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.just(b'{"object": "page", "entry": [{"id": ' + b"9" * 5000 + b"}]}"),
)


@given(st.sampled_from(sorted(FIXTURES)), BODIES)
@example("meta", b'{"object": "page", "entry": [{"id": ' + b"9" * 5000 + b"}]}")
@example("x", b"[" * 100_000 + b"]" * 100_000)
def test_webhook_ack_path_gives_records_or_a_typed_refusal(source: str, body: bytes) -> None:
    try:
        records = accept_delivery(source, body, _signed(source, body), SECRET, 1_000_000, now=NOW)
    except KanalError:
        return
    json.dumps(records)


# ------------------------------------------------------------------- the webhook functions, in-process

ROOT = Path(__file__).resolve().parents[2]
PATHS = {"meta": "/webhooks/meta", "x": "/webhooks/x", "contact-events": "/webhooks/contact-events"}
MODULES = {"meta": "webhook_meta", "x": "webhook_x", "contact-events": "webhook_contact_events"}


class Context:
    function_name = "webhook"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:eu-central-1:123456789012:function:webhook"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"


class Queue:
    def __init__(self) -> None:
        self.sent: list[list[dict]] = []

    def send(self, records: list[dict]) -> None:
        json.dumps(records)
        self.sent.append(records)


@pytest.fixture(scope="module")
def webhooks() -> Iterator[tuple[dict[str, ModuleType], Queue]]:
    """functions/webhook_*.py loaded under names of their own, with a fixed secret and a queue in memory."""
    from kanal.config import config
    from kanal.intake import webhook_app

    sent = Queue()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KANAL_INGEST_QUEUE_URL", "https://sqs.eu-central-1.amazonaws.com/1/unit-ingest")
        patch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
        patch.setattr(webhook_app, "queue", lambda: sent)
        config.cache_clear()
        modules = {}
        for source, name in MODULES.items():
            spec = importlib.util.spec_from_file_location(f"unit_{name}", ROOT / "functions" / f"{name}.py")
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            patch.setattr(module, "secret", lambda _name: SECRET)
            modules[source] = module
        yield modules, sent
        for name in MODULES.values():
            sys.modules.pop(f"unit_{name}", None)
    config.cache_clear()


def _event(source: str, method: str, body: bytes, headers: dict[str, str], query: Any = None) -> dict:
    return {
        "httpMethod": method,
        "resource": PATHS[source],
        "path": PATHS[source],
        "headers": headers,
        "queryStringParameters": query,
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
        "requestContext": {"requestId": "unit"},
    }


@given(source=st.sampled_from(sorted(FIXTURES)), body=BODIES)
def test_a_webhook_function_answers_200_with_what_it_queued_or_a_4xx(webhooks, source, body) -> None:
    modules, queue = webhooks
    before = len(queue.sent)
    response = modules[source].lambda_handler(
        _event(source, "POST", body, _signed(source, body, time.time())), Context()
    )
    if response["statusCode"] == 200:
        assert json.loads(response["body"]) == {"accepted": len(queue.sent[-1])}
    else:
        assert response["statusCode"] in (400, 401, 413), response
        assert json.loads(response["body"])["error"]
        assert len(queue.sent) == before  # a refused delivery queues nothing


@given(
    query=st.none()
    | st.dictionaries(
        st.sampled_from(["hub.mode", "hub.verify_token", "hub.challenge", "crc_token", "x"]),
        st.text(max_size=20),
    )
)
def test_the_subscription_checks_answer_200_or_a_4xx(webhooks, query) -> None:
    modules, _ = webhooks
    for source in ("meta", "x"):
        response = modules[source].lambda_handler(_event(source, "GET", b"", {}, query), Context())
        assert response["statusCode"] in (200, 400, 401, 403), response


@pytest.mark.parametrize("source", sorted(FIXTURES))
def test_a_real_delivery_is_queued_in_process(webhooks, source) -> None:
    # the property above holds trivially if nothing is ever accepted: an unmutated fixture is
    modules, queue = webhooks
    body = json.dumps(FIXTURES[source][0]).encode()
    response = modules[source].lambda_handler(
        _event(source, "POST", body, _signed(source, body, time.time())), Context()
    )
    assert response["statusCode"] == 200, response
    assert json.loads(response["body"])["accepted"] == len(queue.sent[-1]) > 0

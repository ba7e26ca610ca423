"""What the webhooks refuse, and how: unsigned or forged deliveries, bodies that are not what the platform
sends, oversized bodies, the platforms' subscription checks. Never a 5xx for bad input, and a refused
delivery leaves nothing behind.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.integration.deliveries import (
    MESSENGER_MID,
    SECRETS,
    SIGNATURE_HEADERS,
    Ids,
    customer_of,
    deliver,
    encode,
    fixture,
    inquiries_of,
    settled,
    signed_headers,
    stored_message,
)
from tests.signing import contact_events_headers, x_crc_token

SOURCES = ["meta", "x", "contact-events"]

# one valid delivery per endpoint: (fixture, channel and platform id of what it would store)
SAMPLES = {
    "meta": ("meta/messenger_text.json", "messenger", MESSENGER_MID),
    "x": ("x/mention_tweet.json", "x", "1783469921451061248"),
    "contact-events": ("contact-events/call.json", "phone", "hotline-2024-04-25-000731"),
}
MAX_BODY = 1024 * 1024


def _sample(source: str) -> tuple[object, Ids]:
    ids = Ids()
    return fixture(SAMPLES[source][0], ids), ids


def _assert_refused(response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert isinstance(error, str) and error
    return error


def _assert_nothing_stored(local, source: str, ids: Ids) -> None:
    """Whatever reached the ingest queue has been worked through, and the delivery's message is not there."""
    settled(local)
    _, channel, external_id = SAMPLES[source]
    if source == "contact-events":  # the caller's identity would have become a customer
        assert customer_of(local, channel, f"+4915112345678{ids.suffix}") is None
    else:
        assert stored_message(local, channel, ids.sub(external_id)) is None


# ------------------------------------------------------------------------------------------ signatures


@pytest.mark.parametrize("source", SOURCES)
def test_a_delivery_without_a_signature_is_refused_with_401(source, local, http):
    # Given a well-formed delivery
    delivery, ids = _sample(source)
    # When it arrives without the signature header
    response = deliver(http, local, source, delivery, headers={"Content-Type": "application/json"})
    # Then it is refused as unauthenticated, and nothing is stored
    _assert_refused(response, 401)
    _assert_nothing_stored(local, source, ids)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(
    "forgery", ["another secret", "another body", "not sha256", "empty", "garbage"], ids=str
)
def test_a_delivery_with_a_wrong_signature_is_refused_with_401(source, forgery, local, http):
    # Given a well-formed delivery
    delivery, ids = _sample(source)
    body = encode(delivery)
    header = SIGNATURE_HEADERS[source]
    # When its signature does not prove it came from the platform
    headers = {
        "another secret": signed_headers(source, body, secret="not-" + SECRETS[source]),
        "another body": signed_headers(source, body + b" "),
        "not sha256": {header: signed_headers(source, body)[header].replace("sha256=", "sha1=")},
        "empty": {header: ""},
        "garbage": {header: "sha256=\u00e4\u00f6\u00fc not even hex"},
    }[forgery]
    response = deliver(http, local, source, body, headers=headers)
    # Then it is refused, and nothing is stored
    _assert_refused(response, 401)
    _assert_nothing_stored(local, source, ids)


# ---------------------------------------------------------------------------- contact-event timestamps

CONTACT_SECRET = SECRETS["contact-events"]


def _order_value(local, ids: Ids) -> tuple[str | None, float]:
    customer = customer_of(local, "email", f"james.carter{ids.suffix}@example.co.uk")
    if customer is None:
        return None, 0.0
    profile = local.stack.client("dynamodb").get_item(
        TableName=local.stack.environment["KANAL_CUSTOMERS_TABLE"],
        Key={"pk": {"S": f"CUST#{customer}"}, "sk": {"S": "PROFILE"}},
        ConsistentRead=True,
    )
    return customer, float(profile.get("Item", {}).get("lifetime_value", {}).get("N", 0))


def test_a_freshly_signed_contact_event_is_accepted(local, http):
    # Given an order signed now, with its timestamp
    ids = Ids()
    body = encode(fixture("contact-events/order.json", ids))
    # When the shop posts it
    response = deliver(
        http, local, "contact-events", body, headers=contact_events_headers(body, CONTACT_SECRET)
    )
    # Then it is taken, and the order counts toward the customer's value
    assert response.status_code == 200, response.text
    settled(local)
    assert _order_value(local, ids)[1] == 1899.0


def test_a_contact_event_replayed_six_minutes_later_is_refused_and_changes_nothing(local, http):
    # Given an order delivery signed six minutes ago (a captured request, sent again now)
    ids = Ids()
    body = encode(fixture("contact-events/order.json", ids))
    captured = contact_events_headers(body, CONTACT_SECRET, timestamp=int(time.time()) - 360)
    # When it is posted
    response = deliver(http, local, "contact-events", body, headers=captured)
    # Then it is refused as unauthenticated, and no customer, contact or value was stored
    error = _assert_refused(response, 401)
    assert "X-Kanal-Timestamp" in error
    settled(local)
    assert _order_value(local, ids) == (None, 0.0)


def test_a_contact_event_signed_too_far_in_the_future_is_refused(local, http):
    delivery, ids = _sample("contact-events")
    body = encode(delivery)
    ahead = contact_events_headers(body, CONTACT_SECRET, timestamp=int(time.time()) + 360)
    _assert_refused(deliver(http, local, "contact-events", body, headers=ahead), 401)
    _assert_nothing_stored(local, "contact-events", ids)


@pytest.mark.parametrize("change", ["fresh stamp", "missing", "not a number", "empty"])
def test_a_contact_event_with_a_tampered_or_missing_timestamp_is_refused(change, local, http):
    # Given a delivery captured six minutes ago, its timestamp changed (or dropped) to pass as fresh
    delivery, ids = _sample("contact-events")
    body = encode(delivery)
    headers = contact_events_headers(body, CONTACT_SECRET, timestamp=int(time.time()) - 360)
    stamp = {"fresh stamp": str(int(time.time())), "not a number": "now", "empty": ""}.get(change)
    if stamp is None:
        del headers["X-Kanal-Timestamp"]
    else:
        headers["X-Kanal-Timestamp"] = stamp
    # When it is posted, Then the signature no longer holds, and nothing is stored
    _assert_refused(deliver(http, local, "contact-events", body, headers=headers), 401)
    _assert_nothing_stored(local, "contact-events", ids)


# ---------------------------------------------------------------------------------- subscription checks


def test_meta_handshake_with_the_right_verify_token_echoes_the_challenge(local, http):
    response = http.get(
        f"{local.url}/webhooks/meta",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": "local-meta-verify-token",
            "hub.challenge": "8512",
        },
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text == "8512"


def test_meta_handshake_with_a_wrong_verify_token_is_forbidden(local, http):
    response = http.get(
        f"{local.url}/webhooks/meta",
        params={"hub.mode": "subscribe", "hub.verify_token": "guessed", "hub.challenge": "8512"},
    )
    error = _assert_refused(response, 403)
    assert "8512" not in error


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"hub.mode": "subscribe", "hub.challenge": "8512"},
        {"hub.mode": "subscribe", "hub.verify_token": "local-meta-verify-token"},
        {"hub.verify_token": "local-meta-verify-token", "hub.challenge": "8512"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "local-meta-verify-token", "hub.challenge": "8512"},
    ],
    ids=["none", "no token", "no challenge", "no mode", "other mode"],
)
def test_meta_handshake_with_missing_parameters_is_a_bad_request(params, local, http):
    response = http.get(f"{local.url}/webhooks/meta", params=params)
    _assert_refused(response, 400)


def test_x_crc_check_is_answered_with_the_hmac_of_the_token(local, http):
    # Given X's challenge-response check
    token = "c3e1b0d2-crc-7f"
    # When X sends it
    response = http.get(f"{local.url}/webhooks/x", params={"crc_token": token})
    # Then the answer proves Kanal knows the consumer secret
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"response_token": x_crc_token(token, "local-x-consumer-secret")}


def test_x_crc_check_signs_a_base64_token_with_its_plus_as_x_signed_it(local, http):
    # Given a standard-base64 token as X generates them, its '+' unescaped in the query string
    token = "q+Zt3/8Yb+rA9xE1hW2c+mK0dL7sN4pV6uJ5oG3iQ0=="
    # When X sends it (query-string decoding turns each '+' into a space)
    response = http.get(f"{local.url}/webhooks/x?crc_token={token}")
    # Then the answer is the HMAC of the token as X sent it, so X's check passes
    assert response.status_code == 200, response.text
    assert response.json() == {"response_token": x_crc_token(token, "local-x-consumer-secret")}


def _queued_keys(local, http) -> dict[str, int]:
    response = http.get(f"{local.url}/local/queued")
    assert response.status_code == 200
    return dict(response.json()["keys"])


def test_a_delivery_forged_through_the_crc_check_is_refused_and_creates_nothing(local, http):
    # Given a fake direct message "from" an X user, which the CRC's answer for it would have signed
    ids = Ids()
    forged = encode(fixture("x/dm.json", ids))
    sender, event_id = ids.sub("2244994945"), ids.sub("1783490001234567890")
    # When an attacker asks the CRC check to sign that body
    asked = http.get(f"{local.url}/webhooks/x", params={"crc_token": forged.decode()})
    # Then it is refused: no response_token, no signature for the body
    error = _assert_refused(asked, 400)
    assert "crc_token" in error and "response_token" not in asked.json()
    # And without the signature the CRC check would have handed out, the body is refused as unsigned
    unsigned = {"Content-Type": "application/json"}
    _assert_refused(deliver(http, local, "x", forged, headers=unsigned), 401)
    assert f"x:dm:{event_id}" not in _queued_keys(local, http)
    # And a token the CRC check does sign, posted as a body with that very answer, is no delivery either
    token = "eyJkaXJlY3RfbWVzc2FnZV9ldmVudHMiOiBbXX0="
    signed = http.get(f"{local.url}/webhooks/x", params={"crc_token": token}).json()["response_token"]
    posted = deliver(http, local, "x", token.encode(), headers={"x-twitter-webhooks-signature": signed})
    _assert_refused(posted, 400)
    # And nothing was queued or stored: no message, no customer, no inquiry
    settled(local)
    assert stored_message(local, "x", event_id) is None
    assert customer_of(local, "x", sender) is None
    assert inquiries_of(local, "x", event_id) == []


@pytest.mark.parametrize(
    "token",
    [
        '{"direct_message_events": []}',
        '[{"for_user_id": "1"}]',
        '"signed"',
        'abc"def',
        "with space inside, then a comma",
        "a" * 257,
    ],
    ids=["object", "array", "string", "quote", "punctuation", "too-long"],
)
def test_x_crc_check_refuses_a_token_x_would_never_send(token, local, http):
    response = http.get(f"{local.url}/webhooks/x", params={"crc_token": token})
    error = _assert_refused(response, 400)
    assert "crc_token" in error


@pytest.mark.parametrize("params", [{}, {"crc_token": ""}], ids=["absent", "empty"])
def test_x_crc_check_without_a_token_is_a_bad_request(params, local, http):
    response = http.get(f"{local.url}/webhooks/x", params=params)
    error = _assert_refused(response, 400)
    assert "crc_token" in error


# -------------------------------------------------------------------------------------------- bodies


NOT_JSON = {
    "cut short": lambda body: body[: len(body) // 2],
    "empty": lambda body: b"",
    "trailing garbage": lambda body: body + b"}",
    "not utf-8": lambda body: body.replace(b'"', b"\xff", 1),
}


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("damage", sorted(NOT_JSON))
def test_a_signed_body_that_is_not_json_is_a_bad_request(source, damage, local, http):
    # Given a delivery damaged so that it is no longer JSON, then signed correctly
    delivery, ids = _sample(source)
    body = NOT_JSON[damage](encode(delivery))
    # When it is posted
    response = deliver(http, local, source, body)
    # Then it is refused with a JSON error, and nothing is stored
    _assert_refused(response, 400)
    _assert_nothing_stored(local, source, ids)


@pytest.mark.parametrize("source", SOURCES)
def test_a_signed_body_nested_too_deep_to_parse_is_a_bad_request_not_a_server_error(source, local, http):
    # Given a small body (400 KB) of JSON arrays nested deeper than any parser follows, signed correctly
    body = b"[" * 200_000 + b"]" * 200_000
    # When it is posted
    response = deliver(http, local, source, body)
    # Then it is refused as a bad request, never answered with a 5xx
    _assert_refused(response, 400)


# endpoint -> (JSON that is not the platform's shape, a word the error must name)
WRONG_SHAPES = {
    "meta": [
        ([], "object"),
        ({"entry": []}, "object"),
        ({"object": "page"}, "entry"),
        ({"object": "page", "entry": {}}, "entry"),
        ({"object": "page", "entry": [{"time": 1714043125}]}, "id"),
        ({"object": "page", "entry": ["104870982355621"]}, "entry"),
        ({"object": "page", "entry": [{"id": "104870982355621", "messaging": {}}]}, "messaging"),
        ({"object": "page", "entry": [{"id": "104870982355621", "changes": [{"value": {}}]}]}, "field"),
        (
            {"object": "page", "entry": [{"id": "104870982355621", "changes": [{"field": "feed"}]}]},
            "value",
        ),
        # a message from nobody
        (
            {
                "object": "page",
                "entry": [
                    {
                        "id": "104870982355621",
                        "messaging": [{"recipient": {"id": "104870982355621"}, "message": {"mid": "m_x1"}}],
                    }
                ],
            },
            "sender",
        ),
        (
            {
                "object": "whatsapp_business_account",
                "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {}}]}],
            },
            "metadata",
        ),
        # a WhatsApp message without its sender
        (
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": "102290129340398",
                        "changes": [
                            {
                                "field": "messages",
                                "value": {
                                    "messaging_product": "whatsapp",
                                    "metadata": {"phone_number_id": "106540352242922"},
                                    "messages": [
                                        {"id": "wamid.x1", "type": "text", "text": {"body": "Hallo"}}
                                    ],
                                },
                            }
                        ],
                    }
                ],
            },
            "from",
        ),
        # values of the wrong JSON type where the platform sends strings
        (
            {
                "object": "page",
                "entry": [
                    {
                        "id": "104870982355621",
                        "changes": [
                            {
                                "field": "feed",
                                "value": {"item": ["comment"], "verb": "add", "comment_id": "1_2"},
                            }
                        ],
                    }
                ],
            },
            "item",
        ),
        (
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": "102290129340398",
                        "changes": [
                            {
                                "field": "messages",
                                "value": {
                                    "metadata": {"phone_number_id": "106540352242922"},
                                    "messages": [{"id": "wamid.x2", "from": "4915112345678", "type": {}}],
                                },
                            }
                        ],
                    }
                ],
            },
            "type",
        ),
    ],
    "x": [
        ([], "object"),
        ({"tweet_create_events": []}, "for_user_id"),
        ({"for_user_id": True}, "for_user_id"),
        ({"for_user_id": "1346889436626259968", "tweet_create_events": {}}, "tweet_create_events"),
        ({"for_user_id": "1346889436626259968", "direct_message_events": ["hi"]}, "direct_message_events"),
        # a tweet by nobody
        (
            {"for_user_id": "1346889436626259968", "tweet_create_events": [{"id_str": "1", "text": "x"}]},
            "user",
        ),
        # a direct message without sender and recipient
        (
            {
                "for_user_id": "1346889436626259968",
                "direct_message_events": [{"type": "message_create", "id": "1", "created_timestamp": "1"}],
            },
            "sender_id",
        ),
        # a deletion that does not say what was deleted
        ({"for_user_id": "1346889436626259968", "tweet_delete_events": [{"timestamp_ms": "1"}]}, "status"),
    ],
    "contact-events": [
        ([], "object"),
        ({"events": []}, "events"),
        ({"events": "call"}, "events"),
        (
            {"event_id": "1", "kind": "fax", "occurred_at": "2024-04-25T10:00:00Z", "customer_ref": "C-1"},
            "kind",
        ),
        ({"event_id": "1", "kind": "call", "occurred_at": "2024-04-25T10:00:00Z"}, "customer"),
        ({"event_id": "1", "kind": "call", "occurred_at": "yesterday", "customer_ref": "C-1"}, "occurred_at"),
        (
            {"event_id": "1", "kind": "call", "occurred_at": "2024-02-30T10:00:00Z", "customer_ref": "C-1"},
            "occurred_at",
        ),
    ],
}


@pytest.mark.parametrize(
    ("source", "body", "named"),
    [
        pytest.param(source, body, named, id=f"{source}-{index}-{named}")
        for source, cases in WRONG_SHAPES.items()
        for index, (body, named) in enumerate(cases)
    ],
)
def test_signed_json_that_is_not_the_platforms_shape_is_a_bad_request_naming_the_problem(
    source, body, named, local, http
):
    # When a correctly signed body is JSON, but not what the platform sends
    response = deliver(http, local, source, body)
    # Then it is refused before anything is queued, and the error says what is wrong
    error = _assert_refused(response, 400)
    assert named in error, error


@pytest.mark.parametrize("source", SOURCES)
def test_an_oversized_delivery_is_refused_with_413(source, local, http):
    # Given a well-formed delivery padded to just over 1 MiB, signed correctly
    delivery, ids = _sample(source)
    body = encode(delivery)
    padded = body[:-1] + b', "padding": "' + b"x" * (MAX_BODY - len(body)) + b'"}'
    assert len(padded) > MAX_BODY
    json.loads(padded)
    # When it is posted
    response = deliver(http, local, source, padded)
    # Then it is refused as too large, and nothing is stored
    _assert_refused(response, 413)
    _assert_nothing_stored(local, source, ids)


@pytest.mark.parametrize("source", ["meta", "x"])  # contact events allow no unknown fields
def test_a_delivery_of_exactly_the_size_limit_is_accepted(source, local, http):
    # Given a well-formed delivery padded to exactly 1 MiB (Meta's and X's bodies may carry unknown fields)
    delivery, _ = _sample(source)
    body = encode(delivery)
    padded = body[:-1] + b', "padding": "' + b"x" * (MAX_BODY - len(body) - 15) + b'"}'
    assert len(padded) == MAX_BODY
    # When it is posted, Then it is accepted
    assert deliver(http, local, source, padded).status_code == 200

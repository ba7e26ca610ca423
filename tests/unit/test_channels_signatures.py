"""Webhook authenticity: Meta signature and handshake, X CRC and signature, contact-events signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import string
import uuid
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from kanal.channels.signatures import (
    CRC_TOKEN_MAX,
    meta_handshake,
    verify_contact_events_signature,
    verify_meta_signature,
    verify_x_signature,
    x_crc_response,
)
from kanal.errors import Forbidden, InvalidSignature, MalformedPayload
from tests.signing import sign_contact_events, sign_meta, sign_x, x_crc_token

ROOT = Path(__file__).resolve().parents[2]
BODY = (ROOT / "tests" / "events" / "meta" / "page_feed_comment_add.json").read_bytes()
SECRET = "3f1c0e6a9b2d4c8e7f0a1b2c3d4e5f60"


# -- Meta X-Hub-Signature-256 ------------------------------------------------------------------------


def test_meta_signature_accepts_the_hmac_of_the_raw_body() -> None:
    verify_meta_signature(BODY, sign_meta(BODY, SECRET), SECRET)


def test_meta_signature_accepts_upper_case_hex() -> None:
    header = sign_meta(BODY, SECRET)
    verify_meta_signature(BODY, "sha256=" + header.removeprefix("sha256=").upper(), SECRET)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha1=0123456789abcdef",
        "sha256=",
        "sha256=deadbeef",
        sign_meta(BODY, "another-secret"),
        sign_meta(BODY + b" ", SECRET),
        "sha256=ünicode",
    ],
    ids=["missing", "empty", "sha1", "no-digest", "short", "other-secret", "other-body", "non-ascii"],
)
def test_meta_signature_rejects(header: str | None) -> None:
    with pytest.raises(InvalidSignature):
        verify_meta_signature(BODY, header, SECRET)


def test_meta_signature_never_verifies_without_a_secret() -> None:
    with pytest.raises(InvalidSignature):
        verify_meta_signature(BODY, sign_meta(BODY, ""), "")


def test_meta_signature_covers_the_exact_bytes_not_the_parsed_json() -> None:
    reformatted = BODY.replace(b"\n", b"\r\n")
    with pytest.raises(InvalidSignature):
        verify_meta_signature(reformatted, sign_meta(BODY, SECRET), SECRET)


# -- Meta verify-token handshake ---------------------------------------------------------------------

TOKEN = "velora-kanal-verify-7731"


def test_handshake_returns_the_challenge() -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "1158201444"}
    assert meta_handshake(params, TOKEN) == "1158201444"


def test_handshake_with_a_wrong_token_is_forbidden() -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"}
    with pytest.raises(Forbidden):
        meta_handshake(params, TOKEN)


def test_handshake_without_a_configured_token_is_forbidden() -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "x", "hub.challenge": "1"}
    with pytest.raises(Forbidden):
        meta_handshake(params, "")


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"hub.mode": "subscribe", "hub.verify_token": TOKEN},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {"hub.verify_token": TOKEN, "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": TOKEN, "hub.challenge": "1"},
    ],
    ids=["nothing", "no-challenge", "no-token", "no-mode", "other-mode"],
)
def test_handshake_with_missing_parameters_is_malformed(params: dict[str, str]) -> None:
    with pytest.raises(MalformedPayload):
        meta_handshake(params, TOKEN)


# -- X CRC and signature -----------------------------------------------------------------------------

X_SECRET = "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu"


def test_crc_response_is_the_base64_hmac_of_the_token() -> None:
    token = "9b4507b3-9040-4669-9ca3-6b94edb50553"
    assert x_crc_response(token, X_SECRET) == {"response_token": x_crc_token(token, X_SECRET)}
    assert x_crc_response(token, X_SECRET)["response_token"].startswith("sha256=")


def test_crc_with_an_empty_token_is_malformed() -> None:
    with pytest.raises(MalformedPayload):
        x_crc_response("", X_SECRET)


CRC_ALPHABET = string.ascii_letters + string.digits + "+/=-_"


def _x_tokens() -> list[str]:
    """Tokens X could send: every character of the alphabet alone, then for every length up to the bound
    three drawn at random (seeded), UUIDs, and base64 / base64url of random bytes as X's generators give."""
    draw = random.Random(20261206)
    tokens = list(CRC_ALPHABET)
    for length in range(1, CRC_TOKEN_MAX + 1):
        tokens += ["".join(draw.choices(CRC_ALPHABET, k=length)) for _ in range(3)]
    tokens += [str(uuid.UUID(int=draw.getrandbits(128))) for _ in range(20)]
    for size in (16, 24, 32, 48, 64, 128, 192):
        raw = draw.randbytes(size)
        tokens += [base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode().rstrip("=")]
    return tokens


def _hmac_answer(token: str) -> str:
    digest = hmac.new(X_SECRET.encode(), token.encode(), hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def test_crc_answers_every_token_x_could_send_with_the_hmac_of_exactly_that_token() -> None:
    tokens = _x_tokens()
    assert len(tokens) > 800 and max(map(len, tokens)) == CRC_TOKEN_MAX
    for token in tokens:
        assert x_crc_response(token, X_SECRET) == {"response_token": _hmac_answer(token)}, token


def test_crc_signs_a_plus_that_query_decoding_turned_into_a_space_as_the_plus_x_signed() -> None:
    # Given tokens with '+' as standard base64 has them, decoded from a query string as form data does
    draw = random.Random(7)
    tokens = [t for t in _x_tokens() if "+" in t]
    tokens += ["+", "++==", "a+b/c+d=", *("".join(draw.choices("+ab", k=40)) for _ in range(50))]
    for token in tokens:
        decoded = parse_qs("crc_token=" + token)["crc_token"][0]
        assert " " in decoded
        # When that reaches the CRC check, Then the answer is the HMAC of the token with its '+'
        assert x_crc_response(decoded, X_SECRET) == {"response_token": _hmac_answer(token)}, token


def test_no_token_the_crc_answers_can_be_a_json_object_or_a_json_text_with_a_string() -> None:
    # An accepted token is the body a signature from the CRC would sign; the X webhook takes only objects
    assert not set(CRC_ALPHABET) & set('{}[]":, \t\r\n')
    for token in _x_tokens():
        try:
            document = json.loads(token)
        except ValueError:
            continue
        assert not isinstance(document, dict | list | str), token


X_DELIVERIES = sorted((ROOT / "tests" / "events" / "x").glob("*.json"))
FORGED = [
    '{"direct_message_events": []}',
    '{"for_user_id":"1346889436626259968","tweet_delete_events":[{"status":{"id":"1"}}]}',
    "[]",
    '"x"',
    "{",
    "[1]",
    '  {"for_user_id": "1"}',
    'abc"def',
    "abc def{",
    "token\n",
    "tökén",
    "a" * (CRC_TOKEN_MAX + 1),
    *(path.read_text("utf-8") for path in X_DELIVERIES),
    *(json.dumps(json.loads(path.read_text("utf-8")), separators=(",", ":")) for path in X_DELIVERIES),
]


@pytest.mark.parametrize("token", FORGED, ids=lambda token: token[:24])
def test_crc_refuses_to_sign_anything_x_would_not_send_and_every_json_body(token: str) -> None:
    with pytest.raises(MalformedPayload) as refused:
        x_crc_response(token, X_SECRET)
    assert "crc_token" in str(refused.value)


def test_crc_refuses_any_text_that_opens_a_json_object_or_array_or_holds_a_quote() -> None:
    draw = random.Random(11)
    for _ in range(2000):
        inner = "".join(draw.choices(CRC_ALPHABET + '{}[]":, ', k=draw.randint(0, 60)))
        cut = draw.randint(0, len(inner))
        for token in ("{" + inner, "[" + inner, inner[:cut] + '"' + inner[cut:]):
            with pytest.raises(MalformedPayload):
                x_crc_response(token, X_SECRET)


def test_crc_without_a_secret_is_refused() -> None:
    with pytest.raises(InvalidSignature):
        x_crc_response("token", "")


def test_x_signature_accepts_the_base64_hmac_of_the_raw_body() -> None:
    body = (ROOT / "tests" / "events" / "x" / "mention_tweet.json").read_bytes()
    verify_x_signature(body, sign_x(body, X_SECRET), X_SECRET)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=AAAA",
        sign_x(BODY, "other"),
        sign_meta(BODY, X_SECRET),
        "sha256 " + sign_x(BODY, X_SECRET)[7:],
    ],
    ids=["missing", "empty", "short", "other-secret", "hex-not-base64", "no-equals"],
)
def test_x_signature_rejects(header: str | None) -> None:
    with pytest.raises(InvalidSignature):
        verify_x_signature(BODY, header, X_SECRET)


# -- contact events ----------------------------------------------------------------------------------


NOW = 1_765_000_000  # epoch seconds: the receiver's clock in these tests
CE_SECRET = "shared-secret"


def test_contact_events_signature_round_trip() -> None:
    body = (ROOT / "tests" / "events" / "contact-events" / "batch.json").read_bytes()
    header = sign_contact_events(body, CE_SECRET, NOW)
    verify_contact_events_signature(body, header, CE_SECRET, str(NOW), NOW)


def test_contact_events_signature_covers_the_timestamp_and_the_body_as_stripe_and_slack_do() -> None:
    expected = hmac.new(CE_SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign_contact_events(BODY, CE_SECRET, NOW) == f"sha256={expected}"


@pytest.mark.parametrize("skew", [-300, -1, 0, 1, 299, 300])
def test_contact_events_within_five_minutes_either_side_are_accepted(skew: int) -> None:
    stamp = NOW + skew
    verify_contact_events_signature(
        BODY, sign_contact_events(BODY, CE_SECRET, stamp), CE_SECRET, str(stamp), NOW
    )


@pytest.mark.parametrize("skew", [-360, -301, 301, 3600, -NOW])
def test_contact_events_signed_more_than_five_minutes_away_are_refused(skew: int) -> None:
    # Given an event signed correctly, but at a time more than 5 minutes from the receiver's clock
    stamp = NOW + skew
    header = sign_contact_events(BODY, CE_SECRET, stamp)
    # Then it is refused as a replay (or a sender whose clock is wrong)
    with pytest.raises(InvalidSignature, match="5 minutes"):
        verify_contact_events_signature(BODY, header, CE_SECRET, str(stamp), NOW)


def test_a_captured_event_with_a_fresh_timestamp_but_its_old_signature_is_refused() -> None:
    old = NOW - 3600
    header = sign_contact_events(BODY, CE_SECRET, old)
    with pytest.raises(InvalidSignature, match="does not match"):
        verify_contact_events_signature(BODY, header, CE_SECRET, str(NOW), NOW)


@pytest.mark.parametrize(
    "stamp",
    [None, "", " ", "-1", "1.5e9", "1765000000.0", "abc", "١٢٣", "9" * 13],
    ids=["missing", "empty", "blank", "negative", "exponent", "fraction", "word", "arabic-digits", "huge"],
)
def test_contact_events_without_a_well_formed_timestamp_are_refused(stamp: str | None) -> None:
    header = sign_contact_events(BODY, CE_SECRET, stamp or "")
    with pytest.raises(InvalidSignature, match="X-Kanal-Timestamp"):
        verify_contact_events_signature(BODY, header, CE_SECRET, stamp, NOW)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=00",
        sign_contact_events(BODY, "wrong", NOW),
        sign_contact_events(BODY, CE_SECRET, NOW + 1),
    ],
)
def test_contact_events_signature_rejects(header: str | None) -> None:
    with pytest.raises(InvalidSignature):
        verify_contact_events_signature(BODY, header, CE_SECRET, str(NOW), NOW)


def test_contact_events_signature_never_verifies_without_a_secret() -> None:
    with pytest.raises(InvalidSignature):
        verify_contact_events_signature(BODY, sign_contact_events(BODY, "", NOW), "", str(NOW), NOW)

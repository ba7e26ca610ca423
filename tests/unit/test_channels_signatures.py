"""Webhook authenticity: Meta signature and handshake, X CRC and signature, contact-events signature."""

from __future__ import annotations

from pathlib import Path

import pytest

from kanal.channels.signatures import (
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


def test_contact_events_signature_round_trip() -> None:
    body = (ROOT / "tests" / "events" / "contact-events" / "batch.json").read_bytes()
    verify_contact_events_signature(body, sign_contact_events(body, "shared-secret"), "shared-secret")


@pytest.mark.parametrize("header", [None, "", "sha256=00", sign_contact_events(BODY, "wrong")])
def test_contact_events_signature_rejects(header: str | None) -> None:
    with pytest.raises(InvalidSignature):
        verify_contact_events_signature(BODY, header, "shared-secret")


def test_contact_events_signature_never_verifies_without_a_secret() -> None:
    with pytest.raises(InvalidSignature):
        verify_contact_events_signature(BODY, sign_contact_events(BODY, ""), "")

"""Conversation Routing calls on a fake HTTP layer, and the Send API's refusal while another app owns it."""

from __future__ import annotations

import json

import pytest
import responses
from responses import matchers

from kanal.api.http import error_body, status_of
from kanal.channels.outbound import DeliveryFailed
from kanal.channels.outbound.graph import MessengerClient
from kanal.channels.outbound.thread_control import (
    THREAD_OWNED_REASON,
    ThreadControlApi,
    ThreadOwnedByOtherApp,
)
from kanal.model import Channel, Visibility
from tests.outbound import NOW, PAGE, Waits, graph, message, outbound

BASE = "https://graph.test/v26.0"
PSID, BOT = "6543219876543210", "784512309876543"


@responses.activate
def test_passing_the_conversation_sends_the_documented_body_with_the_page_token():
    responses.post(
        f"{BASE}/{PAGE}/pass_thread_control",
        json={"success": True},
        match=[
            matchers.json_params_matcher(
                {"recipient": {"id": PSID}, "target_app_id": int(BOT), "metadata": "kanal:resolved:42"}
            ),
            matchers.header_matcher({"Authorization": "Bearer token-page"}),
        ],
    )
    ThreadControlApi(graph()).pass_thread_control("messenger", PAGE, PSID, BOT, "kanal:resolved:42")
    assert len(responses.calls) == 1


@responses.activate
def test_a_pass_meta_does_not_confirm_fails():
    responses.post(f"{BASE}/{PAGE}/pass_thread_control", json={"success": False})
    with pytest.raises(DeliveryFailed, match="did not confirm"):
        ThreadControlApi(graph()).pass_thread_control("messenger", PAGE, PSID, BOT)


@responses.activate
def test_a_refused_pass_fails_with_graphs_error_and_is_not_retried():
    error = {"error": {"message": "(#200) Permissions error", "type": "OAuthException", "code": 200}}
    responses.post(f"{BASE}/{PAGE}/pass_thread_control", json=error, status=400)
    with pytest.raises(DeliveryFailed) as failed:
        ThreadControlApi(graph()).pass_thread_control("messenger", PAGE, PSID, BOT)
    assert failed.value.code == "200" and len(responses.calls) == 1


@responses.activate
def test_the_thread_owner_is_read_for_the_customer():
    responses.get(
        f"{BASE}/{PAGE}/thread_owner",
        json={"data": [{"thread_owner": {"app_id": BOT}}]},
        match=[matchers.query_param_matcher({"recipient": PSID})],
    )
    assert ThreadControlApi(graph()).thread_owner("messenger", PAGE, PSID) == BOT


@responses.activate
def test_a_conversation_no_app_owns_has_no_owner_and_an_answer_without_data_fails():
    responses.get(f"{BASE}/{PAGE}/thread_owner", json={"data": []})
    responses.get(f"{BASE}/{PAGE}/thread_owner", json={"thread_owner": {"app_id": BOT}})
    api = ThreadControlApi(graph())
    assert api.thread_owner("messenger", PAGE, PSID) is None
    with pytest.raises(DeliveryFailed, match="without data"):
        api.thread_owner("messenger", PAGE, PSID)


@responses.activate
def test_a_reply_while_another_app_owns_the_conversation_is_a_409_with_the_reason_and_not_retried():
    refused = {
        "error": {
            "message": "(#10) Message failed to send because another app is controlling this thread now.",
            "type": "OAuthException",
            "code": 10,
            "error_subcode": 2018300,
            "fbtrace_id": "Avs8o4VvHNJZo04PY2ZGdAp",
        }
    }
    responses.post(f"{BASE}/{PAGE}/messages", json=refused, status=400)
    waits = Waits()
    answering = message(Channel.MESSENGER, "m_1", PSID, Visibility.PRIVATE, created_at=NOW)
    with pytest.raises(ThreadOwnedByOtherApp) as refusal:
        MessengerClient(graph(waits=waits)).send(outbound(answering, PAGE, Visibility.PRIVATE))
    assert len(responses.calls) == 1 and waits.slept == []
    body = error_body(refusal.value)
    assert status_of(refusal.value) == 409 and body["reason"] == THREAD_OWNED_REASON
    assert "another app" in body["error"] and "wait_for_handover" in body["options"]
    assert json.loads(responses.calls[0].request.body)["recipient"] == {"id": PSID}

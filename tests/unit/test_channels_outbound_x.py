"""The X client on a fake HTTP layer: replies, DMs, the self-serve reply rule, rate limits."""

from __future__ import annotations

import json

import pytest
import responses
from responses import matchers

from kanal.channels.outbound import DeliveryFailed, UnsupportedVisibility, WindowClosed
from kanal.channels.outbound.http import RetryPolicy
from kanal.channels.outbound.x import XClient
from kanal.model import Channel, Visibility
from tests.outbound import X_ACCOUNT, Waits, message, outbound, x_api

BASE = "https://x.test"
CUSTOMER = "2244994945"


def _mention(mentions_account: bool = True):
    return message(
        Channel.X, "1783469921451061248", CUSTOMER, Visibility.PUBLIC, mentions_account=mentions_account
    )


@responses.activate
def test_a_reply_goes_under_the_customers_post_as_the_company_account():
    responses.post(
        f"{BASE}/2/tweets",
        status=201,
        json={
            "data": {
                "id": "1783470011223344556",
                "text": "…",
                "edit_history_tweet_ids": ["1783470011223344556"],
            }
        },
        match=[
            matchers.json_params_matcher(
                {"text": "Wir kümmern uns darum!", "reply": {"in_reply_to_tweet_id": "1783469921451061248"}}
            ),
            matchers.header_matcher({"Authorization": "Bearer x-token"}),
        ],
    )
    sent = XClient(x_api()).send(outbound(_mention(), X_ACCOUNT))
    assert sent.external_id == "1783470011223344556"


@responses.activate
def test_a_self_serve_app_does_not_reply_to_a_post_that_neither_mentions_nor_quotes_the_account():
    with pytest.raises(WindowClosed) as refused:
        XClient(x_api(), "self-serve").send(outbound(_mention(False), X_ACCOUNT))
    assert "self-serve" in refused.value.reason and "@mentioned" in refused.value.reason
    assert refused.value.options == ["dm", "quote"]
    assert len(responses.calls) == 0


@responses.activate
def test_an_enterprise_app_replies_to_any_post():
    responses.post(f"{BASE}/2/tweets", status=201, json={"data": {"id": "1", "text": "t"}})
    sent = XClient(x_api(), "enterprise").send(outbound(_mention(False), X_ACCOUNT))
    assert sent.external_id == "1"


def test_an_unknown_reply_policy_is_refused():
    with pytest.raises(ValueError, match="reply_policy"):
        XClient(x_api(), "gold")


@responses.activate
def test_a_private_answer_is_a_dm_to_the_customer():
    responses.post(
        f"{BASE}/2/dm_conversations/with/{CUSTOMER}/messages",
        status=201,
        json={
            "data": {"dm_conversation_id": f"{CUSTOMER}-{X_ACCOUNT}", "dm_event_id": "1582838223935152131"}
        },
        match=[matchers.json_params_matcher({"text": "Wir kümmern uns darum!"})],
    )
    dm = message(Channel.X, "1490", CUSTOMER, Visibility.PRIVATE)
    sent = XClient(x_api()).send(outbound(dm, X_ACCOUNT))
    assert (sent.external_id, sent.recipient_id) == ("1582838223935152131", CUSTOMER)
    assert sent.details == {"dm_conversation_id": f"{CUSTOMER}-{X_ACCOUNT}"}
    # a post that does not summon the account can still be answered by DM
    XClient(x_api()).send(outbound(_mention(False), X_ACCOUNT, Visibility.PRIVATE))
    assert responses.calls[1].request.url.endswith(f"/with/{CUSTOMER}/messages")


def test_a_dm_is_not_answered_in_public():
    dm = message(Channel.X, "1490", CUSTOMER, Visibility.PRIVATE)
    with pytest.raises(UnsupportedVisibility):
        XClient(x_api()).send(outbound(dm, X_ACCOUNT, Visibility.PUBLIC))


@responses.activate
def test_a_429_waits_for_the_rate_limit_reset_then_sends():
    waits = Waits()
    responses.post(
        f"{BASE}/2/tweets",
        status=429,
        json={
            "title": "Too Many Requests",
            "detail": "Too Many Requests",
            "type": "about:blank",
            "status": 429,
        },
        headers={"x-rate-limit-reset": str(int(waits.now) + 7)},
    )
    responses.post(f"{BASE}/2/tweets", status=201, json={"data": {"id": "2", "text": "t"}})
    sent = XClient(x_api(waits=waits)).send(outbound(_mention(), X_ACCOUNT))
    assert sent.external_id == "2" and waits.slept == [7.0]


@responses.activate
def test_a_reset_beyond_the_budget_fails_retriable_with_the_reset_time():
    waits = Waits()
    responses.post(
        f"{BASE}/2/tweets",
        status=429,
        json={
            "title": "Too Many Requests",
            "detail": "Too Many Requests",
            "type": "about:blank",
            "status": 429,
        },
        headers={"x-rate-limit-reset": str(int(waits.now) + 900)},
    )
    with pytest.raises(DeliveryFailed) as failed:
        XClient(x_api(waits=waits, policy=RetryPolicy(max_wait=20))).send(outbound(_mention(), X_ACCOUNT))
    assert failed.value.retriable is True and failed.value.code.startswith("http-429")
    assert "resets in 900 s" in str(failed.value)
    assert waits.slept == [] and len(responses.calls) == 1


@responses.activate
def test_a_refused_reply_fails_at_once_with_xs_problem():
    responses.post(
        f"{BASE}/2/tweets",
        status=403,
        json={
            "title": "Forbidden",
            "detail": "Reply to this conversation is not allowed because you have not been mentioned",
            "type": "https://api.x.com/2/problems/disallowed-resource",
            "status": 403,
        },
    )
    with pytest.raises(DeliveryFailed) as failed:
        XClient(x_api(), "enterprise").send(outbound(_mention(), X_ACCOUNT))
    assert (failed.value.code, failed.value.retriable) == ("http-403:disallowed-resource", False)
    assert "not been mentioned" in str(failed.value)
    assert len(responses.calls) == 1


@responses.activate
def test_persistent_5xx_fails_after_the_attempts():
    responses.post(f"{BASE}/2/tweets", status=503, json={"title": "Service Unavailable", "status": 503})
    waits = Waits()
    with pytest.raises(DeliveryFailed) as failed:
        XClient(x_api(waits=waits, policy=RetryPolicy(attempts=3))).send(outbound(_mention(), X_ACCOUNT))
    assert failed.value.retriable is True and failed.value.code.startswith("http-503")
    assert len(responses.calls) == 3 and len(waits.slept) == 2


@responses.activate
def test_the_v1_error_shape_is_read_too():
    responses.post(f"{BASE}/2/tweets", status=400, json={"errors": [{"message": "Invalid text", "code": 44}]})
    with pytest.raises(DeliveryFailed) as failed:
        XClient(x_api()).send(outbound(_mention(), X_ACCOUNT))
    assert failed.value.code == "http-400:44" and "Invalid text" in str(failed.value)
    assert json.loads(responses.calls[0].request.body)["text"] == "Wir kümmern uns darum!"


def test_a_dm_the_recipient_does_not_accept_is_told_apart_from_other_refusals():
    from kanal.channels.outbound.http import Answer
    from kanal.channels.outbound.x import DirectMessagesClosed, classify

    refused = {"errors": [{"code": 349, "message": "You cannot send messages to this user."}], "status": 403}
    with pytest.raises(DirectMessagesClosed) as closed:
        classify(Answer(403, refused, {}), 0.0)
    assert not closed.value.retriable
    forbidden = {"errors": [{"code": 87, "message": "Client is not permitted to perform this action."}]}
    with pytest.raises(DeliveryFailed) as other:
        classify(Answer(403, forbidden, {}), 0.0)
    assert not isinstance(other.value, DirectMessagesClosed)

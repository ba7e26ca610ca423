"""The Graph API clients on a fake HTTP layer: each request shape, window, retry and refusal."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import responses
from responses import matchers

from kanal.channels.outbound import DeliveryFailed, UnsupportedVisibility, WindowClosed
from kanal.channels.outbound.graph import (
    MENTIONED_COMMENT_FIELDS,
    FacebookClient,
    InstagramClient,
    MessengerClient,
    WhatsAppClient,
)
from kanal.channels.outbound.http import RetryPolicy
from kanal.model import Channel, Visibility
from tests.outbound import IG_ACCOUNT, NOW, PAGE, WA_NUMBER, Waits, graph, message, outbound

BASE = "https://graph.test/v26.0"
PSID = "6543219876543210"
IGSID = "1798765432101234"


def _body(call) -> dict:
    return json.loads(call.request.body)


# ------------------------------------------------------------------------------------------- Facebook


@responses.activate
def test_a_facebook_comment_is_answered_under_it_with_the_page_token():
    comment = "987654321098765_112233445566778"
    responses.post(
        f"{BASE}/{comment}/comments",
        json={"id": "987654321098765_998877665544332"},
        match=[
            matchers.json_params_matcher({"message": "Wir kümmern uns darum!"}),
            matchers.header_matcher({"Authorization": "Bearer token-page"}),
        ],
    )
    answering = message(Channel.FACEBOOK, comment, "1122334455", Visibility.PUBLIC, parent_id="PAGE_POST")
    sent = FacebookClient(graph()).send(outbound(answering, PAGE))
    assert sent.external_id == "987654321098765_998877665544332"


@responses.activate
def test_a_reply_under_another_comment_answers_the_customers_own_comment():
    reply = "987654321098765_556677"
    responses.post(f"{BASE}/{reply}/comments", json={"id": "987654321098765_1"})
    answering = message(
        Channel.FACEBOOK, reply, "1122334455", Visibility.PUBLIC, parent_id="987654321098765_112233"
    )
    FacebookClient(graph()).send(outbound(answering, PAGE))
    assert responses.calls[0].request.url == f"{BASE}/{reply}/comments"


@responses.activate
def test_a_private_reply_to_a_comment_names_the_comment_and_a_visitor_post_the_post():
    responses.post(f"{BASE}/{PAGE}/messages", json={"recipient_id": PSID, "message_id": "m_1"})
    comment = message(Channel.FACEBOOK, "1_2", "1122", Visibility.PUBLIC, created_at=NOW, parent_id="1")
    sent = FacebookClient(graph()).send(outbound(comment, PAGE, Visibility.PRIVATE))
    assert _body(responses.calls[0]) == {
        "recipient": {"comment_id": "1_2"},
        "message": {"text": "Wir kümmern uns darum!"},
    }
    assert (sent.external_id, sent.recipient_id) == ("m_1", PSID)
    post = message(Channel.FACEBOOK, f"{PAGE}_9", "1122", Visibility.PUBLIC, created_at=NOW)
    FacebookClient(graph()).send(outbound(post, PAGE, Visibility.PRIVATE))
    assert _body(responses.calls[1])["recipient"] == {"post_id": f"{PAGE}_9"}


@responses.activate
def test_a_private_reply_after_7_days_is_refused_before_sending():
    old = message(
        Channel.FACEBOOK, "1_2", "1122", Visibility.PUBLIC, created_at=NOW - timedelta(days=8), parent_id="1"
    )
    with pytest.raises(WindowClosed) as refused:
        FacebookClient(graph()).send(outbound(old, PAGE, Visibility.PRIVATE))
    assert "7 days" in refused.value.reason and "public_reply" in refused.value.options
    assert len(responses.calls) == 0


# ------------------------------------------------------------------------------------------- Messenger


@responses.activate
def test_messenger_within_24_hours_is_a_response_to_the_psid():
    responses.post(
        f"{BASE}/{PAGE}/messages",
        json={"recipient_id": PSID, "message_id": "m_AG5Hz2U"},
        match=[
            matchers.json_params_matcher(
                {
                    "recipient": {"id": PSID},
                    "messaging_type": "RESPONSE",
                    "message": {"text": "Wir kümmern uns darum!"},
                }
            )
        ],
    )
    answering = message(Channel.MESSENGER, "m_in", PSID, Visibility.PRIVATE)
    sent = MessengerClient(graph()).send(outbound(answering, PAGE, wrote_ago=timedelta(hours=23)))
    assert (sent.external_id, sent.recipient_id) == ("m_AG5Hz2U", PSID)
    assert sent.details == {"messaging_type": "RESPONSE"}


@responses.activate
def test_messenger_after_24_hours_goes_with_the_human_agent_tag():
    responses.post(f"{BASE}/{PAGE}/messages", json={"recipient_id": PSID, "message_id": "m_2"})
    answering = message(Channel.MESSENGER, "m_in", PSID, Visibility.PRIVATE)
    sent = MessengerClient(graph()).send(outbound(answering, PAGE, wrote_ago=timedelta(days=3)))
    body = _body(responses.calls[0])
    assert (body["messaging_type"], body["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    assert sent.details == {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}


@responses.activate
def test_messenger_after_7_days_is_refused_with_the_reason_and_nothing_is_sent():
    answering = message(Channel.MESSENGER, "m_in", PSID, Visibility.PRIVATE)
    with pytest.raises(WindowClosed) as refused:
        MessengerClient(graph()).send(outbound(answering, PAGE, wrote_ago=timedelta(days=7, minutes=1)))
    assert "7 days" in refused.value.reason
    assert refused.value.options == ["wait_for_customer", "other_channel"]
    assert len(responses.calls) == 0


def test_messenger_has_no_public_reply():
    answering = message(Channel.MESSENGER, "m_in", PSID, Visibility.PRIVATE)
    with pytest.raises(UnsupportedVisibility):
        MessengerClient(graph()).send(outbound(answering, PAGE, Visibility.PUBLIC))


@responses.activate
def test_a_window_closed_answer_from_messenger_is_not_retried():
    responses.post(
        f"{BASE}/{PAGE}/messages",
        status=400,
        json={
            "error": {
                "message": "(#10) This message is sent outside of allowed window.",
                "type": "OAuthException",
                "code": 10,
                "error_subcode": 2018278,
                "fbtrace_id": "A1",
            }
        },
    )
    waits = Waits()
    answering = message(Channel.MESSENGER, "m_in", PSID, Visibility.PRIVATE)
    with pytest.raises(DeliveryFailed) as failed:
        MessengerClient(graph(waits=waits)).send(outbound(answering, PAGE))
    assert (failed.value.code, failed.value.retriable) == ("10/2018278", False)
    assert "outside of allowed window" in str(failed.value)
    assert len(responses.calls) == 1 and waits.slept == []


# ------------------------------------------------------------------------------------------- Instagram


@responses.activate
def test_an_instagram_dm_goes_to_the_igsid_from_the_instagram_account():
    responses.post(f"{BASE}/{IG_ACCOUNT}/messages", json={"recipient_id": IGSID, "message_id": "aWdf1"})
    answering = message(Channel.INSTAGRAM, "aWdfin", IGSID, Visibility.PRIVATE)
    sent = InstagramClient(graph()).send(outbound(answering, IG_ACCOUNT, wrote_ago=timedelta(days=2)))
    body = _body(responses.calls[0])
    assert body["recipient"] == {"id": IGSID} and body["tag"] == "HUMAN_AGENT"
    assert sent.external_id == "aWdf1"


@responses.activate
def test_an_instagram_comment_is_answered_with_a_reply_under_it():
    responses.post(
        f"{BASE}/17895695668004550/replies",
        json={"id": "17873440459141021"},
        match=[matchers.json_params_matcher({"message": "Wir kümmern uns darum!"})],
    )
    answering = message(
        Channel.INSTAGRAM, "17895695668004550", "17841400000000001", Visibility.PUBLIC, parent_id="1791"
    )
    sent = InstagramClient(graph()).send(outbound(answering, IG_ACCOUNT))
    assert sent.external_id == "17873440459141021"


@responses.activate
def test_an_instagram_mention_is_answered_through_the_mentions_edge():
    responses.post(f"{BASE}/{IG_ACCOUNT}/mentions", json={"id": "17846319838228163"})
    comment_mention = message(
        Channel.INSTAGRAM,
        "17894227972186120",
        "17841400000000002",
        Visibility.PUBLIC,
        parent_id="17918195224117851",
        mentions_account=True,
    )
    sent = InstagramClient(graph()).send(outbound(comment_mention, IG_ACCOUNT))
    assert _body(responses.calls[0]) == {
        "message": "Wir kümmern uns darum!",
        "media_id": "17918195224117851",
        "comment_id": "17894227972186120",
    }
    assert sent.external_id == "17846319838228163"
    caption = message(Channel.INSTAGRAM, "17918195224117851", "x", Visibility.PUBLIC, mentions_account=True)
    InstagramClient(graph()).send(outbound(caption, IG_ACCOUNT))
    assert _body(responses.calls[1]) == {"message": "Wir kümmern uns darum!", "media_id": "17918195224117851"}
    with pytest.raises(UnsupportedVisibility):
        InstagramClient(graph()).send(outbound(caption, IG_ACCOUNT, Visibility.PRIVATE))


@responses.activate
def test_a_private_reply_to_an_instagram_comment_names_the_comment():
    responses.post(f"{BASE}/{IG_ACCOUNT}/messages", json={"recipient_id": IGSID, "message_id": "aWdf2"})
    answering = message(Channel.INSTAGRAM, "17895695668004550", IGSID, Visibility.PUBLIC, parent_id="1791")
    InstagramClient(graph()).send(outbound(answering, IG_ACCOUNT, Visibility.PRIVATE))
    assert _body(responses.calls[0])["recipient"] == {"comment_id": "17895695668004550"}


# ------------------------------------------------------------------------------------------- WhatsApp

WA_ANSWER = {
    "messaging_product": "whatsapp",
    "contacts": [{"input": "4915112345678", "wa_id": "4915112345678"}],
    "messages": [{"id": "wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjA="}],
}


@responses.activate
def test_whatsapp_quotes_the_customers_message_inside_the_customer_service_window():
    responses.post(
        f"{BASE}/{WA_NUMBER}/messages",
        json=WA_ANSWER,
        match=[
            matchers.json_params_matcher(
                {
                    "messaging_product": "whatsapp",
                    "recipient_type": "individual",
                    "to": "4915112345678",
                    "type": "text",
                    "text": {"body": "Wir kümmern uns darum!"},
                    "context": {"message_id": "wamid.IN"},
                }
            )
        ],
    )
    answering = message(Channel.WHATSAPP, "wamid.IN", "4915112345678", Visibility.PRIVATE)
    sent = WhatsAppClient(graph()).send(outbound(answering, WA_NUMBER, wrote_ago=timedelta(hours=23)))
    assert (sent.external_id, sent.recipient_id) == (
        "wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjA=",
        "4915112345678",
    )


@responses.activate
def test_a_whatsapp_user_known_by_a_bsuid_is_addressed_with_recipient():
    bsuid = "DE.7216094835517720394"
    responses.post(
        f"{BASE}/{WA_NUMBER}/messages",
        json={**WA_ANSWER, "contacts": [{"input": bsuid, "user_id": bsuid}]},
    )
    answering = message(Channel.WHATSAPP, "wamid.IN", bsuid, Visibility.PRIVATE)
    sent = WhatsAppClient(graph()).send(outbound(answering, WA_NUMBER))
    body = _body(responses.calls[0])
    assert body["recipient"] == bsuid and "to" not in body
    assert sent.recipient_id == bsuid


@responses.activate
def test_whatsapp_after_24_hours_is_refused_naming_the_template_and_nothing_is_sent():
    answering = message(Channel.WHATSAPP, "wamid.IN", "4915112345678", Visibility.PRIVATE)
    with pytest.raises(WindowClosed) as refused:
        WhatsAppClient(graph()).send(outbound(answering, WA_NUMBER, wrote_ago=timedelta(hours=25)))
    assert "template" in refused.value.reason and refused.value.options[0] == "template"
    assert len(responses.calls) == 0


@responses.activate
def test_whatsapps_own_re_engagement_refusal_is_not_retried():
    responses.post(
        f"{BASE}/{WA_NUMBER}/messages",
        status=400,
        json={
            "error": {"message": "(#131047) Re-engagement message", "type": "OAuthException", "code": 131047}
        },
    )
    answering = message(Channel.WHATSAPP, "wamid.IN", "4915112345678", Visibility.PRIVATE)
    with pytest.raises(DeliveryFailed) as failed:
        WhatsAppClient(graph()).send(outbound(answering, WA_NUMBER))
    assert (failed.value.code, failed.value.retriable) == ("131047", False)
    assert len(responses.calls) == 1


# ------------------------------------------------------------------------------------------- retries


@responses.activate
def test_a_5xx_then_success_sends_once_more_after_a_backoff():
    url = f"{BASE}/{PAGE}/messages"
    responses.post(url, status=500, json={"error": {"message": "An unknown error", "code": 1}})
    responses.post(url, json={"recipient_id": PSID, "message_id": "m_ok"})
    waits = Waits()
    answering = message(Channel.MESSENGER, "m_in", PSID, Visibility.PRIVATE)
    sent = MessengerClient(graph(waits=waits)).send(outbound(answering, PAGE))
    assert sent.external_id == "m_ok"
    assert len(responses.calls) == 2 and len(waits.slept) == 1 and 0 < waits.slept[0] <= 8


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80007, 130429])
@responses.activate
def test_graph_throttling_codes_are_retried_honouring_retry_after(code):
    url = f"{BASE}/{PAGE}/messages"
    responses.post(
        url,
        status=400,
        json={"error": {"message": "Application request limit reached", "code": code}},
        headers={"Retry-After": "3"},
    )
    responses.post(url, json={"recipient_id": PSID, "message_id": "m_ok"})
    waits = Waits()
    answering = message(Channel.MESSENGER, "m_in", PSID, Visibility.PRIVATE)
    MessengerClient(graph(waits=waits)).send(outbound(answering, PAGE))
    assert waits.slept == [3.0]


@responses.activate
def test_persistent_5xx_fails_retriable_with_the_platforms_error_after_the_attempts():
    responses.post(
        f"{BASE}/{PAGE}/messages",
        status=503,
        json={"error": {"message": "Service temporarily unavailable", "code": 2, "is_transient": True}},
    )
    waits = Waits()
    answering = message(Channel.MESSENGER, "m_in", PSID, Visibility.PRIVATE)
    with pytest.raises(DeliveryFailed) as failed:
        MessengerClient(graph(waits=waits, policy=RetryPolicy(attempts=4))).send(outbound(answering, PAGE))
    assert failed.value.retriable is True and failed.value.code == "2"
    assert "Service temporarily unavailable" in str(failed.value)
    assert len(responses.calls) == 4 and len(waits.slept) == 3


@responses.activate
def test_a_wait_longer_than_the_budget_is_not_started():
    responses.post(
        f"{BASE}/{PAGE}/messages",
        status=429,
        json={"error": {"message": "Calls to this api have exceeded the rate limit.", "code": 613}},
        headers={"Retry-After": "600"},
    )
    waits = Waits()
    answering = message(Channel.MESSENGER, "m_in", PSID, Visibility.PRIVATE)
    with pytest.raises(DeliveryFailed) as failed:
        MessengerClient(graph(waits=waits, policy=RetryPolicy(max_wait=20))).send(outbound(answering, PAGE))
    assert failed.value.retriable is True and failed.value.code == "613"
    assert len(responses.calls) == 1 and waits.slept == []


@responses.activate
def test_the_time_scale_shortens_every_wait():
    url = f"{BASE}/{PAGE}/messages"
    responses.post(url, status=429, json={"error": {"code": 4}}, headers={"Retry-After": "60"})
    responses.post(url, json={"recipient_id": PSID, "message_id": "m_ok"})
    waits = Waits()
    answering = message(Channel.MESSENGER, "m_in", PSID, Visibility.PRIVATE)
    api = graph(waits=waits, policy=RetryPolicy(max_wait=20, time_scale=60))
    MessengerClient(api).send(outbound(answering, PAGE))
    assert waits.slept == [1.0]


@responses.activate
def test_other_refusals_fail_at_once_with_the_code():
    responses.post(
        f"{BASE}/{PAGE}/messages",
        status=400,
        json={"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}},
    )
    answering = message(Channel.MESSENGER, "m_in", PSID, Visibility.PRIVATE)
    with pytest.raises(DeliveryFailed) as failed:
        MessengerClient(graph()).send(outbound(answering, PAGE))
    assert (failed.value.code, failed.value.retriable) == ("190", False)


def test_an_account_without_a_token_fails_before_any_call():
    answering = message(Channel.MESSENGER, "m_in", PSID, Visibility.PRIVATE)
    with pytest.raises(DeliveryFailed) as failed:
        MessengerClient(graph(token_json='{"other": "t"}')).send(outbound(answering, PAGE))
    assert failed.value.code == "no_token" and "meta-page-tokens" in str(failed.value)


@responses.activate
def test_the_mention_lookup_reads_the_mentioned_comment():
    found = {"id": "17894227972186120", "text": "@velora Hilfe!", "username": "mia.rides"}
    responses.get(
        f"{BASE}/{IG_ACCOUNT}",
        json={"mentioned_comment": found, "id": IG_ACCOUNT},
        match=[
            matchers.query_param_matcher(
                {"fields": f"mentioned_comment.comment_id(17894227972186120){{{MENTIONED_COMMENT_FIELDS}}}"}
            )
        ],
    )
    assert graph().mentioned(IG_ACCOUNT, "17894227972186120", on_comment=True) == found
    assert MENTIONED_COMMENT_FIELDS == "id,text,timestamp,username,from,media"


@responses.activate
def test_logs_name_the_platforms_error_but_never_the_text_the_path_or_the_token(caplog):
    responses.post(
        f"{BASE}/{PAGE}/messages",
        status=400,
        json={"error": {"message": "Invalid parameter", "type": "OAuthException", "code": 100}},
    )
    answering = message(Channel.MESSENGER, "m_in", PSID, Visibility.PRIVATE)
    with pytest.raises(DeliveryFailed):
        MessengerClient(graph()).send(outbound(answering, PAGE, text="Meine Nummer ist +49 151 1234567"))
    from kanal.observability import logger

    [record] = [r for r in caplog.records if r.getMessage() == "platform call refused"]
    logged = logger.registered_formatter.format(record)
    assert '"code":"100"' in logged and '"error_type":"OAuthException"' in logged
    for secret in ("+49 151 1234567", PSID, "token-page", "Invalid parameter"):
        assert secret not in logged

"""Each channel client against the local stack's channel sandbox (and SES in the emulator), over HTTP.

The clients are built as the agent API builds them, with the tokens the local stack seeded in Secrets
Manager, but with their own retry settings (real time, short budgets) so a test can tell a wait.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from email import message_from_string, policy

import pytest

from kanal.channels.outbound import DeliveryFailed, WindowClosed
from kanal.channels.outbound.email import EmailClient
from kanal.channels.outbound.graph import (
    FacebookClient,
    GraphApi,
    InstagramClient,
    MessengerClient,
    WhatsAppClient,
)
from kanal.channels.outbound.http import RetryPolicy
from kanal.channels.outbound.tokens import META_PAGE_TOKENS, X_TOKENS, Tokens
from kanal.channels.outbound.x import XApi, XClient
from kanal.model import Channel, Visibility
from kanal_local.server import graph_version
from tests.outbound import message, outbound

FAST = RetryPolicy(max_wait=5, attempts=3, backoff=0.05, backoff_max=0.2)


def _unique() -> str:
    return f"{uuid.uuid4().int % 10**15:015d}"


def _secret(local):
    client = local.stack.client("secretsmanager")
    prefix = local.stack.environment["KANAL_SECRETS_PREFIX"]
    return lambda name: client.get_secret_value(SecretId=f"{prefix}/{name}")["SecretString"]


def _graph(local, policy: RetryPolicy = FAST) -> GraphApi:
    base = f"{local.url}/sandbox/graph/{graph_version()}"
    return GraphApi.build(base, Tokens(META_PAGE_TOKENS, _secret(local)), policy)


def _x(local, policy: RetryPolicy = FAST) -> XApi:
    return XApi.build(f"{local.url}/sandbox/x", Tokens(X_TOKENS, _secret(local)), policy)


def _calls(http, local, contains: str) -> list[dict]:
    items = http.get(f"{local.url}/sandbox/outbox").json()["items"]
    return [c for c in items if contains in c["path"]]


def _fault(http, local, **fault) -> None:
    response = http.post(f"{local.url}/sandbox/faults", json=fault)
    assert response.status_code == 201, response.text


def test_the_stack_sends_replies_to_its_own_sandbox_with_the_templates_graph_version(local):
    assert local.stack.environment["KANAL_GRAPH_BASE_URL"] == f"{local.url}/sandbox/graph/{graph_version()}"
    assert local.stack.environment["KANAL_X_BASE_URL"] == f"{local.url}/sandbox/x"
    assert graph_version().startswith("v")


def test_a_facebook_comment_reply_reaches_the_sandbox_with_a_page_token(local, http):
    post, comment = _unique(), _unique()
    answering = message(Channel.FACEBOOK, f"{post}_{comment}", "1122", Visibility.PUBLIC, parent_id=post)
    sent = FacebookClient(_graph(local)).send(outbound(answering, _unique()))
    [call] = _calls(http, local, f"/{post}_{comment}/comments")
    assert call["method"] == "POST" and call["path"].startswith(f"/{graph_version()}/")
    assert call["body"] == {"message": "Wir kümmern uns darum!"} and call["authorized"] is True
    assert sent.external_id == call["answer"]["id"] and sent.external_id.startswith(f"{post}_")


def test_messenger_answers_within_24_hours_and_tags_a_human_agent_after(local, http):
    page, psid = _unique(), _unique()
    answering = message(Channel.MESSENGER, f"m_{_unique()}", psid, Visibility.PRIVATE)
    client = MessengerClient(_graph(local))
    first = client.send(outbound(answering, page, wrote_ago=timedelta(hours=2)))
    second = client.send(outbound(answering, page, wrote_ago=timedelta(days=2)))
    calls = _calls(http, local, f"/{page}/messages")
    assert [c["body"]["messaging_type"] for c in calls] == ["RESPONSE", "MESSAGE_TAG"]
    assert calls[1]["body"]["tag"] == "HUMAN_AGENT" and calls[0]["body"]["recipient"] == {"id": psid}
    assert first.external_id == calls[0]["answer"]["message_id"] and first.recipient_id == psid
    assert second.details["tag"] == "HUMAN_AGENT"
    with pytest.raises(WindowClosed):
        client.send(outbound(answering, page, wrote_ago=timedelta(days=8)))
    assert len(_calls(http, local, f"/{page}/messages")) == 2  # nothing sent after 7 days


def test_instagram_dms_comment_replies_and_mention_answers(local, http):
    account, igsid, comment, media = _unique(), _unique(), _unique(), _unique()
    client = InstagramClient(_graph(local))
    dm = client.send(outbound(message(Channel.INSTAGRAM, "aWdf", igsid, Visibility.PRIVATE), account))
    reply = client.send(
        outbound(message(Channel.INSTAGRAM, comment, igsid, Visibility.PUBLIC, parent_id=media), account)
    )
    mention = message(
        Channel.INSTAGRAM, f"{comment}1", igsid, Visibility.PUBLIC, parent_id=media, mentions_account=True
    )
    answered = client.send(outbound(mention, account))
    assert _calls(http, local, f"/{account}/messages")[0]["answer"]["message_id"] == dm.external_id
    assert _calls(http, local, f"/{comment}/replies")[0]["answer"]["id"] == reply.external_id
    [call] = _calls(http, local, f"/{account}/mentions")
    assert call["body"]["media_id"] == media and call["body"]["comment_id"] == f"{comment}1"
    assert answered.external_id == call["answer"]["id"]


def test_whatsapp_sends_to_a_phone_number_or_a_bsuid_and_refuses_after_24_hours(local, http):
    number = _unique()
    client = WhatsAppClient(_graph(local))
    by_phone = client.send(
        outbound(message(Channel.WHATSAPP, "wamid.A", "4915112345678", Visibility.PRIVATE), number)
    )
    bsuid = "DE.7216094835517720394"
    by_bsuid = client.send(outbound(message(Channel.WHATSAPP, "wamid.B", bsuid, Visibility.PRIVATE), number))
    phone_call, bsuid_call = _calls(http, local, f"/{number}/messages")
    assert phone_call["body"]["to"] == "4915112345678" and phone_call["body"]["context"] == {
        "message_id": "wamid.A"
    }
    assert phone_call["answer"]["contacts"] == [{"input": "4915112345678", "wa_id": "4915112345678"}]
    assert by_phone.external_id == phone_call["answer"]["messages"][0]["id"]
    assert bsuid_call["body"]["recipient"] == bsuid and "to" not in bsuid_call["body"]
    assert by_bsuid.recipient_id == bsuid
    with pytest.raises(WindowClosed) as refused:
        client.send(
            outbound(
                message(Channel.WHATSAPP, "wamid.C", "4915112345678", Visibility.PRIVATE),
                number,
                wrote_ago=timedelta(hours=25),
            )
        )
    assert "template" in refused.value.reason
    assert len(_calls(http, local, f"/{number}/messages")) == 2


def test_x_replies_to_a_mention_and_sends_a_dm(local, http):
    account, tweet, customer = _unique(), _unique(), _unique()
    client = XClient(_x(local))
    summoned = message(Channel.X, tweet, customer, Visibility.PUBLIC, mentions_account=True)
    reply = client.send(outbound(summoned, account))
    [call] = [
        c
        for c in _calls(http, local, "/2/tweets")
        if isinstance(c["body"], dict) and c["body"].get("reply") == {"in_reply_to_tweet_id": tweet}
    ]
    assert call["api"] == "x" and call["authorized"] is True
    assert call["status"] == 201 and reply.external_id == call["answer"]["data"]["id"]
    assert call["answer"]["data"]["edit_history_tweet_ids"] == [reply.external_id]
    dm = client.send(outbound(message(Channel.X, _unique(), customer, Visibility.PRIVATE), account))
    [dm_call] = _calls(http, local, f"/2/dm_conversations/with/{customer}/messages")
    assert dm.external_id == dm_call["answer"]["data"]["dm_event_id"]
    with pytest.raises(WindowClosed) as refused:
        client.send(outbound(message(Channel.X, _unique(), customer, Visibility.PUBLIC), account))
    assert refused.value.options == ["dm", "quote"]


def test_a_fault_then_success_sends_once(local, http):
    page = _unique()
    _fault(
        http,
        local,
        api="graph",
        path_contains=f"/{page}/messages",
        status=500,
        body={"error": {"message": "An unexpected error has occurred.", "code": 2, "is_transient": True}},
        times=1,
    )
    answering = message(Channel.MESSENGER, f"m_{_unique()}", _unique(), Visibility.PRIVATE)
    sent = MessengerClient(_graph(local)).send(outbound(answering, page))
    calls = _calls(http, local, f"/{page}/messages")
    assert [c["status"] for c in calls] == [500, 200]
    assert calls[0]["fault"] and calls[1]["fault"] is None
    assert sent.external_id == calls[1]["answer"]["message_id"]


def test_a_persistent_5xx_fails_with_the_platforms_error(local, http):
    page = _unique()
    _fault(
        http,
        local,
        api="graph",
        path_contains=f"/{page}/messages",
        status=503,
        body={"error": {"message": "Service temporarily unavailable", "code": 2, "is_transient": True}},
        times=10,
    )
    answering = message(Channel.MESSENGER, f"m_{_unique()}", _unique(), Visibility.PRIVATE)
    with pytest.raises(DeliveryFailed) as failed:
        MessengerClient(_graph(local)).send(outbound(answering, page))
    assert failed.value.retriable is True and failed.value.code == "2"
    assert "Service temporarily unavailable" in str(failed.value)
    assert [c["status"] for c in _calls(http, local, f"/{page}/messages")] == [503] * FAST.attempts


def test_a_window_closed_answer_is_not_retried(local, http):
    page = _unique()
    _fault(
        http,
        local,
        api="graph",
        path_contains=f"/{page}/messages",
        status=400,
        body={
            "error": {
                "message": "(#10) This message is sent outside of allowed window.",
                "type": "OAuthException",
                "code": 10,
                "error_subcode": 2018278,
            }
        },
    )
    answering = message(Channel.MESSENGER, f"m_{_unique()}", _unique(), Visibility.PRIVATE)
    with pytest.raises(DeliveryFailed) as failed:
        MessengerClient(_graph(local)).send(outbound(answering, page))
    assert (failed.value.code, failed.value.retriable) == ("10/2018278", False)
    assert len(_calls(http, local, f"/{page}/messages")) == 1


def test_an_x_429_waits_for_the_rate_limit_reset(local, http):
    customer = _unique()
    reset = int(time.time()) + 2
    _fault(
        http,
        local,
        api="x",
        path_contains=f"/with/{customer}/",
        status=429,
        body={
            "title": "Too Many Requests",
            "detail": "Too Many Requests",
            "type": "about:blank",
            "status": 429,
        },
        headers={"x-rate-limit-reset": reset, "x-rate-limit-remaining": 0},
    )
    started = time.monotonic()
    sent = XClient(_x(local)).send(
        outbound(message(Channel.X, _unique(), customer, Visibility.PRIVATE), _unique())
    )
    waited = time.monotonic() - started
    calls = _calls(http, local, f"/with/{customer}/")
    assert [c["status"] for c in calls] == [429, 201]
    assert calls[1]["at"] >= reset - 1 and waited >= 1  # waited for the reset, not a blind backoff
    assert sent.external_id == calls[1]["answer"]["data"]["dm_event_id"]


def test_an_email_reply_goes_through_ses_and_is_listed_with_its_threading_headers(local, http):
    thread = uuid.uuid4().hex[:12]
    mailbox = f"service-{thread}@kanal.local"
    customer = f"kunde-{thread}@example.org"
    answering = message(Channel.EMAIL, f"in-{thread}@example.org", customer, Visibility.PRIVATE)
    reply = outbound(
        answering,
        mailbox,
        email_to=customer,
        email_subject="Lieferung verspätet",
        email_references=(f"root-{thread}@example.org",),
    )
    sent = EmailClient(local.stack.client("ses"), local.stack.region).send(reply)
    assert sent.external_id.endswith(f"@{local.stack.region}.amazonses.com")
    items = http.get(f"{local.url}/local/emails").json()["items"]
    [mail] = [item for item in items if item["to"] == customer]
    assert (
        mail["message_id"] == f"<{sent.external_id}>" and mail["headers"]["Message-ID"] == mail["message_id"]
    )
    assert mail["subject"] == "Re: Lieferung verspätet" and mail["from"] == mailbox
    assert mail["headers"]["In-Reply-To"] == f"<in-{thread}@example.org>"
    assert mail["headers"]["References"] == f"<root-{thread}@example.org> <in-{thread}@example.org>"
    assert mail["text"].strip() == "Wir kümmern uns darum!"
    # the customer's answer to it names SES's id, so it threads onto the reply
    parsed = message_from_string(f"In-Reply-To: {mail['message_id']}\n\nok", policy=policy.default)
    assert parsed["In-Reply-To"].strip("<>") == sent.external_id

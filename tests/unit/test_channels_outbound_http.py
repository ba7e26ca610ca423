"""The platforms' HTTP layer: connection problems, timeouts, Retry-After, tokens, a client per channel."""

from __future__ import annotations

from email.utils import formatdate

import pytest
import requests
import responses

from kanal.channels.outbound import DeliveryFailed
from kanal.channels.outbound import clients as clients_module
from kanal.channels.outbound.email import EmailClient
from kanal.channels.outbound.graph import FacebookClient, InstagramClient, MessengerClient, WhatsAppClient
from kanal.channels.outbound.graph import classify as graph_classify
from kanal.channels.outbound.http import PlatformHttp, RetryPolicy, retry_after
from kanal.channels.outbound.tokens import Tokens
from kanal.channels.outbound.x import XClient
from kanal.config import Config
from kanal.model import Channel, Visibility
from tests.outbound import Waits, message, outbound

URL = "https://graph.test/v26.0/1/messages"


def _http(waits: Waits, **policy) -> PlatformHttp:
    return PlatformHttp("graph", graph_classify, RetryPolicy(**policy), sleep=waits.sleep, clock=waits.clock)


@responses.activate
def test_a_connection_that_could_not_be_made_is_retried():
    responses.post(URL, body=requests.ConnectionError("refused"))
    responses.post(URL, json={"message_id": "m_1"})
    waits = Waits()
    assert _http(waits).request("test", "POST", URL, "t", json={}) == {"message_id": "m_1"}
    assert len(waits.slept) == 1


@responses.activate
def test_a_request_without_an_answer_in_time_is_not_sent_again():
    responses.post(URL, body=requests.ReadTimeout("slow"))
    with pytest.raises(DeliveryFailed) as failed:
        _http(Waits()).request("test", "POST", URL, "t", json={})
    assert (failed.value.code, failed.value.retriable) == ("timeout", True)
    assert len(responses.calls) == 1


def test_retry_after_reads_seconds_and_http_dates():
    now = 1_800_000_000.0
    assert retry_after({"Retry-After": "12"}, now) == 12.0
    assert retry_after({"retry-after": formatdate(now + 30, usegmt=True)}, now) == pytest.approx(30, abs=1)
    assert retry_after({"Retry-After": "soon"}, now) is None
    assert retry_after({}, now) is None


@responses.activate
def test_the_number_of_attempts_is_bounded():
    responses.post(URL, status=500, json={})
    waits = Waits()
    with pytest.raises(DeliveryFailed) as failed:
        _http(waits, attempts=2).request("test", "POST", URL, "t", json={})
    assert failed.value.code == "http-500" and len(responses.calls) == 2


@responses.activate
def test_the_total_wait_is_capped():
    responses.post(URL, status=500, json={}, headers={"Retry-After": "6"})
    waits = Waits()
    with pytest.raises(DeliveryFailed):
        _http(waits, max_wait=15, attempts=10).request("test", "POST", URL, "t", json={})
    assert waits.slept == [6.0, 6.0] and len(responses.calls) == 3


def test_a_token_secret_that_is_not_a_json_object_is_named():
    with pytest.raises(DeliveryFailed) as failed:
        Tokens("meta-page-tokens", lambda name: "EAAB...")("123")
    assert failed.value.code == "token_secret_invalid" and "meta-page-tokens" in str(failed.value)
    assert Tokens("x-tokens", lambda name: '{"1": "a", "*": "b"}')("1") == "a"
    assert Tokens("x-tokens", lambda name: '{"1": "a", "*": "b"}')("2") == "b"


@pytest.mark.parametrize(
    ("channel", "kind"),
    [
        (Channel.FACEBOOK, FacebookClient),
        (Channel.MESSENGER, MessengerClient),
        (Channel.INSTAGRAM, InstagramClient),
        (Channel.WHATSAPP, WhatsAppClient),
        (Channel.X, XClient),
        (Channel.EMAIL, EmailClient),
    ],
)
def test_each_channel_has_its_client(monkeypatch, channel, kind):
    environ = {
        "KANAL_GRAPH_BASE_URL": "https://graph.test/v26.0/",
        "KANAL_X_BASE_URL": "https://x.test",
        "KANAL_X_REPLY_POLICY": "enterprise",
        "KANAL_CHANNEL_RETRY_SECONDS": "7",
        "KANAL_TIME_SCALE": "2",
        "KANAL_SECRETS_PREFIX": "kanal",
        "AWS_DEFAULT_REGION": "eu-central-1",
    }
    monkeypatch.setattr(clients_module, "config", lambda: Config(environ))
    for cached in (clients_module._client, clients_module.graph_api, clients_module.x_api):
        cached.cache_clear()
    try:
        inquiry = outbound(message(channel, "1", "2", Visibility.PUBLIC), "acct").inquiry
        client = clients_module.client_for(inquiry, Visibility.PUBLIC)
        assert isinstance(client, kind)
        if isinstance(client, XClient):
            assert client.reply_policy == "enterprise" and client.api.base_url == "https://x.test"
            assert client.api.http.policy == RetryPolicy(max_wait=7, time_scale=2)
        if isinstance(client, FacebookClient):
            assert client.api.base_url == "https://graph.test/v26.0"
    finally:
        for cached in (clients_module._client, clients_module.graph_api, clients_module.x_api):
            cached.cache_clear()

"""Which client answers an inquiry: one per channel, built once per process from the configuration.

Base URLs and the X reply policy come from the environment (template parameters ``GraphBaseUrl``,
``XBaseUrl``, ``XReplyPolicy``, ``ChannelRetrySeconds``), tokens from Secrets Manager (``meta-page-tokens``,
``x-tokens``), so the local stack points the same code at its channel sandbox.
"""

from __future__ import annotations

from functools import cache

from kanal.channels.outbound import ChannelClient
from kanal.channels.outbound.email import EmailClient
from kanal.channels.outbound.graph import (
    FacebookClient,
    GraphApi,
    InstagramClient,
    MessengerClient,
    WhatsAppClient,
)
from kanal.channels.outbound.http import RetryPolicy
from kanal.channels.outbound.thread_control import ThreadControlApi
from kanal.channels.outbound.tokens import META_PAGE_TOKENS, X_TOKENS, Tokens
from kanal.channels.outbound.x import XApi, XClient
from kanal.config import config
from kanal.model import Channel, Inquiry, Visibility


def retry_policy(max_wait: float | None = None) -> RetryPolicy:
    settings = config()
    return RetryPolicy(
        max_wait=settings.channel_retry_seconds if max_wait is None else max_wait,
        time_scale=settings.time_scale,
    )


@cache
def graph_api(max_wait: float | None = None) -> GraphApi:
    """The Graph API as the configured accounts; ``max_wait`` overrides ChannelRetrySeconds (ingest)."""
    from kanal.adapters.secrets import secret

    return GraphApi.build(config().graph_base_url, Tokens(META_PAGE_TOKENS, secret), retry_policy(max_wait))


def thread_control_api(max_wait: float | None = None) -> ThreadControlApi:
    """Conversation Routing through the configured Graph API (``max_wait``: as ``graph_api``)."""
    return ThreadControlApi(graph_api(max_wait))


@cache
def x_api() -> XApi:
    from kanal.adapters.secrets import secret

    return XApi.build(config().x_base_url, Tokens(X_TOKENS, secret), retry_policy())


@cache
def _client(channel: Channel) -> ChannelClient:
    if channel is Channel.FACEBOOK:
        return FacebookClient(graph_api())
    if channel is Channel.MESSENGER:
        return MessengerClient(graph_api())
    if channel is Channel.INSTAGRAM:
        return InstagramClient(graph_api())
    if channel is Channel.WHATSAPP:
        return WhatsAppClient(graph_api())
    if channel is Channel.X:
        return XClient(x_api(), config().x_reply_policy)
    import boto3

    return EmailClient(boto3.client("ses", region_name=config().region), config().region)


def client_for(inquiry: Inquiry, visibility: Visibility) -> ChannelClient:
    """The client that answers ``inquiry`` on its own channel (with either visibility)."""
    return _client(Channel(inquiry.channel))


def client_of(channel: Channel) -> ChannelClient:
    """The client of one channel: a reply goes where the customer last wrote (after a handover to a
    private chat, e.g. Messenger for a Facebook inquiry)."""
    return _client(Channel(channel))


def email_client() -> EmailClient:
    client = _client(Channel.EMAIL)
    assert isinstance(client, EmailClient)
    return client

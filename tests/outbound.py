"""Replies to build in tests of the channel clients: an inquiry, the customer's message, the Outbound."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kanal.channels.outbound import Outbound
from kanal.channels.outbound.graph import GraphApi
from kanal.channels.outbound.graph import classify as graph_classify
from kanal.channels.outbound.http import PlatformHttp, RetryPolicy
from kanal.channels.outbound.tokens import Tokens
from kanal.channels.outbound.x import XApi
from kanal.channels.outbound.x import classify as x_classify
from kanal.model import Author, Channel, Direction, Inquiry, Message, Visibility

NOW = datetime.fromisoformat("2026-11-24T10:00:00+00:00")
PAGE = "104857600000001"
IG_ACCOUNT = "17841405822304914"
WA_NUMBER = "106540352242922"
X_ACCOUNT = "1346889436626259968"


@dataclass
class Waits:
    """A fake clock and sleep: sleeping moves the clock, nothing really waits."""

    now: float = 1_800_000_000.0
    slept: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def tokens(mapping: str = '{"*": "token-all", "104857600000001": "token-page"}') -> Tokens:
    return Tokens("meta-page-tokens", lambda name: mapping)


def graph(
    base: str = "https://graph.test/v26.0",
    waits: Waits | None = None,
    policy: RetryPolicy | None = None,
    token_json: str | None = None,
) -> GraphApi:
    waits = waits or Waits()
    http = PlatformHttp(
        "graph", graph_classify, policy or RetryPolicy(), sleep=waits.sleep, clock=waits.clock
    )
    return GraphApi(base, tokens(token_json) if token_json else tokens(), http)


def x_api(
    base: str = "https://x.test", waits: Waits | None = None, policy: RetryPolicy | None = None
) -> XApi:
    waits = waits or Waits()
    http = PlatformHttp("x", x_classify, policy or RetryPolicy(), sleep=waits.sleep, clock=waits.clock)
    return XApi(base, Tokens("x-tokens", lambda name: '{"*": "x-token"}'), http)


def message(
    channel: Channel,
    external_id: str,
    author_id: str,
    visibility: Visibility,
    created_at: datetime = NOW,
    parent_id: str | None = None,
    mentions_account: bool = False,
) -> Message:
    return Message(
        inquiry_id="inq-1",
        channel=channel,
        external_id=external_id,
        direction=Direction.IN,
        author=Author(author_id),
        text="Hallo, wo bleibt meine Bestellung?",
        visibility=visibility,
        created_at=created_at,
        parent_id=parent_id,
        mentions_account=mentions_account,
    )


def outbound(
    answering: Message,
    account: str,
    visibility: Visibility | None = None,
    text: str = "Wir kümmern uns darum!",
    wrote_ago: timedelta = timedelta(hours=1),
    **extra: object,
) -> Outbound:
    inquiry = Inquiry(
        id="inq-1",
        channel=answering.channel,
        external_id=answering.external_id,
        author=answering.author,
        text=answering.text,
        visibility=answering.visibility,
        thread_id=answering.external_id,
        account_id=account,
        customer_id="cust-1",
        created_at=answering.created_at,
        received_at=answering.created_at,
    )
    return Outbound(
        inquiry=inquiry,
        answering=answering,
        text=text,
        visibility=visibility or answering.visibility,
        last_customer_message_at=NOW - wrote_ago,
        now=NOW,
        **extra,  # type: ignore[arg-type]
    )

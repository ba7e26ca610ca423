"""X Account Activity deliveries: tweets, DMs, deletions kept; retweets, likes and the rest acknowledged."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kanal.channels import normalise_record, split_delivery
from kanal.errors import MalformedPayload
from kanal.model import Action, Channel, InboundMessage, Visibility

EVENTS = Path(__file__).resolve().parents[1] / "events" / "x"
RECEIVED = datetime(2024, 4, 25, 13, 30, tzinfo=UTC)
ME = "1346889436626259968"
MAREIKE = "2244994945"


def load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    return payload


def ingest(payload: object) -> tuple[list[dict[str, Any]], list[InboundMessage]]:
    records = split_delivery("x", payload)
    messages = [
        item for record in json.loads(json.dumps(records)) for item in normalise_record(record, RECEIVED)
    ]
    assert all(isinstance(item, InboundMessage) for item in messages)
    return records, messages  # type: ignore[return-value]


def only(name: str) -> tuple[dict[str, Any], InboundMessage]:
    records, messages = ingest(load(name))
    assert len(records) == 1 and len(messages) == 1
    return records[0], messages[0]


def test_mention_tweet() -> None:
    record, message = only("mention_tweet")
    assert record["source"] == "x" and record["key"] == "x:1783469921451061248"
    assert message.channel is Channel.X and message.visibility is Visibility.PUBLIC
    assert message.external_id == "1783469921451061248" and message.thread_id == "1783469921451061248"
    assert message.in_reply_to is None and message.own is False and message.action is Action.CREATE
    assert (
        message.author.id == MAREIKE
        and message.author.handle == "mareike_s"
        and message.author.name == "Mareike Schulz"
    )
    assert message.author.followers == 1532 and message.author.verified is False
    assert message.account_id == ME and message.language == "de"
    assert message.created_at == datetime(2024, 4, 25, 12, 1, 13, 662000, tzinfo=UTC)


def test_reply_tweet_uses_the_full_text_and_threads_on_the_replied_tweet() -> None:
    _, message = only("reply_tweet")
    assert message.text.endswith("ask my bank for a chargeback.")
    assert "&amp;" not in message.text and "e-mail & it's" in message.text
    assert message.in_reply_to == "1783470011223344556" and message.thread_id == "1783470011223344556"
    assert message.author.verified is True and message.author.followers == 48211 and message.language == "en"


def test_quote_tweet_threads_on_the_quoted_tweet() -> None:
    _, message = only("quote_tweet")
    assert message.thread_id == "1783401234567890123" and message.parent_id == "1783401234567890123"
    assert message.in_reply_to is None and message.author.handle == "paulwagner_ms"


def test_own_tweet_is_marked_own() -> None:
    _, message = only("own_tweet")
    assert message.own is True and message.author.id == ME
    assert message.thread_id == "1783469921451061248"


@pytest.mark.parametrize("name", ["retweet", "favorite"])
def test_retweets_and_likes_give_no_records(name: str) -> None:
    assert split_delivery("x", load(name)) == []


def test_dm_from_a_customer() -> None:
    record, message = only("dm")
    assert record["key"] == "x:dm:1783490001234567890"
    assert set(record["users"]) == {MAREIKE, ME}
    assert message.visibility is Visibility.PRIVATE and message.channel is Channel.X
    assert message.external_id == "1783490001234567890"
    assert message.thread_id == f"dm:{ME}-{MAREIKE}"
    assert message.author.id == MAREIKE and message.author.handle == "mareike_s" and message.own is False
    assert message.created_at == datetime(2024, 4, 25, 13, 5, 12, 345000, tzinfo=UTC)


def test_dm_text_is_unescaped_like_tweet_text() -> None:
    # Given a DM whose text X delivers HTML-escaped (&amp;, &lt;, &gt;)
    record, message = only("dm_escaped")
    assert "&amp;" in record["payload"]["message_create"]["message_data"]["text"]
    # Then the customer's own characters are stored
    assert message.text == (
        "Order 48213: frame & fork arrived, but the bill says <unpaid> & I paid in full -> please check"
    )
    assert message.author.handle == "d_okafor" and message.language == "en"


def test_dm_text_is_unescaped_once_only() -> None:
    payload = load("dm")
    data = payload["direct_message_events"][0]["message_create"]["message_data"]
    data["text"] = "HTML in a DM: &amp;lt;b&amp;gt; stays &lt;b&gt;"
    _, [message] = ingest(payload)
    assert message.text == "HTML in a DM: &lt;b&gt; stays <b>"


def test_own_dm_is_an_echo_in_the_same_thread() -> None:
    _, message = only("dm_own")
    assert message.own is True and message.author.id == ME
    assert message.thread_id == f"dm:{ME}-{MAREIKE}"


def test_tweet_delete_is_a_removal() -> None:
    record, message = only("tweet_delete")
    assert record["key"] == "x:1783488234567890123:remove"
    assert message.action is Action.REMOVE and message.external_id == "1783488234567890123"


def test_other_event_types_are_acknowledged() -> None:
    payload = {
        "for_user_id": ME,
        "direct_message_indicate_typing_events": [
            {"created_timestamp": "1714050300000", "sender_id": MAREIKE, "target": {"recipient_id": ME}}
        ],
        "follow_events": [
            {
                "type": "follow",
                "created_timestamp": "1714050300000",
                "target": {"id": ME},
                "source": {"id": MAREIKE},
            }
        ],
    }
    assert split_delivery("x", payload) == []


def test_a_tweet_with_media_keeps_the_attachment() -> None:
    payload = load("mention_tweet")
    payload["tweet_create_events"][0]["extended_entities"] = {
        "media": [
            {
                "id_str": "1783469911111111111",
                "type": "photo",
                "media_url_https": "https://pbs.twimg.com/media/GMAkku1.jpg",
            }
        ]
    }
    _, messages = ingest(payload)
    assert [(item.type, item.url) for item in messages[0].attachments] == [
        ("photo", "https://pbs.twimg.com/media/GMAkku1.jpg")
    ]


def test_created_at_falls_back_to_the_twitter_date_string() -> None:
    payload = load("mention_tweet")
    del payload["tweet_create_events"][0]["timestamp_ms"]
    _, messages = ingest(payload)
    assert messages[0].created_at == datetime(2024, 4, 25, 12, 1, 13, tzinfo=UTC)


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ([], "x body must be a JSON object"),
        ({"tweet_create_events": []}, "for_user_id"),
        ({"for_user_id": "", "tweet_create_events": []}, "for_user_id"),
        ({"for_user_id": ME, "tweet_create_events": {}}, "tweet_create_events must be a list"),
        ({"for_user_id": ME, "direct_message_events": ["x"]}, r"direct_message_events\[0\]"),
    ],
)
def test_malformed_bodies_are_rejected(payload: object, problem: str) -> None:
    with pytest.raises(MalformedPayload, match=problem):
        split_delivery("x", payload)


def test_a_tweet_without_user_cannot_be_normalised() -> None:
    record = split_delivery("x", load("mention_tweet"))[0]
    del record["payload"]["user"]
    with pytest.raises(MalformedPayload, match="user"):
        normalise_record(record, RECEIVED)


@pytest.mark.parametrize(
    ("name", "summoned"),
    [("mention_tweet", True), ("reply_tweet", True), ("quote_tweet", True), ("own_tweet", False)],
)
def test_a_tweet_knows_whether_it_mentions_or_quotes_the_account(name: str, summoned: bool) -> None:
    # a self-serve X app may reply only then (see kanal.channels.outbound.x)
    _, message = only(name)
    assert message.mentions_account is summoned


def test_a_tweet_that_only_quotes_the_account_summons_it() -> None:
    payload = load("quote_tweet")
    tweet = payload["tweet_create_events"][0]
    tweet["entities"]["user_mentions"] = []
    _, messages = ingest(payload)
    assert messages[0].mentions_account is True
    tweet["quoted_status"]["user"]["id_str"] = "42"
    tweet["quoted_status"]["user"]["id"] = 42
    _, messages = ingest(payload)
    assert messages[0].mentions_account is False

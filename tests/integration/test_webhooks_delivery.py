"""How deliveries become inquiries: redeliveries stored once, batches split into one record per event,
follow-ups joining their customer's open inquiry, edits and removals changing what is stored.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.conftest import eventually, load_event
from tests.integration.deliveries import (
    ANNA,
    ANNA_COMMENT,
    MAREIKE,
    MESSAGES,
    MESSENGER_MID,
    WA_BSUID,
    Expected,
    Ids,
    accepted,
    contacts_of,
    customer_of,
    deliver,
    fixture,
    inquiries_of,
    inquiry_detail,
    sample,
    settled,
    source_of,
    stored_message,
    wait_for_message,
)

MENTION = "1783469921451061248"


def _deliver_concurrently(local: Any, source: str, delivery: Any, times: int = 2) -> list[int]:
    """Post the same delivery from several connections at the same moment; return the status codes."""
    start = threading.Barrier(times)

    def post(_: int) -> int:
        with requests.Session() as session:
            start.wait(timeout=10)
            return deliver(session, local, source, delivery).status_code

    with ThreadPoolExecutor(max_workers=times) as pool:
        return list(pool.map(post, range(times)))


def _stored_once(local, http, admin_headers, message: Expected) -> dict[str, Any]:
    """The message is stored once, in exactly one inquiry, and counted once on its customer's timeline."""
    stored = stored_message(local, message.channel, message.external_id)
    assert stored is not None, f"{message.channel}#{message.external_id} is stored"
    assert [item["id"] for item in inquiries_of(local, message.channel, message.external_id)] == [
        stored["inquiry_id"]
    ]
    detail = inquiry_detail(http, local, admin_headers, stored["inquiry_id"])
    assert [m["external_id"] for m in detail["messages"]] == [message.external_id]
    customer = customer_of(local, message.channel, message.author)
    assert customer is not None
    assert len(contacts_of(local, customer)) == 1
    return detail


# ---------------------------------------------------------------------------------------- redelivery

REDELIVERED_KINDS = [
    "meta/page_feed_comment_add.json",
    "meta/page_feed_visitor_post.json",
    "meta/messenger_text.json",
    "meta/messenger_postback.json",
    "meta/instagram_comment.json",
    "meta/instagram_mention.json",
    "meta/instagram_dm.json",
    "meta/whatsapp_text.json",
    "x/mention_tweet.json",
    "x/dm.json",
]


@pytest.mark.parametrize("name", REDELIVERED_KINDS)
def test_a_redelivered_message_is_stored_once(name, local, http, admin_headers):
    # Given two conversations' first message: one the platform redelivers after it was taken in,
    # and one it delivers twice at the same moment
    again, [again_message] = sample(name, Ids())
    twice, [twice_message] = sample(name, Ids())
    source = source_of(name)
    # When they are delivered that way
    assert accepted(deliver(http, local, source, again)) == 1
    wait_for_message(local, again_message.channel, again_message.external_id)
    assert accepted(deliver(http, local, source, again)) == 1
    assert _deliver_concurrently(local, source, twice) == [200, 200]
    settled(local)
    # Then each message is stored once, in one inquiry
    for message in (again_message, twice_message):
        message.check(_stored_once(local, http, admin_headers, message))


def test_a_redelivered_contact_event_goes_on_the_timeline_once(local, http):
    # Given a hotline call reported again, and another reported twice at the same moment
    again_ids, twice_ids = Ids(), Ids()
    again = fixture("contact-events/call.json", again_ids)
    twice = fixture("contact-events/call.json", twice_ids)
    # When they are delivered that way
    assert accepted(deliver(http, local, "contact-events", again)) == 1
    assert accepted(deliver(http, local, "contact-events", again)) == 1
    assert _deliver_concurrently(local, "contact-events", twice) == [200, 200]
    settled(local)
    # Then each caller's timeline holds the call once
    for ids in (again_ids, twice_ids):
        customer = customer_of(local, "phone", f"+4915112345678{ids.suffix}")
        assert customer is not None, "the caller is known"
        assert [c["ref"] for c in contacts_of(local, customer)] == [
            f"event:{ids('hotline-2024-04-25-000731')}"
        ]


def test_a_redelivered_order_counts_once_toward_the_customers_value(local, http):
    # Given a message taken in earlier (ingest has worked on messages before this order arrives)
    ids = Ids()
    accepted(deliver(http, local, "meta", fixture("meta/messenger_text.json", ids)))
    wait_for_message(local, "messenger", ids(MESSENGER_MID))
    # and a shop's order report
    order = fixture("contact-events/order.json", ids)
    # When the shop sends it twice
    assert accepted(deliver(http, local, "contact-events", order)) == 1
    assert accepted(deliver(http, local, "contact-events", order)) == 1
    settled(local)
    # Then the customer has one order of 1899.0 on record
    customer = customer_of(local, "email", f"james.carter{ids.suffix}@example.co.uk")
    assert customer is not None
    assert [c["kind"] for c in contacts_of(local, customer)] == ["order"]
    dynamodb = local.stack.client("dynamodb")
    profile = dynamodb.get_item(
        TableName=local.stack.environment["KANAL_CUSTOMERS_TABLE"],
        Key={"pk": {"S": f"CUST#{customer}"}, "sk": {"S": "PROFILE"}},
        ConsistentRead=True,
    )["Item"]
    assert profile["purchase_count"] == {"N": "1"}
    assert float(profile["lifetime_value"]["N"]) == 1899.0


def test_contact_events_of_different_customers_all_reach_their_timelines(local, http):
    # Given ingest has taken in a message (as in any running stack)
    ids = Ids()
    accepted(deliver(http, local, "meta", fixture("meta/messenger_text.json", ids)))
    wait_for_message(local, "messenger", ids(MESSENGER_MID))
    # When two different callers' calls are reported, one after the other
    first_ids, second_ids = Ids(), Ids()
    for call_ids in (first_ids, second_ids):
        assert (
            accepted(deliver(http, local, "contact-events", fixture("contact-events/call.json", call_ids)))
            == 1
        )
    settled(local)
    # Then each call is on its own caller's timeline
    for call_ids in (first_ids, second_ids):
        customer = customer_of(local, "phone", f"+4915112345678{call_ids.suffix}")
        assert customer is not None, "the caller is known"
        assert [c["ref"] for c in contacts_of(local, customer)] == [
            f"event:{call_ids('hotline-2024-04-25-000731')}"
        ]


def test_contact_events_from_two_systems_that_share_an_event_id_are_both_recorded(local, http):
    # Given a hotline and a CRM whose own event ids happen to be the same (Kanal dedupes on source and id)
    ids = Ids()
    hotline = fixture("contact-events/call.json", ids)
    crm = {
        **hotline,
        "source": "crm",
        "customer": {"channel": "phone", "identity": f"+49 30 1234{ids.suffix}"},
    }
    # When each reports its event
    for event in (hotline, crm):
        assert accepted(deliver(http, local, "contact-events", event)) == 1
    settled(local)
    # Then both callers have the call on their timelines
    for identity in (f"+4915112345678{ids.suffix}", f"+49301234{ids.suffix}"):
        customer = customer_of(local, "phone", identity)
        assert customer is not None, f"the caller {identity} is known"
        assert [c["kind"] for c in contacts_of(local, customer)] == ["call"]


# ------------------------------------------------------------------------------------------- batches


def _messenger_entries(count: int) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """One Meta delivery with ``count`` entries, each a different customer's Messenger message."""
    entries, expected = [], []
    for _ in range(count):
        ids = Ids()
        entries += fixture("meta/messenger_text.json", ids)["entry"]
        expected.append(("messenger", ids(MESSENGER_MID)))
    return {"object": "page", "entry": entries}, expected


def _feed_changes(count: int) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """One Meta page entry with ``count`` feed changes, each a different person's comment."""
    changes, expected = [], []
    for _ in range(count):
        ids = Ids()
        changes += fixture("meta/page_feed_comment_add.json", ids)["entry"][0]["changes"]
        expected.append(("facebook", ids(ANNA_COMMENT)))
    delivery = load_event("meta/page_feed_comment_add.json")
    delivery["entry"][0]["changes"] = changes
    return delivery, expected


def _whatsapp_messages(count: int) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """One WhatsApp change with ``count`` messages from different people."""
    delivery = load_event("meta/whatsapp_text.json")
    value = delivery["entry"][0]["changes"][0]["value"]
    value["contacts"], value["messages"] = [], []
    expected = []
    for _ in range(count):
        ids = Ids()
        one = fixture("meta/whatsapp_text.json", ids)["entry"][0]["changes"][0]["value"]
        value["contacts"] += one["contacts"]
        value["messages"] += one["messages"]
        expected.append(("whatsapp", one["messages"][0]["id"]))
    return delivery, expected


def _tweets(count: int) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """One Account Activity delivery with ``count`` mentions by different people."""
    delivery = load_event("x/mention_tweet.json")
    delivery["tweet_create_events"], expected = [], []
    for _ in range(count):
        ids = Ids()
        delivery["tweet_create_events"] += fixture("x/mention_tweet.json", ids)["tweet_create_events"]
        expected.append(("x", ids(MENTION)))
    return delivery, expected


BATCHES = {
    "meta entries": ("meta", _messenger_entries, 12),  # more than one SQS batch of ten
    "feed changes": ("meta", _feed_changes, 5),
    "whatsapp messages": ("meta", _whatsapp_messages, 4),
    "x tweets": ("x", _tweets, 4),
}


@pytest.mark.parametrize("batch", sorted(BATCHES))
def test_a_batched_delivery_becomes_one_record_per_message(batch, local, http):
    # Given one delivery that carries N customer messages
    source, build, count = BATCHES[batch]
    delivery, expected = build(count)
    # When the platform posts it
    response = deliver(http, local, source, delivery)
    # Then N records are accepted, and N messages each open their own inquiry
    assert response.json() == {"accepted": count}
    stored = [wait_for_message(local, channel, external_id) for channel, external_id in expected]
    assert len({item["inquiry_id"] for item in stored}) == count


def test_a_batch_of_contact_events_puts_each_on_its_customers_timeline(local, http):
    # Given one report with five calls from five callers
    calls = [(ids := Ids(), fixture("contact-events/call.json", ids)) for _ in range(5)]
    # When the hotline posts it
    response = deliver(http, local, "contact-events", {"events": [event for _, event in calls]})
    # Then five events are accepted, and each caller's timeline has their call
    assert response.json() == {"accepted": 5}
    settled(local)
    for ids, event in calls:
        customer = customer_of(local, "phone", f"+4915112345678{ids.suffix}")
        assert customer is not None, "the caller is known"
        assert [item["ref"] for item in contacts_of(local, customer)] == [f"event:{event['event_id']}"]


# ----------------------------------------------------------------------------------------- threading


def _set(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return document


def _get(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


def _later(relative: str, id_path: tuple[Any, ...], time_path: tuple[Any, ...], text_path: tuple[Any, ...]):
    """The same customer's next message in the same conversation, a minute later; its id ends in "2"."""
    document = load_event(relative)
    _set(document, id_path, f"{_get(document, id_path)}2")
    sent = _get(document, time_path)
    later = int(sent) + (60_000 if int(sent) > 10**11 else 60)  # epoch milliseconds or seconds
    _set(document, time_path, str(later) if isinstance(sent, str) else later)
    return _set(document, text_path, "Hallo? Gibt es schon Neuigkeiten?")


def _from_anna(relative: str) -> Any:
    return _set(
        load_event(relative), ("entry", 0, "changes", 0, "value", "from"), {"id": ANNA, "name": "Anna"}
    )


def _reply_by_mareike_to_her_mention() -> Any:
    reply = load_event("x/reply_tweet.json")
    tweet = reply["tweet_create_events"][0]
    tweet["in_reply_to_status_id_str"] = MENTION
    tweet["user"] = load_event("x/mention_tweet.json")["tweet_create_events"][0]["user"]
    return reply


IG_DM_MID = MESSAGES["meta/instagram_dm.json"][0].external_id
WAMID = MESSAGES["meta/whatsapp_text.json"][0].external_id
BSUID_WAMID = MESSAGES["meta/whatsapp_text_bsuid.json"][0].external_id

# conversation -> (first message's fixture, the customer's next message, its channel and platform id)
FOLLOW_UPS = {
    "messenger": (
        "meta/messenger_text.json",
        lambda: load_event("meta/messenger_attachment.json"),  # the same person, a minute later
        ("messenger", "m_Qw8xYk3LmN2pR5sT7uV9wX1zA4bC6dE8fG0hJ2kL4mN6pQ"),
    ),
    "instagram direct": (
        "meta/instagram_dm.json",
        lambda: _later(
            "meta/instagram_dm.json",
            ("entry", 0, "messaging", 0, "message", "mid"),
            ("entry", 0, "messaging", 0, "timestamp"),
            ("entry", 0, "messaging", 0, "message", "text"),
        ),
        ("instagram", f"{IG_DM_MID}2"),
    ),
    "whatsapp": (
        "meta/whatsapp_text.json",
        lambda: _later(
            "meta/whatsapp_text.json",
            ("entry", 0, "changes", 0, "value", "messages", 0, "id"),
            ("entry", 0, "changes", 0, "value", "messages", 0, "timestamp"),
            ("entry", 0, "changes", 0, "value", "messages", 0, "text", "body"),
        ),
        ("whatsapp", f"{WAMID}2"),
    ),
    # a WhatsApp user with a username, whose phone number Meta withholds: named by their BSUID
    "whatsapp username": (
        "meta/whatsapp_text_bsuid.json",
        lambda: _later(
            "meta/whatsapp_text_bsuid.json",
            ("entry", 0, "changes", 0, "value", "messages", 0, "id"),
            ("entry", 0, "changes", 0, "value", "messages", 0, "timestamp"),
            ("entry", 0, "changes", 0, "value", "messages", 0, "text", "body"),
        ),
        ("whatsapp", f"{BSUID_WAMID}2"),
    ),
    "x direct": (
        "x/dm.json",
        lambda: _later(
            "x/dm.json",
            ("direct_message_events", 0, "id"),
            ("direct_message_events", 0, "created_timestamp"),
            ("direct_message_events", 0, "message_create", "message_data", "text"),
        ),
        ("x", "17834900012345678902"),
    ),
    # a reply under their own comment
    "facebook comment": (
        "meta/page_feed_comment_add.json",
        lambda: _from_anna("meta/page_feed_comment_reply.json"),
        ("facebook", "781236458912345_1198734561240011"),
    ),
    "instagram comment": (
        "meta/instagram_comment.json",
        lambda: _set(
            load_event("meta/instagram_comment_reply.json"),
            ("entry", 0, "changes", 0, "value", "from"),
            {"id": "6754321098765432", "username": "lena.radelt"},
        ),
        ("instagram", "17871234598760012"),
    ),
    # a reply to their own tweet
    "x tweet": ("x/mention_tweet.json", _reply_by_mareike_to_her_mention, ("x", "1783475540123456789")),
}


@pytest.mark.parametrize("conversation", sorted(FOLLOW_UPS))
def test_a_follow_up_by_the_same_customer_joins_their_open_inquiry(conversation, local, http, admin_headers):
    # Given a customer's open inquiry
    first_name, follow_up, (channel, second_id) = FOLLOW_UPS[conversation]
    source = source_of(first_name)
    ids = Ids()
    delivery, [opened] = sample(first_name, ids)
    accepted(deliver(http, local, source, delivery))
    inquiry_id = wait_for_message(local, opened.channel, opened.external_id)["inquiry_id"]
    # When the same customer writes again in the same conversation
    accepted(deliver(http, local, source, ids.rewrite(follow_up())))
    # Then the message joins their inquiry, after the first one
    second_id = ids.sub(second_id)
    assert wait_for_message(local, channel, second_id)["inquiry_id"] == inquiry_id
    detail = inquiry_detail(http, local, admin_headers, inquiry_id)
    assert [m["external_id"] for m in detail["messages"]] == [opened.external_id, second_id]
    assert [m["direction"] for m in detail["messages"]] == ["in", "in"]
    opened.check(detail)  # the inquiry still shows what opened it
    assert inquiries_of(local, channel, second_id) == []


def test_a_whatsapp_user_named_by_phone_number_and_bsuid_is_one_customer(local, http, admin_headers):
    # Given a WhatsApp message that names its sender by phone number and by BSUID
    ids = Ids()
    with_phone = load_event("meta/whatsapp_text.json")
    value = with_phone["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["user_id"] = value["messages"][0]["from_user_id"] = WA_BSUID
    with_phone = ids.rewrite(with_phone)
    phone, bsuid = ids("4915112345678"), ids(WA_BSUID)
    # When it is delivered, then the same user writes with the phone number withheld, then calls
    assert accepted(deliver(http, local, "meta", with_phone)) == 1
    first = wait_for_message(local, "whatsapp", ids(WAMID))
    assert accepted(deliver(http, local, "meta", fixture("meta/whatsapp_text_bsuid.json", ids))) == 1
    wait_for_message(local, "whatsapp", ids(BSUID_WAMID))
    assert accepted(deliver(http, local, "contact-events", fixture("contact-events/call.json", ids))) == 1
    settled(local)
    # Then the phone number stays the author of the first message
    detail = inquiry_detail(http, local, admin_headers, first["inquiry_id"])
    assert detail["author"]["id"] == phone and detail["thread_id"] == f"106540352242922:{phone}"
    # and the number and the BSUID are one customer, with all three contacts on the timeline
    customer = customer_of(local, "whatsapp", phone)
    assert customer is not None and customer_of(local, "whatsapp", bsuid) == customer
    assert sorted(c["kind"] for c in contacts_of(local, customer)) == ["call", "message", "message"]
    # and the BSUID was never taken for a phone number
    assert customer_of(local, "phone", bsuid) is None


# case -> (a customer's comment, another customer's comment, its platform id)
SEPARATE = {
    # another customer's reply under the customer's comment
    "facebook reply": (
        "meta/page_feed_comment_add.json",
        lambda: load_event("meta/page_feed_comment_reply.json"),
        "781236458912345_1198734561240011",
    ),
    "instagram reply": (
        "meta/instagram_comment.json",
        lambda: load_event("meta/instagram_comment_reply.json"),
        "17871234598760012",
    ),
    # another customer's comment under the same post
    "facebook comment": (
        "meta/page_feed_comment_add.json",
        lambda: _set(
            _set(
                load_event("meta/page_feed_comment_add.json"),
                ("entry", 0, "changes", 0, "value", "from"),
                {"id": "3987120456611234", "name": "Jonas Weber"},
            ),
            ("entry", 0, "changes", 0, "value", "comment_id"),
            "781236458912345_1198734561240399",
        ),
        "781236458912345_1198734561240399",
    ),
}


@pytest.mark.parametrize("case", sorted(SEPARATE))
def test_another_customers_comment_under_the_same_post_is_a_separate_inquiry(
    case, local, http, admin_headers
):
    # Given a customer's comment
    first_name, other, other_id = SEPARATE[case]
    ids = Ids()
    delivery, [first] = sample(first_name, ids)
    accepted(deliver(http, local, "meta", delivery))
    first_inquiry = wait_for_message(local, first.channel, first.external_id)["inquiry_id"]
    # When another customer comments under the same post (or under that comment)
    accepted(deliver(http, local, "meta", ids.rewrite(other())))
    # Then theirs is an inquiry of its own, and the first customer's inquiry keeps its one message
    channel, other_id = first.channel, ids.sub(other_id)
    other_inquiry = wait_for_message(local, channel, other_id)["inquiry_id"]
    assert other_inquiry != first_inquiry
    first_detail = inquiry_detail(http, local, admin_headers, first_inquiry)
    assert [m["external_id"] for m in first_detail["messages"]] == [first.external_id]
    assert inquiry_detail(http, local, admin_headers, other_inquiry)["external_id"] == other_id


def test_comments_by_people_meta_does_not_name_are_never_merged(local, http, admin_headers):
    # Given a comment whose author Meta withholds, and another unnamed person's reply under it
    ids = Ids()
    comment = fixture("meta/page_feed_comment_add.json", ids)
    reply = fixture("meta/page_feed_comment_reply.json", ids)
    for delivery in (comment, reply):
        del delivery["entry"][0]["changes"][0]["value"]["from"]
    # When both are delivered
    accepted(deliver(http, local, "meta", comment))
    first = wait_for_message(local, "facebook", ids(ANNA_COMMENT))
    accepted(deliver(http, local, "meta", reply))
    second = wait_for_message(local, "facebook", ids("781236458912345_1198734561240011"))
    # Then they stay two inquiries of two people
    assert first["inquiry_id"] != second["inquiry_id"]
    assert first["author"]["id"] != second["author"]["id"]


# ------------------------------------------------------------------------------------ edits, removals

EDITS = {
    "messenger": (
        "meta/messenger_text.json",
        "meta/messenger_message_edit.json",
        "Hallo, ich habe eine Frage zu meiner Rechnung Nr. 2024-1178. Können Sie mir helfen?",
    ),
    "facebook comment": (
        "meta/page_feed_comment_add.json",
        "meta/page_feed_comment_edited.json",
        "Mein E-Bike ist seit zwei Wochen in der Werkstatt und niemand meldet sich. "
        "Auftrag 55-1043, bitte um Rückruf!",
    ),
}


@pytest.mark.parametrize("case", sorted(EDITS))
def test_an_edit_changes_the_stored_text(case, local, http, admin_headers):
    # Given a customer's message, taken in
    original_name, edit_name, edited_text = EDITS[case]
    ids = Ids()
    delivery, [original] = sample(original_name, ids)
    accepted(deliver(http, local, "meta", delivery))
    inquiry_id = wait_for_message(local, original.channel, original.external_id)["inquiry_id"]
    # When the customer edits it (and the platform delivers the edit twice)
    edit = fixture(edit_name, ids)
    accepted(deliver(http, local, "meta", edit))
    accepted(deliver(http, local, "meta", edit))
    # Then the stored message has the new text, and the inquiry it opened shows it
    stored = eventually(
        lambda: (
            (item := stored_message(local, original.channel, original.external_id))["text"] == edited_text
            and item
        )
    )
    assert stored["edited"] is True
    settled(local)
    detail = inquiry_detail(http, local, admin_headers, inquiry_id)
    assert detail["text"] == edited_text
    assert [(m["external_id"], m["text"], m["edited"]) for m in detail["messages"]] == [
        (original.external_id, edited_text, True)
    ]
    assert len(inquiries_of(local, original.channel, original.external_id)) == 1


def _unsent(ids: Ids) -> Any:
    delivery = load_event("meta/messenger_text.json")
    delivery["entry"][0]["messaging"][0]["message"] = {"mid": MESSENGER_MID, "is_deleted": True}
    return ids.rewrite(delivery)


def _tweet_deleted(ids: Ids) -> Any:
    delivery = load_event("x/tweet_delete.json")
    delivery["tweet_delete_events"][0]["status"] = {"id": MENTION, "user_id": MAREIKE}
    return ids.rewrite(delivery)


REMOVALS = {
    "facebook comment removed": (
        "meta/page_feed_comment_add.json",
        lambda ids: fixture("meta/page_feed_comment_remove.json", ids),
    ),
    "messenger message unsent": ("meta/messenger_text.json", _unsent),
    "tweet deleted": ("x/mention_tweet.json", _tweet_deleted),
}


@pytest.mark.parametrize("case", sorted(REMOVALS))
def test_a_removal_marks_the_message_removed(case, local, http, admin_headers):
    # Given a customer's message, taken in
    original_name, removal = REMOVALS[case]
    ids = Ids()
    delivery, [original] = sample(original_name, ids)
    source = source_of(original_name)
    accepted(deliver(http, local, source, delivery))
    inquiry_id = wait_for_message(local, original.channel, original.external_id)["inquiry_id"]
    # When the customer removes it
    assert accepted(deliver(http, local, source, removal(ids))) == 1
    # Then the stored message is marked removed, and the agent sees that
    stored = eventually(
        lambda: (item := stored_message(local, original.channel, original.external_id))["removed"] and item
    )
    assert stored["inquiry_id"] == inquiry_id
    detail = inquiry_detail(http, local, admin_headers, inquiry_id)
    assert [(m["external_id"], m["removed"]) for m in detail["messages"]] == [(original.external_id, True)]

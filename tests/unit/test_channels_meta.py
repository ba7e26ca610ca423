"""Meta deliveries (page feed, Messenger, Instagram, WhatsApp): split into records, normalise each."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kanal.channels import normalise_record, split_delivery
from kanal.channels.meta.instagram import resolve_mention, unresolved_mention
from kanal.errors import MalformedPayload
from kanal.model import Action, Channel, ControlAction, InboundMessage, ThreadControl, Visibility

EVENTS = Path(__file__).resolve().parents[1] / "events" / "meta"
RECEIVED = datetime(2024, 4, 25, 13, 0, tzinfo=UTC)
PAGE = "104870982355621"
POST = f"{PAGE}_781236458912345"
ANNA_COMMENT = "781236458912345_1198734561239870"
PSID = "6829174563219087"
IG = "17841405822304914"
PHONE_ID = "106540352242922"


def load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    return payload


def ingest(payload: object) -> tuple[list[dict[str, Any]], list[InboundMessage]]:
    """Split like the webhook does, pass the records through JSON like SQS does, normalise like ingest."""
    records = split_delivery("meta", payload)
    messages: list[InboundMessage] = []
    for record in json.loads(json.dumps(records)):
        for item in normalise_record(record, RECEIVED):
            assert isinstance(item, InboundMessage)
            messages.append(item)
    return records, messages


def only(name: str) -> tuple[dict[str, Any], InboundMessage]:
    records, messages = ingest(load(name))
    assert len(records) == 1 and len(messages) == 1
    return records[0], messages[0]


# -- page feed ---------------------------------------------------------------------------------------


def test_top_level_comment_opens_its_own_thread() -> None:
    record, message = only("page_feed_comment_add")
    assert record["source"] == "meta" and record["key"] == f"facebook:{ANNA_COMMENT}"
    assert message.channel is Channel.FACEBOOK and message.visibility is Visibility.PUBLIC
    assert message.external_id == ANNA_COMMENT
    assert message.thread_id == ANNA_COMMENT
    assert message.parent_id == POST
    assert message.account_id == PAGE
    assert message.author.id == "7294618354012367" and message.author.name == "Anna Becker"
    assert message.action is Action.CREATE and message.own is False
    assert message.language == "de"
    assert message.created_at == datetime(2024, 4, 25, 11, 5, 20, tzinfo=UTC)
    assert message.received_at == RECEIVED


def test_reply_comment_threads_under_the_top_level_comment() -> None:
    _, message = only("page_feed_comment_reply")
    assert message.external_id == "781236458912345_1198734561240011"
    assert message.thread_id == ANNA_COMMENT
    assert message.parent_id == ANNA_COMMENT and message.in_reply_to == ANNA_COMMENT
    assert message.author.name == "James Carter" and message.language == "en"


def test_edited_comment_is_an_edit_with_its_own_dedupe_key() -> None:
    record, message = only("page_feed_comment_edited")
    assert message.action is Action.EDIT and message.external_id == ANNA_COMMENT
    assert record["key"] == f"facebook:{ANNA_COMMENT}:edit:1714045200"
    assert "Rückruf" in message.text


def test_removed_comment_is_a_remove_without_text() -> None:
    record, message = only("page_feed_comment_remove")
    assert message.action is Action.REMOVE and message.text == "" and message.language is None
    assert record["key"] == f"facebook:{ANNA_COMMENT}:remove"


def test_visitor_post_is_its_own_thread() -> None:
    _, message = only("page_feed_visitor_post")
    post_id = f"{PAGE}_781299934512378"
    assert message.channel is Channel.FACEBOOK
    assert message.external_id == post_id and message.thread_id == post_id
    assert message.parent_id is None and message.own is False


def test_the_pages_own_comment_is_marked_own() -> None:
    _, message = only("page_feed_own_comment")
    assert message.own is True and message.author.id == PAGE
    assert message.thread_id == ANNA_COMMENT


def test_batched_delivery_gives_one_record_per_kept_change_and_skips_reactions_and_shares() -> None:
    records, messages = ingest(load("page_feed_batched"))
    assert [record["key"] for record in records] == [
        "facebook:781236458912345_1198734561240399",
        f"facebook:{PAGE}_781301122334455",
        "messenger:m_7dGfQk2h9Z1KpX0w3vB8cYtR5uNmLsEaJqHiOpWzVyXbC",
    ]
    assert [message.channel for message in messages] == [
        Channel.FACEBOOK,
        Channel.FACEBOOK,
        Channel.MESSENGER,
    ]
    photo = messages[1]
    assert photo.attachments[0].type == "image" and photo.attachments[0].url.startswith("https://scontent")
    assert photo.thread_id == f"{PAGE}_781301122334455"


# -- Messenger ---------------------------------------------------------------------------------------


def test_messenger_text_message() -> None:
    record, message = only("messenger_text")
    mid = "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCaPp9yFzJwWvT3cLq1e"
    assert record["key"] == f"messenger:{mid}" and record["standby"] is False
    assert message.channel is Channel.MESSENGER and message.visibility is Visibility.PRIVATE
    assert message.external_id == mid
    assert message.thread_id == f"{PAGE}:{PSID}"
    assert message.author.id == PSID and message.own is False and message.action is Action.CREATE
    assert message.created_at == datetime(2024, 4, 25, 11, 36, 39, 876000, tzinfo=UTC)


def test_messenger_attachment_only_message() -> None:
    _, message = only("messenger_attachment")
    assert message.text == ""
    assert [(item.type, item.url is not None) for item in message.attachments] == [("image", True)]


def test_messenger_postback_becomes_a_message_with_the_button_title() -> None:
    _, message = only("messenger_postback")
    assert message.text == "Mit dem Support sprechen"
    assert message.external_id == "m_Zx9cVb8nM7aS6dF5gH4jK3lQ2wE1rT0yU9iO8pA7sD6fG"


def test_postback_without_mid_gets_a_stable_id() -> None:
    payload = load("messenger_postback")
    del payload["entry"][0]["messaging"][0]["postback"]["mid"]
    first, _ = ingest(payload)
    second, messages = ingest(copy.deepcopy(payload))
    assert first[0]["key"] == second[0]["key"] and first[0]["key"].startswith("messenger:postback:sha256:")
    assert messages[0].external_id == first[0]["key"].removeprefix("messenger:")


def test_messenger_echo_is_own_and_threads_with_the_customer() -> None:
    _, message = only("messenger_echo")
    assert message.own is True and message.author.id == PAGE
    assert message.thread_id == f"{PAGE}:{PSID}"


def test_standby_message_is_normalised_like_any_message() -> None:
    record, message = only("messenger_standby_message")
    assert record["standby"] is True
    assert message.channel is Channel.MESSENGER and message.thread_id == f"{PAGE}:{PSID}"


def test_message_edit_is_an_edit_of_the_original_mid() -> None:
    record, message = only("messenger_message_edit")
    assert message.action is Action.EDIT
    assert message.external_id == "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCaPp9yFzJwWvT3cLq1e"
    assert record["key"].endswith(":edit:1")


def test_deliveries_and_reads_are_acknowledged_with_no_records() -> None:
    assert split_delivery("meta", load("messenger_delivery_read")) == []


def control(name: str) -> tuple[dict[str, Any], ThreadControl]:
    """A handover fixture split and normalised like any record (through JSON, as SQS carries it)."""
    records = json.loads(json.dumps(split_delivery("meta", load(name))))
    assert len(records) == 1
    items = normalise_record(records[0], RECEIVED)
    assert len(items) == 1 and isinstance(items[0], ThreadControl)
    return records[0], items[0]


def test_a_pass_to_kanal_names_the_customer_the_page_and_both_apps() -> None:
    record, event = control("messenger_pass_thread_control")
    assert record["kind"] == "messenger.handover" and record["key"].startswith(
        f"messenger:handover:{PAGE}:{PSID}:"
    )
    assert event.channel is Channel.MESSENGER and event.action is ControlAction.PASS
    assert (event.account_id, event.customer_id, event.thread_id) == (PAGE, PSID, f"{PAGE}:{PSID}")
    assert (event.previous_owner, event.new_owner) == ("263902037430900", "1517776481860111")
    assert event.metadata == "Übergabe an Kanal"
    assert event.at == datetime(2024, 4, 25, 11, 46, 40, tzinfo=UTC)


def test_a_take_names_the_app_that_took_the_conversation() -> None:
    _, event = control("messenger_take_thread_control")
    assert event.action is ControlAction.TAKE
    assert (event.previous_owner, event.new_owner) == ("1517776481860111", "784512309876543")


def test_a_request_changes_no_owner_and_names_who_asks() -> None:
    _, event = control("messenger_request_thread_control")
    assert event.action is ControlAction.REQUEST
    assert event.new_owner is None and event.requested_by == "263902037430900"


def test_an_instagram_pass_is_a_handover_of_the_instagram_conversation() -> None:
    record, event = control("instagram_pass_thread_control")
    assert record["kind"] == "instagram.handover" and event.channel is Channel.INSTAGRAM
    assert event.thread_id == f"{IG}:7123409876543210" and event.new_owner == "1517776481860111"


def test_a_pass_out_of_idle_has_no_previous_owner() -> None:
    payload = load("messenger_pass_thread_control")
    payload["entry"][0]["messaging"][0]["pass_thread_control"]["previous_owner_app_id"] = None
    _, event = control_of(payload)
    assert event.previous_owner is None and event.new_owner == "1517776481860111"


def test_the_same_handover_delivered_twice_has_one_key_and_another_handover_another() -> None:
    payload = load("messenger_pass_thread_control")
    first = split_delivery("meta", payload)[0]["key"]
    again = split_delivery("meta", copy.deepcopy(payload))[0]["key"]
    payload["entry"][0]["messaging"][0]["timestamp"] += 1000
    later = split_delivery("meta", payload)[0]["key"]
    assert first == again != later


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"pass_thread_control": "to kanal"}, "pass_thread_control must be an object"),
        ({"pass_thread_control": {"new_owner_app_id": {"id": 1}}}, "new_owner_app_id must be an app id"),
    ],
)
def test_a_handover_that_is_not_what_meta_sends_is_refused(change: dict[str, Any], problem: str) -> None:
    payload = load("messenger_pass_thread_control")
    event = payload["entry"][0]["messaging"][0]
    del event["pass_thread_control"]
    event.update(change)
    with pytest.raises(MalformedPayload, match=problem):
        split_delivery("meta", payload)


def test_a_handover_without_its_customer_is_refused_at_the_webhook() -> None:
    payload = load("messenger_pass_thread_control")
    del payload["entry"][0]["messaging"][0]["sender"]
    with pytest.raises(MalformedPayload, match="sender"):
        split_delivery("meta", payload)


def test_standby_messages_are_marked_standby_and_messaging_ones_are_not() -> None:
    _, standby = only("messenger_standby_message")
    _, direct = only("messenger_text")
    assert standby.standby is True and direct.standby is False


def control_of(payload: dict[str, Any]) -> tuple[dict[str, Any], ThreadControl]:
    records = json.loads(json.dumps(split_delivery("meta", payload)))
    items = normalise_record(records[0], RECEIVED)
    assert isinstance(items[0], ThreadControl)
    return records[0], items[0]


def test_reply_to_is_kept_as_in_reply_to() -> None:
    payload = load("messenger_text")
    payload["entry"][0]["messaging"][0]["message"]["reply_to"] = {
        "mid": "m_Echo4h2Kd9sLq3Xw7Vb1Nz5Rt8Yp0Mc6Ja2Fg4Hs6Dk8Lm"
    }
    _, messages = ingest(payload)
    assert messages[0].in_reply_to == "m_Echo4h2Kd9sLq3Xw7Vb1Nz5Rt8Yp0Mc6Ja2Fg4Hs6Dk8Lm"


# -- Instagram ---------------------------------------------------------------------------------------


def test_instagram_comment() -> None:
    record, message = only("instagram_comment")
    assert record["key"] == "instagram:17865799348089039"
    assert message.channel is Channel.INSTAGRAM and message.visibility is Visibility.PUBLIC
    assert message.external_id == "17865799348089039" and message.thread_id == "17865799348089039"
    assert message.parent_id == "17895695668004550"  # the media
    assert message.author.id == "6754321098765432" and message.author.handle == "lena.radelt"
    assert message.account_id == IG and message.own is False


def test_instagram_comment_reply_threads_under_its_parent() -> None:
    _, message = only("instagram_comment_reply")
    assert message.thread_id == "17865799348089039" and message.parent_id == "17865799348089039"
    assert message.language == "en"


def test_instagram_mention_keeps_ids_and_a_placeholder_author() -> None:
    record, message = only("instagram_mention")
    assert record["kind"] == "instagram.mentions"
    assert message.external_id == "17894227972186120" and message.parent_id == "17918195224117851"
    assert message.author.id == "unresolved:17894227972186120"
    assert message.visibility is Visibility.PUBLIC and message.text == ""


def test_an_instagram_mention_takes_text_and_author_from_the_graph_lookup() -> None:
    _, message = only("instagram_mention")
    assert message.mentions_account is True and unresolved_mention(message)
    found = {
        "id": "17894227972186120",
        "text": "@velora_support Mein Rad quietscht seit der Inspektion.",
        "timestamp": "2024-04-25T11:59:02+0000",
        "username": "mia.rides",
        "from": {"id": "17841400000000123", "username": "mia.rides"},
        "media": {"id": "17918195224117851"},
    }
    resolved = resolve_mention(message, found)
    assert (resolved.author.id, resolved.author.handle) == ("17841400000000123", "mia.rides")
    assert resolved.text.startswith("@velora_support Mein Rad") and resolved.language == "de"
    assert resolved.created_at == datetime(2024, 4, 25, 11, 59, 2, tzinfo=UTC)
    assert resolved.parent_id == "17918195224117851" and resolved.external_id == message.external_id
    assert resolved.mentions_account and not unresolved_mention(resolved)


def test_a_mention_author_meta_does_not_name_keeps_the_placeholder_with_the_handle() -> None:
    _, message = only("instagram_mention")
    resolved = resolve_mention(message, {"text": "Hilfe", "username": "anon.rider"})
    assert resolved.author.id == "unresolved:17894227972186120"
    assert resolved.author.handle == "anon.rider" and resolved.text == "Hilfe"
    assert resolved.parent_id == "17918195224117851"


def test_instagram_dm() -> None:
    _, message = only("instagram_dm")
    assert message.channel is Channel.INSTAGRAM and message.visibility is Visibility.PRIVATE
    assert message.thread_id == f"{IG}:7123409876543210"
    assert message.author.id == "7123409876543210" and message.own is False


def test_instagram_dm_echo_is_own() -> None:
    _, message = only("instagram_dm_echo")
    assert message.own is True and message.author.id == IG
    assert message.thread_id == f"{IG}:7123409876543210"


def test_instagram_unsent_message_is_a_removal() -> None:
    payload = load("instagram_dm")
    payload["entry"][0]["messaging"][0]["message"] = {"mid": "aWdfZAG1faXRlbTox", "is_deleted": True}
    records, messages = ingest(payload)
    assert records[0]["key"] == "instagram:aWdfZAG1faXRlbTox:remove"
    assert messages[0].action is Action.REMOVE


# -- WhatsApp ----------------------------------------------------------------------------------------


def test_whatsapp_text() -> None:
    record, message = only("whatsapp_text")
    wamid = "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYIDNBMDU0RjQ4QkQ2NzM3QjA4MkI0QjQ0RjY1MzU0NUE0AA=="
    assert record["key"] == f"whatsapp:{wamid}" and record["account_id"] == PHONE_ID
    assert message.channel is Channel.WHATSAPP and message.visibility is Visibility.PRIVATE
    assert message.external_id == wamid
    assert message.author.id == "4915112345678" and message.author.name == "Klara Hoffmann"
    assert message.thread_id == f"{PHONE_ID}:4915112345678" and message.account_id == PHONE_ID
    assert message.created_at == datetime(2024, 4, 25, 12, 26, 50, tzinfo=UTC)


def test_whatsapp_image_caption_is_the_text() -> None:
    _, message = only("whatsapp_image_caption")
    assert message.text.startswith("The frame arrived") and message.language == "en"
    assert [item.type for item in message.attachments] == ["image"]
    assert message.author.name == "Oliver Brown"


def test_whatsapp_status_updates_give_no_records() -> None:
    assert split_delivery("meta", load("whatsapp_status")) == []


@pytest.mark.parametrize(
    ("message", "text"),
    [
        (
            {"type": "button", "button": {"text": "Rückruf anfordern", "payload": "CALLBACK"}},
            "Rückruf anfordern",
        ),
        (
            {
                "type": "interactive",
                "interactive": {"type": "button_reply", "button_reply": {"id": "b1", "title": "Ja, bitte"}},
            },
            "Ja, bitte",
        ),
        (
            {
                "type": "interactive",
                "interactive": {"type": "list_reply", "list_reply": {"id": "l2", "title": "Reparatur"}},
            },
            "Reparatur",
        ),
        (
            {
                "type": "location",
                "location": {
                    "latitude": 52.52,
                    "longitude": 13.4,
                    "name": "Velora Store",
                    "address": "Torstr. 1, Berlin",
                },
            },
            "Velora Store, Torstr. 1, Berlin",
        ),
        (
            {"type": "document", "document": {"caption": "Rechnung anbei", "filename": "re.pdf", "id": "99"}},
            "Rechnung anbei",
        ),
        ({"type": "sticker", "sticker": {"id": "77", "animated": False}}, ""),
    ],
    ids=["button", "button-reply", "list-reply", "location", "document", "sticker"],
)
def test_whatsapp_message_types(message: dict[str, Any], text: str) -> None:
    payload = load("whatsapp_text")
    original = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    payload["entry"][0]["changes"][0]["value"]["messages"][0] = {
        key: original[key] for key in ("from", "id", "timestamp")
    } | message
    _, messages = ingest(payload)
    assert messages[0].text == text


def test_whatsapp_reaction_is_ignored_and_reply_context_is_kept() -> None:
    payload = load("whatsapp_text")
    value = payload["entry"][0]["changes"][0]["value"]
    text = value["messages"][0]
    text["context"] = {
        "from": "493098765432",
        "id": "wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjM2RDQ3RTk1QjY1NUYyQkM1NwA=",
    }
    value["messages"].append(
        {
            "from": "4915112345678",
            "id": "wamid.reaction1",
            "timestamp": "1714048020",
            "type": "reaction",
            "reaction": {"message_id": text["id"], "emoji": "👍"},
        }
    )
    _, messages = ingest(payload)
    assert len(messages) == 1
    assert messages[0].in_reply_to == "wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjM2RDQ3RTk1QjY1NUYyQkM1NwA="


BSUID = "DE.7216094835517720394"


def test_whatsapp_user_known_only_by_a_business_scoped_user_id() -> None:
    # Given a WhatsApp user with a username, whose phone number Meta withholds (no from, no wa_id)
    record, message = only("whatsapp_text_bsuid")
    # Then the message is taken in, and the BSUID is the author and names the conversation
    assert record["kind"] == "whatsapp.message" and record["key"].startswith("whatsapp:wamid.")
    assert message.channel is Channel.WHATSAPP and message.visibility is Visibility.PRIVATE
    assert message.author.id == BSUID and message.author_aliases == ()
    assert message.author.name == "Jonas Weber" and message.author.handle == "jonas.rides"
    assert message.thread_id == f"{PHONE_ID}:{BSUID}"
    assert message.text.startswith("Hallo, mein Lastenrad") and message.language == "de"


def _whatsapp_value(payload: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = payload["entry"][0]["changes"][0]["value"]
    return value


def test_whatsapp_phone_number_stays_the_author_and_the_bsuid_rides_along() -> None:
    # Given a message that names its sender by phone number and by BSUID, as Meta sends from April 2026
    payload = load("whatsapp_text")
    value = _whatsapp_value(payload)
    value["contacts"][0]["user_id"] = BSUID
    value["messages"][0]["from_user_id"] = BSUID
    # Then the phone number is the author, as before, and the BSUID is another id of the same person
    _, [message] = ingest(payload)
    assert message.author.id == "4915112345678" and message.author.handle == "4915112345678"
    assert message.thread_id == f"{PHONE_ID}:4915112345678"
    assert message.author_aliases == (BSUID,)


def test_whatsapp_bsuid_is_read_from_the_message_when_contacts_are_missing() -> None:
    payload = load("whatsapp_text_bsuid")
    del _whatsapp_value(payload)["contacts"]
    _, [message] = ingest(payload)
    assert message.author.id == BSUID and message.author.name is None and message.author.handle is None


def test_whatsapp_contacts_are_matched_to_their_messages_by_bsuid() -> None:
    # Given one delivery with two username users' messages, their contacts listed in the other order
    payload = load("whatsapp_text_bsuid")
    value = _whatsapp_value(payload)
    other = copy.deepcopy(value["messages"][0]) | {"from_user_id": "AT.99887766554433", "id": "wamid.other"}
    value["messages"].append(other)
    value["contacts"].insert(0, {"profile": {"name": "Eva Gruber"}, "user_id": "AT.99887766554433"})
    # Then each message has its own author's name
    _, messages = ingest(payload)
    assert [(m.author.id, m.author.name) for m in messages] == [
        (BSUID, "Jonas Weber"),
        ("AT.99887766554433", "Eva Gruber"),
    ]


def test_whatsapp_sender_falls_back_to_the_only_contact() -> None:
    payload = load("whatsapp_text_bsuid")
    del _whatsapp_value(payload)["messages"][0]["from_user_id"]
    _, [message] = ingest(payload)
    assert message.author.id == BSUID


# -- envelope checks ---------------------------------------------------------------------------------


def test_unknown_object_type_is_ignored() -> None:
    assert split_delivery("meta", {"object": "user", "entry": [{"id": "1", "changes": []}]}) == []


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ([], "body must be a JSON object"),
        ("page", "body must be a JSON object"),
        ({"entry": []}, "body.object"),
        ({"object": 7, "entry": []}, "body.object"),
        ({"object": "page"}, "body.entry"),
        ({"object": "page", "entry": {"id": "1"}}, "body.entry"),
        ({"object": "page", "entry": ["x"]}, "entry[0] must be a JSON object"),
        ({"object": "page", "entry": [{"time": 1}]}, "entry[0].id"),
        ({"object": "page", "entry": [{"id": "1", "changes": {}}]}, "entry[0].changes"),
        ({"object": "page", "entry": [{"id": "1", "changes": [{"value": {}}]}]}, "changes[0].field"),
        (
            {"object": "page", "entry": [{"id": "1", "changes": [{"field": "feed", "value": "x"}]}]},
            "changes[0].value",
        ),
        ({"object": "page", "entry": [{"id": "1", "messaging": [5]}]}, "messaging[0]"),
        (
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {"id": "1", "changes": [{"field": "messages", "value": {"messages": [{"id": "w"}]}}]}
                ],
            },
            "phone_number_id",
        ),
        (
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": "1",
                        "changes": [
                            {
                                "field": "messages",
                                "value": {
                                    "metadata": {"phone_number_id": PHONE_ID},
                                    "messages": [{"id": "w", "type": "text", "text": {"body": "hi"}}],
                                },
                            }
                        ],
                    }
                ],
            },
            "messages[0] names no sender",
        ),
    ],
)
def test_malformed_envelopes_are_rejected_with_the_problem_named(payload: object, problem: str) -> None:
    with pytest.raises(
        MalformedPayload, match=problem.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")
    ):
        split_delivery("meta", payload)


def test_record_of_unknown_kind_cannot_be_normalised() -> None:
    with pytest.raises(MalformedPayload):
        normalise_record(
            {"source": "meta", "kind": "page.mystery", "account_id": PAGE, "payload": {}}, RECEIVED
        )


def test_messaging_record_without_sender_cannot_be_normalised() -> None:
    record = split_delivery("meta", load("messenger_text"))[0]
    del record["payload"]["sender"]
    with pytest.raises(MalformedPayload, match="sender"):
        normalise_record(record, RECEIVED)


def test_records_are_self_contained_json() -> None:
    for path in sorted(EVENTS.glob("*.json")):
        for record in split_delivery("meta", json.loads(path.read_text("utf-8"))):
            assert json.loads(json.dumps(record)) == record
            assert {"source", "key", "kind", "account_id", "payload"} <= set(record)


def test_add_edit_and_remove_of_one_comment_have_distinct_keys() -> None:
    keys = [
        record["key"]
        for path in sorted(EVENTS.glob("*.json"))
        for record in split_delivery("meta", json.loads(path.read_text("utf-8")))
    ]
    assert len(keys) == len(set(keys))

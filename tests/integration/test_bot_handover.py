"""Bot and human on Messenger over HTTP on the local stack (Meta's Conversation Routing).

The local stack runs Kanal as Meta app 1517776481860111 next to a company bot, app 784512309876543
(``MetaAppId``, ``MetaBotAppId``). The channel sandbox answers Graph's thread owner lookup with the app the
last pass named, else Meta's Page Inbox; a fault makes it name the bot.
"""

from __future__ import annotations

from typing import Any

from kanal_local.stack import LOCAL_PARAMETERS
from tests.conftest import eventually
from tests.integration.deliveries import (
    PAGE,
    Ids,
    contacts_of,
    customer_of,
    deliver,
    fixture,
    inquiries_of,
    inquiry_detail,
    settled,
    stored_message,
)
from tests.integration.test_replies import fresh, outbox, owner_headers, routed_inquiry, routed_to_owner

KANAL = LOCAL_PARAMETERS["MetaAppId"]
BOT = LOCAL_PARAMETERS["MetaBotAppId"]
PAGE_INBOX = "263902037430900"
CUSTOMER = "6829174563219087"  # the PSID of the sample deliveries (made unique per test by Ids)


def standby(ids: Ids, word: str, mid: str, text: str, age: float) -> dict[str, Any]:
    """A Messenger message delivered as standby (another app owns the conversation), ``age`` s ago."""
    delivery = fresh(fixture("meta/messenger_standby_message.json", ids), word, age=age)
    event = delivery["entry"][0]["standby"][0]
    event["message"].update(mid=f"{mid}{ids.suffix}", text=f"{text} {word}")
    return delivery


def passed(ids: Ids, word: str, to: str, by: str, metadata: str) -> dict[str, Any]:
    delivery = fresh(fixture("meta/messenger_pass_thread_control.json", ids), word)
    event = delivery["entry"][0]["messaging"][0]["pass_thread_control"]
    event.update(previous_owner_app_id=by, new_owner_app_id=to, metadata=metadata)
    return delivery


def owner_fault(http, local, psid: str, app_id: str) -> None:
    """The next thread owner lookup for this customer names ``app_id``."""
    fault = {
        "api": "graph",
        "path_contains": f"thread_owner?recipient={psid}",
        "status": 200,
        "body": {"data": [{"thread_owner": {"app_id": app_id}}]},
        "times": 1,
    }
    assert http.post(f"{local.url}/sandbox/faults", json=fault).status_code == 201


def listed_for(http, local, headers, psid: str) -> list[dict[str, Any]]:
    """Every inquiry ``GET /api/inquiries`` lists (all statuses) whose author is this customer."""
    found: list[dict[str, Any]] = []
    for status in ("open", "resolved"):
        cursor = None
        while True:
            params = {"limit": "100", "status": status, **({"cursor": cursor} if cursor else {})}
            page = http.get(f"{local.url}/api/inquiries", params=params, headers=headers, timeout=30)
            assert page.status_code == 200, page.text
            found += [item for item in page.json()["items"] if item["author"]["id"] == psid]
            cursor = page.json()["next"]
            if not cursor:
                break
    return found


def calls_for(local, http, psid: str, edge: str) -> list[dict[str, Any]]:
    return [
        call
        for call in outbox(local, http)
        if call["path"].endswith(f"/{edge}") and psid in str(call["query"]) + str(call["body"])
    ]


def test_bot_to_human_to_bot_on_messenger(local, http, admin_headers, desk):
    ids = Ids()
    psid = ids(CUSTOMER)
    owner_fault(http, local, psid, BOT)  # the bot is the Page's default owner: no handover event yet
    # Given two messages the customer wrote while the bot answered them (Kanal receives them as standby)
    for mid, text, age in (("m_stby_a", "Ich will stornieren", 20), ("m_stby_b", "Bestellung 48213", 10)):
        assert deliver(http, local, "meta", standby(ids, desk.word, mid, text, age)).status_code == 200
    settled(local)
    first, second = f"m_stby_a{ids.suffix}", f"m_stby_b{ids.suffix}"
    # Then they are on the customer's timeline, but no inquiry and not in any queue
    customer = customer_of(local, "messenger", psid)
    assert customer is not None
    timeline = {c["ref"]: c.get("inquiry_id") for c in contacts_of(local, customer)}
    assert set(timeline) == {first, second} and not any(timeline.values())
    assert inquiries_of(local, "messenger", first) == [] and inquiries_of(local, "messenger", second) == []
    assert listed_for(http, local, admin_headers, psid) == []
    lookups = calls_for(local, http, psid, "thread_owner")
    assert len(lookups) == 1 and lookups[0]["answer"]["data"][0]["thread_owner"]["app_id"] == BOT

    # When the bot passes the conversation to Kanal's app
    handover = passed(ids, desk.word, to=KANAL, by=BOT, metadata="Kunde möchte stornieren")
    assert deliver(http, local, "meta", handover).status_code == 200
    # Then one inquiry carries the held messages, oldest first, and is routed to an agent
    inquiry = routed_inquiry(local, http, "messenger", first, admin_headers)
    owner = owner_headers(inquiry["assignee"])
    detail = inquiry_detail(http, local, owner, inquiry["id"])
    assert [m["external_id"] for m in detail["messages"]] == [first, second]
    assert detail["text"].startswith("Ich will stornieren") and detail["author"]["id"] == psid
    assert {c["inquiry_id"] for c in detail["timeline"] if c["channel"] == "messenger"} == {inquiry["id"]}
    assert [(n["kind"], n["text"]) for n in detail["notes"]] == [("handover", "Kunde möchte stornieren")]
    assert [item["id"] for item in listed_for(http, local, admin_headers, psid)] == [inquiry["id"]]

    # When the agent answers on Messenger and resolves
    assert http.post(f"{local.url}/api/inquiries/{inquiry['id']}/claim", headers=owner).status_code == 200
    reply = http.post(
        f"{local.url}/api/inquiries/{inquiry['id']}/replies",
        json={"text": "Ist storniert, das Geld kommt in 3 Tagen.", "visibility": "private"},
        headers=owner,
    )
    assert reply.status_code == 200 and reply.json()["status"] == "sent", reply.text
    sends = calls_for(local, http, psid, "messages")
    assert [call["body"]["message"]["text"] for call in sends] == [
        "Ist storniert, das Geld kommt in 3 Tagen."
    ]
    resolved = http.post(f"{local.url}/api/inquiries/{inquiry['id']}/resolve", headers=owner)
    assert resolved.status_code == 200, resolved.text
    # Then Kanal passes the conversation back to the bot, and the inquiry says so
    passes = calls_for(local, http, psid, "pass_thread_control")
    assert (
        len(passes) == 1
        and passes[0]["method"] == "POST"
        and passes[0]["path"].endswith(f"/{PAGE}/pass_thread_control")
    )
    assert passes[0]["body"]["target_app_id"] == int(BOT) and passes[0]["body"]["recipient"] == {"id": psid}
    assert passes[0]["answer"] == {"success": True}
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["handback"]["status"] == "passed" and resolved.json()["handback"]["to"] == BOT

    # and the customer's next message, the bot's again, is held without asking Graph
    assert deliver(http, local, "meta", standby(ids, desk.word, "m_stby_c", "Danke!", 0)).status_code == 200
    settled(local)
    later = f"m_stby_c{ids.suffix}"
    assert stored_message(local, "messenger", later)["inquiry_id"].startswith("held#")
    assert inquiries_of(local, "messenger", later) == []
    assert len(calls_for(local, http, psid, "thread_owner")) == 1


def test_standby_messages_under_the_page_inbox_stay_inquiries(local, http, admin_headers, desk):
    # Given a conversation nobody passed: the sandbox, like Graph, names Meta's Page Inbox as its owner
    ids = Ids()
    psid = ids(CUSTOMER)
    # When the customer writes and Kanal receives it as standby
    assert deliver(http, local, "meta", standby(ids, desk.word, "m_inbox", "Hallo?", 0)).status_code == 200
    # Then it is an inquiry as before, routed to the desk
    inquiry = routed_inquiry(local, http, "messenger", f"m_inbox{ids.suffix}", admin_headers)
    assert inquiry["author"]["id"] == psid and inquiry["team"] == desk.team
    lookups = calls_for(local, http, psid, "thread_owner")
    assert [call["answer"]["data"][0]["thread_owner"]["app_id"] for call in lookups] == [PAGE_INBOX]


def test_a_reply_refused_because_another_app_owns_the_conversation_is_a_409_and_nothing_is_sent(
    local, http, admin_headers, desk
):
    # Given a Messenger inquiry, claimed by its owner
    inquiry, owner = routed_to_owner(
        local, http, admin_headers, desk, "meta/messenger_text.json", "messenger"
    )
    assert http.post(f"{local.url}/api/inquiries/{inquiry['id']}/claim", headers=owner).status_code == 200
    refusal = {
        "error": {
            "message": "(#10) Message failed to send because another app is controlling this thread now.",
            "type": "OAuthException",
            "code": 10,
            "error_subcode": 2018300,
            "fbtrace_id": "Avs8o4VvHNJZo04PY2ZGdAp",
        }
    }
    fault = {"api": "graph", "path_contains": f"{PAGE}/messages", "status": 400, "body": refusal, "times": 1}
    assert http.post(f"{local.url}/sandbox/faults", json=fault).status_code == 201
    calls_before = len(outbox(local, http))
    # When the owner answers while the bot (or the Page Inbox) owns the conversation
    response = http.post(
        f"{local.url}/api/inquiries/{inquiry['id']}/replies",
        json={"text": "Wir sind für Sie da.", "visibility": "private"},
        headers=owner,
    )
    # Then it is refused with the reason and what can be done, tried once, and nothing is stored as sent
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["reason"] == "thread_owned_by_other_app" and "another app" in body["error"]
    assert "wait_for_handover" in body["options"]
    assert len(outbox(local, http)) == calls_before + 1
    detail = eventually(lambda: inquiry_detail(http, local, owner, inquiry["id"]))
    assert [m for m in detail["messages"] if m["direction"] == "out"] == []
    assert detail["sla"]["first_response_at"] is None

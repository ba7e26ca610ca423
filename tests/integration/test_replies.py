"""Replies end to end on the local stack: webhook → inquiry → assigned → claim → reply → the platform call →
the detail shows it sent, with the first response and no escalation → the echo creates nothing → resolved.

Each case delivers a fixture (unique ids, timestamps of now, the desk's word in its text, so the test's own
desk takes it), answers it over the agent API as its owner, and reads the channel sandbox's outbox (or
`GET /local/emails`) for the call that really left.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from tests import tokens
from tests.conftest import eventually
from tests.integration.deliveries import Ids, deliver, fixture, inquiries_of, settled, stored_message
from tests.integration.test_routing_paths import execution_status

TIME_KEYS = frozenset({"timestamp", "created_timestamp", "timestamp_ms", "created_time", "time"})
TEXT_KEYS = frozenset({"message", "text", "body", "full_text"})


def fresh(node: Any, word: str, age: float = 0, key: str | None = None) -> Any:
    """The delivery sent ``age`` seconds ago, with ``word`` in every text it carries."""
    now = time.time() - age
    if isinstance(node, dict):
        return {k: fresh(v, word, age, k) for k, v in node.items()}
    if isinstance(node, list):
        return [fresh(v, word, age, key) for v in node]
    if key in TIME_KEYS and (isinstance(node, int) or (isinstance(node, str) and node.isdigit())):
        value = int(now * 1000) if int(node) > 10**12 else int(now)
        return str(value) if isinstance(node, str) else value
    if key == "created_at" and isinstance(node, str) and node.endswith(("2024", "2025", "2026")):
        return time.strftime("%a %b %d %H:%M:%S +0000 %Y", time.gmtime(now))
    if key in TEXT_KEYS and isinstance(node, str) and node:
        return f"{node} {word}"
    return node


def owner_headers(agent_id: str) -> dict[str, str]:
    return tokens.bearer(agent_id, ["agents"])


def routed_inquiry(local, http, channel: str, external_id: str, admin_headers) -> dict:
    def assigned():
        found = inquiries_of(local, channel, external_id)
        if not found:
            return None
        detail = http.get(f"{local.url}/api/inquiries/{found[0]['id']}", headers=admin_headers).json()
        return detail if detail.get("assignee") else None

    return eventually(assigned, timeout=25, interval=0.3)


def routed_to_owner(local, http, admin_headers, desk, relative: str, channel: str, age: float = 0):
    """A Meta fixture delivered ``age`` seconds after it was written, routed: (inquiry, owner's headers)."""
    delivery = fresh(fixture(relative, Ids()), desk.word, age=age)
    assert deliver(http, local, "meta", delivery).status_code == 200
    inquiry = routed_inquiry(local, http, channel, customer_message_id("meta/", delivery), admin_headers)
    return inquiry, owner_headers(inquiry["assignee"])


def outbox(local, http) -> list[dict]:
    return http.get(f"{local.url}/sandbox/outbox").json()["items"]


CASES = [
    # fixture, channel, the customer message's id path, visibility, what the platform call looks like
    ("meta/page_feed_comment_add.json", "facebook", "public", lambda m: f"/{m}/comments"),
    ("meta/messenger_text.json", "messenger", "private", lambda m: "/messages"),
    ("meta/instagram_comment.json", "instagram", "public", lambda m: f"/{m}/replies"),
    ("meta/instagram_dm.json", "instagram", "private", lambda m: "/messages"),
    ("meta/whatsapp_text.json", "whatsapp", "private", lambda m: "/messages"),
    ("x/mention_tweet.json", "x", "public", lambda m: "/2/tweets"),
    ("x/dm.json", "x", "private", lambda m: "/messages"),
]


def _messaging(delivery: dict, external_id: str) -> None:
    delivery["entry"][0]["messaging"][0]["message"]["mid"] = external_id


def _comment(delivery: dict, external_id: str) -> None:
    delivery["entry"][0]["changes"][0]["value"]["comment_id"] = external_id


def _tweet(delivery: dict, external_id: str) -> None:
    delivery["tweet_create_events"][0].update(id_str=external_id, id=int(external_id))


def _dm(delivery: dict, external_id: str) -> None:
    delivery["direct_message_events"][0]["id"] = external_id


def _status(delivery: dict, external_id: str) -> None:
    delivery["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = external_id


# what the platform sends back about the company's own message: (fixture, where its id goes)
ECHOES = {
    "meta/page_feed_comment_add.json": ("meta/page_feed_own_comment.json", _comment),
    "meta/messenger_text.json": ("meta/messenger_echo.json", _messaging),
    "meta/instagram_dm.json": ("meta/instagram_dm_echo.json", _messaging),
    "meta/whatsapp_text.json": ("meta/whatsapp_status.json", _status),
    "x/mention_tweet.json": ("x/own_tweet.json", _tweet),
    "x/dm.json": ("x/dm_own.json", _dm),
}


def customer_message_id(relative: str, delivery: dict) -> str:
    if relative.startswith("x/"):
        events = delivery.get("tweet_create_events") or delivery.get("direct_message_events")
        return str(events[0].get("id_str") or events[0]["id"])
    entry = delivery["entry"][0]
    if "messaging" in entry:
        return entry["messaging"][0]["message"]["mid"]
    value = entry["changes"][0]["value"]
    if "messages" in value:
        return value["messages"][0]["id"]
    return value.get("comment_id") or value["id"]


@pytest.mark.parametrize(("relative", "channel", "visibility", "path_of"), CASES, ids=[c[0] for c in CASES])
def test_a_reply_goes_out_on_the_customers_channel_and_stops_the_clock(
    local, http, admin_headers, desk, relative, channel, visibility, path_of
):
    # Given the customer's message, routed to an agent of the desk
    delivery = fresh(fixture(relative, Ids()), desk.word)
    source = relative.split("/")[0]
    assert deliver(http, local, source, delivery).status_code == 200
    external_id = customer_message_id(relative, delivery)
    inquiry = routed_inquiry(local, http, channel, external_id, admin_headers)
    owner = owner_headers(inquiry["assignee"])
    assert http.post(f"{local.url}/api/inquiries/{inquiry['id']}/claim", headers=owner).status_code == 200
    calls_before = len(outbox(local, http))
    # When the owner answers it
    response = http.post(
        f"{local.url}/api/inquiries/{inquiry['id']}/replies",
        json={"text": "Danke, wir kümmern uns sofort darum.", "visibility": visibility},
        headers=owner,
    )
    # Then the platform call left for the customer's message, and the inquiry shows it sent
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["status"] == "sent" and answer["external_id"], answer
    calls = outbox(local, http)[calls_before:]
    assert len(calls) == 1 and calls[0]["method"] == "POST", calls
    assert calls[0]["path"].endswith(path_of(external_id)), calls[0]["path"]
    assert "Danke, wir kümmern uns" in str(calls[0]["body"])
    detail = http.get(f"{local.url}/api/inquiries/{inquiry['id']}", headers=owner).json()
    out = [m for m in detail["messages"] if m["direction"] == "out"]
    assert [(m["external_id"], m["delivery"]["status"]) for m in out] == [(answer["external_id"], "sent")]
    assert detail["sla"]["first_response_at"] and detail["escalations"] == []
    # and the platform's echo of it creates nothing
    if relative in ECHOES:
        echo_fixture, place = ECHOES[relative]
        echo = fixture(echo_fixture, Ids())
        place(echo, answer["external_id"])
        assert deliver(http, local, echo_fixture.split("/")[0], echo).status_code == 200
        settled(local)
    assert stored_message(local, channel, answer["external_id"])["direction"] == "out"
    after = http.get(f"{local.url}/api/inquiries/{inquiry['id']}", headers=owner).json()
    assert len(after["messages"]) == len(detail["messages"]) and inquiries_of(local, channel, external_id)
    # and after resolve the inquiry's routing execution has ended
    resolved = http.post(f"{local.url}/api/inquiries/{inquiry['id']}/resolve", headers=owner)
    assert resolved.status_code == 200, resolved.text
    eventually(lambda: execution_status(local, inquiry["id"]) == "SUCCEEDED", timeout=20)


def test_an_email_reply_threads_and_the_customers_answer_joins_the_same_inquiry(
    local, http, admin_headers, desk
):
    # Given a customer's e-mail, routed to the desk
    message_id = f"<{uuid.uuid4().hex}@example.de>"
    address = f"anna.{uuid.uuid4().hex[:8]}@example.de"
    raw = (
        f"From: Anna Becker <{address}>\r\nTo: service@velora-bikes.de\r\nSubject: Akku {desk.word}\r\n"
        f"Message-ID: {message_id}\r\nDate: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\nMein Akku lädt nicht, {desk.word}.\r\n"
    ).encode()
    assert http.post(f"{local.url}/local/email", data=raw).status_code == 200
    inquiry = routed_inquiry(local, http, "email", message_id.strip("<>"), admin_headers)
    owner = owner_headers(inquiry["assignee"])
    # When the owner answers it
    response = http.post(
        f"{local.url}/api/inquiries/{inquiry['id']}/replies",
        json={"text": "Wir tauschen den Akku aus.", "visibility": "private"},
        headers=owner,
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    # Then SES sent it to the customer, threaded under their mail
    sent = [e for e in http.get(f"{local.url}/local/emails").json()["items"] if address in str(e["to"])]
    assert len(sent) == 1 and sent[0]["headers"]["In-Reply-To"] == message_id
    assert "Wir tauschen den Akku aus." in sent[0]["text"]
    # and the customer's answer to it (In-Reply-To: SES's own Message-ID) joins the same inquiry
    time.sleep(1.1)  # its Date header, to the second, comes after the answer
    reply = (
        f"From: {address}\r\nTo: service@velora-bikes.de\r\nSubject: Re: Akku\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.de>\r\nIn-Reply-To: {sent[0]['message_id']}\r\n"
        f"References: {message_id} {sent[0]['message_id']}\r\n"
        f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n\r\nDanke!\r\n"
    ).encode()
    assert http.post(f"{local.url}/local/email", data=reply).status_code == 200

    def joined():
        detail = http.get(f"{local.url}/api/inquiries/{inquiry['id']}", headers=owner).json()
        return [m for m in detail["messages"] if m["direction"] == "in"][1:] and detail

    detail = eventually(joined, timeout=20)
    assert [m["direction"] for m in detail["messages"]] == ["in", "out", "in"]
    assert answer["external_id"] in {m["external_id"] for m in detail["messages"]}


def test_whatsapp_after_24_hours_is_refused_with_the_reason_and_nothing_is_sent(
    local, http, admin_headers, desk
):
    inquiry, owner = routed_to_owner(
        local, http, admin_headers, desk, "meta/whatsapp_text.json", "whatsapp", age=25 * 3600
    )
    before = len(outbox(local, http))
    response = http.post(
        f"{local.url}/api/inquiries/{inquiry['id']}/replies",
        json={"text": "Hallo", "visibility": "private"},
        headers=owner,
    )
    assert response.status_code == 409, response.text
    body = response.json()
    assert "template" in (body["reason"] + " ".join(body["options"])).lower()
    assert len(outbox(local, http)) == before
    detail = http.get(f"{local.url}/api/inquiries/{inquiry['id']}", headers=owner).json()
    assert [m["direction"] for m in detail["messages"]] == ["in"] and not detail["sla"]["first_response_at"]


def test_messenger_after_24_hours_goes_out_with_the_human_agent_tag(local, http, admin_headers, desk):
    inquiry, owner = routed_to_owner(
        local, http, admin_headers, desk, "meta/messenger_text.json", "messenger", age=30 * 3600
    )
    before = len(outbox(local, http))
    response = http.post(
        f"{local.url}/api/inquiries/{inquiry['id']}/replies",
        json={"text": "Hallo", "visibility": "private"},
        headers=owner,
    )
    assert response.status_code == 200, response.text
    call = outbox(local, http)[before]
    assert call["body"]["messaging_type"] == "MESSAGE_TAG" and call["body"]["tag"] == "HUMAN_AGENT"


def test_a_5xx_then_success_sends_once_and_the_same_idempotency_key_twice_sends_once(
    local, http, admin_headers, desk
):
    inquiry, owner = routed_to_owner(
        local, http, admin_headers, desk, "meta/messenger_text.json", "messenger"
    )
    fault = {
        "api": "graph",
        "path_contains": "/messages",
        "status": 500,
        "body": {"error": {"code": 2}},
        "times": 1,
    }
    assert http.post(f"{local.url}/sandbox/faults", json=fault).ok
    key = uuid.uuid4().hex
    body = {"text": "Wir sind dran.", "visibility": "private", "idempotency_key": key}
    first = http.post(f"{local.url}/api/inquiries/{inquiry['id']}/replies", json=body, headers=owner)
    again = http.post(f"{local.url}/api/inquiries/{inquiry['id']}/replies", json=body, headers=owner)
    assert first.status_code == again.status_code == 200, (first.text, again.text)
    assert first.json() == again.json() and first.json()["status"] == "sent"
    detail = http.get(f"{local.url}/api/inquiries/{inquiry['id']}", headers=owner).json()
    assert len([m for m in detail["messages"] if m["direction"] == "out"]) == 1
    sent = [
        c for c in outbox(local, http) if "Wir sind dran." in str(c["body"]) and c["answer"].get("message_id")
    ]
    assert len(sent) == 1


def test_a_persistent_5xx_ends_failed_with_the_error_on_the_inquiry(local, http, admin_headers, desk):
    inquiry, owner = routed_to_owner(
        local, http, admin_headers, desk, "meta/messenger_text.json", "messenger"
    )
    fault = {
        "api": "graph",
        "path_contains": "/messages",
        "status": 503,
        "body": {"error": {"message": "Service temporarily unavailable", "code": 2}},
        "times": 50,
    }
    assert http.post(f"{local.url}/sandbox/faults", json=fault).ok
    try:
        response = http.post(
            f"{local.url}/api/inquiries/{inquiry['id']}/replies",
            json={"text": "Wir sind dran.", "visibility": "private"},
            headers=owner,
            timeout=60,
        )
    finally:
        http.delete(f"{local.url}/sandbox/faults")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "failed" and response.json()["error"]
    detail = http.get(f"{local.url}/api/inquiries/{inquiry['id']}", headers=owner).json()
    out = [m for m in detail["messages"] if m["direction"] == "out"]
    assert out[0]["delivery"]["status"] == "failed" and out[0]["delivery"]["error"]
    assert not detail["sla"]["first_response_at"]


def test_only_the_owner_a_lead_or_an_admin_answers_and_bad_bodies_change_nothing(
    local, http, admin_headers, desk
):
    delivery = fresh(fixture("meta/messenger_text.json", Ids()), desk.word)
    assert deliver(http, local, "meta", delivery).status_code == 200
    inquiry = routed_inquiry(local, http, "messenger", customer_message_id("meta/", delivery), admin_headers)
    other = next(a for a in desk.agents if a != inquiry["assignee"])
    url = f"{local.url}/api/inquiries/{inquiry['id']}/replies"
    assert http.post(url, json={"text": "hi"}, headers=owner_headers(other)).status_code == 403
    assert http.post(url, json={"text": "hi"}).status_code == 401
    owner = owner_headers(inquiry["assignee"])
    for bad in ({"text": ""}, {"visibility": "private"}, {"text": "hi", "visibility": "loud"}, [1]):
        assert http.post(url, json=bad, headers=owner).status_code == 400, bad
    assert http.post(url, data=b"{not json", headers=owner).status_code == 400
    detail = http.get(f"{local.url}/api/inquiries/{inquiry['id']}", headers=owner).json()
    assert [m["direction"] for m in detail["messages"]] == ["in"]


def test_messenger_after_7_days_is_refused_with_the_reason_and_nothing_is_sent(
    local, http, admin_headers, desk
):
    inquiry, owner = routed_to_owner(
        local, http, admin_headers, desk, "meta/messenger_text.json", "messenger", age=8 * 24 * 3600
    )
    before = len(outbox(local, http))
    response = http.post(
        f"{local.url}/api/inquiries/{inquiry['id']}/replies", json={"text": "Hallo"}, headers=owner
    )
    assert response.status_code == 409, response.text
    assert response.json()["reason"] and response.json()["options"]
    assert len(outbox(local, http)) == before

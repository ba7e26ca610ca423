"""Handover to a private chat end to end on the local stack: a public comment or post → inquiry → claim →
`POST /handover {"to": "private"}` → the channel sandbox holds ONE private message and the short public
answer → the customer's private answer (a signed webhook from the id the private reply reached, or an
e-mail) joins the same inquiry → the next reply goes out in the private chat.

Refusals (a comment older than 7 days, a second handover of the same comment, the company's own comment,
X refusing a DM with no e-mail known) are a 409 with the reason, and the outbox is unchanged.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime
from typing import Any

from kanal_local.sandbox import X_DM_REFUSED, private_reply_recipient
from tests.conftest import eventually
from tests.integration.deliveries import (
    IG_ACCOUNT,
    PAGE,
    X_ACCOUNT,
    Ids,
    customer_of,
    deliver,
    fixture,
    inquiries_of,
    signed_headers,
    stored_message,
)
from tests.integration.test_replies import (
    customer_message_id,
    fresh,
    outbox,
    owner_headers,
    routed_inquiry,
    routed_to_owner,
)


def claimed(local, http, admin_headers, desk, relative: str, channel: str, ids: Ids | None = None, age=0):
    """A public fixture delivered, routed to an agent of the desk who claims it: (inquiry, owner)."""
    source = relative.split("/")[0]
    delivery = fresh(fixture(relative, ids or Ids()), desk.word, age=age)
    assert deliver(http, local, source, delivery).status_code == 200
    inquiry = routed_inquiry(local, http, channel, customer_message_id(relative, delivery), admin_headers)
    owner = owner_headers(inquiry["assignee"])
    assert http.post(f"{local.url}/api/inquiries/{inquiry['id']}/claim", headers=owner).status_code == 200
    return inquiry, owner


def calls_since(local, http, before: int, *about: str) -> list[dict]:
    """The sandbox calls after the first ``before`` that name one of ``about`` (an id) in their path or
    body: the calls this test made, not a lookup or retry that another test's record makes meanwhile."""
    return [
        call
        for call in outbox(local, http)[before:]
        if any(needle in call["path"] or needle in json.dumps(call["body"]) for needle in about)
    ]


def hand_over(local, http, inquiry: dict, headers: dict, body: dict | None = None):
    return http.post(
        f"{local.url}/api/inquiries/{inquiry['id']}/handover",
        json=body if body is not None else {"to": "private"},
        headers=headers,
        timeout=60,
    )


def detail(local, http, inquiry: dict, headers: dict) -> dict[str, Any]:
    response = http.get(f"{local.url}/api/inquiries/{inquiry['id']}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def halves(found: dict) -> list[tuple[str, str, str]]:
    """Each message of the detail as (direction, channel, visibility), oldest first."""
    return [(m["direction"], m["channel"], m["visibility"]) for m in found["messages"]]


def joined(local, http, inquiry: dict, headers: dict, external_id: str) -> dict:
    """The detail once the customer's message ``external_id`` is in it."""
    return eventually(
        lambda: (
            (found := detail(local, http, inquiry, headers))
            and any(m["external_id"] == external_id for m in found["messages"])
            and found
        ),
        timeout=20,
    )


def reply(local, http, inquiry: dict, headers: dict, text: str) -> dict:
    response = http.post(
        f"{local.url}/api/inquiries/{inquiry['id']}/replies", json={"text": text}, headers=headers, timeout=60
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "sent", response.json()
    return response.json()


def dm_from(relative: str, sender: str, word: str, ids: Ids | None = None) -> dict:
    """A Messenger or Instagram DM webhook from ``sender`` (its PSID or IGSID), sent now."""
    delivery = fresh(fixture(relative, ids or Ids()), word)
    delivery["entry"][0]["messaging"][0]["sender"]["id"] = sender
    return delivery


# ------------------------------------------------------------------------------------------ Facebook


def test_a_facebook_comment_goes_private_and_the_messenger_answer_joins_the_same_inquiry(
    local, http, admin_headers, desk
):
    # Given a customer's public comment, claimed by its owner
    inquiry, owner = claimed(local, http, admin_headers, desk, "meta/page_feed_comment_add.json", "facebook")
    comment = inquiry["external_id"]
    before = len(outbox(local, http))
    # When the owner hands it over to a private chat
    response = hand_over(local, http, inquiry, owner)
    # Then ONE private reply went to the comment, then the short public answer under it
    assert response.status_code == 200, response.text
    answer = response.json()
    calls = calls_since(local, http, before, comment)
    assert [c["path"].split("/", 2)[-1] for c in calls] == [f"{PAGE}/messages", f"{comment}/comments"]
    private_calls = [
        c
        for c in outbox(local, http)
        if isinstance(c["body"], dict) and c["body"].get("recipient") == {"comment_id": comment}
    ]
    assert len(private_calls) == 1
    assert "privat" in calls[0]["body"]["message"]["text"]  # the customer wrote German
    assert calls[1]["body"]["message"] == "Wir haben Ihnen eine private Nachricht geschickt."
    psid = answer["private"]["recipient_id"]
    assert psid == calls[0]["answer"]["recipient_id"] == private_reply_recipient(comment)
    assert (answer["private"]["channel"], answer["private"]["status"]) == ("messenger", "sent")
    assert answer["public"]["status"] == "sent" and answer["inquiry"]["id"] == inquiry["id"]
    # and the handover counts as the first response
    handed = detail(local, http, inquiry, owner)
    assert handed["sla"]["first_response_at"]
    assert halves(handed) == [
        ("in", "facebook", "public"),
        ("out", "messenger", "private"),
        ("out", "facebook", "public"),
    ]
    # When the customer answers in Messenger, from the PSID the private reply reached
    dm = dm_from("meta/messenger_text.json", psid, desk.word)
    mid = dm["entry"][0]["messaging"][0]["message"]["mid"]
    assert deliver(http, local, "meta", dm).status_code == 200
    # Then it joins the same inquiry (no new one), both halves in order with their channel and visibility
    both = joined(local, http, inquiry, owner, mid)
    assert halves(both)[-1] == ("in", "messenger", "private")
    times = [datetime.fromisoformat(m["created_at"]) for m in both["messages"]]
    assert times == sorted(times)  # oldest first (as times: "…35Z" is before "…35.8Z")
    assert inquiries_of(local, "messenger", mid) == []
    assert stored_message(local, "messenger", mid)["inquiry_id"] == inquiry["id"]
    # and the next reply goes out as a Messenger DM to that PSID, in the standard window
    before = len(outbox(local, http))
    sent = reply(local, http, inquiry, owner, "Danke, wir prüfen die Werkstattrechnung.")
    call = calls_since(local, http, before, psid)[0]
    assert call["path"].endswith(f"/{PAGE}/messages")
    assert call["body"]["recipient"] == {"id": psid} and call["body"]["messaging_type"] == "RESPONSE"
    after = detail(local, http, inquiry, owner)
    assert (after["messages"][-1]["external_id"], after["messages"][-1]["channel"]) == (
        sent["external_id"],
        "messenger",
    )
    # When it is resolved, the private chat's next message opens a new inquiry
    assert http.post(f"{local.url}/api/inquiries/{inquiry['id']}/resolve", headers=owner).ok
    later = dm_from("meta/messenger_text.json", psid, desk.word)
    assert deliver(http, local, "meta", later).status_code == 200
    later_mid = later["entry"][0]["messaging"][0]["message"]["mid"]
    eventually(lambda: inquiries_of(local, "messenger", later_mid), timeout=20)


def test_a_second_handover_and_the_pages_own_comment_are_refused_and_nothing_is_sent(
    local, http, admin_headers, desk
):
    inquiry, owner = claimed(local, http, admin_headers, desk, "meta/page_feed_comment_add.json", "facebook")
    assert hand_over(local, http, inquiry, owner).status_code == 200
    messages_before = detail(local, http, inquiry, owner)["messages"]
    own_answer = next(m for m in messages_before if m["direction"] == "out" and m["visibility"] == "public")
    before = outbox(local, http)
    # When the same comment is handed over again, or the Page's own comment is named
    again = hand_over(local, http, inquiry, owner)
    own = hand_over(local, http, inquiry, owner, {"to": "private", "message_id": own_answer["external_id"]})
    # Then both are refused with their reason, and nothing is sent or stored
    assert again.status_code == 409, again.text
    assert again.json()["reason"] == "already_handed_over" and again.json()["options"]
    assert own.status_code == 409, own.text
    assert own.json()["reason"] == "own_message" and own.json()["error"]
    assert calls_since(local, http, len(before), inquiry["external_id"], f"{PAGE}/messages") == []
    assert detail(local, http, inquiry, owner)["messages"] == messages_before


def test_a_comment_older_than_7_days_is_refused_with_the_reason_and_nothing_is_sent(
    local, http, admin_headers, desk
):
    inquiry, owner = claimed(
        local, http, admin_headers, desk, "meta/page_feed_comment_add.json", "facebook", age=8 * 24 * 3600
    )
    before = outbox(local, http)
    response = hand_over(local, http, inquiry, owner)
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["reason"] == "private_reply_window_closed"
    assert body["error"] == "7-day private-reply window closed; reply publicly or ask for an e-mail address"
    assert set(body["options"]) == {"public_reply", "ask_for_email"}
    assert calls_since(local, http, len(before), inquiry["external_id"], f"{PAGE}/messages") == []
    found = detail(local, http, inquiry, owner)
    assert halves(found) == [("in", "facebook", "public")] and not found["sla"]["first_response_at"]


def test_the_sandbox_refuses_a_second_private_reply_to_the_same_comment_as_meta_does(local, http):
    comment = f"781236458912345_{uuid.uuid4().int % 10**16}"
    url = f"{local.url}/sandbox/graph/v26.0/{PAGE}/messages"
    body = {"recipient": {"comment_id": comment}, "message": {"text": "Hallo"}}
    first = http.post(url, json=body)
    second = http.post(url, json=body)
    assert first.status_code == 200 and first.json()["recipient_id"] == private_reply_recipient(comment)
    assert second.status_code == 400 and second.json()["error"]["code"] == 10900


# ------------------------------------------------------------------------------------------ Instagram


def test_an_instagram_comment_goes_private_and_the_dm_answer_joins_the_same_inquiry(
    local, http, admin_headers, desk
):
    inquiry, owner = claimed(local, http, admin_headers, desk, "meta/instagram_comment.json", "instagram")
    comment = inquiry["external_id"]
    before = len(outbox(local, http))
    response = hand_over(local, http, inquiry, owner)
    assert response.status_code == 200, response.text
    calls = calls_since(local, http, before, comment)
    assert [c["path"].split("/", 2)[-1] for c in calls] == [f"{IG_ACCOUNT}/messages", f"{comment}/replies"]
    assert calls[0]["body"]["recipient"] == {"comment_id": comment}
    igsid = response.json()["private"]["recipient_id"]
    assert igsid == calls[0]["answer"]["recipient_id"]
    # When the customer answers by Instagram DM from that IGSID, it joins the same inquiry
    dm = dm_from("meta/instagram_dm.json", igsid, desk.word)
    mid = dm["entry"][0]["messaging"][0]["message"]["mid"]
    assert deliver(http, local, "meta", dm).status_code == 200
    both = joined(local, http, inquiry, owner, mid)
    assert halves(both) == [
        ("in", "instagram", "public"),
        ("out", "instagram", "private"),
        ("out", "instagram", "public"),
        ("in", "instagram", "private"),
    ]
    assert inquiries_of(local, "instagram", mid) == []
    # and the next reply is an Instagram DM to the IGSID
    before = len(outbox(local, http))
    reply(local, http, inquiry, owner, "Your order ships tomorrow.")
    call = calls_since(local, http, before, igsid)[0]
    assert call["path"].endswith(f"/{IG_ACCOUNT}/messages") and call["body"]["recipient"] == {"id": igsid}


# ------------------------------------------------------------------------------------------ X


def test_an_x_post_goes_to_a_dm_and_the_dm_answer_joins_the_same_inquiry(local, http, admin_headers, desk):
    ids = Ids()
    inquiry, owner = claimed(local, http, admin_headers, desk, "x/mention_tweet.json", "x", ids)
    author, tweet = inquiry["author"]["id"], inquiry["external_id"]
    before = len(outbox(local, http))
    response = hand_over(local, http, inquiry, owner)
    assert response.status_code == 200, response.text
    calls = calls_since(local, http, before, author, tweet)
    assert [c["path"] for c in calls] == [f"/2/dm_conversations/with/{author}/messages", "/2/tweets"]
    assert calls[1]["body"]["reply"] == {"in_reply_to_tweet_id": tweet}
    private = response.json()["private"]
    assert (private["channel"], private["external_id"]) == ("x", calls[0]["answer"]["data"]["dm_event_id"])
    # When the author answers by DM (the same ids: the same person)
    dm = fresh(fixture("x/dm.json", ids), desk.word)
    assert dm["direct_message_events"][0]["message_create"]["sender_id"] == author
    assert dm["for_user_id"] == X_ACCOUNT
    dm_id = dm["direct_message_events"][0]["id"]
    assert deliver(http, local, "x", dm).status_code == 200
    both = joined(local, http, inquiry, owner, dm_id)
    assert halves(both) == [
        ("in", "x", "public"),
        ("out", "x", "private"),
        ("out", "x", "public"),
        ("in", "x", "private"),
    ]
    assert inquiries_of(local, "x", dm_id) == []
    # and the next reply is a DM again
    before = len(outbox(local, http))
    reply(local, http, inquiry, owner, "Danke, wir prüfen die Garantie.")
    dm = calls_since(local, http, before, author)[0]
    assert dm["path"] == f"/2/dm_conversations/with/{author}/messages"


def _refuse_dms_of(local, http, author: str) -> None:
    fault = {
        "api": "x",
        "path_contains": f"/dm_conversations/with/{author}/",
        "status": 403,
        "body": X_DM_REFUSED,
        "times": 1,
    }
    assert http.post(f"{local.url}/sandbox/faults", json=fault).status_code == 201


def _contact_event(local, http, event: dict) -> None:
    body = fixture("contact-events/email.json", Ids())
    body.update(event)
    raw = json.dumps(body).encode()
    response = http.post(
        f"{local.url}/webhooks/contact-events", data=raw, headers=signed_headers("contact-events", raw)
    )
    assert response.status_code == 200, response.text


def test_x_refusing_the_dm_falls_back_to_e_mail_and_the_mail_answer_joins(local, http, admin_headers, desk):
    ids = Ids()
    inquiry, owner = claimed(local, http, admin_headers, desk, "x/mention_tweet.json", "x", ids)
    author = inquiry["author"]["id"]
    # Given the CRM knows the customer's e-mail address (two contact events under one CRM reference)
    address = f"mareike.{uuid.uuid4().hex[:8]}@example.de"
    ref = f"CUST-{uuid.uuid4().hex[:10]}"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    # one after the other: the first links the CRM reference to the X customer, the second the address
    for channel, identity, linked in (("x", author, ("crm", ref)), ("email", address, ("email", address))):
        _contact_event(
            local,
            http,
            {
                "event_id": uuid.uuid4().hex,
                "occurred_at": stamp,
                "customer": {"channel": channel, "identity": identity},
                "customer_ref": ref,
            },
        )
        eventually(lambda key=linked: customer_of(local, *key) == inquiry["customer_id"], timeout=20)
    # and X refuses a DM to the author
    _refuse_dms_of(local, http, author)
    # When the owner hands it over
    response = hand_over(local, http, inquiry, owner)
    # Then an e-mail went to the customer instead, and the public answer says so
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["private"]["channel"], answer["private"]["path"]) == ("email", "email")
    mails = [e for e in http.get(f"{local.url}/local/emails").json()["items"] if address in e["to"]]
    assert len(mails) == 1 and mails[0]["message_id"].strip("<>") == answer["private"]["external_id"]
    assert mails[0]["from"] == "service@kanal.local"
    assert answer["public"]["status"] == "sent"
    # When the customer answers the mail (In-Reply-To its Message-ID)
    time.sleep(1.1)  # the answer's Date, to the second, comes after the handover
    own_id = f"<{uuid.uuid4().hex}@example.de>"
    raw = (
        f"From: {address}\r\nTo: service@kanal.local\r\nSubject: Re: {mails[0]['subject']}\r\n"
        f"Message-ID: {own_id}\r\nIn-Reply-To: {mails[0]['message_id']}\r\n"
        f"References: {mails[0]['message_id']}\r\n"
        f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n\r\n"
        f"Meine Rechnung ist RE-2024-07731 {desk.word}.\r\n"
    ).encode()
    assert http.post(f"{local.url}/local/email", data=raw).status_code == 200
    # Then it joins the same inquiry, and the next reply is an e-mail in that thread
    both = joined(local, http, inquiry, owner, own_id.strip("<>"))
    assert halves(both) == [
        ("in", "x", "public"),
        ("out", "email", "private"),
        ("out", "x", "public"),
        ("in", "email", "private"),
    ]
    reply(local, http, inquiry, owner, "Danke, die Rechnung liegt uns vor.")
    mails = [e for e in http.get(f"{local.url}/local/emails").json()["items"] if address in e["to"]]
    assert len(mails) == 2 and mails[1]["headers"]["In-Reply-To"] == own_id
    assert mails[1]["from"] == "service@kanal.local"


def test_x_refusing_the_dm_with_no_e_mail_known_is_a_409_and_nothing_is_stored(
    local, http, admin_headers, desk
):
    inquiry, owner = claimed(local, http, admin_headers, desk, "x/mention_tweet.json", "x")
    _refuse_dms_of(local, http, inquiry["author"]["id"])
    before = len(outbox(local, http))
    response = hand_over(local, http, inquiry, owner)
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["reason"] == "dm_not_accepted" and "ask_for_email" in body["options"] and body["error"]
    calls = calls_since(local, http, before, inquiry["author"]["id"], inquiry["external_id"])
    assert [(c["path"].split("/")[2], c["status"]) for c in calls] == [("dm_conversations", 403)]
    found = detail(local, http, inquiry, owner)
    assert halves(found) == [("in", "x", "public")] and not found["sla"]["first_response_at"]


# ------------------------------------------------------------------------------------------ to an agent


def test_a_handover_to_an_agent_is_a_transfer_and_bad_bodies_change_nothing(local, http, admin_headers, desk):
    inquiry, owner = routed_to_owner(
        local, http, admin_headers, desk, "meta/messenger_text.json", "messenger"
    )
    other = next(a for a in desk.agents if a != inquiry["assignee"])
    for bad in ({}, {"to": "moon"}, {"to": "agent"}, {"to": "private", "agent": other}, [1]):
        refused = hand_over(local, http, inquiry, owner, bad)
        assert refused.status_code == 400, (bad, refused.text)
    assert detail(local, http, inquiry, owner)["assignee"] == inquiry["assignee"]
    # When the owner hands it to the other agent of the desk with a note
    moved = hand_over(
        local, http, inquiry, owner, {"to": "agent", "agent": other, "note": "Bitte übernehmen"}
    )
    # Then the other agent owns it, is told, and reads the note
    assert moved.status_code == 200, moved.text
    assert moved.json()["assignee"] == other
    told = eventually(
        lambda: [
            n
            for n in http.get(f"{local.url}/local/notifications").json()["items"]
            if (n["kind"], n["recipient"], n["inquiry_id"]) == ("transferred", other, inquiry["id"])
        ]
    )
    assert told
    seen = detail(local, http, inquiry, owner_headers(other))
    assert seen["transfer"]["note"] == "Bitte übernehmen" and seen["transfer"]["to_agent"] == other
    # and a Messenger conversation is private already: no handover to a private chat
    private = hand_over(local, http, inquiry, owner_headers(other))
    assert private.status_code == 409 and private.json()["reason"] == "already_private"

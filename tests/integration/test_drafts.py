"""Drafts and approval end to end on the local stack: a public Facebook comment of band P1, routed to the
test's desk; its owner writes a draft; PR and marketing (the seeded team `pr`: lead mira, oliver) approve or
reject it; the approval's one platform call is read in the channel sandbox's outbox.

The default approval policy is in force (a public reply to a P1 or P2 inquiry needs team pr's approval),
except in the last case, which stores a company's own policy in Parameter Store.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from datetime import datetime
from typing import Any

from tests.conftest import eventually
from tests.integration.test_replies import outbox, owner_headers, routed_to_owner
from tests.tokens import Bearer

MIRA = Bearer("mira")  # lead of pr
OLIVER = Bearer("oliver")  # member of pr
FEED_COMMENT = "meta/page_feed_comment_add.json"
CUSTOMER_WORDS = "E-Bike"  # in the fixture's comment: never in a notice


def url(local, inquiry: dict, *parts: str) -> str:
    return "/".join([f"{local.url}/api/inquiries/{inquiry['id']}", *parts])


def detail(local, http, inquiry: dict, headers=MIRA) -> dict:
    response = http.get(url(local, inquiry), headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def notices(local, http, inquiry: dict, kind: str) -> list[dict]:
    items = http.get(f"{local.url}/local/notifications").json()["items"]
    return [n for n in items if n["kind"] == kind and n["inquiry_id"] == inquiry["id"]]


def public_p1(local, http, admin_headers, desk) -> tuple[dict, dict[str, str]]:
    inquiry, owner = routed_to_owner(local, http, admin_headers, desk, FEED_COMMENT, "facebook")
    assert inquiry["priority"]["band"] == "P1" and inquiry["visibility"] == "public", inquiry["priority"]
    return inquiry, owner


def write(local, http, inquiry: dict, owner: dict[str, str], text: str) -> dict[str, Any]:
    response = http.post(url(local, inquiry, "drafts"), json={"text": text}, headers=owner)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_draft_is_published_once_when_pr_approves_it_and_only_then_stops_the_clock(
    local, http, admin_headers, urgent
):
    # Given a public P1 comment owned by an agent of the desk
    inquiry, owner = public_p1(local, http, admin_headers, urgent)
    calls = len(outbox(local, http))
    # When its owner writes a draft
    draft = write(local, http, inquiry, owner, "Das tut uns leid, wir melden uns sofort per Nachricht.")
    # Then it waits for pr, nothing left for the platform, the clock runs, and pr is told without text
    assert draft["status"] == "pending" and draft["approval"] == {"rule": "public-urgent", "team": "pr"}
    assert len(outbox(local, http)) == calls
    assert detail(local, http, inquiry, owner)["sla"]["first_response_at"] is None
    told = eventually(lambda: {n["recipient"] for n in notices(local, http, inquiry, "approval_requested")})
    assert {"mira", "oliver"} <= told
    for notice in notices(local, http, inquiry, "approval_requested"):
        assert CUSTOMER_WORDS not in notice["text"] and "tut uns leid" not in notice["text"], notice
    # When mira (the lead of pr, not of the desk) reads it and approves it
    seen = detail(local, http, inquiry, MIRA)
    assert [d["id"] for d in seen["drafts"]] == [draft["id"]]
    approving_at = datetime.now().astimezone()
    response = http.post(url(local, inquiry, "drafts", draft["id"], "approve"), headers=MIRA)
    # Then exactly one platform call left, after the approval, with the draft's text
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["status"] == "sent" and answer["external_id"] and answer["draft"]["status"] == "published"
    after = outbox(local, http)[calls:]
    assert len(after) == 1 and "wir melden uns sofort" in str(after[0]["body"]), after
    assert after[0]["path"].endswith(f"/{inquiry['external_id']}/comments")
    # and the detail shows the reply sent, the draft's history and the first response at publishing
    shown = detail(local, http, inquiry, owner)
    out = [m for m in shown["messages"] if m["direction"] == "out"]
    assert [(m["external_id"], m["delivery"]["status"]) for m in out] == [(answer["external_id"], "sent")]
    (published,) = shown["drafts"]
    assert published["status"] == "published" and published["author"] == inquiry["assignee"]
    assert [(h["action"], h["by"]) for h in published["history"]] == [
        ("created", inquiry["assignee"]),
        ("approved", "mira"),
        ("published", "mira"),
    ]
    first = datetime.fromisoformat(shown["sla"]["first_response_at"])
    assert first >= approving_at.replace(microsecond=0), (first, approving_at)
    # and approving again sends nothing more
    again = http.post(url(local, inquiry, "drafts", draft["id"], "approve"), headers=OLIVER)
    assert again.status_code == 409 and len(outbox(local, http)) == calls + 1


def test_a_rejected_draft_goes_back_to_its_author_whose_edited_text_is_the_one_sent(
    local, http, admin_headers, urgent
):
    inquiry, owner = public_p1(local, http, admin_headers, urgent)
    draft = write(local, http, inquiry, owner, "Das ist unser Fehler, wir zahlen alles.")
    calls = len(outbox(local, http))
    drafts = url(local, inquiry, "drafts", draft["id"])
    # When oliver rejects it with a comment
    response = http.post(
        f"{drafts}/reject", json={"comment": "Bitte kein Schuldeingeständnis."}, headers=OLIVER
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "rejected"
    # Then its author is told (not the comment), and nothing was sent
    told = eventually(lambda: notices(local, http, inquiry, "draft_rejected"))
    assert {n["recipient"] for n in told} == {inquiry["assignee"]}
    assert all("Schuldeingeständnis" not in n["text"] for n in told)
    assert len(outbox(local, http)) == calls
    # When the author edits it, it waits for pr again, and mira approves it
    edited = http.put(drafts, json={"text": "Wir prüfen Ihren Fall und melden uns heute."}, headers=owner)
    assert edited.status_code == 200 and edited.json()["status"] == "pending", edited.text
    approved = http.post(f"{drafts}/approve", json={}, headers=MIRA)
    assert approved.status_code == 200, approved.text
    # Then one call left, with the edited text
    after = outbox(local, http)[calls:]
    assert len(after) == 1 and "Wir prüfen Ihren Fall" in str(after[0]["body"])
    assert "Schuld" not in str(after[0]["body"]) and "zahlen alles" not in str(after[0]["body"])
    (shown,) = detail(local, http, inquiry, owner)["drafts"]
    author = inquiry["assignee"]
    assert [(h["action"], h["by"], h.get("comment")) for h in shown["history"]] == [
        ("created", author, None),
        ("rejected", "oliver", "Bitte kein Schuldeingeständnis."),
        ("edited", author, None),
        ("submitted", author, None),
        ("approved", "mira", None),
        ("published", "mira", None),
    ]
    assert all(h["at"] for h in shown["history"])


def test_an_agent_outside_the_approving_team_can_neither_approve_nor_reject_and_nothing_changes(
    local, http, admin_headers, urgent
):
    inquiry, owner = public_p1(local, http, admin_headers, urgent)
    draft = write(local, http, inquiry, owner, "Wir kümmern uns.")
    calls = len(outbox(local, http))
    drafts = url(local, inquiry, "drafts", draft["id"])
    colleague = owner_headers(next(a for a in urgent.agents if a != inquiry["assignee"]))
    for who in (owner, colleague):  # the author, and another agent of the desk who sees the inquiry
        assert http.post(f"{drafts}/approve", headers=who).status_code == 403
        assert http.post(f"{drafts}/reject", json={"comment": "nein"}, headers=who).status_code == 403
    assert http.put(drafts, json={"text": "Meins."}, headers=colleague).status_code == 403
    # An approver's bad bodies are 400 and change nothing either
    for bad in ({}, {"comment": ""}, {"comment": "ok", "extra": 1}, [1]):
        assert http.post(f"{drafts}/reject", json=bad, headers=MIRA).status_code == 400, bad
    assert http.post(f"{drafts}/approve", json={"text": " "}, headers=MIRA).status_code == 400
    assert http.post(url(local, inquiry, "drafts", "nope", "approve"), headers=MIRA).status_code == 404
    assert http.post(url(local, inquiry, "drafts"), json={"text": ""}, headers=owner).status_code == 400
    (kept,) = detail(local, http, inquiry, owner)["drafts"]
    assert kept["status"] == "pending" and kept["text"] == "Wir kümmern uns."
    assert [h["action"] for h in kept["history"]] == ["created"]
    assert len(outbox(local, http)) == calls


def test_a_reply_that_needs_approval_is_409_and_one_that_does_not_is_sent(local, http, admin_headers, urgent):
    # Given a public P1 comment: a direct public reply is refused with the way out, nothing sent
    inquiry, owner = public_p1(local, http, admin_headers, urgent)
    calls = len(outbox(local, http))
    response = http.post(url(local, inquiry, "replies"), json={"text": "Sorry!"}, headers=owner)
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["reason"] == "approval_required" and body["options"] == ["draft"] and "pr" in body["error"]
    with_key = {"text": "Sorry!", "visibility": "public", "idempotency_key": uuid.uuid4().hex}
    assert http.post(url(local, inquiry, "replies"), json=with_key, headers=owner).status_code == 409
    assert len(outbox(local, http)) == calls
    shown = detail(local, http, inquiry, owner)
    assert [m["direction"] for m in shown["messages"]] == ["in"] and shown["sla"]["first_response_at"] is None
    # while an admin (who approves) answers it directly
    direct = http.post(url(local, inquiry, "replies"), json={"text": "Wir sind dran."}, headers=admin_headers)
    assert direct.status_code == 200 and direct.json()["status"] == "sent", direct.text
    # and a private reply to a P1 Messenger message needs no approval: sent as before
    dm, dm_owner = routed_to_owner(
        local, http, admin_headers, urgent, "meta/messenger_text.json", "messenger"
    )
    assert dm["priority"]["band"] == "P1"
    sent = http.post(url(local, dm, "replies"), json={"text": "Wir helfen gern."}, headers=dm_owner)
    assert sent.status_code == 200 and sent.json()["status"] == "sent", sent.text
    assert len(outbox(local, http)) == calls + 2


def test_two_approvers_approving_at_once_publish_once_and_the_other_gets_a_409(
    local, http, admin_headers, urgent
):
    inquiry, owner = public_p1(local, http, admin_headers, urgent)
    draft = write(local, http, inquiry, owner, "Danke für Ihre Geduld.")
    calls = len(outbox(local, http))
    target = url(local, inquiry, "drafts", draft["id"], "approve")
    start = threading.Barrier(2)
    answers: dict[str, int] = {}

    def approve(name: str, headers: dict[str, str]) -> None:
        import requests

        start.wait()
        answers[name] = requests.post(target, headers=headers, timeout=60).status_code

    threads = [threading.Thread(target=approve, args=a) for a in (("mira", MIRA), ("oliver", OLIVER))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert sorted(answers.values()) == [200, 409], answers
    after = [c for c in outbox(local, http)[calls:] if "Danke für Ihre Geduld." in str(c["body"])]
    assert len(after) == 1
    (shown,) = detail(local, http, inquiry, owner)["drafts"]
    winner = next(name for name, status in answers.items() if status == 200)
    assert [(h["action"], h["by"]) for h in shown["history"]][1:] == [
        ("approved", winner),
        ("published", winner),
    ]


def test_a_companys_own_policy_in_parameter_store_replaces_the_default(local, http, admin_headers, urgent):
    import boto3

    # Given a company's policy: pr approves every Messenger reply (and nothing else)
    ssm = boto3.client("ssm")
    name = os.environ["KANAL_APPROVAL_PARAMETER"]
    policy = {
        "version": f"messenger-{uuid.uuid4().hex[:6]}",
        "team": "pr",
        "rules": [{"id": "messenger", "channels": ["messenger"]}],
    }
    ssm.put_parameter(Name=name, Value=json.dumps(policy), Type="String", Overwrite=True)
    try:
        dm, owner = routed_to_owner(
            local, http, admin_headers, urgent, "meta/messenger_text.json", "messenger"
        )
        calls = len(outbox(local, http))
        # Then a Messenger reply needs pr's approval, and a public P1 reply no longer does
        refused = http.post(url(local, dm, "replies"), json={"text": "Hallo"}, headers=owner)
        assert refused.status_code == 409 and refused.json()["reason"] == "approval_required"
        draft = write(local, http, dm, owner, "Hallo, wir helfen gern.")
        assert draft["approval"] == {"rule": "messenger", "team": "pr"}
        colleague = owner_headers(next(a for a in urgent.agents if a != dm["assignee"]))
        assert (
            http.post(url(local, dm, "drafts", draft["id"], "approve"), headers=colleague).status_code == 403
        )
        approved = http.post(url(local, dm, "drafts", draft["id"], "approve"), headers=OLIVER)
        assert approved.status_code == 200 and approved.json()["status"] == "sent", approved.text
        assert len(outbox(local, http)) == calls + 1
        comment, comment_owner = public_p1(local, http, admin_headers, urgent)
        direct = http.post(url(local, comment, "replies"), json={"text": "Danke!"}, headers=comment_owner)
        assert direct.status_code == 200, direct.text
    finally:
        ssm.delete_parameter(Name=name)

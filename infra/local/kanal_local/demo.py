"""`kanal local --demo`: replay a varied sample of deliveries over HTTP and show the queue filling up.

Everything goes through the real path: signed webhooks to the local gateway, the queue, ingest, the
routing state machine; the queue is read back through the agent API.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import requests

from kanal_local.auth import token_from
from kanal_local.server import LocalServer, local_secret
from kanal_local.signing import sign_meta, sign_x

PAGE_ID = "104870982355621"
X_ACCOUNT = "1577013220012345678"


def _id() -> str:
    return str(uuid.uuid4().int)[:15]


def _now() -> int:
    return int(time.time())


def page_comment(name: str, text: str) -> dict[str, Any]:
    post = f"{PAGE_ID}_{_id()}"
    comment = f"{post.split('_')[1]}_{_id()}"
    return {
        "object": "page",
        "entry": [
            {
                "id": PAGE_ID,
                "time": _now(),
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "item": "comment",
                            "verb": "add",
                            "comment_id": comment,
                            "post_id": post,
                            "parent_id": post,
                            "created_time": _now(),
                            "message": text,
                            "from": {"id": _id(), "name": name},
                        },
                    }
                ],
            }
        ],
    }


def messenger(name: str, text: str) -> dict[str, Any]:
    sender = _id()
    return {
        "object": "page",
        "entry": [
            {
                "id": PAGE_ID,
                "time": _now() * 1000,
                "messaging": [
                    {
                        "sender": {"id": sender},
                        "recipient": {"id": PAGE_ID},
                        "timestamp": _now() * 1000,
                        "message": {"mid": f"m_{uuid.uuid4().hex}", "text": text},
                    }
                ],
            }
        ],
    }


def instagram_comment(username: str, text: str) -> dict[str, Any]:
    return {
        "object": "instagram",
        "entry": [
            {
                "id": "17841400000000001",
                "time": _now(),
                "changes": [
                    {
                        "field": "comments",
                        "value": {
                            "id": _id(),
                            "text": text,
                            "from": {"id": _id(), "username": username},
                            "media": {"id": _id(), "media_product_type": "FEED"},
                        },
                    }
                ],
            }
        ],
    }


def whatsapp(name: str, text: str) -> dict[str, Any]:
    wa_id = "49151" + _id()[:8]
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "4930123456",
                                "phone_number_id": "106540352242922",
                            },
                            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                            "messages": [
                                {
                                    "from": wa_id,
                                    "id": f"wamid.{uuid.uuid4().hex}",
                                    "timestamp": str(_now()),
                                    "type": "text",
                                    "text": {"body": text},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def tweet(name: str, handle: str, followers: int, text: str) -> dict[str, Any]:
    return {
        "for_user_id": X_ACCOUNT,
        "tweet_create_events": [
            {
                "created_at": time.strftime("%a %b %d %H:%M:%S +0000 %Y", time.gmtime()),
                "id_str": _id(),
                "text": text,
                "timestamp_ms": str(_now() * 1000),
                "user": {
                    "id_str": _id(),
                    "name": name,
                    "screen_name": handle,
                    "followers_count": followers,
                    "verified": followers > 50000,
                },
                "entities": {"user_mentions": [{"id_str": X_ACCOUNT, "screen_name": "VeloraBikes"}]},
            }
        ],
    }


def samples() -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            "meta",
            page_comment(
                "Jonas Weber", "Mein E-Bike ist nach zwei Wochen kaputt. Ich will mein Geld zurück!"
            ),
        ),
        ("meta", page_comment("Sarah Miller", "Love the new city bike, thanks for the quick delivery!")),
        (
            "x",
            tweet(
                "Tech Tom",
                "techtom",
                250000,
                "@VeloraBikes my order is broken and support ignores me. Refund now!",
            ),
        ),
        ("meta", messenger("Lena", "Hallo, wann wird meine Bestellung 55-1043 geliefert?")),
        (
            "meta",
            whatsapp("Murat Yilmaz", "Dringend: Akku lädt nicht mehr, brauche Hilfe vor dem Wochenende"),
        ),
        ("meta", instagram_comment("bike.anna", "Where can I buy spare parts? 🚲")),
        ("x", tweet("Kim", "kim_rides", 120, "@VeloraBikes is the shop open on Saturday?")),
        ("meta", page_comment("Peter Schulz", "Das ist Betrug, ich schalte meinen Anwalt ein.")),
    ]


def post(base: str, source: str, payload: dict[str, Any]) -> int:
    body = json.dumps(payload).encode()
    if source == "meta":
        headers = {"X-Hub-Signature-256": sign_meta(body, local_secret("meta-app-secret"))}
    else:
        headers = {"x-twitter-webhooks-signature": sign_x(body, local_secret("x-consumer-secret"))}
    response = requests.post(f"{base}/webhooks/{source}", data=body, headers=headers, timeout=10)
    return response.status_code


def fetch_queue(base: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token_from(base, 'admin')}"}
    response = requests.get(f"{base}/api/inquiries", params={"limit": 50}, timeout=10, headers=headers)
    return list(response.json()["items"])


def fetch_notifications(base: str) -> list[dict[str, Any]]:
    return list(requests.get(f"{base}/local/notifications", timeout=10).json()["items"])


def show_queue(items: list[dict[str, Any]]) -> None:
    print(
        f"\nthe queue ({len(items)} open inquiries, most urgent first; times UTC), each with team and owner:"
    )
    for item in items:
        priority = item.get("priority") or {}
        reasons = ", ".join(r["rule"] for r in priority.get("reasons", [])[:2])
        owner = item.get("assignee") or f"({item['status']})"
        print(
            f"  {priority.get('band', '--'):3} {item['channel']:9} {item['team'] or '-':8} {owner:9} "
            f"due {_clock(item.get('sla_due_at'))}  {item['text'][:44]!r}  [{reasons}]"
        )


def show_notices(notices: list[dict[str, Any]], started: float | None = None) -> None:
    """One line per notice: its e-mail and SMS (one publish, two subscriptions) side by side."""
    lines: dict[tuple[str, str, str, str], list[str]] = {}
    for notice in notices:
        key = (notice["kind"], notice["recipient"], notice.get("inquiry_id") or "", notice["subject"])
        lines.setdefault(key, []).append("SMS" if notice["protocol"] == "sms" else "e-mail")
    at = f"  +{time.monotonic() - started:3.0f}s" if started is not None else ""
    for (kind, recipient, _, subject), protocols in lines.items():
        print(f"{at}  {kind:10} {'+'.join(protocols):10} to {recipient:7} {subject}")


def _clock(value: str | None) -> str:
    return value[11:19] if value else "--:--:--"


def show_organisation() -> None:
    from kanal_local.seed import organisation_document

    document = organisation_document()
    print("\nthe organisation (infra/local/organisation.json):")
    for team in document["teams"]:
        members = [a for a in document["agents"] if team["id"] in a.get("teams", [])]
        online = [a["id"] for a in members if a.get("status") == "online"]
        print(f"  {team['name']:31} lead {team['lead']:7} online: {', '.join(online)}")
    print("  on-call ops: " + ", ".join(c["name"] for c in document.get("oncall", [])))


SAMPLE_EMAIL = """From: Anna Becker <anna.becker@example.de>
To: Velora Service <service@velora-bikes.de>
Subject: Reparatur 55-1043: noch keine Rueckmeldung
Message-ID: <{id}@example.de>
Date: {date}
Content-Type: text/plain; charset=utf-8

Guten Tag, mein E-Bike ist seit zwei Wochen in der Reparatur und ich habe noch keine Rueckmeldung.
Bitte rufen Sie mich dringend zurueck. Anna Becker
"""


def replay(server: LocalServer, pause: float = 0.3, watch_seconds: float = 120) -> None:
    base = server.url
    show_organisation()
    print(
        "\nreplaying sample traffic (Facebook, Messenger, Instagram, WhatsApp, X, e-mail; German, English):"
    )
    for source, payload in samples():
        status = post(base, source, payload)
        print(f"  POST /webhooks/{source} -> {status}")
        time.sleep(pause)
    mail = SAMPLE_EMAIL.format(
        id=uuid.uuid4().hex, date=time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
    )
    status = requests.post(f"{base}/local/email", data=mail.encode(), timeout=10).status_code
    print(f"  POST /local/email (as SES receiving) -> {status}")
    items: list[dict[str, Any]] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(1)
        items = fetch_queue(base)
        if len(items) > len(samples()) and all(i["status"] != "new" for i in items):
            break
    show_queue(items)
    seen = fetch_notifications(base)
    print(f"\nthe owners are told by e-mail and SMS ({len(seen)} sent; all at {base}/local/notifications):")
    show_notices(seen)
    sms = next((n for n in seen if n["protocol"] == "sms"), None)
    if sms:
        print(f"  an SMS reads (no customer text, name or handle): {sms['text']!r}")
    started = time.monotonic()
    escalating = answer_all_but_the_most_urgent(base, items)
    if escalating is None:
        print_console(base)
        return
    print(
        f"\nnobody answers the {escalating['priority']['band']} {escalating['channel']} inquiry due first; "
        f"its clock runs {server.stack.time_scale:g}x faster here. Warning, then escalation tier by tier:"
    )
    watch(base, escalating["id"], len(seen), started, watch_seconds)
    print(f"\nwhat left for the platforms: {base}/sandbox/outbox and {base}/local/emails")
    print_console(base)


# The demo's console user: the social team's lead sees its queue, its agents and the escalation.
DEMO_AGENT = "lena"


def print_console(base: str) -> None:
    print(f"open the console as {DEMO_AGENT} (lead of Social care):   stop with Ctrl-C")
    print(f"  {base}/#token={token_from(base, DEMO_AGENT)}", flush=True)  # the last line, also through a pipe


def answer_all_but_the_most_urgent(base: str, items: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Each owner answers their inquiry in time, on its own channel, but the one due first is left (the
    most urgent one may be due tomorrow morning: its team's business hours may be over for today)."""
    assigned = [i for i in items if i["status"] == "assigned"]
    if not assigned:
        return None
    escalating = min(assigned, key=lambda i: i.get("sla_due_at") or "~")
    others = [i for i in assigned if i is not escalating]
    private = next((i for i in others if i["channel"] == "facebook" and i["assignee"] != APPROVER), None)
    print(f"\nthe owners answer {len(others)} of them in time, each on the customer's own channel:")
    for item in others:
        headers = {"Authorization": f"Bearer {token_from(base, item['assignee'])}"}
        if item is private:
            requests.post(f"{base}/api/inquiries/{item['id']}/claim", headers=headers, timeout=10)
            hand_over_to_private(base, item, headers)
            continue
        text = "Danke, wir kümmern uns darum!" if item.get("language") == "de" else "Thanks, we are on it!"
        requests.post(f"{base}/api/inquiries/{item['id']}/claim", headers=headers, timeout=10)
        answer = requests.post(
            f"{base}/api/inquiries/{item['id']}/replies", json={"text": text}, headers=headers, timeout=60
        )
        if answer.status_code == 409 and answer.json().get("reason") == "approval_required":
            answer_through_approval(base, item, text, headers)
            continue
        status = answer.json().get("status") if answer.ok else answer.json().get("error")
        print(f"  {item['assignee']:7} -> {item['channel']:9} {status}")
    return escalating


APPROVER = "mira"  # the lead of PR and marketing, the approving team of the default approval policy


def answer_through_approval(base: str, item: dict[str, Any], text: str, headers: dict[str, str]) -> None:
    """A reply the approval policy holds back: the owner writes a draft, PR approves it, which sends it."""
    url = f"{base}/api/inquiries/{item['id']}/drafts"
    written = requests.post(url, json={"text": text}, headers=headers, timeout=10)
    if not written.ok:
        print(f"  {item['assignee']:7} -> {item['channel']:9} {written.json().get('error')}")
        return
    draft = written.json()
    approver = {"Authorization": f"Bearer {token_from(base, APPROVER)}"}
    answer = requests.post(f"{url}/{draft['id']}/approve", headers=approver, timeout=60)
    status = answer.json().get("status") if answer.ok else answer.json().get("error")
    rule = (draft.get("approval") or {}).get("rule")
    print(f"  {item['assignee']:7} -> {item['channel']:9} draft ({rule}) approved by {APPROVER}: {status}")


def hand_over_to_private(base: str, item: dict[str, Any], headers: dict[str, str]) -> None:
    """A public comment moved into a private chat: a private reply by comment id and a short public note;
    the customer's Messenger answer from the PSID the private reply reached joins the same inquiry."""
    url = f"{base}/api/inquiries/{item['id']}"
    moved = requests.post(f"{url}/handover", json={"to": "private"}, headers=headers, timeout=60)
    if not moved.ok:
        print(f"  {item['assignee']:7} -> {item['channel']:9} handover refused: {moved.json().get('error')}")
        return
    private, public = moved.json()["private"], moved.json().get("public") or {}
    print(
        f"  {item['assignee']:7} -> {item['channel']:9} moved to a private chat: {private['channel']} "
        f"private reply {private['status']}, public note {public.get('status', 'none')}"
    )
    answer = messenger("Lukas Weber", "Danke! Meine Bestellnummer ist 55-2210.")
    answer["entry"][0]["messaging"][0]["sender"]["id"] = private["recipient_id"]
    post(base, "meta", answer)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        messages = requests.get(url, headers=headers, timeout=10).json().get("messages", [])
        if len(messages) >= 4:
            halves = ", ".join(f"{m['direction']} {m['channel']} {m['visibility']}" for m in messages)
            print(f"  {'':7}    the customer's Messenger answer joined the same inquiry: {halves}")
            return
        time.sleep(0.5)
    print(f"  {'':7}    the customer's Messenger answer has not arrived yet")


def watch(base: str, inquiry_id: str, skip: int, started: float, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    shown = skip
    while time.monotonic() < deadline:
        time.sleep(1)
        notices = fetch_notifications(base)
        show_notices([n for n in notices[shown:] if n.get("inquiry_id") == inquiry_id], started)
        shown = len(notices)
        headers = {"Authorization": f"Bearer {token_from(base, 'admin')}"}
        detail = requests.get(f"{base}/api/inquiries/{inquiry_id}", headers=headers, timeout=10).json()
        if len(detail.get("escalations", [])) >= 2:
            sla = detail["sla"]
            told = ", ".join(f"tier {e['tier']} to {'+'.join(e['to'])}" for e in detail["escalations"])
            print(f"  now owned by {detail['assignee']}; breached: {sla['breached']}; escalations: {told}")
            return

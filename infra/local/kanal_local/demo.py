"""`kanal local --demo`: replay a varied sample of deliveries over HTTP and show the queue filling up.

Everything goes through the real path: signed webhooks to the local gateway, the queue, ingest, the
routing state machine; the queue is read back through the agent API.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import requests

from kanal_local.auth import mint
from kanal_local.server import LocalServer, local_secret

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
        digest = hmac.new(local_secret("meta-app-secret").encode(), body, hashlib.sha256).hexdigest()
        headers = {"X-Hub-Signature-256": f"sha256={digest}"}
    else:
        digest_b = hmac.new(local_secret("x-consumer-secret").encode(), body, hashlib.sha256).digest()
        headers = {"x-twitter-webhooks-signature": "sha256=" + base64.b64encode(digest_b).decode()}
    response = requests.post(f"{base}/webhooks/{source}", data=body, headers=headers, timeout=10)
    return response.status_code


def fetch_queue(base: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {mint('admin')}"}
    response = requests.get(f"{base}/api/inquiries", params={"limit": 50}, timeout=10, headers=headers)
    return list(response.json()["items"])


def show_queue(base: str) -> int:
    items = fetch_queue(base)
    print(f"\nqueue ({len(items)} open inquiries, most urgent first):")
    for item in items:
        priority = item.get("priority") or {}
        reasons = ", ".join(r["rule"] for r in priority.get("reasons", [])[:3])
        print(
            f"  {priority.get('band', '--'):3} {priority.get('score', 0):>3}  {item['channel']:9} "
            f"{item['visibility']:7} {item['text'][:60]!r}  [{reasons}]"
        )
    return len(items)


SAMPLE_EMAIL = """From: Anna Becker <anna.becker@example.de>
To: Velora Service <service@velora-bikes.de>
Subject: Reparatur 55-1043: noch keine Rueckmeldung
Message-ID: <{id}@example.de>
Date: {date}
Content-Type: text/plain; charset=utf-8

Guten Tag, mein E-Bike ist seit zwei Wochen in der Reparatur und ich habe noch keine Rueckmeldung.
Bitte rufen Sie mich dringend zurueck. Anna Becker
"""


def replay(server: LocalServer, pause: float = 0.3) -> None:
    base = server.url
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
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        time.sleep(1)
        items = fetch_queue(base)
        if len(items) > len(samples()) and all(i.get("priority") for i in items):
            break
    show_queue(base)
    print(f"\nnotifications sent: {base}/local/notifications   stop with Ctrl-C")

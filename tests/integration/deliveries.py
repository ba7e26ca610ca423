"""Webhook deliveries for tests on the shared local stack: unique platform ids, signing, and look-ups.

Every test rewrites the platform ids of the fixtures it sends (``Ids``), so the same fixture can be
delivered by many tests, in any order and on every re-run, without two of them meeting in the tables.
"""

from __future__ import annotations

import copy
import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

import requests
from boto3.dynamodb.types import TypeDeserializer

from tests.conftest import eventually, load_event
from tests.signing import contact_events_headers, sign_meta, sign_x

SECRETS = {
    "meta": "local-meta-app-secret",
    "x": "local-x-consumer-secret",
    "contact-events": "local-contact-events-secret",
}
SIGNATURE_HEADERS = {
    "meta": "X-Hub-Signature-256",
    "x": "x-twitter-webhooks-signature",
    "contact-events": "X-Kanal-Signature-256",
}
SIGNERS = {"meta": sign_meta, "x": sign_x}

# Keys whose values are platform ids (of messages, posts, people); the company's own accounts are kept.
ID_KEYS = frozenset(
    {
        "id",
        "id_str",
        "mid",
        "mids",
        "comment_id",
        "post_id",
        "parent_id",
        "photo_id",
        "share_id",
        "media_id",
        "sender_id",
        "recipient_id",
        "user_id",
        "wa_id",
        "from",
        "from_user_id",  # WhatsApp business-scoped user ids (BSUIDs)
        "parent_user_id",
        "from_parent_user_id",
        "recipient_user_id",
        "in_reply_to_status_id",
        "in_reply_to_status_id_str",
        "in_reply_to_user_id",
        "in_reply_to_user_id_str",
        "quoted_status_id",
        "quoted_status_id_str",
        "event_id",
        "customer_ref",
    }
)


def _accounts(document: Any) -> set[str]:
    """The company accounts a delivery is addressed to: Meta entry ids, WhatsApp numbers, X's for_user_id."""
    found: set[str] = set()
    if not isinstance(document, dict):
        return found
    if "for_user_id" in document:
        found.add(str(document["for_user_id"]))
    for entry in document.get("entry") or []:
        found.add(str(entry.get("id")))
        for change in entry.get("changes") or []:
            metadata = (change.get("value") or {}).get("metadata") or {}
            if "phone_number_id" in metadata:
                found.add(str(metadata["phone_number_id"]))
    return found


class Ids:
    """Rewrites the platform ids of fixtures with one numeric suffix, the same way every time.

    Numeric, so integer ids (X) stay integers; the company's accounts are left alone, so own posts and
    echoes stay recognisable. ``sub`` applies the same rewriting to an expected value such as a thread id.
    """

    def __init__(self) -> None:
        self.suffix = f"{uuid.uuid4().int % 10**9:09d}"
        self.rewritten: dict[str, str] = {}
        self.keep: set[str] = set()

    def __call__(self, original: Any) -> str:
        """The new form of one id (given as it appears in the fixture)."""
        value = str(original)
        if value in self.keep:
            return value
        self.rewritten[value] = f"{value}{self.suffix}"
        return self.rewritten[value]

    def rewrite(self, document: Any) -> Any:
        """A deep copy of a delivery with every platform id (and contact identity) made unique."""
        self.keep |= _accounts(document)
        return self._walk(copy.deepcopy(document), None)

    def sub(self, text: str) -> str:
        """``text`` with every rewritten id in it replaced (ids are matched whole, never inside another)."""
        if not self.rewritten:
            return text
        keys = sorted(self.rewritten, key=len, reverse=True)
        pattern = re.compile(r"(?<![\w.=])(" + "|".join(map(re.escape, keys)) + r")(?![\w.=])")
        return pattern.sub(lambda found: self.rewritten[found.group(1)], text)

    def _walk(self, node: Any, key: str | None) -> Any:
        if isinstance(node, dict):
            if "identity" in node and "channel" in node:  # a contact event's customer
                node["identity"] = self.identity(node["channel"], node["identity"])
            by_user_id = key == "users"  # X lists the people of a DM by their ids
            return {
                (self(name) if by_user_id else name): self._walk(value, name) for name, value in node.items()
            }
        if isinstance(node, list):
            return [self._walk(item, key) for item in node]
        if key in ID_KEYS and isinstance(node, str | int) and not isinstance(node, bool):
            new = self(node)
            return int(new) if isinstance(node, int) else new
        return node

    def identity(self, channel: str, identity: str) -> str:
        """A contact event's customer identity made unique (before Kanal normalises it)."""
        if channel == "email":
            local, _, domain = identity.partition("@")
            return f"{local}{self.suffix}@{domain}"
        return f"{identity}{self.suffix}"


def fixture(relative: str, ids: Ids) -> Any:
    """A fixture from tests/events with unique ids."""
    return ids.rewrite(load_event(relative))


def sample(relative: str, ids: Ids) -> tuple[Any, list[Expected]]:
    """A message-carrying fixture with unique ids, and what each of its messages must become."""
    delivery = fixture(relative, ids)
    return delivery, [message.under(ids) for message in MESSAGES[relative]]


def source_of(relative: str) -> str:
    """The webhook a fixture is posted to: its folder under tests/events."""
    return relative.split("/", 1)[0]


# -------------------------------------------------------------------------------------------- sending


def encode(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def signed_headers(source: str, body: bytes, secret: str | None = None) -> dict[str, str]:
    """The headers the platform sends: its signature (contact events: with the timestamp, now)."""
    if source == "contact-events":
        signed = contact_events_headers(body, secret or SECRETS[source])
        return {**signed, "Content-Type": "application/json"}
    signature = SIGNERS[source](body, secret or SECRETS[source])
    return {SIGNATURE_HEADERS[source]: signature, "Content-Type": "application/json"}


def deliver(
    http: requests.Session, local: Any, source: str, document: Any, headers: dict[str, str] | None = None
) -> requests.Response:
    """POST a delivery (a JSON document or raw bytes) to its webhook, signed as the platform signs it."""
    body = document if isinstance(document, bytes) else encode(document)
    chosen = signed_headers(source, body) if headers is None else headers
    return http.post(f"{local.url}/webhooks/{source}", data=body, headers=chosen, timeout=30)


def accepted(response: requests.Response) -> int:
    assert response.status_code == 200, response.text
    return int(response.json()["accepted"])


# ----------------------------------------------------------------------------------------- the tables

_deserializer = TypeDeserializer()


def _plain(item: dict[str, Any] | None) -> dict[str, Any] | None:
    return {name: _deserializer.deserialize(value) for name, value in item.items()} if item else None


def _get(local: Any, table_variable: str, key: dict[str, str]) -> dict[str, Any] | None:
    dynamodb = local.stack.client("dynamodb")
    response = dynamodb.get_item(
        TableName=local.stack.environment[table_variable],
        Key={name: {"S": value} for name, value in key.items()},
        ConsistentRead=True,
    )
    return _plain(response.get("Item"))


def stored_message(local: Any, channel: str, external_id: str) -> dict[str, Any] | None:
    return _get(local, "KANAL_MESSAGES_TABLE", {"key": f"{channel}#{external_id}"})


def wait_for_message(local: Any, channel: str, external_id: str, timeout: float = 20) -> dict[str, Any]:
    return eventually(lambda: stored_message(local, channel, external_id), timeout=timeout)


def stored_inquiry(local: Any, inquiry_id: str) -> dict[str, Any] | None:
    return _get(local, "KANAL_INQUIRIES_TABLE", {"id": inquiry_id})


def inquiries_of(local: Any, channel: str, external_id: str) -> list[dict[str, Any]]:
    """Every stored inquiry opened by this platform message (a test-only scan; the product never scans)."""
    dynamodb = local.stack.client("dynamodb")
    found: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=local.stack.environment["KANAL_INQUIRIES_TABLE"],
        FilterExpression="channel = :channel AND external_id = :external_id",
        ExpressionAttributeValues={":channel": {"S": channel}, ":external_id": {"S": external_id}},
        ConsistentRead=True,
    ):
        found += [_plain(item) for item in page["Items"]]
    return found


def customer_of(local: Any, channel: str, author_id: str) -> str | None:
    from kanal.intake.ingest import identity_key

    kind, value = identity_key(channel, author_id)
    identity = _get(local, "KANAL_CUSTOMERS_TABLE", {"pk": f"IDENT#{kind}#{value}", "sk": "IDENT"})
    return identity["customer_id"] if identity else None


def contacts_of(local: Any, customer_id: str) -> list[dict[str, Any]]:
    """The customer's timeline: their CONTACT items, oldest first."""
    dynamodb = local.stack.client("dynamodb")
    response = dynamodb.query(
        TableName=local.stack.environment["KANAL_CUSTOMERS_TABLE"],
        KeyConditionExpression="pk = :pk AND begins_with(sk, :contact)",
        ExpressionAttributeValues={":pk": {"S": f"CUST#{customer_id}"}, ":contact": {"S": "CONTACT#"}},
        ConsistentRead=True,
    )
    return [item for item in map(_plain, response["Items"]) if item]


def settled(local: Any, timeout: float = 20) -> None:
    """Wait until the ingest queue holds nothing, visible or in flight: every enqueued record is done."""
    sqs = local.stack.client("sqs")
    url = local.stack.outputs["IngestQueueUrl"]
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]

    def empty() -> bool:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        return all(attributes.get(name) == "0" for name in names)

    eventually(empty, timeout=timeout, interval=0.05)


# ------------------------------------------------------------------------------------------- the API


def inquiry_detail(http: requests.Session, local: Any, headers: dict[str, str], inquiry_id: str) -> Any:
    response = http.get(f"{local.url}/api/inquiries/{inquiry_id}", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def listed_inquiry(
    http: requests.Session, local: Any, headers: dict[str, str], inquiry_id: str
) -> dict[str, Any] | None:
    """The inquiry as ``GET /api/inquiries`` lists it, following ``next`` cursors; None when not listed.

    Scoring moves a new inquiry to its place in the queue; a walk through the pages while that happens
    can miss it once, so the walk is repeated for a few seconds before concluding it is not listed.
    """
    deadline = time.monotonic() + 10
    while True:
        found = _walk_queue(http, local, headers, inquiry_id)
        if found is not None or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def _walk_queue(
    http: requests.Session, local: Any, headers: dict[str, str], inquiry_id: str
) -> dict[str, Any] | None:
    cursor: str | None = None
    while True:
        params = {"limit": "100", **({"cursor": cursor} if cursor else {})}
        response = http.get(f"{local.url}/api/inquiries", params=params, headers=headers, timeout=30)
        assert response.status_code == 200, response.text
        page = response.json()
        for item in page["items"]:
            if item["id"] == inquiry_id:
                return item
        cursor = page["next"]
        if not cursor:
            return None


@dataclass(frozen=True)
class Expected:
    """What one customer message must become, with ids as the fixture spells them."""

    channel: str
    external_id: str
    author: str
    visibility: str
    thread_id: str
    text: str

    def under(self, ids: Ids) -> Expected:
        return Expected(
            self.channel,
            ids.sub(self.external_id),
            ids.sub(self.author),
            self.visibility,
            ids.sub(self.thread_id),
            self.text,
        )

    def check(self, view: dict[str, Any]) -> None:
        """An inquiry (API view) shows this message as its own."""
        assert view["channel"] == self.channel
        assert view["external_id"] == self.external_id
        assert view["author"]["id"] == self.author
        assert view["visibility"] == self.visibility
        assert view["thread_id"] == self.thread_id
        assert view["text"] == self.text


class Mention(Expected):
    """An Instagram @mention: ingest reads its text and author from the Graph API, here the channel
    sandbox's made-up comment for the (rewritten) comment id."""

    def under(self, ids: Ids) -> Expected:
        from kanal_local.sandbox import mentioned

        plain = super().under(ids)
        found = mentioned("comment", plain.external_id, IG_ACCOUNT)
        return Expected(
            plain.channel,
            plain.external_id,
            found["from"]["id"],
            plain.visibility,
            plain.thread_id,
            found["text"],
        )


# ------------------------------------------------------------ what each sample delivery must become

PAGE = "104870982355621"
IG_ACCOUNT = "17841405822304914"
WA_NUMBER = "106540352242922"
X_ACCOUNT = "1346889436626259968"

MESSENGER_MID = "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCaPp9yFzJwWvT3cLq1e"
IG_DM_MID = (
    "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1ODIyMzA0OTE0OjM0MDI4MjM2Njg0MTcxMDMwMTI0NDI1OTY0NzI5"
    "OTkxNTc3ODI0NTozMTUxNjg5MzUwNTQ0NTUxMzU3NzAyNzQwNzU4MjE2MTI4MAZDZD"
)
IG_ECHO_MID = (
    "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1ODIyMzA0OTE0OjM0MDI4MjM2Njg0MTcxMDMwMTI0NDI1OTY0NzI5"
    "OTkxNTc3ODI0NTozMTUxNjkwMDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNAZDZD"
)
ANNA, JAMES = "7294618354012367", "5512893746120034"
ANNA_COMMENT = "781236458912345_1198734561239870"
MESSENGER_CUSTOMER = "6829174563219087"
MESSENGER_THREAD = f"{PAGE}:{MESSENGER_CUSTOMER}"
MAREIKE = "2244994945"
DAVID = "1029384756102938475"
WA_BSUID = "DE.7216094835517720394"  # a WhatsApp user who withholds their phone number

# fixture -> every customer message it carries, as the agent API must show it
MESSAGES: dict[str, list[Expected]] = {
    "meta/instagram_comment.json": [
        Expected(
            "instagram",
            "17865799348089039",
            "6754321098765432",
            "public",
            "17865799348089039",
            "Wann kommt das neue Gravelbike endlich in den Shop? Ich warte schon ewig \U0001f60d",
        )
    ],
    "meta/instagram_comment_reply.json": [
        Expected(
            "instagram",
            "17871234598760012",
            "7123409876543210",
            "public",
            "17865799348089039",  # the comment it answers
            "@lena.radelt same question, is it shipping to the UK as well?",
        )
    ],
    "meta/instagram_dm.json": [
        Expected(
            "instagram",
            IG_DM_MID,
            "7123409876543210",
            "private",
            f"{IG_ACCOUNT}:7123409876543210",
            "Hi! My order hasn't arrived yet, can you check the status please? It's order 48877.",
        )
    ],
    # Meta sends only the ids of a mention; ingest fetches its text and author from the Graph API
    "meta/instagram_mention.json": [
        Mention(
            "instagram",
            "17894227972186120",
            "unresolved:17894227972186120",
            "public",
            "17894227972186120",
            "",
        )
    ],
    "meta/messenger_attachment.json": [
        Expected(
            "messenger",
            "m_Qw8xYk3LmN2pR5sT7uV9wX1zA4bC6dE8fG0hJ2kL4mN6pQ",
            MESSENGER_CUSTOMER,
            "private",
            MESSENGER_THREAD,
            "",
        )
    ],
    # an edit of a message Kanal never saw is taken in as the message
    "meta/messenger_message_edit.json": [
        Expected(
            "messenger",
            MESSENGER_MID,
            MESSENGER_CUSTOMER,
            "private",
            MESSENGER_THREAD,
            "Hallo, ich habe eine Frage zu meiner Rechnung Nr. 2024-1178. Können Sie mir helfen?",
        )
    ],
    "meta/messenger_postback.json": [
        Expected(
            "messenger",
            "m_Zx9cVb8nM7aS6dF5gH4jK3lQ2wE1rT0yU9iO8pA7sD6fG",
            MESSENGER_CUSTOMER,
            "private",
            MESSENGER_THREAD,
            "Mit dem Support sprechen",
        )
    ],
    "meta/messenger_standby_message.json": [
        Expected(
            "messenger",
            "m_Stby7Qw2Er4Ty6Ui8Op0As2Df4Gh6Jk8Lz0Xc2Vb4Nm6Q",
            MESSENGER_CUSTOMER,
            "private",
            MESSENGER_THREAD,
            "Hallo? Ist da noch jemand? Ich warte seit einer Stunde.",
        )
    ],
    "meta/messenger_text.json": [
        Expected(
            "messenger",
            MESSENGER_MID,
            MESSENGER_CUSTOMER,
            "private",
            MESSENGER_THREAD,
            "Hallo, ich habe eine Frage zu meiner Rechnung Nr. 2024-1187. Können Sie mir helfen?",
        )
    ],
    # a reaction and a share ride along and are dropped
    "meta/page_feed_batched.json": [
        Expected(
            "facebook",
            "781236458912345_1198734561240399",
            "3987120456611234",
            "public",
            "781236458912345_1198734561240399",
            "Gibt es das Trekkingrad auch in Rahmengröße 60? Ich finde es nicht im Shop.",
        ),
        Expected(
            "facebook",
            f"{PAGE}_781301122334455",
            "4410982376651208",
            "public",
            f"{PAGE}_781301122334455",
            "The chain broke after two rides, see the photo. This is not the quality I paid for!",
        ),
        Expected(
            "messenger",
            "m_7dGfQk2h9Z1KpX0w3vB8cYtR5uNmLsEaJqHiOpWzVyXbC",
            MESSENGER_CUSTOMER,
            "private",
            MESSENGER_THREAD,
            "Sind Sie am Samstag geöffnet?",
        ),
    ],
    "meta/page_feed_comment_add.json": [
        Expected(
            "facebook",
            ANNA_COMMENT,
            ANNA,
            "public",
            ANNA_COMMENT,
            "Mein E-Bike ist seit zwei Wochen in der Werkstatt und niemand meldet sich. Was ist da los?",
        )
    ],
    "meta/page_feed_comment_edited.json": [
        Expected(
            "facebook",
            ANNA_COMMENT,
            ANNA,
            "public",
            ANNA_COMMENT,
            "Mein E-Bike ist seit zwei Wochen in der Werkstatt und niemand meldet sich. "
            "Auftrag 55-1043, bitte um Rückruf!",
        )
    ],
    "meta/page_feed_comment_reply.json": [
        Expected(
            "facebook",
            "781236458912345_1198734561240011",
            JAMES,
            "public",
            ANNA_COMMENT,  # the comment it answers
            "Same here, my order #48213 has been stuck for 10 days and nobody answers the phone.",
        )
    ],
    "meta/page_feed_visitor_post.json": [
        Expected(
            "facebook",
            f"{PAGE}_781299934512378",
            JAMES,
            "public",
            f"{PAGE}_781299934512378",
            "Hello Velora team, I ordered a city bike three weeks ago (order 48213) and still have no "
            "tracking number. Could you please check?",
        )
    ],
    "meta/whatsapp_image_caption.json": [
        Expected(
            "whatsapp",
            "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggRkI0NjE2RDg4QjZCQjJBOTQ1RTA1QjJEQjdGQTFDNjQA",
            "447700900123",
            "private",
            f"{WA_NUMBER}:447700900123",
            "The frame arrived with this scratch. I would like a replacement please.",
        )
    ],
    "meta/whatsapp_text.json": [
        Expected(
            "whatsapp",
            "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYIDNBMDU0RjQ4QkQ2NzM3QjA4MkI0QjQ0RjY1MzU0NUE0AA==",
            "4915112345678",
            "private",
            f"{WA_NUMBER}:4915112345678",
            "Guten Tag, meine Bestellung 48991 ist beschädigt angekommen. Was kann ich tun?",
        )
    ],
    # a WhatsApp user with a username, named only by their business-scoped user id
    "meta/whatsapp_text_bsuid.json": [
        Expected(
            "whatsapp",
            "wamid.HBgVREUuNzIxNjA5NDgzNTUxNzcyMDM5NBUCABIYIDRGMkE5QzE3RDBCMzY1RTg4QTcxQjQ0RjBFNTU2N0IzAA==",
            WA_BSUID,
            "private",
            f"{WA_NUMBER}:{WA_BSUID}",
            "Hallo, mein Lastenrad macht seit der Inspektion ein Klackgeräusch beim Bremsen. Können Sie "
            "mir einen Termin geben?",
        )
    ],
    "x/dm.json": [
        Expected(
            "x",
            "1783490001234567890",
            MAREIKE,
            "private",
            f"dm:{X_ACCOUNT}-{MAREIKE}",
            "Hallo! Meine Rechnungsnummer ist RE-2024-07731. Der Akku ist erst 8 Monate alt.",
        )
    ],
    # X's HTML escaping undone, as in tweets
    "x/dm_escaped.json": [
        Expected(
            "x",
            "1783490557712345678",
            DAVID,
            "private",
            f"dm:{DAVID}-{X_ACCOUNT}",
            "Order 48213: frame & fork arrived, but the bill says <unpaid> & I paid in full -> please check",
        )
    ],
    "x/mention_tweet.json": [
        Expected(
            "x",
            "1783469921451061248",
            MAREIKE,
            "public",
            "1783469921451061248",
            "@velora_support Mein Akku lädt seit gestern nicht mehr. Ist das ein Garantiefall? "
            "Rechnung habe ich noch.",
        )
    ],
    "x/quote_tweet.json": [
        Expected(
            "x",
            "1783480011122233344",
            "887766554433221100",
            "public",
            "1783401234567890123",  # the quoted tweet
            "Vorbestellt am Montag, Liefertermin wurde jetzt zweimal verschoben. Sehr ärgerlich, "
            "@velora_support!",
        )
    ],
    # the full text of a long tweet, with X's HTML escaping undone
    "x/reply_tweet.json": [
        Expected(
            "x",
            "1783475540123456789",
            "1029384756102938475",
            "public",
            "1783470011223344556",  # the tweet it answers
            "@velora_support Thanks, but I still haven't had a reply to my e-mail & it's been a week. "
            "Order 48213, city bike, paid in full. If nobody gets back to me by Friday I'll cancel the "
            "order and ask my bank for a chargeback.",
        )
    ],
}

# fixture -> (channel, platform ids that must not be stored, people who must not become customers)
NO_CUSTOMER_MESSAGE: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "meta/instagram_dm_echo.json": ("instagram", (IG_ECHO_MID,), ("7123409876543210",)),
    "meta/messenger_delivery_read.json": (
        "messenger",
        ("m_Echo4h2Kd9sLq3Xw7Vb1Nz5Rt8Yp0Mc6Ja2Fg4Hs6Dk8Lm",),
        (MESSENGER_CUSTOMER,),
    ),
    "meta/messenger_echo.json": (
        "messenger",
        ("m_Echo4h2Kd9sLq3Xw7Vb1Nz5Rt8Yp0Mc6Ja2Fg4Hs6Dk8Lm",),
        (MESSENGER_CUSTOMER,),
    ),
    "meta/messenger_pass_thread_control.json": ("messenger", (), (MESSENGER_CUSTOMER,)),
    # conversations changing hands with nothing held: nobody becomes a customer
    "meta/messenger_take_thread_control.json": ("messenger", (), (MESSENGER_CUSTOMER,)),
    "meta/messenger_request_thread_control.json": ("messenger", (), (MESSENGER_CUSTOMER,)),
    "meta/instagram_pass_thread_control.json": ("instagram", (), ("7123409876543210",)),
    # removing a comment Kanal never stored
    "meta/page_feed_comment_remove.json": ("facebook", (ANNA_COMMENT,), (ANNA,)),
    "meta/page_feed_own_comment.json": ("facebook", ("781236458912345_1198734561240158",), ()),
    "meta/whatsapp_status.json": (
        "whatsapp",
        ("wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjM2RDQ3RTk1QjY1NUYyQkM1NwA=",),
        ("4915112345678",),
    ),
    "x/dm_own.json": ("x", ("1783491122334455667",), (MAREIKE,)),
    "x/favorite.json": ("x", ("1783472210987654144",), (MAREIKE,)),
    "x/own_tweet.json": ("x", ("1783472210987654144",), (MAREIKE,)),
    "x/retweet.json": ("x", ("1783481234098765432", "1783401234567890123"), ("887766554433221100",)),
    # deleting a tweet Kanal never stored
    "x/tweet_delete.json": ("x", ("1783488234567890123",), ("887766554433221100",)),
}

# contact-events fixture -> every event: (identity channel, identity as Kanal normalises it, kind, event id)
CONTACTS: dict[str, list[tuple[str, str, str, str]]] = {
    "contact-events/call.json": [("phone", "+4915112345678{s}", "call", "hotline-2024-04-25-000731")],
    "contact-events/email.json": [("email", "james.carter{s}@example.co.uk", "email", "crm-mail-88412")],
    "contact-events/order.json": [("email", "james.carter{s}@example.co.uk", "order", "order-48213")],
    "contact-events/batch.json": [
        ("phone", "+493090182017{s}", "call", "hotline-2024-04-25-000744"),
        ("whatsapp", "4915112345678{s}", "order", "order-48991"),
        ("crm", "CUST-20918{s}", "visit", "store-berlin-2024-04-24-17"),
    ],
}

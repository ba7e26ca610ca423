"""The traffic `kanal load` sends: signed platform deliveries, mixed as a company's social care sees them.

Each delivery is one of the sample payloads in `tests/events/` with fresh platform ids, a customer, a text
(German or English) and a time of now, signed as the platform signs it (`kanal_local.signing`):

- channels in the shares of `MIX`: Facebook comments, Messenger, Instagram comments and DMs, WhatsApp,
  X mentions and DMs, and e-mail where the target can receive it (the local stack's `POST /local/email`,
  which stores the raw mail and notifies the topic as SES receiving does);
- repeat contacts: a share of deliveries come from a customer who wrote before on that channel (in a DM
  channel the same conversation, so the message joins the open inquiry);
- influencers: on X, whose deliveries carry the author's follower count, a share of authors have six-
  figure followings (Account Activity API, the user object's `followers_count`:
  docs.x.com/x-api/enterprise-gnip-2.0/fundamentals/account-activity);
- duplicates: platforms deliver again what they think was not acknowledged (Meta retries a delivery that
  did not get a 200, developers.facebook.com/docs/graph-api/webhooks/getting-started, "Webhooks
  Delivery Retry"; X likewise, with its CRC), so a share of deliveries is the very same body sent twice;
- poison (optional): an Instagram @mention whose Graph API lookup the channel sandbox keeps answering
  without the mention, so ingest fails on it until the queue dead-letters it.

`Traffic` is deterministic for a seed: the same seed gives the same mix, customers and texts; only the
ids' run prefix and the times differ. It knows, for every delivery, which messages it carries (the keys
they are stored under and the record keys the dead-letter queue names), which is what the books check.
"""

from __future__ import annotations

import copy
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime
from typing import Any

from kanal_local.signing import sign_meta, sign_x
from kanal_local.template import ROOT

EVENTS = ROOT / "tests" / "events"
PAGE = "104870982355621"
IG_ACCOUNT = "17841405822304914"
X_ACCOUNT = "1346889436626259968"


@dataclass(frozen=True)
class Kind:
    """One kind of delivery: its webhook, channel, visibility, share of the traffic and sample payload."""

    name: str
    source: str  # the webhook: meta | x | email
    channel: str
    visibility: str
    share: float
    fixture: str
    conversation: bool = False  # a DM channel: a repeat contact continues the same conversation


# Shares of a consumer brand's inbound social care (an assumption to change here, not a measurement):
# Facebook and Instagram carry most public traffic, Messenger and WhatsApp most private.
MIX: tuple[Kind, ...] = (
    Kind("facebook comment", "meta", "facebook", "public", 0.22, "meta/page_feed_comment_add.json"),
    Kind("messenger", "meta", "messenger", "private", 0.18, "meta/messenger_text.json", True),
    Kind("instagram comment", "meta", "instagram", "public", 0.16, "meta/instagram_comment.json"),
    Kind("instagram dm", "meta", "instagram", "private", 0.10, "meta/instagram_dm.json", True),
    Kind("whatsapp", "meta", "whatsapp", "private", 0.17, "meta/whatsapp_text.json", True),
    Kind("x mention", "x", "x", "public", 0.09, "x/mention_tweet.json"),
    Kind("x dm", "x", "x", "private", 0.05, "x/dm.json", True),
    Kind("email", "email", "email", "private", 0.03, "ses/inquiry.eml", True),
)
POISON_FIXTURE = "meta/instagram_mention.json"

GERMAN_SHARE = 0.6
REPEAT_SHARE = 0.2
INFLUENCER_SHARE = 0.03
DUPLICATE_SHARE = 0.03
INFLUENCER_FOLLOWERS = (120_000, 2_400_000)

# (German, English) by what customers write about during a campaign or an outage.
TEXTS: tuple[tuple[str, str], ...] = (
    (
        "Wo bleibt meine Bestellung {n}? Seit einer Woche keine Info.",
        "Where is my order {n}? No update for a week.",
    ),
    (
        "Die App stürzt seit dem Update ständig ab. Bitte helfen!",
        "The app keeps crashing since the update. Please help!",
    ),
    ("Ich möchte mein Abo kündigen, wie geht das?", "I want to cancel my subscription, how do I do that?"),
    (
        "Totaler Ausfall bei euch? Ich komme nicht mehr ins Konto.",
        "Are you down? I can't log into my account any more.",
    ),
    (
        "Rechnung {n} ist doppelt abgebucht worden. Ich will mein Geld zurück.",
        "Invoice {n} was charged twice. I want a refund.",
    ),
    (
        "Gibt es das Angebot aus der TV-Werbung auch online?",
        "Is the offer from the TV ad available online too?",
    ),
    ("Super Aktion, danke! Wann kommt die nächste?", "Great campaign, thanks! When is the next one?"),
    ("Das ist Betrug, ich schalte meinen Anwalt ein.", "This is fraud, I am calling my lawyer."),
    ("Mein Gutscheincode {n} funktioniert nicht.", "My voucher code {n} does not work."),
    ("Wie lange dauert die Lieferung nach Österreich?", "How long does delivery to the UK take?"),
)


@dataclass(frozen=True)
class Message:
    """One customer message a delivery carries: where it is stored, and how the queue's records name it."""

    channel: str
    external_id: str
    record_key: str

    @property
    def key(self) -> str:
        """The message's key in the messages table."""
        return f"{self.channel}#{self.external_id}"


@dataclass(frozen=True)
class Delivery:
    index: int
    kind: str
    source: str
    channel: str
    visibility: str
    language: str
    body: bytes
    messages: tuple[Message, ...]
    customer: str
    repeat: bool = False
    influencer: bool = False
    duplicate_of: int | None = None  # the index of the delivery this one repeats, byte for byte
    poison: bool = False

    def headers(self, secrets: dict[str, str]) -> dict[str, str]:
        """The request headers the platform sends, signed with the target's secrets."""
        if self.source == "meta":
            return {
                "Content-Type": "application/json",
                "X-Hub-Signature-256": sign_meta(self.body, secrets["meta"]),
            }
        if self.source == "x":
            return {
                "Content-Type": "application/json",
                "x-twitter-webhooks-signature": sign_x(self.body, secrets["x"]),
            }
        return {"Content-Type": "message/rfc822"}

    @property
    def path(self) -> str:
        return "/local/email" if self.source == "email" else f"/webhooks/{self.source}"


@dataclass
class _Customer:
    id: str
    name: str
    handle: str
    language: str
    followers: int
    influencer: bool
    thread: str | None = None  # the conversation's first message (e-mail: its Message-ID)


def _fixtures() -> dict[str, Any]:
    loaded: dict[str, Any] = {}
    for kind in MIX:
        path = EVENTS / kind.fixture
        loaded[kind.fixture] = (
            path.read_bytes() if path.suffix == ".eml" else json.loads(path.read_text("utf-8"))
        )
    loaded[POISON_FIXTURE] = json.loads((EVENTS / POISON_FIXTURE).read_text("utf-8"))
    return loaded


@dataclass
class Traffic:
    """Deliveries one after the other; `next()` gives the next one."""

    seed: int = 1
    run: int = field(default_factory=lambda: int(time.time()) % 100_000)
    email: bool = True  # the target receives e-mail (the local stack)
    repeat_share: float = REPEAT_SHARE
    influencer_share: float = INFLUENCER_SHARE
    duplicate_share: float = DUPLICATE_SHARE
    sent: list[Delivery] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._fixtures = _fixtures()
        self._serial = 0
        self._customers: dict[str, list[_Customer]] = {}
        kinds = [k for k in MIX if self.email or k.source != "email"]
        total = sum(k.share for k in kinds)
        self.kinds = kinds
        self._weights = [k.share / total for k in kinds]

    # ------------------------------------------------------------------------------------------ ids

    def _id(self, digits: int = 15) -> str:
        """A numeric platform id, unique in this run and across runs (run prefix, then a serial)."""
        self._serial += 1
        return f"9{self.run:05d}{self._serial:0{digits - 6}d}"

    def _customer(self, kind: Kind) -> tuple[_Customer, bool]:
        known = self._customers.setdefault(kind.name, [])
        if known and self._random.random() < self.repeat_share:
            return self._random.choice(known), True
        language = "de" if self._random.random() < GERMAN_SHARE else "en"
        influencer = kind.source == "x" and self._random.random() < self.influencer_share
        followers = (
            self._random.randint(*INFLUENCER_FOLLOWERS) if influencer else self._random.randint(3, 4000)
        )
        number = self._id()
        first = self._random.choice(
            ["Anna", "Jonas", "Mia", "Lukas", "Emma", "Noah", "Lea", "Ben", "Sophie", "Tom"]
        )
        customer = _Customer(
            number,
            f"{first} Kunde{number[-4:]}",
            f"{first.lower()}_{number[-6:]}",
            language,
            followers,
            influencer,
        )
        known.append(customer)
        return customer, False

    def _text(self, language: str) -> str:
        german, english = self._random.choice(TEXTS)
        return (german if language == "de" else english).format(n=self._random.randint(10_000, 99_999))

    # ----------------------------------------------------------------------------------- deliveries

    def next(self) -> Delivery:
        index = len(self.sent)
        if self.sent and self._random.random() < self.duplicate_share:
            original = self._random.choice(self.sent[-50:])
            if original.duplicate_of is None and not original.poison:
                delivery = Delivery(
                    index,
                    original.kind,
                    original.source,
                    original.channel,
                    original.visibility,
                    original.language,
                    original.body,
                    original.messages,
                    original.customer,
                    original.repeat,
                    original.influencer,
                    duplicate_of=original.index,
                )
                self.sent.append(delivery)
                return delivery
        kind = self._random.choices(self.kinds, self._weights)[0]
        customer, repeat = self._customer(kind)
        text = self._text(customer.language)
        body, message = getattr(self, "_" + kind.name.replace(" ", "_"))(customer, text)
        if kind.conversation and customer.thread is None:
            customer.thread = message.external_id
        delivery = Delivery(
            index,
            kind.name,
            kind.source,
            kind.channel,
            kind.visibility,
            customer.language,
            body,
            (message,),
            customer.id,
            repeat,
            customer.influencer,
        )
        self.sent.append(delivery)
        return delivery

    def poison(self) -> tuple[Delivery, str]:
        """An Instagram @mention and the mention id whose lookup the sandbox must refuse."""
        document = copy.deepcopy(self._fixtures[POISON_FIXTURE])
        entry = document["entry"][0]
        entry["time"] = int(time.time())
        value = entry["changes"][0]["value"]
        value["media_id"], value["comment_id"] = self._id(17), self._id(17)
        message = Message("instagram", value["comment_id"], f"instagram:{value['comment_id']}")
        delivery = Delivery(
            len(self.sent),
            "instagram mention (poison)",
            "meta",
            "instagram",
            "public",
            "en",
            _json(document),
            (message,),
            "unknown",
            poison=True,
        )
        self.sent.append(delivery)
        return delivery, value["comment_id"]

    def _facebook_comment(self, customer: _Customer, text: str) -> tuple[bytes, Message]:
        document = copy.deepcopy(self._fixtures["meta/page_feed_comment_add.json"])
        entry = document["entry"][0]
        value = entry["changes"][0]["value"]
        post = f"{PAGE}_{self._id()}"
        comment = f"{post.split('_')[1]}_{self._id(16)}"
        now = int(time.time())
        entry["time"] = now
        value.update(
            {
                "from": {"id": customer.id, "name": customer.name},
                "message": text,
                "post_id": post,
                "parent_id": post,
                "comment_id": comment,
                "created_time": now,
            }
        )
        value["post"]["id"] = post
        value["post"]["permalink_url"] = f"https://www.facebook.com/{PAGE}/posts/{post.split('_')[1]}"
        return _json(document), Message("facebook", comment, f"facebook:{comment}")

    def _messaging(
        self, fixture: str, channel: str, account: str, customer: _Customer, text: str, mid: str
    ) -> tuple[bytes, Message]:
        document = copy.deepcopy(self._fixtures[fixture])
        entry = document["entry"][0]
        now = int(time.time() * 1000)
        entry["time"] = now
        event = entry["messaging"][0]
        event.update({"sender": {"id": customer.id}, "recipient": {"id": account}, "timestamp": now})
        event["message"] = {"mid": mid, "text": text}
        return _json(document), Message(channel, mid, f"{channel}:{mid}")

    def _messenger(self, customer: _Customer, text: str) -> tuple[bytes, Message]:
        return self._messaging(
            "meta/messenger_text.json", "messenger", PAGE, customer, text, f"m_{self._id(24)}"
        )

    def _instagram_dm(self, customer: _Customer, text: str) -> tuple[bytes, Message]:
        return self._messaging(
            "meta/instagram_dm.json", "instagram", IG_ACCOUNT, customer, text, f"aWdf{self._id(24)}"
        )

    def _instagram_comment(self, customer: _Customer, text: str) -> tuple[bytes, Message]:
        document = copy.deepcopy(self._fixtures["meta/instagram_comment.json"])
        entry = document["entry"][0]
        entry["time"] = int(time.time())
        value = entry["changes"][0]["value"]
        comment = self._id(17)
        value.update({"from": {"id": customer.id, "username": customer.handle}, "id": comment, "text": text})
        value["media"]["id"] = self._id(17)
        return _json(document), Message("instagram", comment, f"instagram:{comment}")

    def _whatsapp(self, customer: _Customer, text: str) -> tuple[bytes, Message]:
        document = copy.deepcopy(self._fixtures["meta/whatsapp_text.json"])
        value = document["entry"][0]["changes"][0]["value"]
        phone = "49151" + customer.id[-8:]
        wamid = f"wamid.{self._id(24)}"
        value["contacts"] = [{"profile": {"name": customer.name}, "wa_id": phone}]
        value["messages"] = [
            {
                "from": phone,
                "id": wamid,
                "timestamp": str(int(time.time())),
                "type": "text",
                "text": {"body": text},
            }
        ]
        return _json(document), Message("whatsapp", wamid, f"whatsapp:{wamid}")

    def _x_user(self, customer: _Customer, user: dict[str, Any]) -> dict[str, Any]:
        user = {**user, "id": int(customer.id), "id_str": customer.id, "name": customer.name}
        user.update(
            {
                "screen_name": customer.handle,
                "followers_count": customer.followers,
                "verified": customer.influencer,
            }
        )
        return user

    def _x_mention(self, customer: _Customer, text: str) -> tuple[bytes, Message]:
        document = copy.deepcopy(self._fixtures["x/mention_tweet.json"])
        tweet = document["tweet_create_events"][0]
        tweet_id = self._id(19)
        now = time.time()
        tweet.update(
            {
                "id": int(tweet_id),
                "id_str": tweet_id,
                "text": f"@velora_support {text}",
                "timestamp_ms": str(int(now * 1000)),
                "lang": customer.language,
                "created_at": time.strftime("%a %b %d %H:%M:%S +0000 %Y", time.gmtime(now)),
            }
        )
        tweet["user"] = self._x_user(customer, tweet["user"])
        return _json(document), Message("x", tweet_id, f"x:{tweet_id}")

    def _x_dm(self, customer: _Customer, text: str) -> tuple[bytes, Message]:
        document = copy.deepcopy(self._fixtures["x/dm.json"])
        event = document["direct_message_events"][0]
        event_id = self._id(19)
        event.update({"id": event_id, "created_timestamp": str(int(time.time() * 1000))})
        event["message_create"]["sender_id"] = customer.id
        event["message_create"]["message_data"]["text"] = text
        users = document["users"]
        sample = next(u for key, u in users.items() if key != X_ACCOUNT)
        document["users"] = {X_ACCOUNT: users[X_ACCOUNT], customer.id: self._x_user(customer, sample)}
        return _json(document), Message("x", event_id, f"x:dm:{event_id}")

    def _email(self, customer: _Customer, text: str) -> tuple[bytes, Message]:
        sample = BytesParser(policy=policy.default).parsebytes(self._fixtures["ses/inquiry.eml"])
        message = EmailMessage()
        message_id = f"{self._id(20)}@example.de"
        address = f"{customer.handle}@example.de"
        message["Return-Path"] = f"<{address}>"
        message["From"] = f'"{customer.name}" <{address}>'
        message["To"] = str(sample["To"])
        message["Subject"] = text[:60]
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = f"<{message_id}>"
        if customer.thread is not None:  # a repeat contact answers in the same conversation
            message["In-Reply-To"] = f"<{customer.thread}>"
            message["References"] = f"<{customer.thread}>"
        message.set_content(text)
        return message.as_bytes(), Message("email", message_id, f"email:{message_id}")


def _json(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def mix_of(deliveries: list[Delivery]) -> dict[str, Any]:
    """What a run sent, counted: by kind, language, visibility, and the repeats, influencers, duplicates."""
    return {
        "deliveries": len(deliveries),
        "by_kind": dict(Counter(d.kind for d in deliveries).most_common()),
        "by_language": dict(Counter(d.language for d in deliveries if not d.poison)),
        "by_visibility": dict(Counter(d.visibility for d in deliveries if not d.poison)),
        "repeat_contacts": sum(1 for d in deliveries if d.repeat and d.duplicate_of is None),
        "influencers": sum(1 for d in deliveries if d.influencer and d.duplicate_of is None),
        "duplicates": sum(1 for d in deliveries if d.duplicate_of is not None),
        "poison": sum(1 for d in deliveries if d.poison),
    }


__all__ = ["MIX", "Delivery", "Kind", "Message", "Traffic", "mix_of"]

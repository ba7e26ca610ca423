"""Handover to a private chat on in-memory adapters: the choice of path, the windows, and what is sent and
stored (nothing when refused)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from kanal.channels.outbound import DeliveryFailed, Outbound, Sent
from kanal.channels.outbound.x import DirectMessagesClosed
from kanal.conversation.handover import Handover, PrivateRequest, conversation_key, texts, x_dm_thread
from kanal.conversation.private_path import (
    ALREADY_HANDED_OVER,
    ALREADY_PRIVATE,
    DM_NOT_ACCEPTED,
    MENTION,
    NO_PRIVATE_PATH,
    OWN_MESSAGE,
    WINDOW_CLOSED,
    HandoverRefused,
    Path,
    plan,
)
from kanal.conversation.replies import Replies, ReplyRequest
from kanal.intake.ingest import thread_key
from kanal.model import Author, Channel, Direction, InboundMessage, Inquiry, Message, Status, Visibility

NOW = datetime.now(UTC)
PAGE, IG, BRAND_X = "page-1", "ig-1", "x-brand"
CUSTOMER = Author("anna-1", "Anna")


def inquiry(channel: Channel, account: str, **changes: object) -> Inquiry:
    base = Inquiry(
        id="inq-1",
        channel=channel,
        external_id="c-1",
        author=CUSTOMER,
        text="Hilfe",
        visibility=Visibility.PUBLIC,
        thread_id="c-1",
        account_id=account,
        customer_id="cust-1",
        created_at=NOW - timedelta(hours=1),
        received_at=NOW - timedelta(hours=1),
        status=Status.ASSIGNED,
        language="de",
        assignee="jonas",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def comment(channel: Channel, age: timedelta = timedelta(hours=1), **changes: object) -> Message:
    base = Message(
        "inq-1",
        channel,
        "c-1",
        Direction.IN,
        CUSTOMER,
        "Hilfe",
        Visibility.PUBLIC,
        NOW - age,
        parent_id="post-1",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------- private_path.plan()


@pytest.mark.parametrize(
    ("channel", "account", "path"),
    [
        (Channel.FACEBOOK, PAGE, Path.FACEBOOK_PRIVATE_REPLY),
        (Channel.INSTAGRAM, IG, Path.INSTAGRAM_PRIVATE_REPLY),
        (Channel.X, BRAND_X, Path.X_DM),
    ],
)
def test_each_public_channel_has_its_own_private_path(channel, account, path):
    chosen = plan(inquiry(channel, account), comment(channel), NOW, email=None)
    assert chosen.path is path


def test_the_platforms_private_path_comes_before_a_known_e_mail_address():
    chosen = plan(inquiry(Channel.FACEBOOK, PAGE), comment(Channel.FACEBOOK), NOW, email="anna@example.de")
    assert chosen.path is Path.FACEBOOK_PRIVATE_REPLY and chosen.channel is Channel.MESSENGER


@pytest.mark.parametrize("channel", [Channel.FACEBOOK, Channel.INSTAGRAM])
def test_a_private_reply_is_open_for_7_days_after_the_comment(channel):
    target = inquiry(channel, PAGE)
    just_in = comment(channel, age=timedelta(days=7) - timedelta(minutes=1))
    assert plan(target, just_in, NOW, None).path in (
        Path.FACEBOOK_PRIVATE_REPLY,
        Path.INSTAGRAM_PRIVATE_REPLY,
    )
    with pytest.raises(HandoverRefused) as refused:
        plan(target, comment(channel, age=timedelta(days=7, minutes=1)), NOW, None)
    assert refused.value.reason == WINDOW_CLOSED
    assert (
        str(refused.value) == "7-day private-reply window closed; reply publicly or ask for an e-mail address"
    )
    assert refused.value.options == ["public_reply", "ask_for_email"]


def test_a_closed_window_falls_back_to_a_known_e_mail_address():
    old = comment(Channel.FACEBOOK, age=timedelta(days=9))
    chosen = plan(inquiry(Channel.FACEBOOK, PAGE), old, NOW, email="anna@example.de")
    assert (chosen.path, chosen.email) == (Path.EMAIL, "anna@example.de")


@pytest.mark.parametrize(
    ("target", "the_inquiry", "reason"),
    [
        (comment(Channel.FACEBOOK, direction=Direction.OUT), inquiry(Channel.FACEBOOK, PAGE), OWN_MESSAGE),
        (comment(Channel.FACEBOOK, author=Author(PAGE)), inquiry(Channel.FACEBOOK, PAGE), OWN_MESSAGE),
        (
            comment(Channel.FACEBOOK, private_reply="m_1"),
            inquiry(Channel.FACEBOOK, PAGE),
            ALREADY_HANDED_OVER,
        ),
        (
            comment(Channel.FACEBOOK),
            inquiry(Channel.FACEBOOK, PAGE, private_thread_key="cust-1#messenger#page-1:psid"),
            ALREADY_PRIVATE,
        ),
        (
            comment(Channel.MESSENGER, visibility=Visibility.PRIVATE),
            inquiry(Channel.MESSENGER, PAGE, visibility=Visibility.PRIVATE),
            ALREADY_PRIVATE,
        ),
        (comment(Channel.INSTAGRAM, mentions_account=True), inquiry(Channel.INSTAGRAM, IG), MENTION),
    ],
    ids=["outbound", "the-pages-own", "second-handover", "handed-over", "messenger", "ig-mention"],
)
def test_refusals_carry_a_stable_reason_and_the_options_left(target, the_inquiry, reason):
    with pytest.raises(HandoverRefused) as refused:
        plan(the_inquiry, target, NOW, None)
    assert refused.value.reason == reason and refused.value.options and str(refused.value)


def test_an_instagram_mention_goes_by_e_mail_when_the_address_is_known():
    target = comment(Channel.INSTAGRAM, mentions_account=True)
    assert plan(inquiry(Channel.INSTAGRAM, IG), target, NOW, "lena@example.de").path is Path.EMAIL


def test_whatsapp_or_messenger_without_an_address_have_no_private_path_to_hand_over_to():
    public_whatsapp = comment(Channel.WHATSAPP)  # (never public in practice: the rule is the fallback)
    with pytest.raises(HandoverRefused) as refused:
        plan(inquiry(Channel.WHATSAPP, "wa-1"), public_whatsapp, NOW, None)
    assert refused.value.reason == NO_PRIVATE_PATH


def test_the_private_conversation_is_keyed_as_intake_keys_the_customers_answer():
    dm = InboundMessage(
        Channel.X,
        "dm-1",
        CUSTOMER,
        "hi",
        Visibility.PRIVATE,
        x_dm_thread(BRAND_X, CUSTOMER.id),
        BRAND_X,
        NOW,
        NOW,
    )
    assert conversation_key("cust-1", Channel.X, x_dm_thread(BRAND_X, CUSTOMER.id)) == thread_key(
        "cust-1", dm
    )
    assert x_dm_thread("200", "100") == x_dm_thread("100", "200") == "dm:100-200"


def test_the_default_texts_speak_the_customers_language():
    assert "Nachricht" in texts("de")["public_message"]
    assert texts("en")["public_message"] == "We've sent you a private message."
    assert texts(None) == texts("fr") == texts("en")


# ------------------------------------------------------------------------------------------ Handover


class Store:
    def __init__(self, the_inquiry: Inquiry, messages: list[Message], identities=()) -> None:
        self.inquiry = the_inquiry
        self.messages = list(messages)
        self.identities = list(identities)
        self.linked: dict[tuple[str, str], str] = {}
        self.marks: dict[str, str] = {}
        self.threads: dict[str, str] = {}

    def get_inquiry(self, inquiry_id):
        return self.inquiry if inquiry_id == self.inquiry.id else None

    def messages_of(self, inquiry_id):
        return [replace(m, private_reply=self.marks.get(m.external_id)) for m in self.messages]

    def add_message(self, message, in_reply_to=None):
        self.messages.append(message)

    def identities_of(self, customer_id):
        return self.identities

    def link_identity(self, channel, author, customer_id):
        return self.linked.setdefault((channel, author.id), customer_id)

    def find_customer(self, channel, identity):
        return self.linked.get((channel, identity))

    def mark_private_reply(self, channel, external_id, private_id):
        return self.marks.setdefault(external_id, private_id) == private_id

    def open_private_thread(self, inquiry_id, key):
        self.inquiry = replace(self.inquiry, private_thread_key=key)
        return self.threads.setdefault(key, inquiry_id) == inquiry_id


class Client:
    def __init__(self, *outcomes: Sent | Exception) -> None:
        self.outcomes = list(outcomes)
        self.sent: list[Outbound] = []

    def send(self, outbound: Outbound) -> Sent:
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        self.sent.append(outbound)
        return outcome


class Mailer:
    def __init__(self) -> None:
        self.mails: list[tuple[str, str, str, str]] = []

    def send_message(self, sender, to, subject, text, now):
        self.mails.append((sender, to, subject, text))
        return Sent(f"ses-{len(self.mails)}@eu-central-1.amazonses.com")


class Clock:
    def __init__(self) -> None:
        self.responded_to: list[str] = []

    def responded(self, inquiry_id, at=None, waiting=False):
        self.responded_to.append(inquiry_id)


def service(store: Store, client: Client, mailer: Mailer | None = None, mail_from="service@velora.de"):
    clock, mailer = Clock(), mailer or Mailer()
    handover = Handover(store, lambda channel: client, lambda: mailer, lambda: clock, mail_from)
    return handover, clock, mailer


def test_a_facebook_handover_sends_private_first_links_the_psid_and_opens_its_conversation():
    store = Store(inquiry(Channel.FACEBOOK, PAGE), [comment(Channel.FACEBOOK)])
    client = Client(Sent("m_private", "psid-9", {"private_reply": "true"}), Sent("post-1_reply"))
    handover, clock, _ = service(store, client)
    result = handover.to_private("inq-1", "jonas", PrivateRequest())
    private, public = client.sent
    assert (private.visibility, public.visibility) == (Visibility.PRIVATE, Visibility.PUBLIC)
    assert private.text == texts("de")["private"] and public.text == texts("de")["public_message"]
    assert result["private"]["recipient_id"] == "psid-9" and result["private"]["channel"] == "messenger"
    assert result["public"]["external_id"] == "post-1_reply"
    assert store.linked == {("messenger", "psid-9"): "cust-1"}
    assert store.threads == {"cust-1#messenger#page-1:psid-9": "inq-1"}
    assert [(m.channel, m.visibility, m.direction) for m in store.messages[1:]] == [
        (Channel.MESSENGER, Visibility.PRIVATE, Direction.OUT),
        (Channel.FACEBOOK, Visibility.PUBLIC, Direction.OUT),
    ]
    assert store.marks == {"c-1": "m_private"} and clock.responded_to == ["inq-1"]
    # and a second handover of the same comment is refused before any call
    with pytest.raises(HandoverRefused) as again:
        handover.to_private("inq-1", "jonas", PrivateRequest())
    assert again.value.reason == ALREADY_HANDED_OVER and len(client.sent) == 2


def test_a_refused_window_sends_nothing_and_stores_nothing():
    store = Store(inquiry(Channel.FACEBOOK, PAGE), [comment(Channel.FACEBOOK, age=timedelta(days=8))])
    client = Client()
    handover, clock, mailer = service(store, client)
    with pytest.raises(HandoverRefused) as refused:
        handover.to_private("inq-1", "jonas", PrivateRequest(text="Hallo"))
    assert refused.value.reason == WINDOW_CLOSED
    assert client.sent == [] and mailer.mails == [] and len(store.messages) == 1 and not clock.responded_to


def test_metas_own_refusal_of_a_second_private_reply_is_a_409_too():
    store = Store(inquiry(Channel.FACEBOOK, PAGE), [comment(Channel.FACEBOOK)])
    client = Client(DeliveryFailed("Graph API error 10900: Activity already replied to", code="10900"))
    handover, _, _ = service(store, client)
    with pytest.raises(HandoverRefused) as refused:
        handover.to_private("inq-1", "jonas", PrivateRequest())
    assert refused.value.reason == ALREADY_HANDED_OVER and len(store.messages) == 1


def test_x_refusing_the_dm_falls_back_to_e_mail_and_the_public_answer_says_so():
    store = Store(
        inquiry(Channel.X, BRAND_X, language="en"), [comment(Channel.X)], identities=[("email", "anna@ex.de")]
    )
    client = Client(DirectMessagesClosed("X API error 403", code="http-403:349"), Sent("tweet-2"))
    handover, _, mailer = service(store, client)
    result = handover.to_private("inq-1", "jonas", PrivateRequest())
    assert mailer.mails == [("service@velora.de", "anna@ex.de", "Your message to us", texts("en")["private"])]
    assert result["private"]["channel"] == "email" and result["private"]["path"] == "email"
    assert client.sent[-1].text == "We've sent you an e-mail."
    assert store.threads == {"cust-1#email#ses-1@eu-central-1.amazonses.com": "inq-1"}


def test_x_refusing_the_dm_with_no_address_is_refused_and_nothing_public_is_sent():
    store = Store(inquiry(Channel.X, BRAND_X), [comment(Channel.X)])
    client = Client(DirectMessagesClosed("X API error 403", code="http-403:349"), Sent("tweet-2"))
    handover, clock, _ = service(store, client)
    with pytest.raises(HandoverRefused) as refused:
        handover.to_private("inq-1", "jonas", PrivateRequest())
    assert refused.value.reason == DM_NOT_ACCEPTED and "ask_for_email" in refused.value.options
    assert client.sent == [] and len(store.messages) == 1 and not clock.responded_to


def test_without_a_company_address_no_e_mail_is_chosen():
    store = Store(
        inquiry(Channel.FACEBOOK, PAGE),
        [comment(Channel.FACEBOOK, age=timedelta(days=8))],
        identities=[("email", "anna@ex.de")],
    )
    handover, _, mailer = service(store, Client(), mail_from=None)
    with pytest.raises(HandoverRefused) as refused:
        handover.to_private("inq-1", "jonas", PrivateRequest())
    assert refused.value.reason == WINDOW_CLOSED and mailer.mails == []


# ------------------------------------------------------------------------------------------ replies after


class ReplyStore:
    def __init__(self, the_inquiry: Inquiry, messages: list[Message]) -> None:
        self.inquiry, self.messages = the_inquiry, messages

    def get_inquiry(self, inquiry_id):
        return self.inquiry

    def messages_of(self, inquiry_id):
        return self.messages

    def add_message(self, message, in_reply_to=None):
        self.messages.append(message)


@pytest.mark.parametrize(
    ("channel", "author", "account"),
    [
        (Channel.MESSENGER, Author("psid-9"), PAGE),
        (Channel.EMAIL, Author("anna@ex.de"), "service@velora.de"),
    ],
)
def test_a_reply_after_the_handover_goes_on_the_channel_the_customer_now_writes_on(channel, author, account):
    dm = Message("inq-1", channel, "dm-1", Direction.IN, author, "Danke", Visibility.PRIVATE, NOW)
    store = ReplyStore(inquiry(Channel.FACEBOOK, PAGE), [comment(Channel.FACEBOOK), dm])
    chosen: list[Inquiry] = []
    client = Client(Sent("out-1"))

    def client_for(on: Inquiry, visibility: Visibility) -> Client:
        chosen.append(on)
        return client

    replies = Replies(store, client_for, lambda: Clock(), "service@velora.de")
    replies.reply("inq-1", "jonas", ReplyRequest("Wir sind dran.", None))
    assert (chosen[0].channel, chosen[0].account_id) == (channel, account)
    assert client.sent[0].answering.external_id == "dm-1" and client.sent[0].visibility is Visibility.PRIVATE
    assert store.messages[-1].channel is channel

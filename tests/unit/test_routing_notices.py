"""What agents, leads and on-call are told: band, channel, due time, a link, and nothing personal."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta

import pytest

from kanal.model import Author, Channel, Inquiry, Priority, Reason, Sla, Visibility
from kanal.routing.notices import compose, reference

CONSOLE = "https://care.example.com/console/"
INQUIRY_ID = "01jd8z6q4mnr7w3kx5t2yb9c0e"
LINK = f"https://care.example.com/console/#/inquiries/{INQUIRY_ID}"
RECEIVED = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
DUE = RECEIVED + timedelta(minutes=30)  # 14:30 in Berlin (CET)
DUE_LOCAL = "24.11. 14:30:00"

# What the customer wrote and who they are: none of it may reach a notice.
CUSTOMER_TEXT = "Mein Paket QX-9931 ist kaputt, ich will mein Geld zurück!"
CUSTOMER_NAME = "Hildegard Quenzelmeyer"
CUSTOMER_HANDLE = "quenzel_hq"
CUSTOMER_ID = "+4915112345678"  # a WhatsApp author id is their phone number
PERSONAL = [CUSTOMER_TEXT, "QX-9931", "kaputt", CUSTOMER_NAME, "Quenzelmeyer", CUSTOMER_HANDLE, CUSTOMER_ID]

KINDS = ["assigned", "queued", "warning", "escalation"]
LANGUAGES = ["de", "en"]


def inquiry(channel: Channel = Channel.FACEBOOK, **changes: object) -> Inquiry:
    value = Inquiry(
        id=INQUIRY_ID,
        channel=channel,
        external_id="fb-comment-778812",
        author=Author(CUSTOMER_ID, CUSTOMER_NAME, CUSTOMER_HANDLE, followers=12000, verified=True),
        text=CUSTOMER_TEXT,
        visibility=Visibility.PUBLIC,
        thread_id="fb-post-1",
        account_id="brand-page",
        customer_id="cust-1",
        created_at=RECEIVED,
        received_at=RECEIVED,
        language="de",
        priority=Priority(80, "P1", (Reason("content.refund", "geld zurück", 20),), DUE),
        team="care-de",
        sla=Sla(started_at=RECEIVED, due_at=DUE, warn_at=RECEIVED + timedelta(minutes=24), version=1),
    )
    return replace(value, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("language", "subject", "email", "sms"),
    [
        pytest.param(
            "de",
            "Kanal P1: Neue Anfrage für Sie",
            "Ihnen wurde eine P1-Anfrage (Facebook-Kommentar) zugewiesen.\n"
            f"Fällig: {DUE_LOCAL}\nÖffnen: {LINK}",
            f"Kanal 01JD8Z: Ihnen wurde eine P1-Anfrage (Facebook-Kommentar) zugewiesen. Fällig: {DUE_LOCAL} "
            f"Antworten Sie 1 (01JD8Z), um sie zu übernehmen, oder 2, um sie weiterzugeben. {LINK}",
            id="german",
        ),
        pytest.param(
            "en",
            "Kanal P1: New inquiry for you",
            f"A P1 inquiry (Facebook comment) was assigned to you.\nDue: {DUE_LOCAL}\nOpen: {LINK}",
            f"Kanal 01JD8Z: A P1 inquiry (Facebook comment) was assigned to you. Due: {DUE_LOCAL} "
            f"Reply 1 (01JD8Z) to take it, or 2 to pass it on. {LINK}",
            id="english",
        ),
    ],
)
def test_an_assignment_notice_in_the_agents_language(
    language: str, subject: str, email: str, sms: str
) -> None:
    # Given a P1 Facebook comment due at 14:30 Berlin time
    # When its new owner is told, in their language, by e-mail and by an SMS they can answer
    notice = compose("assigned", inquiry(), "agent-1", language, CONSOLE, asks_reply=True)
    # Then subject, e-mail and SMS name the band, the channel, the due time and the console link
    assert (notice.subject, notice.email, notice.sms) == (subject, email, sms)
    assert (notice.kind, notice.recipient, notice.band) == ("assigned", "agent-1", "P1")
    assert notice.channel == "facebook" and notice.inquiry_id == INQUIRY_ID


EXPECTED_WORDS = {
    "de": {
        "channel": "Facebook-Kommentar",
        "due": f"Fällig: {DUE_LOCAL}",
        "assigned": "zugewiesen",
        "queued": "Team care-de",
        "warning": "läuft bald ab",
        "escalation": "Stufe 2",
    },
    "en": {
        "channel": "Facebook comment",
        "due": f"Due: {DUE_LOCAL}",
        "assigned": "assigned to you",
        "queued": "team care-de",
        "warning": "is close",
        "escalation": "tier 2",
    },
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_notice_names_band_channel_due_time_and_link(kind: str, language: str) -> None:
    # Given a P1 inquiry
    # When any kind of notice is composed
    notice = compose(kind, inquiry(), "lead-1", language, CONSOLE, tier=2)
    words = EXPECTED_WORDS[language]
    # Then the e-mail and the SMS carry band, channel, due time and link, and what happened
    for body in (notice.email, notice.sms):
        for expected in ("P1", words["channel"], words["due"], LINK, words[kind]):
            assert expected in body, (expected, body)
    assert notice.subject.startswith("Kanal P1: ")


def test_the_tier_is_in_the_subject_of_an_escalation() -> None:
    german = compose("escalation", inquiry(), "ops", "de", CONSOLE, tier=2)
    english = compose("escalation", inquiry(), "ops", "en", CONSOLE, tier=1)
    assert german.subject == "Kanal P1: Eskalation Stufe 2" and german.tier == 2
    assert english.subject == "Kanal P1: Escalation tier 1" and english.tier == 1


@pytest.mark.parametrize(
    ("channel", "german", "english"),
    [
        (Channel.EMAIL, "E-Mail", "e-mail"),
        (Channel.WHATSAPP, "WhatsApp", "WhatsApp"),
        (Channel.INSTAGRAM, "Instagram", "Instagram"),
        (Channel.X, "X", "X"),
    ],
)
def test_channels_are_named_in_the_recipients_language(channel: Channel, german: str, english: str) -> None:
    assert f"({german})" in compose("assigned", inquiry(channel), "a", "de", CONSOLE).email
    assert f"({english})" in compose("assigned", inquiry(channel), "a", "en", CONSOLE).email


def test_an_unknown_language_falls_back_to_english() -> None:
    assert compose("warning", inquiry(), "a", "fr", CONSOLE).subject == "Kanal P1: Deadline close"


def test_without_a_clock_or_a_priority_the_notice_says_so_plainly() -> None:
    notice = compose("queued", inquiry(sla=None, priority=None, team=None), "lead-1", "en", CONSOLE)
    assert notice.band == "P4" and "P4 inquiry" in notice.email
    assert "Due:" not in notice.email and "Due:" not in notice.sms
    assert "team -" in notice.email


def test_the_reply_prompt_is_only_in_an_sms_that_asks_for_one() -> None:
    plain = compose("assigned", inquiry(), "a", "en", CONSOLE)
    asking = compose("assigned", inquiry(), "a", "en", CONSOLE, asks_reply=True)
    assert "Reply 1" not in plain.sms and "Reply 1 (01JD8Z)" in asking.sms
    assert "Reply 1" not in asking.email
    assert reference(INQUIRY_ID) == "01JD8Z"


@pytest.mark.parametrize("asks_reply", [False, True], ids=["plain", "asks_reply"])
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("channel", list(Channel))
def test_no_notice_carries_the_customers_text_name_or_handle(
    channel: Channel, kind: str, language: str, asks_reply: bool
) -> None:
    # Given an inquiry with a distinctive text from a customer with a distinctive name, handle and id
    subject = inquiry(channel)
    # When any notice about it is composed
    notice = compose(kind, subject, "agent-1", language, CONSOLE, tier=1, asks_reply=asks_reply)
    # Then none of it appears in the subject, the e-mail or the SMS, nor anywhere else in the notice
    for field in (notice.subject, notice.email, notice.sms, *map(str, asdict(notice).values())):
        for personal in PERSONAL:
            assert personal.casefold() not in field.casefold(), (personal, field)

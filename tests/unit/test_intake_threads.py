"""Bot and human on Messenger and Instagram, on in-memory adapters: which standby messages are held, what a
handover to Kanal makes of them, and passing the conversation back to the bot after the resolve."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from kanal.adapters.threads import Owner
from kanal.channels.outbound import DeliveryFailed
from kanal.intake.ingest import Intake, Outcome
from kanal.intake.threads import FRESH, Apps, ThreadRouting
from kanal.model import Author, Channel, ControlAction, InboundMessage, Status, ThreadControl, Visibility
from tests.fakes import FakeControlApi, FakeOwners, FakeStore, FakeWorkflow, at

KANAL, BOT, PAGE_INBOX = "1517776481860111", "784512309876543", "263902037430900"
PAGE, PSID = "104870982355621", "6829174563219087"
WITH_BOT = Apps(KANAL, BOT)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Desk:
    """Intake with conversation routing on fakes, the way ingest wires it."""

    def __init__(self, apps: Apps = WITH_BOT, answers: dict[str, str | None] | None = None) -> None:
        self.store, self.workflow = FakeStore(), FakeWorkflow()
        self.owners = FakeOwners(self.store)
        self.api = FakeControlApi(answers)
        self.clock = Clock(at(30))
        self.threads = ThreadRouting(
            self.store,
            self.owners,
            apps,
            lambda: self.api,
            self.workflow,
            self.clock,  # type: ignore[arg-type]
        )
        self.intake = Intake(self.store, self.workflow, self.threads)  # type: ignore[arg-type]

    def inquiries_of(self, customer: str = PSID) -> list:
        return [i for i in self.store.inquiries.values() if i.author.id == customer]

    def timeline(self) -> dict[str, str | None]:
        """Each contact's ref -> the inquiry it names (the latest write wins, as in DynamoDB)."""
        return {contact.ref: contact.inquiry_id for _, contact in self.store.contacts}


def dm(mid: str, minute: int, standby: bool = True, customer: str = PSID, **extra) -> InboundMessage:
    values = dict(
        channel=Channel.MESSENGER,
        external_id=mid,
        author=Author(customer),
        text="Ich möchte meine Bestellung stornieren",
        visibility=Visibility.PRIVATE,
        thread_id=f"{PAGE}:{customer}",
        account_id=PAGE,
        created_at=at(minute),
        received_at=at(minute),
        standby=standby,
    )
    values.update(extra)
    return InboundMessage(**values)


def handover(
    new_owner: str | None,
    minute: int,
    previous: str | None = BOT,
    action: ControlAction = ControlAction.PASS,
    metadata: str | None = "Kunde will stornieren, Bestellung 48213",
    customer: str = PSID,
) -> ThreadControl:
    return ThreadControl(Channel.MESSENGER, PAGE, customer, action, at(minute), new_owner, previous, metadata)


# ------------------------------------------------------------------------------ standby messages


def test_standby_messages_while_the_bot_owns_the_conversation_are_held_on_the_timeline_only():
    desk = Desk(answers={PSID: BOT})
    first = desk.intake.ingest(dm("m_1", 1))
    second = desk.intake.ingest(dm("m_2", 2))
    assert first.outcome is second.outcome is Outcome.HELD
    assert desk.inquiries_of() == [] and desk.workflow.started == []
    assert desk.timeline() == {"m_1": None, "m_2": None}  # on the customer's timeline, in no inquiry
    assert desk.api.lookups == [PSID]  # asked Graph once; the answer is kept


def test_a_held_message_delivered_again_is_stored_once():
    desk = Desk(answers={PSID: BOT})
    desk.intake.ingest(dm("m_1", 1))
    assert desk.intake.ingest(dm("m_1", 1)).outcome is Outcome.DUPLICATE
    assert len(desk.store.messages) == 1


@pytest.mark.parametrize("owner", [PAGE_INBOX, "998877665544332", None], ids=["page-inbox", "other", "idle"])
def test_standby_messages_under_any_other_owner_stay_inquiries(owner):
    desk = Desk(answers={PSID: owner})
    result = desk.intake.ingest(dm("m_1", 1))
    assert result.outcome is Outcome.CREATED and desk.workflow.started == [result.inquiry_id]


def test_without_a_bot_standby_messages_are_inquiries_and_graph_is_not_asked():
    desk = Desk(apps=Apps(KANAL, None), answers={PSID: BOT})
    assert desk.intake.ingest(dm("m_1", 1)).outcome is Outcome.CREATED
    assert desk.api.lookups == []


def test_a_message_kanal_receives_as_owner_is_never_held():
    desk = Desk(answers={PSID: BOT})
    assert desk.intake.ingest(dm("m_1", 1, standby=False)).outcome is Outcome.CREATED
    assert desk.api.lookups == []


def test_a_failed_owner_lookup_counts_as_another_owner_and_the_message_becomes_an_inquiry():
    desk = Desk(answers={PSID: BOT})
    desk.api.failure = DeliveryFailed("Graph API error 190", code="190", error_type="OAuthException")
    assert desk.intake.ingest(dm("m_1", 1)).outcome is Outcome.CREATED
    assert desk.owners.owner("messenger", PAGE, PSID) is None  # nothing learnt: the next one asks again


def test_an_owner_learnt_long_ago_is_asked_again():
    desk = Desk(answers={PSID: PAGE_INBOX})
    desk.owners.set_owner("messenger", PAGE, PSID, Owner(BOT, at(0), at(0), "take"))
    desk.clock.now = at(0) + FRESH + timedelta(seconds=1)
    assert desk.intake.ingest(dm("m_1", 1)).outcome is Outcome.CREATED  # the Page Inbox has it now
    assert desk.api.lookups == [PSID]


def test_the_bot_taking_the_conversation_is_known_without_asking_graph():
    desk = Desk()
    desk.threads.handover(handover(BOT, 0, previous=KANAL, action=ControlAction.TAKE))
    assert desk.intake.ingest(dm("m_1", 1)).outcome is Outcome.HELD
    assert desk.api.lookups == []


def test_a_request_for_the_conversation_changes_no_owner():
    desk = Desk()
    desk.threads.handover(handover(None, 0, action=ControlAction.REQUEST))
    assert desk.owners.owner("messenger", PAGE, PSID) is None


def test_a_handover_older_than_the_one_known_changes_nothing():
    desk = Desk()
    desk.threads.handover(handover(BOT, 10, previous=KANAL, action=ControlAction.TAKE))
    desk.threads.handover(handover(PAGE_INBOX, 5, previous=BOT))
    assert desk.owners.owner("messenger", PAGE, PSID).app_id == BOT


# -------------------------------------------------------------------------------- handover to Kanal


def bot_conversation(*minutes: int) -> Desk:
    desk = Desk(answers={PSID: BOT})
    for number, minute in enumerate(minutes, start=1):
        assert (
            desk.intake.ingest(dm(f"m_{number}", minute, text=f"Nachricht {number}")).outcome is Outcome.HELD
        )
    return desk


def test_the_bot_passing_the_conversation_opens_one_inquiry_with_the_held_messages_oldest_first():
    desk = bot_conversation(3, 1, 2)  # delivered out of order
    inquiry_id = desk.threads.handover(handover(KANAL, 5))
    inquiry = desk.store.inquiries[inquiry_id]
    assert inquiry.external_id == "m_2" and inquiry.text == "Nachricht 2"  # the oldest opens it
    assert inquiry.status is Status.NEW and inquiry.thread_id == f"{PAGE}:{PSID}"
    carried = sorted(
        (m for m in desk.store.messages.values() if m.inquiry_id == inquiry_id), key=lambda m: m.created_at
    )
    assert [m.external_id for m in carried] == ["m_2", "m_3", "m_1"]
    assert desk.workflow.started == [inquiry_id]
    assert desk.timeline() == {"m_1": inquiry_id, "m_2": inquiry_id, "m_3": inquiry_id}
    assert [n.text for n in desk.owners.notes.values()] == ["Kunde will stornieren, Bestellung 48213"]
    assert desk.owners.owner("messenger", PAGE, PSID).app_id == KANAL


def test_after_the_handover_the_customers_messages_join_the_inquiry():
    desk = bot_conversation(1)
    inquiry_id = desk.threads.handover(handover(KANAL, 5))
    follow_up = desk.intake.ingest(dm("m_9", 6, standby=False))
    assert follow_up.outcome is Outcome.JOINED and follow_up.inquiry_id == inquiry_id


def test_the_same_handover_delivered_again_opens_nothing_new():
    desk = bot_conversation(1, 2)
    first = desk.threads.handover(handover(KANAL, 5))
    again = desk.threads.handover(handover(KANAL, 5))
    assert again is None  # nothing is held any more
    assert len(desk.inquiries_of()) == 1 and desk.workflow.started == [first]
    assert len(desk.owners.notes) == 1


def test_a_handover_retried_after_it_stopped_halfway_moves_the_rest_into_the_same_inquiry():
    desk = bot_conversation(1, 2)
    first = desk.threads.handover(handover(KANAL, 5))
    second = desk.store.get_message("messenger", "m_2")
    desk.store.messages[("messenger", "m_2")] = replace(second, inquiry_id=f"held#{first_key(desk)}")
    assert desk.threads.handover(handover(KANAL, 5)) == first
    assert desk.store.get_message("messenger", "m_2").inquiry_id == first
    assert desk.workflow.started == [first] and desk.workflow.followed == []
    assert len(desk.owners.notes) == 1


def first_key(desk: Desk) -> str:
    inquiry = next(iter(desk.store.inquiries.values()))
    return f"{inquiry.customer_id}#messenger#{inquiry.thread_id}"


def test_a_handover_with_nothing_held_creates_nothing():
    desk = Desk()
    desk.intake.ingest(dm("m_0", 0, customer="1111111111"))  # someone else's conversation
    assert desk.threads.handover(handover(KANAL, 5)) is None
    assert desk.inquiries_of() == [] and desk.owners.owner("messenger", PAGE, PSID).app_id == KANAL


def test_held_messages_join_the_conversations_open_inquiry():
    desk = Desk(answers={PSID: KANAL})
    opened = desk.intake.ingest(dm("m_1", 1, standby=False))
    desk.threads.handover(handover(BOT, 2, previous=KANAL, action=ControlAction.TAKE))
    assert desk.intake.ingest(dm("m_2", 3)).outcome is Outcome.HELD
    assert desk.threads.handover(handover(KANAL, 4)) == opened.inquiry_id
    assert desk.store.get_message("messenger", "m_2").inquiry_id == opened.inquiry_id
    assert desk.workflow.followed == [opened.inquiry_id] and desk.workflow.started == [opened.inquiry_id]


def test_messages_held_longer_than_a_week_stay_on_the_timeline_and_do_not_open_the_inquiry():
    desk = Desk(answers={PSID: BOT})
    desk.intake.ingest(dm("m_old", 1, created_at=at(1) - timedelta(days=8)))
    desk.intake.ingest(dm("m_new", 2))
    inquiry_id = desk.threads.handover(handover(KANAL, 5))
    assert desk.store.inquiries[inquiry_id].external_id == "m_new"
    assert desk.timeline()["m_old"] is None


def test_a_handover_to_another_app_hands_nothing_over():
    desk = bot_conversation(1)
    assert desk.threads.handover(handover(PAGE_INBOX, 5)) is None
    assert desk.inquiries_of() == []


# ------------------------------------------------------------------------------------ back to the bot


def handed_over() -> tuple[Desk, str]:
    desk = bot_conversation(1)
    inquiry_id = desk.threads.handover(handover(KANAL, 5))
    desk.store.resolve(inquiry_id)
    return desk, inquiry_id


def test_resolving_passes_the_conversation_back_to_the_bot():
    desk, inquiry_id = handed_over()
    resolved = desk.threads.hand_back(desk.store.inquiries[inquiry_id])
    assert desk.api.passes == [("messenger", PAGE, PSID, BOT, f"kanal:resolved:{inquiry_id}")]
    assert resolved.handback.status == "passed" and resolved.handback.to == BOT
    assert desk.owners.owner("messenger", PAGE, PSID).app_id == BOT
    assert desk.intake.ingest(dm("m_7", 40)).outcome is Outcome.HELD  # the bot answers the next one


def test_a_failed_pass_back_is_kept_on_the_inquiry_and_kanal_still_owns_the_conversation():
    desk, inquiry_id = handed_over()
    desk.api.failure = DeliveryFailed(
        "Graph API error 10: not allowed", code="10", error_type="OAuthException"
    )
    resolved = desk.threads.hand_back(desk.store.inquiries[inquiry_id])
    assert resolved.status is Status.RESOLVED
    assert resolved.handback.status == "failed" and "Graph API error 10" in resolved.handback.error
    assert desk.owners.owner("messenger", PAGE, PSID).app_id == KANAL


def test_an_inquiry_of_a_conversation_kanal_does_not_own_passes_nothing():
    desk = Desk(answers={PSID: PAGE_INBOX})
    opened = desk.intake.ingest(dm("m_1", 1))  # a standby message under the Page Inbox
    inquiry = desk.store.inquiries[opened.inquiry_id]
    assert desk.threads.hand_back(inquiry).handback is None and desk.api.passes == []


def test_without_a_bot_nothing_is_passed_back():
    desk, inquiry_id = handed_over()
    desk.threads.apps = Apps(KANAL, None)
    assert desk.threads.hand_back(desk.store.inquiries[inquiry_id]).handback is None
    assert desk.api.passes == []

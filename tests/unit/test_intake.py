"""The intake rules, on in-memory adapters: what becomes an inquiry, what joins one, what is dropped."""

from __future__ import annotations

from kanal.intake.ingest import Intake, Outcome, identity_key
from kanal.model import Action, Author, Channel, ContactEvent, InboundMessage, Visibility
from tests.fakes import FakeStore, FakeWorkflow, at


def message(external_id: str, author: str = "cust-1", thread: str = "t-1", **extra) -> InboundMessage:
    values = dict(
        channel=Channel.X,
        external_id=external_id,
        author=Author(author, "Kim", "kim"),
        text="Where is my order?",
        visibility=Visibility.PUBLIC,
        thread_id=thread,
        account_id="brand",
        created_at=at(1),
        received_at=at(2),
    )
    values.update(extra)
    return InboundMessage(**values)


def intake() -> tuple[Intake, FakeStore, FakeWorkflow]:
    store, workflow = FakeStore(), FakeWorkflow()
    return Intake(store, workflow), store, workflow  # type: ignore[arg-type]


def test_a_first_message_opens_an_inquiry_and_starts_its_routing():
    sut, store, workflow = intake()
    result = sut.ingest(message("1"))
    assert result.outcome is Outcome.CREATED
    assert workflow.started == [result.inquiry_id]
    assert store.inquiries[result.inquiry_id].external_id == "1"


def test_the_companys_own_message_is_not_an_inquiry():
    sut, store, workflow = intake()
    assert sut.ingest(message("1", own=True)).outcome is Outcome.OWN
    assert not store.messages and not workflow.started


def test_a_redelivery_is_stored_once_and_starts_nothing_new():
    sut, store, workflow = intake()
    first = sut.ingest(message("1"))
    again = sut.ingest(message("1"))
    assert again.outcome is Outcome.DUPLICATE and again.inquiry_id == first.inquiry_id
    assert len(store.messages) == 1 and workflow.started == [first.inquiry_id]


def test_a_redelivery_starts_the_routing_a_failed_first_attempt_never_started():
    sut, store, workflow = intake()
    first = sut.ingest(message("1"))
    del store.executions[first.inquiry_id]
    sut.ingest(message("1"))
    assert workflow.started == [first.inquiry_id, first.inquiry_id]


def test_a_follow_up_in_the_same_conversation_joins_the_open_inquiry():
    sut, _, workflow = intake()
    first = sut.ingest(message("1"))
    follow_up = sut.ingest(message("2", created_at=at(5)))
    assert follow_up.outcome is Outcome.JOINED and follow_up.inquiry_id == first.inquiry_id
    assert len(workflow.started) == 1
    assert workflow.followed == [first.inquiry_id]  # the SLA clock hears of the follow-up


def test_another_customer_in_the_same_thread_gets_an_inquiry_of_their_own():
    sut, _, _ = intake()
    first = sut.ingest(message("1"))
    other = sut.ingest(message("2", author="cust-2"))
    assert other.outcome is Outcome.CREATED and other.inquiry_id != first.inquiry_id


def test_a_reply_to_a_message_of_their_open_inquiry_joins_it_even_in_another_thread():
    sut, _, _ = intake()
    first = sut.ingest(message("1"))
    reply = sut.ingest(message("2", thread="t-2", in_reply_to="1"))
    assert reply.outcome is Outcome.JOINED and reply.inquiry_id == first.inquiry_id


def test_a_reply_to_a_resolved_inquiry_or_to_someone_elses_opens_a_new_one():
    sut, store, _ = intake()
    first = sut.ingest(message("1"))
    strangers = sut.ingest(message("2", author="cust-2", thread="t-2", in_reply_to="1"))
    assert strangers.outcome is Outcome.CREATED and strangers.inquiry_id != first.inquiry_id
    store.resolve(first.inquiry_id)
    later = sut.ingest(message("3", thread="t-3", in_reply_to="1"))
    assert later.outcome is Outcome.CREATED and later.inquiry_id != first.inquiry_id


def test_edits_and_removals_change_the_stored_message():
    sut, store, _ = intake()
    sut.ingest(message("1"))
    assert sut.ingest(message("1", action=Action.EDIT, text="Found it")).outcome is Outcome.EDITED
    assert store.messages[("x", "1")].text == "Found it"
    assert sut.ingest(message("1", action=Action.REMOVE, text="")).outcome is Outcome.REMOVED
    assert store.messages[("x", "1")].removed
    assert sut.ingest(message("9", action=Action.REMOVE, text="")).outcome is Outcome.UNKNOWN


def test_a_call_from_a_number_and_a_whatsapp_message_from_it_are_one_customer():
    sut, store, _ = intake()
    call = ContactEvent(
        event_id="c1", kind="call", occurred_at=at(0), channel="phone", identity="+4915112345678"
    )
    sut.record_contact(call)
    sut.ingest(message("w1", author="4915112345678", channel=Channel.WHATSAPP, visibility=Visibility.PRIVATE))
    customers = {customer for customer, _ in store.contacts}
    assert len(customers) == 1 and [c.kind for _, c in store.contacts] == ["call", "message"]


def test_a_crm_event_naming_a_reference_and_an_email_links_them():
    sut, store, _ = intake()
    sut.record_contact(ContactEvent("e1", "order", at(0), customer_ref="C-7", amount=99.0))
    sut.record_contact(
        ContactEvent("e2", "email", at(1), channel="email", identity="kim@example.com", customer_ref="C-7")
    )
    assert store.find_customer("crm", "C-7") == store.find_customer("email", "kim@example.com")


# -- WhatsApp users known by a business-scoped user id (BSUID) ---------------------------------------

BSUID = "DE.7216094835517720394"
PHONE = "4915112345678"


def whatsapp(external_id: str, author: str, aliases: tuple[str, ...] = (), **extra) -> InboundMessage:
    return message(
        external_id,
        author=author,
        thread=f"wa-number:{author}",
        channel=Channel.WHATSAPP,
        visibility=Visibility.PRIVATE,
        author_aliases=aliases,
        **extra,
    )


def test_a_bsuid_is_an_identity_of_its_own_never_a_phone_number():
    assert identity_key("whatsapp", BSUID) == ("whatsapp-user", BSUID)
    parent = "US.ENT.11815799212886844830"
    assert identity_key("whatsapp", parent) == ("whatsapp-user", parent)
    assert identity_key("whatsapp", PHONE) == ("phone", PHONE)
    assert identity_key("whatsapp", f"+{PHONE}") == ("phone", PHONE)
    assert identity_key("phone", f"+{PHONE}") == ("phone", PHONE)


def test_a_message_from_a_bsuid_opens_an_inquiry_and_its_follow_up_joins_it():
    sut, store, workflow = intake()
    first = sut.ingest(whatsapp("w1", BSUID))
    follow_up = sut.ingest(whatsapp("w2", BSUID, created_at=at(5)))
    assert first.outcome is Outcome.CREATED and store.inquiries[first.inquiry_id].author.id == BSUID
    assert follow_up.outcome is Outcome.JOINED and follow_up.inquiry_id == first.inquiry_id
    assert workflow.started == [first.inquiry_id]
    customer = store.find_customer("whatsapp-user", BSUID)
    assert customer == store.inquiries[first.inquiry_id].customer_id
    assert all(channel != "phone" for channel, _ in store.identities)


def test_a_phone_number_with_a_bsuid_links_both_to_one_customer():
    sut, store, _ = intake()
    sut.ingest(whatsapp("w1", PHONE, aliases=(BSUID,)))
    customer = store.find_customer("phone", PHONE)
    assert customer is not None and store.find_customer("whatsapp-user", BSUID) == customer
    # a later message that names the user only by BSUID, and a call from the number, meet the customer
    sut.ingest(whatsapp("w2", BSUID))
    sut.record_contact(ContactEvent("c1", "call", at(3), channel="phone", identity=f"+{PHONE}"))
    assert {customer_id for customer_id, _ in store.contacts} == {customer}
    assert len(store.identities) == 2


def test_a_bsuid_met_first_keeps_its_customer_when_the_phone_number_appears():
    sut, store, _ = intake()
    sut.ingest(whatsapp("w1", BSUID))
    customer = store.find_customer("whatsapp-user", BSUID)
    sut.ingest(whatsapp("w2", PHONE, aliases=(BSUID,)))
    assert store.find_customer("phone", PHONE) == customer
    assert {customer_id for customer_id, _ in store.contacts} == {customer}


def test_a_phone_numbers_own_customer_is_kept_when_its_bsuid_belongs_to_another():
    # identities are never re-linked: each keeps the customer it was first linked to
    sut, store, _ = intake()
    sut.ingest(whatsapp("w1", BSUID))
    sut.ingest(whatsapp("w2", PHONE))
    by_bsuid, by_phone = store.find_customer("whatsapp-user", BSUID), store.find_customer("phone", PHONE)
    sut.ingest(whatsapp("w3", PHONE, aliases=(BSUID,)))
    assert by_bsuid != by_phone
    assert store.find_customer("whatsapp-user", BSUID) == by_bsuid
    assert store.contacts[-1][0] == by_phone


def test_a_crm_event_naming_a_whatsapp_bsuid_meets_that_user():
    sut, store, _ = intake()
    sut.ingest(whatsapp("w1", BSUID))
    sut.record_contact(ContactEvent("o1", "order", at(3), channel="whatsapp", identity=BSUID, amount=49.0))
    assert len({customer_id for customer_id, _ in store.contacts}) == 1


def mail(external_id: str, verified: bool = True, **extra) -> InboundMessage:
    return message(
        external_id,
        author="jana@example.de",
        thread="root@example.de",
        channel=Channel.EMAIL,
        visibility=Visibility.PRIVATE,
        sender_verified=verified,
        **extra,
    )


def test_an_unverified_mail_from_a_customers_address_opens_its_own_inquiry_under_another_identity():
    # Given a customer with an open e-mail inquiry
    sut, store, workflow = intake()
    first = sut.ingest(mail("root@example.de"))
    customer = store.find_customer("email", "jana@example.de")
    # When a mail from that address arrives in the same thread, answering it, with its sender unverified
    spoofed = sut.ingest(mail("spoof@evil.example", verified=False, in_reply_to="root@example.de"))
    # Then it opens an inquiry of its own, marked, under an unverified identity of the address
    assert spoofed.outcome is Outcome.CREATED and spoofed.inquiry_id != first.inquiry_id
    inquiry = store.inquiries[spoofed.inquiry_id]
    assert inquiry.sender_verified is False and inquiry.customer_id != customer
    assert inquiry.thread_id == "spoof@evil.example"
    assert store.find_customer("email-unverified", "jana@example.de") == inquiry.customer_id
    # And the customer's own inquiry heard nothing, and their timeline holds only their mail
    assert workflow.followed == []
    assert [c.ref for owner, c in store.contacts if owner == customer] == ["root@example.de"]
    assert store.find_customer("email", "jana@example.de") == customer


def test_two_unverified_mails_in_one_thread_stay_two_inquiries_and_a_verified_one_joins_the_customer():
    sut, store, _ = intake()
    first = sut.ingest(mail("root@example.de"))
    one = sut.ingest(mail("s1@x", verified=False))
    two = sut.ingest(mail("s2@x", verified=False))
    genuine = sut.ingest(mail("reply@example.de", in_reply_to="root@example.de"))
    assert len({first.inquiry_id, one.inquiry_id, two.inquiry_id}) == 3
    assert genuine.outcome is Outcome.JOINED and genuine.inquiry_id == first.inquiry_id
    assert store.inquiries[first.inquiry_id].sender_verified is True

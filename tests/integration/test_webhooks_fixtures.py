"""Every sample delivery under tests/events (Meta, X, contact events) sent over HTTP through the local stack.

A delivery that carries a customer message ends as a stored message and an inquiry the agent API shows
and lists; one that carries none (statuses, receipts, handovers, likes, retweets, the company's own posts
and answers) is acknowledged and leaves nothing behind.
"""

from __future__ import annotations

import pytest

from tests.conftest import EVENTS
from tests.integration.deliveries import (
    CONTACTS,
    MESSAGES,
    NO_CUSTOMER_MESSAGE,
    Ids,
    accepted,
    contacts_of,
    customer_of,
    deliver,
    fixture,
    inquiry_detail,
    listed_inquiry,
    sample,
    settled,
    source_of,
    stored_message,
    wait_for_message,
)


def _fixture_names(folder: str) -> set[str]:
    return {f"{folder}/{path.name}" for path in (EVENTS / folder).glob("*.json")}


def test_every_sample_delivery_is_covered_by_exactly_one_case():
    covered = [*MESSAGES, *NO_CUSTOMER_MESSAGE, *CONTACTS]
    assert len(covered) == len(set(covered))
    assert set(covered) == _fixture_names("meta") | _fixture_names("x") | _fixture_names("contact-events")


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_a_customer_message_becomes_an_inquiry_the_agent_api_shows_and_lists(
    name, local, http, admin_headers
):
    # Given a platform's delivery (its ids unique to this test)
    delivery, expected = sample(name, Ids())
    # When the platform posts it, signed with the app's secret
    response = deliver(http, local, source_of(name), delivery)
    # Then it is acknowledged with one record per customer message
    assert accepted(response) == len(expected)
    for message in expected:
        # and each message is stored under its platform id, as inbound
        stored = wait_for_message(local, message.channel, message.external_id)
        assert stored["direction"] == "in"
        assert stored["author"]["id"] == message.author
        assert stored["text"] == message.text
        assert stored["visibility"] == message.visibility
        # and its inquiry shows it, through the agent API
        detail = inquiry_detail(http, local, admin_headers, stored["inquiry_id"])
        message.check(detail)
        assert [m["external_id"] for m in detail["messages"]] == [message.external_id]
        assert detail["messages"][0]["direction"] == "in"
        assert detail["messages"][0]["text"] == message.text
        # and the queue lists it
        listed = listed_inquiry(http, local, admin_headers, stored["inquiry_id"])
        assert listed is not None, "the inquiry is in the queue"
        message.check(listed)


def test_an_attachment_reaches_the_inquiry(local, http, admin_headers):
    # Given a Messenger message that is only a photo
    ids = Ids()
    delivery = fixture("meta/messenger_attachment.json", ids)
    mid = ids("m_Qw8xYk3LmN2pR5sT7uV9wX1zA4bC6dE8fG0hJ2kL4mN6pQ")
    # When it is delivered
    accepted(deliver(http, local, "meta", delivery))
    # Then the agent sees the photo on the inquiry
    stored = wait_for_message(local, "messenger", mid)
    detail = inquiry_detail(http, local, admin_headers, stored["inquiry_id"])
    url = delivery["entry"][0]["messaging"][0]["message"]["attachments"][0]["payload"]["url"]
    assert detail["attachments"] == [{"type": "image", "url": url}]
    assert detail["messages"][0]["attachments"] == [{"type": "image", "url": url}]


@pytest.mark.parametrize("name", sorted(NO_CUSTOMER_MESSAGE))
def test_a_delivery_without_a_customer_message_is_acknowledged_and_leaves_nothing(name, local, http):
    # Given a delivery that carries no customer message (a receipt, a handover, the company's own words)
    ids = Ids()
    delivery = fixture(name, ids)
    channel, external_ids, people = NO_CUSTOMER_MESSAGE[name]
    # When the platform posts it
    response = deliver(http, local, source_of(name), delivery)
    # Then it is acknowledged, and once ingest has worked through the queue nothing is stored
    if accepted(response):
        settled(local)
    for external_id in external_ids:
        assert stored_message(local, channel, ids.sub(external_id)) is None
    for person in people:
        assert customer_of(local, channel, ids.sub(person)) is None


@pytest.mark.parametrize("name", sorted(CONTACTS))
def test_a_contact_event_goes_on_the_customers_timeline(name, local, http):
    # Given a hotline, CRM or shop report (event ids and customer identities unique to this test)
    ids = Ids()
    delivery = fixture(name, ids)
    # When the sending system posts it, signed with the shared secret
    response = deliver(http, local, "contact-events", delivery)
    # Then every event is accepted
    assert accepted(response) == len(CONTACTS[name])
    settled(local)
    for channel, identity, kind, event_id in CONTACTS[name]:
        # and goes on the timeline of the customer behind the identity, as Kanal normalises it
        customer = customer_of(local, channel, identity.format(s=ids.suffix))
        assert customer is not None, f"{kind} {event_id}: its customer is known"
        contacts = [(c["ref"], c["kind"], c["channel"]) for c in contacts_of(local, customer)]
        assert contacts == [(f"event:{ids(event_id)}", kind, channel)]

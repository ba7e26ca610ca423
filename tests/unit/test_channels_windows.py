"""Each channel's messaging window: whether a reply may go, how, and how long it stays open."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kanal.channels.outbound import windows
from kanal.channels.outbound.windows import window
from kanal.model import Channel, Visibility
from tests.fakes import at

WROTE = at(0)


@pytest.mark.parametrize("channel", [Channel.MESSENGER, Channel.INSTAGRAM])
def test_a_dm_within_24_hours_is_a_standard_response_with_the_time_left(channel):
    found = window(channel, Visibility.PRIVATE, WROTE, WROTE + timedelta(hours=21))
    assert found.open and found.name == "standard"
    assert (found.messaging_type, found.tag) == ("RESPONSE", None)
    assert found.closes_at == WROTE + timedelta(hours=24)
    assert found.remaining == timedelta(hours=3)


@pytest.mark.parametrize("channel", [Channel.MESSENGER, Channel.INSTAGRAM])
def test_a_dm_between_24_hours_and_7_days_goes_with_the_human_agent_tag(channel):
    found = window(channel, Visibility.PRIVATE, WROTE, WROTE + timedelta(hours=24))
    assert found.open and found.name == "human_agent"
    assert (found.messaging_type, found.tag) == ("MESSAGE_TAG", "HUMAN_AGENT")
    assert found.remaining == timedelta(days=6)


@pytest.mark.parametrize("channel", [Channel.MESSENGER, Channel.INSTAGRAM])
def test_a_dm_after_7_days_is_refused_with_the_reason_and_what_is_left(channel):
    found = window(channel, Visibility.PRIVATE, WROTE, WROTE + timedelta(days=7))
    assert not found.open
    assert "7 days" in (found.reason or "")
    assert found.options == (windows.WAIT_FOR_CUSTOMER, windows.OTHER_CHANNEL)
    assert found.remaining == timedelta(0)


def test_whatsapp_is_open_for_24_hours_and_then_needs_a_template():
    inside = window(Channel.WHATSAPP, Visibility.PRIVATE, WROTE, WROTE + timedelta(hours=23, minutes=59))
    assert inside.open and inside.name == "customer_service"
    assert inside.remaining == timedelta(minutes=1)
    outside = window(Channel.WHATSAPP, Visibility.PRIVATE, WROTE, WROTE + timedelta(hours=24))
    assert not outside.open
    assert "template" in (outside.reason or "") and "131047" in (outside.reason or "")
    assert outside.options[0] == windows.TEMPLATE


@pytest.mark.parametrize("channel", [Channel.FACEBOOK, Channel.INSTAGRAM])
def test_a_private_reply_to_a_public_comment_is_open_for_7_days(channel):
    inside = window(
        channel, Visibility.PRIVATE, WROTE, WROTE + timedelta(days=6), answering=Visibility.PUBLIC
    )
    assert inside.open and inside.name == "private_reply"
    late = window(channel, Visibility.PRIVATE, WROTE, WROTE + timedelta(days=8), answering=Visibility.PUBLIC)
    assert not late.open and late.options[0] == windows.PUBLIC_REPLY


@pytest.mark.parametrize(
    ("channel", "visibility"),
    [
        (Channel.FACEBOOK, Visibility.PUBLIC),
        (Channel.INSTAGRAM, Visibility.PUBLIC),
        (Channel.X, Visibility.PUBLIC),
        (Channel.X, Visibility.PRIVATE),
        (Channel.EMAIL, Visibility.PRIVATE),
    ],
)
def test_public_replies_x_and_email_have_no_window(channel, visibility):
    found = window(channel, visibility, WROTE, WROTE + timedelta(days=400))
    assert found.open and found.name == "none" and found.closes_at is None and found.remaining is None

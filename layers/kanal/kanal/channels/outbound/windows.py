"""Each channel's messaging window: may a reply go now, how, and for how much longer.

Pure functions of the channel, the reply's visibility, the customer's last message time and now, so the
clients (before sending), the agent API and the console ("24 h window: 3 h left") all read the same rule.

The rules, from the platforms' documentation:

- Messenger and Instagram DMs: a standard reply (``messaging_type: RESPONSE``) within 24 hours of the
  customer's last message; a human agent may answer up to 7 days after it with ``messaging_type:
  MESSAGE_TAG`` and ``tag: HUMAN_AGENT``; later nothing may be sent until the customer writes again
  (developers.facebook.com/documentation/business-messaging/messenger-platform/policy, "Standard
  messaging" and "Human agent"; Instagram messaging follows the same policy).
- A private reply to a Facebook or Instagram comment or visitor post: within 7 days of it
  (developers.facebook.com/docs/messenger-platform/discovery/private-replies).
- WhatsApp: free-form messages only within the 24-hour customer service window opened by the customer's
  last message; outside it only an approved template may be sent, and the Cloud API refuses anything else
  with error 131047 (developers.facebook.com/documentation/business-messaging/whatsapp/messages/
  send-messages, "Customer service windows"; .../whatsapp/support/error-codes).
- Public comments and replies, X and e-mail: no window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kanal.model import Channel, Visibility

STANDARD = timedelta(hours=24)
HUMAN_AGENT = timedelta(days=7)
PRIVATE_REPLY = timedelta(days=7)

# messaging_type values of the Messenger Send API
RESPONSE = "RESPONSE"
MESSAGE_TAG = "MESSAGE_TAG"
HUMAN_AGENT_TAG = "HUMAN_AGENT"

# What an agent can do instead when a window is closed (the API's 409 names them as "options").
TEMPLATE = "template"  # send an approved WhatsApp message template
WAIT_FOR_CUSTOMER = "wait_for_customer"  # the customer's next message opens the window again
OTHER_CHANNEL = "other_channel"  # answer on another channel the customer uses (e-mail, phone)
PUBLIC_REPLY = "public_reply"  # answer publicly under their post or comment


@dataclass(frozen=True)
class Window:
    """Whether a reply may go now, and how.

    ``name`` says which window applies (``standard``, ``human_agent``, ``private_reply``,
    ``customer_service``, or ``none`` where the channel has none); ``closes_at``/``remaining`` say how long
    it stays open (None: no window); a closed window carries the ``reason`` and the ``options`` left.
    """

    open: bool
    name: str
    closes_at: datetime | None = None
    remaining: timedelta | None = None
    messaging_type: str | None = None  # Messenger / Instagram DMs: RESPONSE or MESSAGE_TAG
    tag: str | None = None  # HUMAN_AGENT with MESSAGE_TAG
    reason: str | None = None
    options: tuple[str, ...] = field(default_factory=tuple)


NO_WINDOW = Window(open=True, name="none")


def window(
    channel: Channel,
    visibility: Visibility,
    last_customer_message_at: datetime,
    now: datetime,
    answering: Visibility | None = None,
) -> Window:
    """The window for a reply on ``channel`` with ``visibility`` to a customer who last wrote then.

    ``answering`` is the visibility of the customer's message (default: the reply's own): a private reply
    to a public Facebook or Instagram comment is a private reply, not a DM.
    """
    private = visibility is Visibility.PRIVATE
    if private and answering is Visibility.PUBLIC and channel in (Channel.FACEBOOK, Channel.INSTAGRAM):
        return private_reply_window(last_customer_message_at, now)
    if private and channel in (Channel.MESSENGER, Channel.INSTAGRAM):
        return messaging_window(last_customer_message_at, now)
    if channel is Channel.WHATSAPP:
        return whatsapp_window(last_customer_message_at, now)
    return NO_WINDOW


def messaging_window(last_customer_message_at: datetime, now: datetime) -> Window:
    """Messenger and Instagram DMs: RESPONSE for 24 h, then MESSAGE_TAG HUMAN_AGENT until 7 days."""
    elapsed = now - last_customer_message_at
    if elapsed < STANDARD:
        closes = last_customer_message_at + STANDARD
        return Window(True, "standard", closes, closes - now, messaging_type=RESPONSE)
    if elapsed < HUMAN_AGENT:
        closes = last_customer_message_at + HUMAN_AGENT
        return Window(
            True, "human_agent", closes, closes - now, messaging_type=MESSAGE_TAG, tag=HUMAN_AGENT_TAG
        )
    return Window(
        False,
        "human_agent",
        last_customer_message_at + HUMAN_AGENT,
        timedelta(0),
        reason=(
            "the customer last wrote more than 7 days ago: Meta lets a business answer a message only "
            "within 24 hours, and a human agent within 7 days (HUMAN_AGENT tag); nothing can be sent "
            "until the customer writes again"
        ),
        options=(WAIT_FOR_CUSTOMER, OTHER_CHANNEL),
    )


def private_reply_window(commented_at: datetime, now: datetime) -> Window:
    """A private reply (a DM) to a public Facebook or Instagram comment or post: within 7 days of it."""
    closes = commented_at + PRIVATE_REPLY
    if now < closes:
        return Window(True, "private_reply", closes, closes - now)
    return Window(
        False,
        "private_reply",
        closes,
        timedelta(0),
        reason=(
            "the comment is more than 7 days old: Meta allows a private reply to a comment or post only "
            "within 7 days of it"
        ),
        options=(PUBLIC_REPLY, OTHER_CHANNEL),
    )


def whatsapp_window(last_customer_message_at: datetime, now: datetime) -> Window:
    """WhatsApp's customer service window: free-form messages within 24 h of the customer's last one."""
    closes = last_customer_message_at + STANDARD
    if now < closes:
        return Window(True, "customer_service", closes, closes - now)
    return Window(
        False,
        "customer_service",
        closes,
        timedelta(0),
        reason=(
            "the customer last wrote more than 24 hours ago: outside WhatsApp's customer service window "
            "only an approved message template may be sent (the Cloud API refuses free-form text with "
            "error 131047)"
        ),
        options=(TEMPLATE, WAIT_FOR_CUSTOMER),
    )

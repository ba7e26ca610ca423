"""Is there a private path for a customer who wrote in public, and if not, why: a handover's path, or its
refusal with the reason and the options left. Pure: decided from what is stored and the time, before any
platform call (``handover`` carries it out).

The private path, per channel, from the platforms' documentation:

- Facebook comment or visitor post: a private reply, ``POST /{page-id}/messages`` with
  ``recipient.comment_id`` (or ``post_id``); "only one message can be sent to the person who commented",
  within 7 days of the comment, never to another Page
  (developers.facebook.com/documentation/business-messaging/messenger-platform/discovery/private-replies).
  The answer's ``recipient_id`` is the customer's PSID: their Messenger identity from now on.
- Instagram comment: the same on ``/{ig-id}/messages`` with ``recipient.comment_id``; one message within 7
  days (developers.facebook.com/docs/messenger-platform/instagram/features/private-replies). An @mention on
  someone else's media is no comment on the account's own media: it cannot be answered privately.
- X post: a DM to its author, ``POST /2/dm_conversations/with/{participant_id}/messages`` -> ``{"data":
  {"dm_conversation_id", "dm_event_id"}}`` (docs.x.com/x-api/direct-messages/manage/integrate). X refuses a
  DM to someone who does not accept DMs from the account (error 349 / 150, ``DirectMessagesClosed``).
- Anything, when the customer's e-mail address is known (an ``email`` identity of the customer: their own
  mail or a contact event): an e-mail through SES from the company's address; the customer's answer
  (``In-Reply-To`` its Message-ID) joins the same inquiry.

The platform's own private path comes first; e-mail is the way out where it is closed (window over, an
@mention, X refusing the DM). A refusal is a ``HandoverRefused`` (HTTP 409 with a stable ``reason`` code,
the sentence in ``error``, and the ``options`` left), decided before any call where it can be, and then
nothing is sent or stored. The refusals the platforms give only when asked (the window closed meanwhile,
X refusing the DM, Meta's own refusal of a second private reply) are made here too, for ``handover`` to raise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from kanal.channels.outbound.windows import private_reply_window
from kanal.errors import Conflict
from kanal.model import Channel, Direction, Inquiry, Message, Visibility

# Why a handover is refused: stable, machine-readable (the 409's "reason"); the sentence is in "error".
WINDOW_CLOSED = "private_reply_window_closed"
ALREADY_HANDED_OVER = "already_handed_over"  # Meta allows one private reply per comment or post
OWN_MESSAGE = "own_message"  # the company's own comment or message
ALREADY_PRIVATE = "already_private"
MENTION = "mention_on_other_media"
DM_NOT_ACCEPTED = "dm_not_accepted"
NO_PRIVATE_PATH = "no_private_path"

# What the agent can do instead (the 409's "options").
PUBLIC_REPLY = "public_reply"
ASK_FOR_EMAIL = "ask_for_email"
PRIVATE_REPLY = "reply"  # answer in the private chat that exists (POST .../replies)

# Meta's answer to a second private reply to the same comment (Messenger Platform error codes).
GRAPH_ALREADY_REPLIED = "10900"


class HandoverRefused(Conflict):
    """The handover cannot be made: nothing was sent or stored (409 with reason and options)."""

    def __init__(self, reason: str, sentence: str, options: list[str]) -> None:
        super().__init__(sentence)
        self.reason = reason
        self.options = options


class Path(StrEnum):
    FACEBOOK_PRIVATE_REPLY = "facebook_private_reply"
    INSTAGRAM_PRIVATE_REPLY = "instagram_private_reply"
    X_DM = "x_dm"
    EMAIL = "email"


PRIVATE_CHANNEL = {
    Path.FACEBOOK_PRIVATE_REPLY: Channel.MESSENGER,
    Path.INSTAGRAM_PRIVATE_REPLY: Channel.INSTAGRAM,
    Path.X_DM: Channel.X,
    Path.EMAIL: Channel.EMAIL,
}


@dataclass(frozen=True)
class Plan:
    """How the private message goes: its path, and the e-mail address to fall back on (or to write to)."""

    path: Path
    email: str | None = None

    @property
    def channel(self) -> Channel:
        return PRIVATE_CHANNEL[self.path]


def plan(inquiry: Inquiry, target: Message, now: datetime, email: str | None) -> Plan:
    """The private path for a handover of ``target`` (a message of ``inquiry``), or HandoverRefused.

    Pure: decided from what is stored and the time, before any platform call.
    """
    _check_handable(inquiry, target)
    channel = Channel(target.channel)
    if channel in (Channel.FACEBOOK, Channel.INSTAGRAM):
        return _meta_plan(channel, target, now, email)
    if channel is Channel.X:
        return Plan(Path.X_DM, email)  # e-mail is the way out if X refuses the DM
    if email:
        return Plan(Path.EMAIL, email)
    raise HandoverRefused(
        NO_PRIVATE_PATH,
        f"{channel} has no private path to this customer and no e-mail address is known",
        [PUBLIC_REPLY, ASK_FOR_EMAIL],
    )


def _check_handable(inquiry: Inquiry, target: Message) -> None:
    if target.direction is Direction.OUT or target.author.id == inquiry.account_id:
        raise HandoverRefused(
            OWN_MESSAGE,
            "this is the company's own message; a private reply goes only to a customer's comment or post",
            [PUBLIC_REPLY],
        )
    if target.private_reply:
        raise HandoverRefused(
            ALREADY_HANDED_OVER,
            "this message was handed over already: Meta allows one private reply per comment; "
            "answer in the private chat",
            [PRIVATE_REPLY],
        )
    if inquiry.private_thread_key or target.visibility is Visibility.PRIVATE:
        raise already_private()


def _meta_plan(channel: Channel, target: Message, now: datetime, email: str | None) -> Plan:
    """A Facebook or Instagram comment: a private reply within 7 days, else e-mail, else refused."""
    if channel is Channel.INSTAGRAM and target.mentions_account:
        if email:
            return Plan(Path.EMAIL, email)
        raise HandoverRefused(
            MENTION,
            "an @mention on someone else's Instagram post cannot be answered privately; reply publicly "
            "or ask for an e-mail address",
            [PUBLIC_REPLY, ASK_FOR_EMAIL],
        )
    if private_reply_window(target.created_at, now).open:
        facebook = channel is Channel.FACEBOOK
        return Plan(Path.FACEBOOK_PRIVATE_REPLY if facebook else Path.INSTAGRAM_PRIVATE_REPLY, email)
    if email:
        return Plan(Path.EMAIL, email)
    raise window_closed()


# ------------------------------------------------------------------------------------------ the refusals
# made in more than one place, or by ``handover`` when the platform refuses what plan() found open


def window_closed() -> HandoverRefused:
    return HandoverRefused(
        WINDOW_CLOSED,
        "7-day private-reply window closed; reply publicly or ask for an e-mail address",
        [PUBLIC_REPLY, ASK_FOR_EMAIL],
    )


def already_private() -> HandoverRefused:
    return HandoverRefused(
        ALREADY_PRIVATE, "the conversation is private already; answer it with a reply", [PRIVATE_REPLY]
    )


def nothing_public_left() -> HandoverRefused:
    return HandoverRefused(
        NO_PRIVATE_PATH, "the inquiry has no public customer message left to hand over", [ASK_FOR_EMAIL]
    )


def dm_not_accepted() -> HandoverRefused:
    """X refused the DM and no e-mail address is known."""
    return HandoverRefused(
        DM_NOT_ACCEPTED,
        "the customer does not accept direct messages from the account on X and no e-mail "
        "address is known; reply publicly or ask for an e-mail address",
        [PUBLIC_REPLY, ASK_FOR_EMAIL],
    )


def already_replied() -> HandoverRefused:
    """Meta's own refusal of a second private reply to the same comment (``GRAPH_ALREADY_REPLIED``)."""
    return HandoverRefused(
        ALREADY_HANDED_OVER,
        "Meta has a private reply to this comment already (one per comment); answer in the private chat",
        [PRIVATE_REPLY],
    )

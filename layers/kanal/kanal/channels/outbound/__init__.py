"""Replies out: one client per channel behind one interface, each channel's windows and limits.

The conversation capability (``kanal.conversation``) decides *what* to send; a ``ChannelClient`` sends it
on the inquiry's own channel and answers with the platform's id of the sent message, or raises:

- ``WindowClosed`` (HTTP 409 at the API): the platform would refuse it (Messenger/Instagram after 7 days,
  WhatsApp free-form after 24 h, an X reply a self-serve app may not send); nothing was sent. Carries the
  reason and the options that remain.
- ``DeliveryFailed``: the platform refused it or kept failing after the retries (5xx, 429, Graph
  throttling codes 4, 17, 32, 613, honouring rate-limit headers). Carries the platform's error code and
  message; ``retriable`` is False for an answer retrying cannot change (e.g. Messenger 10 / 2018278).
- ``UnsupportedVisibility`` (HTTP 400): the channel has no such reply (a public answer to a WhatsApp
  message, a private one to an Instagram @mention on someone else's post); nothing was sent.

The clients live next to this: ``graph`` (Facebook, Messenger, Instagram, WhatsApp), ``x``, ``email``
(SES); ``windows`` holds each channel's messaging windows; ``clients.client_for`` picks the client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from kanal.errors import BadRequest, Conflict, KanalError
from kanal.model import Inquiry, Message, Visibility


@dataclass(frozen=True)
class Outbound:
    """One reply to send on the inquiry's own channel."""

    inquiry: Inquiry  # channel, account_id (the company's Page / IG account / WA number id / X user id)
    answering: Message  # the customer's message this reply answers (the latest inbound of the inquiry)
    text: str
    visibility: Visibility  # public: under the post/comment/tweet; private: DM / e-mail
    last_customer_message_at: datetime  # the start of the platform's messaging window
    now: datetime
    email_to: str | None = None  # e-mail: the customer's address
    email_subject: str | None = None
    email_references: tuple[str, ...] = ()  # e-mail: Message-IDs of the thread, oldest first


@dataclass(frozen=True)
class Sent:
    external_id: str  # the platform's id of the sent message (its echo webhook names it)
    recipient_id: str | None = None  # e.g. the PSID a private reply reached
    details: dict[str, str] = field(default_factory=dict)  # e.g. {"messaging_type": "MESSAGE_TAG"}


class WindowClosed(Conflict):
    """The channel's window for this reply is closed: nothing was sent (409 with reason and options)."""

    def __init__(self, reason: str, options: list[str]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.options = options


class DeliveryFailed(KanalError):
    """The platform refused the reply or kept failing; the reply is stored as ``failed`` with this."""

    def __init__(
        self,
        message: str,
        code: str | None = None,
        retriable: bool = False,
        error_type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.retriable = retriable
        self.error_type = error_type  # the platform's error type, e.g. OAuthException (safe to log)


class UnsupportedVisibility(BadRequest):
    """The channel cannot answer this message with this visibility (HTTP 400); nothing was sent."""


class ChannelClient(Protocol):
    def send(self, outbound: Outbound) -> Sent:
        """Send one reply; raise WindowClosed before sending when the platform would refuse it."""
        ...

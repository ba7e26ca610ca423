"""E-mail replies through Amazon SES, threaded so that the customer's mail client and Kanal both follow.

The reply comes from the company address the customer wrote to (the inquiry's ``account_id``), goes to the
customer, is titled "Re: <subject>", and names the thread: ``In-Reply-To`` the customer's message,
``References`` every Message-ID of the thread, oldest first (RFC 5322 section 3.6.4). It is sent with SES
``SendRawEmail`` (docs.aws.amazon.com/ses/latest/APIReference/API_SendRawEmail.html).

SES replaces any ``Message-ID`` a sender sets with its own ("If you provide a Message-ID header, Amazon
SES overrides the header with its own value", docs.aws.amazon.com/ses/latest/dg/header-fields.html): the
recipient sees ``<MessageId@<region>.amazonses.com>`` (``@email.amazonses.com`` in us-east-1), where
MessageId is what ``SendRawEmail`` answers. That is the reply's ``external_id``, so the customer's answer
(``In-Reply-To`` it) joins the same inquiry.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from kanal.channels.outbound import DeliveryFailed, Outbound, Sent, UnsupportedVisibility
from kanal.model import Visibility

_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|antw)\s*:", re.IGNORECASE)
_RETRIABLE = frozenset({"Throttling", "ThrottlingException", "ServiceUnavailable", "InternalFailure"})


def ses_message_id_domain(region: str) -> str:
    """The domain of the Message-ID SES gives a message sent in ``region``."""
    return "email.amazonses.com" if region == "us-east-1" else f"{region}.amazonses.com"


def ses_message_id(message_id: str, region: str) -> str:
    """The Message-ID (without angle brackets) a recipient sees for SES's ``MessageId``."""
    return f"{message_id}@{ses_message_id_domain(region)}"


def reply_subject(subject: str | None) -> str:
    subject = (subject or "").strip()
    if not subject:
        return "Re: your message"
    return subject if _REPLY_PREFIX.match(subject) else f"Re: {subject}"


def _bracketed(message_id: str) -> str:
    bare = message_id.strip().strip("<>")
    return f"<{bare}>"


def build_reply(outbound: Outbound) -> EmailMessage:
    """The reply as a MIME message (no Message-ID: SES sets its own)."""
    answering = outbound.answering
    references = list(dict.fromkeys([*outbound.email_references, answering.external_id]))
    message = EmailMessage(policy=SMTP)
    message["From"] = outbound.inquiry.account_id
    message["To"] = outbound.email_to or answering.author.id
    message["Subject"] = reply_subject(outbound.email_subject)
    message["Date"] = formatdate(outbound.now.timestamp(), usegmt=True)
    message["In-Reply-To"] = _bracketed(answering.external_id)
    message["References"] = " ".join(_bracketed(ref) for ref in references)
    message.set_content(outbound.text)
    return message


def build_message(sender: str, to: str, subject: str, text: str, now: datetime) -> EmailMessage:
    """A first message to the customer (no thread yet: their answer names it by its Message-ID)."""
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(now.timestamp(), usegmt=True)
    message.set_content(text)
    return message


class EmailClient:
    def __init__(self, ses: Any, region: str) -> None:
        self.ses = ses  # a boto3 "ses" client
        self.region = region

    def send(self, outbound: Outbound) -> Sent:
        if outbound.visibility is not Visibility.PRIVATE:
            raise UnsupportedVisibility("an e-mail is answered privately")
        return self._send(outbound.inquiry.account_id, build_reply(outbound))

    def send_message(self, sender: str, to: str, subject: str, text: str, now: datetime) -> Sent:
        """A new e-mail to the customer from ``sender`` (e.g. a handover from a public post)."""
        return self._send(sender, build_message(sender, to, subject, text, now))

    def _send(self, sender: str, message: EmailMessage) -> Sent:
        try:
            answer = self.ses.send_raw_email(Source=sender, RawMessage={"Data": message.as_bytes()})
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", "ClientError"))
            text = str(error.response.get("Error", {}).get("Message", "")) or code
            raise DeliveryFailed(
                f"SES refused the reply ({code}): {text}", code=code, retriable=code in _RETRIABLE
            ) from error
        except BotoCoreError as error:
            raise DeliveryFailed(
                f"SES could not be reached: {type(error).__name__}", code="unreachable", retriable=True
            ) from error
        return Sent(ses_message_id(str(answer["MessageId"]), self.region))

"""Two-way SMS on the local stack: an SMS arriving at Kanal's number, as AWS End User Messaging SMS
delivers it.

In AWS, each SMS sent to a number with two-way SMS enabled is published to an SNS topic (here the
template's `InboundSmsTopic`) as a JSON message of this documented shape
(https://docs.aws.amazon.com/sms-voice/latest/userguide/two-way-sms-payload.html):

    {"originationNumber": "+14255550182", "destinationNumber": "+12125550101",
     "messageKeyword": "JOIN", "messageBody": "EXAMPLE",
     "inboundMessageId": "cae173d2-66b9-564c-8309-21f858e9fb84",
     "previousPublishedMessageId": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}

`POST /local/sms {"from": ..., "text": ...}` publishes exactly that to the topic through the SNS API.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from kanal_local.notifications import NotificationLog

E164 = re.compile(r"\+[1-9][0-9]{6,14}")  # matched whole (fullmatch): no trailing newline, ASCII digits
MAX_TEXT = 1600  # characters; what AWS End User Messaging SMS accepts in one (concatenated) message
MAX_BODY = 64 * 1024
# The keywords every AWS number answers by default; a message starting with one carries it.
DEFAULT_KEYWORDS = ("HELP", "STOP")


class InvalidSms(ValueError):
    """The request body is not `{"from": E.164 number, "text": 1 to 1600 characters}`."""


def parse(raw: bytes) -> tuple[str, str]:
    """The sender and text of a `POST /local/sms` body."""
    if len(raw) > MAX_BODY:
        raise InvalidSms(f"body larger than {MAX_BODY} bytes")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidSms("body must be a JSON object") from None
    if not isinstance(body, dict):
        raise InvalidSms("body must be a JSON object")
    sender, text = body.get("from"), body.get("text")
    if not isinstance(sender, str) or not E164.fullmatch(sender):
        raise InvalidSms("'from' must be an E.164 phone number, e.g. +4915112345678")
    if not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT:
        raise InvalidSms(f"'text' must be a string of 1 to {MAX_TEXT} characters")
    return sender, text


def keyword(text: str, account: str) -> str:
    """`messageKeyword`: the registered keyword the message starts with; AWS sends `KEYWORD_<account id>`
    for a message that starts with none (the local stack registers no keywords beyond the defaults)."""
    words = text.split(maxsplit=1)
    first = words[0].upper() if words else ""
    return first if first in DEFAULT_KEYWORDS else f"KEYWORD_{account}"


def inbound_message(
    sender: str, destination: str, text: str, account: str, previous_message_id: str
) -> dict[str, str]:
    """The documented two-way SMS message, field for field."""
    return {
        "originationNumber": sender,
        "destinationNumber": destination,
        "messageKeyword": keyword(text, account),
        "messageBody": text,
        "inboundMessageId": str(uuid.uuid4()),
        "previousPublishedMessageId": previous_message_id,
    }


def receive_sms(
    sns: Any, topic_arn: str, destination: str, account: str, log: NotificationLog, sender: str, text: str
) -> dict[str, str]:
    """Publish an SMS from ``sender`` to the inbound topic; ``previousPublishedMessageId`` is the SNS
    message id of the latest SMS the stack sent to that number ("" if none)."""
    previous = log.last_sms_to(sender)
    message = inbound_message(sender, destination, text, account, previous["message_id"] if previous else "")
    sns.publish(TopicArn=topic_arn, Message=json.dumps(message))
    return message

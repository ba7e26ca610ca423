"""Every e-mail the local stack sent through SES, as the recipient's mail client would see it.

moto keeps what SES accepted (`needs.sent_emails`); here each message is parsed as its recipient would
read it. In AWS, SES replaces the Message-ID of a sent message with `<MessageId@<region>.amazonses.com>`;
the emulator does not rewrite the raw message, so the item's `message_id` and its `Message-ID` header are
that SES id, exactly as `kanal.channels.outbound.email` records it for the reply. Nothing here is logged.
"""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from kanal.channels.outbound.email import ses_message_id
from kanal_local.emulator.needs import SentEmail


def email_item(sent: SentEmail, region: str) -> dict[str, Any]:
    message = BytesParser(policy=policy.default).parsebytes(sent.raw.encode("utf-8", "surrogateescape"))
    message_id = f"<{ses_message_id(sent.message_id, region)}>"
    headers = {name: str(value) for name, value in message.items()}
    headers["Message-ID"] = message_id
    for name in ("In-Reply-To", "References"):
        headers.setdefault(name, "")
    return {
        "ses_message_id": sent.message_id,
        "message_id": message_id,
        "from": str(message.get("From", "") or sent.source or ""),
        "to": str(message.get("To", "")) or ", ".join(sent.destinations),
        "subject": str(message.get("Subject", "")),
        "headers": headers,
        "text": _text(message),
    }


def _text(message: Any) -> str:
    if not isinstance(message, EmailMessage):  # pragma: no cover - policy.default always gives one
        return str(message.get_payload())
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    return content if isinstance(content, str) else ""


def email_items(sent: list[SentEmail], region: str) -> list[dict[str, Any]]:
    return [email_item(message, region) for message in sent]

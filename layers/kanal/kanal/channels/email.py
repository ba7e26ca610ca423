"""E-mail received by Amazon SES: the receipt notification (S3 action + SNS topic) and the raw MIME message.

``locate_ses_object`` finds the stored message in S3 from the SNS notification; ``parse_email`` turns the
raw bytes into an ``InboundMessage`` with the standard library's ``email`` package.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from email import errors, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any

from kanal.channels._common import JsonObject, obj, text_of, to_utc
from kanal.channels.language import guess
from kanal.errors import MalformedPayload
from kanal.model import Attachment, Author, Channel, InboundMessage, Visibility

_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_ATTRIBUTION = re.compile(r"^\s*(Am .{4,200} schrieb .{1,200}:|On .{4,200} wrote:)\s*$", re.IGNORECASE)
_BLANK_RUNS = re.compile(r"\n{3,}")
# What the standard library's header parser raises on some malformed headers besides its own
# HeaderParseError (a bare "<" in Message-ID, a stray CR inside an address): a header it cannot read is
# treated as absent, a body part it cannot read refuses the message.
_UNPARSEABLE = (errors.MessageError, IndexError, ValueError, TypeError, AttributeError)


def locate_ses_object(notification: dict[str, Any]) -> tuple[str, str]:
    """(bucket, key) of the message an SES receipt rule's S3 action stored.

    Accepts the SES notification itself or the SNS envelope around it (``Message`` as a JSON string).
    """
    body = _unwrap_sns(notification)
    if body.get("notificationType") != "Received":
        raise MalformedPayload("ses notification: notificationType must be 'Received'")
    action = obj(obj(body, "receipt"), "action")
    if action.get("type") != "S3":
        raise MalformedPayload("ses notification: receipt.action.type must be 'S3'")
    bucket = text_of(action.get("bucketName"))
    key = text_of(action.get("objectKey"))
    if not bucket or not key:
        raise MalformedPayload("ses notification: receipt.action needs bucketName and objectKey")
    return bucket, key


def _unwrap_sns(notification: object) -> JsonObject:
    if not isinstance(notification, dict):
        raise MalformedPayload("ses notification must be a JSON object")
    message = notification.get("Message")
    if isinstance(message, str) and "notificationType" not in notification:
        try:
            inner = json.loads(message)
        except ValueError as error:
            raise MalformedPayload("ses notification: SNS Message is not JSON") from error
        return _unwrap_sns(inner)
    return notification


def parse_email(
    raw: bytes, received_at: datetime, mailbox: str | None = None, sender_verified: bool = True
) -> InboundMessage:
    """A raw RFC 5322 message as an InboundMessage on the ``email`` channel.

    thread_id is the first id of References, else In-Reply-To, else the message's own Message-ID, so a
    whole conversation shares the root's id. ``mailbox`` (the address it was received for) becomes the
    account; without it the first To address is used. ``sender_verified`` is what the receiving side's
    SPF, DKIM and DMARC verdicts said of the From address (``kanal.intake.email.sender_verified``).
    """
    message = BytesParser(policy=policy.default).parsebytes(raw)
    if not isinstance(message, EmailMessage):  # pragma: no cover - policy.default always gives one
        raise MalformedPayload("email: not a MIME message")
    sender = _first_address(message, "From")
    if sender is None:
        raise MalformedPayload("email: no From address")
    address = sender.addr_spec.lower()
    message_id = (
        _first_id(_header(message, "Message-ID")) or f"sha256:{hashlib.sha256(raw).hexdigest()[:32]}@kanal"
    )
    references = _MESSAGE_ID.findall(str(_header(message, "References") or ""))
    in_reply_to = _first_id(_header(message, "In-Reply-To"))
    subject = str(_header(message, "Subject") or "").strip() or None
    try:
        text = _body_text(message)
        attachments = tuple(Attachment(type=part.get_content_type()) for part in message.iter_attachments())
    except _UNPARSEABLE as error:
        raise MalformedPayload("email: the MIME structure cannot be read") from error
    account = (mailbox or _recipient(message) or "").lower()
    return InboundMessage(
        channel=Channel.EMAIL,
        external_id=message_id,
        author=Author(id=address, name=sender.display_name or None, handle=address),
        text=text,
        visibility=Visibility.PRIVATE,
        thread_id=(references[0] if references else None) or in_reply_to or message_id,
        account_id=account,
        created_at=_date(message) or received_at,
        received_at=received_at,
        in_reply_to=in_reply_to,
        attachments=attachments,
        language=guess(f"{subject or ''}\n{text}"),
        subject=subject,
        own=address == account,  # a copy of the company's own mail
        sender_verified=sender_verified,
    )


def _header(message: EmailMessage, name: str) -> object:
    """A header's parsed value; None when absent or when the parser cannot read it."""
    try:
        return message.get(name)
    except _UNPARSEABLE:
        return None


def _first_address(message: EmailMessage, header: str) -> Address | None:
    value = _header(message, header)
    addresses = getattr(value, "addresses", ()) if value is not None else ()
    for address in addresses:
        if address.addr_spec and "@" in address.addr_spec:
            return address  # type: ignore[no-any-return]
    return None


def _recipient(message: EmailMessage) -> str | None:
    for header in ("Delivered-To", "To"):
        address = _first_address(message, header)
        if address is not None:
            return address.addr_spec
    return None


def _first_id(value: object) -> str | None:
    found = _MESSAGE_ID.findall(str(value or ""))
    if found:
        return str(found[0])
    bare = str(value or "").strip()
    return bare or None


def _date(message: EmailMessage) -> datetime | None:
    value = _header(message, "Date")
    if value is None:
        return None
    try:
        parsed = parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    return to_utc(parsed.isoformat())


def _body_text(message: EmailMessage) -> str:
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None:
        return _strip_quote(_content(plain)).strip()
    rich = message.get_body(preferencelist=("html",))
    if rich is not None:
        return _strip_quote(html_to_text(_content(rich))).strip()
    return ""


def _content(part: object) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, ValueError):  # unknown charset or broken transfer encoding
        payload = part.get_payload(decode=True) or b""  # type: ignore[attr-defined]
        content = payload.decode("utf-8", errors="replace")
    return content if isinstance(content, str) else ""


def _strip_quote(text: str) -> str:
    """Drop the quoted previous message at the end: a block of ``>`` lines and the attribution line
    before it ("Am … schrieb …:", "On … wrote:")."""
    lines = text.replace("\r\n", "\n").split("\n")
    end = len(lines)
    while end > 0 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith(">")):
        end -= 1
    if end > 0 and _ATTRIBUTION.match(lines[end - 1]):
        end -= 1
    return "\n".join(lines[:end]) if end > 0 else text


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "table"})
    _SKIP = frozenset({"script", "style", "head", "title", "blockquote"})  # blockquote: the quoted mail

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Plain text of an HTML body: tags dropped, entities decoded, block elements as line breaks."""
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).split("\n"))
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()

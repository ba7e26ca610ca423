"""Inbound e-mail: SES stores the raw message in S3 and notifies over SNS; we enqueue a record for ingest.

The ack side only reads the SES notification (never the mail itself); ingest fetches the raw message
from S3 and parses it, so a failure there is retried and ends in the dead-letter queue, never lost.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from kanal.channels.email import locate_ses_object
from kanal.errors import MalformedPayload

SOURCE = "email"
REJECTED_VERDICTS = frozenset({"FAIL"})
VERDICTS = frozenset({"PASS", "FAIL", "GRAY", "PROCESSING_FAILED", "DISABLED"})  # DISABLED: scanning off


class MailStore(Protocol):
    def raw(self, bucket: str, key: str) -> bytes: ...


def ses_records(notification: dict[str, Any]) -> list[dict[str, Any]]:
    """The ingest records of one SES receipt notification; [] for spam or a virus."""
    receipt = notification.get("receipt")
    mail = notification.get("mail")
    if not isinstance(receipt, dict) or not isinstance(mail, dict):
        raise MalformedPayload("SES notification needs 'receipt' and 'mail'")
    verdicts = {_status(receipt, name) for name in ("spamVerdict", "virusVerdict")}
    if verdicts & REJECTED_VERDICTS:
        return []
    bucket, key = locate_ses_object(notification)
    recipients = receipt.get("recipients") or mail.get("destination") or [None]
    return [
        {
            "source": SOURCE,
            "key": f"email:{mail.get('messageId') or key}",
            "kind": "email.ses",
            "bucket": bucket,
            "object_key": key,
            "mailbox": recipients[0],
            "sender_verified": sender_verified(receipt),
        }
    ]


def _status(receipt: dict[str, Any], name: str) -> str | None:
    verdict = receipt.get(name)
    status = verdict.get("status") if isinstance(verdict, dict) else None
    return status if isinstance(status, str) and status in VERDICTS else None


def sender_verified(receipt: dict[str, Any]) -> bool:
    """Whether SES's checks vouch for the From address: DMARC did not fail, and SPF or DKIM passed.

    DMARC ties the From domain to an SPF- or DKIM-authenticated domain; where the sender's domain
    publishes no DMARC record (GRAY) a pass of SPF or DKIM is what is left. A missing verdict is no pass.
    """
    if _status(receipt, "dmarcVerdict") == "FAIL":
        return False
    return "PASS" in (_status(receipt, "spfVerdict"), _status(receipt, "dkimVerdict"))


def sns_notification(message: str) -> dict[str, Any]:
    try:
        data = json.loads(message)
    except json.JSONDecodeError as error:
        raise MalformedPayload("SNS message is not a JSON SES notification") from error
    if not isinstance(data, dict):
        raise MalformedPayload("SNS message is not a JSON SES notification")
    return data


class S3MailStore:
    def __init__(self, client: Any) -> None:
        self.client = client

    def raw(self, bucket: str, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=bucket, Key=key)["Body"].read())

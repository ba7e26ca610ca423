"""Every SNS e-mail and SMS the local stack would have sent, in the order they were published.

The emulator delivers nothing to `email`, `email-json` or `sms` subscriptions; `emulator.needs` hands each
delivery it would have made, after the subscription's filter policy, to `NotificationLog.record`.
`GET /local/notifications` lists them. Publishes happen in many threads (handlers, Step Functions tasks),
so the log is guarded by a lock. Nothing here is logged: the items carry addresses and message text.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from typing import Any

from kanal_local.emulator.needs import Delivery

# Message attributes the notifying code sets on each publish (see docs/local.md).
ALWAYS = ("kind", "inquiry_id", "recipient")
WHERE_PRESENT = ("team", "band", "channel")


def _digits(address: str) -> str:
    """A phone number as SNS compares SMS endpoints: without the separators it accepts."""
    return re.sub(r"[ ./-]", "", address)


class NotificationLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[dict[str, Any]] = []

    def record(self, delivery: Delivery) -> None:
        attributes = delivery.attributes
        item: dict[str, Any] = {name: attributes.get(name) for name in ALWAYS}
        item.update(
            protocol="sms" if delivery.protocol == "sms" else "email",
            address=delivery.endpoint,
            subject=delivery.subject,
            text=delivery.text,
        )
        item.update({name: attributes[name] for name in WHERE_PRESENT if name in attributes})
        item.update(
            at=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            message_id=delivery.message_id,
        )
        with self._lock:
            self._items.append(item)

    def items(self) -> list[dict[str, Any]]:
        """Every recorded notification, oldest first (a copy)."""
        with self._lock:
            return [dict(item) for item in self._items]

    def last_sms_to(self, number: str) -> dict[str, Any] | None:
        """The latest SMS sent to ``number``, the one a reply from it answers."""
        wanted = _digits(number)
        with self._lock:
            for item in reversed(self._items):
                if item["protocol"] == "sms" and _digits(item["address"]) == wanted:
                    return dict(item)
        return None

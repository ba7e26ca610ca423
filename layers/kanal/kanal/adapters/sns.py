"""Notifications over SNS: one publish per recipient, delivered to that recipient's own subscriptions.

Each agent (and each on-call contact) has an ``email`` and an ``sms`` subscription on the notifications
topic whose filter policy names them and the protocol: ``{"recipient": [id], "deliver": [protocol]}``. A
publish carries ``recipient``, ``deliver`` (the protocols this notice goes out on) and, for subscriptions
that want to filter further, ``kind``, ``team``, ``band``, ``channel`` and ``inquiry_id``.
"""

from __future__ import annotations

import json
from typing import Any

from kanal.observability import logger
from kanal.routing.notices import Notice

PROTOCOLS = {"email": "email", "sms": "phone"}  # protocol -> the profile field that is its endpoint


def _string(value: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": value}


class SnsNotifier:
    def __init__(self, client: Any, topic_arn: str) -> None:
        self.client = client
        self.topic_arn = topic_arn

    def notify(self, notice: Notice) -> None:
        self.client.publish(
            TopicArn=self.topic_arn,
            Subject=notice.subject[:100],
            MessageStructure="json",
            Message=json.dumps({"default": notice.email, "email": notice.email, "sms": notice.sms}),
            MessageAttributes={
                "kind": _string(notice.kind),
                "inquiry_id": _string(notice.inquiry_id),
                "recipient": _string(notice.recipient),
                "team": _string(notice.team),
                "band": _string(notice.band),
                "channel": _string(notice.channel),
                "deliver": {"DataType": "String.Array", "StringValue": json.dumps(list(notice.deliver))},
            },
        )
        logger.info(
            "notification published",
            extra={"kind": notice.kind, "inquiry_id": notice.inquiry_id, "recipient": notice.recipient},
        )

    def subscribe(
        self, recipient: str, endpoints: dict[str, str | None], current: dict[str, Any]
    ) -> dict[str, Any]:
        """Make ``recipient``'s subscriptions match ``endpoints`` (protocol -> address or None): subscribe
        new addresses, unsubscribe stale ones. Returns the subscriptions to remember."""
        kept: dict[str, Any] = {}
        for protocol, endpoint in endpoints.items():
            known = current.get(protocol) or {}
            if known and known.get("endpoint") == endpoint:
                kept[protocol] = known
                continue
            if known.get("arn"):
                self._unsubscribe(known["arn"])
            if not endpoint:
                continue
            response = self.client.subscribe(
                TopicArn=self.topic_arn,
                Protocol=protocol,
                Endpoint=endpoint,
                ReturnSubscriptionArn=True,
                Attributes={"FilterPolicy": json.dumps({"recipient": [recipient], "deliver": [protocol]})},
            )
            kept[protocol] = {"endpoint": endpoint, "arn": response["SubscriptionArn"]}
        return kept

    def _unsubscribe(self, arn: str) -> None:
        try:
            self.client.unsubscribe(SubscriptionArn=arn)
        except self.client.exceptions.NotFoundException:
            logger.info("stale subscription already gone")

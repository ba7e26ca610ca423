"""Notifications over SNS: the topic fans out to agents' e-mail and SMS subscriptions."""

from __future__ import annotations

import json
from typing import Any


class SnsNotifier:
    def __init__(self, client: Any, topic_arn: str) -> None:
        self.client = client
        self.topic_arn = topic_arn

    def notify(self, subject: str, message: dict[str, Any]) -> None:
        self.client.publish(
            TopicArn=self.topic_arn,
            Subject=f"Kanal: {subject}"[:100],
            Message=json.dumps(message),
            MessageAttributes={"kind": {"DataType": "String", "StringValue": subject}},
        )

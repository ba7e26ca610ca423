"""What a run reads from the stack it sent to, for its books and its follower: which messages the messages
table holds, the ingest queue's depth, the dead-letter queue's record keys, the inquiries each message
opened. Operator reads, never a request path of the product."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from kanal_local.load.target import Inspection
from kanal_local.traffic import Message


def stored_messages(inspection: Inspection, messages: Iterable[Message]) -> dict[str, str]:
    """Message key -> inquiry id, for every given message the messages table holds (100 keys a call)."""
    keys = list(dict.fromkeys(m.key for m in messages))
    found: dict[str, str] = {}
    for start in range(0, len(keys), 100):
        request: dict[str, Any] = {
            inspection.messages_table: {
                "Keys": [{"key": {"S": key}} for key in keys[start : start + 100]],
                "ProjectionExpression": "#k, inquiry_id",
                "ExpressionAttributeNames": {"#k": "key"},
                "ConsistentRead": True,
            }
        }
        while request:
            answer = inspection.dynamodb.batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(inspection.messages_table, []):
                found[item["key"]["S"]] = item.get("inquiry_id", {}).get("S", "")
            request = answer.get("UnprocessedKeys") or {}
    return found


def queue_depth(inspection: Inspection) -> int:
    """Records in the ingest queue, waiting or in flight."""
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attributes = inspection.sqs.get_queue_attributes(QueueUrl=inspection.queue_url, AttributeNames=names)[
        "Attributes"
    ]
    return sum(int(attributes.get(name, "0")) for name in names)


def dead_lettered_keys(inspection: Inspection, limit: int = 100_000) -> Counter[str]:
    """The record keys in the dead-letter queue (listing changes nothing: each is made visible again)."""
    from kanal_local.dlq import Target as QueueTarget
    from kanal_local.dlq import list_records

    target = QueueTarget(inspection.sqs, inspection.dead_letter_url, inspection.queue_url)
    return Counter(str(record.get("key")) for record in list_records(target, limit))


def inquiries_per_message(inspection: Inspection, keys: set[str]) -> Counter[str]:
    """How many inquiries each of these messages opened. An operator's read of the whole inquiries
    table (a Scan, projected to two attributes), never a request path of the product."""
    counts: Counter[str] = Counter()
    paginator = inspection.dynamodb.get_paginator("scan")
    pages = paginator.paginate(
        TableName=inspection.inquiries_table,
        ProjectionExpression="channel, external_id",
        ConsistentRead=True,
    )
    for page in pages:
        for item in page["Items"]:
            key = f"{item.get('channel', {}).get('S')}#{item.get('external_id', {}).get('S')}"
            if key in keys:
                counts[key] += 1
    return counts

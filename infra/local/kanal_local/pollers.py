"""SQS event source mappings, polled as Lambda's pollers do.

Each mapping gets a thread that long-polls its queue, invokes the function with a batch, deletes what
succeeded (honouring `ReportBatchItemFailures`) and leaves the rest to become visible again after the
queue's visibility timeout; after `maxReceiveCount` receives the queue's redrive policy moves a record
to its dead-letter queue. Nothing is deleted that the function did not process.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any

import boto3

from kanal_local.runtime import Dispatcher, FunctionError

log = logging.getLogger("kanal.local")


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    body = message["Body"]
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": body,
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "dataType": value["DataType"],
                "stringListValues": [],
                "binaryListValues": [],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


class SqsPoller(threading.Thread):
    def __init__(self, dispatcher: Dispatcher, mapping: dict[str, Any], region: str) -> None:
        super().__init__(name=f"sqs-poller-{mapping['queue_name']}", daemon=True)
        self.dispatcher = dispatcher
        self.mapping = mapping
        self.region = region
        self.stopping = threading.Event()
        self.sqs = boto3.client("sqs", region_name=region)
        self.queue_url = self.sqs.get_queue_url(QueueName=mapping["queue_name"])["QueueUrl"]
        self.function = mapping["function_arn"].rsplit(":", 1)[-1]
        self.partial = "ReportBatchItemFailures" in mapping["response_types"]

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.poll_once(wait_seconds=1)
            except Exception:  # keep polling, as Lambda's poller does; the error is logged
                log.exception("poller for %s failed; retrying", self.mapping["queue_name"])
                self.stopping.wait(1)

    def poll_once(self, wait_seconds: int = 0) -> int:
        """Receive one batch and process it; return how many records were received."""
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(10, self.mapping["batch_size"]),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        records = [sqs_record(m, self.mapping["queue_arn"], self.region) for m in messages]
        try:
            result = self.dispatcher.call(self.function, {"Records": records})
        except FunctionError:
            return len(messages)  # the whole batch becomes visible again after the visibility timeout
        failed = set()
        if self.partial and isinstance(result, dict):
            failed = {item["itemIdentifier"] for item in result.get("batchItemFailures") or []}
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                for i, m in enumerate(done[start : start + 10])
            ]
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
        return len(messages)

    def stop(self) -> None:
        self.stopping.set()

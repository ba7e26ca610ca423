"""The ingest queue of the functions that feed it (the webhooks, inbound e-mail): one SQS client, created
with the first record to send."""

from __future__ import annotations

from functools import cache

import boto3

from kanal.config import load
from kanal.intake.records import RecordQueue


@cache
def queue() -> RecordQueue:
    config = load("ingest_queue_url", "secrets_prefix")
    return RecordQueue(boto3.client("sqs"), config.ingest_queue_url)

"""What every webhook function shares: the resolver, its error mapping and the ingest queue."""

from __future__ import annotations

import base64
from functools import cache

import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from kanal.api import http
from kanal.config import load
from kanal.intake.records import RecordQueue
from kanal.intake.webhooks import accept_delivery


def resolver() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver()
    http.register(app)
    return app


@cache
def queue() -> RecordQueue:
    config = load("ingest_queue_url", "secrets_prefix")
    return RecordQueue(boto3.client("sqs"), config.ingest_queue_url)


def raw_body(app: APIGatewayRestResolver) -> bytes:
    event = app.current_event
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8")


def enqueue_delivery(app: APIGatewayRestResolver, source: str, secret: str) -> dict[str, int]:
    """Verify, split and enqueue the current request's delivery; answer how many records it held."""
    config = load("ingest_queue_url")
    records = accept_delivery(
        source, raw_body(app), app.current_event.headers, secret, config.max_webhook_body_bytes
    )
    queue().send(records)
    return {"accepted": len(records)}

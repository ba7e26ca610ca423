"""What every webhook function shares: its routes on the API Gateway proxy event, the error mapping and the
ingest queue.

A webhook function serves one path with one or two methods, so it routes the REST API's proxy event
itself (``httpMethod`` and ``resource``, https://docs.aws.amazon.com/apigateway/latest/developerguide/
set-up-lambda-proxy-integrations.html, "Input format of a Lambda function for proxy integration") instead
of importing powertools' event handler, whose package loads every resolver it has (AppSync with asyncio,
Bedrock agents, OpenAPI models): a third of the time ``import boto3`` takes, on the ack path's cold start.
Typed errors become their status and ``{"error": ...}`` exactly as ``kanal.api.http`` maps them; any
other exception propagates, and API Gateway answers 502 (as it did with the resolver).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kanal.api import http
from kanal.config import load
from kanal.errors import KanalError, MalformedPayload
from kanal.intake.ingest_queue import queue
from kanal.intake.webhooks import accept_delivery
from kanal.observability import logger, metrics

APPLICATION_JSON = "application/json"
TEXT_PLAIN = "text/plain"


@dataclass(frozen=True)
class Request:
    """One webhook request: header names lower-cased (HTTP's are case-insensitive), the raw body."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @classmethod
    def of(cls, event: dict[str, Any]) -> Request:
        body = event.get("body") or ""
        try:
            raw = base64.b64decode(body, validate=True) if event.get("isBase64Encoded") else body.encode()
        except binascii.Error as error:
            raise MalformedPayload("body is marked base64 but is not") from error
        return cls(
            method=str(event.get("httpMethod") or "").upper(),
            path=str(event.get("resource") or event.get("path") or ""),
            query=dict(event.get("queryStringParameters") or {}),
            headers={str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()},
            body=raw,
        )

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Text:
    """A plain-text answer (Meta's handshake echoes its challenge as text)."""

    body: str


Answer = dict[str, Any] | Text
Route = Callable[[Request], Answer]


def answer(status: int, body: Any, content_type: str = APPLICATION_JSON) -> dict[str, Any]:
    text = body if content_type == TEXT_PLAIN else json.dumps(body)
    return {"statusCode": status, "headers": {"Content-Type": content_type}, "body": text}


class WebhookApp:
    """The routes of one webhook function, keyed on (method, resource path)."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Route] = {}

    def route(self, method: str, path: str) -> Callable[[Route], Route]:
        def register(view: Route) -> Route:
            self.routes[(method.upper(), path)] = view
            return view

        return register

    def get(self, path: str) -> Callable[[Route], Route]:
        return self.route("GET", path)

    def post(self, path: str) -> Callable[[Route], Route]:
        return self.route("POST", path)

    def resolve(self, event: dict[str, Any], context: object = None) -> dict[str, Any]:
        try:
            request = Request.of(event)
            view = self.routes.get((request.method, request.path))
            if view is None:
                return answer(404, {"error": "no such route"})
            result = view(request)
        except KanalError as error:
            status = http.status_of(error)
            if status == 500:
                raise
            logger.info("request refused", extra={"error_type": type(error).__name__, "status": status})
            if status == 401:  # WebhookSignatureBurstAlarm: a rotated secret not yet put, or probing
                metrics.add_metric(name="WebhookSignatureRejected", unit="Count", value=1)
            return answer(status, http.error_body(error))
        if isinstance(result, Text):
            return answer(200, result.body, TEXT_PLAIN)
        return answer(200, result)


def enqueue_delivery(request: Request, source: str, secret: str) -> dict[str, int]:
    """Verify, split and enqueue a delivery; answer how many records it held."""
    config = load("ingest_queue_url")
    records = accept_delivery(source, request.body, request.headers, secret, config.max_webhook_body_bytes)
    queue().send(records)
    return {"accepted": len(records)}

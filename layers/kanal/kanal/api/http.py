"""HTTP errors mapped in one place: typed domain errors to status codes and a JSON ``{"error": ...}``."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types

from kanal.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidDocument,
    InvalidRules,
    InvalidSignature,
    NotFound,
    PayloadTooLarge,
)
from kanal.observability import logger

STATUS: dict[type[Exception], int] = {
    InvalidRules: 400,
    InvalidDocument: 400,
    BadRequest: 400,
    InvalidSignature: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    PayloadTooLarge: 413,
}


def status_of(error: Exception) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 500


def error_body(error: Exception) -> dict[str, Any]:
    body: dict[str, Any] = {"error": str(error) or type(error).__name__}
    if isinstance(error, InvalidRules | InvalidDocument):
        body["errors"] = error.errors
    reason, options = getattr(error, "reason", None), getattr(error, "options", None)
    if isinstance(reason, str) and isinstance(options, list):  # a channel's window refused it
        body["reason"], body["options"] = reason, options
    approval = getattr(error, "approval", None)
    if isinstance(approval, dict):  # a reply that needs approval: the rule and the approving team
        body["approval"] = approval
    return body


def json_response(status: int, body: Any) -> Response[str]:
    return Response(status, content_types.APPLICATION_JSON, json.dumps(body))


def register(app: APIGatewayRestResolver) -> None:
    """Answer every typed error with its status; anything else is logged and becomes a 500."""

    @app.exception_handler(list(STATUS))
    def typed(error: Exception) -> Response[str]:
        logger.info("request refused", extra={"error_type": type(error).__name__, "status": status_of(error)})
        return json_response(status_of(error), error_body(error))

    @app.not_found
    def not_found(_: Exception) -> Response[str]:
        return json_response(404, {"error": "no such route"})

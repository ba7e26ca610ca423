"""HTTP errors mapped in one place: typed domain errors to status codes and a JSON ``{"error": ...}``.

Used by the agent API (`app.py`) and the webhooks (`kanal.intake.webhook_app`); it imports no web
framework, so neither pays for another one at cold start.
"""

from __future__ import annotations

from typing import Any

from kanal.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidDocument,
    InvalidRules,
    InvalidSignature,
    NotFound,
    NotSignedIn,
    PayloadTooLarge,
)

STATUS: dict[type[Exception], int] = {
    InvalidRules: 400,
    InvalidDocument: 400,
    BadRequest: 400,
    InvalidSignature: 401,
    NotSignedIn: 401,
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

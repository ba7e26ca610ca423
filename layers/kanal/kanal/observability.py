"""The one place that creates Kanal's logger, tracer and metrics.

Log structured keys only: never message text, handles, e-mail addresses or phone numbers.

``tracer`` (powertools' Tracer, which imports the X-Ray SDK) is created when a module first imports it,
so a function that does not (the webhooks: Lambda's active tracing records their invocations without an
SDK) does not pay for it at cold start.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

logger = Logger(service="kanal")
metrics = Metrics(namespace="Kanal", service="kanal")


@cache
def _tracer() -> Tracer:
    from aws_lambda_powertools import Tracer

    return Tracer(service="kanal")


def __getattr__(name: str) -> Any:
    if name == "tracer":
        return _tracer()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

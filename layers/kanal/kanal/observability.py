"""The one place that creates Kanal's logger, tracer and metrics.

Log structured keys only: never message text, handles, e-mail addresses or phone numbers.

Tracing: every function runs with Lambda's active tracing (``Tracing: Active``), which records each
invocation, its initialisation and its duration in X-Ray without any SDK in the function. powertools'
Tracer (the X-Ray SDK, which adds a subsegment per AWS call) costs more at cold start than ``import boto3``
itself (docs/decisions.md), so ``traced`` applies it only where ``KANAL_XRAY_SDK`` is ``true`` (the
template's ``XRaySdk`` parameter). ``tracer`` is created when a module first imports the name.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics

from kanal.config import config

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

logger = Logger(service="kanal")
metrics = Metrics(namespace="Kanal", service="kanal")

Handler = TypeVar("Handler", bound=Callable[..., Any])

# Lambda's AWS_LAMBDA_INITIALIZATION_TYPE: on-demand, provisioned-concurrency or snap-start
# (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html, "Defined runtime environment
# variables"). Where an environment is initialised before any request reaches it, work done at import
# delays no request.
AHEAD_OF_REQUESTS = ("provisioned-concurrency", "snap-start")


@cache
def _tracer() -> Tracer:
    from aws_lambda_powertools import Tracer

    return Tracer(service="kanal")


def __getattr__(name: str) -> Any:
    if name == "tracer":
        return _tracer()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def xray_sdk() -> bool:
    return config().xray_sdk


def traced(handler: Handler) -> Handler:
    """The handler under powertools' Tracer where the X-Ray SDK is switched on; else the handler itself."""
    if not xray_sdk():
        return handler
    return cast(Handler, _tracer().capture_lambda_handler(handler))


def initialised_ahead() -> bool:
    """True where Lambda initialises this environment before it serves a request (provisioned
    concurrency, SnapStart): a function then creates at import what its first request would."""
    return config().initialization_type in AHEAD_OF_REQUESTS

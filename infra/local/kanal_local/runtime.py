"""In-process Lambda runtime: runs the handler a function's template entry names, under its own role."""

from __future__ import annotations

import importlib
import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kanal_local import iam
from kanal_local.moto_glue import error_payload

log = logging.getLogger("kanal.local")


@dataclass
class LambdaContext:
    """The context object Lambda passes to a handler (the attributes powertools reads)."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout - (time.monotonic() - self.started)) * 1000))


@dataclass
class LocalFunction:
    name: str  # the deployed (physical) function name
    logical_id: str
    arn: str
    code_dir: Path
    handler: str
    role: iam.RolePolicies
    timeout: float
    memory: int
    _entry: Any = None
    # One execution environment: Lambda gives each environment one invocation at a time, and handlers
    # rely on it (module-level resolvers and loggers hold the current event).
    busy: threading.Lock = field(default_factory=threading.Lock)


class FunctionError(Exception):
    """A handler raised: Lambda reports it as a function error with this payload."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload.get("errorMessage"))
        self.payload = payload


# Told of every invocation once it ends: (function, event, seconds it ran, whether it was a cold start).
# The seconds are what Lambda bills: from the handler's start (the module's import first, on a cold start)
# to its return, without the wait for the execution environment.
Observer = Callable[[LocalFunction, Any, float, bool], None]


class Foreground:
    """Requests first. In AWS every function runs in execution environments of its own, so ingest draining
    a backlog takes nothing from the webhook function acknowledging the next delivery. Here all functions
    share one interpreter, and its lock would share one core between them. So while the local HTTP server
    serves a request (a webhook delivery, an agent API call, a local route; `server._request_handler`
    marks each from its first line to its answer), background work (the SQS pollers' invocations, Step
    Functions' tasks and their handlers) takes its next AWS call only once no request is in flight (the
    waiting calls one after another then), or after `limit` seconds at most, so it is never starved. It
    waits between calls, never inside one, and never while it holds the emulator's DynamoDB lock."""

    def __init__(self, limit: float = 1.0) -> None:
        self.limit = limit
        self._in_flight = 0
        self._idle = threading.Condition()
        self._local = threading.local()

    def begin(self) -> None:
        """A request starts in this thread (`end` once it is answered)."""
        with self._idle:
            self._in_flight += 1
        self._local.depth = getattr(self._local, "depth", 0) + 1

    def end(self) -> None:
        self._local.depth -= 1
        with self._idle:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.notify()  # one background call per gap: a herd woken at once would crowd the next

    def wait_turn(self) -> None:
        """Called before every AWS call: a background thread waits while a request is in flight."""
        if not self._in_flight or getattr(self._local, "depth", 0):
            return
        with self._idle:
            if self._idle.wait_for(lambda: not self._in_flight, timeout=self.limit):
                self._idle.notify()  # still no request: the next waiting call goes too (a chain, not a herd)


class Dispatcher:
    """Finds and runs handlers; records every invocation for inspection."""

    def __init__(self) -> None:
        self.foreground = Foreground()
        self.functions: dict[str, LocalFunction] = {}
        self.by_logical_id: dict[str, LocalFunction] = {}
        self._import_lock = threading.Lock()
        self.invocations: dict[str, int] = {}
        self.observers: list[Observer] = []

    def register(self, function: LocalFunction) -> None:
        self.functions[function.name] = function
        self.by_logical_id[function.logical_id] = function

    def _entry(self, function: LocalFunction) -> Any:
        if function._entry is None:
            module_name, attr = function.handler.rsplit(".", 1)
            with self._import_lock:
                code_dir = str(function.code_dir)
                if code_dir not in sys.path:
                    sys.path.insert(0, code_dir)
                token = iam.current_role.set(function.role)  # cold start runs under the role too
                try:
                    function._entry = getattr(importlib.import_module(module_name), attr)
                finally:
                    iam.current_role.reset(token)
        return function._entry

    def invoke(self, name: str, event: Any) -> tuple[Any, str | None]:
        """Run a function; return (result, error type or None) like Lambda's Invoke."""
        function = self.functions.get(name) or self.by_logical_id[name]
        self.invocations[function.logical_id] = self.invocations.get(function.logical_id, 0) + 1
        context = LambdaContext(
            function.name,
            function.arn,
            function.memory,
            function.timeout,
            log_group_name=f"/aws/lambda/{function.name}",
        )
        token = iam.current_role.set(function.role)
        try:
            with function.busy:
                return self._run(function, event, context), None
        except Exception as exc:  # a handler's unhandled error is the function's error, as in Lambda
            level = logging.INFO if getattr(exc, "control_flow", False) else logging.WARNING
            log.log(level, "function %s failed: %s", function.logical_id, type(exc).__name__)
            payload = error_payload(exc)
            return payload, payload["errorType"]
        finally:
            iam.current_role.reset(token)
            elapsed = time.monotonic() - context.started
            if elapsed > function.timeout:
                log.warning(
                    "function %s ran %.1fs, over its %ss timeout",
                    function.logical_id,
                    elapsed,
                    function.timeout,
                )

    def _run(self, function: LocalFunction, event: Any, context: LambdaContext) -> Any:
        cold, began = function._entry is None, time.perf_counter()
        try:
            return self._entry(function)(event, context)
        finally:
            for observe in list(self.observers):
                observe(function, event, time.perf_counter() - began, cold)

    def call(self, logical_id: str, event: Any) -> Any:
        """Invoke and raise FunctionError on a function error (for the gateway and the pollers)."""
        result, error = self.invoke(logical_id, event)
        if error is not None:
            raise FunctionError(result)
        return result

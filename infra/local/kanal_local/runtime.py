"""In-process Lambda runtime: runs the handler a function's template entry names, under its own role."""

from __future__ import annotations

import gc
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
from kanal_local.emulator.needs import error_payload

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
    Functions' tasks and their handlers) takes its next AWS call only once no request has been in flight
    for `quiet` seconds (the waiting calls one after another then), or after `limit` seconds at most, so
    it is never starved; calls that go for the limit go one per `spacing` seconds, not as a herd. It waits
    between calls, never inside one, and never while it holds the emulator's DynamoDB lock."""

    def __init__(self, limit: float = 1.0, quiet: float = 0.02, spacing: float = 0.02) -> None:
        self.limit = limit
        self.quiet = quiet
        self.spacing = spacing
        self._in_flight = 0
        self._last_end = 0.0
        self._last_forced = 0.0
        self._idle = threading.Condition()
        self._local = threading.local()

    def quiet_for(self) -> float:
        """Seconds since the last request ended (0 while one is in flight)."""
        return 0.0 if self._in_flight else time.monotonic() - self._last_end

    def begin(self) -> None:
        """A request starts in this thread (`end` once it is answered)."""
        with self._idle:
            self._in_flight += 1
        self._local.depth = getattr(self._local, "depth", 0) + 1

    def end(self) -> None:
        self._local.depth -= 1
        with self._idle:
            self._in_flight -= 1
            self._last_end = time.monotonic()
            if not self._in_flight:
                self._idle.notify()  # one background call per gap: a herd woken at once would crowd the next

    def wait_turn(self) -> None:
        """Called before every AWS call: a background thread that finds a request in flight waits."""
        if not self._in_flight or getattr(self._local, "depth", 0) > 0:
            return
        deadline = time.monotonic() + self.limit
        with self._idle:
            while True:
                now = time.monotonic()
                quiet_for = now - self._last_end
                if not self._in_flight and quiet_for >= self.quiet:
                    self._idle.notify()  # still no request: the next waiting call goes too (a chain)
                    return
                if now >= deadline:
                    if now - self._last_forced >= self.spacing:
                        self._last_forced = now
                        return
                    self._idle.wait(timeout=self.spacing - (now - self._last_forced))
                    continue
                wait = deadline - now if self._in_flight else min(deadline - now, self.quiet - quiet_for)
                self._idle.wait(timeout=wait)


class Collector:
    """The garbage collector's oldest generation, collected while requests are quiet. Here one heap holds
    every function and the emulator's state, so a full collection pauses every thread at once (130-260 ms
    with a few thousand inquiries stored, a dozen times a minute under load: the local ack's p99). Python
    collects the young generations as before; the oldest one is collected by this thread once requests
    have been quiet for `idle` seconds, and at least every `most` seconds whatever the traffic, so memory
    held in reference cycles is still given back. `stop` puts Python's own thresholds back."""

    def __init__(self, foreground: Foreground, idle: float = 0.5, least: float = 5.0, most: float = 60.0):
        self.foreground = foreground
        self.idle, self.least, self.most = idle, least, most
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._thresholds = gc.get_threshold()
        self.full_collections = 0

    def start(self) -> Collector:
        young, middle, _ = self._thresholds
        gc.set_threshold(young, middle, 1 << 30)  # no automatic full collection (threshold2: gen1 runs)
        self._thread = threading.Thread(target=self._run, name="collector", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        last = time.monotonic()
        while not self._stopping.wait(0.25):
            since = time.monotonic() - last
            if (since >= self.least and self.foreground.quiet_for() >= self.idle) or since >= self.most:
                gc.collect()
                self.full_collections += 1
                last = time.monotonic()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        gc.set_threshold(*self._thresholds)


class Dispatcher:
    """Finds and runs handlers; records every invocation for inspection."""

    def __init__(self) -> None:
        self.foreground = Foreground()
        self.functions: dict[str, LocalFunction] = {}
        self.by_logical_id: dict[str, LocalFunction] = {}
        self._import_lock = threading.Lock()
        self.invocations: dict[str, int] = {}
        self.errors: dict[str, int] = {}  # by logical id, as Lambda's Errors metric counts them
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
            self.errors[function.logical_id] = self.errors.get(function.logical_id, 0) + 1
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

"""Calls to the platforms over HTTP: one requests session, retries with tenacity, answers read per platform.

An answer is classified by the platform's own reader (``graph.classify``, ``x.classify``): a success gives
its JSON body; an answer worth another attempt raises ``Retriable`` (5xx, 429, Graph throttling codes),
with the wait the platform asked for when it said (``Retry-After``, X's ``x-rate-limit-reset``); anything
else raises ``DeliveryFailed`` at once (a window-closed answer, a bad token, a refused reply).

Retries back off exponentially with jitter (0.5 s doubling, at most 8 s per wait) or wait what the
platform asked for, for at most ``attempts`` attempts and ``max_wait`` seconds of waiting in all: a wait
that would go past it is not started, and the reply fails at once with the platform's error
(``retriable=True``: the caller may try again later). ``time_scale`` (the local stack's) shortens every
wait. A connection that could not be made is retried; a request that got no answer in time is not (the
platform may have sent it), and fails as retriable.

Logs name the API, the operation, the HTTP status and the platform's error code, never a path (it holds
the customer's ids), a body or a token.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base

from kanal.channels.outbound import DeliveryFailed
from kanal.observability import logger

CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 10.0


@dataclass(frozen=True)
class RetryPolicy:
    max_wait: float = 20.0  # seconds of waiting between attempts, all retries together
    attempts: int = 5
    backoff: float = 0.5  # first exponential wait
    backoff_max: float = 8.0  # longest exponential wait
    time_scale: float = 1.0  # every wait is divided by it (the local stack's KANAL_TIME_SCALE)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)


class Retriable(Exception):
    """An answer worth another attempt; ``failure`` is what the reply fails with when the retries end."""

    def __init__(self, failure: DeliveryFailed, after: float | None = None) -> None:
        super().__init__(str(failure))
        self.failure = failure
        self.after = after  # seconds the platform asked to wait, when it said


Classifier = Callable[[Answer, float], None]  # (answer, now as epoch seconds): raise for an error answer


class _waited_over(stop_base):
    """Stop when the waits so far plus the next one would pass ``limit`` seconds."""

    def __init__(self, limit: float) -> None:
        self.limit = limit

    def __call__(self, retry_state: RetryCallState) -> bool:
        return retry_state.idle_for + retry_state.upcoming_sleep > self.limit


def retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds a ``Retry-After`` header asks for (a number or an HTTP date), None when absent."""
    value = headers.get("Retry-After") or headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


class PlatformHttp:
    """One platform's HTTP calls with its answer classifier and the retry policy."""

    def __init__(
        self,
        api: str,
        classify: Classifier,
        policy: RetryPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.api = api
        self.classify = classify
        self.policy = policy or RetryPolicy()
        self.session = session or requests.Session()
        self.sleep = sleep
        self.clock = clock
        self._backoff = wait_exponential_jitter(
            multiplier=self.policy.backoff, max=self.policy.backoff_max, jitter=self.policy.backoff
        )

    def request(
        self,
        operation: str,
        method: str,
        url: str,
        token: str,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """The JSON body of a successful answer; DeliveryFailed when the platform refused or kept failing."""
        policy = self.policy
        retrying = Retrying(
            retry=retry_if_exception_type(Retriable),
            stop=(
                stop_after_attempt(policy.attempts)
                | _waited_over(policy.max_wait)
                | stop_before_delay(policy.max_wait)
            ),
            wait=self._wait,
            sleep=self.sleep,
            before_sleep=lambda state: self._log_retry(operation, state),
            reraise=True,
        )
        try:
            return retrying(self._once, operation, method, url, token, json, params)
        except Retriable as error:
            failure = error.failure
            logger.warning("platform call failed after retries", extra=self._facts(operation, failure))
            raise failure from None
        except DeliveryFailed as failure:
            logger.warning("platform call refused", extra=self._facts(operation, failure))
            raise

    def _facts(self, operation: str, failure: DeliveryFailed) -> dict[str, Any]:
        """What a log line may say of a failure: never the message (it can quote the request)."""
        return {
            "api": self.api,
            "operation": operation,
            "code": failure.code,
            "error_type": failure.error_type,
            "retriable": failure.retriable,
        }

    def _once(
        self,
        operation: str,
        method: str,
        url: str,
        token: str,
        json: dict[str, Any] | None,
        params: dict[str, str] | None,
    ) -> dict[str, Any]:
        try:
            response = self.session.request(
                method,
                url,
                json=json,
                params=params,
                headers={"Authorization": f"Bearer {token}"},
                timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            )
        except requests.ConnectionError as error:  # nothing was sent (ConnectTimeout is one too)
            raise Retriable(
                DeliveryFailed(f"{self.api} could not be reached", code="unreachable", retriable=True)
            ) from error
        except requests.Timeout as error:  # sent, but no answer: retrying could send it twice
            raise DeliveryFailed(
                f"{self.api} did not answer in time; the message may or may not have been sent",
                code="timeout",
                retriable=True,
            ) from error
        answer = Answer(response.status_code, _json_object(response), response.headers)
        self.classify(answer, self.clock())
        return answer.body

    def _wait(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        asked = error.after if isinstance(error, Retriable) else None
        seconds = asked if asked is not None else self._backoff(retry_state)
        return max(0.0, seconds) / self.policy.time_scale

    def _log_retry(self, operation: str, retry_state: RetryCallState) -> None:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        facts: dict[str, Any] = (
            self._facts(operation, error.failure) if isinstance(error, Retriable) else {"api": self.api}
        )
        facts["attempt"] = retry_state.attempt_number
        facts["wait_seconds"] = round(retry_state.upcoming_sleep, 3)
        logger.info("platform call retried", extra=facts)


def _json_object(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {"data": body}

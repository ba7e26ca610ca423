"""Sending on an open-loop schedule: each delivery at its planned time, from `--concurrency` senders, with
its answer, ack latency and how late the sender was."""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests

from kanal_local.load.schedule import Plan
from kanal_local.load.target import Target
from kanal_local.traffic import Delivery, Traffic


@dataclass
class Sent:
    delivery: Delivery
    status: int | None  # None: no answer (connection error or timeout)
    seconds: float  # request sent to answer read
    late: float  # how long after its planned time it was sent
    at: float  # time.time() when it was sent
    accepted: int = 0  # records the webhook accepted
    record_keys: tuple[str, ...] = ()  # how the queue names its records (e-mail: the SES message id)
    error: str | None = None


class Progress:
    """One `\\r` line on a terminal, nothing otherwise."""

    def __init__(self, stream: Any = sys.stderr, enabled: bool | None = None) -> None:
        self.stream = stream
        self.enabled = stream.isatty() if enabled is None else enabled
        self._last = 0.0

    def show(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if self.enabled and (force or now - self._last > 0.2):
            self.stream.write("\r" + text.ljust(100)[:100])
            self.stream.flush()
            self._last = now

    def done(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _bar(done: int, total: int, width: int = 24) -> str:
    filled = int(width * done / total) if total else width
    return "[" + "#" * filled + "." * (width - filled) + f"] {done}/{total}"


class Sender:
    """Sends a plan's deliveries on schedule from a pool of threads; each thread has its own session."""

    def __init__(
        self,
        target: Target,
        traffic: Traffic,
        plan: Plan,
        concurrency: int,
        progress: Progress,
        poison: int = 0,
    ) -> None:
        self.target = target
        self.traffic = traffic
        self.plan = plan
        self.concurrency = concurrency
        self.progress = progress
        self.poison = poison
        self.results: list[Sent] = []
        self._lock = threading.Lock()
        self._next = 0
        self._local = threading.local()
        self.deliveries: list[Delivery] = []
        self.give_up_after: float | None = None  # stop taking new deliveries this long after the start
        self.unsent = 0

    def prepare(self) -> None:
        """Build every delivery before the clock starts, so building costs nothing during the run."""
        poison_at = {int((i + 1) * self.plan.count / (self.poison + 1)) for i in range(self.poison)}
        for index in range(self.plan.count):
            if index in poison_at:
                delivery, mention = self.traffic.poison()
                self._refuse_lookup(mention)
            else:
                delivery = self.traffic.next()
            self.deliveries.append(delivery)

    def _refuse_lookup(self, mention_id: str) -> None:
        """The channel sandbox answers this mention's Graph lookups without the mention, every time."""
        if not self.target.local:
            raise ValueError("poison deliveries need the local stack's channel sandbox")
        fault = {"api": "graph", "path_contains": mention_id, "status": 200, "body": {}, "times": 50}
        answer = requests.post(f"{self.target.url}/sandbox/faults", json=fault, timeout=10)
        answer.raise_for_status()

    def run(self) -> float:
        """Send everything; return the seconds from the first planned send to the last answer."""
        self.started = time.perf_counter()
        threads = [
            threading.Thread(target=self._work, name=f"load-{i}", daemon=True)
            for i in range(self.concurrency)
        ]
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            with self._lock:
                done = len(self.results)
            self.progress.show(
                f"sending   {_bar(done, self.plan.count)}  {time.perf_counter() - self.started:5.1f}s"
            )
            time.sleep(0.1)
        for thread in threads:
            thread.join()
        self.progress.show(f"sending   {_bar(len(self.results), self.plan.count)}", force=True)
        self.progress.done()
        return time.perf_counter() - self.started

    def _work(self) -> None:
        session = requests.Session()
        while True:
            with self._lock:
                index = self._next
                self._next += 1
            if index >= len(self.deliveries):
                return
            if self.give_up_after is not None and time.perf_counter() - self.started > self.give_up_after:
                with self._lock:
                    self.unsent += 1
                continue
            wait = self.started + self.plan.due(index) - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            sent = self._send(session, self.deliveries[index], max(0.0, -wait))
            with self._lock:
                self.results.append(sent)

    def _send(self, session: requests.Session, delivery: Delivery, late: float) -> Sent:
        at = time.time()
        started = time.perf_counter()
        try:
            answer = session.post(
                self.target.url + delivery.path,
                data=delivery.body,
                headers=delivery.headers(self.target.secrets),
                timeout=30,
            )
            seconds = time.perf_counter() - started
        except requests.RequestException as error:
            return Sent(delivery, None, time.perf_counter() - started, late, at, error=type(error).__name__)
        sent = Sent(delivery, answer.status_code, seconds, late, at)
        if answer.status_code == 200:
            body = _json_or_empty(answer)
            if delivery.source == "email":
                sent.accepted = 1
                sent.record_keys = (f"email:{body.get('message_id')}",)
            else:
                sent.accepted = int(body.get("accepted", 0))
                sent.record_keys = tuple(m.record_key for m in delivery.messages)
        else:
            sent.error = str(_json_or_empty(answer).get("error", ""))[:200] or None
        return sent


def _json_or_empty(answer: requests.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}

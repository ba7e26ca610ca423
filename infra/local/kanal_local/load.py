"""`kanal load`: realistic signed traffic against the local stack or a deployed one, and the books after it.

    kanal load --rate 200/s --duration 60s [--url URL] [--out FILE]
    kanal load --burst 10000 --within 60s

Deliveries (`kanal_local.traffic`) are sent on an open-loop schedule, each at its planned time whether or
not earlier ones were answered (a platform does not wait for Kanal), from `--concurrency` senders. For
each it records the answer's status and the ack latency (request sent to answer read) and how late the
sender was against the schedule, so a target that slows the senders down is seen, not hidden.

Then, while the records drain through the ingest queue, sample deliveries are followed to their inquiry:
the time until the message is stored (its inquiry exists) and until the inquiry is routed (no longer
`new`: in a team's queue or with an agent), read through the agent API with an admin token. At the end
the books: every record the webhooks accepted is a stored message (or a duplicate recognised as one) or
a record in the dead-letter queue; whatever is neither is named, and so is any message that opened two
inquiries. The books need to read the tables and the queues: on the local stack through the emulator's
AWS endpoint (`kanal local` serves it on port + 1), for a deployed stack with `--stack NAME` and AWS
credentials; without them the books are not checked and the report says so.

Exit status: 0 when every delivery was acknowledged and the books balance, 3 when a check failed, 1 when
the target cannot be reached, 2 for bad flags.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from kanal_local.traffic import Delivery, Message, Traffic, mix_of

DEFAULT_URL = "http://127.0.0.1:{port}"
PERCENTILES = (50, 95, 99)
SAMPLES = 50


# ------------------------------------------------------------------------------------------- figures


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least ``share`` percent at or below it."""
    if not values:
        return None
    if not 0 < share <= 100:
        raise ValueError(f"percentile must be in (0, 100], not {share}")
    ordered = sorted(values)
    rank = math.ceil(share / 100 * len(ordered))
    return ordered[max(rank, 1) - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, float | int | None]:
    """Count, p50/p95/p99 and max of durations given in seconds, in milliseconds."""
    figures: dict[str, float | int | None] = {"count": len(seconds)}
    for share in PERCENTILES:
        value = percentile(seconds, share)
        figures[f"p{share}"] = None if value is None else round(value * 1000, 2)
    figures["max"] = round(max(seconds) * 1000, 2) if seconds else None
    return figures


# --------------------------------------------------------------------------------------------- flags


def rate_value(text: str) -> float:
    """``200/s``, ``12000/min``, ``200`` (per second) as deliveries per second."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*(s|sec|second|m|min|minute|h|hour))?\s*", text)
    if not found or float(found.group(1)) <= 0:
        raise argparse.ArgumentTypeError(
            f"rate must be a positive number per s, min or h (200/s), not {text!r}"
        )
    per = {"m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}.get(found.group(2) or "s", 1)
    return float(found.group(1)) / per


def duration_value(text: str) -> float:
    """``60s``, ``2m``, ``1h``, ``90`` (seconds) as seconds."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*", text)
    if not found or float(found.group(1)) <= 0:
        raise argparse.ArgumentTypeError(
            f"duration must be a positive number of ms, s, m or h (60s), not {text!r}"
        )
    unit = {"ms": 0.001, "m": 60, "min": 60, "h": 3600}.get(found.group(2) or "s", 1)
    return float(found.group(1)) * unit


def count_value(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, not {text!r}")
    return value


def share_value(text: str) -> float:
    try:
        value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        value = -1
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be a share between 0 and 1 (or 0-100%), not {text!r}")
    return value


# ------------------------------------------------------------------------------------------- target


@dataclass
class Inspection:
    """What the books read: the messages and inquiries tables and the ingest queues."""

    dynamodb: Any
    sqs: Any
    messages_table: str
    inquiries_table: str
    queue_url: str
    dead_letter_url: str
    # the record keys still in the ingest queue (waiting or in flight), where they can be read without
    # receiving them: the local stack's GET /local/queued; SQS itself has no such read
    queued: Callable[[], Counter[str]] | None = None

    @classmethod
    def of(cls, session_client: Callable[[str], Any], outputs: dict[str, str]) -> Inspection:
        return cls(
            session_client("dynamodb"),
            session_client("sqs"),
            outputs["MessagesTableName"],
            outputs["InquiriesTableName"],
            outputs["IngestQueueUrl"],
            outputs["IngestDeadLetterQueueUrl"],
        )


@dataclass
class Target:
    url: str
    secrets: dict[str, str]
    token: str | None
    local: bool  # the local stack: e-mail through POST /local/email, poison through the sandbox
    inspection: Inspection | None = None


def local_target(url: str | None = None, aws_port: int | None = None) -> Target:
    """The `kanal local` stack on this machine: secrets as the stack reads them, a local admin token, and
    the tables and queues through the emulator's endpoint."""
    import boto3

    from kanal_local.auth import SignInFailed, token_from
    from kanal_local.server import local_secret
    from kanal_local.stack import REGION, STACK_NAME

    port = int(os.environ.get("KANAL_PORT") or 8787)
    url = url or DEFAULT_URL.format(port=port)
    aws_port = aws_port or int(os.environ.get("KANAL_AWS_PORT") or port + 1)
    kwargs = {
        "region_name": REGION,
        "endpoint_url": f"http://127.0.0.1:{aws_port}",
        "aws_access_key_id": "local",
        "aws_secret_access_key": "local",
    }
    secrets = {"meta": local_secret("meta-app-secret"), "x": local_secret("x-consumer-secret")}

    def client(service: str) -> Any:
        return boto3.client(service, **kwargs)  # type: ignore[call-overload]

    def inspection() -> Inspection:
        stack = client("cloudformation").describe_stacks(StackName=STACK_NAME)["Stacks"][0]
        return Inspection.of(client, {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])})

    try:
        token = token_from(url, "admin")  # signed in through the stack's Cognito
    except (OSError, SignInFailed) as error:
        raise Unreachable(f"no answer from {url.rstrip('/')} ({type(error).__name__})") from error
    target = Target(url.rstrip("/"), secrets, token, local=True)

    def local_inspection() -> Inspection:
        found = inspection()
        found.queued = queued_reader(target.url)
        return found

    target.inspection = _lazy(local_inspection)
    return target


def deployed_target(
    url: str,
    meta_secret: str | None,
    x_secret: str | None,
    token: str | None,
    stack: str | None,
    region: str | None,
) -> Target:
    secrets = {
        "meta": meta_secret or os.environ.get("KANAL_META_APP_SECRET") or "",
        "x": x_secret or os.environ.get("KANAL_X_CONSUMER_SECRET") or "",
    }
    target = Target(url.rstrip("/"), secrets, token or os.environ.get("KANAL_TOKEN"), local=False)
    if stack:
        import boto3

        session = boto3.session.Session(region_name=region)
        described = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
        target.inspection = Inspection.of(session.client, outputs)
    return target


def queued_reader(url: str) -> Callable[[], Counter[str]]:
    """The record keys the local stack's ingest queue holds, read through its GET /local/queued."""

    def queued() -> Counter[str]:
        answer = requests.get(f"{url.rstrip('/')}/local/queued", timeout=60)
        answer.raise_for_status()
        return Counter({str(key): int(n) for key, n in answer.json()["keys"].items()})

    return queued


class _Lazy:
    def __init__(self, make: Callable[[], Inspection]) -> None:
        self.make = make
        self.value: Inspection | None = None

    def get(self) -> Inspection:
        if self.value is None:
            self.value = self.make()
        return self.value


def _lazy(make: Callable[[], Inspection]) -> Any:
    return _Lazy(make)


def inspection_of(target: Target) -> Inspection | None:
    found = target.inspection
    return found.get() if isinstance(found, _Lazy) else found


class Unreachable(Exception):
    """The target does not answer HTTP."""


def check_reachable(target: Target) -> None:
    path = "/healthz" if target.local else "/webhooks/meta"
    try:
        answer = requests.get(target.url + path, timeout=5)
    except requests.RequestException as error:
        raise Unreachable(f"no answer from {target.url} ({type(error).__name__})") from error
    if target.local and answer.status_code != 200:
        raise Unreachable(f"{target.url}/healthz answered {answer.status_code}; is the stack still starting?")


# --------------------------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class Plan:
    """When each delivery is due, in seconds from the start: evenly spaced."""

    mode: str  # rate | burst
    count: int
    seconds: float

    @classmethod
    def rate(cls, per_second: float, duration: float) -> Plan:
        return cls("rate", max(1, round(per_second * duration)), duration)

    @classmethod
    def burst(cls, count: int, within: float) -> Plan:
        return cls("burst", count, within)

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    def due(self, index: int) -> float:
        return index / self.per_second


# ----------------------------------------------------------------------------------------- sending


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


# ------------------------------------------------------------------------------------ follow-up


@dataclass
class Followed:
    """A sampled delivery followed to its inquiry."""

    message: Message
    sent_at: float
    stored_at: float | None = None
    inquiry_id: str | None = None
    queued_at: float | None = None


class Follower:
    """Follows sampled deliveries: stored (the messages table, or the queue view of the API) and routed
    (the inquiry's status through the agent API)."""

    def __init__(self, target: Target, inspection: Inspection | None, samples: list[Followed]) -> None:
        self.target = target
        self.inspection = inspection
        self.samples = samples
        self.session = requests.Session()
        self.headers = {"Authorization": f"Bearer {target.token}"} if target.token else {}

    def pending(self) -> list[Followed]:
        return [s for s in self.samples if s.queued_at is None]

    def poll(self) -> None:
        now = time.time()
        unstored = [s for s in self.samples if s.inquiry_id is None]
        if unstored and self.inspection is not None:
            found = stored_messages(self.inspection, [s.message for s in unstored])
            for sample in unstored:
                item = found.get(sample.message.key)
                if item is not None:
                    sample.stored_at, sample.inquiry_id = now, item
        elif unstored and self.headers:
            self._walk_queue(unstored, now)
        for sample in self.samples:
            if sample.inquiry_id and sample.queued_at is None and self.headers:
                answer = self.session.get(
                    f"{self.target.url}/api/inquiries/{sample.inquiry_id}", headers=self.headers, timeout=10
                )
                if answer.status_code == 200 and answer.json().get("status") not in (None, "new"):
                    sample.queued_at = time.time()

    def _walk_queue(self, unstored: list[Followed], now: float) -> None:
        """Without the tables: find sampled messages in the open inquiries' pages (at most 20 pages)."""
        wanted = {(s.message.channel, s.message.external_id): s for s in unstored}
        cursor: str | None = None
        for _ in range(20):
            params = {"limit": "100", "status": "open", **({"cursor": cursor} if cursor else {})}
            answer = self.session.get(
                f"{self.target.url}/api/inquiries", params=params, headers=self.headers, timeout=10
            )
            if answer.status_code != 200:
                return
            page = answer.json()
            for item in page.get("items", []):
                sample = wanted.pop((item.get("channel"), item.get("external_id")), None)
                if sample is not None:
                    sample.stored_at = sample.queued_at = now
                    sample.inquiry_id = item.get("id")
            cursor = page.get("next")
            if not cursor or not wanted:
                return

    def figures(self) -> dict[str, Any]:
        stored = [s.stored_at - s.sent_at for s in self.samples if s.stored_at is not None]
        queued = [s.queued_at - s.sent_at for s in self.samples if s.queued_at is not None]
        return {
            "samples": len(self.samples),
            "to_inquiry_s": _seconds_summary(stored),
            "to_queue_s": _seconds_summary(queued),
            "not_queued": len(self.samples) - len(queued),
        }


def _seconds_summary(values: list[float]) -> dict[str, float | int | None]:
    figures: dict[str, float | int | None] = {"count": len(values)}
    for share in PERCENTILES:
        value = percentile(values, share)
        figures[f"p{share}"] = None if value is None else round(value, 2)
    figures["max"] = round(max(values), 2) if values else None
    return figures


# ------------------------------------------------------------------------------------------- books


def stored_messages(inspection: Inspection, messages: Iterable[Message]) -> dict[str, str]:
    """Message key -> inquiry id, for every given message the messages table holds (100 keys a call)."""
    keys = list(dict.fromkeys(m.key for m in messages))
    found: dict[str, str] = {}
    for start in range(0, len(keys), 100):
        request: dict[str, Any] = {
            inspection.messages_table: {
                "Keys": [{"key": {"S": key}} for key in keys[start : start + 100]],
                "ProjectionExpression": "#k, inquiry_id",
                "ExpressionAttributeNames": {"#k": "key"},
                "ConsistentRead": True,
            }
        }
        while request:
            answer = inspection.dynamodb.batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(inspection.messages_table, []):
                found[item["key"]["S"]] = item.get("inquiry_id", {}).get("S", "")
            request = answer.get("UnprocessedKeys") or {}
    return found


def queue_depth(inspection: Inspection) -> int:
    """Records in the ingest queue, waiting or in flight."""
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attributes = inspection.sqs.get_queue_attributes(QueueUrl=inspection.queue_url, AttributeNames=names)[
        "Attributes"
    ]
    return sum(int(attributes.get(name, "0")) for name in names)


def dead_lettered_keys(inspection: Inspection, limit: int = 100_000) -> Counter[str]:
    """The record keys in the dead-letter queue (listing changes nothing: each is made visible again)."""
    from kanal_local.dlq import Target as QueueTarget
    from kanal_local.dlq import list_records

    target = QueueTarget(inspection.sqs, inspection.dead_letter_url, inspection.queue_url)
    return Counter(str(record.get("key")) for record in list_records(target, limit))


def inquiries_per_message(inspection: Inspection, keys: set[str]) -> Counter[str]:
    """How many inquiries each of these messages opened. An operator's read of the whole inquiries
    table (a Scan, projected to two attributes), never a request path of the product."""
    counts: Counter[str] = Counter()
    paginator = inspection.dynamodb.get_paginator("scan")
    pages = paginator.paginate(
        TableName=inspection.inquiries_table,
        ProjectionExpression="channel, external_id",
        ConsistentRead=True,
    )
    for page in pages:
        for item in page["Items"]:
            key = f"{item.get('channel', {}).get('S')}#{item.get('external_id', {}).get('S')}"
            if key in keys:
                counts[key] += 1
    return counts


@dataclass
class Books:
    records_accepted: int
    messages: int  # distinct messages the accepted records carry
    stored: int
    dead_lettered: int
    duplicates_recognised: int
    still_queued: int = 0  # messages not stored yet whose records the ingest queue still holds (not drained)
    missing: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    drained_in_s: float | None = None
    drained: bool = True

    @property
    def balanced(self) -> bool:
        total = self.stored + self.dead_lettered + self.duplicates_recognised
        return self.drained and total == self.records_accepted and not self.missing and not self.duplicated

    @property
    def accounted(self) -> bool:
        """Every message stored once, dead-lettered or still in the queue: nothing lost, nothing opened
        twice, so far (balanced: the same with the queue drained)."""
        total = self.stored + self.dead_lettered + self.still_queued
        return total == self.messages and not self.missing and not self.duplicated

    def as_json(self) -> dict[str, Any]:
        return {
            "records_accepted": self.records_accepted,
            "messages": self.messages,
            "stored": self.stored,
            "dead_lettered": self.dead_lettered,
            "duplicates_recognised": self.duplicates_recognised,
            "still_queued": self.still_queued,
            "lost": len(self.missing),
            "duplicated": len(self.duplicated),
            "missing": self.missing[:100],
            "duplicated_keys": self.duplicated[:100],
            "drained": self.drained,
            "drained_in_s": self.drained_in_s,
            "balanced": self.balanced,
            "accounted": self.accounted,
        }


def check_books(
    inspection: Inspection,
    results: list[Sent],
    started: float,
    timeout: float,
    progress: Progress,
    follower: Follower | None = None,
) -> Books:
    """Wait until the ingest queue is empty (or ``timeout``), then count every accepted record."""
    accepted = [r for r in results if r.status == 200]
    by_key: dict[str, tuple[Message, str]] = {}
    for sent in accepted:
        for message, record_key in zip(sent.delivery.messages, sent.record_keys, strict=False):
            by_key.setdefault(message.key, (message, record_key))
    records = sum(r.accepted for r in accepted)
    deadline = time.monotonic() + timeout
    drained_at: float | None = None
    empty_since: float | None = None
    while time.monotonic() < deadline:
        depth = queue_depth(inspection)
        if follower is not None and follower.pending():
            follower.poll()
        progress.show(f"draining  {depth} records in the queue  {time.time() - started:6.1f}s")
        if depth == 0:
            empty_since = empty_since or time.time()
            if time.time() - empty_since >= 1.0:  # empty on two reads a second apart
                drained_at = empty_since
                break
        else:
            empty_since = None
        time.sleep(0.5)
    progress.done()
    # Not drained: the records still queued are read first. A record leaves the queue only once it is
    # stored (or after it moved to the dead-letter queue), so whatever left it since is read below.
    queued = inspection.queued() if drained_at is None and inspection.queued is not None else Counter()
    stored = stored_messages(inspection, [m for m, _ in by_key.values()])
    remaining = {key: record_key for key, (_, record_key) in by_key.items() if key not in stored}
    dead = dead_lettered_keys(inspection) if remaining else Counter()
    dead_letters = {key for key, record_key in remaining.items() if dead[record_key]}
    waiting = {key for key, record_key in remaining.items() if key not in dead_letters and queued[record_key]}
    missing = sorted(set(remaining) - dead_letters - waiting)
    opened = inquiries_per_message(inspection, set(stored))
    return Books(
        records_accepted=records,
        messages=len(by_key),
        stored=len(stored),
        dead_lettered=len(dead_letters),
        duplicates_recognised=records - len(by_key),
        still_queued=len(waiting),
        missing=missing,
        duplicated=sorted(key for key, count in opened.items() if count > 1),
        drained_in_s=round(drained_at - started, 2) if drained_at else None,
        drained=drained_at is not None,
    )


# -------------------------------------------------------------------------------------------- a run


@dataclass
class Run:
    """One `kanal load` run's figures, as printed and written with --out."""

    plan: Plan
    target: str
    sent_in_s: float
    results: list[Sent]
    follow: dict[str, Any] | None
    books: Books | None
    mix: dict[str, Any]

    def ack(self, sources: tuple[str, ...] = ("meta", "x")) -> dict[str, Any]:
        return summary_ms(
            [r.seconds for r in self.results if r.status is not None and r.delivery.source in sources]
        )

    @property
    def statuses(self) -> dict[str, int]:
        return dict(sorted(Counter(str(r.status or r.error or "none") for r in self.results).items()))

    @property
    def all_acked(self) -> bool:
        return all(r.status == 200 for r in self.results)

    @property
    def ok(self) -> bool:
        return self.all_acked and (self.books is None or self.books.balanced)

    def as_json(self) -> dict[str, Any]:
        acked = [r for r in self.results if r.status == 200]
        return {
            "mode": self.plan.mode,
            "target": self.target,
            "planned": {
                "deliveries": self.plan.count,
                "seconds": self.plan.seconds,
                "per_second": round(self.plan.per_second, 2),
            },
            "sent_in_s": round(self.sent_in_s, 2),
            "achieved_per_second": round(len(self.results) / self.sent_in_s, 2) if self.sent_in_s else None,
            "all_acked": self.all_acked,
            "acked_within_s": round(
                max((r.at + r.seconds for r in acked), default=0)
                - min((r.at for r in self.results), default=0),
                2,
            ),
            "statuses": self.statuses,
            "failures": [
                {"index": r.delivery.index, "kind": r.delivery.kind, "status": r.status, "error": r.error}
                for r in self.results
                if r.status != 200
            ][:20],
            "ack_ms": self.ack(),
            "ack_ms_by_source": {
                s: self.ack((s,)) for s in sorted({r.delivery.source for r in self.results})
            },
            "sender_late_ms": summary_ms([r.late for r in self.results]),
            "delivery_to_inquiry": self.follow,
            "books": self.books.as_json() if self.books else None,
            "mix": self.mix,
        }


def run_load(
    target: Target,
    plan: Plan,
    *,
    seed: int = 1,
    concurrency: int = 32,
    poison: int = 0,
    samples: int = SAMPLES,
    drain_timeout: float = 600,
    books: bool = True,
    progress: Progress | None = None,
) -> Run:
    """The engine behind `kanal load` (and the benchmarks): send, follow samples, check the books."""
    progress = progress or Progress()
    traffic = Traffic(seed=seed, email=target.local)
    sender = Sender(target, traffic, plan, concurrency, progress, poison)
    sender.prepare()
    started = time.time()
    sent_in = sender.run()
    inspection = inspection_of(target) if books else None
    step = max(1, len(sender.results) // max(1, samples))
    chosen = [
        r
        for r in sender.results
        if r.status == 200 and r.delivery.duplicate_of is None and not r.delivery.poison
    ]
    follower = (
        Follower(
            target, inspection, [Followed(r.delivery.messages[0], r.at) for r in chosen[::step][:samples]]
        )
        if samples
        else None
    )
    checked = (
        check_books(inspection, sender.results, started, drain_timeout, progress, follower)
        if inspection
        else None
    )
    if follower is not None:
        deadline = time.monotonic() + 30
        while follower.pending() and time.monotonic() < deadline:
            follower.poll()
            time.sleep(0.5)
    return Run(
        plan,
        target.url,
        sent_in,
        sender.results,
        follower.figures() if follower else None,
        checked,
        mix_of(sender.deliveries),
    )


# ------------------------------------------------------------------------------------------ output


def report(run: Run) -> str:
    data = run.as_json()
    ack = data["ack_ms"]
    lines = [
        f"kanal load: {data['planned']['deliveries']} deliveries at {data['planned']['per_second']}/s "
        f"({run.plan.mode}) against {run.target}",
        f"  sent in {data['sent_in_s']} s ({data['achieved_per_second']}/s), all answered 200: "
        f"{'yes' if run.all_acked else 'no'}; statuses {data['statuses']}",
        f"  ack latency ms  p50 {ack['p50']}  p95 {ack['p95']}  p99 {ack['p99']}  max {ack['max']}",
    ]
    follow = data["delivery_to_inquiry"]
    if follow:
        to_inquiry, to_queue = follow["to_inquiry_s"], follow["to_queue_s"]
        lines.append(
            f"  delivery to inquiry s  p50 {to_inquiry['p50']}  p95 {to_inquiry['p95']}"
            f"  max {to_inquiry['max']};"
            f" to the queue p50 {to_queue['p50']}  p95 {to_queue['p95']}  ({follow['samples']} samples,"
            f" {follow['not_queued']} not routed yet)"
        )
    books = data["books"]
    if books is None:
        lines.append("  books: not checked (--no-books, or a deployed stack without --stack NAME)")
    else:
        lines.append(
            f"  books: {books['records_accepted']} records accepted = {books['stored']} stored + "
            f"{books['dead_lettered']} dead-lettered + {books['duplicates_recognised']} duplicates recognised"
            + (f" + {books['still_queued']} still queued" if books["still_queued"] else "")
            + f" -> {'balanced' if books['balanced'] else 'NOT balanced'}; "
            + (f"drained in {books['drained_in_s']} s" if books["drained"] else "not drained")
        )
        if books["missing"]:
            lines.append(f"  lost ({books['lost']}): " + ", ".join(books["missing"][:10]))
        if books["duplicated_keys"]:
            lines.append(
                f"  opened twice ({books['duplicated']}): " + ", ".join(books["duplicated_keys"][:10])
            )
        if not books["drained"]:
            lines.append(
                "  the ingest queue was not empty by the drain timeout: "
                + (
                    f"{books['still_queued']} messages still queued, none lost, none opened twice so far"
                    if books["accounted"]
                    else f"{books['still_queued']} messages still queued"
                )
            )
    return "\n".join(lines)


def add_parser(commands: Any) -> None:
    load = commands.add_parser(
        "load",
        help="send realistic signed traffic (a rate or a burst); check every delivery is accounted for",
        description=__doc__.splitlines()[0],
    )
    shape = load.add_mutually_exclusive_group(required=True)
    shape.add_argument(
        "--rate", type=rate_value, metavar="N/s", help="deliveries per second (200/s, 12000/min)"
    )
    shape.add_argument(
        "--burst", type=count_value, metavar="N", help="this many deliveries, spread over --within"
    )
    load.add_argument("--duration", type=duration_value, metavar="T", help="with --rate: how long (60s, 2m)")
    load.add_argument("--within", type=duration_value, metavar="T", help="with --burst: in this time (60s)")
    load.add_argument("--url", help="the stack's base URL (default: the local stack, $KANAL_PORT or 8787)")
    load.add_argument("--meta-secret", help="the Meta app secret (default $KANAL_META_APP_SECRET)")
    load.add_argument("--x-secret", help="the X consumer secret (default $KANAL_X_CONSUMER_SECRET)")
    load.add_argument("--token", help="an admin's API token for following samples (default $KANAL_TOKEN)")
    load.add_argument(
        "--stack", help="with --url: the CloudFormation stack whose tables and queues the books read"
    )
    load.add_argument("--region", help="with --stack: its region")
    load.add_argument("--concurrency", type=count_value, default=32, help="parallel senders (default 32)")
    load.add_argument("--seed", type=int, default=1, help="the traffic's random seed (default 1)")
    load.add_argument(
        "--poison",
        type=int,
        default=0,
        metavar="N",
        help="local only: N deliveries ingest cannot take (dead-lettered)",
    )
    load.add_argument(
        "--samples",
        type=int,
        default=SAMPLES,
        metavar="N",
        help=f"deliveries followed to their inquiry (default {SAMPLES})",
    )
    load.add_argument(
        "--drain-timeout",
        type=duration_value,
        default=600.0,
        metavar="T",
        help="wait at most this for the queue to empty (default 10m)",
    )
    load.add_argument("--no-books", action="store_true", help="do not wait for the drain or check the books")
    load.add_argument("--out", type=Path, help="also write the figures as JSON here")
    load.set_defaults(func=cmd_load)


def _plan(args: argparse.Namespace) -> Plan:
    if args.rate is not None:
        if args.duration is None or args.within is not None:
            raise argparse.ArgumentTypeError("--rate needs --duration (and not --within)")
        return Plan.rate(args.rate, args.duration)
    if args.within is None or args.duration is not None:
        raise argparse.ArgumentTypeError("--burst needs --within (and not --duration)")
    return Plan.burst(args.burst, args.within)


def _checked(args: argparse.Namespace) -> Plan:
    """The plan, once every flag is known to fit the others; ArgumentTypeError names what does not."""
    plan = _plan(args)
    if args.poison < 0 or args.samples < 0:
        raise argparse.ArgumentTypeError("--poison and --samples must be 0 or more")
    if args.poison and args.url:
        raise argparse.ArgumentTypeError("--poison needs the local stack's channel sandbox (no --url)")
    if args.poison >= plan.count:
        raise argparse.ArgumentTypeError("--poison must be fewer than the deliveries")
    if args.stack and not args.url:
        raise argparse.ArgumentTypeError("--stack goes with --url (the local stack needs neither)")
    if args.url and not re.match(r"https?://[^/\s]+", args.url):
        raise argparse.ArgumentTypeError(f"--url must be an http(s) URL, not {args.url!r}")
    return plan


def cmd_load(args: argparse.Namespace) -> int:
    try:
        plan = _checked(args)
    except argparse.ArgumentTypeError as error:
        print(f"kanal load: {error}", file=sys.stderr)
        return 2
    if args.url:
        target = deployed_target(
            args.url, args.meta_secret, args.x_secret, args.token, args.stack, args.region
        )
        if not target.secrets["meta"] or not target.secrets["x"]:
            print(
                "kanal load: a deployed stack needs --meta-secret and --x-secret (or their variables)",
                file=sys.stderr,
            )
            return 2
    else:
        try:
            target = local_target()
        except Unreachable as error:
            print(f"kanal load: {error}; is `kanal local` running?", file=sys.stderr)
            return 1
    try:
        check_reachable(target)
    except Unreachable as error:
        hint = "; is `kanal local` running?" if target.local and "answered" not in str(error) else ""
        print(f"kanal load: {error}{hint}", file=sys.stderr)
        return 1
    run = run_load(
        target,
        plan,
        seed=args.seed,
        concurrency=args.concurrency,
        poison=args.poison,
        samples=args.samples,
        drain_timeout=args.drain_timeout,
        books=not args.no_books,
    )
    print(report(run))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(run.as_json(), indent=2) + "\n", encoding="utf-8")
        print(f"-> {args.out}")
    return 0 if run.ok else 3

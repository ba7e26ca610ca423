"""The books after a run: every accepted record is a stored message, a duplicate recognised, or a record in
the dead-letter queue (or still queued); whatever is none of these is named."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kanal_local.load.sender import Progress, Sent
from kanal_local.load.stack_reads import (
    dead_lettered_keys,
    inquiries_per_message,
    queue_depth,
    stored_messages,
)
from kanal_local.load.target import Inspection
from kanal_local.traffic import Message

if TYPE_CHECKING:
    from kanal_local.load.follower import Follower


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

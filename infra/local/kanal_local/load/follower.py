"""Sample deliveries followed to their inquiry: until stored, and until routed (through the agent API)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests

from kanal_local.load.stack_reads import stored_messages
from kanal_local.load.target import Inspection, Target
from kanal_local.percentiles import summary
from kanal_local.traffic import Message


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
            "to_inquiry_s": summary(stored),
            "to_queue_s": summary(queued),
            "not_queued": len(self.samples) - len(queued),
        }

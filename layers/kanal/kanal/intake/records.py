"""The ingest queue: accepted records go in as SQS messages, ten at a time."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from kanal.errors import PayloadTooLarge
from kanal.times import iso

ENVELOPE_VERSION = 1
MAX_BATCH_BYTES = 240 * 1024  # SQS takes at most 256 KiB per message and per batch


class EnqueueFailed(RuntimeError):
    """SQS refused some records even after retries; the platform will deliver again."""


def envelope(record: dict[str, Any], received_at: datetime) -> str:
    return json.dumps(
        {"v": ENVELOPE_VERSION, "received_at": iso(received_at), "record": record},
        separators=(",", ":"),
        ensure_ascii=False,
    )


def open_envelope(body: str) -> tuple[dict[str, Any], datetime]:
    data = json.loads(body)
    return data["record"], datetime.fromisoformat(data["received_at"].replace("Z", "+00:00"))


class RecordQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self.client = client
        self.queue_url = queue_url

    def send(self, records: list[dict[str, Any]], received_at: datetime | None = None) -> None:
        at = received_at or datetime.now(UTC)
        batch: list[str] = []
        size = 0
        for record in records:
            body = envelope(record, at)
            length = len(body.encode("utf-8"))
            if length > MAX_BATCH_BYTES:
                raise PayloadTooLarge("one record of the delivery is larger than the queue accepts")
            if len(batch) == 10 or size + length > MAX_BATCH_BYTES:
                self._send_batch(batch)
                batch, size = [], 0
            batch.append(body)
            size += length
        if batch:
            self._send_batch(batch)

    def _send_batch(self, bodies: list[str], attempts: int = 3) -> None:
        entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies)]
        for _ in range(attempts):
            failed = self.client.send_message_batch(QueueUrl=self.queue_url, Entries=entries).get(
                "Failed", []
            )
            if not failed:
                return
            failed_ids = {f["Id"] for f in failed}
            entries = [e for e in entries if e["Id"] in failed_ids]
        raise EnqueueFailed(f"{len(entries)} records were not accepted by the queue")

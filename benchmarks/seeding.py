"""What several benchmarks share: waiting for a condition, fresh platform ids, and a new inquiry taken in
as ingest takes it (without a routing execution, so the benchmark routes or reads it itself)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

PAGE_ID = "104870982355621"  # the Page of the local stack's sample deliveries


def eventually(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(interval)
    raise TimeoutError(f"{what}: not within {timeout:.0f} s")


def number() -> str:
    return str(uuid.uuid4().int % 10**15)


class NoWorkflow:
    """Intake without a routing execution."""

    def start(self, inquiry_id: str) -> str:
        return f"benchmark:{inquiry_id}"

    def followed_up(self, inquiry_id: str) -> None:
        return None


def new_comment() -> str:
    """A new public Facebook comment taken in as ingest takes it: its inquiry id."""
    from kanal.adapters.store import DynamoStore
    from kanal.intake.ingest import Intake
    from kanal.model import Author, Channel, InboundMessage, Visibility

    now = datetime.now(UTC)
    post, comment_id = f"{PAGE_ID}_{number()}", f"{number()}_{number()}"
    message = InboundMessage(
        channel=Channel.FACEBOOK,
        external_id=comment_id,
        author=Author(id=number(), name="Benchmark Customer"),
        text="Where can I buy the blue one in Berlin?",
        visibility=Visibility.PUBLIC,
        thread_id=comment_id,
        account_id=PAGE_ID,
        created_at=now,
        received_at=now,
        language="en",
        parent_id=post,
        in_reply_to=post,
    )
    inquiry_id = Intake(DynamoStore(), NoWorkflow()).ingest(message).inquiry_id
    assert inquiry_id is not None
    return inquiry_id

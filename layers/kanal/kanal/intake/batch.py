"""An SQS batch with partial failures: every record is worked on, and the ones that failed are reported
by message id, so SQS delivers only those again (and, after ``maxReceiveCount``, to the dead-letter queue).

This is the documented response of a function whose event source mapping sets
``FunctionResponseTypes: [ReportBatchItemFailures]``: ``{"batchItemFailures": [{"itemIdentifier":
messageId}, ...]}``, an empty list when all succeeded
(https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html, "Implementing partial batch
responses"). powertools' batch utility does the same, but its package loads asyncio and every event data
class at import: a sixth of ``import boto3`` on each ingest cold start, for a loop this size
(docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kanal.observability import logger


def partial_batch(event: dict[str, Any], handle: Callable[[str], None]) -> dict[str, list[dict[str, str]]]:
    """Call ``handle`` with each record's body; answer the ids of the records whose handling raised."""
    failures = []
    for record in event.get("Records") or []:
        try:
            handle(record["body"])
        except Exception as error:  # each record on its own: one failure never fails the others
            logger.warning(
                "record failed; SQS delivers it again",
                extra={"error_type": type(error).__name__, "message_id": record.get("messageId")},
            )
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}

"""Reporting's composition for a function: the counters on the reports table, bound once.

Ingest calls ``count_arrival`` for every message it took in; a message that opened a new inquiry is
counted in its hour. A counter that cannot be written is logged (its error type) and counted as a metric,
and the message is not failed: the inquiry exists already, and a delivery again would find it stored and
count nothing, so failing would only cost a retry.
"""

from __future__ import annotations

from functools import cache

from botocore.exceptions import BotoCoreError
from pynamodb.exceptions import PynamoDBException

from kanal.adapters.counters import DynamoCounters, bind_reports
from kanal.config import load
from kanal.intake.ingest import Outcome, Result
from kanal.model import InboundMessage
from kanal.observability import logger, metrics
from kanal.reporting import counters

bind_reports(load("reports_table"))  # a stack without the reports table fails at cold start


@cache
def arrival_counts() -> DynamoCounters:
    return DynamoCounters()


def count_arrival(result: Result, message: InboundMessage) -> None:
    """Count ``message`` in its hour when it opened an inquiry."""
    if result.outcome is not Outcome.CREATED:
        return
    try:
        counters.count_arrival(arrival_counts(), str(message.channel), message.created_at)
    except (PynamoDBException, BotoCoreError) as error:
        metrics.add_metric(name="ArrivalNotCounted", unit="Count", value=1)
        logger.warning("arrival not counted", extra={"error_type": type(error).__name__})

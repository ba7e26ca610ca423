"""Arrival counters: how many inquiries were opened in each hour, overall and per channel.

Pre-aggregated when an inquiry is created (ingest), so a report reads a day as one Query of at most 24
items, whatever the number of inquiries (never a Scan). A group is ``all`` or ``channel#<channel>``; an
hour is the UTC hour of the customer's message (``created_at``), so a backlog redriven later still counts
where the demand was.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol

ALL = "all"
HOURS = 24


def channel_group(channel: str) -> str:
    return f"channel#{channel}"


def groups_of(channel: str) -> tuple[str, ...]:
    """The counters one new inquiry on ``channel`` adds to."""
    return (ALL, channel_group(channel))


def bucket(at: datetime) -> tuple[date, int]:
    """The UTC day and hour that ``at`` counts in."""
    utc = at.astimezone(UTC)
    return utc.date(), utc.hour


class ArrivalCounts(Protocol):
    def add(self, groups: tuple[str, ...], day: date, hour: int) -> None:
        """Add one arrival to each group's counter of that day and hour."""
        ...

    def day(self, group: str, day: date) -> list[int]:
        """The group's 24 hourly counts of ``day`` (0 where nothing arrived)."""
        ...


def count_arrival(counts: ArrivalCounts, channel: str, at: datetime) -> None:
    counts.add(groups_of(channel), *bucket(at))

"""Business-hours calendars: when is an inquiry due if the SLA clock only runs while the team works.

Opening hours are local wall-clock times in the calendar's time zone; the arithmetic runs in UTC, so
a day with a daylight-saving change has 23 or 25 hours and a due time is never off by one hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

ALWAYS_OPEN = "24/7"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAX_DAYS = 400  # validation guarantees an open day every week; this only stops a runaway loop
_DAY = timedelta(days=1)


class Calendar(Protocol):
    @property
    def name(self) -> str: ...

    def add_business_minutes(self, start: datetime, minutes: int) -> datetime: ...


def as_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class AlwaysOpen:
    """The SLA clock never stops."""

    name: str = ALWAYS_OPEN

    def add_business_minutes(self, start: datetime, minutes: int) -> datetime:
        return as_utc(start) + timedelta(minutes=minutes)


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours per weekday (minutes after local midnight, close may be 1440) and closed days."""

    name: str
    timezone: str
    hours: tuple[tuple[int, int] | None, ...]  # Monday first; None is closed
    holidays: frozenset[date]
    yearly_holidays: frozenset[tuple[int, int]]  # (month, day), every year

    def is_open_day(self, day: date) -> bool:
        return (
            self.hours[day.weekday()] is not None
            and day not in self.holidays
            and (day.month, day.day) not in self.yearly_holidays
        )

    def add_business_minutes(self, start: datetime, minutes: int) -> datetime:
        """``start`` plus ``minutes`` of opening hours, in UTC; 0 minutes is the next open moment."""
        remaining = timedelta(minutes=minutes)
        cursor = as_utc(start)
        day = cursor.astimezone(ZoneInfo(self.timezone)).date()
        for _ in range(_MAX_DAYS):
            window = _window(self, day)
            if window is not None and cursor < window[1]:
                begin = max(cursor, window[0])
                if begin + remaining <= window[1]:
                    return begin + remaining
                remaining -= window[1] - begin
            day += _DAY
        raise ValueError(f"calendar {self.name!r} has no opening hours within {_MAX_DAYS} days")


@lru_cache(maxsize=4096)
def _window(calendar: BusinessCalendar, day: date) -> tuple[datetime, datetime] | None:
    """The UTC instants a calendar opens and closes on a local date; None when closed."""
    hours = calendar.hours[day.weekday()]
    if hours is None or not calendar.is_open_day(day):
        return None
    zone = ZoneInfo(calendar.timezone)
    return _local(day, hours[0], zone), _local(day, hours[1], zone)


def _local(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    if minutes >= 24 * 60:
        return datetime.combine(day + _DAY, time(0), tzinfo=zone).astimezone(UTC)
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone).astimezone(UTC)


def parse_clock(value: str) -> int:
    """Minutes after midnight: "08:30" is 510, "24:00" is 1440."""
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def parse_holiday(value: str) -> date | tuple[int, int]:
    """A date ("2026-12-25"), or a (month, day) for every year ("12-25", checked on a leap year)."""
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 2:
        date(2024, parts[0], parts[1])
        return parts[0], parts[1]
    return date(parts[0], parts[1], parts[2])


def build_calendar(name: str, spec: str | dict[str, object]) -> Calendar:
    """A calendar from its (validated) rules-document entry."""
    if isinstance(spec, str):
        return AlwaysOpen(name)
    raw_hours = spec.get("hours")
    hours_doc: dict[str, list[str]] = raw_hours if isinstance(raw_hours, dict) else {}
    hours = tuple(
        (parse_clock(hours_doc[d][0]), parse_clock(hours_doc[d][1])) if d in hours_doc else None
        for d in WEEKDAYS
    )
    raw_holidays = spec.get("holidays")
    parsed = [parse_holiday(h) for h in (raw_holidays if isinstance(raw_holidays, list) else [])]
    return BusinessCalendar(
        name=name,
        timezone=str(spec["timezone"]),
        hours=hours,
        holidays=frozenset(h for h in parsed if isinstance(h, date)),
        yearly_holidays=frozenset(h for h in parsed if isinstance(h, tuple)),
    )

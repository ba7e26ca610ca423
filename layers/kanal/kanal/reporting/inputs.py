"""The forecast's inputs as people write them: ``900/h``, ``6m``, ``80/120m``, ``30%``, a day, a CSV curve.

Every parser raises ``ValueError`` with a message that says what is expected; the CLI turns it into a usage
error, the agent API into one entry of a 400's ``errors``. Units are required (``6`` could be seconds or
minutes; a wrong guess is a staffing plan off by 60x).
"""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import date, timedelta

from kanal.reporting.forecast import HOUR_SECONDS, Target, offered_load

NUMBER = r"[0-9]+(?:\.[0-9]+)?"
RATE_UNITS = {"s": 3600.0, "m": 60.0, "min": 60.0, "h": 1.0}  # -> per hour
DURATION_UNITS = {"s": 1.0, "m": 60.0, "min": 60.0, "h": HOUR_SECONDS}  # -> seconds
RATE = re.compile(rf"({NUMBER})/(s|min|m|h)")
DURATION = re.compile(rf"({NUMBER})(s|min|m|h)")
SLA = re.compile(rf"({NUMBER})%?/({NUMBER}(?:s|min|m|h))")
SHRINKAGE = re.compile(rf"({NUMBER})%?")
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}|today|yesterday")

MAX_RATE_PER_HOUR = 1_000_000.0
MAX_AHT_SECONDS = 8 * HOUR_SECONDS
MAX_WITHIN_SECONDS = 7 * 24 * HOUR_SECONDS
MAX_LOAD = 10_000.0  # Erlangs: ten thousand agents' worth of work in one hour
MAX_CURVE_BYTES = 64 * 1024

RATE_HELP = "a rate with its unit, e.g. 900/h, 15/min or 0.25/s"
DURATION_HELP = "a duration with its unit, e.g. 180s, 6m or 1.5h"
SLA_HELP = "a service level as PERCENT/TIME, e.g. 80/120m (80 % answered within 120 minutes)"
SHRINKAGE_HELP = "a percentage from 0 to below 100, e.g. 30%"
OCCUPANCY_HELP = "a percentage above 0 and at most 100, e.g. 85%"
DAY_HELP = "a day as YYYY-MM-DD, today or yesterday (UTC)"


def _whole(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    return pattern.fullmatch(text.strip())


def parse_rate(text: str) -> float:
    """Inquiries per hour from e.g. ``900/h``."""
    found = _whole(RATE, text)
    if found is None:
        raise ValueError(f"must be {RATE_HELP}")
    per_hour = float(found.group(1)) * RATE_UNITS[found.group(2)]
    if not 0 < per_hour <= MAX_RATE_PER_HOUR:
        raise ValueError(f"must be above 0 and at most {MAX_RATE_PER_HOUR:,.0f}/h")
    return per_hour


def parse_duration(text: str, limit: float = MAX_AHT_SECONDS, zero: bool = False) -> float:
    """Seconds from e.g. ``6m``."""
    found = _whole(DURATION, text)
    if found is None:
        raise ValueError(f"must be {DURATION_HELP}")
    seconds = float(found.group(1)) * DURATION_UNITS[found.group(2)]
    if seconds > limit or (seconds <= 0 and not zero):
        raise ValueError(f"must be {'at least 0' if zero else 'above 0'} and at most {limit / 3600:g}h")
    return seconds


def parse_target(text: str) -> Target:
    """A service level from e.g. ``80/120m``: 80 % within 120 minutes."""
    found = _whole(SLA, text)
    if found is None:
        raise ValueError(f"must be {SLA_HELP}")
    percent = float(found.group(1))
    if not 0 < percent < 100:
        raise ValueError("its percentage must be above 0 and below 100 (Erlang C never promises 100 %)")
    return Target(percent / 100, parse_duration(found.group(2), MAX_WITHIN_SECONDS, zero=True))


def parse_shrinkage(text: str) -> float:
    """The share of paid time agents are not on the queue, from e.g. ``30%``."""
    found = _whole(SHRINKAGE, text)
    if found is None or not 0 <= float(found.group(1)) < 100:
        raise ValueError(f"must be {SHRINKAGE_HELP}")
    return float(found.group(1)) / 100


def parse_occupancy(text: str) -> float:
    """The most an agent may be busy, from e.g. ``85%``."""
    found = _whole(SHRINKAGE, text)
    if found is None or not 0 < float(found.group(1)) <= 100:
        raise ValueError(f"must be {OCCUPANCY_HELP}")
    return float(found.group(1)) / 100


def parse_day(text: str, today: date) -> date:
    """A day from ``YYYY-MM-DD``, ``today`` or ``yesterday`` (``today`` is the caller's UTC date)."""
    value = text.strip()
    if _whole(DAY, value) is None:
        raise ValueError(f"must be {DAY_HELP}")
    if value == "today":
        return today
    if value == "yesterday":
        return today - timedelta(days=1)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("is not a date of the calendar") from None


def check_curve(curve: list[tuple[int | None, float]], aht_seconds: float) -> None:
    """Refuse an hour no real campaign has (and that would take long to compute), naming it."""
    over = [hour for hour, volume in curve if offered_load(volume, aht_seconds) > MAX_LOAD]
    if over:
        named = ", ".join("every hour" if hour is None else str(hour) for hour in over)
        raise ValueError(f"rate x AHT is over {MAX_LOAD:,.0f} Erlangs in hour {named}")


def parse_curve(text: str) -> list[tuple[int | None, float]]:
    """A planned volume curve: CSV with a header ``hour,inquiries``, one row per hour (0-23, each at most
    once, in any order; hours left out are not planned), inquiries a number >= 0. Blank lines and lines
    starting with ``#`` are skipped. Every problem is reported at once, by line."""
    if len(text.encode("utf-8")) > MAX_CURVE_BYTES:
        raise ValueError(f"is larger than {MAX_CURVE_BYTES // 1024} KiB")
    rows = [
        (number, row)
        for number, row in enumerate(csv.reader(io.StringIO(text)), start=1)
        if row and any(cell.strip() for cell in row) and not row[0].lstrip().startswith("#")
    ]
    if not rows or [cell.strip().lower() for cell in rows[0][1]] != ["hour", "inquiries"]:
        raise ValueError("must start with the header line: hour,inquiries")
    curve: dict[int, float] = {}
    problems: list[str] = []
    for number, row in rows[1:]:
        problem = _curve_row(row, curve)
        if problem:
            problems.append(f"line {number}: {problem}")
    if problems:
        raise ValueError("; ".join(problems))
    if not curve:
        raise ValueError("has no hours (add lines such as 9,120)")
    return [(hour, curve[hour]) for hour in sorted(curve)]


def _curve_row(row: list[str], curve: dict[int, float]) -> str | None:
    if len(row) != 2:
        return "must be two values: hour,inquiries"
    hour_text, volume_text = (cell.strip() for cell in row)
    if not re.fullmatch(r"[0-9]{1,2}(:00)?", hour_text) or int(hour_text.split(":")[0]) > 23:
        return "the hour must be 0-23 (or 00:00-23:00)"
    hour = int(hour_text.split(":")[0])
    if hour in curve:
        return f"hour {hour} is there twice"
    try:
        volume = float(volume_text)
    except ValueError:
        return "inquiries must be a number"
    if not math.isfinite(volume) or not 0 <= volume <= MAX_RATE_PER_HOUR:
        return f"inquiries must be from 0 to {MAX_RATE_PER_HOUR:,.0f}"
    curve[hour] = volume
    return None

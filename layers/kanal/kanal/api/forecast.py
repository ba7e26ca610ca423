"""``GET /api/forecast`` (leads and admins): the agents each hour needs, at a constant rate or on a day.

The query parameters are checked against ``forecast.schema.json`` (a copy of ``schemas/``) and then for
their ranges; every problem is listed at once in a 400. A day is read from the arrival counters: one
Query of at most 24 items.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from kanal.api.auth import Caller
from kanal.api.documents import problems
from kanal.errors import InvalidDocument
from kanal.reporting import inputs
from kanal.reporting.counters import ALL, ArrivalCounts, channel_group
from kanal.reporting.forecast import Hour, Target, day_curve, plan

FORECAST = "forecast.schema.json"


@dataclass(frozen=True)
class Request:
    aht_seconds: float
    target: Target
    shrinkage: float
    max_occupancy: float
    rate_per_hour: float | None
    day: date | None
    channel: str | None


def _utc_today() -> date:
    return datetime.now(UTC).date()


class ForecastApi:
    def __init__(self, counts: ArrivalCounts, today: Callable[[], date] = _utc_today) -> None:
        self.counts = counts
        self.today = today

    def forecast(self, caller: Caller, params: Mapping[str, str]) -> dict[str, Any]:
        caller.require_lead()
        request = self.parse(params)
        if request.day is not None:
            group = channel_group(request.channel) if request.channel else ALL
            curve = day_curve(self.counts.day(group, request.day))
        else:
            assert request.rate_per_hour is not None
            curve = [(None, request.rate_per_hour)]
        try:
            inputs.check_curve(curve, request.aht_seconds)
        except ValueError as error:
            raise InvalidDocument([f"$.aht: {error}"]) from None
        hours = plan(curve, request.aht_seconds, request.target, request.shrinkage, request.max_occupancy)
        return {"hours": [hour_view(hour) for hour in hours], "inputs": inputs_view(request)}

    def parse(self, params: Mapping[str, str]) -> Request:
        """The request, or ``InvalidDocument`` naming every problem of the parameters."""
        found = problems(FORECAST, dict(params))
        if ("rate" in params) == ("day" in params):
            found.append("$: must have exactly one of rate or day")
        if "channel" in params and "day" not in params:
            found.append("$.channel: only with day")
        if found:
            raise InvalidDocument(found)
        values: dict[str, Any] = {}
        parsers: dict[str, Callable[[str], Any]] = {
            "aht": inputs.parse_duration,
            "sla": inputs.parse_target,
            "shrinkage": inputs.parse_shrinkage,
            "max_occupancy": inputs.parse_occupancy,
            "rate": inputs.parse_rate,
            "day": lambda text: inputs.parse_day(text, self.today()),
        }
        for name, parse in parsers.items():
            if name in params:
                try:
                    values[name] = parse(params[name])
                except ValueError as error:
                    found.append(f"$.{name}: {error}")
        if found:
            raise InvalidDocument(found)
        return Request(
            aht_seconds=values["aht"],
            target=values["sla"],
            shrinkage=values.get("shrinkage", 0.0),
            max_occupancy=values.get("max_occupancy", 1.0),
            rate_per_hour=values.get("rate"),
            day=values.get("day"),
            channel=params.get("channel"),
        )


def hour_view(hour: Hour) -> dict[str, Any]:
    staffing = hour.staffing
    return {
        "hour": hour.hour,
        "inquiries": hour.inquiries,
        "erlangs": round(staffing.load, 3),
        "agents": staffing.agents,
        "scheduled": staffing.scheduled,
        "service_level": round(staffing.service_level, 4),
        "waiting_probability": round(staffing.waiting_probability, 4),
        "asa_seconds": round(staffing.asa_seconds, 1),
        "occupancy": round(staffing.occupancy, 4),
    }


def inputs_view(request: Request) -> dict[str, Any]:
    return {
        "rate_per_hour": request.rate_per_hour,
        "day": request.day.isoformat() if request.day else None,
        "channel": request.channel,
        "aht_seconds": request.aht_seconds,
        "sla": {"share": request.target.share, "within_seconds": request.target.seconds},
        "shrinkage": request.shrinkage,
        "max_occupancy": request.max_occupancy,
        "hours_in": "UTC",
    }

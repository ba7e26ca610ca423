"""GET /api/forecast's domain: who may ask, every problem of the parameters at once, a day read once."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from kanal.api.auth import Caller
from kanal.api.forecast import FORECAST, ForecastApi
from kanal.errors import Forbidden, InvalidDocument
from kanal.reporting.forecast import Target, required

ROOT = Path(__file__).resolve().parents[2]
LEAD = Caller("lena", frozenset({"agents", "leads"}))
AGENT = Caller("ana", frozenset({"agents"}))
TODAY = date(2026, 12, 1)


class Counts:
    """A day's counters per group, and every read made."""

    def __init__(self, days: dict[tuple[str, date], list[int]]) -> None:
        self.days = days
        self.reads: list[tuple[str, date]] = []

    def add(self, groups: tuple[str, ...], day: date, hour: int) -> None:
        raise AssertionError("the forecast only reads")

    def day(self, group: str, day: date) -> list[int]:
        self.reads.append((group, day))
        return self.days.get((group, day), [0] * 24)


def api(days: dict[tuple[str, date], list[int]] | None = None) -> ForecastApi:
    return ForecastApi(Counts(days or {}), today=lambda: TODAY)


def test_the_packaged_schema_is_the_repos_and_valid():
    repo = ROOT / "schemas" / FORECAST
    assert repo.read_bytes() == (ROOT / "layers" / "kanal" / "kanal" / "api" / FORECAST).read_bytes()
    Draft202012Validator.check_schema(json.loads(repo.read_text("utf-8")))


def test_an_agent_may_not_ask_a_lead_may():
    with pytest.raises(Forbidden):
        api().forecast(AGENT, {"rate": "900/h", "aht": "6m", "sla": "80/120m"})
    answer = api().forecast(LEAD, {"rate": "200/h", "aht": "180s", "sla": "80/20s", "shrinkage": "30"})
    assert answer["hours"] == [
        {
            "hour": None,
            "inquiries": 200.0,
            "erlangs": 10.0,
            "agents": 14,
            "scheduled": 20,
            "service_level": 0.8884,
            "waiting_probability": 0.1741,
            "asa_seconds": 7.8,
            "occupancy": 0.7143,
        }
    ]
    assert answer["inputs"]["sla"] == {"share": 0.8, "within_seconds": 20.0}


def test_a_day_is_its_24_hours_from_one_read_of_the_counters():
    counts = [0] * 24
    counts[9], counts[14] = 120, 30
    forecasts = api({("channel#whatsapp", date(2026, 11, 30)): counts})

    answer = forecasts.forecast(
        LEAD,
        {"day": "yesterday", "channel": "whatsapp", "aht": "6m", "sla": "80/60s", "max_occupancy": "85%"},
    )

    assert forecasts.counts.reads == [("channel#whatsapp", date(2026, 11, 30))]
    assert [row["hour"] for row in answer["hours"]] == list(range(24))
    assert [row["inquiries"] for row in answer["hours"]] == counts
    nine = answer["hours"][9]
    assert nine["agents"] == required(120, 360, Target(0.8, 60), max_occupancy=0.85).agents
    assert answer["hours"][3]["agents"] == 0
    assert answer["inputs"]["day"] == "2026-11-30"


def test_every_problem_of_the_parameters_is_listed_and_nothing_is_read():
    forecasts = api()
    with pytest.raises(InvalidDocument) as refused:
        forecasts.forecast(
            LEAD, {"rate": "abc", "day": "today", "aht": "6", "sla": "100/20s", "team": "care"}
        )
    errors = refused.value.errors
    assert any(error.startswith("$.rate:") for error in errors)
    assert any(error.startswith("$.aht:") for error in errors)
    assert any("team" in error for error in errors)  # an unknown parameter
    assert "$: must have exactly one of rate or day" in errors
    assert forecasts.counts.reads == []


def test_values_that_have_the_shape_but_not_the_range_are_named_too():
    with pytest.raises(InvalidDocument) as refused:
        api().forecast(LEAD, {"rate": "0/h", "aht": "9h", "sla": "100/20s", "shrinkage": "100"})
    assert [error.split(":")[0] for error in refused.value.errors] == [
        "$.aht",
        "$.sla",
        "$.shrinkage",
        "$.rate",
    ]


def test_aht_and_sla_are_required_and_channel_only_with_a_day():
    with pytest.raises(InvalidDocument) as refused:
        api().forecast(LEAD, {"rate": "900/h", "channel": "x"})
    errors = refused.value.errors
    assert "$.channel: only with day" in errors
    assert any("'aht' is a required property" in error for error in errors)
    assert any("'sla' is a required property" in error for error in errors)


def test_a_date_that_is_not_in_the_calendar_is_a_400():
    with pytest.raises(InvalidDocument) as refused:
        api().forecast(LEAD, {"day": "2026-02-30", "aht": "6m", "sla": "80/20s"})
    assert refused.value.errors == ["$.day: is not a date of the calendar"]


def test_a_load_no_campaign_has_is_a_400():
    with pytest.raises(InvalidDocument) as refused:
        api().forecast(LEAD, {"rate": "1000000/h", "aht": "8h", "sla": "80/20s"})
    assert refused.value.errors[0].startswith("$.aht: rate x AHT is over 10,000 Erlangs")

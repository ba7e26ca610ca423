"""Business-hours SLA clock: weekends, holidays, daylight-saving changes, 24/7."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kanal.priority import AlwaysOpen, default_rules
from kanal.priority.sla import build_calendar

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = default_rules().calendar("office")
WEEKDAYS_8_TO_18 = {d: ["08:00", "18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
ALL_DAY = build_calendar(
    "all-day",
    {
        "timezone": "Europe/Berlin",
        "hours": {d: ["00:00", "24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    },
)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        pytest.param(berlin(2026, 3, 4, 11, 0), 60, berlin(2026, 3, 4, 12, 0), id="inside_hours"),
        pytest.param(
            berlin(2026, 3, 4, 6, 30), 30, berlin(2026, 3, 4, 8, 30), id="before_opening_starts_at_opening"
        ),
        pytest.param(
            berlin(2026, 3, 4, 17, 30), 60, berlin(2026, 3, 5, 8, 30), id="spills_past_closing_to_next_day"
        ),
        pytest.param(berlin(2026, 3, 4, 19, 0), 60, berlin(2026, 3, 5, 9, 0), id="after_closing"),
        pytest.param(
            berlin(2026, 3, 6, 17, 0), 120, berlin(2026, 3, 9, 9, 0), id="friday_evening_over_weekend"
        ),
        pytest.param(berlin(2026, 3, 7, 12, 0), 30, berlin(2026, 3, 9, 8, 30), id="received_on_saturday"),
        pytest.param(berlin(2026, 3, 4, 11, 0), 600, berlin(2026, 3, 5, 11, 0), id="one_business_day"),
        pytest.param(berlin(2026, 3, 4, 11, 0), 0, berlin(2026, 3, 4, 11, 0), id="zero_minutes_when_open"),
        pytest.param(berlin(2026, 3, 7, 11, 0), 0, berlin(2026, 3, 9, 8, 0), id="zero_minutes_when_closed"),
        pytest.param(berlin(2026, 12, 23, 17, 0), 120, berlin(2026, 12, 28, 9, 0), id="christmas_holidays"),
        pytest.param(
            berlin(2026, 4, 2, 17, 0), 120, berlin(2026, 4, 7, 9, 0), id="easter_good_friday_and_monday"
        ),
        pytest.param(
            berlin(2026, 9, 30, 17, 30), 60, berlin(2026, 10, 1, 8, 30), id="yearly_holiday_not_yet"
        ),
        pytest.param(
            berlin(2026, 10, 2, 17, 30), 60, berlin(2026, 10, 5, 8, 30), id="yearly_holiday_on_saturday"
        ),
        pytest.param(
            berlin(2026, 3, 27, 17, 30), 60, berlin(2026, 3, 30, 8, 30), id="dst_spring_forward_weekend"
        ),
        pytest.param(
            berlin(2026, 10, 23, 17, 30), 60, berlin(2026, 10, 26, 8, 30), id="dst_fall_back_weekend"
        ),
    ],
)
def test_given_office_calendar_when_minutes_added_then_due_in_business_hours(
    start: datetime, minutes: int, due: datetime
) -> None:
    result = OFFICE.add_business_minutes(start, minutes)

    assert result == due
    assert result.tzinfo is UTC


def test_given_dst_spring_forward_weekend_then_due_is_an_hour_closer_in_utc() -> None:
    due = OFFICE.add_business_minutes(berlin(2026, 3, 27, 17, 30), 60)

    assert due == datetime(2026, 3, 30, 6, 30, tzinfo=UTC)  # CEST: UTC+2, Friday was CET: UTC+1


def test_given_round_the_clock_hours_when_clock_jumps_forward_then_real_minutes_count() -> None:
    start = berlin(2026, 3, 29, 1, 30)  # 30 minutes before 02:00 CET becomes 03:00 CEST

    due = ALL_DAY.add_business_minutes(start, 60)

    assert due - start == timedelta(minutes=60)
    assert due.astimezone(BERLIN).hour == 3 and due.astimezone(BERLIN).minute == 30


def test_given_round_the_clock_hours_when_clock_falls_back_then_real_minutes_count() -> None:
    start = berlin(2026, 10, 25, 1, 30)  # 02:00-03:00 happens twice this night

    due = ALL_DAY.add_business_minutes(start, 120)

    assert due - start == timedelta(minutes=120)
    assert due.astimezone(BERLIN).hour == 2  # the second 02:30


def test_given_sunday_only_calendar_when_dst_day_then_it_has_23_hours() -> None:
    sundays = build_calendar("sundays", {"timezone": "Europe/Berlin", "hours": {"sun": ["00:00", "24:00"]}})
    start = berlin(2026, 3, 29, 0, 0)

    assert sundays.add_business_minutes(start, 23 * 60) == berlin(2026, 3, 30, 0, 0)
    assert sundays.add_business_minutes(start, 23 * 60 + 1) == berlin(2026, 4, 5, 0, 1)


def test_given_24_7_when_minutes_added_then_plain_addition_in_utc() -> None:
    start = datetime(2026, 12, 25, 23, 50, tzinfo=UTC)

    due = AlwaysOpen().add_business_minutes(start, 30)

    assert due == datetime(2026, 12, 26, 0, 20, tzinfo=UTC)
    assert default_rules().calendar("round-the-clock").add_business_minutes(start, 30) == due


def test_given_naive_start_then_it_is_taken_as_utc() -> None:
    naive = datetime(2026, 3, 4, 10, 0)

    assert OFFICE.add_business_minutes(naive, 60) == datetime(2026, 3, 4, 11, 0, tzinfo=UTC)


def test_given_other_time_zone_then_hours_are_local_to_the_calendar() -> None:
    new_york = build_calendar("ny", {"timezone": "America/New_York", "hours": WEEKDAYS_8_TO_18})
    start = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # 07:00 in New York

    assert new_york.add_business_minutes(start, 60) == datetime(2026, 3, 4, 14, 0, tzinfo=UTC)


def test_given_one_off_and_yearly_holidays_then_both_close_the_day() -> None:
    calendar = build_calendar(
        "c", {"timezone": "UTC", "hours": WEEKDAYS_8_TO_18, "holidays": ["2026-03-05", "03-06"]}
    )

    due = calendar.add_business_minutes(datetime(2026, 3, 4, 17, 0, tzinfo=UTC), 120)

    assert due == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    assert calendar.add_business_minutes(datetime(2027, 3, 5, 17, 0, tzinfo=UTC), 120) == datetime(
        2027, 3, 8, 9, 0, tzinfo=UTC
    )  # 2027-03-05 is no holiday; 03-06 falls on a Saturday


@pytest.mark.parametrize(
    ("channel", "band", "minutes"),
    [
        ("x", "P1", 30),
        ("x", "P4", 120),
        ("facebook", "P3", 240),
        ("instagram", "P4", 480),
        ("messenger", "P2", 120),
        ("whatsapp", "P4", 240),
        ("email", "P4", 600),
    ],
)
def test_given_shipped_channel_targets_then_numbers_match_the_documentation(
    channel: str, band: str, minutes: int
) -> None:
    assert default_rules().channel.target_minutes(channel, band) == minutes

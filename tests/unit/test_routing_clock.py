"""The SLA clock: the window, the warning, the escalation tiers, answers, waiting on the customer."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from kanal.model import Sla
from kanal.routing.clock import (
    IDLE_SECONDS,
    Due,
    fire_due,
    follow_up,
    next_deadline,
    open_window,
    respond,
    seconds_until,
    tier_at,
)
from kanal.routing.policy import default_policy, load_policy

POLICY = default_policy()  # warn at 80 %; tier 1 (lead) at the due time; tier 2 (ops) half a window later
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def an_hour_window() -> Sla:
    return open_window(T0, HOUR, POLICY)


def test_the_default_policy_is_the_one_these_tests_assume() -> None:
    assert POLICY.warning_share == 0.8
    assert [(t.name, t.after_breach_share, t.min_after_minutes, t.breached) for t in POLICY.tiers] == [
        ("lead", 0.0, 0.0, False),
        ("ops", 0.5, 5.0, True),
    ]


# ---------------------------------------------------------------- the window and the warning


def test_a_window_opens_with_its_due_time_and_a_warning_at_80_percent() -> None:
    # Given an inquiry that arrives at T0 with an hour to answer
    sla = an_hour_window()
    # Then it is due in an hour, the owner is warned after 48 minutes, and nothing has happened yet
    assert (sla.started_at, sla.due_at, sla.warn_at) == (T0, T0 + HOUR, T0 + minutes(48))
    assert sla.window == HOUR and sla.pending
    assert (sla.warned, sla.responded, sla.paused, sla.breached, sla.tier) == (False,) * 4 + (0,)
    assert sla.first_response_at is None and sla.version == 1
    # And the first thing the clock waits for is the warning
    assert next_deadline(sla, POLICY, 1) == T0 + minutes(48)


def test_a_policy_that_warns_at_the_full_window_never_warns() -> None:
    policy = replace(POLICY, warning_share=1.0)
    sla = open_window(T0, HOUR, policy)
    assert sla.warn_at is None
    assert next_deadline(sla, policy, 1) == T0 + HOUR


def test_a_window_is_at_least_a_second() -> None:
    sla = open_window(T0, timedelta(0), POLICY)
    assert sla.due_at == T0 + timedelta(seconds=1)


def test_on_time_wake_ups_fire_the_warning_then_each_tier_then_rest() -> None:
    # Given a fresh hour window
    sla = an_hour_window()
    fired: list[tuple[datetime, list[Due]]] = []
    # When the clock wakes up at each deadline it names
    while (deadline := next_deadline(sla, POLICY, 1)) is not None:
        sla, due = fire_due(sla, POLICY, deadline, 1)
        fired.append((deadline, due))
    # Then the owner is warned at 48 min, tier 1 fires at the due time and tier 2 half a window later
    assert fired == [
        (T0 + minutes(48), [Due("warning")]),
        (T0 + minutes(60), [Due("escalation", 1)]),
        (T0 + minutes(90), [Due("escalation", 2)]),
    ]
    # And the last tier marks the inquiry breached; nothing is due any more
    assert sla.breached and sla.tier == 2 and sla.warned
    assert seconds_until(next_deadline(sla, POLICY, 1), T0) == IDLE_SECONDS


def test_a_wake_up_before_the_warning_fires_nothing() -> None:
    sla = an_hour_window()
    after, due = fire_due(sla, POLICY, T0 + minutes(47), 1)
    assert due == [] and after == sla


def test_a_wake_up_less_than_a_second_early_fires_what_is_due_then() -> None:
    # Given a window whose warning is due in 0.6 s (waits are whole seconds, and end up to 1 s early)
    sla = an_hour_window()
    # When the clock wakes just before the warning time
    after, due = fire_due(sla, POLICY, T0 + minutes(48) - timedelta(seconds=0.6), 1)
    # Then the warning fires now instead of being lost to rounding
    assert due == [Due("warning")] and after.warned


def test_tier_one_alone_does_not_mark_a_breach() -> None:
    sla, _ = fire_due(an_hour_window(), POLICY, T0 + minutes(61), 1)
    assert sla.tier == 1 and not sla.breached


@pytest.mark.parametrize(
    ("woke_at", "expected"),
    [
        pytest.param(minutes(50), [Due("warning")], id="between_warning_and_due"),
        pytest.param(minutes(60), [Due("escalation", 1)], id="exactly_at_due_no_warning"),
        pytest.param(minutes(75), [Due("escalation", 1)], id="after_due_before_tier_2"),
        pytest.param(
            minutes(180), [Due("escalation", 1), Due("escalation", 2)], id="long_after_every_tier_in_order"
        ),
    ],
)
def test_a_late_wake_up_fires_everything_due_in_order_and_no_stale_warning(
    woke_at: timedelta, expected: list[Due]
) -> None:
    # Given a fresh hour window whose clock did not wake up in time
    sla = an_hour_window()
    # When it wakes up late
    after, due = fire_due(sla, POLICY, T0 + woke_at, 1)
    # Then everything due fires in order, and a warning after the due time is dropped
    assert due == expected
    # And the clock moved past the warning either way
    assert after.warned
    assert after.tier == len([d for d in expected if d.kind == "escalation"])


def test_a_second_late_wake_up_fires_nothing_again() -> None:
    sla, first = fire_due(an_hour_window(), POLICY, T0 + minutes(180), 1)
    again, second = fire_due(sla, POLICY, T0 + minutes(181), 1)
    assert len(first) == 2 and second == [] and again == sla


# ---------------------------------------------------------------- tier timings from the policy


@pytest.mark.parametrize(
    ("window", "scale", "tier_2_after_due"),
    [
        pytest.param(HOUR, 1, minutes(30), id="half_an_hour_window_beats_five_minutes"),
        pytest.param(minutes(4), 1, minutes(5), id="short_window_at_least_five_minutes"),
        pytest.param(minutes(4), 60, minutes(2), id="scaled_minimum_is_five_seconds_so_the_share_wins"),
        pytest.param(minutes(4) / 600, 600, timedelta(seconds=0.5), id="scaled_minimum_wins_when_larger"),
    ],
)
def test_tier_timings_come_from_the_policy_with_the_minimum_scaled(
    window: timedelta, scale: float, tier_2_after_due: timedelta
) -> None:
    # Given a window (already scaled, as the routing task opens it) and the time scale
    sla = open_window(T0, window, POLICY)
    lead, ops = POLICY.tiers
    # When the tiers' times are computed
    # Then tier 1 fires at the due time and tier 2 after the larger of its share and its scaled minimum
    assert tier_at(sla, lead, scale) == sla.due_at
    assert tier_at(sla, ops, scale) == sla.due_at + tier_2_after_due


def test_a_custom_policy_sets_the_warning_and_every_tier() -> None:
    # Given a company policy: warn at half time, tell the owner 10 min late, the lead at a quarter window
    # (at least 30 min), ops a full window late
    policy = load_policy(
        {
            "version": "acme-1",
            "warning_share": 0.5,
            "tiers": [
                {"name": "owner", "notify": ["owner"], "min_after_minutes": 10},
                {"name": "lead", "notify": ["lead"], "after_breach_share": 0.25, "min_after_minutes": 30},
                {"name": "ops", "notify": ["ops"], "after_breach_share": 1, "breached": True},
            ],
        }
    )
    sla = open_window(T0, 2 * HOUR, policy)
    moments: list[datetime] = []
    # When the clock runs through every deadline
    while (deadline := next_deadline(sla, policy, 1)) is not None:
        sla, _ = fire_due(sla, policy, deadline, 1)
        moments.append(deadline)
    # Then each fires when the policy says
    assert moments == [T0 + HOUR, T0 + minutes(130), T0 + minutes(150), T0 + 4 * HOUR]
    assert sla.breached and sla.tier == 3


# ---------------------------------------------------------------- answers and waiting


def test_an_answer_closes_the_window_and_records_the_first_response() -> None:
    # Given a window that was warned
    sla, _ = fire_due(an_hour_window(), POLICY, T0 + minutes(50), 1)
    # When the owner answers
    answered = respond(sla, T0 + minutes(55))
    # Then no response is owed and nothing is due
    assert answered.responded and not answered.pending
    assert answered.first_response_at == T0 + minutes(55)
    assert next_deadline(answered, POLICY, 1) is None
    assert fire_due(answered, POLICY, T0 + 5 * HOUR, 1) == (answered, [])


def test_a_later_answer_keeps_the_first_response_time() -> None:
    sla = respond(an_hour_window(), T0 + minutes(10))
    again = respond(sla, T0 + minutes(20))
    assert again.first_response_at == T0 + minutes(10)
    reopened = follow_up(again, T0 + minutes(30), POLICY)
    assert reopened.first_response_at == T0 + minutes(10)
    assert respond(reopened, T0 + minutes(40)).first_response_at == T0 + minutes(10)


def test_waiting_on_the_customer_pauses_the_clock() -> None:
    # Given an hour window
    sla = an_hour_window()
    # When the owner asks the customer something
    waiting = respond(sla, T0 + minutes(5), waiting=True)
    # Then the clock is paused: nothing is due, however long the customer takes
    assert waiting.paused and not waiting.pending
    assert next_deadline(waiting, POLICY, 1) is None
    assert fire_due(waiting, POLICY, T0 + 24 * HOUR, 1) == (waiting, [])
    # And the question counts as the first response
    assert waiting.first_response_at == T0 + minutes(5)


def test_the_customers_reply_after_waiting_opens_a_next_response_window() -> None:
    waiting = respond(an_hour_window(), T0 + minutes(5), waiting=True)
    resumed = follow_up(waiting, T0 + 3 * HOUR, POLICY)
    assert resumed.pending and not resumed.paused
    assert (resumed.started_at, resumed.due_at) == (T0 + 3 * HOUR, T0 + 4 * HOUR)


# ---------------------------------------------------------------- follow-ups


def test_a_follow_up_after_an_answer_opens_a_next_response_window_as_long_as_the_first() -> None:
    # Given an hour window that breached before it was answered
    sla, _ = fire_due(an_hour_window(), POLICY, T0 + 2 * HOUR, 1)
    answered = respond(sla, T0 + 2 * HOUR + minutes(5))
    # When the customer writes again
    later = T0 + 5 * HOUR
    reopened = follow_up(answered, later, POLICY)
    # Then a fresh window of the same length opens from now, with its own warning and tiers
    assert (reopened.started_at, reopened.due_at, reopened.warn_at) == (
        later,
        later + HOUR,
        later + minutes(48),
    )
    assert reopened.pending and not reopened.warned and reopened.tier == 0
    # And the inquiry's history stays: the first response and the breach
    assert reopened.first_response_at == answered.first_response_at
    assert reopened.breached
    assert next_deadline(reopened, POLICY, 1) == later + minutes(48)


def test_a_follow_up_while_a_response_is_pending_changes_nothing() -> None:
    # Given a window that is warned but not answered
    sla, _ = fire_due(an_hour_window(), POLICY, T0 + minutes(50), 1)
    # When the customer writes again
    after = follow_up(sla, T0 + minutes(55), POLICY)
    # Then the same deadline stands: no new window, no new version
    assert after == sla


# ---------------------------------------------------------------- versions and the stored form


def test_every_change_bumps_the_version() -> None:
    # Given a clock taken through every kind of change
    steps = [an_hour_window()]
    steps.append(fire_due(steps[-1], POLICY, T0 + minutes(50), 1)[0])  # warned
    steps.append(fire_due(steps[-1], POLICY, T0 + minutes(60), 1)[0])  # tier 1
    steps.append(respond(steps[-1], T0 + minutes(70), waiting=True))  # asked the customer
    steps.append(follow_up(steps[-1], T0 + minutes(80), POLICY))  # they answered
    steps.append(respond(steps[-1], T0 + minutes(85)))  # answered
    steps.append(follow_up(steps[-1], T0 + minutes(90), POLICY))  # they wrote again
    # Then each step is one version more than the one before
    assert [s.version for s in steps] == list(range(1, 8))


def test_a_late_wake_up_bumps_the_version_once_per_step() -> None:
    sla, due = fire_due(an_hour_window(), POLICY, T0 + 3 * HOUR, 1)
    assert len(due) == 2 and sla.version == 1 + 3  # the (dropped) warning and two tiers


def test_nothing_due_changes_no_version() -> None:
    sla = an_hour_window()
    assert fire_due(sla, POLICY, T0, 1)[0].version == sla.version


@pytest.mark.parametrize(
    "sla",
    [
        pytest.param(Sla(started_at=T0, due_at=T0 + HOUR), id="minimal"),
        pytest.param(an_hour_window(), id="fresh"),
        pytest.param(
            Sla(
                started_at=T0,
                due_at=T0 + HOUR,
                warn_at=T0 + minutes(48),
                warned=True,
                responded=True,
                paused=True,
                first_response_at=T0 + minutes(70),
                breached=True,
                tier=2,
                version=9,
            ),
            id="every_field_set",
        ),
    ],
)
def test_the_stored_form_round_trips(sla: Sla) -> None:
    # Given a clock
    # When it is stored as JSON text and read back
    stored = json.loads(json.dumps(sla.as_json()))
    # Then it is the same clock
    assert Sla.from_json(stored) == sla


def test_the_stored_form_names_times_in_iso() -> None:
    stored = an_hour_window().as_json()
    assert stored["due_at"] == "2026-11-24T11:00:00+00:00" and stored["first_response_at"] is None


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(None, IDLE_SECONDS, id="nothing_due"),
        pytest.param(T0 + timedelta(seconds=90), 90, id="whole_seconds"),
        pytest.param(T0 + timedelta(seconds=2.7), 2, id="whole_seconds_rounded_down"),
        pytest.param(T0 - minutes(5), 1, id="overdue_at_least_a_second"),
    ],
)
def test_seconds_until(moment: datetime | None, expected: int) -> None:
    assert seconds_until(moment, T0) == expected

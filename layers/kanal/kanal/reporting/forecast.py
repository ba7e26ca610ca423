"""The staffing forecast: how many agents an hour of inquiries needs to meet a service level (Erlang C).

Erlang C models one queue served by N agents in parallel, inquiries arriving at random (Poisson) at a rate
λ and each taking an agent an average handle time (AHT), exponentially distributed; nobody gives up while
waiting. Then, per interval:

- offered load A = λ · AHT, in Erlangs (the agents' worth of work arriving);
- the probability an inquiry must wait, P_w = C(N, A) = N·B / (N - A·(1 - B)) for N > A, where B is the
  Erlang B blocking probability, computed with the recursion B(0) = 1, B(n) = A·B(n-1) / (n + A·B(n-1)):
  no power or factorial, so it neither overflows nor loses precision at hundreds of agents (the textbook
  form A^N / N! overflows a float at N = 171);
- the service level, the share answered within T: SL = 1 - P_w · e^(-(N - A)·T / AHT);
- the average speed of answer, ASA = P_w · AHT / (N - A); the occupancy A / N;
- the agents needed: the smallest N > A with SL ≥ the target (and, when given, occupancy A / N at most a
  maximum: with an SLA of hours Erlang C alone would keep agents 99 % busy); with shrinkage s (breaks,
  absence, training), ⌈N / (1 - s)⌉ agents on the schedule keep N on the queue.

Sources: the worked example of Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked
Example" (https://www.callcentrehelper.com/erlang-c-formula-example-121281.htm), and Westbay
Engineers' "The Erlang-C formula" (https://www.erlang.com); both are checked in
tests/unit/test_reporting_forecast.py.

An agent here is one inquiry at a time. Agents who work several chats at once answer each more slowly:
give the AHT as the agent time an inquiry takes (e.g. 12 minutes of a conversation shared three ways is
an AHT of 4 minutes), and the forecast stays an Erlang C one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

HOUR_SECONDS = 3600.0
EPSILON = 1e-9  # a ceiling's tolerance: 14 / 0.7 is 20.000000000000004 in floating point


@dataclass(frozen=True)
class Target:
    """A service level: ``share`` (0-1, exclusive) of the inquiries answered within ``seconds``."""

    share: float
    seconds: float


@dataclass(frozen=True)
class Staffing:
    """What N agents achieve on an offered load."""

    agents: int
    scheduled: int  # with shrinkage: agents on the schedule so that ``agents`` work the queue
    load: float  # Erlangs
    waiting_probability: float
    service_level: float
    asa_seconds: float
    occupancy: float


@dataclass(frozen=True)
class Hour:
    """One interval of a forecast: its hour (0-23, or None for "any hour at this rate") and volume."""

    hour: int | None
    inquiries: float
    staffing: Staffing


def offered_load(per_hour: float, aht_seconds: float) -> float:
    """A = λ · AHT, in Erlangs."""
    return per_hour * aht_seconds / HOUR_SECONDS


def erlang_b(agents: int, load: float) -> float:
    """The Erlang B blocking probability B(N, A), by its recursion (stable for any N)."""
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = load * blocking / (n + load * blocking)
    return blocking


def _erlang_c_from_b(agents: int, load: float, blocking: float) -> float:
    if agents <= load:
        return 1.0  # the queue grows without end: everybody waits
    return agents * blocking / (agents - load * (1.0 - blocking))


def erlang_c(agents: int, load: float) -> float:
    """P_w: the probability that an arriving inquiry waits (1 when N ≤ A)."""
    if load <= 0:
        return 0.0
    return _erlang_c_from_b(agents, load, erlang_b(agents, load))


def service_level(agents: int, load: float, aht_seconds: float, within_seconds: float) -> float:
    """The share of inquiries answered within ``within_seconds``."""
    return _service_level(agents, load, erlang_c(agents, load), aht_seconds, within_seconds)


def _service_level(agents: int, load: float, waiting: float, aht: float, within: float) -> float:
    if agents <= load:
        return 0.0 if load > 0 else 1.0
    return 1.0 - waiting * math.exp(-(agents - load) * within / aht)


def average_speed_of_answer(agents: int, load: float, aht_seconds: float) -> float:
    """ASA in seconds: the mean wait over all inquiries (infinite when N ≤ A)."""
    return _asa(agents, load, erlang_c(agents, load), aht_seconds)


def _asa(agents: int, load: float, waiting: float, aht: float) -> float:
    if load <= 0:
        return 0.0
    if agents <= load:
        return math.inf
    return waiting * aht / (agents - load)


def scheduled(agents: int, shrinkage: float) -> int:
    """Agents to schedule so that ``agents`` work the queue when ``shrinkage`` (0-1) of time is lost."""
    return math.ceil(agents / (1.0 - shrinkage) - EPSILON)


def achieved(
    agents: int, load: float, aht_seconds: float, target: Target, shrinkage: float = 0.0
) -> Staffing:
    """What ``agents`` on the queue achieve on ``load``."""
    return _staffing(agents, load, erlang_c(agents, load), aht_seconds, target, shrinkage)


def _staffing(
    agents: int, load: float, waiting: float, aht: float, target: Target, shrinkage: float
) -> Staffing:
    return Staffing(
        agents=agents,
        scheduled=scheduled(agents, shrinkage),
        load=load,
        waiting_probability=waiting,
        service_level=_service_level(agents, load, waiting, aht, target.seconds),
        asa_seconds=_asa(agents, load, waiting, aht),
        occupancy=load / agents if agents else 0.0,
    )


def required(
    per_hour: float,
    aht_seconds: float,
    target: Target,
    shrinkage: float = 0.0,
    max_occupancy: float = 1.0,
) -> Staffing:
    """The fewest agents (N > A, A / N ≤ ``max_occupancy``) whose service level meets ``target``; nobody
    for an hour without inquiries. Erlang B is carried from N to N + 1: one step per agent."""
    load = offered_load(per_hour, aht_seconds)
    if load <= 0:
        return _staffing(0, 0.0, 0.0, aht_seconds, target, shrinkage)
    agents = max(math.floor(load) + 1, math.ceil(load / max_occupancy - EPSILON))
    blocking = erlang_b(agents, load)
    while True:
        waiting = _erlang_c_from_b(agents, load, blocking)
        found = _staffing(agents, load, waiting, aht_seconds, target, shrinkage)
        if found.service_level >= target.share:
            return found
        agents += 1
        blocking = load * blocking / (agents + load * blocking)


def plan(
    curve: Iterable[tuple[int | None, float]],
    aht_seconds: float,
    target: Target,
    shrinkage: float = 0.0,
    max_occupancy: float = 1.0,
) -> list[Hour]:
    """The agents each hour of a curve needs: ``curve`` is (hour, inquiries in that hour) pairs."""
    return [
        Hour(hour, volume, required(volume, aht_seconds, target, shrinkage, max_occupancy))
        for hour, volume in curve
    ]


def day_curve(counts: Sequence[int]) -> list[tuple[int | None, float]]:
    """A recorded day's 24 hourly counts as a curve."""
    return [(hour, float(count)) for hour, count in enumerate(counts)]

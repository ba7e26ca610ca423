"""When each delivery of a `kanal load` run is due: a steady rate or a burst."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    """When each delivery is due, in seconds from the start: evenly spaced."""

    mode: str  # rate | burst
    count: int
    seconds: float

    @classmethod
    def rate(cls, per_second: float, duration: float) -> Plan:
        return cls("rate", max(1, round(per_second * duration)), duration)

    @classmethod
    def burst(cls, count: int, within: float) -> Plan:
        return cls("burst", count, within)

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    def due(self, index: int) -> float:
        return index / self.per_second

"""The one percentile definition of `kanal load` and the benchmarks, and the summaries built on it."""

from __future__ import annotations

import math
from collections.abc import Sequence

PERCENTILES = (50, 95, 99)


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least ``share`` percent at or below it."""
    if not values:
        return None
    if not 0 < share <= 100:
        raise ValueError(f"percentile must be in (0, 100], not {share}")
    ordered = sorted(values)
    rank = math.ceil(share / 100 * len(ordered))
    return ordered[max(rank, 1) - 1]


def summary(values: Sequence[float], scale: float = 1.0, digits: int = 2) -> dict[str, float | int | None]:
    """Count, p50/p95/p99 and max of ``values``, each times ``scale``, rounded to ``digits``."""
    figures: dict[str, float | int | None] = {"count": len(values)}
    for share in PERCENTILES:
        value = percentile(values, share)
        figures[f"p{share}"] = None if value is None else round(value * scale, digits)
    figures["max"] = round(max(values) * scale, digits) if values else None
    return figures


def summary_ms(seconds: Sequence[float]) -> dict[str, float | int | None]:
    """Count, p50/p95/p99 and max of durations given in seconds, in milliseconds."""
    return summary(seconds, scale=1000)

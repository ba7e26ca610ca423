"""`kanal load`'s flag values: a rate, a duration, a count, a share."""

from __future__ import annotations

import argparse
import re


def rate_value(text: str) -> float:
    """``200/s``, ``12000/min``, ``200`` (per second) as deliveries per second."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*(s|sec|second|m|min|minute|h|hour))?\s*", text)
    if not found or float(found.group(1)) <= 0:
        raise argparse.ArgumentTypeError(
            f"rate must be a positive number per s, min or h (200/s), not {text!r}"
        )
    per = {"m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}.get(found.group(2) or "s", 1)
    return float(found.group(1)) / per


def duration_value(text: str) -> float:
    """``60s``, ``2m``, ``1h``, ``90`` (seconds) as seconds."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*", text)
    if not found or float(found.group(1)) <= 0:
        raise argparse.ArgumentTypeError(
            f"duration must be a positive number of ms, s, m or h (60s), not {text!r}"
        )
    unit = {"ms": 0.001, "m": 60, "min": 60, "h": 3600}.get(found.group(2) or "s", 1)
    return float(found.group(1)) * unit


def count_value(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, not {text!r}")
    return value


def share_value(text: str) -> float:
    try:
        value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        value = -1
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be a share between 0 and 1 (or 0-100%), not {text!r}")
    return value

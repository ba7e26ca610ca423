"""Every benchmark figure against its budget, in one table: what `make bench` prints last.

Reads each ``benchmarks/results/*.json`` that carries a ``figures`` list, each figure
``{"name", "value", "unit", "budget": number|null, "compare": "<="|">="|null, "ok": bool|null, "note"}``,
and prints one row per figure: figure, value, budget, ok/MISS, note. A figure without a budget is shown
with ``-`` (no verdict). A figure whose ``ok`` is missing is judged here from its value and budget. A
results file of a benchmark that ran the emulator says whether the emulator's speed-ups were on
(``"emulator_speedups": true|false``, `kanal_local/emulator/speedups.py`): the summary ends with a line
naming the files of each, and the note of every figure measured without them says so. Run with
``python benchmarks/summary.py [--results DIR] [--strict]``; ``--strict`` exits 1 when a figure misses.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
COMPARES = ("<=", ">=")


def figure(
    name: str,
    value: float,
    unit: str,
    budget: float | None = None,
    compare: str | None = None,
    note: str = "",
) -> dict[str, Any]:
    """One figure for a results file's ``figures`` list, judged against its budget (if it has one)."""
    if (budget is None) != (compare is None) or (compare is not None and compare not in COMPARES):
        raise ValueError(f"{name}: a budget needs a compare of {COMPARES}, and a compare a budget")
    return {
        "name": name,
        "value": value,
        "unit": unit,
        "budget": budget,
        "compare": compare,
        "ok": judge(value, budget, compare),
        "note": note,
    }


def judge(value: Any, budget: Any, compare: Any) -> bool | None:
    """Whether ``value`` keeps its budget; None when there is no budget to keep."""
    if budget is None or compare not in COMPARES or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and math.isnan(value):
        return False
    return bool(value <= budget) if compare == "<=" else bool(value >= budget)


SPEEDUPS_OFF = "emulator speed-ups off"


def load(directory: Path) -> list[tuple[str, dict[str, Any]]]:
    """(results file name, figure) of every figure in the directory's results files, by file name; the
    note of a figure measured with the emulator's speed-ups off starts with `SPEEDUPS_OFF`."""
    rows = []
    for path in sorted(directory.glob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            rows.append((path.stem, {"name": "(unreadable)", "value": None, "note": type(error).__name__}))
            continue
        figures = document.get("figures") if isinstance(document, dict) else None
        if not isinstance(figures, list):
            continue
        off = document.get("emulator_speedups") is False
        for item in figures:
            if isinstance(item, dict):
                note = "; ".join(n for n in (SPEEDUPS_OFF if off else "", str(item.get("note") or "")) if n)
                rows.append((path.stem, {**item, "note": note} if off else item))
    return rows


def speedups(directory: Path) -> dict[str, list[str]]:
    """The results files whose benchmark ran the emulator, by whether its speed-ups were "on" or "off"."""
    found: dict[str, list[str]] = {"on": [], "off": []}
    for path in sorted(directory.glob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        flag = document.get("emulator_speedups") if isinstance(document, dict) else None
        if isinstance(flag, bool):
            found["on" if flag else "off"].append(path.stem)
    return found


def speedups_line(found: dict[str, list[str]]) -> str | None:
    """`emulator speed-ups: on in burst, cost; off in routing`, or None when no file says."""
    parts = [f"{state} in {', '.join(names)}" for state, names in found.items() if names]
    return f"emulator speed-ups: {'; '.join(parts)}" if parts else None


def verdict(item: Mapping[str, Any]) -> str:
    ok = item.get("ok")
    if ok is None and "ok" not in item:
        ok = judge(item.get("value"), item.get("budget"), item.get("compare"))
    if ok is None:
        return "-" if item.get("budget") is None else "?"
    return "ok" if ok else "MISS"


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "-" if value is None else str(value)
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"


def rows_of(figures: Iterable[tuple[str, Mapping[str, Any]]]) -> list[list[str]]:
    rows = []
    for source, item in figures:
        unit = str(item.get("unit") or "")
        value = _number(item.get("value")) + (f" {unit}" if unit else "")
        budget = item.get("budget")
        limit = "-" if budget is None else f"{item.get('compare') or '?'} {_number(budget)}"
        rows.append(
            [f"{source}: {item.get('name', '?')}", value, limit, verdict(item), str(item.get("note") or "")]
        )
    return rows


def table(rows: list[list[str]]) -> str:
    header = ["figure", "value", "budget", "ok", "note"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = []
    for row in [header, *rows]:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])
    return "\n".join(line.rstrip() for line in lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a figure misses its budget")
    args = parser.parse_args(argv)
    rows = rows_of(load(args.results))
    if not rows:
        print(f"no figures in {args.results}")
        return 0
    print(table(rows))
    missed = sum(1 for r in rows if r[3] in ("MISS", "?"))
    kept = sum(1 for r in rows if r[3] == "ok")
    print(f"{kept} within budget, {missed} missed, {len(rows) - kept - missed} without a budget")
    line = speedups_line(speedups(args.results))
    if line:
        print(line)
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())

"""`kanal forecast` with a rate or a planned curve (no stack needed), and its usage errors (exit 2)."""

from __future__ import annotations

import json
import math

import pytest

from kanal.reporting.forecast import Target, required
from kanal_local.cli import main
from tests.conftest import free_port

COMMON = ["--aht", "180s", "--sla", "80/20s"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(["forecast", *argv])
    except SystemExit as stop:  # argparse's usage errors
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_rate_prints_one_row_for_every_hour(capsys):
    code, out, _ = run(capsys, "--rate", "100/min", *COMMON, "--shrinkage", "30%")
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("every hour")).split()
    needed = required(6000, 180, Target(0.8, 20), shrinkage=0.3)  # 6,000/h at 3 minutes: 300 Erlangs
    assert row[2:6] == ["6000", "300.00", str(needed.agents), str(needed.scheduled)]
    assert needed.scheduled == math.ceil(needed.agents / 0.7)


def test_the_callcentrehelper_example_through_the_command(capsys):
    code, out, _ = run(
        capsys, "--rate", "200/h", *COMMON, "--shrinkage", "30", "--max-occupancy", "85%", "--json"
    )
    assert code == 0
    (hour,) = json.loads(out)["hours"]
    assert (hour["hour"], hour["agents"], hour["scheduled"], hour["service_level"]) == (None, 14, 20, 0.8884)


def test_a_planned_curve_prints_its_hours_and_the_peak(tmp_path, capsys):
    curve = tmp_path / "launch.csv"
    curve.write_text("hour,inquiries\n# launch day\n8,120\n10,200\n9,400\n", encoding="utf-8")

    code, out, _ = run(capsys, "--curve", str(curve), *COMMON)

    assert code == 0
    rows = [line.split() for line in out.splitlines() if line[2:3] == ":"]
    assert [row[0] for row in rows] == ["08:00", "09:00", "10:00"]
    assert [row[1] for row in rows] == ["120", "400", "200"]
    assert int(rows[1][3]) > int(rows[2][3]) > int(rows[0][3])
    assert f"720 inquiries; peak {rows[1][4]} scheduled at 09:00" in out


def test_a_bad_curve_names_each_bad_line(tmp_path, capsys):
    curve = tmp_path / "bad.csv"
    curve.write_text("hour,inquiries\n8,120\n25,3\n9,lots\n", encoding="utf-8")
    code, _, err = run(capsys, "--curve", str(curve), *COMMON)
    assert code == 2
    assert "line 3: the hour must be 0-23" in err
    assert "line 4: inquiries must be a number" in err
    assert run(capsys, "--curve", str(tmp_path / "missing.csv"), *COMMON)[0] == 2


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--rate", "abc", *COMMON], "argument --rate: 'abc' must be a rate with its unit"),
        (["--rate", "900/h", "--aht", "6", "--sla", "80/20s"], "argument --aht: '6' must be a duration"),
        (["--rate", "900/h", "--aht", "6m", "--sla", "100/20s"], "argument --sla"),
        (["--rate", "900/h", "--day", "today", *COMMON], "not allowed with argument"),
        (["--aht", "6m", "--sla", "80/20s"], "one of the arguments --rate --curve --day is required"),
        (["--rate", "900/h", "--channel", "x", *COMMON], "--channel only with --day"),
        (["--day", "2026-13-01", *COMMON], "argument --day"),
        (["--rate", "900/h", "--aht", "6m", "--sla", "80/20s", "--shrinkage", "100"], "argument --shrinkage"),
    ],
)
def test_bad_arguments_are_a_usage_error(capsys, argv, says):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert says in err
    assert out == ""


def test_a_day_without_a_running_stack_says_so(capsys):
    code, _, err = run(capsys, "--day", "today", *COMMON, "--url", f"http://127.0.0.1:{free_port()}")
    assert code == 1
    assert "is `kanal local` running?" in err

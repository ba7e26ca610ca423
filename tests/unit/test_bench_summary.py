"""The benchmark summary: every results file's figures in one table, each against its budget."""

from __future__ import annotations

import json

import pytest

from benchmarks import summary


def write(directory, name, document):
    (directory / f"{name}.json").write_text(json.dumps(document), encoding="utf-8")


def test_a_figure_is_judged_against_its_budget_in_either_direction():
    assert summary.figure("cost", 0.2, "USD", 0.30, "<=")["ok"] is True
    assert summary.figure("cost", 0.31, "USD", 0.30, "<=")["ok"] is False
    assert summary.figure("ratio", 49.9, "x", 50, ">=")["ok"] is False
    assert summary.figure("info", 3, "")["ok"] is None
    with pytest.raises(ValueError):
        summary.figure("half a budget", 1, "", 2)
    with pytest.raises(ValueError):
        summary.figure("unknown compare", 1, "", 2, "<")


def test_the_table_shows_a_miss_as_miss_and_a_figure_without_budget_without_verdict(tmp_path, capsys):
    # Given two results files with figures, one of them missing its budget, and one file without figures
    write(
        tmp_path,
        "cost",
        {
            "figures": [
                summary.figure("cost per 1,000 inquiries", 0.42, "USD", 0.30, "<=", "over by $0.12"),
                summary.figure("scoring share", 0.2, "%"),
            ]
        },
    )
    write(tmp_path, "growth", {"figures": [{"name": "queue page ratio", "value": 1.0, "unit": "x"}]})
    write(tmp_path, "legacy", {"inquiries_per_second": 27000})
    # When the summary runs
    assert summary.main(["--results", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    # Then the miss reads MISS with its note, the figures without a budget have no verdict
    row = next(line for line in lines if "cost per 1,000 inquiries" in line)
    assert "MISS" in row and "<= 0.3" in row and "over by $0.12" in row
    assert "ok" not in row.split("MISS")[0].split("USD")[1]
    share = next(line for line in lines if "scoring share" in line)
    assert " - " in share and "MISS" not in share
    ratio = next(line for line in lines if "queue page ratio" in line)
    assert "MISS" not in ratio and " ok " not in ratio
    assert not any("legacy" in line for line in lines)
    assert lines[-1].startswith("0 within budget, 1 missed, 2 without a budget")


def test_strict_exits_1_on_a_miss_and_0_when_every_budget_is_kept(tmp_path):
    write(tmp_path, "a", {"figures": [summary.figure("kept", 1, "", 2, "<=")]})
    assert summary.main(["--results", str(tmp_path), "--strict"]) == 0
    write(tmp_path, "b", {"figures": [summary.figure("missed", 3, "", 2, "<=")]})
    assert summary.main(["--results", str(tmp_path), "--strict"]) == 1


def test_a_figure_without_ok_is_judged_here_and_an_unreadable_file_is_shown(tmp_path, capsys):
    unjudged = {"name": "p99", "value": 7, "unit": "ms", "budget": 5, "compare": "<="}
    write(tmp_path, "c", {"figures": [unjudged]})
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    summary.main(["--results", str(tmp_path)])
    out = capsys.readouterr().out
    assert "MISS" in next(line for line in out.splitlines() if "p99" in line)
    assert "(unreadable)" in out and "JSONDecodeError" in out


def test_the_summary_says_which_benchmarks_ran_the_emulator_with_its_speedups_and_which_without(
    tmp_path, capsys
):
    # Given results of two benchmarks on the emulator, one measured without its speed-ups, and one without it
    ack = summary.figure("ack p99", 20.0, "ms", 50, "<=", "200/s")
    write(tmp_path, "burst", {"emulator_speedups": True, "figures": [ack]})
    write(tmp_path, "routing", {"emulator_speedups": False, "figures": [summary.figure("drain", 9.0, "/s")]})
    write(tmp_path, "priority", {"figures": [summary.figure("score p99", 30.0, "us")]})
    # When the summary is printed
    assert summary.main(["--results", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    # Then it ends with which were measured with the speed-ups and which without
    assert out.strip().splitlines()[-1] == "emulator speed-ups: on in burst; off in routing"
    # And a figure measured without them says so in its note; the others keep theirs
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith(("burst", "routing"))}
    assert rows["routing:"].endswith("emulator speed-ups off") and rows["burst:"].endswith("200/s")

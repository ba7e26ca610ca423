"""`kanal local` options: the time scale from --time-scale, $KANAL_TIME_SCALE or --demo."""

from __future__ import annotations

import argparse
import socket

import pytest

from kanal_local import cli


def _local(*argv: str) -> argparse.Namespace:
    return cli.parser().parse_args(["local", *argv])


def test_without_a_flag_or_variable_the_stack_runs_in_real_time():
    args = _local()
    assert cli.time_scale(args.time_scale, args.demo, environ={}) == 1.0


def test_demo_runs_at_a_scale_at_which_an_unanswered_inquiry_escalates_within_a_minute():
    args = _local("--demo")
    assert cli.time_scale(args.time_scale, args.demo, environ={}) == cli.DEMO_TIME_SCALE == 120


def test_the_variable_sets_the_scale_and_wins_over_the_demo_default():
    args = _local("--demo")
    assert cli.time_scale(args.time_scale, args.demo, environ={"KANAL_TIME_SCALE": "30"}) == 30.0


def test_the_flag_wins_over_the_variable():
    args = _local("--demo", "--time-scale", "7.5")
    assert cli.time_scale(args.time_scale, args.demo, environ={"KANAL_TIME_SCALE": "30"}) == 7.5


@pytest.mark.parametrize("value", ["0", "0.99", "-1", "soon", "nan", "inf"])
def test_a_flag_below_one_or_not_a_number_is_a_usage_error(value, capsys):
    with pytest.raises(SystemExit) as exited:
        _local("--time-scale", value)
    assert exited.value.code == 2
    assert "time scale must be a number >= 1" in capsys.readouterr().err


def test_an_invalid_variable_stops_kanal_local_before_anything_starts(monkeypatch, capsys):
    monkeypatch.setenv("KANAL_TIME_SCALE", "0")
    assert cli.main(["local"]) == 2
    assert "KANAL_TIME_SCALE" in capsys.readouterr().err


@pytest.mark.parametrize(("scale", "text"), [(1.0, "1"), (120.0, "120"), (2.5, "2.5")])
def test_the_scale_reaches_the_template_as_a_number_parameter(scale, text):
    assert cli.parameter_number(scale) == text


def test_kanal_local_passes_the_scale_to_the_stack_as_its_time_scale_parameter(monkeypatch):
    monkeypatch.setenv("KANAL_TIME_SCALE", "30")
    stack = cli.local_stack(_local("--time-scale", "60", "--aws-port", "9999"), 8787)
    assert stack.parameters == {"TimeScale": "60"} and stack.time_scale == 60.0
    assert cli.local_stack(_local("--demo"), 8787).parameters == {"TimeScale": "30"}
    monkeypatch.delenv("KANAL_TIME_SCALE")
    assert cli.local_stack(_local("--demo"), 8787).time_scale == 120.0
    assert cli.local_stack(_local(), 8787).time_scale == 1.0


def test_kanal_token_signs_in_at_the_url_flag_then_kanal_port_then_the_running_stack(tmp_path, monkeypatch):
    import os

    from kanal_local import cli

    monkeypatch.setattr(cli.tempfile, "gettempdir", lambda: str(tmp_path))
    assert cli.local_url("http://127.0.0.1:9000", {"KANAL_PORT": "9100"}) == "http://127.0.0.1:9000"
    assert cli.local_url(None, {"KANAL_PORT": "9100"}) == "http://127.0.0.1:9100"
    assert cli.local_url(None, {}) == "http://127.0.0.1:8787"  # nothing running
    cli.announce("http://127.0.0.1:9200")  # this process stands in for a running `kanal local`
    assert cli.local_url(None, {}) == "http://127.0.0.1:9200"
    (tmp_path / f"kanal-local-{os.getuid()}.json").write_text('{"url": "http://x", "pid": 999999999}')
    assert cli.local_url(None, {}) == "http://127.0.0.1:8787"  # that one stopped


def _listening() -> socket.socket:
    """A socket holding a port, as another program would."""
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen()
    return held


def test_a_taken_emulator_port_stops_kanal_local_at_once_with_one_line_naming_port_and_flag(capsys):
    # Given another program on the port after kanal local's own (the emulator's default)
    for _ in range(20):
        held = _listening()
        taken = held.getsockname()[1]
        if cli.unavailable("127.0.0.1", taken - 1) is None:
            break
        held.close()
    with held:
        # When kanal local starts on the port before it
        code = cli.main(["local", "--port", str(taken - 1)])
    # Then it exits non-zero before anything starts, with one line that says how to change it
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and f"port {taken}" in err and "--aws-port" in err, err


def test_a_taken_gateway_port_names_the_port_flag(capsys):
    with _listening() as held:
        taken = held.getsockname()[1]
        code = cli.main(["local", "--port", str(taken), "--aws-port", "0"])
    err = capsys.readouterr().err
    assert code == 1 and f"port {taken}" in err and "--port" in err and "--aws-port" not in err, err

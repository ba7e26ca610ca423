"""`make demo` as a newcomer sees it: inquiries flow in, are routed and notified, and one escalates."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def start_demo() -> subprocess.Popen[bytes]:
    """`kanal local --demo` on free ports, at a time scale that lets the demo's clocks run in seconds."""
    env = {**os.environ, "KANAL_PORT": str(free_port()), "KANAL_AWS_PORT": str(free_port())}
    return subprocess.Popen(
        [sys.executable, "-m", "kanal_local.cli", "local", "--demo", "--time-scale", "600"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_the_demo_routes_notifies_and_escalates_one_inquiry_tier_by_tier():
    # Given `kanal local --demo`, at a time scale that lets the demo's clocks run in seconds
    process = start_demo()
    assert process.stdout is not None
    lines: list[str] = []
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 120
    try:
        # When it has run until the escalating inquiry has passed both tiers
        # (raw reads: a text stream would buffer lines that select() then no longer reports)
        pending = b""
        while time.monotonic() < deadline and not any("/#token=" in line for line in lines):
            if selector.select(timeout=1):
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    break
                *complete, pending = (pending + chunk).split(b"\n")
                lines += [line.decode("utf-8", "replace").rstrip() for line in complete]
        link = lines[-1].strip() if lines else ""
        page = requests.get(link.split("#")[0], timeout=10) if "/#token=" in link else None
    finally:
        process.terminate()
        process.wait(timeout=20)
    output = "\n".join(lines)
    # Then the newcomer saw the queue with owners, the notifications, and the escalation, without noise
    assert "the queue (9 open inquiries" in output, output
    answered = [line for line in lines if line.strip().endswith(" sent")]
    assert len(answered) == 8, output  # every owner's reply left on its own channel
    assert "moved to a private chat: messenger private reply sent, public note sent" in output, output
    assert "the customer's Messenger answer joined the same inquiry: in facebook public" in output, output
    assert " assigned   e-mail+SMS to " in output, output
    assert "warning" in output and "escalation SMS        to ops" in output, output
    assert "breached: True" in output, output
    # and ends with the console's address, signed in as a demo agent, which serves the console
    assert link.startswith("http://127.0.0.1:") and page is not None, output
    assert page.status_code == 200 and '<script type="module" src="/assets/app.js">' in page.text
    assert "Traceback" not in output and '"level":' not in output and "Warning:" not in output, output


def test_ctrl_c_while_the_demo_replays_says_goodbye_in_one_line_and_exits_cleanly():
    # Given `make demo` replaying its sample traffic
    process = start_demo()
    assert process.stdout is not None
    seen = b""
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and b"POST /webhooks/meta" not in seen:
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                break
            seen += chunk
        # When the newcomer presses Ctrl-C in the middle of it
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    # Then the stack says goodbye in one line, with no traceback, and exits 0 (stopped as asked)
    after = rest.decode("utf-8", "replace")
    assert process.returncode == 0, seen.decode() + after
    assert after.strip().splitlines()[-1] == "stopping Kanal local stack", after
    assert "Traceback" not in after and "Error" not in after, after

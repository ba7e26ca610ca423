"""`kanal local` as a user runs it: a process serving the whole stack over HTTP on its port."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import eventually, free_port, load_event
from tests.signing import sign_meta

ROOT = Path(__file__).resolve().parents[2]
KANAL = [sys.executable, "-m", "kanal_local.cli"]


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[subprocess.Popen[str], str]]:
    port = free_port()
    env = {**os.environ, "KANAL_PORT": str(port), "KANAL_AWS_PORT": str(free_port())}
    process = subprocess.Popen(
        [*KANAL, "local"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        assert process.poll() is None, process.stdout.read() if process.stdout else "kanal local exited"
        try:
            return requests.get(f"{base}/healthz", timeout=1).status_code == 200
        except requests.ConnectionError:
            return False

    eventually(healthy, timeout=60, interval=0.2)
    yield process, base
    if process.poll() is None:
        process.kill()
        process.wait()


def test_kanal_local_answers_healthz_on_the_port_from_kanal_port(running):
    _, base = running
    response = requests.get(f"{base}/healthz", timeout=5)
    assert response.status_code == 200
    assert "IngestFunction" in response.json()["functions"]


def test_a_webhook_becomes_an_inquiry_readable_with_a_kanal_token(running):
    # Given a token printed by `kanal token admin`
    _, base = running
    token = subprocess.run(
        [*KANAL, "token", "admin"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    headers = {"Authorization": f"Bearer {token.strip()}"}
    # When Meta delivers a comment
    event = load_event("meta/page_feed_comment_add.json")
    comment_id = f"{uuid.uuid4().int % 10**15}_{uuid.uuid4().int % 10**15}"
    event["entry"][0]["changes"][0]["value"]["comment_id"] = comment_id
    body = json.dumps(event).encode()
    accepted = requests.post(
        f"{base}/webhooks/meta",
        data=body,
        timeout=10,
        headers={"X-Hub-Signature-256": sign_meta(body, "local-meta-app-secret")},
    )
    assert accepted.status_code == 200

    # Then the agent API lists it, scored
    def listed():
        items = requests.get(f"{base}/api/inquiries", headers=headers, timeout=5).json()["items"]
        return [i for i in items if i["external_id"] == comment_id and i["priority"]]

    item = eventually(listed, timeout=30, interval=0.3)[0]
    assert item["channel"] == "facebook" and item["visibility"] == "public"
    assert item["priority"]["band"] in {"P1", "P2", "P3", "P4"}
    # And without a token the API refuses
    assert requests.get(f"{base}/api/inquiries", timeout=5).status_code == 401


def test_kanal_local_stops_cleanly_on_sigterm(running):
    process, base = running
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base}/healthz", timeout=2)

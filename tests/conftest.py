"""Shared fixtures: the embedded stack (one per test session) and an HTTP client for it."""

from __future__ import annotations

import copy
import json
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

EVENTS = Path(__file__).parent / "events"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load_event(relative: str) -> Any:
    return json.loads((EVENTS / relative).read_text(encoding="utf-8"))


def eventually(check: Callable[[], Any], timeout: float = 15, interval: float = 0.1) -> Any:
    """Poll until ``check`` returns something truthy; fail with its last value otherwise."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")


@pytest.fixture(scope="session")
def local() -> Iterator[Any]:
    """The whole local stack, in-process, serving HTTP on a free port."""
    from kanal_local.server import LocalServer
    from kanal_local.stack import LocalStack

    # Quick retries: a record that keeps failing reaches the dead-letter queue in seconds.
    stack = LocalStack(
        aws_port=free_port(),
        parameters={
            "IngestVisibilityTimeout": "4",
            "IngestMaxReceiveCount": "2",
            "RulesCacheSeconds": "0",
            "TimeScale": "60",  # an hour's SLA passes in a minute
        },
    )
    server = LocalServer(stack=stack, port=0).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def admin_headers() -> dict[str, str]:
    from kanal_local.auth import mint

    return {"Authorization": f"Bearer {mint('admin')}"}


@pytest.fixture
def http() -> requests.Session:
    return requests.Session()


@pytest.fixture
def rules(local, http, admin_headers):
    """The rules in force before the test; restored afterwards under a new version."""
    before = http.get(f"{local.url}/api/rules", headers=admin_headers).json()
    yield before
    restored = copy.deepcopy(before["document"])
    restored["version"] = f"restored-{uuid.uuid4().hex[:8]}"
    assert http.put(f"{local.url}/api/rules", json=restored, headers=admin_headers).status_code == 200

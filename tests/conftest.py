"""Shared fixtures: the embedded stack (one per test session) and an HTTP client for it."""

from __future__ import annotations

import copy
import json
import random
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests import tokens

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
    tokens.use(server)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def admin_headers(local) -> dict[str, str]:
    """The seeded admin's token (an ID token lives an hour, longer than the suite runs)."""
    return tokens.bearer("admin")


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


@dataclass
class Desk:
    team: str
    agents: list[str]
    lead: str
    phones: dict[str, str]
    word: str


def _phone() -> str:
    return f"+49170{random.randrange(10**6, 10**7)}"


@pytest.fixture
def desk(local, http, admin_headers, rules, request):
    """A team with two online agents and a lead, and rules that send the test's word to it."""
    from kanal.adapters.roster_store import OrganisationStore
    from kanal.routing.roster import Agent, AgentStatus, Skills, Team
    from kanal.routing.staffing import Organisation
    from kanal.routing.wiring import assigner, identities, notifier

    tag = uuid.uuid4().hex[:8]
    marker = request.node.get_closest_marker("sla_minutes")
    document = copy.deepcopy(rules["document"])
    document["version"] = f"paths-{tag}"
    document["default_calendar"] = "round-the-clock"
    document["rules"].append(
        {
            "id": f"topic.{tag}",
            "type": "content",
            "weight": 1,
            "terms": {"en": [f"zx{tag}"], "de": [f"zx{tag}"]},
        }
    )
    if marker:
        for rule in document["rules"]:
            if rule["type"] == "channel":
                rule["sla_minutes"]["whatsapp"] = dict.fromkeys(("P1", "P2", "P3", "P4"), marker.args[0])
    assert http.put(f"{local.url}/api/rules", json=document, headers=admin_headers).status_code == 200
    organisation = Organisation(OrganisationStore(), notifier(), identities())  # agents who can sign in
    team = f"desk-{tag}"
    lead = f"lead-{tag}"
    agents = [f"ana-{tag}", f"ben-{tag}"]
    phones = {name: _phone() for name in [*agents, lead]}
    organisation.save_team(
        Team(team, f"Desk {tag}", lead=lead, topics=(f"topic.{tag}",), order=1), create=True
    )
    organisation.save_agent(
        Agent(
            lead,
            "Lead",
            f"{lead}@velora.example",
            phones[lead],
            "de",
            groups=("agents", "leads"),
            status=AgentStatus.OFFLINE,
        ),
        create=True,
    )
    for name in agents:
        organisation.save_agent(
            Agent(
                name,
                name.title(),
                f"{name}@velora.example",
                phones[name],
                "en",
                teams=(team,),
                skills=Skills(),
                max_concurrent=3,
                status=AgentStatus.ONLINE,
            ),
            create=True,
        )
    yield Desk(team, agents, lead, phones, f"zx{tag}")
    for name in agents:  # nobody of this desk takes later tests' inquiries
        assigner().org.set_status(name, AgentStatus.OFFLINE)


@pytest.fixture
def urgent(local, http, admin_headers, desk):
    """The desk's word makes an inquiry P1 (and sends it to the desk)."""
    document = copy.deepcopy(http.get(f"{local.url}/api/rules", headers=admin_headers).json()["document"])
    document["version"] = f"urgent-{uuid.uuid4().hex[:8]}"
    for rule in document["rules"]:
        if rule["id"] == f"topic.{desk.word[2:]}":
            rule["min_band"] = "P1"
    assert http.put(f"{local.url}/api/rules", json=document, headers=admin_headers).status_code == 200
    return desk

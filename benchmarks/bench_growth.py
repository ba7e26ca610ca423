"""Reads that do not grow with the data: a queue page, a routing decision and an inquiry's detail, at 100x.

Run with ``python benchmarks/bench_growth.py [--small 100] [--large 10000]``. Starts the local stack
in-process and, at two sizes, counts the DynamoDB items each of three reads makes (a Query counts its
``ScannedCount``, what DynamoDB reads before any filter; a GetItem its item; a BatchGetItem each item) and
the read request units they bill (from item sizes, see ``metering.py``):

- the queue page: ``GET /api/inquiries?limit=25`` as the lead of a team whose queue holds the seeded
  inquiries (nobody of it online, so no queued inquiry is taken meanwhile), over the gateway;
- the routing decision: ``Tasks.route`` (what the state machine's ``Route`` task runs) on a new Facebook
  comment of team ``social``;
- the inquiry detail: ``GET /api/inquiries/{id}`` of one inquiry, over the gateway.

Between the two sizes the benchmark adds queued inquiries of that team (another customer each) and
online agents in five other teams, written directly through the adapters' PynamoDB models in batches
(``BatchWriteItem``; the emulator copies whole tables for every transaction, which would make seeding
10,000 inquiries take the run's whole budget). Budget: the larger size reads at most 1.1 times the items
of the smaller. Prints a table and writes ``benchmarks/results/growth.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import threading
import time
import uuid
import warnings
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import metering
import requests
from seeding import new_comment, number
from summary import figure

from kanal_local.emulator.speedups import wanted as emulator_speedups

RESULTS = Path(__file__).resolve().parent / "results" / "growth.json"
PAGE_ID = "104870982355621"
TEAM, LEAD = "social", "lena"  # the routing decision's team and the detail's reader
QUEUE_TEAM, QUEUE_LEAD = "growth-queue", "growth-lead"  # the queue's: nobody online to take from it
QUEUE_LEAD_EMAIL = "growth-lead@velora.example"
OTHER_TEAMS = 5
RATIO_BUDGET = 1.1


def seed_inquiries(count: int) -> None:
    """``count`` queued, scored inquiries of the queue team, each of another customer, and their first
    messages."""
    from kanal.adapters.items import inquiry_item, message_item
    from kanal.adapters.models import InquiryItem, MessageItem
    from kanal.model import Author, Channel, Direction, Inquiry, Message, Priority, Status, Visibility

    now = datetime.now(UTC)
    with InquiryItem.batch_write() as inquiries, MessageItem.batch_write() as messages:
        for k in range(count):
            inquiry_id, external_id = uuid.uuid4().hex, f"{number()}_{number()}"
            author = Author(id=number(), name=f"Customer {k}")
            created = now - timedelta(minutes=k % 600)
            priority = Priority(
                score=10 + k % 60,
                band=("P1", "P2", "P3", "P4")[k % 4],
                reasons=(),
                rules_version="bench-growth",
                sla_due_at=created + timedelta(hours=2),
            )
            inquiry = Inquiry(
                id=inquiry_id,
                channel=Channel.FACEBOOK,
                external_id=external_id,
                author=author,
                text="Where is my order?",
                visibility=Visibility.PUBLIC,
                thread_id=external_id,
                account_id=PAGE_ID,
                customer_id=uuid.uuid4().hex,
                created_at=created,
                received_at=created,
                language="en",
                status=Status.QUEUED,
                team=QUEUE_TEAM,
                priority=priority,
            )
            inquiries.save(inquiry_item(inquiry, f"{inquiry.customer_id}#facebook#{external_id}"))
            first = Message(
                inquiry_id=inquiry_id,
                channel=Channel.FACEBOOK,
                external_id=external_id,
                direction=Direction.IN,
                author=author,
                text=inquiry.text,
                visibility=Visibility.PUBLIC,
                created_at=created,
            )
            messages.save(message_item(first))


def seed_agents(first: int, count: int) -> None:
    """Online agents ``first`` .. ``first + count`` spread over five other teams (taking e-mail only)."""
    from kanal.adapters.models import MemberItem, OrgItem
    from kanal.adapters.roster_store import OrganisationStore
    from kanal.routing.roster import Agent, AgentStatus, Skills, Team

    store = OrganisationStore()
    if first == 0:
        store.save_team(
            Team(QUEUE_TEAM, "Growth queue", lead=QUEUE_LEAD, channels=("email",), order=59), create=True
        )
        lead = Agent(
            QUEUE_LEAD,
            "Queue lead",
            email=QUEUE_LEAD_EMAIL,
            teams=(QUEUE_TEAM,),
            groups=("agents", "leads"),
            status=AgentStatus.OFFLINE,
        )
        store.save_agent(lead, create=True)
        for t in range(OTHER_TEAMS):
            store.save_team(
                Team(f"growth-{t}", f"Growth team {t}", channels=("email",), order=60 + t), create=True
            )
    with OrgItem.batch_write() as profiles, MemberItem.batch_write() as members:
        for k in range(first, first + count):
            team = f"growth-{k % OTHER_TEAMS}"
            agent = Agent(
                id=f"growth-agent-{k}",
                name=f"Agent {k}",
                teams=(team,),
                skills=Skills(channels=("email",)),
                status=AgentStatus.ONLINE,
            )
            profiles.save(OrganisationStore.new_profile(agent))
            members.save(OrganisationStore._member(team, agent.id, str(agent.status)))


class Reads:
    """Counts what the current thread's calls, and the Lambda handlers', read from DynamoDB."""

    def __init__(self, tables: dict[str, str]) -> None:
        from kanal_local import iam
        from kanal_local.stack import REGION

        self.names = tables
        self.thread: int | None = None
        self.meter = metering.AwsMeter(metering.EmulatorTables(iam.ACCOUNT, REGION), self._counts)

    def _counts(self) -> bool:
        from kanal_local import iam

        return threading.get_ident() == self.thread or iam.current_role.get() is not None

    def measure(self, action: Any) -> dict[str, Any]:
        self.meter.reset()
        self.meter.enabled, self.thread = True, threading.get_ident()
        try:
            action()
        finally:
            self.meter.enabled, self.thread = False, None
        tally = self.meter.dynamodb
        return {
            "items_read": int(sum(tally.items_read.values())),
            "read_units": float(sum(tally.read_units.values())),
            "by_table": {self.names.get(k, k): v for k, v in sorted(tally.items_read.items())},
            "calls": {k: v for k, v in sorted(self.meter.calls.items()) if k.startswith("dynamodb")},
            "reads": [self._short(line) for line in self.meter.reads],
        }

    def _short(self, line: str) -> str:
        for physical, short in self.names.items():
            line = line.replace(physical, short)
        return line


def queue_lead_user(server: Any) -> None:
    """The queue lead's sign-in user in the stack's Cognito (the lead reads the queue page)."""
    from kanal.adapters.identity import CognitoIdentities
    from kanal.routing.roster import Agent

    pool = CognitoIdentities(server.stack.client("cognito-idp"), server.stack.resources["UserPool"])
    pool.create(Agent(QUEUE_LEAD, "Queue lead", email=QUEUE_LEAD_EMAIL))


def measure_size(server: Any, reads: Reads, detail_id: str) -> dict[str, Any]:
    from kanal.routing.wiring import events, tasks
    from kanal_local.auth import token_from

    http = requests.Session()
    lead = {"Authorization": f"Bearer {token_from(server.url, LEAD)}"}
    queue_lead = {"Authorization": f"Bearer {token_from(server.url, QUEUE_LEAD)}"}

    def queue_page() -> None:
        answer = http.get(f"{server.url}/api/inquiries", params={"limit": "25"}, headers=queue_lead)
        answer.raise_for_status()
        assert len(answer.json()["items"]) == 25, "a full page"

    def detail() -> None:
        http.get(f"{server.url}/api/inquiries/{detail_id}", headers=lead).raise_for_status()

    inquiry_id = new_comment()
    measured = {"queue_page": reads.measure(queue_page), "inquiry_detail": reads.measure(detail)}
    measured["routing_decision"] = reads.measure(lambda: tasks().route(inquiry_id))
    events().resolved(inquiry_id)  # the agent's capacity is free again
    return measured


def run(small: int, large: int) -> dict[str, Any]:
    from kanal.routing.wiring import tasks
    from kanal_local.server import LocalServer
    from kanal_local.stack import LocalStack

    reads: Reads | None = None
    began = time.monotonic()
    server = None
    try:
        reads = Reads({})
        reads.meter.install()  # its hooks go on clients as they are created: before the stack creates any
        server = LocalServer(stack=LocalStack(parameters={"LogLevel": "ERROR"}, poll=False), port=0).start()
        tasks()  # binds the tables this process reads
        env = server.stack.environment
        reads.names.update(
            {
                v: k.removeprefix("KANAL_").removesuffix("_TABLE").lower()
                for k, v in env.items()
                if k.endswith("_TABLE")
            }
        )
        timings: dict[str, float] = {"stack_start_s": round(time.monotonic() - began, 1)}
        seed_agents(0, small)
        queue_lead_user(server)
        seed_inquiries(small)
        detail_id = new_comment()
        tasks().route(detail_id)  # the inquiry whose detail is read: routed, assigned, its message stored
        sizes = {str(small): measure_size(server, reads, detail_id)}
        grown = time.monotonic()
        seed_inquiries(large - small)
        seed_agents(small, large - small)
        timings["seed_large_s"] = round(time.monotonic() - grown, 1)
        sizes[str(large)] = measure_size(server, reads, detail_id)
    finally:
        if server is not None:
            server.stop()
        if reads is not None:
            reads.meter.uninstall()
    timings["run_s"] = round(time.monotonic() - began, 1)
    return {"sizes": sizes, "timings": timings}


READS = {
    "queue_page": "queue page (25 items)",
    "routing_decision": "routing decision",
    "inquiry_detail": "inquiry detail",
}


def results_of(measured: dict[str, Any], small: int, large: int) -> dict[str, Any]:
    low, high = measured["sizes"][str(small)], measured["sizes"][str(large)]
    figures, ratios = [], {}
    for key, label in READS.items():
        ratio = high[key]["items_read"] / max(1, low[key]["items_read"])
        ratios[key] = round(ratio, 3)
        note = f"{low[key]['items_read']} items at {small:,}, {high[key]['items_read']} at {large:,}"
        made = figure(
            f"{label}: items read at {large // small}x the data",
            round(ratio, 3),
            "x",
            RATIO_BUDGET,
            "<=",
            note,
        )
        if not made["ok"]:
            made["note"] += "; grows with the data"
        figures.append(made)
    return {
        "benchmark": "growth",
        "figures": figures,
        "sizes": [small, large],
        "data": f"queued inquiries of team {QUEUE_TEAM} and online agents in {OTHER_TEAMS} other teams",
        "ratios": ratios,
        "reads": measured["sizes"],
        **measured["timings"],
        "emulator_speedups": emulator_speedups(),  # the emulator's (KANAL_EMULATOR_SPEEDUPS)
        "python": platform.python_version(),
        "moto": version("moto"),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def print_table(results: dict[str, Any]) -> None:
    small, large = results["sizes"]
    print(f"reads at {small:,} and {large:,} inquiries and agents (DynamoDB items read; read request units):")
    print(f"  {'read':<26}{small:>10,}{large:>10,}{'ratio':>8}{'RRU':>8}{'RRU':>8}  budget {RATIO_BUDGET}")
    for key, label in READS.items():
        low, high = results["reads"][str(small)][key], results["reads"][str(large)][key]
        ok = "ok" if results["ratios"][key] <= RATIO_BUDGET else "MISS"
        print(
            f"  {label:<26}{low['items_read']:>10}{high['items_read']:>10}{results['ratios'][key]:>8}"
            f"{low['read_units']:>8}{high['read_units']:>8}  {ok}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a budget is missed")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")  # read when this process first imports kanal
    results = results_of(run(args.small, args.large), args.small, args.large)
    print_table(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"-> {args.output} ({results['run_s']} s)")
    return 1 if args.strict and not all(f["ok"] for f in results["figures"]) else 0


if __name__ == "__main__":
    sys.exit(main())

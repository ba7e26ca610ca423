"""Routing on the local stack: state transitions per inquiry, reads per routing decision, waiting capacity.

Run with ``python benchmarks/bench_routing.py [--levels 250,500,1000,2000] [--strict]``. Starts the whole
local stack in-process at a time scale of 120 (every SLA, warning and escalation delay 120 times shorter)
and measures, in one run:

1. State transitions per path of an inquiry, counted from the execution history (every ``*StateEntered``
   event is one billed transition): answered in time and resolved (budget: at most 8), nobody answers
   (the warning and both escalation tiers fire, then it is resolved), and waiting on the customer (asked,
   the customer writes again in the same conversation, answered, resolved). With the cost of those
   transitions per 1,000 inquiries at the Step Functions Standard list price.
2. DynamoDB items read by one routing decision (``Tasks.route`` on a new inquiry of the seeded
   ``social`` team) with 10 and with 1,000 online agents in other teams: the cost must grow with the
   team, not with the company (ratio at most 1.1).
3. How many inquiries the local stack holds waiting on their SLA clock at once: cumulative steps of
   N = 250, 500, 1000, 2000 routing executions, each step's last few inquiries falling due within seconds;
   for each N the process's threads and memory, how long starting took, and whether the due ones were
   warned and escalated on time. This part runs in a child process of its own, so its threads and memory
   are those of a process that holds nothing but the stack and the waiting executions.

Prints a table and writes ``benchmarks/results/routing.json``. Counts are exact; timings are of this
machine (the local stack runs every function in one Python process) and indicative only.
"""

from __future__ import annotations

import argparse
import copy
import gc
import hashlib
import hmac
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import requests
from seeding import eventually, new_comment, number
from summary import figure

from kanal_local.emulator.speedups import wanted as emulator_speedups
from kanal_local.percentiles import percentile

RESULTS = Path(__file__).resolve().parent / "results" / "routing.json"
PAGE_ID = "104870982355621"
META_SECRET = b"local-meta-app-secret"
TIME_SCALE = 120

# AWS Step Functions Standard workflows, Europe (Frankfurt, eu-central-1): USD 0.0250 per 1,000 state
# transitions. Source: https://aws.amazon.com/step-functions/pricing/ ("State transitions pricing table"),
# read 2026-12-01. The free tier (4,000 transitions a month) is left out.
PRICE_PER_1000_TRANSITIONS_USD = 0.025
PRICE_SOURCE = "https://aws.amazon.com/step-functions/pricing/ (Europe (Frankfurt), read 2026-12-01)"
TRANSITIONS_BUDGET = 8  # the budget: an inquiry answered in time and resolved takes at most 8 transitions
COST_BUDGET_USD = 0.30  # the budget per 1,000 inquiries for everything together (SMS excluded)
READ_RATIO_BUDGET = 1.1  # a routing decision costs the same at 100x the data
ON_TIME_SECONDS = 3.0  # a deadline task that starts within this of its due time is on time

# The benchmark's rules: the shipped ones with one SLA for every band of two channels, so that which
# inquiries fall due during the run is chosen here, not left to scoring. At the time scale of 120 a
# Facebook comment is due after 24 minutes (never during the run) and a Messenger message after 15 s.
BENCH_RULES_VERSION = "bench-routing-1"
BENCH_SLA_MINUTES = {"facebook": 2880, "messenger": 30}

OTHER_TEAMS = 5  # the agents of the decision benchmark belong to this many other teams
IN_FLIGHT = 20  # executions started but not yet waiting, at most (ingest starts them batch by batch)


def rss_mib() -> float:
    return _status_kib("VmRSS") / 1024


def peak_rss_mib() -> float:
    return _status_kib("VmHWM") / 1024


def _status_kib(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


# ---------------------------------------------------------------- the stack


def start_stack() -> Any:
    """The local stack with its HTTP gateway, at the benchmark's time scale and with its rules."""
    os.environ["KANAL_TIME_SCALE"] = str(TIME_SCALE)  # read by the functions' configuration
    from kanal_local.server import LocalServer
    from kanal_local.stack import LocalStack

    parameters = {"LogLevel": "ERROR", "TimeScale": str(TIME_SCALE)}
    server = LocalServer(stack=LocalStack(parameters=parameters), port=0).start()
    install_rules(server.stack)
    from kanal.routing.wiring import tasks

    tasks()  # built once the stack's environment is set: binds the tables
    return server


def install_rules(stack: Any) -> None:
    from kanal.adapters.rules import store_rules
    from kanal.priority import default_rules

    document = copy.deepcopy(default_rules().document)
    document["version"] = BENCH_RULES_VERSION
    for rule in document["rules"]:
        if rule["type"] == "channel":
            for channel, minutes in BENCH_SLA_MINUTES.items():
                rule["sla_minutes"][channel] = dict.fromkeys(("P1", "P2", "P3", "P4"), minutes)
    store_rules(stack.client("ssm"), document)


def execution_arn(stack: Any, inquiry_id: str) -> str:
    machine = stack.outputs["RoutingStateMachineArn"]
    return f"{machine.replace(':stateMachine:', ':execution:')}:{inquiry_id}"


def history(stack: Any, arn: str) -> list[dict[str, Any]]:
    paginator = stack.client("stepfunctions").get_paginator("get_execution_history")
    return [event for page in paginator.paginate(executionArn=arn) for event in page["events"]]


def entered(events: list[dict[str, Any]]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]


# ---------------------------------------------------------------- 1. transitions per path


def _signed_post(url: str, document: dict[str, Any]) -> None:
    body = json.dumps(document).encode()
    signature = "sha256=" + hmac.new(META_SECRET, body, hashlib.sha256).hexdigest()
    answer = requests.post(f"{url}/webhooks/meta", data=body, headers={"X-Hub-Signature-256": signature})
    answer.raise_for_status()


def comment(author: str, text: str, post: str, parent: str | None = None) -> tuple[dict[str, Any], str]:
    """A Page feed comment (under ``parent`` when given, else under the post) and its id."""
    comment_id = f"{post.split('_')[1]}_{number()}"
    value = {
        "item": "comment",
        "verb": "add",
        "comment_id": comment_id,
        "post_id": post,
        "parent_id": parent or post,
        "created_time": int(time.time()),
        "message": text,
        "from": {"id": author, "name": "Benchmark Customer"},
    }
    change = {"field": "feed", "value": value}
    entry = {"id": PAGE_ID, "time": int(time.time()), "changes": [change]}
    return {"object": "page", "entry": [entry]}, comment_id


def direct_message(sender: str, text: str) -> tuple[dict[str, Any], str]:
    mid = f"m_{uuid.uuid4().hex}"
    now = int(time.time() * 1000)
    event = {
        "sender": {"id": sender},
        "recipient": {"id": PAGE_ID},
        "timestamp": now,
        "message": {"mid": mid, "text": text},
    }
    return {"object": "page", "entry": [{"id": PAGE_ID, "time": now, "messaging": [event]}]}, mid


@dataclass
class Paths:
    """Drives inquiries through the routing state machine: webhooks in, the routing events by hand."""

    server: Any

    @property
    def stack(self) -> Any:
        return self.server.stack

    def deliver(self, document: dict[str, Any], channel: str, external_id: str) -> str:
        from kanal.adapters.store import DynamoStore

        _signed_post(self.server.url, document)
        store = DynamoStore()
        found = eventually(
            lambda: store.get_message(channel, external_id), 60, f"{channel} message {external_id} stored"
        )
        return str(found.inquiry_id)

    def waits(self, inquiry_id: str, count: int, timeout: float = 60) -> list[dict[str, Any]]:
        """The history once the execution is in its ``count``-th wait, with its task token handed out."""

        def waiting() -> list[dict[str, Any]] | None:
            try:
                events = history(self.stack, execution_arn(self.stack, inquiry_id))
            except self.stack.client("stepfunctions").exceptions.ExecutionDoesNotExist:
                return None  # ingest stores the message, then starts the execution
            waited = entered(events).count("Await")
            return events if waited >= count and events[-1]["type"] == "TaskSubmitted" else None

        return list(eventually(waiting, timeout, f"wait {count} of {inquiry_id}", interval=0.2))

    def finished(self, inquiry_id: str) -> list[dict[str, Any]]:
        arn = execution_arn(self.stack, inquiry_id)
        sfn = self.stack.client("stepfunctions")
        status = eventually(
            lambda: (s := sfn.describe_execution(executionArn=arn)["status"]) != "RUNNING" and s,
            60,
            f"execution of {inquiry_id} finished",
        )
        if status != "SUCCEEDED":
            raise RuntimeError(f"execution of {inquiry_id} ended {status}")
        return history(self.stack, arn)

    def happy(self) -> dict[str, Any]:
        """Routed and assigned, answered in time, resolved."""
        from kanal.adapters.store import DynamoStore
        from kanal.routing.wiring import events

        post = f"{PAGE_ID}_{number()}"
        document, comment_id = comment(number(), "Where can I buy the blue one in Berlin?", post)
        inquiry_id = self.deliver(document, "facebook", comment_id)
        self.waits(inquiry_id, 1)
        routed = DynamoStore().get_inquiry(inquiry_id)
        answered_at = datetime.now(UTC)
        events().responded(inquiry_id)
        self.waits(inquiry_id, 2)
        events().resolved(inquiry_id)
        recorded = self.finished(inquiry_id)
        assert routed is not None and routed.sla is not None
        in_time = routed.sla.warn_at is None or answered_at < routed.sla.warn_at
        return path_figures(
            recorded, team=routed.team, assignee=routed.assignee, answered_in_time=in_time, escalations=0
        )

    def timeout(self) -> dict[str, Any]:
        """Nobody answers: warned, both escalation tiers fire, then resolved."""
        from kanal.adapters.store import DynamoStore
        from kanal.routing.wiring import events

        document, mid = direct_message(number(), "Hallo, wo bleibt meine Bestellung?")
        inquiry_id = self.deliver(document, "messenger", mid)
        self.waits(inquiry_id, 1)
        window = BENCH_SLA_MINUTES["messenger"] * 60 / TIME_SCALE
        self.waits(inquiry_id, 4, timeout=window * 2 + 60)  # warning, tier 1, tier 2: the fourth wait
        escalated = DynamoStore().get_inquiry(inquiry_id)
        events().resolved(inquiry_id)
        recorded = self.finished(inquiry_id)
        assert escalated is not None and escalated.sla is not None
        return path_figures(
            recorded,
            team=escalated.team,
            assignee=escalated.assignee,
            warned=escalated.sla.warned,
            escalations=len(escalated.escalations),
            breached=escalated.sla.breached,
        )

    def customer_waiting(self) -> dict[str, Any]:
        """Asked the customer (the clock pauses), the customer writes again in the same conversation,
        answered, resolved."""
        from kanal.adapters.store import DynamoStore
        from kanal.routing.wiring import events

        author, post = number(), f"{PAGE_ID}_{number()}"
        document, first = comment(author, "My order has not arrived yet.", post)
        inquiry_id = self.deliver(document, "facebook", first)
        self.waits(inquiry_id, 1)
        events().responded(inquiry_id, waiting=True)
        self.waits(inquiry_id, 2)
        document, follow_up = comment(author, "The order number is 4711.", post, parent=first)
        joined = self.deliver(document, "facebook", follow_up)
        self.waits(inquiry_id, 3)
        events().responded(inquiry_id)
        self.waits(inquiry_id, 4)
        events().resolved(inquiry_id)
        recorded = self.finished(inquiry_id)
        inquiry = DynamoStore().get_inquiry(inquiry_id)
        assert inquiry is not None
        return path_figures(
            recorded, team=inquiry.team, assignee=inquiry.assignee, follow_up_joined=joined == inquiry_id
        )


def path_figures(events: list[dict[str, Any]], **facts: Any) -> dict[str, Any]:
    states = entered(events)
    return {
        "state_transitions": len(states),
        "history_events": len(events),
        "usd_per_1000_inquiries": round(len(states) * PRICE_PER_1000_TRANSITIONS_USD, 4),
        "states": states,
        **facts,
    }


def transitions(server: Any) -> dict[str, Any]:
    paths = Paths(server)
    with ThreadPoolExecutor(1) as pool:
        timeout = pool.submit(paths.timeout)  # waits for its deadlines while the other two run
        measured = {"HappyPath": paths.happy(), "CustomerWaitingPath": paths.customer_waiting()}
        measured["TimeoutPath"] = timeout.result()
    happy = measured["HappyPath"]["state_transitions"]
    return {
        "price_per_1000_transitions_usd": PRICE_PER_1000_TRANSITIONS_USD,
        "price_source": PRICE_SOURCE,
        "budget_happy_path": TRANSITIONS_BUDGET,
        "happy_path_within_budget": happy <= TRANSITIONS_BUDGET,
        "cost_budget_usd_per_1000_inquiries": COST_BUDGET_USD,
        "happy_path_share_of_cost_budget": round(happy * PRICE_PER_1000_TRANSITIONS_USD / COST_BUDGET_USD, 3),
        "paths": {name: measured[name] for name in ("HappyPath", "TimeoutPath", "CustomerWaitingPath")},
    }


# ---------------------------------------------------------------- 2. reads per routing decision


class ReadCounter:
    """Counts the DynamoDB items that calls from the counting thread read, at botocore's one call site
    (every client goes through ``BaseClient._make_api_call``, PynamoDB's included)."""

    def __init__(self, tables: dict[str, str]) -> None:
        self.tables = tables  # physical table name -> short name
        self.reads: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.log: list[str] = []  # one line per read: operation table[/index] items
        self._thread: int | None = None
        self._original: Any = None

    def install(self) -> None:
        import botocore.client

        self._original = original = botocore.client.BaseClient._make_api_call
        counter = self

        def counted(client: Any, operation: str, params: dict[str, Any]) -> Any:
            result = original(client, operation, params)
            if counter._thread == threading.get_ident() and client.meta.service_model.service_name == (
                "dynamodb"
            ):
                counter.record(operation, params, result)
            return result

        botocore.client.BaseClient._make_api_call = counted  # type: ignore[method-assign]

    def uninstall(self) -> None:
        import botocore.client

        botocore.client.BaseClient._make_api_call = self._original  # type: ignore[method-assign]

    def _table(self, name: str) -> str:
        return self.tables.get(name, name)

    def record(self, operation: str, params: dict[str, Any], result: dict[str, Any]) -> None:
        self.calls[operation] += 1
        read: list[tuple[str, int]] = []
        if operation in ("Query", "Scan"):  # what DynamoDB reads (and bills) is before any filter
            count = int(result.get("ScannedCount", result.get("Count", 0)))
            read = [(self._table(params["TableName"]), count)]
        elif operation == "GetItem":
            read = [(self._table(params["TableName"]), 1 if result.get("Item") else 0)]
        elif operation == "BatchGetItem":
            read = [(self._table(t), len(items)) for t, items in result.get("Responses", {}).items()]
        elif operation == "TransactGetItems":
            pairs = zip(params["TransactItems"], result.get("Responses", []), strict=False)
            read = [(self._table(r["Get"]["TableName"]), 1 if a.get("Item") else 0) for r, a in pairs]
        for table, items in read:
            self.reads[table] += items
            index = f"/{params['IndexName']}" if params.get("IndexName") else ""
            self.log.append(f"{operation} {table}{index} {items}")

    @contextmanager
    def counting(self) -> Iterator[ReadCounter]:
        self.reads.clear()
        self.calls.clear()
        self.log = []
        self._thread = threading.get_ident()
        try:
            yield self
        finally:
            self._thread = None


def one_decision(counter: ReadCounter) -> dict[str, Any]:
    """A new Facebook comment taken in as ingest does, then one routing decision on it, counted."""
    from kanal.adapters.store import DynamoStore
    from kanal.routing.wiring import events, tasks

    inquiry_id = new_comment()
    with counter.counting():
        tasks().route(inquiry_id)
    inquiry = DynamoStore().get_inquiry(inquiry_id)
    assert inquiry is not None
    figures = {
        "items_read": sum(counter.reads.values()),
        "organisation_items_read": counter.reads["organisation"],
        "by_table": dict(sorted(counter.reads.items())),
        "calls": dict(sorted(counter.calls.items())),
        "reads": counter.log,
        "team": inquiry.team,
        "assigned": inquiry.assignee is not None,
    }
    events().resolved(inquiry_id)  # the agent's capacity is free again for the next decision
    return figures


def add_other_agents(per_team: int, first: int) -> int:
    from kanal.adapters.roster_store import OrganisationStore
    from kanal.routing.roster import Agent, AgentStatus, Skills, Team

    org = OrganisationStore()
    for t in range(OTHER_TEAMS):
        team = f"bench-{t}"
        if first == 0:
            org.save_team(Team(team, f"Benchmark team {t}", channels=("email",), order=50 + t), create=True)
        for k in range(first, first + per_team):
            agent = Agent(
                id=f"{team}-agent-{k}",
                name=f"Agent {k} of {team}",
                teams=(team,),
                skills=Skills(channels=("email",)),
                status=AgentStatus.ONLINE,
            )
            org.save_agent(agent, create=True)
    return OTHER_TEAMS * (first + per_team)


def decision_reads(server: Any, repeats: int = 3) -> dict[str, Any]:
    environment = server.stack.environment
    tables = {
        value: key.removeprefix("KANAL_").removesuffix("_TABLE").lower()
        for key, value in environment.items()
        if key.endswith("_TABLE")
    }
    counter = ReadCounter(tables)
    counter.install()
    scenarios: dict[str, Any] = {}
    try:
        for agents, (per_team, first) in ((10, (2, 0)), (1000, (198, 2))):
            assert add_other_agents(per_team, first) == agents
            decisions = [one_decision(counter) for _ in range(repeats)]
            scenarios[str(agents)] = {
                "other_teams": OTHER_TEAMS,
                "agents_in_other_teams": agents,
                "items_read": max(d["items_read"] for d in decisions),
                "organisation_items_read": max(d["organisation_items_read"] for d in decisions),
                "decisions": decisions,
            }
    finally:
        counter.uninstall()
    ratio = scenarios["1000"]["items_read"] / scenarios["10"]["items_read"]
    org_ratio = scenarios["1000"]["organisation_items_read"] / scenarios["10"]["organisation_items_read"]
    return {
        "scenarios": scenarios,
        "ratio_1000_to_10": round(ratio, 3),
        "organisation_ratio_1000_to_10": round(org_ratio, 3),
        "budget_ratio": READ_RATIO_BUDGET,
        "meets_budget": ratio <= READ_RATIO_BUDGET and org_ratio <= READ_RATIO_BUDGET,
    }


# ---------------------------------------------------------------- 3. waiting capacity (child process)


@dataclass
class Holder:
    """Starts routing executions on new inquiries and knows which of them wait on their clock."""

    server: Any
    waiting: set[str] = field(default_factory=set)
    started: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self) -> None:
        """See every routing task the local Lambda runtime runs: a finished `await_response` is a wait."""
        from kanal_local.emulator import needs

        dispatcher = self.server.stack.dispatcher

        def invoke(name: str, event: Any) -> tuple[Any, str | None]:
            result, error = dispatcher.invoke(name, event)
            if isinstance(event, dict) and event.get("task") == "await_response" and error is None:
                with self._lock:
                    self.waiting.add(str(event["inquiry_id"]))
            return result, error

        needs.install(invoke)

    def start(self, channel: str, text: str) -> str:
        """A new inquiry written as ingest writes it, and its routing execution started."""
        return self.launch(self.create(channel, text))

    def create(self, channel: str, text: str) -> str:
        """A new inquiry written as ingest writes it (its first message, the conversation marker)."""
        from kanal.adapters.store import DynamoStore
        from kanal.model import Author, Channel, Direction, Inquiry, Message, Visibility

        now, inquiry_id, customer = datetime.now(UTC), uuid.uuid4().hex, uuid.uuid4().hex
        author = Author(id=number(), name="Benchmark Customer")
        visibility = Visibility.PUBLIC if channel == "facebook" else Visibility.PRIVATE
        external_id = f"{number()}_{number()}"
        thread = external_id if channel == "facebook" else f"{PAGE_ID}:{author.id}"
        inquiry = Inquiry(
            id=inquiry_id,
            channel=Channel(channel),
            external_id=external_id,
            author=author,
            text=text,
            visibility=visibility,
            thread_id=thread,
            account_id=PAGE_ID,
            customer_id=customer,
            created_at=now,
            received_at=now,
            language="en",
        )
        first = Message(
            inquiry_id=inquiry_id,
            channel=Channel(channel),
            external_id=external_id,
            direction=Direction.IN,
            author=author,
            text=text,
            visibility=visibility,
            created_at=now,
        )
        DynamoStore().create_inquiry(inquiry, first, f"{customer}#{channel}#{thread}", None)
        return inquiry_id

    def launch(self, inquiry_id: str) -> str:
        """Start the inquiry's routing execution, as ingest does once the inquiry is written."""
        from kanal.adapters.stepfunctions import StepFunctionsWorkflow
        from kanal.adapters.store import DynamoStore

        workflow = StepFunctionsWorkflow(
            self.server.stack.client("stepfunctions"), self.server.stack.outputs["RoutingStateMachineArn"]
        )
        DynamoStore().set_execution(inquiry_id, workflow.start(inquiry_id))
        self.started += 1
        return inquiry_id

    def start_many(self, count: int, channel: str, text: str, until: float, max_rss: float) -> list[str]:
        """Start ``count``, at most IN_FLIGHT of them not waiting yet; fewer when a bound is reached."""
        ids: list[str] = []
        for _ in range(count):
            while self.started - len(self.waiting) >= IN_FLIGHT and time.monotonic() < until:
                time.sleep(0.01)
            if time.monotonic() > until or rss_mib() > max_rss:
                break
            ids.append(self.start(channel, text))
        return ids

    def wait_for(self, ids: list[str], until: float) -> bool:
        """True once every one of ``ids`` waits on its clock, False when ``until`` comes first."""
        while not self.waiting.issuperset(ids):
            if time.monotonic() > until:
                return False
            time.sleep(0.05)
        return True


def lateness(server: Any, inquiry_id: str) -> list[float | None]:
    """Seconds after its due time that the deadline task of the warning, of tier 1 and of tier 2 started
    (None: not yet). The warning's from the execution history (the first Deadline state), the tiers' from
    the inquiry's escalations (the deadline task's own time)."""
    from kanal.adapters.store import DynamoStore
    from kanal.routing import clock
    from kanal.routing.wiring import tasks

    inquiry = DynamoStore().get_inquiry(inquiry_id)
    assert inquiry is not None and inquiry.sla is not None
    sla, tiers = inquiry.sla, tasks().policy().tiers
    deadlines = [
        e["timestamp"]
        for e in history(server.stack, execution_arn(server.stack, inquiry_id))
        if e["type"] == "TaskStateEntered" and e["stateEnteredEventDetails"]["name"] == "Deadline"
    ]
    tier_at = {e.tier: e.at for e in inquiry.escalations}
    ran = [deadlines[0] if deadlines else None, tier_at.get(1), tier_at.get(2)]
    due = [sla.warn_at, sla.due_at, clock.tier_at(sla, tiers[1], TIME_SCALE)]
    return [
        round((moment - when).total_seconds(), 2) if moment and when else None
        for moment, when in zip(ran, due, strict=True)
    ]


def observe_probes(server: Any, probes: list[str]) -> dict[str, Any]:
    """Wait until every probe went through its three deadlines (or their time is well past)."""
    window = BENCH_SLA_MINUTES["messenger"] * 60 / TIME_SCALE
    until = time.monotonic() + window * 1.5 + 15
    late: dict[str, list[float | None]] = {}
    while time.monotonic() < until:
        late = {p: lateness(server, p) for p in probes}
        if all(None not in values for values in late.values()):
            break
        time.sleep(1)
    values = [v for row in late.values() for v in row]
    fired = [v for v in values if v is not None]
    return {
        "probes": len(probes),
        "deadlines_due": len(values),
        "deadlines_run": len(fired),
        "on_time": sum(1 for v in fired if v <= ON_TIME_SECONDS),
        "late_s_p50": round(float(percentile(fired, 50) or 0), 2) if fired else None,
        "late_s_max": round(max(fired), 2) if fired else None,
        "all_on_time": bool(values) and all(v is not None and v <= ON_TIME_SECONDS for v in values),
    }


def table_snapshots() -> dict[str, int]:
    """The DynamoDB table copies the emulator keeps, and the items in them: moto snapshots every table a
    TransactWriteItems touches (to roll it back) and its model registry keeps every instance it ever made,
    so no snapshot is ever freed."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.table import Table

    live = {
        id(t) for account in dynamodb_backends.values() for r in account.values() for t in r.tables.values()
    }
    copies = [t for t in Table.instances_tracked if id(t) not in live]  # type: ignore[attr-defined]
    return {"tables": len(copies), "items": sum(len(t) for t in copies)}


def running_executions(server: Any) -> int:
    sfn = server.stack.client("stepfunctions")
    paginator = sfn.get_paginator("list_executions")
    machine = server.stack.outputs["RoutingStateMachineArn"]
    return sum(
        len(page["executions"])
        for page in paginator.paginate(stateMachineArn=machine, statusFilter="RUNNING")
    )


class CollectorPauses:
    """The cyclic garbage collector's full collections (generation 2) and their pauses: while one runs,
    no other thread of the process runs."""

    def __init__(self) -> None:
        self.full, self.longest, self._began = 0, 0.0, 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.full += 1
            self.longest = max(self.longest, time.perf_counter() - self._began)

    def take(self) -> dict[str, float]:
        """What happened since the last take."""
        taken = {"full_collections": self.full, "longest_pause_s": round(self.longest, 2)}
        self.full, self.longest = 0, 0.0
        return taken


def start_level(
    holder: Holder, bulk: int, probes: int, until: float, max_rss: float
) -> tuple[str | None, list[str]]:
    """The bulk (due in a day) waiting, then the probes (due within seconds): (why stopped, probes)."""
    ids = holder.start_many(bulk, "facebook", "Great bike!", until, max_rss)
    if len(ids) < bulk or not holder.wait_for(ids, until):
        return ("memory bound" if rss_mib() > max_rss else "start-up time bound"), []
    # Written first and started together, so that the writes do not delay the first ones' deadlines.
    batch = [holder.create("messenger", "Hallo, wo bleibt meine Bestellung?") for _ in range(probes)]
    for inquiry_id in batch:
        holder.launch(inquiry_id)
    if not holder.wait_for(batch, until):
        return ("memory bound" if rss_mib() > max_rss else "start-up time bound"), []
    return None, batch


def hold(args: argparse.Namespace) -> None:
    """Part 3 in this (child) process: hold ever more waiting executions, step by step."""
    began = time.monotonic()
    server = start_stack()
    holder = Holder(server)
    holder.install()
    pauses = CollectorPauses()
    baseline = {"threads": threading.active_count(), "rss_mib": round(rss_mib(), 1)}
    figures: dict[str, Any] = {"baseline": baseline, "levels": [], "stopped": None}
    max_rss = args.max_rss_gib * 1024
    for level in args.levels:
        step = time.monotonic()
        until = min(step + args.step_seconds, began + args.capacity_seconds)
        stop, batch = start_level(holder, level - holder.started - args.probes, args.probes, until, max_rss)
        row: dict[str, Any] = {"level": level, "started_in_s": round(time.monotonic() - step, 1)}
        row["waiting"] = waiting = len(holder.waiting)
        if stop is None:
            row["due"] = observe_probes(server, batch)
            row["running_executions"] = running_executions(server)
        row["threads"] = threading.active_count()
        row["rss_mib"] = round(rss_mib(), 1)
        row["peak_rss_mib"] = round(peak_rss_mib(), 1)
        row["emulator_table_snapshots"] = table_snapshots()
        row["garbage_collector"] = pauses.take()  # during this step's start-up and observation
        held = max(1, waiting)
        row["threads_per_waiting"] = round((row["threads"] - baseline["threads"]) / held, 2)
        row["rss_mib_per_waiting"] = round((row["rss_mib"] - baseline["rss_mib"]) / held, 2)
        figures["levels"].append(row)
        figures["stopped"] = stop and f"{stop} at level {level}: {waiting} waiting"
        args.hold.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"  holding: {row}", file=sys.stderr, flush=True)
        if stop is not None:
            break
    # The waiting executions' threads would wake in a torn-down emulator: leave without tearing down.
    sys.stderr.flush()
    os._exit(0)


def memory_fit(figures: dict[str, Any]) -> dict[str, float] | None:
    """Least squares over the steps: RSS above the baseline = a x waiting executions + b x items in the
    emulator's table snapshots. Tells the executions' own memory from the snapshots'."""
    base = figures.get("baseline", {}).get("rss_mib", 0.0)
    rows = [
        (r["waiting"], r["emulator_table_snapshots"]["items"], r["rss_mib"] - base) for r in figures["levels"]
    ]
    s11, s12 = sum(n * n for n, _, _ in rows), sum(n * i for n, i, _ in rows)
    s22 = sum(i * i for _, i, _ in rows)
    t1, t2 = sum(n * y for n, _, y in rows), sum(i * y for _, i, y in rows)
    determinant = s11 * s22 - s12 * s12
    if len(rows) < 2 or not determinant:
        return None
    a, b = (t1 * s22 - t2 * s12) / determinant, (s11 * t2 - s12 * t1) / determinant
    return {"mib_per_waiting_execution": round(a, 3), "kib_per_snapshot_item": round(b * 1024, 3)}


def waiting_capacity(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "capacity.json"
        command = [
            sys.executable,
            __file__,
            "--hold",
            str(out),
            "--levels",
            ",".join(map(str, args.levels)),
            "--probes",
            str(args.probes),
            "--step-seconds",
            str(args.step_seconds),
            "--capacity-seconds",
            str(args.capacity_seconds),
            "--max-rss-gib",
            str(args.max_rss_gib),
        ]
        try:
            subprocess.run(command, check=False, timeout=args.capacity_seconds + 120)
            killed = False
        except subprocess.TimeoutExpired:
            killed = True
        figures: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {"levels": []}
    if killed:
        figures["stopped"] = "killed: the child process overran its time bound"
    levels = figures["levels"]
    reached = [row["level"] for row in levels if "due" in row]
    figures.update(
        {
            "time_scale": TIME_SCALE,
            "probe_sla_s": BENCH_SLA_MINUTES["messenger"] * 60 / TIME_SCALE,
            "on_time_within_s": ON_TIME_SECONDS,
            "in_flight_starts": IN_FLIGHT,
            "bounds": {
                "step_seconds": args.step_seconds,
                "capacity_seconds": args.capacity_seconds,
                "max_rss_gib": args.max_rss_gib,
            },
            "memory_fit": memory_fit(figures),
            "largest_level_reached": max(reached, default=0),
            "waiting_at_most": max((row["waiting"] for row in levels), default=0),
        }
    )
    return figures


# ---------------------------------------------------------------- report


def print_table(results: dict[str, Any]) -> None:
    paths = results["transitions"]["paths"]
    print(
        f"routing transitions (Step Functions Standard, ${PRICE_PER_1000_TRANSITIONS_USD} per 1,000; "
        f"budget for the happy path: {TRANSITIONS_BUDGET}):"
    )
    print(f"  {'path':<22}{'transitions':>12}{'history events':>16}{'$ per 1,000 inquiries':>24}")
    for name, path in paths.items():
        print(
            f"  {name:<22}{path['state_transitions']:>12}{path['history_events']:>16}"
            f"{path['usd_per_1000_inquiries']:>24.3f}"
        )
    within = "within" if results["transitions"]["happy_path_within_budget"] else "OVER"
    share = results["transitions"]["happy_path_share_of_cost_budget"]
    print(
        f"  happy path: {within} the budget of {TRANSITIONS_BUDGET}; its transitions take {share:.0%} of "
        f"the ${COST_BUDGET_USD:.2f} per 1,000 inquiries that everything may cost"
    )
    reads = results["decision_reads"]
    print("routing decision, DynamoDB items read (one Tasks.route on a new inquiry of team social):")
    print(f"  {'agents in other teams':<24}{'organisation':>14}{'all tables':>12}  calls")
    for agents, scenario in reads["scenarios"].items():
        calls = scenario["decisions"][-1]["calls"]
        print(
            f"  {agents:<24}{scenario['organisation_items_read']:>14}{scenario['items_read']:>12}  "
            + ", ".join(f"{k} {v}" for k, v in calls.items())
        )
    met = "met" if reads["meets_budget"] else "MISSED"
    print(
        f"  ratio 1,000/10: {reads['ratio_1000_to_10']} (organisation table "
        f"{reads['organisation_ratio_1000_to_10']}; budget {READ_RATIO_BUDGET}: {met})"
    )
    capacity = results["waiting_capacity"]
    print(
        f"waiting on the clock (time scale {TIME_SCALE}; {capacity.get('probes', '?')} probes per step due "
        f"after {capacity['probe_sla_s']:.0f} s; on time = within {ON_TIME_SECONDS:.0f} s):"
    )
    print(
        f"  {'N':>6}{'waiting':>9}{'start s':>9}{'threads':>9}{'RSS MiB':>10}{'MiB/wait':>10}"
        f"{'on time':>10}{'late max s':>12}{'GC pause s':>12}"
    )
    for row in capacity["levels"]:
        due = row.get("due") or {}
        on_time = f"{due['on_time']}/{due['deadlines_due']}" if due else "-"
        print(
            f"  {row['level']:>6}{row['waiting']:>9}{row['started_in_s']:>9}{row['threads']:>9}"
            f"{row['rss_mib']:>10}{row['rss_mib_per_waiting']:>10}{on_time:>10}"
            f"{due.get('late_s_max', '-')!s:>12}{row['garbage_collector']['longest_pause_s']:>12}"
        )
    print(
        f"  waiting at once, at most: {capacity['waiting_at_most']} (largest step completed: "
        f"{capacity['largest_level_reached']}); stopped: {capacity.get('stopped') or 'no'}"
    )
    fit = capacity.get("memory_fit")
    if fit:
        print(
            f"  memory (fit over the steps): {fit['mib_per_waiting_execution']} MiB per waiting execution + "
            f"{fit['kib_per_snapshot_item']} KiB per item in the emulator's table snapshots"
        )


def routing_figures(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The results' figures against their budgets, for benchmarks/summary.py."""
    happy = results["transitions"]["paths"]["HappyPath"]
    reads = results["decision_reads"]
    capacity = results["waiting_capacity"]
    return [
        figure(
            "state transitions, answered in time and resolved",
            happy["state_transitions"],
            "",
            TRANSITIONS_BUDGET,
            "<=",
            f"${happy['usd_per_1000_inquiries']:.3f} per 1,000 inquiries",
        ),
        figure(
            "routing decision: items read at 100x the agents",
            reads["ratio_1000_to_10"],
            "x",
            READ_RATIO_BUDGET,
            "<=",
            f"organisation table {reads['organisation_ratio_1000_to_10']}x; "
            f"{reads['scenarios']['10']['items_read']} items with 10 agents in other teams",
        ),
        figure(
            "routing executions held waiting (local stack)",
            capacity["waiting_at_most"],
            "",
            note=f"largest step completed: {capacity['largest_level_reached']}; "
            f"stopped: {capacity.get('stopped') or 'no'}",
        ),
    ]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--levels", type=lambda s: [int(v) for v in s.split(",")], default=[250, 500, 1000, 2000]
    )
    parser.add_argument("--probes", type=int, default=20, help="inquiries per step that fall due")
    parser.add_argument("--step-seconds", type=float, default=240, help="stop a step whose start-up overruns")
    parser.add_argument("--capacity-seconds", type=float, default=480, help="bound of the whole part 3")
    parser.add_argument("--max-rss-gib", type=float, default=8.0, help="stop starting above this RSS")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a budget is missed")
    parser.add_argument("--hold", type=Path, help=argparse.SUPPRESS)  # the child process of part 3
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    warnings.filterwarnings("ignore")
    if args.hold:
        hold(args)
        return 0
    began = time.monotonic()
    server = start_stack()
    timings = {"stack_start_s": round(time.monotonic() - began, 1)}
    try:
        measured = {"transitions": transitions(server)}
        timings["transitions_s"] = round(time.monotonic() - began - sum(timings.values()), 1)
        measured["decision_reads"] = decision_reads(server)
        timings["decision_reads_s"] = round(time.monotonic() - began - sum(timings.values()), 1)
    finally:
        server.stop()
    capacity = waiting_capacity(args)
    timings["waiting_capacity_s"] = round(time.monotonic() - began - sum(timings.values()), 1)
    capacity["probes"] = args.probes
    results: dict[str, Any] = {
        "benchmark": "routing",
        "time_scale": TIME_SCALE,
        "rules": {"version": BENCH_RULES_VERSION, "sla_minutes_every_band": BENCH_SLA_MINUTES},
        **measured,
        "waiting_capacity": capacity,
        "run_s": round(time.monotonic() - began, 1),
        "part_s": timings,
        "emulator_speedups": emulator_speedups(),  # the emulator's (KANAL_EMULATOR_SPEEDUPS)
        "python": platform.python_version(),
        "moto": version("moto"),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    results["figures"] = routing_figures(results)
    print_table(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"-> {args.output}")
    missed = not (
        results["transitions"]["happy_path_within_budget"] and results["decision_reads"]["meets_budget"]
    )
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())

"""What an inquiry costs in AWS during a peak campaign: every request a full lifecycle makes, at list prices.

Run with ``python benchmarks/bench_cost.py [--inquiries N] [--concurrency C]``. Starts the whole local stack
in-process and plays N full lifecycles through it, C at a time, each as it happens in production:

1. the customer's Facebook comment arrives as a signed webhook (API Gateway, the webhook function, SQS);
2. ingest stores it, the routing execution scores it, routes it, assigns it and notifies the owner (SNS
   e-mail and SMS), then waits on the SLA clock;
3. the owner opens it (``GET /api/inquiries/{id}``) and answers (``POST .../replies``: the Graph API call
   goes to the channel sandbox), which releases the wait; Facebook's echo of the Page's own comment arrives
   as a second signed webhook and creates nothing;
4. the owner resolves it (``POST .../resolve``) and the execution ends.

Counted while the lifecycles run, by service: API Gateway requests (the local gateway's proxy
invocations), Lambda invocations and their billed duration (the local runtime times each one from the
handler's start; a function's first invocation includes its module import, the INIT phase), SQS requests
(SendMessage, the event source mapping's ReceiveMessage batches that brought messages and its
DeleteMessageBatch calls; 64 KB chunks), DynamoDB read and write request units computed from item sizes
(see ``metering.py``), Step Functions state transitions (``*StateEntered`` events of each execution's
history), SNS publishes and e-mail notifications, SES messages, and every other AWS call. Only calls made
by the product count: those made while a Lambda handler runs, and the event source mapping's. The
benchmark's own look-ups do not.

Prints the breakdown per service and writes ``benchmarks/results/cost.json``. Request counts are exact
for this code; Lambda durations are this machine's (the handlers run in one Python process, beside the
emulator) and stand in for Lambda's.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import platform
import statistics
import sys
import threading
import time
import warnings
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import metering
import prices
import requests
from seeding import eventually, number
from summary import figure

from kanal_local.emulator.speedups import wanted as emulator_speedups

RESULTS = Path(__file__).resolve().parent / "results" / "cost.json"
PAGE_ID = "104870982355621"
PAGE_NAME = "Velora Fahrräder"
META_SECRET = b"local-meta-app-secret"
BUDGET_USD_PER_1000 = 0.30  # docs/architecture.md: at most $0.30 per 1,000 inquiries, SMS excluded
BUDGET_TIMES_BELOW_CONNECT = 50.0  # and at least 50 times below Amazon Connect chat
TEXTS = [
    "Where can I buy the blue one in Berlin?",
    "My order has not arrived yet, can you check it please?",
    "The bike's light stopped working after two days.",
]


def _comment(author: dict[str, str], text: str, post: str, parent: str, comment_id: str) -> dict[str, Any]:
    value = {
        "item": "comment",
        "verb": "add",
        "comment_id": comment_id,
        "post_id": post,
        "parent_id": parent,
        "created_time": int(time.time()),
        "message": text,
        "from": author,
    }
    entry = {"id": PAGE_ID, "time": int(time.time()), "changes": [{"field": "feed", "value": value}]}
    return {"object": "page", "entry": [entry]}


class Lifecycles:
    """Plays full lifecycles through the local stack's HTTP gateway and waits on the emulator directly."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.http = requests.Session()
        self.tokens: dict[str, str] = {}

    def sign_in(self) -> None:
        """Every seeded agent's token, before the meter runs: an agent signs in once a shift, not per
        inquiry (the emulator's Cognito and the pre-token trigger would be counted otherwise)."""
        from kanal_local.auth import token_from
        from kanal_local.seed import organisation_document

        agents = [agent["id"] for agent in organisation_document()["agents"] if agent.get("email")]
        self.tokens = {agent: token_from(self.server.url, agent) for agent in agents}

    def post_webhook(self, document: dict[str, Any]) -> None:
        body = json.dumps(document).encode()
        signature = "sha256=" + hmac.new(META_SECRET, body, hashlib.sha256).hexdigest()
        answer = self.http.post(
            f"{self.server.url}/webhooks/meta", data=body, headers={"X-Hub-Signature-256": signature}
        )
        answer.raise_for_status()

    def _history(self, inquiry_id: str) -> list[dict[str, Any]]:
        stack = self.server.stack
        machine = stack.outputs["RoutingStateMachineArn"]
        arn = f"{machine.replace(':stateMachine:', ':execution:')}:{inquiry_id}"
        pages = (
            stack.client("stepfunctions").get_paginator("get_execution_history").paginate(executionArn=arn)
        )
        return [event for page in pages for event in page["events"]]

    def _waiting(self, inquiry_id: str, count: int) -> bool:
        try:
            events = self._history(inquiry_id)
        except Exception:  # the execution is not there yet
            return False
        entered = [e for e in events if e["type"] == "TaskStateEntered"]
        awaits = sum(1 for e in entered if e["stateEnteredEventDetails"]["name"] == "Await")
        return awaits >= count and events[-1]["type"] == "TaskSubmitted"

    def _headers(self, agent: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[agent]}"}

    def one(self, index: int) -> dict[str, Any]:
        from kanal.adapters.store import DynamoStore

        store = DynamoStore()
        post, author = f"{PAGE_ID}_{number()}", {"id": number(), "name": f"Customer {index}"}
        comment_id = f"{post.split('_')[1]}_{number()}"
        self.post_webhook(_comment(author, TEXTS[index % len(TEXTS)], post, post, comment_id))
        message = eventually(lambda: store.get_message("facebook", comment_id), 60, "comment stored")
        inquiry_id = str(message.inquiry_id)
        eventually(lambda: self._waiting(inquiry_id, 1), 60, f"{inquiry_id} waits", interval=0.2)
        inquiry = store.get_inquiry(inquiry_id)
        assert inquiry is not None and inquiry.assignee, "routed and assigned"
        owner = self._headers(inquiry.assignee)
        base = f"{self.server.url}/api/inquiries/{inquiry_id}"
        self.http.get(base, headers=owner).raise_for_status()
        reply = self.http.post(
            f"{base}/replies", json={"text": "Thanks for asking! We will look into it."}, headers=owner
        )
        reply.raise_for_status()
        sent = reply.json()
        assert sent["status"] == "sent", sent
        page = {"id": PAGE_ID, "name": PAGE_NAME}  # Facebook's echo of the Page's own answer
        self.post_webhook(_comment(page, "Thanks for asking!", post, comment_id, str(sent["external_id"])))
        eventually(lambda: self._waiting(inquiry_id, 2), 60, f"{inquiry_id} answered", interval=0.2)
        self.http.post(f"{base}/resolve", headers=owner).raise_for_status()
        sfn = self.server.stack.client("stepfunctions")
        machine = self.server.stack.outputs["RoutingStateMachineArn"]
        arn = f"{machine.replace(':stateMachine:', ':execution:')}:{inquiry_id}"
        eventually(
            lambda: sfn.describe_execution(executionArn=arn)["status"] != "RUNNING", 60, "execution ended"
        )
        events = self._history(inquiry_id)
        states = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]
        return {"inquiry_id": inquiry_id, "transitions": len(states), "states": states}


class Invocations:
    """Every Lambda invocation while enabled: function, billed seconds, cold or not, and API requests."""

    def __init__(self) -> None:
        self.enabled = False
        self.lock = threading.Lock()
        self.durations: dict[str, list[float]] = defaultdict(list)
        self.cold: dict[str, float] = {}
        self.memory: dict[str, int] = {}
        self.api_requests: Counter[str] = Counter()
        self.route_s: list[float] = []
        self.scoring_in_route_s: list[float] = []
        self._scoring = threading.local()

    def observe(self, function: Any, event: Any, seconds: float, cold: bool) -> None:
        scored = getattr(self._scoring, "seconds", 0.0)
        self._scoring.seconds = 0.0
        if not self.enabled:
            return
        with self.lock:
            self.durations[function.logical_id].append(seconds)
            self.memory[function.logical_id] = function.memory
            if cold:
                self.cold[function.logical_id] = seconds
            if isinstance(event, dict) and "httpMethod" in event and "requestContext" in event:
                self.api_requests[f"{event['httpMethod']} {event['resource']}"] += 1
            if isinstance(event, dict) and event.get("task") == "route" and not cold:
                self.route_s.append(seconds)
                self.scoring_in_route_s.append(scored)

    def time_scoring(self) -> None:
        """Time the priority scorer where the Route task calls it (it imports it from kanal.priority when
        it runs, so the wrapper goes there)."""
        import kanal.priority as tasks

        score, local = tasks.score_inquiry, self._scoring

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return score(*args, **kwargs)
            finally:
                local.seconds = getattr(local, "seconds", 0.0) + time.perf_counter() - began

        tasks.score_inquiry = timed  # type: ignore[assignment]


def in_product() -> bool:
    """A call the product makes: inside a Lambda handler, or the SQS event source mapping's poller's."""
    from kanal_local import iam

    return iam.current_role.get() is not None or threading.current_thread().name.startswith("sqs-poller")


def run(inquiries: int, concurrency: int) -> dict[str, Any]:
    from kanal_local import iam
    from kanal_local.server import LocalServer
    from kanal_local.stack import REGION, LocalStack

    meter = metering.AwsMeter(metering.EmulatorTables(iam.ACCOUNT, REGION), in_product)
    meter.install()  # before the stack creates its clients
    began = time.monotonic()
    server = LocalServer(stack=LocalStack(parameters={"LogLevel": "ERROR"}), port=0).start()
    started_s = time.monotonic() - began
    from kanal.routing.wiring import tasks

    tasks()  # built once the stack's environment is set: binds the tables this process reads
    calls = Invocations()
    server.stack.dispatcher.observers.append(calls.observe)
    calls.time_scoring()
    notified_before = len(server.stack.notifications.items())
    names = {
        v: k.removeprefix("KANAL_").removesuffix("_TABLE").lower()
        for k, v in server.stack.environment.items()
        if k.endswith("_TABLE")
    }
    try:
        lifecycles = Lifecycles(server)
        lifecycles.sign_in()
        meter.enabled = calls.enabled = True
        played = time.monotonic()
        with ThreadPoolExecutor(concurrency) as pool:
            done = list(pool.map(lifecycles.one, range(inquiries)))
        time.sleep(2)  # the last echo's ingest batch: received, processed, deleted
        played_s = time.monotonic() - played
        meter.enabled = calls.enabled = False
        notifications = server.stack.notifications.items()[notified_before:]
    finally:
        server.stop()
        meter.uninstall()
    results = measured(meter, calls, done, notifications, started_s, played_s, concurrency)
    results["dynamodb"] = {
        key: {names.get(t, t): v for t, v in value.items()} if isinstance(value, dict) else value
        for key, value in results["dynamodb"].items()
    }
    return results


def measured(
    meter: metering.AwsMeter,
    calls: Invocations,
    done: list[dict[str, Any]],
    notifications: list[dict[str, Any]],
    started_s: float,
    played_s: float,
    concurrency: int,
) -> dict[str, Any]:
    inquiries = len(done)
    quantities = meter.totals()
    quantities["api_gateway_requests"] = float(sum(calls.api_requests.values()))
    quantities["lambda_requests"] = float(sum(len(v) for v in calls.durations.values()))
    quantities["lambda_gb_seconds"] = sum(
        metering.lambda_gb_seconds(v, calls.memory[name]) for name, v in calls.durations.items()
    )
    quantities["state_transitions"] = float(sum(d["transitions"] for d in done))
    quantities["sns_email_notifications"] = float(sum(1 for n in notifications if n["protocol"] == "email"))
    unit_prices = {name: price.usd for name, price in prices.PRICES.items()}
    per_1000 = metering.usd_per_1000(quantities, inquiries, unit_prices)
    total = sum(per_1000.values())
    connect = metering.connect_usd_per_1000(
        prices.usd("connect_chat_message"), prices.CONNECT_MESSAGES_PER_INQUIRY
    )
    connect_prior = metering.connect_usd_per_1000(
        prices.CONNECT_PRIOR_CHAT_MESSAGE_USD, prices.CONNECT_MESSAGES_PER_INQUIRY
    )
    ratio, ratio_prior = metering.times_below(connect, total), metering.times_below(connect_prior, total)
    warm_init_s = sum(calls.cold.values())
    share = sum(calls.scoring_in_route_s) / sum(calls.route_s) if calls.route_s else float("nan")
    dominant = max(per_1000, key=lambda k: per_1000[k])
    figures = [
        figure(
            "cost per 1,000 inquiries (SMS excluded)",
            round(total, 4),
            "USD",
            BUDGET_USD_PER_1000,
            "<=",
            f"{inquiries} full lifecycles; largest: {dominant} ${per_1000[dominant]:.3f}",
        ),
        figure(
            "times below Amazon Connect chat",
            round(ratio, 1),
            "x",
            BUDGET_TIMES_BELOW_CONNECT,
            ">=",
            f"Connect: {prices.CONNECT_MESSAGES_PER_INQUIRY} messages x ${prices.usd('connect_chat_message')}"
            f" = ${connect:.2f} per 1,000; at the earlier $0.004 a message: {ratio_prior:.0f}x",
        ),
        figure(
            "priority scoring share of the Route task",
            round(share * 100, 2),
            "%",
            note=(
                f"median Route {statistics.median(calls.route_s) * 1000:.1f} ms, scoring "
                f"{statistics.median(calls.scoring_in_route_s) * 1000:.2f} ms (warm, on the local stack)"
                if calls.route_s
                else "no warm Route task ran"
            ),
        ),
    ]
    if not figures[0]["ok"]:
        figures[0]["note"] += f"; over the budget by ${total - BUDGET_USD_PER_1000:.3f}"
    if not figures[1]["ok"]:
        figures[1]["note"] += "; below the ratio the budget asks"
    return {
        "benchmark": "cost",
        "figures": figures,
        "inquiries": inquiries,
        "concurrency": concurrency,
        "usd_per_1000_inquiries": round(total, 4),
        "by_service_usd_per_1000": {k: round(v, 5) for k, v in per_1000.items()},
        "per_inquiry": {k: round(v / inquiries, 4) for k, v in sorted(quantities.items())},
        "totals": {k: round(v, 4) for k, v in sorted(quantities.items())},
        "connect_chat_usd_per_1000": connect,
        "connect_times_above": round(ratio, 1),
        "connect_prior_price_times_above": round(ratio_prior, 1),
        "lambda": {
            name: {
                "invocations": len(values),
                "billed_ms": sum(int(-(-v * 1000 // 1)) for v in values),
                "init_invocation_ms": round(calls.cold.get(name, 0.0) * 1000, 1),
                "median_ms": round(statistics.median(values) * 1000, 2),
                "memory_mb": calls.memory[name],
            }
            for name, values in sorted(calls.durations.items())
        },
        "lambda_init_invocations_s": round(warm_init_s, 3),
        "api_gateway_requests": dict(sorted(calls.api_requests.items())),
        "aws_calls": dict(sorted(meter.calls.items())),
        "billed_messaging_requests": dict(sorted(meter.billed_requests.items())),
        "empty_receives_not_per_inquiry": meter.empty_receives,
        "dynamodb": {
            "read_units_by_table": dict(sorted(meter.dynamodb.read_units.items())),
            "write_units_by_table": dict(sorted(meter.dynamodb.write_units.items())),
            "index_write_units_by_table": dict(sorted(meter.dynamodb.index_write_units.items())),
            "items_read_by_table": dict(sorted(meter.dynamodb.items_read.items())),
            "query_items_sized_by_estimate": meter.dynamodb.estimated_reads,
            "method": "computed from item sizes as DynamoDB bills (the emulator's ConsumedCapacity is fixed)",
        },
        "transitions_per_inquiry": sorted(Counter(d["transitions"] for d in done).items()),
        "states": done[0]["states"] if done else [],
        "scoring": {
            "route_tasks": len(calls.route_s),
            "share_of_route": round(share, 4),
            "route_ms_median": round(statistics.median(calls.route_s) * 1000, 2) if calls.route_s else None,
            "scoring_ms_median": round(statistics.median(calls.scoring_in_route_s) * 1000, 3)
            if calls.route_s
            else None,
        },
        "prices": {
            name: {"usd": p.usd, "unit": p.unit, "source": p.source, "read": p.read, "note": p.note}
            for name, p in prices.PRICES.items()
        },
        "stack_start_s": round(started_s, 1),
        "lifecycles_s": round(played_s, 1),
        "emulator_speedups": emulator_speedups(),  # the emulator's (KANAL_EMULATOR_SPEEDUPS)
        "python": platform.python_version(),
        "moto": version("moto"),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


LABELS = {
    "api_gateway_requests": "API Gateway REST requests",
    "lambda_requests": "Lambda requests",
    "lambda_gb_seconds": "Lambda GB-seconds (arm64)",
    "sqs_requests": "SQS requests",
    "dynamodb_write_units": "DynamoDB write request units",
    "dynamodb_read_units": "DynamoDB read request units",
    "state_transitions": "Step Functions transitions",
    "sns_publish_requests": "SNS publishes",
    "sns_email_notifications": "SNS e-mail notifications",
    "ses_messages": "SES messages",
    "secrets_manager_calls": "Secrets Manager calls",
    "ssm_parameter_calls": "SSM parameter calls",
}


def print_table(results: dict[str, Any]) -> None:
    n = results["inquiries"]
    print(f"cost per inquiry: {n} full lifecycles (webhook in, routed, notified, answered, resolved)")
    print(f"  {'service':<32}{'per inquiry':>14}{'$ per 1,000':>14}")
    for name, label in LABELS.items():
        print(
            f"  {label:<32}{results['per_inquiry'].get(name, 0):>14.4f}"
            f"{results['by_service_usd_per_1000'][name]:>14.4f}"
        )
    cost, connect = results["figures"][0], results["figures"][1]
    print(f"  {'total':<32}{'':>14}{results['usd_per_1000_inquiries']:>14.4f}")
    print(
        f"  budget ${BUDGET_USD_PER_1000:.2f}: {'ok' if cost['ok'] else 'MISS'}; Amazon Connect chat "
        f"${results['connect_chat_usd_per_1000']:.2f} per 1,000: {connect['value']}x "
        f"(budget {BUDGET_TIMES_BELOW_CONNECT:.0f}x: {'ok' if connect['ok'] else 'MISS'})"
    )
    scoring = results["scoring"]
    print(
        f"  scoring in the Route task: {results['figures'][2]['value']} % "
        f"(median {scoring['scoring_ms_median']} of {scoring['route_ms_median']} ms)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--inquiries", type=int, default=24)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a budget is missed")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    began = time.monotonic()
    results = run(args.inquiries, args.concurrency)
    results["run_s"] = round(time.monotonic() - began, 1)
    print_table(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"-> {args.output} ({results['run_s']} s)")
    missed = not all(f["ok"] for f in results["figures"] if f["ok"] is not None)
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())

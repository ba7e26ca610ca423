"""The webhook ack path in-process: the handlers' own time per delivery, the emulator's calls excluded.

Run with ``python benchmarks/bench_ack.py [--deliveries N]``. Imports the Meta and X webhook functions
as Lambda would (``functions/webhook_meta.py``, ``functions/webhook_x.py``) and calls their
``lambda_handler`` with API Gateway proxy events built as the local gateway builds them, for deliveries
of `kanal load`'s traffic mix (Facebook and Instagram comments, Messenger, Instagram DMs, WhatsApp; X
mentions and DMs). The ingest queue is a no-op SQS client and the secrets are the cached values, so what
is timed is only Kanal's work: routing the request, checking size and signature, parsing and splitting
the delivery, building the queue's records and answering. Budget: p99 at most 5 ms per delivery.

Prints a table and writes ``benchmarks/results/ack.json``. About 10 s.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "ack.json"
BUDGET_P99_MS = 5.0
QUEUE_URL = "https://sqs.eu-central-1.amazonaws.com/123456789012/kanal-ingest"
SECRETS = {"meta": "bench-meta-app-secret", "x": "bench-x-consumer-secret"}


class NoopSqs:
    """An SQS client that accepts every batch without a call (the emulator's work is not Kanal's)."""

    def __init__(self) -> None:
        self.records = 0

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.records += len(Entries)
        return {"Successful": [{"Id": e["Id"], "MessageId": e["Id"]} for e in Entries], "Failed": []}


class Context:
    function_name = "bench-webhook"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:eu-central-1:123456789012:function:bench-webhook"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def handlers(sqs: NoopSqs) -> dict[str, Any]:
    """The two webhook functions, imported as Lambda imports them, with the queue and secrets stubbed."""
    os.environ.update(
        {
            "KANAL_INGEST_QUEUE_URL": QUEUE_URL,
            "KANAL_SECRETS_PREFIX": "kanal",
            "AWS_DEFAULT_REGION": "eu-central-1",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
        }
    )
    sys.path.insert(0, str(ROOT / "functions"))
    from kanal.intake import webhook_app
    from kanal.intake.records import RecordQueue

    queue = RecordQueue(sqs, QUEUE_URL)
    webhook_app.queue = lambda: queue  # type: ignore[assignment]
    found = {}
    for source, module_name in (("meta", "webhook_meta"), ("x", "webhook_x")):
        module = importlib.import_module(module_name)
        module.secret = lambda name, source=source: SECRETS[source]  # type: ignore[attr-defined]
        found[source] = module.lambda_handler
    return found


def event(delivery: Any) -> dict[str, Any]:
    """The API Gateway proxy event the local gateway would hand the function for this delivery."""
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    from kanal_local.gateway import Route, proxy_event

    builder = EnvironBuilder(
        method="POST", path=delivery.path, data=delivery.body, headers=delivery.headers(SECRETS)
    )
    request = Request(builder.get_environ())
    return proxy_event(request, Route.of("POST", delivery.path, "bench"), {}, "prod", None)


def measure(count: int) -> dict[str, Any]:
    from kanal_local.percentiles import summary_ms
    from kanal_local.traffic import Traffic

    sqs = NoopSqs()
    handler = handlers(sqs)
    traffic = Traffic(seed=7, email=False, duplicate_share=0)
    deliveries = [traffic.next() for _ in range(count)]
    events = [(d.source, d.kind, event(d)) for d in deliveries]
    context = Context()
    for source, _, prepared in events[:200]:  # warm: first calls compile regexes, fill caches
        handler[source](prepared, context)
    sqs.records = 0
    timings: dict[str, list[float]] = {"meta": [], "x": []}
    by_kind: dict[str, list[float]] = {}
    gc.collect()
    for source, kind, prepared in events:
        started = time.perf_counter()
        answer = handler[source](prepared, context)
        elapsed = time.perf_counter() - started
        if answer["statusCode"] != 200:
            raise RuntimeError(f"{kind}: answered {answer['statusCode']}: {answer.get('body')}")
        timings[source].append(elapsed)
        by_kind.setdefault(kind, []).append(elapsed)
    everything = timings["meta"] + timings["x"]
    return {
        "deliveries": count,
        "records_enqueued": sqs.records,
        "handler_ms": summary_ms(everything),
        "by_source_ms": {source: summary_ms(values) for source, values in timings.items()},
        "by_kind_ms": {kind: summary_ms(values) for kind, values in sorted(by_kind.items())},
    }


def figures(measured: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for source in ("meta", "x"):
        p99 = measured["by_source_ms"][source]["p99"]
        ok = p99 <= BUDGET_P99_MS
        rows.append(
            {
                "name": f"ack handler p99 ({source})",
                "value": p99,
                "unit": "ms",
                "budget": BUDGET_P99_MS,
                "compare": "<=",
                "ok": ok,
                "note": "in-process, SQS and secrets stubbed"
                if ok
                else "over budget: see by_kind_ms for the slow deliveries",
            }
        )
        rows.append(
            {
                "name": f"ack handler p50 ({source})",
                "value": measured["by_source_ms"][source]["p50"],
                "unit": "ms",
                "budget": None,
                "compare": None,
                "ok": None,
                "note": "in-process, SQS and secrets stubbed",
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=3000)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    measured = measure(args.deliveries)
    rows = figures(measured)
    result = {
        "benchmark": "ack",
        **measured,
        "figures": rows,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    print(f"ack path, in-process ({args.deliveries} deliveries, {measured['records_enqueued']} records)")
    print(f"  {'source':<8}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for source, row in measured["by_source_ms"].items():
        print(f"  {source:<8}{row['count']:>7}{row['p50']:>9}{row['p95']:>9}{row['p99']:>9}{row['max']:>9}")
    for row in rows:
        if row["budget"] is not None:
            mark = "ok" if row["ok"] else "MISSED"
            print(f"  {row['name']}: {row['value']} ms (budget <= {row['budget']} ms) {mark}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"-> {RESULTS}")
    return 0 if all(r["ok"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

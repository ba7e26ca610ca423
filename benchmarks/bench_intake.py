"""Intake under a burst, on the local stack: how fast deliveries are acknowledged and become inquiries.

Run with ``python benchmarks/bench_intake.py [--deliveries N] [--concurrency C]``. Starts the whole local
stack in-process, posts N signed Meta comment deliveries from C threads as fast as they are answered, and
measures the webhook answer times and the time until every delivery is a stored, scored inquiry. Prints
the figures and writes them to ``benchmarks/results/intake.json``.

The local stack runs every function in one process on this machine, so these are figures of the code
path (verify, split, enqueue; ingest, dedupe, write, start routing), not of AWS: in AWS, API Gateway and
Lambda scale out and SQS absorbs the burst.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import platform
import sys
import time
import uuid
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
from summary import figure

from kanal_local.emulator.speedups import wanted as emulator_speedups
from kanal_local.percentiles import percentile

RESULTS = Path(__file__).resolve().parent / "results" / "intake.json"
PAGE_ID = "104870982355621"
SECRET = b"local-meta-app-secret"


def delivery(index: int) -> tuple[bytes, str]:
    post = f"{PAGE_ID}_{uuid.uuid4().int % 10**15}"
    comment = f"{post.split('_')[1]}_{uuid.uuid4().int % 10**15}"
    text = ["Mein Rad ist kaputt, bitte helft mir!", "Where is my order? I want a refund.", "Great bike!"][
        index % 3
    ]
    value = {
        "item": "comment",
        "verb": "add",
        "comment_id": comment,
        "post_id": post,
        "parent_id": post,
        "created_time": int(time.time()),
        "message": text,
        "from": {"id": str(uuid.uuid4().int % 10**15), "name": f"Customer {index}"},
    }
    body = json.dumps(
        {
            "object": "page",
            "entry": [
                {"id": PAGE_ID, "time": int(time.time()), "changes": [{"field": "feed", "value": value}]}
            ],
        }
    ).encode()
    return body, comment


def run(deliveries: int, concurrency: int) -> dict[str, Any]:
    from kanal_local.server import LocalServer
    from kanal_local.stack import LocalStack

    server = LocalServer(stack=LocalStack(parameters={"LogLevel": "ERROR"}), port=0).start()
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=concurrency))
    bodies = [delivery(i) for i in range(deliveries)]

    def send(item: tuple[bytes, str]) -> float:
        body, _ = item
        signature = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        started = time.perf_counter()
        response = session.post(
            f"{server.url}/webhooks/meta", data=body, headers={"X-Hub-Signature-256": signature}
        )
        response.raise_for_status()
        return time.perf_counter() - started

    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            answers = list(pool.map(send, bodies))
        acknowledged = time.perf_counter() - started
        table = server.stack.environment["KANAL_INQUIRIES_TABLE"]
        dynamodb = server.stack.client("dynamodb")
        messages = server.stack.environment["KANAL_MESSAGES_TABLE"]
        pending = {comment for _, comment in bodies}
        while pending and time.perf_counter() - started < 600:
            for comment in list(pending)[:200]:
                item = dynamodb.get_item(TableName=messages, Key={"key": {"S": f"facebook#{comment}"}}).get(
                    "Item"
                )
                if item:
                    inquiry = dynamodb.get_item(TableName=table, Key={"id": item["inquiry_id"]}).get(
                        "Item", {}
                    )
                    if "priority" in inquiry:
                        pending.discard(comment)
            time.sleep(0.2)
        stored = time.perf_counter() - started
    finally:
        server.stop()
    return {
        "deliveries": deliveries,
        "concurrency": concurrency,
        "acknowledged_in_s": round(acknowledged, 3),
        "webhook_answer_ms": {
            "p50": round(float(percentile(answers, 50) or 0) * 1000, 1),
            "p99": round(float(percentile(answers, 99) or 0) * 1000, 1),
            "max": round(max(answers) * 1000, 1),
        },
        "all_scored_in_s": round(stored, 3),
        "scored_per_second": round(deliveries / stored, 1),
        "lost": len(pending),
        "emulator_speedups": emulator_speedups(),  # the emulator's (KANAL_EMULATOR_SPEEDUPS)
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    figures = run(args.deliveries, args.concurrency)
    answers = figures["webhook_answer_ms"]
    print(
        f"intake: {figures['deliveries']} deliveries acknowledged in {figures['acknowledged_in_s']} s "
        f"(answer p50 {answers['p50']} ms, p99 {answers['p99']} ms); all scored inquiries after "
        f"{figures['all_scored_in_s']} s ({figures['scored_per_second']}/s), lost: {figures['lost']}"
    )
    answers_note = f"{figures['deliveries']} deliveries from {figures['concurrency']} threads, one process"
    figures["figures"] = [
        figure(
            "deliveries lost",
            figures["lost"],
            "",
            0,
            "<=",
            f"all scored after {figures['all_scored_in_s']} s",
        ),
        figure("webhook answer p99 (local stack)", answers["p99"], "ms", note=answers_note),
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"-> {RESULTS}")
    return 0 if figures["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

"""Priority engine throughput: score ~20,000 synthetic German and English inquiries on one core.

Run with ``python benchmarks/bench_priority.py [--count N] [--runs R]``. Prints the figures and writes
them to ``benchmarks/results/priority.json``. Uses the shipped rules and the local sentiment scorer.
Target: at least 20,000 inquiries per second per core.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from summary import figure

from kanal.model import Author, Channel, Contact, CustomerContext, Inquiry, Visibility
from kanal.priority import LocalSentiment, default_rules, score_inquiry
from kanal_local.percentiles import percentile

TARGET_PER_SECOND = 20_000
RESULTS = Path(__file__).resolve().parent / "results" / "priority.json"
SEED = 20260304

PHRASES = {
    "en": {
        "open": [
            "Hi",
            "Hello",
            "Hey @acme",
            "@acme_help",
            "Dear Acme team,",
            "#acmefail",
            "Good morning,",
            "",
        ],
        "issue": [
            "my {p} is broken",
            "the {p} stopped working after the update",
            "I want a refund for order {n}",
            "where is my order {n}? It never arrived",
            "I was charged twice for the {p}",
            "can you help me set up the {p}?",
            "how do I cancel my subscription?",
            "does the {p} come in blue?",
            "when does the Berlin store open on Saturday?",
            "the {p} is overheating and I smell smoke",
            "this is fraud, I'm calling my lawyer about order {n}",
            "your new {p} is great",
        ],
        "mood": [
            "",
            "",
            "Terrible service!",
            "Really disappointed.",
            "Thanks a lot!",
            "Still waiting for an answer.",
            "Not good at all.",
            "Love it 😍",
            "😡😡",
            "👍",
            "URGENT please",
        ],
        "close": ["", "", "Best regards, Sam", "Thanks", "Cheers", "🙏"],
    },
    "de": {
        "open": ["Hallo", "Guten Tag,", "@acme", "Liebes Acme-Team,", "#acme", "Moin", ""],
        "issue": [
            "mein {p} ist kaputt",
            "der {p} funktioniert nicht mehr",
            "ich will mein Geld zurück für Bestellung {n}",
            "wo bleibt meine Bestellung {n}? Sie ist nie angekommen",
            "mir wurde der {p} doppelt abgebucht",
            "könnt ihr mir beim {p} helfen?",
            "ich möchte meinen Vertrag kündigen",
            "gibt es den {p} auch in Blau?",
            "wann öffnet die Filiale am Samstag?",
            "der {p} wird heiß und qualmt",
            "das ist Betrug, mein Anwalt meldet sich wegen Bestellung {n}",
            "euer neuer {p} ist super",
        ],
        "mood": [
            "",
            "",
            "Eine Frechheit!",
            "Sehr enttäuschend.",
            "Vielen Dank!",
            "Ich warte immer noch auf eine Antwort.",
            "Das gefällt mir gar nicht.",
            "Toll 😍",
            "😡😡",
            "👍",
            "Dringend bitte",
        ],
        "close": ["", "", "Viele Grüße, Sam", "Danke", "LG", "🙏"],
    },
}
PRODUCTS = [
    "laptop",
    "router",
    "e-bike",
    "Drucker",
    "phone",
    "Akku",
    "Ladegerät",
    "Fernseher",
    "headset",
    "Kaffeemaschine",
]
PUBLIC = {Channel.FACEBOOK, Channel.INSTAGRAM, Channel.X}
START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # a Monday morning


def _text(rng: random.Random, language: str) -> str:
    words = PHRASES[language]
    issue = rng.choice(words["issue"]).format(p=rng.choice(PRODUCTS), n=rng.randrange(100_000, 999_999))
    parts = [rng.choice(words["open"]), issue + ".", rng.choice(words["mood"]), rng.choice(words["close"])]
    return " ".join(p for p in parts if p)


def _context(rng: random.Random, received: datetime, index: int) -> CustomerContext:
    contacts = tuple(
        Contact(
            received - timedelta(hours=rng.uniform(0.5, 96)),
            "phone",
            rng.choice(["call", "email", "order"]),
            f"r{index}-{k}",
        )
        for k in range(rng.choice([0, 0, 0, 0, 1, 1, 2, 3]))
    )
    return CustomerContext(
        customer_id=f"cust-{index}",
        vip=rng.random() < 0.03,
        purchase_count=rng.choice([0, 0, 1, 2, 3, 5, 12]),
        lifetime_value=round(rng.expovariate(1 / 400), 2),
        recent_contacts=contacts,
    )


def corpus(count: int, seed: int = SEED) -> list[tuple[Inquiry, CustomerContext]]:
    """``count`` varied inquiries, the same ones for the same seed."""
    rng = random.Random(seed)
    items = []
    for i in range(count):
        language = rng.choice(["de", "en"])
        channel = rng.choice(list(Channel))
        received = START + timedelta(minutes=rng.randrange(0, 60 * 24 * 21))
        followers = int(rng.lognormvariate(5, 2.5))
        author = Author(
            id=f"a{i}", name="Sam", handle=f"sam{i}", followers=followers, verified=rng.random() < 0.01
        )
        inquiry = Inquiry(
            id=f"inq-{i}",
            channel=channel,
            external_id=f"ext-{i}",
            author=author,
            text=_text(rng, language),
            visibility=Visibility.PUBLIC if channel in PUBLIC and rng.random() < 0.8 else Visibility.PRIVATE,
            thread_id=f"t{i}",
            account_id="acme",
            customer_id=f"cust-{i}",
            created_at=received,
            received_at=received,
            language=language,
        )
        items.append((inquiry, _context(rng, received, i)))
    return items


def _pin_to_one_core() -> bool:
    if not hasattr(os, "sched_setaffinity"):
        return False
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    return True


def _run(items: list[tuple[Inquiry, CustomerContext]], analyzer: LocalSentiment) -> float:
    rules = default_rules()
    started = time.perf_counter()
    for inquiry, context in items:
        score_inquiry(inquiry, context, rules, sentiment=analyzer)
    return time.perf_counter() - started


def _latencies_us(items: list[tuple[Inquiry, CustomerContext]], analyzer: LocalSentiment) -> list[float]:
    rules = default_rules()
    out = []
    for inquiry, context in items:
        started = time.perf_counter_ns()
        score_inquiry(inquiry, context, rules, sentiment=analyzer)
        out.append((time.perf_counter_ns() - started) / 1000)
    return sorted(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)

    pinned = _pin_to_one_core()
    items = corpus(args.count)
    analyzer = LocalSentiment()
    _run(items[:1000], analyzer)  # warm up: compile rules, fill the calendar cache
    seconds = [_run(items, analyzer) for _ in range(args.runs)]
    rates = [args.count / s for s in seconds]
    latencies = _latencies_us(items, analyzer)
    rules = default_rules()
    results = {
        "benchmark": "priority.score_inquiry",
        "inquiries": args.count,
        "runs": args.runs,
        "seconds_per_run": [round(s, 4) for s in seconds],
        "inquiries_per_second": round(max(rates)),
        "inquiries_per_second_median": round(statistics.median(rates)),
        "latency_us": {
            "p50": round(float(percentile(latencies, 50) or 0), 1),
            "p99": round(float(percentile(latencies, 99) or 0), 1),
            "max": round(latencies[-1], 1),
        },
        "target_per_second": TARGET_PER_SECOND,
        "meets_target": statistics.median(rates) >= TARGET_PER_SECOND,
        "bands": dict(
            sorted(Counter(score_inquiry(i, c, rules, sentiment=analyzer).band for i, c in items).items())
        ),
        "languages": dict(sorted(Counter(i.language or "?" for i, _ in items).items())),
        "sentiment": "local",
        "rules_version": rules.version,
        "one_core": pinned,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    results["figures"] = [
        figure(
            "inquiries scored per second (median, one core)",
            results["inquiries_per_second_median"],
            "1/s",
            TARGET_PER_SECOND,
            ">=",
            f"p99 {results['latency_us']['p99']} us per inquiry; {args.runs} runs of {args.count:,}",
        )
    ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(
        f"priority: {results['inquiries_per_second_median']:,} inquiries/s median, "
        f"{results['inquiries_per_second']:,} best of {args.runs} runs over {args.count:,} inquiries "
        f"(p50 {results['latency_us']['p50']} us, p99 {results['latency_us']['p99']} us; "
        f"target {TARGET_PER_SECOND:,}/s: {'met' if results['meets_target'] else 'MISSED'})"
    )
    print(f"bands: {results['bands']}  languages: {results['languages']}  -> {args.output}")
    return 1 if args.strict and not results["meets_target"] else 0


if __name__ == "__main__":
    sys.exit(main())

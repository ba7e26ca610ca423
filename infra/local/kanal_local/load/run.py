"""One `kanal load` run: send, follow samples, check the books; its figures and the report printed."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from kanal_local.load.books import Books, check_books
from kanal_local.load.follower import Followed, Follower
from kanal_local.load.schedule import Plan
from kanal_local.load.sender import Progress, Sender, Sent
from kanal_local.load.target import Target, inspection_of
from kanal_local.percentiles import summary_ms
from kanal_local.traffic import Traffic, mix_of

SAMPLES = 50


@dataclass
class Run:
    """One `kanal load` run's figures, as printed and written with --out."""

    plan: Plan
    target: str
    sent_in_s: float
    results: list[Sent]
    follow: dict[str, Any] | None
    books: Books | None
    mix: dict[str, Any]

    def ack(self, sources: tuple[str, ...] = ("meta", "x")) -> dict[str, Any]:
        return summary_ms(
            [r.seconds for r in self.results if r.status is not None and r.delivery.source in sources]
        )

    @property
    def statuses(self) -> dict[str, int]:
        return dict(sorted(Counter(str(r.status or r.error or "none") for r in self.results).items()))

    @property
    def all_acked(self) -> bool:
        return all(r.status == 200 for r in self.results)

    @property
    def ok(self) -> bool:
        return self.all_acked and (self.books is None or self.books.balanced)

    def as_json(self) -> dict[str, Any]:
        acked = [r for r in self.results if r.status == 200]
        return {
            "mode": self.plan.mode,
            "target": self.target,
            "planned": {
                "deliveries": self.plan.count,
                "seconds": self.plan.seconds,
                "per_second": round(self.plan.per_second, 2),
            },
            "sent_in_s": round(self.sent_in_s, 2),
            "achieved_per_second": round(len(self.results) / self.sent_in_s, 2) if self.sent_in_s else None,
            "all_acked": self.all_acked,
            "acked_within_s": round(
                max((r.at + r.seconds for r in acked), default=0)
                - min((r.at for r in self.results), default=0),
                2,
            ),
            "statuses": self.statuses,
            "failures": [
                {"index": r.delivery.index, "kind": r.delivery.kind, "status": r.status, "error": r.error}
                for r in self.results
                if r.status != 200
            ][:20],
            "ack_ms": self.ack(),
            "ack_ms_by_source": {
                s: self.ack((s,)) for s in sorted({r.delivery.source for r in self.results})
            },
            "sender_late_ms": summary_ms([r.late for r in self.results]),
            "delivery_to_inquiry": self.follow,
            "books": self.books.as_json() if self.books else None,
            "mix": self.mix,
        }


def run_load(
    target: Target,
    plan: Plan,
    *,
    seed: int = 1,
    concurrency: int = 32,
    poison: int = 0,
    samples: int = SAMPLES,
    drain_timeout: float = 600,
    books: bool = True,
    progress: Progress | None = None,
) -> Run:
    """The engine behind `kanal load` (and the benchmarks): send, follow samples, check the books."""
    progress = progress or Progress()
    traffic = Traffic(seed=seed, email=target.local)
    sender = Sender(target, traffic, plan, concurrency, progress, poison)
    sender.prepare()
    started = time.time()
    sent_in = sender.run()
    inspection = inspection_of(target) if books else None
    step = max(1, len(sender.results) // max(1, samples))
    chosen = [
        r
        for r in sender.results
        if r.status == 200 and r.delivery.duplicate_of is None and not r.delivery.poison
    ]
    follower = (
        Follower(
            target, inspection, [Followed(r.delivery.messages[0], r.at) for r in chosen[::step][:samples]]
        )
        if samples
        else None
    )
    checked = (
        check_books(inspection, sender.results, started, drain_timeout, progress, follower)
        if inspection
        else None
    )
    if follower is not None:
        deadline = time.monotonic() + 30
        while follower.pending() and time.monotonic() < deadline:
            follower.poll()
            time.sleep(0.5)
    return Run(
        plan,
        target.url,
        sent_in,
        sender.results,
        follower.figures() if follower else None,
        checked,
        mix_of(sender.deliveries),
    )


# ------------------------------------------------------------------------------------------ output


def report(run: Run) -> str:
    data = run.as_json()
    ack = data["ack_ms"]
    lines = [
        f"kanal load: {data['planned']['deliveries']} deliveries at {data['planned']['per_second']}/s "
        f"({run.plan.mode}) against {run.target}",
        f"  sent in {data['sent_in_s']} s ({data['achieved_per_second']}/s), all answered 200: "
        f"{'yes' if run.all_acked else 'no'}; statuses {data['statuses']}",
        f"  ack latency ms  p50 {ack['p50']}  p95 {ack['p95']}  p99 {ack['p99']}  max {ack['max']}",
    ]
    follow = data["delivery_to_inquiry"]
    if follow:
        to_inquiry, to_queue = follow["to_inquiry_s"], follow["to_queue_s"]
        lines.append(
            f"  delivery to inquiry s  p50 {to_inquiry['p50']}  p95 {to_inquiry['p95']}"
            f"  max {to_inquiry['max']};"
            f" to the queue p50 {to_queue['p50']}  p95 {to_queue['p95']}  ({follow['samples']} samples,"
            f" {follow['not_queued']} not routed yet)"
        )
    books = data["books"]
    if books is None:
        lines.append("  books: not checked (--no-books, or a deployed stack without --stack NAME)")
    else:
        lines.append(
            f"  books: {books['records_accepted']} records accepted = {books['stored']} stored + "
            f"{books['dead_lettered']} dead-lettered + {books['duplicates_recognised']} duplicates recognised"
            + (f" + {books['still_queued']} still queued" if books["still_queued"] else "")
            + f" -> {'balanced' if books['balanced'] else 'NOT balanced'}; "
            + (f"drained in {books['drained_in_s']} s" if books["drained"] else "not drained")
        )
        if books["missing"]:
            lines.append(f"  lost ({books['lost']}): " + ", ".join(books["missing"][:10]))
        if books["duplicated_keys"]:
            lines.append(
                f"  opened twice ({books['duplicated']}): " + ", ".join(books["duplicated_keys"][:10])
            )
        if not books["drained"]:
            lines.append(
                "  the ingest queue was not empty by the drain timeout: "
                + (
                    f"{books['still_queued']} messages still queued, none lost, none opened twice so far"
                    if books["accounted"]
                    else f"{books['still_queued']} messages still queued"
                )
            )
    return "\n".join(lines)

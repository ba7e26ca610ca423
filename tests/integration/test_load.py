"""`kanal load` against the local stack: signed traffic in, every accepted record accounted for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kanal_local.cli import main
from kanal_local.load import (
    Inspection,
    Plan,
    Progress,
    Sender,
    Target,
    check_books,
    queued_reader,
    report,
    run_load,
)
from kanal_local.server import local_secret
from tests import tokens

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def target_of(local) -> Target:
    secrets = {"meta": local_secret("meta-app-secret"), "x": local_secret("x-consumer-secret")}
    target = Target(local.url, secrets, tokens.token("admin"), local=True)
    target.inspection = Inspection.of(local.stack.client, local.stack.outputs)
    target.inspection.queued = queued_reader(local.url)
    return target


@pytest.fixture
def ingest_paused(local):
    """The ingest queue's poller stopped for the test (records stay queued), started again after."""
    from kanal_local.pollers import SqsPoller
    from kanal_local.stack import REGION

    queue = local.stack.outputs["IngestQueueUrl"].rsplit("/", 1)[-1]
    paused = [p for p in local.stack.pollers if p.mapping["queue_name"] == queue]
    assert len(paused) == 1
    for poller in paused:
        poller.stop()
        poller.join(timeout=10)
        local.stack.pollers.remove(poller)
    yield
    for poller in paused:
        again = SqsPoller(local.stack.dispatcher, poller.mapping, REGION)
        again.start()
        local.stack.pollers.append(again)


def test_a_small_rate_ends_with_the_books_balanced_and_a_poison_delivery_counted_as_dead_lettered(local):
    # Given the local stack and a run of the traffic mix at 4 deliveries/s with one delivery ingest
    # cannot take (an @mention whose Graph lookup keeps failing)
    plan = Plan.rate(4, 5)
    # When kanal load's engine sends it and waits for the queue to drain
    run = run_load(
        target_of(local),
        plan,
        seed=21,
        poison=1,
        samples=6,
        drain_timeout=120,
        progress=Progress(enabled=False),
    )
    figures = run.as_json()
    # Then every delivery was acknowledged, with its latency measured
    assert run.all_acked and figures["statuses"] == {"200": 20}
    assert figures["ack_ms"]["count"] >= 19 and figures["ack_ms"]["p50"] > 0
    assert figures["ack_ms"]["p50"] <= figures["ack_ms"]["p95"] <= figures["ack_ms"]["p99"]
    # And the books balance: the poison delivery is the one record in the dead-letter queue, every other
    # message is stored once, and a delivery sent twice counts as a duplicate recognised
    books = figures["books"]
    assert books["balanced"], books
    assert books["dead_lettered"] == 1 and books["lost"] == 0 and books["duplicated"] == 0
    assert books["stored"] == books["messages"] - 1
    assert (
        books["records_accepted"] == books["stored"] + books["dead_lettered"] + books["duplicates_recognised"]
    )
    # And the sampled deliveries were followed to their inquiry and into a queue
    follow = figures["delivery_to_inquiry"]
    assert follow["samples"] == 6 and follow["to_inquiry_s"]["count"] == 6
    assert follow["to_queue_s"]["count"] >= 1
    assert "-> balanced" in report(run)
    assert figures["mix"]["poison"] == 1 and len(figures["mix"]["by_kind"]) >= 4


def test_the_command_reports_the_figures_and_writes_them_as_json(local, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("KANAL_PORT", str(local.port))
    monkeypatch.setenv("KANAL_AWS_PORT", str(local.stack.aws_port))
    out = tmp_path / "load.json"
    code = main(
        ["load", "--burst", "12", "--within", "3s", "--seed", "8", "--samples", "3", "--out", str(out)]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "ack latency ms  p50" in printed and "balanced" in printed
    written = json.loads(out.read_text())
    assert written["mode"] == "burst" and written["all_acked"] is True
    assert written["books"]["balanced"] and written["books"]["lost"] == 0
    assert set(written["ack_ms"]) == {"count", "p50", "p95", "p99", "max"}


def test_bad_flags_exit_2_before_anything_is_sent():
    done = subprocess.run(
        [sys.executable, "-m", "kanal_local.cli", "load", "--rate", "200/s", "--within", "60s"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--rate needs --duration" in done.stderr


def test_books_before_the_queue_drained_count_what_is_still_queued_and_name_a_record_that_vanished(
    local, ingest_paused
):
    from kanal_local.traffic import Traffic

    # Given a burst acknowledged while ingest is not taking records off the queue
    target = target_of(local)
    sender = Sender(target, Traffic(seed=5, email=True), Plan.burst(10, 1), 4, Progress(enabled=False))
    sender.prepare()
    started = __import__("time").time()
    sender.run()
    assert all(r.status == 200 for r in sender.results)
    # When the books are checked before the queue drained
    books = check_books(target.inspection, sender.results, started, 1, Progress(enabled=False))
    # Then every message is accounted for as still queued: nothing lost, nothing opened twice, not drained
    assert not books.drained and not books.balanced and books.accounted
    assert books.still_queued == books.messages > 0 and books.stored == 0 and books.missing == []
    # And a record that leaves the queue without being stored is named as lost (one whose message no
    # other record carries: a duplicate the platform sent would still stand for it)
    sqs = local.stack.client("sqs")
    url = local.stack.outputs["IngestQueueUrl"]
    queued = target.inspection.queued()
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)["Messages"]
    taken = next(m for m in received if queued[json.loads(m["Body"])["record"]["key"]] == 1)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=taken["ReceiptHandle"])
    for message in received:
        if message is not taken:
            sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
    key = json.loads(taken["Body"])["record"]["key"]
    lost = {
        m.key
        for s in sender.results
        for m, k in zip(s.delivery.messages, s.record_keys, strict=False)
        if k == key
    }
    books = check_books(target.inspection, sender.results, started, 1, Progress(enabled=False))
    assert not books.accounted and books.missing == sorted(lost) and len(lost) == 1
    assert books.still_queued == books.messages - 1

"""`kanal load`'s parts that need no stack: the traffic mix, the percentiles, the flags."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

import pytest

from kanal.channels import normalise_record, split_delivery
from kanal.channels.email import parse_email
from kanal.channels.signatures import verify_meta_signature, verify_x_signature
from kanal_local.cli import main
from kanal_local.load import Plan
from kanal_local.load.flags import duration_value, rate_value
from kanal_local.percentiles import percentile, summary_ms
from kanal_local.traffic import MIX, Traffic, mix_of

SECRETS = {"meta": "m-secret", "x": "x-secret"}


# ---------------------------------------------------------------------------------------- percentiles


def test_nearest_rank_percentiles_of_one_to_a_hundred_are_the_ranks_themselves():
    values = [float(v) for v in range(100, 0, -1)]  # any order
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0


def test_a_percentile_is_always_one_of_the_values_and_rounds_the_rank_up():
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0  # rank ceil(1.5) = 2
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0  # rank 2
    assert percentile([1.0, 2.0, 3.0, 4.0], 51) == 3.0  # rank ceil(2.04) = 3
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 99) is None
    with pytest.raises(ValueError):
        percentile([1.0], 0)


def test_one_slow_answer_in_a_hundred_is_the_p99_and_not_the_p95():
    seconds = [0.010] * 99 + [0.900]
    figures = summary_ms(seconds)
    assert figures == {"count": 100, "p50": 10.0, "p95": 10.0, "p99": 10.0, "max": 900.0}
    figures = summary_ms([0.010] * 98 + [0.900] * 2)
    assert figures["p99"] == 900.0 and figures["p95"] == 10.0


# ----------------------------------------------------------------------------------------- the mix


def test_the_mix_has_every_channel_in_its_share_both_languages_repeats_influencers_and_duplicates():
    traffic = Traffic(seed=3)
    deliveries = [traffic.next() for _ in range(4000)]
    mix = mix_of(deliveries)
    originals = [d for d in deliveries if d.duplicate_of is None]
    for kind in MIX:
        share = sum(1 for d in originals if d.kind == kind.name) / len(originals)
        assert abs(share - kind.share) < 0.03, kind.name
    assert 0.5 < mix["by_language"]["de"] / len(deliveries) < 0.7
    assert mix["by_visibility"]["public"] > 1000 and mix["by_visibility"]["private"] > 1000
    assert 0.15 < mix["repeat_contacts"] / len(originals) < 0.25
    assert 0 < mix["influencers"] < 50
    assert 0.01 < mix["duplicates"] / len(deliveries) < 0.05


def test_a_duplicate_is_the_same_body_as_an_earlier_delivery_and_carries_the_same_message():
    traffic = Traffic(seed=5)
    deliveries = [traffic.next() for _ in range(1000)]
    duplicates = [d for d in deliveries if d.duplicate_of is not None]
    assert duplicates
    for duplicate in duplicates:
        original = deliveries[duplicate.duplicate_of]
        assert original.index < duplicate.index
        assert duplicate.body == original.body and duplicate.messages == original.messages


def test_the_same_seed_gives_the_same_traffic():
    def run(seed: int) -> list[tuple[str, str, bool, bool]]:
        traffic = Traffic(seed=seed, run=1)
        return [
            (d.kind, d.language, d.repeat, d.duplicate_of is None)
            for d in (traffic.next() for _ in range(300))
        ]

    assert run(9) == run(9)
    assert run(9) != run(10)


def test_every_delivery_is_what_kanal_itself_reads_as_the_messages_the_books_expect():
    # Given a run of the mix, every delivery is signed as its platform signs it, and Kanal's own split
    # and normalisation find exactly the records and messages the books will look for
    traffic = Traffic(seed=4)
    for delivery in (traffic.next() for _ in range(600)):
        (message,) = delivery.messages
        if delivery.source == "email":
            parsed = parse_email(delivery.body, datetime.now(UTC))
            assert (str(parsed.channel), parsed.external_id) == (message.channel, message.external_id)
            continue
        headers = delivery.headers(SECRETS)
        if delivery.source == "meta":
            verify_meta_signature(delivery.body, headers["X-Hub-Signature-256"], SECRETS["meta"])
        else:
            verify_x_signature(delivery.body, headers["x-twitter-webhooks-signature"], SECRETS["x"])
        records = split_delivery(delivery.source, json.loads(delivery.body))
        assert [r["key"] for r in records] == [message.record_key]
        (normalised,) = normalise_record(records[0], datetime.now(UTC))
        assert f"{normalised.channel}#{normalised.external_id}" == message.key
        assert str(normalised.visibility) == delivery.visibility
        if delivery.kind == "x mention" and delivery.influencer:
            assert normalised.author.followers >= 100_000


def test_a_repeat_contact_in_a_conversation_channel_writes_as_the_same_customer_in_the_same_thread():
    traffic = Traffic(seed=2, repeat_share=1.0, duplicate_share=0)
    messenger = [d for d in (traffic.next() for _ in range(400)) if d.kind == "messenger"]
    first, *repeats = messenger
    assert repeats and all(d.repeat and d.customer == first.customer for d in repeats)
    threads = {
        normalise_record(split_delivery("meta", json.loads(d.body))[0], datetime.now(UTC))[0].thread_id
        for d in messenger
    }
    assert len(threads) == 1


def test_the_mix_leaves_e_mail_out_where_the_target_cannot_receive_it():
    traffic = Traffic(seed=1, email=False)
    assert all(d.source != "email" for d in (traffic.next() for _ in range(500)))


# ------------------------------------------------------------------------------------------- flags


@pytest.mark.parametrize(
    ("text", "per_second"), [("200/s", 200.0), ("200", 200.0), ("12000/min", 200.0), ("36000/h", 10.0)]
)
def test_rates_read_per_second_minute_or_hour(text, per_second):
    assert rate_value(text) == per_second


@pytest.mark.parametrize(("text", "seconds"), [("60s", 60.0), ("2m", 120.0), ("90", 90.0), ("1h", 3600.0)])
def test_durations_read_in_seconds_minutes_or_hours(text, seconds):
    assert duration_value(text) == seconds


@pytest.mark.parametrize("text", ["0/s", "-5/s", "fast", "200/day", ""])
def test_a_bad_rate_is_refused_with_what_was_given(text):
    with pytest.raises(argparse.ArgumentTypeError):
        rate_value(text)


def test_plans_spread_deliveries_evenly():
    plan = Plan.rate(200, 60)
    assert plan.count == 12_000 and plan.due(200) == pytest.approx(1.0)
    burst = Plan.burst(10_000, 60)
    assert burst.due(10_000) == pytest.approx(60.0)


@pytest.mark.parametrize(
    "argv",
    [
        ["load"],  # neither a rate nor a burst
        ["load", "--rate", "200/s"],  # no duration
        ["load", "--burst", "100"],  # no window
        ["load", "--rate", "200/s", "--burst", "10", "--duration", "1s"],
        ["load", "--rate", "200/s", "--within", "60s"],
        ["load", "--burst", "10", "--within", "0s"],
        ["load", "--burst", "ten", "--within", "60s"],
        ["load", "--rate", "fast", "--duration", "1s"],
        ["load", "--rate", "5/s", "--duration", "1s", "--url", "ftp://example.com"],
        ["load", "--rate", "5/s", "--duration", "1s", "--url", "https://example.com", "--poison", "1"],
        ["load", "--rate", "5/s", "--duration", "1s", "--stack", "kanal"],
    ],
)
def test_bad_flags_exit_2_and_say_what_is_wrong(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as stop:
        code = stop.code
    assert code == 2
    assert "kanal load" in capsys.readouterr().err


def test_an_unreachable_stack_exits_1_and_says_so(capsys, monkeypatch):
    monkeypatch.setenv("KANAL_PORT", "9")  # discard: nothing listens
    assert main(["load", "--rate", "5/s", "--duration", "1s"]) == 1
    assert "no answer from http://127.0.0.1:9" in capsys.readouterr().err

"""The cost benchmark's arithmetic: DynamoDB item sizes and request units as AWS documents them, GSI
writes, SQS/SNS chunks, Lambda GB-seconds, and USD per 1,000 inquiries against Amazon Connect chat."""

from __future__ import annotations

import math

import pytest

from benchmarks import metering, prices
from benchmarks.metering import IndexShape


def test_item_size_counts_names_and_values_as_dynamodb_documents_them():
    # Given an item with every kind of attribute
    item = {
        "id": {"S": "abc"},  # 2 + 3
        "n": {"N": "123.450"},  # 1 + (5 significant digits -> 3) + 1
        "b": {"B": b"\x00\x01"},  # 1 + 2 raw bytes
        "ok": {"BOOL": True},  # 2 + 1
        "none": {"NULL": True},  # 4 + 1
        "l": {"L": [{"S": "xy"}, {"N": "7"}]},  # 1 + 3 + (2 + 1) + (2 + 1)
        "m": {"M": {"k": {"S": "v"}}},  # 1 + 3 + (1 + 1 + 1)
        "ü": {"S": "é"},  # 2 + 2 (UTF-8)
    }
    # Then its size is the documented sum
    assert metering.item_size(item) == 5 + 5 + 3 + 3 + 5 + 10 + 7 + 4


def test_numbers_trim_leading_and_trailing_zeroes_and_binary_counts_raw_bytes():
    assert metering.number_size("0.00100") == 2
    assert metering.number_size("-12345678") == 5
    assert metering.value_size({"B": "AAEC"}) == 3  # base64 of three raw bytes, as the wire carries it


def test_read_units_round_up_to_4_kb_and_halve_for_eventually_consistent_reads():
    assert metering.read_units(1, consistent=True) == 1
    assert metering.read_units(4096, consistent=False) == 0.5
    assert metering.read_units(4097, consistent=False) == 1.0
    assert metering.read_units(8 * 1024, transactional=True) == 4
    assert metering.read_units(0) == 0.5  # an item that is not there still costs the minimum


def test_write_units_round_up_to_1_kb_and_double_in_a_transaction():
    assert metering.write_units(0) == 1
    assert metering.write_units(1024) == 1
    assert metering.write_units(3 * 1024) == 3
    assert metering.write_units(3 * 1024, transactional=True) == 6
    assert metering.write_units(1025) == 2


def test_an_index_key_change_writes_the_index_twice_and_an_untouched_index_not_at_all():
    index = IndexShape(("queue_key", "queue_rank"))
    before = {"id": {"S": "1"}, "queue_key": {"S": "t#queued"}, "queue_rank": {"S": "P1"}}
    moved = {**before, "queue_key": {"S": "t#assigned"}}
    retitled = {**before, "text": {"S": "x"}}
    assert len(metering.index_writes(before, moved, index, ["id"])) == 2
    assert len(metering.index_writes(before, retitled, index, ["id"])) == 1  # ALL projects every attribute
    assert metering.index_writes(before, retitled, IndexShape(index.keys, "KEYS_ONLY"), ["id"]) == []
    assert len(metering.index_writes(None, before, index, ["id"])) == 1
    assert len(metering.index_writes(before, None, index, ["id"])) == 1
    assert metering.index_writes({"id": {"S": "1"}}, {"id": {"S": "1"}, "x": {"S": "y"}}, index, ["id"]) == []
    entry = metering.index_writes(None, before, index, ["id"])[0]
    assert entry == metering.item_size(before) + metering.INDEX_OVERHEAD


def test_sqs_and_sns_bill_each_64_kb_chunk_as_one_request():
    assert metering.chunks(0) == 1
    assert metering.chunks(64 * 1024) == 1
    assert metering.chunks(64 * 1024 + 1) == 2
    assert metering.chunks(256 * 1024) == 4


def test_lambda_duration_is_rounded_up_per_invocation_to_the_millisecond():
    # 1.0001 ms bills 2 ms, 3 ms bills 3 ms: 5 ms at 512 MB
    assert metering.lambda_gb_seconds([0.0010001, 0.003], 512) == pytest.approx(0.005 * 0.5)


def test_usd_per_1000_inquiries_divides_the_counted_quantities_by_the_inquiries():
    unit = {name: price.usd for name, price in prices.PRICES.items()}
    quantities = {"state_transitions": 60.0, "api_gateway_requests": 50.0}
    per_1000 = metering.usd_per_1000(quantities, 10, unit)
    assert per_1000["state_transitions"] == pytest.approx(6 * 0.025)  # 6 transitions, $0.025 per 1,000
    assert per_1000["api_gateway_requests"] == pytest.approx(5 * 3.70 / 1000)
    assert per_1000["sqs_requests"] == 0
    assert set(per_1000) == set(metering.QUANTITY_PRICES)
    with pytest.raises(ValueError):
        metering.usd_per_1000(quantities, 0, unit)


def test_every_quantity_has_a_price_with_a_source_and_a_date():
    for name in metering.QUANTITY_PRICES.values():
        price = prices.PRICES[name]
        assert price.source.startswith("https://") and price.read
    assert prices.PRICES["connect_chat_message"].source.startswith("https://aws.amazon.com/connect/")


def test_connect_comparison_is_four_messages_per_inquiry_and_a_ratio():
    connect = metering.connect_usd_per_1000(0.004, 4)
    assert connect == pytest.approx(16.0)
    assert metering.times_below(connect, 0.32) == pytest.approx(50.0)
    assert math.isinf(metering.times_below(connect, 0.0))

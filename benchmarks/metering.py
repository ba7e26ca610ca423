"""What the local stack's AWS requests would be billed: counted at botocore's event hooks, priced per inquiry.

Two halves. The pure half turns requests into billed units the way AWS documents it, and units into USD:

- DynamoDB sizes and units (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/
  CapacityUnitCalculations.html and .../read-write-operations.html): an item's size is the UTF-8 bytes of
  its attribute names plus its values (a number 1 byte per two significant digits plus 1, a binary its raw
  bytes, a boolean or null 1 byte, a list or map 3 bytes plus 1 byte per element); a read request unit
  covers 4 KB strongly consistent (half of one eventually consistent, two transactional), a write request
  unit 1 KB (two transactional); a GetItem rounds its item up to 4 KB, a Query the sum of every item it
  read (before any filter), a BatchGetItem each item; a write bills the larger of the item before and after
  it, and a write that fails its condition still bills the item as it is (at least 1). A write that puts an
  item into, changes it in or removes it from a global secondary index bills the index entry too (key
  attributes, projected attributes and 100 bytes; https://docs.aws.amazon.com/amazondynamodb/latest/
  developerguide/GSI.html#GSI.ThroughputConsiderations.Writes): a changed index key two writes.
- SQS and SNS bill each 64 KB chunk of a request's payload as one request
  (https://aws.amazon.com/sqs/pricing/, https://aws.amazon.com/sns/pricing/).
- Lambda bills each invocation's duration rounded up to 1 ms, the INIT phase included, times its memory.

The other half, ``AwsMeter``, registers ``before-parameter-build`` and ``after-call`` handlers on every
botocore client created while it is installed (boto3's and PynamoDB's alike: both create their clients
through ``botocore.session.Session.create_client``). DynamoDB's consumed capacity is computed from item
sizes, not asked for with ``ReturnConsumedCapacity``: the emulator answers that with fixed numbers (0.5 for
any GetItem, 1 for any PutItem or Query) that do not depend on the item. The item before a write, and the
whole item behind a projected read, are looked up in the emulator's table directly, which makes no request.
"""

from __future__ import annotations

import base64
import math
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

READ_BLOCK = 4096
WRITE_BLOCK = 1024
CHUNK = 64 * 1024
INDEX_OVERHEAD = 100

# ---------------------------------------------------------------- DynamoDB sizes and units (pure)


def _utf8(text: str) -> int:
    return len(text.encode("utf-8"))


def number_size(text: str) -> int:
    """1 byte per two significant digits, plus 1 (leading and trailing zeroes trimmed)."""
    mantissa = text.strip().lstrip("+-").lower().split("e")[0].replace(".", "")
    significant = mantissa.strip("0")
    return math.ceil(len(significant) / 2) + 1


def _binary_size(value: Any) -> int:
    return len(value) if isinstance(value, bytes | bytearray) else len(base64.b64decode(value))


def value_size(value: Mapping[str, Any]) -> int:
    """The size of one attribute value in DynamoDB's JSON (``{"S": "..."}``), without its name."""
    ((kind, data),) = value.items()
    if kind == "S":
        return _utf8(data)
    if kind == "N":
        return number_size(data)
    if kind == "B":
        return _binary_size(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(_utf8(v) for v in data)
    if kind == "NS":
        return sum(number_size(v) for v in data)
    if kind == "BS":
        return sum(_binary_size(v) for v in data)
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in data)
    if kind == "M":
        return 3 + sum(_utf8(k) + value_size(v) + 1 for k, v in data.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: Mapping[str, Mapping[str, Any]] | None) -> int:
    """An item's size in bytes: its attribute names and values (0 for no item)."""
    return sum(_utf8(name) + value_size(value) for name, value in (item or {}).items())


def read_units(size: int, consistent: bool = False, transactional: bool = False) -> float:
    """Read request units of one read of ``size`` bytes (rounded up to 4 KB, at least one block)."""
    blocks = max(1, math.ceil(size / READ_BLOCK))
    return blocks * (2.0 if transactional else 1.0 if consistent else 0.5)


def write_units(size: int, transactional: bool = False) -> float:
    """Write request units of one write of an item of ``size`` bytes (rounded up to 1 KB, at least 1)."""
    return max(1, math.ceil(size / WRITE_BLOCK)) * (2.0 if transactional else 1.0)


@dataclass(frozen=True)
class IndexShape:
    """A global secondary index: its key attributes and what it projects (ALL, KEYS_ONLY or INCLUDE)."""

    keys: tuple[str, ...]
    projection: str = "ALL"
    included: tuple[str, ...] = ()


def projected(item: Mapping[str, Any], index: IndexShape, table_keys: Iterable[str]) -> dict[str, Any]:
    """The attributes of ``item`` that its index entry holds."""
    if index.projection == "ALL":
        return dict(item)
    keep = (
        set(index.keys) | set(table_keys) | (set(index.included) if index.projection == "INCLUDE" else set())
    )
    return {k: v for k, v in item.items() if k in keep}


def index_entry(item: Mapping[str, Any], index: IndexShape, table_keys: Iterable[str]) -> int:
    return item_size(projected(item, index, table_keys)) + INDEX_OVERHEAD


def index_writes(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    index: IndexShape,
    table_keys: Iterable[str],
) -> list[int]:
    """The sizes of the index entries a write to the table writes in the index (none, one or two)."""
    keys = tuple(table_keys)

    def present(item: Mapping[str, Any] | None) -> bool:
        return item is not None and all(k in item for k in index.keys)

    was, now = present(before), present(after)
    if was and now:
        assert before is not None and after is not None
        if any(before[k] != after[k] for k in index.keys):
            return [index_entry(before, index, keys), index_entry(after, index, keys)]
        if projected(before, index, keys) == projected(after, index, keys):
            return []
        return [max(index_entry(before, index, keys), index_entry(after, index, keys))]
    if was:
        assert before is not None
        return [index_entry(before, index, keys)]
    if now:
        assert after is not None
        return [index_entry(after, index, keys)]
    return []


def chunks(payload_bytes: int) -> int:
    """SQS and SNS requests billed for one call carrying ``payload_bytes`` (each 64 KB chunk, at least 1)."""
    return max(1, math.ceil(payload_bytes / CHUNK))


# ---------------------------------------------------------------- price arithmetic (pure)


def lambda_gb_seconds(durations_s: Iterable[float], memory_mb: int) -> float:
    """GB-seconds billed for invocations of these durations: each rounded up to 1 ms."""
    billed_ms = sum(math.ceil(round(d * 1000, 6)) for d in durations_s)
    return billed_ms / 1000 * memory_mb / 1024


# quantity counted -> the price (benchmarks/prices.py) it is billed at
QUANTITY_PRICES = {
    "api_gateway_requests": "apigateway_rest_request",
    "lambda_requests": "lambda_request",
    "lambda_gb_seconds": "lambda_arm_gb_second",
    "sqs_requests": "sqs_standard_request",
    "dynamodb_write_units": "dynamodb_write_request_unit",
    "dynamodb_read_units": "dynamodb_read_request_unit",
    "state_transitions": "stepfunctions_standard_transition",
    "sns_publish_requests": "sns_publish_request",
    "sns_email_notifications": "sns_email_notification",
    "ses_messages": "ses_outbound_message",
    "secrets_manager_calls": "secretsmanager_api_call",
    "ssm_parameter_calls": "ssm_standard_parameter_call",
}


def usd_per_1000(
    quantities: Mapping[str, float], inquiries: int, prices: Mapping[str, float]
) -> dict[str, float]:
    """USD per 1,000 inquiries of each counted quantity, for quantities counted over ``inquiries``."""
    if inquiries <= 0:
        raise ValueError("at least one inquiry")
    return {
        name: quantities.get(name, 0.0) * prices[price] * 1000 / inquiries
        for name, price in QUANTITY_PRICES.items()
    }


def connect_usd_per_1000(price_per_message: float, messages_per_inquiry: int) -> float:
    return price_per_message * messages_per_inquiry * 1000


def times_below(reference: float, cost: float) -> float:
    """How many times ``cost`` fits into ``reference`` (infinite for a cost of 0)."""
    return math.inf if cost <= 0 else reference / cost


# ---------------------------------------------------------------- counting at botocore's hooks


@dataclass
class DynamoTally:
    read_units: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))  # by table
    write_units: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    index_write_units: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    items_read: Counter[str] = field(default_factory=Counter)  # Query: ScannedCount, GetItem: the item
    estimated_reads: int = 0  # Query items dropped by a filter, sized as the mean of those returned

    def clear(self) -> None:
        for counter in (self.read_units, self.write_units, self.index_write_units, self.items_read):
            counter.clear()
        self.estimated_reads = 0


class EmulatorTables:
    """Items as the emulator's DynamoDB holds them, read without a request."""

    def __init__(self, account: str, region: str) -> None:
        self.account, self.region = account, region

    def _table(self, name: str) -> Any:
        from moto.dynamodb.models import dynamodb_backends

        return dynamodb_backends[self.account][self.region].get_table(name)

    def keys(self, name: str) -> tuple[str, ...]:
        table = self._table(name)
        return tuple(k for k in (table.hash_key_attr, table.range_key_attr) if k)

    def indexes(self, name: str) -> list[IndexShape]:
        shapes = []
        for index in self._table(name).global_indexes:
            projection = index.projection or {}
            shapes.append(
                IndexShape(
                    tuple(k["AttributeName"] for k in index.schema),
                    projection.get("ProjectionType", "ALL"),
                    tuple(projection.get("NonKeyAttributes", ())),
                )
            )
        return shapes

    def get(self, name: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        table = self._table(name)
        hash_key = DynamoType(dict(key[table.hash_key_attr]))
        range_key = DynamoType(dict(key[table.range_key_attr])) if table.range_key_attr else None
        found = table.get_item(hash_key, range_key)
        return dict(found.to_json()["Attributes"]) if found is not None else None

    def key_of(self, name: str, item: Mapping[str, Any]) -> dict[str, Any]:
        return {k: item[k] for k in self.keys(name)}


_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")


class AwsMeter:
    """Counts the AWS requests made while ``counts()`` is true, by service and operation, and what DynamoDB,
    SQS and SNS bill for them. ``install`` before the clients are created (before the stack starts)."""

    def __init__(self, tables: EmulatorTables, counts: Callable[[], bool]) -> None:
        self.tables = tables
        self.counts = counts
        self.calls: Counter[str] = Counter()  # "service Operation"
        self.billed_requests: Counter[str] = Counter()  # sqs, sns: 64 KB chunks
        self.empty_receives = 0
        self.ses_messages = 0
        self.dynamodb = DynamoTally()
        self.reads: list[str] = []  # one line per DynamoDB read: operation table[/index] key items
        self.enabled = False
        self._lock = threading.Lock()
        self._original: Any = None

    # -- installation
    def install(self) -> None:
        import botocore.session

        self._original = original = botocore.session.Session.create_client
        meter = self

        def create_client(session: Any, *args: Any, **kwargs: Any) -> Any:
            client = original(session, *args, **kwargs)
            client.meta.events.register("before-parameter-build", meter._before)
            client.meta.events.register("after-call", meter._after)
            return client

        botocore.session.Session.create_client = create_client  # type: ignore[method-assign]

    def uninstall(self) -> None:
        import botocore.session

        botocore.session.Session.create_client = self._original  # type: ignore[method-assign]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.billed_requests.clear()
            self.empty_receives = 0
            self.ses_messages = 0
            self.dynamodb.clear()
            self.reads = []

    # -- the hooks
    def _before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if not self.enabled or not self.counts():
            return
        before: dict[str, Any] = {}
        if model.service_model.service_name == "dynamodb" and model.name in _WRITES:
            before = self._images(model.name, params)
        context["kanal_meter"] = {"params": params, "before": before}

    def _after(
        self, http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        seen = context.pop("kanal_meter", None)
        if seen is None:
            return
        service, operation, params = model.service_model.service_name, model.name, seen["params"]
        failed = getattr(http_response, "status_code", 200) >= 300
        with self._lock:
            self.calls[f"{service} {operation}"] += 1
            if service == "dynamodb":
                self._dynamodb(operation, params, parsed, seen["before"], failed)
            elif service in ("sqs", "sns"):
                self._messaging(service, operation, params, parsed)
            elif service in ("ses", "sesv2") and not failed and operation.startswith("Send"):
                self.ses_messages += _recipients(params)

    # -- SQS and SNS
    def _messaging(
        self, service: str, operation: str, params: dict[str, Any], parsed: dict[str, Any]
    ) -> None:
        if operation == "ReceiveMessage":
            messages = parsed.get("Messages") or []
            if not messages:
                self.empty_receives += 1
                return
            self.billed_requests[f"{service} {operation}"] += chunks(sum(_message_bytes(m) for m in messages))
            return
        if operation in ("SendMessage", "Publish"):
            payload = _message_bytes(params)
        elif operation in ("SendMessageBatch", "PublishBatch"):
            payload = sum(_message_bytes(e) for e in params.get("Entries", []))
        else:
            payload = 0
        self.billed_requests[f"{service} {operation}"] += chunks(payload)

    # -- DynamoDB
    def _images(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """The items a write is about to change, as they are now: {(table, key json): item or None}."""
        images: dict[str, Any] = {}
        for table, key in _write_targets(self.tables, operation, params):
            images[_ref(table, key)] = self.tables.get(table, key)
        return images

    def _dynamodb(
        self,
        operation: str,
        params: dict[str, Any],
        parsed: dict[str, Any],
        before: dict[str, Any],
        failed: bool,
    ) -> None:
        if operation in ("Query", "Scan"):
            self._query(params, parsed)
        elif operation in _WRITES:
            self._writes(operation, params, before, failed)
        else:
            for table, key, consistent, transactional in _read_targets(operation, params):
                item = self.tables.get(table, key)
                self.dynamodb.read_units[table] += read_units(item_size(item), consistent, transactional)
                self.dynamodb.items_read[table] += 1 if item else 0
                self.reads.append(f"{operation} {table} {1 if item else 0}")

    def _writes(self, operation: str, params: dict[str, Any], before: dict[str, Any], failed: bool) -> None:
        tally, transactional = self.dynamodb, operation == "TransactWriteItems"
        for table, key in _write_targets(self.tables, operation, params):
            old = before.get(_ref(table, key))
            new = None if failed else self.tables.get(table, key)
            tally.write_units[table] += write_units(max(item_size(old), item_size(new)), transactional)
            if failed:
                continue
            for index in self.tables.indexes(table):
                for size in index_writes(old, new, index, self.tables.keys(table)):
                    tally.index_write_units[table] += write_units(size)

    def _query(self, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        table = params["TableName"]
        items = parsed.get("Items") or []
        scanned = int(parsed.get("ScannedCount", len(items)))
        projected = bool(params.get("ProjectionExpression") or params.get("AttributesToGet"))
        sizes = [
            item_size(self.tables.get(table, self.tables.key_of(table, i)) if projected else i) for i in items
        ]
        dropped = max(0, scanned - len(items))
        if dropped:
            self.dynamodb.estimated_reads += dropped
        mean = sum(sizes) / len(sizes) if sizes else 0.0
        total = sum(sizes) + dropped * mean
        consistent = bool(params.get("ConsistentRead")) and not params.get("IndexName")
        self.dynamodb.read_units[table] += read_units(math.ceil(total), consistent)
        self.dynamodb.items_read[table] += scanned
        partition: dict[str, Any] = next(iter((params.get("ExpressionAttributeValues") or {}).values()), {})
        where = f"{table}/{params['IndexName']}" if params.get("IndexName") else table
        self.reads.append(f"Query {where} {next(iter(partition.values()), '')} {scanned}")

    def totals(self) -> dict[str, float]:
        with self._lock:
            tally = self.dynamodb
            return {
                "dynamodb_read_units": float(sum(tally.read_units.values())),
                "dynamodb_write_units": float(
                    sum(tally.write_units.values()) + sum(tally.index_write_units.values())
                ),
                "sqs_requests": float(
                    sum(v for k, v in self.billed_requests.items() if k.startswith("sqs "))
                ),
                "sns_publish_requests": float(
                    sum(v for k, v in self.billed_requests.items() if k.startswith("sns "))
                ),
                "ses_messages": float(self.ses_messages),
                "secrets_manager_calls": float(
                    sum(v for k, v in self.calls.items() if k.startswith("secretsmanager "))
                ),
                "ssm_parameter_calls": float(sum(v for k, v in self.calls.items() if k.startswith("ssm "))),
            }


def _read_targets(operation: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any], bool, bool]]:
    """(table, key, strongly consistent, transactional) of every item a key read names."""
    if operation == "GetItem":
        return [(params["TableName"], dict(params["Key"]), bool(params.get("ConsistentRead")), False)]
    if operation == "BatchGetItem":
        return [
            (table, dict(key), bool(request.get("ConsistentRead")), False)
            for table, request in params.get("RequestItems", {}).items()
            for key in request.get("Keys", [])
        ]
    if operation == "TransactGetItems":
        return [
            (entry["Get"]["TableName"], dict(entry["Get"]["Key"]), True, True)
            for entry in params.get("TransactItems", [])
        ]
    return []


def _ref(table: str, key: Mapping[str, Any]) -> str:
    return f"{table}|{sorted((k, str(v)) for k, v in key.items())}"


def _write_targets(
    tables: EmulatorTables, operation: str, params: dict[str, Any]
) -> list[tuple[str, dict[str, Any]]]:
    """(table, key) of every item a write names."""
    if operation == "PutItem":
        return [(params["TableName"], tables.key_of(params["TableName"], params["Item"]))]
    if operation in ("UpdateItem", "DeleteItem"):
        return [(params["TableName"], dict(params["Key"]))]
    targets = []
    if operation == "BatchWriteItem":
        for table, requests in params.get("RequestItems", {}).items():
            for request in requests:
                if "PutRequest" in request:
                    targets.append((table, tables.key_of(table, request["PutRequest"]["Item"])))
                else:
                    targets.append((table, dict(request["DeleteRequest"]["Key"])))
    if operation == "TransactWriteItems":
        for entry in params.get("TransactItems", []):
            ((kind, action),) = entry.items()
            key = tables.key_of(action["TableName"], action["Item"]) if kind == "Put" else dict(action["Key"])
            targets.append((action["TableName"], key))
    return targets


def _message_bytes(message: Mapping[str, Any]) -> int:
    """A message's billed payload: its body and its attributes' names, types and values."""
    body = message.get("MessageBody", message.get("Body", message.get("Message", ""))) or ""
    size = _utf8(body)
    for name, value in (message.get("MessageAttributes") or {}).items():
        size += _utf8(name) + _utf8(value.get("DataType", ""))
        size += _utf8(str(value.get("StringValue", ""))) + len(value.get("BinaryValue", b"") or b"")
    return size


def _recipients(params: Mapping[str, Any]) -> int:
    destination = params.get("Destination") or {}
    found = sum(len(destination.get(k, [])) for k in ("ToAddresses", "CcAddresses", "BccAddresses"))
    return found or len(params.get("Destinations", [])) or 1

"""What only makes the emulator (moto) faster: each patch changes how long a call takes, never what it
answers. The local stack runs with all of them unless `KANAL_EMULATOR_SPEEDUPS=off` (`wanted`), so a
benchmark can measure with and without them, and says which it did (`emulator_speedups` in its results
file and in `make bench`'s summary). What the emulator needs to run the template at all is in
`needs.py`. Each patch has a test in `tests/integration/test_emulator_speedups.py` that fails if an
emulator upgrade moves what it patches.

1. Memory: moto registers every model instance for its dashboard; a DynamoDB transaction's rollback copies
   of whole tables stayed in that registry forever. DynamoDB's models are not registered here.
2. DynamoDB transactions: moto's `transact_write_items` deep-copies every table a transaction names
   before it starts, as its rollback copy, so each transaction cost time in proportion to the table
   (ingest's inquiry transaction took 0.19 s at 400 inquiries and grew with every one). Ours copies only
   the items the transaction names, and puts exactly those back when moto cancels it.
3. DynamoDB queries on a table's own key: moto sorts every item of the table and then keeps the one
   partition the query names, so a query cost time in proportion to the table (the customer's contacts,
   read for every inquiry routed, slowed down as a burst filled the table). Inside such a query moto's
   `all_items` hands out that partition only; a query on an index still reads every item, as before.
4. DynamoDB's answers: moto serialises them by walking the service model, and for every attribute value
   it asks for each of the ten members a value could have (a fifth of the drain's time went to the
   items of `GetItem` and `UpdateItem`). An attribute value is turned into its wire form directly here
   (the same JSON: strings, numbers as strings, binaries in base64, sets, maps, lists, booleans); the
   rest of the answer is moto's own.
5. DynamoDB update expressions: moto parses an `UpdateItem`'s expression twice per call (once to check
   the names and values it uses, once to apply it), each time from its text. The parsed expression is
   kept per text: it is only read, and what applies it works on its own deep copy (moto's `Validator`).
6. SQS sends and receives: moto's `SendMessage` reads the queue's `attributes` (twice, for content-based
   deduplication), and `ReceiveMessage` once per message it hands out (for the retention period); that
   property counts the queue's visible, delayed and in-flight messages, each a walk over every message
   with a clock reading per message. So a send and a receive cost time in proportion to the queue's depth,
   and a burst slowed down as it grew (28 ms a send at 2,000 queued). Inside those two calls the counts
   are left out of `attributes`; `GetQueueAttributes` still has them.
7. SQS SendMessageBatch (what every webhook delivery's acknowledgement waits on) goes straight to the
   emulator's SQS backend, as a shortcut of `needs`' call wrapper: botocore's request signing and
   serialising, and moto's parsing of that request and serialising of its answer, were 2.7 ms of a
   4.4 ms acknowledgement, all in the one interpreter. Still: the role is checked (`needs` checks every
   call before any shortcut), botocore validates the parameters, and its `before-parameter-build` and
   `after-call` events fire as for any call (the cost benchmark counts requests there); the backend's own
   checks run, and any error it raises sends the call the usual way, so it fails exactly as before.
   Binary message attributes take the usual way too.
8. Step Functions parsing: moto parses a state machine's definition with ANTLR at the start of every
   execution (24 ms for the routing machine here, the same text every time), and every JSONPath
   (`ResultPath` and the like) each time a state applies it (1.4 ms each). The parse trees and JSONPath
   expressions are kept per text; each execution still builds its own program from the tree.
9. Step Functions' Lambda tasks: moto builds a new boto3 client for every task it runs (a tenth of the
   routing's time here). One client per region is kept and shared (botocore's clients are thread-safe);
   it is built exactly as moto builds it.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

import moto.dynamodb.models as dynamodb_models
from botocore.validate import validate_parameters
from moto.core import serialize as moto_serialize
from moto.core.models import botocore_stubber
from moto.core.utils import camelcase_to_underscores
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing import expressions as dynamodb_expressions
from moto.moto_api._internal import mock_random
from moto.sqs.exceptions import EmptyBatchRequest
from moto.sqs.models import Queue, SQSBackend, sqs_backends
from moto.sqs.utils import validate_message_attributes
from moto.stepfunctions.parser.asl.component.common.path import result_path as sfn_result_path
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
from moto.stepfunctions.parser.asl.utils import json_path as sfn_json_path

from kanal_local.emulator import needs

# `KANAL_EMULATOR_SPEEDUPS` values that turn the speed-ups off (anything else, or unset: on)
OFF = ("0", "off", "false", "no")

UpdateExpressionParser: Any = dynamodb_expressions.UpdateExpressionParser  # type: ignore[attr-defined]

_active: dict[str, bool] = {}
_moto_transact_write_items = DynamoDBBackend.transact_write_items
_moto_queue_attributes = Queue.attributes
_moto_send_message = SQSBackend.send_message
_moto_receive_message = SQSBackend.receive_message
_moto_boto_client_for = lambda_eval_utils.boto_client_for
_moto_table_query = Table.query
_moto_all_items = Table.all_items


def wanted(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the local stack runs with the speed-ups: yes, unless `KANAL_EMULATOR_SPEEDUPS` is one of
    `OFF`."""
    value = (os.environ if environ is None else environ).get("KANAL_EMULATOR_SPEEDUPS", "")
    return value.strip().lower() not in OFF


def active() -> bool:
    """Whether the speed-ups are in place now."""
    return bool(_active)


def install() -> None:
    """Put every speed-up in place (once: a second call changes nothing)."""
    if _active:
        return
    _active["on"] = True
    untrack_dynamodb_models()  # 1.
    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]  # 2.
    Table.query = _table_query  # type: ignore[method-assign]  # 3.
    Table.all_items = _all_items  # type: ignore[method-assign]
    moto_serialize.SERVICE_SPECIFIC_SERIALIZERS["dynamodb"] = {"json": DynamoDBSerializer}  # 4.
    UpdateExpressionParser.make = _update_expressions  # 5.
    Queue.attributes = property(_queue_attributes)  # type: ignore[method-assign,assignment]  # 6.
    SQSBackend.send_message = _without_counts(_moto_send_message)  # type: ignore[method-assign]
    SQSBackend.receive_message = _without_counts(_moto_receive_message)  # type: ignore[method-assign]
    needs.shortcuts[("sqs", "SendMessageBatch")] = _send_message_batch  # 7.
    AmazonStateLanguageParser.parse = staticmethod(_parse_definition)  # type: ignore[method-assign]  # 8.
    for module, cached in _json_paths.items():
        module.parse = cached  # type: ignore[attr-defined]
    lambda_eval_utils.boto_client_for = _shared_client  # type: ignore[attr-defined]  # 9.


def uninstall() -> None:
    """Take every speed-up out (DynamoDB's models stay unregistered: that registry only feeds a dashboard)."""
    if not _active:
        return
    DynamoDBBackend.transact_write_items = _moto_transact_write_items  # type: ignore[method-assign]
    Table.query = _moto_table_query  # type: ignore[method-assign]
    Table.all_items = _moto_all_items  # type: ignore[method-assign]
    moto_serialize.SERVICE_SPECIFIC_SERIALIZERS.pop("dynamodb", None)
    UpdateExpressionParser.make = classmethod(_moto_update_expression)
    Queue.attributes = _moto_queue_attributes  # type: ignore[method-assign]
    SQSBackend.send_message = _moto_send_message  # type: ignore[method-assign]
    SQSBackend.receive_message = _moto_receive_message  # type: ignore[method-assign]
    needs.shortcuts.pop(("sqs", "SendMessageBatch"), None)
    AmazonStateLanguageParser.parse = staticmethod(_moto_parse_definition)  # type: ignore[method-assign]
    for module, parse in _JSONPATH_USERS.items():
        module.parse = parse  # type: ignore[attr-defined]
    lambda_eval_utils.boto_client_for = _moto_boto_client_for  # type: ignore[attr-defined]
    _shared_clients.clear()
    _active.clear()


# ---------------------------------------------------------------------------------------------- 1. memory


class _Untracked(list):  # type: ignore[type-arg]
    """An instance registry that keeps nothing."""

    def append(self, instance: Any) -> None:
        return None


def untrack_dynamodb_models() -> None:
    """moto registers every model instance it creates, for its dashboard only; a DynamoDB transaction
    deep-copies each table it touches (its rollback copy), so the registry grew with the square of the
    inquiries. DynamoDB's models keep no registry here."""
    import moto.dynamodb.models  # noqa: F401 - registers the DynamoDB model classes
    from moto.core.model_instances import model_data

    for model in model_data.get("dynamodb", {}).values():
        model.instances_tracked = _Untracked()  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------- 2. DynamoDB transactions


class _ItemCopies:
    """moto's `copy` module for the length of one transaction: a table is not copied (the items the
    transaction names are), anything else is as before."""

    copy = staticmethod(copy.copy)

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


Snapshot = tuple[Table, DynamoType, DynamoType | None, Item | None]


def _snapshots(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[Snapshot]:
    """A copy of each item a transaction names, as it is now (None: not there)."""
    saved: list[Snapshot] = []
    for entry in transact_items:
        for operation in entry.values():
            name = operation.get("TableName") if isinstance(operation, dict) else None
            table = backend.tables.get(name) if isinstance(name, str) else None
            key = (operation.get("Item") or operation.get("Key") or {}) if table is not None else {}
            if table is None or table.hash_key_attr not in key:
                continue  # moto refuses it before it writes anything
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = None
            if table.range_key_attr is not None:
                if table.range_key_attr not in key:
                    continue
                range_value = DynamoType(key[table.range_key_attr])
            saved.append(
                (table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value)))
            )
    return saved


def _restore(saved: list[Snapshot]) -> None:
    for table, hash_value, range_value, item in reversed(saved):
        items: dict[DynamoType, Any] = table.items  # an Item per hash key, or a dict of them per range key
        if range_value is not None:
            if item is None:
                items[hash_value].pop(range_value, None)
            else:
                items[hash_value][range_value] = item
        elif item is None:
            items.pop(hash_value, None)
        else:
            items[hash_value] = item


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """moto's transaction with a rollback copy of the items it names instead of whole tables (every
    DynamoDB call holds the DynamoDB lock of `needs`, 6., so nothing else reads the tables meanwhile)."""
    saved = _snapshots(self, transact_items)
    dynamodb_models.copy = _ItemCopies  # type: ignore[assignment]
    try:
        _moto_transact_write_items(self, transact_items)
    except Exception:
        _restore(saved)
        raise
    finally:
        dynamodb_models.copy = copy


# --------------------------------------------------------------- 3. DynamoDB queries on a table's own key


_partition = threading.local()  # (table, hash key) while this thread runs a query on a table's own key


def _table_query(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    if index_name or hash_key is None:
        return _moto_table_query(self, hash_key, *args, **kwargs)
    outer, _partition.key = getattr(_partition, "key", None), (self, hash_key)
    try:
        return _moto_table_query(self, hash_key, *args, **kwargs)
    finally:
        _partition.key = outer


def _all_items(self: Table) -> list[Item]:
    """moto's `all_items`, or inside a query on this table's own key the items of that one partition
    (see 3. above; moto keeps only those of the whole table and sorts them again by range key)."""
    scope = getattr(_partition, "key", None)
    if scope is None or scope[0] is not self:
        return _moto_all_items(self)
    found = self.items.get(scope[1])  # .get: items is a defaultdict, a lookup must not add a partition
    if found is None:
        return []
    # unsorted: the query sorts what all_items gives by range key itself
    return list(found.values()) if self.range_key_attr else [found]  # type: ignore[list-item]


# ---------------------------------------------------------------------------------- 4. DynamoDB's answers


def _wire_value(serializer: Any, value: dict[str, Any]) -> dict[str, Any]:
    """One DynamoDB attribute value as moto's JSON serializer writes it (see 4. above)."""
    wire: dict[str, Any] = {}
    for name, member in value.items():
        if member is None:
            continue
        if name in ("S", "N"):
            wire[name] = str(member) if member not in ({}, []) else member
        elif name == "B":
            wire[name] = serializer._base64(member)
        elif name in ("SS", "NS"):
            wire[name] = [str(v) if v not in (None, {}, []) else v for v in member]
        elif name == "BS":
            wire[name] = [serializer._base64(v) for v in member]
        elif name == "M":
            wire[name] = {key: _wire_value(serializer, v) for key, v in member.items()}
        elif name == "L":
            wire[name] = [_wire_value(serializer, v) for v in member]
        elif name in ("NULL", "BOOL"):
            wire[name] = member in (True, "True", "true")
    return wire


class DynamoDBSerializer(moto_serialize.JSONSerializer):
    """moto's JSON serializer, with attribute values written directly (see 4. above)."""

    def _serialize(self, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if shape.name == "AttributeValue" and type(value) is dict:
            self._default_serialize(serialized, _wire_value(self, value), shape, key)
            return
        super()._serialize(serialized, value, shape, key)


# ------------------------------------------------------------------------- 5. DynamoDB update expressions

_moto_update_expression = UpdateExpressionParser.make.__func__


@functools.lru_cache(maxsize=4096)
def _parsed_update_expression(parser: type, expression: str) -> Any:
    return _moto_update_expression(parser, expression)


def _make_update_expression(parser: type, expression: str) -> Any:
    """moto's `UpdateExpressionParser.make`, once per text (see 5. above)."""
    return _parsed_update_expression(parser, expression)


_update_expressions: classmethod[Any, [str], Any] = classmethod(_make_update_expression)

# ------------------------------------------------------------------------------ 6. SQS sends and receives

_snake_case = functools.lru_cache(maxsize=256)(camelcase_to_underscores)
_quick = threading.local()  # set while this thread is inside SQS's SendMessage or ReceiveMessage
_COUNTS = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesDelayed",
    "ApproximateNumberOfMessagesNotVisible",
)


def _queue_attributes(self: Queue) -> dict[str, Any]:
    if not getattr(_quick, "active", False):
        return _moto_queue_attributes.fget(self)  # type: ignore[no-any-return,attr-defined]
    # moto's property without the three counts (the only attributes that read the messages)
    names = [name for name in self.BASE_ATTRIBUTES if name not in _COUNTS]
    if self.fifo_queue:
        names += self.FIFO_ATTRIBUTES
    if self.kms_master_key_id:  # type: ignore[attr-defined]
        names += self.KMS_ATTRIBUTES
    result = {name: getattr(self, _snake_case(name)) for name in names}
    if self.policy:  # type: ignore[attr-defined]
        result["Policy"] = self.policy  # type: ignore[attr-defined]
    if self.redrive_policy:
        result["RedrivePolicy"] = json.dumps(self.redrive_policy)
    return {key: str(value).lower() if isinstance(value, bool) else value for key, value in result.items()}


def _without_counts(method: Callable[..., Any]) -> Callable[..., Any]:
    def call(self: SQSBackend, *args: Any, **kwargs: Any) -> Any:
        outer, _quick.active = getattr(_quick, "active", False), True
        try:
            return method(self, *args, **kwargs)
        finally:
            _quick.active = outer  # a send inside a receive (to a dead-letter queue) leaves it as it was

    return call


# -------------------------------------------------------------------------------- 7. SQS SendMessageBatch


def _send_message_batch(client: Any, api_params: dict[str, Any]) -> dict[str, Any] | None:
    """SendMessageBatch on the emulator's backend; None: take the usual way (see 7. above)."""
    entries = api_params.get("Entries")
    url = api_params.get("QueueUrl")
    if not isinstance(entries, list) or not isinstance(url, str) or not url.startswith("http"):
        return None
    if any("BinaryValue" in value for e in entries for value in (e.get("MessageAttributes") or {}).values()):
        return None
    model = client.meta.service_model.operation_model("SendMessageBatch")
    context: dict[str, Any] = {"client_region": client.meta.region_name, "client_config": client.meta.config}
    event = f"{model.service_model.service_id.hyphenize()}.{model.name}"
    client.meta.events.emit(
        f"before-parameter-build.{event}", params=api_params, model=model, context=context
    )
    validate_parameters(api_params, model.input_shape)  # botocore's ParamValidationError, as before
    account, queue_name = url.split("/")[-2:]
    backend = sqs_backends[account][client.meta.region_name]
    batch = {
        str(i): {
            **e,
            "MessageAttributes": e.get("MessageAttributes") or {},
            "DelaySeconds": e.get("DelaySeconds"),
        }
        for i, e in enumerate(entries)
    }
    try:
        queue = backend.get_queue(queue_name)
        for entry in batch.values():
            validate_message_attributes(entry["MessageAttributes"])
        if not batch:
            raise EmptyBatchRequest()
        messages, failed = backend.send_message_batch(queue_name, batch)
    except Exception:  # the backend checks everything before it sends one: the usual way answers
        return None
    successful = []
    for message in messages:
        user_id = message.user_id  # type: ignore[attr-defined]  # set by moto's send_message_batch
        sent = {"Id": user_id, "MessageId": message.id, "MD5OfMessageBody": message.body_md5}
        if message.message_attributes:
            sent["MD5OfMessageAttributes"] = message.attribute_md5
        if queue.fifo_queue:
            sent["SequenceNumber"] = message.sequence_number
        successful.append(sent)
    parsed: dict[str, Any] = {
        "Successful": successful,
        "Failed": failed,
        "ResponseMetadata": {
            "RequestId": str(mock_random.uuid4()),
            "HTTPStatusCode": 200,
            "RetryAttempts": 0,
        },
    }
    client.meta.events.emit(
        f"after-call.{event}", http_response=None, parsed=parsed, model=model, context=context
    )
    return parsed


# ------------------------------------------------------------------------------ 8. Step Functions parsing

_moto_parse_definition = AmazonStateLanguageParser.parse
# the modules that parse JSONPath, and the parser each one imported (result_path's is not the extended one)
_JSONPATH_USERS = {module: module.parse for module in (sfn_json_path, sfn_result_path)}  # type: ignore[attr-defined]
_trees: dict[str, Any] = {}


def _parse_definition(definition: str) -> tuple[Any, Any]:
    tree = _trees.get(definition)
    if tree is None:
        program, tree = _moto_parse_definition(definition)  # syntax errors raise as before
        _trees[definition] = tree
        return program, tree
    return Preprocessor().visit(tree), tree


_json_paths = {module: functools.lru_cache(maxsize=4096)(parse) for module, parse in _JSONPATH_USERS.items()}

# ------------------------------------------------------------------------ 9. Step Functions' Lambda tasks

_shared_clients: dict[tuple[str, str, bool], Any] = {}
_clients_lock = threading.Lock()


def _shared_client(region: str, service: str, state_credentials: Any = None) -> Any:
    """moto's `boto_client_for`, once per region and service (see 9. above); moto ignores the state's
    credentials as well."""
    key = (region, service, bool(botocore_stubber.enabled))
    client = _shared_clients.get(key)
    if client is None:
        with _clients_lock:
            client = _shared_clients.get(key)
            if client is None:
                client = _shared_clients[key] = _moto_boto_client_for(region, service, state_credentials)
    return client

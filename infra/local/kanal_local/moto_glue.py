"""Every place where the local stack reaches into the emulator (moto) beyond its public API.

Kept in one module so that an emulator upgrade that breaks one of these fails here, loudly, and in
`tests/integration/test_moto_glue.py`, not somewhere deep in a request. The emulator's version is pinned
in pyproject.toml.

1. Lambda invocations: moto would run a function in Docker, or answer a canned result without it. We
   replace `LambdaFunction._invoke_lambda` so that every invocation (Step Functions tasks, SNS
   subscriptions, direct `Invoke`) runs the project's own handler in-process.
2. SQS event source mappings: moto invokes the function synchronously inside `SendMessage`, without
   partial-batch responses or retries. We detach moto's mappings from their queues and poll the queues
   ourselves, as Lambda's pollers do (see `pollers.py`).
3. IAM: every botocore call made while a handler runs is checked against that function's role
   (`iam.py`), at `BaseClient._make_api_call`, the one place every client (boto3, PynamoDB) goes through.
4. Thread safety: moto's DynamoDB keeps items in plain dicts, and a query iterates them; handlers run in
   several threads here, so DynamoDB calls are serialised at the same place (one lock, never held while a
   handler runs: DynamoDB calls do not call back into Lambda).
5. SNS e-mail and SMS: moto's `Subscription.publish` applies a subscription's filter policy and then
   delivers nothing for the `email`, `email-json` and `sms` protocols. We wrap it so that every message
   that would reach such an endpoint (after moto's own filter-policy matcher and its message-structure
   parsing) is handed to a callback, `deliver`, as a `Delivery`. moto's `Topic.publish` reaches only the
   first 100 subscriptions of a topic (one page of its own listing); ours reaches every one.
7. Memory: moto registers every model instance for its dashboard; a DynamoDB transaction's rollback copies
   of whole tables stayed in that registry forever. DynamoDB's models are not registered here.
6. SES sent mail: moto keeps every message SES accepted in its backend's `sent_messages` (raw messages
   as `RawMessage` with `id`, `source`, `destinations`, `raw_data`); `sent_emails` reads them, oldest
   first, for `GET /local/emails`. Nothing is patched for it.
9. SQS sends and receives: moto's `SendMessage` reads the queue's `attributes` (twice, for content-based
   deduplication), and `ReceiveMessage` once per message it hands out (for the retention period); that
   property counts the queue's visible, delayed and in-flight messages, each a walk over every message
   with a clock reading per message. So a send and a receive cost time in proportion to the queue's depth,
   and a burst slowed down as it grew (28 ms a send at 2,000 queued). Inside those two calls the counts
   are left out of `attributes`; `GetQueueAttributes` still has them.
10. SQS SendMessageBatch (what every webhook delivery's acknowledgement waits on) goes straight to the
   emulator's SQS backend: botocore's request signing and serialising, and moto's parsing of that
   request and serialising of its answer, were 2.7 ms of a 4.4 ms acknowledgement, all in the one
   interpreter. Still: the role is checked, botocore validates the parameters, and its
   `before-parameter-build` and `after-call` events fire as for any call (the cost benchmark counts
   requests there); the backend's own checks run, and any error it raises sends the call the usual way,
   so it fails exactly as before. Binary message attributes take the usual way too.
11. Step Functions parsing: moto parses a state machine's definition with ANTLR at the start of every
   execution (24 ms for the routing machine here, the same text every time), and every JSONPath
   (`ResultPath` and the like) each time a state applies it (1.4 ms each). The parse trees and JSONPath
   expressions are kept per text; each execution still builds its own program from the tree.
8. DynamoDB transactions: moto's `transact_write_items` deep-copies every table a transaction names
   before it starts, as its rollback copy, so each transaction cost time in proportion to the table
   (ingest's inquiry transaction took 0.19 s at 400 inquiries and grew with every one). Ours copies only
   the items the transaction names, and puts exactly those back when moto cancels it.
12. Step Functions' Lambda tasks: moto builds a new boto3 client for every task it runs (a tenth of the
   routing's time here). One client per region is kept and shared (botocore's clients are thread-safe);
   it is built exactly as moto builds it.
13. DynamoDB queries on a table's own key: moto sorts every item of the table and then keeps the one
   partition the query names, so a query cost time in proportion to the table (the customer's contacts,
   read for every inquiry routed, slowed down as a burst filled the table). Inside such a query moto's
   `all_items` hands out that partition only; a query on an index still reads every item, as before.
14. DynamoDB's answers: moto serialises them by walking the service model, and for every attribute value
   it asks for each of the ten members a value could have (a fifth of the drain's time went to the
   items of `GetItem` and `UpdateItem`). An attribute value is turned into its wire form directly here
   (the same JSON: strings, numbers as strings, binaries in base64, sets, maps, lists, booleans); the
   rest of the answer is moto's own.
16. DynamoDB update expressions: moto parses an `UpdateItem`'s expression twice per call (once to check
   the names and values it uses, once to apply it), each time from its text. The parsed expression is
   kept per text: it is only read, and what applies it works on its own deep copy (moto's `Validator`).
15. The ingest queue's records, for the books of `kanal load`: SQS has no way to look at a queue without
   receiving (which counts against the redrive policy), so `queued_bodies` reads the bodies of every
   message the emulator's queue holds, waiting, delayed or in flight. Nothing is patched for it.
17. IAM's names for a call (`iam.lookups`): AWS authorises a secret by its full ARN, the name and the six
   characters Secrets Manager appended (the template's policies end in `-??????`), and a publish to an
   encrypted topic on its KMS key too. Both are read from the emulator's Secrets Manager, SNS and KMS
   backends; nothing is patched for it.
18. IAM wildcards: moto's policy evaluator turns `*` into a regular expression's `.*` and passes every
   other character through, so `?` (IAM's one character) and `.` were read as regular expression syntax
   (`-??????` fails to compile). Ours matches as IAM does: `*` any run of characters, `?` exactly one,
   everything else literally.
19. KMS key policies from CloudFormation: moto keeps a key's `KeyPolicy` as the template's object, where
   the KMS API holds and answers JSON text (its `DescribeKey` and `GetKeyPolicy` then fail on the object).
   `key_policies_as_text` turns each into JSON text right after the deploy, once CloudFormation has resolved
   the references in it.
20. Cognito in CloudFormation: moto's CloudFormation has no `AWS::Cognito::*` type, so the template's
   user pool and its clients would be left out. `CognitoUserPoolResource` and
   `CognitoUserPoolClientResource` create them through moto's Cognito backend from the template's own
   properties (schema, `LambdaConfig`, MFA, token lifetimes; `Ref` is the pool's or client's id, `Arn`
   the pool's ARN), so what references them (the API function's environment and IAM policy, the
   trigger's permission) gets the real ids. The user pool domain (managed login) stays left out.
21. Cognito triggers: moto runs no Lambda trigger. Before moto writes an ID token (sign-in and refresh
   alike), the pool's pre-token-generation function (`LambdaConfig.PreTokenGenerationConfig`, event
   version V1_0) is invoked through the local runtime with Cognito's documented event; its
   `claimsToAddOrOverride`, `claimsToSuppress` (of the claims moto adds beyond the standard ones) and
   `groupOverrideDetails.groupsToOverride` shape the token; a trigger that fails fails the sign-in with
   `UserLambdaValidationException`, as in AWS. Other triggers are not run. A refresh token moto never
   issued is refused with `NotAuthorizedException`, as Cognito does (moto raised a `KeyError`).
22. Cognito's signing keys: moto signs every pool's tokens with one RSA key (kid `dummy`) and serves its
   public half at `/{user_pool_id}/.well-known/jwks.json`; `cognito_jwks` reads that same document for
   the local gateway's check. Nothing is patched for it.
"""

from __future__ import annotations

import contextvars
import copy
import functools
import json
import re
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import botocore.client
import moto.dynamodb.models as dynamodb_models
from botocore.validate import validate_parameters
from moto.awslambda.models import LambdaFunction, lambda_backends
from moto.cloudformation import parsing as cfn_parsing
from moto.cognitoidp.exceptions import NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool, cognitoidp_backends
from moto.core import serialize as moto_serialize
from moto.core.common_models import CloudFormationModel
from moto.core.exceptions import JsonRESTError
from moto.core.models import botocore_stubber
from moto.core.utils import camelcase_to_underscores
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]  # as moto's
from moto.iam.access_control import IAMPolicyStatement
from moto.kms.models import kms_backends
from moto.moto_api._internal import mock_random
from moto.secretsmanager.models import secretsmanager_backends
from moto.sns.models import Subscription, Topic, sns_backends
from moto.sqs.exceptions import EmptyBatchRequest
from moto.sqs.models import Queue, SQSBackend, sqs_backends
from moto.sqs.utils import validate_message_attributes
from moto.stepfunctions.parser.asl.component.common.path import result_path as sfn_result_path
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
from moto.stepfunctions.parser.asl.utils import json_path as sfn_json_path
from moto.utilities.utils import load_resource

from kanal_local import iam

Invoke = Callable[[str, Any], tuple[Any, str | None]]  # (function name, event) -> (result, error type)

# The SNS protocols whose deliveries moto drops and the local stack records.
RECORDED_PROTOCOLS = ("email", "email-json", "sms")


@dataclass(frozen=True)
class Delivery:
    """One message SNS would have handed to an e-mail or SMS endpoint."""

    protocol: str  # email | email-json | sms
    endpoint: str  # the subscription's address or phone number
    topic_arn: str
    subscription_arn: str
    message_id: str  # the SNS message id of the publish
    subject: str | None
    text: str  # the message for this protocol (its key of a MessageStructure=json message)
    attributes: dict[str, str]  # message attribute values; a String.Array as its JSON text


Deliver = Callable[[Delivery], None]

_installed: dict[str, Any] = {}
_dynamodb_lock = threading.RLock()
_moto_subscription_publish = Subscription.publish
_moto_topic_publish = Topic.publish
_moto_transact_write_items = DynamoDBBackend.transact_write_items
_moto_queue_attributes = Queue.attributes
_moto_send_message = SQSBackend.send_message
_moto_receive_message = SQSBackend.receive_message
_moto_boto_client_for = lambda_eval_utils.boto_client_for
_moto_table_query = Table.query
_moto_all_items = Table.all_items
_moto_update_expression = UpdateExpressionParser.make.__func__  # type: ignore[attr-defined]
_update_expressions = classmethod(
    cast(Callable[..., Any], functools.lru_cache(maxsize=4096)(_moto_update_expression))
)
_moto_policy_match = IAMPolicyStatement._match
_moto_create_id_token = CognitoIdpUserPool.create_id_token
_moto_create_jwt = CognitoIdpUserPool.create_jwt
_moto_tokens_from_refresh_token = CognitoIdpUserPool.create_tokens_from_refresh_token
_moto_admin_initiate_auth = CognitoIdpBackend.admin_initiate_auth
_moto_initiate_auth = CognitoIdpBackend.initiate_auth


def _ignore(delivery: Delivery) -> None:
    return None


def _go() -> None:
    return None


def install(invoke: Invoke, deliver: Deliver = _ignore, before_call: Callable[[], None] = _go) -> None:
    """Route moto's Lambda invocations to ``invoke``, check AWS calls against the running role, hand
    every SNS e-mail and SMS delivery to ``deliver``, and call ``before_call`` before every AWS call (the
    runtime's turn: `runtime.Foreground`)."""
    _installed["invoke"] = invoke
    _installed["deliver"] = deliver
    _installed["before_call"] = before_call
    if "_make_api_call" in _installed:
        return
    _installed["_invoke_lambda"] = LambdaFunction._invoke_lambda
    _installed["_make_api_call"] = botocore.client.BaseClient._make_api_call

    def _invoke_lambda(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
        result, error = _installed["invoke"](self.function_name, event if event is not None else {})
        return json.dumps(result), error is not None, ""

    original_call = _installed["_make_api_call"]

    def _make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        _installed["before_call"]()
        service = self.meta.service_model.signing_name
        role = iam.current_role.get()
        if role is not None:
            iam.check(role, service, self.meta.region_name, operation_name, api_params)
        if service == "sqs" and operation_name == "SendMessageBatch":
            answer = _send_message_batch(self, api_params)
            if answer is not None:
                return answer
        if service == "dynamodb":
            with (
                _dynamodb_lock
            ):  # moto's tables are plain dicts: a query iterating one while a put adds fails
                return original_call(self, operation_name, api_params)
        return original_call(self, operation_name, api_params)

    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]
    botocore.client.BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]
    Subscription.publish = _sns_publish  # type: ignore[method-assign]
    Topic.publish = _topic_publish  # type: ignore[method-assign]
    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
    AmazonStateLanguageParser.parse = staticmethod(_parse_definition)  # type: ignore[method-assign]
    for module, cached in _json_paths.items():
        module.parse = cached  # type: ignore[attr-defined]
    Queue.attributes = property(_queue_attributes)  # type: ignore[method-assign,assignment]
    SQSBackend.send_message = _without_counts(_moto_send_message)  # type: ignore[method-assign]
    SQSBackend.receive_message = _without_counts(_moto_receive_message)  # type: ignore[method-assign]
    lambda_eval_utils.boto_client_for = _shared_client  # type: ignore[attr-defined]
    Table.query = _table_query  # type: ignore[method-assign]
    Table.all_items = _all_items  # type: ignore[method-assign]
    moto_serialize.SERVICE_SPECIFIC_SERIALIZERS["dynamodb"] = {"json": DynamoDBSerializer}
    UpdateExpressionParser.make = _update_expressions  # type: ignore[method-assign,assignment]
    IAMPolicyStatement._match = staticmethod(_policy_match)  # type: ignore[method-assign,assignment]
    iam.lookups = iam.Lookups(secret_arn=_secret_arn, topic_key=_topic_key)
    untrack_dynamodb_models()
    cfn_parsing.get_model_map.cache_clear()  # the Cognito resources below (20.) join moto's types
    cfn_parsing.get_name_type_map.cache_clear()
    CognitoIdpUserPool.create_id_token = _create_id_token  # type: ignore[method-assign]
    CognitoIdpUserPool.create_jwt = _create_jwt  # type: ignore[method-assign]
    CognitoIdpUserPool.create_tokens_from_refresh_token = _tokens_from_refresh_token  # type: ignore[method-assign]
    CognitoIdpBackend.admin_initiate_auth = _with_flow(_moto_admin_initiate_auth, 2)  # type: ignore[method-assign]
    CognitoIdpBackend.initiate_auth = _with_flow(_moto_initiate_auth, 1)  # type: ignore[method-assign]


def _policy_match(pattern: str, string: str) -> re.Match[str] | None:
    """An IAM wildcard match (see 18. above): `*` any run of characters, `?` one, the rest literally."""
    expression = ".*".join(
        ".".join(re.escape(piece) for piece in part.split("?")) for part in pattern.split("*")
    )
    return re.match(f"^{expression}$", string, re.DOTALL)


def _secret_arn(region: str, secret: str) -> str:
    """A secret's full ARN, as AWS authorises it (see 17. above); the name's ARN if no such secret exists."""
    stored = secretsmanager_backends[iam.ACCOUNT][region].secrets.get(secret)
    if stored is not None:
        return str(stored.arn)
    return (
        secret
        if secret.startswith("arn:")
        else f"arn:aws:secretsmanager:{region}:{iam.ACCOUNT}:secret:{secret}"
    )


def _topic_key(region: str, topic_arn: str) -> str | None:
    """The ARN of the KMS key a topic is encrypted with, or None (see 17. above)."""
    topic = sns_backends[iam.ACCOUNT][region].topics.get(topic_arn)
    key_id = getattr(topic, "kms_master_key_id", "") if topic is not None else ""
    if not key_id:
        return None
    kms = kms_backends[iam.ACCOUNT][region]
    return str(kms.describe_key(key_id).arn)


def _send_message_batch(client: Any, api_params: dict[str, Any]) -> dict[str, Any] | None:
    """SendMessageBatch on the emulator's backend; None: take the usual way (see 10. above)."""
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
        user_id = message.user_id  # type: ignore[attr-defined]  # moto's send_message_batch sets it
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


_shared_clients: dict[tuple[str, str, bool], Any] = {}
_clients_lock = threading.Lock()


def _shared_client(region: str, service: str, state_credentials: Any = None) -> Any:
    """moto's `boto_client_for`, once per region and service (see 12. above); moto ignores the state's
    credentials as well."""
    key = (region, service, bool(botocore_stubber.enabled))
    client = _shared_clients.get(key)
    if client is None:
        with _clients_lock:
            client = _shared_clients.get(key)
            if client is None:
                client = _shared_clients[key] = _moto_boto_client_for(region, service, state_credentials)
    return client


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
    (see 13. above; moto keeps only those of the whole table and sorts them again by range key)."""
    scope = getattr(_partition, "key", None)
    if scope is None or scope[0] is not self:
        return _moto_all_items(self)
    found = self.items.get(scope[1])  # .get: items is a defaultdict, a lookup must not add a partition
    if found is None:
        return []
    # unsorted: the query sorts what all_items gives by range key itself
    return list(found.values()) if self.range_key_attr else [found]  # type: ignore[list-item]


def _wire_value(serializer: Any, value: dict[str, Any]) -> dict[str, Any]:
    """One DynamoDB attribute value as moto's JSON serializer writes it (see 14. above)."""
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
    """moto's JSON serializer, with attribute values written directly (see 14. above)."""

    def _serialize(self, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if shape.name == "AttributeValue" and type(value) is dict:
            self._default_serialize(serialized, _wire_value(self, value), shape, key)
            return
        super()._serialize(serialized, value, shape, key)


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
            table = (
                backend.tables.get(operation.get("TableName", "")) if isinstance(operation, dict) else None
            )
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
        if range_value is not None:
            if item is None:
                table.items[hash_value].pop(range_value, None)
            else:
                table.items[hash_value][range_value] = item
        elif item is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = item  # type: ignore[assignment]  # moto types items for range keys only


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """moto's transaction with a rollback copy of the items it names instead of whole tables (every
    DynamoDB call holds `_dynamodb_lock`, so nothing else reads the tables meanwhile)."""
    saved = _snapshots(self, transact_items)
    dynamodb_models.copy = _ItemCopies  # type: ignore[assignment]
    try:
        _moto_transact_write_items(self, transact_items)
    except Exception:
        _restore(saved)
        raise
    finally:
        dynamodb_models.copy = copy


def _topic_publish(
    self: Topic,
    message: str,
    subject: str | None = None,
    message_attributes: dict[str, Any] | None = None,
    group_id: str | None = None,
    deduplication_id: str | None = None,
    message_structure: str | None = None,
) -> str:
    """moto's `Topic.publish`, to every subscription: moto's own lists only the first page of 100
    (`list_subscriptions_by_topic`), so a topic with more agents than that would stop notifying them."""
    message_id = str(mock_random.uuid4())
    for subscription in self.sns_backend._get_topic_subscriptions(self):
        subscription.publish(
            message,
            message_id,
            subject=subject,
            message_attributes=message_attributes,
            group_id=group_id,
            deduplication_id=deduplication_id,
            message_structure=message_structure,
        )
    self.sent_notifications.append((message_id, message, subject, message_attributes, group_id))
    return message_id


def _sns_publish(
    self: Subscription,
    message: str,
    message_id: str,
    subject: str | None = None,
    message_attributes: dict[str, Any] | None = None,
    group_id: str | None = None,
    deduplication_id: str | None = None,
    message_structure: str | None = None,
) -> None:
    """moto's `Subscription.publish`, plus: a message an e-mail or SMS endpoint would receive is recorded.

    The filter policy is moto's own matcher and the per-protocol message moto's own parser, so what is
    recorded is exactly what moto decides this subscription receives.
    """
    if self.protocol in RECORDED_PROTOCOLS:
        matcher = self._filter_policy_matcher
        if matcher is None or matcher.matches(message_attributes, message):
            text = message
            if message_structure == "json":
                text = self._parse_message_structure(message, self.protocol)
            _installed.get("deliver", _ignore)(
                Delivery(
                    protocol=self.protocol,
                    endpoint=self.endpoint,
                    topic_arn=self.topic_arn,
                    subscription_arn=self.arn,
                    message_id=message_id,
                    subject=subject,
                    text=text,
                    attributes={
                        name: str(value.get("Value")) for name, value in (message_attributes or {}).items()
                    },
                )
            )
    _moto_subscription_publish(
        self,
        message,
        message_id,
        subject=subject,
        message_attributes=message_attributes,
        group_id=group_id,
        deduplication_id=deduplication_id,
        message_structure=message_structure,
    )


def uninstall() -> None:
    if not _installed:
        return
    LambdaFunction._invoke_lambda = _installed.pop("_invoke_lambda")  # type: ignore[method-assign]
    botocore.client.BaseClient._make_api_call = _installed.pop("_make_api_call")  # type: ignore[method-assign]
    Subscription.publish = _moto_subscription_publish  # type: ignore[method-assign]
    Topic.publish = _moto_topic_publish  # type: ignore[method-assign]
    DynamoDBBackend.transact_write_items = _moto_transact_write_items  # type: ignore[method-assign]
    AmazonStateLanguageParser.parse = staticmethod(_moto_parse_definition)  # type: ignore[method-assign]
    for module, parse in _JSONPATH_USERS.items():
        module.parse = parse  # type: ignore[attr-defined]
    Queue.attributes = _moto_queue_attributes  # type: ignore[method-assign]
    SQSBackend.send_message = _moto_send_message  # type: ignore[method-assign]
    SQSBackend.receive_message = _moto_receive_message  # type: ignore[method-assign]
    lambda_eval_utils.boto_client_for = _moto_boto_client_for  # type: ignore[attr-defined]
    Table.query = _moto_table_query  # type: ignore[method-assign]
    Table.all_items = _moto_all_items  # type: ignore[method-assign]
    moto_serialize.SERVICE_SPECIFIC_SERIALIZERS.pop("dynamodb", None)
    UpdateExpressionParser.make = classmethod(_moto_update_expression)  # type: ignore[method-assign,assignment]
    IAMPolicyStatement._match = staticmethod(_moto_policy_match)  # type: ignore[method-assign,assignment]
    iam.lookups = iam.Lookups()
    CognitoIdpUserPool.create_id_token = _moto_create_id_token  # type: ignore[method-assign]
    CognitoIdpUserPool.create_jwt = _moto_create_jwt  # type: ignore[method-assign]
    CognitoIdpUserPool.create_tokens_from_refresh_token = _moto_tokens_from_refresh_token  # type: ignore[method-assign]
    CognitoIdpBackend.admin_initiate_auth = _moto_admin_initiate_auth  # type: ignore[method-assign]
    CognitoIdpBackend.initiate_auth = _moto_initiate_auth  # type: ignore[method-assign]
    _shared_clients.clear()
    _installed.clear()


def error_payload(exc: BaseException) -> dict[str, Any]:
    """The payload Lambda returns for an unhandled exception; Step Functions reads `errorType`."""
    return {
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def detach_sqs_mappings(account: str, region: str) -> list[dict[str, Any]]:
    """Take moto's SQS event source mappings off their queues; return them for our own pollers."""
    mappings = []
    for queue in sqs_backends[account][region].queues.values():
        for esm in queue.lambda_event_source_mappings.values():
            mappings.append(
                {
                    "queue_arn": queue.queue_arn,
                    "queue_name": queue.name,
                    "function_arn": esm.function_arn,
                    "batch_size": int(esm.batch_size),
                    "response_types": list(getattr(esm, "function_response_types", None) or []),
                }
            )
        queue.lambda_event_source_mappings.clear()
    return mappings


@dataclass(frozen=True)
class SentEmail:
    """One message SES accepted: its MessageId (SES's, as SendRawEmail answered it) and the raw MIME."""

    message_id: str
    source: str | None
    destinations: tuple[str, ...]
    raw: str


def sent_emails(account: str, region: str) -> list[SentEmail]:
    """Every raw message SES accepted in the emulator, oldest first (simple and templated ones as well,
    rebuilt as far as moto keeps them)."""
    from moto.ses.models import RawMessage, ses_backends

    sent = []
    for message in list(ses_backends[account][region].sent_messages):
        if isinstance(message, RawMessage):
            raw = message.raw_data
        else:  # SendEmail: moto keeps subject and body, not a MIME message
            raw = f"Subject: {getattr(message, 'subject', '')}\r\n\r\n{getattr(message, 'body', '')}"
        destinations = message.destinations
        if isinstance(destinations, dict):  # SendEmail keeps {"ToAddresses": [...], ...}
            destinations = [a for addresses in destinations.values() for a in addresses]
        sent.append(SentEmail(message.id, message.source, tuple(destinations or ()), raw))
    return sent


def queued_bodies(account: str, region: str, queue_url: str) -> list[str]:
    """The body of every message the queue holds (waiting, delayed or in flight); receives nothing."""
    queue = sqs_backends[account][region].get_queue(queue_url.rstrip("/").rsplit("/", 1)[-1])
    return [message.body for message in list(queue._messages)]


def function_names(account: str, region: str) -> list[str]:
    return [fn.function_name for fn in lambda_backends[account][region].list_functions()]


def mirror_state_machines(account: str, region: str) -> int:
    """Make CloudFormation's state machines executable.

    With `execute_state_machine` on, moto's Step Functions API serves a second backend (the ASL
    interpreter), while its CloudFormation still creates state machines in the first. We create each one
    again, same name, ARN, definition and role, in the executing backend.
    """
    from moto.stepfunctions.models import stepfunctions_backends
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    executing = stepfunctions_parser_backends[account][region]
    mirrored = 0
    for machine in stepfunctions_backends[account][region].state_machines:
        executing.create_state_machine(
            machine.name, machine.definition, machine.roleArn, sm_type=getattr(machine, "type", None)
        )
        mirrored += 1
    return mirrored


def inline_definition_substitutions(cfn: dict[str, Any]) -> None:
    """moto's CloudFormation ignores a state machine's `DefinitionSubstitutions` (and its `Fn::Sub` turns
    ASL's `$$` into `$`): splice the substitutions into the definition with the equivalent `Fn::Join`."""
    for resource in cfn["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] != "AWS::StepFunctions::StateMachine" or "DefinitionSubstitutions" not in props:
            continue
        definition = props.pop("DefinitionString", None)
        if isinstance(definition, dict) and "Fn::Join" in definition:
            separator, parts = definition["Fn::Join"]
            definition = separator.join(parts)
        if "Definition" in props:
            definition = json.dumps(props.pop("Definition"))
        substitutions = props.pop("DefinitionSubstitutions")
        pattern = "|".join(re.escape("${" + key + "}") for key in substitutions)
        pieces: list[Any] = []
        for index, piece in enumerate(re.split(f"({pattern})", str(definition))):
            pieces.append(substitutions[piece[2:-1]] if index % 2 else piece)
        props["DefinitionString"] = {"Fn::Join": ["", pieces]}


def key_policies_as_text(account: str, region: str) -> int:
    """The KMS keys' policies as JSON text, as the KMS API keeps them (see 19. above); how many changed."""
    changed = 0
    for key in kms_backends[account][region].keys.values():
        if isinstance(key.policy, dict):
            key.policy = json.dumps(key.policy)
            changed += 1
    return changed


# --------------------------------------------------------------------------- 20. Cognito in CloudFormation


class CognitoUserPoolResource(CloudFormationModel):
    """`AWS::Cognito::UserPool` for moto's CloudFormation, created by moto's own Cognito backend."""

    def __init__(self, pool: CognitoIdpUserPool) -> None:
        self.pool = pool

    @staticmethod
    def cloudformation_name_type() -> str:
        return "UserPoolName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPool"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn", "ProviderName", "ProviderURL", "UserPoolId")

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **_: Any,
    ) -> CognitoUserPoolResource:
        properties = dict(cloudformation_json.get("Properties") or {})
        properties.pop("UserPoolName", None)
        enabled_mfas = properties.pop("EnabledMfas", None) or []
        backend = cognitoidp_backends[account_id][region_name]
        pool = backend.create_user_pool(resource_name, properties)
        if pool.mfa_config != "OFF":
            token_mfa = {"Enabled": "SOFTWARE_TOKEN_MFA" in enabled_mfas}
            backend.set_user_pool_mfa_config(pool.id, None, token_mfa, pool.mfa_config)  # type: ignore[arg-type]
        return cls(pool)

    @property
    def physical_resource_id(self) -> str:
        return str(self.pool.id)

    def get_cfn_attribute(self, attribute_name: str) -> str:
        provider = f"cognito-idp.{self.pool.region}.amazonaws.com/{self.pool.id}"
        values = {
            "Arn": self.pool.arn,
            "UserPoolId": self.pool.id,
            "ProviderName": provider,
            "ProviderURL": f"https://{provider}",
        }
        return str(values[attribute_name])


class CognitoUserPoolClientResource(CloudFormationModel):
    """`AWS::Cognito::UserPoolClient` for moto's CloudFormation."""

    def __init__(self, client: Any) -> None:
        self.client = client

    @staticmethod
    def cloudformation_name_type() -> str:
        return "ClientName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPoolClient"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("ClientId", "ClientSecret", "Name")

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **_: Any,
    ) -> CognitoUserPoolClientResource:
        properties = dict(cloudformation_json.get("Properties") or {})
        pool_id = properties.pop("UserPoolId")
        secret = str(properties.pop("GenerateSecret", False)).lower() == "true"
        properties["ClientName"] = resource_name
        backend = cognitoidp_backends[account_id][region_name]
        return cls(backend.create_user_pool_client(pool_id, secret, properties))

    @property
    def physical_resource_id(self) -> str:
        return str(self.client.id)

    def get_cfn_attribute(self, attribute_name: str) -> str:
        values = {
            "ClientId": self.client.id,
            "ClientSecret": self.client.secret,
            "Name": self.client.extended_config.get("ClientName"),
        }
        return str(values[attribute_name])


# --------------------------------------------------------------------------- 21. the pre token trigger

_token_flow: contextvars.ContextVar[str] = contextvars.ContextVar("token_flow", default="Authentication")
_claims_override: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "claims_override", default=None
)
REFRESH_FLOWS = ("REFRESH_TOKEN", "REFRESH_TOKEN_AUTH")


def _with_flow(method: Callable[..., Any], position: int) -> Callable[..., Any]:
    """Remember whether tokens are being issued for a sign-in or a refresh (the trigger's source);
    ``position``: where the method takes ``auth_flow``."""

    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        flow = kwargs.get("auth_flow", args[position] if len(args) > position else "")
        token = _token_flow.set("RefreshTokens" if str(flow) in REFRESH_FLOWS else "Authentication")
        try:
            return method(self, *args, **kwargs)
        finally:
            _token_flow.reset(token)

    return call


def pre_token_trigger(pool: CognitoIdpUserPool) -> str | None:
    """The ARN of the pool's pre-token-generation function, if it has one."""
    config = pool.extended_config.get("LambdaConfig") or {}
    arn = (config.get("PreTokenGenerationConfig") or {}).get("LambdaArn") or config.get("PreTokenGeneration")
    return str(arn) if arn else None


def pre_token_event(pool: CognitoIdpUserPool, client_id: str, username: str) -> dict[str, Any]:
    """The V1_0 event Cognito sends (user-pool-lambda-pre-token-generation.html)."""
    user = pool._get_user(username)
    attributes = {a["Name"]: a["Value"] for a in user.attributes}
    attributes.update(
        {"sub": user.id, "cognito:user_status": str(getattr(user.status, "value", user.status))}
    )
    return {
        "version": "1",
        "triggerSource": f"TokenGeneration_{_token_flow.get()}",
        "region": pool.region,
        "userPoolId": pool.id,
        "userName": user.username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id},
        "request": {
            "userAttributes": attributes,
            "groupConfiguration": {
                "groupsToOverride": [group.group_name for group in user.groups],
                "iamRolesToOverride": [],
                "preferredRole": None,
            },
        },
        "response": {"claimsOverrideDetails": None},
    }


def _create_id_token(self: CognitoIdpUserPool, client_id: str, username: str, origin_jti: str) -> Any:
    arn = pre_token_trigger(self)
    if arn is None or "invoke" not in _installed:
        return _moto_create_id_token(self, client_id, username, origin_jti)
    result, error = _installed["invoke"](arn.rsplit(":", 1)[-1], pre_token_event(self, client_id, username))
    if error is not None:
        message = (result or {}).get("errorMessage") if isinstance(result, dict) else None
        raise JsonRESTError(
            "UserLambdaValidationException", f"PreTokenGeneration failed with error {message or error}."
        )
    details = ((result or {}).get("response") or {}).get("claimsOverrideDetails") or {}
    override = _claims_override.set(details)
    try:
        return _moto_create_id_token(self, client_id, username, origin_jti)
    finally:
        _claims_override.reset(override)


def _create_jwt(
    self: CognitoIdpUserPool,
    client_id: str,
    username: str,
    token_use: str,
    expires_in: int = 60 * 60,
    extra_data: dict[str, Any] | None = None,
) -> tuple[str, int]:
    details = _claims_override.get()
    if details and token_use == "id":
        extra = dict(extra_data or {})
        groups = (details.get("groupOverrideDetails") or {}).get("groupsToOverride")
        if groups is not None:
            extra.pop("cognito:groups", None)
            if groups:
                extra["cognito:groups"] = list(groups)
        extra.update(details.get("claimsToAddOrOverride") or {})
        for claim in details.get("claimsToSuppress") or []:
            extra.pop(claim, None)
        extra_data = extra
    return _moto_create_jwt(self, client_id, username, token_use, expires_in, extra_data)  # type: ignore[no-any-return]


def _tokens_from_refresh_token(self: CognitoIdpUserPool, refresh_token: str) -> tuple[str, str, int]:
    if refresh_token not in self.refresh_tokens:
        raise NotAuthorizedError("Invalid Refresh Token")
    return _moto_tokens_from_refresh_token(self, refresh_token)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- 22. Cognito's signing keys


def cognito_jwks() -> dict[str, Any]:
    """The JSON Web Key Set moto serves at `/{user_pool_id}/.well-known/jwks.json` (every pool's)."""
    keys: dict[str, Any] = load_resource("cognitoidp/resources/jwks-public.json")
    return keys

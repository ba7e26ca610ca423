"""What the emulator (moto) needs to run the template at all: every place the local stack reaches into it
beyond its public API for what it answers, not for how fast (that is `speedups.py`).

Kept in this package so that an emulator upgrade that breaks one of these fails here, loudly, and in
`tests/integration/test_emulator_needs.py`, not somewhere deep in a request. The emulator's version is
pinned in pyproject.toml.

1. Lambda invocations: moto would run a function in Docker, or answer a canned result without it. We
   replace `LambdaFunction._invoke_lambda` so that every invocation (Step Functions tasks, SNS
   subscriptions, direct `Invoke`) runs the project's own handler in-process.
2. SQS event source mappings: moto invokes the function synchronously inside `SendMessage`, without
   partial-batch responses or retries. We detach moto's mappings from their queues and poll the queues
   ourselves, as Lambda's pollers do (see `pollers.py`).
3. IAM: every botocore call made while a handler runs is checked against that function's role
   (`iam.py`), at `BaseClient._make_api_call`, the one place every client (boto3, PynamoDB) goes through.
   A call may then be answered by a shortcut (`shortcuts`, which only the speed-ups fill), never before
   its check.
4. IAM's names for a call (`iam.lookups`): AWS authorises a secret by its full ARN, the name and the six
   characters Secrets Manager appended (the template's policies end in `-??????`), and a publish to an
   encrypted topic on its KMS key too. Both are read from the emulator's Secrets Manager, SNS and KMS
   backends; nothing is patched for it.
5. IAM wildcards: moto's policy evaluator turns `*` into a regular expression's `.*` and passes every
   other character through, so `?` (IAM's one character) and `.` were read as regular expression syntax
   (`-??????` fails to compile). Ours matches as IAM does: `*` any run of characters, `?` exactly one,
   everything else literally.
6. Thread safety: moto's DynamoDB keeps items in plain dicts, and a query iterates them; handlers run in
   several threads here, so DynamoDB calls are serialised at the same place as 3. (one lock, never held
   while a handler runs: DynamoDB calls do not call back into Lambda).
7. SNS e-mail and SMS: moto's `Subscription.publish` applies a subscription's filter policy and then
   delivers nothing for the `email`, `email-json` and `sms` protocols. We wrap it so that every message
   that would reach such an endpoint (after moto's own filter-policy matcher and its message-structure
   parsing) is handed to a callback, `deliver`, as a `Delivery`. moto's `Topic.publish` reaches only the
   first 100 subscriptions of a topic (one page of its own listing); ours reaches every one.
8. SES sent mail: moto keeps every message SES accepted in its backend's `sent_messages` (raw messages
   as `RawMessage` with `id`, `source`, `destinations`, `raw_data`); `sent_emails` reads them, oldest
   first, for `GET /local/emails`. Nothing is patched for it.
9. The ingest queue's records, for the books of `kanal load`: SQS has no way to look at a queue without
   receiving (which counts against the redrive policy), so `queued_bodies` reads the bodies of every
   message the emulator's queue holds, waiting, delayed or in flight. Nothing is patched for it.
10. Step Functions from CloudFormation: moto's CloudFormation ignores a state machine's
   `DefinitionSubstitutions` (`inline_definition_substitutions` splices them in before the deploy), and
   creates state machines in a backend its ASL interpreter does not look at (`mirror_state_machines`
   creates each again where it does, after the deploy).
11. KMS key policies from CloudFormation: moto keeps a key's `KeyPolicy` as the template's object, where
   the KMS API holds and answers JSON text (its `DescribeKey` and `GetKeyPolicy` then fail on the object).
   `key_policies_as_text` turns each into JSON text right after the deploy, once CloudFormation has resolved
   the references in it.
12. Cognito in CloudFormation, 13. Cognito triggers, 14. Cognito's signing keys: in `cognito.py`.
15. The emulator's AWS endpoint: moto's `ThreadedMotoServer.start` waits for its server thread to listen,
   forever when the port is taken (werkzeug reports it and ends that thread), and the process no longer
   stops on SIGTERM. `Endpoint` starts the same server and raises `EndpointNotListening` as soon as that
   thread has ended without listening.
"""

from __future__ import annotations

import json
import re
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import botocore.client
from moto.awslambda.models import LambdaFunction, lambda_backends
from moto.iam.access_control import IAMPolicyStatement
from moto.kms.models import kms_backends
from moto.moto_api._internal import mock_random
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.secretsmanager.models import secretsmanager_backends
from moto.sns.models import Subscription, Topic, sns_backends
from moto.sqs.models import sqs_backends

from kanal_local import iam
from kanal_local.emulator import cognito

Invoke = Callable[[str, Any], tuple[Any, str | None]]  # (function name, event) -> (result, error type)
# A shortcut answers a call itself (or None: the usual way); (client, parameters) -> answer
Shortcut = Callable[[Any, dict[str, Any]], "dict[str, Any] | None"]

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
shortcuts: dict[tuple[str, str], Shortcut] = {}  # (signing name, operation) -> shortcut (3.)
_dynamodb_lock = threading.RLock()
_moto_subscription_publish = Subscription.publish
_moto_topic_publish = Topic.publish
_moto_policy_match = IAMPolicyStatement._match


def _ignore(delivery: Delivery) -> None:
    return None


def _go() -> None:
    return None


def install(invoke: Invoke, deliver: Deliver = _ignore, before_call: Callable[[], None] = _go) -> None:
    """Route moto's Lambda invocations to ``invoke``, check AWS calls against the running role, hand
    every SNS e-mail and SMS delivery to ``deliver``, and call ``before_call`` before every AWS call (the
    runtime's turn: `runtime.Foreground`). Called again, it only replaces the three callbacks."""
    _installed["invoke"] = invoke
    _installed["deliver"] = deliver
    _installed["before_call"] = before_call
    cognito.install(invoke)
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
        shortcut = shortcuts.get((service, operation_name))
        if shortcut is not None:
            answer = shortcut(self, api_params)
            if answer is not None:
                return answer
        if service == "dynamodb":
            with (
                _dynamodb_lock
            ):  # moto's tables are plain dicts: a query iterating one while a put adds fails
                return original_call(self, operation_name, api_params)
        return original_call(self, operation_name, api_params)

    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]  # 1.
    botocore.client.BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]  # 3., 6.
    iam.lookups = iam.Lookups(secret_arn=_secret_arn, topic_key=_topic_key)  # 4.
    IAMPolicyStatement._match = staticmethod(_policy_match)  # type: ignore[method-assign,assignment]  # 5.
    Subscription.publish = _sns_publish  # type: ignore[method-assign]  # 7.
    Topic.publish = _topic_publish  # type: ignore[method-assign]


def uninstall() -> None:
    if not _installed:
        return
    LambdaFunction._invoke_lambda = _installed.pop("_invoke_lambda")  # type: ignore[method-assign]
    botocore.client.BaseClient._make_api_call = _installed.pop("_make_api_call")  # type: ignore[method-assign]
    iam.lookups = iam.Lookups()
    IAMPolicyStatement._match = staticmethod(_moto_policy_match)  # type: ignore[method-assign,assignment]
    Subscription.publish = _moto_subscription_publish  # type: ignore[method-assign]
    Topic.publish = _moto_topic_publish  # type: ignore[method-assign]
    cognito.uninstall()
    _installed.clear()


# ---------------------------------------------------------------------------------- 1. Lambda invocations


def error_payload(exc: BaseException) -> dict[str, Any]:
    """The payload Lambda returns for an unhandled exception; Step Functions reads `errorType`."""
    return {
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def function_names(account: str, region: str) -> list[str]:
    return [fn.function_name for fn in lambda_backends[account][region].list_functions()]


# --------------------------------------------------------------------------- 2. SQS event source mappings


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


# --------------------------------------------------------------------------------------------- 4.-5. IAM


def _policy_match(pattern: str, string: str) -> re.Match[str] | None:
    """An IAM wildcard match (see 5. above): `*` any run of characters, `?` one, the rest literally."""
    expression = ".*".join(
        ".".join(re.escape(piece) for piece in part.split("?")) for part in pattern.split("*")
    )
    return re.match(f"^{expression}$", string, re.DOTALL)


def _secret_arn(region: str, secret: str) -> str:
    """A secret's full ARN, as AWS authorises it (see 4. above); the name's ARN if no such secret exists."""
    stored = secretsmanager_backends[iam.ACCOUNT][region].secrets.get(secret)
    if stored is not None:
        return str(stored.arn)
    return (
        secret
        if secret.startswith("arn:")
        else f"arn:aws:secretsmanager:{region}:{iam.ACCOUNT}:secret:{secret}"
    )


def _topic_key(region: str, topic_arn: str) -> str | None:
    """The ARN of the KMS key a topic is encrypted with, or None (see 4. above)."""
    topic = sns_backends[iam.ACCOUNT][region].topics.get(topic_arn)
    key_id = getattr(topic, "kms_master_key_id", "") if topic is not None else ""
    if not key_id:
        return None
    kms = kms_backends[iam.ACCOUNT][region]
    return str(kms.describe_key(key_id).arn)


# ---------------------------------------------------------------------------------- 7. SNS e-mail and SMS


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


# --------------------------------------------------------------------------------------- 8. SES sent mail


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


# -------------------------------------------------------------------------- 9. the ingest queue's records


def queued_bodies(account: str, region: str, queue_url: str) -> list[str]:
    """The body of every message the queue holds (waiting, delayed or in flight); receives nothing."""
    queue = sqs_backends[account][region].get_queue(queue_url.rstrip("/").rsplit("/", 1)[-1])
    return [message.body for message in list(queue._messages)]


# ----------------------------------------------------------------- 10. Step Functions from CloudFormation


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


# ----------------------------------------------------------------------------------- 11. KMS key policies


def key_policies_as_text(account: str, region: str) -> int:
    """The KMS keys' policies as JSON text, as the KMS API keeps them (see 11. above); how many changed."""
    changed = 0
    for key in kms_backends[account][region].keys.values():
        if isinstance(key.policy, dict):
            key.policy = json.dumps(key.policy)
            changed += 1
    return changed


# ------------------------------------------------------------------------ 15. the emulator's AWS endpoint


class EndpointNotListening(OSError):
    """The emulator's AWS endpoint could not listen on its port (taken, most often)."""


class Endpoint(ThreadedMotoServer):
    """moto's threaded server, which fails at once when it cannot listen (see 15. above)."""

    def _server_entry(self) -> None:
        try:
            super()._server_entry()
        except SystemExit:  # werkzeug's end for a port it cannot listen on (it has printed why)
            return

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server_entry, name="aws-endpoint", daemon=True)
        self._thread.start()
        while not self._server_ready_event.wait(0.05):
            if not self._thread.is_alive():
                raise EndpointNotListening(f"the emulator's AWS endpoint cannot listen on port {self._port}")

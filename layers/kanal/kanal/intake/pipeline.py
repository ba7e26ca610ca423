"""Ingest's composition: records off the queue into the intake, once per platform message.

Idempotency (powertools, DynamoDB persistence) is keyed on the platform's own ids: a record that
SQS or the platform delivers again, or that is redriven from the dead-letter queue, does its work once.

An Instagram @mention arrives without its text and author: they are read from the Graph API first
(``resolve``); a lookup that fails raises, so SQS delivers the record again (and, in the end, to the
dead-letter queue).

A Messenger or Instagram conversation changing hands (``ThreadControl``) goes to ``kanal.intake.threads``,
which also decides about messages delivered as ``standby`` (a bot configured with ``MetaBotAppId``).
Handing held messages over is idempotent in itself (deterministic ids, conditional writes).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from kanal.adapters.models import bind
from kanal.adapters.stepfunctions import StepFunctionsWorkflow
from kanal.adapters.store import DynamoStore
from kanal.channels import SOURCES, normalise_record, normaliser
from kanal.channels.meta.instagram import resolve_mention, unresolved_mention
from kanal.config import load
from kanal.intake.ingest import Intake
from kanal.intake.records import open_envelope
from kanal.intake.threads import Apps, ControlApi, ThreadRouting
from kanal.model import ContactEvent, InboundMessage, ThreadControl
from kanal.observability import logger, metrics
from kanal.reporting.wiring import count_arrival

if TYPE_CHECKING:
    from kanal.intake.email import S3MailStore

_config = load(
    "inquiries_table", "messages_table", "customers_table", "idempotency_table", "routing_state_machine_arn"
)
bind(_config)
for _source in SOURCES:  # cold start: every platform's normaliser, as any record may need one
    normaliser(_source)
message_idempotency = IdempotencyConfig(
    event_key_jmespath="[channel, external_id, action, text]", expires_after_seconds=7 * 24 * 3600
)
contact_idempotency = IdempotencyConfig(
    event_key_jmespath="[source, event_id]", expires_after_seconds=7 * 24 * 3600
)
MENTION_LOOKUP_SECONDS = 5.0  # waiting on the Graph API per lookup; SQS retries a failed one later
_apps = Apps(kanal=_config.meta_app_id, bot=_config.meta_bot_app_id)  # a bot without MetaAppId fails here


@cache
def _dynamodb() -> Any:
    """The one DynamoDB client of both idempotency layers (each would otherwise open a session of its own)."""
    return boto3.client("dynamodb")


def _persistence() -> DynamoDBPersistenceLayer:
    """A persistence layer per idempotent function: powertools binds a layer to the first config it serves."""
    return DynamoDBPersistenceLayer(table_name=_config.idempotency_table, boto3_client=_dynamodb())


EMAIL = "email"  # kanal.intake.email.SOURCE: a received e-mail's record


@cache
def mail_store() -> S3MailStore:
    from kanal.intake.email import S3MailStore  # only an e-mail record needs S3 and the MIME parser

    return S3MailStore(boto3.client("s3"))


class RoutingWorkflow(StepFunctionsWorkflow):
    """Starts an inquiry's routing execution; tells its SLA clock when the customer writes again."""

    def followed_up(self, inquiry_id: str) -> None:
        from kanal.routing.wiring import events  # only a follow-up needs the routing service

        events().followed_up(inquiry_id)


@cache
def intake() -> Intake:
    workflow = RoutingWorkflow(boto3.client("stepfunctions"), _config.routing_state_machine_arn)
    return Intake(DynamoStore(), workflow, threads())


@cache
def threads() -> ThreadRouting:
    from kanal.adapters.threads import ThreadStore

    workflow = RoutingWorkflow(boto3.client("stepfunctions"), _config.routing_state_machine_arn)
    return ThreadRouting(DynamoStore(), ThreadStore(), _apps, _thread_control_api, workflow)


def _thread_control_api() -> ControlApi:
    from kanal.channels.outbound.clients import thread_control_api  # only a lookup needs HTTP

    return thread_control_api(MENTION_LOOKUP_SECONDS)


def _ingest_message(message: InboundMessage) -> dict[str, Any]:
    result = intake().ingest(message)
    count_arrival(result, message)
    metrics.add_metric(name=f"Inquiry{result.outcome.capitalize()}", unit="Count", value=1)
    logger.info(
        "message ingested",
        extra={
            "channel": str(message.channel),
            "outcome": str(result.outcome),
            "inquiry_id": result.inquiry_id,
        },
    )
    return {"outcome": str(result.outcome), "inquiry_id": result.inquiry_id}


def _ingest_contact(event: ContactEvent) -> dict[str, Any]:
    result = intake().record_contact(event)
    logger.info("contact event recorded", extra={"kind": event.kind})
    return {"outcome": str(result.outcome)}


def _key_prefix(name: str) -> str:
    """The key prefix powertools derived when these functions were decorated at import under their public
    names (``<Lambda function>.<module>.<function>``): records stored before stay recognised."""
    return f"{_config.function_name}.{__name__}.{name}"


# The idempotent functions are composed with the first record that needs them: their persistence layers
# create the DynamoDB client, which the record's own writes need then anyway (docs/decisions.md).
@cache
def _idempotent_message() -> Any:
    return idempotent_function(
        data_keyword_argument="message",
        config=message_idempotency,
        persistence_store=_persistence(),
        key_prefix=_key_prefix("ingest_message"),
    )(_ingest_message)


@cache
def _idempotent_contact() -> Any:
    return idempotent_function(
        data_keyword_argument="event",
        config=contact_idempotency,
        persistence_store=_persistence(),
        key_prefix=_key_prefix("ingest_contact"),
    )(_ingest_contact)


def ingest_message(message: InboundMessage) -> dict[str, Any]:
    """Take in one message, once per (channel, platform id, action, text)."""
    result: dict[str, Any] = _idempotent_message()(message=message)
    return result


def ingest_contact(event: ContactEvent) -> dict[str, Any]:
    """Record one contact event, once per (source, event id)."""
    result: dict[str, Any] = _idempotent_contact()(event=event)
    return result


def warm() -> None:
    """Everything a record's first ingest would create: done at initialisation where that happens before
    any request (provisioned concurrency, SnapStart)."""
    _idempotent_message()
    _idempotent_contact()
    intake()


def ingest_body(body: str) -> None:
    """One queued record: normalise it and take in every message or contact event it carries."""
    record, received_at = open_envelope(body)
    if record.get("source") == EMAIL:
        from kanal.channels.email import parse_email

        raw = mail_store().raw(record["bucket"], record["object_key"])
        # a record without the verdicts (queued before they were read) counts as unverified
        verified = record.get("sender_verified") is True
        ingest_message(parse_email(raw, received_at, record.get("mailbox"), verified))
        return
    for item in normalise_record(record, received_at):
        if isinstance(item, ContactEvent):
            ingest_contact(item)
        elif isinstance(item, ThreadControl):
            threads().handover(item)
        else:
            ingest_message(resolve(item))


def resolve(message: InboundMessage) -> InboundMessage:
    """The message with what its webhook left out: an @mention's text and author, from the Graph API."""
    if not unresolved_mention(message) or intake().store.get_message(message.channel, message.external_id):
        return message
    from kanal.channels.outbound.clients import graph_api  # only a mention needs HTTP

    found = graph_api(MENTION_LOOKUP_SECONDS).mentioned(
        message.account_id, message.external_id, on_comment=message.parent_id is not None
    )
    logger.info("mention resolved", extra={"channel": str(message.channel)})
    return resolve_mention(message, found)


def register_context(context: Any) -> None:
    message_idempotency.register_lambda_context(context)
    contact_idempotency.register_lambda_context(context)

"""Replies' composition for the agent API: the store, the channel clients, the SLA clock, idempotency;
and the drafts' (the approval policy from Parameter Store, the notifier).

A client-supplied ``idempotency_key`` makes a retried request send once (powertools idempotency, keyed on
the inquiry and the key, with the body checked: the same key with another body is refused).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from kanal.adapters.documents import StoredDocument
from kanal.adapters.message_store import MessageStore
from kanal.adapters.roster_store import OrganisationStore
from kanal.adapters.store import DynamoStore
from kanal.config import config
from kanal.conversation.approval import ApprovalPolicy, compiled_approval, default_approval
from kanal.conversation.drafts import Drafts
from kanal.conversation.handover import Handover, PrivateRequest
from kanal.conversation.replies import Gate, Replies, ReplyRequest
from kanal.errors import BadRequest, Conflict
from kanal.routing.wiring import events, notifier

_persistence = DynamoDBPersistenceLayer(table_name=config().idempotency_table)
_idempotency = IdempotencyConfig(
    event_key_jmespath="[inquiry_id, key]",
    payload_validation_jmespath="body",
    expires_after_seconds=24 * 3600,
)


@cache
def replies() -> Replies:
    from kanal.channels.outbound.clients import client_for

    return Replies(DynamoStore(), client_for, events, config().mail_from)


@cache
def handover() -> Handover:
    from kanal.channels.outbound.clients import client_of, email_client

    return Handover(DynamoStore(), client_of, email_client, events, config().mail_from)


def hand_over(inquiry_id: str, agent_id: str, document: dict[str, Any]) -> dict[str, Any]:
    """POST /api/inquiries/{id}/handover {"to": "private", ...} (validated): the private message, then
    the short public answer."""
    request = PrivateRequest(document.get("text"), document.get("public_text"), document.get("message_id"))
    return handover().to_private(inquiry_id, agent_id, request)


@idempotent_function(data_keyword_argument="request", config=_idempotency, persistence_store=_persistence)
def _send_once(request: dict[str, Any], gate: Gate | None = None) -> dict[str, Any]:
    return _send(request, gate)


def _send(request: dict[str, Any], gate: Gate | None = None) -> dict[str, Any]:
    parsed = ReplyRequest.parse(request["body"])
    return replies().reply(request["inquiry_id"], request["agent_id"], parsed, gate)


def register_context(context: Any) -> None:
    """The invocation's Lambda context: an in-progress reply expires with the invocation's time left."""
    if context is not None:
        _idempotency.register_lambda_context(context)


def send_reply(inquiry_id: str, agent_id: str, body: Any, gate: Gate | None = None) -> dict[str, Any]:
    """POST /api/inquiries/{id}/replies: send (once per idempotency key) and say what happened; ``gate``
    refuses a reply that needs approval (409, nothing sent)."""
    key = body.get("idempotency_key") if isinstance(body, dict) else None
    if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 128):
        raise BadRequest("idempotency_key must be a string of 1 to 128 characters")
    request = {"inquiry_id": inquiry_id, "agent_id": agent_id, "key": key, "body": body}
    if key is None:
        return _send(request, gate)
    try:
        return _send_once(request=request, gate=gate)
    except IdempotencyValidationError as error:
        raise Conflict("this idempotency_key was used for another reply") from error
    except IdempotencyAlreadyInProgressError as error:
        raise Conflict("a reply with this idempotency_key is being sent") from error


APPROVAL = StoredDocument(lambda: config().approval_parameter, compiled_approval, default_approval)


def current_approval() -> ApprovalPolicy:
    """The stored approval policy (``KANAL_APPROVAL_PARAMETER``), or the shipped default when none is."""
    return APPROVAL.current()


@cache
def drafts() -> Drafts:
    return Drafts(
        MessageStore(), replies, current_approval, OrganisationStore(), notifier(), config().console_url
    )

"""Kanal's items in DynamoDB: the keys of its tables and indexes, and the mapping of each domain model to
its PynamoDB item and back. No reads or writes here: the stores (``inquiry_store``, ``message_store``,
``customer_store``, ``threads``, ``roster_store``) make those; the roster's items are ``roster_items``."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from functools import cache
from typing import Any

from pynamodb.connection import Connection
from pynamodb.expressions.update import Action

from kanal.adapters.models import AuthorMap, InquiryItem, MessageItem
from kanal.model import (
    Attachment,
    Author,
    Channel,
    Delivery,
    Direction,
    Draft,
    DraftEvent,
    DraftStatus,
    Escalation,
    Handback,
    Inquiry,
    Message,
    Note,
    Priority,
    Rating,
    Reason,
    RoutingFailure,
    Sla,
    Status,
    Transfer,
    Visibility,
)
from kanal.times import iso, parse_iso

UNROUTED = "triage"
NOTE = "note"  # the direction (and key prefix) of an internal note in the messages table
DRAFT = "draft"  # the direction (and key prefix) of a draft reply in the messages table


class AlreadyStored(Exception):
    """The message (by its platform id) or the conversation's open inquiry exists already."""


def message_key(channel: str, external_id: str) -> str:
    return f"{channel}#{external_id}"


def queue_key(team: str | None, status: str) -> str:
    return f"{team or UNROUTED}#{status}"


def queue_rank(priority: Priority | None, inquiry_id: str, created_at: datetime) -> str:
    band = priority.band if priority else "P9"
    due = iso(priority.sla_due_at) if priority and priority.sla_due_at else iso(created_at)
    return f"{band}#{due}#{inquiry_id}"


def _author_map(author: Author) -> AuthorMap:
    return AuthorMap(
        id=author.id,
        name=author.name,
        handle=author.handle,
        followers=author.followers,
        verified=author.verified,
    )


def _author(value: AuthorMap) -> Author:
    followers = value.followers
    return Author(
        value.id,
        value.name,
        value.handle,
        int(followers) if followers is not None else None,
        bool(value.verified),
    )


def priority_json(priority: Priority) -> dict[str, Any]:
    return {
        "score": priority.score,
        "band": priority.band,
        "rules_version": priority.rules_version,
        "reasons": [asdict(reason) for reason in priority.reasons],
    }


def _priority(item: InquiryItem) -> Priority | None:
    data = item.priority
    if not data:
        return None
    due = parse_iso(item.sla_due_at) if item.sla_due_at else None
    reasons = tuple(Reason(**reason) for reason in data.get("reasons", []))
    return Priority(data["score"], data["band"], reasons, due, data.get("rules_version"))


def transfer_json(transfer: Transfer) -> dict[str, Any]:
    return {**asdict(transfer), "at": iso(transfer.at)}


def _transfer(data: dict[str, Any]) -> Transfer:
    return Transfer(**{**data, "at": parse_iso(data["at"])})


def rating_json(rating: Rating) -> dict[str, Any]:
    return {**asdict(rating), "at": iso(rating.at)}


def _rating(data: dict[str, Any]) -> Rating:
    return Rating(**{**data, "at": parse_iso(data["at"])})


def to_inquiry(item: InquiryItem) -> Inquiry:
    return Inquiry(
        id=item.id,
        channel=Channel(item.channel),
        external_id=item.external_id,
        author=_author(item.author),
        text=item.text,
        visibility=Visibility(item.visibility),
        thread_id=item.thread_id,
        account_id=item.account_id,
        customer_id=item.customer_id,
        created_at=parse_iso(item.created_at),
        received_at=parse_iso(item.received_at),
        status=Status(item.status),
        language=item.language,
        priority=_priority(item),
        team=item.team,
        assignee=item.assignee,
        attachments=tuple(Attachment(**a) for a in item.attachments or []),
        sla=Sla.from_json(item.sla) if item.sla else None,
        escalations=tuple(
            Escalation(int(e["tier"]), parse_iso(e["at"]), tuple(e.get("to") or ()))
            for e in item.escalations or []
        ),
        claimed_at=parse_iso(item.claimed_at) if item.claimed_at else None,
        subject=item.subject,
        transfer=_transfer(item.transfer) if item.transfer else None,
        rating=_rating(item.rating) if item.rating else None,
        private_thread_key=item.private_thread_key,
        handback=_handback(item.handback) if item.handback else None,
        sender_verified=item.sender_verified is not False,
        routing_failure=_routing_failure(item.routing_failure) if item.routing_failure else None,
    )


def routing_failure_json(failure: RoutingFailure) -> dict[str, Any]:
    return {**asdict(failure), "at": iso(failure.at)}


def _routing_failure(data: dict[str, Any]) -> RoutingFailure:
    return RoutingFailure(**{**data, "at": parse_iso(data["at"])})


def handback_json(handback: Handback) -> dict[str, Any]:
    return {**asdict(handback), "at": iso(handback.at)}


def _handback(data: dict[str, Any]) -> Handback:
    return Handback(**{**data, "at": parse_iso(data["at"])})


def escalation_json(escalation: Escalation) -> dict[str, Any]:
    return {"tier": escalation.tier, "at": iso(escalation.at), "to": list(escalation.to)}


def status_actions(item: InquiryItem, status: Status, team: str | None = None) -> list[Action]:
    """Set the status, keeping the queue and assignee index keys in step."""
    team = team if team is not None else item.team
    actions: list[Action] = [
        InquiryItem.status.set(str(status)),
        InquiryItem.queue_key.set(queue_key(team, status)),
    ]
    if team is not None:
        actions.append(InquiryItem.team.set(team))
    if item.assignee:
        actions.append(InquiryItem.assignee_key.set(f"{item.assignee}#{status}"))
    return actions


def to_message(item: MessageItem) -> Message:
    return Message(
        inquiry_id=item.inquiry_id,
        channel=Channel(item.channel),
        external_id=item.external_id,
        direction=Direction(item.direction),
        author=_author(item.author),
        text=item.text,
        visibility=Visibility(item.visibility),
        created_at=parse_iso(item.created_at),
        edited=item.edited,
        removed=item.removed,
        attachments=tuple(Attachment(**a) for a in item.attachments or []),
        delivery=Delivery(**item.delivery) if item.delivery else None,
        parent_id=item.parent_id,
        mentions_account=bool(item.mentions_account),
        private_reply=item.private_reply,
    )


def to_note(item: MessageItem) -> Note:
    return Note(
        id=item.external_id,
        inquiry_id=item.inquiry_id,
        author=item.author.id,
        text=item.text,
        created_at=parse_iso(item.created_at),
        kind=item.note_kind or NOTE,
    )


def note_item(note: Note, channel: str) -> MessageItem:
    return MessageItem(
        key=f"{NOTE}#{note.id}",
        inquiry_id=note.inquiry_id,
        created_at=iso(note.created_at),
        channel=channel,
        external_id=note.id,
        direction=NOTE,
        author=AuthorMap(id=note.author),
        text=note.text,
        visibility=str(Visibility.PRIVATE),
        note_kind=note.kind,
    )


def draft_json(draft: Draft) -> dict[str, Any]:
    return {
        "status": str(draft.status),
        "rule": draft.rule,
        "team": draft.team,
        "reply": draft.reply,
        "history": [
            {"action": e.action, "by": e.by, "at": iso(e.at), **({"comment": e.comment} if e.comment else {})}
            for e in draft.history
        ],
    }


def to_draft(item: MessageItem) -> Draft:
    data = item.draft or {}
    return Draft(
        id=item.external_id,
        inquiry_id=item.inquiry_id,
        author=item.author.id,
        text=item.text,
        visibility=Visibility(item.visibility),
        status=DraftStatus(data.get("status", DraftStatus.DRAFT)),
        created_at=parse_iso(item.created_at),
        rule=data.get("rule"),
        team=data.get("team"),
        history=tuple(
            DraftEvent(e["action"], e["by"], parse_iso(e["at"]), e.get("comment"))
            for e in data.get("history", [])
        ),
        reply=data.get("reply"),
        version=int(item.draft_version or 0),
    )


def draft_item(draft: Draft, channel: str) -> MessageItem:
    return MessageItem(
        key=f"{DRAFT}#{draft.id}",
        inquiry_id=draft.inquiry_id,
        created_at=iso(draft.created_at),
        channel=channel,
        external_id=draft.id,
        direction=DRAFT,
        author=AuthorMap(id=draft.author),
        text=draft.text,
        visibility=str(draft.visibility),
        draft=draft_json(draft),
        draft_version=draft.version,
    )


def message_item(message: Message, in_reply_to: str | None = None) -> MessageItem:
    return MessageItem(
        key=message_key(message.channel, message.external_id),
        inquiry_id=message.inquiry_id,
        created_at=iso(message.created_at),
        channel=str(message.channel),
        external_id=message.external_id,
        direction=str(message.direction),
        author=_author_map(message.author),
        text=message.text,
        visibility=str(message.visibility),
        attachments=[asdict(a) for a in message.attachments],
        in_reply_to=in_reply_to,
        delivery=asdict(message.delivery) if message.delivery else None,
        parent_id=message.parent_id,
        mentions_account=message.mentions_account or None,
    )


def inquiry_item(inquiry: Inquiry, thread_key: str) -> InquiryItem:
    now = iso(datetime.now(UTC))
    return InquiryItem(
        id=inquiry.id,
        channel=str(inquiry.channel),
        external_id=inquiry.external_id,
        author=_author_map(inquiry.author),
        text=inquiry.text,
        visibility=str(inquiry.visibility),
        thread_id=inquiry.thread_id,
        thread_key=thread_key,
        account_id=inquiry.account_id,
        customer_id=inquiry.customer_id,
        language=inquiry.language,
        status=str(inquiry.status),
        team=inquiry.team,
        assignee=inquiry.assignee,
        created_at=iso(inquiry.created_at),
        received_at=iso(inquiry.received_at),
        updated_at=now,
        attachments=[asdict(a) for a in inquiry.attachments],
        subject=inquiry.subject,
        sender_verified=None if inquiry.sender_verified else False,  # written only when not verified
        queue_key=queue_key(inquiry.team, inquiry.status),
        queue_rank=queue_rank(inquiry.priority, inquiry.id, inquiry.created_at),
    )


@cache
def connection(region: str | None) -> Connection:
    """One connection (one botocore client) for transactions: creating a client costs ~100 ms."""
    return Connection(region=region)

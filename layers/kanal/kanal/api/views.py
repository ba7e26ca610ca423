"""The agent API's response shapes (see ARCHITECTURE.md's contract): domain models to JSON."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from kanal.adapters.dynamo import iso
from kanal.model import Author, Inquiry, Message


def author_view(author: Author) -> dict[str, Any]:
    return {"id": author.id, "name": author.name, "handle": author.handle}


def inquiry_view(inquiry: Inquiry) -> dict[str, Any]:
    priority = inquiry.priority
    return {
        "id": inquiry.id,
        "channel": str(inquiry.channel),
        "external_id": inquiry.external_id,
        "author": author_view(inquiry.author),
        "text": inquiry.text,
        "visibility": str(inquiry.visibility),
        "thread_id": inquiry.thread_id,
        "status": str(inquiry.status),
        "priority": {
            "score": priority.score,
            "band": priority.band,
            "reasons": [asdict(reason) for reason in priority.reasons],
            "rules_version": priority.rules_version,
        }
        if priority
        else None,
        "sla_due_at": iso(priority.sla_due_at) if priority and priority.sla_due_at else None,
        "assignee": inquiry.assignee,
        "team": inquiry.team,
        "customer_id": inquiry.customer_id,
        "language": inquiry.language,
        "account_id": inquiry.account_id,
        "created_at": iso(inquiry.created_at),
        "received_at": iso(inquiry.received_at),
        "attachments": [asdict(a) for a in inquiry.attachments],
    }


def message_view(message: Message) -> dict[str, Any]:
    return {
        "external_id": message.external_id,
        "direction": str(message.direction),
        "author": author_view(message.author),
        "text": message.text,
        "visibility": str(message.visibility),
        "created_at": iso(message.created_at),
        "edited": message.edited,
        "removed": message.removed,
        "attachments": [asdict(a) for a in message.attachments],
    }


def detail_view(inquiry: Inquiry, messages: list[Message]) -> dict[str, Any]:
    ordered = sorted(messages, key=lambda m: (m.created_at, m.external_id))
    return {**inquiry_view(inquiry), "messages": [message_view(m) for m in ordered]}

"""The agent API's response shapes (the contract in docs/architecture.md): domain models to JSON."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from kanal.channels.outbound.windows import window
from kanal.model import (
    Author,
    Channel,
    Contact,
    Direction,
    Draft,
    Handback,
    Inquiry,
    Message,
    Note,
    RoutingFailure,
    Visibility,
)
from kanal.routing.roster import Agent, Team
from kanal.times import iso


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
        "sla_due_at": iso(inquiry.sla.due_at)
        if inquiry.sla
        else iso(priority.sla_due_at)
        if priority and priority.sla_due_at
        else None,
        "breached": bool(inquiry.sla and inquiry.sla.breached),
        "sla_warn_at": iso(inquiry.sla.warn_at) if inquiry.sla and inquiry.sla.warn_at else None,
        "sla_paused": bool(inquiry.sla and inquiry.sla.paused),
        "sla_responded": bool(inquiry.sla and inquiry.sla.responded),
        "sla_tier": inquiry.sla.tier if inquiry.sla else 0,
        "assignee": inquiry.assignee,
        "team": inquiry.team,
        "customer_id": inquiry.customer_id,
        "language": inquiry.language,
        "account_id": inquiry.account_id,
        "created_at": iso(inquiry.created_at),
        "received_at": iso(inquiry.received_at),
        "attachments": [asdict(a) for a in inquiry.attachments],
        "sender_verified": inquiry.sender_verified,
        **({"handback": handback_view(inquiry.handback)} if inquiry.handback else {}),
        **(
            {"routing_failure": routing_failure_view(inquiry.routing_failure)}
            if inquiry.routing_failure
            else {}
        ),
    }


def routing_failure_view(failure: RoutingFailure) -> dict[str, Any]:
    """Its routing execution ended on a failed task: no SLA warnings or escalations until it is restarted."""
    return {"error": failure.error, "at": iso(failure.at), "state": failure.state}


def handback_view(handback: Handback) -> dict[str, Any]:
    """The conversation passed back to the company's bot after the resolve (Messenger, Instagram)."""
    return {"to": handback.to, "at": iso(handback.at), "status": handback.status, "error": handback.error}


def message_view(message: Message) -> dict[str, Any]:
    return {
        "external_id": message.external_id,
        "direction": str(message.direction),
        "author": author_view(message.author),
        "text": message.text,
        "visibility": str(message.visibility),
        "created_at": iso(message.created_at),
        "channel": str(message.channel),  # a handed-over inquiry holds a public and a private half
        "edited": message.edited,
        "removed": message.removed,
        "attachments": [asdict(a) for a in message.attachments],
        **(
            {"delivery": {"status": message.delivery.status, "error": message.delivery.error}}
            if message.delivery
            else {}
        ),
    }


def sla_view(inquiry: Inquiry) -> dict[str, Any] | None:
    sla = inquiry.sla
    if sla is None:
        return None
    return {
        "due_at": iso(sla.due_at),
        "started_at": iso(sla.started_at),
        "warn_at": iso(sla.warn_at) if sla.warn_at else None,
        "first_response_at": iso(sla.first_response_at) if sla.first_response_at else None,
        "paused": sla.paused,
        "responded": sla.responded,
        "breached": sla.breached,
        "tier": sla.tier,
    }


def note_view(note: Note) -> dict[str, Any]:
    return {
        "id": note.id,
        "author": note.author,
        "text": note.text,
        "created_at": iso(note.created_at),
        "kind": note.kind,
    }


def draft_view(draft: Draft) -> dict[str, Any]:
    """A draft reply with who did what to it and when (``history``), and the approval it waits for."""
    return {
        "id": draft.id,
        "text": draft.text,
        "visibility": str(draft.visibility),
        "status": str(draft.status),
        "author": draft.author,
        "created_at": iso(draft.created_at),
        "approval": {"rule": draft.rule, "team": draft.team} if draft.rule else None,
        "reply": draft.reply,
        "history": [
            {"action": e.action, "by": e.by, "at": iso(e.at), **({"comment": e.comment} if e.comment else {})}
            for e in draft.history
        ],
    }


def contact_view(contact: Contact) -> dict[str, Any]:
    """One entry of the customer's timeline: where and when, never what (a message is read in its inquiry)."""
    return {
        "channel": contact.channel,
        "kind": contact.kind,
        "at": iso(contact.at),
        "inquiry_id": contact.inquiry_id,
    }


def transfer_view(inquiry: Inquiry) -> dict[str, Any] | None:
    transfer = inquiry.transfer
    if transfer is None:
        return None
    return {
        "at": iso(transfer.at),
        "by": transfer.by,
        "note": transfer.note,
        "from_agent": transfer.from_agent,
        "from_team": transfer.from_team,
        "to_agent": transfer.to_agent,
        "to_team": transfer.to_team,
    }


def rating_view(inquiry: Inquiry) -> dict[str, Any] | None:
    rating = inquiry.rating
    if rating is None:
        return None
    return {"score": rating.score, "nps": rating.nps, "agent": rating.agent, "at": iso(rating.at)}


def windows_view(inquiry: Inquiry, ordered: list[Message], now: datetime) -> dict[str, Any]:
    """The channel's window for a public and for a private reply to the customer's latest message, as the
    replies route would judge it now (kanal.channels.outbound.windows): open, how long, or why not. The
    latest message's own channel counts: after a handover the customer writes in the private chat."""
    inbound = [m for m in ordered if m.direction is Direction.IN and not m.removed]
    if not inbound:
        return {}
    latest = inbound[-1]
    views: dict[str, Any] = {}
    for visibility in Visibility:
        found = window(
            Channel(str(latest.channel)), visibility, latest.created_at, now, answering=latest.visibility
        )
        views[str(visibility)] = {
            "open": found.open,
            "name": found.name,
            "closes_at": iso(found.closes_at) if found.closes_at else None,
            "remaining_seconds": int(found.remaining.total_seconds())
            if found.remaining is not None
            else None,
            "reason": found.reason,
            "options": list(found.options),
        }
    return views


def detail_view(
    inquiry: Inquiry,
    messages: list[Message],
    notes: list[Note] | None = None,
    timeline: list[Contact] | None = None,
    drafts: list[Draft] | None = None,
    now: datetime | None = None,
    can_approve: Callable[[Draft], bool] | None = None,
) -> dict[str, Any]:
    """The inquiry with its conversation (inbound and outbound only), its internal notes, its last handover
    (the note the new owner reads first), the customer's timeline across channels, SLA and escalations,
    its draft replies with their history and whether the caller approves each (``can_approve``), and the
    channel's reply windows now."""
    ordered = sorted(messages, key=lambda m: (m.created_at, m.external_id))
    return {
        **inquiry_view(inquiry),
        "messages": [message_view(m) for m in ordered],
        "notes": [note_view(n) for n in sorted(notes or [], key=lambda n: (n.created_at, n.id))],
        "transfer": transfer_view(inquiry),
        "timeline": [contact_view(c) for c in timeline or []],
        "csat": rating_view(inquiry),
        "sla": sla_view(inquiry),
        "escalations": [{"tier": e.tier, "at": iso(e.at), "to": list(e.to)} for e in inquiry.escalations],
        "claimed_at": iso(inquiry.claimed_at) if inquiry.claimed_at else None,
        "drafts": [
            {**draft_view(d), "can_approve": bool(can_approve and can_approve(d))}
            for d in sorted(drafts or [], key=lambda d: (d.created_at, d.id))
        ],
        "windows": windows_view(inquiry, ordered, now or datetime.now(UTC)),
    }


def agent_view(agent: Agent) -> dict[str, Any]:
    """An agent as leads and admins see them: profile, status, caseload and figures."""
    figures = agent.figures
    return {
        "id": agent.id,
        "name": agent.name,
        "teams": list(agent.teams),
        "groups": list(agent.groups),
        "enabled": agent.enabled,
        "status": str(agent.status),
        "skills": {
            "channels": list(agent.skills.channels),
            "languages": list(agent.skills.languages),
            "topics": list(agent.skills.topics),
        },
        "max_concurrent": agent.max_concurrent,
        "open_caseload": figures.open_caseload,
        "email": agent.email,
        "phone": agent.phone,
        "language": agent.language,
        "figures": {
            "average_first_response_seconds": figures.average_first_response_seconds,
            "csat": figures.csat,
            "first_responses": figures.first_responses,
        },
    }


def team_view(team: Team) -> dict[str, Any]:
    return {
        "id": team.id,
        "name": team.name,
        "lead": team.lead,
        "channels": list(team.channels),
        "languages": list(team.languages),
        "topics": list(team.topics),
        "calendar": team.calendar,
        "escalation_chain": list(team.escalation_chain),
        "order": team.order,
    }

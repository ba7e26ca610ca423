"""What an agent, a lead or the on-call contact is told, in their language (German or English).

A notice names the band, the channel, the due time and links to the inquiry in the console. It never
carries the customer's message, name or handle: an SMS can be read over a shoulder and e-mail is kept
for years; the console shows the rest to whoever may see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kanal.model import Inquiry

TIMEZONE = ZoneInfo("Europe/Berlin")

CHANNELS = {
    "de": {
        "facebook": "Facebook-Kommentar",
        "messenger": "Messenger",
        "instagram": "Instagram",
        "whatsapp": "WhatsApp",
        "x": "X",
        "email": "E-Mail",
    },
    "en": {
        "facebook": "Facebook comment",
        "messenger": "Messenger",
        "instagram": "Instagram",
        "whatsapp": "WhatsApp",
        "x": "X",
        "email": "e-mail",
    },
}

TEXTS: dict[str, dict[str, Any]] = {
    "de": {
        "assigned": ("Neue Anfrage für Sie", "Ihnen wurde eine {band}-Anfrage ({channel}) zugewiesen."),
        "transferred": (
            "Anfrage an Sie übergeben",
            "Ihnen wurde eine {band}-Anfrage ({channel}) mit einer Notiz übergeben: bitte zuerst lesen.",
        ),
        "reopened": (
            "Anfrage wieder geöffnet",
            "Eine {band}-Anfrage ({channel}) wurde wieder geöffnet und Ihnen zugewiesen.",
        ),
        "queued": (
            "Anfrage wartet in der Warteschlange",
            "Eine {band}-Anfrage ({channel}) wartet im Team {team}: niemand ist frei.",
        ),
        "warning": (
            "Frist läuft bald ab",
            "Die Antwortfrist Ihrer {band}-Anfrage ({channel}) läuft bald ab.",
        ),
        "escalation": (
            "Eskalation Stufe {tier}",
            "Die Antwortfrist einer {band}-Anfrage ({channel}, Team {team}) ist verstrichen: Stufe {tier}.",
        ),
        "routing_failed": (
            "Routing fehlgeschlagen",
            "Das Routing einer {band}-Anfrage ({channel}, Team {team}) ist fehlgeschlagen: "
            "keine Fristwarnungen und Eskalationen mehr, bis es neu gestartet wird. "
            "Sie wartet in der Warteschlange.",
        ),
        "due": "Fällig: {due}",
        "open": "Öffnen: {link}",
        "reply": "Antworten Sie 1 ({ref}), um sie zu übernehmen, oder 2, um sie weiterzugeben.",
    },
    "en": {
        "assigned": ("New inquiry for you", "A {band} inquiry ({channel}) was assigned to you."),
        "transferred": (
            "Inquiry handed to you",
            "A {band} inquiry ({channel}) was handed to you with a note: please read it first.",
        ),
        "reopened": ("Inquiry reopened", "A {band} inquiry ({channel}) was reopened and assigned to you."),
        "queued": (
            "Inquiry waiting in the queue",
            "A {band} inquiry ({channel}) is waiting in team {team}: nobody is free.",
        ),
        "warning": (
            "Deadline close",
            "The response deadline of your {band} inquiry ({channel}) is close.",
        ),
        "escalation": (
            "Escalation tier {tier}",
            "The response deadline of a {band} inquiry ({channel}, team {team}) passed: tier {tier}.",
        ),
        "routing_failed": (
            "Routing failed",
            "Routing a {band} inquiry ({channel}, team {team}) failed: no deadline warnings or escalations "
            "until it is restarted. It waits in the queue.",
        ),
        "due": "Due: {due}",
        "open": "Open: {link}",
        "reply": "Reply 1 ({ref}) to take it, or 2 to pass it on.",
    },
}


@dataclass(frozen=True)
class Notice:
    kind: str  # assigned | transferred | reopened | queued | warning | escalation | routing_failed
    inquiry_id: str
    recipient: str  # an agent id, or "ops"
    team: str
    band: str
    channel: str
    deliver: tuple[str, ...]  # email, sms
    subject: str
    email: str
    sms: str
    tier: int = 0


def reference(inquiry_id: str) -> str:
    """The short reference an SMS names an inquiry by (and a reply may repeat)."""
    return inquiry_id[:6].upper()


def compose(
    kind: str,
    inquiry: Inquiry,
    recipient: str,
    language: str,
    console_url: str,
    deliver: tuple[str, ...] = ("email", "sms"),
    tier: int = 0,
    asks_reply: bool = False,
) -> Notice:
    texts = TEXTS.get(language) or TEXTS["en"]
    band = inquiry.priority.band if inquiry.priority else "P4"
    channel = CHANNELS.get(language, CHANNELS["en"]).get(str(inquiry.channel), str(inquiry.channel))
    team = inquiry.team or "-"
    subject_template, line_template = texts[kind]
    values = {"band": band, "channel": channel, "team": team, "tier": tier, "ref": reference(inquiry.id)}
    due = inquiry.sla.due_at if inquiry.sla else None
    due_text = texts["due"].format(due=_local(due)) if due else ""
    link = f"{console_url.rstrip('/')}/#/inquiries/{inquiry.id}"
    line = line_template.format(**values)
    ask = texts["reply"].format(**values) if asks_reply else ""
    email = "\n".join(part for part in (line, due_text, texts["open"].format(link=link)) if part)
    sms = " ".join(part for part in (f"Kanal {reference(inquiry.id)}:", line, due_text, ask, link) if part)
    return Notice(
        kind=kind,
        inquiry_id=inquiry.id,
        recipient=recipient,
        team=team,
        band=band,
        channel=str(inquiry.channel),
        deliver=deliver,
        subject=f"Kanal {band}: {subject_template.format(**values)}",
        email=email,
        sms=sms,
        tier=tier,
    )


def _local(moment: datetime) -> str:
    return moment.astimezone(TIMEZONE).strftime("%d.%m. %H:%M:%S")

"""Plain domain models shared by every part of Kanal.

Nothing here knows about AWS event shapes or DynamoDB items: adapters map to and from these.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

# the vocabularies live in kanal.kinds (the ack path needs them without these classes); they stay
# importable from here
from kanal.kinds import (  # noqa: F401
    OPEN_STATUSES,
    Action,
    Channel,
    ControlAction,
    Direction,
    Status,
    Visibility,
)


@dataclass(frozen=True)
class Author:
    id: str
    name: str | None = None
    handle: str | None = None
    followers: int | None = None
    verified: bool = False


@dataclass(frozen=True)
class Attachment:
    type: str
    url: str | None = None


@dataclass(frozen=True)
class InboundMessage:
    """One customer (or company) message as a platform delivered it, normalised.

    ``thread_id`` names the conversation as the platform sees it (DM thread, the top-level comment a
    reply sits under, the root Message-ID of an e-mail thread); ``in_reply_to`` the platform id of the
    message this one answers, when the platform says so.
    """

    channel: Channel
    external_id: str
    author: Author
    text: str
    visibility: Visibility
    thread_id: str
    account_id: str
    created_at: datetime
    received_at: datetime
    action: Action = Action.CREATE
    in_reply_to: str | None = None
    attachments: tuple[Attachment, ...] = ()
    language: str | None = None
    own: bool = False  # the company's own post, echo or answer
    parent_id: str | None = None  # the post or comment this one sits under (public channels)
    subject: str | None = None  # e-mail
    # other ids the platform gives the same author (a WhatsApp user's BSUID next to their phone number):
    # they are linked to the same customer
    author_aliases: tuple[str, ...] = ()
    # the author @mentioned the company's account in it or quoted one of its posts: on X a self-serve app
    # may reply publicly only then; on Instagram it is an @mention on someone else's media
    mentions_account: bool = False
    # Messenger / Instagram: delivered as ``standby``, i.e. while another app (a bot, the Page Inbox) owns
    # the conversation (kanal.intake.threads decides what becomes of it)
    standby: bool = False
    # e-mail: False when SES's receipt does not vouch for the From address (DMARC failed, or neither SPF nor
    # DKIM passed): the mail is kept apart from the customer that address belongs to (kanal.intake.ingest)
    sender_verified: bool = True


@dataclass(frozen=True)
class ContactEvent:
    """A contact outside the social channels: a hotline call, an e-mail, an order (from a CRM or shop)."""

    event_id: str
    kind: str  # call | email | order | chat | visit
    occurred_at: datetime
    channel: str | None = None  # identity the customer is known by, e.g. "email", "phone", "x"
    identity: str | None = None  # the handle/address/author id on that channel
    customer_ref: str | None = None  # the CRM's own customer id
    amount: float | None = None  # order value
    vip: bool | None = None
    source: str | None = None


@dataclass(frozen=True)
class Contact:
    """One entry on a customer's timeline: any inbound contact on any channel."""

    at: datetime
    channel: str
    kind: str  # message | call | email | order | ...
    ref: str
    inquiry_id: str | None = None  # the inquiry a message belongs to (None for a contact event)


@dataclass(frozen=True)
class CustomerContext:
    """What Kanal knows about the customer behind an inquiry, for scoring and for the agent."""

    customer_id: str
    vip: bool = False
    purchase_count: int = 0
    lifetime_value: float = 0.0
    followers: int | None = None
    verified: bool = False
    recent_contacts: tuple[Contact, ...] = ()


@dataclass(frozen=True)
class Reason:
    rule: str
    matched: str
    weight: float


@dataclass(frozen=True)
class Priority:
    score: int  # 0-100
    band: str  # P1 (most urgent) .. P4
    reasons: tuple[Reason, ...] = ()
    sla_due_at: datetime | None = None
    rules_version: str | None = None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Sla:
    """The SLA clock of an inquiry (see kanal.routing.clock)."""

    started_at: datetime  # the current window opened
    due_at: datetime  # the response is due
    warn_at: datetime | None = None
    warned: bool = False
    responded: bool = False  # the current window's response was given
    paused: bool = False  # waiting on the customer
    first_response_at: datetime | None = None
    breached: bool = False
    tier: int = 0  # escalation tiers fired in this window
    version: int = 0

    @property
    def window(self) -> timedelta:
        return self.due_at - self.started_at

    @property
    def pending(self) -> bool:
        """A response is owed and the clock runs."""
        return not self.responded and not self.paused

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("started_at", "due_at", "warn_at", "first_response_at"):
            data[key] = _iso(data[key])
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Sla:
        started, due = _time(data["started_at"]), _time(data["due_at"])
        assert started is not None and due is not None
        return cls(
            started_at=started,
            due_at=due,
            warn_at=_time(data.get("warn_at")),
            warned=bool(data.get("warned")),
            responded=bool(data.get("responded")),
            paused=bool(data.get("paused")),
            first_response_at=_time(data.get("first_response_at")),
            breached=bool(data.get("breached")),
            tier=int(data.get("tier", 0)),
            version=int(data.get("version", 0)),
        )


@dataclass(frozen=True)
class Escalation:
    tier: int
    at: datetime
    to: tuple[str, ...]  # who was told: agent ids, or "ops"


@dataclass(frozen=True)
class Transfer:
    """An inquiry handed to another agent or team, with the note the new owner reads first."""

    at: datetime
    by: str  # the agent who handed it over
    note: str
    from_agent: str | None = None
    from_team: str | None = None
    to_agent: str | None = None  # None: nobody of the team was free; it waits in the team's queue
    to_team: str | None = None


@dataclass(frozen=True)
class ThreadControl:
    """A change of the app that owns one customer's Messenger or Instagram conversation with an account."""

    channel: Channel
    account_id: str  # the Page or Instagram account
    customer_id: str  # the customer's PSID / IGSID (the platform's, not Kanal's customer id)
    action: ControlAction
    at: datetime
    new_owner: str | None  # app id; None for a request, or a conversation left idle
    previous_owner: str | None = None
    metadata: str | None = None  # the passing app's note (e.g. what the bot learnt), never logged
    requested_by: str | None = None  # a request: the app that asks

    @property
    def thread_id(self) -> str:
        return f"{self.account_id}:{self.customer_id}"


@dataclass(frozen=True)
class RoutingFailure:
    """A routing task that failed after its retries: the execution ended, the SLA clock stopped with it."""

    error: str  # the error's name only (e.g. States.Timeout), never its message
    at: datetime
    state: str  # the state machine's state that failed (Route, Await, Deadline)


@dataclass(frozen=True)
class Handback:
    """Kanal passing a resolved conversation back to the company's bot, and how that went."""

    at: datetime
    to: str  # the bot's app id
    status: str  # passed | failed
    error: str | None = None


@dataclass(frozen=True)
class Rating:
    """The customer's satisfaction with an inquiry (1-5) and their likelihood to recommend (NPS, 0-10)."""

    score: int
    at: datetime
    agent: str  # the owner the score counts for
    nps: int | None = None


@dataclass
class Inquiry:
    id: str
    channel: Channel
    external_id: str
    author: Author
    text: str
    visibility: Visibility
    thread_id: str
    account_id: str
    customer_id: str
    created_at: datetime
    received_at: datetime
    status: Status = Status.NEW
    language: str | None = None
    priority: Priority | None = None
    team: str | None = None
    assignee: str | None = None
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    sla: Sla | None = None
    escalations: tuple[Escalation, ...] = ()
    claimed_at: datetime | None = None
    subject: str | None = None  # e-mail: the subject the customer wrote under
    transfer: Transfer | None = None  # the last handover
    rating: Rating | None = None
    # handed over to a private chat: the customer's private conversation ("<customer>#<channel>#<thread>")
    # whose messages join this inquiry
    private_thread_key: str | None = None
    handback: Handback | None = None  # Messenger / Instagram: the conversation passed back to the bot
    # e-mail whose sender SES could not verify: opened apart from the customer the From address names
    sender_verified: bool = True
    routing_failure: RoutingFailure | None = None  # its routing execution ended on a failed task


@dataclass(frozen=True)
class Message:
    """One inbound or outbound message of an inquiry, as stored."""

    inquiry_id: str
    channel: Channel
    external_id: str
    direction: Direction
    author: Author
    text: str
    visibility: Visibility
    created_at: datetime
    edited: bool = False
    removed: bool = False
    attachments: tuple[Attachment, ...] = ()
    delivery: Delivery | None = None  # outbound messages: whether the platform took it
    parent_id: str | None = None  # inbound, public channels: the post, media or comment it sits under
    # inbound: the author @mentioned the company's account or quoted its post (InboundMessage has the same)
    mentions_account: bool = False
    # inbound, public: the platform id of the private message a handover sent in answer to it (Meta allows
    # one private reply per comment or post)
    private_reply: str | None = None


@dataclass(frozen=True)
class Delivery:
    status: str  # sent | failed
    error: str | None = None
    reply_id: str | None = None  # the id the agent API answered the reply with
    sent_by: str | None = None  # the agent


@dataclass(frozen=True)
class Note:
    """An internal note on an inquiry: agents only, never sent to the customer."""

    id: str
    inquiry_id: str
    author: str  # the agent id
    text: str
    created_at: datetime
    kind: str = "note"  # note | transfer (the note a handover carried)


class DraftStatus(StrEnum):
    DRAFT = "draft"  # needs no approval: its author sends it
    PENDING = "pending"  # waits for the approving team
    REJECTED = "rejected"  # an approver sent it back with a comment; the author's edit submits it again
    PUBLISHING = "publishing"  # one approval claimed it and is sending it
    PUBLISHED = "published"
    FAILED = "failed"  # the platform refused it after the retries; it may be approved (sent) again


@dataclass(frozen=True)
class DraftEvent:
    """One entry of a draft's history: created, edited, submitted, approved, sent, rejected, published,
    failed."""

    action: str
    by: str
    at: datetime
    comment: str | None = None


@dataclass(frozen=True)
class Draft:
    id: str
    inquiry_id: str
    author: str
    text: str
    visibility: Visibility
    status: DraftStatus
    created_at: datetime
    rule: str | None = None  # the approval rule it matched; None: it needs no approval
    team: str | None = None  # the approving team
    history: tuple[DraftEvent, ...] = ()
    reply: dict[str, Any] | None = None  # once sent: {"id", "status", "external_id", "error"?}
    version: int = 0

"""PynamoDB models, one per table (the customers table holds several item kinds under pk/sk).

Table names are bound at runtime from configuration (`bind`), so the same models serve AWS, the
embedded emulator and tests.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from kanal.config import Config


class QueueIndex(GlobalSecondaryIndex["InquiryItem"]):
    class Meta:
        index_name = "by_queue"
        projection = AllProjection()

    queue_key = UnicodeAttribute(hash_key=True)  # "<team>#<status>"
    queue_rank = UnicodeAttribute(range_key=True)  # "<band>#<sla due>#<id>": most urgent first


class AssigneeIndex(GlobalSecondaryIndex["InquiryItem"]):
    class Meta:
        index_name = "by_assignee"
        projection = AllProjection()

    assignee_key = UnicodeAttribute(hash_key=True)  # "<agent>#<status>"
    queue_rank = UnicodeAttribute(range_key=True)


class AuthorMap(MapAttribute[str, object]):
    id = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    handle = UnicodeAttribute(null=True)
    followers = NumberAttribute(null=True)
    verified = BooleanAttribute(default=False)


class InquiryItem(Model):
    class Meta:
        table_name = "unbound"
        region: str | None = None

    id = UnicodeAttribute(hash_key=True)
    channel = UnicodeAttribute()
    external_id = UnicodeAttribute()
    author = AuthorMap()
    text = UnicodeAttribute(default="")
    visibility = UnicodeAttribute()
    thread_id = UnicodeAttribute()
    thread_key = UnicodeAttribute()
    account_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    language = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    team = UnicodeAttribute(null=True)
    assignee = UnicodeAttribute(null=True)
    priority = JSONAttribute(null=True)  # {"score", "band", "reasons", "rules_version"}
    sla_due_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    received_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    attachments = JSONAttribute(default=list)
    task_token = UnicodeAttribute(null=True)
    execution_arn = UnicodeAttribute(null=True)
    sla = JSONAttribute(null=True)  # the SLA clock (kanal.routing.clock.Sla as JSON)
    escalations = JSONAttribute(default=list)  # [{"tier", "at", "to"}]
    breached = BooleanAttribute(null=True)  # the SLA's breached flag, as an attribute a filter can read
    claimed_at = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    transfer = JSONAttribute(null=True)  # the last handover: {"at", "by", "note", "from_*", "to_*"}
    rating = JSONAttribute(null=True)  # the customer's CSAT (and NPS), once: {"score", "nps", "at", "agent"}
    private_thread_key = UnicodeAttribute(null=True)  # handed over: the private conversation it also holds
    handback = JSONAttribute(null=True)  # passed back to the bot: {"at", "to", "status", "error"}
    routing_failure = JSONAttribute(
        null=True
    )  # the routing execution ended on a failed task: {"error", "at", "state"}
    sender_verified = BooleanAttribute(null=True)  # False: an e-mail SES could not verify the sender of
    queue_key = UnicodeAttribute()
    queue_rank = UnicodeAttribute()
    assignee_key = UnicodeAttribute(null=True)
    version = VersionAttribute()
    by_queue = QueueIndex()
    by_assignee = AssigneeIndex()


class InquiryMessagesIndex(GlobalSecondaryIndex["MessageItem"]):
    class Meta:
        index_name = "by_inquiry"
        projection = AllProjection()

    inquiry_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class MessageItem(Model):
    """Keyed on the platform's own id ("<channel>#<external id>"): a redelivery cannot store twice.

    An internal note is an item of the same inquiry keyed "note#<id>", with direction "note", and a draft
    reply one keyed "draft#<id>", with direction "draft": one query on ``by_inquiry`` reads an inquiry's
    conversation, its notes and its drafts.
    """

    class Meta:
        table_name = "unbound"
        region: str | None = None

    key = UnicodeAttribute(hash_key=True)
    inquiry_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    channel = UnicodeAttribute()
    external_id = UnicodeAttribute()
    direction = UnicodeAttribute()
    author = AuthorMap()
    text = UnicodeAttribute(default="")
    visibility = UnicodeAttribute()
    attachments = JSONAttribute(default=list)
    edited = BooleanAttribute(default=False)
    removed = BooleanAttribute(default=False)
    in_reply_to = UnicodeAttribute(null=True)
    delivery = JSONAttribute(null=True)  # outbound: {"status", "error", "reply_id", "sent_by"}
    note_kind = UnicodeAttribute(null=True)  # a note's kind: note | transfer
    parent_id = UnicodeAttribute(null=True)  # inbound, public: the post, media or comment it sits under
    mentions_account = BooleanAttribute(null=True)  # inbound: @mentioned or quoted the company's account
    private_reply = UnicodeAttribute(null=True)  # inbound, public: the private message a handover sent to it
    draft = JSONAttribute(null=True)  # a draft reply: {"status", "rule", "team", "history", "reply"}
    draft_version = NumberAttribute(null=True)  # a draft's version: every change is conditional on it
    by_inquiry = InquiryMessagesIndex()


class CustomerItem(Model):
    """Customer context, one partition per customer plus lookup items.

    pk=CUST#<id>  sk=PROFILE            the customer (vip, purchases, lifetime value, reach)
    pk=CUST#<id>  sk=CONTACT#<at>#<ref> one contact on any channel (timeline, repeat-contact rule)
    pk=IDENT#<channel>#<id> sk=IDENT    an identity -> its customer
    pk=THREAD#<customer>#<channel>#<thread> sk=OPEN   the open inquiry of a conversation
    pk=OWNER#<channel>#<account>#<psid> sk=OWNER      the app that owns a Messenger / Instagram conversation
                                        (``ref``: its app id, "" when idle; ``at``: when it changed;
                                        ``created_at``: when Kanal learnt it; ``kind``: how)
    """

    class Meta:
        table_name = "unbound"
        region: str | None = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    customer_id = UnicodeAttribute(null=True)
    inquiry_id = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    vip = BooleanAttribute(null=True)
    purchase_count = NumberAttribute(null=True)
    lifetime_value = NumberAttribute(null=True)
    followers = NumberAttribute(null=True)
    verified = BooleanAttribute(null=True)
    identities = UnicodeSetAttribute(null=True)
    channel = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(null=True)
    at = UnicodeAttribute(null=True)
    ref = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)


def bind(config: Config) -> None:
    """Point every model at its table from configuration."""
    for model, table in (
        (InquiryItem, config.inquiries_table),
        (MessageItem, config.messages_table),
        (CustomerItem, config.customers_table),
    ):
        model.Meta.table_name = table
        model.Meta.region = config.region
        model._connection = None  # the next call connects to the newly bound table


class RosterIndex(GlobalSecondaryIndex["MemberItem"]):
    """The members of a team in one status: "online agents of team T" reads that team's online members."""

    class Meta:
        index_name = "by_roster"
        projection = AllProjection()

    roster = UnicodeAttribute(hash_key=True)  # "<team>#<status>"
    agent_id = UnicodeAttribute(range_key=True)


class KindIndex(GlobalSecondaryIndex["OrgItem"]):
    """Every agent, team or on-call contact of the organisation (lists for leads and admins)."""

    class Meta:
        index_name = "by_kind"
        projection = AllProjection()

    kind = UnicodeAttribute(hash_key=True)  # agent | team | oncall
    pk = UnicodeAttribute(range_key=True)


class OrgItem(Model):
    """The organisation table, one model per item kind:

    pk=AGENT#<id>   sk=PROFILE        an agent, their status and running figures
    pk=TEAM#<id>    sk=PROFILE        a team
    pk=TEAM#<id>    sk=MEMBER#<agent> a team membership, indexed by (team, status) for routing
    pk=ONCALL#<id>  sk=PROFILE        an on-call ops contact
    pk=SMS#<phone>  sk=REF#<ref>      a notification SMS that named an inquiry (two-way SMS replies)
    """

    class Meta:
        table_name = "unbound"
        region: str | None = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute(null=True)
    data = JSONAttribute(null=True)  # the profile (agent, team, on-call) as plain JSON
    status = UnicodeAttribute(null=True)
    open_caseload = NumberAttribute(null=True)
    max_concurrent = NumberAttribute(null=True)
    figures = JSONAttribute(null=True)
    first_responses = NumberAttribute(null=True)  # counters changed only by atomic ADD
    first_response_seconds = NumberAttribute(null=True)
    csat_count = NumberAttribute(null=True)
    csat_total = NumberAttribute(null=True)
    last_assigned_at = UnicodeAttribute(null=True)  # set alone on assignment, so it never overwrites figures
    subscriptions = JSONAttribute(null=True)  # protocol -> {"endpoint", "arn"}
    inquiry_id = UnicodeAttribute(null=True)
    agent_id = UnicodeAttribute(null=True)
    ref = UnicodeAttribute(null=True)
    sent_at = UnicodeAttribute(null=True)
    expires = NumberAttribute(null=True)
    by_kind = KindIndex()


class MemberItem(Model):
    class Meta:
        table_name = "unbound"
        region: str | None = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    roster = UnicodeAttribute()
    agent_id = UnicodeAttribute()
    team = UnicodeAttribute()
    by_roster = RosterIndex()


def bind_organisation(config: Config) -> None:
    for model in (OrgItem, MemberItem):
        model.Meta.table_name = config.organisation_table
        model.Meta.region = config.region
        model._connection = None

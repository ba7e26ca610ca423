"""The DynamoDB adapter of Kanal's store: domain models in, domain models out."""

from __future__ import annotations

import base64
import binascii
import heapq
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from functools import cache
from typing import Any, cast

from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from kanal.adapters.models import AssigneeIndex, AuthorMap, CustomerItem, InquiryItem, MessageItem, QueueIndex
from kanal.errors import BadRequest, Conflict
from kanal.model import (
    OPEN_STATUSES,
    Attachment,
    Author,
    Channel,
    Contact,
    CustomerContext,
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
    Sla,
    Status,
    Transfer,
    Visibility,
)
from kanal.times import iso, parse_iso

UNROUTED = "triage"
NOTE = "note"  # the direction (and key prefix) of an internal note in the messages table
DRAFT = "draft"  # the direction (and key prefix) of a draft reply in the messages table
BY_QUEUE, BY_ASSIGNEE = "by_queue", "by_assignee"


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


def _priority_json(priority: Priority) -> dict[str, Any]:
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
    )


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


def _note_item(note: Note, channel: str) -> MessageItem:
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


def _draft_json(draft: Draft) -> dict[str, Any]:
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


def _draft_item(draft: Draft, channel: str) -> MessageItem:
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
        draft=_draft_json(draft),
        draft_version=draft.version,
    )


def _message_item(message: Message, in_reply_to: str | None = None) -> MessageItem:
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


def _inquiry_item(inquiry: Inquiry, thread_key: str) -> InquiryItem:
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
def _connection(region: str | None) -> Connection:
    """One connection (one botocore client) for transactions: creating a client costs ~100 ms."""
    return Connection(region=region)


class DynamoStore:
    """Every read and write Kanal makes to its tables. Queries and key lookups only: never a Scan."""

    # ---------------------------------------------------------------- messages
    def get_message(self, channel: str, external_id: str) -> Message | None:
        try:
            return to_message(MessageItem.get(message_key(channel, external_id)))
        except DoesNotExist:
            return None

    def add_message(self, message: Message, in_reply_to: str | None = None) -> None:
        """Store a message once; raise AlreadyStored when its platform id is stored already."""
        try:
            _message_item(message, in_reply_to).save(condition=MessageItem.key.does_not_exist())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise AlreadyStored(message.external_id) from error
            raise
        update_inquiry(message.inquiry_id, [])

    def edit_message(self, channel: str, external_id: str, text: str) -> bool:
        return self._update_message(
            channel, external_id, [MessageItem.text.set(text), MessageItem.edited.set(True)]
        )

    def remove_message(self, channel: str, external_id: str) -> bool:
        return self._update_message(
            channel, external_id, [MessageItem.removed.set(True), MessageItem.text.set("")]
        )

    def _update_message(self, channel: str, external_id: str, actions: list[Action]) -> bool:
        try:
            item = MessageItem.get(message_key(channel, external_id))
        except DoesNotExist:
            return False
        item.update(actions=actions)
        inquiry = self.get_inquiry(item.inquiry_id) if item.inquiry_id else None  # None: a held message
        if inquiry is not None and inquiry.external_id == external_id:
            update_inquiry(item.inquiry_id, [InquiryItem.text.set(item.text)])  # it shows its first message
        return True

    def messages_of(self, inquiry_id: str) -> list[Message]:
        return self.thread_of(inquiry_id)[0]

    def thread_of(self, inquiry_id: str) -> tuple[list[Message], list[Note]]:
        """The inquiry's inbound and outbound messages and its internal notes, from one query."""
        messages, notes, _ = self.conversation_of(inquiry_id)
        return messages, notes

    def conversation_of(self, inquiry_id: str) -> tuple[list[Message], list[Note], list[Draft]]:
        """The inquiry's messages, internal notes and draft replies, from one query."""
        messages: list[Message] = []
        notes: list[Note] = []
        drafts: list[Draft] = []
        for item in MessageItem.by_inquiry.query(inquiry_id):
            if item.direction == NOTE:
                notes.append(to_note(item))
            elif item.direction == DRAFT:
                drafts.append(to_draft(item))
            else:
                messages.append(to_message(item))
        return messages, notes, drafts

    # ---------------------------------------------------------------- drafts
    def get_draft(self, inquiry_id: str, draft_id: str) -> Draft | None:
        try:
            item = MessageItem.get(f"{DRAFT}#{draft_id}", consistent_read=True)
        except DoesNotExist:
            return None
        return to_draft(item) if item.inquiry_id == inquiry_id and item.direction == DRAFT else None

    def add_draft(self, draft: Draft, channel: str) -> Draft:
        """Store a new draft (version 1) of an inquiry (``channel``: the inquiry's, for the item's shape)."""
        stored = replace(draft, version=1)
        _draft_item(stored, channel).save(condition=MessageItem.key.does_not_exist())
        return stored

    def save_draft(self, draft: Draft, expected_version: int) -> Draft:
        """Write the draft's text and state while its stored version is ``expected_version``; Conflict when
        another change came first (two approvers: one wins)."""
        saved = replace(draft, version=expected_version + 1)
        try:
            MessageItem(f"{DRAFT}#{draft.id}").update(
                actions=[
                    MessageItem.text.set(saved.text),
                    MessageItem.draft.set(_draft_json(saved)),
                    MessageItem.draft_version.set(saved.version),
                ],
                condition=MessageItem.draft_version == expected_version,
            )
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict("the draft was changed meanwhile; reload it") from error
            raise
        return saved

    def add_note(self, note: Note, channel: str) -> None:
        """Store an internal note of an inquiry (``channel``: the inquiry's, kept for the item's shape)."""
        _note_item(note, channel).save(condition=MessageItem.key.does_not_exist())

    # ---------------------------------------------------------------- customers
    def find_customer(self, channel: str, identity: str) -> str | None:
        try:
            return CustomerItem.get(f"IDENT#{channel}#{identity}", "IDENT").customer_id
        except DoesNotExist:
            return None

    def link_identity(self, channel: str, author: Author, customer_id: str) -> str:
        """Map (channel, identity) to ``customer_id`` unless it is mapped already; return the customer it
        belongs to. The customer's profile is created on its first identity and never overwritten."""
        pk = f"IDENT#{channel}#{author.id}"
        try:
            CustomerItem(pk, "IDENT", customer_id=customer_id).save(
                condition=CustomerItem.pk.does_not_exist()
            )
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            return str(
                CustomerItem.get(pk, "IDENT").customer_id
            )  # known already, or a concurrent first contact
        profile = CustomerItem(
            f"CUST#{customer_id}",
            "PROFILE",
            name=author.name,
            followers=author.followers,
            verified=author.verified,
            created_at=iso(datetime.now(UTC)),
        )
        try:
            profile.save(condition=CustomerItem.pk.does_not_exist())
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
        identity = f"{channel}:{author.id}"
        CustomerItem(f"CUST#{customer_id}", "PROFILE").update(
            actions=[CustomerItem.identities.add({identity})]
        )
        return customer_id

    def resolve_customer(self, channel: str, author: Author, new_id: str) -> str:
        """The customer behind (channel, author id); created with ``new_id`` on first contact."""
        return self.find_customer(channel, author.id) or self.link_identity(channel, author, new_id)

    def update_reach(self, customer_id: str, author: Author) -> None:
        actions: list[Action] = []
        if author.followers is not None:
            actions.append(CustomerItem.followers.set(author.followers))
        if author.verified:
            actions.append(CustomerItem.verified.set(True))
        if actions:
            CustomerItem(f"CUST#{customer_id}", "PROFILE").update(actions=actions)

    def update_value(self, customer_id: str, amount: float | None, vip: bool | None) -> None:
        actions: list[Action] = []
        if amount is not None:
            actions += [CustomerItem.purchase_count.add(1), CustomerItem.lifetime_value.add(amount)]
        if vip is not None:
            actions.append(CustomerItem.vip.set(vip))
        if actions:
            CustomerItem(f"CUST#{customer_id}", "PROFILE").update(actions=actions)

    def add_contact(self, customer_id: str, contact: Contact) -> None:
        CustomerItem(
            f"CUST#{customer_id}",
            f"CONTACT#{iso(contact.at)}#{contact.ref}",
            channel=contact.channel,
            kind=contact.kind,
            at=iso(contact.at),
            ref=contact.ref,
            inquiry_id=contact.inquiry_id,
        ).save()

    def contacts(
        self, customer_id: str, since: datetime | None = None, limit: int | None = None
    ) -> list[Contact]:
        """The customer's contacts since ``since``, oldest first; with ``limit``, only the latest ones."""
        start = f"CONTACT#{iso(since)}" if since else "CONTACT#"
        items = CustomerItem.query(
            f"CUST#{customer_id}",
            CustomerItem.sk.between(start, "CONTACT#~"),
            scan_index_forward=limit is None,
            limit=limit,
        )
        found = [
            Contact(parse_iso(i.at or ""), i.channel or "", i.kind or "", i.ref or "", i.inquiry_id)
            for i in items
        ]
        return found if limit is None else found[::-1]

    def customer_context(self, customer_id: str, since: datetime) -> CustomerContext:
        try:
            profile = CustomerItem.get(f"CUST#{customer_id}", "PROFILE")
        except DoesNotExist:
            return CustomerContext(customer_id)
        return CustomerContext(
            customer_id=customer_id,
            vip=bool(profile.vip),
            purchase_count=int(profile.purchase_count or 0),
            lifetime_value=float(profile.lifetime_value or 0),
            followers=int(profile.followers) if profile.followers is not None else None,
            verified=bool(profile.verified),
            recent_contacts=tuple(self.contacts(customer_id, since)),
        )

    # ---------------------------------------------------------------- inquiries
    def open_inquiry_of_thread(self, thread_key: str) -> str | None:
        try:
            return CustomerItem.get(f"THREAD#{thread_key}", "OPEN").inquiry_id
        except DoesNotExist:
            return None

    def create_inquiry(
        self, inquiry: Inquiry, first: Message, thread_key: str, in_reply_to: str | None
    ) -> None:
        """Write the inquiry, its first message and the conversation's open-inquiry marker at once.

        Raises AlreadyStored when the message is stored already or the conversation has an open inquiry.
        """
        try:
            with TransactWrite(connection=_connection(InquiryItem.Meta.region)) as transaction:
                transaction.save(
                    _inquiry_item(inquiry, thread_key), condition=InquiryItem.id.does_not_exist()
                )
                transaction.save(
                    _message_item(first, in_reply_to), condition=MessageItem.key.does_not_exist()
                )
                transaction.save(
                    CustomerItem(f"THREAD#{thread_key}", "OPEN", inquiry_id=inquiry.id),
                    condition=CustomerItem.pk.does_not_exist(),
                )
        except TransactWriteError as error:
            if error.cause_response_code == "TransactionCanceledException":
                raise AlreadyStored(inquiry.external_id) from error
            raise

    def get_inquiry(self, inquiry_id: str) -> Inquiry | None:
        try:
            return to_inquiry(InquiryItem.get(inquiry_id))
        except DoesNotExist:
            return None

    def set_execution(self, inquiry_id: str, execution_arn: str) -> None:
        update_inquiry(inquiry_id, [InquiryItem.execution_arn.set(execution_arn)])

    def execution_of(self, inquiry_id: str) -> str | None:
        try:
            return InquiryItem.get(inquiry_id, attributes_to_get=["execution_arn"]).execution_arn
        except DoesNotExist:
            return None

    def set_priority(
        self, inquiry_id: str, priority: Priority, more: Callable[[InquiryItem], list[Action]] | None = None
    ) -> Inquiry:
        """Store the score (``more``: further changes in the same write); the inquiry as written."""
        item = update_inquiry(
            inquiry_id,
            lambda item: [
                *(more(item) if more else []),
                InquiryItem.priority.set(_priority_json(priority)),
                InquiryItem.sla_due_at.set(iso(priority.sla_due_at))
                if priority.sla_due_at
                else InquiryItem.sla_due_at.remove(),
                InquiryItem.queue_rank.set(queue_rank(priority, item.id, parse_iso(item.created_at))),
            ],
        )
        return to_inquiry(item)

    def set_task_token(self, inquiry_id: str, token: str | None) -> None:
        update_inquiry(
            inquiry_id, [InquiryItem.task_token.set(token) if token else InquiryItem.task_token.remove()]
        )

    def change(self, inquiry_id: str, actions: Actions) -> Inquiry:
        """Any change of an inquiry under its version (``actions`` may look at the current item first)."""
        return to_inquiry(update_inquiry(inquiry_id, actions))

    def task_token_of(self, inquiry_id: str) -> str | None:
        try:
            item = InquiryItem.get(inquiry_id, consistent_read=True, attributes_to_get=["task_token"])
        except DoesNotExist:
            return None
        return item.task_token

    def clear_task_token(self, inquiry_id: str, token: str) -> None:
        """Forget the token once used, unless a newer wait stored another one meanwhile."""
        try:
            InquiryItem(inquiry_id).update(
                actions=[InquiryItem.task_token.remove()], condition=InquiryItem.task_token == token
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise

    def close_thread(self, inquiry_id: str) -> None:
        """The conversation's next message opens a new inquiry (the marker pointed at this one); so does
        the private conversation a handover opened."""
        item = InquiryItem.get(inquiry_id, attributes_to_get=["thread_key", "private_thread_key"])
        for key in (item.thread_key, item.private_thread_key):
            if key:
                self._drop_marker(key, inquiry_id)

    @staticmethod
    def _drop_marker(thread_key: str, inquiry_id: str) -> None:
        try:
            CustomerItem(f"THREAD#{thread_key}", "OPEN").delete(
                condition=CustomerItem.inquiry_id == inquiry_id
            )
        except DeleteError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise

    def reopen_thread(self, inquiry_id: str) -> bool:
        """The conversation's next message joins this inquiry again, unless a newer inquiry has taken the
        conversation meanwhile (that one keeps it). True when the conversation is this inquiry's. The
        private conversation of a handover comes back the same way."""
        item = InquiryItem.get(inquiry_id, attributes_to_get=["thread_key", "private_thread_key"])
        if item.private_thread_key:
            self._claim_marker(item.private_thread_key, inquiry_id)
        return self._claim_marker(item.thread_key, inquiry_id)

    def _claim_marker(self, thread_key: str, inquiry_id: str) -> bool:
        try:
            CustomerItem(f"THREAD#{thread_key}", "OPEN", inquiry_id=inquiry_id).save(
                condition=CustomerItem.pk.does_not_exist()
            )
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            return self.open_inquiry_of_thread(thread_key) == inquiry_id
        return True

    # ---------------------------------------------------------------- handover to a private chat
    def identities_of(self, customer_id: str) -> list[tuple[str, str]]:
        """The (channel, id) identities the customer is known by (one key lookup of the profile)."""
        try:
            profile = CustomerItem.get(f"CUST#{customer_id}", "PROFILE", attributes_to_get=["identities"])
        except DoesNotExist:
            return []
        found = (value.partition(":") for value in sorted(profile.identities or ()))
        return [(channel, identity) for channel, _, identity in found if identity]

    def mark_private_reply(self, channel: str, external_id: str, private_id: str) -> bool:
        """Record the private message sent in answer to a public one; False when one was recorded already."""
        try:
            MessageItem(message_key(channel, external_id)).update(
                actions=[MessageItem.private_reply.set(private_id)],
                condition=MessageItem.key.exists() & MessageItem.private_reply.does_not_exist(),
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def open_private_thread(self, inquiry_id: str, thread_key: str) -> bool:
        """The customer's private conversation joins this inquiry: its open-inquiry marker points here (as
        the inquiry's own conversation's does) until the inquiry is resolved. False when another open
        inquiry holds that conversation already (it keeps it)."""
        update_inquiry(inquiry_id, [InquiryItem.private_thread_key.set(thread_key)])
        return self._claim_marker(thread_key, inquiry_id)

    def by_assignee(self, agent_id: str, status: Status, limit: int = 100) -> list[Inquiry]:
        return [
            to_inquiry(item) for item in InquiryItem.by_assignee.query(f"{agent_id}#{status}", limit=limit)
        ]

    def queued(self, team: str, limit: int = 25) -> list[Inquiry]:
        """The team's queue without an owner, most urgent first."""
        partition = queue_key(team, Status.QUEUED)
        return [to_inquiry(item) for item in InquiryItem.by_queue.query(partition, limit=limit)]

    def queue(
        self,
        partitions: list[str],
        limit: int,
        cursor: str | None,
        index: str = BY_QUEUE,
        narrow: QueueFilter | None = None,
    ) -> tuple[list[Inquiry], str | None]:
        """Inquiries of several partitions of an index (``by_queue``: team#status, ``by_assignee``:
        agent#status), most urgent first, in cursor pages. One Query per partition, merged by rank;
        ``narrow`` is applied while paging, so a page is full whenever enough inquiries match."""
        narrow = narrow or QueueFilter()
        if narrow.teams is not None and not narrow.teams:
            return [], None
        named = {f"{index}:{partition}": partition for partition in partitions}
        positions = decode_cursor(cursor, list(named))
        streams = [self._partition(index, named[key], positions[key], limit + 1, narrow) for key in named]
        merged = heapq.merge(*streams, key=lambda item: item.queue_rank)
        page: list[InquiryItem] = []
        for item in merged:
            if len(page) == limit:
                break
            page.append(item)
        else:
            return [to_inquiry(i) for i in page], None
        for item in page:
            partition = item.queue_key if index == BY_QUEUE else item.assignee_key
            positions[f"{index}:{partition}"] = item.queue_rank
        return [to_inquiry(i) for i in page], encode_cursor(positions)

    @staticmethod
    def _partition(
        index: str, partition: str, after: str | None, limit: int, narrow: QueueFilter
    ) -> Iterable[InquiryItem]:
        rank = QueueIndex.queue_rank if index == BY_QUEUE else AssigneeIndex.queue_rank
        condition: Condition | None = None
        if narrow.band:  # a key condition: the band is the rank's first part
            condition = rank.between(after or f"{narrow.band}#", f"{narrow.band}#~")
        elif after:
            condition = cast(Condition, rank > after)
        query = InquiryItem.by_queue if index == BY_QUEUE else InquiryItem.by_assignee
        items = query.query(partition, condition, filter_condition=narrow.condition(), page_size=limit)
        return (item for item in items if item.queue_rank != after) if narrow.band and after else items


@dataclass(frozen=True)
class QueueFilter:
    """What narrows a queue page beyond its partitions: the band is a key condition (the rank begins with
    it); channel, teams and breached are a FilterExpression that DynamoDB applies while paging."""

    band: str | None = None
    channel: str | None = None
    teams: tuple[str, ...] | None = None  # only these teams (an assignee's inquiries outside them are not)
    breached: bool | None = None

    def condition(self) -> Condition | None:
        parts: list[Condition] = []
        if self.channel:
            parts.append(InquiryItem.channel == self.channel)
        if self.teams is not None:
            parts.append(InquiryItem.team.is_in(*self.teams))
        if self.breached is True:
            parts.append(InquiryItem.breached == True)  # noqa: E712 (a PynamoDB condition, not a test)
        elif self.breached is False:
            parts.append(InquiryItem.breached.does_not_exist() | (InquiryItem.breached == False))  # noqa: E712
        if not parts:
            return None
        combined = parts[0]
        for part in parts[1:]:
            combined = combined & part
        return combined


Actions = list[Action] | Callable[[InquiryItem], list[Action]]


def update_inquiry(inquiry_id: str, actions: Actions, attempts: int = 5) -> InquiryItem:
    """Update an inquiry under its version (optimistic locking), re-reading when another writer won."""
    for attempt in range(attempts):
        item = InquiryItem.get(inquiry_id, consistent_read=True)
        chosen = actions(item) if callable(actions) else actions
        try:
            item.update(actions=[*chosen, InquiryItem.updated_at.set(iso(datetime.now(UTC)))])
            return item
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException" or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def encode_cursor(positions: dict[str, str | None]) -> str:
    return base64.urlsafe_b64encode(json.dumps(positions, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None, partitions: list[str]) -> dict[str, str | None]:
    if not cursor:
        return dict.fromkeys(partitions)
    try:
        positions = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error) as error:
        raise BadRequest("cursor is not one this API returned") from error
    if not isinstance(positions, dict) or set(positions) - set(partitions):
        raise BadRequest("cursor does not belong to this query")
    return {p: positions.get(p) for p in partitions}


def open_statuses() -> list[str]:
    return sorted(str(s) for s in OPEN_STATUSES)

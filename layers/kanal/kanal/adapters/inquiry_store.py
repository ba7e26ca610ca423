"""The inquiries and their queues in DynamoDB: an inquiry's item, its conversation's open-inquiry marker,
its task token and execution, and the queue pages (``by_queue``: team#status, ``by_assignee``:
agent#status) read most urgent first. Queries and key lookups only: never a Scan."""

from __future__ import annotations

import base64
import binascii
import heapq
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from kanal.adapters.items import (
    AlreadyStored,
    connection,
    inquiry_item,
    message_item,
    priority_json,
    queue_key,
    queue_rank,
    to_inquiry,
)
from kanal.adapters.models import AssigneeIndex, CustomerItem, InquiryItem, MessageItem, QueueIndex
from kanal.errors import BadRequest
from kanal.model import Inquiry, Message, Priority, Status
from kanal.times import iso, parse_iso

BY_QUEUE, BY_ASSIGNEE = "by_queue", "by_assignee"


class InquiryStore:
    """Every read and write of inquiries, their open-inquiry markers and their queues."""

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
            with TransactWrite(connection=connection(InquiryItem.Meta.region)) as transaction:
                transaction.save(inquiry_item(inquiry, thread_key), condition=InquiryItem.id.does_not_exist())
                transaction.save(message_item(first, in_reply_to), condition=MessageItem.key.does_not_exist())
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
                InquiryItem.priority.set(priority_json(priority)),
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

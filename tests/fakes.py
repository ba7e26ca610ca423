"""In-memory stand-ins for Kanal's adapters, for unit tests of the domain (never shipped)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from kanal.adapters.items import AlreadyStored
from kanal.adapters.threads import Owner, held_id
from kanal.errors import Conflict, NotFound
from kanal.model import Author, Contact, Handback, Inquiry, Message, Note, Status
from kanal.routing.roster import Agent, AgentStatus, Team


class FakeStore:
    def __init__(self) -> None:
        self.messages: dict[tuple[str, str], Message] = {}
        self.inquiries: dict[str, Inquiry] = {}
        self.identities: dict[tuple[str, str], str] = {}
        self.threads: dict[str, str] = {}
        self.contacts: list[tuple[str, Contact]] = []
        self.executions: dict[str, str] = {}

    def get_message(self, channel: str, external_id: str) -> Message | None:
        return self.messages.get((str(channel), external_id))

    def add_message(self, message: Message, in_reply_to: str | None = None) -> None:
        key = (str(message.channel), message.external_id)
        if key in self.messages:
            raise AlreadyStored(message.external_id)
        self.messages[key] = message

    def edit_message(self, channel: str, external_id: str, text: str) -> bool:
        stored = self.get_message(channel, external_id)
        if stored is None:
            return False
        self.messages[(str(channel), external_id)] = replace(stored, text=text, edited=True)
        return True

    def remove_message(self, channel: str, external_id: str) -> bool:
        stored = self.get_message(channel, external_id)
        if stored is None:
            return False
        self.messages[(str(channel), external_id)] = replace(stored, text="", removed=True)
        return True

    def find_customer(self, channel: str, identity: str) -> str | None:
        return self.identities.get((channel, identity))

    def link_identity(self, channel: str, author: Author, customer_id: str) -> str:
        return self.identities.setdefault((channel, author.id), customer_id)

    def resolve_customer(self, channel: str, author: Author, new_id: str) -> str:
        return self.find_customer(channel, author.id) or self.link_identity(channel, author, new_id)

    def update_reach(self, customer_id: str, author: Author) -> None:
        pass

    def update_value(self, customer_id: str, amount: float | None, vip: bool | None) -> None:
        pass

    def add_contact(self, customer_id: str, contact: Contact) -> None:
        self.contacts.append((customer_id, contact))

    def open_inquiry_of_thread(self, thread_key: str) -> str | None:
        return self.threads.get(thread_key)

    def create_inquiry(
        self, inquiry: Inquiry, first: Message, thread_key: str, in_reply_to: str | None
    ) -> None:
        if thread_key in self.threads:
            raise AlreadyStored(inquiry.external_id)
        self.add_message(first)
        self.inquiries[inquiry.id] = inquiry
        self.threads[thread_key] = inquiry.id

    def get_inquiry(self, inquiry_id: str) -> Inquiry | None:
        return self.inquiries.get(inquiry_id)

    def set_execution(self, inquiry_id: str, execution_arn: str) -> None:
        self.executions[inquiry_id] = execution_arn

    def execution_of(self, inquiry_id: str) -> str | None:
        return self.executions.get(inquiry_id)

    def resolve(self, inquiry_id: str) -> None:
        """What resolving does to the stored state: the status, and the conversation's marker."""
        self.inquiries[inquiry_id].status = Status.RESOLVED
        self.threads = {k: v for k, v in self.threads.items() if v != inquiry_id}


class FakeWorkflow:
    def __init__(self) -> None:
        self.started: list[str] = []
        self.followed: list[str] = []

    def start(self, inquiry_id: str) -> str:
        self.started.append(inquiry_id)
        return f"arn:execution:{inquiry_id}"

    def followed_up(self, inquiry_id: str) -> None:
        self.followed.append(inquiry_id)


class FakeOrganisation:
    """The organisation's store, its saving service and the status events, in memory."""

    def __init__(self, teams: list[Team], agents: list[Agent]) -> None:
        self.team_items = {team.id: team for team in teams}
        self.agent_items = {agent.id: agent for agent in agents}
        self.status_changes: list[tuple[str, AgentStatus]] = []

    def get_agent(self, agent_id: str) -> Agent | None:
        return self.agent_items.get(agent_id)

    def all_agents(self) -> list[Agent]:
        return sorted(self.agent_items.values(), key=lambda a: a.id)

    def members(self, team: str) -> list[Agent]:
        return [a for a in self.all_agents() if team in a.teams]

    def get_team(self, team_id: str) -> Team | None:
        return self.team_items.get(team_id)

    def teams(self) -> list[Team]:
        return sorted(self.team_items.values(), key=lambda t: (t.order, t.id))

    def save_agent(self, agent: Agent, create: bool) -> Agent:
        existing = self.agent_items.get(agent.id)
        if create and existing is not None:
            raise Conflict(agent.id)
        if not create and existing is None:
            raise NotFound(agent.id)
        if existing is not None:
            agent = replace(agent, status=existing.status, figures=existing.figures)
        self.agent_items[agent.id] = agent
        return agent

    def save_team(self, team: Team, create: bool) -> Team:
        if create == (team.id in self.team_items):
            raise Conflict(team.id) if create else NotFound(team.id)
        self.team_items[team.id] = team
        return team

    def agent_status_changed(self, agent_id: str, status: AgentStatus) -> Agent:
        self.status_changes.append((agent_id, status))
        self.agent_items[agent_id] = replace(self.agent_items[agent_id], status=status)
        return self.agent_items[agent_id]


def at(minute: int) -> datetime:
    return datetime.fromisoformat(f"2026-11-24T10:{minute:02d}:00+00:00")


class FakeOwners:
    """Conversation ownership and held messages in memory, sharing the messages of a FakeStore."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.owners: dict[tuple[str, str, str], Owner] = {}
        self.notes: dict[str, Note] = {}

    def owner(self, channel: str, account_id: str, customer: str) -> Owner | None:
        return self.owners.get((str(channel), account_id, customer))

    def set_owner(self, channel: str, account_id: str, customer: str, owner: Owner) -> bool:
        current = self.owners.get((str(channel), account_id, customer))
        if current is not None and current.at > owner.at:
            return False
        self.owners[(str(channel), account_id, customer)] = owner
        return True

    def hold(self, message: Message) -> None:
        self.store.add_message(message)

    def held(self, thread_key: str, since: datetime) -> list[Message]:
        found = [
            m
            for m in self.store.messages.values()
            if m.inquiry_id == held_id(thread_key) and m.created_at >= since
        ]
        return sorted(found, key=lambda m: m.created_at)

    def adopt(self, inquiry: Inquiry, thread_key: str, first: Message) -> None:
        stored = self.store.get_message(first.channel, first.external_id)
        if (
            inquiry.id in self.store.inquiries
            or thread_key in self.store.threads
            or stored is None
            or stored.inquiry_id != first.inquiry_id
        ):
            raise AlreadyStored(inquiry.external_id)
        self.store.inquiries[inquiry.id] = inquiry
        self.store.threads[thread_key] = inquiry.id
        self.move(first, inquiry.id)

    def move(self, message: Message, inquiry_id: str) -> bool:
        stored = self.store.get_message(message.channel, message.external_id)
        if stored is None or stored.inquiry_id != message.inquiry_id:
            return False
        self.store.messages[(str(message.channel), message.external_id)] = replace(
            stored, inquiry_id=inquiry_id
        )
        return True

    def record_handback(self, inquiry_id: str, handback: Handback) -> Inquiry:
        inquiry = self.store.inquiries[inquiry_id]
        inquiry.handback = handback
        return inquiry

    def add_note_once(self, note: Note, channel: str) -> bool:
        return self.notes.setdefault(note.id, note) is note


class FakeControlApi:
    """Graph's Conversation Routing calls: owners it answers, the passes it was asked for."""

    def __init__(self, owners: dict[str, str | None] | None = None) -> None:
        self.answers = owners or {}  # customer -> the app Graph says owns the conversation
        self.lookups: list[str] = []
        self.passes: list[tuple[str, str, str, str, str | None]] = []
        self.failure: Exception | None = None

    def thread_owner(self, channel: str, account_id: str, customer: str) -> str | None:
        self.lookups.append(customer)
        if self.failure is not None:
            raise self.failure
        return self.answers.get(customer)

    def pass_thread_control(
        self, channel: str, account_id: str, customer: str, target_app_id: str, metadata: str | None = None
    ) -> None:
        if self.failure is not None:
            raise self.failure
        self.passes.append((channel, account_id, customer, target_app_id, metadata))

"""Changing the organisation: agents, teams and on-call contacts, with each one's notification subscriptions.

Creating or changing an agent subscribes their e-mail address and phone number to the notifications topic
with a filter policy on their id (and removes subscriptions of addresses they no longer have), so each
agent receives only their own notifications.

An agent with an e-mail address also has a sign-in user (``Identities``, the Cognito user pool in AWS):
created with them (before the table, so a taken address changes nothing), and disabled and signed out
everywhere when they are disabled.
"""

from __future__ import annotations

from typing import Protocol

from kanal.adapters.roster_store import AGENT, ONCALL, OrganisationStore
from kanal.errors import Conflict, NotFound
from kanal.routing.roster import OPS, Agent, OnCall, Team


class Subscriber(Protocol):
    def subscribe(
        self, recipient: str, endpoints: dict[str, str | None], current: dict[str, object]
    ) -> dict[str, object]: ...


class Identities(Protocol):
    def create(self, agent: Agent) -> None: ...
    def remove(self, agent: Agent) -> None: ...
    def change(self, before: Agent, after: Agent) -> None: ...


class Organisation:
    def __init__(
        self, store: OrganisationStore, subscriber: Subscriber, identities: Identities | None = None
    ) -> None:
        self.store = store
        self.subscriber = subscriber
        self.identities = identities  # None: agents get no sign-in user (tests of routing alone)

    def save_agent(self, agent: Agent, create: bool) -> Agent:
        saved = (
            self._save_with_identity(agent, create)
            if self.identities
            else self.store.save_agent(agent, create)
        )
        current = self.store.subscriptions(agent.id)
        endpoints = {"email": agent.email, "sms": agent.phone}
        self.store.set_subscriptions(AGENT, agent.id, self.subscriber.subscribe(agent.id, endpoints, current))
        return saved

    def _save_with_identity(self, agent: Agent, create: bool) -> Agent:
        assert self.identities is not None
        existing = self.store.get_agent(agent.id)
        if create and existing is not None:
            raise Conflict(f"agent {agent.id} exists already")
        if not create and existing is None:
            raise NotFound(f"agent {agent.id} does not exist")
        if existing is None:
            self.identities.create(agent)
            try:
                return self.store.save_agent(agent, create)
            except Exception:
                self.identities.remove(agent)
                raise
        self.identities.change(existing, agent)
        return self.store.save_agent(agent, create)

    def save_team(self, team: Team, create: bool) -> Team:
        return self.store.save_team(team, create)

    def save_oncall(self, contact: OnCall) -> OnCall:
        """The on-call ops contact: every escalation that pages ``ops`` reaches their phone and e-mail."""
        self.store.save_oncall(contact)
        endpoints = {"email": contact.email, "sms": contact.phone}
        self.store.set_subscriptions(ONCALL, contact.id, self.subscriber.subscribe(OPS, endpoints, {}))
        return contact

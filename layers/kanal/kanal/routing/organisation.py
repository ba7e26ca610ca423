"""Changing the organisation: agents, teams and on-call contacts, with each one's notification subscriptions.

Creating or changing an agent subscribes their e-mail address and phone number to the notifications topic
with a filter policy on their id (and removes subscriptions of addresses they no longer have), so each
agent receives only their own notifications.
"""

from __future__ import annotations

from typing import Protocol

from kanal.adapters.organisation import AGENT, ONCALL, OrganisationStore
from kanal.routing.org import OPS, Agent, OnCall, Team


class Subscriber(Protocol):
    def subscribe(
        self, recipient: str, endpoints: dict[str, str | None], current: dict[str, object]
    ) -> dict[str, object]: ...


class Organisation:
    def __init__(self, store: OrganisationStore, subscriber: Subscriber) -> None:
        self.store = store
        self.subscriber = subscriber

    def save_agent(self, agent: Agent, create: bool) -> Agent:
        saved = self.store.save_agent(agent, create)
        current = self.store.subscriptions(agent.id)
        endpoints = {"email": agent.email, "sms": agent.phone}
        self.store.set_subscriptions(AGENT, agent.id, self.subscriber.subscribe(agent.id, endpoints, current))
        return saved

    def save_team(self, team: Team, create: bool) -> Team:
        return self.store.save_team(team, create)

    def save_oncall(self, contact: OnCall) -> OnCall:
        """The on-call ops contact: every escalation that pages ``ops`` reaches their phone and e-mail."""
        self.store.save_oncall(contact)
        endpoints = {"email": contact.email, "sms": contact.phone}
        self.store.set_subscriptions(ONCALL, contact.id, self.subscriber.subscribe(OPS, endpoints, {}))
        return contact

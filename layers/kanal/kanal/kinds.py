"""The closed vocabularies of the domain (channels, visibilities, statuses, actions) as string enums.

They live apart from ``kanal.model``'s dataclasses so that the webhook ack path, which names channels and
actions when it splits a delivery but builds no domain object, does not generate those classes at cold
start (``kanal.model`` re-exports every one of these; import them from either).
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    FACEBOOK = "facebook"  # page feed: posts and comments
    MESSENGER = "messenger"
    INSTAGRAM = "instagram"  # comments, mentions and DMs
    WHATSAPP = "whatsapp"
    X = "x"
    EMAIL = "email"


class Visibility(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class Action(StrEnum):
    """What an inbound platform record asks Kanal to do with a message."""

    CREATE = "create"
    EDIT = "edit"
    REMOVE = "remove"


class Status(StrEnum):
    NEW = "new"  # not routed yet
    QUEUED = "queued"  # in a team's queue, no owner
    ASSIGNED = "assigned"
    WAITING = "waiting"  # on the customer: the SLA clock is paused
    RESOLVED = "resolved"


OPEN_STATUSES = frozenset({Status.NEW, Status.QUEUED, Status.ASSIGNED, Status.WAITING})


class ControlAction(StrEnum):
    """How a Messenger / Instagram conversation changed hands between apps (Meta's Conversation Routing)."""

    PASS = "pass"  # pass_thread_control: the owner passed it to ``new_owner``
    TAKE = "take"  # take_thread_control: ``new_owner`` took it from ``previous_owner``
    REQUEST = "request"  # request_thread_control: another app asks the owner for it; nobody changes

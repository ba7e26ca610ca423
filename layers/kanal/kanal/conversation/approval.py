"""The approval policy: which agent-written replies another team approves before they are sent.

A document validated by a schema, like the escalation policy: ``approval.json`` ships the default (PR and
marketing approve a public reply to a P1 or P2 inquiry, and every reply to an inquiry whose priority
names a legal threat, ``content.legal``); a company stores its own in Parameter Store (the template's
``KANAL_APPROVAL_PARAMETER``). A reply needs approval when any rule matches it; a rule matches when every
condition it names holds (visibility of the reply, band, channel, priority reasons of the inquiry).

Only replies an agent writes are checked; a stock text Kanal sends itself is not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from kanal.errors import Conflict, InvalidRules
from kanal.model import Inquiry, Visibility
from kanal.schemas import packaged, problems

SCHEMA_FILE = "approval.schema.json"
DEFAULT_FILE = "approval.json"
APPROVAL_REQUIRED = "approval_required"  # the 409's reason when a reply must go through a draft
DRAFT_OPTION = "draft"


@dataclass(frozen=True)
class Rule:
    id: str
    visibility: tuple[str, ...] = ()  # empty: any
    bands: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()  # priority rule ids; any one of them fired

    def matches(self, inquiry: Inquiry, visibility: Visibility) -> bool:
        priority = inquiry.priority
        fired = {reason.rule for reason in priority.reasons} if priority else set()
        return (
            (not self.visibility or str(visibility) in self.visibility)
            and (not self.bands or (priority is not None and priority.band in self.bands))
            and (not self.channels or str(inquiry.channel) in self.channels)
            and (not self.reasons or bool(fired.intersection(self.reasons)))
        )


@dataclass(frozen=True)
class ApprovalPolicy:
    version: str
    team: str  # the approving team
    rules: tuple[Rule, ...]
    approvers_reply_directly: bool = True


class ApprovalRequired(Conflict):
    """The reply must be approved first (409 with ``reason``, ``options`` and ``approval`` {``rule``,
    ``team``}): nothing was sent."""

    def __init__(self, rule: Rule, team: str) -> None:
        super().__init__(
            f"this reply needs the approval of team {team} (rule {rule.id}): write it as a draft"
        )
        self.rule = rule
        self.reason = APPROVAL_REQUIRED
        self.options = [DRAFT_OPTION]
        self.approval = {"rule": rule.id, "team": team}  # the body's ``approval``: who is to approve it


def needs_approval(policy: ApprovalPolicy, inquiry: Inquiry, visibility: Visibility) -> Rule | None:
    """The first rule of ``policy`` that a reply of ``visibility`` to ``inquiry`` matches, or None."""
    return next((rule for rule in policy.rules if rule.matches(inquiry, visibility)), None)


def approval_schema() -> dict[str, Any]:
    return packaged("kanal.conversation", SCHEMA_FILE)


def validate_approval(document: object) -> list[str]:
    return problems("kanal.conversation", SCHEMA_FILE, document)


def load_approval(document: dict[str, Any]) -> ApprovalPolicy:
    """A validated policy; InvalidRules lists every problem of a document that does not validate."""
    errors = validate_approval(document)
    if errors:
        raise InvalidRules(errors)
    ids = [rule["id"] for rule in document["rules"]]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise InvalidRules([f"$.rules: rule id {i} is used twice" for i in twice])
    return ApprovalPolicy(
        version=document["version"],
        team=document["team"],
        approvers_reply_directly=bool(document.get("approvers_reply_directly", True)),
        rules=tuple(
            Rule(
                id=rule["id"],
                visibility=tuple(rule.get("visibility", ())),
                bands=tuple(rule.get("bands", ())),
                channels=tuple(rule.get("channels", ())),
                reasons=tuple(rule.get("reasons", ())),
            )
            for rule in document["rules"]
        ),
    )


@cache
def default_approval() -> ApprovalPolicy:
    text = resources.files("kanal.conversation").joinpath(DEFAULT_FILE).read_text(encoding="utf-8")
    return load_approval(json.loads(text))


@lru_cache(maxsize=8)
def compiled_approval(text: str) -> ApprovalPolicy:
    return load_approval(json.loads(text))

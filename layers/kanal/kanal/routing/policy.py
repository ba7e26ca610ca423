"""The escalation policy: a document validated by a schema (like the rules), never code.

``escalation.json`` ships the default; a company stores its own in Parameter Store (the template's
``KANAL_ESCALATION_PARAMETER``), read through powertools with a cache.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from kanal.errors import InvalidRules
from kanal.schemas import packaged, problems

SCHEMA_FILE = "escalation.schema.json"
DEFAULT_FILE = "escalation.json"


@dataclass(frozen=True)
class Tier:
    name: str
    notify: tuple[str, ...]
    after_breach_share: float = 0.0
    min_after_minutes: float = 0.0
    reroute: bool = False
    protocols: tuple[str, ...] = ("email", "sms")
    breached: bool = False


@dataclass(frozen=True)
class Policy:
    version: str
    warning_share: float
    tiers: tuple[Tier, ...]


def policy_schema() -> dict[str, Any]:
    return packaged("kanal.routing", SCHEMA_FILE)


def validate_policy(document: object) -> list[str]:
    return problems("kanal.routing", SCHEMA_FILE, document)


def load_policy(document: dict[str, Any]) -> Policy:
    """A validated policy; InvalidRules lists every problem of a document that does not validate."""
    errors = validate_policy(document)
    if errors:
        raise InvalidRules(errors)
    return Policy(
        version=document["version"],
        warning_share=float(document["warning_share"]),
        tiers=tuple(
            Tier(
                name=tier["name"],
                notify=tuple(tier["notify"]),
                after_breach_share=float(tier.get("after_breach_share", 0)),
                min_after_minutes=float(tier.get("min_after_minutes", 0)),
                reroute=bool(tier.get("reroute", False)),
                protocols=tuple(tier.get("protocols", ("email", "sms"))),
                breached=bool(tier.get("breached", False)),
            )
            for tier in document["tiers"]
        ),
    )


@cache
def default_policy() -> Policy:
    text = resources.files("kanal.routing").joinpath(DEFAULT_FILE).read_text(encoding="utf-8")
    return load_policy(json.loads(text))


@lru_cache(maxsize=8)
def compiled_policy(text: str) -> Policy:
    return load_policy(json.loads(text))

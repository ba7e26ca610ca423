"""The rule types a rules document can use, and the module that checks, compiles and evaluates each:
``words`` (content, brand, brand_trigger), ``tone`` (sentiment, visibility), ``customer`` (reach,
customer_value, repeat_contact) and ``channel``. What every rule shares is in ``facts``; how the scorer adds
them up is in ``scorer``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kanal.priority.channel import build_channel, check_channel
from kanal.priority.customer import (
    build_customer_value,
    build_reach,
    build_repeat_contact,
    check_customer_value,
    check_reach,
    check_repeat_contact,
)
from kanal.priority.facts import Built, Doc, Rule, Types
from kanal.priority.tone import build_sentiment, build_visibility
from kanal.priority.words import (
    brand_terms,
    build_brand_trigger,
    build_matching,
    check_brand,
    check_brand_trigger,
    check_content,
    content_terms,
)


def check_nothing(rule: Doc, path: str, types: Types) -> list[str]:
    return []


@dataclass(frozen=True)
class RuleType:
    check: Callable[[Doc, str, Types], list[str]]
    build: Callable[[Doc, str, int, Built], Rule]
    terms: Callable[[Doc], list[tuple[str, str]]] | None = None
    combines: bool = False  # references other rules: built after them


RULE_TYPES: dict[str, RuleType] = {
    "content": RuleType(check_content, build_matching, content_terms),
    "brand": RuleType(check_brand, build_matching, brand_terms),
    "brand_trigger": RuleType(check_brand_trigger, build_brand_trigger, combines=True),
    "sentiment": RuleType(check_nothing, build_sentiment),
    "visibility": RuleType(check_nothing, build_visibility),
    "reach": RuleType(check_reach, build_reach),
    "customer_value": RuleType(check_customer_value, build_customer_value),
    "repeat_contact": RuleType(check_repeat_contact, build_repeat_contact),
    "channel": RuleType(check_channel, build_channel),
}

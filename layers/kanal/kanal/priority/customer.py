"""Rules on who is asking: their reach (followers, verified), their value to the company (VIP, purchases,
lifetime value) and how often they have been in touch lately; each adds up tiers to at most its weight."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from kanal.priority.facts import (
    Built,
    Doc,
    Facts,
    Hit,
    Rule,
    Types,
    common,
    dict_of,
    list_of,
    more_urgent,
    number_of,
)
from kanal.priority.sla import as_utc


@dataclass(frozen=True)
class Tier:
    minimum: float
    weight: float
    min_band: str | None


def _highest(tiers: tuple[Tier, ...], value: float) -> Tier | None:
    reached = [t for t in tiers if value >= t.minimum]
    return reached[-1] if reached else None


def compact(number: float) -> str:
    """10000 -> "10k", 1500000 -> "1.5M"."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if number >= size:
            return f"{number / size:g}{suffix}"
    return f"{number:g}"


@dataclass(frozen=True)
class Tiered(Rule):
    """A rule whose parts add up to at most its weight."""

    def _hit(self, parts: list[Part]) -> Hit | None:
        parts = [p for p in parts if p[1] > 0 or p[2]]
        if not parts:
            return None
        band: str | None = self.min_band
        for _, _, tier_band in parts:
            band = more_urgent(band, tier_band)
        total = min(self.weight, sum(p[1] for p in parts))
        return Hit(", ".join(p[0] for p in parts), total, band)


Part = tuple[str, float, str | None]  # label, weight, min_band


def _tier_part(label: str, tier: Tier | None) -> list[Part]:
    return [] if tier is None else [(f"{label} >= {compact(tier.minimum)}", tier.weight, tier.min_band)]


@dataclass(frozen=True)
class ReachRule(Tiered):
    follower_tiers: tuple[Tier, ...]
    verified_weight: float

    def evaluate(self, facts: Facts) -> Hit | None:
        author, context = facts.inquiry.author, facts.context
        followers = max(author.followers or 0, context.followers or 0)
        verified = author.verified or context.verified
        if not verified and (not self.follower_tiers or followers < self.follower_tiers[0].minimum):
            return None
        parts = _tier_part("followers", _highest(self.follower_tiers, followers))
        if verified:
            parts.append(("verified", self.verified_weight, None))
        return self._hit(parts)


@dataclass(frozen=True)
class CustomerValueRule(Tiered):
    vip_weight: float
    purchase_tiers: tuple[Tier, ...]
    value_tiers: tuple[Tier, ...]

    def evaluate(self, facts: Facts) -> Hit | None:
        context = facts.context
        if not (context.vip or context.purchase_count or context.lifetime_value):
            return None
        parts: list[Part] = [("vip", self.vip_weight, None)] if context.vip else []
        parts += _tier_part("purchases", _highest(self.purchase_tiers, context.purchase_count))
        parts += _tier_part("lifetime value", _highest(self.value_tiers, context.lifetime_value))
        return self._hit(parts)


@dataclass(frozen=True)
class RepeatContactRule(Tiered):
    """Contacts on any channel (calls and e-mails too) within the last hours, before this inquiry."""

    within: timedelta
    tiers: tuple[Tier, ...]
    exclude_kinds: frozenset[str]

    def evaluate(self, facts: Facts) -> Hit | None:
        if not facts.context.recent_contacts:
            return None
        inquiry, since = facts.inquiry, facts.now - self.within
        own = {inquiry.id, inquiry.external_id}
        contacts = sorted((as_utc(c.at), c.kind) for c in facts.context.recent_contacts if c.ref not in own)
        kinds = [kind for at, kind in contacts if since <= at <= facts.now and kind not in self.exclude_kinds]
        tier = _highest(self.tiers, len(kinds))
        if tier is None:
            return None
        hours = f"{self.within.total_seconds() / 3600:g}h"
        noun = "contact" if len(kinds) == 1 else "contacts"
        label = f"{len(kinds)} {noun} in {hours}: {', '.join(dict.fromkeys(kinds))}"
        return self._hit([(label, tier.weight, tier.min_band)])


def _check_tiers(rule: Doc, key: str, field: str, path: str) -> list[str]:
    errors: list[str] = []
    cap = number_of(rule.get("weight"))
    previous: float | None = None
    for i, tier in enumerate(list_of(rule.get(key))):
        minimum, weight = number_of(dict_of(tier).get(field)), number_of(dict_of(tier).get("weight"))
        if minimum is not None and previous is not None and minimum <= previous:
            errors.append(f"{path}.{key}[{i}].{field}: tiers must ascend ({minimum:g} after {previous:g})")
        if weight is not None and cap is not None and weight > cap:
            errors.append(f"{path}.{key}[{i}].weight: {weight:g} exceeds the rule's weight {cap:g}")
        previous = minimum if minimum is not None else previous
    return errors


def check_reach(rule: Doc, path: str, types: Types) -> list[str]:
    return _check_tiers(rule, "tiers", "min_followers", path) + _check_cap(rule, "verified_weight", path)


def check_customer_value(rule: Doc, path: str, types: Types) -> list[str]:
    return (
        _check_tiers(rule, "purchase_tiers", "min_purchases", path)
        + _check_tiers(rule, "lifetime_value_tiers", "min_value", path)
        + _check_cap(rule, "vip_weight", path)
    )


def check_repeat_contact(rule: Doc, path: str, types: Types) -> list[str]:
    return _check_tiers(rule, "tiers", "min_contacts", path)


def _check_cap(rule: Doc, key: str, path: str) -> list[str]:
    cap, weight = number_of(rule.get("weight")), number_of(rule.get(key))
    if cap is not None and weight is not None and weight > cap:
        return [f"{path}.{key}: {weight:g} exceeds the rule's weight {cap:g}"]
    return []


def _tiers(docs: list[Any], field: str) -> tuple[Tier, ...]:
    return tuple(Tier(float(t[field]), float(t["weight"]), t.get("min_band")) for t in docs)


def build_reach(doc: Doc, rule_id: str, slot: int, built: Built) -> Rule:
    return ReachRule(
        **common(doc, rule_id),
        follower_tiers=_tiers(doc.get("tiers", []), "min_followers"),
        verified_weight=float(doc.get("verified_weight", 0)),
    )


def build_customer_value(doc: Doc, rule_id: str, slot: int, built: Built) -> Rule:
    return CustomerValueRule(
        **common(doc, rule_id),
        vip_weight=float(doc.get("vip_weight", 0)),
        purchase_tiers=_tiers(doc.get("purchase_tiers", []), "min_purchases"),
        value_tiers=_tiers(doc.get("lifetime_value_tiers", []), "min_value"),
    )


def build_repeat_contact(doc: Doc, rule_id: str, slot: int, built: Built) -> Rule:
    return RepeatContactRule(
        **common(doc, rule_id),
        within=timedelta(hours=float(doc["within_hours"])),
        tiers=_tiers(doc["tiers"], "min_contacts"),
        exclude_kinds=frozenset(doc.get("exclude_kinds", ["order"])),
    )

"""The rule types a rules document can use: how each one is checked, compiled and evaluated.

Every rule has an ``id`` (what a reason names), a ``weight`` (the points it adds when it fires, at
most; for tiered rules the cap of what its parts add up to) and optionally ``min_band`` (when it
fires the inquiry is at least that urgent). Evaluating a rule gives a ``Hit`` or nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from kanal.model import Channel, CustomerContext, Inquiry, Visibility
from kanal.priority.sentiment import SentimentAnalyzer, SentimentResult
from kanal.priority.sla import as_utc
from kanal.priority.text import PREFIX_MARK, Analysed, TermMatcher, analyse, term_tokens

BANDS = ("P1", "P2", "P3", "P4")
CHANNELS = tuple(c.value for c in Channel)
DEFAULT_KEY = "default"
_MAX_LABELS = 3
_NOTHING: list[str] = []  # shared and never changed


class Hit(NamedTuple):
    """A rule that fired: what it matched, the points it adds, the band it demands at least."""

    matched: str
    weight: float
    min_band: str | None = None


def more_urgent(a: str | None, b: str | None) -> str | None:
    """The more urgent of two bands ("P1" beats "P2"); None is no band."""
    if a is None or b is None:
        return a or b
    return min(a, b)


class Facts:
    """What the rules read about one inquiry; each expensive part is computed at most once."""

    __slots__ = (
        "_analysed",
        "_analyzer",
        "_matcher",
        "_sentiment",
        "_terms",
        "context",
        "inquiry",
        "now",
    )

    def __init__(
        self,
        inquiry: Inquiry,
        context: CustomerContext,
        now: datetime,
        analyzer: SentimentAnalyzer,
        matcher: TermMatcher,
    ) -> None:
        self.inquiry = inquiry
        self.context = context
        self.now = now
        self._analyzer = analyzer
        self._matcher = matcher
        self._analysed: Analysed | None = None
        self._terms: dict[int, list[str]] | None = None
        self._sentiment: SentimentResult | None = None

    @property
    def analysed(self) -> Analysed:
        if self._analysed is None:
            self._analysed = analyse(self.inquiry.text)
        return self._analysed

    def terms(self, slot: int) -> list[str]:
        if self._terms is None:
            self._terms = self._matcher.find(self.analysed.keys)
        return self._terms.get(slot, _NOTHING)

    @property
    def sentiment(self) -> SentimentResult:
        if self._sentiment is None:
            self._sentiment = self._analyzer.analyze(self.inquiry.text, self.inquiry.language)
        return self._sentiment


@dataclass(frozen=True)
class Rule:
    id: str
    type: str
    weight: float
    min_band: str | None
    enabled: bool

    def evaluate(self, facts: Facts) -> Hit | None:
        raise NotImplementedError


def _labels(found: Sequence[str]) -> str:
    return ", ".join(found[:_MAX_LABELS])


@dataclass(frozen=True)
class Matching(Rule):
    """A rule that looks for words in the text: content triggers and brand mentions."""

    slot: int
    patterns: tuple[tuple[str, re.Pattern[str]], ...]  # (label, compiled regex)

    def find(self, facts: Facts) -> list[str]:
        found = facts.terms(self.slot)
        if not self.patterns:
            return found
        found = list(found)
        for label, pattern in self.patterns:
            if label not in found and pattern.search(facts.analysed.stripped):
                found.append(label)
        return found

    def evaluate(self, facts: Facts) -> Hit | None:
        found = self.find(facts)
        return Hit(_labels(found), self.weight, self.min_band) if found else None


@dataclass(frozen=True)
class BrandTrigger(Rule):
    """Fires only when the brand rule and one of the trigger rules both match: "@Acme + help"."""

    brand: Matching
    triggers: tuple[Matching, ...]

    def evaluate(self, facts: Facts) -> Hit | None:
        brand = self.brand.find(facts)
        if not brand:
            return None
        for trigger in self.triggers:
            found = trigger.find(facts)
            if found:
                return Hit(f"{brand[0]} + {found[0]}", self.weight, self.min_band)
        return None


@dataclass(frozen=True)
class SentimentRule(Rule):
    """Negative sentiment adds the weight; positive sentiment (praise) takes it off."""

    polarity: str
    threshold: float

    def evaluate(self, facts: Facts) -> Hit | None:
        result = facts.sentiment
        strength = result.negative if self.polarity == "negative" else result.positive
        if strength < self.threshold:
            return None
        weight = self.weight if self.polarity == "negative" else -self.weight
        return Hit(f"{self.polarity} {strength:.2f}", weight, self.min_band)


@dataclass(frozen=True)
class VisibilityRule(Rule):
    """A negative comment in public is seen by everyone: it ranks above the same words in private."""

    negative_threshold: float

    def evaluate(self, facts: Facts) -> Hit | None:
        if facts.inquiry.visibility != Visibility.PUBLIC:
            return None
        if facts.sentiment.negative < self.negative_threshold:
            return None
        return Hit("public + negative", self.weight, self.min_band)


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


@dataclass(frozen=True)
class ChannelRule(Rule):
    """Each channel's first-response targets per band; channels customers expect fast add the weight."""

    fast_channels: frozenset[str]
    sla_minutes: Mapping[str, Mapping[str, int]]

    def evaluate(self, facts: Facts) -> Hit | None:
        channel = str(facts.inquiry.channel)
        return Hit(channel, self.weight, self.min_band) if channel in self.fast_channels else None

    def target_minutes(self, channel: str, band: str) -> int:
        targets = self.sla_minutes.get(channel) or self.sla_minutes[DEFAULT_KEY]
        return targets[band]


# --- checks beyond the JSON Schema: each gets a rule that may be malformed and reports, never raises ---

Doc = Mapping[str, Any]
Types = Mapping[str, str]  # rule id -> rule type, for rules that reference others


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _check_term(term: object, path: str) -> list[str]:
    if not isinstance(term, str):
        return []
    if PREFIX_MARK in term.removesuffix(PREFIX_MARK):
        return [f"{path}: '*' may only end a term: {term!r}"]
    if not term_tokens(term):
        return [f"{path}: the term {term!r} has nothing to match"]
    return []


def _pattern_source(pattern: object) -> tuple[str | None, str | None]:
    """(regex, label) of a pattern entry: a string, or {"regex": ..., "label": ...}."""
    if isinstance(pattern, str):
        return pattern, pattern
    entry = _dict(pattern)
    regex, label = entry.get("regex"), entry.get("label")
    regex = regex if isinstance(regex, str) else None
    return regex, label if isinstance(label, str) else regex


def _check_pattern(pattern: object, path: str) -> list[str]:
    regex, _ = _pattern_source(pattern)
    if regex is None:
        return []
    try:
        re.compile(regex)
    except re.error as exc:
        return [f"{path}: invalid regex {regex!r}: {exc}"]
    return []


def check_content(rule: Doc, path: str, types: Types) -> list[str]:
    terms = _dict(rule.get("terms"))
    errors = [
        error
        for lang, words in terms.items()
        for i, term in enumerate(_list(words))
        for error in _check_term(term, f"{path}.terms.{lang}[{i}]")
    ]
    patterns = _list(rule.get("patterns"))
    errors += [e for i, p in enumerate(patterns) for e in _check_pattern(p, f"{path}.patterns[{i}]")]
    if not any(_list(words) for words in terms.values()) and not patterns:
        errors.append(f"{path}: a content rule needs at least one term or pattern")
    return errors


def check_brand(rule: Doc, path: str, types: Types) -> list[str]:
    errors = [
        error
        for key in ("names", "handles", "hashtags")
        for i, term in enumerate(_list(rule.get(key)))
        for error in _check_term(term, f"{path}.{key}[{i}]")
    ]
    if not any(_list(rule.get(key)) for key in ("names", "handles", "hashtags")):
        errors.append(f"{path}: a brand rule needs at least one name, handle or hashtag")
    return errors


def _check_reference(ref: object, want: set[str], path: str, types: Types) -> list[str]:
    if not isinstance(ref, str):
        return []
    if ref not in types:
        return [f"{path}: no rule with id {ref!r}"]
    if types[ref] not in want:
        return [f"{path}: rule {ref!r} is a {types[ref]} rule, expected {' or '.join(sorted(want))}"]
    return []


def check_brand_trigger(rule: Doc, path: str, types: Types) -> list[str]:
    errors = _check_reference(rule.get("brand"), {"brand"}, f"{path}.brand", types)
    for i, ref in enumerate(_list(rule.get("triggers"))):
        errors += _check_reference(ref, {"content"}, f"{path}.triggers[{i}]", types)
    return errors


def _check_tiers(rule: Doc, key: str, field: str, path: str) -> list[str]:
    errors: list[str] = []
    cap = _number(rule.get("weight"))
    previous: float | None = None
    for i, tier in enumerate(_list(rule.get(key))):
        minimum, weight = _number(_dict(tier).get(field)), _number(_dict(tier).get("weight"))
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
    cap, weight = _number(rule.get("weight")), _number(rule.get(key))
    if cap is not None and weight is not None and weight > cap:
        return [f"{path}.{key}: {weight:g} exceeds the rule's weight {cap:g}"]
    return []


def check_channel(rule: Doc, path: str, types: Types) -> list[str]:
    sla = _dict(rule.get("sla_minutes"))
    errors: list[str] = []
    for channel, targets in sla.items():
        minutes = [_number(_dict(targets).get(band)) for band in BANDS]
        known = [m for m in minutes if m is not None]
        if known != sorted(known):
            errors.append(f"{path}.sla_minutes.{channel}: targets must not shrink from P1 to P4 ({known})")
    missing = [c for c in CHANNELS if c not in sla]
    if DEFAULT_KEY not in sla and missing:
        errors.append(f"{path}.sla_minutes: no target for {', '.join(missing)} and no 'default'")
    return errors


def check_nothing(rule: Doc, path: str, types: Types) -> list[str]:
    return []


# --- compiling a validated rule ---

Built = Mapping[str, Rule]  # rules compiled so far, by id


def _common(doc: Doc, rule_id: str) -> dict[str, Any]:
    return {
        "id": rule_id,
        "type": doc["type"],
        "weight": float(doc["weight"]),
        "min_band": doc.get("min_band"),
        "enabled": doc.get("enabled", True),
    }


def _tiers(docs: list[Any], field: str) -> tuple[Tier, ...]:
    return tuple(Tier(float(t[field]), float(t["weight"]), t.get("min_band")) for t in docs)


def build_matching(doc: Doc, rule_id: str, slot: int, built: Built) -> Rule:
    patterns = []
    for entry in doc.get("patterns", []):
        regex, label = _pattern_source(entry)
        patterns.append((str(label), re.compile(str(regex), re.IGNORECASE)))
    return Matching(**_common(doc, rule_id), slot=slot, patterns=tuple(patterns))


def _matching(rule: Rule) -> Matching:
    if not isinstance(rule, Matching):
        raise TypeError(f"rule {rule.id!r} does not match words")
    return rule


def build_brand_trigger(doc: Doc, rule_id: str, slot: int, built: Built) -> Rule:
    brand = _matching(built[doc["brand"]])
    triggers = tuple(_matching(built[t]) for t in doc["triggers"])
    return BrandTrigger(**_common(doc, rule_id), brand=brand, triggers=triggers)


def build_sentiment(doc: Doc, rule_id: str, slot: int, built: Built) -> Rule:
    return SentimentRule(**_common(doc, rule_id), polarity=doc["polarity"], threshold=float(doc["threshold"]))


def build_visibility(doc: Doc, rule_id: str, slot: int, built: Built) -> Rule:
    threshold = float(doc.get("negative_threshold", 0.5))
    return VisibilityRule(**_common(doc, rule_id), negative_threshold=threshold)


def build_reach(doc: Doc, rule_id: str, slot: int, built: Built) -> Rule:
    return ReachRule(
        **_common(doc, rule_id),
        follower_tiers=_tiers(doc.get("tiers", []), "min_followers"),
        verified_weight=float(doc.get("verified_weight", 0)),
    )


def build_customer_value(doc: Doc, rule_id: str, slot: int, built: Built) -> Rule:
    return CustomerValueRule(
        **_common(doc, rule_id),
        vip_weight=float(doc.get("vip_weight", 0)),
        purchase_tiers=_tiers(doc.get("purchase_tiers", []), "min_purchases"),
        value_tiers=_tiers(doc.get("lifetime_value_tiers", []), "min_value"),
    )


def build_repeat_contact(doc: Doc, rule_id: str, slot: int, built: Built) -> Rule:
    return RepeatContactRule(
        **_common(doc, rule_id),
        within=timedelta(hours=float(doc["within_hours"])),
        tiers=_tiers(doc["tiers"], "min_contacts"),
        exclude_kinds=frozenset(doc.get("exclude_kinds", ["order"])),
    )


def build_channel(doc: Doc, rule_id: str, slot: int, built: Built) -> Rule:
    sla = {channel: dict(targets) for channel, targets in doc["sla_minutes"].items()}
    return ChannelRule(
        **_common(doc, rule_id), fast_channels=frozenset(doc.get("fast_channels", [])), sla_minutes=sla
    )


def content_terms(doc: Doc) -> list[tuple[str, str]]:
    """(term, label) pairs of a content rule, every language together."""
    return [
        (term, term.removesuffix(PREFIX_MARK)) for words in doc.get("terms", {}).values() for term in words
    ]


def brand_terms(doc: Doc) -> list[tuple[str, str]]:
    """(term, label) pairs of a brand rule: names as written, handles as "@x", hashtags as "#x"."""
    terms = [(name, name) for name in doc.get("names", [])]
    terms += [("@" + h.removeprefix("@"), "@" + h.removeprefix("@")) for h in doc.get("handles", [])]
    terms += [("#" + h.removeprefix("#"), "#" + h.removeprefix("#")) for h in doc.get("hashtags", [])]
    return terms


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

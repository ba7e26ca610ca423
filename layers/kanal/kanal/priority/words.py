"""Rules that look for words: content triggers ("refund", "lawyer"), brand mentions ("@acme", "#acmefail") and
the pair of the two ("@Acme + help")."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kanal.priority.facts import Built, Doc, Facts, Hit, Rule, Types, common, dict_of, list_of
from kanal.priority.text import PREFIX_MARK, term_tokens

_MAX_LABELS = 3


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
    entry = dict_of(pattern)
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
    terms = dict_of(rule.get("terms"))
    errors = [
        error
        for lang, words in terms.items()
        for i, term in enumerate(list_of(words))
        for error in _check_term(term, f"{path}.terms.{lang}[{i}]")
    ]
    patterns = list_of(rule.get("patterns"))
    errors += [e for i, p in enumerate(patterns) for e in _check_pattern(p, f"{path}.patterns[{i}]")]
    if not any(list_of(words) for words in terms.values()) and not patterns:
        errors.append(f"{path}: a content rule needs at least one term or pattern")
    return errors


def check_brand(rule: Doc, path: str, types: Types) -> list[str]:
    errors = [
        error
        for key in ("names", "handles", "hashtags")
        for i, term in enumerate(list_of(rule.get(key)))
        for error in _check_term(term, f"{path}.{key}[{i}]")
    ]
    if not any(list_of(rule.get(key)) for key in ("names", "handles", "hashtags")):
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
    for i, ref in enumerate(list_of(rule.get("triggers"))):
        errors += _check_reference(ref, {"content"}, f"{path}.triggers[{i}]", types)
    return errors


def build_matching(doc: Doc, rule_id: str, slot: int, built: Built) -> Rule:
    patterns = []
    for entry in doc.get("patterns", []):
        regex, label = _pattern_source(entry)
        patterns.append((str(label), re.compile(str(regex), re.IGNORECASE)))
    return Matching(**common(doc, rule_id), slot=slot, patterns=tuple(patterns))


def _matching(rule: Rule) -> Matching:
    if not isinstance(rule, Matching):
        raise TypeError(f"rule {rule.id!r} does not match words")
    return rule


def build_brand_trigger(doc: Doc, rule_id: str, slot: int, built: Built) -> Rule:
    brand = _matching(built[doc["brand"]])
    triggers = tuple(_matching(built[t]) for t in doc["triggers"])
    return BrandTrigger(**common(doc, rule_id), brand=brand, triggers=triggers)


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

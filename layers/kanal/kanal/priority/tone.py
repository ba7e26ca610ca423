"""Rules on how an inquiry sounds: its sentiment, and a negative comment made in public."""

from __future__ import annotations

from dataclasses import dataclass

from kanal.model import Visibility
from kanal.priority.facts import Built, Doc, Facts, Hit, Rule, common


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


def build_sentiment(doc: Doc, rule_id: str, slot: int, built: Built) -> Rule:
    return SentimentRule(**common(doc, rule_id), polarity=doc["polarity"], threshold=float(doc["threshold"]))


def build_visibility(doc: Doc, rule_id: str, slot: int, built: Built) -> Rule:
    threshold = float(doc.get("negative_threshold", 0.5))
    return VisibilityRule(**common(doc, rule_id), negative_threshold=threshold)

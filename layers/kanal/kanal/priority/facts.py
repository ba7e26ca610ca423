"""What every rule shares: the ``Facts`` it reads about one inquiry, the ``Hit`` it gives, and the fields
of its document.

Every rule has an ``id`` (what a reason names), a ``weight`` (the points it adds when it fires, at
most; for tiered rules the cap of what its parts add up to) and optionally ``min_band`` (when it
fires the inquiry is at least that urgent). Evaluating a rule gives a ``Hit`` or nothing. The rule
types themselves are listed in ``catalogue``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from kanal.model import CustomerContext, Inquiry
from kanal.priority.sentiment import SentimentAnalyzer, SentimentResult
from kanal.priority.text import Analysed, TermMatcher, analyse

BANDS = ("P1", "P2", "P3", "P4")
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


# --- a rule's document: checked beyond the JSON Schema (reporting, never raising), then compiled ---

Doc = Mapping[str, Any]
Types = Mapping[str, str]  # rule id -> rule type, for rules that reference others
Built = Mapping[str, Rule]  # rules compiled so far, by id


def list_of(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def dict_of(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def number_of(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def common(doc: Doc, rule_id: str) -> dict[str, Any]:
    """The fields every rule has, from its validated document."""
    return {
        "id": rule_id,
        "type": doc["type"],
        "weight": float(doc["weight"]),
        "min_band": doc.get("min_band"),
        "enabled": doc.get("enabled", True),
    }

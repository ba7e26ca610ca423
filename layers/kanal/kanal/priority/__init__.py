"""The priority engine: fish the critical comments out of the mass.

A company writes what matters to it in one rules document (``docs/rules.md``, validated by
``schemas/rules.schema.json``); ``score_inquiry`` ranks every inquiry by it, says why, and gives the
first-response due time in the team's business hours::

    rules = load_rules(document)  # or default_rules()
    priority = score_inquiry(inquiry, customer_context, rules)
    priority.band, priority.score, priority.reasons, priority.sla_due_at
"""

from kanal.priority.rules import Bands, Rules, default_rules, load_rules, rules_schema, validate
from kanal.priority.scorer import score_inquiry
from kanal.priority.sentiment import (
    ComprehendSentiment,
    LocalSentiment,
    SentimentAnalyzer,
    SentimentConfig,
    SentimentResult,
    sentiment_analyzer,
)
from kanal.priority.sla import ALWAYS_OPEN, AlwaysOpen, BusinessCalendar, Calendar

__all__ = [
    "ALWAYS_OPEN",
    "AlwaysOpen",
    "Bands",
    "BusinessCalendar",
    "Calendar",
    "ComprehendSentiment",
    "LocalSentiment",
    "Rules",
    "SentimentAnalyzer",
    "SentimentConfig",
    "SentimentResult",
    "default_rules",
    "load_rules",
    "rules_schema",
    "score_inquiry",
    "sentiment_analyzer",
    "validate",
]

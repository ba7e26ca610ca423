"""Sentiment behind one interface: the local lexicon scorer, and Comprehend with a fake client."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from kanal.model import Author, Channel, CustomerContext, Inquiry, Visibility
from kanal.priority import (
    ComprehendSentiment,
    LocalSentiment,
    SentimentAnalyzer,
    SentimentConfig,
    SentimentResult,
    default_rules,
    load_rules,
    score_inquiry,
    sentiment_analyzer,
)
from kanal.priority.sentiment import COMPREHEND_MAX_BYTES, comprehend_language, truncate_utf8

LOCAL = LocalSentiment()


@pytest.mark.parametrize(
    ("text", "language", "label"),
    [
        ("This is good", "en", "positive"),
        ("This is not good", "en", "negative"),
        ("This isn't good at all", "en", "negative"),
        ("Not bad", "en", "positive"),
        ("Das ist gut", "de", "positive"),
        ("Das ist nicht gut", "de", "negative"),
        ("Das gefällt mir nicht", "de", "negative"),
        ("Das funktioniert nicht", "de", "negative"),
        ("Kein Problem!", "de", "positive"),
        ("Ohne Probleme geliefert", "de", "positive"),
        ("Terrible service", "en", "negative"),
        ("Furchtbarer Service", "de", "negative"),
        ("😡", None, "negative"),
        ("👍", None, "positive"),
        ("not happy 😡", "en", "negative"),
        ("Best regards, Tom", "en", "neutral"),
        ("Guten Morgen, eine Frage", "de", "neutral"),
        ("Mit besten Grüßen", None, "neutral"),
        ("Schon wieder eine Frage", "de", "neutral"),  # "schon" is not "schön"
        ("Sehr schön", "de", "positive"),
        ("sehr schoen", "de", "positive"),
        ("Great phone but the battery is terrible", "en", "mixed"),
        ("When does the store open?", "en", "neutral"),
        ("", None, "neutral"),
    ],
)
def test_given_text_when_local_scorer_then_label(text: str, language: str | None, label: str) -> None:
    assert LOCAL.analyze(text, language).label == label


@pytest.mark.parametrize(
    ("weaker", "stronger"),
    [
        ("bad", "very bad"),
        ("schlecht", "sehr schlecht"),
        ("bad", "bad!!!"),
        ("slightly bad", "bad"),
        ("😡", "😡😡😡"),
    ],
)
def test_given_intensity_when_scored_then_stronger_is_more_negative(weaker: str, stronger: str) -> None:
    assert LOCAL.analyze(stronger, None).negative > LOCAL.analyze(weaker, None).negative


def test_given_any_text_then_strengths_stay_between_zero_and_one() -> None:
    result = LOCAL.analyze("worst worst worst terrible awful 😡😡😡🤬!!! " * 20, "en")

    assert 0.0 <= result.negative <= 1.0 and 0.0 <= result.positive <= 1.0
    assert result.provider == "local"


def test_given_same_text_when_scored_twice_then_identical() -> None:
    assert LOCAL.analyze("Nicht gut 😡", "de") == LOCAL.analyze("Nicht gut 😡", "de")


class FakeComprehend:
    """Stands in for a boto3 comprehend client: records calls, answers as DetectSentiment does."""

    def __init__(
        self, sentiment: str = "NEGATIVE", negative: float = 0.9, error: Exception | None = None
    ) -> None:
        self.calls: list[dict[str, str]] = []
        self.sentiment, self.negative, self.error = sentiment, negative, error

    def detect_sentiment(self, **kwargs: str) -> dict[str, Any]:
        self.calls.append(kwargs)
        if self.error is not None:
            raise self.error
        rest = round((1.0 - self.negative) / 3, 4)
        return {
            "Sentiment": self.sentiment,
            "SentimentScore": {"Positive": rest, "Negative": self.negative, "Neutral": rest, "Mixed": rest},
        }


class Canned:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def analyze(self, text: str, language: str | None) -> SentimentResult:
        self.texts.append(text)
        return SentimentResult("neutral", 0.0, 0.0, "canned")


def test_given_supported_language_when_comprehend_then_api_answer_is_mapped() -> None:
    client = FakeComprehend("NEGATIVE", 0.93)

    result = ComprehendSentiment(client).analyze("Das ist eine Frechheit", "de-DE")

    assert client.calls == [{"Text": "Das ist eine Frechheit", "LanguageCode": "de"}]
    assert result == SentimentResult("negative", 0.93, 0.023, "comprehend")


@pytest.mark.parametrize(
    ("language", "code"),
    [
        ("en", "en"),
        ("en-US", "en"),
        ("de_AT", "de"),
        ("pt-BR", "pt"),
        ("zh", "zh"),
        ("zh-Hans", "zh"),
        ("zh-TW", "zh-TW"),
        ("zh-Hant", "zh-TW"),
        ("nl", None),
        ("", None),
        (None, None),
    ],
)
def test_given_inquiry_language_then_comprehend_code(language: str | None, code: str | None) -> None:
    assert comprehend_language(language) == code


@pytest.mark.parametrize(("text", "language"), [("Dit is slecht", "nl"), ("bad", None), ("   ", "en")])
def test_given_what_comprehend_cannot_take_then_fallback_and_no_call(text: str, language: str | None) -> None:
    client, fallback = FakeComprehend(), Canned()

    result = ComprehendSentiment(client, fallback).analyze(text, language)

    assert client.calls == []
    assert fallback.texts == [text] and result.provider == "canned"


def test_given_text_over_the_limit_when_comprehend_then_truncated_in_bytes_not_characters() -> None:
    client = FakeComprehend()
    text = "ü" * 4000  # 8,000 bytes of UTF-8

    ComprehendSentiment(client).analyze(text, "de")

    sent = client.calls[0]["Text"]
    assert len(sent.encode("utf-8")) <= COMPREHEND_MAX_BYTES < 5000
    assert sent == "ü" * (COMPREHEND_MAX_BYTES // 2)


def test_given_multibyte_boundary_when_truncated_then_no_broken_character() -> None:
    assert truncate_utf8("a😡", 3) == "a"
    assert truncate_utf8("short", 100) == "short"


@pytest.mark.parametrize(
    "error",
    [
        ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "DetectSentiment"),
        EndpointConnectionError(endpoint_url="https://comprehend.example"),
    ],
    ids=["throttled", "unreachable"],
)
def test_given_failing_api_when_comprehend_then_local_fallback(error: Exception) -> None:
    client, fallback = FakeComprehend(error=error), Canned()

    result = ComprehendSentiment(client, fallback).analyze("awful", "en")

    assert len(client.calls) == 1 and result.provider == "canned"


def test_given_unexpected_error_when_comprehend_then_it_is_not_swallowed() -> None:
    with pytest.raises(KeyError):
        ComprehendSentiment(FakeComprehend(error=KeyError("bug"))).analyze("awful", "en")


def test_given_local_provider_then_factory_builds_local() -> None:
    assert isinstance(sentiment_analyzer(SentimentConfig("local")), LocalSentiment)


def test_given_comprehend_provider_and_client_then_factory_uses_the_client() -> None:
    client = FakeComprehend()

    analyzer = sentiment_analyzer(SentimentConfig("comprehend"), client=client)

    assert isinstance(analyzer, ComprehendSentiment) and analyzer.client is client


def test_given_comprehend_provider_without_client_then_factory_creates_one_in_the_region() -> None:
    analyzer = sentiment_analyzer(SentimentConfig("comprehend", region="eu-central-1"))

    assert isinstance(analyzer, ComprehendSentiment)
    assert analyzer.client.meta.region_name == "eu-central-1"  # created offline; nothing is called


def test_given_rules_document_switched_to_comprehend_then_scoring_uses_its_answer() -> None:
    doc = default_rules().document
    doc["sentiment"] = {"provider": "comprehend"}
    rules = load_rules(doc)
    analyzer: SentimentAnalyzer = sentiment_analyzer(rules.sentiment, client=FakeComprehend("NEGATIVE", 0.97))
    now = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    item = Inquiry(
        id="i",
        channel=Channel.FACEBOOK,
        external_id="e",
        author=Author(id="a"),
        text="Hmm.",
        visibility=Visibility.PUBLIC,
        thread_id="t",
        account_id="acme",
        customer_id="c",
        created_at=now,
        received_at=now,
        language="en",
    )

    priority = score_inquiry(item, CustomerContext("c"), rules, sentiment=analyzer)

    reasons = {(r.rule, r.matched) for r in priority.reasons}
    assert ("sentiment.negative", "negative 0.97") in reasons
    assert ("visibility", "public + negative") in reasons
    assert rules.sentiment.provider == "comprehend"

"""Sentiment behind one interface: a local lexicon scorer, or Amazon Comprehend.

``negative`` and ``positive`` are strengths from 0 to 1. The rules document's ``sentiment.provider``
chooses the implementation; ``sentiment_analyzer`` builds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from kanal.priority import lexicon
from kanal.priority.text import analyse, fold, strip_marks

LOCAL = "local"
COMPREHEND = "comprehend"
# DetectSentiment takes fewer than 5,000 bytes of UTF-8 and these language codes.
COMPREHEND_MAX_BYTES = 4999
COMPREHEND_LANGUAGES = frozenset({"en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh", "zh-TW"})

_NEGATION_REACH = 3  # words a negator reaches forward ("not very good") or back ("gefällt mir nicht")
_BREAKS = frozenset(".,;:!?")
_IGNORED = frozenset("'\"-@#")
_HALF_STRENGTH = 2.0  # summed valence at which a strength reaches 0.5
_GERMAN_ENDINGS = ("en", "er", "es", "em", "e")  # adjective endings: "toll" -> "tolle", "tollen"


@dataclass(frozen=True)
class SentimentResult:
    label: str  # positive | negative | neutral | mixed
    negative: float  # 0..1
    positive: float  # 0..1
    provider: str = LOCAL


class SentimentAnalyzer(Protocol):
    def analyze(self, text: str, language: str | None) -> SentimentResult: ...


@dataclass(frozen=True)
class SentimentConfig:
    provider: str = LOCAL
    region: str | None = None


def primary_language(language: str | None) -> str | None:
    """The primary subtag, lower-case: "de-AT" gives "de"; None stays None."""
    if not language:
        return None
    return language.replace("_", "-").split("-", 1)[0].lower()


_WORD, _EMOJI, _INTENSIFIER, _NEGATOR, _BREAK = range(5)
_Entry = tuple[int, float, str]  # kind, valence or factor, lexicon word (for formulas)


def _spellings(word: str) -> set[str]:
    """A folded word and its spellings without umlauts, except those that are another word."""
    variants = {strip_marks(word), word.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")}
    return {word} | (variants - lexicon.COLLISIONS)


def _words(words: dict[str, float], inflect: bool) -> dict[str, _Entry]:
    """Sentiment words by every spelling; German adjectives also inflected ("toll" -> "tolle")."""
    table: dict[str, _Entry] = {}
    folded = {fold(w): v for w, v in words.items()}
    for word, value in folded.items():
        table.update((s, (_WORD, value, word)) for s in _spellings(word))
    for word, value in folded.items():
        for ending in _GERMAN_ENDINGS if inflect else ():
            for spelling in _spellings(word + ending):
                table.setdefault(spelling, (_WORD, value, word))
    return table


def _table(words: dict[str, _Entry]) -> dict[str, _Entry]:
    """One lookup per token: words, then emoji, intensifiers, negators and breaks, which take precedence."""
    table = dict(words)
    table.update((fold(e), (_EMOJI, v, e)) for e, v in lexicon.EMOJI.items())
    table.update((w, (_INTENSIFIER, f, w)) for w, f in lexicon.INTENSIFIERS.items())
    table.update((w, (_NEGATOR, 0.0, w)) for w in lexicon.NEGATORS)
    table.update((b, (_BREAK, 0.0, b)) for b in _BREAKS)
    return table


_ENGLISH_WORDS = _words(lexicon.ENGLISH, inflect=False)
_GERMAN_WORDS = _words(lexicon.GERMAN, inflect=True)
_TABLES = {"en": _table(_ENGLISH_WORDS), "de": _table(_GERMAN_WORDS)}
_BOTH = _table({**_ENGLISH_WORDS, **_GERMAN_WORDS})
_FORMULAS = {fold(k): frozenset(fold(w) for w in v) for k, v in lexicon.FORMULAS.items()}


@dataclass
class _Tally:
    """Running sums over one message's tokens."""

    post_negation: bool
    negative: float = 0.0
    positive: float = 0.0
    scale: float = 1.0
    reach: int = 0  # words still under a negator
    last: tuple[int, float] | None = None  # position and value of the last sentiment word
    exclaim: int = 0

    def add(self, value: float, sign: float = 1.0) -> None:
        if value < 0:
            self.negative -= sign * value
        else:
            self.positive += sign * value

    def word(self, index: int, value: float) -> None:
        value *= self.scale
        self.scale = 1.0
        if self.reach:
            value, self.reach = _negated(value), 0
            self.last = None
        else:
            self.last = (index, value)
        self.add(value)

    def negator(self, index: int) -> None:
        if self.post_negation and self.last and index - self.last[0] <= _NEGATION_REACH:
            self.add(self.last[1], sign=-1.0)  # "gefällt mir nicht": take the word back, count it negated
            self.add(_negated(self.last[1]))
            self.last = None
        self.reach = _NEGATION_REACH

    def brk(self, token: str) -> None:
        self.reach, self.scale, self.last = 0, 1.0, None
        self.exclaim += token == "!"

    def result(self) -> SentimentResult:
        boost = 1.0 + 0.15 * min(self.exclaim, 3)
        neg, pos = self.negative, self.positive
        neg, pos = (neg * boost, pos) if neg > pos else (neg, pos * boost)
        return _labelled(round(neg / (neg + _HALF_STRENGTH), 3), round(pos / (pos + _HALF_STRENGTH), 3))


def _negated(value: float) -> float:
    """A negated valence: "not good" is bad, "not bad" only mildly good."""
    return -0.8 * value if value > 0 else -0.5 * value


def _labelled(negative: float, positive: float) -> SentimentResult:
    if negative >= 0.3 and positive >= 0.3:
        label = "mixed"
    elif negative >= 0.2 and negative > positive:
        label = "negative"
    elif positive >= 0.2 and positive > negative:
        label = "positive"
    else:
        label = "neutral"
    return SentimentResult(label, negative, positive, LOCAL)


class LocalSentiment:
    """Deterministic lexicon scorer for English and German (and emoji in any language).

    Handles negation before a word ("not good", "nicht gut", "kein Problem") and, for German, after it
    ("gefällt mir nicht"); intensifiers ("very", "sehr") and dampeners; exclamation marks; greeting
    formulas that are not sentiment ("best regards", "guten Morgen"). Unknown languages use both lists.
    """

    def analyze(self, text: str, language: str | None) -> SentimentResult:
        lang = primary_language(language)
        table = _TABLES.get(lang or "", _BOTH)
        return _tally(analyse(text).tokens, table, german=lang != "en").result()


def _tally(tokens: tuple[str, ...], table: dict[str, _Entry], german: bool) -> _Tally:
    tally = _Tally(post_negation=german)
    for index, token in enumerate(tokens):
        entry = table.get(token)
        if entry is None:
            if tally.reach and token not in _IGNORED:
                tally.reach -= 1  # a neutral word uses up the negator's reach
            continue
        kind, value, word = entry
        if kind == _WORD:
            if not _is_formula(word, tokens, index):
                tally.word(index, value)
        elif kind == _EMOJI:
            tally.add(value)  # an emoji says how the writer feels: never negated
        elif kind == _INTENSIFIER:
            tally.scale *= value
        elif kind == _NEGATOR:
            tally.negator(index)
        else:
            tally.brk(token)
    return tally


def _is_formula(word: str, tokens: tuple[str, ...], index: int) -> bool:
    following = _FORMULAS.get(word)
    if following is None or index + 1 >= len(tokens):
        return False
    return tokens[index + 1] in following


def comprehend_language(language: str | None) -> str | None:
    """Comprehend's LanguageCode for an inquiry's language, or None when it has none."""
    if not language:
        return None
    tag = language.replace("_", "-").lower()
    if tag in {"zh-tw", "zh-hant", "zh-hk"} or tag.startswith("zh-hant-"):
        return "zh-TW"
    code = primary_language(tag)
    return code if code in COMPREHEND_LANGUAGES else None


def truncate_utf8(text: str, max_bytes: int) -> str:
    """At most ``max_bytes`` of UTF-8, never cutting a character in half."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", errors="ignore")


@dataclass
class ComprehendSentiment:
    """Amazon Comprehend DetectSentiment, with the local scorer for what Comprehend cannot take.

    Unsupported or unknown languages and empty text go to ``fallback``; text over the API's limit is
    cut to it. A failed call (throttling, an outage) also falls back: a slightly worse priority now
    beats a late one.
    """

    client: Any
    fallback: SentimentAnalyzer = field(default_factory=LocalSentiment)

    def analyze(self, text: str, language: str | None) -> SentimentResult:
        code = comprehend_language(language)
        if code is None or not text.strip():
            return self.fallback.analyze(text, language)
        try:
            answer = self.client.detect_sentiment(
                Text=truncate_utf8(text, COMPREHEND_MAX_BYTES), LanguageCode=code
            )
        except (BotoCoreError, ClientError):
            return self.fallback.analyze(text, language)
        scores = answer["SentimentScore"]
        negative, positive = round(float(scores["Negative"]), 3), round(float(scores["Positive"]), 3)
        return SentimentResult(str(answer["Sentiment"]).lower(), negative, positive, COMPREHEND)


def sentiment_analyzer(config: SentimentConfig, client: Any | None = None) -> SentimentAnalyzer:
    """The analyzer a rules document asks for; a Comprehend client is created when none is given."""
    if config.provider != COMPREHEND:
        return LocalSentiment()
    if client is None:
        import boto3  # only a Comprehend configuration needs it

        client = (
            boto3.client(COMPREHEND, region_name=config.region) if config.region else boto3.client(COMPREHEND)
        )
    return ComprehendSentiment(client)

"""Text normalisation and trigger matching for the content and brand rules.

A message is case-folded and NFKC-normalised once, then cut into tokens: runs of word characters,
``@handle`` / ``#hashtag`` words, and every other visible character on its own (so an emoji next to
a word is a token of its own and never hides the word). Trigger terms are matched token by token,
which gives word boundaries for free: "help" never matches "helpful", "kündigen" never matches
"ankündigen".

Accent-insensitive matching strips combining marks from the *tokens* ("kündigen" -> "kundigen") and
adds the German transliteration of a term ("kuendigen"), but never folds "ue" in the text itself,
which would turn "Quelle" into "Qulle" and make false matches.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

_TOKEN = re.compile(r"\w+|(?<!\w)[@#]\w+|[^\w\s]")
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Typographic apostrophes become "'"; emoji variation selectors carry no meaning here.
_APOSTROPHES = {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'"}
_CLEAN = str.maketrans({**_APOSTROPHES, "\ufe0f": None, "\ufe0e": None})
_UNCLEAN = re.compile("[\u2019\u2018\u02bc\u00b4\ufe0f\ufe0e]")
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
PREFIX_MARK = "*"


class Analysed(NamedTuple):
    """One message, prepared once for every rule that reads it."""

    tokens: tuple[str, ...]  # case-folded, accents kept (for sentiment: "schön" is not "schon")
    keys: tuple[str, ...]  # case-folded, accents stripped (for triggers)
    stripped: str  # the whole text case-folded with accents stripped (for regex patterns)


def fold(text: str) -> str:
    """Case-fold and NFKC-normalise ``text`` (accents kept)."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    if _UNCLEAN.search(folded):
        folded = folded.translate(_CLEAN)  # before NFKC, which splits an acute accent into a space and a mark
    return unicodedata.normalize("NFKC", folded)


def strip_marks(text: str) -> str:
    """Remove combining marks: "kündigen" -> "kundigen", "café" -> "cafe"."""
    if text.isascii():
        return text
    return _MARKS.sub("", unicodedata.normalize("NFKD", text))


_strip_token = lru_cache(maxsize=8192)(strip_marks)  # words repeat; whole messages are not cached


def tokenize(folded: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(folded))


@lru_cache(maxsize=64)
def analyse(text: str) -> Analysed:
    """Normalise and tokenise ``text``; cached so the triggers and the sentiment share one pass."""
    folded = fold(text)
    tokens = tokenize(folded)
    if folded.isascii():
        return Analysed(tokens, tokens, folded)
    keys = tuple(key for key in map(_strip_token, tokens) if key)  # a lone combining mark is no key
    return Analysed(tokens, keys, strip_marks(folded))


def term_tokens(term: str) -> list[tuple[str, ...]]:
    """The token sequences a configured term matches, one per spelling variant.

    The accent-stripped form always; for German umlauts also the ae/oe/ue transliteration; for a term
    with an apostrophe also the spelling without it ("doesn't" / "doesnt").
    """
    folded = fold(term.removesuffix(PREFIX_MARK))
    spellings = {folded, folded.translate(_GERMAN)}
    spellings |= {s.replace("'", "") for s in spellings if "'" in s}
    variants = {tokenize(strip_marks(s)) for s in spellings}
    return sorted(v for v in variants if v)


@dataclass(frozen=True)
class _Entry:
    rest: tuple[str, ...]  # the tokens that must follow the first one
    prefix: bool  # the last token is a prefix ("kaputt*" matches "kaputte")
    slot: int  # which rule the term belongs to
    label: str  # what a reason shows: the term as configured


class TermMatcher:
    """Every trigger term of every content and brand rule, indexed by its first token."""

    def __init__(self, terms: Iterable[tuple[int, str, str]]) -> None:
        """``terms``: (rule slot, term as configured, label to report)."""
        exact: dict[str, list[_Entry]] = {}
        prefixes: list[tuple[str, _Entry]] = []
        for slot, term, label in terms:
            prefix = term.endswith(PREFIX_MARK)
            for variant in term_tokens(term):
                entry = _Entry(variant[1:], prefix, slot, label)
                if prefix and len(variant) == 1:
                    prefixes.append((variant[0], entry))
                else:
                    exact.setdefault(variant[0], []).append(entry)
        # the longest phrase first, so "Geld zurück" is reported before "Geld"
        self._exact = {
            key: tuple(sorted(entries, key=lambda e: -len(e.rest))) for key, entries in exact.items()
        }
        self._prefixes = tuple(prefixes)
        self._prefix_keys = tuple(p for p, _ in prefixes)

    def __bool__(self) -> bool:
        return bool(self._exact or self._prefixes)

    def find(self, keys: Sequence[str]) -> dict[int, list[str]]:
        """The labels of the terms found in ``keys``, per rule slot, in order of first appearance."""
        found: dict[int, list[str]] = {}
        exact, prefix_keys = self._exact, self._prefix_keys
        for i, key in enumerate(keys):
            entries: Sequence[_Entry] | None = exact.get(key)
            if prefix_keys and key.startswith(prefix_keys):
                entries = self._with_prefixed(key, entries)
            if entries is None and key[0] in "@#" and len(key) > 1:
                entries = self._candidates(key[1:])  # "#hilfe" also counts as "hilfe"
            if entries:
                _collect(found, keys, i, entries)
        return found

    def _with_prefixed(self, key: str, entries: Sequence[_Entry] | None) -> Sequence[_Entry]:
        return [*(entries or ()), *(e for p, e in self._prefixes if key.startswith(p))]

    def _candidates(self, key: str) -> Sequence[_Entry] | None:
        entries: Sequence[_Entry] | None = self._exact.get(key)
        if self._prefix_keys and key.startswith(self._prefix_keys):
            entries = self._with_prefixed(key, entries)
        return entries


def _collect(found: dict[int, list[str]], keys: Sequence[str], i: int, entries: Sequence[_Entry]) -> None:
    for entry in entries:
        if not entry.rest or _follows(keys, i + 1, entry.rest, entry.prefix):
            labels = found.setdefault(entry.slot, [])
            if entry.label not in labels:
                labels.append(entry.label)


def _follows(keys: Sequence[str], start: int, rest: tuple[str, ...], prefix: bool) -> bool:
    if start + len(rest) > len(keys):
        return False
    last = len(rest) - 1
    for offset, want in enumerate(rest):
        got = keys[start + offset]
        if got != want and not (prefix and offset == last and got.startswith(want)):
            return False
    return True

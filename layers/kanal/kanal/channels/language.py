"""A tiny, deterministic German/English guess from stopwords and umlauts.

Good enough to pick a team or a reply template for short social posts; no model, no network.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-zäöüß]+")
_GERMAN_LETTERS = frozenset("äöüß")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_GERMAN = _words(
    "aber alle als am an auch auf aus bei bin bis bitte da dann das dass dem den der des dich die dir "
    "doch du ein eine einem einen einer es etwas für gibt hab habe haben hallo hat hatte ich ihr ihre "
    "im immer in ist ja jetzt kann kein keine man mein meine meinen mich mir mit muss nach nicht noch "
    "nur oder schon sehr sie sind so über um und uns unser vom von war warum was weil wenn werden wie "
    "wieder wir wird wo zu zum zur danke leider geht heute morgen gestern seit woche"
)

_ENGLISH = _words(
    "a about after all am an and any are as at be been but by can cannot could did do does dont for "
    "from get got had has have hello hi how i if in is it its just me my no not now of on or our "
    "please so still than thank thanks that the their there this to was we were what when where which "
    "why will with would you your yet since week today yesterday"
)

# Words both lists share carry no signal.
_SHARED = _GERMAN & _ENGLISH
_MIN_SCORE = 2


def guess(text: str | None) -> str | None:
    """``"de"``, ``"en"`` or None when the text gives too little (or a tied) signal."""
    if not text:
        return None
    lowered = text.lower()
    words = _WORD.findall(lowered)
    german = sum(1 for word in words if word in _GERMAN and word not in _SHARED)
    english = sum(1 for word in words if word in _ENGLISH and word not in _SHARED)
    german += 2 * sum(1 for char in lowered if char in _GERMAN_LETTERS)
    if max(german, english) < _MIN_SCORE or german == english:
        return None
    return "de" if german > english else "en"

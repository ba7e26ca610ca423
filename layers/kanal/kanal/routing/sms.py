"""Claim by SMS reply: the agent answers the notification SMS with "1"/"OK" (they take it) or "2" (pass it
on to the next best agent at once), optionally followed by the reference the SMS named.

A reply counts only from the phone number the SMS went to, only while that number is still the agent's,
and only for the inquiry that SMS named; anything else changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_REPLY = re.compile(r"^\s*(1|ok|okay|ja|yes|2)\b[\s.:#-]*([a-z0-9]{6})?\s*$", re.IGNORECASE)


class Answer(StrEnum):
    TAKE = "take"
    PASS = "pass"


@dataclass(frozen=True)
class Reply:
    answer: Answer
    ref: str | None  # the reference the reply repeats, if any


def parse_reply(text: str) -> Reply | None:
    """ "1", "OK", "ja" take it; "2" passes it on; a reference may follow ("1 A1B2C3"). None: not a reply."""
    found = _REPLY.match(text or "")
    if not found:
        return None
    answer = Answer.PASS if found.group(1) == "2" else Answer.TAKE
    return Reply(answer, found.group(2).upper() if found.group(2) else None)


def normalise_phone(number: str) -> str:
    digits = re.sub(r"[^\d+]", "", number or "")
    return digits if digits.startswith("+") else f"+{digits}"

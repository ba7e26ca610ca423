"""The tiny German/English guess."""

from __future__ import annotations

import pytest

from kanal.channels.language import guess


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mein E-Bike ist seit zwei Wochen in der Werkstatt und niemand meldet sich.", "de"),
        ("Können Sie mir helfen?", "de"),
        ("Grüße", "de"),
        ("Hallo, ich habe eine Frage zu meiner Rechnung.", "de"),
        ("Hello, my order has not arrived yet, can you check the status please?", "en"),
        ("Thanks, but I still haven't had a reply to my e-mail.", "en"),
        ("My name is Jürgen and I need help with my order", "en"),
        ("", None),
        (None, None),
        ("48213", None),
        ("👍", None),
        ("in am so", None),  # only words both languages share
        ("ok", None),
    ],
)
def test_guess(text: str | None, expected: str | None) -> None:
    assert guess(text) == expected


def test_guess_is_deterministic() -> None:
    text = "Das Fahrrad ist kaputt and I want a refund"
    assert len({guess(text) for _ in range(5)}) == 1

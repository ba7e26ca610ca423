"""Trigger matching: word boundaries, case, accents and umlauts, emoji, phrases, handles."""

from __future__ import annotations

import unicodedata

import pytest

from kanal.priority.text import TermMatcher, analyse, term_tokens


def found(terms: list[str], text: str) -> list[str]:
    matcher = TermMatcher((0, term, term.removesuffix("*")) for term in terms)
    return matcher.find(analyse(text).keys).get(0, [])


@pytest.mark.parametrize(
    ("terms", "text", "expected"),
    [
        pytest.param(["help"], "Please help!", ["help"], id="plain_word"),
        pytest.param(["help"], "HELP", ["help"], id="upper_case"),
        pytest.param(["help"], "that was helpful", [], id="no_match_inside_longer_word"),
        pytest.param(["help"], "selfhelp group", [], id="no_match_at_word_end"),
        pytest.param(["help"], "help_desk", [], id="underscore_is_part_of_the_word"),
        pytest.param(["help*"], "that was helpful", ["help"], id="prefix_when_configured"),
        pytest.param(["kündigen"], "Ich will kündigen", ["kündigen"], id="umlaut"),
        pytest.param(["kündigen"], "ich will kundigen", ["kündigen"], id="umlaut_left_out"),
        pytest.param(["kündigen"], "ich will kuendigen", ["kündigen"], id="umlaut_transliterated"),
        pytest.param(["kündigen"], "ICH WILL KÜNDIGEN", ["kündigen"], id="umlaut_upper_case"),
        pytest.param(["kündigen"], "Wir werden das ankündigen", [], id="umlaut_not_inside_other_word"),
        pytest.param(["Kündigung"], "Ankündigung der neuen Preise", [], id="umlaut_not_inside_compound"),
        pytest.param(
            ["kundigen"], "Ich will kündigen", ["kundigen"], id="term_without_umlaut_matches_text_with"
        ),
        pytest.param(["neu"], "das neue Modell", [], id="text_ue_is_never_folded"),
        pytest.param(["Straße"], "in der strasse", ["Straße"], id="sharp_s"),
        pytest.param(["café"], "the cafe is closed", ["café"], id="accent_in_term"),
        pytest.param(["cafe"], "the CAFÉ is closed", ["cafe"], id="accent_in_text"),
        pytest.param(
            ["zurück"], unicodedata.normalize("NFD", "Geld zurück"), ["zurück"], id="decomposed_text"
        ),
        pytest.param(["help"], "\uff48\uff45\uff4c\uff50 me", ["help"], id="full_width_letters"),
        pytest.param(["help"], "help🙏", ["help"], id="emoji_glued_after"),
        pytest.param(["Hilfe"], "😭Hilfe😭", ["Hilfe"], id="emoji_glued_both_sides"),
        pytest.param(["help"], "👍🏽help", ["help"], id="emoji_with_skin_tone"),
        pytest.param(["help"], "👩‍💻help", ["help"], id="emoji_zwj_sequence"),
        pytest.param(["🆘"], "🆘 bitte", ["🆘"], id="emoji_as_term"),
        pytest.param(["❤️"], "❤ it", ["❤️"], id="emoji_variation_selector"),
        pytest.param(["Hilfe"], "#hilfe", ["Hilfe"], id="hashtag_counts_as_word"),
        pytest.param(["Geld zurück"], "ich will Geld   zurück", ["Geld zurück"], id="phrase_with_spaces"),
        pytest.param(["not working"], "not. Working fine", [], id="phrase_not_across_punctuation"),
        pytest.param(["not working"], "not-working", [], id="phrase_not_across_hyphen"),
        pytest.param(["doesn't work"], "it doesn\u2019t work", ["doesn't work"], id="curly_apostrophe"),
        pytest.param(["doesn't work"], "it doesnt work", ["doesn't work"], id="apostrophe_left_out"),
        pytest.param(
            ["doesn't work"], "it doesn\u00b4t work", ["doesn't work"], id="acute_accent_as_apostrophe"
        ),
        pytest.param(
            ["help"], "h\u0308\u0301elp help\u0308 \u0301 help", ["help"], id="stray_combining_marks"
        ),
        pytest.param(["kaputt*"], "kaputte Ware", ["kaputt"], id="prefix_german_inflection"),
        pytest.param(
            ["geht nicht mehr*"], "es geht nicht mehrfach", ["geht nicht mehr"], id="prefix_at_phrase_end"
        ),
        pytest.param(
            ["help", "refund"],
            "refund! help! refund!",
            ["refund", "help"],
            id="order_of_appearance_no_duplicates",
        ),
        pytest.param(
            ["geld", "geld zurück"], "geld zurück", ["geld zurück", "geld"], id="overlapping_terms_both_found"
        ),
    ],
)
def test_given_term_and_text_when_matched_then_found(
    terms: list[str], text: str, expected: list[str]
) -> None:
    assert found(terms, text) == expected


@pytest.mark.parametrize(
    ("term", "text", "expected"),
    [
        ("@acme", "hey @acme help", ["@acme"]),
        ("@acme", "hey @ACME", ["@acme"]),
        ("@acme", "mail support@acme.com", []),
        ("@acme", "hey @acme_support", []),
        ("#acme", "#Acme fail", ["#acme"]),
        ("#acme", "#acmefail", []),
        ("Acme", "@acme", ["Acme"]),  # a handle is also the name
    ],
)
def test_given_brand_terms_when_matched_then_handles_respect_boundaries(
    term: str, text: str, expected: list[str]
) -> None:
    assert found([term], text) == expected


def test_given_terms_of_several_rules_then_each_rule_gets_its_own() -> None:
    matcher = TermMatcher([(0, "help", "help"), (1, "refund", "refund"), (1, "help", "help")])

    assert matcher.find(analyse("help, refund").keys) == {0: ["help"], 1: ["help", "refund"]}


def test_given_umlaut_term_then_variants_are_stripped_and_transliterated() -> None:
    assert term_tokens("Geld zurück") == [("geld", "zuruck"), ("geld", "zurueck")]
    assert term_tokens("doesn't work") == [("doesn", "'", "t", "work"), ("doesnt", "work")]


def test_given_text_then_sentiment_tokens_keep_accents_and_trigger_keys_drop_them() -> None:
    analysed = analyse("Schön, kündigen!")

    assert analysed.tokens == ("schön", ",", "kündigen", "!")
    assert analysed.keys == ("schon", ",", "kundigen", "!")
    assert analysed.stripped == "schon, kundigen!"


def test_given_empty_matcher_then_it_is_falsy_and_finds_nothing() -> None:
    matcher = TermMatcher([])

    assert not matcher
    assert matcher.find(analyse("help").keys) == {}

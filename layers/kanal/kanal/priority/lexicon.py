"""The word lists behind ``LocalSentiment``: English and German, plus emoji.

Valences run from about -4 (worst) to +4 (best), in the spirit of VADER's lexicon. Words are written
case-folded with their accents; ``sentiment.py`` adds the spellings without umlauts ("enttauscht",
"enttaeuscht") except where that would collide with another common word ("schön" -> "schon").
"""

from __future__ import annotations

# fmt: off
ENGLISH: dict[str, float] = {
    # negative
    "terrible": -3.0, "awful": -3.0, "horrible": -3.0, "worst": -3.5, "worse": -2.5, "bad": -2.0,
    "poor": -2.0, "broken": -2.0, "useless": -2.5, "disappointed": -2.0, "disappointing": -2.0,
    "angry": -2.5, "furious": -3.0, "annoyed": -2.0, "annoying": -2.0, "ridiculous": -2.5,
    "unacceptable": -3.0, "disgusting": -3.0, "disgraceful": -3.0, "hate": -3.0, "sucks": -2.5,
    "scam": -3.0, "rude": -2.5, "slow": -1.0, "frustrated": -2.0, "frustrating": -2.0, "fail": -2.0,
    "failed": -2.0, "fails": -2.0, "failure": -2.0, "shame": -2.0, "shameful": -2.5, "nightmare": -3.0,
    "incompetent": -3.0, "pathetic": -3.0, "garbage": -3.0, "trash": -2.5, "crap": -2.5, "wrong": -1.5,
    "upset": -2.0, "sad": -1.5, "unhappy": -2.0, "lousy": -2.5, "waste": -2.0, "misleading": -2.0,
    "lied": -2.5, "liars": -3.0, "dishonest": -3.0, "cheated": -3.0, "damaged": -1.5, "defective": -2.0,
    "faulty": -2.0, "problem": -1.0, "problems": -1.0, "joke": -1.5,
    "outraged": -3.0, "appalling": -3.0, "unusable": -2.5, "worthless": -3.0,
    # positive
    "good": 2.0, "great": 3.0, "excellent": 3.5, "amazing": 3.5, "awesome": 3.5, "love": 3.0,
    "loved": 3.0, "lovely": 2.5, "perfect": 3.0, "happy": 2.5, "glad": 2.0, "thanks": 1.5, "thank": 1.5,
    "thx": 1.5, "fantastic": 3.5, "wonderful": 3.5, "helpful": 2.0, "friendly": 2.0, "fast": 1.5,
    "quick": 1.5, "quickly": 1.5, "nice": 2.0, "best": 3.0, "brilliant": 3.5, "pleased": 2.0,
    "satisfied": 2.0, "recommend": 2.0, "works": 1.0, "worked": 1.0, "working": 1.0, "super": 2.5,
    "outstanding": 3.5, "impressed": 3.0, "appreciate": 2.0, "appreciated": 2.0, "superb": 3.5,
}

GERMAN: dict[str, float] = {
    # negative
    "schlecht": -2.0, "schlechter": -2.5, "schlechteste": -3.5, "schlechtesten": -3.5,
    "furchtbar": -3.0, "schrecklich": -3.0, "grauenhaft": -3.0, "katastrophe": -3.0,
    "katastrophal": -3.0, "miserabel": -3.0, "mies": -2.5, "enttäuscht": -2.0, "enttäuschend": -2.0,
    "enttäuschung": -2.0, "ärgerlich": -2.0, "verärgert": -2.5, "wütend": -3.0, "sauer": -2.0,
    "stinksauer": -3.0, "unverschämt": -3.0, "unverschämtheit": -3.0, "frechheit": -3.0,
    "zumutung": -3.0, "unmöglich": -2.0, "unfreundlich": -2.5, "inkompetent": -3.0,
    "lächerlich": -2.5, "nervig": -2.0, "genervt": -2.0, "müll": -2.5, "schrott": -2.5, "mist": -2.0,
    "scheiße": -3.0, "scheiss": -3.0, "kaputt": -2.0, "defekt": -2.0, "langsam": -1.0,
    "problem": -1.0, "probleme": -1.0, "ärger": -2.0, "frustriert": -2.0, "abzocke": -3.0,
    "traurig": -1.5, "peinlich": -2.0, "unzufrieden": -2.5, "schlimm": -2.5, "schlimmer": -2.5,
    "schlimmste": -3.5, "unbrauchbar": -2.5, "ätzend": -2.5, "unerhört": -3.0, "dreist": -2.5,
    # positive
    "gut": 2.0, "super": 2.5, "toll": 2.5, "klasse": 2.5, "prima": 2.0, "spitze": 3.0, "perfekt": 3.0,
    "großartig": 3.5, "hervorragend": 3.5, "ausgezeichnet": 3.5, "wunderbar": 3.0, "fantastisch": 3.5,
    "genial": 3.0, "danke": 1.5, "dankeschön": 1.5, "zufrieden": 2.0, "glücklich": 2.5,
    "freundlich": 2.0, "hilfreich": 2.0, "schnell": 1.5, "empfehlen": 2.0, "empfehlenswert": 2.5,
    "begeistert": 3.0, "freue": 2.0, "freut": 2.0, "gefällt": 2.0, "funktioniert": 1.0, "klappt": 1.0,
    "schön": 2.5, "top": 2.5, "bestens": 3.0, "lieben": 3.0, "kompetent": 2.5,
}

EMOJI: dict[str, float] = {
    "😡": -3.0, "🤬": -3.5, "😠": -2.5, "😤": -2.0, "👎": -2.5, "😢": -1.5, "😭": -2.0, "💩": -2.0,
    "🙄": -1.5, "😞": -2.0, "😒": -1.5, "😩": -2.0, "😫": -2.0, "😖": -2.0, "😣": -1.5, "🤮": -3.0,
    "💔": -2.0, "😑": -1.0, "🤦": -1.5, "😾": -2.0, "☹": -2.0, "🙁": -1.5, "😕": -1.0,
    "👍": 2.0, "😊": 2.0, "😀": 2.0, "😃": 2.0, "😄": 2.0, "😁": 2.0, "🙂": 1.0, "😍": 3.0, "🥰": 3.0,
    "❤": 3.0, "💙": 2.5, "💚": 2.5, "💕": 2.5, "😘": 2.0, "🎉": 2.5, "🙌": 2.0, "👏": 2.0, "💯": 2.0,
    "⭐": 1.5, "🌟": 1.5, "🤩": 3.0, "🤗": 2.0, "😂": 0.5, "🙏": 0.5, "👌": 2.0, "✅": 1.0, "😎": 1.5,
}

NEGATORS = frozenset(
    {
        # English; "n't" is tokenised as "doesn" "'" "t", so "t" is the negator
        "not", "no", "never", "t", "cannot", "dont", "doesnt", "didnt", "isnt", "wasnt", "cant", "wont",
        "aint", "nor", "neither", "hardly", "without",
        # German
        "nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemals", "nichts",
        "ohne",
    }
)

INTENSIFIERS: dict[str, float] = {
    "very": 1.5, "really": 1.4, "so": 1.3, "extremely": 1.8, "totally": 1.5, "absolutely": 1.6,
    "completely": 1.5, "incredibly": 1.7, "utterly": 1.7, "too": 1.2, "most": 1.3,
    "sehr": 1.5, "total": 1.5, "extrem": 1.8, "echt": 1.3, "wirklich": 1.4, "absolut": 1.6,
    "völlig": 1.5, "komplett": 1.5, "mega": 1.6, "richtig": 1.3, "unglaublich": 1.7, "ziemlich": 1.2,
    "besonders": 1.3, "voll": 1.3, "zu": 1.2,
    # dampeners
    "slightly": 0.5, "somewhat": 0.6, "bit": 0.6, "etwas": 0.6, "bisschen": 0.6, "leicht": 0.6,
}

# A sentiment word that is only a formula before these words: "best regards", "good morning".
FORMULAS: dict[str, frozenset[str]] = {
    "best": frozenset({"regards", "wishes", "grüße", "grüßen"}),
    "good": frozenset({"morning", "afternoon", "evening", "day", "night"}),
    "gut": frozenset({"morgen", "tag", "abend"}),
    "super": frozenset({"market", "markt"}),
    "lieben": frozenset({"gruß", "grüße", "grüßen", "dank"}),
}

# Accent-stripped spellings that are another common word: never added as variants.
COLLISIONS = frozenset({"schon", "zahlen", "drucken", "fur", "uber", "wurde", "konnen", "mussen"})
# fmt: on

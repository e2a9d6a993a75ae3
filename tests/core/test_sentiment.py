"""Tests for console.core.sentiment: VADER for English, "unknown" otherwise."""

from __future__ import annotations

import pytest
from vaderSentiment.vaderSentiment import (  # type: ignore[import-untyped]
    SentimentIntensityAnalyzer,
)

from console.core import sentiment
from console.core.sentiment import Sentiment


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Thanks!", "positive"),
        ("still broken", "negative"),
        ("Broken again.", "negative"),
        ("Love it", "positive"),
        ("Worst customer service ever", "negative"),
        ("This is the worst kettle I have ever bought.", "negative"),
        ("My kettle is broken and nobody answers. Terrible service!", "negative"),
        ("Thank you so much, it works now!", "positive"),
        ("The kettle arrived today.", "neutral"),
        ("Great service, thank you @KettleCrumb https://example.com/x", "positive"),
        ("WTF", "negative"),
        ("I love the new kettle, merci!", "positive"),  # one French word does not make it French
    ],
)
def test_english_is_judged(text: str, label: str) -> None:
    result = sentiment.score(text)
    assert result.label == label
    assert result.compound is not None


def test_compound_is_vaders_own() -> None:
    text = "My kettle is broken and nobody answers. Terrible service!"
    expected = SentimentIntensityAnalyzer().polarity_scores(text)["compound"]
    assert sentiment.score(text) == Sentiment(compound=expected, label="negative")
    assert expected <= -0.05


@pytest.mark.parametrize(
    "text",
    [
        # German
        "Meine Bestellung ist kaputt angekommen und niemand antwortet. Sehr enttäuschend!",
        "Das ist nicht gut",
        "Danke, alles super!",
        # Spanish
        "Mi pedido llegó roto y nadie me responde. Estoy muy decepcionada.",
        "No funciona",
        "Gracias!",
        # French
        "Ma bouilloire est arrivée cassée, je suis très déçue.",
        "Merci beaucoup !",
        # Portuguese
        "Minha chaleira chegou quebrada e ninguém responde. Muito decepcionante.",
        "Não funciona",
        # Italian, Dutch
        "Il mio bollitore è arrivato rotto e nessuno risponde.",
        "Mijn waterkoker is kapot aangekomen en niemand reageert.",
        # Japanese, Russian
        "注文したケトルが壊れて届きました。とても残念です。",
        "Кружка пришла разбитой",
        # Latin letters but no English at all
        "asdf qwerty",
        # Empty
        "",
        "   ",
    ],
)
def test_other_languages_are_unknown(text: str) -> None:
    assert sentiment.score(text) == Sentiment(compound=None, label="unknown")


def test_emoji_only_is_judged_not_unknown() -> None:
    # Emoji are not a language; VADER reads them through its emoji lexicon.
    result = sentiment.score("\U0001f60d")  # 😍
    assert result.label == "positive"
    assert result.compound is not None and result.compound > 0


@pytest.mark.parametrize(
    ("compound", "label"),
    [
        (0.05, "positive"),
        (0.0499, "neutral"),
        (0.0, "neutral"),
        (-0.0499, "neutral"),
        (-0.05, "negative"),
    ],
)
def test_label_thresholds(compound: float, label: str) -> None:
    assert sentiment.label_for(compound) == label


def test_is_english() -> None:
    assert sentiment.is_english("still broken")
    assert sentiment.is_english("\U0001f621\U0001f621")  # no letters: emoji only
    assert not sentiment.is_english("Das ist nicht gut")
    assert not sentiment.is_english("注文したケトルが壊れて届きました")


def test_analyzer_is_built_once() -> None:
    first = sentiment._get_analyzer()
    sentiment.score("fine")
    assert sentiment._get_analyzer() is first

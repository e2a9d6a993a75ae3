"""Tests for console.core.textlen: each platform's way of counting a post.

Expected values are worked out from the platforms' rules, not by calling the
code under test:

- Mastodon: URLs with a scheme count 23, ``@user@domain`` counts as
  ``@user``, then grapheme clusters are counted.
- Bluesky: grapheme clusters of the text as written.
- X: twitter-text weights (Latin, punctuation and general punctuation
  U+2010-U+201F weigh 1; CJK and other code points 2); an emoji sequence is
  one unit of weight 2; every URL (with or without a scheme) is 23; NFC first.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from console.core import textlen
from console.core.textlen import LengthInfo

FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👩‍👩‍👧‍👦: 7 code points
FLAG_JP = "\U0001f1ef\U0001f1f5"  # 🇯🇵: two regional indicators
THUMBS_MEDIUM = "\U0001f44d\U0001f3fd"  # 👍🏽: emoji + skin tone modifier
E_ACUTE_COMBINING = "e\u0301"  # e + COMBINING ACUTE ACCENT: 2 code points, 1 grapheme
CJK = "日本語"  # 3 code points, 3 graphemes
LONG_URL = "https://example.com/" + "a" * 100  # 120 characters


def test_fixtures_are_what_they_claim() -> None:
    assert len(FAMILY) == 7
    assert len(FLAG_JP) == 2
    assert len(THUMBS_MEDIUM) == 2
    assert len(E_ACUTE_COMBINING) == 2
    assert len(LONG_URL) == 120


# --- Bluesky: grapheme clusters ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("hello", 5),
        (FAMILY, 1),
        (FLAG_JP, 1),
        (THUMBS_MEDIUM, 1),
        (E_ACUTE_COMBINING, 1),
        ("caf" + E_ACUTE_COMBINING, 4),
        (CJK, 3),
        (FAMILY + FLAG_JP + CJK, 5),
        ("\r\n", 1),  # CR LF is one grapheme cluster
        ("see " + LONG_URL, 124),  # links count in full
    ],
)
def test_bluesky_counts_graphemes(text: str, expected: int) -> None:
    assert textlen.measure(text, "bluesky") == expected


def test_bluesky_limit_is_300_graphemes() -> None:
    assert textlen.count("a" * 300, "bluesky") == LengthInfo(300, 300, 0, False, 300, 3000)
    assert textlen.count("a" * 301, "bluesky") == LengthInfo(301, 300, -1, True, 301, 3000)
    assert textlen.count("a" * 299, "bluesky") == LengthInfo(299, 300, 1, False, 299, 3000)


def test_bluesky_limit_is_3000_bytes_too() -> None:
    # app.bsky.feed.post: text maxGraphemes 300 and maxLength 3000 (UTF-8 bytes).
    assert len(FAMILY.encode()) == 25
    info = textlen.count(FAMILY * 120, "bluesky")  # 120 graphemes, 3,000 bytes
    assert (info.used, info.bytes_used, info.over) == (120, 3000, False)
    info = textlen.count(FAMILY * 200, "bluesky")  # 200 graphemes, 5,000 bytes
    assert (info.used, info.bytes_used, info.over, info.over_bytes) == (200, 5000, True, True)
    assert textlen.fit_end(FAMILY * 200, "bluesky") == 120 * len(FAMILY)
    assert textlen.count("é" * 300, "bluesky").over is False  # 600 bytes


# --- Mastodon ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("   ", 0),  # blank text counts as nothing
        ("hello", 5),
        (FAMILY, 1),
        (FLAG_JP, 1),
        (E_ACUTE_COMBINING, 1),
        (CJK, 3),
        (LONG_URL, 23),
        ("see " + LONG_URL + " now", 4 + 23 + 4),
        ("http://x.co", 23),  # a short URL still counts 23
        ("example.com", 11),  # no scheme: not a link on Mastodon, counted as typed
        ("hi @bob@mastodon.social", 7),  # "hi @bob"
        ("hi @bob", 7),  # a local mention is unchanged
        ("@alice@example.org @bob@example.net", len("@alice @bob")),
        ("mail bob@example.com", 20),  # an email address is not a mention
        ("@sam@mastodon.social " + LONG_URL + " " + FAMILY, len("@sam ") + 23 + 1 + 1),
    ],
)
def test_mastodon_counting(text: str, expected: int) -> None:
    assert textlen.measure(text, "mastodon") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The server strips ASCII white space (Ruby's strip) before counting...
        ("  hello \n\t", 5),
        ("\n\nhello", 5),
        # ...but not other spaces.
        ("\u3000hello\u00a0", 7),
        # Other schemes the server links count 23 too; mailto: and ftp: do not.
        ("gemini://example.org/page", 23),
        ("see ipfs://example.org/x ok", 4 + 23 + 3),
        ("ftp://example.org/file", 22),
        # Non-ASCII paths are part of the link on the server.
        ("https://example.org/日本語/ページ", 23),
        ("https://ja.example.org/wiki/東京 ok", 23 + 3),
        ("https://example.org/café?q=ü", 23),
        # The link ends before trailing punctuation and unbalanced brackets.
        ("(https://example.org/a_(b)_c).", 1 + 23 + 2),
        ("https://example.org/x!", 23 + 1),
        # Remote mentions: only the local part counts; not when "@" follows.
        ("@alice@example.org.", len("@alice.")),
        ("@alice@example.org@x", 20),
        ("@alice@sub.example.co.uk hi", len("@alice hi")),
        # Indic conjuncts are one grapheme cluster (Unicode 15.1, Ruby 3.4).
        ("\u0915\u094d\u0937", 1),  # क्ष
        ("\u0928\u094d\u0926\u094d\u0930", 1),  # न्द्र
        ("\u0bb8\u0bcd\u0bb0\u0bc0", 2),  # ஸ்ரீ: Tamil has no conjunct linker
    ],
)
def test_mastodon_server_rules(text: str, expected: int) -> None:
    assert textlen.measure(text, "mastodon") == expected


def test_mastodon_spec_behaviours() -> None:
    # Behaviours of the server's StatusLengthValidator spec, in our own cases.
    assert textlen.count("a" * 520, "mastodon").over
    assert not textlen.count("a" * 476 + " http://" + "b" * 30 + ".com/example", "mastodon").over
    assert not textlen.count("a" * 475 + " @alice@" + "b" * 30 + ".com", "mastodon").over
    assert textlen.count("a" * 478 + " http://" + "b" * 30 + ".com/example", "mastodon").over


def test_mastodon_default_limit_and_instance_limit() -> None:
    assert textlen.count("a" * 500, "mastodon") == LengthInfo(500, 500, 0, False)
    assert textlen.count("a" * 501, "mastodon").over
    # An instance that allows 1,000 characters.
    assert textlen.count("a" * 501, "mastodon", limit=1000) == LengthInfo(501, 1000, 499, False)


def test_demo_counts_like_mastodon() -> None:
    text = "hi @bob@mastodon.social " + LONG_URL + " " + FAMILY
    assert textlen.measure(text, "demo") == len("hi @bob ") + 23 + 1 + 1
    assert textlen.count("a" * 501, "demo").limit == 500


# --- X -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("hello", 5),
        (FAMILY, 2),  # one emoji sequence, weight 2
        (FLAG_JP, 2),
        (THUMBS_MEDIUM, 2),
        ("\U0001f600", 2),  # 😀
        (E_ACUTE_COMBINING, 1),  # NFC makes it é (U+00E9), weight 1
        ("\u00e9", 1),
        (CJK, 6),  # CJK weighs 2 each
        ("한국어", 6),  # Hangul too
        ("привет", 6),  # Cyrillic is below U+10FF: weight 1
        ("\u2014", 1),  # em dash is in U+2010-U+201F
        ("\u201chi\u201d", 4),  # curly quotes too
        ("\u20ac", 2),  # € is outside the light ranges
        (LONG_URL, 23),
        ("example.com", 23),  # X links URLs without a scheme too
        ("see " + LONG_URL + " and kettleandcrumb.com/returns", 4 + 23 + 5 + 23),
        ("a\r\nb", 4),  # CR and LF count one each (the JS and Java references)
        ("a\rb", 3),
        ("\u00a9", 1),  # © shows as text without U+FE0F: weight of its range
        ("\u00ae", 1),
        ("\u00a9\ufe0f", 2),  # ©️ is an emoji
        ("\u00ae\ufe0f", 2),
        ("\u2764", 2),  # ❤ as text: outside the light ranges anyway
        ("\u2764\ufe0f", 2),
        ("1\u20e3", 2),  # a keycap is an emoji even without U+FE0F
    ],
)
def test_x_weighted_counting(text: str, expected: int) -> None:
    assert textlen.measure(text, "x") == expected


def test_x_limit_is_280_weighted() -> None:
    assert textlen.count("a" * 280, "x") == LengthInfo(280, 280, 0, False)
    assert textlen.count("a" * 281, "x") == LengthInfo(281, 280, -1, True)
    assert textlen.count("日" * 140, "x") == LengthInfo(280, 280, 0, False)
    assert textlen.count("日" * 141, "x").over
    assert textlen.count(FAMILY * 140, "x").used == 280


def test_x_twitter_text_conformance() -> None:
    """The weighted-length cases of twitter-text's conformance/validate.yml."""
    data = json.loads((Path(__file__).parent / "data" / "twitter_text_weighted.json").read_text())
    assert len(data["cases"]) >= 20
    for case in data["cases"]:
        assert textlen.measure(case["text"], "x") == case["weightedLength"], case["description"]


def test_x_matches_twitter_text_parse_tweet() -> None:
    """Our fast X count equals the Python library's ``parse_tweet`` except
    where that library departs from the reference implementations (CR LF
    folding, © and ® without U+FE0F), which are tested above."""
    from twitter_text import parse_tweet  # type: ignore[import-untyped]

    pieces = [
        "a", "Z", " ", ".", "!", "#", "*", "1", "\ufe0f", "\u20e3", "\u00e9", E_ACUTE_COMBINING,
        CJK, FAMILY, FLAG_JP, THUMBS_MEDIUM, "\U0001f600", "\u00a9\ufe0f", "\u00ae\ufe0f",
        "\u2764\ufe0f", "\u200d", "\U0001f3f3\ufe0f\u200d\U0001f308", " https://example.com/a?b=1 ",
        " example.org ", "\n", "\u2014", "\u2019", "ф", "한", "\u203c", "@bob@mastodon.social",
    ]  # fmt: skip
    rng = random.Random(7)
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        assert textlen.measure(text, "x") == parse_tweet(text).weightedLength, repr(text)


# --- Limits, overflow, errors --------------------------------------------------


def test_remaining_goes_negative_when_over() -> None:
    info = textlen.count("a" * 310, "x")
    assert (info.used, info.limit, info.remaining, info.over) == (310, 280, -30, True)


def test_fit_end_is_len_when_it_fits() -> None:
    assert textlen.fit_end("hello", "x") == 5


@pytest.mark.parametrize(
    ("text", "platform", "limit", "expected"),
    [
        ("a" * 290, "x", None, 280),
        ("\U0001f600" * 150, "x", None, 140),  # 140 emoji of weight 2 fit in 280
        ("日" * 200, "x", None, 140),
        ("a" * 301, "bluesky", None, 300),
        ("a" + FAMILY * 301, "bluesky", None, 1 + 119 * 7),  # bytes: whole families only
        ("a" * 10 + FAMILY + "b", "bluesky", 10, 10),
        ("a" * 510, "mastodon", None, 500),
        (E_ACUTE_COMBINING * 5, "mastodon", 3, 6),  # never splits e from its accent
        ("ab " + LONG_URL + " cd", "mastodon", 30, 3 + 120 + 3),  # the URL counts 23
        ("ab " + LONG_URL + " cd", "mastodon", 20, 3),  # a URL that doesn't fit is cut whole
    ],
)
def test_fit_end_marks_where_the_overflow_starts(
    text: str, platform: str, limit: int | None, expected: int
) -> None:
    assert textlen.fit_end(text, platform, limit=limit) == expected


def test_fit_end_with_text_that_normalizes() -> None:
    # Non-NFC text on X: e + accent is one unit of weight 1 after NFC.
    text = E_ACUTE_COMBINING * 300
    end = textlen.fit_end(text, "x")
    assert end == 280 * 2
    assert textlen.measure(text[:end], "x") == 280


def test_unknown_platform_and_bad_limit() -> None:
    with pytest.raises(ValueError, match="unknown platform"):
        textlen.count("hi", "myspace")
    with pytest.raises(ValueError, match="unknown platform"):
        textlen.measure("hi", "myspace")
    with pytest.raises(ValueError, match="at least 1"):
        textlen.count("hi", "x", limit=0)

"""Platform character counting: Mastodon, Bluesky and X count a post differently.

How each platform counts (checked against the platforms' own code):

- **Mastodon** (and the demo workspace): the server's ``StatusLengthValidator``
  replaces every URL that has a scheme (``http://``/``https://``) with 23
  characters and every remote mention ``@user@domain`` with ``@user``, then
  counts *grapheme clusters* (``each_grapheme_cluster.size`` in Ruby). The
  default limit is 500; instances may set their own, pass it as ``limit``.
- **Bluesky**: the post record's ``text`` may hold at most 300 grapheme
  clusters. Links count with their full text: we send the text as written.
- **X**: the weighted length of twitter-text (config v3): most Latin and
  punctuation code points weigh 1, everything else (CJK, emoji) weighs 2, an
  emoji sequence (ZWJ family, flag, skin tone) counts once as 2, and every URL
  (with or without a scheme) counts as 23. The text is NFC-normalized first.

Grapheme clusters come from the ``regex`` module's ``\\X`` (Unicode extended
grapheme clusters), the same segmentation the platforms use.
"""

from __future__ import annotations

import bisect
import functools
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import regex  # type: ignore[import-untyped]

log = logging.getLogger(__name__)

#: Platforms this module knows, with their default limits.
DEFAULT_LIMITS: dict[str, int] = {"mastodon": 500, "bluesky": 300, "x": 280, "demo": 500}

#: Mastodon and X both count a URL as this many characters.
URL_LENGTH = 23

_GRAPHEME = regex.compile(r"\X")
_NEWLINES = re.compile(r"\r\n|\r")

# Mastodon's Account::MENTION_RE: a username, optionally followed by @domain.
# Only the remote part (@domain) is dropped when counting.
_MASTODON_MENTION = re.compile(
    r"(?<![=/\w])@([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(@[\w.-]+\w)?", re.IGNORECASE
)


@dataclass(frozen=True)
class LengthInfo:
    """How much of a platform's limit a text uses.

    Attributes:
        used: Characters counted the platform's way.
        limit: The limit in force (platform default or the override).
        remaining: ``limit - used``; negative when over.
        over: True when the text is longer than the platform allows.
    """

    used: int
    limit: int
    remaining: int
    over: bool


def count(text: str, platform: str, *, limit: int | None = None) -> LengthInfo:
    """Count a draft the way the platform will when it is posted.

    Args:
        text: The draft as it will be sent.
        platform: ``"mastodon"``, ``"bluesky"``, ``"x"`` or ``"demo"``.
        limit: The account's own limit when known (e.g. a Mastodon instance
            that allows 1,000 characters); the platform default otherwise.

    Returns:
        The count, the limit and what is left.

    Raises:
        ValueError: For an unknown platform or a limit below 1.
    """
    effective = _limit_for(platform, limit)
    used = measure(text, platform)
    return LengthInfo(used=used, limit=effective, remaining=effective - used, over=used > effective)


def measure(text: str, platform: str) -> int:
    """Return the platform's length of ``text`` (no limit involved).

    Args:
        text: The draft.
        platform: ``"mastodon"``, ``"bluesky"``, ``"x"`` or ``"demo"``.

    Returns:
        The length as the platform counts it.

    Raises:
        ValueError: For an unknown platform.
    """
    counter = _COUNTERS.get(platform)
    if counter is None:
        raise ValueError(f"unknown platform {platform!r}; expected one of {sorted(DEFAULT_LIMITS)}")
    return counter(text)


def fit_end(text: str, platform: str, *, limit: int | None = None) -> int:
    """Return the index in ``text`` where the part that fits the limit ends.

    Used to highlight the overflow (``text[fit_end(...):]``). The cut is
    always on a grapheme boundary, and a counted URL (or an emoji sequence
    on X) fits whole or not at all. For X text that NFC normalization
    changes, prefixes are counted instead (a binary search).

    Args:
        text: The draft.
        platform: ``"mastodon"``, ``"bluesky"``, ``"x"`` or ``"demo"``.
        limit: As in `count`.

    Returns:
        ``len(text)`` when the whole text fits, else the end of the longest
        prefix (on grapheme boundaries) that fits.

    Raises:
        ValueError: For an unknown platform or a limit below 1.
    """
    effective = _limit_for(platform, limit)
    if measure(text, platform) <= effective:
        return len(text)
    bounds: list[int] = [0] + [m.end() for m in _GRAPHEME.finditer(text)]
    walked = _units(text, platform)
    if walked is not None:
        units, scale = walked
        budget = effective * scale
        total = 0
        fit = 0
        for end, weight in units:
            total += weight
            if total > budget:
                break
            fit = end
        return bounds[bisect.bisect_right(bounds, fit) - 1]
    # The text changes under normalization: cut prefixes and count them.
    lo, hi = 0, len(bounds) - 1  # bounds[lo] fits, bounds[hi] does not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if measure(text[: bounds[mid]], platform) <= effective:
            lo = mid
        else:
            hi = mid
    return bounds[lo]


def _units(text: str, platform: str) -> tuple[list[tuple[int, int]], int] | None:
    """Split ``text`` into counted units: ``(end index, weight)`` and the scale
    the weights are in, or None when the platform counts a normalized copy
    whose indices do not match ``text``."""
    units: list[tuple[int, int]] = []
    if platform == "bluesky":
        return [(m.end(), 1) for m in _GRAPHEME.finditer(text)], 1
    if platform in ("mastodon", "demo"):
        pos = 0
        for start, end, replacement in _mastodon_entities(text):
            units += [(pos + m.end(), 1) for m in _GRAPHEME.finditer(text[pos:start])]
            units.append((end, graphemes(replacement)))
            pos = end
        units += [(pos + m.end(), 1) for m in _GRAPHEME.finditer(text[pos:])]
        return units, 1
    normalized = _NEWLINES.sub("\n", unicodedata.normalize("NFC", text))
    if normalized != text:
        return None
    options, *_ignored, ranges = _x_tables()
    default_weight = int(options["default_weight"])
    pos = 0
    entities = _x_entities(text)
    for start in sorted(entities):
        if start < pos:
            continue
        end, weight = entities[start]
        units += [
            (i + 1, _x_char_weight(text[i], ranges, default_weight)) for i in range(pos, start)
        ]
        units.append((end, weight))
        pos = end
    units += [
        (i + 1, _x_char_weight(text[i], ranges, default_weight)) for i in range(pos, len(text))
    ]
    return units, int(options["scale"])


def graphemes(text: str) -> int:
    """Return the number of extended grapheme clusters in ``text``."""
    if text.isascii():
        # Every ASCII character is its own cluster, except CR LF which is one.
        return len(text) - text.count("\r\n")
    return len(_GRAPHEME.findall(text))


@functools.lru_cache(maxsize=64)
def extract_urls(text: str, *, require_scheme: bool = False) -> tuple[tuple[int, int, str], ...]:
    """Find URLs the way twitter-text does (also used by Mastodon's server).

    Cached: the composer counts and checks the same draft several times per
    keystroke.

    Args:
        text: Any text.
        require_scheme: Only URLs that start with ``http://``/``https://``
            (Mastodon links only those); otherwise also ``example.com/x``.

    Returns:
        ``(start, end, url)`` for each URL, in order (``str`` indices).
    """
    if "." not in text:
        return ()
    found = _twitter_text().extract_urls_with_indices(
        text, extract_urls_without_protocol=not require_scheme
    )
    return tuple((u["indices"][0], u["indices"][1], u["url"]) for u in found)


def _limit_for(platform: str, limit: int | None) -> int:
    if platform not in DEFAULT_LIMITS:
        raise ValueError(f"unknown platform {platform!r}; expected one of {sorted(DEFAULT_LIMITS)}")
    if limit is None:
        return DEFAULT_LIMITS[platform]
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    return limit


# --- Mastodon -----------------------------------------------------------------


def _mastodon_entities(text: str) -> list[tuple[int, int, str]]:
    """URLs with a scheme (as 23 x's) and remote mentions (as ``@user``),
    sorted, without overlaps (Extractor.remove_overlapping_entities)."""
    entities: list[tuple[int, int, str]] = []
    if "://" in text:
        for start, end, _url in extract_urls(text, require_scheme=True):
            entities.append((start, end, "x" * URL_LENGTH))
    if "@" in text:
        for m in _MASTODON_MENTION.finditer(text):
            entities.append((m.start(), m.end(), "@" + m.group(1)))
    entities.sort(key=lambda e: e[0])
    kept: list[tuple[int, int, str]] = []
    pos = 0
    for entity in entities:
        if entity[0] >= pos:
            kept.append(entity)
            pos = entity[1]
    return kept


def _mastodon_length(text: str) -> int:
    if not text.strip():
        # Mastodon's countable_text returns '' for a blank string.
        return 0
    entities = _mastodon_entities(text)
    if not entities:
        return graphemes(text)
    parts: list[str] = []
    pos = 0
    for start, end, replacement in entities:
        parts.append(text[pos:start])
        parts.append(replacement)
        pos = end
    parts.append(text[pos:])
    return graphemes("".join(parts))


# --- Bluesky ------------------------------------------------------------------


def _bluesky_length(text: str) -> int:
    return graphemes(text)


# --- X ------------------------------------------------------------------------


@functools.cache
def _twitter_text() -> Any:
    """Import twitter-text lazily: building its emoji regex takes ~0.2 s."""
    import twitter_text  # type: ignore[import-untyped]

    return twitter_text


_XTables = tuple[
    dict[str, Any],
    re.Pattern[str],
    re.Pattern[str],
    frozenset[str],
    list[tuple[re.Pattern[str], int]],
]


@functools.cache
def _x_tables() -> _XTables:
    """Return twitter-text's default config, its emoji regex, a scanner for the
    code points an emoji can start with (taken from the same emoji data), and
    one character class per weighted range of the config."""
    _twitter_text()
    from twitter_text.config import config  # type: ignore[import-untyped]
    from twitter_text.regexp.emoji import (  # type: ignore[import-untyped]
        emoji,
        emoji_list,
    )

    options: dict[str, Any] = config["defaults"]
    firsts = frozenset(chr(int(e.codepoint.split()[0], 16)) for e in emoji_list)
    # A cheap superset scanner (a class of ~1,400 single code points is slow
    # in `re`); candidates are then checked against the exact set.
    lowest_high = min(c for c in firsts if ord(c) > 0xFF)
    low = "".join(re.escape(c) for c in sorted(firsts) if ord(c) <= 0xFF)
    starts = re.compile(f"[{low}{re.escape(lowest_high)}-\U0010ffff]")
    ranges: list[tuple[re.Pattern[str], int]] = []
    for r in options["ranges"]:
        # get_character_weight takes the first range that matches, so leave
        # out of each class what an earlier range already claims.
        klass = f"[{re.escape(chr(r['start']))}-{re.escape(chr(r['end']))}]"
        earlier = "".join(
            f"(?![{re.escape(chr(e['start']))}-{re.escape(chr(e['end']))}])"
            for e in options["ranges"][: len(ranges)]
        )
        ranges.append((re.compile(earlier + klass), int(r["weight"])))
    return options, emoji, starts, firsts, ranges


def _x_plain_weight(
    segment: str, options: dict[str, Any], ranges: list[tuple[re.Pattern[str], int]]
) -> int:
    """Weight of text with no URL or emoji: each code point by its range."""
    if not segment:
        return 0
    weighted = 0
    counted = 0
    for pattern, weight in ranges:
        hits = len(pattern.findall(segment))
        weighted += hits * weight
        counted += hits
    return weighted + (len(segment) - counted) * int(options["default_weight"])


_X_WEIGHTS: dict[str, int] = {}


def _x_char_weight(char: str, ranges: list[tuple[re.Pattern[str], int]], default: int) -> int:
    weight = _X_WEIGHTS.get(char)
    if weight is None:
        weight = next((w for pattern, w in ranges if pattern.match(char)), default)
        if len(_X_WEIGHTS) < 65536:
            _X_WEIGHTS[char] = weight
    return weight


def _x_entities(normalized: str) -> dict[int, tuple[int, int]]:
    """URLs and emoji of (normalized) text: ``start -> (end, weight)``."""
    options, emoji_re, emoji_starts, emoji_firsts, _ranges = _x_tables()
    scale = int(options["scale"])
    skips: dict[int, tuple[int, int]] = {}
    for start, end, _url in extract_urls(normalized):
        skips[start] = (end, int(options["transformed_url_length"]) * scale)
    if options.get("emoji_parsing_enabled", False):
        pos = 0
        for m in emoji_starts.finditer(normalized):
            p = m.start()
            if p < pos or m.group() not in emoji_firsts:
                continue
            hit = emoji_re.match(normalized, p)
            if hit is not None and hit.end() > p:
                skips.setdefault(p, (hit.end(), int(options["default_weight"])))
                pos = hit.end()
    return skips


def _x_length(text: str) -> int:
    """twitter-text's ``parse_tweet(text).weightedLength``, computed faster.

    ``parse_tweet`` scans every position with its emoji regex (about 2 ms for
    500 characters); we try that same regex only where an emoji can start,
    which finds exactly the same emoji. Everything else follows
    ``parse_tweet``: NFC, CR/LF folding, URLs as 23, emoji as the default
    weight, other code points by the config's ranges.
    """
    options, *_ignored, ranges = _x_tables()
    scale = int(options["scale"])
    normalized = _NEWLINES.sub("\n", unicodedata.normalize("NFC", text))
    skips = _x_entities(normalized)
    weighted = 0
    pos = 0
    for start in sorted(skips):
        if start < pos:
            # parse_tweet jumps past a whole entity, so one that starts
            # inside a URL is never counted twice.
            continue
        end, weight = skips[start]
        weighted += _x_plain_weight(normalized[pos:start], options, ranges)
        weighted += weight
        pos = end
    weighted += _x_plain_weight(normalized[pos:], options, ranges)
    return weighted // scale


_COUNTERS: dict[str, Callable[[str], int]] = {
    "mastodon": _mastodon_length,
    "demo": _mastodon_length,
    "bluesky": _bluesky_length,
    "x": _x_length,
}

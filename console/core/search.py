"""What a search query means: word prefixes (accents folded) and substrings (emoji, CJK, Thai)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Scripts written without spaces between words: a word index (unicode61) sees a whole
# sentence there as one token, so these are matched as substrings (trigram index).
_NO_SPACE_SCRIPTS = (
    (0x0E00, 0x0EFF),    # Thai, Lao
    (0x0F00, 0x0FFF),    # Tibetan
    (0x1000, 0x109F),    # Myanmar
    (0x1780, 0x17FF),    # Khmer
    (0x19E0, 0x19FF),    # Khmer symbols
    (0x2E80, 0x2FDF),    # CJK radicals
    (0x3000, 0x303F),    # CJK symbols and punctuation
    (0x3040, 0x30FF),    # Hiragana, Katakana
    (0x3100, 0x31FF),    # Bopomofo, Katakana extensions
    (0x3400, 0x4DBF),    # CJK extension A
    (0x4E00, 0x9FFF),    # CJK unified ideographs
    (0xF900, 0xFAFF),    # CJK compatibility ideographs
    (0xFF66, 0xFF9F),    # halfwidth Katakana
    (0x20000, 0x3FFFF),  # CJK extensions B and later
)
# Emoji presentation selectors: "❤️" typed should find "❤" written, and the reverse.
_SELECTORS = {"\ufe0e", "\ufe0f"}
# The shortest substring the trigram index can look up; shorter ones are checked on the text.
TRIGRAM_MIN = 3


def _no_space(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _NO_SPACE_SCRIPTS)


def _is_substring_char(ch: str) -> bool:
    """True for characters the word index cannot find: no-space scripts and symbols (emoji)."""
    if ch in _SELECTORS or ch.isascii():
        return False  # ASCII symbols (+ $ ^ | < >) are what people type as operators: noise
    cat = unicodedata.category(ch)
    if _no_space(ch):
        return True
    # Symbols (emoji, currency, arrows...) are separators to the word tokenizer; so are the
    # joiners and skin-tone modifiers of emoji sequences (Sk, Cf): keep them with the emoji.
    return cat.startswith("S") or ch == "\u200d"


def _is_word_char(ch: str) -> bool:
    # unicode61's token characters: letters, numbers, private use; marks join their letter.
    cat = unicodedata.category(ch)
    return cat[0] in "LNM" or cat == "Co"


@dataclass(frozen=True)
class SearchQuery:
    """A parsed query: every part must match one message (AND).

    Attributes:
        words: matched as word prefixes in the word index, accents and case folded.
        substrings: matched anywhere in the text (trigram index), case folded.
        short: substrings under three characters: checked on the text itself.
    """

    words: tuple[str, ...] = ()
    substrings: tuple[str, ...] = ()
    short: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.words or self.substrings or self.short)

    def word_match(self) -> str:
        """An FTS5 query for the word index: each word a quoted phrase, by prefix."""
        return " ".join(f'"{w}"*' for w in self.words)

    def substring_match(self) -> str:
        """An FTS5 query for the trigram index: each substring a quoted phrase."""
        return " ".join(f'"{s}"' for s in self.substrings)


def parse_query(query: str) -> SearchQuery:
    """Read what a person typed; nothing in it is an operator.

    Quotes, ``AND``, ``NEAR``, ``*``, ``-``, ``:`` and parentheses are plain text (a
    trailing ``*`` is allowed and means what every word means anyway: a prefix).  A
    word in a spaced script becomes a prefix; a run of emoji, CJK, Thai and the like
    becomes a substring, so "tonight🙏" asks for "tonight…" and "🙏".
    """
    words: list[str] = []
    substrings: list[str] = []
    short: list[str] = []
    text = "".join(ch for ch in unicodedata.normalize("NFC", query) if ch not in _SELECTORS)

    def flush(run: list[str], kind: str) -> None:
        piece = "".join(run).strip()
        if not piece:
            return
        if kind == "sub":
            (substrings if len(piece) >= TRIGRAM_MIN else short).append(piece)
        elif any(_is_word_char(c) for c in piece):
            words.append(piece)

    for raw in text.replace('"', " ").split():
        run: list[str] = []
        kind = ""
        for ch in raw:
            this = "sub" if _is_substring_char(ch) else "word"
            if this != kind and run:
                flush(run, kind)
                run = []
            kind = this
            run.append(ch)
        flush(run, kind)
    return SearchQuery(tuple(dict.fromkeys(words)), tuple(dict.fromkeys(substrings)),
                       tuple(dict.fromkeys(short)))


def _fold(ch: str) -> str:
    """One character, lower case and without accents; always one character (keeps offsets)."""
    low = ch.lower()
    if len(low) != 1:
        low = ch
    parts = unicodedata.normalize("NFD", low)
    # Strip combining accents only (é -> e); Hangul syllables decompose into letters: keep them.
    if len(parts) > 1 and all(unicodedata.category(c) == "Mn" for c in parts[1:]):
        return parts[0]
    return low


def fold(text: str) -> str:
    return "".join(_fold(ch) for ch in text)


_TOKEN = re.compile(r"[^\W_]+")


def match_spans(query: str | SearchQuery, text: str) -> list[tuple[int, int]]:
    """Where ``text`` matches the query, as sorted, merged ``(start, end)`` offsets.

    The same reading as the store's search, so the thread highlights what found it.
    """
    parsed = parse_query(query) if isinstance(query, str) else query
    if not parsed or not text:
        return []
    folded = fold(text)
    spans: list[tuple[int, int]] = []
    prefixes = [t for w in parsed.words for t in _TOKEN.findall(fold(w))]
    if prefixes:
        for m in _TOKEN.finditer(folded):
            token = m.group()
            best = max((len(p) for p in prefixes if token.startswith(p)), default=0)
            if best:
                spans.append((m.start(), m.start() + best))
    for sub in (*parsed.substrings, *parsed.short):
        needle = fold(sub)
        start = folded.find(needle)
        while start >= 0:
            spans.append((start, start + len(needle)))
            start = folded.find(needle, start + len(needle))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged

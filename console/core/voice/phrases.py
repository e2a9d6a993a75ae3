"""The phrase syntax of voice profiles (``apolog*``, ``(a|b|)``, ``@``) compiled to regexes."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from console.core.voice.model import ProfileError

_HANDLE_RX = r"@\w+(?:[.-]\w+)*(?:@[\w.-]*\w)?"


def phrase_regex(phrase: str) -> str:
    """Translate one phrase of the profile syntax into a regular expression.

    Args:
        phrase: E.g. ``"(please|) contact our support team"``, ``"apolog*"``,
            ``"(tweet|reach out to) @"``, or ``"re:<regex>"``.

    Returns:
        A regular expression (to be compiled case-insensitive).

    Raises:
        ProfileError: If the phrase is empty or its ``re:`` part is invalid.
    """
    if phrase.startswith("re:"):
        raw = phrase[3:]
        try:
            re.compile(raw)
        except re.error as exc:
            raise ProfileError(f"invalid regular expression {raw!r}: {exc}") from exc
        return f"(?:{raw})"
    tokens = _PHRASE_TOKEN.findall(phrase)
    if not tokens:
        raise ProfileError("an empty phrase in a list")
    out = ""
    emitted = False
    edges: list[tuple[str, str]] = []  # (first char, last char) of each token's words
    for token in tokens:
        optional = False
        if token == "@":
            rx = _HANDLE_RX
            edges.append(("@", "a"))
        elif token.startswith("(") and token.endswith(")") and "|" in token:
            alternatives = [a.strip() for a in token[1:-1].split("|")]
            optional = "" in alternatives
            words = [a for a in alternatives if a]
            if not words:
                raise ProfileError(f"an empty choice in {phrase!r}")
            rx = "|".join(r"\s+".join(_word_regex(w) for w in a.split()) for a in words)
            firsts = {a[0] for a in words}
            lasts = {a[-1] for a in words}
            edges.append(
                (
                    "a" if all(_wordy(c) for c in firsts) else "",
                    "a" if all(_wordy(c) for c in lasts) else "",
                )
            )
        else:
            rx = _word_regex(token)
            edges.append((token[0], token[-1]))
        if optional:
            out += f"(?:\\s+(?:{rx}))?" if emitted else f"(?:(?:{rx})\\s+)?"
        else:
            out += (r"\s+" if emitted else "") + f"(?:{rx})"
            emitted = True
    if not emitted:
        raise ProfileError(f"{phrase!r} has only optional words")
    head = _HEAD if _wordy(edges[0][0]) or edges[0][0] == "@" else ""
    tail = r"(?!\w)" if _wordy(edges[-1][1]) else ""
    return head + out + tail


# A phrase that starts with a word must start where a word starts.
_HEAD: Final = r"(?<![\w@])"


_PHRASE_TOKEN = re.compile(r"\([^()]*\)|\S+")


def _wordy(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _word_regex(word: str) -> str:
    parts = []
    for ch in word:
        if ch == "*":
            parts.append(r"[\w'’-]*")
        elif ch in "'’":
            parts.append("['’]")
        else:
            parts.append(re.escape(ch))
    return "".join(parts)


@dataclass(frozen=True)
class PhraseSet:
    """Phrases (with optional replacements) compiled into one pattern.

    Attributes:
        phrases: The phrases as written in the profile.
        replacements: A suggested replacement per phrase (None: no fix;
            "": remove).
        pattern: One case-insensitive alternation, longest phrase first, or
            None when there are no phrases.
    """

    phrases: tuple[str, ...] = ()
    replacements: tuple[str | None, ...] = ()
    pattern: re.Pattern[str] | None = None

    @classmethod
    def build(cls, items: Sequence[tuple[str, str | None]]) -> PhraseSet:
        """Compile ``(phrase, replacement)`` pairs.

        Raises:
            ProfileError: If a phrase is invalid.
        """
        if not items:
            return cls()
        order = sorted(range(len(items)), key=lambda i: -len(items[i][0]))
        headed: list[str] = []
        loose: list[str] = []
        for i in order:
            rx = phrase_regex(items[i][0])
            if rx.startswith(_HEAD):
                headed.append(f"(?P<p{i}>{rx[len(_HEAD) :]})")
            else:
                loose.append(f"(?P<p{i}>{rx})")
        # Checking the word-start lookbehind once, before the alternatives
        # rather than inside each, makes the scan about 6x faster.
        branches = ([f"{_HEAD}(?:{'|'.join(headed)})"] if headed else []) + loose
        alternation = "|".join(branches)
        try:
            pattern = re.compile(alternation, re.IGNORECASE)
        except re.error as exc:  # pragma: no cover - each part was checked
            raise ProfileError(f"invalid phrase list: {exc}") from exc
        return cls(
            phrases=tuple(p for p, _ in items),
            replacements=tuple(r for _, r in items),
            pattern=pattern,
        )

    def finditer(self, text: str) -> Iterator[tuple[int, int, int]]:
        """Yield ``(start, end, phrase_index)`` for each match."""
        if self.pattern is None:
            return
        for m in self.pattern.finditer(text):
            if m.end() > m.start() and m.lastgroup is not None:
                yield m.start(), m.end(), int(m.lastgroup[1:])

    def search(self, text: str) -> bool:
        """Return True if any phrase occurs in ``text``."""
        return self.pattern is not None and self.pattern.search(text) is not None



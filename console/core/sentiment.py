"""Mood of inbound messages in any language: language identification, lexicons and cues.

One detector serves the inbox mood chip, the barometer and the composer's
"customer is upset" test, so that they never disagree. For each message:

1. The language is identified: a message with no letters is ``"zxx"`` (emoji
   only); a clear vote of common function words decides short messages
   cheaply; otherwise py3langid (a maintained fork of langid.py that ships its
   model, ~1 ms per 500 characters, loaded once on first use).
2. Lexical sentiment: VADER for English; a lexicon written for this project
   (`console.core.moodwords`) with negation for German, French, Spanish,
   Portuguese, Italian and Dutch. Other languages have no lexical score.
3. Cues that work in any language adjust it: a failure being reported
   ("arrived broken", "nunca llegó"), complaint phrasings ("is anyone actually
   reading these?", "zum dritten Mal"), angry emoji, words in capitals,
   repeated "!!"/"?!", and sarcasm (praise about a failure, or 🙃).

The result is a compound score in [-1, 1] on VADER's scale (so the
thresholds below keep their meaning: <= -0.05 negative, >= 0.05 positive),
or "unknown" when there is neither a lexicon for the language nor any cue:
an unreadable mood is never reported as calm.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from console.core import moodwords
from console.core.rules import NEGATIVE_MOOD, POSITIVE_MOOD, mood_of

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import (
        SentimentIntensityAnalyzer,
    )

log = logging.getLogger(__name__)

Label = Literal["positive", "negative", "neutral", "unknown"]

#: Thresholds on the compound score (VADER's recommended ones, defined once in rules;
#: the compound is VADER or the lexicon, adjusted by the cues, for every language).
POSITIVE_THRESHOLD = POSITIVE_MOOD
NEGATIVE_THRESHOLD = NEGATIVE_MOOD


@dataclass(frozen=True)
class Sentiment:
    """The mood of one message.

    Attributes:
        compound: Score in [-1, 1], or None when the mood could not be read.
        label: ``"positive"``, ``"negative"``, ``"neutral"`` or ``"unknown"``.
        language: ISO 639-1 code, ``"zxx"`` for no letters, ``"und"`` when
            undetermined.
        cues: What moved the score besides words: ``"problem"``,
            ``"complaint"``, ``"sarcasm"``, ``"angry-emoji"``, ``"capitals"``,
            ``"punctuation"``.
    """

    compound: float | None
    label: Label
    language: str = "und"
    cues: tuple[str, ...] = ()


UNKNOWN = Sentiment(compound=None, label="unknown")

_STRIP = re.compile(r"https?://\S+|www\.\S+|[@#][\w.@-]+|\S+@\S+\.\w+")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_LETTER = re.compile(r"[^\W\d_]")
_NON_LATIN_LETTER = re.compile(r"[^\W\d_A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
_CAPS_WORD = re.compile(r"\b[A-ZÄÖÜÀ-ÝÉ]{3,}\b")
_CAPS_RUN = re.compile(r"[A-ZÄÖÜÀ-ÝÉ]{3}")
_REPEATED_PUNCT = re.compile(r"[!?]{2,}|‼|⁉")
_REPEATED_PRAISE = re.compile(
    r"\b(great|cool|brilliant|fantastic|lovely|perfect|nice|amazing|wonderful|super|thanks)\b"
    r"[\s.,!]+(?:just\s+)?\1\b"
    r"|\b(?:thanks|thank you) (?:a lot|so much|very much)\s*(?:[.!]|$)(?!\s*\w)"
    r"|\b10/10\b|\bwell done\b|\bgreat (?:job|work|quality control)\b",
)
_ACRONYMS = frozenset(
    ["FAQ", "ASAP", "USA", "UK", "EU", "US", "DM", "ETA", "URL", "PDF", "UPS", "DHL", "DPD", "GLS", "TNT", "USPS", "ID", "PIN", "OK", "TV", "CEO", "NHS", "USB", "LED", "VAT", "GMT", "BST", "UTC", "CET", "EST", "PST", "AM", "PM", "FYI", "SMS", "AI", "IT", "HR", "UX", "UI", "API", "BBC", "NYC", "ATM", "IOS", "APP", "DIY", "XL", "XXL", "XS", "LOL", "OMG", "KC", "EUR", "GBP", "USD", "BTW", "TBH", "CET", "PS", "NB", "PT", "ES", "FR", "DE", "NL"]
)


_PREFIX = 4  # characters of a cue pattern's possible starts used to skip it
_WORD_START = re.compile(r"\b\w")


def _starts(items: Any, k: int) -> set[str] | None:
    """The first ``k`` characters every match of a parsed pattern can begin
    with (shorter when the pattern is shorter), or None when that is not a
    small set (a class like \\w, a wildcard...)."""
    from re import _constants as c  # type: ignore[attr-defined]

    partial: set[str] = {""}
    done: set[str] = set()
    for op, av in items:
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue  # zero width
        if op is c.LITERAL:
            options: set[str] | None = {chr(av)}
            optional = False
        elif op is c.IN and all(o is c.LITERAL for o, _ in av):
            options, optional = {chr(v) for _, v in av}, False
        elif op is c.SUBPATTERN:
            options, optional = _starts(av[-1], k), False
        elif op is c.BRANCH:
            found = [_starts(seq, k) for seq in av[1]]
            options = None if any(f is None for f in found) else set().union(*found)  # type: ignore[arg-type]
            optional = False
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[1] == 1:
            options, optional = _starts(av[2], k), av[0] == 0
        else:
            return None if not done and partial == {""} else done | partial or None
        if options is None:
            return None if partial == {""} else done | partial
        grown = {(p + o)[:k] for p in partial for o in options}
        if optional:
            grown |= partial
        done |= {g for g in grown if len(g) >= k}
        partial = {g for g in grown if len(g) < k}
        if len(done) + len(partial) > 64:
            return None
        if not partial:
            return done
    return done | partial


class _Cues:
    """Cue patterns of every language (messages mix languages, and one
    language's patterns rarely match another's words). A pattern runs only
    when the text holds one of the strings it can start with: an index from
    each four-character start to the patterns that can begin with it."""

    def __init__(self, table: dict[str, tuple[str, ...]]) -> None:
        from re import _parser  # type: ignore[attr-defined]

        self._patterns: list[re.Pattern[str]] = []
        self._by_start: dict[str, list[int]] = {}
        self._short: list[tuple[str, int]] = []  # starts shorter than four characters
        self._always: list[int] = []
        for patterns in table.values():
            for p in patterns:
                index = len(self._patterns)
                self._patterns.append(re.compile(p))
                starts = _starts(_parser.parse(p), _PREFIX)
                if not p.startswith("\\b") or not starts or "" in starts:
                    self._always.append(index)
                    continue
                for s in starts:
                    if len(s) == _PREFIX:
                        self._by_start.setdefault(s, []).append(index)
                    else:
                        self._short.append((s, index))

    def search(self, low: str, grams: frozenset[str]) -> bool:
        candidates = set(self._always)
        for gram in grams & self._by_start.keys():
            candidates.update(self._by_start[gram])
        candidates.update(i for s, i in self._short if s in low)
        return any(self._patterns[i].search(low) for i in sorted(candidates))


_PROBLEMS = _Cues(moodwords.PROBLEMS)
_ANGRY = _Cues(moodwords.ANGRY)
_RESOLVED = _Cues(moodwords.RESOLVED)
_FUNCTION = {lang: frozenset(w.split()) for lang, w in moodwords.FUNCTION.items()}
_WORD_LANGS: dict[str, tuple[str, ...]] = {}
for _lang, _words_of in _FUNCTION.items():
    for _w in _words_of:
        _WORD_LANGS[_w] = (*_WORD_LANGS.get(_w, ()), _lang)
_NEGATORS = {lang: frozenset(w.split()) for lang, w in moodwords.NEGATORS.items()}


def _split_lexicon(entries: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    exact = {k: float(v) for k, v in entries.items() if not k.endswith("*")}
    prefix = {k[:-1]: float(v) for k, v in entries.items() if k.endswith("*")}
    return exact, prefix


_LEXICONS = {lang: _split_lexicon(v) for lang, v in moodwords.VALENCE.items()}

_lock = threading.Lock()
_analyzer: SentimentIntensityAnalyzer | None = None
_identifier: Any = None


def score(text: str) -> Sentiment:
    """Read the mood of one message.

    Args:
        text: The message as received.

    Returns:
        The compound score, label, language and cues, or a "unknown" result
        (compound None) when nothing in the text can be read.
    """
    if not text or not text.strip():
        return UNKNOWN
    body = _STRIP.sub(" ", text)
    if not body.strip():
        return UNKNOWN
    language = detect_language(body)
    lexical: float | None = None
    if language == "en":
        lexical = float(_get_analyzer().polarity_scores(body)["compound"])
    elif language in _LEXICONS:
        lexical = _lexicon_compound(body, language)
    low = body.lower()
    cues: list[str] = []
    base = lexical if lexical is not None else 0.0
    adjust = 0.0
    # Cue patterns start at a word: the first characters of each word index them.
    grams = frozenset(low[i : i + _PREFIX] for i in (m.start() for m in _WORD_START.finditer(low)))
    problem = _PROBLEMS.search(low, grams)
    angry = _ANGRY.search(low, grams)
    emoji = _emoji_chars(body)
    emoji_angry = sum(1 for ch in emoji if ch in moodwords.ANGRY_EMOJI)
    emoji_sarcasm = any(ch in moodwords.SARCASM_EMOJI for ch in emoji)
    emoji_warm = sum(1 for ch in emoji if ch in moodwords.WARM_EMOJI)
    # "cool cool cool", "great. just great.": praise repeated is irony.
    emoji_sarcasm = emoji_sarcasm or _REPEATED_PRAISE.search(low) is not None
    resolved = (problem or emoji_sarcasm) and _RESOLVED.search(low, grams)
    if problem and not resolved:
        cues.append("problem")
        adjust -= 0.3
    if base > POSITIVE_THRESHOLD and (
        (problem and not resolved) or (emoji_sarcasm and not resolved) or angry
    ):
        # Praise about a failure ("brilliant, the second one broke too 🙃").
        cues.append("sarcasm")
        base = -0.25 - 0.4 * base
    elif emoji_sarcasm and problem and not resolved:
        # "the handle fell off on day two. quality stuff 👏"
        cues.append("sarcasm")
        base = min(base, -0.25)
    if angry:
        cues.append("complaint")
        adjust -= 0.45
    if emoji_angry:
        cues.append("angry-emoji")
        adjust -= 0.35 * min(emoji_angry, 2)
    if _shouting(body) and (base < 0.5 or problem):
        cues.append("capitals")
        adjust -= 0.4
    if _REPEATED_PUNCT.search(body) and (base < 0.3 or problem or angry):
        cues.append("punctuation")
        adjust -= 0.2
    if lexical is None and emoji_warm and not cues:
        base = min(0.9, 0.45 * emoji_warm)
    elif lexical is None and not cues:
        return Sentiment(compound=None, label="unknown", language=language)
    compound = round(max(-1.0, min(1.0, base + adjust)), 4)
    return Sentiment(compound, label_for(compound), language, tuple(cues))


def label_for(compound: float) -> Label:
    """Return the label for a compound score (VADER's recommended thresholds)."""
    return mood_of(compound)


def label_of(compound: float | None) -> Label:
    """Like `label_for`, but None (a mood that could not be read) is "unknown"."""
    return mood_of(compound)


def is_english(text: str) -> bool:
    """True for English text and for text with no letters (emoji only)."""
    return detect_language(_STRIP.sub(" ", text)) in ("en", "zxx")


def detect_language(text: str) -> str:
    """Identify the language of a message.

    Args:
        text: The message (URLs and handles are best removed first).

    Returns:
        An ISO 639-1 code (``"en"``, ``"de"``, ``"ja"``...), ``"zxx"`` when
        the text has no letters, ``"und"`` when no language is likely.
    """
    if text.isascii():  # the common case: no need to count scripts
        if _LETTER.search(text) is None:
            return "zxx"
        non_latin = False
        words = _WORD.findall(text.lower())
    else:
        letters = len(_LETTER.findall(text))
        if letters == 0:
            return "zxx"
        non_latin = len(_NON_LATIN_LETTER.findall(text)) * 2 > letters
        words = [w.replace("’", "'") for w in _WORD.findall(text.lower())]
    if not non_latin:
        counts = dict.fromkeys(_FUNCTION, 0)
        for w in words:
            for lang_of in _WORD_LANGS.get(w, ()):
                counts[lang_of] += 1
        votes = sorted(((n, lang) for lang, n in counts.items()), reverse=True)
        (top, lang), (second, _) = votes[0], votes[1]
        # A clear vote of function words is as good as the model and far cheaper.
        if top >= 2 and top >= 2 * second and (top * 4 >= len(words) or top >= 3 * second + 3):
            return lang
        if len(words) <= 3 and top >= 1 and top > second:
            return lang
    if non_latin:
        script = _script_language(text)
        if script is not None:
            return script
    lang, prob = _get_identifier().classify(text)
    if prob < 0.5 and not non_latin:
        if words and votes[0][0] > 0:
            return votes[0][1]
        return "en" if _vader_knows(text) else "und"
    return str(lang)


# Scripts that name their language (no need to ask the model); others
# (Cyrillic, Arabic, Devanagari...) are shared by several languages.
_SCRIPTS = (("HIRAGANA", "ja"), ("KATAKANA", "ja"), ("HANGUL", "ko"), ("GREEK", "el"),
            ("HEBREW", "he"), ("THAI", "th"), ("GEORGIAN", "ka"), ("ARMENIAN", "hy"),
            ("CJK", "zh"))


def _script_language(text: str) -> str | None:
    names = [unicodedata.name(ch, "") for ch in _NON_LATIN_LETTER.findall(text)[:40]]
    for prefix, language in _SCRIPTS:
        if any(n.startswith(prefix) for n in names):
            return language
    return None


def _vader_knows(text: str) -> bool:
    lexicon = _get_analyzer().lexicon
    return any(w in lexicon for w in _WORD.findall(text.lower()))


def _emoji_chars(text: str) -> list[str]:
    if text.isascii():
        return []
    return [ch for ch in text if ord(ch) >= 0x2190]


def _shouting(text: str) -> bool:
    if _CAPS_RUN.search(text) is None:
        return False  # the common case, cheaply
    words = [w for w in _CAPS_WORD.findall(text) if w not in _ACRONYMS]
    if len(words) >= 2:
        return True
    if words and sum(1 for w in _WORD.findall(text) if w.islower()) >= 3:
        # One word stressed in capitals in a lower-case sentence ("a day AFTER").
        return True
    letters = _LETTER.findall(text)
    upper = sum(1 for c in letters if c.isupper())
    return len(letters) >= 8 and upper >= 0.7 * len(letters) and bool(words)


def _lexicon_compound(text: str, language: str) -> float:
    exact, prefix = _LEXICONS[language]
    negators = _NEGATORS[language]
    total = 0.0
    negate_left = 0
    for raw in _WORD.findall(text.lower()):
        word = raw.replace("’", "'")
        if word in negators or word.startswith("n'"):
            negate_left = 3
            continue
        value = exact.get(word)
        if value is None:
            for k in range(len(word), 2, -1):
                value = prefix.get(word[:k])
                if value is not None:
                    break
        if value is not None:
            total += -0.7 * value if negate_left > 0 else value
        negate_left = max(0, negate_left - 1)
    if total:
        total *= 1.0 + 0.1 * min(text.count("!"), 3)
    return total / math.sqrt(total * total + 15.0)


def warm_up() -> None:
    """Load py3langid's model and VADER's lexicon now (from a worker thread).

    Loading the model holds the GIL for long stretches (numpy, decoding the
    arrays): a window warms it up once its first screen is painted, rather than
    leave it to the first check while the user types.
    """
    _get_identifier()
    _get_analyzer()


def _get_identifier() -> Any:
    """Load py3langid's model once (about 1.5 s, kept for the process)."""
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import (
                    MODEL_FILE,
                    LanguageIdentifier,
                )

                started = time.perf_counter()
                _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                log.debug("py3langid loaded in %.2f s", time.perf_counter() - started)
    return _identifier


def _get_analyzer() -> SentimentIntensityAnalyzer:
    """Build VADER's analyzer once (it reads two lexicon files) and reuse it."""
    global _analyzer
    if _analyzer is None:
        with _lock:
            if _analyzer is None:
                from vaderSentiment.vaderSentiment import (
                    SentimentIntensityAnalyzer,
                )

                _analyzer = SentimentIntensityAnalyzer()
                log.debug("VADER lexicon loaded: %d words", len(_analyzer.lexicon))
    return _analyzer

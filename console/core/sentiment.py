"""Mood of inbound messages in any language: language identification, lexicons and cues.

One detector serves the inbox mood chip, the barometer and the composer's
"customer is upset" test, so that they never disagree. For each message:

1. The language is identified: a message with no letters is ``"zxx"`` (emoji
   only); a clear vote of common function words decides short messages
   cheaply, and so does plainly English text (ASCII letters, English leading
   the vote, enough known English words); otherwise py3langid (a maintained
   fork of langid.py that ships its model, ~1 ms per 500 characters, loaded
   once on first use), which now sees about one message in twenty.
2. Lexical sentiment: VADER for English (its compound computed here without
   its per-call overheads, score for score the same: `_Vader`); a lexicon written for this project
   (`console.core.moodwords`) with negation for German, French, Spanish,
   Portuguese, Italian and Dutch. Other languages have no lexical score.
3. Cues that work in any language adjust it: a failure being reported
   ("arrived broken", "nunca llegó"), complaint phrasings ("is anyone actually
   reading these?", "zum dritten Mal"), angry emoji, words in capitals,
   repeated "!!"/"?!", and sarcasm (praise about a failure, or 🙃); softeners
   and the customer's own mistake ("no rush", "a bit", "my mistake") halve a
   negative reading when nothing angry is there too.

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
from collections.abc import Iterable
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
            ``"punctuation"``; ``"mild"`` for a note rather than a complaint
            ("no rush, the box was a bit squashed", "I ordered the wrong size").
    """

    compound: float | None
    label: Label
    language: str = "und"
    cues: tuple[str, ...] = ()


UNKNOWN = Sentiment(compound=None, label="unknown")

_STRIP = re.compile(r"https?://\S+|www\.\S+|[@#][\w.@-]+|\S+@\S+\.\w+")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_LETTER = re.compile(r"[^\W\d_]")
_NON_ASCII_LETTER = re.compile(r"[^\W\d_a-zA-Z]")
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
# The word starts (as in _WORD_GRAM) every _REPEATED_PRAISE match begins with.
_PRAISE_STARTS = frozenset(
    "grea cool bril fant love perf nice amaz wond supe than 10 well".split())


def _repeated_punct(text: str) -> bool:
    """``_REPEATED_PUNCT.search(text)``, by substring tests."""
    return ("!!" in text or "??" in text or "!?" in text or "?!" in text
            or "‼" in text or "⁉" in text)


_ACRONYMS = frozenset(
    ["FAQ", "ASAP", "USA", "UK", "EU", "US", "DM", "ETA", "URL", "PDF", "UPS", "DHL", "DPD", "GLS", "TNT", "USPS", "ID", "PIN", "OK", "TV", "CEO", "NHS", "USB", "LED", "VAT", "GMT", "BST", "UTC", "CET", "EST", "PST", "AM", "PM", "FYI", "SMS", "AI", "IT", "HR", "UX", "UI", "API", "BBC", "NYC", "ATM", "IOS", "APP", "DIY", "XL", "XXL", "XS", "LOL", "OMG", "KC", "EUR", "GBP", "USD", "BTW", "TBH", "CET", "PS", "NB", "PT", "ES", "FR", "DE", "NL"]
)


_PREFIX = 4  # characters of a cue pattern's possible starts used to skip it
# The word characters (up to four) at each word start; a pattern's possible
# starts are indexed the same way, cut at their first non-word character.
_WORD_GRAM = re.compile(rf"\b\w{{1,{_PREFIX}}}")
_RUN = re.compile(r"\w+")


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
    when the text holds one of the strings it can start with (an index from
    each word start to the patterns that can begin with it) and one of the
    strings some later part of it must match (its *gate*: "has not arrived"
    runs only on a text with "arrived", "came", "turned up"...): a search
    costs a scan of the whole text, a gate one substring test."""

    def __init__(self, table: dict[str, tuple[str, ...]]) -> None:
        from re import _parser  # type: ignore[attr-defined]

        self._patterns: list[re.Pattern[str]] = []
        self._gates: list[tuple[str, ...] | None] = []
        self._by_start: dict[str, list[int]] = {}
        self._short: list[tuple[str, int]] = []  # starts shorter than four characters
        self._always: list[int] = []
        for patterns in table.values():
            for p in patterns:
                index = len(self._patterns)
                self._patterns.append(re.compile(p))
                parsed = _parser.parse(p)
                starts = _starts(parsed, _PREFIX)
                indexed = p.startswith("\\b") and bool(starts) and "" not in (starts or ())
                # An indexed pattern's first part is its index: its gate is a later part.
                self._gates.append(_gate(parsed, later=indexed))
                if not indexed or starts is None:
                    self._always.append(index)
                    continue
                for s in starts:
                    run = _RUN.match(s)
                    key = run.group()[:_PREFIX] if run else ""
                    if len(s) == _PREFIX or key != s:
                        # The text's word at a match starts with exactly ``key``.
                        self._by_start.setdefault(key, []).append(index)
                    else:
                        self._short.append((s, index))  # the pattern is this short

    def search(self, low: str, grams: frozenset[str]) -> bool:
        patterns = self._patterns
        gates = self._gates
        candidates = set(self._always)
        by_start = self._by_start
        for gram in grams.intersection(by_start):
            candidates.update(by_start[gram])
        for s, i in self._short:
            if s in low:
                candidates.add(i)
        for i in candidates:
            gate = gates[i]
            if gate is not None:
                for g in gate:
                    if g in low:
                        break
                else:
                    continue
            if patterns[i].search(low):
                return True
        return False


_GATE = 12  # longest gate string


def _gate(parsed: Any, later: bool) -> tuple[str, ...] | None:
    """Strings one of which any match must contain: the possible starts of the
    rest of the pattern from one of its top-level parts (with ``later``, not
    the first one), the part whose shortest start is longest (at least three
    characters), or None."""
    from re import _constants as c  # type: ignore[attr-defined]

    best: tuple[int, set[str]] | None = None
    items = list(parsed)
    first = next((j for j, (op, _) in enumerate(items) if op is not c.AT), len(items))
    for j in range(first + 1 if later else 0, len(items)):
        starts = _starts(items[j:], _GATE)
        if not starts:
            continue
        shortest = min(len(s) for s in starts)
        if shortest >= 3 and (best is None or (shortest, -len(starts)) > (best[0], -len(best[1]))):
            best = (shortest, starts)
    return tuple(sorted(best[1])) if best else None


_PROBLEMS = _Cues(moodwords.PROBLEMS)
_ANGRY = _Cues(moodwords.ANGRY)
_RESOLVED = _Cues(moodwords.RESOLVED)
_MILD = _Cues(moodwords.MILD)
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


def score_many(texts: Iterable[str]) -> list[Sentiment]:
    """Read the mood of many messages (ingest): each distinct text once.

    Args:
        texts: The messages as received.

    Returns:
        One result per text, in order.
    """
    # A bulk load is mostly new texts: read each distinct one directly rather than
    # through the one-message memo (whose lookups, inserts and clearing it would churn).
    seen: dict[str, Sentiment] = {}
    out = []
    memo = _memo
    for text in texts:
        found = seen.get(text)
        if found is None:
            found = memo.get(text)
            if found is None:
                found = _score(text)
            seen[text] = found
        out.append(found)
    return out


class IngestScorer:
    """The scorer the store uses at ingest: ``scorer(text)`` is one message's
    compound (None for "unknown"), ``scorer.many(texts)`` a whole batch's,
    through `score_many` (the store calls it once per ingest batch)."""

    def __call__(self, text: str) -> float | None:
        return score(text).compound

    def many(self, texts: Iterable[str]) -> list[float | None]:
        return [s.compound for s in score_many(texts)]


_MEMO_SIZE = 4096
_memo: dict[str, Sentiment] = {}


def score(text: str) -> Sentiment:
    """Read the mood of one message.

    The same text again is answered from memory (a sync page re-reads the
    messages it has already stored, the composer its case's message): a
    plain dict emptied when full, cheaper per new text than an LRU.

    Args:
        text: The message as received.

    Returns:
        The compound score, label, language and cues, or a "unknown" result
        (compound None) when nothing in the text can be read.
    """
    found = _memo.get(text)
    if found is None:
        if len(_memo) >= _MEMO_SIZE:
            _memo.clear()
        found = _memo[text] = _score(text)
    return found


def clear_cache() -> None:
    """Forget the texts already read (benchmarks, tests)."""
    _memo.clear()


def _score(text: str) -> Sentiment:
    if not text or not text.strip():
        return UNKNOWN
    body = _strip(text)
    if not body.strip():
        return UNKNOWN
    low = body.lower()
    language = _detect(body, low)
    lexical: float | None = None
    if language == "en":
        lexical = _vader_compound(body)
    elif language in _LEXICONS:
        lexical = _lexicon_compound(body, language)
    cues: list[str] = []
    base = lexical if lexical is not None else 0.0
    adjust = 0.0
    # Cue patterns start at a word: the first characters of each word index them.
    grams = frozenset(_WORD_GRAM.findall(low))
    problem = _PROBLEMS.search(low, grams)
    angry = _ANGRY.search(low, grams)
    emoji = _emoji_chars(body)
    if emoji:
        emoji_angry = sum(1 for ch in emoji if ch in moodwords.ANGRY_EMOJI)
        emoji_sarcasm = any(ch in moodwords.SARCASM_EMOJI for ch in emoji)
        emoji_warm = sum(1 for ch in emoji if ch in moodwords.WARM_EMOJI)
    else:
        emoji_angry = emoji_warm = 0
        emoji_sarcasm = False
    # "cool cool cool", "great. just great.": praise repeated is irony.
    emoji_sarcasm = emoji_sarcasm or (
        not _PRAISE_STARTS.isdisjoint(grams) and _REPEATED_PRAISE.search(low) is not None)
    resolved = (problem or emoji_sarcasm) and _RESOLVED.search(low, grams)
    # "no rush, the box was a bit squashed", "I ordered the wrong size": a note.
    mild = (problem or base < 0) and not angry and not emoji_angry and _MILD.search(low, grams)
    if mild:
        cues.append("mild")
        resolved = True
        base = base / 2 if base < 0 else base
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
    if _repeated_punct(body) and (base < 0.3 or problem or angry):
        cues.append("punctuation")
        adjust -= 0.2
    if lexical is None and emoji_warm and cues in ([], ["mild"]):
        base = min(0.9, 0.45 * emoji_warm)
    elif lexical is None and cues in ([], ["mild"]):
        return Sentiment(compound=None, label="unknown", language=language)
    compound = round(max(-1.0, min(1.0, base + adjust)), 4)
    return Sentiment(compound, mood_of(compound), language, tuple(cues))


# Without "@", "://" or "www." only the hashtag alternative of _STRIP can match.
_HASHTAG = re.compile(r"#[\w.@-]+")


def _strip(text: str) -> str:
    """``_STRIP.sub(" ", text)``, cheaply for the common text with no handle or link
    (its e-mail alternative backtracks over every word)."""
    if "@" in text or "://" in text or "www." in text:
        return _STRIP.sub(" ", text)
    return _HASHTAG.sub(" ", text) if "#" in text else text


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
    return _detect(text, text.lower())


def _detect(text: str, low: str) -> str:
    """`detect_language`, given the text in lower case too."""
    if text.isascii():  # the common case: no need to count scripts
        if _LETTER.search(text) is None:
            return "zxx"
        non_latin = False
        words = _WORD.findall(low)
    else:
        letters = len(_LETTER.findall(text))
        if letters == 0:
            return "zxx"
        non_latin = len(_NON_LATIN_LETTER.findall(text)) * 2 > letters
        words = [w.replace("’", "'") for w in _WORD.findall(low)]
    if not non_latin:
        counts = dict.fromkeys(_FUNCTION, 0)
        for langs in [_WORD_LANGS[w] for w in words if w in _WORD_LANGS]:
            for lang_of in langs:
                counts[lang_of] += 1
        votes = sorted(((n, lang) for lang, n in counts.items()), reverse=True)
        (top, lang), (second, _) = votes[0], votes[1]
        # A clear vote of function words is as good as the model and far cheaper.
        if top >= 2 and top >= 2 * second and (top * 4 >= len(words) or top >= 3 * second + 3):
            return lang
        if len(words) <= 3 and top >= 1 and top > second:
            return lang
        if counts["en"] == top and _plainly_english(text, words, top, second):
            return "en"
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


# English words that are not words of the other six languages (so not "a",
# "in", "so", "do", "will"): more evidence than VADER's sentiment lexicon.
_ENGLISH_HINTS = frozenset(
    """here there just from but would could should got get yet very some out about which
    when where how they them their she he his her its i'm it's that's i've i'll we're
    you're they're don't won't isn't wasn't hi hello cheers sorry thank done all one
    arrived ordered order's today tomorrow week any much many only also""".split()
)


def _plainly_english(text: str, words: list[str], english: int, other: int) -> bool:
    """ASCII letters only, English leads the function-word vote, and enough
    words are English (its function words and VADER's lexicon): the model
    says English for these ("ok. cheers Sam.", "Same basket, same delivery
    address as the failed ones. Thanks Tom."), at a fraction of its cost.
    With no other language's function word at all, five words and one
    English one will do (a sentence in another language has its own
    function words); short or mixed texts need a half or a third."""
    if not words or not text.isascii() and _NON_ASCII_LETTER.search(text):
        return False
    if len(text.split()) * 2 < len(words):
        return False  # not prose: an identifier or a code cut into letter runs
    lexicon = _get_analyzer().lexicon
    sure = english
    hints = 0
    for w in words:
        if w in lexicon:
            sure += 1
        elif w in _ENGLISH_HINTS:
            hints += 1
    if sure == 0:
        return False  # the model's fallback needs one of these too (see detect_language)
    known = sure + hints
    if other == 0:
        return len(words) >= 5 or known * 2 >= len(words)
    # A long text whose English function words outnumber the others' two to one.
    return english >= 2 * other and (known * 3 >= len(words) or len(words) >= 12 and english >= 4)


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


# Words, and the punctuation that ends a clause (a negation's reach).
_WORD_OR_STOP = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|[.!?;]")
_STOPS = frozenset(".!?;")


def _lexicon_compound(text: str, language: str) -> float:
    exact, prefix = _LEXICONS[language]
    negators = _NEGATORS[language]
    total = 0.0
    negate_left = 0
    for raw in _WORD_OR_STOP.findall(text.lower()):
        if raw in _STOPS:
            negate_left = 0  # a negation does not reach into the next sentence
            continue
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


class _CaseWords:
    """VADER's words in their own case, stripped only when one is asked for
    (the rules read the case of a few words next to lexicon words).
    Punctuation has no case, so a token is upper-case as its stripped word is."""

    def __init__(self, raw: list[str], punct: str) -> None:
        self.raw = raw
        self._punct = punct

    def __len__(self) -> int:
        return len(self.raw)

    def __getitem__(self, i: int) -> str:
        token = self.raw[i]
        stripped = token.strip(self._punct)
        return token if len(stripped) <= 2 else stripped


class _Vader:
    """VADER's compound score, exactly as vaderSentiment 3.3.2 computes it in
    ``polarity_scores``, without its per-call overheads: that method walks the
    text one character at a time through the emoji map, lower-cases the whole
    word list again for every lexicon word (three times, in the negation and
    idiom checks) and works out pos/neu/neg shares the detector never reads.
    Here the words are lower-cased once, a text with no lexicon word is 0.0
    at once, and the rules run only at lexicon words. `tests/core/test_sentiment.py`
    checks it against ``polarity_scores`` on every corpus message and on
    generated texts full of negations, boosters, idioms, capitals and "but"."""

    def __init__(self, analyzer: SentimentIntensityAnalyzer) -> None:
        from vaderSentiment import vaderSentiment as v

        self._v = v
        self._analyzer = analyzer
        self._lexicon: dict[str, float] = analyzer.lexicon
        # polarity_scores replaces single characters only; none is ASCII.
        self._emoji = frozenset(k for k in analyzer.emojis if len(k) == 1)
        self._negate = frozenset(v.NEGATE)
        self._boost: dict[str, float] = v.BOOSTER_DICT
        self._special: dict[str, float] = v.SPECIAL_CASES
        self._punct = v.string.punctuation
        # Every idiom and booster phrase has one of these words at i-3..i.
        self._idiom_words = frozenset(
            w for k in (*self._special, *(k for k in self._boost if " " in k)) for w in k.split()
        )

    def compound(self, text: str) -> float:
        if not text.isascii() and not self._emoji.isdisjoint(text):
            text = self._describe_emoji(text)
        text = text.strip()
        punct = self._punct
        lex = self._lexicon
        if text.isascii():  # lower-casing keeps every length: strip the lower-case words
            lower = [t if len(stripped := t.strip(punct)) <= 2 else stripped
                     for t in text.lower().split()]
            hits = [i for i, low in enumerate(lower) if low in lex]
            if not hits:
                return 0.0  # no lexicon word: every word scores 0, so does the text
            words = _CaseWords(text.split(), punct)
        else:
            words = _CaseWords(text.split(), punct)
            lower = [words[i].lower() for i in range(len(words))]
            hits = [i for i, low in enumerate(lower) if low in lex]
            if not hits:
                return 0.0
        v = self._v
        boost = self._boost
        idiom_words = self._idiom_words
        n = len(words)
        upper = sum(map(str.isupper, words.raw))
        cap_diff = 0 < n - upper < n
        # Words that are not in the lexicon score 0 (so do boosters and "kind of").
        sentiments: list[float] = [0] * n
        for i in hits:
            low = lower[i]
            if low in boost or (low == "kind" and i < n - 1 and lower[i + 1] == "of"):
                continue
            item = words[i]
            valence = lex[low]
            if low == "no" and i != n - 1 and lower[i + 1] in lex:
                valence = 0.0
            if ((i > 0 and lower[i - 1] == "no") or (i > 1 and lower[i - 2] == "no")
                    or (i > 2 and lower[i - 3] == "no" and lower[i - 1] in ("or", "nor"))):
                valence = lex[low] * v.N_SCALAR
            if item.isupper() and cap_diff:
                valence += v.C_INCR if valence > 0 else -v.C_INCR
            for start_i in range(3):
                j = i - (start_i + 1)
                if i > start_i and lower[j] not in lex:
                    # scalar_inc_dec is 0.0 for a word that is not a booster
                    s = v.scalar_inc_dec(words[j], valence, cap_diff) if lower[j] in boost else 0.0
                    if start_i == 1 and s != 0:
                        s = s * 0.95
                    if start_i == 2 and s != 0:
                        s = s * 0.9
                    valence = self._negation(valence + s, lower, start_i, i)
                    if start_i == 2 and not idiom_words.isdisjoint(lower[i - 3 : i + 1]):
                        valence = self._idioms(valence, lower, i)
            if i > 1 and lower[i - 1] not in lex and lower[i - 1] == "least":
                if lower[i - 2] != "at" and lower[i - 2] != "very":
                    valence = valence * v.N_SCALAR
            elif i > 0 and lower[i - 1] not in lex and lower[i - 1] == "least":
                valence = valence * v.N_SCALAR
            sentiments[i] = valence
        if "but" in lower:
            sentiments = self._analyzer._but_check(lower, sentiments)  # it lower-cases them
        total = float(sum(sentiments))
        if total:
            emphasis = min(text.count("!"), 4) * 0.292
            questions = text.count("?")
            if questions > 1:
                emphasis += questions * 0.18 if questions <= 3 else 0.96
            total += emphasis if total > 0 else -emphasis
        # vaderSentiment's normalize(total), alpha 15, inline
        norm = total / math.sqrt(total * total + 15)
        return round(-1.0 if norm < -1.0 else 1.0 if norm > 1.0 else norm, 4)

    def _describe_emoji(self, text: str) -> str:
        """Each emoji replaced by its description, a space before it unless
        the text has one there (polarity_scores' character loop, without
        building the string one character at a time)."""
        emoji = self._emoji
        descriptions = self._analyzer.emojis
        out: list[str] = []
        last = 0
        for at in [i for i, ch in enumerate(text) if ch in emoji]:
            out.append(text[last:at])
            if at > 0 and text[at - 1] != " ":
                out.append(" ")
            out.append(descriptions[text[at]])
            last = at + 1
        out.append(text[last:])
        return "".join(out)

    def _negated(self, word: str) -> bool:
        return word in self._negate or "n't" in word

    def _negation(self, valence: float, lower: list[str], start_i: int, i: int) -> float:
        n_scalar = self._v.N_SCALAR
        if start_i == 0:
            if self._negated(lower[i - 1]):
                valence = valence * n_scalar
        elif start_i == 1:
            if lower[i - 2] == "never" and (lower[i - 1] == "so" or lower[i - 1] == "this"):
                valence = valence * 1.25
            elif lower[i - 2] == "without" and lower[i - 1] == "doubt":
                pass
            elif self._negated(lower[i - 2]):
                valence = valence * n_scalar
        else:
            if (lower[i - 3] == "never" and (lower[i - 2] == "so" or lower[i - 2] == "this")
                    or (lower[i - 1] == "so" or lower[i - 1] == "this")):
                valence = valence * 1.25
            elif lower[i - 3] == "without" and (lower[i - 2] == "doubt" or lower[i - 1] == "doubt"):
                pass
            elif self._negated(lower[i - 3]):
                valence = valence * n_scalar
        return valence

    def _idioms(self, valence: float, lower: list[str], i: int) -> float:
        special = self._special
        w3, w2, w1, w0 = lower[i - 3], lower[i - 2], lower[i - 1], lower[i]
        twoone = f"{w2} {w1}"
        threetwoone = f"{w3} {w2} {w1}"
        threetwo = f"{w3} {w2}"
        for seq in (f"{w1} {w0}", f"{w2} {w1} {w0}", twoone, threetwoone, threetwo):
            if seq in special:
                valence = special[seq]
                break
        n = len(lower)
        if n - 1 > i:
            zeroone = f"{w0} {lower[i + 1]}"
            if zeroone in special:
                valence = special[zeroone]
        if n - 1 > i + 1:
            zeroonetwo = f"{w0} {lower[i + 1]} {lower[i + 2]}"
            if zeroonetwo in special:
                valence = special[zeroonetwo]
        for n_gram in (threetwoone, threetwo, twoone):
            if n_gram in self._boost:
                valence = valence + self._boost[n_gram]
        return valence


_vader: _Vader | None = None


def _vader_compound(text: str) -> float:
    global _vader
    if _vader is None:
        _vader = _Vader(_get_analyzer())
    return _vader.compound(text)


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

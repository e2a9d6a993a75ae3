"""Brand-voice checks: a profile's rules run over a draft reply, giving findings.

A voice profile is a TOML file a social media manager can read and edit (see
``resources/voice/*.toml`` for two commented examples). `load_profile` reads
one, `check` runs it over a draft. Checking is pure: the same text, profile and
`CheckContext` always give the same findings, sorted by position, and every
regular expression is compiled once, when the profile is loaded.

Each `Finding` has a ``kind`` (the families below), a ``rule`` naming the
profile setting that fired (``"terms.banned"``), a severity, a span of the
draft (Python ``str`` indices, ``text[start:end]``), a message, and a `Fix`
when the change is mechanical. Severities: ``error`` blocks approval unless
the user overrides it with a reason; ``warning`` and ``suggestion`` do not.

=================  ==================================================  ============
kind               fires on                                            default
=================  ==================================================  ============
term               banned / discouraged words ([terms])                error/warning
emoji              emoji policy, emoji to an upset customer ([emoji])  warning
exclamation        "!" policy, "!!" ([exclamation])                    warning
shouting           WORDS IN CAPITALS that are not acronyms             warning
slang              "lol", "gonna" for a formal brand ([slang])         warning
sign-off           required sign-off missing ([signoff])               warning
reading-level      Flesch-Kincaid grade over the ceiling               suggestion
empathy            upset customer not acknowledged; robotic phrases    warning
stock-answer       template sent unedited or barely edited             warning
unaddressed-issue  an open checklist issue the draft does not mention  warning
deflection         "contact our support team" without owning it        warning
private-data       email, phone, order number, address in public       error
link-domain        link to a domain the brand does not use             warning
length             over the platform's limit                           error
missing-variable   a ``[name?]`` placeholder or ``{{ name }}`` left    error
=================  ==================================================  ============

Every section of a profile may set ``severity`` (and ``enabled = false``);
the two shipped profiles set their own, e.g. both make a missing apology to
an upset customer an ``error``, and ``playful`` makes robotic phrases an
``error`` too ("never a corporate Terminator").

Phrase lists (terms, slang, empathy, deflection) use a small pattern syntax so
that nobody has to write regular expressions: matching ignores case and
spacing; ``*`` at the end of a word matches any ending (``apolog*``); ``@``
on its own matches any @handle; ``(a|b)`` matches one of several words, and
``(a|b|)`` (empty choice) makes them optional; ``re:`` starts a raw regular
expression for experts.
"""

from __future__ import annotations

import difflib
import functools
import logging
import math
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from console.core import sentiment, textlen
from console.core.errors import KnownError
from console.core.templates import MissingVariable

log = logging.getLogger(__name__)

Severity = Literal["error", "warning", "suggestion"]
SEVERITIES: Final = ("error", "warning", "suggestion")

#: Every kind of finding, in the order the composer lists them.
KINDS: Final = (
    "term",
    "emoji",
    "exclamation",
    "shouting",
    "slang",
    "sign-off",
    "reading-level",
    "empathy",
    "stock-answer",
    "unaddressed-issue",
    "deflection",
    "private-data",
    "link-domain",
    "length",
    "missing-variable",
)


def _words(text: str) -> frozenset[str]:
    """A set of the whitespace-separated words of ``text``."""
    return frozenset(text.split())


class ProfileError(KnownError):
    """A voice profile file that cannot be read or has invalid settings."""


@dataclass(frozen=True)
class Fix:
    """A mechanical change that resolves a finding: replace ``text[start:end]``.

    Attributes:
        replacement: The new text ("" deletes).
        start: Start of the span to replace (may equal ``end`` to insert).
        end: End of the span to replace.
        label: What the fix does, for a button or menu ("Replace with 'use'").
    """

    replacement: str
    start: int
    end: int
    label: str

    def apply(self, text: str) -> str:
        """Return ``text`` with this fix applied."""
        return text[: self.start] + self.replacement + text[self.end :]


@dataclass(frozen=True)
class Finding:
    """One problem in a draft.

    Attributes:
        kind: One of `KINDS`.
        rule: The profile setting that fired, e.g. ``"terms.banned"``.
        severity: ``"error"`` (blocks approval unless overridden with a
            reason), ``"warning"`` or ``"suggestion"``.
        start: Start of the span in the draft (``str`` index).
        end: End of the span (exclusive); equal to ``start`` for a point.
        message: A sentence for the user.
        fix: A quick fix, when one exists.
    """

    kind: str
    rule: str
    severity: Severity
    start: int
    end: int
    message: str
    fix: Fix | None = None

    @property
    def blocks(self) -> bool:
        """True when this finding blocks approval (an error)."""
        return self.severity == "error"

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape the CLI prints."""
        fix = None
        if self.fix is not None:
            fix = {
                "replacement": self.fix.replacement,
                "start": self.fix.start,
                "end": self.fix.end,
                "label": self.fix.label,
            }
        return {
            "kind": self.kind,
            "rule": self.rule,
            "severity": self.severity,
            "start": self.start,
            "end": self.end,
            "message": self.message,
            "fix": fix,
        }


@dataclass(frozen=True)
class CheckContext:
    """What the checker knows besides the draft.

    Attributes:
        platform: ``"mastodon"``, ``"bluesky"``, ``"x"`` or ``"demo"``.
        reply_to: The customer's message being answered, if any.
        reply_to_sentiment: Its VADER compound score; computed from
            ``reply_to`` when None.
        open_issues: The case's open checklist items.
        template_body: The rendered template the draft started from.
        brand_domains: Domains the brand links to (subdomains included),
            added to the profile's ``[links] domains``.
        public: False for a direct message (private data is then fine).
        limit: The account's own length limit, if it differs from the
            platform default (e.g. a Mastodon instance allowing 1,000).
        missing_variables: Variables the template renderer could not fill.
            Placeholders still in the text are found anyway; this only adds
            those whose span still shows the placeholder.
        agent_initials: The replying agent's initials, for the sign-off.
    """

    platform: str = "mastodon"
    reply_to: str | None = None
    reply_to_sentiment: float | None = None
    open_issues: Sequence[str] = ()
    template_body: str | None = None
    brand_domains: Sequence[str] = ()
    public: bool = True
    limit: int | None = None
    missing_variables: Sequence[MissingVariable] = ()
    agent_initials: str | None = None


# --- Phrase patterns -----------------------------------------------------------

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


# --- Profile -------------------------------------------------------------------


@dataclass(frozen=True)
class TermsRules:
    """``[terms]``: banned and discouraged words with suggested replacements."""

    enabled: bool = True
    banned: PhraseSet = field(default_factory=PhraseSet)
    discouraged: PhraseSet = field(default_factory=PhraseSet)
    banned_severity: Severity = "error"
    discouraged_severity: Severity = "warning"


@dataclass(frozen=True)
class EmojiRules:
    """``[emoji]``: how many emoji a reply may have."""

    enabled: bool = True
    policy: Literal["allow", "limit", "forbid"] = "allow"
    max: int = 3
    max_when_upset: int | None = None
    not_when_upset: frozenset[str] = frozenset()
    emoticons: bool = False
    severity: Severity = "warning"
    upset_severity: Severity = "warning"


@dataclass(frozen=True)
class ExclamationRules:
    """``[exclamation]``: how many exclamation marks, and whether "!!" is ok."""

    enabled: bool = True
    policy: Literal["allow", "limit", "forbid"] = "allow"
    max: int = 1
    repeated: bool = True
    severity: Severity = "warning"


@dataclass(frozen=True)
class ShoutingRules:
    """``[shouting]``: words in capitals that are not known acronyms."""

    enabled: bool = True
    min_letters: int = 4
    acronyms: frozenset[str] = field(default_factory=lambda: DEFAULT_ACRONYMS)
    severity: Severity = "warning"


@dataclass(frozen=True)
class SlangRules:
    """``[slang]``: informal words, each with a suggested replacement."""

    enabled: bool = True
    words: PhraseSet = field(default_factory=PhraseSet)
    severity: Severity = "warning"


@dataclass(frozen=True)
class SignoffRules:
    """``[signoff]``: a required sign-off at the end of the reply."""

    enabled: bool = True
    required: bool = False
    format: str = "\n— {initials}"
    pattern: str = r"(?:^|\s)[-–—~^]\s*{initials}\s*$"
    severity: Severity = "warning"


@dataclass(frozen=True)
class ReadabilityRules:
    """``[readability]``: a Flesch-Kincaid grade ceiling."""

    enabled: bool = True
    max_grade: float | None = None
    min_words: int = 20
    severity: Severity = "suggestion"


@dataclass(frozen=True)
class EmpathyRules:
    """``[empathy]``: acknowledge an upset customer; do not sound like a robot."""

    enabled: bool = True
    negative_threshold: float = -0.3
    acknowledge: PhraseSet = field(default_factory=PhraseSet)
    fix: str = "I'm sorry about this."
    severity: Severity = "warning"
    robotic: PhraseSet = field(default_factory=PhraseSet)
    robotic_severity: Severity = "warning"


@dataclass(frozen=True)
class StockAnswerRules:
    """``[stock_answer]``: a template sent without (enough) editing."""

    enabled: bool = True
    min_similarity: float = 0.9
    severity: Severity = "warning"


@dataclass(frozen=True)
class OpenIssuesRules:
    """``[open_issues]``: each open checklist item should be answered."""

    enabled: bool = True
    min_share: float = 0.5
    severity: Severity = "warning"


@dataclass(frozen=True)
class DeflectionRules:
    """``[deflection]``: sending the customer elsewhere without owning it."""

    enabled: bool = True
    phrases: PhraseSet = field(default_factory=PhraseSet)
    ownership: PhraseSet = field(default_factory=PhraseSet)
    severity: Severity = "warning"


@dataclass(frozen=True)
class PrivateDataRules:
    """``[private_data]``: personal data in a public reply."""

    enabled: bool = True
    email: bool = True
    phone: bool = True
    order_number: bool = True
    street_address: bool = True
    patterns: tuple[tuple[str, re.Pattern[str]], ...] = ()
    severity: Severity = "error"


@dataclass(frozen=True)
class LinksRules:
    """``[links]``: links only to the brand's own domains."""

    enabled: bool = True
    domains: tuple[str, ...] = ()
    severity: Severity = "warning"


@dataclass(frozen=True)
class SimpleRule:
    """A rule with nothing to set but whether it runs and its severity."""

    enabled: bool = True
    severity: Severity = "error"


@dataclass(frozen=True)
class Profile:
    """A brand's voice: every rule section, compiled and ready to check.

    Build one with `load_profile`, `load_profiles` or `parse_profile`.
    """

    name: str
    title: str = ""
    description: str = ""
    terms: TermsRules = field(default_factory=TermsRules)
    emoji: EmojiRules = field(default_factory=EmojiRules)
    exclamation: ExclamationRules = field(default_factory=ExclamationRules)
    shouting: ShoutingRules = field(default_factory=ShoutingRules)
    slang: SlangRules = field(default_factory=SlangRules)
    signoff: SignoffRules = field(default_factory=SignoffRules)
    readability: ReadabilityRules = field(default_factory=ReadabilityRules)
    empathy: EmpathyRules = field(default_factory=lambda: _DEFAULT_EMPATHY)
    stock_answer: StockAnswerRules = field(default_factory=StockAnswerRules)
    open_issues: OpenIssuesRules = field(default_factory=OpenIssuesRules)
    deflection: DeflectionRules = field(default_factory=lambda: _DEFAULT_DEFLECTION)
    private_data: PrivateDataRules = field(default_factory=PrivateDataRules)
    links: LinksRules = field(default_factory=LinksRules)
    length: SimpleRule = field(default_factory=SimpleRule)
    missing_variable: SimpleRule = field(default_factory=SimpleRule)


#: Capitalized words that are not shouting; a profile's ``acronyms`` add to these.
DEFAULT_ACRONYMS: Final[frozenset[str]] = _words(
    """
    FAQ ASAP USA UK EU US DM DMS ETA URL PDF UPS DHL FEDEX USPS ID PIN OK TV BBQ HTML CEO
    NHS USB LED PTFE PFOA BPA RRP VAT GMT BST UTC CET EST PST AM PM FYI NB PS RSVP SMS
    AI IT HR QA UX UI API FAQS NASA BBC ITV NYC LA ATM IOS APP DIY XL XXL XS
    """
)

DEFAULT_ACKNOWLEDGE: Final = (
    "sorry",
    "apolog*",
    "understand*",
    "frustrat*",
    "disappoint*",
    "that's not ok*",
    "not good enough",
    "not what you expected",
    "shouldn't have happened",
    "should not have happened",
    "I hear you",
)
DEFAULT_ROBOTIC: Final = (
    ("we apologi* for any inconvenience (caused|)", "I'm sorry for the trouble this has caused"),
    ("(your|this) call is important to us", None),
    ("please be advised", ""),
    ("as per our policy", None),
    ("we regret to inform you", None),
    ("thank you for your patience and understanding", None),
    ("(valued|dear) customer", None),
    ("for security reasons we cannot", None),
)
DEFAULT_DEFLECTION: Final = (
    "(please|) contact (our|the) (customer|) (support|service|care|help) (team|desk|department|)",
    "(please|) (tweet|message|DM|ping|contact|email|write to|reach out to) @",
    "(please|) (email|e-mail|mail) us at",
    "(please|) (call|phone|ring) (our|the) (help*|support|customer service|customer care|care) (line|team|number|)",
    "we have a (dedicated|separate|) (support|customer service|care) (team|account)",
    "(this|our) account (is|) (only|just) for",
    "(we|I) (can't|cannot|can not) help with (that|this|it) here",
    "you('ll| will) need to contact",
    "(get|getting) in touch with (our|the) (support|customer service|care) (team|)",
)
DEFAULT_OWNERSHIP: Final = (
    "I've passed",
    "I have passed",
    "I'll",
    "I will",
    "(we'll|we will) look into",
    "I've (asked|flagged|escalated|raised|shared|forwarded|sent|arranged|booked|started|contacted)",
    "I have (asked|flagged|escalated|raised|shared|forwarded|sent|arranged|booked|started|contacted)",
    "I'm (looking|checking|chasing|following)",
    "let me",
)

_DEFAULT_EMPATHY: Final[EmpathyRules] = EmpathyRules(
    acknowledge=PhraseSet.build([(p, None) for p in DEFAULT_ACKNOWLEDGE]),
    robotic=PhraseSet.build(list(DEFAULT_ROBOTIC)),
)
_DEFAULT_DEFLECTION: Final[DeflectionRules] = DeflectionRules(
    phrases=PhraseSet.build([(p, None) for p in DEFAULT_DEFLECTION]),
    ownership=PhraseSet.build([(p, None) for p in DEFAULT_OWNERSHIP]),
)


class _Reader:
    """Reads one TOML table, checking types and refusing unknown keys."""

    _MISSING: Final = object()

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, Mapping):
            raise ProfileError(f"{where} must be a table")
        self._data = dict(data)
        self._where = where

    def _pop(self, key: str) -> Any:
        return self._data.pop(key, self._MISSING)

    def get_bool(self, key: str, default: bool) -> bool:
        value = self._pop(key)
        if value is self._MISSING:
            return default
        if not isinstance(value, bool):
            raise ProfileError(f"{self._where}.{key} must be true or false")
        return value

    def get_int(self, key: str, default: int, *, minimum: int = 0) -> int:
        value = self._pop(key)
        if value is self._MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ProfileError(f"{self._where}.{key} must be a whole number >= {minimum}")
        return value

    def optional_int(self, key: str) -> int | None:
        if key not in self._data:
            return None
        return self.get_int(key, 0)

    def get_float(
        self, key: str, default: float | None, *, low: float, high: float
    ) -> float | None:
        value = self._pop(key)
        if value is self._MISSING:
            return default
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            raise ProfileError(f"{self._where}.{key} must be a number from {low} to {high}")
        return float(value)

    def get_str(self, key: str, default: str) -> str:
        value = self._pop(key)
        if value is self._MISSING:
            return default
        if not isinstance(value, str):
            raise ProfileError(f"{self._where}.{key} must be text")
        return value

    def choice(self, key: str, default: str, choices: Sequence[str]) -> str:
        value = self.get_str(key, default)
        if value not in choices:
            raise ProfileError(f"{self._where}.{key} must be one of {', '.join(choices)}")
        return value

    def severity(self, key: str, default: Severity) -> Severity:
        value = self.choice(key, default, SEVERITIES)
        return "error" if value == "error" else "warning" if value == "warning" else "suggestion"

    def strings(self, key: str, default: Sequence[str]) -> tuple[str, ...]:
        value = self._pop(key)
        if value is self._MISSING:
            return tuple(default)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ProfileError(f"{self._where}.{key} must be a list of texts")
        return tuple(value)

    def mapping(self, key: str) -> dict[str, str] | None:
        value = self._pop(key)
        if value is self._MISSING:
            return None
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ProfileError(f'{self._where}.{key} must be a table of "text" = "text"')
        return dict(value)

    def phrases(
        self, key: str, default: Sequence[tuple[str, str | None]] | None
    ) -> PhraseSet | None:
        """A phrase list (array) or a phrase table (phrase = replacement)."""
        value = self._pop(key)
        if value is self._MISSING:
            return None if default is None else PhraseSet.build(list(default))
        items: list[tuple[str, str | None]]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            items = [(v, None) for v in value]
        elif isinstance(value, Mapping) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            items = list(value.items())
        else:
            raise ProfileError(
                f'{self._where}.{key} must be a list of texts or a table of "text" = "text"'
            )
        try:
            return PhraseSet.build(items)
        except ProfileError as exc:
            raise ProfileError(f"{self._where}.{key}: {exc}") from exc

    def table(self, key: str) -> _Reader:
        value = self._pop(key)
        return _Reader({} if value is self._MISSING else value, f"{self._where}.{key}")

    def done(self) -> None:
        if self._data:
            unknown = ", ".join(sorted(self._data))
            raise ProfileError(f"{self._where}: unknown setting(s): {unknown}")


def parse_profile(data: Mapping[str, Any], *, name: str) -> Profile:
    """Build a profile from parsed TOML.

    Args:
        data: The TOML document as a dict.
        name: The profile's name when ``[profile] name`` is not set (usually
            the file name without ``.toml``).

    Returns:
        The compiled profile.

    Raises:
        ProfileError: On unknown sections or settings, wrong types, or invalid
            patterns; the message names the setting.
    """
    root = _Reader(data, name)

    meta = root.table("profile")
    profile_name = meta.get_str("name", name)
    title = meta.get_str("title", profile_name)
    description = meta.get_str("description", "")
    meta.done()

    t = root.table("terms")
    terms = TermsRules(
        enabled=t.get_bool("enabled", True),
        banned_severity=t.severity("banned_severity", "error"),
        discouraged_severity=t.severity("discouraged_severity", "warning"),
        banned=t.phrases("banned", ()) or PhraseSet(),
        discouraged=t.phrases("discouraged", ()) or PhraseSet(),
    )
    t.done()

    e = root.table("emoji")
    policy = e.choice("policy", "allow", ("allow", "limit", "forbid"))
    emoji = EmojiRules(
        enabled=e.get_bool("enabled", True),
        policy="forbid" if policy == "forbid" else "limit" if policy == "limit" else "allow",
        max=e.get_int("max", 3),
        max_when_upset=e.optional_int("max_when_upset"),
        not_when_upset=frozenset(e.strings("not_when_upset", ())),
        emoticons=e.get_bool("emoticons", False),
        severity=e.severity("severity", "warning"),
        upset_severity=e.severity("upset_severity", "warning"),
    )
    e.done()

    x = root.table("exclamation")
    policy = x.choice("policy", "allow", ("allow", "limit", "forbid"))
    exclamation = ExclamationRules(
        enabled=x.get_bool("enabled", True),
        policy="forbid" if policy == "forbid" else "limit" if policy == "limit" else "allow",
        max=x.get_int("max", 1),
        repeated=x.get_bool("repeated", True),
        severity=x.severity("severity", "warning"),
    )
    x.done()

    s = root.table("shouting")
    shouting = ShoutingRules(
        enabled=s.get_bool("enabled", True),
        min_letters=s.get_int("min_letters", 4, minimum=2),
        acronyms=DEFAULT_ACRONYMS | frozenset(a.upper() for a in s.strings("acronyms", ())),
        severity=s.severity("severity", "warning"),
    )
    s.done()

    sl = root.table("slang")
    slang = SlangRules(
        enabled=sl.get_bool("enabled", True),
        severity=sl.severity("severity", "warning"),
        words=sl.phrases("words", ()) or PhraseSet(),
    )
    sl.done()

    so = root.table("signoff")
    signoff = SignoffRules(
        enabled=so.get_bool("enabled", True),
        required=so.get_bool("required", False),
        format=so.get_str("format", SignoffRules.format),
        pattern=so.get_str("pattern", SignoffRules.pattern),
        severity=so.severity("severity", "warning"),
    )
    so.done()
    if "{initials}" not in signoff.format:
        raise ProfileError(f"{name}.signoff.format must contain {{initials}}")
    try:
        _signoff_regex(signoff.pattern, "AB")
    except re.error as exc:
        raise ProfileError(f"{name}.signoff.pattern is not a valid pattern: {exc}") from exc

    r = root.table("readability")
    readability = ReadabilityRules(
        enabled=r.get_bool("enabled", True),
        max_grade=r.get_float("max_grade", None, low=0, high=30),
        min_words=r.get_int("min_words", 20),
        severity=r.severity("severity", "suggestion"),
    )
    r.done()

    em = root.table("empathy")
    empathy = EmpathyRules(
        enabled=em.get_bool("enabled", True),
        negative_threshold=em.get_float("negative_threshold", -0.3, low=-1, high=0) or 0.0,
        acknowledge=em.phrases("acknowledge", [(p, None) for p in DEFAULT_ACKNOWLEDGE])
        or PhraseSet(),
        fix=em.get_str("fix", EmpathyRules.fix),
        severity=em.severity("severity", "warning"),
        robotic_severity=em.severity("robotic_severity", "warning"),
        robotic=em.phrases("robotic", DEFAULT_ROBOTIC) or PhraseSet(),
    )
    em.done()

    sa = root.table("stock_answer")
    stock_answer = StockAnswerRules(
        enabled=sa.get_bool("enabled", True),
        min_similarity=sa.get_float("min_similarity", 0.9, low=0.5, high=1.0) or 0.9,
        severity=sa.severity("severity", "warning"),
    )
    sa.done()

    oi = root.table("open_issues")
    open_issues = OpenIssuesRules(
        enabled=oi.get_bool("enabled", True),
        min_share=oi.get_float("min_share", 0.5, low=0.01, high=1.0) or 0.5,
        severity=oi.severity("severity", "warning"),
    )
    oi.done()

    d = root.table("deflection")
    deflection = DeflectionRules(
        enabled=d.get_bool("enabled", True),
        severity=d.severity("severity", "warning"),
        phrases=d.phrases("phrases", [(p, None) for p in DEFAULT_DEFLECTION]) or PhraseSet(),
        ownership=d.phrases("ownership", [(p, None) for p in DEFAULT_OWNERSHIP]) or PhraseSet(),
    )
    d.done()

    p = root.table("private_data")
    custom: list[tuple[str, re.Pattern[str]]] = []
    for label, rx in (p.mapping("patterns") or {}).items():
        try:
            custom.append((label, re.compile(rx)))
        except re.error as exc:
            raise ProfileError(f"{name}.private_data.patterns.{label}: {exc}") from exc
    private_data = PrivateDataRules(
        enabled=p.get_bool("enabled", True),
        email=p.get_bool("email", True),
        phone=p.get_bool("phone", True),
        order_number=p.get_bool("order_number", True),
        street_address=p.get_bool("street_address", True),
        patterns=tuple(custom),
        severity=p.severity("severity", "error"),
    )
    p.done()

    lk = root.table("links")
    links = LinksRules(
        enabled=lk.get_bool("enabled", True),
        domains=tuple(_normalize_domain(dm) for dm in lk.strings("domains", ())),
        severity=lk.severity("severity", "warning"),
    )
    lk.done()

    ln = root.table("length")
    length = SimpleRule(
        enabled=ln.get_bool("enabled", True), severity=ln.severity("severity", "error")
    )
    ln.done()

    mv = root.table("missing_variable")
    missing_variable = SimpleRule(
        enabled=mv.get_bool("enabled", True), severity=mv.severity("severity", "error")
    )
    mv.done()

    root.done()
    return Profile(
        name=profile_name,
        title=title,
        description=description,
        terms=terms,
        emoji=emoji,
        exclamation=exclamation,
        shouting=shouting,
        slang=slang,
        signoff=signoff,
        readability=readability,
        empathy=empathy,
        stock_answer=stock_answer,
        open_issues=open_issues,
        deflection=deflection,
        private_data=private_data,
        links=links,
        length=length,
        missing_variable=missing_variable,
    )


def loads_profile(text: str, *, name: str) -> Profile:
    """Parse a profile from TOML text (e.g. as stored in the workspace).

    Args:
        text: The TOML document.
        name: The profile's name when ``[profile] name`` is not set.

    Returns:
        The compiled profile.

    Raises:
        ProfileError: If the TOML is malformed or a setting is invalid.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"voice profile {name!r} is not valid TOML: {exc}") from exc
    return parse_profile(data, name=name)


def load_profile(path: Path | str) -> Profile:
    """Load one voice profile from a TOML file.

    Args:
        path: The ``.toml`` file; its stem is the default profile name.

    Returns:
        The compiled profile.

    Raises:
        ProfileError: If the file cannot be read or is invalid.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"cannot read voice profile {path}: {exc}") from exc
    return loads_profile(text, name=path.stem)


def load_profiles(directory: Path | str) -> dict[str, Profile]:
    """Load every ``*.toml`` voice profile in a directory.

    Args:
        directory: E.g. ``resources/voice``.

    Returns:
        Profiles by name, in file-name order.

    Raises:
        ProfileError: If a file is invalid or two files use the same name.
    """
    profiles: dict[str, Profile] = {}
    for path in sorted(Path(directory).glob("*.toml")):
        profile = load_profile(path)
        if profile.name in profiles:
            raise ProfileError(f"two voice profiles are named {profile.name!r} ({path})")
        profiles[profile.name] = profile
    return profiles


# --- Checking --------------------------------------------------------------------

_MENTION = re.compile(r"(?<![\w@])" + _HANDLE_RX)
_EMAIL = re.compile(r"(?<![\w.+@-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PLACEHOLDER = re.compile(r"\[([A-Za-z_]\w*)\?\]")
_RAW_VARIABLE = re.compile(r"\{\{-?\s*([A-Za-z_]\w*)[^{}]*?-?\}\}")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_CAPS_WORD = re.compile(r"(?<![\w@#/.'’-])[^\W\d_]{2,}(?![\w'’-])")
_EXCLAIM = re.compile(r"[!?¡‼⁉]*[!¡‼⁉][!?¡‼⁉]*")
_SENTENCE_START = re.compile(r"(?:^|[.!?…]\s+|\n\s*)$")

try:
    import regex as _regex  # type: ignore[import-untyped]  # knows Extended_Pictographic

    _EMOJI: Any = _regex.compile(
        r"\p{RI}\p{RI}"
        r"|[#*0-9]\uFE0F?\u20E3"
        r"|(?:(?![\u00A9\u00AE\u2122\u2190-\u21FF\u203C\u2049])\p{Extended_Pictographic}"
        r"|\p{Extended_Pictographic}\uFE0F)"
        r"[\uFE0F\p{Emoji_Modifier}]*"
        r"(?:\u200D\p{Extended_Pictographic}[\uFE0F\p{Emoji_Modifier}]*)*"
    )
except ImportError:  # pragma: no cover - regex is a declared dependency
    _EMOJI = re.compile(r"[\U0001F000-\U0001FAFF\u2600-\u27BF]")

_EMOTICON = re.compile(r"(?<![\w:/])(?:[:;=][-'^o]?[)(\]\[DPpO3*|\\]+|<3+|\^_?\^|[xX]D)(?![\w)(])")

_PHONE = re.compile(r"(?<![\w+\-/#.])(?:\+|00)?\(?\d[\d\s().\-]{6,}\d(?![\w])")
_ORDER = re.compile(
    r"#?\b(?:order|ord)(?:\s*(?:number|num|no\.?|ref))?[\s#:.\-]*\d{5,}\b", re.IGNORECASE
)
_STREET_WORDS = (
    "street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|close|court|ct|place|pl|way"
    "|terrace|crescent|gardens|square|sq|hill|row|mews|grove|parade|walk|highway|hwy"
)
_STREET = re.compile(
    r"\b\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][\w'’-]*\s+){1,3}(?i:" + _STREET_WORDS + r")\b\.?"
)
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b")

_STOPWORDS = _words(
    """
    a an the and or but if of at by for with about to from in on off out over under up
    down into onto than then so not no nor is are was were be been being have has had do
    does did i me my we our you your he she it its they them their this that these those
    there here what which who when where why how all any some more most very can could
    would should will shall may might must just also too again still yet please thanks
    thank hi hello get got make made want wanted need needed asked ask customer
    """
)


@dataclass
class _Doc:
    """The draft plus what several rules need, computed once per check."""

    text: str
    urls: list[tuple[int, int, str]]
    protected: list[tuple[int, int]]

    def is_protected(self, start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in self.protected)


def _analyze(text: str) -> _Doc:
    urls = list(textlen.extract_urls(text))
    protected: list[tuple[int, int]] = [(s, e) for s, e, _ in urls]
    if "@" in text:
        protected += [m.span() for m in _MENTION.finditer(text)]
        protected += [m.span() for m in _EMAIL.finditer(text)]
    if "[" in text:
        protected += [m.span() for m in _PLACEHOLDER.finditer(text)]
    if "{{" in text:
        protected += [m.span() for m in _RAW_VARIABLE.finditer(text)]
    return _Doc(text=text, urls=urls, protected=protected)


def check(text: str, profile: Profile, *, context: CheckContext | None = None) -> list[Finding]:
    """Check a draft reply against a voice profile.

    Args:
        text: The draft as it would be sent.
        profile: The brand's voice profile.
        context: Platform, the message replied to, open issues, the template
            the draft started from, and so on; defaults to a public Mastodon
            reply with nothing else known.

    Returns:
        Findings sorted by ``(start, end)``.
    """
    ctx = context if context is not None else CheckContext()
    doc = _analyze(text)
    upset = _is_upset(ctx, profile)
    findings: list[Finding] = []
    for rule in _RULES:
        findings.extend(rule(doc, profile, ctx, upset))
    findings.sort(key=lambda f: (f.start, f.end, KINDS.index(f.kind), f.rule))
    return findings


def _is_upset(ctx: CheckContext, profile: Profile) -> bool:
    compound = ctx.reply_to_sentiment
    if compound is None and ctx.reply_to:
        compound = _reply_sentiment(ctx.reply_to)
    return compound is not None and compound <= profile.empathy.negative_threshold


@functools.lru_cache(maxsize=256)
def _reply_sentiment(reply_to: str) -> float | None:
    # The same message is re-checked on every keystroke of the reply.
    return sentiment.score(reply_to).compound


def _match_case(original: str, replacement: str) -> str:
    if replacement and original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def _phrase_findings(
    doc: _Doc,
    phrases: PhraseSet,
    *,
    kind: str,
    rule: str,
    severity: Severity,
    what: str,
) -> Iterator[Finding]:
    text = doc.text
    for start, end, index in phrases.finditer(text):
        if doc.is_protected(start, end):
            continue
        found = text[start:end]
        replacement = phrases.replacements[index] if index < len(phrases.replacements) else None
        fix = None
        if replacement == "":
            # Remove the word and one neighbouring space.
            s, e = start, end
            if e < len(text) and text[e] == " ":
                e += 1
            elif s > 0 and text[s - 1] == " ":
                s -= 1
            fix = Fix("", s, e, f"Remove “{found}”")
            message = f"{what} “{found}”: leave it out."
        elif replacement is not None:
            new = _match_case(found, replacement)
            fix = Fix(new, start, end, f"Replace with “{new}”")
            message = f"{what} “{found}”: say “{new}” instead."
        else:
            message = f"{what} “{found}”."
        yield Finding(kind, rule, severity, start, end, message, fix)


def _check_terms(doc: _Doc, profile: Profile, ctx: CheckContext, upset: bool) -> Iterator[Finding]:
    rules = profile.terms
    if not rules.enabled:
        return
    banned = list(
        _phrase_findings(
            doc,
            rules.banned,
            kind="term",
            rule="terms.banned",
            severity=rules.banned_severity,
            what="This brand does not say",
        )
    )
    yield from banned
    for f in _phrase_findings(
        doc,
        rules.discouraged,
        kind="term",
        rule="terms.discouraged",
        severity=rules.discouraged_severity,
        what="Better avoided:",
    ):
        if not any(b.start < f.end and f.start < b.end for b in banned):
            yield f


def _check_slang(doc: _Doc, profile: Profile, ctx: CheckContext, upset: bool) -> Iterator[Finding]:
    rules = profile.slang
    if rules.enabled:
        yield from _phrase_findings(
            doc,
            rules.words,
            kind="slang",
            rule="slang.words",
            severity=rules.severity,
            what="Slang this brand does not use:",
        )


def _emoji_spans(doc: _Doc, with_emoticons: bool) -> list[tuple[int, int]]:
    text = doc.text
    spans: list[tuple[int, int]] = []
    if not text.isascii():
        spans = [m.span() for m in _EMOJI.finditer(text)]
    if with_emoticons:
        spans += [m.span() for m in _EMOTICON.finditer(text) if not doc.is_protected(*m.span())]
        spans.sort()
    return spans


def _removal_fix(text: str, start: int, end: int, label: str) -> Fix:
    if start > 0 and text[start - 1] == " " and (end == len(text) or text[end] in " \n.,!?"):
        start -= 1
    elif end < len(text) and text[end] == " " and (start == 0 or text[start - 1] in " \n"):
        end += 1
    return Fix("", start, end, label)


def _check_emoji(doc: _Doc, profile: Profile, ctx: CheckContext, upset: bool) -> Iterator[Finding]:
    rules = profile.emoji
    if not rules.enabled:
        return
    spans = _emoji_spans(doc, rules.emoticons)
    if not spans:
        return
    text = doc.text
    flagged: set[tuple[int, int]] = set()
    if rules.policy == "forbid":
        for start, end in spans:
            flagged.add((start, end))
            yield Finding(
                "emoji",
                "emoji.policy",
                rules.severity,
                start,
                end,
                f"This brand does not use emoji (“{text[start:end]}”).",
                _removal_fix(text, start, end, "Remove the emoji"),
            )
        return
    if rules.policy == "limit" and len(spans) > rules.max:
        for start, end in spans[rules.max :]:
            flagged.add((start, end))
            yield Finding(
                "emoji",
                "emoji.max",
                rules.severity,
                start,
                end,
                f"More than {rules.max} emoji in one reply.",
                _removal_fix(text, start, end, "Remove the emoji"),
            )
    if not upset:
        return
    for start, end in spans:
        emoji = text[start:end]
        if (start, end) not in flagged and emoji.replace("\ufe0f", "") in {
            e.replace("\ufe0f", "") for e in rules.not_when_upset
        }:
            flagged.add((start, end))
            yield Finding(
                "emoji",
                "emoji.not_when_upset",
                rules.upset_severity,
                start,
                end,
                f"“{emoji}” can read as flippant to a customer who is upset.",
                _removal_fix(text, start, end, "Remove the emoji"),
            )
    if rules.max_when_upset is not None and len(spans) > rules.max_when_upset:
        for start, end in spans[rules.max_when_upset :]:
            if (start, end) in flagged:
                continue
            yield Finding(
                "emoji",
                "emoji.max_when_upset",
                rules.upset_severity,
                start,
                end,
                f"The customer is upset: keep to {rules.max_when_upset} emoji at most.",
                _removal_fix(text, start, end, "Remove the emoji"),
            )


def _check_exclamation(
    doc: _Doc, profile: Profile, ctx: CheckContext, upset: bool
) -> Iterator[Finding]:
    rules = profile.exclamation
    if not rules.enabled or ("!" not in doc.text and doc.text.isascii()):
        return
    text = doc.text
    runs = [m.span() for m in _EXCLAIM.finditer(text) if not doc.is_protected(*m.span())]
    allowed = 0 if rules.policy == "forbid" else rules.max if rules.policy == "limit" else len(runs)
    for number, (start, end) in enumerate(runs):
        run = text[start:end]
        if number >= allowed:
            replacement = "?" if "?" in run else "."
            if rules.policy == "forbid":
                message = "This brand does not use exclamation marks."
            else:
                message = f"More than {rules.max} exclamation mark(s) in one reply."
            yield Finding(
                "exclamation",
                "exclamation.policy" if rules.policy == "forbid" else "exclamation.max",
                rules.severity,
                start,
                end,
                message,
                Fix(replacement, start, end, f"Replace with “{replacement}”"),
            )
        elif not rules.repeated and len(run) > 1:
            replacement = "?" if "?" in run else "!"
            yield Finding(
                "exclamation",
                "exclamation.repeated",
                rules.severity,
                start,
                end,
                f"“{run}”: one mark is enough.",
                Fix(replacement, start, end, f"Replace with “{replacement}”"),
            )


def _check_shouting(
    doc: _Doc, profile: Profile, ctx: CheckContext, upset: bool
) -> Iterator[Finding]:
    rules = profile.shouting
    if not rules.enabled:
        return
    text = doc.text
    for m in _CAPS_WORD.finditer(text):
        word = m.group()
        if len(word) < rules.min_letters or not word.isupper() or word in rules.acronyms:
            continue
        if doc.is_protected(*m.span()):
            continue
        at_start = _SENTENCE_START.search(text, 0, m.start()) is not None
        new = word.capitalize() if at_start else word.lower()
        yield Finding(
            "shouting",
            "shouting.min_letters",
            rules.severity,
            m.start(),
            m.end(),
            f"“{word}” reads as shouting.",
            Fix(new, m.start(), m.end(), f"Replace with “{new}”"),
        )


@functools.lru_cache(maxsize=128)
def _signoff_regex(pattern: str, initials: str | None) -> re.Pattern[str]:
    value = re.escape(initials) if initials else r"[A-Z][A-Za-z]{0,3}"
    return re.compile(pattern.replace("{initials}", value), re.MULTILINE)


def _check_signoff(
    doc: _Doc, profile: Profile, ctx: CheckContext, upset: bool
) -> Iterator[Finding]:
    rules = profile.signoff
    if not rules.enabled or not rules.required:
        return
    text = doc.text
    body_end = len(text.rstrip())
    initials = (ctx.agent_initials or "").strip() or None
    regex = _signoff_regex(rules.pattern, initials)
    for m in regex.finditer(text):
        if not text[m.end() :].strip():
            return
    fix = None
    if initials:
        addition = rules.format.replace("{initials}", initials)
        fix = Fix(addition, body_end, len(text), f"Add “{addition.strip()}”")
        message = f"Sign off with your initials (“{addition.strip()}”)."
    else:
        message = "Sign off with your initials."
    yield Finding("sign-off", "signoff.required", rules.severity, body_end, body_end, message, fix)


_VOWELS = re.compile(r"[aeiouy]+")


def _syllables(word: str) -> int:
    word = word.lower().replace("’", "'").split("'")[0]
    if len(word) <= 3:
        return 1
    count = len(_VOWELS.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1
    if word.endswith("ed") and not word.endswith(("ted", "ded")) and count > 1:
        count -= 1
    return max(1, count)


def reading_grade(text: str) -> tuple[float, int]:
    """Return the Flesch-Kincaid grade level of ``text`` and its word count.

    URLs, @handles, email addresses and placeholders are left out. Sentences
    end at ``.``, ``!``, ``?``, ``…`` or a line break.

    Args:
        text: Any English text.

    Returns:
        ``(grade, words)``; the grade is 0.0 when there are no words.
    """
    return _reading_grade(_analyze(text))


def _reading_grade(doc: _Doc) -> tuple[float, int]:
    cleaned = doc.text
    for start, end in sorted(doc.protected, reverse=True):
        cleaned = cleaned[:start] + " " + cleaned[end:]
    words = _WORD.findall(cleaned)
    if not words:
        return 0.0, 0
    sentences = 0
    for chunk in re.split(r"(?<=[.!?…])\s+|\n+", cleaned):
        if _WORD.search(chunk):
            sentences += 1
    sentences = max(1, sentences)
    syllables = sum(_syllables(w) for w in words)
    grade = 0.39 * (len(words) / sentences) + 11.8 * (syllables / len(words)) - 15.59
    return round(grade, 1), len(words)


def _check_readability(
    doc: _Doc, profile: Profile, ctx: CheckContext, upset: bool
) -> Iterator[Finding]:
    rules = profile.readability
    if not rules.enabled or rules.max_grade is None:
        return
    grade, words = _reading_grade(doc)
    if words < rules.min_words or grade <= rules.max_grade:
        return
    yield Finding(
        "reading-level",
        "readability.max_grade",
        rules.severity,
        0,
        len(doc.text),
        f"Reading grade {grade:g} is above this brand's ceiling of {rules.max_grade:g}: "
        "try shorter sentences and plainer words.",
    )


def _check_empathy(
    doc: _Doc, profile: Profile, ctx: CheckContext, upset: bool
) -> Iterator[Finding]:
    rules = profile.empathy
    if not rules.enabled:
        return
    text = doc.text
    for start, end, index in rules.robotic.finditer(text):
        found = text[start:end]
        replacement = rules.robotic.replacements[index]
        fix = None
        if replacement:
            new = _match_case(found, replacement)
            fix = Fix(new, start, end, f"Replace with “{new}”")
        elif replacement == "":
            fix = _removal_fix(text, start, end, f"Remove “{found}”")
        yield Finding(
            "empathy",
            "empathy.robotic",
            rules.robotic_severity,
            start,
            end,
            f"“{found}” sounds like a machine, not a person.",
            fix,
        )
    if upset and text.strip() and not rules.acknowledge.search(text):
        lead = re.match(r"\s*(?:" + _HANDLE_RX + r"[\s,]*)*", text)
        insert_at = lead.end() if lead else 0
        first = re.search(r"[.!?…\n]", text[insert_at:])
        end = insert_at + first.end() if first else len(text)
        yield Finding(
            "empathy",
            "empathy.acknowledge",
            rules.severity,
            insert_at,
            end,
            "The customer is upset: acknowledge how they feel before anything else.",
            Fix(rules.fix + " ", insert_at, insert_at, f"Start with “{rules.fix}”")
            if rules.fix
            else None,
        )


_WS = re.compile(r"\s+")


def _check_stock_answer(
    doc: _Doc, profile: Profile, ctx: CheckContext, upset: bool
) -> Iterator[Finding]:
    rules = profile.stock_answer
    if not rules.enabled or not ctx.template_body:
        return
    draft = _WS.sub(" ", doc.text).strip().lower()
    template = _WS.sub(" ", ctx.template_body).strip().lower()
    if not draft or not template:
        return
    if draft == template:
        message = "This is the template word for word: make it about this customer."
    else:
        matcher = difflib.SequenceMatcher(None, draft, template, autojunk=False)
        if matcher.real_quick_ratio() < rules.min_similarity:
            return
        if matcher.quick_ratio() < rules.min_similarity:
            return
        ratio = matcher.ratio()
        if ratio < rules.min_similarity:
            return
        message = (
            f"This is {math.floor(ratio * 100)}% the template: "
            "make it about this customer and what they said."
        )
    yield Finding(
        "stock-answer",
        "stock_answer.min_similarity",
        rules.severity,
        0,
        len(doc.text),
        message,
    )


def _stem(word: str) -> str:
    word = word.lower().replace("’", "'")
    word = word.removesuffix("'s")
    for suffix, repl in (
        ("ies", "y"),
        ("ing", ""),
        ("edly", ""),
        ("ed", ""),
        ("ment", ""),
        ("ness", ""),
        ("ly", ""),
        ("es", ""),
        ("s", ""),
        ("er", ""),
        ("y", ""),
        ("e", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: len(word) - len(suffix)] + repl
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def _content_stems(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text) if len(w) > 2 and w.lower() not in _STOPWORDS}


def _stems_overlap(issue_stem: str, draft_stems: set[str]) -> bool:
    if issue_stem in draft_stems:
        return True
    if len(issue_stem) < 4:
        return False
    return any(
        len(d) >= 4 and (d.startswith(issue_stem) or issue_stem.startswith(d)) for d in draft_stems
    )


def _check_open_issues(
    doc: _Doc, profile: Profile, ctx: CheckContext, upset: bool
) -> Iterator[Finding]:
    rules = profile.open_issues
    if not rules.enabled or not ctx.open_issues:
        return
    draft_stems = _content_stems(doc.text)
    for issue in ctx.open_issues:
        keys = _content_stems(issue)
        if not keys:
            continue
        hits = sum(1 for k in keys if _stems_overlap(k, draft_stems))
        if hits >= max(1, math.floor(len(keys) * rules.min_share)):
            continue
        yield Finding(
            "unaddressed-issue",
            "open_issues.min_share",
            rules.severity,
            0,
            0,
            f"Open issue not addressed: “{issue.strip()}”.",
        )


def _check_deflection(
    doc: _Doc, profile: Profile, ctx: CheckContext, upset: bool
) -> Iterator[Finding]:
    rules = profile.deflection
    if not rules.enabled or rules.phrases.pattern is None:
        return
    matches = list(rules.phrases.finditer(doc.text))
    if not matches or rules.ownership.search(doc.text):
        return
    for start, end, _ in matches:
        yield Finding(
            "deflection",
            "deflection.phrases",
            rules.severity,
            start,
            end,
            "This sends the customer somewhere else without owning the problem: "
            "say what you will do (“I've passed this to our team and I'll update you”).",
        )


def _check_private_data(
    doc: _Doc, profile: Profile, ctx: CheckContext, upset: bool
) -> Iterator[Finding]:
    rules = profile.private_data
    if not rules.enabled or not ctx.public:
        return
    text = doc.text
    brand = _brand_domains(profile, ctx)
    url_spans = [(s, e) for s, e, _ in doc.urls]
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return not any(s < end and start < e for s, e in taken)

    found: list[tuple[int, int, str, str]] = []  # start, end, rule, what
    for label, pattern in rules.patterns:
        for m in pattern.finditer(text):
            if m.end() > m.start() and free(*m.span()):
                taken.append(m.span())
                found.append((m.start(), m.end(), f"private_data.patterns.{label}", label))
    if rules.order_number:
        for m in _ORDER.finditer(text):
            if free(*m.span()):
                taken.append(m.span())
                found.append((m.start(), m.end(), "private_data.order_number", "An order number"))
    if rules.email and "@" in text:
        for m in _EMAIL.finditer(text):
            domain = m.group().rsplit("@", 1)[1].lower()
            if _domain_allowed(domain, brand) or not free(*m.span()):
                continue
            taken.append(m.span())
            found.append((m.start(), m.end(), "private_data.email", "An email address"))
    if rules.street_address:
        for pattern, what in ((_STREET, "A street address"), (_POSTCODE, "A postcode")):
            for m in pattern.finditer(text):
                if free(*m.span()):
                    taken.append(m.span())
                    found.append((m.start(), m.end(), "private_data.street_address", what))
    if rules.phone:
        for m in _PHONE.finditer(text):
            digits = sum(c.isdigit() for c in m.group())
            span = m.span()
            inside_url = any(s < span[1] and span[0] < e for s, e in url_spans)
            if 9 <= digits <= 15 and not inside_url and free(*span):
                taken.append(span)
                found.append((span[0], span[1], "private_data.phone", "A phone number"))
    for start, end, rule, what in found:
        yield Finding(
            "private-data",
            rule,
            rules.severity,
            start,
            end,
            f"{what} in a public reply: move this to a direct message.",
            _removal_fix(text, start, end, "Remove it (ask by direct message instead)"),
        )


def _normalize_domain(domain: str) -> str:
    domain = domain.strip().lower().rstrip(".")
    if "://" in domain:
        domain = domain.split("://", 1)[1]
    domain = domain.split("/", 1)[0]
    return domain.removeprefix("www.")


def _brand_domains(profile: Profile, ctx: CheckContext) -> tuple[str, ...]:
    return profile.links.domains + tuple(_normalize_domain(d) for d in ctx.brand_domains)


def _domain_allowed(host: str, domains: Sequence[str]) -> bool:
    host = _normalize_domain(host)
    return any(host == d or host.endswith("." + d) for d in domains)


def _url_host(url: str) -> tuple[str, bool]:
    """Return the host of a URL and whether it surely is a link."""
    has_scheme = "://" in url
    rest = url.split("://", 1)[1] if has_scheme else url
    host = re.split(r"[/?#:]", rest, maxsplit=1)[0]
    tld = host.rsplit(".", 1)[-1]
    sure = has_scheme or host.lower().startswith("www.") or "/" in rest or tld.islower()
    return host.lower(), sure


def _check_links(doc: _Doc, profile: Profile, ctx: CheckContext, upset: bool) -> Iterator[Finding]:
    rules = profile.links
    if not rules.enabled or not doc.urls:
        return
    domains = _brand_domains(profile, ctx)
    if not domains:
        return  # nothing to compare with: the brand has not said which domains it uses
    for start, end, url in doc.urls:
        host, sure = _url_host(url)
        if not sure or _domain_allowed(host, domains):
            continue
        yield Finding(
            "link-domain",
            "links.domains",
            rules.severity,
            start,
            end,
            f"Link to {host}, which is not one of the brand's domains ({', '.join(domains)}).",
        )


def _check_length(doc: _Doc, profile: Profile, ctx: CheckContext, upset: bool) -> Iterator[Finding]:
    rules = profile.length
    if not rules.enabled or ctx.platform not in textlen.DEFAULT_LIMITS:
        return
    info = textlen.count(doc.text, ctx.platform, limit=ctx.limit)
    if not info.over:
        return
    start = textlen.fit_end(doc.text, ctx.platform, limit=ctx.limit)
    yield Finding(
        "length",
        "length",
        rules.severity,
        start,
        len(doc.text),
        f"{info.used - info.limit} over the limit of {info.limit} on {_PLATFORM_NAMES[ctx.platform]}"
        f" ({info.used} used).",
    )


_PLATFORM_NAMES: Final = {
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "x": "X",
    "demo": "the demo",
}


def _check_missing_variables(
    doc: _Doc, profile: Profile, ctx: CheckContext, upset: bool
) -> Iterator[Finding]:
    rules = profile.missing_variable
    if not rules.enabled:
        return
    text = doc.text
    spans: dict[tuple[int, int], str] = {}
    if "[" in text:
        for m in _PLACEHOLDER.finditer(text):
            spans[m.span()] = m.group(1)
    if "{{" in text:
        for m in _RAW_VARIABLE.finditer(text):
            spans[m.span()] = m.group(1)
    for missing in ctx.missing_variables:
        span = (missing.start, missing.end)
        if span not in spans and text[missing.start : missing.end] == f"[{missing.name}?]":
            spans[span] = missing.name
    for (start, end), name in spans.items():
        yield Finding(
            "missing-variable",
            "missing_variable",
            rules.severity,
            start,
            end,
            f"“{name}” has no value: type it in or remove it.",
        )


_RULES: Final = (
    _check_terms,
    _check_emoji,
    _check_exclamation,
    _check_shouting,
    _check_slang,
    _check_signoff,
    _check_readability,
    _check_empathy,
    _check_stock_answer,
    _check_open_issues,
    _check_deflection,
    _check_private_data,
    _check_links,
    _check_length,
    _check_missing_variables,
)

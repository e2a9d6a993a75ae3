"""What several voice rules need from a draft: entities, protected spans, shared helpers."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from console.core import textlen
from console.core.voice.model import CheckContext, Finding, Fix, Severity, _words
from console.core.voice.phrases import _HANDLE_RX, PhraseSet

if TYPE_CHECKING:
    from console.core.voice.profile import Profile

_MENTION = re.compile(r"(?<![\w@])" + _HANDLE_RX)
_EMAIL = re.compile(r"(?<![\w.+@-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PLACEHOLDER = re.compile(r"\[([A-Za-z_]\w*)\?\]")
_RAW_VARIABLE = re.compile(r"\{\{-?\s*([A-Za-z_]\w*)[^{}]*?-?\}\}")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_CAPS_WORD = re.compile(r"(?<![\w@#/.'’-])[^\W\d_]{2,}(?![\w'’-])")
_EXCLAIM = re.compile(r"[!?¡‼⁉]*[!¡‼⁉][!?¡‼⁉]*")
_SENTENCE_START = re.compile(r"(?:^|[.!?…]\s+|\n\s*)$")

try:
    import regex as _regex  # knows Extended_Pictographic

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


# Quoted text: the customer's words, not the brand's. Straight quotes need a
# non-word character outside them so that inch marks (12") and apostrophes
# do not open a quote; a quote is at most one paragraph.
_QUOTED = re.compile(
    r'(?<![\w"])"[^"\n]{2,400}"(?!\w)'
    r"|“[^”\n]{2,400}”"
    r"|„[^“”\n]{2,400}[“”]"
    r"|«[^»\n]{2,400}»"
    r"|(?<!\w)‘[^’\n]{2,400}’(?!\w)"
    r"|^[ \t]*>[^\n]*",
    re.MULTILINE,
)


@dataclass
class _Doc:
    """The draft plus what several rules need, computed once per check.

    Attributes:
        text: The draft.
        urls: ``(start, end, url)`` of each link.
        protected: Spans no wording rule looks at (links, handles, e-mail
            addresses, placeholders, quoted text).
        quoted: Spans of quoted text (also in ``protected``).
        own: The draft with quoted text blanked out (same indices): the
            brand's own words, for the rules that judge what the brand says.
    """

    text: str
    urls: list[tuple[int, int, str]]
    protected: list[tuple[int, int]]
    quoted: list[tuple[int, int]] = field(default_factory=list)
    own: str = ""
    language: str | None = None  # the draft's language, found when a rule needs it

    def is_protected(self, start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in self.protected)

    def is_quoted(self, start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in self.quoted)


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
    quoted: list[tuple[int, int]] = []
    own = text
    if any(q in text for q in '"“„«‘>'):
        quoted = [m.span() for m in _QUOTED.finditer(text)]
        for start, end in quoted:
            own = own[:start] + " " * (end - start) + own[end:]
        protected += quoted
    return _Doc(text=text, urls=urls, protected=protected, quoted=quoted, own=own or text)



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



def _removal_fix(text: str, start: int, end: int, label: str) -> Fix:
    if start > 0 and text[start - 1] == " " and (end == len(text) or text[end] in " \n.,!?"):
        start -= 1
    elif end < len(text) and text[end] == " " and (start == 0 or text[start - 1] in " \n"):
        end += 1
    return Fix("", start, end, label)


@functools.lru_cache(maxsize=128)
def _signoff_regex(pattern: str, initials: str | None) -> re.Pattern[str]:
    value = re.escape(initials) if initials else r"[A-Z][A-Za-z]{0,3}"
    return re.compile(pattern.replace("{initials}", value), re.MULTILINE)


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



"""The mechanical voice rules: words, emoji, punctuation, capitals, sign-off, reading level, links, length, variables."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from console.core import sentiment, textlen
from console.core.voice.model import CheckContext, Finding, Fix
from console.core.voice.profile import Profile
from console.core.voice.text import (
    _CAPS_WORD,
    _EMOJI,
    _EMOTICON,
    _EXCLAIM,
    _PLACEHOLDER,
    _RAW_VARIABLE,
    _SENTENCE_START,
    _WORD,
    _analyze,
    _brand_domains,
    _Doc,
    _domain_allowed,
    _phrase_findings,
    _removal_fix,
    _signoff_regex,
    _url_host,
)


def _check_terms(doc: _Doc, profile: Profile, ctx: CheckContext, upset: bool) -> Iterator[Finding]:
    rules = profile.terms
    if not rules.enabled:
        return
    allowed = [(s, e) for s, e, _ in rules.allowed.finditer(doc.text)]

    def other_sense(f: Finding) -> bool:
        return any(s <= f.start and f.end <= e for s, e in allowed)

    banned = [
        f
        for f in _phrase_findings(
            doc,
            rules.banned,
            kind="term",
            rule="terms.banned",
            severity=rules.banned_severity,
            what="This brand does not say",
        )
        if not other_sense(f)
    ]
    found = banned + [
        f
        for f in _phrase_findings(
            doc,
            rules.discouraged,
            kind="term",
            rule="terms.discouraged",
            severity=rules.discouraged_severity,
            what="Better avoided:",
        )
        if not any(b.start < f.end and f.start < b.end for b in banned) and not other_sense(f)
    ]
    # Asked only when something matched: telling the language costs more.
    if found and _english(doc):
        yield from found


def _check_slang(doc: _Doc, profile: Profile, ctx: CheckContext, upset: bool) -> Iterator[Finding]:
    rules = profile.slang
    if not rules.enabled:
        return
    found = list(
        _phrase_findings(
            doc,
            rules.words,
            kind="slang",
            rule="slang.words",
            severity=rules.severity,
            what="Slang this brand does not use:",
        )
    )
    if found and _english(doc):
        yield from found


def _english(doc: _Doc) -> bool:
    """Whether the draft is English (or too short to tell): the word lists
    of a profile are English, and Dutch "u" or Spanish "super" are not slang."""
    if doc.language is None:
        words = len(_WORD.findall(doc.own))
        doc.language = "en" if words < 4 else sentiment.detect_language(doc.own)
    return doc.language in ("en", "und", "zxx")


def _emoji_spans(doc: _Doc, with_emoticons: bool) -> list[tuple[int, int]]:
    text = doc.text
    spans: list[tuple[int, int]] = []
    if not text.isascii():
        # Emoji inside quoted customer text are theirs, not the brand's.
        spans = [m.span() for m in _EMOJI.finditer(doc.own)]
    if with_emoticons:
        spans += [m.span() for m in _EMOTICON.finditer(text) if not doc.is_protected(*m.span())]
        spans.sort()
    return spans


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
        elif not rules.repeated and run.count("!") + run.count("‼") * 2 > 1:
            # "!!" is too much; "?!" is a question with feeling, not a repeat.
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
    # The brand's own, courier and partner names are written as they are.
    names = {w.upper() for n in ctx.brand_names for w in _WORD.findall(n)}
    capitals = [m for m in _CAPS_WORD.finditer(text) if m.group().isupper()]
    run_of: dict[int, int] = {}  # start of a word -> words in its run of capitals
    run: list[re.Match[str]] = []
    for m in capitals + [None]:
        if m is not None and run and not text[run[-1].end() : m.start()].strip():
            run.append(m)
            continue
        for r in run:
            run_of[r.start()] = len(run)
        run = [m] if m is not None else []
    for m in capitals:
        word = m.group()
        if len(word) < rules.min_letters or word in rules.acronyms:
            continue
        if run_of.get(m.start(), 1) < rules.min_run:
            continue  # a word in capitals now and then is this brand's fun
        if word in names:
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
    name = _PLATFORM_NAMES[ctx.platform]
    if info.used > info.limit:
        message = f"{info.used - info.limit} over the limit of {info.limit} on {name} ({info.used} used)."
    else:
        # Within the characters but not the bytes (emoji sequences are long).
        message = (
            f"{(info.bytes_used or 0) - (info.byte_limit or 0):,} bytes over {name}'s limit of "
            f"{info.byte_limit:,} bytes ({info.bytes_used:,} used in {info.used} characters)."
        )
    yield Finding("length", "length", rules.severity, start, len(doc.text), message)


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



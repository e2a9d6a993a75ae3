"""Brand-voice checks: a profile's rules run over a draft reply, giving findings.

A voice profile is a TOML file a social media manager can read and edit (see
``resources/voice/*.toml`` for two commented examples). `load_profile` reads
one, `check` runs it over a draft. Checking is pure: the same text, profile and
`CheckContext` always give the same findings, sorted by position, and every
regular expression is compiled once, when the profile is loaded.

Each `Finding` has a ``kind`` (the families below), a ``rule`` naming the
profile setting that fired (``"terms.banned"``), a severity, a span of the
draft (Python ``str`` indices, ``text[start:end]``), a message, and a `Fix`
when the change is mechanical.

Severity policy: ``error`` is only for what the platform or the customer's
safety cannot accept: over the length or byte limit, a leftover template
variable, the customer's private data posted in public (`ERROR_KINDS`).
Everything that is judgement is a ``warning`` or a ``suggestion`` (the info
level, "Tip:" in the composer), whatever a profile asks: `check` caps it.

=================  ==================================================  ============
kind               fires on                                            default
=================  ==================================================  ============
term               banned / discouraged words ([terms])                warning
emoji              emoji policy, emoji to an upset customer ([emoji])  warning
exclamation        "!" policy, "!!" ([exclamation])                    warning
shouting           WORDS IN CAPITALS that are not acronyms             warning
slang              "lol", "gonna" for a formal brand ([slang])         warning
sign-off           required sign-off missing ([signoff])               warning
reading-level      Flesch-Kincaid grade over the ceiling               suggestion
empathy            upset customer not acknowledged; robotic phrases;   warning
                   a mood that cannot be read ("read the message")     suggestion
stock-answer       template sent unedited or barely edited             warning
unaddressed-issue  a checklist issue not answered (by meaning); with   warning
                   no checklist, an issue of the customer's message
                   left out while another is answered or the
                   customer is sent elsewhere
deflection         "contact our support team" without owning it; "DM   warning
                   us" with no reason; another platform's account
private-data       email, phone, order number, address in public       error
                   (the brand's own are allowed); asking for them in   warning
                   public
link-domain        link to a domain the brand does not use             warning
length             over the platform's limit                           error
missing-variable   a ``[name?]`` placeholder or ``{{ name }}`` left    error
=================  ==================================================  ============

Every section of a profile may set ``severity`` (and ``enabled = false``);
a judgement rule set to ``error`` is reported as a ``warning``.

Text the draft quotes (the customer's words in quotation marks, or lines
starting with ``>``) is not judged as the brand's wording.

Phrase lists (terms, slang, empathy, deflection) use a small pattern syntax so
that nobody has to write regular expressions: matching ignores case and
spacing; ``*`` at the end of a word matches any ending (``apolog*``); ``@``
on its own matches any @handle; ``(a|b)`` matches one of several words, and
``(a|b|)`` (empty choice) makes them optional; ``re:`` starts a raw regular
expression for experts.
"""

from __future__ import annotations

from typing import Final

from console.core import sentiment
from console.core.voice.issues import extract_issues, issue_answered
from console.core.voice.judgement import (
    _check_deflection,
    _check_empathy,
    _check_open_issues,
    _check_private_data,
    _check_stock_answer,
    mood_of,
)
from console.core.voice.model import (
    ERROR_KINDS,
    KINDS,
    SEVERITIES,
    CheckContext,
    Finding,
    Fix,
    ProfileError,
    Severity,
)
from console.core.voice.phrases import PhraseSet, phrase_regex
from console.core.voice.profile import (
    DEFAULT_ACKNOWLEDGE,
    DEFAULT_ACRONYMS,
    DEFAULT_DEFLECTION,
    DEFAULT_OWNERSHIP,
    DEFAULT_ROBOTIC,
    Profile,
    load_profile,
    load_profiles,
    loads_profile,
    parse_profile,
)
from console.core.voice.style import (
    _check_emoji,
    _check_exclamation,
    _check_length,
    _check_links,
    _check_missing_variables,
    _check_readability,
    _check_shouting,
    _check_signoff,
    _check_slang,
    _check_terms,
    reading_grade,
)
from console.core.voice.text import _analyze

__all__ = [
    "DEFAULT_ACKNOWLEDGE", "DEFAULT_ACRONYMS", "DEFAULT_DEFLECTION", "DEFAULT_OWNERSHIP",
    "DEFAULT_ROBOTIC", "ERROR_KINDS", "KINDS", "SEVERITIES", "CheckContext", "Finding", "Fix",
    "PhraseSet", "Profile", "ProfileError", "Severity", "check", "extract_issues",
    "issue_answered", "load_profile", "load_profiles", "loads_profile", "mood_of",
    "parse_profile", "phrase_regex", "reading_grade",
]

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


def check(text: str, profile: Profile, *, context: CheckContext | None = None) -> list[Finding]:
    """Check a draft reply against a voice profile.

    Args:
        text: The draft as it would be sent.
        profile: The brand's voice profile.
        context: Platform, the message replied to, open issues, the template
            the draft started from, the brand's allowlists, and so on;
            defaults to a public Mastodon reply with nothing else known.

    Returns:
        Findings sorted by ``(start, end)``; only `ERROR_KINDS` are errors.
    """
    ctx = context if context is not None else CheckContext()
    doc = _analyze(text)
    mood = mood_of(ctx)
    upset = mood.compound is not None and mood.compound <= profile.empathy.negative_threshold
    findings: list[Finding] = []
    for rule in _RULES:
        for finding in rule(doc, profile, ctx, upset):
            if finding.severity == "error" and finding.kind not in ERROR_KINDS:
                # Judgement never blocks approval (see the severity policy).
                finding = Finding(finding.kind, finding.rule, "warning", finding.start,
                                  finding.end, finding.message, finding.fix)
            findings.append(finding)
    findings.sort(key=lambda f: (f.start, f.end, KINDS.index(f.kind), f.rule))
    return findings


def upset_score(message: str) -> sentiment.Sentiment:
    """The mood the checker reads in a customer's message (the inbox uses the same)."""
    return mood_of(CheckContext(reply_to=message))

"""Findings, fixes and the check context: the data the voice checker works with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from console.core.errors import KnownError
from console.core.templates import MissingVariable

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


#: The only kinds that may be errors: what the platform or the customer's
#: safety cannot accept. Every other kind is judgement: warning at most.
ERROR_KINDS: Final = frozenset({"length", "missing-variable", "private-data"})


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
        brand_phones: The brand's own phone numbers (workspace setting
            ``brand.phones``): never flagged as private data.
        brand_names: The brand's own, courier and partner names (setting
            ``brand.names``): never shouting, never another platform.
        brand_addresses: The brand's own addresses (``brand.addresses``).
        derive_issues: When there is no open checklist item, take the
            issues from the customer's message instead (`extract_issues`).
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
    brand_phones: Sequence[str] = ()
    brand_names: Sequence[str] = ()
    brand_addresses: Sequence[str] = ()
    derive_issues: bool = True



"""SQL fragments built from the case rules in ``core/rules.py`` (so the rules live once)."""

from __future__ import annotations

from collections.abc import Iterable

from console.core.models import CaseStatus
from console.core.rules import NEGATIVE_MOOD, POSITIVE_MOOD


def _literal(status: CaseStatus) -> str:
    # Enum values are fixed identifiers, never user input: inlining them keeps the
    # statements identical to the hand-written ones (same plans, same indexes).
    value = CaseStatus(status).value
    assert value.isidentifier()
    return f"'{value}'"


def status_in(column: str, statuses: Iterable[CaseStatus]) -> str:
    """``column IN ('new', 'open')`` for a status set from the rules."""
    return f"{column} IN ({', '.join(_literal(s) for s in statuses)})"


def status_not_in(column: str, statuses: Iterable[CaseStatus]) -> str:
    return f"{column} NOT IN ({', '.join(_literal(s) for s in statuses)})"


def mood_is(column: str, mood: str) -> str:
    """The condition on a sentiment column that ``rules.mood_of`` calls ``mood``."""
    return {
        "negative": f"{column} <= {NEGATIVE_MOOD!r}",
        "positive": f"{column} >= {POSITIVE_MOOD!r}",
        "neutral": f"{column} > {NEGATIVE_MOOD!r} AND {column} < {POSITIVE_MOOD!r}",
        "unknown": f"{column} IS NULL",
    }[mood]

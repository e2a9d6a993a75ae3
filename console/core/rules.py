"""Case rules, once: which status may follow which, which count as open, the mood bands."""

from __future__ import annotations

from typing import Literal

from console.core.models import CaseStatus

#: The ball is in our court: a case in one of these with a waiting customer needs a reply.
OPEN_STATUSES: tuple[CaseStatus, ...] = (CaseStatus.NEW, CaseStatus.OPEN)
#: The work is done; a customer writing again reopens the case (or opens a new one).
FINISHED_STATUSES: tuple[CaseStatus, ...] = (CaseStatus.RESOLVED, CaseStatus.CLOSED)
#: Everything not finished: the backlog, and what "Mine" shows.
UNFINISHED_STATUSES: tuple[CaseStatus, ...] = tuple(
    s for s in CaseStatus if s not in FINISHED_STATUSES)

#: Which status may follow which.  Reopening is explicit: resolved/closed -> open.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.NEW: frozenset({CaseStatus.OPEN, CaseStatus.WAITING, CaseStatus.RESOLVED,
                               CaseStatus.CLOSED}),
    CaseStatus.OPEN: frozenset({CaseStatus.WAITING, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.WAITING: frozenset({CaseStatus.OPEN, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.OPEN, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset({CaseStatus.OPEN}),
}


def can_move(current: CaseStatus | str, target: CaseStatus | str) -> bool:
    """Whether a person may move a case from ``current`` to ``target``."""
    return CaseStatus(target) in TRANSITIONS[CaseStatus(current)]


Mood = Literal["negative", "neutral", "positive", "unknown"]

#: VADER's recommended thresholds on the compound score (-1..1); the inbox filter, the
#: case panel, the mood chart and the reports all band scores with these.
NEGATIVE_MOOD = -0.05
POSITIVE_MOOD = 0.05


def mood_of(score: float | None) -> Mood:
    """The band of a sentiment score; ``None`` (not judged) is ``"unknown"``."""
    if score is None:
        return "unknown"
    if score <= NEGATIVE_MOOD:
        return "negative"
    if score >= POSITIVE_MOOD:
        return "positive"
    return "neutral"

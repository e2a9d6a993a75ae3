"""The values the store takes and hands out: filters, views, hits, the inbox sort key."""

from __future__ import annotations

from dataclasses import dataclass, field

from console.core.changes import Changes
from console.core.ids import AccountId, CaseId, MessageId
from console.core.models import CaseStatus, Message

# The inbox is ordered by how long the customer has waited: cases waiting for a
# reply come first, longest wait first; the rest follow, most recent activity
# first.  Both orders are folded into one integer so one index serves them.
_NOT_WAITING_BASE = 8_000_000_000


def sort_key_for(waiting_since: int | None, last_activity_at: int,
                 followup_due_at: int | None = None) -> int:
    if followup_due_at is not None:  # a due follow-up comes before everything else
        return followup_due_at - 2 * _NOT_WAITING_BASE
    if waiting_since is not None:
        return waiting_since
    return _NOT_WAITING_BASE + (_NOT_WAITING_BASE - 1 - last_activity_at)


class View:
    """The inbox's named views."""

    NEEDS_REPLY = "needs_reply"
    MINE = "mine"
    WAITING = "waiting"
    RESOLVED = "resolved"
    ALL = "all"
    SNOOZED = "snoozed"

    ALL_VIEWS = (NEEDS_REPLY, MINE, WAITING, RESOLVED, ALL, SNOOZED)
    LABELS = {
        NEEDS_REPLY: "Needs reply",
        MINE: "Mine",
        WAITING: "Waiting on customer",
        RESOLVED: "Resolved",
        ALL: "All",
        SNOOZED: "Snoozed",
    }


@dataclass(frozen=True)
class CaseFilter:
    """Which cases an inbox page holds."""

    view: str = View.ALL
    account_id: AccountId | None = None
    status: CaseStatus | None = None
    owner: str | None = None
    sentiment: str | None = None  # "negative" | "positive" | "neutral" | "unknown"
    order: str = "waiting"  # "waiting" (longest wait first) or "mood" (unhappiest first)


@dataclass(frozen=True)
class SearchHit:
    message: Message
    case_id: CaseId | None


@dataclass
class IngestResult:
    changes: Changes
    new_message_ids: list[MessageId] = field(default_factory=list)
    case_ids: set[CaseId] = field(default_factory=set)
    opened_case_ids: set[CaseId] = field(default_factory=set)

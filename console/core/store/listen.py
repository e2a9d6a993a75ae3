"""Teammates' changes as they happen: LISTEN on the team server's ``cc_changes`` channel.

One connection of its own per app, read on a background thread: ``wait`` returns the
changes that arrived (at most ``timeout`` seconds later), already turned into the
``Changes`` a window applies, so it re-reads only the cases that changed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg

from console.core.changes import Changes
from console.core.errors import StorageError
from console.core.store.pg import redact

log = logging.getLogger(__name__)

CHANNEL = "cc_changes"


@dataclass(frozen=True)
class TeamChange:
    """What one teammate's app changed (one notice)."""

    table: str
    case_id: int | None
    by: str  # the member's name ('' for the server's owner)
    pid: int  # the server process of the connection that changed it
    state: str | None = None  # a reply's state


@dataclass
class TeamChanges:
    """What arrived in one wait: the ``Changes`` to apply, and who is drafting where."""

    changes: Changes = field(default_factory=Changes)
    drafting: dict[int, set[str]] = field(default_factory=dict)  # case id -> members
    notices: list[TeamChange] = field(default_factory=list)


def parse(payload: str) -> TeamChange | None:
    """A notice's payload, or ``None`` for one this version does not know (logged)."""
    try:
        data = json.loads(payload)
        case = data.get("case")
        return TeamChange(table=str(data["t"]), case_id=int(case) if case is not None else None,
                          by=str(data.get("by") or ""), pid=int(data.get("pid") or 0),
                          state=data.get("state"))
    except (ValueError, KeyError, TypeError):
        log.warning("ignored a malformed team notice: %.200r", payload)
        return None


def summarize(notices: Iterable[TeamChange], *, own_pids: set[int]) -> TeamChanges:
    """Fold notices into one refresh; a teammate's draft keystrokes only mark presence."""
    out = TeamChanges()
    cases: set[int] = set()
    replies = False
    any_case = False
    for n in notices:
        out.notices.append(n)
        if n.pid in own_pids:
            continue  # our own write: already on screen
        if n.table == "replies" and n.state == "draft":
            if n.case_id is not None:
                out.drafting.setdefault(n.case_id, set()).add(n.by)
            continue
        any_case = True
        replies = replies or n.table == "replies"
        if n.case_id is not None:
            cases.add(n.case_id)
    if any_case:
        out.changes = Changes(cases=True, replies=replies, messages=True,
                              case_ids=frozenset(cases))
    return out


class ChangeListener:
    """A LISTEN connection to the team server (``close`` it when the window closes)."""

    def __init__(self, url: str, *, password: str | None = None) -> None:
        kwargs: dict[str, Any] = {"autocommit": True, "connect_timeout": 10,
                                  "application_name": "community-console listen"}
        if password:
            kwargs["password"] = password
        try:
            self._conn = psycopg.connect(url, **kwargs)
            self._conn.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error as exc:
            raise StorageError(f"Cannot follow the team server {redact(url)}: "
                               f"{str(exc).strip()}", "io") from exc

    def wait(self, timeout: float, *, own_pids: set[int] | None = None) -> TeamChanges:
        """The changes that arrive within ``timeout`` seconds (returns at the first burst).

        Raises:
            StorageError: the connection to the server was lost.
        """
        notices: list[TeamChange] = []
        try:
            for note in self._conn.notifies(timeout=timeout, stop_after=1):
                parsed = parse(note.payload)
                if parsed is not None:
                    notices.append(parsed)
            # Drain what came with it: one refresh for a burst (a sync's many cases).
            for note in self._conn.notifies(timeout=0.05):
                parsed = parse(note.payload)
                if parsed is not None:
                    notices.append(parsed)
        except psycopg.Error as exc:
            raise StorageError(f"Lost the team server ({str(exc).strip()}).", "io") from exc
        return summarize(notices, own_pids=own_pids or set())

    def close(self) -> None:
        self._conn.close()

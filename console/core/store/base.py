"""The connection every store part shares, with settings and the case timeline primitives."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from console.core import settings as settings_mod
from console.core import timeutil
from console.core.changes import Changes
from console.core.errors import KnownError, NotFoundError
from console.core.ids import CaseId
from console.core.models import CaseStatus
from console.core.rules import OPEN_STATUSES
from console.core.store.guard import explained
from console.core.store.model import sort_key_for
from console.core.store.rows import _json


class StoreBase:
    """One workspace connection (``db``); the parts below add intent-named methods to it."""

    def __init__(self, db: Database, path: Path | None, *, read_only: bool = False,
                 dialect: str = "sqlite") -> None:
        self.db = db
        self.path = path
        self.read_only = read_only
        # "sqlite" (a laptop workspace file) or "postgres" (a team server, see store/pg.py).
        self.dialect = dialect
        self.server: str | None = None  # the team server's address, without a password
        self._me: str | None = None

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One transaction (a savepoint when nested); a commit that fails is explained."""
        with explained(self.path), self.db.atomic():
            yield

    def get_setting(self, name: str) -> Any:
        row = self.db.execute("SELECT value FROM settings WHERE name = ?", [name]).fetchone()
        if row is None:
            return settings_mod.default(name)
        return json.loads(row[0])

    def set_setting(self, name: str, value: Any) -> Changes:
        """Set a setting, checked against its declared type.

        Raises:
            KnownError: an unknown setting or a value of the wrong shape.
        """
        value = settings_mod.validate(name, value)
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO settings (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                [name, json.dumps(value)],
            )
        if name in ("user.name", "team.roster"):
            self._me = None
        return Changes(settings=True)

    @property
    def me(self) -> str:
        """The local user: owner of new cases and actor of local changes.

        The roster's person marked as me, else ``user.name``, else the login name.
        """
        if self._me is None and self.dialect == "postgres":
            # On a team server each person connects as themselves: their member name.
            member = str(self.db.conn.execute("SELECT cc_member_name()").fetchone()[0])
            self._me = member or None
        if self._me is None:
            marked = [p["name"] for p in self.roster() if p.get("me")]
            self._me = marked[0] if marked else str(
                self.get_setting("user.name") or settings_mod.default("user.name"))
        return self._me

    def add_team_member(self, role: str, name: str, *, may_reassign: bool = False) -> Changes:
        """Make the PostgreSQL login ``role`` the team member ``name`` (team server only).

        Run by the workspace's owner: grants the role the workspace (``cc_team``) and adds
        ``name`` to the roster.  ``may_reassign`` lets them hand cases to others.

        Raises:
            KnownError: not a team server, or the role does not exist.
        """
        if self.dialect != "postgres":
            raise KnownError("Members are a team server's: a laptop workspace has one user.")
        if not self.db.conn.execute("SELECT 1 FROM pg_roles WHERE rolname = ?",
                                    [role]).fetchone():
            raise KnownError(f"There is no login role {role!r} on the server: create it first "
                             f"(CREATE ROLE {role} LOGIN PASSWORD '...').")
        with self.db.atomic():
            self.db.conn.execute(
                "INSERT INTO team_members (role_name, member_name, may_reassign) "
                "VALUES (?, ?, ?) ON CONFLICT (role_name) DO UPDATE SET "
                "member_name = excluded.member_name, may_reassign = excluded.may_reassign",
                [role, name, bool(may_reassign)])
            ident = role.replace('"', '""')
            self.db.conn.execute(f'GRANT cc_team TO "{ident}"')
        roster = self.roster()
        if not any(p["name"].casefold() == name.casefold() for p in roster):
            self.set_setting("team.roster", [*roster, {"name": name}])
        return Changes(settings=True)

    def roster(self) -> list[dict[str, Any]]:
        """The team: ``{"name", "handle", "me"}`` each, as set in ``team.roster``."""
        value = self.get_setting("team.roster") or []
        return [p for p in value if isinstance(p, dict) and p.get("name")]

    def team(self) -> list[str]:
        """Who may own a case: the roster's names (just you while there is no roster)."""
        names = [str(p["name"]) for p in self.roster()]
        return names or [self.me]

    def _new_ids(self, table: str, expected: int = 0) -> Iterator[int]:
        """Unused ids, in rising order, for the rows a batch inserts into ``table``.

        SQLite: the ones after the largest (the writer holds the write lock).  A team
        server: from the table's identity sequence, so teammates' batches never collide;
        ``expected`` of them are taken in one round trip, any more one at a time, and ids
        a batch does not use are skipped (gaps, never duplicates).
        """
        if self.dialect == "postgres":
            if expected > 0:
                yield from sorted(int(r[0]) for r in self.db.conn.execute(
                    f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
                    "FROM generate_series(1, ?)", [expected]))
            while True:
                yield int(self.db.conn.execute(
                    f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))").fetchone()[0])
        yield from itertools.count(int(self.db.conn.execute(
            f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0]))

    def _case_state(self, case_id: CaseId) -> dict[str, Any]:
        row = self.db.conn.execute(
            "SELECT id, contact_id, status, owner, waiting_since, last_activity_at, merged_into "
            "FROM cases WHERE id = ?", [case_id]).fetchone()
        if row is None:
            raise NotFoundError(f"There is no case #{case_id}.")
        keys = ("id", "contact_id", "status", "owner", "waiting_since", "last_activity_at",
                "merged_into")
        state = dict(zip(keys, row))
        state["status"] = CaseStatus(state["status"])
        return state

    def _event(self, case_id: int, kind: str, *, actor: str | None = None,
               before: Any = None, after: Any = None, detail: dict[str, Any] | None = None,
               at: dt.datetime | None = None) -> int:
        cur = self.db.conn.execute(
            "INSERT INTO case_events (case_id, at, actor, kind, before, after, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [case_id, timeutil.to_epoch(at or timeutil.now()), actor or self.me, kind,
             None if before is None else str(before), None if after is None else str(after),
             _json(detail)])
        return int(cur.lastrowid or 0)

    def _customer_waiting_since(self, case_id: int) -> int | None:
        """When the customer started waiting: their first message after our last answer.

        An answer is a sent reply (an outbound message) or a queued one (approved or
        being sent, from its approval on); ``None`` when the customer's latest message
        has one after it. Derived from the messages, never from the status history,
        so resolving and reopening cannot lose a waiting customer.
        """
        conn = self.db.conn
        answered = conn.execute(
            "SELECT max(t) FROM (SELECT max(m.created_at) AS t FROM case_messages cm "
            "JOIN messages m ON m.id = cm.message_id WHERE cm.case_id = ? AND m.direction = 'out' "
            "UNION ALL SELECT max(coalesce(approved_at, updated_at)) FROM replies "
            "WHERE case_id = ? AND state IN ('approved', 'sending')) AS answers",
            [case_id, case_id]).fetchone()[0]
        row = conn.execute(
            "SELECT min(m.created_at) FROM case_messages cm JOIN messages m ON m.id = cm.message_id "
            "WHERE cm.case_id = ? AND m.direction = 'in' AND m.created_at > ?",
            [case_id, answered if answered is not None else -(2 ** 62)]).fetchone()
        return None if row[0] is None else int(row[0])

    def _rederive_waiting(self, case_id: int) -> None:
        """Re-derive ``waiting_since`` after replies or status changed (open cases only)."""
        status = CaseStatus(self.db.conn.execute("SELECT status FROM cases WHERE id = ?",
                                                 [case_id]).fetchone()[0])
        waiting = self._customer_waiting_since(case_id) if status in OPEN_STATUSES else None
        self._touch(case_id, 0, waiting_since=waiting)

    def _touch(self, case_id: int, at: int, *, waiting_since: Any = ...,
               followup_due_at: Any = ...) -> None:
        row = self.db.conn.execute(
            "SELECT waiting_since, last_activity_at, followup_due_at FROM cases WHERE id = ?",
            [case_id]).fetchone()
        waiting = row[0] if waiting_since is ... else waiting_since
        due = row[2] if followup_due_at is ... else followup_due_at
        last = max(row[1], at)
        self.db.conn.execute(
            "UPDATE cases SET waiting_since = ?, last_activity_at = ?, followup_due_at = ?, "
            "sort_key = ? WHERE id = ?",
            [waiting, last, due, sort_key_for(waiting, last, due), case_id])

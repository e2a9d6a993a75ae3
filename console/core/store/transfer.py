"""Move a workspace between a laptop file and a team server, streaming, resumable, once.

``copy_workspace_rows`` reads each table in key order, a batch at a time (memory stays
flat whatever the size), and writes each batch in its own transaction with
"insert unless present", so an interrupted move is resumed by running it again: it
starts after the last row the target holds and never duplicates one.  Rows keep their
ids, so every reference (a message's case, a reply's template) stays right.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from console.core.errors import KnownError
from console.core.store.facade import Store

BATCH = 1000

# In reference order; (table, key columns, self-referencing columns filled in a last pass).
TABLES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("settings", ("name",), ()),
    ("accounts", ("id",), ()),
    ("contacts", ("id",), ("merged_into",)),
    ("contact_handles", ("id",), ()),
    ("templates", ("id",), ()),
    ("messages", ("id",), ()),
    ("cases", ("id",), ("merged_into",)),
    ("case_messages", ("message_id",), ()),
    ("case_accounts", ("case_id", "account_id"), ()),
    ("case_events", ("id",), ()),
    ("notes", ("id",), ()),
    ("checklist_items", ("id",), ()),
    ("replies", ("id",), ()),
    ("contact_evidence", ("platform", "handle", "kind", "value"), ()),
    ("contact_links", ("id",), ()),
    ("contact_link_dismissals", ("a", "b"), ()),
)

# Where a move records whose rows the target holds (a settings row no setting reads).
ORIGIN = "_transfer.origin"
DONE = "_transfer.done"


@dataclass
class TransferProgress:
    table: str
    rows: int  # rows of this table copied so far in this run
    total: int  # rows of this table in the source
    read: int = 0  # rows of this table read so far in this run


def fingerprint(store: Store) -> str:
    """What identifies a workspace across copies: its first account and when it was made."""
    row = store.db.conn.execute(
        "SELECT platform, handle, created_at FROM accounts ORDER BY id LIMIT 1").fetchone()
    first = store.db.conn.execute("SELECT at, actor FROM case_events ORDER BY id LIMIT 1"
                                  ).fetchone()
    text = repr((tuple(row) if row else None, tuple(first) if first else None))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _columns(store: Store, table: str) -> list[str]:
    cur = store.db.conn.execute(f"SELECT * FROM {table} LIMIT 0")
    return [d[0] for d in cur.description]


def _setting_row(store: Store, name: str) -> str | None:
    row = store.db.conn.execute("SELECT value FROM settings WHERE name = ?", [name]).fetchone()
    return None if row is None else str(row[0])


def _holds_anything(store: Store) -> bool:
    return any(store.db.conn.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone()
               for t in ("accounts", "messages", "cases"))


def _batches(store: Store, table: str, columns: Sequence[str], key: Sequence[str],
             after: Sequence[Any] | None) -> Iterator[list[tuple[Any, ...]]]:
    """The table's rows in key order after ``after``, ``BATCH`` at a time (keyset paging)."""
    cols = ", ".join(columns)
    order = ", ".join(key)
    tuple_key = f"({order})" if len(key) > 1 else key[0]
    marks = f"({', '.join('?' * len(key))})" if len(key) > 1 else "?"
    positions = [columns.index(k) for k in key]
    while True:
        if after is None:
            rows = store.db.conn.execute(
                f"SELECT {cols} FROM {table} ORDER BY {order} LIMIT ?", [BATCH]).fetchall()
        else:
            rows = store.db.conn.execute(
                f"SELECT {cols} FROM {table} WHERE {tuple_key} > {marks} ORDER BY {order} "
                "LIMIT ?", [*after, BATCH]).fetchall()
        if not rows:
            return
        yield [tuple(r) for r in rows]
        if len(rows) < BATCH:
            return
        after = [rows[-1][i] for i in positions]


def _last_key(store: Store, table: str, key: Sequence[str]) -> list[Any] | None:
    row = store.db.conn.execute(
        f"SELECT {', '.join(key)} FROM {table} ORDER BY "
        f"{', '.join(k + ' DESC' for k in key)} LIMIT 1").fetchone()
    return None if row is None else list(row)


def copy_workspace_rows(source: Store, target: Store, *,
                        progress: Callable[[TransferProgress], None] | None = None,
                        cancelled: Callable[[], bool] | None = None) -> dict[str, int]:
    """Copy every row of ``source`` into ``target`` (a laptop file or a team server).

    Returns the rows copied per table in this run (0 for a table already complete).

    Raises:
        KnownError: the target holds another workspace's data (move into an empty one,
            or exchange case logs with ``import`` instead).
    """
    origin = fingerprint(source)
    held = _setting_row(target, ORIGIN)
    if held is None and _holds_anything(target):
        raise KnownError(
            "The target already holds a workspace of its own: a move goes into an empty one "
            "(or resumes one into the same place). To combine two workspaces, export a case "
            "log from one and import it into the other.")
    if held is not None and held != origin:
        raise KnownError("The target holds a copy of another workspace; nothing was copied.")
    with target.atomic():
        target.db.conn.execute(
            "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
            [ORIGIN, origin])
    copied: dict[str, int] = {}
    for table, key, deferred in TABLES:
        wanted = set(_columns(target, table))  # read once, not once per column
        columns = [c for c in _columns(source, table) if c in wanted]
        total = int(source.db.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        done = read = 0
        after = _last_key(target, table, key) if table != "settings" else None
        insert = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                  f"({', '.join('?' * len(columns))}) ON CONFLICT DO NOTHING")
        blank = [columns.index(c) for c in deferred]
        for rows in _batches(source, table, columns, key, after):
            if cancelled is not None and cancelled():
                raise KnownError("The move was cancelled; run it again to resume where it "
                                 "stopped (nothing is copied twice).")
            if table == "settings":
                rows = [r for r in rows if not str(r[0]).startswith("_transfer.")]
            if blank:
                rows = [tuple(None if i in blank else v for i, v in enumerate(r)) for r in rows]
            with target.atomic():
                cur = target.db.conn.executemany(insert, rows)
            # Rows the target held already (settings, a resumed batch) are not counted.
            done += max(cur.rowcount, 0)
            read += len(rows)
            if progress is not None:
                progress(TransferProgress(table, done, total, read))
        copied[table] = done
        for column in deferred:
            # Self references last: a contact merged into a later one exists by now.
            for rows in _batches(source, table, ["id", column], ["id"], None):
                pairs = [(v, i) for i, v in rows if v is not None]
                if pairs:
                    with target.atomic():
                        target.db.conn.executemany(
                            f"UPDATE {table} SET {column} = ? WHERE id = ?", pairs)
    if target.dialect == "postgres":
        # Rows kept their ids: new rows on the server must come after them.
        for table, key, _ in TABLES:
            if key == ("id",):
                target.db.conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"greatest((SELECT coalesce(max(id), 0) FROM {table}), 1))").fetchone()
    with target.atomic():
        target.db.conn.execute(
            "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
            [DONE, origin])
    return copied

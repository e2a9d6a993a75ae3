"""Working without the team server: a local copy of one's own cases, and pushing back once.

While the server is reachable, ``snapshot_own_cases`` writes a laptop workspace file with
the member's open cases (their customers, messages, timeline, notes, checklist, replies)
and what replying needs (accounts, templates, settings), replacing the previous copy in
one step.  When the server is lost, the window works on that copy: the member reads their
cases, writes notes and replies, and approves them; nothing is sent from the copy (the
team's outbox is on the server, where sending is claimed).  When the server is back,
``push_offline_work`` brings those replies and notes to the server, once: a reply keeps
its idempotency key, so a push that is interrupted and run again finds what it already
brought.  A reply approved offline on a case that was answered meanwhile (a teammate's
reply, queued or sent, or an answer on the platform) is held for review with the reason,
never queued blindly.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.core import timeutil
from console.core.errors import KnownError
from console.core.rules import OPEN_STATUSES
from console.core.store.facade import Store
from console.core.store.rows import _chunks
from console.core.store.sql import status_in

SNAPSHOT_AT = "_offline.snapshot_at"
SERVER = "_offline.server"
NOTES_BEFORE = "_offline.notes_before"  # the copy's notes up to this id came from the server
EVENTS_BEFORE = "_offline.events_before"  # ... and its timeline entries up to this id
MAX_CASES = 2000  # a person's open cases; the newest first if there are more


@dataclass
class PushResult:
    replies_added: int = 0
    replies_updated: int = 0
    approved: int = 0
    held: list[tuple[int, str]] = field(default_factory=list)  # (case id, why)
    notes_added: int = 0
    triage: int = 0  # status, owner and checklist changes made offline, made on the server
    refused: list[str] = field(default_factory=list)  # offline changes the server refused
    skipped: int = 0  # already on the server (a push run again) or moved on there

    def describe(self) -> str:
        parts = []
        if self.approved:
            parts.append(f"{self.approved} reply(ies) queued")
        if self.held:
            parts.append(f"{len(self.held)} held for review (answered meanwhile)")
        drafts = self.replies_added + self.replies_updated - self.approved - len(self.held)
        if drafts > 0:
            parts.append(f"{drafts} draft(s) saved")
        if self.notes_added:
            parts.append(f"{self.notes_added} note(s) added")
        if self.triage:
            parts.append(f"{self.triage} case change(s) made")
        if self.refused:
            parts.append(f"{len(self.refused)} change(s) refused ({self.refused[0]})")
        return ("Back online: " + ", ".join(parts) + ".") if parts else "Back online."


def _columns(store: Store, table: str) -> list[str]:
    return [d[0] for d in store.db.conn.execute(f"SELECT * FROM {table} LIMIT 0").description]


def _copy(server: Store, local: Store, table: str, where: str = "",
          ids: Iterable[Any] | None = None, blank: Sequence[str] = ()) -> list[tuple[Any, ...]]:
    """Rows of ``table`` (``where`` ... ``IN`` ``ids`` when given) into the local copy."""
    wanted = set(_columns(local, table))  # read once, not once per column
    columns = [c for c in _columns(server, table) if c in wanted]
    cols = ", ".join(columns)
    insert = (f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(columns))}) "
              "ON CONFLICT DO NOTHING")
    nulls = {columns.index(c) for c in blank}
    out: list[tuple[Any, ...]] = []
    batches: Iterable[Sequence[Any]] = [[]] if ids is None else _chunks(sorted(set(ids)), 500)
    for chunk in batches:
        if ids is not None and not chunk:
            continue
        sql = f"SELECT {cols} FROM {table}"
        if ids is not None:
            sql += f" WHERE {where} IN ({', '.join('?' * len(chunk))})"
        elif where:
            sql += f" WHERE {where}"
        rows = [tuple(None if i in nulls else v for i, v in enumerate(r))
                for r in server.db.conn.execute(sql, list(chunk))]
        if rows:
            local.db.conn.executemany(insert, rows)
            out.extend(rows)
    return out


def snapshot_own_cases(server: Store, path: Path) -> int:
    """Write the local copy of the connected member's open cases; returns how many.

    Built beside ``path`` and moved over it in one step: the copy on disk is always whole.
    """
    me = server.me
    case_ids = [int(r[0]) for r in server.db.conn.execute(
        f"SELECT id FROM cases c WHERE owner = ? AND {status_in('c.status', OPEN_STATUSES)} "
        "AND merged_into IS NULL ORDER BY last_activity_at DESC LIMIT ?", [me, MAX_CASES])]
    tmp = path.with_name(path.name + ".new")
    for stale in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    local = Store.open(tmp)
    try:
        with local.atomic():
            _copy(server, local, "settings", "name NOT LIKE '\\_%' ESCAPE '\\'")
            _copy(server, local, "accounts")
            _copy(server, local, "templates")
            contacts = [int(r[0]) for chunk in _chunks(case_ids, 500)
                        for r in server.db.conn.execute(
                            "SELECT contact_id FROM cases WHERE id IN "
                            f"({', '.join('?' * len(chunk))})", chunk)]
            _copy(server, local, "contacts", "id", contacts, blank=("merged_into",))
            _copy(server, local, "contact_handles", "contact_id", contacts)
            _copy(server, local, "cases", "id", case_ids, blank=("merged_into",))
            message_ids = [int(r[0]) for chunk in _chunks(case_ids, 500)
                           for r in server.db.conn.execute(
                               "SELECT message_id FROM case_messages WHERE case_id IN "
                               f"({', '.join('?' * len(chunk))})", chunk)]
            _copy(server, local, "messages", "id", message_ids)
            _copy(server, local, "case_messages", "case_id", case_ids)
            _copy(server, local, "case_accounts", "case_id", case_ids)
            _copy(server, local, "case_events", "case_id", case_ids)
            _copy(server, local, "notes", "case_id", case_ids)
            _copy(server, local, "checklist_items", "case_id", case_ids)
            _copy(server, local, "replies", "case_id", case_ids)
            top = local.db.conn.execute("SELECT coalesce(max(id), 0) FROM notes").fetchone()[0]
            last = local.db.conn.execute(
                "SELECT coalesce(max(id), 0) FROM case_events").fetchone()[0]
            for name, value in ((SNAPSHOT_AT, timeutil.to_epoch(timeutil.now())),
                                (SERVER, server.server or ""), (NOTES_BEFORE, top),
                                (EVENTS_BEFORE, last), ("user.name", me)):
                local.db.conn.execute(
                    "INSERT INTO settings (name, value) VALUES (?, ?) "
                    "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                    [name, json.dumps(value)])
    finally:
        local.close()
    os.replace(tmp, path)
    for side in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            tmp.with_name(tmp.name + side).unlink()
    return len(case_ids)


def _setting(store: Store, name: str) -> Any:
    row = store.db.conn.execute("SELECT value FROM settings WHERE name = ?", [name]).fetchone()
    return None if row is None else json.loads(row[0])


def answered_since(server: Store, case_id: int, since: int, *, but: int | None = None
                   ) -> str | None:
    """Who answered the case since ``since`` (an outbound message, or a reply queued or
    sent by anyone), or ``None``.  The same second counts: when in doubt, a person looks."""
    row = server.db.conn.execute(
        "SELECT 'a reply on the platform' FROM case_messages cm JOIN messages m "
        "ON m.id = cm.message_id WHERE cm.case_id = ? AND m.direction = 'out' "
        "AND m.created_at >= ? LIMIT 1", [case_id, since]).fetchone()
    if row is not None:
        return str(row[0])
    row = server.db.conn.execute(
        "SELECT coalesce(author, 'a teammate') FROM replies WHERE case_id = ? "
        "AND state IN ('approved', 'sending', 'sent') "
        "AND coalesce(approved_at, updated_at) >= ? AND (? IS NULL OR id <> ?) LIMIT 1"
        if server.dialect == "postgres" else
        "SELECT 'another reply' FROM replies WHERE case_id = ? "
        "AND state IN ('approved', 'sending', 'sent') "
        "AND coalesce(approved_at, updated_at) >= ? AND (? IS NULL OR id <> ?) LIMIT 1",
        [case_id, since, but, but]).fetchone()
    return None if row is None else str(row[0])


def push_offline_work(copy: Store, server: Store) -> PushResult:
    """Bring the replies and notes written in the local copy to the server, once.

    Raises:
        KnownError: the copy is not one of this server's (nothing is pushed).
    """
    since = _setting(copy, SNAPSHOT_AT)
    if since is None:
        raise KnownError("This is not an offline copy of a team workspace: nothing to push.")
    result = PushResult()
    for r in copy.replies(("draft", "approved")):
        row = copy.db.conn.execute(
            "SELECT updated_at, idempotency_key, in_reply_to_message_id, findings, "
            "override_reason FROM replies WHERE id = ?", [r.id]).fetchone()
        if row[0] < since:
            continue  # untouched since the copy was made
        key = str(row[1])
        found = server.db.conn.execute(
            "SELECT id, state FROM replies WHERE idempotency_key = ?", [key]).fetchone()
        if found is not None and found[1] != "draft":
            result.skipped += 1  # pushed before, or it moved on on the server: theirs stands
            continue
        with server.atomic():
            reply_id, _ = server.save_draft(
                r.case_id, account_id=r.account_id, body=r.body,
                reply_id=found[0] if found else None, in_reply_to_message_id=row[2],
                idempotency_key=key)
            if found:
                result.replies_updated += 1
            else:
                result.replies_added += 1
            if r.state.value != "approved":
                continue
            who = answered_since(server, r.case_id, since, but=reply_id)
            if who is not None:
                why = (f"Held for review: {who} answered this customer while you were "
                       "offline. Read the case, then approve again if this still applies.")
                server.hold_for_review(reply_id, why)
                result.held.append((r.case_id, why))
                continue
            server.approve_reply(reply_id, findings=json.loads(row[3] or "[]"),
                                 override_reason=row[4])
            result.approved += 1
    _push_triage(copy, server, result)
    first = _setting(copy, NOTES_BEFORE) or 0
    for case_id, author, body, created_at in copy.db.conn.execute(
            "SELECT case_id, author, body, created_at FROM notes WHERE id > ? ORDER BY id",
            [first]):
        there = server.db.conn.execute(
            "SELECT 1 FROM notes WHERE case_id = ? AND author = ? AND body = ? "
            "AND created_at = ?", [case_id, author, body, created_at]).fetchone()
        if there:
            result.skipped += 1
            continue
        server.add_note(case_id, body, actor=author, at=timeutil.from_epoch(created_at))
        result.notes_added += 1
    return result


def _push_triage(copy: Store, server: Store, result: PushResult) -> None:
    """Status, owner and checklist changes made offline, made again on the server in order
    (with its rules: a change the server refuses is reported, never forced).  A change the
    server already shows (the push run again) is left alone."""
    first = _setting(copy, EVENTS_BEFORE)
    if first is None:
        return
    rows = copy.db.conn.execute(
        "SELECT case_id, kind, before, after, detail FROM case_events WHERE id > ? "
        "AND kind IN ('status', 'assign', 'issue_added', 'issue_ticked', 'issue_unticked') "
        "ORDER BY id", [first]).fetchall()
    for case_id, kind, _before, after, detail_text in rows:
        detail = json.loads(detail_text) if detail_text else {}
        try:
            state = server.case_row(case_id)
            if kind == "status":
                if state.status.value != after:
                    server.set_status(case_id, str(after))
                    result.triage += 1
            elif kind == "assign":
                if state.owner != after:
                    server.assign(case_id, str(after))
                    result.triage += 1
            else:
                items = {i.text: i for i in server.case_detail(case_id).checklist}
                text = str(after if kind == "issue_added" else detail.get("text", ""))
                if kind == "issue_added" and text not in items:
                    server.add_issue(case_id, text)
                    result.triage += 1
                elif kind != "issue_added" and text in items:
                    done = kind == "issue_ticked"
                    if items[text].done != done:
                        server.set_issue_done(items[text].id, done)
                        result.triage += 1
        except KnownError as exc:
            result.refused.append(f"case #{case_id}: {exc}")

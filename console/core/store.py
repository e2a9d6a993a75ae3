"""The workspace store: the only module that writes SQL.

Callers see intent-named methods and plain dataclasses; table names and SQLite
specifics stay in here (and in ``migrations.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import sqlite3
import uuid
from operator import itemgetter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from console.core import settings as settings_mod
from console.core import timeutil
from console.core.changes import Changes
from console.core.errors import (
    CorruptDatabaseError,
    InvalidTransitionError,
    KnownError,
    NotFoundError,
    SchemaTooNewError,
    SearchError,
    StoreError,
)
from console.core.ids import AccountId, CaseId, ContactId, MessageId, ReplyId, TemplateId
from console.core.migrations import migrations
from console.core.models import (
    Account,
    CaseDetail,
    CaseRow,
    CaseStatus,
    ChecklistItem,
    Direction,
    IncomingMessage,
    Message,
    MessageKind,
    Note,
    Platform,
    Reply,
    ReplyState,
    TemplateRecord,
    TimelineEvent,
)

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.OPEN)
FINISHED_STATUSES = (CaseStatus.RESOLVED, CaseStatus.CLOSED)

#: Which status may follow which.  Reopening is explicit: resolved/closed -> open.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.NEW: frozenset({CaseStatus.OPEN, CaseStatus.WAITING, CaseStatus.RESOLVED,
                               CaseStatus.CLOSED}),
    CaseStatus.OPEN: frozenset({CaseStatus.WAITING, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.WAITING: frozenset({CaseStatus.OPEN, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.OPEN, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset({CaseStatus.OPEN}),
}

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


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def fts_query(query: str) -> str:
    """Turn what a person typed into a safe FTS5 query.

    Every word becomes a quoted phrase (so quotes, ``AND``, ``NEAR``, ``*``,
    ``-`` and parentheses are just text); a trailing ``*`` keeps its prefix
    meaning.  Words are ANDed.  Returns ``""`` when nothing searchable is left.
    """
    terms = []
    for raw in query.split():
        prefix = raw.endswith("*")
        word = raw.strip("*").replace('"', " ").strip()
        # Characters the tokenizer drops anyway would make an empty phrase.
        if not any(ch.isalnum() for ch in word):
            continue
        for piece in word.split():
            terms.append(f'"{piece}"' + ("*" if prefix else ""))
    return " ".join(terms)


class Store:
    """One workspace database.

    A ``Store`` is bound to the thread that opened it (sqlite3's rule): open
    the writer on the write worker and a read-only one on the read worker.
    """

    def __init__(self, db: Database, path: Path | None, *, read_only: bool = False) -> None:
        self.db = db
        self.path = path
        self.read_only = read_only
        self._me: str | None = None

    # ------------------------------------------------------------------ open
    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False, create: bool = True) -> Store:
        """Open (and migrate) the workspace file at ``path``.

        Raises:
            CorruptDatabaseError: the file is not a SQLite database or is damaged.
            SchemaTooNewError: the file was written by a newer version of the app.
            StoreError: the file cannot be created or opened.
        """
        path = Path(path)
        exists = path.exists()
        if exists:
            _check_header(path)
        elif read_only or not create:
            raise StoreError(f"No workspace database at {path}.")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if read_only:
                conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            else:
                conn = sqlite3.connect(str(path))
            conn.execute("PRAGMA busy_timeout = 10000")
            db = Database(conn)
            # Touch the schema: a damaged file fails here, before anything is written.
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise CorruptDatabaseError(
                f"{path} is not a Community Console workspace or it is damaged ({exc}). "
                "The file was left untouched."
            ) from exc
        store = cls(db, path, read_only=read_only)
        try:
            store._check_version()
            if not read_only:
                store._migrate(backup=exists and path.stat().st_size > 0)
                db.conn.execute("PRAGMA journal_mode = WAL")
                # In WAL mode NORMAL is still crash-safe (a power cut can lose the
                # last commits, never corrupt the file).
                db.conn.execute("PRAGMA synchronous = NORMAL")
            db.conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            db.close()
            raise CorruptDatabaseError(
                f"{path} is damaged and cannot be used ({exc}). The file was left untouched."
            ) from exc
        except BaseException:
            db.close()
            raise
        return store

    @classmethod
    def memory(cls) -> Store:
        """A migrated in-memory store (tests, throwaway work)."""
        db = Database(memory=True)
        store = cls(db, None)
        store._migrate(backup=False)
        db.conn.execute("PRAGMA foreign_keys = ON")
        return store

    def close(self) -> None:
        self.db.close()

    def _applied_names(self) -> list[str]:
        table = self.db[migrations.migrations_table]
        if not table.exists():
            return []
        return [m.name for m in migrations.applied(self.db)]

    def _check_version(self) -> None:
        known = {m.name for m in migrations._migrations}
        unknown = [n for n in self._applied_names() if n not in known]
        if unknown:
            raise SchemaTooNewError(
                f"{self.path} was written by a newer version of Community Console "
                f"(it has schema step {unknown[-1]!r} this version does not know). "
                "Update the app to open it; the file was left untouched."
            )
        tables = set(self.db.table_names())
        if tables and not self._applied_names() and "cases" not in tables:
            raise StoreError(
                f"{self.path} is a SQLite database but not a Community Console workspace. "
                "The file was left untouched."
            )

    def _migrate(self, *, backup: bool) -> None:
        pending = migrations.pending(self.db)
        if not pending:
            return
        if backup and self.path is not None and self._applied_names():
            stamp = timeutil.now().strftime("%Y%m%dT%H%M%S")
            target = self.path.with_name(f"{self.path.name}.backup-{stamp}")
            log.info("backing up %s to %s before migrating", self.path, target)
            dest = sqlite3.connect(str(target))
            try:
                self.db.conn.backup(dest)
            finally:
                dest.close()
        migrations.apply(self.db)

    def schema_version(self) -> list[str]:
        return self._applied_names()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self.db.atomic():
            yield

    # -------------------------------------------------------------- settings
    def get_setting(self, name: str) -> Any:
        row = self.db.execute("SELECT value FROM settings WHERE name = ?", [name]).fetchone()
        if row is None:
            return settings_mod.default(name)
        return json.loads(row[0])

    def set_setting(self, name: str, value: Any) -> Changes:
        if name not in settings_mod.BY_NAME:
            raise KnownError(f"Unknown setting {name!r}.")
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO settings (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                [name, json.dumps(value)],
            )
        if name == "user.name":
            self._me = None
        return Changes(settings=True)

    @property
    def me(self) -> str:
        """The local user: owner of new cases and actor of local changes."""
        if self._me is None:
            self._me = str(self.get_setting("user.name") or settings_mod.default("user.name"))
        return self._me

    # -------------------------------------------------------------- accounts
    def add_account(
        self,
        *,
        platform: Platform | str,
        handle: str,
        display_name: str = "",
        role: str = "",
        server: str | None = None,
        voice_profile: str | None = None,
        timezone: str = "UTC",
        business_hours: dict[str, Any] | None = None,
    ) -> tuple[AccountId, Changes]:
        with self.db.atomic():
            cur = self.db.execute(
                "INSERT INTO accounts (platform, handle, display_name, role, server, "
                "voice_profile, timezone, business_hours, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [str(Platform(platform)), handle, display_name, role, server, voice_profile,
                 timezone, _json(business_hours), timeutil.to_epoch(timeutil.now())],
            )
        return AccountId(int(cur.lastrowid or 0)), Changes(accounts=True)

    def accounts(self) -> list[Account]:
        rows = self.db.execute(
            "SELECT id, platform, handle, display_name, role, server, voice_profile, timezone "
            "FROM accounts ORDER BY platform, role DESC, handle"
        ).fetchall()
        return [_account(r) for r in rows]

    def account(self, account_id: AccountId) -> Account:
        row = self.db.execute(
            "SELECT id, platform, handle, display_name, role, server, voice_profile, timezone "
            "FROM accounts WHERE id = ?", [account_id]).fetchone()
        if row is None:
            raise NotFoundError(f"There is no account #{account_id}.")
        return _account(row)

    def find_account(self, handle: str) -> Account:
        row = self.db.execute(
            "SELECT id, platform, handle, display_name, role, server, voice_profile, timezone "
            "FROM accounts WHERE handle = ? OR handle = ?", [handle, "@" + handle.lstrip("@")]
        ).fetchone()
        if row is None:
            raise NotFoundError(f"There is no account {handle!r} in this workspace.")
        return _account(row)

    def unanswered_counts(self) -> dict[AccountId, int]:
        """Per account: how many cases with a message on it wait for a reply."""
        rows = self.db.execute(
            "SELECT ca.account_id, count(*) FROM cases c "
            "JOIN case_accounts ca ON ca.case_id = c.id "
            "WHERE c.waiting_since IS NOT NULL AND c.status IN ('new', 'open') "
            "GROUP BY ca.account_id"
        ).fetchall()
        return {AccountId(a): n for a, n in rows}

    def view_counts(self) -> dict[str, int]:
        counts = {}
        for view in View.ALL_VIEWS:
            where, params = self._filter_sql(CaseFilter(view=view))
            counts[view] = self.db.execute(
                f"SELECT count(*) FROM cases c WHERE {where}", params).fetchone()[0]
        return counts

    # ---------------------------------------------------------------- ingest
    def ingest(self, items: Iterable[IncomingMessage], *, actor: str = "sync",
               batch_size: int = 1_000_000, scorer: Any = None) -> IngestResult:
        """Store inbound messages and thread each one into its contact's case.

        Idempotent: a message already stored (same account and remote id) is
        skipped.  A message joins the contact's current case whatever account
        or platform it arrived on; a resolved case is reopened (within the
        reopen window), otherwise a new case is opened.

        Args:
            items: normalised inbound messages, any order.
            actor: who is recorded in the timeline for the arrivals.
            batch_size: messages per transaction. A sync page is one small batch;
                bulk loads are fastest in one (each batch rewrites the rows of the
                cases it touches once, and writes the timeline in case order).
            scorer: optional ``callable(text) -> float | None`` sentiment scorer.
        """
        result = IngestResult(changes=Changes())
        batch: list[IncomingMessage] = []
        for item in items:
            batch.append(item)
            if len(batch) >= batch_size:
                self._ingest_batch(batch, actor, result, scorer)
                batch = []
        if batch:
            self._ingest_batch(batch, actor, result, scorer)
        if result.new_message_ids:
            result.changes = Changes(cases=True, messages=True,
                                     case_ids=frozenset(result.case_ids))
        return result

    def _ingest_batch(self, batch: list[IncomingMessage], actor: str, result: IngestResult,
                      scorer: Any) -> None:
        conn = self.db.conn
        with self.db.atomic():
            accounts = {(p, h): i for i, p, h in conn.execute(
                "SELECT id, platform, handle FROM accounts")}
            pairs: list[tuple[int, str, IncomingMessage]] = []
            for item in batch:
                platform = item.platform.value
                account_id = accounts.get((platform, item.account_handle))
                if account_id is None:
                    raise NotFoundError(
                        f"Message {item.remote_id} is for account {item.account_handle} "
                        f"on {item.platform}, which is not in this workspace.")
                pairs.append((account_id, platform, item))
            pairs.sort(key=lambda pair: (pair[2].created_at, pair[2].remote_id))

            # 1. Contacts by (platform, handle); create the missing ones.
            contacts = self._resolve_contacts(
                {(p, i.author_handle): (i.author_name, i.author_remote_id) for _, p, i in pairs})

            # 2. Insert the messages; the UNIQUE (account_id, remote_id) constraint
            #    drops the ones already stored (idempotent ingest), and the ids
            #    that exist afterwards are exactly the new ones.
            first_id = next_message = self._next_id("messages")
            message_rows = []
            planned = []
            for account_id, platform, item in pairs:
                created = item.created_at
                if created.tzinfo is None:
                    raise ValueError(f"message {item.remote_id} has a naive timestamp")
                at = int(created.timestamp())
                contact_id = contacts[(platform, item.author_handle)]
                sentiment = scorer(item.text) if scorer is not None else None
                message_rows.append((
                    next_message, account_id, platform, item.remote_id, "in", item.kind.value,
                    contact_id, item.author_handle, item.author_name, item.text, item.raw_markup,
                    item.url, item.in_reply_to, item.thread_root,
                    _json(list(item.urls)) if item.urls else None,
                    _json(list(item.media)) if item.media else None,
                    _json(item.extra) if item.extra else None, sentiment, at,
                ))
                planned.append((next_message, account_id, platform, contact_id, item, at,
                                sentiment))
                next_message += 1
            conn.executemany(
                "INSERT INTO messages (id, account_id, platform, remote_id, direction, "
                "kind, contact_id, author_handle, author_name, text, raw_markup, url, "
                "in_reply_to, thread_root, urls, media, extra, sentiment, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (account_id, remote_id) DO NOTHING", message_rows)
            inserted = {r[0] for r in conn.execute("SELECT id FROM messages WHERE id >= ?",
                                                   [first_id])}
            if not inserted:
                return

            # 3. Thread each new message into its contact's current case.
            cases = self._current_cases({p[3] for p in planned})
            reopen_after = int(self.get_setting("cases.reopen_window_days")) * 86400
            next_case = self._next_id("cases")
            me = self.me
            link_rows = []
            event_rows = []
            account_links: set[tuple[int, int]] = set()
            new_cases: dict[int, dict[str, Any]] = {}
            finished = (CaseStatus.RESOLVED.value, CaseStatus.CLOSED.value)
            for message_id, account_id, platform, contact_id, item, at, sentiment in planned:
                if message_id not in inserted:
                    continue
                case = cases.get(contact_id)
                if case is not None and case["status"] in finished:
                    if (case["status"] == CaseStatus.RESOLVED.value
                            and at - case["last_activity_at"] <= reopen_after):
                        event_rows.append((case["id"], at, actor, "status", "resolved", "open",
                                           '{"reason": "customer wrote again"}'))
                        case["status"] = CaseStatus.OPEN.value
                    else:
                        case = None
                if case is None:
                    case = {
                        "id": next_case, "contact_id": contact_id, "status": "new",
                        "owner": me, "opened_at": at, "last_activity_at": at,
                        "last_inbound_at": None, "waiting_since": None, "preview": "",
                        "message_count": 0, "platforms": "", "sentiment": None,
                        "platform_set": set(),
                    }
                    new_cases[next_case] = case
                    cases[contact_id] = case
                    event_rows.append((next_case, at, actor, "opened", None, "new",
                                       _json({"owner": me})))
                    result.opened_case_ids.add(CaseId(next_case))
                    next_case += 1
                case_id = case["id"]
                link_rows.append((message_id, case_id))
                account_links.add((case_id, account_id))
                event_rows.append((case_id, at, actor, "message_in", None, None,
                                   f'{{"account_id": {account_id}, "message_id": {message_id}}}'))
                case["message_count"] += 1
                if at >= case["last_activity_at"] or case["message_count"] == 1:
                    case["preview"] = item.text[:300]
                    if sentiment is not None:
                        case["sentiment"] = sentiment
                    case["last_activity_at"] = at
                if case["last_inbound_at"] is None or at > case["last_inbound_at"]:
                    case["last_inbound_at"] = at
                if case["status"] == "waiting":
                    # The customer answered: the ball is back in our court.
                    event_rows.append((case_id, at, actor, "status", "waiting", "open",
                                       '{"reason": "customer replied"}'))
                    case["status"] = "open"
                if case["waiting_since"] is None:
                    case["waiting_since"] = at
                if case.get("snoozed_until") is not None or case.get("snooze_until_reply"):
                    event_rows.append((case_id, at, actor, "snooze_ended", None, None,
                                       '{"reason": "customer replied"}'))
                    case["snoozed_until"] = None
                    case["snooze_until_reply"] = 0
                case["platform_set"].add(platform)
                case["dirty"] = True
                result.new_message_ids.append(MessageId(message_id))
                result.case_ids.add(CaseId(case_id))

            new_rows = []
            update_rows = []
            for case in cases.values():
                if not case.get("dirty"):
                    continue
                key = sort_key_for(case["waiting_since"], case["last_activity_at"])
                case["platforms"] = ",".join(sorted(case.pop("platform_set")))
                if case["id"] in new_cases:
                    new_rows.append((case["id"], case["contact_id"], case["status"], case["owner"],
                                     case["opened_at"], case["last_activity_at"],
                                     case["last_inbound_at"], case["waiting_since"], key,
                                     case["preview"], case["message_count"], case["platforms"],
                                     case["sentiment"]))
                else:
                    update_rows.append((case["status"], case["last_activity_at"],
                                        case["last_inbound_at"], case["waiting_since"], key,
                                        case["preview"], case["message_count"],
                                        case["platforms"], case["sentiment"],
                                        case.get("snoozed_until"),
                                        case.get("snooze_until_reply", 0), case["id"]))
                case["dirty"] = False
            conn.executemany(
                "INSERT INTO cases (id, contact_id, status, owner, opened_at, last_activity_at, "
                "last_inbound_at, waiting_since, sort_key, preview, message_count, platforms, "
                "sentiment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", new_rows)
            conn.executemany(
                "UPDATE cases SET status = ?, last_activity_at = ?, last_inbound_at = ?, "
                "waiting_since = ?, sort_key = ?, preview = ?, message_count = ?, "
                "platforms = ?, sentiment = ?, snoozed_until = ?, snooze_until_reply = ?, "
                "followup_due_at = NULL WHERE id = ?", sorted(update_rows, key=itemgetter(-1)))
            # Timeline rows in case order: the (case_id, id) index is then written page
            # by page, not at random (a stable sort: each case keeps its time order).
            event_rows.sort(key=itemgetter(0))
            conn.executemany("INSERT INTO case_messages (message_id, case_id) VALUES (?, ?)",
                             link_rows)
            conn.executemany(
                "INSERT OR IGNORE INTO case_accounts (case_id, account_id) VALUES (?, ?)",
                sorted(account_links))
            conn.executemany(
                "INSERT INTO case_events (case_id, at, actor, kind, before, after, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", event_rows)

    def _next_id(self, table: str) -> int:
        return int(self.db.conn.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
                   .fetchone()[0])

    def _resolve_contacts(
        self, wanted: dict[tuple[str, str], tuple[str, str | None]]
    ) -> dict[tuple[str, str], int]:
        conn = self.db.conn
        found: dict[tuple[str, str], int] = {}
        keys = list(wanted)
        by_platform: dict[str, list[str]] = {}
        for platform, handle in keys:
            by_platform.setdefault(platform, []).append(handle)
        for platform, handles in by_platform.items():
            for chunk in _chunks(handles, 500):
                marks = ",".join("?" * len(chunk))
                for handle, contact_id, merged in conn.execute(
                        "SELECT h.handle, h.contact_id, c.merged_into "
                        "FROM contact_handles h JOIN contacts c ON c.id = h.contact_id "
                        f"WHERE h.platform = ? AND h.handle IN ({marks})", [platform, *chunk]):
                    found[(platform, handle)] = merged or contact_id
        missing = [k for k in keys if k not in found]
        if missing:
            now = timeutil.to_epoch(timeutil.now())
            next_contact = self._next_id("contacts")
            contact_rows = []
            handle_rows = []
            for key in missing:
                name, remote_id = wanted[key]
                contact_rows.append((next_contact, name or key[1], now))
                handle_rows.append((next_contact, key[0], key[1], remote_id))
                found[key] = next_contact
                next_contact += 1
            conn.executemany("INSERT INTO contacts (id, display_name, created_at) VALUES (?, ?, ?)",
                             contact_rows)
            conn.executemany(
                "INSERT INTO contact_handles (contact_id, platform, handle, remote_id) "
                "VALUES (?, ?, ?, ?)", handle_rows)
        return found

    def add_contact(self, display_name: str,
                    handles: Sequence[tuple[str, str]]) -> tuple[ContactId, Changes]:
        """Create a contact known under several handles (one person, many platforms)."""
        if not handles:
            raise KnownError("A contact needs at least one handle.")
        with self.db.atomic():
            for platform, handle in handles:
                if self.db.conn.execute(
                        "SELECT 1 FROM contact_handles WHERE platform = ? AND handle = ?",
                        [str(platform), handle]).fetchone():
                    raise KnownError(f"{handle} on {platform} already belongs to a contact.")
            cur = self.db.conn.execute(
                "INSERT INTO contacts (display_name, created_at) VALUES (?, ?)",
                [display_name, timeutil.to_epoch(timeutil.now())])
            contact_id = int(cur.lastrowid or 0)
            self.db.conn.executemany(
                "INSERT INTO contact_handles (contact_id, platform, handle) VALUES (?, ?, ?)",
                [(contact_id, str(p), h) for p, h in handles])
        return ContactId(contact_id), Changes(cases=True)

    def _current_cases(self, contact_ids: set[int]) -> dict[int, dict[str, Any]]:
        """The latest unmerged case of each contact (any status)."""
        out: dict[int, dict[str, Any]] = {}
        cols = ("id", "contact_id", "status", "owner", "opened_at", "last_activity_at",
                "last_inbound_at", "waiting_since", "preview", "message_count", "platforms",
                "sentiment", "snoozed_until", "snooze_until_reply")
        for chunk in _chunks(sorted(contact_ids), 500):
            marks = ",".join("?" * len(chunk))
            for row in self.db.conn.execute(
                    f"SELECT {', '.join(cols)} FROM cases WHERE contact_id IN ({marks}) "
                    "AND merged_into IS NULL ORDER BY id", chunk):
                case = dict(zip(cols, row))
                case["dirty"] = False
                case["platform_set"] = set(filter(None, case["platforms"].split(",")))
                out[case["contact_id"]] = case  # ORDER BY id: the newest wins
        return out

    # --------------------------------------------------------- case changes
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
               at: dt.datetime | None = None) -> None:
        self.db.conn.execute(
            "INSERT INTO case_events (case_id, at, actor, kind, before, after, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [case_id, timeutil.to_epoch(at or timeutil.now()), actor or self.me, kind,
             None if before is None else str(before), None if after is None else str(after),
             _json(detail)])

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

    def set_status(self, case_id: CaseId, status: CaseStatus | str, *, actor: str | None = None,
                   at: dt.datetime | None = None, reason: str | None = None) -> Changes:
        """Move a case to ``status``.

        Raises:
            InvalidTransitionError: the case model does not allow this change.
        """
        status = CaseStatus(status)
        with self.db.atomic():
            state = self._case_state(case_id)
            current = state["status"]
            if state["merged_into"]:
                raise InvalidTransitionError(
                    f"Case #{case_id} was merged into case #{state['merged_into']}; "
                    "change that case instead.")
            if status == current:
                raise InvalidTransitionError(f"Case #{case_id} is already {status.label.lower()}.")
            if status not in TRANSITIONS[current]:
                raise InvalidTransitionError(
                    f"Case #{case_id} cannot go from {current.label.lower()} to "
                    f"{status.label.lower()}." + (
                        " Reopen it first." if current in FINISHED_STATUSES else ""))
            when = timeutil.to_epoch(at or timeutil.now())
            self.db.conn.execute("UPDATE cases SET status = ? WHERE id = ?", [status, case_id])
            # Finished or waiting-on-customer cases no longer wait for us.
            waiting = state["waiting_since"] if status in OPEN_STATUSES else None
            if status in FINISHED_STATUSES:
                self.db.conn.execute("UPDATE cases SET snoozed_until = NULL, "
                                     "snooze_until_reply = 0 WHERE id = ?", [case_id])
            self._touch(case_id, when, waiting_since=waiting, followup_due_at=None)
            self._event(case_id, "status", actor=actor, before=current, after=status,
                        detail={"reason": reason} if reason else None, at=at)
        return Changes(cases=True, case_ids=frozenset({case_id}))

    def assign(self, case_id: CaseId, to: str, *, actor: str | None = None,
               at: dt.datetime | None = None) -> Changes:
        to = to.strip()
        if not to:
            raise KnownError("Give the name of the person who will own the case.")
        with self.db.atomic():
            state = self._case_state(case_id)
            if state["owner"] == to:
                return Changes()
            self.db.conn.execute("UPDATE cases SET owner = ? WHERE id = ?", [to, case_id])
            self._event(case_id, "assign", actor=actor, before=state["owner"], after=to, at=at)
        return Changes(cases=True, case_ids=frozenset({case_id}))

    def add_note(self, case_id: CaseId, body: str, *, actor: str | None = None,
                 at: dt.datetime | None = None) -> tuple[int, Changes]:
        body = body.strip()
        if not body:
            raise KnownError("A note cannot be empty.")
        with self.db.atomic():
            self._case_state(case_id)
            when = timeutil.to_epoch(at or timeutil.now())
            cur = self.db.conn.execute(
                "INSERT INTO notes (case_id, author, body, created_at) VALUES (?, ?, ?, ?)",
                [case_id, actor or self.me, body, when])
            note_id = int(cur.lastrowid or 0)
            self._event(case_id, "note", actor=actor, after=body,
                        detail={"note_id": note_id}, at=at)
        return note_id, Changes(cases=True, case_ids=frozenset({case_id}))

    def add_issue(self, case_id: CaseId, text: str, *, source_message_id: MessageId | None = None,
                  actor: str | None = None, at: dt.datetime | None = None) -> tuple[int, Changes]:
        text = " ".join(text.split())
        if not text:
            raise KnownError("An issue needs a short description.")
        with self.db.atomic():
            self._case_state(case_id)
            existing = self.db.conn.execute(
                "SELECT id FROM checklist_items WHERE case_id = ? AND lower(text) = lower(?)",
                [case_id, text]).fetchone()
            if existing:
                return int(existing[0]), Changes()
            cur = self.db.conn.execute(
                "INSERT INTO checklist_items (case_id, text, source_message_id, created_at) "
                "VALUES (?, ?, ?, ?)",
                [case_id, text, source_message_id, timeutil.to_epoch(at or timeutil.now())])
            item_id = int(cur.lastrowid or 0)
            self._event(case_id, "issue_added", actor=actor, after=text,
                        detail={"item_id": item_id}, at=at)
        return item_id, Changes(cases=True, case_ids=frozenset({case_id}))

    def set_issue_done(self, item_id: int, done: bool = True, *, actor: str | None = None,
                       at: dt.datetime | None = None) -> Changes:
        with self.db.atomic():
            row = self.db.conn.execute(
                "SELECT case_id, text, done FROM checklist_items WHERE id = ?", [item_id]
            ).fetchone()
            if row is None:
                raise NotFoundError(f"There is no checklist item #{item_id}.")
            case_id, text, was = row
            if bool(was) == done:
                return Changes()
            when = timeutil.to_epoch(at or timeutil.now())
            self.db.conn.execute("UPDATE checklist_items SET done = ?, done_at = ? WHERE id = ?",
                                 [int(done), when if done else None, item_id])
            self._event(case_id, "issue_ticked" if done else "issue_unticked", actor=actor,
                        before="done" if was else "open", after="done" if done else "open",
                        detail={"item_id": item_id, "text": text}, at=at)
        return Changes(cases=True, case_ids=frozenset({case_id}))

    def record_outbound(self, case_id: CaseId, *, account_id: AccountId, text: str,
                        remote_id: str | None = None, url: str | None = None,
                        in_reply_to: str | None = None, actor: str | None = None,
                        at: dt.datetime | None = None, reply_id: int | None = None) -> MessageId:
        """Store a reply the brand sent, in the case's timeline.

        The case no longer waits for us; a new case becomes open.
        """
        when_dt = at or timeutil.now()
        when = timeutil.to_epoch(when_dt)
        with self.db.atomic():
            state = self._case_state(case_id)
            account = self.account(account_id)
            cur = self.db.conn.execute(
                "INSERT INTO messages (account_id, platform, remote_id, direction, kind, "
                "contact_id, author_handle, author_name, text, url, in_reply_to, created_at) "
                "VALUES (?, ?, ?, 'out', ?, NULL, ?, ?, ?, ?, ?, ?)",
                [account_id, str(account.platform), remote_id or f"local:{uuid.uuid4()}",
                 str(MessageKind.REPLY), account.handle, actor or self.me, text, url, in_reply_to,
                 when])
            message_id = int(cur.lastrowid or 0)
            self.db.conn.execute(
                "INSERT INTO case_messages (message_id, case_id) VALUES (?, ?)",
                [message_id, case_id])
            self.db.conn.execute(
                "INSERT OR IGNORE INTO case_accounts (case_id, account_id) VALUES (?, ?)",
                [case_id, account_id])
            platforms = set(filter(None, self.db.conn.execute(
                "SELECT platforms FROM cases WHERE id = ?", [case_id]).fetchone()[0].split(",")))
            platforms.add(account.platform.value)
            self.db.conn.execute(
                "UPDATE cases SET message_count = message_count + 1, platforms = ? WHERE id = ?",
                [",".join(sorted(platforms)), case_id])
            self._touch(case_id, when, waiting_since=None, followup_due_at=None)
            self._event(case_id, "message_out", actor=actor, at=when_dt,
                        detail={"message_id": message_id, "account_id": account_id,
                                "url": url, "reply_id": reply_id})
            if state["status"] == CaseStatus.NEW:
                self.db.conn.execute("UPDATE cases SET status = 'open' WHERE id = ?", [case_id])
                self._event(case_id, "status", actor=actor, before=CaseStatus.NEW,
                            after=CaseStatus.OPEN, detail={"reason": "first reply"}, at=when_dt)
        return MessageId(message_id)

    def merge_contacts(self, keep: ContactId, other: ContactId, *, actor: str | None = None,
                       at: dt.datetime | None = None) -> Changes:
        """The user says ``other`` is the same person as ``keep``.

        ``other``'s handles move to ``keep``; if both have an unfinished case,
        ``other``'s case is merged into ``keep``'s (messages, notes, checklist).
        """
        if keep == other:
            raise KnownError("A contact cannot be merged with itself.")
        conn = self.db.conn
        touched: set[int] = set()
        with self.db.atomic():
            for cid in (keep, other):
                row = conn.execute("SELECT merged_into FROM contacts WHERE id = ?", [cid]).fetchone()
                if row is None:
                    raise NotFoundError(f"There is no contact #{cid}.")
                if row[0]:
                    raise KnownError(f"Contact #{cid} was already merged into #{row[0]}.")
            conn.execute("UPDATE contact_handles SET contact_id = ? WHERE contact_id = ?",
                         [keep, other])
            conn.execute("UPDATE contacts SET merged_into = ? WHERE id = ?", [keep, other])
            conn.execute("UPDATE contacts SET merged_into = ? WHERE merged_into = ?", [keep, other])

            def live_case(contact: int) -> int | None:
                row = conn.execute(
                    "SELECT id FROM cases WHERE contact_id = ? AND merged_into IS NULL "
                    "AND status NOT IN ('resolved', 'closed') ORDER BY id DESC LIMIT 1",
                    [contact]).fetchone()
                return int(row[0]) if row else None

            keep_case, other_case = live_case(keep), live_case(other)
            # Every case of the other contact now belongs to the kept one.
            for (case_id,) in conn.execute("SELECT id FROM cases WHERE contact_id = ?",
                                           [other]).fetchall():
                conn.execute("UPDATE cases SET contact_id = ? WHERE id = ?", [keep, case_id])
                self._event(case_id, "contact_merged", actor=actor, before=str(other),
                            after=str(keep), at=at)
                touched.add(case_id)
            if keep_case is not None and other_case is not None:
                self._merge_case_into(other_case, keep_case, actor=actor, at=at)
                touched.add(keep_case)
        return Changes(cases=True, messages=True, case_ids=frozenset(touched))

    def _merge_case_into(self, source: int, target: int, *, actor: str | None,
                         at: dt.datetime | None) -> None:
        conn = self.db.conn
        conn.execute("UPDATE case_messages SET case_id = ? WHERE case_id = ?", [target, source])
        conn.execute("INSERT OR IGNORE INTO case_accounts (case_id, account_id) "
                     "SELECT ?, account_id FROM case_accounts WHERE case_id = ?", [target, source])
        conn.execute("UPDATE notes SET case_id = ? WHERE case_id = ?", [target, source])
        conn.execute("UPDATE checklist_items SET case_id = ? WHERE case_id = ?", [target, source])
        conn.execute("UPDATE replies SET case_id = ? WHERE case_id = ?", [target, source])
        src = conn.execute("SELECT waiting_since, status, opened_at FROM cases WHERE id = ?",
                           [source]).fetchone()
        self._recompute_case(target, extra_waiting=src[0], opened_at=src[2])
        old_status = src[1]
        conn.execute("UPDATE cases SET status = 'closed', merged_into = ?, waiting_since = NULL, "
                     "message_count = 0 WHERE id = ?", [target, source])
        self._touch(source, timeutil.to_epoch(at or timeutil.now()), waiting_since=None)
        self._event(source, "merged", actor=actor, before=old_status, after="closed",
                    detail={"into_case": target}, at=at)
        self._event(target, "merged", actor=actor, detail={"from_case": source}, at=at)

    def _recompute_case(self, case_id: int, *, extra_waiting: int | None = None,
                        opened_at: int | None = None) -> None:
        conn = self.db.conn
        count, last, platforms = conn.execute(
            "SELECT count(*), max(m.created_at), group_concat(DISTINCT m.platform) "
            "FROM case_messages cm JOIN messages m ON m.id = cm.message_id WHERE cm.case_id = ?",
            [case_id]).fetchone()
        preview_row = conn.execute(
            "SELECT m.text, m.sentiment FROM case_messages cm JOIN messages m "
            "ON m.id = cm.message_id WHERE cm.case_id = ? AND m.direction = 'in' "
            "ORDER BY m.created_at DESC LIMIT 1", [case_id]).fetchone()
        waiting, current_open = conn.execute(
            "SELECT waiting_since, opened_at FROM cases WHERE id = ?", [case_id]).fetchone()
        candidates = [w for w in (waiting, extra_waiting) if w is not None]
        waiting = min(candidates) if candidates else None
        opened = min(x for x in (current_open, opened_at) if x is not None)
        last = last or opened
        conn.execute(
            "UPDATE cases SET message_count = ?, last_activity_at = ?, platforms = ?, preview = ?, "
            "sentiment = ?, waiting_since = ?, opened_at = ?, sort_key = ? WHERE id = ?",
            [count, last, ",".join(sorted(set((platforms or "").split(",")) - {""})),
             preview_row[0][:300] if preview_row else "", preview_row[1] if preview_row else None,
             waiting, opened, sort_key_for(waiting, last), case_id])

    def snooze(self, case_id: CaseId, *, until: dt.datetime | None = None,
               until_reply: bool = False, actor: str | None = None) -> Changes:
        """Hide a case from "Needs reply" until a time and/or until the customer writes."""
        if until is None and not until_reply:
            raise KnownError("Snooze until a date and time, or until the customer replies.")
        with self.db.atomic():
            state = self._case_state(case_id)
            if state["status"] in FINISHED_STATUSES:
                raise KnownError(f"Case #{case_id} is {state['status'].label.lower()}; "
                                 "there is nothing to follow up.")
            self.db.conn.execute(
                "UPDATE cases SET snoozed_until = ?, snooze_until_reply = ?, "
                "followup_due_at = NULL WHERE id = ?",
                [timeutil.to_epoch(until) if until else None, int(until_reply), case_id])
            self._touch(case_id, 0, followup_due_at=None)
            what = " or ".join(filter(None, [timeutil.iso(until) if until else None,
                                             "the customer replies" if until_reply else None]))
            self._event(case_id, "snoozed", actor=actor, after=what)
        return Changes(cases=True, case_ids=frozenset({case_id}))

    def unsnooze(self, case_id: CaseId, *, actor: str | None = None) -> Changes:
        with self.db.atomic():
            self._case_state(case_id)
            self.db.conn.execute(
                "UPDATE cases SET snoozed_until = NULL, snooze_until_reply = 0 WHERE id = ?",
                [case_id])
            self._touch(case_id, 0, followup_due_at=None)
            self._event(case_id, "snooze_ended", actor=actor, detail={"reason": "unsnoozed"})
        return Changes(cases=True, case_ids=frozenset({case_id}))

    def wake_due(self, now: dt.datetime | None = None) -> tuple[list[CaseId], Changes]:
        """Follow-ups whose time has come: they move to the top of the inbox."""
        when = timeutil.to_epoch(now or timeutil.now())
        with self.db.atomic():
            due = [(int(r[0]), int(r[1])) for r in self.db.conn.execute(
                "SELECT id, snoozed_until FROM cases WHERE snoozed_until IS NOT NULL "
                "AND snoozed_until <= ?", [when])]
            for case_id, at in due:
                self.db.conn.execute(
                    "UPDATE cases SET snoozed_until = NULL, snooze_until_reply = 0 "
                    "WHERE id = ?", [case_id])
                self._touch(case_id, 0, followup_due_at=at)
                self._event(case_id, "followup_due", actor="reminder",
                            at=timeutil.from_epoch(at))
        ids = [CaseId(c) for c, _ in due]
        return ids, Changes(cases=bool(ids), case_ids=frozenset(ids))

    def next_wake(self) -> dt.datetime | None:
        row = self.db.conn.execute(
            "SELECT min(snoozed_until) FROM cases WHERE snoozed_until IS NOT NULL").fetchone()
        return timeutil.from_epoch(row[0]) if row and row[0] is not None else None

    # ------------------------------------------------------------- reading
    def _filter_sql(self, flt: CaseFilter) -> tuple[str, list[Any]]:
        clauses = ["c.merged_into IS NULL"]
        params: list[Any] = []
        if flt.view == View.NEEDS_REPLY:
            clauses.append("((c.status IN ('new', 'open') AND c.waiting_since IS NOT NULL "
                           "AND c.snoozed_until IS NULL AND c.snooze_until_reply = 0) "
                           "OR c.followup_due_at IS NOT NULL)")
        elif flt.view == View.SNOOZED:
            clauses.append("(c.snoozed_until IS NOT NULL OR c.snooze_until_reply = 1)")
        elif flt.view == View.MINE:
            clauses.append("c.owner = ? AND c.status NOT IN ('resolved', 'closed')")
            params.append(self.me)
        elif flt.view == View.WAITING:
            clauses.append("c.status = 'waiting'")
        elif flt.view == View.RESOLVED:
            clauses.append("c.status IN ('resolved', 'closed')")
        elif flt.view != View.ALL:
            raise KnownError(f"Unknown view {flt.view!r}.")
        if flt.status is not None:
            clauses.append("c.status = ?")
            params.append(str(CaseStatus(flt.status)))
        if flt.owner is not None:
            clauses.append("c.owner = ?")
            params.append(flt.owner)
        if flt.account_id is not None:
            clauses.append("EXISTS (SELECT 1 FROM case_accounts ca WHERE ca.case_id = c.id "
                           "AND ca.account_id = ?)")
            params.append(flt.account_id)
        if flt.sentiment is not None:
            clauses.append({
                "negative": "c.sentiment <= -0.05",
                "positive": "c.sentiment >= 0.05",
                "neutral": "c.sentiment > -0.05 AND c.sentiment < 0.05",
                "unknown": "c.sentiment IS NULL",
            }[flt.sentiment])
        return " AND ".join(clauses), params

    _CASE_COLUMNS = (
        "c.id, c.contact_id, coalesce(k.display_name, ''), "
        "coalesce((SELECT handle FROM contact_handles h WHERE h.contact_id = c.contact_id "
        "ORDER BY h.id LIMIT 1), ''), "
        "c.status, c.owner, c.preview, c.waiting_since, c.last_activity_at, c.opened_at, "
        "c.message_count, c.platforms, c.sort_key, c.sentiment, c.snoozed_until"
    )

    def cases_page(self, flt: CaseFilter | None = None, *, after: tuple[int, int] | None = None,
                   limit: int = 200) -> list[CaseRow]:
        """One page of the inbox, in waiting order, starting after the keyset ``after``."""
        flt = flt or CaseFilter()
        where, params = self._filter_sql(flt)
        key = "coalesce(c.sentiment, 2.0)" if flt.order == "mood" else "c.sort_key"
        if after is not None:
            where += f" AND ({key}, c.id) > (?, ?)"
            params += [after[0], after[1]]
        rows = self.db.conn.execute(
            f"SELECT {self._CASE_COLUMNS}, {key} FROM cases c "
            f"LEFT JOIN contacts k ON k.id = c.contact_id "
            f"WHERE {where} ORDER BY {key}, c.id LIMIT ?", [*params, limit]).fetchall()
        return [_case_row(r[:-1], sort_value=r[-1]) for r in rows]

    def case_rows(self, case_ids: Sequence[int]) -> list[CaseRow]:
        """The inbox rows of these cases, in the order given (missing ids skipped)."""
        out: dict[int, CaseRow] = {}
        for chunk in _chunks(list(case_ids), 500):
            marks = ",".join("?" * len(chunk))
            for r in self.db.conn.execute(
                    f"SELECT {self._CASE_COLUMNS} FROM cases c "
                    f"LEFT JOIN contacts k ON k.id = c.contact_id WHERE c.id IN ({marks})",
                    chunk):
                out[r[0]] = _case_row(r)
        return [out[i] for i in case_ids if i in out]

    def case_row(self, case_id: CaseId) -> CaseRow:
        rows = self.case_rows([case_id])
        if not rows:
            raise NotFoundError(f"There is no case #{case_id}.")
        return rows[0]

    def case_detail(self, case_id: CaseId) -> CaseDetail:
        conn = self.db.conn
        case = self.case_row(case_id)
        handles = tuple(conn.execute(
            "SELECT platform, handle FROM contact_handles WHERE contact_id = ? ORDER BY id",
            [case.contact_id]).fetchall())
        messages = tuple(_message(r) for r in conn.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM case_messages cm "
            "JOIN messages m ON m.id = cm.message_id JOIN accounts a ON a.id = m.account_id "
            "WHERE cm.case_id = ? ORDER BY m.created_at, m.id", [case_id]))
        events = tuple(self.case_events(case_id))
        notes = tuple(Note(id=r[0], case_id=CaseId(r[1]), author=r[2], body=r[3],
                           created_at=_dt(r[4])) for r in conn.execute(
            "SELECT id, case_id, author, body, created_at FROM notes WHERE case_id = ? "
            "ORDER BY created_at, id", [case_id]))
        checklist = tuple(ChecklistItem(id=r[0], case_id=CaseId(r[1]), text=r[2], done=bool(r[3]),
                                        source_message_id=r[4]) for r in conn.execute(
            "SELECT id, case_id, text, done, source_message_id FROM checklist_items "
            "WHERE case_id = ? ORDER BY id", [case_id]))
        first_response, resolved = _derived_times(events, case.status)
        return CaseDetail(case=case, handles=handles, messages=messages, events=events,
                          notes=notes, checklist=checklist, first_response_at=first_response,
                          resolved_at=resolved)

    def case_events(self, case_id: CaseId) -> list[TimelineEvent]:
        return [TimelineEvent(id=r[0], case_id=CaseId(r[1]), at=_dt(r[2]), actor=r[3], kind=r[4],
                              before=r[5], after=r[6], detail=json.loads(r[7]) if r[7] else {})
                for r in self.db.conn.execute(
                    "SELECT id, case_id, at, actor, kind, before, after, detail FROM case_events "
                    "WHERE case_id = ? ORDER BY id", [case_id])]

    def case_times(self, case_ids: Sequence[int]) -> dict[int, tuple[dt.datetime | None,
                                                                        dt.datetime | None]]:
        """First response and resolution time of each case, derived from its timeline."""
        out: dict[int, tuple[dt.datetime | None, dt.datetime | None]] = {}
        for chunk in _chunks(list(case_ids), 500):
            marks = ",".join("?" * len(chunk))
            firsts = dict(self.db.conn.execute(
                f"SELECT case_id, min(at) FROM case_events WHERE kind = 'message_out' "
                f"AND case_id IN ({marks}) GROUP BY case_id", chunk).fetchall())
            resolved = dict(self.db.conn.execute(
                f"SELECT e.case_id, max(e.at) FROM case_events e JOIN cases c ON c.id = e.case_id "
                f"WHERE e.kind = 'status' AND e.after IN ('resolved', 'closed') "
                f"AND c.status IN ('resolved', 'closed') AND e.case_id IN ({marks}) "
                f"GROUP BY e.case_id", chunk).fetchall())
            for cid in chunk:
                out[cid] = (_dt(firsts[cid]) if cid in firsts else None,
                            _dt(resolved[cid]) if cid in resolved else None)
        return out

    def case_accounts(self, case_ids: Sequence[int]) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for chunk in _chunks(list(case_ids), 500):
            marks = ",".join("?" * len(chunk))
            for cid, handle in self.db.conn.execute(
                    f"SELECT ca.case_id, a.handle FROM case_accounts ca JOIN accounts a "
                    f"ON a.id = ca.account_id WHERE ca.case_id IN ({marks}) ORDER BY a.id",
                    chunk):
                out.setdefault(cid, []).append(handle)
        return out

    def search(self, query: str, *, limit: int = 100) -> list[SearchHit]:
        """Full-text search over message text and authors, best match first.

        Raises:
            SearchError: the query cannot be run (a clear message, never a crash).
        """
        match = fts_query(query)
        if not match:
            return []
        try:
            rows = self.db.conn.execute(
                f"SELECT {_MESSAGE_COLUMNS}, cm.case_id FROM messages_fts f "
                "JOIN messages m ON m.id = f.rowid JOIN accounts a ON a.id = m.account_id "
                "LEFT JOIN case_messages cm ON cm.message_id = m.id "
                "WHERE messages_fts MATCH ? ORDER BY f.rank LIMIT ?", [match, limit]).fetchall()
        except sqlite3.OperationalError as exc:
            raise SearchError(f"Cannot search for {query!r}: {exc}.") from exc
        return [SearchHit(message=_message(r[:-1]), case_id=r[-1]) for r in rows]

    def search_cases(self, query: str, *, limit: int = 500) -> list[CaseRow]:
        """Cases with a message matching ``query``, best match first."""
        seen: dict[int, None] = {}
        for hit in self.search(query, limit=limit):
            if hit.case_id is not None:
                seen.setdefault(hit.case_id, None)
        # Merged cases point at their survivor through case_messages already.
        return self.case_rows(list(seen))

    def message_count(self) -> int:
        return int(self.db.conn.execute("SELECT count(*) FROM messages").fetchone()[0])

    def case_count(self) -> int:
        return int(self.db.conn.execute("SELECT count(*) FROM cases").fetchone()[0])

    def contact_of_handle(self, platform: str, handle: str) -> ContactId:
        row = self.db.conn.execute(
            "SELECT c.id, c.merged_into FROM contact_handles h JOIN contacts c "
            "ON c.id = h.contact_id WHERE h.platform = ? AND h.handle = ?",
            [platform, handle]).fetchone()
        if row is None:
            raise NotFoundError(f"No contact has the handle {handle} on {platform}.")
        return ContactId(row[1] or row[0])

    def current_case_of(self, contact_id: ContactId) -> CaseId:
        row = self.db.conn.execute(
            "SELECT id FROM cases WHERE contact_id = ? AND merged_into IS NULL "
            "ORDER BY id DESC LIMIT 1", [contact_id]).fetchone()
        if row is None:
            raise NotFoundError(f"Contact #{contact_id} has no case.")
        return CaseId(row[0])

    def owners(self) -> list[str]:
        """Everyone who owns a case, plus the local user."""
        names = {r[0] for r in self.db.conn.execute("SELECT DISTINCT owner FROM cases")}
        names.add(self.me)
        return sorted(names, key=str.casefold)


    # --------------------------------------------------------------- replies
    _REPLY_COLUMNS = (
        "r.id, r.case_id, r.account_id, a.handle, a.platform, r.body, r.state, "
        "r.in_reply_to_message_id, r.template_id, r.template_body, r.findings, "
        "r.override_reason, r.idempotency_key, r.attempts, r.error, r.sent_remote_id, "
        "r.sent_url, r.created_at, r.updated_at, coalesce(k.display_name, '')"
    )
    _REPLY_FROM = ("FROM replies r JOIN accounts a ON a.id = r.account_id "
                   "JOIN cases c ON c.id = r.case_id LEFT JOIN contacts k ON k.id = c.contact_id")

    def save_draft(self, case_id: CaseId, *, account_id: AccountId, body: str,
                   reply_id: ReplyId | None = None,
                   in_reply_to_message_id: MessageId | None = None,
                   template_id: TemplateId | None = None, template_body: str | None = None,
                   actor: str | None = None) -> tuple[ReplyId, Changes]:
        """Create or update the draft reply; called as the user types.

        Only creating a draft enters the timeline; keystrokes do not.
        """
        now = timeutil.to_epoch(timeutil.now())
        with self.db.atomic():
            if reply_id is not None:
                row = self.db.conn.execute("SELECT state, template_id, template_body FROM "
                                           "replies WHERE id = ?", [reply_id]).fetchone()
                if row is None:
                    raise NotFoundError(f"There is no reply #{reply_id}.")
                if row[0] not in (ReplyState.DRAFT, ReplyState.FAILED):
                    raise KnownError("This reply is no longer a draft; send it back to draft "
                                     "to edit it.")
                self.db.conn.execute(
                    "UPDATE replies SET body = ?, account_id = ?, template_id = ?, "
                    "template_body = ?, in_reply_to_message_id = coalesce(?, "
                    "in_reply_to_message_id), state = 'draft', updated_at = ? WHERE id = ?",
                    [body, account_id, template_id if template_id is not None else row[1],
                     template_body if template_body is not None else row[2],
                     in_reply_to_message_id, now, reply_id])
                return reply_id, Changes(replies=True, case_ids=frozenset({case_id}))
            self._case_state(case_id)
            cur = self.db.conn.execute(
                "INSERT INTO replies (case_id, in_reply_to_message_id, account_id, body, state, "
                "template_id, template_body, idempotency_key, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?)",
                [case_id, in_reply_to_message_id, account_id, body, template_id, template_body,
                 str(uuid.uuid4()), now, now])
            new_id = ReplyId(int(cur.lastrowid or 0))
            self._event(case_id, "reply_drafted", actor=actor, detail={"reply_id": new_id})
        return new_id, Changes(replies=True, cases=True, case_ids=frozenset({case_id}))

    def reply(self, reply_id: ReplyId) -> Reply:
        row = self.db.conn.execute(f"SELECT {self._REPLY_COLUMNS} {self._REPLY_FROM} "
                                   "WHERE r.id = ?", [reply_id]).fetchone()
        if row is None:
            raise NotFoundError(f"There is no reply #{reply_id}.")
        return _reply(row)

    def open_draft(self, case_id: CaseId) -> Reply | None:
        """The case's newest unsent draft (or failed reply), if any."""
        row = self.db.conn.execute(
            f"SELECT {self._REPLY_COLUMNS} {self._REPLY_FROM} WHERE r.case_id = ? "
            "AND r.state IN ('draft', 'failed') ORDER BY r.updated_at DESC, r.id DESC LIMIT 1",
            [case_id]).fetchone()
        return _reply(row) if row else None

    def replies(self, states: Sequence[ReplyState | str] = (ReplyState.DRAFT,
                                                            ReplyState.APPROVED,
                                                            ReplyState.SENDING,
                                                            ReplyState.FAILED),
                *, case_id: CaseId | None = None) -> list[Reply]:
        """Replies in these states (the review queue), oldest first."""
        marks = ",".join("?" * len(states))
        params: list[Any] = [str(ReplyState(s)) for s in states]
        where = f"r.state IN ({marks})"
        if case_id is not None:
            where += " AND r.case_id = ?"
            params.append(case_id)
        rows = self.db.conn.execute(
            f"SELECT {self._REPLY_COLUMNS} {self._REPLY_FROM} WHERE {where} "
            "ORDER BY r.case_id, r.created_at, r.id", params).fetchall()
        return [_reply(r) for r in rows]

    def approve_reply(self, reply_id: ReplyId, *, findings: Sequence[dict[str, Any]] = (),
                      override_reason: str | None = None,
                      actor: str | None = None) -> Changes:
        """Put a draft in the outbox with a snapshot of its findings.

        Raises:
            KnownError: the reply is empty, not a draft, or an error finding stands
                without an override reason.
        """
        errors = [f for f in findings if f.get("severity") == "error"]
        reason = (override_reason or "").strip() or None
        if errors and not reason:
            raise KnownError(
                f"{len(errors)} error finding(s) block approval: "
                + "; ".join(str(f.get("message", "")) for f in errors[:3])
                + ". Fix them, or approve with an override reason.")
        with self.db.atomic():
            reply = self.reply(reply_id)
            if reply.state not in (ReplyState.DRAFT, ReplyState.FAILED):
                raise KnownError(f"Reply #{reply_id} is {reply.state.value}, not a draft.")
            if not reply.body.strip():
                raise KnownError("An empty reply cannot be approved.")
            now = timeutil.to_epoch(timeutil.now())
            self.db.conn.execute(
                "UPDATE replies SET state = 'approved', findings = ?, override_reason = ?, "
                "approved_at = ?, updated_at = ?, error = NULL WHERE id = ?",
                [_json(list(findings)), reason, now, now, reply_id])
            if reason:
                self._event(reply.case_id, "override", actor=actor, after=reason,
                            detail={"reply_id": reply_id,
                                    "findings": [f.get("message") for f in errors]})
            self._event(reply.case_id, "reply_approved", actor=actor, after=reply.body,
                        detail={"reply_id": reply_id, "findings": len(findings)})
        return Changes(replies=True, cases=True, case_ids=frozenset({reply.case_id}))

    def return_to_draft(self, reply_id: ReplyId, *, actor: str | None = None) -> Changes:
        with self.db.atomic():
            reply = self.reply(reply_id)
            if reply.state not in (ReplyState.APPROVED, ReplyState.FAILED):
                raise KnownError(f"Reply #{reply_id} is {reply.state.value}; only approved or "
                                 "failed replies go back to draft.")
            self.db.conn.execute(
                "UPDATE replies SET state = 'draft', updated_at = ? WHERE id = ?",
                [timeutil.to_epoch(timeutil.now()), reply_id])
            self._event(reply.case_id, "reply_returned", actor=actor,
                        detail={"reply_id": reply_id})
        return Changes(replies=True, cases=True, case_ids=frozenset({reply.case_id}))

    def delete_reply(self, reply_id: ReplyId, *, actor: str | None = None
                     ) -> tuple[dict[str, Any], Changes]:
        """Delete an unsent reply; returns a snapshot that ``restore_reply`` puts back."""
        with self.db.atomic():
            row = self.db.conn.execute("SELECT * FROM replies WHERE id = ?",
                                       [reply_id]).fetchone()
            if row is None:
                raise NotFoundError(f"There is no reply #{reply_id}.")
            cols = [d[0] for d in self.db.conn.execute("SELECT * FROM replies LIMIT 0")
                    .description]
            snapshot = dict(zip(cols, row))
            if snapshot["state"] in (ReplyState.SENDING, ReplyState.SENT):
                raise KnownError("A reply that is being sent or was sent cannot be deleted.")
            self.db.conn.execute("DELETE FROM replies WHERE id = ?", [reply_id])
            self._event(snapshot["case_id"], "reply_deleted", actor=actor,
                        before=snapshot["body"], detail={"reply_id": reply_id})
        return snapshot, Changes(replies=True, cases=True,
                                 case_ids=frozenset({snapshot["case_id"]}))

    def restore_reply(self, snapshot: dict[str, Any], *, actor: str | None = None) -> Changes:
        """Undo ``delete_reply``."""
        cols = list(snapshot)
        with self.db.atomic():
            self.db.conn.execute(
                f"INSERT INTO replies ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                [snapshot[c] for c in cols])
            self._event(snapshot["case_id"], "reply_restored", actor=actor,
                        detail={"reply_id": snapshot["id"]})
        return Changes(replies=True, cases=True, case_ids=frozenset({snapshot["case_id"]}))

    def mark_reply_sent(self, reply_id: ReplyId, *, remote_id: str | None, url: str | None,
                        at: dt.datetime | None = None, actor: str | None = None) -> Changes:
        """The platform accepted the reply: it enters the case as an outbound message."""
        with self.db.atomic():
            reply = self.reply(reply_id)
            if reply.state == ReplyState.SENT:
                return Changes()
            parent = None
            if reply.in_reply_to_message_id is not None:
                row = self.db.conn.execute("SELECT remote_id FROM messages WHERE id = ?",
                                           [reply.in_reply_to_message_id]).fetchone()
                parent = row[0] if row else None
            when = at or timeutil.now()
            self.record_outbound(reply.case_id, account_id=reply.account_id, text=reply.body,
                                 remote_id=remote_id, url=url, in_reply_to=parent, actor=actor,
                                 at=when, reply_id=reply_id)
            self.db.conn.execute(
                "UPDATE replies SET state = 'sent', sent_remote_id = ?, sent_url = ?, "
                "sent_at = ?, updated_at = ?, error = NULL WHERE id = ?",
                [remote_id, url, timeutil.to_epoch(when), timeutil.to_epoch(when), reply_id])
        return Changes(replies=True, cases=True, messages=True,
                       case_ids=frozenset({reply.case_id}))

    def mark_reply_sending(self, reply_id: ReplyId) -> Changes:
        """Saved before the network call, so a crash mid-send is reconciled, not repeated."""
        with self.db.atomic():
            reply = self.reply(reply_id)
            if reply.state not in (ReplyState.APPROVED, ReplyState.SENDING):
                raise KnownError(f"Reply #{reply_id} is {reply.state.value}, not approved.")
            self.db.conn.execute(
                "UPDATE replies SET state = 'sending', attempts = attempts + 1, updated_at = ? "
                "WHERE id = ?", [timeutil.to_epoch(timeutil.now()), reply_id])
        return Changes(replies=True)

    def mark_reply_failed(self, reply_id: ReplyId, error: str) -> Changes:
        with self.db.atomic():
            reply = self.reply(reply_id)
            self.db.conn.execute(
                "UPDATE replies SET state = 'failed', error = ?, updated_at = ? WHERE id = ?",
                [error, timeutil.to_epoch(timeutil.now()), reply_id])
            self._event(reply.case_id, "reply_failed", actor="sync", after=error,
                        detail={"reply_id": reply_id})
        return Changes(replies=True, cases=True, case_ids=frozenset({reply.case_id}))

    # ------------------------------------------------------------- templates
    def seed_templates(self, templates: Iterable[dict[str, Any]]) -> Changes:
        """Load built-in templates (by slug) without touching the user's edits."""
        now = timeutil.to_epoch(timeutil.now())
        changed = False
        with self.db.atomic():
            for t in templates:
                cur = self.db.conn.execute(
                    "INSERT INTO templates (slug, title, body, category, platforms, tags, builtin, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?) "
                    "ON CONFLICT (slug) DO NOTHING",
                    [t["slug"], t["title"], t["body"], t.get("category", ""),
                     ",".join(t.get("platforms", ())), ",".join(t.get("tags", ())), now, now])
                changed = changed or cur.rowcount > 0
        return Changes(templates=changed)

    def templates(self) -> list[TemplateRecord]:
        return [_template(r) for r in self.db.conn.execute(
            "SELECT id, slug, title, body, category, platforms, tags, builtin, usage_count "
            "FROM templates ORDER BY usage_count DESC, title")]

    def template(self, template_id: TemplateId) -> TemplateRecord:
        row = self.db.conn.execute(
            "SELECT id, slug, title, body, category, platforms, tags, builtin, usage_count "
            "FROM templates WHERE id = ?", [template_id]).fetchone()
        if row is None:
            raise NotFoundError(f"There is no template #{template_id}.")
        return _template(row)

    def save_template(self, *, title: str, body: str, category: str = "",
                      tags: Sequence[str] = (), platforms: Sequence[str] = (),
                      template_id: TemplateId | None = None) -> tuple[TemplateId, Changes]:
        title = title.strip()
        if not title or not body.strip():
            raise KnownError("A template needs a title and a text.")
        now = timeutil.to_epoch(timeutil.now())
        with self.db.atomic():
            if template_id is None:
                base = "".join(ch if ch.isalnum() else "-" for ch in title.lower()).strip("-")
                slug = f"user-{base or 'template'}"
                n = 1
                while self.db.conn.execute("SELECT 1 FROM templates WHERE slug = ?",
                                           [slug]).fetchone():
                    n += 1
                    slug = f"user-{base}-{n}"
                cur = self.db.conn.execute(
                    "INSERT INTO templates (slug, title, body, category, platforms, tags, "
                    "builtin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
                    [slug, title, body, category, ",".join(platforms), ",".join(tags), now, now])
                template_id = TemplateId(int(cur.lastrowid or 0))
            else:
                self.db.conn.execute(
                    "UPDATE templates SET title = ?, body = ?, category = ?, platforms = ?, "
                    "tags = ?, updated_at = ? WHERE id = ?",
                    [title, body, category, ",".join(platforms), ",".join(tags), now,
                     template_id])
        return template_id, Changes(templates=True)

    def delete_template(self, template_id: TemplateId) -> Changes:
        with self.db.atomic():
            self.db.conn.execute("UPDATE replies SET template_id = NULL WHERE template_id = ?",
                                 [template_id])
            self.db.conn.execute("DELETE FROM templates WHERE id = ?", [template_id])
        return Changes(templates=True)

    def count_template_use(self, template_id: TemplateId) -> Changes:
        with self.db.atomic():
            self.db.conn.execute("UPDATE templates SET usage_count = usage_count + 1 "
                                 "WHERE id = ?", [template_id])
        return Changes(templates=True)

    def set_account_profile(self, account_id: AccountId, profile: str | None) -> Changes:
        with self.db.atomic():
            self.db.conn.execute("UPDATE accounts SET voice_profile = ? WHERE id = ?",
                                 [profile, account_id])
        return Changes(accounts=True)

    # -------------------------------------------------------- sync state
    def account_cursor(self, account_id: AccountId) -> str | None:
        row = self.db.conn.execute("SELECT cursor FROM accounts WHERE id = ?",
                                   [account_id]).fetchone()
        if row is None:
            raise NotFoundError(f"There is no account #{account_id}.")
        return str(row[0]) if row[0] is not None else None

    def record_sync(self, account_id: AccountId, *, cursor: str | None = None,
                    error: str | None = None, at: dt.datetime | None = None) -> Changes:
        """Store an account's new cursor after a fetch (or the error that stopped it)."""
        when = timeutil.to_epoch(at or timeutil.now())
        with self.db.atomic():
            if error is None:
                self.db.conn.execute(
                    "UPDATE accounts SET cursor = coalesce(?, cursor), last_sync_at = ?, "
                    "last_error = NULL WHERE id = ?", [cursor, when, account_id])
            else:
                self.db.conn.execute("UPDATE accounts SET last_error = ? WHERE id = ?",
                                     [error, account_id])
        return Changes(accounts=True)

    def sync_status(self) -> dict[AccountId, tuple[dt.datetime | None, str | None]]:
        """Per account: when it last synced, and the error of its last attempt."""
        return {AccountId(r[0]): (timeutil.from_epoch(r[1]), r[2]) for r in self.db.conn.execute(
            "SELECT id, last_sync_at, last_error FROM accounts")}

    def remove_account(self, account_id: AccountId) -> Changes:
        """Forget an account that has no messages yet; with history it is kept read-only.

        Raises:
            KnownError: the account has messages (its cases would lose their history).
        """
        with self.db.atomic():
            self.account(account_id)
            used = self.db.conn.execute(
                "SELECT (SELECT count(*) FROM messages WHERE account_id = ?) + "
                "(SELECT count(*) FROM replies WHERE account_id = ?)",
                [account_id, account_id]).fetchone()[0]
            if used:
                raise KnownError(
                    "This account has messages in the case history, so it stays in the "
                    "workspace (its credentials can still be removed from the keyring).")
            self.db.conn.execute("DELETE FROM accounts WHERE id = ?", [account_id])
        return Changes(accounts=True)

    def set_account_hours(self, account_id: AccountId, *, timezone: str,
                          business_hours: dict[str, Any] | None) -> Changes:
        with self.db.atomic():
            self.db.conn.execute(
                "UPDATE accounts SET timezone = ?, business_hours = ? WHERE id = ?",
                [timezone, _json(business_hours), account_id])
        return Changes(accounts=True)

    def account_hours(self, account_id: AccountId) -> dict[str, Any] | None:
        row = self.db.conn.execute("SELECT business_hours FROM accounts WHERE id = ?",
                                   [account_id]).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def approved_replies(self) -> list[Reply]:
        """The outbox in sending order: by case, oldest approval first."""
        rows = self.db.conn.execute(
            f"SELECT {self._REPLY_COLUMNS} {self._REPLY_FROM} "
            "WHERE r.state IN ('approved', 'sending') "
            "ORDER BY r.case_id, coalesce(r.approved_at, r.created_at), r.id").fetchall()
        return [_reply(r) for r in rows]

    def message(self, message_id: MessageId) -> tuple[Message, dict[str, Any]]:
        """A message and its platform references (``extra``), e.g. to reply to it."""
        row = self.db.conn.execute(
            f"SELECT {_MESSAGE_COLUMNS}, m.extra FROM messages m "
            "JOIN accounts a ON a.id = m.account_id WHERE m.id = ?", [message_id]).fetchone()
        if row is None:
            raise NotFoundError(f"There is no message #{message_id}.")
        return _message(row[:-1]), json.loads(row[-1]) if row[-1] else {}

    # ------------------------------------------------ export / import (issue 5)
    # (methods for export and import go here)

    # Export reads plain dicts (epoch seconds, JSON columns decoded) that
    # ``core/export.py`` turns into files.  No credentials live in these tables
    # (they are in the keyring); sync state (cursors, last errors) is left out.

    def export_case_ids(self, *, case_ids: Sequence[int] | None = None,
                        flt: CaseFilter | None = None, search: str | None = None,
                        since: dt.datetime | None = None,
                        until: dt.datetime | None = None) -> list[CaseId]:
        """The cases an export holds, in id order.

        The conditions combine: the chosen ``case_ids``, the cases an inbox
        filter (and search) shows, the cases active in ``[since, until)``
        (opened before ``until``, last activity at or after ``since``).  With
        none of them, every case.  Cases merged into a chosen case, and the case
        a chosen case was merged into, come along: their timelines refer to
        each other's messages.

        Raises:
            NotFoundError: one of ``case_ids`` does not exist.
        """
        conn = self.db.conn
        chosen: set[int] | None = None
        if case_ids is not None:
            wanted = sorted({int(i) for i in case_ids})
            chosen = set()
            for chunk in _chunks(wanted, 500):
                marks = ",".join("?" * len(chunk))
                chosen |= {r[0] for r in conn.execute(
                    f"SELECT id FROM cases WHERE id IN ({marks})", chunk)}
            missing = [i for i in wanted if i not in chosen]
            if missing:
                raise NotFoundError(f"There is no case #{missing[0]}.")
        clauses: list[str] = []
        params: list[Any] = []
        if flt is not None:
            where, more = self._filter_sql(flt)
            clauses.append(where)
            params += more
        if since is not None:
            clauses.append("c.last_activity_at >= ?")
            params.append(timeutil.to_epoch(since))
        if until is not None:
            clauses.append("c.opened_at < ?")
            params.append(timeutil.to_epoch(until))
        ids: set[int]
        if clauses or chosen is None:
            ids = {r[0] for r in conn.execute(
                f"SELECT c.id FROM cases c WHERE {' AND '.join(clauses) or '1'}", params)}
            if chosen is not None:
                ids &= chosen
        else:
            ids = chosen
        if search:
            ids &= {r.id for r in self.search_cases(search, limit=1_000_000)}
        return [CaseId(i) for i in sorted(self._merge_relatives(ids))]

    def _merge_relatives(self, ids: set[int]) -> set[int]:
        out = set(ids)
        todo = set(ids)
        while todo:
            found: set[int] = set()
            for chunk in _chunks(sorted(todo), 400):
                marks = ",".join("?" * len(chunk))
                for case_id, into in self.db.conn.execute(
                        f"SELECT id, merged_into FROM cases WHERE merged_into IN ({marks}) "
                        f"OR (id IN ({marks}) AND merged_into IS NOT NULL)", [*chunk, *chunk]):
                    found.update((case_id, into))
            todo = found - out
            out |= found
        return out

    def export_refs(self, case_ids: Sequence[int]) -> tuple[list[AccountId], list[ContactId]]:
        """The accounts and contacts that these cases (and their messages) refer to."""
        conn = self.db.conn
        accounts: set[int] = set()
        contacts: set[int] = set()
        for chunk in _chunks(list(case_ids), 500):
            marks = ",".join("?" * len(chunk))
            accounts |= {r[0] for r in conn.execute(
                f"SELECT account_id FROM case_accounts WHERE case_id IN ({marks}) UNION "
                f"SELECT m.account_id FROM case_messages cm JOIN messages m ON m.id = cm.message_id "
                f"WHERE cm.case_id IN ({marks}) UNION "
                f"SELECT account_id FROM replies WHERE case_id IN ({marks})",
                [*chunk, *chunk, *chunk])}
            contacts |= {r[0] for r in conn.execute(
                f"SELECT contact_id FROM cases WHERE id IN ({marks}) UNION "
                f"SELECT m.contact_id FROM case_messages cm JOIN messages m ON m.id = cm.message_id "
                f"WHERE cm.case_id IN ({marks}) AND m.contact_id IS NOT NULL", [*chunk, *chunk])}
        return ([AccountId(i) for i in sorted(accounts)],
                [ContactId(i) for i in sorted(contacts)])

    def export_accounts(self, account_ids: Sequence[int]) -> list[dict[str, Any]]:
        """Account settings worth handing over: no credentials, no sync cursor."""
        cols = ("id", "platform", "handle", "display_name", "role", "server", "voice_profile",
                "timezone", "business_hours", "created_at")
        out = []
        for chunk in _chunks(sorted(account_ids), 500):
            marks = ",".join("?" * len(chunk))
            for row in self.db.conn.execute(
                    f"SELECT {', '.join(cols)} FROM accounts WHERE id IN ({marks})", chunk):
                item = dict(zip(cols, row))
                item["business_hours"] = _loads(item["business_hours"])
                out.append(item)
        return sorted(out, key=lambda a: a["id"])

    def export_contacts(self, contact_ids: Sequence[int]) -> list[dict[str, Any]]:
        """Contacts with their handles; contacts they were merged into come along."""
        conn = self.db.conn
        found: dict[int, dict[str, Any]] = {}
        todo = set(contact_ids)
        while todo:
            more: set[int] = set()
            for chunk in _chunks(sorted(todo), 500):
                marks = ",".join("?" * len(chunk))
                for cid, name, merged, created in conn.execute(
                        f"SELECT id, display_name, merged_into, created_at FROM contacts "
                        f"WHERE id IN ({marks})", chunk):
                    found[cid] = {"id": cid, "display_name": name, "merged_into": merged,
                                  "created_at": created, "handles": []}
                    if merged is not None and merged not in found:
                        more.add(merged)
            todo = more - set(found)
        for chunk in _chunks(sorted(found), 500):
            marks = ",".join("?" * len(chunk))
            for cid, platform, handle, remote_id in conn.execute(
                    f"SELECT contact_id, platform, handle, remote_id FROM contact_handles "
                    f"WHERE contact_id IN ({marks}) ORDER BY id", chunk):
                found[cid]["handles"].append(
                    {"platform": platform, "handle": handle, "remote_id": remote_id})
        return [found[i] for i in sorted(found)]

    _EXPORT_CASE = ("id", "contact_id", "status", "owner", "opened_at", "last_activity_at",
                    "last_inbound_at", "waiting_since", "snoozed_until", "snooze_until_reply",
                    "followup_due_at", "sentiment", "preview", "message_count", "platforms",
                    "merged_into")
    _EXPORT_MESSAGE = ("id", "account_id", "platform", "remote_id", "direction", "kind",
                       "contact_id", "author_handle", "author_name", "text", "raw_markup", "url",
                       "in_reply_to", "thread_root", "urls", "media", "extra", "sentiment",
                       "created_at")
    _EXPORT_REPLY = ("id", "account_id", "in_reply_to_message_id", "body", "state",
                     "template_slug", "template_body", "findings", "override_reason",
                     "idempotency_key", "attempts", "error", "sent_remote_id", "sent_url",
                     "created_at", "updated_at", "approved_at", "sent_at")

    def export_cases(self, case_ids: Sequence[int], *, batch_size: int = 500
                     ) -> Iterator[list[dict[str, Any]]]:
        """Whole cases, a batch at a time, in the order given.

        Each case dict holds the case's columns plus ``account_ids``,
        ``messages`` (oldest first), ``timeline`` (in the order it was written),
        ``notes``, ``checklist`` and ``replies``.  Times are epoch seconds.
        """
        conn = self.db.conn
        m_cols = ", ".join(f"m.{c}" for c in self._EXPORT_MESSAGE)
        r_cols = ", ".join("t.slug" if c == "template_slug" else f"r.{c}"
                           for c in self._EXPORT_REPLY)
        for chunk in _chunks(list(case_ids), batch_size):
            marks = ",".join("?" * len(chunk))
            cases: dict[int, dict[str, Any]] = {}
            for row in conn.execute(f"SELECT {', '.join(self._EXPORT_CASE)} FROM cases "
                                    f"WHERE id IN ({marks})", chunk):
                case = dict(zip(self._EXPORT_CASE, row))
                case["platforms"] = [p for p in case["platforms"].split(",") if p]
                case["snooze_until_reply"] = bool(case["snooze_until_reply"])
                case.update(account_ids=[], messages=[], timeline=[], notes=[], checklist=[],
                            replies=[])
                cases[case["id"]] = case
            for case_id, account_id in conn.execute(
                    f"SELECT case_id, account_id FROM case_accounts WHERE case_id IN ({marks}) "
                    "ORDER BY case_id, account_id", chunk):
                cases[case_id]["account_ids"].append(account_id)
            for row in conn.execute(
                    f"SELECT cm.case_id, {m_cols} FROM case_messages cm "
                    f"JOIN messages m ON m.id = cm.message_id WHERE cm.case_id IN ({marks}) "
                    "ORDER BY m.created_at, m.id", chunk):
                message = dict(zip(self._EXPORT_MESSAGE, row[1:]))
                message["urls"] = _loads(message["urls"]) or []
                message["media"] = _loads(message["media"]) or []
                message["extra"] = _loads(message["extra"]) or {}
                cases[row[0]]["messages"].append(message)
            for eid, case_id, at, actor, kind, before, after, detail in conn.execute(
                    "SELECT id, case_id, at, actor, kind, before, after, detail FROM case_events "
                    f"WHERE case_id IN ({marks}) ORDER BY id", chunk):
                cases[case_id]["timeline"].append({
                    "id": eid, "at": at, "actor": actor, "kind": kind, "before": before,
                    "after": after, "detail": _loads(detail) or {}})
            for nid, case_id, author, body, created in conn.execute(
                    "SELECT id, case_id, author, body, created_at FROM notes "
                    f"WHERE case_id IN ({marks}) ORDER BY created_at, id", chunk):
                cases[case_id]["notes"].append(
                    {"id": nid, "author": author, "body": body, "created_at": created})
            for iid, case_id, text, source, done, done_at, created in conn.execute(
                    "SELECT id, case_id, text, source_message_id, done, done_at, created_at "
                    f"FROM checklist_items WHERE case_id IN ({marks}) ORDER BY id", chunk):
                cases[case_id]["checklist"].append({
                    "id": iid, "text": text, "source_message_id": source, "done": bool(done),
                    "done_at": done_at, "created_at": created})
            for row in conn.execute(
                    f"SELECT r.case_id, {r_cols} FROM replies r "
                    "LEFT JOIN templates t ON t.id = r.template_id "
                    f"WHERE r.case_id IN ({marks}) ORDER BY r.id", chunk):
                reply = dict(zip(self._EXPORT_REPLY, row[1:]))
                reply["findings"] = _loads(reply["findings"]) or []
                cases[row[0]]["replies"].append(reply)
            yield [cases[i] for i in chunk if i in cases]

    # Import primitives.  ``core/importer.py`` decides what to merge (matching,
    # duplicates, conflicts) and runs these inside one ``atomic()`` block.

    def import_accounts(self, accounts: Sequence[dict[str, Any]]
                        ) -> tuple[dict[tuple[str, str], AccountId], list[AccountId]]:
        """Map (platform, handle) to a local account, creating the missing ones.

        Existing accounts are left as they are (local settings win).  Created
        accounts have no credentials: the user adds them in the accounts dialog.

        Returns:
            The mapping, and the ids of the accounts created.
        """
        conn = self.db.conn
        known = {(p, h): AccountId(i) for i, p, h in conn.execute(
            "SELECT id, platform, handle FROM accounts")}
        created: list[AccountId] = []
        now = timeutil.to_epoch(timeutil.now())
        for acc in accounts:
            key = (str(Platform(acc["platform"])), str(acc["handle"]))
            if key in known:
                continue
            cur = conn.execute(
                "INSERT INTO accounts (platform, handle, display_name, role, server, "
                "voice_profile, timezone, business_hours, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [key[0], key[1], acc.get("display_name") or "", acc.get("role") or "",
                 acc.get("server"), acc.get("voice_profile"), acc.get("timezone") or "UTC",
                 _json(acc.get("business_hours")), acc.get("created_at") or now])
            known[key] = AccountId(int(cur.lastrowid or 0))
            created.append(known[key])
        return known, created

    def import_find_contacts(self, handles: Iterable[tuple[str, str]]
                             ) -> dict[tuple[str, str], ContactId]:
        """The contact (after merges) that owns each (platform, handle), where one does."""
        out: dict[tuple[str, str], ContactId] = {}
        for platform, handle in set(handles):
            row = self.db.conn.execute(
                "SELECT h.contact_id, c.merged_into FROM contact_handles h "
                "JOIN contacts c ON c.id = h.contact_id WHERE h.platform = ? AND h.handle = ?",
                [platform, handle]).fetchone()
            if row is not None:
                out[(platform, handle)] = ContactId(row[1] or row[0])
        return out

    def import_find_contact_named(self, display_name: str) -> ContactId | None:
        """A contact without handles (a merge leftover) known by this name."""
        row = self.db.conn.execute(
            "SELECT c.id FROM contacts c WHERE c.display_name = ? AND c.merged_into IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM contact_handles h WHERE h.contact_id = c.id) "
            "ORDER BY c.id LIMIT 1", [display_name]).fetchone()
        return ContactId(row[0]) if row else None

    def import_find_merged_contact(self, display_name: str, *, into: ContactId
                                   ) -> ContactId | None:
        """A contact of this name that was merged into ``into`` (the same person)."""
        row = self.db.conn.execute(
            "SELECT id FROM contacts WHERE display_name = ? AND merged_into = ? "
            "ORDER BY id LIMIT 1", [display_name, into]).fetchone()
        return ContactId(row[0]) if row else None

    def import_add_contact(self, display_name: str, *, created_at: int | None = None,
                           merged_into: ContactId | None = None) -> ContactId:
        cur = self.db.conn.execute(
            "INSERT INTO contacts (display_name, merged_into, created_at) VALUES (?, ?, ?)",
            [display_name, merged_into, created_at or timeutil.to_epoch(timeutil.now())])
        return ContactId(int(cur.lastrowid or 0))

    def import_add_handles(self, contact_id: ContactId,
                           handles: Sequence[tuple[str, str, str | None]]) -> None:
        """Give a contact more handles; a handle someone else owns is skipped."""
        self.db.conn.executemany(
            "INSERT INTO contact_handles (contact_id, platform, handle, remote_id) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (platform, handle) DO NOTHING",
            [(contact_id, p, h, r) for p, h, r in handles])

    def import_find_messages(self, keys: Iterable[tuple[int, str]]
                             ) -> dict[tuple[int, str], tuple[MessageId, CaseId | None]]:
        """Stored messages by (account id, remote id), with the case each belongs to."""
        out: dict[tuple[int, str], tuple[MessageId, CaseId | None]] = {}
        by_account: dict[int, list[str]] = {}
        for account_id, remote_id in keys:
            by_account.setdefault(account_id, []).append(remote_id)
        for account_id, remote_ids in by_account.items():
            for chunk in _chunks(sorted(set(remote_ids)), 500):
                marks = ",".join("?" * len(chunk))
                for mid, remote_id, case_id in self.db.conn.execute(
                        "SELECT m.id, m.remote_id, cm.case_id FROM messages m "
                        "LEFT JOIN case_messages cm ON cm.message_id = m.id "
                        f"WHERE m.account_id = ? AND m.remote_id IN ({marks})",
                        [account_id, *chunk]):
                    out[(account_id, remote_id)] = (MessageId(mid), case_id)
        return out

    def import_add_message(self, row: dict[str, Any]) -> MessageId:
        """Insert one message exactly as given (local account and contact ids)."""
        cols = [c for c in self._EXPORT_MESSAGE if c != "id"]
        values = [row.get(c) for c in cols]
        for name in ("urls", "media", "extra"):
            i = cols.index(name)
            values[i] = _json(values[i]) if values[i] else None
        cur = self.db.conn.execute(
            f"INSERT INTO messages ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            values)
        return MessageId(int(cur.lastrowid or 0))

    def import_cases_opened_by(self, message_ids: Sequence[int]) -> dict[MessageId, CaseId]:
        """The case whose first arrival in its timeline is each of these messages.

        That first ``message_in`` event identifies a case across workspaces: it
        never changes, even when the case is merged into another.
        """
        out: dict[MessageId, CaseId] = {}
        for chunk in _chunks(sorted(set(message_ids)), 500):
            marks = ",".join("?" * len(chunk))
            for case_id, message_id in self.db.conn.execute(
                    "SELECT e.case_id, json_extract(e.detail, '$.message_id') FROM case_events e "
                    "WHERE e.kind = 'message_in' "
                    f"AND json_extract(e.detail, '$.message_id') IN ({marks}) "
                    "AND e.id = (SELECT min(f.id) FROM case_events f "
                    "            WHERE f.case_id = e.case_id AND f.kind = 'message_in')",
                    chunk):
                out.setdefault(MessageId(message_id), CaseId(case_id))
        return out

    def import_add_case(self, fields: dict[str, Any]) -> CaseId:
        """Insert a case with the given columns (local contact id); returns its id."""
        cols = [c for c in self._EXPORT_CASE if c not in ("id", "merged_into")]
        values = [fields.get(c) for c in cols]
        values[cols.index("platforms")] = ",".join(fields.get("platforms") or [])
        values[cols.index("snooze_until_reply")] = int(bool(fields.get("snooze_until_reply")))
        cur = self.db.conn.execute(
            f"INSERT INTO cases ({', '.join(cols)}, sort_key) "
            f"VALUES ({', '.join('?' * len(cols))}, ?)",
            [*values, sort_key_for(fields.get("waiting_since"), fields["last_activity_at"],
                                   fields.get("followup_due_at"))])
        return CaseId(int(cur.lastrowid or 0))

    _IMPORT_UPDATABLE = frozenset({"status", "owner", "opened_at", "last_activity_at",
                                   "last_inbound_at", "waiting_since", "snoozed_until",
                                   "snooze_until_reply", "followup_due_at", "sentiment",
                                   "preview", "merged_into", "message_count", "platforms"})

    def import_update_case(self, case_id: CaseId, fields: dict[str, Any], *,
                           recount: bool = True, merge_platforms: bool = True) -> None:
        """Set case columns; with ``recount``, the message count follows the links (and,
        with ``merge_platforms``, the platforms of the linked messages are added)."""
        unknown = set(fields) - self._IMPORT_UPDATABLE
        if unknown:
            raise ValueError(f"cannot set {sorted(unknown)} on a case")
        conn = self.db.conn
        if fields:
            values = [",".join(v) if k == "platforms" else int(bool(v))
                      if k == "snooze_until_reply" else v for k, v in fields.items()]
            conn.execute(f"UPDATE cases SET {', '.join(f'{k} = ?' for k in fields)} "
                         "WHERE id = ?", [*values, case_id])
        if recount:
            count, platforms = conn.execute(
                "SELECT count(*), group_concat(DISTINCT m.platform) FROM case_messages cm "
                "JOIN messages m ON m.id = cm.message_id WHERE cm.case_id = ?",
                [case_id]).fetchone()
            current = conn.execute("SELECT platforms FROM cases WHERE id = ?",
                                   [case_id]).fetchone()[0]
            merged = set(filter(None, current.split(",")))
            if merge_platforms:
                merged |= set(filter(None, (platforms or "").split(",")))
            conn.execute("UPDATE cases SET message_count = ?, platforms = ? WHERE id = ?",
                         [count, ",".join(sorted(merged)), case_id])
        waiting, last, due = conn.execute(
            "SELECT waiting_since, last_activity_at, followup_due_at FROM cases WHERE id = ?",
            [case_id]).fetchone()
        conn.execute("UPDATE cases SET sort_key = ? WHERE id = ?",
                     [sort_key_for(waiting, last, due), case_id])

    def import_link(self, case_id: CaseId, *, message_ids: Sequence[int] = (),
                    account_ids: Sequence[int] = ()) -> None:
        """Put messages (not yet in any case) and accounts into a case."""
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO case_messages (message_id, case_id) VALUES (?, ?)",
            [(m, case_id) for m in message_ids])
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO case_accounts (case_id, account_id) VALUES (?, ?)",
            [(case_id, a) for a in account_ids])

    def import_add_note(self, case_id: CaseId, *, author: str, body: str,
                        created_at: int) -> int:
        cur = self.db.conn.execute(
            "INSERT INTO notes (case_id, author, body, created_at) VALUES (?, ?, ?, ?)",
            [case_id, author, body, created_at])
        return int(cur.lastrowid or 0)

    def import_add_issue(self, case_id: CaseId, *, text: str, source_message_id: int | None,
                         done: bool, done_at: int | None, created_at: int) -> int:
        cur = self.db.conn.execute(
            "INSERT INTO checklist_items (case_id, text, source_message_id, done, done_at, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [case_id, text, source_message_id, int(done), done_at, created_at])
        return int(cur.lastrowid or 0)

    def import_set_issue(self, item_id: int, *, done: bool, done_at: int | None) -> None:
        """Set a checklist item's state without a timeline entry (the file brings it)."""
        self.db.conn.execute("UPDATE checklist_items SET done = ?, done_at = ? WHERE id = ?",
                             [int(done), done_at, item_id])

    def import_find_replies(self, keys: Iterable[str]) -> dict[str, ReplyId]:
        """Replies by idempotency key (the same reply in every workspace)."""
        out: dict[str, ReplyId] = {}
        for chunk in _chunks(sorted(set(keys)), 500):
            marks = ",".join("?" * len(chunk))
            for rid, key in self.db.conn.execute(
                    f"SELECT id, idempotency_key FROM replies WHERE idempotency_key IN ({marks})",
                    chunk):
                out[key] = ReplyId(rid)
        return out

    def import_add_reply(self, case_id: CaseId, row: dict[str, Any]) -> ReplyId:
        """Insert a reply as given (local ids; the caller decides its state)."""
        slug = row.get("template_slug")
        template = None
        if slug:
            found = self.db.conn.execute("SELECT id FROM templates WHERE slug = ?",
                                         [slug]).fetchone()
            template = found[0] if found else None
        cols = [c for c in self._EXPORT_REPLY if c not in ("id", "template_slug")]
        values = [_json(row.get(c) or []) if c == "findings" else row.get(c) for c in cols]
        cur = self.db.conn.execute(
            f"INSERT INTO replies (case_id, template_id, {', '.join(cols)}) "
            f"VALUES (?, ?, {', '.join('?' * len(cols))})", [case_id, template, *values])
        return ReplyId(int(cur.lastrowid or 0))

    def import_add_events(self, case_id: CaseId, events: Sequence[dict[str, Any]]) -> None:
        """Append timeline entries as given (``at`` in epoch seconds, local ids in detail)."""
        self.db.conn.executemany(
            "INSERT INTO case_events (case_id, at, actor, kind, before, after, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(case_id, e["at"], e["actor"], e["kind"], e.get("before"), e.get("after"),
              _json(e.get("detail")) if e.get("detail") else None) for e in events])

    # Reports read raw rows; ``core/reports.py`` does the arithmetic (time zones,
    # business hours) in Python.

    def report_accounts(self) -> list[dict[str, Any]]:
        """Every account with its time zone and business hours (decoded)."""
        return self.export_accounts([r[0] for r in self.db.conn.execute(
            "SELECT id FROM accounts")])

    def report_cases(self, *, opened_since: int | None = None, opened_until: int | None = None,
                     unfinished: bool = False) -> list[dict[str, Any]]:
        """Unmerged cases with the times reports need (epoch seconds).

        Each dict: ``id``, ``status``, ``owner``, ``opened_at``, ``waiting_since``,
        ``first_in_at`` and ``account_id`` (the first inbound message and the
        account it came to), ``first_response_at`` (first reply sent) and
        ``resolved_at`` (when a finished case was last resolved or closed).
        """
        clauses = ["c.merged_into IS NULL"]
        params: list[Any] = []
        if opened_since is not None:
            clauses.append("c.opened_at >= ?")
            params.append(opened_since)
        if opened_until is not None:
            clauses.append("c.opened_at < ?")
            params.append(opened_until)
        if unfinished:
            clauses.append("c.status NOT IN ('resolved', 'closed')")
        rows = self.db.conn.execute(
            "SELECT c.id, c.status, c.owner, c.opened_at, c.waiting_since, "
            " (SELECT m.created_at || ',' || m.account_id FROM case_messages cm "
            "  JOIN messages m ON m.id = cm.message_id WHERE cm.case_id = c.id "
            "  AND m.direction = 'in' ORDER BY m.created_at, m.id LIMIT 1), "
            " (SELECT min(e.at) FROM case_events e WHERE e.case_id = c.id "
            "  AND e.kind = 'message_out'), "
            " CASE WHEN c.status IN ('resolved', 'closed') THEN "
            "  (SELECT max(e.at) FROM case_events e WHERE e.case_id = c.id AND e.kind = 'status' "
            "   AND e.after IN ('resolved', 'closed')) END "
            f"FROM cases c WHERE {' AND '.join(clauses)} ORDER BY c.id", params).fetchall()
        out = []
        for case_id, status, owner, opened, waiting, first_in, responded, resolved in rows:
            first_at, account_id = (int(x) for x in first_in.split(",")) if first_in \
                else (None, None)
            out.append({"id": case_id, "status": status, "owner": owner, "opened_at": opened,
                        "waiting_since": waiting, "first_in_at": first_at,
                        "account_id": account_id, "first_response_at": responded,
                        "resolved_at": resolved})
        return out

    def report_messages(self, *, since: int, until: int) -> list[tuple[int, int, str, float | None]]:
        """Messages created in ``[since, until)``: (account id, created_at, direction, sentiment)."""
        return [tuple(r) for r in self.db.conn.execute(
            "SELECT account_id, created_at, direction, sentiment FROM messages "
            "WHERE created_at >= ? AND created_at < ? ORDER BY created_at, id", [since, until])]

_MESSAGE_COLUMNS = (
    "m.id, m.account_id, a.handle, m.platform, m.remote_id, m.direction, m.kind, "
    "m.author_handle, m.author_name, m.text, m.created_at, m.url, m.in_reply_to, m.sentiment"
)


def _message(r: Sequence[Any]) -> Message:
    return Message(id=MessageId(r[0]), account_id=AccountId(r[1]), account_handle=r[2],
                   platform=Platform(r[3]), remote_id=r[4], direction=Direction(r[5]),
                   kind=MessageKind(r[6]), author_handle=r[7], author_name=r[8], text=r[9],
                   created_at=_dt(r[10]), url=r[11], in_reply_to=r[12], sentiment=r[13])


def _account(r: Sequence[Any]) -> Account:
    return Account(id=AccountId(r[0]), platform=Platform(r[1]), handle=r[2], display_name=r[3],
                   role=r[4], server=r[5], voice_profile=r[6], timezone=r[7])


def _case_row(r: Sequence[Any], *, sort_value: Any = None) -> CaseRow:
    return CaseRow(
        id=CaseId(r[0]), contact_id=ContactId(r[1]), contact_name=r[2], contact_handle=r[3],
        status=CaseStatus(r[4]), owner=r[5], preview=r[6],
        waiting_since=timeutil.from_epoch(r[7]), last_activity_at=_dt(r[8]),
        opened_at=_dt(r[9]), message_count=r[10],
        platforms=tuple(p for p in r[11].split(",") if p),
        sort_key=(r[12] if sort_value is None else sort_value, r[0]),
        sentiment=r[13], snoozed_until=timeutil.from_epoch(r[14]))


def _dt(value: int) -> dt.datetime:
    result = timeutil.from_epoch(value)
    assert result is not None
    return result


def _derived_times(events: Sequence[TimelineEvent],
                   status: CaseStatus) -> tuple[dt.datetime | None, dt.datetime | None]:
    first_response = next((e.at for e in events if e.kind == "message_out"), None)
    resolved = None
    if status in FINISHED_STATUSES:
        resolved = max((e.at for e in events
                        if e.kind == "status" and e.after in ("resolved", "closed")), default=None)
    return first_response, resolved


def _chunks(seq: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(seq), size):
        yield seq[start:start + size]


def _check_header(path: Path) -> None:
    """Refuse a file that is not SQLite without opening it for writing."""
    try:
        size = path.stat().st_size
        if size == 0:
            return
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"Cannot read {path}: {exc.strerror}.") from exc
    if header != SQLITE_HEADER:
        raise CorruptDatabaseError(
            f"{path} is not a Community Console workspace (it is not a SQLite database). "
            "The file was left untouched.")


def copy_workspace(source: Path, target: Path) -> None:
    """Copy a workspace file (used for throwaway demo copies)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def _reply(r: Sequence[Any]) -> Reply:
    return Reply(
        id=ReplyId(r[0]), case_id=CaseId(r[1]), account_id=AccountId(r[2]), account_handle=r[3],
        platform=Platform(r[4]), body=r[5], state=ReplyState(r[6]),
        in_reply_to_message_id=r[7], template_id=r[8], template_body=r[9],
        findings=tuple(json.loads(r[10])) if r[10] else (), override_reason=r[11],
        idempotency_key=r[12], attempts=r[13], error=r[14], sent_remote_id=r[15],
        sent_url=r[16], created_at=_dt(r[17]), updated_at=_dt(r[18]), contact_name=r[19])


def _template(r: Sequence[Any]) -> TemplateRecord:
    return TemplateRecord(
        id=TemplateId(r[0]), slug=r[1], title=r[2], body=r[3], category=r[4],
        platforms=tuple(p for p in r[5].split(",") if p), tags=tuple(t for t in r[6].split(",") if t),
        builtin=bool(r[7]), usage_count=r[8])


def _loads(value: str | None) -> Any:
    """Decode a JSON column (NULL and empty stay None)."""
    return json.loads(value) if value else None

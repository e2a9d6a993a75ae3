"""Store part: messages and contacts: ingest (threading into cases) and search."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any

from console.core import timeutil
from console.core.changes import Changes
from console.core.errors import KnownError, NotFoundError, SearchError
from console.core.ids import CaseId, ContactId, MessageId
from console.core.migrations import WIDE_MESSAGE
from console.core.models import CaseRow, CaseStatus, IncomingMessage, Message
from console.core.rules import FINISHED_STATUSES
from console.core.search import TRIGRAM_MIN, SearchQuery, parse_query
from console.core.store.cases import CasesPart
from console.core.store.model import CaseFilter, IngestResult, SearchHit, sort_key_for
from console.core.store.rows import _MESSAGE_COLUMNS, _case_row, _chunks, _json, _message


class MessagesPart(CasesPart):
    """Messages: ingest, contacts, full-text search."""

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
            scorer: optional ``callable(text) -> float | None`` sentiment scorer;
                one with a ``many(texts)`` method is called once per batch.
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
                platform = str(item.platform)  # str() is a C slot; .value is a Python property
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
            message_ids = self._new_ids("messages", len(pairs))
            message_rows = []
            planned = []
            scores = _scores(scorer, [item.text for _, _, item in pairs])
            for (account_id, platform, item), sentiment in zip(pairs, scores, strict=True):
                created = item.created_at
                if created.tzinfo is None:
                    raise ValueError(f"message {item.remote_id} has a naive timestamp")
                at = int(created.timestamp())
                contact_id = contacts[(platform, item.author_handle)]
                next_message = next(message_ids)
                message_rows.append((
                    next_message, account_id, platform, item.remote_id, "in", str(item.kind),
                    contact_id, item.author_handle, item.author_name, item.text, item.raw_markup,
                    item.url, item.in_reply_to, item.thread_root,
                    _json(list(item.urls)) if item.urls else None,
                    _json(list(item.media)) if item.media else None,
                    _json(item.extra) if item.extra else None, sentiment, at,
                ))
                planned.append((next_message, account_id, platform, contact_id, item, at,
                                sentiment))
            conn.executemany(
                "INSERT INTO messages (id, account_id, platform, remote_id, direction, "
                "kind, contact_id, author_handle, author_name, text, raw_markup, url, "
                "in_reply_to, thread_root, urls, media, extra, sentiment, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (account_id, remote_id) DO NOTHING", message_rows)
            if not planned:
                return
            # The rows that exist afterwards among the planned ids are exactly the new ones.
            planned_ids = {p[0] for p in planned}
            inserted = {r[0] for r in conn.execute(
                "SELECT id FROM messages WHERE id BETWEEN ? AND ?",
                [planned[0][0], planned[-1][0]]) if r[0] in planned_ids}
            if not inserted:
                return

            # 3. Thread each new message into its contact's current case.
            cases = self._current_cases({p[3] for p in planned})
            reopen_after = int(self.get_setting("cases.reopen_window_days")) * 86400
            case_ids = self._new_ids("cases")
            me = self.me
            opened_detail = _json({"owner": me})  # the same for every case opened here
            link_rows = []
            # case_events rows: case_id, at, actor, kind, before, after, detail (JSON)
            event_rows: list[tuple[int, int, str, str, str | None, str | None, str | None]] = []
            account_links: set[tuple[int, int]] = set()
            new_cases: dict[int, dict[str, Any]] = {}
            for message_id, account_id, platform, contact_id, item, at, sentiment in planned:
                if message_id not in inserted:
                    continue
                case = cases.get(contact_id)
                if case is not None and case["status"] in FINISHED_STATUSES:
                    if (case["status"] == CaseStatus.RESOLVED.value
                            and at - case["last_activity_at"] <= reopen_after):
                        event_rows.append((case["id"], at, actor, "status", "resolved", "open",
                                           '{"reason": "customer wrote again"}'))
                        case["status"] = CaseStatus.OPEN.value
                    else:
                        case = None
                if case is None:
                    next_case = next(case_ids)
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
                                       opened_detail))
                    result.opened_case_ids.add(CaseId(next_case))
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
            contact_ids = self._new_ids("contacts", len(missing))
            contact_rows = []
            handle_rows = []
            for key in missing:
                next_contact = next(contact_ids)
                name, remote_id = wanted[key]
                contact_rows.append((next_contact, name or key[1], now))
                handle_rows.append((next_contact, key[0], key[1], remote_id))
                found[key] = next_contact
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

    def _search_ids(self, parsed: SearchQuery, *,
                    before: int | None = None) -> tuple[str, str, list[Any], str]:
        """``(FROM, WHERE, parameters, id column)`` selecting the matching messages.

        The word index finds prefixes (accents folded); the trigram index narrows the
        candidates for emoji, CJK and Thai substrings; the text itself confirms each
        substring (the trigram index has no positions) and finds those under three
        characters.  The first index drives: ordered by its rowid, with a ``before``
        bound, a page streams from the index instead of sorting every match.  ``m``
        (the messages table) is joined only when the text must be read.
        """
        if self.dialect == "postgres":
            return self._search_ids_pg(parsed, before=before)
        fts: list[tuple[str, str]] = []
        if parsed.words:
            fts.append(("messages_fts", parsed.word_match()))
        trigrams = dict.fromkeys(s[i:i + TRIGRAM_MIN] for s in parsed.substrings
                                 for i in range(len(s) - TRIGRAM_MIN + 1))
        if trigrams:
            fts.append(("messages_trigram", " AND ".join(f'"{t}"' for t in trigrams)))
        pieces = (*parsed.substrings, *parsed.short)
        params: list[Any] = []
        where: list[str] = []
        if fts:
            driver, match = fts[0]
            source, id_col = f"{driver} f", "f.rowid"
            if pieces:
                source += " JOIN messages m ON m.id = f.rowid"
            where.append(f"{driver} MATCH ?")
            params.append(match)
            for table, match in fts[1:]:
                where.append(f"f.rowid IN (SELECT rowid FROM {table} WHERE {table} MATCH ?)")
                params.append(match)
        else:
            # Only pieces under three characters: no index finds them, but they are never
            # ASCII, so only the messages with a non-ASCII character are read (a partial
            # index lists them; the condition must be the index's own, word for word).
            source, id_col = "messages m", "m.id"
            where.append(WIDE_MESSAGE.format("m"))
        if before is not None:
            where.append(f"{id_col} < ?")
            params.append(before)
        for piece in pieces:
            where.append("(instr(m.text, ?) > 0 OR instr(m.author_name, ?) > 0)")
            params += [piece, piece]
        return source, " AND ".join(where), params, id_col

    def _search_ids_pg(self, parsed: SearchQuery, *,
                       before: int | None = None) -> tuple[str, str, list[Any], str]:
        """The team server's ``_search_ids``: the same meaning, PostgreSQL's own indexes.

        Words: a tsvector of the folded words (``cc_search_doc``) matched by prefix, each
        word a phrase of its tokens as the laptop's index splits them.  Substrings: ``LIKE``
        on the text, which the trigram index serves from three characters on.
        """
        where: list[str] = []
        params: list[Any] = []
        if parsed.words:
            where.append("m.search_doc @@ to_tsquery('simple', cc_fold(?))")
            params.append(pg_word_query(parsed.words))
        for piece in (*parsed.substrings, *parsed.short):
            pattern = "%" + piece.replace("\\", "\\\\").replace("%", "\\%").replace(
                "_", "\\_") + "%"
            where.append("(m.text LIKE ? OR m.author_name LIKE ?)")
            params += [pattern, pattern]
        if before is not None:
            where.append("m.id < ?")
            params.append(before)
        return "messages m", " AND ".join(where), params, "m.id"

    def search(self, query: str, *, limit: int = 100,
               before: MessageId | int | None = None) -> list[SearchHit]:
        """Messages matching ``query``, newest first (by message id), ``limit`` at a time.

        Every word matches by prefix with accents and case folded ("cafe" finds "Café",
        "refund" finds "refunded"); emoji, CJK, Thai and other text without spaces match
        as substrings.  Quotes and FTS operators are plain text.  Page on with
        ``before`` = the last hit's message id: no gaps, no repeats, no cap.

        Raises:
            SearchError: the query cannot be run (a clear message, never a crash).
        """
        parsed = parse_query(query)
        if not parsed:
            return []
        source, where, params, id_col = self._search_ids(parsed, before=before)
        if " messages m " not in f" {source} ":
            source += f" JOIN messages m ON m.id = {id_col}"
        try:
            rows = self.db.conn.execute(
                f"SELECT {_MESSAGE_COLUMNS}, cm.case_id FROM {source} "
                "JOIN accounts a ON a.id = m.account_id "
                "LEFT JOIN case_messages cm ON cm.message_id = m.id "
                f"WHERE {where} ORDER BY {id_col} DESC LIMIT ?", [*params, limit]).fetchall()
        except sqlite3.OperationalError as exc:
            raise SearchError(f"Cannot search for {query!r}: {exc}.") from exc
        return [SearchHit(message=_message(r[:-1]), case_id=r[-1]) for r in rows]

    def search_page(self, query: str, flt: CaseFilter | None = None, *,
                    after: tuple[float, int] | None = None, limit: int = 200) -> list[CaseRow]:
        """One page of the cases with a message matching ``query``, like an inbox page.

        The same order, filter and keyset (``after`` = the last row's sort key and id)
        as ``cases_page``, so the window pages search results exactly as it pages a view.

        Raises:
            SearchError: the query cannot be run.
        """
        parsed = parse_query(query)
        if not parsed:
            return []
        where, params, key = self._page_sql(flt or CaseFilter(), after)
        source, match_where, match_params, id_col = self._search_ids(parsed)
        # Merged cases' messages point at their survivor through case_messages already.
        where += (" AND c.id IN (SELECT cm.case_id FROM case_messages cm WHERE cm.message_id "
                  f"IN (SELECT {id_col} FROM {source} WHERE {match_where}))")
        try:
            rows = self.db.conn.execute(
                f"SELECT {self._CASE_COLUMNS}, {key} FROM cases c "
                f"LEFT JOIN contacts k ON k.id = c.contact_id "
                f"WHERE {where} ORDER BY {key}, c.id LIMIT ?",
                [*params, *match_params, limit]).fetchall()
        except sqlite3.OperationalError as exc:
            raise SearchError(f"Cannot search for {query!r}: {exc}.") from exc
        return [_case_row(r[:-1], sort_value=r[-1]) for r in rows]

    def search_cases(self, query: str, flt: CaseFilter | None = None, *,
                     limit: int | None = None) -> list[CaseRow]:
        """Every case (or the first ``limit``) that ``search_page`` pages through, in order."""
        out: list[CaseRow] = []
        after: tuple[float, int] | None = None
        while limit is None or len(out) < limit:
            want = 1000 if limit is None else min(1000, limit - len(out))
            page = self.search_page(query, flt, after=after, limit=want)
            out.extend(page)
            if len(page) < want:
                break
            after = page[-1].sort_key
        return out

    def message_count(self) -> int:
        return int(self.db.conn.execute("SELECT count(*) FROM messages").fetchone()[0])

    def contact_of_handle(self, platform: str, handle: str) -> ContactId:
        row = self.db.conn.execute(
            "SELECT c.id, c.merged_into FROM contact_handles h JOIN contacts c "
            "ON c.id = h.contact_id WHERE h.platform = ? AND h.handle = ?",
            [platform, handle]).fetchone()
        if row is None:
            raise NotFoundError(f"No contact has the handle {handle} on {platform}.")
        return ContactId(row[1] or row[0])

    def message(self, message_id: MessageId) -> tuple[Message, dict[str, Any]]:
        """A message and its platform references (``extra``), e.g. to reply to it."""
        row = self.db.conn.execute(
            f"SELECT {_MESSAGE_COLUMNS}, m.extra FROM messages m "
            "JOIN accounts a ON a.id = m.account_id WHERE m.id = ?", [message_id]).fetchone()
        if row is None:
            raise NotFoundError(f"There is no message #{message_id}.")
        return _message(row[:-1]), json.loads(row[-1]) if row[-1] else {}


def _scores(scorer: Any, texts: list[str]) -> list[float | None]:
    """The batch's moods: one call when the scorer takes a batch (``scorer.many``)."""
    if scorer is None:
        return [None] * len(texts)
    many = getattr(scorer, "many", None)
    if many is not None:
        return list(many(texts))
    return [scorer(text) for text in texts]


_PG_TOKEN = re.compile(r"[^\W_]+")


def pg_word_query(words: Iterable[str]) -> str:
    """A ``to_tsquery`` text: every word (AND) a phrase of its tokens, the last by prefix.

    Tokens are letters and digits only, so nothing a person types is an operator.
    """
    parts = []
    for word in words:
        tokens = _PG_TOKEN.findall(word)
        if tokens:
            parts.append("(" + " <-> ".join(f"'{t}'" for t in tokens) + ":*)")
    return " & ".join(parts)

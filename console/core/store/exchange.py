"""Store part: export reads and import primitives (``core/export.py``, ``core/importer.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from console.core import timeutil
from console.core.errors import NotFoundError
from console.core.ids import AccountId, CaseId, ContactId, MessageId, ReplyId
from console.core.models import Platform
from console.core.store.contacts import handle_key
from console.core.store.messages import MessagesPart
from console.core.store.model import CaseFilter, sort_key_for
from console.core.store.rows import _chunks, _json, _loads


class ExchangePart(MessagesPart):
    """Exchange: whole cases out as plain dicts, and the primitives an import merges with."""

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
                f"SELECT c.id FROM cases c WHERE {' AND '.join(clauses) or '1 = 1'}", params)}
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

    def export_links(self, contact_ids: Sequence[int]) -> list[dict[str, Any]]:
        """The "same person" links that involve these contacts, oldest first (undone ones too).

        Ids differ between workspaces, so each side is named by handles:
        ``other_handles`` are the ones the link moved (as they were then), and
        ``keep_handles`` the ones the kept contact had right after the link, less those.
        Handles move only by links, so undoing the later links one by one (newest
        first) gives each link's state.
        """
        conn = self.db.conn
        wanted = set(contact_ids)
        links = [dict(zip(("id", "keep_contact", "other_contact", "actor", "linked_at",
                           "unlinked_at", "undo"), r)) for r in conn.execute(
            "SELECT id, keep_contact, other_contact, actor, linked_at, unlinked_at, undo "
            "FROM contact_links ORDER BY id")]
        links = [link for link in links
                 if link["keep_contact"] in wanted or link["other_contact"] in wanted]
        if not links:
            return []
        merged = dict(conn.execute("SELECT id, merged_into FROM contacts "
                                   "WHERE merged_into IS NOT NULL").fetchall())

        def survivor(contact: int) -> int:
            seen = set()
            while contact in merged and contact not in seen:
                seen.add(contact)
                contact = merged[contact]
            return contact

        involved = sorted({survivor(c) for link in links
                           for c in (link["keep_contact"], link["other_contact"])}
                          | {link["keep_contact"] for link in links})
        owner: dict[int, int] = {}
        names: dict[int, tuple[str, str]] = {}
        for chunk in _chunks(involved, 500):
            marks = ",".join("?" * len(chunk))
            for hid, cid, platform, handle in conn.execute(
                    f"SELECT id, contact_id, platform, handle FROM contact_handles "
                    f"WHERE contact_id IN ({marks})", chunk):
                owner[hid], names[hid] = cid, (platform, handle)

        def named(ids: Iterable[int]) -> list[dict[str, str]]:
            return [{"platform": names[h][0], "handle": names[h][1]}
                    for h in sorted(ids) if h in names]

        out: dict[int, dict[str, Any]] = {}
        for link in reversed(links):
            undo = _loads(link.pop("undo")) or {}
            moved = [int(h) for h in undo.get("handles") or []]
            link["other_handles"] = [{"platform": p, "handle": h}
                                     for p, h in undo.get("handle_names") or []]
            if link["unlinked_at"] is None:
                link["keep_handles"] = named(h for h, c in owner.items()
                                             if c == link["keep_contact"] and h not in moved)
                for h in moved:  # before this link, they were the other contact's
                    owner[h] = link["other_contact"]
            else:
                link["keep_handles"] = named(h for h, c in owner.items()
                                             if c == link["keep_contact"])
            out[link["id"]] = link
        return [out[i] for i in sorted(out)]

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

    def import_find_link(self, other_handles: Iterable[tuple[str, str]], *, linked_at: int,
                         actor: str) -> dict[str, Any] | None:
        """The link here that is the same act as one in a case log: made at the same
        time by the same person, moving one of the same handles (an imported link keeps
        its time and actor, so it is found again on the next import)."""
        wanted = set(other_handles)
        for link_id, keep, other, unlinked, undo in self.db.conn.execute(
                "SELECT id, keep_contact, other_contact, unlinked_at, undo FROM contact_links "
                "WHERE linked_at = ? AND actor = ? ORDER BY id", [linked_at, actor]):
            moved = {(str(p), str(h)) for p, h in (_loads(undo) or {}).get("handle_names") or []}
            if moved & wanted:
                return {"id": link_id, "keep_contact": keep, "other_contact": other,
                        "unlinked_at": unlinked}
        return None

    def import_kept_apart(self, a: ContactId, b: ContactId, a_handles: Sequence[tuple[str, str]],
                          b_handles: Sequence[tuple[str, str]]) -> str | None:
        """Why this workspace says ``a`` and ``b`` are two people, if it does: a link
        between them was undone here, or a suggestion to link them was dismissed."""
        conn = self.db.conn

        def survivor(contact: int) -> int:
            row = conn.execute("SELECT merged_into FROM contacts WHERE id = ?",
                               [contact]).fetchone()
            return int(row[0]) if row and row[0] else contact

        for link_id, keep, other in conn.execute(
                "SELECT id, keep_contact, other_contact FROM contact_links "
                "WHERE unlinked_at IS NOT NULL ORDER BY id"):
            if {survivor(keep), survivor(other)} == {a, b}:
                return f"the link #{link_id} between them was undone here"
        keys = {handle_key(p, h) for p, h in a_handles}
        others = {handle_key(p, h) for p, h in b_handles}
        for x, y in conn.execute("SELECT a, b FROM contact_link_dismissals"):
            if (x in keys and y in others) or (y in keys and x in others):
                return "a suggestion to link them was dismissed here"
        return None

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
                    "SELECT e.case_id, CAST(json_extract(e.detail, '$.message_id') AS INTEGER) "
                    "FROM case_events e WHERE e.kind = 'message_in' "
                    f"AND CAST(json_extract(e.detail, '$.message_id') AS INTEGER) IN ({marks}) "
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

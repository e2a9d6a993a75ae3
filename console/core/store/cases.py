"""Store part: cases, what changes them (status, owner, notes, merges...) and inbox reads."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any

from console.core import timeutil
from console.core.changes import Changes
from console.core.errors import InvalidTransitionError, KnownError, NotFoundError
from console.core.ids import AccountId, CaseId, ContactId, MessageId
from console.core.models import (
    CaseDetail,
    CaseRow,
    CaseStatus,
    ChecklistItem,
    MessageKind,
    Note,
    TimelineEvent,
)
from console.core.rules import FINISHED_STATUSES, OPEN_STATUSES, TRANSITIONS
from console.core.store.accounts import AccountsPart
from console.core.store.model import (
    CaseFilter,
    View,
    sort_key_for,
)
from console.core.store.rows import (
    _MESSAGE_COLUMNS,
    _case_row,
    _chunks,
    _derived_times,
    _dt,
    _message,
)
from console.core.store.sql import mood_is, status_in, status_not_in


class CasesPart(AccountsPart):
    """Cases: what changes them and the inbox's views of them."""

    def view_counts(self) -> dict[str, int]:
        counts = {}
        for view in View.ALL_VIEWS:
            where, params = self._filter_sql(CaseFilter(view=view))
            counts[view] = self.db.execute(
                f"SELECT count(*) FROM cases c WHERE {where}", params).fetchone()[0]
        return counts

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
            prev = self._triage_snapshot(case_id)
            self.db.conn.execute("UPDATE cases SET status = ? WHERE id = ?", [status, case_id])
            # Finished or waiting-on-customer cases no longer wait for us; back in an open
            # status, the customer waits since their first unanswered message (derived
            # from the messages: a resolve-then-reopen cannot lose them).
            waiting = self._customer_waiting_since(case_id) if status in OPEN_STATUSES else None
            if status in FINISHED_STATUSES:
                self.db.conn.execute("UPDATE cases SET snoozed_until = NULL, "
                                     "snooze_until_reply = 0 WHERE id = ?", [case_id])
            self._touch(case_id, when, waiting_since=waiting, followup_due_at=None)
            detail: dict[str, Any] = {"prev": prev}
            if reason:
                detail["reason"] = reason
            self._event(case_id, "status", actor=actor, before=current, after=status,
                        detail=detail, at=at)
        return Changes(cases=True, case_ids=frozenset({case_id}))

    def assign(self, case_id: CaseId, to: str, *, actor: str | None = None,
               at: dt.datetime | None = None) -> Changes:
        to = " ".join(to.split())
        if not to:
            raise KnownError("Give the name of the person who will own the case.")
        team = self.team()
        match = next((name for name in team if name.casefold() == to.casefold()), None)
        if match is None:
            # Owners come from the roster: a stray keystroke never invents a teammate.
            raise KnownError(f"{to!r} is not on the team ({', '.join(team)}). Add them to the "
                             "team roster in Settings first.")
        to = match
        with self.db.atomic():
            state = self._case_state(case_id)
            if state["owner"] == to:
                return Changes()
            prev = self._triage_snapshot(case_id)
            self.db.conn.execute("UPDATE cases SET owner = ? WHERE id = ?", [to, case_id])
            self._event(case_id, "assign", actor=actor, before=state["owner"], after=to, at=at,
                        detail={"prev": prev})
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

    def needs_reply_mismatches(self) -> list[CaseId]:
        """Cases where the Needs reply view disagrees with the rule, derived afresh from the
        messages and replies (for tests and the self-test; empty when all is well).

        The rule: a case is in Needs reply exactly when it is new or open, not snoozed,
        and the customer's latest message has no sent or queued reply after it (or a
        follow-up is due).
        """
        shown = {r.id for r in self.cases_page(CaseFilter(view=View.NEEDS_REPLY),
                                               limit=1_000_000)}
        wrong: list[CaseId] = []
        for cid, status, snoozed, until_reply, due in self.db.conn.execute(
                "SELECT id, status, snoozed_until, snooze_until_reply, followup_due_at "
                "FROM cases WHERE merged_into IS NULL").fetchall():
            waiting = self._customer_waiting_since(cid) is not None
            should = (due is not None) or (CaseStatus(status) in OPEN_STATUSES and waiting
                                           and snoozed is None and not until_reply)
            if should != (cid in shown):
                wrong.append(CaseId(cid))
        return wrong

    # ------------------------------------------------------------ undo
    _TRIAGE_FIELDS = ("status", "owner", "snoozed_until", "snooze_until_reply",
                      "followup_due_at")
    #: Timeline events a person can undo: each keeps the case's triage fields from before.
    UNDOABLE = frozenset({"status", "assign", "snoozed", "snooze_ended"})

    def _triage_snapshot(self, case_id: CaseId) -> dict[str, Any]:
        row = self.db.conn.execute(
            f"SELECT {', '.join(self._TRIAGE_FIELDS)} FROM cases WHERE id = ?",
            [case_id]).fetchone()
        return dict(zip(self._TRIAGE_FIELDS, row))

    def _undone_ids(self, case_id: CaseId) -> set[int]:
        return {int(json.loads(r[0]).get("undid", 0)) for r in self.db.conn.execute(
            "SELECT detail FROM case_events WHERE case_id = ? AND kind = 'undo'", [case_id])}

    def _triage_events(self, case_id: CaseId) -> list[tuple[int, str, dict[str, Any]]]:
        """The case's status, owner and snooze changes not undone yet, oldest first."""
        undone = self._undone_ids(case_id)
        marks = ",".join("?" * len(self.UNDOABLE))
        return [(int(r[0]), r[1], json.loads(r[2]) if r[2] else {})
                for r in self.db.conn.execute(
                    f"SELECT id, kind, detail FROM case_events WHERE case_id = ? "
                    f"AND kind IN ({marks}) ORDER BY id", [case_id, *sorted(self.UNDOABLE)])
                if int(r[0]) not in undone]

    def last_undoable(self, case_id: CaseId) -> int | None:
        """The id of the case's latest triage change that can be undone, if any."""
        events = self._triage_events(case_id)
        if not events or "prev" not in events[-1][2]:
            return None
        return events[-1][0]

    def undo(self, case_id: CaseId, event_id: int | None = None, *,
             actor: str | None = None) -> tuple[str, Changes]:
        """Undo a triage change (status, owner, snooze) of the case; the latest by default.

        The case gets back the status, owner and snooze it had just before; an ``undo``
        event records it in the timeline. Only the latest change can be undone, so a
        colleague's later change (or a customer's new message reopening the case) is
        never silently reverted.

        Returns:
            What was undone, in words, and the changes.

        Raises:
            KnownError: nothing to undo, or a later change stands in the way.
        """
        with self.db.atomic():
            self._case_state(case_id)
            events = self._triage_events(case_id)
            if not events:
                raise KnownError(f"Case #{case_id} has no change to undo.")
            if event_id is None:
                event_id = events[-1][0]
            found = [e for e in events if e[0] == event_id]
            if not found:
                raise KnownError(f"Case #{case_id} has no undoable change #{event_id} "
                                 "(already undone, or not a triage change).")
            _eid, kind, detail = found[0]
            if events[-1][0] != event_id:
                raise KnownError(f"Case #{case_id} changed again since; undo the later change "
                                 "first.")
            prev = detail.get("prev")
            if not isinstance(prev, dict):
                raise KnownError(f"This change of case #{case_id} was made by the app itself "
                                 "(a customer's message, a reminder) and cannot be undone.")
            current = self._triage_snapshot(case_id)
            sets = ", ".join(f"{f} = ?" for f in self._TRIAGE_FIELDS)
            self.db.conn.execute(f"UPDATE cases SET {sets} WHERE id = ?",
                                 [prev.get(f, current[f]) for f in self._TRIAGE_FIELDS]
                                 + [case_id])
            self._rederive_waiting(case_id)
            self._touch(case_id, 0, followup_due_at=prev.get("followup_due_at"))
            what = _undo_words(kind, current, prev)
            self._event(case_id, "undo", actor=actor, before=kind, after=what,
                        detail={"undid": event_id, "kind": kind})
        return what, Changes(cases=True, case_ids=frozenset({case_id}))

    # ------------------------------------------------------------ checklist edits
    def rename_issue(self, item_id: int, text: str, *, actor: str | None = None) -> Changes:
        text = " ".join(text.split())
        if not text:
            raise KnownError("An issue needs a short description.")
        with self.db.atomic():
            row = self.db.conn.execute(
                "SELECT case_id, text FROM checklist_items WHERE id = ?", [item_id]).fetchone()
            if row is None:
                raise NotFoundError(f"There is no checklist item #{item_id}.")
            case_id, before = row
            if before == text:
                return Changes()
            self.db.conn.execute("UPDATE checklist_items SET text = ? WHERE id = ?",
                                 [text, item_id])
            self._event(case_id, "issue_renamed", actor=actor, before=before, after=text,
                        detail={"item_id": item_id})
        return Changes(cases=True, case_ids=frozenset({case_id}))

    def delete_issue(self, item_id: int, *, actor: str | None = None) -> Changes:
        with self.db.atomic():
            row = self.db.conn.execute(
                "SELECT case_id, text, done FROM checklist_items WHERE id = ?",
                [item_id]).fetchone()
            if row is None:
                raise NotFoundError(f"There is no checklist item #{item_id}.")
            case_id, text, done = row
            self.db.conn.execute("DELETE FROM checklist_items WHERE id = ?", [item_id])
            self._event(case_id, "issue_deleted", actor=actor, before=text,
                        detail={"item_id": item_id, "done": bool(done)})
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
                self.db.conn.execute("UPDATE cases SET status = ? WHERE id = ?",
                                     [CaseStatus.OPEN, case_id])
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
                    f"AND {status_not_in('status', FINISHED_STATUSES)} ORDER BY id DESC LIMIT 1",
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
            prev = self._triage_snapshot(case_id)
            self.db.conn.execute(
                "UPDATE cases SET snoozed_until = ?, snooze_until_reply = ?, "
                "followup_due_at = NULL WHERE id = ?",
                [timeutil.to_epoch(until) if until else None, int(until_reply), case_id])
            self._touch(case_id, 0, followup_due_at=None)
            what = " or ".join(filter(None, [timeutil.iso(until) if until else None,
                                             "the customer replies" if until_reply else None]))
            self._event(case_id, "snoozed", actor=actor, after=what, detail={"prev": prev})
        return Changes(cases=True, case_ids=frozenset({case_id}))

    def unsnooze(self, case_id: CaseId, *, actor: str | None = None) -> Changes:
        with self.db.atomic():
            self._case_state(case_id)
            prev = self._triage_snapshot(case_id)
            self.db.conn.execute(
                "UPDATE cases SET snoozed_until = NULL, snooze_until_reply = 0 WHERE id = ?",
                [case_id])
            self._touch(case_id, 0, followup_due_at=None)
            self._event(case_id, "snooze_ended", actor=actor,
                        detail={"reason": "unsnoozed", "prev": prev})
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

    def _filter_sql(self, flt: CaseFilter) -> tuple[str, list[Any]]:
        clauses = ["c.merged_into IS NULL"]
        params: list[Any] = []
        if flt.view == View.NEEDS_REPLY:
            clauses.append(f"(({status_in('c.status', OPEN_STATUSES)} "
                           "AND c.waiting_since IS NOT NULL AND c.snoozed_until IS NULL "
                           "AND c.snooze_until_reply = 0) "
                           "OR c.followup_due_at IS NOT NULL)")
        elif flt.view == View.SNOOZED:
            clauses.append("(c.snoozed_until IS NOT NULL OR c.snooze_until_reply = 1)")
        elif flt.view == View.MINE:
            clauses.append(f"c.owner = ? AND {status_not_in('c.status', FINISHED_STATUSES)}")
            params.append(self.me)
        elif flt.view == View.WAITING:
            clauses.append(status_in("c.status", [CaseStatus.WAITING]))
        elif flt.view == View.RESOLVED:
            clauses.append(status_in("c.status", FINISHED_STATUSES))
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
            clauses.append(mood_is("c.sentiment", flt.sentiment))
        return " AND ".join(clauses), params

    _CASE_COLUMNS = (
        "c.id, c.contact_id, coalesce(k.display_name, ''), "
        "coalesce((SELECT handle FROM contact_handles h WHERE h.contact_id = c.contact_id "
        "ORDER BY h.id LIMIT 1), ''), "
        "c.status, c.owner, c.preview, c.waiting_since, c.last_activity_at, c.opened_at, "
        "c.message_count, c.platforms, c.sort_key, c.sentiment, c.snoozed_until, "
        "(SELECT group_concat(r.state) FROM replies r WHERE r.case_id = c.id "
        "AND r.state IN ('draft', 'approved', 'sending', 'failed'))"
    )

    def _page_sql(self, flt: CaseFilter, after: tuple[float, int] | None
                  ) -> tuple[str, list[Any], str]:
        """``(WHERE, parameters, sort key)`` of an inbox page: the filter, then the keyset
        after the last row shown (the inbox and search results page the same way)."""
        where, params = self._filter_sql(flt)
        key = "coalesce(c.sentiment, 2.0)" if flt.order == "mood" else "c.sort_key"
        if after is not None:
            where += f" AND ({key}, c.id) > (?, ?)"
            params += [after[0], after[1]]
        return where, params, key

    def cases_page(self, flt: CaseFilter | None = None, *, after: tuple[float, int] | None = None,
                   limit: int = 200) -> list[CaseRow]:
        """One page of the inbox, in waiting order, starting after the keyset ``after``."""
        where, params, key = self._page_sql(flt or CaseFilter(), after)
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
                f"WHERE e.kind = 'status' AND {status_in('e.after', FINISHED_STATUSES)} "
                f"AND {status_in('c.status', FINISHED_STATUSES)} AND e.case_id IN ({marks}) "
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

    def case_count(self) -> int:
        return int(self.db.conn.execute("SELECT count(*) FROM cases").fetchone()[0])

    def current_case_of(self, contact_id: ContactId) -> CaseId:
        row = self.db.conn.execute(
            "SELECT id FROM cases WHERE contact_id = ? AND merged_into IS NULL "
            "ORDER BY id DESC LIMIT 1", [contact_id]).fetchone()
        if row is None:
            raise NotFoundError(f"Contact #{contact_id} has no case.")
        return CaseId(row[0])

    def owners(self) -> list[str]:
        """Who a case can be given to: the team roster (never names from old cases)."""
        return self.team()


def _undo_words(kind: str, current: dict[str, Any], prev: dict[str, Any]) -> str:
    """What an undo did, for the timeline and the status bar."""
    if kind == "status":
        return f"status back to {CaseStatus(prev['status']).label.lower()}"
    if kind == "assign":
        return f"owner back to {prev['owner']}"
    if kind == "snoozed":
        return "snooze undone"
    return "snooze restored"

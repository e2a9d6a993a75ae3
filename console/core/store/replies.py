"""Store part: reply drafts, approval and the outbox's send states."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from console.core import timeutil
from console.core.changes import Changes
from console.core.errors import KnownError, NotFoundError
from console.core.ids import AccountId, CaseId, MessageId, ReplyId, TemplateId
from console.core.models import Account, Reply, ReplyState
from console.core.store.cases import CasesPart
from console.core.store.rows import _json, _reply


class RepliesPart(CasesPart):
    """Replies: draft, approve, send states; a sent reply enters its case."""

    _REPLY_COLUMNS = (
        "r.id, r.case_id, r.account_id, a.handle, a.platform, r.body, r.state, "
        "r.in_reply_to_message_id, r.template_id, r.template_body, r.findings, "
        "r.override_reason, r.idempotency_key, r.attempts, r.error, r.sent_remote_id, "
        "r.sent_url, r.created_at, r.updated_at, coalesce(k.display_name, ''), r.visibility"
    )

    _REPLY_FROM = ("FROM replies r JOIN accounts a ON a.id = r.account_id "
                   "JOIN cases c ON c.id = r.case_id LEFT JOIN contacts k ON k.id = c.contact_id")

    @property
    def _reply_columns(self) -> str:
        # Who wrote a reply is kept on a team server (each member connects as themselves).
        return self._REPLY_COLUMNS + (", r.author" if self.dialect == "postgres" else ", NULL")

    def save_draft(self, case_id: CaseId, *, account_id: AccountId, body: str,
                   reply_id: ReplyId | None = None,
                   in_reply_to_message_id: MessageId | None = None,
                   template_id: TemplateId | None = None, template_body: str | None = None,
                   actor: str | None = None,
                   idempotency_key: str | None = None) -> tuple[ReplyId, Changes]:
        """Create or update the draft reply; called as the user types.

        Only creating a draft enters the timeline; keystrokes do not.
        """
        now = timeutil.to_epoch(timeutil.now())
        with self.db.atomic():
            if reply_id is not None:
                row = self.db.conn.execute("SELECT state, template_id, template_body, "
                                           "in_reply_to_message_id FROM replies WHERE id = ?",
                                           [reply_id]).fetchone()
                if row is None:
                    raise NotFoundError(f"There is no reply #{reply_id}.")
                self._check_route(case_id, account_id, in_reply_to_message_id or row[3])
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
            in_reply_to_message_id = self._check_route(case_id, account_id,
                                                       in_reply_to_message_id)
            cur = self.db.conn.execute(
                "INSERT INTO replies (case_id, in_reply_to_message_id, account_id, body, state, "
                "template_id, template_body, idempotency_key, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?)",
                [case_id, in_reply_to_message_id, account_id, body, template_id, template_body,
                 idempotency_key or str(uuid.uuid4()), now, now])
            new_id = ReplyId(int(cur.lastrowid or 0))
            self._event(case_id, "reply_drafted", actor=actor, detail={"reply_id": new_id})
        return new_id, Changes(replies=True, cases=True, case_ids=frozenset({case_id}))

    def _check_route(self, case_id: CaseId, account_id: AccountId,
                     message_id: MessageId | int | None) -> MessageId | None:
        """The message a reply answers, checked: a reply goes out only from an account on
        that message's platform (a Mastodon thread never gets a Bluesky post).

        With no message given, the customer's latest message in the case is the target.

        Raises:
            KnownError: the account is on another platform than the message.
        """
        conn = self.db.conn
        if message_id is None:
            row = conn.execute(
                "SELECT m.id FROM case_messages cm JOIN messages m ON m.id = cm.message_id "
                "WHERE cm.case_id = ? AND m.direction = 'in' ORDER BY m.created_at DESC, m.id DESC "
                "LIMIT 1", [case_id]).fetchone()
            if row is None:
                return None
            message_id = row[0]
        msg = conn.execute("SELECT platform, author_handle FROM messages WHERE id = ?",
                           [message_id]).fetchone()
        if msg is None:
            raise NotFoundError(f"There is no message #{message_id} to answer.")
        account = self.account(account_id)
        if account.platform.value != msg[0]:
            raise KnownError(
                f"{account.handle} is a {_platform_label(account.platform.value)} account; it "
                f"cannot answer {msg[1]}'s {_platform_label(msg[0])} message. A reply goes "
                f"out only from an account on the platform of the message it answers: choose "
                f"a {_platform_label(msg[0])} account.")
        return MessageId(int(message_id))

    def reply_accounts(self, case_id: CaseId) -> tuple[Account | None, list[Account]]:
        """Who may answer the case publicly: the account the customer last wrote to (the
        default) and every account on that message's platform (the only choices)."""
        row = self.db.conn.execute(
            "SELECT m.account_id, m.platform FROM case_messages cm JOIN messages m "
            "ON m.id = cm.message_id WHERE cm.case_id = ? AND m.direction = 'in' "
            "ORDER BY m.created_at DESC, m.id DESC LIMIT 1", [case_id]).fetchone()
        if row is None:
            return None, []
        choices = [a for a in self.accounts() if a.platform.value == row[1]]
        default = next((a for a in choices if a.id == row[0]), None)
        return default, choices

    def check_reply_route(self, reply_id: ReplyId) -> None:
        """Refuse to send a reply whose account is not on its message's platform.

        Raises:
            KnownError: no message to answer, or an account on another platform.
        """
        reply = self.reply(reply_id)
        if reply.in_reply_to_message_id is None:
            raise NotFoundError(f"Reply #{reply_id} does not say which message it answers.")
        self._check_route(reply.case_id, reply.account_id, reply.in_reply_to_message_id)

    def set_reply_visibility(self, reply_id: ReplyId, visibility: str | None, *,
                             actor: str | None = None) -> Changes:
        """Send a draft privately ("direct": continue in a direct message) or as answered.

        The reply stays in its case and answers the same message; the change enters
        the timeline.

        Raises:
            KnownError: the reply is no longer a draft.
        """
        if visibility not in (None, "direct"):
            raise KnownError(f"Unknown reply visibility {visibility!r}.")
        with self.db.atomic():
            reply = self.reply(reply_id)
            if reply.state not in (ReplyState.DRAFT, ReplyState.FAILED):
                raise KnownError("This reply is no longer a draft; send it back to draft "
                                 "to change where it goes.")
            if reply.visibility == visibility:
                return Changes()
            self.db.conn.execute("UPDATE replies SET visibility = ?, updated_at = ? WHERE id = ?",
                                 [visibility, timeutil.to_epoch(timeutil.now()), reply_id])
            self._event(reply.case_id, "reply_private" if visibility else "reply_public",
                        actor=actor, after=("continues in a direct message" if visibility
                                            else "answers in public"),
                        detail={"reply_id": reply_id})
        return Changes(replies=True, cases=True, case_ids=frozenset({reply.case_id}))

    def reply(self, reply_id: ReplyId) -> Reply:
        row = self.db.conn.execute(f"SELECT {self._reply_columns} {self._REPLY_FROM} "
                                   "WHERE r.id = ?", [reply_id]).fetchone()
        if row is None:
            raise NotFoundError(f"There is no reply #{reply_id}.")
        return _reply(row)

    def open_draft(self, case_id: CaseId) -> Reply | None:
        """The case's newest unsent draft (or failed reply), if any."""
        # On a team server each member has their own draft: a teammate's is never opened
        # (and typed over) here; ``teammates_drafting`` says who else is replying.
        mine = (" AND coalesce(r.author, '') IN ('', cc_member_name())"
                if self.dialect == "postgres" else "")
        row = self.db.conn.execute(
            f"SELECT {self._reply_columns} {self._REPLY_FROM} WHERE r.case_id = ? "
            f"AND r.state IN ('draft', 'failed'){mine} "
            "ORDER BY r.updated_at DESC, r.id DESC LIMIT 1", [case_id]).fetchone()
        return _reply(row) if row else None

    def teammates_drafting(self, case_id: CaseId, *, within: int = 900) -> list[str]:
        """Who else on the team has a draft open in this case (edited in the last
        ``within`` seconds): "Priya is replying".  A laptop workspace has no teammates."""
        if self.dialect != "postgres":
            return []
        since = timeutil.to_epoch(timeutil.now()) - within
        return [str(r[0]) for r in self.db.conn.execute(
            "SELECT DISTINCT author FROM replies WHERE case_id = ? AND state = 'draft' "
            "AND author IS NOT NULL AND author <> cc_member_name() AND updated_at >= ? "
            "ORDER BY author", [case_id, since])]

    def backend_pid(self) -> int | None:
        """This connection's server process on a team server (to tell its own notices)."""
        if self.dialect != "postgres":
            return None
        return int(self.db.conn.execute("SELECT pg_backend_pid()").fetchone()[0])

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
            f"SELECT {self._reply_columns} {self._REPLY_FROM} WHERE {where} "
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
        if errors:
            # Errors are facts the platform or the customer's safety cannot accept (see
            # the severity policy): no reason makes them acceptable.
            raise KnownError(
                f"{len(errors)} error finding(s) block approval: "
                + "; ".join(str(f.get("message", "")) for f in errors[:3])
                + ". Errors cannot be overridden: fix them. (Only warnings can be "
                "overridden with a reason.)")
        with self.db.atomic():
            reply = self.reply(reply_id)
            if reply.state not in (ReplyState.DRAFT, ReplyState.FAILED):
                raise KnownError(f"Reply #{reply_id} is {reply.state.value}, not a draft.")
            if not reply.body.strip():
                raise KnownError("An empty reply cannot be approved.")
            if reply.in_reply_to_message_id is None:
                raise KnownError(f"Reply #{reply_id} does not say which message it answers.")
            self._check_route(reply.case_id, reply.account_id, reply.in_reply_to_message_id)
            self._check_length(reply.body, reply.platform.value)
            now = timeutil.to_epoch(timeutil.now())
            self.db.conn.execute(
                "UPDATE replies SET state = 'approved', findings = ?, override_reason = ?, "
                "approved_at = ?, updated_at = ?, error = NULL WHERE id = ?",
                [_json(list(findings)), reason, now, now, reply_id])
            if reason:
                self._event(reply.case_id, "override", actor=actor, after=reason,
                            detail={"reply_id": reply_id,
                                    "findings": [f.get("message") for f in findings]})
            self._event(reply.case_id, "reply_approved", actor=actor, after=reply.body,
                        detail={"reply_id": reply_id, "findings": len(findings)})
            # A queued reply answers the customer: the case leaves Needs reply.
            self._rederive_waiting(reply.case_id)
        return Changes(replies=True, cases=True, case_ids=frozenset({reply.case_id}))

    def return_to_draft(self, reply_id: ReplyId, *, actor: str | None = None) -> Changes:
        with self.db.atomic():
            reply = self.reply(reply_id)
            if reply.state not in (ReplyState.APPROVED, ReplyState.FAILED):
                raise KnownError(f"Reply #{reply_id} is {reply.state.value}; only approved or "
                                 "failed replies go back to draft.")
            other = self.open_draft(reply.case_id)
            if other is not None:
                # One draft per case: the composer shows one, and a second would be hidden.
                raise KnownError(
                    f"Case #{reply.case_id} already has a draft (reply #{other.id}); approve, "
                    f"send or delete it before taking reply #{reply_id} back to draft.")
            self.db.conn.execute(
                "UPDATE replies SET state = 'draft', updated_at = ? WHERE id = ?",
                [timeutil.to_epoch(timeutil.now()), reply_id])
            self._event(reply.case_id, "reply_returned", actor=actor,
                        detail={"reply_id": reply_id})
            self._rederive_waiting(reply.case_id)
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
            self._rederive_waiting(snapshot["case_id"])
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
            self._rederive_waiting(snapshot["case_id"])
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

    # Advisory lock keys on a team server: one namespace per kind of work.
    _SEND_LOCK = 0x43430000_00000000
    _SYNC_LOCK = 0x43440000_00000000

    def claim_send(self, reply_id: ReplyId) -> bool:
        """Take the right to send this reply now; ``False`` when it is not ours to send.

        On a team server several apps share one outbox: the first to claim a reply holds
        a session lock on it until ``release_send`` (or until its connection dies, when a
        teammate's app takes over and reconciles an interrupted send by its idempotency
        key).  Whoever claims re-reads the state, so a reply a teammate sent meanwhile is
        never sent again.  A laptop file has one writer at a time: the state check suffices.
        """
        if self.dialect == "postgres":
            got = self.db.conn.execute("SELECT pg_try_advisory_lock(?)",
                                       [self._SEND_LOCK + int(reply_id)]).fetchone()[0]
            if not got:
                return False
        row = self.db.conn.execute("SELECT state FROM replies WHERE id = ?",
                                   [reply_id]).fetchone()
        if row is None or row[0] not in ("approved", "sending"):
            self.release_send(reply_id)
            return False
        return True

    def still_claimed(self, reply_id: ReplyId) -> bool:
        """Whether this app still holds its claim on the reply (checked right before the
        post: a dropped link to the team server takes the claim with it)."""
        if self.dialect != "postgres":
            return True
        key = self._SEND_LOCK + int(reply_id)
        return bool(self.db.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND pid = pg_backend_pid() AND objsubid = 1 "
            "AND classid::bigint * 4294967296 + objid::bigint = ?)", [key]).fetchone()[0])

    def release_send(self, reply_id: ReplyId) -> None:
        if self.dialect == "postgres":
            self.db.conn.execute("SELECT pg_advisory_unlock(?)",
                                 [self._SEND_LOCK + int(reply_id)]).fetchone()

    def claim_sync(self, account_id: AccountId) -> bool:
        """Take the right to sync this account now: on a team server one member's app at a
        time fetches an account's messages, so they are fetched once for the team."""
        if self.dialect != "postgres":
            return True
        return bool(self.db.conn.execute("SELECT pg_try_advisory_lock(?)",
                                         [self._SYNC_LOCK + int(account_id)]).fetchone()[0])

    def release_sync(self, account_id: AccountId) -> None:
        if self.dialect == "postgres":
            self.db.conn.execute("SELECT pg_advisory_unlock(?)",
                                 [self._SYNC_LOCK + int(account_id)]).fetchone()

    def hold_for_review(self, reply_id: ReplyId, reason: str) -> Changes:
        """Keep a reply as a draft with ``reason`` (shown beside it): someone must look
        again before it is approved (one approved offline on a case answered meanwhile)."""
        with self.db.atomic():
            reply = self.reply(reply_id)
            self.db.conn.execute("UPDATE replies SET state = 'draft', error = ?, updated_at = ? "
                                 "WHERE id = ?",
                                 [reason, timeutil.to_epoch(timeutil.now()), reply_id])
            self._event(reply.case_id, "reply_held", after=reason, detail={"reply_id": reply_id})
        return Changes(replies=True, cases=True, case_ids=frozenset({reply.case_id}))

    def mark_reply_held(self, reply_id: ReplyId, reason: str) -> Changes:
        """Back to approved with the reason: nothing went out (the account needs reconnecting).

        The reply stays in the outbox and goes out on the first send after the account
        is signed in again; ``error`` says why it waits.
        """
        with self.db.atomic():
            reply = self.reply(reply_id)
            if reply.state not in (ReplyState.APPROVED, ReplyState.SENDING):
                raise KnownError(f"Reply #{reply_id} is {reply.state.value}, not approved.")
            self.db.conn.execute(
                "UPDATE replies SET state = 'approved', error = ?, updated_at = ? WHERE id = ?",
                [reason, timeutil.to_epoch(timeutil.now()), reply_id])
        return Changes(replies=True, case_ids=frozenset({reply.case_id}))

    def mark_reply_failed(self, reply_id: ReplyId, error: str) -> Changes:
        with self.db.atomic():
            reply = self.reply(reply_id)
            self.db.conn.execute(
                "UPDATE replies SET state = 'failed', error = ?, updated_at = ? WHERE id = ?",
                [error, timeutil.to_epoch(timeutil.now()), reply_id])
            self._event(reply.case_id, "reply_failed", actor="sync", after=error,
                        detail={"reply_id": reply_id})
            # A failed reply answers nobody: the customer waits again.
            self._rederive_waiting(reply.case_id)
        return Changes(replies=True, cases=True, case_ids=frozenset({reply.case_id}))

    @staticmethod
    def _check_length(body: str, platform: str) -> None:
        """A platform limit is a fact, not a judgement: over it, approval is refused."""
        from console.core import textlen  # regex: not imported before the window paints

        info = textlen.count(body, platform)
        if info.over_bytes:
            raise KnownError(
                f"This reply is {info.bytes_used:,} bytes; {_platform_label(platform)} accepts "
                f"at most {info.byte_limit:,}. Shorten it: a platform limit cannot be "
                "overridden.")
        if info.over:
            raise KnownError(
                f"This reply is {info.used}/{info.limit} characters, over "
                f"{_platform_label(platform)}'s limit. Shorten it: a platform limit cannot be "
                "overridden.")

    def approved_replies(self) -> list[Reply]:
        """The outbox in sending order: by case, oldest approval first."""
        rows = self.db.conn.execute(
            f"SELECT {self._reply_columns} {self._REPLY_FROM} "
            "WHERE r.state IN ('approved', 'sending') "
            "ORDER BY r.case_id, coalesce(r.approved_at, r.created_at), r.id").fetchall()
        return [_reply(r) for r in rows]


def _platform_label(platform: str) -> str:
    return {"mastodon": "Mastodon", "bluesky": "Bluesky", "x": "X"}.get(platform,
                                                                       platform.capitalize())

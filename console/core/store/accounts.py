"""Store part: the brand's accounts, their settings and sync state."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from console.core import timeutil
from console.core.changes import Changes
from console.core.errors import KnownError, NotFoundError
from console.core.ids import AccountId
from console.core.models import Account, Platform
from console.core.rules import OPEN_STATUSES
from console.core.store.base import StoreBase
from console.core.store.rows import _account, _json
from console.core.store.sql import status_in


class AccountsPart(StoreBase):
    """Accounts: add, list, remove; voice profile, hours, sync cursor."""

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
        if business_hours is None and timezone == "UTC":
            # The team's working hours (Settings), when the caller gives none of its own.
            team_hours = self.get_setting("business.hours")
            if team_hours:
                timezone = team_hours.get("timezone", "UTC")
                business_hours = {k: v for k, v in team_hours.items() if k != "timezone"}
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
            f"WHERE c.waiting_since IS NOT NULL AND {status_in('c.status', OPEN_STATUSES)} "
            "GROUP BY ca.account_id"
        ).fetchall()
        return {AccountId(a): n for a, n in rows}

    def set_account_profile(self, account_id: AccountId, profile: str | None) -> Changes:
        with self.db.atomic():
            self.db.conn.execute("UPDATE accounts SET voice_profile = ? WHERE id = ?",
                                 [profile, account_id])
        return Changes(accounts=True)

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

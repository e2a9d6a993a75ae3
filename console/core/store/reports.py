"""Store part: the raw rows reports need (``core/reports.py`` does the arithmetic)."""

from __future__ import annotations

from typing import Any

from console.core.rules import FINISHED_STATUSES
from console.core.store.exchange import ExchangePart
from console.core.store.sql import status_in, status_not_in


class ReportsPart(ExchangePart):
    """Reports: accounts, case times and message moods as rows."""

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
            clauses.append(status_not_in("c.status", FINISHED_STATUSES))
        rows = self.db.conn.execute(
            "SELECT c.id, c.status, c.owner, c.opened_at, c.waiting_since, "
            " (SELECT m.created_at || ',' || m.account_id FROM case_messages cm "
            "  JOIN messages m ON m.id = cm.message_id WHERE cm.case_id = c.id "
            "  AND m.direction = 'in' ORDER BY m.created_at, m.id LIMIT 1), "
            " (SELECT min(e.at) FROM case_events e WHERE e.case_id = c.id "
            "  AND e.kind = 'message_out'), "
            f" CASE WHEN {status_in('c.status', FINISHED_STATUSES)} THEN "
            "  (SELECT max(e.at) FROM case_events e WHERE e.case_id = c.id AND e.kind = 'status' "
            f"   AND {status_in('e.after', FINISHED_STATUSES)}) END "
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

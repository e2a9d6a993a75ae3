"""What must hold after every step of a working day, read from the workspace file itself."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from console.core import textlen
from console.core.store import CaseFilter, Store, View

T = 10_000  # ms to wait for a worker's round trip

# A case whose customer waits belongs in Needs reply when it is one of these (waiting on
# the customer, resolved and closed are deliberate "not now"s; snoozed is handled apart).
OPEN_STATUSES = ("new", "open")


@dataclass(frozen=True)
class Awaiting:
    """A customer whose latest message has no sent or queued reply after it."""

    case_id: int
    since: int  # their first message after our last answer (epoch seconds)
    # When each of their unanswered messages came: a case resolved and later written to
    # again may count the wait from its new message (a "thank you" needed no answer).
    times: frozenset[int]


class ErrorLog(logging.Handler):
    """Collects ERROR records from the app's loggers (an unexpected error is logged there)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def install(self) -> ErrorLog:
        logging.getLogger("console").addHandler(self)
        return self

    def remove(self) -> None:
        logging.getLogger("console").removeHandler(self)


class Invariants:
    """The checks, on a second read-only Store over the same file (never the widgets' state).

    ``check(window)`` returns what is wrong now, one line each; an empty list is a pass.
    """

    def __init__(self, path: Path) -> None:
        self.store = Store.open(path, read_only=True)
        self.errors = ErrorLog().install()
        self._columns = {r[1] for r in self._sql("PRAGMA table_info(cases)")}

    def close(self) -> None:
        self.errors.remove()
        self.store.close()

    def _sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        # Straight SQL: the checks must not trust the store code they are checking.
        return list(self.store.db.conn.execute(query, params).fetchall())

    # ------------------------------------------------------------ the facts
    def awaiting(self) -> dict[int, Awaiting]:
        """Every live case whose customer waits for us, from messages and replies alone."""
        rows = self._sql(
            """
            WITH answered AS (
              SELECT c.id AS case_id, max(coalesce((
                SELECT max(m.created_at) FROM case_messages cm JOIN messages m
                  ON m.id = cm.message_id WHERE cm.case_id = c.id AND m.direction = 'out'),
                -9e18), coalesce((
                SELECT max(coalesce(r.approved_at, r.updated_at)) FROM replies r
                  WHERE r.case_id = c.id AND r.state IN ('approved', 'sending', 'sent')),
                -9e18)) AS at
              FROM cases c WHERE c.merged_into IS NULL)
            SELECT a.case_id, group_concat(m.created_at) FROM answered a
              JOIN case_messages cm ON cm.case_id = a.case_id
              JOIN messages m ON m.id = cm.message_id
            WHERE m.direction = 'in' AND m.created_at > a.at
            GROUP BY a.case_id
            """)
        result = {}
        for cid, joined in rows:
            times = frozenset(int(t) for t in str(joined).split(","))
            result[cid] = Awaiting(cid, min(times), times)
        return result

    def cases(self) -> dict[int, tuple[str, int | None, bool, bool]]:
        """Live cases: (status, waiting_since, snoozed, follow-up due)."""
        snooze = "c.snoozed_until IS NOT NULL"
        if "snooze_until_reply" in self._columns:
            snooze += " OR c.snooze_until_reply = 1"
        due = "c.followup_due_at IS NOT NULL" if "followup_due_at" in self._columns else "0"
        rows = self._sql(f"SELECT c.id, c.status, c.waiting_since, ({snooze}), ({due}) "
                         "FROM cases c WHERE c.merged_into IS NULL")
        return {r[0]: (r[1], r[2], bool(r[3]), bool(r[4])) for r in rows}

    def needs_reply(self) -> set[int]:
        """What Needs reply holds, as the store serves it to the inbox."""
        return {r.id for r in self.store.cases_page(CaseFilter(view=View.NEEDS_REPLY),
                                                    limit=1_000_000)}

    def latest_inbound(self, case_id: int) -> tuple[int, str] | None:
        """(account id, platform) of the customer's latest message in the case."""
        rows = self._sql("SELECT m.account_id, m.platform FROM case_messages cm JOIN messages m "
                         "ON m.id = cm.message_id WHERE cm.case_id = ? AND m.direction = 'in' "
                         "ORDER BY m.created_at DESC, m.id DESC LIMIT 1", (case_id,))
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def account_platforms(self) -> dict[int, str]:
        return {int(i): str(p) for i, p in self._sql("SELECT id, platform FROM accounts")}

    # ------------------------------------------------------------ the checks
    def check_needs_reply(self) -> list[str]:
        """A case is in Needs reply exactly when its customer waits (open, not snoozed), and
        its waiting time is from their first unanswered message."""
        problems = []
        waiting = self.awaiting()
        shown = self.needs_reply()
        for case_id, (status, since, snoozed, due) in sorted(self.cases().items()):
            wait = waiting.get(case_id)
            if wait is not None and status in OPEN_STATUSES and not snoozed:
                if case_id not in shown:
                    problems.append(f"case #{case_id} ({status}): the customer waits since "
                                    f"{wait.since} but the case is not in Needs reply")
                elif since not in wait.times:
                    problems.append(f"case #{case_id}: waiting since {since} in the store, but "
                                    f"the customer's unanswered messages came at "
                                    f"{sorted(wait.times)}")
            if case_id in shown and not due and (wait is None or status not in OPEN_STATUSES
                                                 or snoozed):
                why = ("nobody waits: the latest message has a sent or queued reply after it"
                       if wait is None else f"it is {status}" + (", snoozed" if snoozed else ""))
                problems.append(f"case #{case_id} is in Needs reply but {why}")
        return problems

    def check_reply_platforms(self) -> list[str]:
        """Every reply goes out from an account on the platform of the message it answers."""
        rows = self._sql(
            "SELECT r.id, r.case_id, r.state, a.handle, a.platform, m.id, m.platform "
            "FROM replies r JOIN accounts a ON a.id = r.account_id "
            "LEFT JOIN messages m ON m.id = r.in_reply_to_message_id")
        problems = []
        for reply_id, case_id, state, handle, platform, parent_id, parent_platform in rows:
            if parent_id is None:
                latest = self.latest_inbound(case_id)
                parent_platform = latest[1] if latest else None
            if parent_platform is not None and platform != parent_platform:
                problems.append(f"reply {reply_id} ({state}) in case #{case_id} is from "
                                f"{handle} on {platform}, answering a {parent_platform} message")
        return problems

    def check_limits(self) -> list[str]:
        """No reply over its platform's hard limit is ever approved, queued or sent."""
        rows = self._sql("SELECT r.id, r.case_id, r.state, r.body, a.platform FROM replies r "
                         "JOIN accounts a ON a.id = r.account_id WHERE r.state != 'draft'")
        problems = []
        for reply_id, case_id, state, body, platform in rows:
            info = textlen.count(body, platform)
            if info.over:
                problems.append(f"reply {reply_id} in case #{case_id} is {state} at "
                                f"{info.used}/{info.limit} on {platform}")
        return problems

    def check_composer(self, window: Any) -> list[str]:
        """The composer shows the case's draft from the store, from the right account."""
        panel = window.case_panel
        composer = panel.composer
        case_id = panel.case_id
        detail = getattr(composer, "_detail", None)
        if case_id is None or detail is None:
            return []
        if detail.case.id != case_id:
            return [f"the composer holds case #{detail.case.id} while the panel shows #{case_id}"]
        if getattr(composer, "_save_pending", False) or composer._save_timer.isActive():
            return []  # typed a moment ago: the debounced save has not run yet
        problems = []
        draft = self.store.open_draft(case_id)
        shown = composer.editor.toPlainText()
        stored = draft.body if draft is not None else ""
        if shown != stored:
            problems.append(f"case #{case_id}: the composer shows {shown[:60]!r} but the store "
                            + (f"has the draft {stored[:60]!r}" if draft else "has no draft"))
        latest = self.latest_inbound(case_id)
        platforms = self.account_platforms()
        offered = [composer.account_box.itemData(i) for i in range(composer.account_box.count())]
        chosen = composer.account_box.currentData()
        # With a draft, From is the draft's account. Without one, the composer opens on the
        # account the customer last wrote to (checked where a case opens: the day test);
        # the user may pick another account of that platform before typing.
        if draft is not None and chosen != draft.account_id:
            problems.append(f"case #{case_id}: From is {composer.account_box.currentText()!r} "
                            f"(account {chosen}) but the draft is from account "
                            f"{draft.account_id}")
        if latest is not None:
            wrong = [composer.account_box.itemText(i) for i, a in enumerate(offered)
                     if platforms.get(a) != latest[1]]
            if platforms.get(chosen) != latest[1]:
                problems.append(f"case #{case_id}: the customer wrote on {latest[1]} but From "
                                f"is {composer.account_box.currentText()!r}")
            if wrong:
                problems.append(f"case #{case_id}: the customer wrote on {latest[1]} but From "
                                f"also offers {wrong}")
        return problems

    def check_dialogs(self, expected: tuple[str, ...] = ()) -> list[str]:
        """No error box, and no message box but those the step expects (by objectName)."""
        problems = []
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible():
                if widget.objectName() == "errorBox" or widget.objectName() not in expected:
                    problems.append(f"a message box appeared ({widget.objectName() or 'unnamed'}"
                                    f"): {widget.text()[:200]!r}")
        for record in self.errors.records:
            problems.append(f"an error was logged: {record.getMessage()[:200]}"
                            + (f" ({record.exc_info[1]!r})" if record.exc_info else ""))
        self.errors.records.clear()
        return problems

    def check(self, window: Any, *, expected_boxes: tuple[str, ...] = ()) -> list[str]:
        return (self.check_dialogs(expected_boxes) + self.check_needs_reply()
                + self.check_reply_platforms() + self.check_limits()
                + self.check_composer(window))


def settle(qtbot: Any, window: Any, *, drafts: bool = True) -> None:
    """Wait until the work a step started has run and its results are on screen.

    With ``drafts``, first wait for the composer's debounced autosave (as a person
    pausing after typing would); the random walk does not, to keep its pace.

    The runner's executors are one thread each and deliver callbacks in order, so a
    no-op through each of them returns after everything queued before it; twice, for
    the reloads that a write's change notice starts.
    """
    composer = window.case_panel.composer
    if drafts:
        qtbot.waitUntil(lambda: not composer._save_timer.isActive(), timeout=T)
    runner = window.ops.runner
    for _ in range(2):
        done: list[int] = []  # each round's callbacks are waited for within the round
        runner.run_write(lambda _s: None, lambda _r, _e, d=done: d.append(1))
        runner.run_read(lambda _s: None, lambda _r, _e, d=done: d.append(1))
        runner.run_compute(lambda: None, lambda _r, _e, d=done: d.append(1))
        qtbot.waitUntil(lambda d=done: len(d) == 3, timeout=T)
    panel = window.case_panel
    qtbot.waitUntil(lambda: panel.case_id is None or (
        panel.detail is not None and panel.detail.case.id == panel.case_id), timeout=T)


def visible_dialogs() -> list[QWidget]:
    """Top-level dialogs (and popups) open now."""
    shown: list[QWidget] = []
    for widget in QApplication.topLevelWidgets():
        if widget.isVisible() and (isinstance(widget, QDialog) or widget.isWindow()
                                   and widget.windowType().name in ("Popup", "Dialog")):
            shown.append(widget)
    popup = QApplication.activePopupWidget()
    if popup is not None and popup not in shown:
        shown.append(popup)
    return shown


def converged(qtbot: Any, window: Any, inv: Invariants,
              expected_boxes: tuple[str, ...] = (), timeout: int = 3_000, *,
              drafts: bool = True) -> list[str]:
    """The invariants' problems once the step's follow-up work has landed.

    A change reaches the window in a few hops (a check, the write, the change notice, the
    panel's re-read); the state must settle within ``timeout`` ms, then hold.
    """
    settle(qtbot, window, drafts=drafts)
    problems = inv.check(window, expected_boxes=expected_boxes)
    if not problems:
        return []
    # Error boxes and logged errors never "settle": report them now.
    if any(p.startswith(("a message box", "an error was logged")) for p in problems):
        return problems
    last: list[list[str]] = [problems]

    def fine() -> bool:
        last[0] = inv.check(window, expected_boxes=expected_boxes)
        return not last[0]

    try:
        qtbot.waitUntil(fine, timeout=timeout)
    except Exception:  # pytest-qt's TimeoutError: the problems stayed
        return last[0]
    return []


def composer_default(window: Any, inv: Invariants) -> list[str]:
    """A case just opened with no draft: From is the account the customer last wrote to."""
    panel = window.case_panel
    case_id = panel.case_id
    if case_id is None or inv.store.open_draft(case_id) is not None:
        return []
    latest = inv.latest_inbound(case_id)
    chosen = panel.composer.account_box.currentData()
    if latest is not None and chosen != latest[0]:
        return [f"case #{case_id}: From is {panel.composer.account_box.currentText()!r} "
                f"(account {chosen}), not account {latest[0]} the customer last wrote to "
                f"on {latest[1]}"]
    return []

"""Queued replies are visible (thread, inbox) and the composer follows the store, even when
the change comes from the review queue or from another process on the same workspace."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton

from console.core.models import CaseStatus, ReplyState
from console.ui.case.panel import ReplyBubble
from console.ui.inbox.model import InboxModel
from tests.ui.test_composer import negative_case, open_case
from tests.ui.test_main_window import read_store

REPO = Path(__file__).resolve().parents[2]
T = 10_000


def bubbles(window) -> list[ReplyBubble]:  # type: ignore[no-untyped-def]
    return window.case_panel.conversation.findChildren(ReplyBubble)


def status_cell(window, case_id: int) -> str:  # type: ignore[no-untyped-def]
    model = window.model
    return model.data(model.index(model.row_of(case_id), model.COL_STATUS))


def test_a_reply_sent_from_the_review_queue_leaves_the_composer(qtbot, open_session, demo_db):
    session = open_session(demo_db)
    window = session.window
    case_id = negative_case(demo_db)
    composer = open_case(qtbot, session, case_id)
    qtbot.keyClicks(composer.editor, "So sorry about this, we are on it now. ^SR")
    qtbot.waitUntil(lambda: composer.status.text().startswith("Draft saved"), timeout=T)
    reply_id = read_store(demo_db).open_draft(case_id).id

    # Approve it in the review queue: the thread shows it queued, the inbox row says so.
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.review_queue is not None
                    and window.review_queue.table.topLevelItemCount() >= 1, timeout=T)
    queue = window.review_queue
    qtbot.mouseClick(queue.approve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: read_store(demo_db).reply(reply_id).state is ReplyState.APPROVED,
                    timeout=T)
    qtbot.waitUntil(lambda: composer.editor.toPlainText() == "", timeout=T)
    qtbot.waitUntil(lambda: [b.reply.state for b in bubbles(window)] == [ReplyState.APPROVED],
                    timeout=T)
    assert "queued" in bubbles(window)[0].state_label.text()
    qtbot.waitUntil(lambda: window.model.row_of(case_id) < 0
                    or "reply queued" in status_cell(window, case_id), timeout=T)

    # Send it from the queue: the composer stays empty, the bubble becomes the sent message.
    qtbot.waitUntil(lambda: queue.send_button.isEnabled(), timeout=T)
    qtbot.mouseClick(queue.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: queue.confirm_box is not None and queue.confirm_box.isVisible(),
                    timeout=T)
    queue.confirm_box.findChild(QPushButton, "confirmSendButton").click()
    qtbot.waitUntil(lambda: read_store(demo_db).reply(reply_id).state is ReplyState.SENT,
                    timeout=T)
    qtbot.waitUntil(lambda: bubbles(window) == [], timeout=T)
    assert composer.editor.toPlainText() == ""
    # Ctrl+Enter on the empty composer: no "KeyError: 'no draft'", nothing approved.
    queue.close()
    window.activateWindow()
    composer.editor.setFocus()
    qtbot.waitUntil(composer.editor.hasFocus, timeout=5_000)
    qtbot.keyClick(composer.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert composer.status.text() == "Nothing to approve yet."
    assert QApplication.activeModalWidget() is None
    assert read_store(demo_db).replies([ReplyState.APPROVED]) == []


def test_another_process_on_the_same_workspace_shows_up_in_the_window(qtbot, open_session,
                                                                       demo_db):
    # A connection of this process opened before the window's (its two workers open at the
    # same moment: one is inside sqlite3.connect while the other opens): any open/close of
    # the file outside SQLite then drops this process's locks and the other instance,
    # closing, deletes the WAL under the window ("disk I/O error"). Held here, it is certain.
    held = sqlite3.connect(demo_db)
    held.execute("SELECT count(*) FROM cases").fetchone()
    session = open_session(demo_db)
    window = session.window
    case_id = negative_case(demo_db)
    open_case(qtbot, session, case_id)
    panel = window.case_panel
    # A second instance (as a cron job or a second window would) triages the same file,
    # several times: each time it opens, writes and closes.
    script = ("import sys; from console.core.store import Store; "
              "s = Store.open(sys.argv[1]); s.set_status(int(sys.argv[2]), sys.argv[3]); "
              "s.close()")
    for status in (CaseStatus.WAITING, CaseStatus.OPEN, CaseStatus.WAITING):
        out = subprocess.run([sys.executable, "-c", script, str(demo_db), str(case_id),
                              status.value], capture_output=True, text=True, cwd=REPO,
                             timeout=120)
        assert out.returncode == 0, out.stderr
        assert Path(f"{demo_db}-wal").exists()  # still in use here: not deleted
        assert read_store(demo_db).case_row(case_id).status is status
        qtbot.waitUntil(lambda s=status: panel.detail is not None
                        and panel.detail.case.status is s, timeout=T)
        qtbot.waitUntil(lambda s=status: window.model.row_of(case_id) < 0
                        or window.model.data(window.model.index(window.model.row_of(case_id), 0),
                                             InboxModel.StatusRole) == s.value, timeout=T)
        held.execute("SELECT count(*) FROM cases").fetchone()
    # And the window still writes: both instances work.
    window.inbox.setFocus()
    panel.set_status(CaseStatus.OPEN)
    qtbot.waitUntil(lambda: read_store(demo_db).case_row(case_id).status is CaseStatus.OPEN,
                    timeout=T)
    held.close()

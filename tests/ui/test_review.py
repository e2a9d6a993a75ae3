"""The review queue: each reply beside the message it answers, findings for drafts, and a
question before the whole outbox is sent."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from console.core.models import Direction, ReplyState
from console.core.store import CaseFilter, Store, View
from console.ui.review import check_reply


def draft_for_first_cases(demo_db: Path, bodies: list[str]) -> list[tuple[int, int, str]]:
    """Drafts for the first Needs-reply cases: (case id, reply id, customer's latest text)."""
    store = Store.open(demo_db)
    rows = store.cases_page(CaseFilter(view=View.NEEDS_REPLY))
    out = []
    for row, body in zip(rows, bodies):
        detail = store.case_detail(row.id)
        parent = [m for m in detail.messages if m.direction is Direction.INBOUND][-1]
        reply_id, _ = store.save_draft(row.id, account_id=parent.account_id, body=body)
        out.append((row.id, reply_id, parent.text))
    store.close()
    return out


def open_queue(qtbot, window, rows: int):  # type: ignore[no-untyped-def]
    window.show_review_queue()
    queue = window.review_queue
    qtbot.waitUntil(lambda: queue.table.topLevelItemCount() == rows, timeout=10_000)
    return queue


def select(qtbot, queue, reply_id: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(queue.table.topLevelItemCount()):
        item = queue.table.topLevelItem(i)
        if item.data(0, Qt.ItemDataRole.UserRole) == reply_id:
            queue.table.setCurrentItem(item)
    qtbot.waitUntil(lambda: queue.current_reply() is not None
                    and queue.current_reply().id == reply_id, timeout=5_000)


def test_each_reply_shows_the_customer_message_it_answers(qtbot, open_session, demo_db):
    drafts = draft_for_first_cases(demo_db, ["Thanks, looking into it now.",
                                             "Yes it is, enjoy!"])
    session = open_session(demo_db)
    queue = open_queue(qtbot, session.window, len(drafts))
    column = queue.COLUMNS.index("Customer wrote")
    for _case_id, reply_id, parent_text in drafts:
        select(qtbot, queue, reply_id)
        # Beside the reply, in full, as plain text ...
        assert queue.parent_text.toPlainText() == parent_text
        assert queue.parent_text.isVisible() and queue.editor.isVisible()
        assert queue.parent_meta.textFormat() == Qt.TextFormat.PlainText
        # ... and on the row, so the queue can be scanned.
        row_text = queue.table.currentItem().text(column)
        assert row_text and " ".join(parent_text.split()).startswith(row_text)
    # Side by side: the customer's message left of the reply, not under it.
    assert queue.parent_text.mapTo(queue, queue.parent_text.rect().topLeft()).x() < \
        queue.editor.mapTo(queue, queue.editor.rect().topLeft()).x()


def test_drafts_show_their_findings(qtbot, open_session, demo_db):
    ((case_id, reply_id, _),) = draft_for_first_cases(demo_db, ["ok LOL!!!"])
    store = Store.open(demo_db, read_only=True)
    expected = check_reply(store, store.reply(reply_id), "ok LOL!!!", None)
    store.close()
    assert expected, "a careless draft has findings"
    session = open_session(demo_db)
    queue = open_queue(qtbot, session.window, 1)
    select(qtbot, queue, reply_id)
    assert queue.current_reply().state is ReplyState.DRAFT
    findings_col = queue.COLUMNS.index("Findings")
    assert queue.table.currentItem().text(findings_col).startswith(str(len(expected)))
    shown = queue.findings.text()
    for finding in expected:
        assert finding.message in shown
    assert "checked when you approve" not in shown
    # Editing the draft checks it again once typing pauses.
    queue.editor.setFocus()
    queue.editor.selectAll()
    qtbot.keyClicks(queue.editor, "Thank you for letting us know. We are looking into it.")
    qtbot.waitUntil(lambda: queue.findings.text() != shown, timeout=5_000)


def approved_replies(demo_db: Path, n: int) -> list[int]:
    drafts = draft_for_first_cases(demo_db, [f"Thank you, reply {i}." for i in range(n)])
    store = Store.open(demo_db)
    for _case, reply_id, _text in drafts:
        store.approve_reply(reply_id, findings=[], override_reason=None)
    store.close()
    return [reply_id for _case, reply_id, _text in drafts]


def states(demo_db: Path, ids: list[int]) -> list[ReplyState]:
    store = Store.open(demo_db, read_only=True)
    try:
        return [store.reply(i).state for i in ids]
    finally:
        store.close()


def test_send_approved_now_asks_first(qtbot, open_session, demo_db):
    ids = approved_replies(demo_db, 2)
    session = open_session(demo_db)
    queue = open_queue(qtbot, session.window, 2)
    qtbot.waitUntil(queue.send_button.isEnabled, timeout=5_000)
    qtbot.mouseClick(queue.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: queue.confirm_box is not None and queue.confirm_box.isVisible(),
                    timeout=5_000)
    box = queue.confirm_box
    assert isinstance(box, QMessageBox)
    assert box.text().startswith("Send 2 approved replies now?")
    assert box.textFormat() == Qt.TextFormat.PlainText
    # Esc cancels: nothing is sent.
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=5_000)
    assert queue.confirm_box is None
    qtbot.wait(300)  # a send, had one started, would have run by now
    assert states(demo_db, ids) == [ReplyState.APPROVED] * 2
    # Asked again and confirmed: both go out.
    qtbot.mouseClick(queue.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: queue.confirm_box is not None and queue.confirm_box.isVisible(),
                    timeout=5_000)
    queue.confirm_box.findChild(QPushButton, "confirmSendButton").click()
    qtbot.waitUntil(lambda: states(demo_db, ids) == [ReplyState.SENT] * 2, timeout=10_000)


def test_send_is_disabled_with_nothing_approved(qtbot, open_session, demo_db):
    draft_for_first_cases(demo_db, ["Draft only."])
    session = open_session(demo_db)
    queue = open_queue(qtbot, session.window, 1)
    assert not queue.send_button.isEnabled()

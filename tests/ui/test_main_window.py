"""The first window, driven through its real widgets on the demo workspace."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from console.core import replying
from console.core.models import CaseStatus, IncomingMessage, Platform
from console.core.store import CaseFilter, Store, View
from console.ui.case.panel import MessageBubble
from console.ui.inbox.model import InboxModel


def read_store(path: Path) -> Store:
    return Store.open(path, read_only=True)


def wait_loaded(qtbot, window, rows: int = 1) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: window.model.rowCount() >= rows, timeout=10_000)


def select_row(qtbot, window, row: int) -> int:  # type: ignore[no-untyped-def]
    index = window.model.index(row, 0)
    window.inbox.setFocus()
    window.inbox.setCurrentIndex(index)
    case_id = window.model.data(index, InboxModel.CaseIdRole)
    qtbot.waitUntil(lambda: window.case_panel.detail is not None
                    and window.case_panel.detail.case.id == case_id, timeout=10_000)
    return case_id


def test_window_opens_on_demo_with_needs_reply_in_waiting_order(qtbot, open_session, demo_db):
    session = open_session(demo_db)
    window = session.window
    wait_loaded(qtbot, window)
    store = read_store(demo_db)
    expected = [r.id for r in store.cases_page(CaseFilter(view=View.NEEDS_REPLY))]
    shown = [window.model.data(window.model.index(i, 0), InboxModel.CaseIdRole)
             for i in range(window.model.rowCount())]
    assert shown == expected
    waits = [store.case_row(cid).waiting_since for cid in shown]
    assert waits == sorted(waits)  # longest wait first
    qtbot.waitUntil(lambda: window.sidebar.view_items[View.NEEDS_REPLY].text(1) != "")
    assert window.sidebar.view_items[View.NEEDS_REPLY].text(1) == str(len(expected))
    assert len(window.sidebar.account_items) == len(store.accounts()) >= 4
    store.close()


def test_selecting_a_row_shows_its_case_from_every_account(qtbot, open_session, demo_db):
    store = read_store(demo_db)
    # The customer who was bounced between accounts: a case with messages on several.
    rows = store.cases_page(CaseFilter(view=View.ALL), limit=500)
    accounts = store.case_accounts([r.id for r in rows])
    bounced = next(r for r in rows if len(accounts[r.id]) >= 2)
    store.close()
    session = open_session(demo_db)
    window = session.window
    window.sidebar.select_view(View.ALL)
    qtbot.waitUntil(lambda: window.model.row_of(bounced.id) >= 0, timeout=10_000)
    select_row(qtbot, window, window.model.row_of(bounced.id))
    panel = window.case_panel
    assert panel.title.text().startswith(f"#{bounced.id}")
    bubbles = panel.conversation.findChildren(MessageBubble)
    assert len(bubbles) == bounced.message_count
    metas = " ".join(b.findChild(QLabel, "bubbleMeta").text() for b in bubbles)
    for handle in accounts[bounced.id]:
        assert handle in metas


def test_assign_status_and_note_from_the_window_change_the_store(qtbot, open_session, demo_db):
    session = open_session(demo_db)
    window = session.window
    wait_loaded(qtbot, window)
    case_id = select_row(qtbot, window, 0)
    panel = window.case_panel

    # Assign: pick a name from the team roster (the owner box is a list, not a text field).
    assert not panel.owner_box.isEditable()
    assert [panel.owner_box.itemText(i) for i in range(panel.owner_box.count())] == \
        ["Sam Rivera", "Priya Nair", "Tom Okafor"]
    panel.owner_box.setCurrentIndex(panel.owner_box.findData("Tom Okafor"))
    qtbot.mouseClick(panel.assign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: read_store(demo_db).case_row(case_id).owner == "Tom Okafor",
                    timeout=10_000)

    # Note: type it and press Ctrl+Enter.
    panel.focus_note()
    qtbot.keyClicks(panel.note_edit, "Called the courier <b>twice</b>")
    qtbot.keyClick(panel.note_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: [n.body for n in read_store(demo_db).case_detail(case_id).notes]
                    == ["Called the courier <b>twice</b>"], timeout=10_000)
    qtbot.waitUntil(lambda: panel.notes.count() == 1)

    # Status: the "e" shortcut resolves the selected case.
    window.inbox.setFocus()
    qtbot.keyClick(window.inbox, Qt.Key.Key_E)
    qtbot.waitUntil(lambda: read_store(demo_db).case_row(case_id).status is CaseStatus.RESOLVED,
                    timeout=10_000)
    events = read_store(demo_db).case_events(case_id)
    assert [(e.kind, e.after) for e in events][-3:] == [
        ("assign", "Tom Okafor"), ("note", "Called the courier <b>twice</b>"),
        ("status", "resolved")]
    # The resolved case leaves "Needs reply".
    qtbot.waitUntil(lambda: window.model.row_of(case_id) == -1, timeout=10_000)


def test_status_combo_refuses_invalid_change_and_keeps_store(qtbot, open_session, demo_db):
    store = read_store(demo_db)
    resolved = store.cases_page(CaseFilter(view=View.RESOLVED), limit=50)
    target = next(r for r in resolved if r.status is CaseStatus.RESOLVED)
    store.close()
    session = open_session(demo_db)
    window = session.window
    window.sidebar.select_view(View.RESOLVED)
    qtbot.waitUntil(lambda: window.model.row_of(target.id) >= 0, timeout=10_000)
    select_row(qtbot, window, window.model.row_of(target.id))
    box = window.case_panel.status_box
    waiting = box.findData(CaseStatus.WAITING.value)
    assert not box.model().item(waiting).isEnabled()  # resolved -> waiting is not offered
    # Pressing "w" asks anyway: the app refuses with a message, the store is unchanged.
    window.inbox.setFocus()
    qtbot.keyClick(window.inbox, Qt.Key.Key_W)
    qtbot.waitUntil(lambda: window.findChild(object, "errorBox") is not None, timeout=5_000)
    assert read_store(demo_db).case_row(target.id).status is CaseStatus.RESOLVED
    # Reopen through the combo box, as a user picks an item.
    open_index = box.findData(CaseStatus.OPEN.value)
    box.setCurrentIndex(open_index)
    box.activated.emit(open_index)
    qtbot.waitUntil(lambda: read_store(demo_db).case_row(target.id).status is CaseStatus.OPEN,
                    timeout=10_000)


def test_checklist_tick_with_keyboard(qtbot, open_session, demo_db):
    session = open_session(demo_db)
    window = session.window
    wait_loaded(qtbot, window)
    case_id = select_row(qtbot, window, 1)
    panel = window.case_panel
    # Opening the case pre-fills the issues found in the message (issue 12): let it settle.
    qtbot.waitUntil(lambda: not replying.prefill_issues(read_store(demo_db).case_detail(case_id))
                    and panel.issues.count() == len(read_store(demo_db).case_detail(case_id)
                                                    .checklist), timeout=10_000)
    before = panel.issues.count()
    panel.tabs.setCurrentIndex(1)
    panel.issue_edit.setFocus()
    qtbot.keyClicks(panel.issue_edit, "Refund not received")
    qtbot.keyClick(panel.issue_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.issues.count() == before + 1, timeout=10_000)
    panel.issues.setFocus()
    panel.issues.setCurrentRow(before)
    qtbot.keyClick(panel.issues, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: [i.done for i in read_store(demo_db).case_detail(case_id).checklist]
                    == [False] * before + [True], timeout=10_000)
    kinds = [e.kind for e in read_store(demo_db).case_events(case_id)]
    assert kinds[-2:] == ["issue_added", "issue_ticked"]


@pytest.mark.parametrize("query", ['bundt', '"bundt', 'AND', 'bundt)', 'NEAR('])
def test_search_box(qtbot, open_session, demo_db, query):
    session = open_session(demo_db)
    window = session.window
    wait_loaded(qtbot, window)
    window.search.setFocus()
    qtbot.keyClicks(window.search, query)
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    store = read_store(demo_db)
    expected = [r.id for r in store.search_cases(query, window.model.filter)]
    qtbot.waitUntil(lambda: window.model.search_text == query.strip()
                    and not window.model._loading, timeout=10_000)
    shown = [window.model.data(window.model.index(i, 0), InboxModel.CaseIdRole)
             for i in range(window.model.rowCount())]
    assert shown == expected
    if query == "bundt":
        assert expected, "the demo has bundt conversations"
    qtbot.keyClick(window.search, Qt.Key.Key_Escape)


def test_markup_in_messages_is_plain_text(qtbot, open_session, tmp_path):
    path = tmp_path / "w.db"
    store = Store.open(path)
    store.add_account(platform="mastodon", handle="@help@kettle.example")
    evil = "<b>bold</b> <img src=x onerror=alert(1)> <a href='http://x'>link</a> &amp; <script>"
    store.ingest([IncomingMessage(
        platform=Platform.MASTODON, account_handle="@help@kettle.example", remote_id="1",
        author_handle="@eve@x.social", author_name="<i>Eve</i>", text=evil,
        created_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))])
    store.close()
    session = open_session(path)
    window = session.window
    window.sidebar.select_view(View.ALL)
    wait_loaded(qtbot, window)
    select_row(qtbot, window, 0)
    assert window.model.data(window.model.index(0, InboxModel.COL_MESSAGE)) == evil
    (bubble,) = window.case_panel.conversation.findChildren(MessageBubble)
    text = bubble.findChild(QLabel, "bubbleText")
    assert text.textFormat() == Qt.TextFormat.PlainText
    assert text.text() == evil
    assert window.case_panel.title.textFormat() == Qt.TextFormat.PlainText
    assert "<i>Eve</i>" in window.case_panel.title.text()


def test_inbox_model_pages_lazily(qtbot, open_session, tmp_path, qtmodeltester):
    path = tmp_path / "big.db"
    store = Store.open(path)
    store.add_account(platform="mastodon", handle="@help@kettle.example")
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    store.ingest(IncomingMessage(
        platform=Platform.MASTODON, account_handle="@help@kettle.example", remote_id=str(i),
        author_handle=f"@u{i}@x.social", author_name=f"U{i}", text=f"message {i}",
        created_at=t0 + dt.timedelta(minutes=i)) for i in range(1000))
    store.close()
    session = open_session(path)
    window = session.window
    qtbot.waitUntil(lambda: window.model.rowCount() >= 200, timeout=10_000)
    qtbot.waitUntil(lambda: not window.model._loading)
    assert window.model.rowCount() < 1000  # one page at a time, never the whole table
    before = window.model.rowCount()
    window.inbox.scrollToBottom()
    qtbot.waitUntil(lambda: window.model.rowCount() > before, timeout=10_000)
    qtmodeltester.check(window.model, force_py=True)


def test_window_state_persists(qtbot, open_session, demo_db, tmp_path):
    ini = tmp_path / "state.ini"
    first = open_session(demo_db, ini)
    first.window.resize(731, 517)  # the offscreen screen is 800x600
    first.window.splitter.setSizes([300, 500, 400])
    sizes = first.window.splitter.sizes()
    first.window.close()
    second = open_session(demo_db, ini)
    assert (second.window.size().width(), second.window.size().height()) == (731, 517)
    assert second.window.splitter.sizes() == sizes


def test_snooze_from_the_panel_and_resurface_when_due(qtbot, open_session, demo_db):
    session = open_session(demo_db)
    window = session.window
    wait_loaded(qtbot, window)
    case_id = select_row(qtbot, window, 0)
    menu = window.case_panel.snooze_button.menu()
    action = next(a for a in menu.actions() if a.text() == "For 1 hour")
    action.trigger()
    qtbot.waitUntil(lambda: read_store(demo_db).case_row(case_id).snoozed_until is not None,
                    timeout=10_000)
    qtbot.waitUntil(lambda: window.model.row_of(case_id) == -1, timeout=10_000)  # hidden
    # Time passes: make it due, and let the reminder timer's job run.
    store = Store.open(demo_db)
    store.db.execute("UPDATE cases SET snoozed_until = snoozed_until - 7200 WHERE id = ?",
                     [case_id])
    store.db.conn.commit()
    store.close()
    window.wake_followups()
    qtbot.waitUntil(lambda: window.model.rowCount() > 0
                    and window.model.data(window.model.index(0, 0), InboxModel.CaseIdRole)
                    == case_id, timeout=10_000)
    assert "follow-up" in window.statusBar().currentMessage()

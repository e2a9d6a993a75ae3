"""The whole flow from the keyboard alone, and an accessible name on every control."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from console.core.models import CaseStatus, ReplyState
from console.ui.inbox.model import InboxModel
from console.ui.shortcuts import ShortcutsDialog
from tests.ui.test_composer import answer_dialog
from tests.ui.test_main_window import read_store, wait_loaded


def press(qtbot, widget: QWidget, key: Qt.Key, mods=Qt.KeyboardModifier.NoModifier) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(widget, key, mods)


def focused() -> QWidget:
    return QApplication.focusWidget()


def current_case(window) -> int:  # type: ignore[no-untyped-def]
    return window.model.data(window.inbox.currentIndex(), InboxModel.CaseIdRole)


def test_keyboard_only_flow(qtbot, open_session, demo_db) -> None:
    session = open_session(demo_db)
    window = session.window
    wait_loaded(qtbot, window, 3)
    window.activateWindow()
    window.inbox.setFocus()

    # j / k move through the inbox; the case panel follows.
    press(qtbot, window.inbox, Qt.Key.Key_J)
    press(qtbot, window.inbox, Qt.Key.Key_J)
    press(qtbot, window.inbox, Qt.Key.Key_K)
    assert window.inbox.currentIndex().row() == 1
    case_id = current_case(window)
    qtbot.waitUntil(lambda: window.case_panel.case_id == case_id
                    and window.case_panel.detail is not None, timeout=10_000)

    # / searches; Escape returns to the inbox.
    press(qtbot, window.inbox, Qt.Key.Key_Slash)
    assert focused() is window.search
    qtbot.keyClicks(window.search, "refund")
    press(qtbot, window.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.model.search_text == "refund"
                    and window.model.rowCount() > 0, timeout=10_000)
    press(qtbot, window.search, Qt.Key.Key_Escape)  # clears the search
    press(qtbot, window.search, Qt.Key.Key_Escape)  # back to the list
    qtbot.waitUntil(lambda: window.model.search_text is None, timeout=10_000)
    assert focused() is window.inbox
    qtbot.waitUntil(lambda: window.model.row_of(case_id) >= 0, timeout=10_000)
    window.inbox.setCurrentIndex(window.model.index(window.model.row_of(case_id), 0))

    # a assigns: the team roster pops up; the first letters pick a name, Enter assigns.
    press(qtbot, window.inbox, Qt.Key.Key_A)
    box = window.case_panel.owner_box
    qtbot.waitUntil(lambda: box.view().isVisible(), timeout=5_000)
    assert focused() in (box, box.view())
    qtbot.keyClicks(box.view(), "Pr")
    press(qtbot, box.view(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not box.view().isVisible(), timeout=5_000)
    qtbot.waitUntil(lambda: read_store(demo_db).case_row(case_id).owner == "Priya Nair",
                    timeout=10_000)

    # r replies; Ctrl+Enter approves.
    window.activateWindow()  # offscreen, nothing re-activates the window after the popup
    window.inbox.setFocus()
    qtbot.waitUntil(lambda: focused() is window.inbox, timeout=5_000)
    press(qtbot, window.inbox, Qt.Key.Key_R)
    editor = window.case_panel.composer.editor
    qtbot.waitUntil(lambda: focused() is editor, timeout=5_000)
    qtbot.waitUntil(lambda: window.case_panel.composer.profile() is not None, timeout=10_000)
    qtbot.keyClicks(editor, "So sorry about this, I'm on it now and will update you today.")
    answer_dialog("typed from the keyboard", keys=True)
    press(qtbot, editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(read_store(demo_db).replies([ReplyState.APPROVED])) == 1,
                    timeout=10_000)

    # Ctrl+Shift+R opens the review queue; Ctrl+D sends the reply back to draft.
    window.activateWindow()
    window.inbox.setFocus()
    press(qtbot, window.inbox, Qt.Key.Key_R,
          Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.review_queue is not None
                    and window.review_queue.table.topLevelItemCount() == 1, timeout=10_000)
    queue = window.review_queue
    queue.activateWindow()
    queue.table.setFocus()
    press(qtbot, queue.table, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: read_store(demo_db).replies()[0].state is ReplyState.DRAFT,
                    timeout=10_000)
    press(qtbot, queue.table, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not queue.isVisible(), timeout=5_000)

    # e resolves the case.
    window.activateWindow()
    window.inbox.setFocus()
    window.inbox.setCurrentIndex(window.model.index(window.model.row_of(case_id), 0))
    qtbot.wait(50)  # offscreen: let the re-activation settle, or the first key is lost
    press(qtbot, window.inbox, Qt.Key.Key_E)
    qtbot.waitUntil(lambda: read_store(demo_db).case_row(case_id).status
                    is CaseStatus.RESOLVED, timeout=10_000)

    # F1 shows the shortcut sheet.
    press(qtbot, window.inbox, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: any(isinstance(w, ShortcutsDialog) and w.isVisible()
                                and ("Ctrl+Return or Ctrl+Enter",
                                     "approve the reply into the outbox") in w.listed()
                                for w in QApplication.topLevelWidgets()), timeout=5_000)


def test_every_control_has_an_accessible_name(qtbot, open_session, demo_db) -> None:
    session = open_session(demo_db)
    window = session.window
    wait_loaded(qtbot, window)
    window.inbox.setCurrentIndex(window.model.index(0, 0))
    qtbot.waitUntil(lambda: window.case_panel.detail is not None, timeout=10_000)
    window.show_review_queue()
    window.show_accounts()
    window.show_settings()
    missing = []
    for root in (window, window.review_queue, window.accounts_dialog, window.settings_dialog):
        missing += unnamed(root)
    assert missing == []


def unnamed(root: QWidget) -> list[str]:
    """Interactive widgets under ``root`` with no accessible name (or button text)."""
    missing = []
    for widget in root.findChildren(QWidget):
        if not widget.isVisibleTo(root) or widget.window() is not root:
            continue
        if not isinstance(widget, (QAbstractButton, QLineEdit, QComboBox, QPlainTextEdit,
                                   QAbstractItemView)):
            continue
        if isinstance(widget, QLineEdit) and isinstance(widget.parent(),
                                                        (QComboBox, QAbstractSpinBox)):
            continue  # a combo or spin box's own editor: the box carries the name
        name = widget.accessibleName() or (widget.text() if isinstance(
            widget, QAbstractButton) else "")
        if not name.replace("&", "").strip():
            missing.append(f"{type(root).__name__}: {type(widget).__name__} "
                           f"{widget.objectName()!r}")
    return missing

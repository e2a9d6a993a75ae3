"""Notes and the issue checklist stay in view while a reply is written, at laptop sizes."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QWidget

from console.core.store import CaseFilter, Store, View
from console.ui.inbox.model import InboxModel


def rect_in(window: QWidget, widget: QWidget) -> QRect:
    return QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())


@pytest.mark.parametrize("size", [(1024, 640), (1440, 900), (1920, 1080)])
def test_notes_and_checklist_visible_while_composing(qtbot, open_session, demo_db: Path,
                                                     size):
    store = Store.open(demo_db)
    case_id = store.cases_page(CaseFilter(view=View.NEEDS_REPLY))[0].id
    store.add_issue(case_id, "Order still processing")
    store.add_issue(case_id, "Needs it by the 22nd")
    store.add_note(case_id, "Engraving queue is three days behind.")
    store.close()
    session = open_session(demo_db)
    window = session.window
    window.resize(*size)
    qtbot.waitUntil(lambda: window.model.row_of(case_id) >= 0, timeout=10_000)
    window.inbox.setCurrentIndex(window.model.index(window.model.row_of(case_id), 0))
    panel = window.case_panel
    qtbot.waitUntil(lambda: panel.detail is not None and panel.detail.case.id == case_id
                    and panel.issues.count() == 2 and panel.notes.count() == 1, timeout=10_000)
    # r: write the reply.
    window.inbox.setFocus()
    qtbot.keyClick(window.inbox, Qt.Key.Key_R)
    assert panel.composer.editor.hasFocus()
    qtbot.keyClicks(panel.composer.editor, "Thanks Hugo, on it.")
    qtbot.wait(50)
    # The window still fits the screen it was given.
    assert (window.width(), window.height()) == size
    editor = rect_in(window, panel.composer.editor)
    assert editor.height() >= 40
    for widget in (panel.issues, panel.issue_edit, panel.notes, panel.note_edit,
                   panel.issues_heading, panel.notes_heading, panel.scroll):
        assert widget.isVisible(), widget.objectName()
        assert not widget.visibleRegion().isEmpty(), widget.objectName()
        box = rect_in(window, widget)
        assert box.height() >= 12 and box.width() >= 120, (widget.objectName(), box)
        assert not box.intersects(editor), widget.objectName()
        assert window.rect().contains(box), widget.objectName()
    # At least one whole issue and the note's first line are drawn, not clipped away.
    first = panel.issues.visualItemRect(panel.issues.item(0))
    assert panel.issues.viewport().rect().contains(first.topLeft())
    assert panel.issues_heading.text() == "Issues (2 open of 2)"
    assert panel.notes_heading.text() == "Notes (1)"
    # The inbox's triage columns are still whole beside it.
    header = window.inbox.header()
    for col in (InboxModel.COL_WAITING, InboxModel.COL_CUSTOMER, InboxModel.COL_ACCOUNT,
                InboxModel.COL_STATUS):
        assert not header.isSectionHidden(col)
        assert header.sectionViewportPosition(col) + header.sectionSize(col) <= \
            window.inbox.viewport().width()


def test_a_checklist_item_is_renamed_in_place_and_deleted_from_its_menu(qtbot, open_session,
                                                                         demo_db: Path):
    store = Store.open(demo_db)
    case_id = store.cases_page(CaseFilter(view=View.NEEDS_REPLY))[0].id
    store.add_issue(case_id, "Order still processing")
    store.add_issue(case_id, "Needs it by the 22nd")
    store.close()
    session = open_session(demo_db)
    window = session.window
    qtbot.waitUntil(lambda: window.model.row_of(case_id) >= 0, timeout=10_000)
    window.inbox.setCurrentIndex(window.model.index(window.model.row_of(case_id), 0))
    panel = window.case_panel
    qtbot.waitUntil(lambda: panel.detail is not None and panel.detail.case.id == case_id
                    and panel.issues.count() == 2, timeout=10_000)

    def items() -> list[tuple[str, bool]]:
        s = Store.open(demo_db, read_only=True)
        try:
            return [(i.text, i.done) for i in s.case_detail(case_id).checklist]
        finally:
            s.close()

    # Rename: F2 on the item, type, Enter (the list's own editor).
    panel.issues.setFocus()
    panel.issues.setCurrentRow(1)
    qtbot.keyClick(panel.issues, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: panel.issues.focusWidget() is not panel.issues, timeout=5000)
    editor = panel.issues.focusWidget()
    editor.selectAll()
    qtbot.keyClicks(editor, "Needs it by the 21st")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: items() == [("Order still processing", False),
                                        ("Needs it by the 21st", False)], timeout=5000)
    # Ticking still ticks (not taken for a rename).
    qtbot.waitUntil(lambda: panel.issues.count() == 2, timeout=5000)
    panel.issues.item(0).setCheckState(Qt.CheckState.Checked)
    qtbot.waitUntil(lambda: items()[0] == ("Order still processing", True), timeout=5000)
    # Delete from the item's context menu.
    qtbot.waitUntil(lambda: panel.issues.count() == 2, timeout=5000)
    panel.issues.setCurrentRow(0)
    assert panel.issue_delete_action in panel.issues.actions()
    panel.issue_delete_action.trigger()
    qtbot.waitUntil(lambda: items() == [("Needs it by the 21st", False)], timeout=5000)
    s = Store.open(demo_db, read_only=True)
    kinds = [e.kind for e in s.case_events(case_id)]
    s.close()
    assert "issue_renamed" in kinds and "issue_deleted" in kinds, kinds

"""The Settings dialog's workspace tab: the team roster feeds the owner box; values are typed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from tests.ui.test_main_window import read_store, select_row, wait_loaded

T = 10_000


def test_team_roster_edited_in_settings_is_what_the_owner_box_offers(qtbot, open_session,
                                                                       demo_db):
    session = open_session(demo_db)
    window = session.window
    wait_loaded(qtbot, window)
    window.activateWindow()
    window.inbox.setFocus()
    qtbot.keyClick(window.inbox, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.settings_dialog is not None
                    and window.settings_dialog.isVisible(), timeout=T)
    tab = window.settings_dialog.workspace
    assert window.settings_dialog.tabs.currentWidget() is tab
    qtbot.waitUntil(lambda: tab.roster.rowCount() == 3, timeout=T)
    # Add a person (typed into the new row), mark them as me, set the sync interval.
    qtbot.mouseClick(tab.add_person, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit)
                    and tab.roster.isAncestorOf(QApplication.focusWidget()), timeout=T)
    editor = QApplication.focusWidget()
    qtbot.keyClicks(editor, "Ana Souza")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.roster.item(3, 0).text() == "Ana Souza", timeout=T)
    tab.roster.item(3, 2).setCheckState(Qt.CheckState.Checked)
    assert [p["me"] for p in tab.roster_value()] == [False, False, False, True]
    tab.sync_interval.setValue(12)
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.message.text() == "Saved.", timeout=T)
    store = read_store(demo_db)
    assert [p["name"] for p in store.roster()] == ["Sam Rivera", "Priya Nair", "Tom Okafor",
                                                   "Ana Souza"]
    assert store.me == "Ana Souza" and store.get_setting("sync.interval_minutes") == 12
    store.close()
    # A bad value is refused with the reason, and nothing is saved.
    tab.lists["brand.domains"].setPlainText("kettle.example")
    tab.roster.item(0, 0).setText("Priya Nair")  # a duplicate of row 2
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "twice" in tab.message.text(), timeout=T)
    assert read_store(demo_db).get_setting("brand.domains") != ["kettle.example"]
    window.settings_dialog.close()
    # The owner box offers the roster, now with Ana.
    select_row(qtbot, window, 0)
    box = window.case_panel.owner_box
    qtbot.waitUntil(lambda: box.findData("Ana Souza") >= 0, timeout=T)

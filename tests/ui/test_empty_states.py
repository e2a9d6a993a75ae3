"""Empty states lead somewhere: no accounts, and views with no cases, say what to do next."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from console.cli import build_parser
from console.core.store import Store, View
from console.ui.main_window import VIEW_EMPTY, demo_command


@pytest.fixture
def empty_db(tmp_path: Path) -> Path:
    path = tmp_path / "empty.db"
    Store.open(path).close()
    return path


def shows_empty(window, kind: str) -> bool:  # type: ignore[no-untyped-def]
    return (window.inbox_stack.currentWidget() is window.empty_state
            and window.empty_state.isVisible() and window.empty_state.kind == kind)


def test_no_accounts_offers_add_and_demo(qtbot, open_session, empty_db: Path):
    session = open_session(empty_db)
    window = session.window
    qtbot.waitUntil(lambda: shows_empty(window, "no_accounts"), timeout=10_000)
    state = window.empty_state
    assert state.title.text() == "No accounts yet"
    assert state.title.textFormat() == Qt.TextFormat.PlainText
    add, demo = state.buttons["add_account"], state.buttons["open_demo"]
    assert add.isVisible() and demo.isVisible()
    assert add.text().startswith("Add an account") and demo.text() == "Open the demo"
    # "Add an account" opens the Accounts dialog (nothing is saved until verified).
    qtbot.mouseClick(add, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.accounts_dialog is not None
                    and window.accounts_dialog.isVisible(), timeout=5_000)
    window.accounts_dialog.close()


def test_open_the_demo_starts_it_in_a_new_window(qtbot, open_session, empty_db: Path,
                                                 tmp_path: Path, monkeypatch):
    # The command is the app's own, and it means "the demo workspace".
    command = demo_command()
    assert command[0] == sys.executable
    args = build_parser().parse_args(command[command.index("--demo"):])
    assert args.demo
    session = open_session(empty_db)
    window = session.window
    qtbot.waitUntil(lambda: shows_empty(window, "no_accounts"), timeout=10_000)
    # The real launcher starts the real app; this hook makes it quit after its first
    # painted inbox (the throwaway demo copy is removed at exit), settings in tmp.
    monkeypatch.setenv("CC_EXIT_AFTER_FIRST_PAINT", "1")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    qtbot.mouseClick(window.empty_state.buttons["open_demo"], Qt.MouseButton.LeftButton)
    pid = window.demo_pid
    assert pid is not None
    assert "demo" in window.statusBar().currentMessage()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split()[2]
        except OSError:
            break
        if state == "Z":
            break
        time.sleep(0.2)
    assert not Path(f"/proc/{pid}").exists() or \
        Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z", "the demo never finished"
    # This window stays on the user's own (empty) workspace.
    assert shows_empty(window, "no_accounts")




def test_an_empty_view_says_what_it_means(qtbot, open_session, demo_db: Path):
    store = Store.open(demo_db, read_only=True)
    assert store.view_counts()[View.SNOOZED] == 0  # the demo snoozes nothing
    store.close()
    session = open_session(demo_db)
    window = session.window
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=10_000)
    window.sidebar.select_view(View.SNOOZED)
    qtbot.waitUntil(lambda: shows_empty(window, f"empty_{View.SNOOZED}"), timeout=10_000)
    title, text = VIEW_EMPTY[View.SNOOZED]
    assert window.empty_state.title.text() == title
    assert window.empty_state.text.text() == text
    assert "until" in text  # it explains the view, not just "empty"
    assert window.status_label.text().startswith("0 cases")
    button = window.empty_state.buttons["show_all"]
    assert button.isVisible()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.model.filter.view == View.ALL
                    and window.model.rowCount() > 0, timeout=10_000)
    assert window.inbox_stack.currentWidget() is window.inbox


def test_a_search_with_no_results_offers_to_clear_it(qtbot, open_session, demo_db: Path):
    session = open_session(demo_db)
    window = session.window
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=10_000)
    rows = window.model.rowCount()
    window.search.setText("zzqxnotaword")
    window.search.returnPressed.emit()
    qtbot.waitUntil(lambda: shows_empty(window, "no_results"), timeout=10_000)
    assert "zzqxnotaword" in window.empty_state.title.text()
    qtbot.mouseClick(window.empty_state.buttons["clear_search"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.model.search_text is None
                    and window.model.rowCount() == rows, timeout=10_000)
    assert window.inbox_stack.currentWidget() is window.inbox

"""Linking one customer's handles from the case panel: search, suggestions, unlink, Ctrl+Z."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from console.core import replying
from console.core.models import Platform, ProfileEvidence
from console.core.store import Store
from tests.conftest import T0, msg
from tests.core.test_contacts import state


def read(path: Path, fn: Callable[[Store], Any]) -> Any:
    store = Store.open(path, read_only=True)
    try:
        return fn(store)
    finally:
        store.close()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """Maya on Mastodon (her bio names her Bluesky handle) and on Bluesky; Ravi on
    Mastodon, whose verified site is also a Bluesky domain handle someone else uses."""
    path = tmp_path / "work.db"
    store = Store.open(path)
    store.set_setting("user.name", "Sam")
    store.add_account(platform="mastodon", handle="help@kettle.example", role="support")
    store.add_account(platform="bluesky", handle="help.kettle.example", role="support")
    store.ingest([dataclasses.replace(
        msg("maya@fosstodon.example", "Lid is cracked", account="help@kettle.example",
            name="Maya Lind", at=T0),
        author_profile=ProfileEvidence(mentions=("bluesky:maya.bsky.social",)))])
    store.ingest([msg("maya.bsky.social", "Where is my refund?", platform=Platform.BLUESKY,
                      account="help.kettle.example", name="maya", at=T0 + dt.timedelta(hours=1))])
    store.ingest([dataclasses.replace(
        msg("ravi@toot.example", "Kettle whistles", account="help@kettle.example",
            name="Ravi", at=T0 + dt.timedelta(hours=2)),
        author_profile=ProfileEvidence(verified_links=("ravi.example",)))])
    store.ingest([dataclasses.replace(
        msg("ravi.example", "Great kettle", platform=Platform.BLUESKY,
            account="help.kettle.example", name="R.", at=T0 + dt.timedelta(hours=3)),
        author_profile=ProfileEvidence(verified_links=("ravi.example",)))])
    store.close()
    return path


def open_case_of(qtbot, window, path: Path, handle: str) -> int:  # type: ignore[no-untyped-def]
    case_id = read(path, lambda s: s.current_case_of(s.contact_by_handle(handle)))
    qtbot.waitUntil(lambda: window.model.row_of(case_id) >= 0, timeout=10_000)
    window.inbox.setFocus()
    window.inbox.setCurrentIndex(window.model.index(window.model.row_of(case_id), 0))
    panel = window.case_panel
    qtbot.waitUntil(lambda: panel.detail is not None and panel.detail.case.id == case_id
                    and panel.same_person.contact is not None
                    and panel.same_person.contact.id == panel.detail.case.contact_id,
                    timeout=10_000)
    return case_id


def buttons(widget, name: str) -> list[QPushButton]:  # type: ignore[no-untyped-def]
    return [b for b in widget.findChildren(QPushButton, name) if b.isVisible()]


def timeline(panel) -> list[str]:  # type: ignore[no-untyped-def]
    return [panel.timeline.item(i).text() for i in range(panel.timeline.count())]


def test_search_link_then_ctrl_z_restores(qtbot, open_session, workspace: Path) -> None:
    session = open_session(workspace)
    window = session.window
    qtbot.waitUntil(lambda: window.model.rowCount() == 4, timeout=10_000)
    case_id = open_case_of(qtbot, window, workspace, "maya@fosstodon.example")
    # Opening the case pre-fills its checklist from the message (issue 12): Ctrl+Z must
    # bring back the state from after that.
    qtbot.waitUntil(lambda: not read(workspace, lambda s: replying.prefill_issues(
        s.case_detail(case_id))), timeout=10_000)
    before = read(workspace, state)
    panel = window.case_panel
    box = panel.same_person

    # "Same person as…": search by handle, pick with the keys (Esc closes the search).
    qtbot.mouseClick(box.button, Qt.MouseButton.LeftButton)
    assert QApplication.focusWidget() is box.search
    qtbot.keyClicks(box.search, "nobody")
    qtbot.keyClick(box.search, Qt.Key.Key_Escape)
    assert not box.search_box.isVisible()
    assert panel.detail.case.id == case_id  # the window's Esc (back to the inbox) stayed out
    qtbot.mouseClick(box.button, Qt.MouseButton.LeftButton)
    assert QApplication.focusWidget() is box.search and box.search.text() == ""
    qtbot.keyClicks(box.search, "maya.bsky")
    qtbot.waitUntil(lambda: box.results.count() == 1, timeout=10_000)
    assert "maya.bsky.social (Bluesky)" in box.results.item(0).text()
    qtbot.keyClick(box.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=10_000)
    assert read(workspace, lambda s: s.contact_by_handle("bluesky:maya.bsky.social")
                == s.contact_by_handle("mastodon:maya@fosstodon.example"))
    qtbot.waitUntil(lambda: len(panel.detail.messages) == 2, timeout=10_000)
    assert panel.detail.case.id == case_id  # the case on screen is the one kept
    qtbot.waitUntil(lambda: buttons(box, "unlinkButton") != [], timeout=10_000)
    assert any("Contact linked" in line for line in timeline(panel))
    assert not box.search_box.isVisible()

    # Ctrl+Z in the window undoes the link: everything is back, and the timeline says both.
    window.inbox.setFocus()
    qtbot.keyClick(window.inbox, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.model.rowCount() == 4, timeout=10_000)
    qtbot.waitUntil(lambda: read(workspace, state) == before, timeout=10_000)
    qtbot.waitUntil(lambda: any("Contact unlinked" in line for line in timeline(panel)),
                    timeout=10_000)
    assert any("Contact linked" in line for line in timeline(panel))
    assert len(panel.detail.messages) == 1
    qtbot.waitUntil(lambda: buttons(box, "unlinkButton") == [], timeout=10_000)
    assert len(window.undo_stack) == 0


def test_suggestion_link_unlink_and_dismiss(qtbot, open_session, workspace: Path) -> None:
    session = open_session(workspace)
    window = session.window
    qtbot.waitUntil(lambda: window.model.rowCount() == 4, timeout=10_000)
    open_case_of(qtbot, window, workspace, "maya.bsky.social")
    panel = window.case_panel
    box = panel.same_person
    # The profile evidence is shown, never acted on by itself.
    qtbot.waitUntil(lambda: len(buttons(box, "suggestionLink")) == 1, timeout=10_000)
    (label,) = [w for w in box.findChildren(QLabel, "suggestionLabel") if w.isVisible()]
    assert "maya@fosstodon.example" in label.text() and "names maya.bsky.social" in label.text()
    assert window.model.rowCount() == 4

    qtbot.mouseClick(buttons(box, "suggestionLink")[0], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=10_000)
    qtbot.waitUntil(lambda: len(buttons(box, "unlinkButton")) == 1, timeout=10_000)
    assert buttons(box, "suggestionLink") == []

    # Unlink from the panel; Ctrl+Z links again.
    qtbot.mouseClick(buttons(box, "unlinkButton")[0], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.model.rowCount() == 4, timeout=10_000)
    window.inbox.setFocus()
    qtbot.keyClick(window.inbox, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=10_000)

    # Ravi: the same verified site on both handles; Dismiss says they are two people.
    open_case_of(qtbot, window, workspace, "ravi@toot.example")
    qtbot.waitUntil(lambda: len(buttons(box, "suggestionDismiss")) == 1, timeout=10_000)
    qtbot.mouseClick(buttons(box, "suggestionDismiss")[0], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: buttons(box, "suggestionDismiss") == [], timeout=10_000)
    assert read(workspace, lambda s: s.link_suggestions()) == []
    assert window.model.rowCount() == 3

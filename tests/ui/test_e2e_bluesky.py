"""End to end against the real local Bluesky network, driven through the window.

Add the brand account with its app password in the accounts dialog (the secret
goes to the real OS keyring), sync, see the customer's seeded mentions as
a case, reply from the composer, send, and find the reply in the customer's own
notifications.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolBar

from console.connectors.bluesky import BlueskyConnector
from console.connectors.http import build_session
from console.connectors.registry import secret_key
from console.core.models import ReplyState
from console.core.secrets import MemorySecretStore
from console.core.store import Store
from console.ui.app import keyring_secrets
from tests.helpers import require_test_keyring
from tests.ui.test_composer import answer_dialog
from tests.ui.test_main_window import read_store

pytestmark = pytest.mark.bluesky


def click_sync(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """Press the toolbar's Sync button, as the user does."""
    toolbar = window.findChild(QToolBar, "mainToolbar")
    button = toolbar.widgetForAction(window.sync_action)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


@pytest.fixture
def real_keyring():  # type: ignore[no-untyped-def]
    require_test_keyring()  # with-keyring.sh's throwaway gnome-keyring, never the user's
    store = keyring_secrets()
    yield store
    store.delete(secret_key("bluesky", "brand.test"))


def test_bluesky_end_to_end_from_the_window(qtbot, open_session, tmp_path: Path,
                                            bsky_net: dict[str, Any], bsky_sync,
                                            real_keyring) -> None:
    path = tmp_path / "w.db"
    Store.open(path).close()
    session = open_session(path)
    window = session.window
    brand = bsky_net["accounts"]["brand"]

    # 1. Add the account: the app password is verified, then kept only in the keyring.
    window.show_accounts()
    dialog = window.accounts_dialog
    qtbot.waitUntil(lambda: dialog.isVisible(), timeout=5_000)
    dialog.platform.setCurrentIndex(dialog.platform.findData("bluesky"))
    qtbot.keyClicks(dialog.handle, brand["handle"])
    qtbot.keyClicks(dialog.server, bsky_net["pds_url"])
    qtbot.keyClicks(dialog.secret, brand["app_password"])
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.table.topLevelItemCount() == 1, timeout=30_000)
    assert dialog.secret.text() == ""
    assert real_keyring.get(secret_key("bluesky", "brand.test")) == brand["app_password"]
    raw = path.read_bytes() + Path(str(path) + "-wal").read_bytes()
    assert brand["app_password"].encode() not in raw  # never in the database
    dialog.close()

    # 2. Sync: the seeded mentions from alice become one case.
    bsky_sync()
    click_sync(qtbot, window)
    qtbot.waitUntil(lambda: read_store(path).message_count() >= 3, timeout=60_000)
    qtbot.waitUntil(lambda: window.model.rowCount() >= 1, timeout=10_000)
    store = read_store(path)
    (case,) = store.cases_page()
    assert case.contact_handle == "alice.test"
    texts = [m.text for m in store.case_detail(case.id).messages]
    assert len(texts) >= 3 and all(m.author_handle == "alice.test"
                                   for m in store.case_detail(case.id).messages), texts

    # 3. Reply from the composer and approve it (answering an override if asked).
    window.inbox.setCurrentIndex(window.model.index(window.model.row_of(case.id), 0))
    qtbot.waitUntil(lambda: window.case_panel.detail is not None, timeout=10_000)
    window.activateWindow()  # offscreen, closing the dialog does not give focus back
    window.case_panel.focus_reply()
    composer = window.case_panel.composer
    qtbot.waitUntil(lambda: composer.editor.hasFocus() and composer.profile() is not None,
                    timeout=10_000)
    marker = uuid.uuid4().hex[:8]
    text = f"Hi Alice, I'm sorry about the trouble. I've fixed it now (ref {marker}). ^SR"
    qtbot.keyClicks(composer.editor, text)
    answer_dialog("end-to-end test")
    qtbot.keyClick(composer.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: any(r.body == text for r in read_store(path).replies(
        [ReplyState.APPROVED])), timeout=10_000)

    # 4. Send (Sync fetches, then sends the outbox) and see it in the case.
    click_sync(qtbot, window)
    qtbot.waitUntil(lambda: any(r.body == text for r in read_store(path).replies(
        [ReplyState.SENT])), timeout=60_000)
    detail = read_store(path).case_detail(case.id)
    sent = [m for m in detail.messages if m.direction.value == "out"]
    assert [m.text for m in sent] == [text]
    assert sent[0].url and sent[0].url.startswith("https://bsky.app/profile/brand.test/post/")

    # 5. Alice sees the reply in her notifications.
    bsky_sync()
    alice = BlueskyConnector(handle="alice.test", server=bsky_net["pds_url"],
                             session=build_session(),
                             secrets=MemorySecretStore({"alice": bsky_net["accounts"]["alice"][
                                 "password"]}), account_key="alice")
    seen = [m for m in alice.fetch_since(None).items if marker in m.text]
    assert len(seen) == 1
    assert seen[0].author_handle == "brand.test"

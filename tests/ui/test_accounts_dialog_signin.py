"""The Accounts dialog signs in in the browser, pastes a code, cancels, reconnects, removes.

The browser is the test: the dialog's ``open_url`` (QDesktopServices.openUrl in the app)
is replaced by a function that drives the local OAuth server's authorization page with
``requests`` on another thread, as a user's browser would, while the dialog's worker waits
for the redirect on its loopback listener. Secrets go to with-keyring.sh's throwaway
keyring.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtWidgets import QApplication, QMessageBox

from console.connectors import registry
from console.core.secrets import KeyringSecretStore
from console.core.store import Store
from console.ui.accounts_dialog import AccountsDialog
from tests.connectors.oauth_server import LocalOAuthServer, approve_in_browser
from tests.connectors.test_signin import approve_in_browser_no_follow


class Browser:
    """Stands in for the user's browser: records the address, approves on its own thread."""

    def __init__(self, *, approve: bool) -> None:
        self.approve = approve
        self.opened: list[str] = []
        self.landed: list[requests.Response] = []

    def __call__(self, url: QUrl) -> bool:
        address = url.toString(QUrl.ComponentFormattingOption.FullyEncoded)
        self.opened.append(address)
        if self.approve:
            threading.Thread(target=lambda: self.landed.append(approve_in_browser(address)),
                             daemon=True).start()
        return True


def make_dialog(qtbot: Any, session: Any, browser: Browser,
                secrets: KeyringSecretStore) -> AccountsDialog:
    dialog = AccountsDialog(session.ops, lambda: secrets, profiles=["prestige"],
                            open_url=browser)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def answer_question(button: QMessageBox.StandardButton) -> None:
    def answer() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            box.button(button).click()
        else:
            QTimer.singleShot(20, answer)

    QTimer.singleShot(20, answer)


def start_mastodon(qtbot: Any, dialog: AccountsDialog, server: LocalOAuthServer) -> None:
    dialog.platform.setCurrentIndex(dialog.platform.findData("mastodon"))
    assert dialog.sign_in_button.isVisible() and not dialog.client_id.isVisible()
    qtbot.keyClicks(dialog.server, server.url)
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)


def test_sign_in_in_the_browser_then_remove_revokes(
        qtbot: Any, open_session: Any, tmp_path: Path, oauth_server: LocalOAuthServer,
        keyring_store: KeyringSecretStore) -> None:
    path = tmp_path / "w.db"
    Store.open(path).close()
    session = open_session(path)
    browser = Browser(approve=True)
    dialog = make_dialog(qtbot, session, browser, keyring_store)
    start_mastodon(qtbot, dialog, oauth_server)
    qtbot.waitUntil(lambda: dialog.table.topLevelItemCount() == 1, timeout=20_000)
    (opened,) = browser.opened
    assert opened.startswith(f"{oauth_server.url}/oauth/authorize?")
    assert "Signed in" in browser.landed[0].text  # the loopback page the browser ended on
    handle = f"@halcy@{urlsplit(oauth_server.url).netloc}"
    assert dialog.table.topLevelItem(0).text(1) == handle
    assert not dialog.sign_in_box.isVisible() and dialog.sign_in_button.isEnabled()
    token = keyring_store.get(registry.secret_key("mastodon", handle))
    assert token and token not in dialog.message.text()
    raw = path.read_bytes() + Path(str(path) + "-wal").read_bytes()
    assert token.encode() not in raw  # never in the database

    dialog.table.setCurrentItem(dialog.table.topLevelItem(0))
    answer_question(QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.table.topLevelItemCount() == 0, timeout=10_000)
    assert [c["token"] for c in oauth_server.hits("POST", "/oauth/revoke")] == [token]
    assert [keyring_store.get(k) for k in registry.entry_keys("mastodon", handle)] == [None] * 3


def test_cancel_stops_listening_and_a_pasted_address_signs_in(
        qtbot: Any, open_session: Any, tmp_path: Path, oauth_server: LocalOAuthServer,
        keyring_store: KeyringSecretStore) -> None:
    path = tmp_path / "w.db"
    Store.open(path).close()
    session = open_session(path)
    browser = Browser(approve=False)  # opens, but the user does nothing there
    dialog = make_dialog(qtbot, session, browser, keyring_store)

    start_mastodon(qtbot, dialog, oauth_server)
    qtbot.waitUntil(lambda: dialog.sign_in_box.isVisible(), timeout=10_000)
    redirect = parse_qs(urlsplit(browser.opened[0]).query)["redirect_uri"][0]
    assert dialog.authorize_url.text() == browser.opened[0]
    qtbot.mouseClick(dialog.cancel_sign_in_button, Qt.MouseButton.LeftButton)
    assert dialog.message.text() == "Sign-in cancelled." and not dialog.sign_in_box.isVisible()

    def closed() -> bool:
        try:
            requests.get(redirect, timeout=1)
        except requests.ConnectionError:
            return True
        return False

    qtbot.waitUntil(closed, timeout=5_000)  # the listener is gone
    assert oauth_server.hits("POST", "/oauth/token") == []

    # Again, with the browser on "another computer": paste the address it ended on.
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(browser.opened) == 2 and dialog.sign_in_box.isVisible(),
                    timeout=10_000)
    qtbot.keyClicks(dialog.paste_code, "not-a-code")
    qtbot.mouseClick(dialog.use_code_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "did not work" in dialog.message.text(), timeout=10_000)
    assert dialog.sign_in_box.isVisible()  # another try is possible
    ended_on = approve_in_browser_no_follow(browser.opened[1])
    qtbot.keyClicks(dialog.paste_code, ended_on)
    qtbot.mouseClick(dialog.use_code_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.table.topLevelItemCount() == 1, timeout=10_000)
    assert dialog.message.text().startswith("Added @halcy@")
    handle = dialog.table.topLevelItem(0).text(1)
    registry.forget_account("mastodon", handle, oauth_server.url, keyring_store)


def test_reconnect_state_shows_and_remove_deletes_the_bluesky_session(
        qtbot: Any, open_session: Any, tmp_path: Path,
        keyring_store: KeyringSecretStore) -> None:
    path = tmp_path / "w.db"
    store = Store.open(path)
    store.add_account(platform="x", handle="brandx", server="https://api.x.com")
    store.add_account(platform="bluesky", handle="brand.test", server="http://localhost:2583")
    store.close()
    # X refused to renew this sign-in earlier (see test_signin); Bluesky left a session.
    keyring_store.set("x:brandx", json.dumps({"v": 1, "reconnect": True}))
    keyring_store.set("bluesky:brand.test", "aaaa-bbbb-cccc-dddd")
    keyring_store.set("bluesky:brand.test:session", "a-refresh-jwt")
    session = open_session(path)
    dialog = make_dialog(qtbot, session, Browser(approve=False), keyring_store)
    qtbot.waitUntil(lambda: dialog.table.topLevelItemCount() == 2, timeout=10_000)
    rows = {dialog.table.topLevelItem(i).text(1): dialog.table.topLevelItem(i)
            for i in range(2)}
    qtbot.waitUntil(lambda: rows["brandx"].text(5) == "Reconnect: sign in again",
                    timeout=10_000)
    assert rows["brand.test"].text(5) == ""

    dialog.table.setCurrentItem(rows["brand.test"])
    answer_question(QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.table.topLevelItemCount() == 1, timeout=10_000)
    assert keyring_store.get("bluesky:brand.test") is None
    assert keyring_store.get("bluesky:brand.test:session") is None  # not left behind

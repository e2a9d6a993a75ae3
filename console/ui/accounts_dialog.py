"""Add (sign in), verify and remove the brand's accounts; credentials go only to the keyring.

Mastodon and X sign in in the browser: the sign-in starts on a worker (Mastodon registers
the app), the browser opens on the authorization page, and a worker waits for the browser
to come back to the loopback listener (``registry.SignIn``), with Cancel. When the browser
runs elsewhere, the code (or the address the browser ended on) can be pasted. Bluesky
takes the handle and an app password; its server is found from the handle.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.connectors.base import AccountInfo
from console.connectors.oauth import SignInCancelled, SignInResult
from console.connectors.registry import (
    ENV_X_CLIENT_ID,
    SignIn,
    credential_state,
    forget_account,
    make_connector,
    save_sign_in,
    secret_key,
    start_sign_in,
)
from console.core.changes import Changes
from console.core.errors import KnownError
from console.core.ids import AccountId
from console.core.models import Account
from console.core.secrets import MemorySecretStore, SecretStore
from console.core.store import Store
from console.ui.hours_editor import BusinessHoursEditor
from console.ui.ops import Ops, show_error

log = logging.getLogger(__name__)

SERVER_HINTS = {"mastodon": "https://mastodon.social",
                "bluesky": "found from the handle (or the PDS address)",
                "x": "https://api.x.com"}
SECRET_HINTS = {"mastodon": "Sign in with the browser, or an access token (Preferences → "
                            "Development)",
                "bluesky": "App password (Settings → Privacy and security → App passwords)",
                "x": "Sign in with the browser, or an OAuth 2.0 user access token"}
RECONNECT_TEXT = "Reconnect: sign in again"


class AccountsDialog(QDialog):
    """The accounts of this workspace and their sync state."""

    def __init__(self, ops: Ops, secrets: Callable[[], SecretStore], *,
                 profiles: list[str], parent: QWidget | None = None,
                 open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl) -> None:
        super().__init__(parent)
        self._ops = ops
        self._secrets = secrets
        self._open_url = open_url
        self._sign_in: SignIn | None = None  # the browser sign-in under way
        self._pasting = False
        self._client_id_label: QWidget | None = None
        self.setObjectName("accountsDialog")
        self.setWindowTitle("Accounts")
        self.resize(840, 680)

        self.table = QTreeWidget()
        self.table.setObjectName("accountsTable")
        self.table.setAccessibleName("Accounts")
        self.table.setRootIsDecorated(False)
        self.table.header().setAccessibleName("Columns")
        self.table.setHeaderLabels(["Platform", "Handle", "Role", "Voice", "Last sync",
                                    "Problem"])
        for col, width in ((0, 80), (1, 220), (2, 80), (3, 80), (4, 150)):
            self.table.setColumnWidth(col, width)
        self.remove_button = QPushButton("&Remove…")
        self.remove_button.setObjectName("removeAccountButton")
        self.remove_button.clicked.connect(self._remove)
        self.reconnect_button = QPushButton("Sign in a&gain")
        self.reconnect_button.setObjectName("reconnectButton")
        self.reconnect_button.setToolTip("Sign the selected Mastodon or X account in again "
                                         "in the browser")
        self.reconnect_button.clicked.connect(self._reconnect)

        self.platform = QComboBox()
        self.platform.setObjectName("platformBox")
        self.platform.setAccessibleName("Platform")
        for name in ("bluesky", "mastodon", "x"):
            self.platform.addItem({"x": "X"}.get(name, name.capitalize()), name)
        self.handle = QLineEdit()
        self.handle.setObjectName("handleEdit")
        self.handle.setAccessibleName("Handle")
        self.handle.setPlaceholderText("e.g. brand.bsky.social or @help@mastodon.social")
        self.server = QLineEdit()
        self.server.setObjectName("serverEdit")
        self.server.setAccessibleName("Server")
        self.secret = QLineEdit()
        self.secret.setObjectName("secretEdit")
        self.secret.setAccessibleName("Token or app password")
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.client_id = QLineEdit(os.environ.get(ENV_X_CLIENT_ID, ""))
        self.client_id.setObjectName("clientIdEdit")
        self.client_id.setAccessibleName("X app client ID")
        self.client_id.setPlaceholderText("OAuth 2.0 Client ID of your X app (developer portal)")
        self.role = QComboBox()
        self.role.setEditable(True)
        self.role.addItems(["support", "marketing", ""])
        self.role.setAccessibleName("Role")
        self.profile = QComboBox()
        self.profile.setAccessibleName("Voice profile")
        self.profile.addItems(profiles)
        self.add_button = QPushButton("&Verify and add")
        self.add_button.setObjectName("addAccountButton")
        self.add_button.setDefault(True)
        self.add_button.clicked.connect(self._add)
        self.sign_in_button = QPushButton("&Sign in with browser…")
        self.sign_in_button.setObjectName("signInButton")
        self.sign_in_button.clicked.connect(self._start_sign_in)

        # Shown while a browser sign-in is under way.
        self.authorize_url = QLineEdit()
        self.authorize_url.setObjectName("authorizeUrlEdit")
        self.authorize_url.setAccessibleName("Address of the sign-in page")
        self.authorize_url.setReadOnly(True)
        self.paste_code = QLineEdit()
        self.paste_code.setObjectName("pasteCodeEdit")
        self.paste_code.setAccessibleName("Code or address from the browser")
        self.paste_code.setPlaceholderText("Browser on another computer? Paste the code or "
                                           "the address it ended on")
        self.use_code_button = QPushButton("&Use code")
        self.use_code_button.setObjectName("useCodeButton")
        self.use_code_button.clicked.connect(self._use_pasted_code)
        self.cancel_sign_in_button = QPushButton("Cancel")
        self.cancel_sign_in_button.setObjectName("cancelSignInButton")
        self.cancel_sign_in_button.clicked.connect(self._cancel_sign_in)
        self.sign_in_box = QGroupBox("Waiting for the browser")
        self.sign_in_box.setObjectName("signInBox")
        sl = QFormLayout(self.sign_in_box)
        sl.addRow(QLabel("Approve Community Console in the browser that opened. Or open "
                         "this address in any browser:"))
        sl.addRow(self.authorize_url)
        paste_row = QHBoxLayout()
        paste_row.addWidget(self.paste_code, 1)
        paste_row.addWidget(self.use_code_button)
        paste_row.addWidget(self.cancel_sign_in_button)
        sl.addRow(paste_row)
        self.sign_in_box.setVisible(False)
        self.message = QLabel()
        self.message.setObjectName("accountMessage")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.platform.currentIndexChanged.connect(self._platform_changed)
        self._platform_changed()

        form = QFormLayout()
        form.addRow("Platform", self.platform)
        form.addRow("Handle", self.handle)
        form.addRow("Server", self.server)
        form.addRow("Secret", self.secret)
        form.addRow("X client ID", self.client_id)
        self._client_id_label = form.labelForField(self.client_id)
        self._platform_changed()
        form.addRow("Role", self.role)
        form.addRow("Voice profile", self.profile)
        box = QGroupBox("Add an account")
        bl = QVBoxLayout(box)
        bl.addLayout(form)
        row = QHBoxLayout()
        row.addWidget(self.message, 1)
        row.addWidget(self.sign_in_button)
        row.addWidget(self.add_button)
        bl.addLayout(row)
        bl.addWidget(self.sign_in_box)

        # Business hours of the selected account (response times are measured in them).
        self.hours = BusinessHoursEditor()
        self.hours.setObjectName("hoursEditor")
        self.hours.setAccessibleName("Business hours of the selected account")
        self.hours_button = QPushButton("Save &hours")
        self.hours_button.setObjectName("saveHoursButton")
        self.hours_button.clicked.connect(self._save_hours)
        self.hours_box = QGroupBox("Business hours of the selected account")
        hl = QHBoxLayout(self.hours_box)
        hl.addWidget(self.hours, 1)
        hl.addWidget(self.hours_button, 0, Qt.AlignmentFlag.AlignBottom)
        self.hours_box.setEnabled(False)
        self.table.currentItemChanged.connect(self._account_selected)

        top = QHBoxLayout()
        top.addStretch(1)
        top.addWidget(self.reconnect_button)
        top.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(top)
        layout.addWidget(self.hours_box)
        layout.addWidget(box)
        ops.signals.changes_applied.connect(self._changes)
        self.refresh()

    def _platform_changed(self, *_: Any) -> None:
        platform = self.platform.currentData()
        self.server.setPlaceholderText(SERVER_HINTS[platform])
        self.secret.setPlaceholderText(SECRET_HINTS[platform])
        browser = platform in ("mastodon", "x")
        self.sign_in_button.setVisible(browser)
        self.client_id.setVisible(platform == "x")
        if self._client_id_label is not None:
            self._client_id_label.setVisible(platform == "x")
        self.handle.setPlaceholderText("found by signing in (optional)" if browser
                                       else "e.g. brand.bsky.social")

    def _net(self, fn: Callable[[], Any], done: Callable[[Any, BaseException | None], None]
             ) -> None:
        """Run ``fn`` on the network pool; ``done`` on the GUI thread if the dialog lives."""
        self._ops.net(fn, parent=self).success(lambda r: done(r, None)).failure(
            lambda e: done(None, e)).run()

    def _changes(self, changes: Changes, _initiator: object) -> None:
        if changes.accounts and self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        def load(store: Store) -> tuple[list[Account], dict[Any, Any]]:
            return store.accounts(), store.sync_status()

        self._ops.query(load, parent=self).success(self._loaded).run()

    def _loaded(self, result: tuple[list[Account], dict[Any, Any]]) -> None:
        accounts, status = result
        self.table.clear()
        self._check_credentials(accounts)
        for a in accounts:
            last, error = status.get(a.id, (None, None))
            when = last.astimezone().strftime("%d %b %H:%M") if last else "never"
            item = QTreeWidgetItem([a.platform.value, a.handle, a.role, a.voice_profile or "",
                                    when, error or ""])
            item.setData(0, Qt.ItemDataRole.UserRole, a.id)
            item.setData(1, Qt.ItemDataRole.UserRole, a)
            self.table.addTopLevelItem(item)

    def _check_credentials(self, accounts: list[Account]) -> None:
        """Mark accounts whose sign-in was refused ("reconnect"); keyring reads on a worker."""
        if not accounts:
            return

        def states() -> dict[Any, str]:
            secrets = self._secrets()
            return {a.id: credential_state(a.platform, a.handle, secrets) for a in accounts}

        def shown(result: Any, exc: BaseException | None) -> None:
            if exc is not None:
                log.info("could not read the accounts' keyring entries: %s", exc)
                return
            for i in range(self.table.topLevelItemCount()):
                item = self.table.topLevelItem(i)
                # Only "reconnect" is shown: the demo's accounts have no keyring entries.
                if item is None:
                    continue
                if result.get(item.data(0, Qt.ItemDataRole.UserRole)) == "reconnect":
                    item.setText(5, RECONNECT_TEXT)

        self._net(states, shown)

    # ------------------------------------------------------------ hours
    def _account_selected(self, item: QTreeWidgetItem | None, _prev: Any = None) -> None:
        self.hours_box.setEnabled(item is not None)
        if item is None:
            return
        account: Account = item.data(1, Qt.ItemDataRole.UserRole)
        self._ops.query(lambda s: s.account_hours(account.id), parent=self).success(
            lambda hours: self.hours.set_value(account.timezone, hours)).run()

    def _save_hours(self) -> None:
        item = self.table.currentItem()
        if item is None:
            return
        problem = self.hours.error()
        if problem:
            self.message.setText(f"Hours not saved: {problem}")
            return
        account: Account = item.data(1, Qt.ItemDataRole.UserRole)
        timezone, hours = self.hours.value()
        self._ops.write(lambda s: s.set_account_hours(account.id, timezone=timezone,
                                                      business_hours=hours), parent=self) \
            .success(lambda _c: self.message.setText(f"Business hours of {account.handle} "
                                                     "saved.")).run(initiator=self)

    # ------------------------------------------------------------ add
    def _add(self) -> None:
        platform = self.platform.currentData()
        handle = self.handle.text().strip()
        server = self.server.text().strip() or None
        secret = self.secret.text()
        role = self.role.currentText().strip()
        profile = self.profile.currentText() or None
        if not handle or not secret:
            self.message.setText("Give the handle and its token or app password.")
            return
        self.add_button.setEnabled(False)
        self.message.setText(f"Checking {handle} with {platform}…")
        key = secret_key(platform, handle)

        def verify() -> AccountInfo:
            # Network and keyring work: on the network pool, never the GUI thread.
            probe = MemorySecretStore({key: secret})
            info = make_connector(platform, handle=handle, server=server,
                                  secrets=probe).verify()
            self._secrets().set(key, secret)
            return info

        def not_verified(exc: BaseException) -> None:
            self.add_button.setEnabled(True)
            self.message.setText(f"Not added: {exc}")

        def verified(info: AccountInfo) -> None:
            self.add_button.setEnabled(True)
            self.secret.clear()

            def add(store: Store) -> tuple[AccountId, Changes]:
                return store.add_account(platform=platform, handle=handle,
                                         display_name=info.display_name,
                                         server=info.server or server, role=role,
                                         voice_profile=profile)

            # What the account cannot do (a Bluesky app password without DM access).
            notes = "".join(f"\n{note}" for note in info.notes)
            self._ops.write(add, parent=self).success(lambda _id: self.message.setText(
                f"Added {handle} ({info.display_name or info.handle}). Sync to fetch its "
                f"messages.{notes}")).failure(lambda e: self.message.setText(f"Not added: {e}")) \
                .run(initiator=self)

        self._ops.net(verify, parent=self).success(verified).failure(not_verified).run()

    # ------------------------------------------------------------ browser sign-in
    def _start_sign_in(self) -> None:
        if self._sign_in is not None:
            return
        platform = self.platform.currentData()
        server = self.server.text().strip() or None
        client_id = self.client_id.text().strip() or None
        role = self.role.currentText().strip()
        profile = self.profile.currentText() or None
        if platform == "mastodon" and not server:
            self.message.setText("Give the Mastodon server, e.g. https://mastodon.social.")
            return
        self._set_busy(True)
        self.message.setText("Preparing the sign-in…")

        def start() -> SignIn:
            # Mastodon registers the app here: network, so on a worker.
            return start_sign_in(platform, server=server, client_id=client_id)

        def started(sign_in: Any, exc: BaseException | None) -> None:
            if exc is not None:
                self._set_busy(False)
                self.message.setText(f"Not signed in: {exc}")
                return
            self._sign_in = sign_in
            self._pasting = False
            self.authorize_url.setText(sign_in.authorize_url)
            self.authorize_url.setCursorPosition(0)
            self.paste_code.clear()
            self.sign_in_box.setVisible(True)
            self.message.setText("Waiting for you to approve the access in the browser…")
            self._open_url(QUrl(sign_in.authorize_url))
            self._net(lambda: self._wait_and_save(sign_in),
                      lambda r, e: self._signed_in(sign_in, r, e, role, profile))

        self._net(start, started)

    def _wait_and_save(self, sign_in: SignIn) -> SignInResult:
        """Worker: wait for the browser, exchange the code, keep the tokens in the keyring."""
        result = sign_in.wait()
        save_sign_in(result, self._secrets())
        return result

    def _use_pasted_code(self) -> None:
        sign_in = self._sign_in
        text = self.paste_code.text().strip()
        if sign_in is None or not text:
            return
        self._pasting = True  # the listener's wait now ends with SignInCancelled: ignored
        self.paste_code.clear()
        self.message.setText("Checking the code…")
        role = self.role.currentText().strip()
        profile = self.profile.currentText() or None

        def finish() -> SignInResult:
            result = sign_in.finish_pasted(text)
            save_sign_in(result, self._secrets())
            return result

        self._net(finish, lambda r, e: self._signed_in(sign_in, r, e, role, profile,
                                                        pasted=True))

    def _cancel_sign_in(self) -> None:
        if self._sign_in is not None:
            self._sign_in.cancel()
        self._end_sign_in()
        self.message.setText("Sign-in cancelled.")

    def _end_sign_in(self) -> None:
        self._sign_in = None
        self._pasting = False
        self.sign_in_box.setVisible(False)
        self.authorize_url.clear()
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.sign_in_button, self.add_button, self.platform,
                       self.reconnect_button):
            widget.setEnabled(not busy)

    def _signed_in(self, sign_in: SignIn, result: Any, exc: BaseException | None, role: str,
                   profile: str | None, *, pasted: bool = False) -> None:
        if sign_in is not self._sign_in:
            return  # cancelled (or replaced) meanwhile
        if isinstance(exc, SignInCancelled) and self._pasting and not pasted:
            return  # the pasted code is being used instead
        if exc is not None:
            if pasted:
                # A mistyped code: the sign-in stays open for another try (the listener
                # is closed by now, so _pasting stays set and its end is ignored).
                self.message.setText(f"That did not work: {exc} Paste it again, or Cancel.")
                return
            self._end_sign_in()
            self.message.setText(f"Not signed in: {exc}")
            return
        self._end_sign_in()
        info: SignInResult = result

        def add(store: Store) -> tuple[str, Changes]:
            try:
                existing = store.find_account(info.handle)
                return f"Signed in again as {existing.handle}.", Changes(accounts=True)
            except KnownError:
                pass
            _id, changes = store.add_account(platform=info.platform, handle=info.handle,
                                             display_name=info.display_name,
                                             server=info.server, role=role,
                                             voice_profile=profile)
            return (f"Added {info.handle} ({info.display_name or info.handle}). Sync to fetch "
                    "its messages."), changes

        self._ops.write(add, parent=self).success(self.message.setText).failure(
            lambda e: self.message.setText(f"Not added: {e}")).run(initiator=self)

    def _reconnect(self) -> None:
        item = self.table.currentItem()
        if item is None:
            return
        account: Account = item.data(1, Qt.ItemDataRole.UserRole)
        if account.platform.value not in ("mastodon", "x"):
            self.message.setText("A Bluesky account signs in with a new app password: enter "
                                 "it below and press Verify and add.")
            self.platform.setCurrentIndex(self.platform.findData(account.platform.value))
            self.handle.setText(account.handle)
            return
        self.platform.setCurrentIndex(self.platform.findData(account.platform.value))
        self.handle.setText(account.handle)
        if account.server:
            self.server.setText(account.server)
        self._start_sign_in()

    def done(self, result: int) -> None:
        """Closing the dialog stops waiting for the browser."""
        if self._sign_in is not None:
            self._sign_in.cancel()
            self._sign_in = None
        super().done(result)

    # ------------------------------------------------------------ remove
    def _remove(self) -> None:
        item = self.table.currentItem()
        if item is None:
            return
        account: Account = item.data(1, Qt.ItemDataRole.UserRole)
        answer = QMessageBox.question(
            self, "Remove account",
            f"Remove {account.handle}? Its sign-in is revoked and its credentials are deleted "
            "from the keyring. Its case history stays.")
        if answer != QMessageBox.StandardButton.Yes:
            return

        def forget() -> list[str]:
            # The same helper as `accounts remove`: revoke, then every keyring entry.
            return forget_account(account.platform, account.handle, account.server,
                                  self._secrets())

        def forgotten(warnings: Any, exc: BaseException | None) -> None:
            if exc is not None:
                show_error(self, exc)
            notes = " ".join(warnings or [])

            def remove(store: Store) -> tuple[str, Changes]:
                try:
                    return (f"Removed {account.handle}. {notes}".strip(),
                            store.remove_account(account.id))
                except KnownError as e:  # its history keeps it: say so, not an error
                    return f"Removed the credentials. {e} {notes}".strip(), Changes(accounts=True)

            self._ops.write(remove, parent=self).success(self.message.setText).run()

        self._net(forget, forgotten)

"""Add, verify and remove the brand's accounts; credentials go only to the keyring."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
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
from console.connectors.registry import make_connector, secret_key
from console.core.changes import Changes
from console.core.errors import KnownError
from console.core.ids import AccountId
from console.core.models import Account
from console.core.secrets import MemorySecretStore, SecretStore
from console.core.store import Store
from console.ui.hours_editor import BusinessHoursEditor
from console.ui.ops import Ops, show_error

SERVER_HINTS = {"mastodon": "https://mastodon.social", "bluesky": "https://bsky.social",
                "x": "https://api.x.com"}
SECRET_HINTS = {"mastodon": "Access token (Preferences → Development → New application)",
                "bluesky": "App password (Settings → Privacy and security → App passwords)",
                "x": "OAuth 2.0 user access token"}


class AccountsDialog(QDialog):
    """The accounts of this workspace and their sync state."""

    def __init__(self, ops: Ops, secrets: Callable[[], SecretStore], *,
                 profiles: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._secrets = secrets
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
        form.addRow("Role", self.role)
        form.addRow("Voice profile", self.profile)
        box = QGroupBox("Add an account")
        bl = QVBoxLayout(box)
        bl.addLayout(form)
        row = QHBoxLayout()
        row.addWidget(self.message, 1)
        row.addWidget(self.add_button)
        bl.addLayout(row)

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
        for a in accounts:
            last, error = status.get(a.id, (None, None))
            when = last.astimezone().strftime("%d %b %H:%M") if last else "never"
            item = QTreeWidgetItem([a.platform.value, a.handle, a.role, a.voice_profile or "",
                                    when, error or ""])
            item.setData(0, Qt.ItemDataRole.UserRole, a.id)
            item.setData(1, Qt.ItemDataRole.UserRole, a)
            self.table.addTopLevelItem(item)

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

            self._ops.write(add, parent=self).success(lambda _id: self.message.setText(
                f"Added {handle} ({info.display_name or info.handle}). Sync to fetch its "
                "messages.")).failure(lambda e: self.message.setText(f"Not added: {e}")) \
                .run(initiator=self)

        self._ops.net(verify, parent=self).success(verified).failure(not_verified).run()

    # ------------------------------------------------------------ remove
    def _remove(self) -> None:
        item = self.table.currentItem()
        if item is None:
            return
        account: Account = item.data(1, Qt.ItemDataRole.UserRole)
        answer = QMessageBox.question(
            self, "Remove account",
            f"Remove {account.handle}? Its credentials are deleted from the keyring. Its case "
            "history stays.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        key = secret_key(account.platform, account.handle)

        def forget() -> None:
            self._secrets().delete(key)

        def forgotten(_value: object = None) -> None:
            def remove(store: Store) -> tuple[str, Changes]:
                try:
                    return f"Removed {account.handle}.", store.remove_account(account.id)
                except KnownError as e:  # its history keeps it: say so, not an error
                    return f"Removed the credentials. {e}", Changes(accounts=True)

            self._ops.write(remove, parent=self).success(self.message.setText).run()

        def not_forgotten(exc: BaseException) -> None:
            show_error(self, exc)
            forgotten()  # the account goes even when the keyring would not let go

        self._ops.net(forget, parent=self).success(forgotten).failure(not_forgotten).run()

"""File → Connect to a team server…: check the address, keep the password, open the window."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from console.core.errors import KnownError
from console.core.secrets import SecretStore
from console.core.store import Store, is_server_address
from console.core.store.pg import password_key, redact
from console.ui.ops import Ops


def open_team_window(url: str) -> None:
    """A new window of this app on the team workspace (its own process, its own connections)."""
    subprocess.Popen([sys.executable, "-m", "console", "--server", url],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)


class TeamServerDialog(QDialog):
    """The address (``postgresql://me@host/db``, TLS options after ``?``) and a password.

    Connect checks both on a background thread (the schema is set up or upgraded there),
    keeps the password in the keyring, never in the address, and opens the team window.
    """

    def __init__(self, ops: Ops, secrets: Callable[[], SecretStore], *,
                 launch: Callable[[str], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect to a team server")
        self._ops = ops
        self._secrets = secrets
        self._launch = launch or (lambda url: open_team_window(url))
        self.address = QLineEdit()
        self.address.setObjectName("teamAddress")
        self.address.setPlaceholderText("postgresql://you@db.example.com/brand?sslmode=verify-full")
        self.password = QLineEdit()
        self.password.setObjectName("teamPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("kept in the keyring (leave empty for certificate "
                                         "or local logins)")
        self.status = QLabel("A team shares one workspace on a PostgreSQL server: ask whoever "
                             "runs it for the address and your login.")
        self.status.setObjectName("teamStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        form = QFormLayout()
        form.addRow("&Address:", self.address)
        form.addRow("&Password:", self.password)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.connect_button = self.buttons.addButton(
            "&Connect", QDialogButtonBox.ButtonRole.AcceptRole)
        self.connect_button.setObjectName("teamConnect")
        self.buttons.accepted.connect(self.try_connect)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(560, 0)

    def try_connect(self) -> None:
        url = self.address.text().strip()
        password = self.password.text() or None
        if not is_server_address(url):
            self.status.setText("The address starts with postgresql://, as in "
                                "postgresql://you@db.example.com/brand.")
            return
        if redact(url) != url:
            self.status.setText("Leave the password out of the address: type it below, "
                                "and it is kept in the keyring.")
            return
        self.connect_button.setEnabled(False)
        self.status.setText(f"Connecting to {url}…")
        secrets = self._secrets

        def check() -> str:
            store = Store.connect(url, password=password)  # also sets up or upgrades it
            try:
                summary = f"{store.case_count()} case(s); you are {store.me}"
            finally:
                store.close()
            if password:
                secrets().set(password_key(url), password)
            return summary

        def connected(summary: str) -> None:
            self.status.setText(f"Connected: {summary}. The team window opens.")
            self._launch(url)
            self.accept()

        def failed(exc: BaseException) -> None:
            self.connect_button.setEnabled(True)
            self.status.setText(str(exc) if isinstance(exc, KnownError)
                                else f"Could not connect: {exc}")

        self._ops.net(check, parent=self).success(connected).failure(failed).run()

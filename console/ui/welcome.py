"""First run: nothing is set up yet. Offer the demo, an account, or a colleague's case log."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCommandLinkButton,
    QDialog,
    QFileDialog,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from console import APP_NAME


class WelcomeDialog(QDialog):
    """The first window a new user sees. ``choice`` is "demo", "account", "import" or "empty"."""

    def __init__(self, workspace: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomeDialog")
        self.setWindowTitle(f"Welcome to {APP_NAME}")
        self.choice: str | None = None
        self.import_path: Path | None = None
        intro = QLabel(
            "One inbox for all of your brand's social accounts: every customer problem is a "
            "case with one owner, from the first message until it is resolved.\n\n"
            "Nothing is set up yet. How would you like to start?")
        intro.setTextFormat(Qt.TextFormat.PlainText)
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        for key, title, detail in (
            ("demo", "&Open the demo workspace",
             "A fictional kitchenware brand with four accounts on Mastodon and Bluesky and "
             "three weeks of conversations. A throwaway copy: nothing you do there is kept."),
            ("account", "&Add an account",
             f"Connect a Mastodon, Bluesky or X account. Your workspace: {workspace}"),
            ("import", "&Import a case log…",
             "Take over cases a colleague exported (a JSON case log)."),
            ("empty", "&Start with an empty workspace", "Set things up later."),
        ):
            button = QCommandLinkButton(title.replace("&", ""), detail)
            button.setObjectName(f"welcome_{key}")
            button.setAccessibleName(title.replace("&", ""))
            button.setAccessibleDescription(detail)
            button.clicked.connect(lambda _=False, k=key: self._choose(k))
            layout.addWidget(button)
            if key == "demo":
                button.setDefault(True)
                button.setFocus()
        self.resize(560, 420)

    def _choose(self, key: str) -> None:
        if key == "import":
            name, _ = QFileDialog.getOpenFileName(self, "Import a case log", str(Path.home()),
                                                  "Case logs (*.json);;All files (*)")
            if not name:
                return
            self.import_path = Path(name)
        self.choice = key
        self.accept()

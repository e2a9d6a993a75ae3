"""First run: the welcome screen offers the demo, an account, a case log, or an empty start."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCommandLinkButton

from console.ui.welcome import WelcomeDialog


def test_welcome_offers_the_demo_first_and_records_the_choice(qtbot, tmp_path: Path) -> None:
    dialog = WelcomeDialog(tmp_path / "default.db")
    qtbot.addWidget(dialog)
    dialog.show()
    buttons = {b.objectName(): b for b in dialog.findChildren(QCommandLinkButton)}
    assert set(buttons) == {"welcome_demo", "welcome_account", "welcome_import",
                            "welcome_empty"}
    assert buttons["welcome_demo"].isDefault()
    assert str(tmp_path / "default.db") in buttons["welcome_account"].description()
    with qtbot.waitSignal(dialog.accepted, timeout=2_000):
        qtbot.mouseClick(buttons["welcome_account"], Qt.MouseButton.LeftButton)
    assert dialog.choice == "account"


def test_welcome_demo_by_keyboard(qtbot, tmp_path: Path) -> None:
    dialog = WelcomeDialog(tmp_path / "default.db")
    qtbot.addWidget(dialog)
    dialog.show()
    demo = dialog.findChild(QCommandLinkButton, "welcome_demo")
    demo.setFocus()
    with qtbot.waitSignal(dialog.accepted, timeout=2_000):
        qtbot.keyClick(demo, Qt.Key.Key_Space)
    assert dialog.choice == "demo"

"""Fixtures for driving the real window on a real workspace file."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QDialog

from console.cli import default_scorer
from console.core import demo
from console.ui.app import Session, make_app


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace, built once per run through the real store API."""
    return demo.create_demo_workspace(tmp_path_factory.mktemp("demo-template"),
                                      scorer=default_scorer())


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "demo.db"
    shutil.copyfile(demo_template, target)
    return target


@pytest.fixture
def open_session(qtbot, tmp_path: Path) -> Iterator:  # type: ignore[no-untyped-def]
    """Open a Session (services + window) on a workspace; closed at teardown."""
    make_app()
    sessions: list[Session] = []

    def opener(path: Path, settings_file: Path | None = None) -> Session:
        settings = QSettings(str(settings_file or tmp_path / "settings.ini"),
                             QSettings.Format.IniFormat)
        # Its own data folder: nothing a session writes (a team server's offline copy,
        # profiles) lands in the user's home.
        session = Session(path, settings=settings, label="test", data_dir=tmp_path / "data")
        qtbot.addWidget(session.window)
        session.window.show()
        session.window.start()
        sessions.append(session)
        return session

    yield opener
    for session in sessions:
        session.window.close()
        session.close()
    # Dialogs a test left open (a shortcut sheet, say) must not steal the next test's keys.
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QDialog) and widget.isVisible():
            widget.close()

"""Composition root of the window: build the services, then the window."""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from console import APP_ID, APP_NAME, __version__
from console.core import demo, paths
from console.core.changes import Changes
from console.core.errors import KnownError, StorageError
from console.core.store import Store, is_server_address, open_workspace
from console.ui import style
from console.ui.main_window import MainWindow
from console.ui.ops import Ops
from console.ui.selftest import exit_after_first_paint
from console.ui.signals import AppSignals
from console.ui.sync_controller import SyncController
from console.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from console.core.secrets import SecretStore

# Start-up imports only what paints the inbox: keyring (secrets), jinja2 and the
# voice rules (replying) are imported when first used (bench/cold_start.py).

log = logging.getLogger(__name__)


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv or [sys.argv[0]])
    app.setApplicationName("community-console")
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName("community-console")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)  # Wayland matches the window to the .desktop file
    icon = paths.resource_path("icons/community-console.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    style.apply(app)
    return app


def keyring_secrets() -> SecretStore:
    """The OS keyring; a clear error (with how to fix it) when there is none."""
    from console.core.secrets import KeyringSecretStore

    store = KeyringSecretStore()
    store.check()
    return store


def template_seeds() -> list[dict[str, object]]:
    """The bundled templates, as the store seeds them."""
    from console.core import replying

    return [{"slug": t.slug, "title": t.title, "body": t.body.strip(), "category": t.category,
             "platforms": list(t.platforms), "tags": list(t.tags)}
            for t in replying.builtin_templates()]


def seed_builtin_templates(store: Store) -> Changes | None:
    """Add the bundled templates the workspace lacks (by slug; the user's edits stay).

    Seeding never replaces a slug already there, so when every bundled file's
    slug is in the workspace (every start but the first after an update) there
    is nothing to do: the template files are then not parsed nor validated
    (jinja2). When there is (a new workspace, every demo copy, an update), it
    costs 0.15 s: the window runs it on the writer after the inbox first paints,
    before the composer reads its templates (MainWindow.start).
    """
    have = {t.slug for t in store.templates()}
    if all(p.stem in have for p in paths.resource_path("templates").glob("*.toml")):
        return None
    return store.seed_templates(template_seeds())


def score_mood(text: str) -> float | None:
    """The ingest scorer of ``console.cli.default_scorer``, imported on the first message
    synced rather than at start-up (the mood detector compiles its cue patterns)."""
    from console.cli import default_scorer

    global _scorer
    if _scorer is None:
        _scorer = default_scorer()
    return _scorer(text)


_scorer: Callable[[str], float | None] | None = None


class Session:
    """The running services behind one window; closed as one."""

    def __init__(self, db_path: Path | str, *, settings: QSettings, label: str,
                 throwaway: Path | None = None, data_dir: Path | None = None,
                 secrets: Callable[[], SecretStore] | None = None,
                 password: str | None = None) -> None:
        # Open once on this thread first: a corrupt or too-new file (or an unreachable
        # team server) is refused here, with a clear message, before any worker starts.
        start_on: Path | str = db_path
        copy = None
        if is_server_address(db_path):
            from console.ui.team import copy_path_for

            copy = copy_path_for(str(db_path), data_dir)
        try:
            open_workspace(db_path, password=password).close()
        except StorageError:
            if copy is None or not copy.exists():
                raise
            # The team server is out of reach, but my cases were copied last time: work on
            # them; what is written there is pushed once the server answers.
            start_on = copy
        self.signals = AppSignals()
        self.runner = TaskRunner(start_on, password=password)
        self.ops = Ops(self.runner, self.signals)
        self.secrets = secrets or keyring_secrets
        self.sync = SyncController(self.ops, self.secrets, scorer=score_mood)
        self.window = MainWindow(self.ops, self.signals, settings=settings,
                                 workspace_label=label, data_dir=data_dir, sync=self.sync,
                                 secrets=self.secrets, seed_templates=seed_builtin_templates)
        self.throwaway = throwaway
        self.team: Any = None
        self.offline: Any = None
        if is_server_address(db_path):
            from console.ui.team import TeamFollower

            self.team = TeamFollower(self.ops, str(db_path), password=password,
                                     parent=self.window)
            self.window.follow_team(self.team)
            from console.ui.team import OfflineCopy

            assert copy is not None
            self.offline = OfflineCopy(self.ops, str(db_path), copy, password=password,
                                       parent=self.window)
            self.team.connected.connect(
                lambda up: self.offline.server_back() if up else self.offline.server_lost())
            self.window.follow_offline(self.offline)
            if start_on == copy:
                self.offline.started_offline()
            self.team.start()
            self.offline.start()

    def close(self) -> None:
        if self.team is not None:
            self.team.stop()
            self.offline.stop()
        self.sync.timer.stop()
        if self.sync.running:
            self.sync.cancel()
        self.runner.shutdown()
        if self.throwaway is not None:
            shutil.rmtree(self.throwaway, ignore_errors=True)


def choose_workspace(args: argparse.Namespace) -> tuple[Path | str, str, Path | None] | None:
    """The workspace to open: a team server, demo copy, named workspace, or (first start)
    the user's pick."""
    from console.cli import create_demo_copy, default_scorer

    if getattr(args, "team_server", None):
        from console.core.store.pg import redact

        if args.demo:
            raise KnownError("--demo and --server cannot be used together: the demo is a "
                             "throwaway laptop workspace.")
        address = str(args.team_server)
        return address, f"Team: {redact(address).split('@')[-1]}", None

    if args.demo:  # under --data-dir when given (removed at exit like the temporary one)
        path = create_demo_copy(args.data_dir)
        return path, "Demo workspace (throwaway copy)", path.parent
    path = paths.workspace_path(args.workspace, base=args.data_dir)
    if path.exists():
        return path, path.stem, None
    from console.ui.welcome import WelcomeDialog

    welcome = WelcomeDialog(path)
    if welcome.exec() != WelcomeDialog.DialogCode.Accepted or welcome.choice is None:
        return None
    if welcome.choice == "demo":
        demo_path = demo.create_demo_workspace(scorer=default_scorer())
        return demo_path, "Demo workspace (throwaway copy)", demo_path.parent
    args.first_run = welcome.choice
    args.import_path = welcome.import_path
    return path, path.stem, None


def run_gui(args: argparse.Namespace) -> int:
    app = make_app()
    try:
        choice = choose_workspace(args)
        if choice is None:
            return 0
        path, label, throwaway = choice
        password = None
        if is_server_address(path):
            from console.cli import team_password

            password = team_password(str(path))
        session = Session(path, settings=QSettings(), label=label, throwaway=throwaway,
                          data_dir=Path(args.data_dir) if args.data_dir else None,
                          password=password)
    except KnownError as exc:
        box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, str(exc))
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.exec()
        return 1
    session.window.show()
    session.window.start()
    exit_after_first_paint(session.window)  # bench hook: no-op unless CC_EXIT_AFTER_FIRST_PAINT=1
    first_run = getattr(args, "first_run", None)
    if first_run == "account":
        session.window.show_accounts()
    elif first_run == "import" and getattr(args, "import_path", None):
        session.window.import_case_log(args.import_path)
    try:
        return app.exec()
    finally:
        session.close()

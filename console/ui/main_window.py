"""The main window: sidebar of views and accounts, the inbox, and the case panel."""

from __future__ import annotations

import dataclasses
import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QItemSelection,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QProcess,
    QRect,
    QSettings,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QCloseEvent, QGuiApplication, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console import APP_NAME, __version__
from console.core.changes import Changes
from console.core.ids import AccountId, CaseId
from console.core.models import Account, CaseStatus
from console.core.store import CaseFilter, Store, View
from console.ui import actions
from console.ui.case.panel import PLATFORM_NAMES, CasePanel
from console.ui.inbox.model import InboxModel, platform_icon
from console.ui.inbox.view import InboxView
from console.ui.ops import Ops
from console.ui.signals import AppSignals
from console.ui.undo import UndoStack

if TYPE_CHECKING:
    from console.core.secrets import SecretStore
    from console.ui.sync_controller import SyncController

# What the composer needs (replying: jinja2, the voice rules, the mood detector and
# its language model) is loaded on a worker after the inbox first paints, not
# imported here: see MainWindow.start and bench/cold_start.py.

log = logging.getLogger(__name__)

KIND_ROLE = Qt.ItemDataRole.UserRole
VALUE_ROLE = Qt.ItemDataRole.UserRole + 1

# What each view means, said when it has no cases (so an empty list is an answer,
# not a puzzle): (title, explanation).
VIEW_EMPTY: dict[str, tuple[str, str]] = {
    View.NEEDS_REPLY: ("Nobody is waiting for a reply",
                       "Needs reply lists every customer whose latest message has no reply "
                       "sent or queued after it, longest wait first. New messages arrive "
                       "with Sync (Shift+F5)."),
    View.MINE: ("No open cases of yours",
                "Mine lists the open cases you own. Take one from Needs reply and assign "
                "it to yourself (a)."),
    View.WAITING: ("No case is waiting on a customer",
                   "Waiting on customer lists cases where you asked the customer something "
                   "(w). When they write back, the case returns to Needs reply."),
    View.RESOLVED: ("No resolved cases",
                    "Resolved lists finished cases (e). A resolved case reopens by itself "
                    "when the customer writes again."),
    View.ALL: ("No cases yet",
               "All lists every case in this workspace. Cases appear when Sync (Shift+F5) "
               "fetches messages from your accounts, or when you import a case log."),
    View.SNOOZED: ("Nothing is snoozed",
                   "Snoozed lists cases set aside until a time or until the customer "
                   "replies (s). They come back to Needs reply when they are due."),
}


def warm_up_checks() -> None:
    """On the compute worker: import what the composer's checks use and load the mood
    detector's models, so that the first check while typing does not do it."""
    from console.core import sentiment, textlen, voice  # noqa: F401  (the import is the point)

    sentiment.warm_up()


class _FirstPaintWatch(QObject):
    """Calls ``window._start_deferred`` once the inbox has painted rows, or the empty state
    has painted: the first screen is up."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._watched = (window.inbox.viewport(), window.empty_state)
        for widget in self._watched:
            widget.installEventFilter(self)

    def stop(self) -> None:
        for widget in self._watched:
            widget.removeEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and (
                obj is self._window.empty_state or self._window.model.rowCount() > 0):
            self.stop()
            # After this paint has reached the screen.
            QTimer.singleShot(0, self._window, self._window._start_deferred)
        return False


def demo_command() -> list[str]:
    """The command line that opens the demo workspace in a new window (a throwaway copy)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--demo"]
    return [sys.executable, "-m", "console", "--demo"]


def launch_demo() -> int | None:
    """Start the demo in its own process (this window stays on the user's workspace);
    its process id, or None when it could not start."""
    program, *arguments = demo_command()
    ok, pid = QProcess.startDetached(program, arguments)
    return int(pid) if ok else None


#: How often the window looks for another instance's commits (a cheap PRAGMA).
EXTERNAL_CHECK_MS = 2_000

class EmptyState(QWidget):
    """Shown instead of an empty inbox: what the view means, and where to go from here.

    Signals:
        action(str): a button was pressed (its key).
    """

    action = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        self.title = QLabel()
        self.title.setObjectName("emptyTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setWordWrap(True)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = QLabel()
        self.text.setObjectName("emptyText")
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.buttons: dict[str, QPushButton] = {}
        self._button_row = QHBoxLayout()
        self._button_row.addStretch(1)
        self._button_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        layout.addSpacing(8)
        layout.addLayout(self._button_row)
        layout.addStretch(2)
        self.kind = ""

    def show_state(self, kind: str, title: str, text: str,
                   buttons: tuple[tuple[str, str], ...] = ()) -> None:
        """Say ``title`` and ``text``, with buttons (key, label) that emit ``action(key)``."""
        self.kind = kind
        self.title.setText(title)
        self.text.setText(text)
        self.setAccessibleName(title)
        self.setAccessibleDescription(text)
        if tuple(self.buttons) != tuple(k for k, _ in buttons):
            for button in self.buttons.values():
                self._button_row.removeWidget(button)
                button.deleteLater()
            self.buttons = {}
            for i, (key, label) in enumerate(buttons):
                button = QPushButton(label)
                button.setObjectName(f"empty_{key}")
                button.clicked.connect(lambda _=False, k=key: self.action.emit(k))
                self._button_row.insertWidget(1 + i, button)
                self.buttons[key] = button
        for (key, label) in buttons:
            self.buttons[key].setText(label)
        if buttons:
            self.buttons[buttons[0][0]].setDefault(True)


class _SidebarDelegate(QStyledItemDelegate):
    def initStyleOption(self, option: QStyleOptionViewItem,
                        index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        if index.data(KIND_ROLE) == "account":
            option.textElideMode = Qt.TextElideMode.ElideMiddle


class Sidebar(QTreeWidget):
    """Views and accounts, each with its count.

    Signals:
        filter_chosen(object): a CaseFilter to show.
    """

    filter_chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setAccessibleName("Views and accounts")
        self.setColumnCount(2)
        self.header().setStretchLastSection(False)
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.views_root = QTreeWidgetItem(["VIEWS", ""])
        self.accounts_root = QTreeWidgetItem(["ACCOUNTS", ""])
        for root in (self.views_root, self.accounts_root):
            root.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.addTopLevelItem(root)
            root.setExpanded(True)
        self.view_items: dict[str, QTreeWidgetItem] = {}
        for view in View.ALL_VIEWS:
            item = QTreeWidgetItem([View.LABELS[view], ""])
            item.setData(0, KIND_ROLE, "view")
            item.setData(0, VALUE_ROLE, view)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
            self.views_root.addChild(item)
            self.view_items[view] = item
        self.account_items: dict[int, QTreeWidgetItem] = {}
        self.currentItemChanged.connect(self._chosen)
        # Account names share the brand's name at the front: elide them in the middle.
        self.setItemDelegateForColumn(0, _SidebarDelegate(self))

    def set_accounts(self, accounts: list[Account]) -> None:
        self.accounts_root.takeChildren()
        self.account_items.clear()
        for account in accounts:
            platform = PLATFORM_NAMES.get(account.platform.value, account.platform.value)
            # The platform is the icon: the name gets the width (a narrow sidebar elides).
            label = account.display_name or account.handle
            item = QTreeWidgetItem([label, ""])
            item.setIcon(0, platform_icon(account.platform.value))
            item.setToolTip(0, f"{account.handle} on {platform}")
            item.setData(0, KIND_ROLE, "account")
            item.setData(0, VALUE_ROLE, account.id)
            item.setData(0, Qt.ItemDataRole.AccessibleTextRole,
                         f"{label}, {account.handle} on {platform}")
            item.setStatusTip(0, f"{account.handle} on {platform}")
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
            self.accounts_root.addChild(item)
            self.account_items[account.id] = item
        self.accounts_root.setExpanded(True)

    def set_counts(self, views: dict[str, int], accounts: dict[int, int]) -> None:
        for view, item in self.view_items.items():
            item.setText(1, str(views.get(view, 0)))
        for account_id, item in self.account_items.items():
            n = accounts.get(account_id, 0)
            item.setText(1, str(n) if n else "")
            item.setData(1, Qt.ItemDataRole.AccessibleTextRole, f"{n} unanswered")

    def select_view(self, view: str) -> None:
        self.setCurrentItem(self.view_items[view])

    def _chosen(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        if item is None:
            return
        kind = item.data(0, KIND_ROLE)
        if kind == "view":
            self.filter_chosen.emit(CaseFilter(view=item.data(0, VALUE_ROLE)))
        elif kind == "account":
            self.filter_chosen.emit(CaseFilter(view=View.ALL, account_id=item.data(0, VALUE_ROLE)))


class MainWindow(QMainWindow):
    """The one window: everything the community manager needs in view."""

    def __init__(self, ops: Ops, signals: AppSignals, *, settings: QSettings,
                 workspace_label: str = "", data_dir: Path | None = None,
                 sync: SyncController | None = None,
                 secrets: Callable[[], SecretStore] | None = None,
                 seed_templates: Callable[[Store], Changes | None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self.seed_templates = seed_templates
        self.sync = sync
        self.secrets = secrets
        self.ops = ops
        self.signals = signals
        self.settings = settings
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"{APP_NAME} — {workspace_label}" if workspace_label else APP_NAME)

        self.sidebar = Sidebar()
        self.model = InboxModel(ops, self)
        self.inbox = InboxView()
        self.inbox.setModel(self.model)
        self.inbox.selectionModel().selectionChanged.connect(self._selection_changed)
        scrollbar = self.inbox.verticalScrollBar()
        scrollbar.valueChanged.connect(self._maybe_fetch)
        scrollbar.rangeChanged.connect(self._maybe_fetch)
        self.model.modelReset.connect(self._restore_selection)
        self.model.loading_changed.connect(self._loading_changed)
        self.model.page_loaded.connect(self._page_loaded)
        # The count follows the rows whatever changed them (a page, a refresh, a triage key).
        for signal in (self.model.rowsInserted, self.model.rowsRemoved, self.model.modelReset):
            signal.connect(self._update_count)

        self.empty_state = EmptyState()
        self.empty_state.action.connect(self._empty_action)
        self.inbox_stack = QStackedWidget()
        self.inbox_stack.setObjectName("inboxStack")
        self.inbox_stack.addWidget(self.inbox)
        self.inbox_stack.addWidget(self.empty_state)
        self._accounts: list[Account] | None = None  # None: not read yet
        self.demo_launcher: Callable[[], int | None] = launch_demo
        self.demo_pid: int | None = None

        self.case_panel = CasePanel(ops)
        self.undo_stack = UndoStack(ops, self)
        self.case_panel.same_person.undoable.connect(self.undo_stack.push)
        self.case_panel.undoable.connect(self.undo_stack.push)
        self.model.search_changed.connect(self.case_panel.set_highlight)  # matches marked

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.inbox_stack)
        self.splitter.addWidget(self.case_panel)
        self.splitter.setCollapsible(1, False)
        self.splitter.setCollapsible(2, False)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.sidebar.setMinimumWidth(140)
        self.splitter.setSizes([220, 640, 530])
        self.setCentralWidget(self.splitter)

        self.search = QLineEdit()
        self.search.setObjectName("searchBox")
        self.search.setPlaceholderText("Search messages  ( / )")
        self.search.setAccessibleName("Search messages")
        self.search.setClearButtonEnabled(True)
        self.search.setMaximumWidth(420)
        self.search.returnPressed.connect(self._search)
        self.search.textChanged.connect(self._search_text_changed)
        toolbar = QToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.addWidget(self.search)
        self.mood_box = QComboBox()
        self.mood_box.setObjectName("moodBox")
        self.mood_box.setAccessibleName("Filter or sort by customer mood")
        for label, data in (("Any mood, longest wait first", None),
                            ("Unhappiest first", "order:mood"),
                            ("Only negative", "negative"), ("Only positive", "positive"),
                            ("Only neutral", "neutral"), ("Mood unknown", "unknown")):
            self.mood_box.addItem(label, data)
        self.mood_box.currentIndexChanged.connect(self._mood_chosen)
        toolbar.addWidget(self.mood_box)
        self.toolbar = toolbar
        self.addToolBar(toolbar)

        self.sync_bar = QProgressBar()
        self.sync_bar.setObjectName("syncProgress")
        self.sync_bar.setAccessibleName("Sync progress")
        self.sync_bar.setMaximumWidth(160)
        self.sync_bar.hide()
        self.cancel_sync = QPushButton("Cancel")
        self.cancel_sync.setObjectName("cancelSync")
        self.cancel_sync.hide()
        self.offline_label = QLabel("Offline: replies wait in the outbox")
        self.offline_label.setObjectName("offlineLabel")
        self.offline_label.setProperty("severity", "warning")
        self.offline_label.hide()

        self.status_label = QLabel()
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.statusBar().addPermanentWidget(self.offline_label)
        self.statusBar().addPermanentWidget(self.sync_bar)
        self.statusBar().addPermanentWidget(self.cancel_sync)
        self.statusBar().addPermanentWidget(self.status_label)
        if self.sync is not None:
            self.sync.progress.connect(self._sync_progress)
            self.sync.finished.connect(self._sync_finished)
            self.sync.offline_changed.connect(self.offline_label.setVisible)
            self.sync.outbox_finished.connect(self._outbox_finished)
            self.cancel_sync.clicked.connect(self.sync.cancel)
        self.signals.status_message.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.case_panel.notice.connect(lambda text: self.statusBar().showMessage(text, 15_000))
        self.signals.changes_applied.connect(self._changes_applied)

        self.sidebar.filter_chosen.connect(self._filter_chosen)
        self._selected_case: CaseId | None = None
        self._case_after_paint = False  # see start()
        self.review_queue: Any = None
        self.settings_dialog: Any = None
        self.accounts_dialog: Any = None
        self.export_dialog: Any = None
        self.import_dialog: Any = None
        self.reports_dialog: Any = None
        self._search_pending = ""
        self.shortcuts_dialog: Any = None
        self.team_dialog: Any = None
        self._build_actions()

        self._tick = QTimer(self)
        self._tick.setInterval(60_000)
        self._tick.timeout.connect(self.model.tick)
        self._tick.start()
        # Follow-ups: wake snoozed cases that are due, and tell the user.
        self._followups = QTimer(self)
        self._followups.setInterval(30_000)
        self._followups.timeout.connect(self.wake_followups)
        self._followups.start()
        # Another instance on this workspace (a second window, a cron sync) commits
        # behind our back: notice it and re-read, so nothing on screen is stale.
        self._data_version: int | None = None
        self._watch = QTimer(self)
        self._watch.setInterval(EXTERNAL_CHECK_MS)
        self._watch.timeout.connect(self.check_external_changes)
        self._watch.start()
        self.check_external_changes()  # the baseline
        self.tray: Any = None
        self.team: Any = None  # a TeamFollower on a team server (follow_team)
        self._restore_state()

    def follow_team(self, team: Any) -> None:
        """Work on a team server: teammates' changes, presence, the server's reachability."""
        from console.ui.team import describe

        self.team = team
        self.team_label = QLabel("Team server unreachable: reconnecting…")
        self.team_label.setObjectName("teamOfflineLabel")
        self.team_label.setProperty("severity", "warning")
        self.team_label.hide()
        self.statusBar().addPermanentWidget(self.team_label)
        team.connected.connect(lambda up: self.team_label.setVisible(not up))
        def said(got: Any) -> None:
            if text := describe(got):
                self.statusBar().showMessage(text, 5_000)

        team.changed.connect(said)
        team.drafting.connect(lambda _drafting: self.show_presence())
        # Polling for other writers is for a shared file; the server tells us instead.
        self._watch.stop()

    def follow_offline(self, offline: Any) -> None:
        """Team server lost: the window works on the copy of my cases; back: on the server."""
        def switched(on_copy: bool) -> None:
            if on_copy:
                self.team_label.setText("Team server unreachable: working on your own cases; "
                                        "replies you approve wait here until it is back")
                self.team_label.show()
                if self.sync is not None:
                    self.sync.paused = ("Offline from the team server: syncing and sending "
                                        "wait until it is back.")
            else:
                self.team_label.setText("Team server unreachable: reconnecting…")
                self.team_label.hide()
                if self.sync is not None:
                    self.sync.paused = None
            self.refresh()
            self.load_composer_resources()  # accounts, templates: from the workspace now used

        offline.switched.connect(switched)
        offline.pushed.connect(lambda text: self.statusBar().showMessage(text, 15_000))

    def show_presence(self) -> None:
        """Who else is replying in the selected case (team server)."""
        case_id = self._selected_case
        if case_id is None or self.team is None:
            return

        def shown(names: list[str]) -> None:
            if case_id == self._selected_case:
                self.case_panel.composer.set_teammates(names)

        self.ops.query(lambda s: s.teammates_drafting(CaseId(case_id)), parent=self) \
            .success(shown).run()

    def check_external_changes(self) -> None:
        """Re-read when another connection committed (PRAGMA data_version on the writer)."""
        def seen(version: int) -> None:
            changed = self._data_version is not None and version != self._data_version
            self._data_version = version
            if changed:
                self.refresh()
                self.statusBar().showMessage(
                    "Updated: another window or a sync changed this workspace.", 5_000)

        self.ops.write(lambda s: s.data_version(), parent=self).success(seen).failure(
            lambda _exc: None).run()  # a busy workspace: look again next time

    # ------------------------------------------------------------ setup
    def _build_actions(self) -> None:
        """Menus, keys and toolbar buttons, all from the one table in ui/actions.py."""
        status = self.case_panel.set_status
        handlers: dict[str, Callable[[], object]] = {
            "export": self.show_export,
            "import": self.show_import,
            "team": self.show_team_server,
            "quit": self.close,
            "resolve": lambda: status(CaseStatus.RESOLVED),
            "waiting": lambda: status(CaseStatus.WAITING),
            "reopen": lambda: status(CaseStatus.OPEN),
            "reply": self.case_panel.focus_reply,
            "assign": self.case_panel.focus_owner,
            "note": self.case_panel.focus_note,
            "snooze": self.case_panel.show_snooze_menu,
            "undo": self.undo_stack.undo,
            "next": lambda: self.move_selection(1),
            "previous": lambda: self.move_selection(-1),
            "search": self.focus_search,
            **{f"view.{view}": functools.partial(self.sidebar.select_view, view)
               for view in View.ALL_VIEWS},
            "reports": self.show_reports,
            "refresh": self.refresh,
            "escape": self._escape,
            "accounts": self.show_accounts,
            "sync": self.sync_now,
            "review": self.show_review_queue,
            "settings": self.show_settings,
            "shortcuts": self.show_shortcuts,
            "about": self.show_about,
        }
        self.actions_by_id = actions.build_window_actions(self, handlers)
        actions.build_menus(self.menuBar(), self.actions_by_id)
        self.refresh_action = self.actions_by_id["refresh"]
        self.sync_action = self.actions_by_id["sync"]
        self.toolbar.addAction(self.refresh_action)
        self.toolbar.addAction(self.sync_action)

    # ------------------------------------------------------------ state
    #: The latest the rest of the start-up waits for the first painted inbox (ms).
    DEFERRED_START_MS = 5000

    def start(self) -> None:
        """Load accounts and counts, then the first inbox page; the rest once it is painted.

        What the inbox does not show (seeding the bundled templates, the
        composer's templates and voice profiles, follow-ups, the sync interval,
        warming up the voice checks)
        starts after the first paint with rows (or the empty state), so that it
        neither queues before the first page nor takes the GIL from the GUI
        thread while it paints; at the latest after DEFERRED_START_MS. The
        first case is selected with the first page but opened after that paint
        too: the inbox shows first, the case panel fills a moment later.
        """
        self._deferred_started = False
        self.ops.query(lambda s: s.accounts(), parent=self).success(self._accounts_loaded).run()
        self.sidebar.select_view(View.NEEDS_REPLY)
        self.refresh_counts()
        if not self.isVisible():  # nothing will paint (a test, a hidden window): now
            self._start_deferred()
            return
        self._first_paint_watch = _FirstPaintWatch(self)
        self._case_after_paint = True
        QTimer.singleShot(self.DEFERRED_START_MS, self, self._start_deferred)

    def _start_deferred(self) -> None:
        if self._deferred_started or not shiboken6.isValid(self):
            return
        self._deferred_started = True
        watch = getattr(self, "_first_paint_watch", None)
        if watch is not None:
            watch.stop()
        if self._case_after_paint:
            self._case_after_paint = False
            if self._selected_case is not None:  # first: the case the user looks at
                self.case_panel.show_case(self._selected_case)
        if self.seed_templates is None:
            self.load_composer_resources()
        else:
            # The bundled templates the workspace lacks, then what the composer reads
            # (templates among it): one after the other, the writer before the reader.
            def not_seeded(exc: BaseException) -> None:
                from console.ui.ops import show_error
                show_error(self, exc)
                self.load_composer_resources()

            self.ops.write(self.seed_templates, parent=self).success(
                lambda _: self._templates_seeded()).failure(not_seeded).run()
        self.wake_followups()
        if self.sync is not None:
            self.ops.query(lambda s: int(s.get_setting("sync.interval_minutes") or 0),
                           parent=self).success(self.sync.set_interval).run()

    def _templates_seeded(self) -> None:
        self.load_composer_resources()
        dialog = self.settings_dialog
        if dialog is not None and shiboken6.isValid(dialog):
            # Opened in the moment before the seeding was written: list them all.
            dialog.templates.refresh()

    def load_composer_resources(self) -> None:
        """Accounts, templates, settings (read worker) and voice profiles (compute worker).

        The compute worker then warms up the voice checks (imports, the mood
        detector's language model): loading the model holds the GIL for long
        stretches, which would stall typing were it left to the first check.
        """
        data_dir = self.data_dir

        def read(store: Store) -> tuple[Any, ...]:
            from console.core import replying
            from console.core import templates as templates_mod

            records = store.templates()
            items = [(t.id, templates_mod.Template(
                slug=t.slug, title=t.title, body=t.body, category=t.category,
                platforms=t.platforms or templates_mod.PLATFORMS, tags=t.tags), t.usage_count)
                for t in records]
            settings = {name: store.get_setting(name) for name in (
                "user.name", "user.initials", "brand.name", *replying.BRAND_SETTINGS)}
            return store.accounts(), items, settings

        def got(result: tuple[Any, ...]) -> None:
            accounts, items, settings = result

            def loaded(profiles: Any) -> None:
                self.case_panel.composer.set_resources(
                    accounts=accounts, profiles=profiles, template_items=items,
                    settings=settings)

            def not_loaded(exc: BaseException) -> None:
                from console.ui.ops import show_error
                show_error(self, exc)
                loaded({})

            def load_profiles() -> Any:
                from console.core import replying

                return replying.load_profiles(data_dir)

            self.ops.compute(load_profiles, parent=self) \
                .success(loaded).failure(not_loaded).run()
            self.ops.compute(warm_up_checks, parent=self).failure(
                lambda exc: log.warning("voice checks not warmed up: %s", exc)).run()

        self.ops.query(read, parent=self).success(got).run()

    def _accounts_loaded(self, accounts: list[Account]) -> None:
        self._accounts = accounts
        self._update_inbox_state()
        current = self.sidebar.currentItem()
        self.sidebar.blockSignals(True)
        self.sidebar.set_accounts(accounts)
        if current is not None:
            self.sidebar.setCurrentItem(current)
        self.sidebar.blockSignals(False)
        self.refresh_counts()

    def refresh_counts(self) -> None:
        def counts(store: Store) -> tuple[dict[str, int], dict[AccountId, int]]:
            return store.view_counts(), store.unanswered_counts()

        self.ops.query(counts, parent=self).success(
            lambda result: self.sidebar.set_counts(*result)).run()

    def refresh(self) -> None:
        self.model.reload()
        self.refresh_counts()
        self.case_panel.show_case(self._selected_case)

    #: The first window's size (no remembered geometry), when the screen has room for it.
    DEFAULT_SIZE = QSize(1380, 820)
    #: Room the first window leaves on its screen: its frame and title bar, which the
    #: available geometry does not include, and a panel a bare X server does not report.
    SCREEN_MARGIN = QSize(32, 48)

    def default_geometry(self) -> QRect:
        """Where the first window goes: DEFAULT_SIZE, shrunk to fit the screen's available
        geometry with SCREEN_MARGIN to spare, centred on it (without a window manager
        nothing else would keep it on a 1280x800 screen)."""
        rect = QRect(QPoint(0, 0), self.DEFAULT_SIZE)
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return rect
        area = screen.availableGeometry()
        room = area.size() - self.SCREEN_MARGIN
        rect.setSize(self.DEFAULT_SIZE.boundedTo(room.expandedTo(QSize(1, 1))))
        rect.moveCenter(area.center())
        return rect

    def _restore_state(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)  # the user's size, kept on screen by Qt
        else:
            # Only this default is fitted to the screen: a size the user or a test sets
            # later is theirs (the layout tests resize beyond the 800x800 offscreen screen).
            rect = self.default_geometry()
            self.resize(rect.size())
            self.move(rect.topLeft())
        state = self.settings.value("window/splitter")
        # No saved panes: share the width when the window first shows (its real size).
        self._panes_fitted = isinstance(state, QByteArray) and self.splitter.restoreState(state)
        # Until the user drags a divider, the panes are shared out for the window's width
        # whenever it changes: a first window fitted to a small screen, then maximised (or
        # resized by a tiling window manager), gets the layout of its new width.
        self._panes_follow_width = not self._panes_fitted
        self.splitter.splitterMoved.connect(self._panes_moved)
        state = self.settings.value("window/caseSplitter")
        if isinstance(state, QByteArray):
            self.case_panel.splitter.restoreState(state)
        # Inbox columns are not restored: they are laid out for the width (InboxView).

    def fit_panes(self, width: int) -> None:
        """Share ``width`` between sidebar, inbox and case panel (first start, no saved state)."""
        sidebar = max(165, min(240, int(width * 0.17)))
        panel = max(400, int(width * 0.37))
        self.splitter.setSizes([sidebar, max(300, width - sidebar - panel), panel])

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._panes_fitted:
            self._panes_fitted = True
            self.fit_panes(self.width())

    def _panes_moved(self, _pos: int, _index: int) -> None:
        self._panes_follow_width = False  # the user's layout from now on

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._panes_follow_width and self._panes_fitted:
            self.fit_panes(event.size().width())
        if event.size().width() < event.oldSize().width():
            # After the splitter has shared out the new width.
            QTimer.singleShot(0, self.rebalance_panes)

    def rebalance_panes(self) -> None:
        """A narrower window: keep the inbox's triage columns whole, taking the width from
        the case panel (down to a usable 400 px) and then the sidebar."""
        if not shiboken6.isValid(self):
            return
        sidebar, inbox, panel = self.splitter.sizes()
        short = self.inbox.triage_width() - inbox
        if short <= 0:
            return
        from_panel = max(0, min(short, panel - max(400, self.case_panel.minimumSizeHint().width())))
        from_sidebar = max(0, min(short - from_panel, sidebar - 150))
        if from_panel or from_sidebar:
            self.splitter.setSizes([sidebar - from_sidebar, inbox + from_panel + from_sidebar,
                                    panel - from_panel])

    def save_state(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.settings.setValue("window/caseSplitter", self.case_panel.splitter.saveState())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.case_panel.composer.flush()  # never lose a draft
        self.save_state()
        super().closeEvent(event)

    # ------------------------------------------------------------ inbox
    def _filter_chosen(self, flt: CaseFilter) -> None:
        if self.search.text():
            self.search.blockSignals(True)
            self.search.clear()
            self.search.blockSignals(False)
        self.model.set_filter(self._with_mood(flt))

    def _with_mood(self, flt: CaseFilter) -> CaseFilter:
        data = self.mood_box.currentData()
        if data == "order:mood":
            return dataclasses.replace(flt, order="mood", sentiment=None)
        return dataclasses.replace(flt, order="waiting", sentiment=data)

    def _mood_chosen(self, _index: int) -> None:
        self.model.set_filter(self._with_mood(self.model.filter),
                              search=self.model.search_text)

    def _search(self) -> None:
        text = self.search.text()
        self.model.set_filter(self.model.filter, search=text or None)

    def _search_text_changed(self, text: str) -> None:
        if not text and self.model.search_text is not None:
            self.model.set_filter(self.model.filter)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _escape(self) -> None:
        if self.search.hasFocus() and self.search.text():
            self.search.clear()
        self.inbox.setFocus()

    def move_selection(self, step: int) -> None:
        rows = self.model.rowCount()
        if rows == 0:
            return
        current = self.inbox.currentIndex()
        row = current.row() + step if current.isValid() else 0
        row = max(0, min(rows - 1, row))
        index = self.model.index(row, 0)
        self.inbox.setCurrentIndex(index)
        self.inbox.scrollTo(index)
        if row >= rows - 5:
            self.model.request_more()

    def _maybe_fetch(self, *_args: int) -> None:
        """Near the end of the list (or a list shorter than the view): load the next page."""
        scrollbar = self.inbox.verticalScrollBar()
        if scrollbar.value() >= scrollbar.maximum() - 10:
            self.model.request_more()

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        if not indexes:
            return
        case_id = self.model.data(indexes[0], InboxModel.CaseIdRole)
        if case_id != self._selected_case:
            self._selected_case = case_id
            if not self._case_after_paint:  # else opened once the inbox has painted
                self.case_panel.show_case(case_id)
            self.case_panel.composer.set_teammates([])
            self.show_presence()

    def _restore_selection(self) -> None:
        if self._selected_case is None:
            return
        row = self.model.row_of(self._selected_case)
        if row >= 0:
            self.inbox.selectionModel().blockSignals(True)
            self.inbox.setCurrentIndex(self.model.index(row, 0))
            self.inbox.selectionModel().blockSignals(False)

    def _page_loaded(self, count: int) -> None:
        self._restore_selection()
        if self.model.rowCount() and not self.inbox.currentIndex().isValid() \
                and self._selected_case is None:
            self.inbox.setCurrentIndex(self.model.index(0, 0))
        self._update_count()

    def _loading_changed(self, loading: bool) -> None:
        if loading:
            self.status_label.setText("Loading…")
        else:
            self._update_count()

    def count_text(self) -> str:
        """The status bar's count: always the rows the inbox shows now."""
        total = self.model.rowCount()
        text = f"{total} case" + ("" if total == 1 else "s")
        if self.model.search_text is not None:
            text += f" matching {self.model.search_text!r}"
        if self.model.has_more:
            text += " (scroll for more)"
        return text

    def _update_count(self, *_args: object) -> None:
        if self.model.is_loading:
            return  # "Loading…" stays until the page is in
        self.status_label.setText(self.count_text())
        self._update_inbox_state()

    # ------------------------------------------------------------ empty states
    def _update_inbox_state(self) -> None:
        """The rows, or (when there are none) what this view means and where to go next."""
        if self.model.rowCount() or self.model.is_loading or self._accounts is None:
            self.inbox_stack.setCurrentWidget(self.inbox)
            return
        flt = self.model.filter
        if not self._accounts and self.model.search_text is None:
            self.empty_state.show_state(
                "no_accounts", "No accounts yet",
                "Add the brand's Mastodon, Bluesky or X account: its mentions, replies and "
                "direct messages land here as cases. Or try the demo workspace, a fictional "
                "brand with three weeks of conversations, in a new window.",
                (("add_account", "Add an account…"), ("open_demo", "Open the demo")))
        elif self.model.search_text is not None:
            self.empty_state.show_state(
                "no_results", f"Nothing matches {self.model.search_text!r}",
                f"Search looks through every message in {View.LABELS[flt.view]}. "
                "Try fewer or other words.", (("clear_search", "Clear the search"),))
        elif flt.sentiment is not None or flt.account_id is not None:
            which = "with this mood" if flt.sentiment is not None else "on this account"
            _title, text = VIEW_EMPTY.get(flt.view, ("No cases", ""))
            self.empty_state.show_state(
                "no_cases_filtered", f"No cases {which} in {View.LABELS[flt.view]}", text,
                (("clear_filter", "Show every case in this view"),))
        else:
            title, text = VIEW_EMPTY.get(flt.view, ("No cases", ""))
            buttons: tuple[tuple[str, str], ...] = ()
            if flt.view != View.ALL:
                buttons = (("show_all", "Show all cases"),)
            self.empty_state.show_state(f"empty_{flt.view}", title, text, buttons)
        self.inbox_stack.setCurrentWidget(self.empty_state)

    def _empty_action(self, key: str) -> None:
        if key == "add_account":
            self.show_accounts()
        elif key == "open_demo":
            self.demo_pid = self.demo_launcher()
            if self.demo_pid is not None:
                self.statusBar().showMessage(
                    "Opening the demo workspace in a new window (a throwaway copy)…", 10_000)
            else:
                self.statusBar().showMessage("The demo workspace could not be started.", 10_000)
        elif key == "clear_search":
            self.search.clear()
            self.inbox.setFocus()
        elif key == "clear_filter":
            self.mood_box.setCurrentIndex(0)
            if self.model.filter.account_id is not None:
                self.sidebar.select_view(self.model.filter.view)
        elif key == "show_all":
            self.sidebar.select_view(View.ALL)

    def _changes_applied(self, changes: Changes, initiator: object) -> None:
        if changes.accounts:
            self.ops.query(lambda s: s.accounts(), parent=self) \
                .success(self._accounts_loaded).run()
        if changes.cases:
            self.model.apply_changes(changes, on_done=self._restore_selection)
            self.case_panel.apply_changes(changes, initiator)
            self.refresh_counts()
        elif changes.replies:
            self.case_panel.apply_changes(changes, initiator)
        if changes.templates or changes.settings or changes.accounts:
            self.load_composer_resources()
        if changes.settings and not changes.cases:
            self.case_panel.show_case(self._selected_case)  # the owner box offers the roster

    def selected_case(self) -> int | None:
        return self._selected_case

    # ------------------------------------------------------------ follow-ups
    def wake_followups(self) -> None:
        def wake(store: Store) -> tuple[list[Any], Changes]:
            ids, changes = store.wake_due()
            return store.case_rows(ids), changes

        self.ops.write(wake, parent=self).success(self._followups_due).run(initiator=self)

    def _followups_due(self, rows: list[Any]) -> None:
        if not rows:
            return
        names = ", ".join(r.contact_name or r.contact_handle for r in rows[:3])
        text = f"{len(rows)} follow-up(s) due: {names}"
        self.statusBar().showMessage(text, 30_000)
        from PySide6.QtWidgets import QSystemTrayIcon

        if QSystemTrayIcon.isSystemTrayAvailable():
            if self.tray is None:
                self.tray = QSystemTrayIcon(self.windowIcon(), self)
                self.tray.setToolTip("Community Console")
                self.tray.messageClicked.connect(self._show_from_tray)
                self.tray.show()
            self.tray.showMessage("Follow-ups due", text)

    def _show_from_tray(self) -> None:
        self.showNormal()
        self.raise_()

    # ------------------------------------------------------------ sync
    def sync_now(self) -> None:
        if self.sync is not None:
            self.sync.sync_all()

    def _sync_progress(self, done: int, total: int, text: str) -> None:
        running = self.sync is not None and self.sync.running
        self.sync_bar.setVisible(running)
        self.cancel_sync.setVisible(running)
        self.sync_bar.setMaximum(max(total, 1))
        self.sync_bar.setValue(done)
        self.statusBar().showMessage(text, 15_000)

    def _sync_finished(self, results: list[Any]) -> None:
        self.sync_bar.hide()
        self.cancel_sync.hide()
        self.refresh_counts()

    def _outbox_finished(self, outcomes: list[Any]) -> None:
        if not outcomes:
            return  # nothing was waiting: no news
        sent = sum(1 for o in outcomes if o.sent)
        failed = [o for o in outcomes if not o.sent]
        text = f"Outbox: {sent} sent"
        if failed:
            text += f", {len(failed)} not sent ({failed[0].error})"
        self.statusBar().showMessage(text, 15_000)

    def show_accounts(self) -> None:
        from console.core import replying
        from console.ui.accounts_dialog import AccountsDialog

        if self.secrets is None:
            return
        dialog = AccountsDialog(self.ops, self.secrets,
                                profiles=sorted(replying.load_profiles(self.data_dir)),
                                parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.accounts_dialog = dialog
        dialog.show()

    # ------------------------------------------------------------ review
    def show_review_queue(self) -> None:
        from console.ui.review import ReviewQueue

        if self.review_queue is None:
            self.review_queue = ReviewQueue(self.ops, data_dir=self.data_dir, parent=self)
            self.review_queue.open_case.connect(self.open_case)
            if self.sync is not None:
                self.review_queue.sender_requested.connect(self.sync.send_outbox)
        else:
            self.review_queue.refresh()
        self.review_queue.show()
        self.review_queue.raise_()
        self.review_queue.activateWindow()

    def show_settings(self) -> None:
        from console.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.ops, data_dir=self.data_dir, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.settings_dialog = dialog
        dialog.show()

    def show_export(self) -> None:
        from console.ui.export_dialog import ExportDialog

        case = self.selected_case()
        dialog = ExportDialog(self.ops, case_ids=[case] if case is not None else None,
                              current_filter=self.model.filter,
                              search=self.model.search_text, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.export_dialog = dialog
        dialog.show()

    def show_team_server(self) -> None:
        """File → Connect to a team server…: checked, then opened in a window of its own."""
        from console.ui.app import keyring_secrets
        from console.ui.team_dialog import TeamServerDialog

        self.team_dialog = TeamServerDialog(self.ops, self.secrets or keyring_secrets,
                                            parent=self)
        self.team_dialog.open()

    def show_import(self) -> None:
        from console.ui.import_dialog import ImportDialog

        dialog = ImportDialog(self.ops, parent=self)
        dialog.open_case.connect(self.open_case)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.import_dialog = dialog
        dialog.show()

    def show_reports(self) -> None:
        from console.ui.reports import ReportsDialog

        dialog = ReportsDialog(self.ops, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.reports_dialog = dialog
        dialog.show()

    def import_case_log(self, path: Path) -> None:
        """Import a colleague's JSON case log (hooked up when the importer is available)."""
        try:
            from console.core import importer
        except ImportError:
            self.statusBar().showMessage("Importing case logs is not available yet.", 10_000)
            return

        def run(store: Store) -> tuple[Any, Changes]:
            result = importer.import_file(store, path)
            return result, result.changes

        def done(result: Any) -> None:
            self.statusBar().showMessage(
                f"Imported {path.name}: " + "; ".join(result.summary_lines()), 20_000)
            self.refresh()

        self.ops.write(run, parent=self).success(done).run(initiator=self)

    def open_case(self, case_id: CaseId) -> None:
        """Show a case in the panel, selecting its inbox row when it is loaded."""
        row = self.model.row_of(case_id)
        if row >= 0:
            self.inbox.setCurrentIndex(self.model.index(row, 0))
        else:
            self._selected_case = case_id
            self.case_panel.show_case(case_id)
        self.case_panel.focus_reply()

    # ------------------------------------------------------------ help
    def show_shortcuts(self) -> None:
        from console.ui.shortcuts import ShortcutsDialog

        if self.shortcuts_dialog is None:
            self.shortcuts_dialog = ShortcutsDialog(self)
        self.shortcuts_dialog.show()
        self.shortcuts_dialog.raise_()

    def show_about(self) -> None:
        from PySide6 import __version__ as pyside_version
        from PySide6.QtCore import qVersion

        box = QMessageBox(self)
        box.setWindowTitle(f"About {APP_NAME}")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(f"{APP_NAME} {__version__}\nQt {qVersion()} · PySide6 {pyside_version}\n\n"
                    "One inbox for all of a brand's social accounts.")
        box.open()

    def current_index(self) -> QModelIndex:
        return self.inbox.currentIndex()

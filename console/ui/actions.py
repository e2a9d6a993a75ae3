"""Every window action and keyboard shortcut, declared once: menus, keys and the help sheet."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QMenuBar, QWidget

from console.core.store import View

# Where an action's keys act. The main window's keys work anywhere in it (a text field
# keeps the letters it types); the others only in their own part of the window.
WINDOW = "window"
COMPOSER = "composer"
NOTE = "note"
REVIEW = "review"

CONTEXT_TITLES: dict[str, str] = {
    WINDOW: "Main window",
    COMPOSER: "Reply composer",
    NOTE: "Note box",
    REVIEW: "Review queue",
}

# The menu bar, in order: (name used in ActionSpec.menu, title with its mnemonic).
MENUS: tuple[tuple[str, str], ...] = (
    ("File", "&File"),
    ("Case", "&Case"),
    ("View", "&View"),
    ("Accounts", "&Accounts"),
    ("Replies", "&Replies"),
    ("Help", "&Help"),
)


@dataclass(frozen=True)
class ActionSpec:
    """One thing the user can do, with its keys and where it shows up.

    ``shortcuts`` are Qt portable key names, spelled exactly as README.md and the help
    sheet show them (letters lower case: ``e`` is the e key without Shift).
    """

    id: str
    text: str
    shortcuts: tuple[str, ...]
    menu: str | None
    help: str
    context: str = WINDOW
    separator_before: bool = False


def _views() -> tuple[ActionSpec, ...]:
    # One key per view, numbered in sidebar order, so a new view gets its key (and
    # fails the README check until it is documented).
    return tuple(
        ActionSpec(f"view.{view}", View.LABELS[view], (f"Ctrl+{i}",), "View",
                   f"show {View.LABELS[view]}", separator_before=i == 1)
        for i, view in enumerate(View.ALL_VIEWS, start=1))


ACTIONS: tuple[ActionSpec, ...] = (
    # File
    ActionSpec("export", "Export cases…", ("Ctrl+Shift+E",), "File",
               "export the selected case, the view or a date range"),
    ActionSpec("import", "Import case log…", (), "File", "import a colleague's JSON case log"),
    ActionSpec("team", "Connect to a team server…", (), "File",
               "work on the team's shared workspace on a PostgreSQL server"),
    ActionSpec("quit", "Quit", ("Ctrl+Q",), "File", "quit", separator_before=True),
    # Case (the selected case)
    ActionSpec("resolve", "Resolve", ("e",), "Case", "resolve the case"),
    ActionSpec("waiting", "Waiting on customer", ("w",), "Case", "waiting on customer"),
    ActionSpec("reopen", "Reopen", ("o",), "Case", "reopen the case"),
    ActionSpec("reply", "Reply", ("r",), "Case", "reply (to the composer)",
               separator_before=True),
    ActionSpec("assign", "Assign…", ("a",), "Case", "assign (type a name, Enter)"),
    ActionSpec("note", "Add note…", ("n",), "Case", "add a private note"),
    ActionSpec("snooze", "Snooze…", ("s",), "Case", "snooze (choose until when)"),
    ActionSpec("undo", "Undo", ("Ctrl+Z",), "Case",
               "undo the last resolve, waiting, reopen, assign, snooze, or link or unlink of "
               "customers (in the timeline)",
               separator_before=True),
    # View
    ActionSpec("next", "Next case", ("j",), "View", "next case (↓ works too)"),
    ActionSpec("previous", "Previous case", ("k",), "View", "previous case (↑ works too)"),
    ActionSpec("search", "Search messages", ("/", "Ctrl+F"), "View", "search messages"),
    *_views(),
    ActionSpec("reports", "Reports…", ("Ctrl+Shift+P",), "View",
               "reports: response times, volume, mood, backlog", separator_before=True),
    ActionSpec("refresh", "Refresh", ("F5",), "View", "refresh from the workspace"),
    ActionSpec("escape", "Back to the inbox", ("Esc",), None,
               "back to the inbox (clears the search first)"),
    # Accounts
    ActionSpec("accounts", "Accounts…", ("F9",), "Accounts", "accounts: add, check, remove"),
    ActionSpec("sync", "Sync now", ("Shift+F5",), "Accounts",
               "sync: fetch new messages and send the outbox"),
    # Replies
    ActionSpec("review", "Review queue…", ("Ctrl+Shift+R",), "Replies",
               "review queue (drafts and the outbox)"),
    ActionSpec("settings", "Settings…", ("Ctrl+,",), "Replies",
               "settings: you and the team roster, the brand, sync, working hours, templates, "
               "voice profiles and accounts"),
    # Help
    ActionSpec("shortcuts", "Keyboard shortcuts", ("F1", "?"), "Help", "this list"),
    ActionSpec("about", "About", (), "Help", "about this app"),
    # In the reply composer
    ActionSpec("composer.approve", "Approve", ("Ctrl+Return", "Ctrl+Enter"), None,
               "approve the reply into the outbox", COMPOSER),
    ActionSpec("composer.template", "Insert template", ("Ctrl+T",), None,
               "insert a template (fuzzy search)", COMPOSER),
    ActionSpec("composer.fix", "Quick fix", ("Ctrl+.",), None,
               "apply the quick fix of the selected finding (or the first)", COMPOSER),
    # In the note box
    ActionSpec("note.add", "Add note", ("Ctrl+Return", "Ctrl+Enter"), None, "add the note", NOTE),
    # In the review queue
    ActionSpec("review.approve", "Approve", ("Ctrl+Return", "Ctrl+Enter"), None,
               "approve the selected reply", REVIEW),
    ActionSpec("review.save", "Save edit", ("Ctrl+S",), None, "save the edited draft", REVIEW),
    ActionSpec("review.draft", "Back to draft", ("Ctrl+D",), None,
               "send an approved reply back to draft", REVIEW),
    ActionSpec("review.delete", "Delete", ("Del",), None, "delete the selected reply", REVIEW),
    ActionSpec("review.undo", "Undo delete", ("Ctrl+Z",), None, "undo the last delete", REVIEW),
)

BY_ID: dict[str, ActionSpec] = {spec.id: spec for spec in ACTIONS}


def in_context(context: str) -> tuple[ActionSpec, ...]:
    return tuple(spec for spec in ACTIONS if spec.context == context)


def key_sequences(spec: ActionSpec) -> list[QKeySequence]:
    return [QKeySequence.fromString(keys, QKeySequence.SequenceFormat.PortableText)
            for keys in spec.shortcuts]


def _check_handlers(context: str, handlers: Mapping[str, Callable[[], object]]) -> None:
    """Every action of the context has a handler and every handler an action."""
    wanted = {spec.id for spec in in_context(context)}
    if set(handlers) != wanted:
        raise ValueError(f"{context} actions without a handler: {sorted(wanted - set(handlers))}; "
                         f"handlers without an action: {sorted(set(handlers) - wanted)}")


def build_window_actions(window: QWidget,
                         handlers: Mapping[str, Callable[[], object]]) -> dict[str, QAction]:
    """The main window's QActions, with their keys, added to the window.

    Args:
        window: owns the actions; their keys work anywhere in it.
        handlers: one callable per WINDOW action id (extra or missing ids raise).

    Returns:
        The actions by id, for the menus and the toolbar.
    """
    _check_handlers(WINDOW, handlers)
    actions: dict[str, QAction] = {}
    for spec in in_context(WINDOW):
        action = QAction(spec.text, window)
        action.setObjectName(f"action.{spec.id}")
        action.setShortcuts(key_sequences(spec))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if spec.shortcuts:
            action.setToolTip(f"{spec.text.rstrip('…')} ({' or '.join(spec.shortcuts)})")
        # Bind the callable now: a default argument, not the loop variable.
        action.triggered.connect(lambda _checked=False, fn=handlers[spec.id]: fn())
        # On the window itself too, so actions outside a menu (Esc) have keys.
        window.addAction(action)
        actions[spec.id] = action
    return actions


def build_menus(menubar: QMenuBar, actions: Mapping[str, QAction]) -> None:
    """The menu bar, from the table's order."""
    for name, title in MENUS:
        menu = menubar.addMenu(title)
        for spec in ACTIONS:
            if spec.menu != name:
                continue
            if spec.separator_before and menu.actions():
                menu.addSeparator()
            menu.addAction(actions[spec.id])


def install_shortcuts(widget: QWidget, context: str,
                      handlers: Mapping[str, Callable[[], object]], *,
                      scope: Qt.ShortcutContext) -> list[QShortcut]:
    """QShortcuts on ``widget`` for every action of ``context`` (a part of the window)."""
    _check_handlers(context, handlers)
    made = []
    for spec in in_context(context):
        for sequence in key_sequences(spec):
            shortcut = QShortcut(sequence, widget)
            shortcut.setContext(scope)
            shortcut.setObjectName(f"shortcut.{spec.id}")
            shortcut.activated.connect(handlers[spec.id])
            made.append(shortcut)
    return made

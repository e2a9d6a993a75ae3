"""What Ctrl+Z in the main window undoes: store operations, the newest first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from console.core.store import Store
from console.ui.ops import Ops


class UndoStack:
    """Each entry is ``fn(store)``, the inverse of a change the user made in the window
    (unlink is the inverse of link), run as a write like any other.

    Undo is a new change, never a rewrite of history: the case timeline shows both.
    """

    LIMIT = 50

    def __init__(self, ops: Ops, parent: QWidget) -> None:
        self._ops = ops
        self._parent = parent
        self._entries: list[tuple[str, Callable[[Store], Any]]] = []

    def __len__(self) -> int:
        return len(self._entries)

    def push(self, label: str, fn: Callable[[Store], Any]) -> None:
        self._entries.append((label, fn))
        del self._entries[:-self.LIMIT]

    def undo(self) -> None:
        if not self._entries:
            self._ops.signals.status_message.emit("Nothing to undo.")
            return
        label, fn = self._entries.pop()
        self._ops.write(fn, parent=self._parent).success(
            lambda _: self._ops.signals.status_message.emit(f"{label[:1].upper()}{label[1:]}: undone.")
        ).run(initiator=self)

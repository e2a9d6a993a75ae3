"""The one way the window runs work in the background: fluent op helpers over the TaskRunner.

    ops.write(lambda s: s.assign(case_id, "Priya")).success(cb).run(initiator=self)
    ops.query(lambda s: s.case_detail(case_id)).success(cb).run()
    ops.net(lambda: connector.verify(), parent=self).success(cb).failure(cb).run()
    ops.compute(lambda: voice.check(text, rules), parent=self).success(cb).run()

Every callback runs on the GUI thread, only while ``parent`` is alive, and an
error without a ``failure`` callback is shown the same way everywhere.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from console.core.changes import Changes
from console.core.errors import BugError, KnownError, StorageError
from console.core.store import Store, open_workspace
from console.ui.signals import AppSignals
from console.ui.tasks import TaskRunner

if TYPE_CHECKING:  # the engine (and through it requests, keyring) loads after first paint
    from console.sync.engine import Db

log = logging.getLogger(__name__)
T = TypeVar("T")


def show_error(parent: QWidget | None, exc: BaseException, *, title: str = "Community Console"
               ) -> None:
    """A friendly message for known problems; a logged report for bugs.

    A storage problem (the team server out of reach, a busy workspace) is said once: while
    its box is open, the same kind of failure of other work adds no second box.
    """
    if isinstance(exc, StorageError):
        from PySide6.QtWidgets import QApplication

        for widget in QApplication.topLevelWidgets():
            if (isinstance(widget, QMessageBox) and widget.isVisible()
                    and widget.property("storage") == exc.reason):
                return
    box = QMessageBox(parent)
    if isinstance(exc, StorageError):
        box.setProperty("storage", exc.reason)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    if isinstance(exc, KnownError):
        box.setIcon(QMessageBox.Icon.Warning)
        box.setText(str(exc))
    else:
        log.error("unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
        box.setIcon(QMessageBox.Icon.Critical)
        box.setText("Something went wrong inside Community Console. Your data is safe; "
                    f"the details are in the log.\n\n{type(exc).__name__}: {exc}")
    box.setObjectName("errorBox")
    box.open()


def changes_of(result: Any) -> Changes | None:
    """The Changes a write step returned: ``Changes`` or ``(value, Changes)``."""
    if isinstance(result, Changes):
        return result
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], Changes):
        return result[1]
    return None


class _Op:
    def __init__(self, ops: Ops, parent: QObject | None, fn: Callable[..., Any]) -> None:
        self._ops = ops
        self._parent = parent
        self._fn = fn
        self._success: Callable[[Any], None] | None = None
        self._failure: Callable[[BaseException], None] | None = None

    def success(self, cb: Callable[[Any], None]) -> Self:
        self._success = cb
        return self

    def failure(self, cb: Callable[[BaseException], None]) -> Self:
        self._failure = cb
        return self

    def _alive(self) -> bool:
        return self._parent is None or shiboken6.isValid(self._parent)

    def _finish(self, result: Any, exc: BaseException | None) -> None:
        if not self._alive():
            return  # the window that asked is gone
        if exc is not None:
            if self._failure is not None:
                self._failure(exc)
            else:
                parent = self._parent if isinstance(self._parent, QWidget) else None
                show_error(parent, exc)
            return
        if self._success is not None:
            self._success(result)


class WriteOp(_Op):
    """``fn(store)`` returns Changes or ``(value, Changes)``; success gets the value."""

    def run(self, *, initiator: object = None) -> None:
        def done(result: Any, exc: BaseException | None) -> None:
            changes = changes_of(result) if exc is None else None
            value = result[0] if isinstance(result, tuple) and changes is not None else result
            self._finish(value, exc)
            if changes:
                self._ops.signals.changes_applied.emit(changes, initiator)

        self._ops.runner.run_write(self._fn, done)


class QueryOp(_Op):
    """``fn(store)`` on the read connection; success gets its result."""

    def run(self) -> None:
        self._ops.runner.run_read(self._fn, self._finish)


class NetOp(_Op):
    """``fn()`` on the network pool (no database); success gets its result."""

    def run(self) -> None:
        self._ops.runner.run_net(self._fn, self._finish)


class ComputeOp(_Op):
    """``fn()``, a pure function (no database, no network), off the GUI thread."""

    def run(self) -> None:
        self._ops.runner.run_compute(self._fn, self._finish)


class Ops:
    """Factory handed to widgets (constructor injection, no globals)."""

    def __init__(self, runner: TaskRunner, signals: AppSignals) -> None:
        self.runner = runner
        self.signals = signals

    @property
    def db_path(self) -> Path | str:
        """The workspace file or team server address (for work that opens a read-only
        connection of its own: ``open_reader``)."""
        return self.runner.db_path

    def open_reader(self) -> Store:
        """A read-only connection of the caller's thread's own (close it when done)."""
        return open_workspace(self.runner.db_path, read_only=True,
                              password=self.runner.password)

    def net(self, fn: Callable[[], Any], *, parent: QObject | None = None) -> NetOp:
        return NetOp(self, parent, fn)

    def compute(self, fn: Callable[[], Any], *, parent: QObject | None = None) -> ComputeOp:
        return ComputeOp(self, parent, fn)

    def on_main(self, closure: Callable[[], None], *, parent: QObject | None = None) -> None:
        """From any thread: run ``closure`` on the GUI thread, if ``parent`` is still alive."""
        def guarded() -> None:
            if parent is None or shiboken6.isValid(parent):
                closure()

        self.runner.run_on_main(guarded)

    def writer(self, *, initiator: object = None) -> Db:
        """For a worker thread: run one database step on the writer thread and wait for it.

        This is the ``Db`` the sync engine is given in the window; a step that
        returns Changes emits ``changes_applied`` on the GUI thread, as a WriteOp does.
        """
        def run(step: Callable[[Store], T], /) -> T:
            if threading.current_thread() is threading.main_thread():
                raise BugError("Ops.writer() blocks: call it from a worker, not the GUI thread.")
            try:
                result = self.runner.run_write(step).result()
            except CancelledError:  # the runner was shut down before the step ran
                raise KnownError("The workspace was closed before the change was saved.") \
                    from None
            changes = changes_of(result)
            if changes:
                self.runner.run_on_main(
                    lambda: self.signals.changes_applied.emit(changes, initiator))
            return result

        return run

    def write(self, fn: Callable[[Store], Any], *, parent: QObject | None = None) -> WriteOp:
        return WriteOp(self, parent, fn)

    def query(self, fn: Callable[[Store], Any], *, parent: QObject | None = None) -> QueryOp:
        return QueryOp(self, parent, fn)

"""Fluent helpers through which widgets read and write the store in the background.

    ops.write(lambda s: s.assign(case_id, "Priya")).success(cb).run(initiator=self)
    ops.query(lambda s: s.case_detail(case_id)).success(cb).run()
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from console.core.changes import Changes
from console.core.errors import KnownError
from console.core.store import Store
from console.ui.signals import AppSignals
from console.ui.tasks import TaskRunner

log = logging.getLogger(__name__)


def show_error(parent: QWidget | None, exc: BaseException, *, title: str = "Community Console"
               ) -> None:
    """A friendly message for known problems; a logged report for bugs."""
    box = QMessageBox(parent)
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


class _Op:
    def __init__(self, ops: Ops, parent: QObject | None, fn: Callable[[Store], Any]) -> None:
        self._ops = ops
        self._parent = parent
        self._fn = fn
        self._success: Callable[[Any], None] | None = None
        self._failure: Callable[[BaseException], None] | None = None

    def success(self, cb: Callable[[Any], None]) -> _Op:
        self._success = cb
        return self

    def failure(self, cb: Callable[[BaseException], None]) -> _Op:
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
            value = result
            changes = None
            if exc is None:
                if isinstance(result, Changes):
                    changes, value = result, result
                elif isinstance(result, tuple) and len(result) == 2 and isinstance(result[1],
                                                                                   Changes):
                    value, changes = result
            self._finish(value, exc)
            if changes:
                self._ops.signals.changes_applied.emit(changes, initiator)

        self._ops.runner.run_write(self._fn, done)


class QueryOp(_Op):
    """``fn(store)`` on the read connection; success gets its result."""

    def run(self) -> None:
        self._ops.runner.run_read(self._fn, self._finish)


class Ops:
    """Factory handed to widgets (constructor injection, no globals)."""

    def __init__(self, runner: TaskRunner, signals: AppSignals) -> None:
        self.runner = runner
        self.signals = signals

    def write(self, fn: Callable[[Store], Any], *, parent: QObject | None = None) -> WriteOp:
        return WriteOp(self, parent, fn)

    def query(self, fn: Callable[[Store], Any], *, parent: QObject | None = None) -> QueryOp:
        return QueryOp(self, parent, fn)

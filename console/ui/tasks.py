"""Background work: one writer thread, one reader thread, a small network pool.

Results come back to the GUI thread through a queued signal; functions that
run on a worker receive and return plain data and never touch a widget.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal, Slot

from console.core.store import Store, is_server_address, open_workspace

log = logging.getLogger(__name__)
T = TypeVar("T")
Done = Callable[[Any, BaseException | None], None]


class TaskRunner(QObject):
    """Owns the executors; the only object that hands work to other threads.

    Signals:
        _deliver: internal; wakes the GUI thread to run queued callbacks.
    """

    _deliver = Signal()

    def __init__(self, db_path: Path | str, parent: QObject | None = None, *,
                 password: str | None = None) -> None:
        super().__init__(parent)
        # A workspace file, or a team server's address (then ``password`` logs in).
        self.db_path: Path | str = db_path if is_server_address(db_path) else Path(db_path)
        self.password = password
        self._local = threading.local()
        self._lock = threading.Lock()
        self._pending: deque[Callable[[], None]] = deque()
        self._stores: list[Store] = []
        self._write = ThreadPoolExecutor(1, thread_name_prefix="db-write",
                                         initializer=self._open_store, initargs=(False,))
        self._read = ThreadPoolExecutor(1, thread_name_prefix="db-read",
                                        initializer=self._open_store, initargs=(True,))
        self._net = ThreadPoolExecutor(4, thread_name_prefix="net")
        # CPU-bound pure functions (voice checks) off the GUI thread.
        self._compute = ThreadPoolExecutor(1, thread_name_prefix="compute")
        self._closed = False
        self._deliver.connect(self._drain, Qt.ConnectionType.QueuedConnection)

    # sqlite3 connections belong to the thread that opened them (a team server's too: one
    # connection per thread, so the writer's transactions never mix with the reader's).
    def _open_store(self, read_only: bool) -> None:
        try:
            store = open_workspace(self.db_path, read_only=read_only,
                                   password=self.password)
        except BaseException as exc:  # reported on the first task instead
            self._local.error = exc
            return
        self._local.store = store
        with self._lock:
            self._stores.append(store)

    def retarget(self, db_path: Path | str, *, password: str | None = None) -> None:
        """Work on another workspace from now on (the team server's offline copy, and back).

        Each database thread closes its connection and opens the new one in turn, after
        the work already queued: what is submitted from now on sees the new workspace.
        """
        if self._closed:
            return  # the window is closing: nothing to switch
        self.db_path = db_path if is_server_address(db_path) else Path(db_path)
        self.password = password

        def reopen(read_only: bool) -> None:
            old = getattr(self._local, "store", None)
            if old is not None:
                with self._lock:
                    if old in self._stores:
                        self._stores.remove(old)
                try:
                    old.close()
                except Exception:  # noqa: BLE001 - a connection to a lost server
                    log.debug("closing the previous workspace failed", exc_info=True)
            self._local.store = None
            self._local.error = None
            self._open_store(read_only)

        self._write.submit(reopen, False)
        self._read.submit(reopen, True)

    def _thread_store(self) -> Store:
        error = getattr(self._local, "error", None)
        if error is not None:
            raise error
        store: Store = self._local.store
        return store

    def _submit(self, executor: ThreadPoolExecutor, fn: Callable[[], Any], done: Done | None
                ) -> Future[Any]:
        if self._closed:
            # The window is closing: late timers (a debounced check, say) are dropped.
            log.debug("task submitted after shutdown; dropped")
            dropped: Future[Any] = Future()
            dropped.cancel()
            return dropped
        future = executor.submit(fn)
        if done is not None:
            def finished(f: Future[Any]) -> None:
                if f.cancelled():
                    return
                exc = f.exception()
                result = None if exc is not None else f.result()
                self.run_on_main(lambda: done(result, exc))
            future.add_done_callback(finished)
        return future

    def run_write(self, fn: Callable[[Store], T], done: Done | None = None) -> Future[Any]:
        """Run ``fn(store)`` on the writer thread; ``done(result, error)`` on the GUI thread."""
        return self._submit(self._write, lambda: fn(self._thread_store()), done)

    def run_read(self, fn: Callable[[Store], T], done: Done | None = None) -> Future[Any]:
        """Run ``fn(store)`` with the read-only connection."""
        return self._submit(self._read, lambda: fn(self._thread_store()), done)

    def run_net(self, fn: Callable[[], T], done: Done | None = None) -> Future[Any]:
        """Run ``fn()`` on the network pool (no database access)."""
        return self._submit(self._net, fn, done)

    def run_compute(self, fn: Callable[[], T], done: Done | None = None) -> Future[Any]:
        """Run a pure function (no database, no network) off the GUI thread."""
        return self._submit(self._compute, fn, done)

    def run_on_main(self, closure: Callable[[], None]) -> None:
        """Queue ``closure`` to run on the GUI thread (safe from any thread)."""
        with self._lock:
            self._pending.append(closure)
        try:
            self._deliver.emit()
        except RuntimeError:  # the QObject is gone: the app is quitting
            pass

    @Slot()
    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    return
                closure = self._pending.popleft()
            try:
                closure()
            except Exception:
                log.exception("error in a task callback")

    def shutdown(self) -> None:
        """Finish queued work, close the connections, stop the threads."""
        if self._closed:
            return
        self._closed = True

        def close_here() -> None:
            store = getattr(self._local, "store", None)
            if store is not None:
                store.close()
                self._local.store = None

        for executor in (self._write, self._read):
            executor.submit(close_here)
        for executor in (self._compute, self._net, self._write, self._read):
            executor.shutdown(wait=True, cancel_futures=False)
        self._stores.clear()

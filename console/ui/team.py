"""Following the team server: teammates' changes reach this window within a second.

A listener thread waits on the server's change channel (``core/store/listen.py``) and
hands each burst to the GUI thread as the same ``changes_applied`` a local write emits,
so the inbox and the open case re-read only what changed.  Drafts open elsewhere become
"Priya is replying"; a lost server shows the offline marker and is retried.
"""

from __future__ import annotations

import functools
import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from console.core.errors import KnownError
from console.core.store import Store
from console.core.store.listen import ChangeListener, TeamChanges
from console.core.store.offline import PushResult, push_offline_work, snapshot_own_cases
from console.ui.ops import Ops

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0


class TeamFollower(QObject):
    """Signals:
        drafting(dict): case id -> names of teammates with a draft open there, as it arrives.
        connected(bool): the server is (again) reachable, or was lost.
        changed(object): the ``TeamChanges`` of one burst (after they were applied).
    """

    drafting = Signal(object)
    connected = Signal(bool)
    changed = Signal(object)

    def __init__(self, ops: Ops, url: str, *, password: str | None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._url = url
        self._password = password
        self._own_pids: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="team-listen", daemon=True)

    def start(self) -> None:
        def pid(value: int | None) -> None:
            if value is not None:
                self._own_pids.add(value)

        self._ops.write(lambda s: s.backend_pid(), parent=self).success(pid).run()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=3)

    # Runs on the listener thread: it never touches a widget, only queues to the GUI.
    def _loop(self) -> None:
        listener: ChangeListener | None = None
        online = True
        while not self._stop.is_set():
            try:
                if listener is None:
                    listener = ChangeListener(self._url, password=self._password)
                    if not online:
                        online = True
                        self._ops.on_main(lambda: self.connected.emit(True), parent=self)
                got = listener.wait(1.0, own_pids=set(self._own_pids))
            except KnownError as exc:
                log.info("team server unreachable: %s", exc)
                if listener is not None:
                    listener.close()
                    listener = None
                if online:
                    online = False
                    self._ops.on_main(lambda: self.connected.emit(False), parent=self)
                self._stop.wait(RETRY_SECONDS)
                continue
            if got.notices:
                self._ops.on_main(functools.partial(self._deliver, got), parent=self)
        if listener is not None:
            listener.close()

    def _deliver(self, got: TeamChanges) -> None:
        if got.changes:
            self._ops.signals.changes_applied.emit(got.changes, self)
        if got.drafting:
            self.drafting.emit(got.drafting)
        self.changed.emit(got)


def describe(got: TeamChanges) -> str:
    """A status line for a teammate's change ("Priya changed case #12")."""
    by: dict[str, set[int]] = {}
    for n in got.notices:
        if n.by and n.case_id is not None and not (n.table == "replies" and n.state == "draft"):
            by.setdefault(n.by, set()).add(n.case_id)
    parts = []
    for name, cases in sorted(by.items()):
        listed = ", ".join(f"#{c}" for c in sorted(cases)[:3])
        more = f" and {len(cases) - 3} more" if len(cases) > 3 else ""
        parts.append(f"{name} changed case {listed}{more}")
    return "; ".join(parts)



class OfflineCopy(QObject):
    """Offline in team mode: a local copy of the member's own cases, kept fresh while the
    server is there; the window works on it while the server is lost, and what was written
    there is pushed once when it is back (``core/store/offline.py``).

    Signals:
        switched(bool): True when the window now works on the copy, False when back.
        pushed(str): what the push brought to the server, in words.
    """

    switched = Signal(bool)
    pushed = Signal(str)

    REFRESH_MS = 60_000

    def __init__(self, ops: Ops, url: str, copy_path: Path, *, password: str | None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._url = url
        self._password = password
        self.path = copy_path
        self.offline = False
        self._busy = False
        self._stopped = False
        # Rewritten only after something changed (here or by a teammate), at most once a
        # minute: an idle window does not copy the same cases over and over.
        self._changed = True
        ops.signals.changes_applied.connect(self._mark_changed)
        self._timer = QTimer(self)
        self._timer.setInterval(self.REFRESH_MS)
        self._timer.timeout.connect(self.refresh)

    def _mark_changed(self, *_: object) -> None:
        self._changed = True

    def start(self) -> None:
        self._timer.start()
        self.refresh()

    def stop(self) -> None:
        self._timer.stop()
        self._stopped = True

    def refresh(self) -> None:
        """Write a fresh copy of my open cases (a background thread, its own connection)."""
        if self.offline or self._busy or not self._changed:
            return
        self._busy = True
        self._changed = False
        url, password, path = self._url, self._password, self.path

        def work() -> int:
            server = Store.connect(url, password=password)
            try:
                return snapshot_own_cases(server, path)
            finally:
                server.close()

        def done(_count: int | None = None) -> None:
            self._busy = False

        def failed(exc: BaseException) -> None:
            self._busy = False
            self._changed = True  # try again next time
            log.info("offline copy not refreshed: %s", exc)

        self._ops.net(work, parent=self).success(done).failure(failed).run()

    def started_offline(self) -> None:
        """The window opened on the copy (the server did not answer at start)."""
        self.offline = True
        self.switched.emit(True)

    def server_lost(self) -> None:
        """Work on the copy: read my cases, write and approve replies; nothing is sent."""
        if self.offline or self._stopped or not self.path.exists():
            return
        self.offline = True
        self._ops.runner.retarget(self.path)
        self.switched.emit(True)

    def server_back(self) -> None:
        """Push what was written on the copy, once, then work on the server again."""
        if not self.offline or self._stopped:
            return
        url, password, path = self._url, self._password, self.path

        def work() -> PushResult:
            server = Store.connect(url, password=password)
            copy = Store.open(path)
            try:
                return push_offline_work(copy, server)
            finally:
                copy.close()
                server.close()

        def done(result: PushResult) -> None:
            self.offline = False
            self._ops.runner.retarget(url, password=password)
            self.switched.emit(False)
            self.pushed.emit(result.describe())
            self._changed = True  # the server has what was pushed, and what others did
            self.refresh()

        def failed(exc: BaseException) -> None:
            # Still on the copy, nothing lost: the next reconnection tries again.
            log.warning("pushing the offline work failed: %s", exc)
            self.pushed.emit(f"Back online, but the work done offline is not pushed yet: {exc}")

        self._ops.net(work, parent=self).success(done).failure(failed).run()


def copy_path_for(url: str, data_dir: Path | None) -> Path:
    """Where the offline copy of this team workspace (for this login) lives."""
    import hashlib

    from console.core import paths
    from console.core.store.pg import redact

    key = hashlib.sha256(redact(url).encode()).hexdigest()[:16]
    return paths.data_dir(data_dir) / "team" / f"offline-{key}.db"

"""Schedules the sync engine for the window: one serial queue per account, progress, cancel, timer."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from console.core.models import Account
from console.core.store import Store
from console.ui.ops import Ops

if TYPE_CHECKING:  # keyring, the engine and the connectors load with the first sync
    from console.connectors.base import Connector
    from console.core.secrets import SecretStore
    from console.sync import engine

log = logging.getLogger(__name__)

#: The outbox is one queue of its own: replies of one case may use different accounts.
OUTBOX: Hashable = "outbox"


def _make_connector(account: Account, secrets: SecretStore) -> Connector:
    from console.connectors.registry import make_connector

    return make_connector(account.platform, handle=account.handle, server=account.server,
                          secrets=secrets)


class SyncController(QObject):
    """Runs ``engine.sync_account`` and ``engine.send_outbox``, the code the command line runs.

    Each engine call runs on the network pool with its database steps handed to
    the writer thread (``Ops.writer``). Calls for one account queue up behind
    each other; accounts run in parallel. The controller only schedules calls
    and relays what they report.

    Signals:
        started(int): a sync began for N accounts.
        progress(int, int, str): accounts done, accounts total, a status line.
        account_finished(object): an engine.AccountSync.
        finished(list): every AccountSync of the run.
        offline_changed(bool): the last run found the network unreachable (or back).
        outbox_finished(list): engine.SendOutcome of a send run.
    """

    started = Signal(int)
    progress = Signal(int, int, str)
    account_finished = Signal(object)
    finished = Signal(list)
    offline_changed = Signal(bool)
    outbox_finished = Signal(list)
    # Emitted on a network worker after each page; relayed on the GUI thread.
    _page_done = Signal(object)

    def __init__(self, ops: Ops, secrets: Callable[[], SecretStore], *,
                 scorer: Callable[[str], float | None] | None = None,
                 connector_factory: Callable[[Account, SecretStore], Connector] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._secrets_factory = secrets
        self._secrets: SecretStore | None = None
        self._secrets_lock = threading.Lock()
        self._scorer = scorer
        self._factory = connector_factory or _make_connector
        self._cancel: engine.CancelToken | None = None
        self._send_cancel: engine.CancelToken | None = None
        self._send_again = False
        self._results: list[engine.AccountSync] = []
        self._total = 0
        self._offline = False
        self._queues: dict[Hashable, deque[Callable[[Callable[[], None]], None]]] = {}
        self._busy: set[Hashable] = set()
        self._page_done.connect(self._relay_page, Qt.ConnectionType.QueuedConnection)
        # Why syncing and sending wait (the team server is lost and the window works on its
        # offline copy), or None.
        self.paused: str | None = None
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.sync_all)

    @property
    def running(self) -> bool:
        return self._cancel is not None

    @property
    def offline(self) -> bool:
        return self._offline

    def set_interval(self, minutes: int) -> None:
        """Automatic sync every N minutes (0 turns it off)."""
        if minutes > 0:
            self.timer.start(int(minutes * 60_000))
        else:
            self.timer.stop()

    def cancel(self) -> None:
        """Stop the running sync (between pages) and send run (between replies)."""
        if self._send_cancel is not None:
            self._send_cancel.cancel()
        if self._cancel is not None:
            self._cancel.cancel()
            self.progress.emit(len(self._results), self._total, "Cancelling…")

    def _connect(self, account: Account) -> Connector:
        # Called on a network worker: the keyring may block on an unlock prompt.
        with self._secrets_lock:
            if self._secrets is None:
                self._secrets = self._secrets_factory()
            secrets = self._secrets
        return self._factory(account, secrets)

    # ------------------------------------------------------------ queues
    def _enqueue(self, key: Hashable, start: Callable[[Callable[[], None]], None]) -> None:
        """Run ``start(done)`` after every earlier job of ``key``; it calls ``done`` at the end."""
        self._queues.setdefault(key, deque()).append(start)
        if key not in self._busy:
            self._next(key)

    def _next(self, key: Hashable) -> None:
        queue = self._queues.get(key)
        if not queue:
            self._busy.discard(key)
            self._queues.pop(key, None)
            return
        self._busy.add(key)
        start = queue.popleft()
        start(lambda: self._next(key))

    # ------------------------------------------------------------ sync
    def sync_all(self) -> None:
        """Sync every account (the demo workspace has none to sync)."""
        if self.running:
            return
        if self.paused:
            self.progress.emit(0, 0, self.paused)
            return

        def accounts(store: Store) -> tuple[list[Account], bool]:
            from console.sync import engine  # loaded with the first sync, not at start-up

            # The demo's own accounts are fictional; a real account added to it syncs.
            demo = bool(store.get_setting("workspace.demo"))
            return [a for a in store.accounts()
                    if not engine.sends_locally(a, demo_workspace=demo)], demo

        self._ops.query(accounts, parent=self).success(lambda r: self._start(*r)).run()

    def _start(self, accounts: list[Account], demo: bool) -> None:
        if self.running:
            return
        if not accounts:
            self.progress.emit(0, 0, "The demo workspace has no live accounts to sync."
                               if demo else "No accounts yet: add one in Accounts.")
            self.finished.emit([])
            return
        from console.sync import engine

        cancel = self._cancel = engine.CancelToken()
        self._results = []
        self._total = len(accounts)
        self.started.emit(len(accounts))
        self.progress.emit(0, self._total, f"Syncing {self._total} account(s)…")
        for account in accounts:
            self._enqueue(account.id, self._sync_job(account, cancel))

    def _sync_job(self, account: Account, cancel: engine.CancelToken
                  ) -> Callable[[Callable[[], None]], None]:
        from console.sync import engine

        db = self._ops.writer(initiator=self)
        report = self._page_done.emit
        scorer = self._scorer

        def work() -> engine.AccountSync:
            return engine.sync_account(db, account, self._connect, scorer=scorer, cancel=cancel,
                                       progress=lambda o: report(o.snapshot()))

        def start(done: Callable[[], None]) -> None:
            def finished(outcome: engine.AccountSync) -> None:
                done()
                self._account_done(outcome)

            def failed(exc: BaseException) -> None:  # a bug in the engine: still finish
                log.error("sync of %s failed", account.handle, exc_info=exc)
                outcome = engine.AccountSync(account=account)
                outcome.fail(exc)
                finished(outcome)

            self._ops.net(work, parent=self).success(finished).failure(failed).run()

        return start

    @Slot(object)
    def _relay_page(self, outcome: engine.AccountSync) -> None:
        self.progress.emit(len(self._results), self._total,
                           f"{outcome.account.handle}: {outcome.fetched} fetched, "
                           f"{outcome.new_messages} new")

    def _account_done(self, outcome: engine.AccountSync) -> None:
        self._results.append(outcome)
        self.account_finished.emit(outcome)
        done = len(self._results)
        self.progress.emit(done, self._total, f"{done} of {self._total} account(s) done")
        if done < self._total:
            return
        results = self._results
        self._cancel = None
        offline = bool(results) and all(r.offline for r in results)
        if offline != self._offline:
            self._offline = offline
            self.offline_changed.emit(offline)
        failed = [r for r in results if not r.ok]
        new = sum(r.new_messages for r in results)
        text = f"Sync finished: {new} new message(s)"
        if failed:
            text += "; " + "; ".join(f"{r.account.handle}: {r.error}" for r in failed)
        self.progress.emit(self._total, self._total, text)
        self.finished.emit(results)
        # Anything approved while offline goes out now that we are online.
        if not offline and not any(r.cancelled for r in results):
            self.send_outbox()

    # ------------------------------------------------------------ outbox
    def send_outbox(self) -> None:
        """Send every approved reply (the demo workspace sends locally)."""
        if self.paused:
            return  # the offline copy of a team workspace never sends: the server's outbox does
        if self._send_cancel is not None:
            self._send_again = True  # one more run after this one picks up the new replies
            return
        from console.sync import engine

        cancel = self._send_cancel = engine.CancelToken()
        db = self._ops.writer(initiator=self)

        def work() -> list[engine.SendOutcome]:
            return engine.send_outbox(db, self._connect, cancel=cancel)

        def start(done: Callable[[], None]) -> None:
            def finished(outcomes: list[engine.SendOutcome]) -> None:
                done()
                self._send_cancel = None
                self.outbox_finished.emit(outcomes)
                if self._send_again:
                    self._send_again = False
                    self.send_outbox()

            def failed(exc: BaseException) -> None:  # a bug in the engine: still finish
                log.error("sending the outbox failed", exc_info=exc)
                finished([])

            self._ops.net(work, parent=self).success(finished).failure(failed).run()

        self._enqueue(OUTBOX, start)

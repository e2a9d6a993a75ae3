"""Background sync and sending for the window: per-account queues, progress, cancel, timer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from console.connectors.base import Connector
from console.connectors.registry import make_connector
from console.core.changes import Changes
from console.core.errors import KnownError
from console.core.models import Account
from console.core.secrets import SecretStore
from console.core.store import Store
from console.sync import engine
from console.ui.ops import Ops

log = logging.getLogger(__name__)


class SyncController(QObject):
    """Runs the engine's network steps on the net pool and its database steps on the writer.

    Each account is its own serial chain (page after page); accounts run in parallel.

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

    def __init__(self, ops: Ops, secrets: Callable[[], SecretStore], *,
                 scorer: Callable[[str], float | None] | None = None,
                 connector_factory: Callable[[Account, SecretStore], Connector] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._secrets_factory = secrets
        self._secrets: SecretStore | None = None
        self._scorer = scorer
        self._factory = connector_factory or (lambda a, s: make_connector(
            a.platform, handle=a.handle, server=a.server, secrets=s))
        self._cancel: engine.CancelToken | None = None
        self._results: list[engine.AccountSync] = []
        self._total = 0
        self._offline = False
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.sync_all)

    @property
    def running(self) -> bool:
        return self._cancel is not None

    def set_interval(self, minutes: int) -> None:
        """Automatic sync every N minutes (0 turns it off)."""
        if minutes > 0:
            self.timer.start(int(minutes * 60_000))
        else:
            self.timer.stop()

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.cancel()
            self.progress.emit(len(self._results), self._total, "Cancelling…")

    def _secret_store(self) -> SecretStore:
        # Called on a network worker: the keyring may block on an unlock prompt.
        if self._secrets is None:
            self._secrets = self._secrets_factory()
        return self._secrets

    # ------------------------------------------------------------ sync
    def sync_all(self) -> None:
        if self.running:
            return

        def accounts(store: Store) -> tuple[list[Account], bool]:
            return store.accounts(), bool(store.get_setting("workspace.demo"))

        self._ops.query(accounts, parent=self).success(lambda r: self._start(*r)).run()

    def _start(self, accounts: list[Account], demo: bool) -> None:
        if self.running:
            return
        if demo or not accounts:
            self.progress.emit(0, 0, "The demo workspace has no live accounts to sync."
                               if demo else "No accounts yet: add one in Accounts.")
            self.finished.emit([])
            return
        self._cancel = engine.CancelToken()
        self._results = []
        self._total = len(accounts)
        self.started.emit(len(accounts))
        self.progress.emit(0, self._total, f"Syncing {self._total} account(s)…")
        for account in accounts:
            self._next_page(account, engine.AccountSync(account=account), None, first=True)

    def _next_page(self, account: Account, outcome: engine.AccountSync, connector: Any,
                   *, first: bool = False) -> None:
        cancel = self._cancel
        assert cancel is not None

        def fetch(cursor: str | None) -> tuple[Any, Any]:
            cancel.check()
            conn = connector or self._factory(account, self._secret_store())
            return conn, engine.fetch(conn, cursor)

        def read_cursor(store: Store) -> str | None:
            return store.account_cursor(account.id)

        def fetched(result: Any, exc: BaseException | None) -> None:
            if not shiboken6.isValid(self):
                return
            if exc is not None:
                self._account_failed(account, outcome, exc)
                return
            conn, page = result

            def apply(store: Store) -> tuple[int, Changes]:
                return engine.apply(store, account.id, page, scorer=self._scorer)

            def applied(new: int) -> None:
                outcome.pages += 1
                outcome.fetched += len(page.items)
                outcome.new_messages += new
                self.progress.emit(len(self._results), self._total,
                                   f"{account.handle}: {outcome.fetched} fetched, "
                                   f"{outcome.new_messages} new")
                if page.has_more and outcome.pages < engine.MAX_PAGES and not cancel.cancelled:
                    self._ops.query(read_cursor, parent=self).success(
                        lambda cursor: self._ops.runner.run_net(lambda: fetch(cursor), fetched)
                    ).run()
                else:
                    self._account_done(outcome)

            self._ops.write(apply, parent=self).success(applied).failure(
                lambda e: self._account_failed(account, outcome, e)).run(initiator=self)

        self._ops.query(read_cursor, parent=self).success(
            lambda cursor: self._ops.runner.run_net(lambda: fetch(cursor), fetched)).run()

    def _account_failed(self, account: Account, outcome: engine.AccountSync,
                        exc: BaseException) -> None:
        message, offline = engine.describe_error(exc)
        if isinstance(exc, engine.Cancelled):
            message, offline = "Cancelled", False
        elif not isinstance(exc, KnownError):
            log.error("sync of %s failed", account.handle, exc_info=exc)
        outcome.error = message
        outcome.offline = offline
        self._ops.write(lambda s: s.record_sync(account.id, error=message), parent=self).run()
        self._account_done(outcome)

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
        if not offline:
            self.send_outbox()

    # ------------------------------------------------------------ outbox
    def send_outbox(self) -> None:
        """Send every approved reply (the demo workspace sends locally)."""
        factory = self._factory

        def start(store: Store) -> tuple[list[Any], bool]:
            return store.approved_replies(), bool(store.get_setting("workspace.demo"))

        def begin(result: tuple[list[Any], bool]) -> None:
            replies, demo = result
            if not replies:
                return
            if demo:
                def local(store: Store) -> tuple[list[engine.SendOutcome], Changes]:
                    outcomes = [engine.send_local(store, r.id) for r in replies]
                    changes = Changes()
                    for o in outcomes:
                        changes |= o.changes
                    return outcomes, changes

                self._ops.write(local, parent=self).success(self.outbox_finished.emit) \
                    .run(initiator=self)
                return
            # One reply at a time: plan (writer), post (network pool), finish (writer),
            # so the database is never held during a network call.
            self._send_chain(list(replies), [], set(), factory, {})

        self._ops.query(start, parent=self).success(begin).run()

    def _send_chain(self, queue: list[Any], outcomes: list[engine.SendOutcome],
                    blocked: set[int], factory: Any, cache: dict[int, Connector]) -> None:
        while queue and queue[0].case_id in blocked:
            queue.pop(0)
        if not queue:
            self.outbox_finished.emit(outcomes)
            return
        reply = queue.pop(0)

        def plan(store: Store) -> tuple[engine.SendPlan, Account]:
            return engine.plan_send(store, reply.id), store.account(reply.account_id)

        def planned(result: tuple[engine.SendPlan, Account]) -> None:
            send_plan, account = result

            def post() -> tuple[Any, bool]:
                if account.id not in cache:
                    cache[account.id] = factory(account, self._secret_store())
                return engine.post(cache[account.id], send_plan)

            def posted(value: Any, exc: BaseException | None) -> None:
                sent, found = value if exc is None else (None, False)

                def finish(store: Store) -> tuple[engine.SendOutcome, Changes]:
                    outcome = engine.finish_send(store, send_plan, sent, exc, reconciled=found)
                    return outcome, outcome.changes

                def finished(outcome: engine.SendOutcome) -> None:
                    outcomes.append(outcome)
                    if not outcome.sent:
                        blocked.add(outcome.case_id)
                    self._send_chain(queue, outcomes, blocked, factory, cache)

                self._ops.write(finish, parent=self).success(finished).run(initiator=self)

            self._ops.runner.run_net(post, posted)

        def not_planned(exc: BaseException) -> None:
            outcomes.append(engine.SendOutcome(reply_id=reply.id, case_id=reply.case_id,
                                               error=str(exc), final=True))
            blocked.add(reply.case_id)
            self._send_chain(queue, outcomes, blocked, factory, cache)

        self._ops.write(lambda s: (plan(s), Changes(replies=True)), parent=self) \
            .success(planned).failure(not_planned).run(initiator=self)

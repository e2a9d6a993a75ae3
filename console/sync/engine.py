"""Sync and send: network-only steps (fetch, post), database-only steps (apply), one driver.

No step does both, and the drivers (:func:`sync_account`, :func:`send_outbox`)
never touch the database themselves: every database step goes through a
:data:`Db`, a function that runs the step where the caller's database lives.
The command line passes the store itself (the step runs right there); the
window passes a function that runs the step on its one writer thread and waits
for the answer on the network worker. So both run the same code, and the
database is never held during a network call. The engine has no notion of time
beyond what it is given.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol, TypeVar
from urllib.parse import urlsplit

from console.connectors.base import Connector, Page, ReplyTarget, SentRef
from console.core.changes import Changes
from console.core.errors import (
    AuthError,
    KnownError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    ReconnectNeeded,
    RejectedError,
    SecretStoreError,
    StorageError,
)
from console.core.ids import AccountId, ReplyId
from console.core.models import Account, Platform, Reply, ReplyState
from console.core.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")

#: At most this many pages per account and sync, so one busy account cannot starve the rest.
MAX_PAGES = 20

#: Makes the connector for an account (it may read the keyring: call it on a worker).
Connect = Callable[[Account], Connector]


class Db(Protocol):
    """Runs one database step, ``step(store)``, and returns its result."""

    def __call__(self, step: Callable[[Store], T], /) -> T: ...


def direct(store: Store) -> Db:
    """A :data:`Db` that runs each step right here on ``store`` (command line, tests)."""

    def run(step: Callable[[Store], T], /) -> T:
        return step(store)

    return run


def _db(db: Store | Db) -> Db:
    return direct(db) if isinstance(db, Store) else db


class Cancelled(KnownError):
    """The user stopped the sync."""


@dataclass
class AccountSync:
    """How one account's sync went."""

    account: Account
    fetched: int = 0
    new_messages: int = 0
    pages: int = 0
    error: str | None = None
    offline: bool = False
    cancelled: bool = False
    retry_after: float | None = None
    # A teammate's app was syncing this account (team server): skipped, not failed.
    busy_elsewhere: bool = False
    changes: Changes = field(default_factory=Changes)

    @property
    def ok(self) -> bool:
        return self.error is None

    def snapshot(self) -> AccountSync:
        """A copy to hand to another thread while this one keeps counting."""
        return dataclasses.replace(self)

    def fail(self, exc: BaseException) -> None:
        """Record why the sync stopped (the user's words for it)."""
        if isinstance(exc, Cancelled):
            self.error, self.cancelled = str(exc), True
            return
        self.error, self.offline = describe_error(exc)
        if isinstance(exc, RateLimitedError):
            self.retry_after = exc.retry_after


class CancelToken:
    """Set from any thread; checked between pages and sends."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled("Sync cancelled.")


def describe_error(exc: BaseException) -> tuple[str, bool]:
    """A message for the user, and whether it means we are offline."""
    if isinstance(exc, NetworkError):
        return f"Offline or unreachable: {exc}", True
    if isinstance(exc, RateLimitedError):
        wait = f" Try again in {int(exc.retry_after)} s." if exc.retry_after else ""
        return f"Rate limited by the platform.{wait}", False
    if isinstance(exc, AuthError):
        return f"Credentials refused: {exc} Re-enter them in the accounts dialog.", False
    if isinstance(exc, KnownError):
        return str(exc), False
    return f"Unexpected error: {type(exc).__name__}: {exc}", False


# ----------------------------------------------------------------- fetching
def fetch(connector: Connector, cursor: str | None) -> Page:
    """Network only: one page of inbound items newer than ``cursor``."""
    return connector.fetch_since(cursor)


def apply(store: Store, account_id: AccountId, page: Page, *,
          scorer: Callable[[str], float | None] | None = None) -> tuple[int, Changes]:
    """Database only: store a fetched page and move the account's cursor past it.

    The messages and the cursor are written in one transaction, so a crash
    between pages neither loses nor repeats anything.

    Returns:
        How many messages were new, and what changed.
    """
    with store.atomic():
        result = store.ingest(page.items, actor="sync", scorer=scorer)
        changes = result.changes | store.record_sync(account_id, cursor=page.cursor)
    return len(result.new_message_ids), changes


def sync_account(db: Store | Db, account: Account, connect: Connect, *,
                 scorer: Callable[[str], float | None] | None = None,
                 cancel: CancelToken | None = None,
                 progress: Callable[[AccountSync], None] | None = None) -> AccountSync:
    """Sync one account unless a teammate's app is syncing it right now (a team server).

    Then this app skips it (``busy_elsewhere``): the messages reach everyone through the
    shared workspace, fetched once.  See ``_sync_account`` for the rest.
    """
    run = _db(db)
    if not run(functools.partial(_claim_sync, account_id=account.id)):
        return AccountSync(account=account, busy_elsewhere=True)
    try:
        return _sync_account(run, account, connect, scorer=scorer, cancel=cancel,
                             progress=progress)
    finally:
        run(functools.partial(_release_sync, account_id=account.id))


def _claim_sync(store: Store, account_id: AccountId) -> bool:
    return store.claim_sync(account_id)


def _release_sync(store: Store, account_id: AccountId) -> None:
    store.release_sync(account_id)


def _sync_account(db: Store | Db, account: Account, connect: Connect, *,
                  scorer: Callable[[str], float | None] | None = None,
                  cancel: CancelToken | None = None,
                  progress: Callable[[AccountSync], None] | None = None) -> AccountSync:
    """Fetch and apply pages until the account is caught up (or MAX_PAGES).

    Args:
        db: the store, or a :data:`Db` that runs database steps elsewhere.
        account: the account to sync.
        connect: makes its connector (called here, so a failure is this account's).
        scorer: sentiment of a message text, for new messages.
        cancel: checked before each page and again before storing it.
        progress: called after each page with the running totals.

    Returns:
        How it went. One account's failure is reported here (and recorded on the
        account), never raised, so it cannot stop the other accounts.
    """
    run = _db(db)
    outcome = AccountSync(account=account)
    # One page downloads on this helper thread while the one before it is scored and
    # stored here, so the network and the CPU work overlap.
    prefetch = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-prefetch")
    try:
        if cancel is not None:
            cancel.check()
        connector = connect(account)
        cursor = run(functools.partial(_cursor, account_id=account.id))
        pending: Future[Page] | None = prefetch.submit(fetch, connector, cursor)
        for number in range(1, MAX_PAGES + 1):
            if cancel is not None:
                cancel.check()
            assert pending is not None
            page = pending.result()
            pending = None
            if cancel is not None:
                # Cancelled while the page was on its way: stop now, store nothing of it.
                # The cursor did not move, so the next sync fetches it again.
                cancel.check()
            if page.has_more and number < MAX_PAGES:
                pending = prefetch.submit(fetch, connector, page.cursor or cursor)
            new, changes = run(functools.partial(apply, account_id=account.id, page=page,
                                                 scorer=_scored(page, scorer)))
            outcome.pages += 1
            outcome.fetched += len(page.items)
            outcome.new_messages += new
            outcome.changes |= changes
            cursor = page.cursor or cursor
            if progress is not None:
                progress(outcome)
            if not page.has_more:
                break
    except Exception as exc:  # any one account's failure stays with that account
        outcome.fail(exc)
        if not isinstance(exc, KnownError):
            log.error("sync of %s failed", account.handle, exc_info=exc)
        if not outcome.cancelled:
            try:
                outcome.changes |= run(functools.partial(_record_error, account_id=account.id,
                                                         error=outcome.error))
            except Exception:  # the window is closing, say: the outcome still stands
                log.warning("could not record the sync error of %s", account.handle,
                            exc_info=True)
    finally:
        # A page still on its way is dropped (its cursor was never stored); wait for it,
        # so the connector is never used by two threads at once.
        prefetch.shutdown(wait=True, cancel_futures=True)
    return outcome


def _scored(page: Page, scorer: Callable[[str], float | None] | None
            ) -> Callable[[str], float | None] | None:
    """Score the page's texts here (the network thread), not in the database step."""
    if scorer is None:
        return None
    scores: dict[str, float | None] = {}
    for item in page.items:
        if item.text not in scores:
            scores[item.text] = scorer(item.text)
    return lambda text: scores[text] if text in scores else scorer(text)


def _cursor(store: Store, *, account_id: AccountId) -> str | None:
    return store.account_cursor(account_id)


def _record_error(store: Store, *, account_id: AccountId, error: str | None) -> Changes:
    return store.record_sync(account_id, error=error)


# ------------------------------------------------------------------ sending
@dataclass
class SendOutcome:
    reply_id: ReplyId
    case_id: int
    sent: bool = False
    reconciled: bool = False  # found already posted: not sent twice
    error: str | None = None
    final: bool = False  # marked failed: needs an edit or a retry by hand, not a resend
    held: bool = False  # back to approved: its account must be reconnected first
    busy_elsewhere: bool = False  # a teammate's app is sending it (team server)
    changes: Changes = field(default_factory=Changes)


@dataclass(frozen=True)
class SendPlan:
    """What the network step needs for one reply (plain data, no store)."""

    reply: Reply
    account: Account
    target: ReplyTarget
    interrupted: bool  # a previous attempt may have reached the platform


def plan_send(store: Store, reply_id: ReplyId) -> SendPlan:
    """Database only: mark the reply as sending (saved BEFORE any network call).

    Raises:
        KnownError: the reply cannot be sent as it is (no message to answer, its
            account is gone, it is no longer approved).
    """
    before = store.reply(reply_id)
    if before.in_reply_to_message_id is None:
        raise NotFoundError(f"Reply #{reply_id} does not say which message it answers.")
    try:
        account = store.account(before.account_id)
    except NotFoundError:
        raise NotFoundError(f"The account of reply #{reply_id} ({before.account_handle}) "
                            "was removed.") from None
    # The one send path re-checks the route: whatever wrote the reply, a Mastodon
    # thread never gets a post from a Bluesky account.
    store.check_reply_route(reply_id)
    message, extra = store.message(before.in_reply_to_message_id)
    interrupted = before.state is ReplyState.SENDING
    store.mark_reply_sending(reply_id)
    reply = store.reply(reply_id)
    # A reply made private ("continue in a direct message") overrides the message's.
    visibility = before.visibility or extra.get("visibility")
    target = ReplyTarget(remote_id=message.remote_id, author_handle=message.author_handle,
                         visibility=visibility if isinstance(visibility, str) else None,
                         extra=extra)
    return SendPlan(reply=reply, account=account, target=target, interrupted=interrupted)


def post(connector: Connector, plan: SendPlan) -> tuple[SentRef, bool]:
    """Network only: post the reply once.

    After an interrupted attempt, look for it on the platform first: the
    Idempotency-Key (Mastodon) or ``find_sent_reply`` (Bluesky, X) keeps a
    retry from posting twice. Returns the reference and whether it was found.
    """
    if plan.interrupted:
        found = connector.find_sent_reply(plan.target, plan.reply.body,
                                          plan.reply.created_at - dt.timedelta(minutes=5))
        if found is not None:
            return found, True
    sent = connector.send_reply(plan.target, plan.reply.body,
                                idempotency_key=plan.reply.idempotency_key,
                                visibility=plan.target.visibility)
    return sent, False


def finish_send(store: Store, plan: SendPlan, result: SentRef | None,
                error: BaseException | None, *, reconciled: bool = False) -> SendOutcome:
    """Database only: record what happened to one reply."""
    reply = plan.reply
    outcome = SendOutcome(reply_id=reply.id, case_id=reply.case_id)
    if error is None and result is not None:
        outcome.changes = store.mark_reply_sent(reply.id, remote_id=result.remote_id,
                                                url=result.url)
        outcome.sent = True
        outcome.reconciled = reconciled
        return outcome
    message, _offline = describe_error(error or KnownError("no answer"))
    outcome.error = message
    if isinstance(error, ReconnectNeeded):
        # Refused before anything was posted (the token could not be renewed): the reply
        # waits in the outbox, approved, until the account is signed in again.
        outcome.changes = store.mark_reply_held(reply.id, message)
        outcome.held = True
        return outcome
    if isinstance(error, (RejectedError, AuthError, NotFoundError)):
        # The platform said no to this exact request: show it, to edit or retry by hand.
        outcome.changes = store.mark_reply_failed(reply.id, message)
        outcome.final = True
    # Otherwise (offline, timeout, 5xx, rate limit) the reply stays "sending": the
    # next attempt reconciles first, so it is never posted twice.
    return outcome


def hold(store: Store, reply: Reply, reason: str) -> SendOutcome:
    """Database only: a reply whose account needs reconnecting goes back to approved."""
    changes = store.mark_reply_held(reply.id, reason)
    return SendOutcome(reply_id=reply.id, case_id=reply.case_id, error=reason, held=True,
                       changes=changes)


def fail_unplanned(store: Store, reply: Reply, reason: str) -> SendOutcome:
    """Database only: a reply that cannot be sent at all is marked failed, with the reason."""
    changes = store.mark_reply_failed(reply.id, reason)
    return SendOutcome(reply_id=reply.id, case_id=reply.case_id, error=reason, final=True,
                       changes=changes)


#: The demo workspace's built-in accounts live on the reserved ``.example`` names
#: (RFC 2606, RFC 6761: they never resolve), so a real account is never taken for one.
DEMO_DOMAIN = ".example"


def sends_locally(account: Account, *, demo_workspace: bool) -> bool:
    """Whether ``account`` 'sends' by recording its replies here instead of posting them.

    Only the demo workspace's own accounts do: a real account added to the demo
    workspace sends for real (or its reply fails with the reason, never marked sent).
    """
    if not demo_workspace:
        return False
    if account.platform is Platform.DEMO:
        return True
    host = (urlsplit(account.server or "").hostname or "").casefold().rstrip(".")
    return host.endswith(DEMO_DOMAIN)


def local_accounts(store: Store) -> set[AccountId]:
    """Database only: the accounts whose replies are recorded locally (the demo's own)."""
    demo = bool(store.get_setting("workspace.demo"))
    return {a.id for a in store.accounts() if sends_locally(a, demo_workspace=demo)}


def send_local(store: Store, reply_id: ReplyId) -> SendOutcome:
    """The demo workspace's built-in accounts 'send' by recording the reply locally."""
    reply = store.reply(reply_id)
    store.check_reply_route(reply_id)
    store.mark_reply_sending(reply_id)
    changes = store.mark_reply_sent(reply_id, remote_id=f"demo-sent-{reply.idempotency_key}",
                                    url=None)
    return SendOutcome(reply_id=reply_id, case_id=reply.case_id, sent=True, changes=changes)


def _outbox(store: Store) -> tuple[list[Reply], set[AccountId]]:
    return store.approved_replies(), local_accounts(store)


def send_outbox(db: Store | Db, connect: Connect, *,
                cancel: CancelToken | None = None,
                progress: Callable[[SendOutcome], None] | None = None) -> list[SendOutcome]:
    """Send every approved reply, in order within each case.

    The demo workspace's own accounts record their replies locally
    (:func:`sends_locally`); every other account posts through its connector.

    A reply that fails holds back the later replies of its case, so a customer
    never gets the second answer before the first. A reply that cannot be
    planned (no message to answer, its account removed, no connector for its
    account) is marked failed with the reason.

    Args:
        db: the store, or a :data:`Db` that runs database steps elsewhere.
        connect: makes the connector of an account (once per account and run).
        cancel: checked before each reply.
        progress: called after each reply.

    Returns:
        One outcome per reply tried.
    """
    run = _db(db)
    outcomes: list[SendOutcome] = []
    replies, local = run(_outbox)
    blocked_cases: set[int] = set()
    cache: dict[AccountId, Connector] = {}
    for reply in replies:
        if cancel is not None and cancel.cancelled:
            break
        if reply.case_id in blocked_cases:
            continue
        if reply.account_id in local:
            try:
                outcome = run(functools.partial(send_local, reply_id=reply.id))
            except KnownError as exc:
                outcome = run(functools.partial(fail_unplanned, reply=reply, reason=str(exc)))
        else:
            outcome = _send_one(run, reply, connect, cache)
        if not outcome.sent:
            blocked_cases.add(reply.case_id)
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return outcomes


def _send_one(run: Db, reply: Reply, connect: Connect,
              cache: dict[AccountId, Connector]) -> SendOutcome:
    """Send one reply if this app can claim it (a teammate's app may be sending it)."""
    if not run(functools.partial(_claim_send, reply_id=reply.id)):
        return SendOutcome(reply_id=reply.id, case_id=reply.case_id, busy_elsewhere=True)
    try:
        return _send_claimed(run, reply, connect, cache)
    finally:
        run(functools.partial(_release_send, reply_id=reply.id))


def _claim_send(store: Store, reply_id: ReplyId) -> bool:
    return store.claim_send(reply_id)


def _release_send(store: Store, reply_id: ReplyId) -> None:
    store.release_send(reply_id)


def _still_claimed(store: Store, reply_id: ReplyId) -> bool:
    try:
        return store.still_claimed(reply_id)
    except StorageError:  # the link is down right now: the claim went with it
        return False


def _send_claimed(run: Db, reply: Reply, connect: Connect,
                  cache: dict[AccountId, Connector]) -> SendOutcome:
    try:
        plan = run(functools.partial(plan_send, reply_id=reply.id))
    except KnownError as exc:
        return run(functools.partial(fail_unplanned, reply=reply, reason=str(exc)))
    try:
        if plan.account.id not in cache:
            cache[plan.account.id] = connect(plan.account)
    except SecretStoreError as exc:  # a locked keyring: try again later, not the reply's fault
        return SendOutcome(reply_id=reply.id, case_id=reply.case_id, error=str(exc))
    except ReconnectNeeded as exc:  # the sign-in must be renewed: keep the reply queued
        return run(functools.partial(hold, reply=reply, reason=str(exc)))
    except KnownError as exc:  # no connector for this account: it can never go out as it is
        return run(functools.partial(fail_unplanned, reply=reply, reason=f"Not sent: {exc}"))
    if not run(functools.partial(_still_claimed, reply_id=reply.id)):
        # The link to the team server dropped since the claim, and the claim with it: a
        # teammate's app may be sending this reply now. Leave it "sending": whoever claims
        # it next looks it up on the platform (by its key) before posting anything.
        return SendOutcome(reply_id=reply.id, case_id=reply.case_id, busy_elsewhere=True)
    try:
        sent, found = post(cache[plan.account.id], plan)
    except Exception as exc:
        if not isinstance(exc, KnownError):
            log.error("sending reply #%s failed", reply.id, exc_info=exc)
        return run(functools.partial(finish_send, plan=plan, result=None, error=exc))
    return run(functools.partial(finish_send, plan=plan, result=sent, error=None,
                                 reconciled=found))

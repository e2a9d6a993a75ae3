"""Sync and send, in two kinds of steps: network only (fetch, post) and database only (apply).

No function here does both, so the UI can run the network steps on its network
pool and the database steps on its writer thread; the CLI simply calls them in
turn. The engine has no notion of time beyond what it is given.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from console.connectors.base import Connector, Page, ReplyTarget, SentRef
from console.core.changes import Changes
from console.core.errors import (
    AuthError,
    KnownError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    RejectedError,
)
from console.core.ids import AccountId, ReplyId
from console.core.models import Account, Reply, ReplyState
from console.core.store import Store

log = logging.getLogger(__name__)

#: At most this many pages per account and sync, so one busy account cannot starve the rest.
MAX_PAGES = 20


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
    retry_after: float | None = None
    changes: Changes = field(default_factory=Changes)

    @property
    def ok(self) -> bool:
        return self.error is None


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


# ----------------------------------------------------------------- fetching
def fetch(connector: Connector, cursor: str | None) -> Page:
    """Network only: one page of inbound items newer than ``cursor``."""
    return connector.fetch_since(cursor)


def apply(store: Store, account_id: AccountId, page: Page, *,
          scorer: Callable[[str], float | None] | None = None) -> tuple[int, Changes]:
    """Database only: store a fetched page and move the account's cursor past it.

    The messages and the cursor are written in one transaction, so a crash
    between pages neither loses nor repeats anything.
    """
    with store.atomic():
        result = store.ingest(page.items, actor="sync", scorer=scorer)
        changes = result.changes | store.record_sync(account_id, cursor=page.cursor)
    return len(result.new_message_ids), changes


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


def sync_account(store: Store, account: Account, connector: Connector, *,
                 scorer: Callable[[str], float | None] | None = None,
                 cancel: CancelToken | None = None,
                 progress: Callable[[AccountSync], None] | None = None) -> AccountSync:
    """Fetch and apply pages until the account is caught up (headless use: CLI, cron).

    One account's failure is reported in its AccountSync, never raised.
    """
    outcome = AccountSync(account=account)
    cursor = store.account_cursor(account.id)
    try:
        for _ in range(MAX_PAGES):
            if cancel is not None:
                cancel.check()
            page = fetch(connector, cursor)
            new, changes = apply(store, account.id, page, scorer=scorer)
            outcome.pages += 1
            outcome.fetched += len(page.items)
            outcome.new_messages += new
            outcome.changes |= changes
            cursor = page.cursor or cursor
            if progress is not None:
                progress(outcome)
            if not page.has_more:
                break
    except Cancelled as exc:
        outcome.error = str(exc)
    except Exception as exc:  # any one account's failure stays with that account
        message, offline = describe_error(exc)
        outcome.error = message
        outcome.offline = offline
        if isinstance(exc, RateLimitedError):
            outcome.retry_after = exc.retry_after
        if not isinstance(exc, KnownError):
            log.exception("sync of %s failed", account.handle)
        store.record_sync(account.id, error=message)
    return outcome


# ------------------------------------------------------------------ sending
@dataclass
class SendOutcome:
    reply_id: ReplyId
    case_id: int
    sent: bool = False
    reconciled: bool = False  # found already posted: not sent twice
    error: str | None = None
    final: bool = False  # the platform refused it: needs an edit, not a retry
    changes: Changes = field(default_factory=Changes)


@dataclass(frozen=True)
class SendPlan:
    """What the network step needs for one reply (plain data, no store)."""

    reply: Reply
    target: ReplyTarget
    interrupted: bool  # a previous attempt may have reached the platform


def plan_send(store: Store, reply_id: ReplyId) -> SendPlan:
    """Database only: mark the reply as sending (saved BEFORE any network call)."""
    before = store.reply(reply_id)
    if before.in_reply_to_message_id is None:
        raise NotFoundError(f"Reply #{reply_id} does not say which message it answers.")
    message, extra = store.message(before.in_reply_to_message_id)
    interrupted = before.state is ReplyState.SENDING
    store.mark_reply_sending(reply_id)
    reply = store.reply(reply_id)
    visibility = extra.get("visibility")
    target = ReplyTarget(remote_id=message.remote_id, author_handle=message.author_handle,
                         visibility=visibility if isinstance(visibility, str) else None,
                         extra=extra)
    return SendPlan(reply=reply, target=target, interrupted=interrupted)


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
    if isinstance(error, (RejectedError, AuthError, NotFoundError)):
        # The platform said no to this exact request: show it, to edit or retry by hand.
        outcome.changes = store.mark_reply_failed(reply.id, message)
        outcome.final = True
    # Otherwise (offline, timeout, 5xx, rate limit) the reply stays "sending": the
    # next attempt reconciles first, so it is never posted twice.
    return outcome


def send_local(store: Store, reply_id: ReplyId) -> SendOutcome:
    """The demo workspace's built-in accounts 'send' by recording the reply locally."""
    reply = store.reply(reply_id)
    store.mark_reply_sending(reply_id)
    changes = store.mark_reply_sent(reply_id, remote_id=f"demo-sent-{reply.idempotency_key}",
                                    url=None)
    return SendOutcome(reply_id=reply_id, case_id=reply.case_id, sent=True, changes=changes)


def send_outbox(store: Store, connectors: Callable[[Account], Connector], *,
                cancel: CancelToken | None = None,
                progress: Callable[[SendOutcome], None] | None = None) -> list[SendOutcome]:
    """Send every approved reply, in order within each case (headless use).

    A reply that fails holds back the later replies of its case, so a customer
    never gets the second answer before the first.
    """
    outcomes: list[SendOutcome] = []
    demo = bool(store.get_setting("workspace.demo"))
    blocked_cases: set[int] = set()
    cache: dict[int, Connector] = {}
    for reply in store.approved_replies():
        if cancel is not None and cancel.cancelled:
            break
        if reply.case_id in blocked_cases:
            continue
        if demo:
            outcome = send_local(store, reply.id)
        else:
            try:
                plan = plan_send(store, reply.id)
            except KnownError as exc:
                store.mark_reply_failed(reply.id, str(exc))
                outcomes.append(SendOutcome(reply_id=reply.id, case_id=reply.case_id,
                                            error=str(exc), final=True))
                blocked_cases.add(reply.case_id)
                continue
            try:
                if reply.account_id not in cache:
                    cache[reply.account_id] = connectors(store.account(reply.account_id))
                sent, found = post(cache[reply.account_id], plan)
                outcome = finish_send(store, plan, sent, None, reconciled=found)
            except Exception as exc:
                if not isinstance(exc, KnownError):
                    log.exception("sending reply #%s failed", reply.id)
                outcome = finish_send(store, plan, None, exc)
        if not outcome.sent:
            blocked_cases.add(reply.case_id)
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return outcomes


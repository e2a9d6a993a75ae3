"""The sync engine and the outbox, against the deterministic FakeConnector and a real store."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest

from console.connectors.fake import FakeConnector
from console.core import timeutil
from console.core.errors import (
    AuthError,
    KnownError,
    NetworkError,
    RateLimitedError,
    RejectedError,
    SecretStoreError,
)
from console.core.models import ReplyState
from console.core.store import Store
from console.sync import engine


@pytest.fixture
def world(new_store):  # type: ignore[no-untyped-def]
    # Both backends: a laptop file and a team server run the same engine.
    store = new_store()
    store.set_setting("user.name", "Sam")
    a, _ = store.add_account(platform="demo", handle="support@demo.example")
    b, _ = store.add_account(platform="demo", handle="hello@demo.example")
    support = FakeConnector(handle="support@demo.example", page_size=3, clock=timeutil.now)
    hello = FakeConnector(handle="hello@demo.example", page_size=3, clock=timeutil.now)
    connectors = {a: support, b: hello}
    return store, connectors


def accounts(store: Store) -> dict[str, object]:
    return {a.handle: a for a in store.accounts()}


def test_sync_is_incremental_and_threads_across_accounts(world) -> None:
    store, connectors = world
    acc = accounts(store)
    support = connectors[acc["support@demo.example"].id]
    hello = connectors[acc["hello@demo.example"].id]
    for i in range(7):
        support.add_incoming(f"cust{i}@x", f"problem {i}")
    hello.add_incoming("cust1@x", "also, marketing: where is my parcel?")
    out = engine.sync_account(store, acc["support@demo.example"], lambda _a: support)
    assert (out.ok, out.pages, out.fetched, out.new_messages) == (True, 3, 7, 7)
    assert store.account_cursor(acc["support@demo.example"].id) == "7"
    engine.sync_account(store, acc["hello@demo.example"], lambda _a: hello)
    assert store.case_count() == 7  # cust1 wrote to both accounts: one case
    again = engine.sync_account(store, acc["support@demo.example"], lambda _a: support)
    assert (again.fetched, again.new_messages) == (0, 0)
    support.add_incoming("cust9@x", "new one")
    later = engine.sync_account(store, acc["support@demo.example"], lambda _a: support)
    assert (later.fetched, later.new_messages) == (1, 1)


def test_one_failing_account_does_not_stop_the_others(world) -> None:
    store, connectors = world
    acc = accounts(store)
    support = connectors[acc["support@demo.example"].id]
    hello = connectors[acc["hello@demo.example"].id]
    support.add_incoming("a@x", "hi")
    hello.add_incoming("b@x", "hi")
    support.fail_next("fetch_since", AuthError("The access token was revoked"))
    results = [engine.sync_account(store, a, lambda x: connectors[x.id]) for a in store.accounts()]
    by = {r.account.handle: r for r in results}
    assert not by["support@demo.example"].ok
    assert "revoked" in by["support@demo.example"].error
    assert by["hello@demo.example"].ok and by["hello@demo.example"].new_messages == 1
    status = store.sync_status()
    assert "revoked" in status[acc["support@demo.example"].id][1]
    assert status[acc["hello@demo.example"].id][1] is None


def test_offline_and_rate_limits_are_reported(world) -> None:
    store, connectors = world
    acc = accounts(store)["support@demo.example"]
    fake = connectors[acc.id]
    fake.add_incoming("a@x", "hi")
    fake.fail_next("fetch_since", NetworkError("example.test is unreachable"))
    out = engine.sync_account(store, acc, lambda _a: fake)
    assert out.offline and "Offline" in out.error
    fake.fail_next("fetch_since", RateLimitedError("slow down", retry_after=42))
    out = engine.sync_account(store, acc, lambda _a: fake)
    assert out.retry_after == 42 and "42" in out.error
    assert store.message_count() == 0
    assert engine.sync_account(store, acc, lambda _a: fake).new_messages == 1


def test_cancel_stops_between_pages(world) -> None:
    store, connectors = world
    acc = accounts(store)["support@demo.example"]
    fake = connectors[acc.id]
    for i in range(9):
        fake.add_incoming(f"c{i}@x", "hi")
    token = engine.CancelToken()
    out = engine.sync_account(store, acc, lambda _a: fake, cancel=token,
                              progress=lambda o: token.cancel())
    assert out.pages == 1 and out.error == "Sync cancelled."
    assert store.message_count() == 3  # the page that arrived is kept


def approve(store: Store, case_id: int, text: str, account_id: int) -> int:
    detail = store.case_detail(case_id)
    reply_id, _ = store.save_draft(case_id, account_id=account_id, body=text,
                                   in_reply_to_message_id=detail.messages[-1].id)
    store.approve_reply(reply_id)
    return reply_id


def one_case(store: Store, fake: FakeConnector, acc: Any, *texts: str) -> tuple[int, list[int]]:
    """A case from one inbound message, with ``texts`` approved as replies in that order."""
    fake.add_incoming("a@x", "broken")
    engine.sync_account(store, acc, lambda _a: fake)
    (case_id,) = [r.id for r in store.cases_page()]
    return case_id, [approve(store, case_id, text, acc.id) for text in texts]


def test_outbox_sends_once_in_order_and_reconciles_a_dropped_connection(world) -> None:
    store, connectors = world
    acc = accounts(store)["support@demo.example"]
    fake = connectors[acc.id]
    case_id, (first, second) = one_case(store, fake, acc, "Sorry! Looking now.",
                                        "Fixed: new one on its way.")
    fake.calls.clear()
    fake.drop_connection_after_post()  # the platform accepts the post, the answer is lost
    out = engine.send_outbox(store, lambda a: connectors[a.id])
    assert [(o.reply_id, o.sent) for o in out] == [(first, False)]  # the second waits
    assert store.reply(first).state is ReplyState.SENDING
    out = engine.send_outbox(store, lambda a: connectors[a.id])
    assert [(o.reply_id, o.sent, o.reconciled) for o in out] == [(first, True, True),
                                                                  (second, True, False)]
    # The fake posts every call it gets (it drops no repeated key), so exactly one post
    # per reply shows the engine looked the first one up instead of posting it again.
    assert fake.calls == ["send_reply", "find_sent_reply", "send_reply"]
    assert [s.text for s in fake.sent] == ["Sorry! Looking now.", "Fixed: new one on its way."]
    keys = [key for key, _parent, _text in fake.send_attempts]
    assert keys == [store.reply(first).idempotency_key, store.reply(second).idempotency_key]
    assert keys[0] != keys[1]
    detail = store.case_detail(case_id)
    outbound = [m for m in detail.messages if m.direction.value == "out"]
    assert [m.text for m in outbound] == ["Sorry! Looking now.", "Fixed: new one on its way."]
    assert outbound[0].url == fake.sent[0].ref.url
    assert detail.first_response_at is not None
    assert engine.send_outbox(store, lambda a: connectors[a.id]) == []
    assert len(fake.sent) == 2


def test_every_attempt_of_a_reply_sends_the_same_idempotency_key(world) -> None:
    store, connectors = world
    acc = accounts(store)["support@demo.example"]
    fake = connectors[acc.id]
    _case, (reply_id,) = one_case(store, fake, acc, "On it.")
    key = store.reply(reply_id).idempotency_key
    assert key
    # Two attempts that never reached the platform, then one that did.
    fake.fail_next("send_reply", NetworkError("example.test is unreachable"), times=2)
    for _ in range(2):
        (out,) = engine.send_outbox(store, lambda a: connectors[a.id])
        assert not out.sent and not out.final and "Offline" in out.error
        assert store.reply(reply_id).state is ReplyState.SENDING
    (out,) = engine.send_outbox(store, lambda a: connectors[a.id])
    assert out.sent and not out.reconciled
    assert [k for k, _p, _t in fake.send_attempts] == [key, key, key]
    assert store.reply(reply_id).idempotency_key == key
    assert store.reply(reply_id).attempts == 3
    assert len(fake.sent) == 1


def test_the_send_steps_keep_the_key_and_look_before_posting_again(world) -> None:
    store, connectors = world
    acc = accounts(store)["support@demo.example"]
    fake = connectors[acc.id]
    _case, (reply_id,) = one_case(store, fake, acc, "On it.")
    plan = engine.plan_send(store, reply_id)
    assert not plan.interrupted and plan.reply.state is ReplyState.SENDING
    assert plan.target.remote_id == fake.inbox[0].remote_id
    fake.drop_connection_after_post()
    with pytest.raises(NetworkError):
        engine.post(fake, plan)
    failed = engine.finish_send(store, plan, None, NetworkError("lost"))
    assert not failed.sent and not failed.final
    again = engine.plan_send(store, reply_id)
    assert again.interrupted and again.reply.idempotency_key == plan.reply.idempotency_key
    ref, found = engine.post(fake, again)
    assert found and ref == fake.sent[0].ref and len(fake.sent) == 1
    done = engine.finish_send(store, again, ref, None, reconciled=found)
    assert done.sent and done.reconciled and store.reply(reply_id).state is ReplyState.SENT
    # Interrupted but not found on the platform: posted again, with the same key.
    fake.sent.clear()
    ref, found = engine.post(fake, again)
    assert not found and len(fake.sent) == 1
    assert [k for k, _p, _t in fake.send_attempts] == [plan.reply.idempotency_key] * 2


def test_a_rate_limited_send_stays_queued_with_its_retry_time(world) -> None:
    store, connectors = world
    acc = accounts(store)["support@demo.example"]
    fake = connectors[acc.id]
    case_id, (first, second) = one_case(store, fake, acc, "one", "two")
    fake.fail_next("send_reply", RateLimitedError("Too many requests", retry_after=90))
    out = engine.send_outbox(store, lambda a: connectors[a.id])
    assert [(o.reply_id, o.sent, o.final) for o in out] == [(first, False, False)]
    assert "Rate limited" in out[0].error and "90 s" in out[0].error
    # Not failed: still in the outbox, and the next run sends it (once), then the second.
    assert store.reply(first).state in (ReplyState.APPROVED, ReplyState.SENDING)
    assert store.reply(first).error is None
    assert store.reply(second).state is ReplyState.APPROVED
    assert "reply_failed" not in [e.kind for e in store.case_events(case_id)]
    out = engine.send_outbox(store, lambda a: connectors[a.id])
    assert [(o.reply_id, o.sent) for o in out] == [(first, True), (second, True)]
    assert [s.text for s in fake.sent] == ["one", "two"]


def test_rejected_reply_fails_visibly_and_blocks_its_case(world) -> None:
    store, connectors = world
    acc = accounts(store)["support@demo.example"]
    fake = connectors[acc.id]
    fake.add_incoming("a@x", "broken")
    fake.add_incoming("b@x", "also broken")
    engine.sync_account(store, acc, lambda _a: fake)
    cases = [r.id for r in store.cases_page()]
    r1 = approve(store, cases[0], "one", acc.id)
    r2 = approve(store, cases[0], "two", acc.id)
    r3 = approve(store, cases[1], "three", acc.id)
    fake.fail_next("send_reply", RejectedError("Text is too long (422)"))
    out = {o.reply_id: o for o in engine.send_outbox(store, lambda a: connectors[a.id])}
    assert out[r1].final and "too long" in out[r1].error
    assert r2 not in out  # held back behind the failed one
    assert out[r3].sent
    failed = store.reply(r1)
    assert failed.state is ReplyState.FAILED and "too long" in failed.error
    assert store.reply(r2).state is ReplyState.APPROVED


def test_demo_workspace_sends_locally(tmp_path) -> None:
    from console.core import demo

    store = Store.open(demo.create_demo_workspace(tmp_path))
    case = store.cases_page()[0]
    account = store.case_detail(case.id).messages[-1].account_id
    reply_id = approve(store, case.id, "On it, sorry about this. ^SR", account)
    out = engine.send_outbox(store, lambda a: pytest.fail("no connector in the demo"))
    assert [o.sent for o in out] == [True]
    assert store.reply(reply_id).state is ReplyState.SENT
    assert store.case_detail(case.id).messages[-1].text == "On it, sorry about this. ^SR"


def test_database_steps_never_make_a_network_call(world) -> None:
    """The window runs each Db step on its writer thread: none may make or wait for a network call.

    The next page may download on the engine's prefetch thread while a step stores the one
    before it: the step does not wait for it, so the database is not held by the network.
    """
    store, connectors = world
    acc = accounts(store)["support@demo.example"]
    fake = connectors[acc.id]
    for i in range(7):
        fake.add_incoming(f"c{i}@x", "hi")
    stepping: set[int] = set()  # threads inside a database step
    steps: list[str] = []

    def db(step):  # type: ignore[no-untyped-def]
        stepping.add(threading.get_ident())
        try:
            steps.append(getattr(step, "func", step).__name__)
            return step(store)
        finally:
            stepping.discard(threading.get_ident())

    class Watched:
        def __getattr__(self, name: str) -> object:
            assert threading.get_ident() not in stepping, (
                f"network call {name} inside a database step")
            return getattr(fake, name)

    out = engine.sync_account(db, acc, lambda _a: Watched())
    assert out.ok and out.new_messages == 7
    assert steps == ["_claim_sync", "_cursor", "apply", "apply", "apply", "_release_sync"]
    (case_id, *_) = [r.id for r in store.cases_page()]
    approve(store, case_id, "On it.", acc.id)
    (sent,) = engine.send_outbox(db, lambda _a: Watched())
    assert sent.sent
    assert steps[6:] == ["_outbox", "_claim_send", "plan_send", "_still_claimed", "finish_send",
                         "_release_send"]


def test_connector_that_cannot_be_made_fails_the_account_not_the_run(world) -> None:
    store, connectors = world
    acc = accounts(store)

    def connect(account):  # type: ignore[no-untyped-def]
        if account.handle == "support@demo.example":
            raise KnownError("A Mastodon account needs its server.")
        return connectors[account.id]

    connectors[acc["hello@demo.example"].id].add_incoming("b@x", "hi")
    results = {a.handle: engine.sync_account(store, a, connect) for a in store.accounts()}
    assert results["support@demo.example"].error == "A Mastodon account needs its server."
    assert results["hello@demo.example"].new_messages == 1
    assert store.sync_status()[acc["support@demo.example"].id][1] == \
        "A Mastodon account needs its server."


def test_cancel_while_a_page_is_in_flight_stores_nothing_of_it(world) -> None:
    store, connectors = world
    acc = accounts(store)["support@demo.example"]
    fake = connectors[acc.id]
    fake.add_incoming("a@x", "hi")
    token = engine.CancelToken()

    class CancelledMidFetch:
        def fetch_since(self, cursor):  # type: ignore[no-untyped-def]
            page = fake.fetch_since(cursor)
            token.cancel()  # the user pressed Cancel while this page was on its way
            return page

    out = engine.sync_account(store, acc, lambda _a: CancelledMidFetch(), cancel=token)
    assert out.cancelled and out.pages == 0 and out.error == "Sync cancelled."
    assert store.message_count() == 0 and store.account_cursor(acc.id) is None
    assert store.sync_status()[acc.id][1] is None  # a cancel is not an error
    assert engine.sync_account(store, acc, lambda _a: fake).new_messages == 1


def test_reply_without_a_connector_is_marked_failed_with_the_reason(world) -> None:
    """The same function sends for the CLI (`outbox send`) and the window."""
    store, connectors = world
    acc = accounts(store)["support@demo.example"]
    fake = connectors[acc.id]
    fake.add_incoming("a@x", "broken")
    fake.add_incoming("b@x", "also broken")
    engine.sync_account(store, acc, lambda _a: fake)
    cases = [r.id for r in store.cases_page()]
    stuck = approve(store, cases[0], "one", acc.id)
    later = approve(store, cases[0], "two", acc.id)

    def no_connector(account):  # type: ignore[no-untyped-def]
        raise KnownError(f"{account.platform.value} accounts have no connector.")

    (out,) = engine.send_outbox(store, no_connector)
    assert out.reply_id == stuck and out.final and "no connector" in out.error
    failed = store.reply(stuck)
    assert failed.state is ReplyState.FAILED and "no connector" in failed.error
    assert store.reply(later).state is ReplyState.APPROVED  # held back behind it
    assert fake.sent == []


def test_locked_keyring_leaves_the_reply_for_the_next_run(world) -> None:
    store, connectors = world
    acc = accounts(store)["support@demo.example"]
    fake = connectors[acc.id]
    fake.add_incoming("a@x", "broken")
    engine.sync_account(store, acc, lambda _a: fake)
    reply_id = approve(store, store.cases_page()[0].id, "one", acc.id)

    def locked(account):  # type: ignore[no-untyped-def]
        raise SecretStoreError("The keyring is locked.")

    (out,) = engine.send_outbox(store, locked)
    assert not out.sent and not out.final and "locked" in out.error
    assert store.reply(reply_id).state is not ReplyState.FAILED
    (out,) = engine.send_outbox(store, lambda _a: fake)
    assert out.sent and [s.text for s in fake.sent] == ["one"]


def test_an_unexpected_error_stays_with_its_account_and_is_logged(
        world, caplog: pytest.LogCaptureFixture) -> None:
    store, connectors = world
    acc = accounts(store)["support@demo.example"]
    fake = connectors[acc.id]
    fake.add_incoming("a@x", "hi")
    fake.fail_next("fetch_since", ValueError("bad page"))  # type: ignore[arg-type]
    with caplog.at_level("ERROR", logger="console.sync.engine"):
        out = engine.sync_account(store, acc, lambda _a: fake)
    assert out.error == "Unexpected error: ValueError: bad page"
    assert (out.offline, out.retry_after) == (False, None)
    assert [r.message for r in caplog.records] == ["sync of support@demo.example failed"]
    caplog.clear()
    fake.fail_next("fetch_since", AuthError("The access token was revoked."))
    with caplog.at_level("ERROR", logger="console.sync.engine"):
        out = engine.sync_account(store, acc, lambda _a: fake)
    assert out.error == ("Credentials refused: The access token was revoked. "
                         "Re-enter them in the accounts dialog.")
    assert not out.offline and caplog.records == []  # a known error is not a crash report
    fake.fail_next("fetch_since", RateLimitedError("slow down"))
    out = engine.sync_account(store, acc, lambda _a: fake)
    assert (out.error, out.offline, out.retry_after) == (
        "Rate limited by the platform.", False, None)
    fake.fail_next("fetch_since", RejectedError("The server said no."))
    out = engine.sync_account(store, acc, lambda _a: fake)
    assert (out.error, out.offline) == ("The server said no.", False)


def test_a_good_sync_reports_its_changes_and_no_error(world) -> None:
    store, connectors = world
    acc = accounts(store)["support@demo.example"]
    fake = connectors[acc.id]
    fake.add_incoming("a@x", "hi")
    out = engine.sync_account(store, acc, lambda _a: fake)
    assert (out.ok, out.error, out.offline, out.retry_after) == (True, None, False, None)
    assert out.changes.messages and out.changes.case_ids
    (case,) = store.cases_page()
    assert [e.actor for e in store.case_events(case.id) if e.kind == "message_in"] == ["sync"]


def test_one_sync_reads_at_most_max_pages_and_the_next_one_goes_on(world) -> None:
    store, connectors = world
    acc = accounts(store)["support@demo.example"]
    fake = connectors[acc.id]
    fake.page_size = 1
    for i in range(engine.MAX_PAGES + 5):
        fake.add_incoming(f"c{i}@x", "hi")
    out = engine.sync_account(store, acc, lambda _a: fake)
    assert (out.pages, out.fetched) == (20, 20) == (engine.MAX_PAGES, engine.MAX_PAGES)
    out = engine.sync_account(store, acc, lambda _a: fake)
    assert (out.pages, out.fetched) == (5, 5)
    assert store.message_count() == engine.MAX_PAGES + 5


def test_cancel_and_progress_of_the_outbox(world) -> None:
    store, connectors = world
    acc = accounts(store)["support@demo.example"]
    fake = connectors[acc.id]
    fake.add_incoming("a@x", "one")
    fake.add_incoming("b@x", "two")
    engine.sync_account(store, acc, lambda _a: fake)
    r1, r2 = (approve(store, c.id, f"answer {c.id}", acc.id) for c in store.cases_page())
    token = engine.CancelToken()
    token.cancel()
    assert token.cancelled and engine.send_outbox(store, lambda a: connectors[a.id],
                                                  cancel=token) == []
    token = engine.CancelToken()
    seen: list[int] = []

    def stop_after_first(outcome: engine.SendOutcome) -> None:
        seen.append(outcome.reply_id)
        token.cancel()

    out = engine.send_outbox(store, lambda a: connectors[a.id], cancel=token,
                             progress=stop_after_first)
    assert [o.reply_id for o in out] == seen == [min(r1, r2)]
    (sent,) = out
    assert (sent.sent, sent.reconciled, sent.error, sent.final) == (True, False, None, False)
    assert store.reply(max(r1, r2)).state is ReplyState.APPROVED


def test_a_direct_message_is_answered_directly(world) -> None:
    from console.core.models import MessageKind

    store, connectors = world
    acc = accounts(store)["support@demo.example"]
    fake = connectors[acc.id]
    fake.add_incoming("a@x", "private question", kind=MessageKind.DM)
    engine.sync_account(store, acc, lambda _a: fake)
    (case,) = store.cases_page()
    reply_id = approve(store, case.id, "private answer", acc.id)
    plan = engine.plan_send(store, reply_id)
    assert plan.target.visibility == "direct"
    assert plan.target.author_handle == "a@x"
    engine.post(fake, plan)
    assert [s.visibility for s in fake.sent] == ["direct"]


def test_finish_send_without_an_answer_or_error(world) -> None:
    store, connectors = world
    acc = accounts(store)["support@demo.example"]
    fake = connectors[acc.id]
    _case, (reply_id,) = one_case(store, fake, acc, "On it.")
    plan = engine.plan_send(store, reply_id)
    out = engine.finish_send(store, plan, None, None)
    assert (out.sent, out.reconciled, out.final, out.error) == (False, False, False, "no answer")
    assert store.reply(reply_id).state is ReplyState.SENDING
    ref, _found = engine.post(fake, plan)
    out = engine.finish_send(store, plan, ref, None)
    assert (out.sent, out.reconciled, out.error) == (True, False, None)


def test_the_demo_send_counts_one_attempt(tmp_path) -> None:
    from console.core import demo

    store = Store.open(demo.create_demo_workspace(tmp_path))
    case = store.cases_page()[0]
    account = store.case_detail(case.id).messages[-1].account_id
    reply_id = approve(store, case.id, "On it. ^SR", account)
    seen: list[engine.SendOutcome] = []
    engine.send_outbox(store, lambda a: pytest.fail("no connector in the demo"),
                       progress=seen.append)
    assert [(o.reply_id, o.sent) for o in seen] == [(reply_id, True)]
    assert store.reply(reply_id).attempts == 1
    store.close()


def test_an_unexpected_send_error_is_logged_and_a_known_one_is_not(
        world, caplog: pytest.LogCaptureFixture) -> None:
    store, connectors = world
    acc = accounts(store)["support@demo.example"]
    fake = connectors[acc.id]
    _case, (reply_id,) = one_case(store, fake, acc, "On it.")
    fake.fail_next("send_reply", NetworkError("unreachable"))
    with caplog.at_level("ERROR", logger="console.sync.engine"):
        (out,) = engine.send_outbox(store, lambda a: connectors[a.id])
    assert "Offline" in out.error and caplog.records == []
    fake.fail_next("send_reply", KeyError("boom"))  # type: ignore[arg-type]
    with caplog.at_level("ERROR", logger="console.sync.engine"):
        (out,) = engine.send_outbox(store, lambda a: connectors[a.id])
    assert out.error == "Unexpected error: KeyError: 'boom'" and not out.final
    assert [r.message for r in caplog.records] == [f"sending reply #{reply_id} failed"]


def test_an_older_identical_reply_is_not_taken_for_the_interrupted_one(world) -> None:
    from console.connectors.base import SentRef
    from console.connectors.fake import SentReply

    store, connectors = world
    acc = accounts(store)["support@demo.example"]
    fake = connectors[acc.id]
    _case, (reply_id,) = one_case(store, fake, acc, "Thanks, we're on it.")
    plan = engine.plan_send(store, reply_id)
    # The same canned words were sent to the same post a while before this reply was
    # written (more than the 5 minutes of clock slack allowed): that is another reply.
    fake.sent.append(SentReply(
        ref=SentRef(remote_id="old", url=None), parent_id=plan.target.remote_id,
        text="Thanks, we're on it.", idempotency_key="another-reply",
        created_at=plan.reply.created_at - dt.timedelta(minutes=5, seconds=30),
        visibility=None))
    again = engine.plan_send(store, reply_id)  # as after a crash mid-send
    assert again.interrupted
    ref, found = engine.post(fake, again)
    assert not found and ref.remote_id != "old"
def test_a_draft_without_a_message_answers_the_customers_latest(world) -> None:
    store, connectors = world
    acc = accounts(store)["support@demo.example"]
    fake = connectors[acc.id]
    fake.add_incoming("a@x", "broken")
    engine.sync_account(store, acc, lambda _a: fake)
    case_id = store.cases_page()[0].id
    reply_id, _ = store.save_draft(case_id, account_id=acc.id, body="hello")
    assert store.reply(reply_id).in_reply_to_message_id == \
        store.case_detail(case_id).messages[-1].id
    store.approve_reply(reply_id)
    (out,) = engine.send_outbox(store, lambda _a: fake)
    assert out.sent and store.reply(reply_id).state is ReplyState.SENT


@pytest.mark.parametrize("where", ["send", "connect"])
def test_reply_of_an_account_to_reconnect_stays_approved(world, where: str) -> None:
    """A refused X token refresh (ReconnectNeeded) loses nothing: the reply waits, approved."""
    from console.connectors.oauth import ReconnectNeeded

    store, connectors = world
    acc = accounts(store)["support@demo.example"]
    fake = connectors[acc.id]
    fake.add_incoming("a@x", "broken")
    engine.sync_account(store, acc, lambda _a: fake)
    case_id = store.cases_page()[0].id
    first = approve(store, case_id, "one", acc.id)
    second = approve(store, case_id, "two", acc.id)
    refused = ReconnectNeeded("X refused to renew the sign-in of @brand: reconnect it.")

    def connect(_account):  # type: ignore[no-untyped-def]
        if where == "connect":
            raise refused
        return fake

    if where == "send":
        fake.fail_next("send_reply", refused)
    (out,) = engine.send_outbox(store, connect)
    assert out.held and not out.final and not out.sent and "reconnect" in out.error
    held = store.reply(first)
    assert held.state is ReplyState.APPROVED and "reconnect" in (held.error or "")
    assert store.reply(second).state is ReplyState.APPROVED  # still behind it, in order
    assert fake.sent == []
    outs = engine.send_outbox(store, lambda _a: fake)  # reconnected: both go out, in order
    assert [o.sent for o in outs] == [True, True]
    assert [s.text for s in fake.sent] == ["one", "two"]

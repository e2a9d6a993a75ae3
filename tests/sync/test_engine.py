"""The sync engine and the outbox, against the deterministic FakeConnector and a real store."""

from __future__ import annotations

import threading

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
def world(tmp_path):  # type: ignore[no-untyped-def]
    store = Store.open(tmp_path / "w.db")
    store.set_setting("user.name", "Sam")
    a, _ = store.add_account(platform="demo", handle="support@demo.example")
    b, _ = store.add_account(platform="demo", handle="hello@demo.example")
    support = FakeConnector(handle="support@demo.example", page_size=3, clock=timeutil.now)
    hello = FakeConnector(handle="hello@demo.example", page_size=3, clock=timeutil.now)
    connectors = {a: support, b: hello}
    yield store, connectors
    store.close()


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


def test_outbox_sends_once_in_order_and_reconciles_a_dropped_connection(world) -> None:
    store, connectors = world
    acc = accounts(store)["support@demo.example"]
    fake = connectors[acc.id]
    fake.add_incoming("a@x", "broken")
    engine.sync_account(store, acc, lambda _a: fake)
    (case_id,) = [r.id for r in store.cases_page()]
    first = approve(store, case_id, "Sorry! Looking now.", acc.id)
    second = approve(store, case_id, "Fixed: new one on its way.", acc.id)
    fake.drop_connection_after_post()  # the platform accepts the post, the answer is lost
    out = engine.send_outbox(store, lambda a: connectors[a.id])
    assert [(o.reply_id, o.sent) for o in out] == [(first, False)]  # the second waits
    assert store.reply(first).state is ReplyState.SENDING
    assert len(fake.sent) == 1
    out = engine.send_outbox(store, lambda a: connectors[a.id])
    assert [(o.reply_id, o.sent, o.reconciled) for o in out] == [(first, True, True),
                                                                  (second, True, False)]
    assert [s.text for s in fake.sent] == ["Sorry! Looking now.", "Fixed: new one on its way."]
    detail = store.case_detail(case_id)
    outbound = [m for m in detail.messages if m.direction.value == "out"]
    assert [m.text for m in outbound] == ["Sorry! Looking now.", "Fixed: new one on its way."]
    assert outbound[0].url == fake.sent[0].ref.url
    assert detail.first_response_at is not None
    assert engine.send_outbox(store, lambda a: connectors[a.id]) == []


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
    assert steps == ["_cursor", "apply", "apply", "apply"]
    (case_id, *_) = [r.id for r in store.cases_page()]
    approve(store, case_id, "On it.", acc.id)
    (sent,) = engine.send_outbox(db, lambda _a: Watched())
    assert sent.sent
    assert steps[4:] == ["_outbox", "plan_send", "finish_send"]


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


def test_reply_whose_message_is_unknown_is_marked_failed(world) -> None:
    store, connectors = world
    acc = accounts(store)["support@demo.example"]
    fake = connectors[acc.id]
    fake.add_incoming("a@x", "broken")
    engine.sync_account(store, acc, lambda _a: fake)
    case_id = store.cases_page()[0].id
    reply_id, _ = store.save_draft(case_id, account_id=acc.id, body="hello")
    store.approve_reply(reply_id)
    (out,) = engine.send_outbox(store, lambda _a: fake)
    assert out.final and "which message it answers" in out.error
    assert store.reply(reply_id).state is ReplyState.FAILED
    assert fake.sent == []


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

"""The team workspace on a real PostgreSQL server: one outbox sent once, one sync per account.

The server is the throwaway cluster the ``pg_server`` fixture starts once per run. The
rest of the store suite runs on it too (the ``backend`` parameter of ``store``/``new_store``).
"""

from __future__ import annotations

import io
import subprocess
import threading
import time
from typing import Any

import psycopg
import pytest

from console import cli
from console.connectors.fake import FakeConnector
from console.core import timeutil
from console.core.errors import KnownError, SchemaTooNewError, StorageError
from console.core.models import ReplyState
from console.core.store import Store
from console.core.store.pg import redact, translate
from console.sync import engine
from tests.conftest import msg
from tests.helpers import need
from tests.sync.test_engine import approve


@pytest.mark.parametrize(("sqlite", "postgres"), [
    ("INSERT OR IGNORE INTO case_accounts (case_id, account_id) VALUES (?, ?)",
     "INSERT INTO case_accounts (case_id, account_id) VALUES (%s, %s) ON CONFLICT DO NOTHING"),
    ("SELECT group_concat(DISTINCT m.platform) FROM m WHERE t LIKE '50% off?' AND a = ?",
     "SELECT string_agg(DISTINCT CAST(m.platform AS TEXT), ',') FROM m "
     "WHERE t LIKE '50%% off?' AND a = %s"),
    ("SELECT max(a, ?), min(b), instr(x, ':') FROM t",
     "SELECT greatest(a,  %s), min(b), strpos(x,  ':') FROM t"),
    ("SELECT CAST(json_extract(d, '$.message_id') AS INTEGER) FROM e WHERE c = :c",
     "SELECT CAST((CAST(d AS JSONB) ->> 'message_id') AS BIGINT) FROM e WHERE c = %(c)s"),
    ("SELECT 1 FROM a CROSS JOIN b x ON x.id = a.id", "SELECT 1 FROM a JOIN b x ON x.id = a.id"),
])
def test_the_store_sql_is_translated_not_rewritten_by_hand(sqlite: str, postgres: str) -> None:
    assert translate(sqlite)[0] == postgres


def test_an_insert_into_a_table_with_ids_returns_the_id() -> None:
    text, returns_id = translate("INSERT INTO notes (case_id, body) VALUES (?, ?)")
    assert returns_id and text.endswith(" RETURNING id")
    assert translate("INSERT INTO settings (name, value) VALUES (?, ?)")[1] is False


def _team(url: str, members: int) -> list[Store]:
    stores = [Store.connect(url) for _ in range(members)]
    stores[0].set_setting("team.roster", [{"name": "Priya"}, {"name": "Tom"}])
    stores[0].add_account(platform="demo", handle="support@demo.example")
    return stores


class SlowPlatform(FakeConnector):
    """The fake platform, with posting slow enough that two apps' sends overlap."""

    def send_reply(self, *args: Any, **kwargs: Any) -> Any:
        time.sleep(0.05)
        return super().send_reply(*args, **kwargs)


def test_two_apps_sending_one_shared_outbox_post_each_reply_once(pg_url: str) -> None:
    priya, tom = _team(pg_url, 2)
    platform = SlowPlatform(handle="support@demo.example", clock=timeutil.now)
    for i in range(6):
        platform.add_incoming(f"cust{i}@x", f"problem {i}")
    (account,) = priya.accounts()
    assert engine.sync_account(priya, account, lambda _a: platform).new_messages == 6
    queued = [approve(priya, row.id, f"On it, #{row.id}", account.id)
              for row in priya.cases_page()]
    outcomes: dict[str, list[Any]] = {}

    def send(name: str, store: Store) -> None:
        outcomes[name] = engine.send_outbox(store, lambda _a: platform)

    threads = [threading.Thread(target=send, args=(n, s)) for n, s in
               (("priya", priya), ("tom", tom))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    keys = [key for key, _parent, _text in platform.send_attempts]
    assert len(keys) == len(set(keys)) == len(queued), "a reply was posted twice or never"
    assert {priya.reply(r).state for r in queued} == {ReplyState.SENT}
    sent_by = {name: {o.reply_id for o in outs if o.sent} for name, outs in outcomes.items()}
    assert not (sent_by["priya"] & sent_by["tom"])
    assert sent_by["priya"] | sent_by["tom"] == set(queued)
    for s in (priya, tom):
        s.close()


def test_one_app_at_a_time_syncs_an_account(pg_url: str) -> None:
    priya, tom = _team(pg_url, 2)
    (account,) = priya.accounts()
    platform = FakeConnector(handle="support@demo.example", clock=timeutil.now)
    platform.add_incoming("cust@x", "hello?")
    assert priya.claim_sync(account.id)
    busy = engine.sync_account(tom, account, lambda _a: platform)
    assert busy.busy_elsewhere and busy.ok and busy.fetched == 0
    priya.release_sync(account.id)
    done = engine.sync_account(tom, account, lambda _a: platform)
    assert (done.busy_elsewhere, done.new_messages) == (False, 1)
    assert priya.case_count() == 1  # tom's sync is the team's: priya sees the case
    for s in (priya, tom):
        s.close()


def test_a_crashed_sender_leaves_its_reply_to_a_teammate(pg_url: str) -> None:
    """A claim is a session lock: when the app holding it dies, another can take over."""
    priya, tom = _team(pg_url, 2)
    (account,) = priya.accounts()
    platform = FakeConnector(handle="support@demo.example", clock=timeutil.now)
    platform.add_incoming("cust@x", "where is it?")
    engine.sync_account(priya, account, lambda _a: platform)
    reply_id = approve(priya, priya.cases_page()[0].id, "Looking now.", account.id)
    assert priya.claim_send(reply_id)
    assert not tom.claim_send(reply_id)
    priya.close()  # the app dies mid-send: its connection and its lock go with it
    # The server ends the dead session a moment later (asynchronously): the next try claims.
    deadline = time.monotonic() + 10
    while not tom.claim_send(reply_id):
        assert time.monotonic() < deadline, "the dead app's claim was never released"
        time.sleep(0.05)
    tom.release_send(reply_id)
    tom.close()


def test_a_newer_server_schema_is_refused_and_left_alone(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO console_migrations (name) VALUES ('p999_from_the_future')")
    with pytest.raises(SchemaTooNewError, match="newer version"):
        Store.connect(pg_url)


def test_an_unreachable_server_says_so_without_the_password(pg_server: Any) -> None:
    url = f"postgresql://priya:hunter2@127.0.0.1:{pg_server.port + 1}/nowhere"
    with pytest.raises(StorageError) as caught:
        Store.connect(url)
    assert "hunter2" not in str(caught.value)
    assert "Cannot connect to the team server" in str(caught.value)
    assert redact(url) == f"postgresql://priya:***@127.0.0.1:{pg_server.port + 1}/nowhere"


def test_any_text_is_kept_even_what_postgresql_text_cannot_hold(pg_url: str) -> None:
    store = Store.connect(pg_url)
    store.add_account(platform="mastodon", handle="@help@kettle.example")
    store.ingest([msg("@nul@x.social", "before\x00after <b>bold</b> 🙏 東京", name="N\x00ul")])
    (hit,) = store.search("after")
    assert hit.message.text == "before\ufffdafter <b>bold</b> 🙏 東京"
    assert [h.message.author_handle for h in store.search("🙏")] == ["@nul@x.social"]
    store.close()


def test_the_command_line_works_on_the_team_server(pg_url: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    args = cli.build_parser().parse_args(["--server", pg_url, "server", "check"])
    assert cli.run(args, out, err) == 0, err.getvalue()
    assert "p001_team_schema" in out.getvalue() and "0 case(s)" in out.getvalue()
    args = cli.build_parser().parse_args(["--server", pg_url, "settings", "set", "user.name",
                                          "Priya"])
    assert cli.run(args, out, err) == 0, err.getvalue()
    store = Store.connect(pg_url)
    assert store.get_setting("user.name") == "Priya"
    store.close()
    args = cli.build_parser().parse_args(["--server", pg_url, "--demo", "server", "check"])
    assert cli.run(args, out, err) == 1
    assert "--demo and --server cannot be used together" in err.getvalue()


def _as(url: str, role: str) -> str:
    return url.replace("postgresql://postgres@", f"postgresql://{role}@")


def test_a_member_without_the_right_to_reassign_is_refused_by_the_server(
        pg_server: Any, pg_url: str) -> None:
    for role in ("priya_role", "lead_role"):
        pg_server.admin(f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
                        f"'{role}') THEN CREATE ROLE {role} LOGIN; END IF; END $$")
    owner = Store.connect(pg_url)
    owner.set_setting("team.roster", [{"name": "Tom"}])
    owner.add_account(platform="mastodon", handle="@help@kettle.example")
    owner.ingest([msg("@ann@x.social", "where is my order?")])
    out, err = io.StringIO(), io.StringIO()
    for argv in (["priya_role", "Priya"], ["lead_role", "Lee", "--may-reassign"]):
        args = cli.build_parser().parse_args(["--server", pg_url, "server", "member", *argv])
        assert cli.run(args, out, err) == 0, err.getvalue()
    assert {p["name"] for p in owner.roster()} == {"Tom", "Priya", "Lee"}
    case_id = owner.cases_page()[0].id

    priya = Store.connect(_as(pg_url, "priya_role"))
    assert priya.me == "Priya"
    with pytest.raises(KnownError, match="refused.*Priya may take cases but not hand them"):
        priya.assign(case_id, "Tom")
    # Not only the app's check: the same change in plain SQL is refused by the server.
    with psycopg.connect(_as(pg_url, "priya_role"), autocommit=True) as raw:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            raw.execute("UPDATE cases SET owner = 'Tom' WHERE id = %s", [case_id])
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            raw.execute("UPDATE team_members SET may_reassign = 1")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            raw.execute("DELETE FROM case_events")
    priya.assign(case_id, "Priya")  # taking a case for yourself is always allowed
    lead = Store.connect(_as(pg_url, "lead_role"))
    lead.assign(case_id, "Tom")
    actors = [(e.kind, e.actor) for e in owner.case_detail(case_id).events if e.kind == "assign"]
    assert actors == [("assign", "Priya"), ("assign", "Lee")]
    for s in (owner, priya, lead):
        s.close()


def test_a_teammates_change_is_announced_and_their_draft_stays_theirs(
        pg_server: Any, pg_url: str) -> None:
    from console.core.store.listen import ChangeListener

    pg_server.admin("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
                    "'tom_role') THEN CREATE ROLE tom_role LOGIN; END IF; END $$")
    owner = Store.connect(pg_url)
    owner.add_account(platform="mastodon", handle="@help@kettle.example")
    owner.ingest([msg("@ann@x.social", "where is my order?")])
    owner.add_team_member("tom_role", "Tom", may_reassign=True)
    case_id = owner.cases_page()[0].id
    listener = ChangeListener(pg_url)
    tom = Store.connect(_as(pg_url, "tom_role"))
    (account,) = tom.accounts()
    started = time.monotonic()
    tom.assign(case_id, "Tom")
    got = listener.wait(5, own_pids={owner.backend_pid() or 0})
    assert time.monotonic() - started < 1.0
    assert got.changes.cases and case_id in got.changes.case_ids
    assert {(n.table, n.by) for n in got.notices} >= {("cases", "Tom"), ("case_events", "Tom")}
    # A draft is presence, not a reload; and it stays Tom's.
    draft_id, _ = tom.save_draft(case_id, account_id=account.id, body="Hi Ann")
    assert listener.wait(5).drafting == {case_id: {"Tom"}}  # (and the timeline's "drafted")
    tom.save_draft(case_id, account_id=account.id, body="Hi Ann, looking now", reply_id=draft_id)
    got = listener.wait(5)
    assert got.drafting == {case_id: {"Tom"}} and not got.changes  # a keystroke: presence only
    assert owner.open_draft(case_id) is None
    assert tom.open_draft(case_id) is not None
    assert owner.teammates_drafting(case_id) == ["Tom"]
    assert tom.teammates_drafting(case_id) == []
    # Our own writes are told apart by their server process.
    owner.add_note(case_id, "called the courier")
    assert not listener.wait(5, own_pids={owner.backend_pid() or 0}).changes
    listener.close()
    for s in (owner, tom):
        s.close()


def test_the_team_server_option_and_an_accounts_server_do_not_mix() -> None:
    args = cli.build_parser().parse_args([
        "--server", "postgresql://priya@db.example/brand", "accounts", "add", "bluesky",
        "--handle", "brand.test", "--server", "http://localhost:2583"])
    assert args.team_server == "postgresql://priya@db.example/brand"
    assert args.server == "http://localhost:2583"


def test_a_lost_connection_fails_once_then_the_store_connects_again(
        pg_server: Any, pg_url: str) -> None:
    store = Store.connect(pg_url)
    store.add_account(platform="mastodon", handle="@help@kettle.example")
    pid = store.backend_pid()
    pg_server.admin(f"SELECT pg_terminate_backend({pid})")  # a server restart, a dropped link
    with pytest.raises(StorageError, match="team server cannot be reached"):
        store.case_count()
    store.ingest([msg("@ann@x.social", "still there?")])  # the next call connects again
    assert store.case_count() == 1 and store.backend_pid() != pid
    # A transaction cut in the middle stays failed: nothing of it is half-applied.
    with pytest.raises(StorageError):
        with store.atomic():
            store.add_note(store.cases_page()[0].id, "first half")
            pg_server.admin(f"SELECT pg_terminate_backend({store.backend_pid()})")
            store.add_note(store.cases_page()[0].id, "second half")
    assert not store.case_detail(store.cases_page()[0].id).notes
    store.close()


def test_tls_to_the_team_server_checks_the_server_identity(pg_server: Any, pg_url: str,
                                                          tmp_path: Any) -> None:
    need(pg_server.ca_file is not None, "openssl (Debian package openssl) for the TLS test")
    verified = f"{pg_url}?sslmode=verify-full&sslrootcert={pg_server.ca_file}"
    store = Store.connect(verified)
    assert store.db.conn.execute(
        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()[0] is True
    store.close()
    # Another CA (a server that is not ours, a man in the middle): refused, said plainly.
    other = tmp_path / "other-ca.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=someone-else", "-keyout", str(tmp_path / "k"), "-out",
                    str(other)], check=True, capture_output=True)
    with pytest.raises(StorageError, match="Cannot connect to the team server.*certificate"):
        Store.connect(f"{pg_url}?sslmode=verify-full&sslrootcert={other}")


def test_a_claim_lost_with_the_link_is_not_followed_by_a_blind_post(
        pg_server: Any, pg_url: str) -> None:
    """The link drops between claiming a reply and posting it: the app does not post; the
    next send looks the reply up by its key first and posts it once."""
    priya, tom = _team(pg_url, 2)
    (account,) = priya.accounts()
    platform = FakeConnector(handle="support@demo.example", clock=timeutil.now)
    platform.add_incoming("cust@x", "any news?")
    engine.sync_account(priya, account, lambda _a: platform)
    reply_id = approve(priya, priya.cases_page()[0].id, "On its way today.", account.id)

    def dropping(step: Any) -> Any:  # priya's database steps; the link drops after planning
        name = getattr(step, "func", step).__name__
        result = step(priya)
        if name == "plan_send":
            pg_server.admin(f"SELECT pg_terminate_backend({priya.backend_pid()})")
        return result

    (out,) = engine.send_outbox(dropping, lambda _a: platform)
    assert out.busy_elsewhere and not out.sent and platform.send_attempts == []
    assert tom.reply(reply_id).state is ReplyState.SENDING
    (again,) = engine.send_outbox(tom, lambda _a: platform)
    assert again.sent and len(platform.send_attempts) == 1
    for s in (priya, tom):
        s.close()

"""Two app instances on one workspace file (two windows, or the window and a cron sync)."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from console.core.models import CaseStatus
from console.core.store import Store

REPO = Path(__file__).resolve().parents[2]

#: One "instance": opens the workspace and makes many small writes, each in its own
#: transaction, reading before writing (as triage and ingest do).
WORKER = textwrap.dedent("""
    import datetime as dt, sys
    from console.core.models import IncomingMessage, Platform
    from console.core.store import Store
    path, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = Store.open(path)
    t0 = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    print("ready", flush=True)
    sys.stdin.readline()  # both start writing at the same moment
    for i in range(n):
        if name == "sync":
            store.ingest([IncomingMessage(
                platform=Platform.MASTODON, account_handle="@help@kettle.example",
                remote_id=f"{name}-{i}", author_handle=f"@c{i % 7}@example.social",
                author_name="C", text=f"message {i}", created_at=t0 + dt.timedelta(minutes=i))])
        else:
            store.add_note(1, f"{name} note {i}")
            store.assign(1, "Priya" if i % 2 else "Sam")
    store.close()
    print("done", flush=True)
""")


def start(path: Path, name: str, n: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", WORKER, str(path), name, str(n)],
                            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_two_instances_write_to_one_workspace_and_nothing_is_lost(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    store = Store.open(path)
    store.set_setting("user.name", "Sam")
    store.set_setting("team.roster", [{"name": "Sam", "me": True}, {"name": "Priya"}])
    store.add_account(platform="mastodon", handle="@help@kettle.example")
    from tests.conftest import msg
    store.ingest([msg(at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC))])
    version = store.data_version()
    n = 150
    procs = [start(path, "window", n), start(path, "sync", n), start(path, "window2", n)]
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0 and out.strip() == "done", err
    # Every write of every instance is there; this (third) connection sees it happen.
    assert store.data_version() != version
    notes = [n.body for n in store.case_detail(1).notes]
    for name in ("window", "window2"):
        assert [b for b in notes if b.startswith(f"{name} ")] == \
            [f"{name} note {i}" for i in range(n)]
    texts = {m.text for c in store.cases_page(limit=100) for m in store.case_detail(c.id).messages}
    assert {f"message {i}" for i in range(n)} <= texts
    # The store is consistent afterwards: triage still works from here.
    store.set_status(1, CaseStatus.RESOLVED)
    store.close()


def test_a_workspace_held_by_another_instance_says_why(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    Store.open(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sqlite3, sys
            c = sqlite3.connect({str(path)!r}, isolation_level=None)
            c.execute("BEGIN IMMEDIATE")
            print("locked", flush=True)
            sys.stdin.readline()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        store = Store.open(path)
        store.db.conn.execute("PRAGMA busy_timeout = 200")  # not the app's 10 s, in a test
        try:
            store.set_setting("user.name", "Sam")
        except Exception as exc:  # noqa: BLE001 - the message is what is checked
            assert "busy: another Community Console window or another program" in str(exc)
            assert "Nothing was changed" in str(exc)
        else:
            raise AssertionError("a write while another instance holds the lock went through")
        store.close()
    finally:
        holder.communicate("\n", timeout=30)


def test_another_instance_closing_never_pulls_the_wal_from_under_us(tmp_path: Path) -> None:
    """The window holds a writer and a reader; a cron sync opens, writes and closes.

    Opening the reader once read the file's header with a plain open/close, which drops
    every POSIX lock this process held on it: the sync then took itself for the last user,
    deleted the WAL, and the window's next read was a "disk I/O error".
    """
    path = tmp_path / "w.db"
    writer = Store.open(path)
    writer.set_setting("user.name", "Sam")
    reader = Store.open(path, read_only=True)
    assert reader.get_setting("user.name") == "Sam"
    subprocess.run([sys.executable, "-c", "import sys; from console.core.store import Store; "
                    "s = Store.open(sys.argv[1]); s.set_setting('user.initials', 'SR'); "
                    "s.close()", str(path)], cwd=REPO, check=True, timeout=120)
    assert (tmp_path / "w.db-wal").exists()
    for i in range(3):
        writer.set_setting("sync.interval_minutes", i)
        another = Store.open(path, read_only=True)
        assert another.get_setting("user.initials") == "SR"
        assert reader.get_setting("sync.interval_minutes") == i
        another.close()
    reader.close()
    writer.close()


def test_opening_while_another_connection_of_this_process_holds_the_file(tmp_path: Path) -> None:
    """A connection of this process the store does not know of is open when a Store opens.

    That is what the window does: its write and read workers open at the same moment, and
    one was still inside ``sqlite3.connect`` while the other peeked at the file's header
    with a plain open/close. That close dropped every POSIX lock of this process on the
    file, so each other instance closing deleted the WAL, and our next read was a "disk
    I/O error". Here the other connection is a plain one, so the failure is certain.
    """
    path = tmp_path / "w.db"
    Store.open(path).close()
    held = sqlite3.connect(path)
    assert held.execute("SELECT count(*) FROM cases").fetchone() == (0,)
    store = Store.open(path)
    for i in range(5):
        subprocess.run([sys.executable, "-c", "import sys; from console.core.store import Store; "
                        "s = Store.open(sys.argv[1]); s.set_setting('user.initials', sys.argv[2]); "
                        "s.close()", str(path), f"S{i}"], cwd=REPO, check=True, timeout=120)
        assert (tmp_path / "w.db-wal").exists()  # the other instance left it: we still use it
        assert store.get_setting("user.initials") == f"S{i}"
        store.set_setting("sync.interval_minutes", i)
        assert held.execute("SELECT count(*) FROM cases").fetchone() == (0,)
    held.close()
    store.close()

"""SQLite failures after open (disk full, busy, read-only) reach the user as clear KnownErrors."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.core.errors import KnownError, StorageError
from console.core.models import CaseStatus
from console.core.store import Store
from tests.conftest import msg


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[tuple[Store, Path]]:
    path = tmp_path / "w.db"
    s = Store.open(path)
    s.set_setting("user.name", "Sam")
    s.add_account(platform="mastodon", handle="@help@kettle.example")
    s.ingest([msg("@ann@x.social", "first"), msg("@bob@x.social", "second")])
    yield s, path
    s.close()


def fill_the_disk(store: Store) -> None:
    """Cap the file at its current size: SQLite then fails with SQLITE_FULL for real."""
    pages = store.db.conn.execute("PRAGMA page_count").fetchone()[0]
    store.db.conn.execute(f"PRAGMA max_page_count = {pages}")


def test_disk_full_is_a_clear_error_and_loses_nothing(workspace: tuple[Store, Path]) -> None:
    store, path = workspace
    fill_the_disk(store)
    big = [msg(f"@c{i}@x.social", "a long complaint about the kettle " * 40)
           for i in range(300)]
    with pytest.raises(StorageError) as info:
        store.ingest(big)
    assert info.value.reason == "disk_full"
    assert isinstance(info.value, KnownError)
    assert "disk is full" in str(info.value) and "try again" in str(info.value)
    assert isinstance(info.value.__cause__, sqlite3.OperationalError)
    # The failed batch was rolled back whole; what was saved before is all there.
    assert store.message_count() == 2 and store.case_count() == 2
    # Space again (the cap lifted): the same change now goes through.
    store.db.conn.execute("PRAGMA max_page_count = 1073741823")
    store.ingest(big)
    assert store.message_count() == 302


def test_disk_full_at_commit_of_an_atomic_block(workspace: tuple[Store, Path]) -> None:
    store, _ = workspace
    case_id = store.cases_page()[0].id
    fill_the_disk(store)
    with pytest.raises(StorageError, match="disk is full"), store.atomic():
        for i in range(200):
            store.import_add_note(case_id, author="Sam", body="note " * 200, created_at=i)
    assert store.case_detail(case_id).notes == ()
    # atomic() explains on its own what fails inside it outside a public method
    # (a part's helpers, the commit itself).
    with pytest.raises(StorageError, match="disk is full"), store.atomic():
        store.db.conn.executemany("INSERT INTO notes (case_id, author, body, created_at) "
                                  "VALUES (?, 'Sam', ?, 0)", [(case_id, "x" * 5000)] * 200)


def test_busy_workspace_is_a_clear_error(workspace: tuple[Store, Path]) -> None:
    store, path = workspace
    case_id = store.cases_page()[0].id
    store.db.conn.execute("PRAGMA busy_timeout = 50")  # don't wait the usual 10 s
    other = sqlite3.connect(path)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        with pytest.raises(StorageError) as info:
            store.set_status(case_id, CaseStatus.OPEN)
        assert info.value.reason == "busy"
        assert "busy" in str(info.value) and "Nothing was changed" in str(info.value)
        # Reading still works while someone else writes (WAL).
        assert store.case_row(case_id).status == CaseStatus.NEW
    finally:
        other.rollback()
        other.close()
    store.set_status(case_id, CaseStatus.OPEN)  # the lock is gone: the same change works
    assert store.case_row(case_id).status == CaseStatus.OPEN


def test_read_only_workspace_is_a_clear_error(workspace: tuple[Store, Path]) -> None:
    store, path = workspace
    case_id = store.cases_page()[0].id
    reader = Store.open(path, read_only=True)
    try:
        with pytest.raises(StorageError) as info:
            reader.add_note(case_id, "written through a read-only connection")
        assert info.value.reason == "read_only"
        assert "read-only" in str(info.value)
    finally:
        reader.close()


def test_our_own_sql_mistakes_stay_bugs(workspace: tuple[Store, Path]) -> None:
    store, _ = workspace
    with pytest.raises(sqlite3.IntegrityError):  # a broken constraint is not the user's problem
        store.import_link(99999, message_ids=[424242])

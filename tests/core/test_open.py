"""Opening workspace files: migrations, backups, refusal of newer or broken files."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from sqlite_utils.migrations import Migrations

from console.core import migrations as migrations_mod
from console.core.errors import CorruptDatabaseError, SchemaTooNewError, StoreError
from console.core.store import Store
from console.core.store import facade as store_mod
from tests.conftest import msg

CURRENT = [m.name for m in migrations_mod.migrations._migrations]


def newer_set() -> Migrations:
    """This build's migrations plus whatever a test appends."""
    newer = Migrations(migrations_mod.MIGRATION_SET)
    for m in migrations_mod.migrations._migrations:
        newer(name=m.name)(m.fn)
    return newer


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_file_is_migrated_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "w.db"
    store = Store.open(path)
    assert store.schema_version() == CURRENT
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    tables = set(store.db.table_names())
    for table in ("accounts", "contacts", "contact_handles", "messages", "messages_fts", "cases",
                  "case_messages", "case_events", "notes", "checklist_items", "templates",
                  "replies", "settings"):
        assert table in tables
    store.close()
    # Reopening applies nothing and makes no backup.
    Store.open(path).close()
    assert not list(tmp_path.glob("sub/*.backup-*"))


def test_empty_file_is_initialised(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    Store.open(path).close()
    assert Store.open(path).schema_version() == CURRENT


def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                 "VALUES ('console', 'm999_from_the_future', '2030-01-01')")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(SchemaTooNewError, match="newer version"):
        Store.open(path)
    assert digest(path) == before


@pytest.mark.parametrize("content", [
    b"this is a text file, not a database\n" * 20,
    b"SQLite format 3\x00" + b"\xff" * 4000,
])
def test_corrupt_or_foreign_file_is_refused_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "w.db"
    path.write_bytes(content)
    with pytest.raises(CorruptDatabaseError, match="untouched"):
        Store.open(path)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.db"]


def test_damaged_pages_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    s = Store.open(path)
    s.db.execute("PRAGMA journal_mode = DELETE")
    s.close()
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\x00\xde\xad" * ((4096 - 100) // 3) + b"\x00" * ((4096 - 100) % 3)
    path.write_bytes(bytes(data))
    before = digest(path)
    with pytest.raises(CorruptDatabaseError):
        Store.open(path)
    assert digest(path) == before


def test_other_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(StoreError, match="not a Community Console workspace"):
        Store.open(path)
    assert digest(path) == before


def test_pending_migration_backs_up_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "w.db"
    s = Store.open(path)
    s.add_account(platform="mastodon", handle="@help@kettle.example")
    s.ingest([msg()])
    s.close()

    newer = newer_set()

    @newer(name="m999_test_column")
    def m002(db):  # type: ignore[no-untyped-def]
        db.execute("ALTER TABLE cases ADD COLUMN flavour TEXT")

    monkeypatch.setattr(store_mod, "migrations", newer)
    s = Store.open(path)
    assert s.schema_version() == [*CURRENT, "m999_test_column"]
    s.close()
    (backup,) = tmp_path.glob("w.db.backup-*")
    old = sqlite3.connect(backup)
    assert [r[0] for r in old.execute("SELECT name FROM _sqlite_migrations")] == CURRENT
    assert old.execute("SELECT count(*) FROM messages").fetchone()[0] == 1


def test_failing_migration_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "w.db"
    Store.open(path).close()
    newer = newer_set()

    @newer(name="m999_broken")
    def m002(db):  # type: ignore[no-untyped-def]
        db.execute("ALTER TABLE cases ADD COLUMN half_done TEXT")
        raise RuntimeError("boom")

    monkeypatch.setattr(store_mod, "migrations", newer)
    with pytest.raises(RuntimeError):
        Store.open(path)
    monkeypatch.undo()
    s = Store.open(path)
    assert "half_done" not in s.db["cases"].columns_dict
    assert s.schema_version() == CURRENT


def test_read_only_store_cannot_write(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    Store.open(path).close()
    ro = Store.open(path, read_only=True)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        ro.db.execute("INSERT INTO settings (name, value) VALUES ('x', '1')")


def test_file_from_the_first_release_upgrades(tmp_path: Path) -> None:
    """A workspace created with only m001 (the first schema) gains every later step."""
    path = tmp_path / "old.db"
    only_first = Migrations(migrations_mod.MIGRATION_SET)
    only_first(name="m001_create_schema")(migrations_mod.m001_create_schema)
    from sqlite_utils import Database

    db = Database(path)
    only_first.apply(db)
    db.close()
    store = Store.open(path)
    assert store.schema_version() == CURRENT
    assert list(tmp_path.glob("old.db.backup-*"))

"""The store's facade: ``Store`` opens, migrates and closes a workspace; the parts hold the rest."""

from __future__ import annotations

import logging
import shutil
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from console.core import timeutil
from console.core.errors import (
    CorruptDatabaseError,
    SchemaTooNewError,
    StorageError,
    StoreError,
)
from console.core.migrations import migrations
from console.core.store.guard import explain, guard_public_methods
from console.core.store.replies import RepliesPart
from console.core.store.reports import ReportsPart
from console.core.store.templates import TemplatesPart


log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"


@guard_public_methods
class Store(ReportsPart, RepliesPart, TemplatesPart):
    """One workspace database.

    A ``Store`` is bound to the thread that opened it (sqlite3's rule): open
    the writer on the write worker and a read-only one on the read worker.
    """

    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False, create: bool = True) -> Store:
        """Open (and migrate) the workspace file at ``path``.

        Raises:
            CorruptDatabaseError: the file is not a SQLite database or is damaged.
            SchemaTooNewError: the file was written by a newer version of the app.
            StoreError: the file cannot be created or opened.
        """
        path = Path(path)
        exists = path.exists()
        if exists:
            _check_header(path)
        elif read_only or not create:
            raise StoreError(f"No workspace database at {path}.")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if read_only:
                conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            else:
                conn = sqlite3.connect(str(path))
            conn.execute("PRAGMA busy_timeout = 10000")
            # No sqlite-utils plugins: they would change our connection, and finding them
            # scans every installed package's metadata (50 ms of each start-up).
            db = Database(conn, execute_plugins=False)
            # Touch the schema: a damaged file fails here, before anything is written.
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            _raise_if_storage(exc, path)
            raise CorruptDatabaseError(
                f"{path} is not a Community Console workspace or it is damaged ({exc}). "
                "The file was left untouched."
            ) from exc
        store = cls(db, path, read_only=read_only)
        try:
            store._check_version()
            if not read_only:
                store._migrate(backup=exists and path.stat().st_size > 0)
                db.conn.execute("PRAGMA journal_mode = WAL")
                # In WAL mode NORMAL is still crash-safe (a power cut can lose the
                # last commits, never corrupt the file).
                db.conn.execute("PRAGMA synchronous = NORMAL")
            db.conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            db.close()
            _raise_if_storage(exc, path)
            raise CorruptDatabaseError(
                f"{path} is damaged and cannot be used ({exc}). The file was left untouched."
            ) from exc
        except BaseException:
            db.close()
            raise
        return store

    @classmethod
    def memory(cls) -> Store:
        """A migrated in-memory store (tests, throwaway work)."""
        db = Database(memory=True, execute_plugins=False)
        store = cls(db, None)
        store._migrate(backup=False)
        db.conn.execute("PRAGMA foreign_keys = ON")
        return store

    def close(self) -> None:
        self.db.close()

    def _applied_names(self) -> list[str]:
        table = self.db[migrations.migrations_table]
        if not table.exists():
            return []
        return [m.name for m in migrations.applied(self.db)]

    def _check_version(self) -> None:
        known = {m.name for m in migrations._migrations}
        unknown = [n for n in self._applied_names() if n not in known]
        if unknown:
            raise SchemaTooNewError(
                f"{self.path} was written by a newer version of Community Console "
                f"(it has schema step {unknown[-1]!r} this version does not know). "
                "Update the app to open it; the file was left untouched."
            )
        tables = set(self.db.table_names())
        if tables and not self._applied_names() and "cases" not in tables:
            raise StoreError(
                f"{self.path} is a SQLite database but not a Community Console workspace. "
                "The file was left untouched."
            )

    def _migrate(self, *, backup: bool) -> None:
        pending = migrations.pending(self.db)
        if not pending:
            return
        if backup and self.path is not None and self._applied_names():
            stamp = timeutil.now().strftime("%Y%m%dT%H%M%S")
            target = self.path.with_name(f"{self.path.name}.backup-{stamp}")
            log.info("backing up %s to %s before migrating", self.path, target)
            dest = sqlite3.connect(str(target))
            try:
                self.db.conn.backup(dest)
            finally:
                dest.close()
        migrations.apply(self.db)

    def schema_version(self) -> list[str]:
        return self._applied_names()


def _raise_if_storage(exc: sqlite3.Error, path: Path) -> None:
    """A busy, read-only, full or failing disk at open is said so, not called damage."""
    known = explain(exc, path)
    if isinstance(known, StorageError):
        raise known from exc


def _check_header(path: Path) -> None:
    """Refuse a file that is not SQLite without opening it for writing."""
    try:
        size = path.stat().st_size
        if size == 0:
            return
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"Cannot read {path}: {exc.strerror}.") from exc
    if header != SQLITE_HEADER:
        raise CorruptDatabaseError(
            f"{path} is not a Community Console workspace (it is not a SQLite database). "
            "The file was left untouched.")


def copy_workspace(source: Path, target: Path) -> None:
    """Copy a workspace file (used for throwaway demo copies)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)

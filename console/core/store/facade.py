"""The store's facade: ``Store`` opens, migrates and closes a workspace; the parts hold the rest."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterator
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
from console.core.store.contacts import ContactsPart
from console.core.store.guard import explain, guard_public_methods
from console.core.store.replies import RepliesPart
from console.core.store.reports import ReportsPart
from console.core.store.templates import TemplatesPart

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"


class _WriterDatabase(Database):
    """A writer's connection: each transaction takes the write lock when it begins.

    With a deferred ``BEGIN``, a transaction that reads and then writes while another
    process (a second window, a cron ``sync``) has committed fails at once with
    SQLITE_BUSY, whatever the busy timeout; ``BEGIN IMMEDIATE`` waits its turn instead,
    so two app instances on one workspace both get their writes in.
    """

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Database]:
        if self.conn.in_transaction:
            with super().atomic() as db:  # a savepoint inside the outer transaction
                yield db
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.conn.rollback()  # a no-op when the error already ended the transaction
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.rollback()
                raise


@guard_public_methods
class Store(ReportsPart, RepliesPart, TemplatesPart, ContactsPart):
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
        # The file is never opened here outside SQLite (no header peek, no copy): closing
        # any descriptor of it drops ALL of this process's POSIX locks on it, including
        # those of connections another thread is opening at that moment. Another instance
        # (a cron sync) closing then takes itself for the last user and deletes the WAL
        # under our feet ("disk I/O error"). SQLite's own check below refuses a file that
        # is not a database, before anything is written.
        if not exists:
            if read_only or not create:
                raise StoreError(f"No workspace database at {path}.")
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if read_only:
                conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            else:
                conn = sqlite3.connect(str(path))
            conn.execute("PRAGMA busy_timeout = 10000")
            # No sqlite-utils plugins: they would change our connection, and finding them
            # scans every installed package's metadata (50 ms of each start-up).
            db = (Database(conn, execute_plugins=False) if read_only
                  else _WriterDatabase(conn, execute_plugins=False))
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
            store.close()
            _raise_if_storage(exc, path)
            raise CorruptDatabaseError(
                f"{path} is damaged and cannot be used ({exc}). The file was left untouched."
            ) from exc
        except BaseException:
            store.close()
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

    @classmethod
    def connect(cls, url: str, *, password: str | None = None) -> Store:
        """Open (and migrate) the team workspace on the PostgreSQL server at ``url``.

        ``url`` is a ``postgresql://user@host:port/database`` address (``?sslmode=...``
        for TLS); the password comes from the keyring, never from the address.

        Raises:
            StorageError: the server cannot be reached or refuses the login.
            SchemaTooNewError: a newer version of the app has migrated the server.
        """
        from console.core import pg_schema
        from console.core.store import pg

        db = pg.connect(url, password=password)
        store = cls(db, None, dialect="postgres")  # type: ignore[arg-type]
        store.server = pg.redact(url)
        try:
            known = {name for name, _ in pg_schema.MIGRATIONS}
            unknown = [n for n in pg_schema.applied(db.conn.raw) if n not in known]
            if unknown:
                raise SchemaTooNewError(
                    f"The team server {store.server} was set up by a newer version of "
                    f"Community Console (schema step {unknown[-1]!r}). Update the app to "
                    "connect; nothing was changed.")
            pg_schema.migrate(db.conn.raw)
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        self.db.close()

    def _applied_names(self) -> list[str]:
        if self.dialect == "postgres":
            from console.core import pg_schema

            return pg_schema.applied(self.db.conn.raw)  # type: ignore[attr-defined]
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

    def data_version(self) -> int:
        """A number that changes when another connection (another window, a cron ``sync``)
        commits to the workspace: poll it to know when to re-read."""
        if self.dialect == "postgres":
            # Every change the store makes writes the timeline, a message or a reply.
            row = self.db.conn.execute(
                "SELECT (SELECT coalesce(max(id), 0) FROM case_events), "
                "(SELECT coalesce(max(id), 0) FROM messages), "
                "(SELECT coalesce(max(updated_at), 0) + count(*) FROM replies), "
                "(SELECT count(*) FROM settings)").fetchone()
            return hash(tuple(row)) & 0x7FFFFFFFFFFFFFFF
        return int(self.db.conn.execute("PRAGMA data_version").fetchone()[0])

    def schema_version(self) -> list[str]:
        return self._applied_names()


def is_server_address(where: object) -> bool:
    """Whether ``where`` names a team server (``postgresql://...``) rather than a file."""
    return isinstance(where, str) and where.startswith(("postgresql://", "postgres://"))


def open_workspace(where: str | Path, *, read_only: bool = False,
                   password: str | None = None) -> Store:
    """The workspace at ``where``: a laptop file, or a team server's address.

    A read-only team connection is read-only on the server too (its transactions are).
    """
    if is_server_address(where):
        store = Store.connect(str(where), password=password)
        if read_only:
            store.db.conn.set_session(  # type: ignore[attr-defined]
                "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            store.read_only = True
        return store
    return Store.open(where, read_only=read_only)


def _raise_if_storage(exc: sqlite3.Error, path: Path) -> None:
    """A busy, read-only, full or failing disk at open is said so, not called damage."""
    known = explain(exc, path)
    if isinstance(known, StorageError):
        raise known from exc


def copy_workspace(source: Path, target: Path) -> None:
    """Copy a workspace file (used for throwaway demo copies).

    Through SQLite's backup, not a file copy: this process may hold connections to
    ``source``, and closing a plain descriptor of it would drop their locks (see ``open``).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        dest = sqlite3.connect(str(target))
        try:
            src.backup(dest)
        finally:
            dest.close()
    finally:
        src.close()

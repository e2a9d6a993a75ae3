"""The team backend: a PostgreSQL connection shaped like the SQLite one the store parts use.

The parts write portable SQL with ``?`` placeholders; ``translate`` turns the few SQLite
idioms they use into PostgreSQL (``INSERT OR IGNORE``, ``group_concat``, ``instr``,
two-argument ``max``/``min``, ``json_extract``, ``lastrowid``).  Errors come back as the
``sqlite3`` exception classes the parts already handle, so one body of store code serves
both backends.  Search and the schema differ for real and live in their own places
(``messages._search_ids``, ``core/pg_schema.py``).
"""

from __future__ import annotations

import decimal
import functools
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import pq
from psycopg.adapt import Loader

from console.core.errors import KnownError, StorageError

# Tables whose rows have an ``id`` the parts read back as ``cursor.lastrowid``.
ID_TABLES = frozenset({
    "accounts", "case_events", "cases", "checklist_items", "contact_handles",
    "contact_links", "contacts", "messages", "notes", "replies", "templates",
})

_INSERT = re.compile(r"^\s*INSERT\s+(OR\s+IGNORE\s+)?INTO\s+(\w+)", re.IGNORECASE)
_FUNC = re.compile(r"\b(group_concat|instr|max|min|json_extract)\s*\(", re.IGNORECASE)
_CAST_INT = re.compile(r"\bAS\s+INTEGER\b", re.IGNORECASE)
_JSON_PATH = re.compile(r"^\s*'\$\.(\w+)'\s*$")
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
# SQLite reads "CROSS JOIN t ON ..." as an inner join in that order; PostgreSQL wants JOIN.
_CROSS_ON = re.compile(r"\bCROSS\s+JOIN\s+(\w+(?:\s+\w+)?\s+ON)\b", re.IGNORECASE)


def _split_strings(sql: str) -> list[tuple[bool, str]]:
    """``sql`` as ``(is_literal, text)`` pieces: nothing inside a '...' literal is rewritten."""
    pieces: list[tuple[bool, str]] = []
    i = 0
    while i < len(sql):
        start = sql.find("'", i)
        if start < 0:
            pieces.append((False, sql[i:]))
            break
        pieces.append((False, sql[i:start]))
        end = start + 1
        while True:
            end = sql.find("'", end)
            if end < 0:
                raise ValueError(f"unterminated string literal in SQL: {sql[:80]!r}")
            if sql.startswith("''", end):
                end += 2
                continue
            break
        pieces.append((True, sql[start:end + 1]))
        i = end + 1
    return pieces


def _args(sql: str, open_at: int) -> tuple[list[str], int]:
    """The top-level arguments of the call whose ``(`` is at ``open_at``, and its ``)``."""
    depth = 0
    quoted = False
    args: list[str] = []
    start = open_at + 1
    for i in range(open_at, len(sql)):
        ch = sql[i]
        if ch == "'":
            quoted = not quoted
        if quoted:
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                args.append(sql[start:i])
                return args, i
        elif ch == "," and depth == 1:
            args.append(sql[start:i])
            start = i + 1
    raise ValueError(f"unbalanced parentheses in SQL: {sql[:80]!r}")


def _functions(sql: str) -> str:
    """Rewrite SQLite functions PostgreSQL spells differently (innermost calls first)."""
    out = sql
    pos = 0
    while True:
        match = _FUNC.search(out, pos)
        if match is None:
            return out
        # A match inside a string literal is left alone.
        if out[:match.start()].count("'") % 2:
            pos = match.end()
            continue
        name = match.group(1).lower()
        args, close = _args(out, match.end() - 1)
        args = [_functions(a) for a in args]
        if name == "group_concat":
            first = args[0].strip()
            distinct = re.match(r"(?i)DISTINCT\s+", first)
            value = first[distinct.end():] if distinct else first
            sep = args[1] if len(args) > 1 else "','"
            new = (f"string_agg({'DISTINCT ' if distinct else ''}CAST({value} AS TEXT), "
                   f"{sep})")
        elif name == "instr":
            new = f"strpos({args[0]}, {args[1]})"
        elif name in ("max", "min") and len(args) > 1:
            new = f"{'greatest' if name == 'max' else 'least'}({', '.join(args)})"
        elif name == "json_extract":
            path = _JSON_PATH.match(args[1])
            if path is None:
                raise ValueError(f"unsupported json_extract path: {args[1]!r}")
            new = f"(CAST({args[0]} AS JSONB) ->> '{path.group(1)}')"
        else:
            new = f"{match.group(1)}({', '.join(args)})"
        out = out[:match.start()] + new + out[close + 1:]
        pos = match.start() + len(new)  # its arguments were rewritten above


@functools.lru_cache(maxsize=2048)
def translate(sql: str) -> tuple[str, bool]:
    """``(PostgreSQL text, returns an id)`` for one statement the store parts wrote.

    ``?`` becomes ``%s`` and every literal ``%`` is doubled (psycopg reads both).
    """
    insert = _INSERT.match(sql)
    body = sql
    if insert and insert.group(1):
        body = sql[:insert.start(1)] + sql[insert.end(1):]
    pieces = []
    for literal, text in _split_strings(body):
        text = text.replace("%", "%%")
        if not literal:
            text = text.replace("?", "%s")
            text = _NAMED.sub(r"%(\1)s", text)
            text = _CROSS_ON.sub(r"JOIN \1", text)
            text = _CAST_INT.sub("AS BIGINT", text)
        pieces.append(text)
    out = _functions("".join(pieces))
    returns_id = False
    if insert:
        if insert.group(1):
            out = out.rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
        if insert.group(2).lower() in ID_TABLES and not re.search(r"(?i)\bRETURNING\b", out):
            out = out.rstrip().rstrip(";") + " RETURNING id"
            returns_id = True
    return out, returns_id


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)  # SQLite stores booleans as 0/1 INTEGER columns; so do we
    if isinstance(value, str) and "\x00" in value:
        # PostgreSQL text cannot hold NUL: keep the message, mark where the NUL was.
        return value.replace("\x00", "\ufffd")
    return value


def _params(params: Sequence[Any] | dict[str, Any] | None) -> Any:
    if isinstance(params, dict):
        return {k: _param(v) for k, v in params.items()}
    return [_param(v) for v in (params or ())]


class _NumericLoader(Loader):
    """``sum``/``avg`` of integers are NUMERIC in PostgreSQL: give ints and floats back, as SQLite."""

    def load(self, data: Any) -> Any:
        value = decimal.Decimal(bytes(data).decode())
        return int(value) if value == value.to_integral_value() else float(value)


class PgCursor:
    """The slice of ``sqlite3.Cursor`` the parts use."""

    def __init__(self, cur: psycopg.Cursor[Any], lastrowid: int | None) -> None:
        self._cur = cur
        self.lastrowid = lastrowid

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount  # after executemany: the rows of every statement, summed

    @property
    def description(self) -> Any:
        return self._cur.description

    def fetchone(self) -> Any:
        return self._cur.fetchone() if self._cur.description else None

    def fetchall(self) -> list[Any]:
        return self._cur.fetchall() if self._cur.description else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


def _as_sqlite_error(exc: psycopg.Error) -> Exception:
    """The sqlite3 exception the parts handle for this PostgreSQL error."""
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError) \
            and not isinstance(exc, psycopg.errors.QueryCanceled):
        return StorageError(
            f"The team server cannot be reached ({str(exc).strip() or type(exc).__name__}). "
            "Nothing was changed; check the network and try again.", "io")
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        detail = exc.diag.message_primary or str(exc)
        return KnownError(f"The team server refused this change: {detail}.")
    if isinstance(exc, psycopg.IntegrityError):
        return sqlite3.IntegrityError(str(exc))
    return sqlite3.OperationalError(str(exc))


class PgConnection:
    """The slice of ``sqlite3.Connection`` the parts use, on one psycopg connection."""

    def __init__(self, conn: psycopg.Connection[Any],
                 reopen: Callable[[], psycopg.Connection[Any]] | None = None) -> None:
        self._reopen = reopen
        self.atomic_depth = 0  # PgDatabase.atomic's nesting: no reconnect inside a transaction
        self.session_setup: list[str] = []  # replayed on a new connection (SET ...)
        self._adopt(conn)

    def _adopt(self, conn: psycopg.Connection[Any]) -> None:
        self.raw = conn
        conn.adapters.register_loader("numeric", _NumericLoader)
        for statement in self.session_setup:
            conn.execute(statement)  # our own fixed statements

    def ensure_live(self) -> None:
        """After the server was lost (a restart, the network), connect again before the
        next statement outside a transaction; a transaction that was cut stays failed."""
        if self.atomic_depth or not (self.raw.closed or self.raw.broken):
            return
        if self._reopen is None:
            raise StorageError("The connection to the team server was lost.", "io")
        try:
            self._adopt(self._reopen())
        except psycopg.Error as exc:
            raise _as_sqlite_error(exc) from exc

    def set_session(self, statement: str) -> None:
        """Run a session setting now and on every reconnection."""
        self.session_setup.append(statement)
        self.raw.execute(statement)  # our own fixed statements

    @property
    def in_transaction(self) -> bool:
        if self.raw.broken or self.raw.closed:
            return False
        return self.raw.info.transaction_status != pq.TransactionStatus.IDLE

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> PgCursor:
        text, returns_id = translate(sql)
        self.ensure_live()
        cur = self.raw.cursor()
        try:
            cur.execute(text, _params(params))
        except psycopg.Error as exc:
            raise _as_sqlite_error(exc) from exc
        lastrowid = None
        if returns_id:
            row = cur.fetchone()
            lastrowid = int(row[0]) if row else None
        return PgCursor(cur, lastrowid)

    def executemany(self, sql: str, rows: Any) -> PgCursor:
        text, returns_id = translate(sql)
        if returns_id:
            text = text[:text.rindex(" RETURNING id")]
        self.ensure_live()
        cur = self.raw.cursor()
        try:
            cur.executemany(text, [_params(r) for r in rows])
        except psycopg.Error as exc:
            raise _as_sqlite_error(exc) from exc
        return PgCursor(cur, None)

    def rollback(self) -> None:
        if self.in_transaction:
            try:
                self.raw.execute("ROLLBACK")
            except psycopg.OperationalError:
                pass  # the connection is gone, and its transaction with it

    def close(self) -> None:
        self.raw.close()


class PgDatabase:
    """The slice of ``sqlite_utils.Database`` the store uses: ``conn``, ``execute``, ``atomic``."""

    def __init__(self, conn: psycopg.Connection[Any],
                 reopen: Callable[[], psycopg.Connection[Any]] | None = None) -> None:
        self.conn = PgConnection(conn, reopen)
        self._savepoints = 0

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> PgCursor:
        return self.conn.execute(sql, params)

    @contextmanager
    def atomic(self) -> Iterator[PgDatabase]:
        """One transaction, or a savepoint inside the one already open."""
        raw = self.conn.raw
        if self.conn.in_transaction:
            self._savepoints += 1
            name = f"cc_sp{self._savepoints}"
            raw.execute(f"SAVEPOINT {name}")
            try:
                yield self
            except BaseException:
                if raw.info.transaction_status != pq.TransactionStatus.IDLE:
                    raw.execute(f"ROLLBACK TO SAVEPOINT {name}")
                raise
            else:
                raw.execute(f"RELEASE SAVEPOINT {name}")
            finally:
                self._savepoints -= 1
            return
        self.conn.ensure_live()
        raw = self.conn.raw
        try:
            raw.execute("BEGIN")
        except psycopg.Error as exc:
            raise _as_sqlite_error(exc) from exc
        self.conn.atomic_depth += 1
        try:
            yield self
        except BaseException:
            self.conn.rollback()
            raise
        else:
            try:
                raw.execute("COMMIT")
            except psycopg.Error as exc:
                self.conn.rollback()
                raise _as_sqlite_error(exc) from exc
        finally:
            self.conn.atomic_depth -= 1

    def close(self) -> None:
        self.conn.close()


def connect(url: str, *, password: str | None = None) -> PgDatabase:
    """A connection to the team server at ``url`` (autocommit: the store opens transactions).

    Raises:
        StorageError: the server cannot be reached or refuses the login.
    """
    kwargs: dict[str, Any] = {"autocommit": True, "connect_timeout": 10,
                              "application_name": "community-console"}
    if password:
        kwargs["password"] = password
    def reopen() -> psycopg.Connection[Any]:
        return psycopg.connect(url, **kwargs)

    try:
        conn = reopen()
    except psycopg.Error as exc:
        raise StorageError(
            f"Cannot connect to the team server {redact(url)}: {str(exc).strip()}", "io") from exc
    return PgDatabase(conn, reopen)


def redact(url: str) -> str:
    """``url`` without a password in it (for messages and logs)."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def password_key(url: str) -> str:
    """The keyring entry of a team server's password: its login, host, port and database."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    return (f"team-server:{info.get('user', '')}@{info.get('host', '')}:"
            f"{info.get('port', '5432')}/{info.get('dbname', '')}")

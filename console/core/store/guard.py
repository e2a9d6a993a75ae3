"""SQLite failures after open become ``KnownError``s a user can act on, at the store boundary."""

from __future__ import annotations

import functools
import inspect
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from console.core.errors import CorruptDatabaseError, StorageError, StoreError

T = TypeVar("T")

# SQLite's primary result codes (extended codes carry them in the low byte).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26


def explain(exc: sqlite3.Error, path: Path | None) -> StoreError | None:
    """The user-facing error for a SQLite failure the environment caused, or ``None``.

    ``None`` means the failure is ours (bad SQL, a broken constraint): it stays a bug.
    """
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return None
    where = f"the workspace {path}" if path is not None else "the workspace"
    primary = code & 0xFF
    if primary == _FULL:
        return StorageError(
            f"The disk is full: {where} could not be saved. The change you just made was "
            "not saved; nothing saved before it was lost. Free some disk space and try again.",
            "disk_full")
    if primary in (_BUSY, _LOCKED):
        return StorageError(
            f"{where[0].upper()}{where[1:]} is busy: another Community Console window or "
            "another program is writing to it. Nothing was changed; try again in a moment, "
            "or close the other program.", "busy")
    if primary == _READONLY:
        return StorageError(
            f"{where[0].upper()}{where[1:]} cannot be written: the file or its folder is "
            "read-only. Nothing was changed; check the file's permissions (or open a copy) "
            "and try again.", "read_only")
    if primary in (_IOERR, _CANTOPEN):
        return StorageError(
            f"Community Console could not read or write {where} (an input/output error: "
            "the disk may be failing or unplugged, or a network folder went away). Nothing "
            "was changed; check the disk and try again.", "io")
    if primary in (_CORRUPT, _NOTADB):
        return CorruptDatabaseError(
            f"{where[0].upper()}{where[1:]} is damaged ({exc}). Nothing more was written to "
            "it; restore a backup (the app keeps one before each upgrade).")
    return None


@contextmanager
def explained(path: Path | None) -> Iterator[None]:
    """Turn the environment's SQLite failures inside the block into ``StoreError``s."""
    try:
        yield
    except sqlite3.Error as exc:
        known = explain(exc, path)
        if known is None:
            raise
        raise known from exc


def _guard_function(fn: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen(self: Any, *args: Any, **kwargs: Any) -> Any:
            with explained(self.path):
                yield from fn(self, *args, **kwargs)
        return gen

    @functools.wraps(fn)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        with explained(self.path):
            return fn(self, *args, **kwargs)
    return call


def guard_public_methods(cls: type[T]) -> type[T]:
    """Wrap every public method of ``cls`` (and of its parts) in ``explained``.

    The one place SQLite errors are translated: the parts stay free of try/except.
    ``atomic`` translates in its own body (it is a context manager), and the class
    methods ``open``/``memory`` handle their own failures.
    """
    for name in dir(cls):
        if name.startswith("_") or name == "atomic":
            continue
        attr = inspect.getattr_static(cls, name)
        if inspect.isfunction(attr):
            setattr(cls, name, _guard_function(attr))
    return cls

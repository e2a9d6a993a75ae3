"""The workspace store: the only package that writes SQL, behind one facade, ``Store``."""

# Callers see intent-named methods and plain dataclasses; table names and SQLite
# specifics stay in this package (and in core/migrations.py).  Store is assembled from
# parts named after what they hold (accounts, cases, messages, replies, templates,
# exchange, reports, contacts), all on its one connection.

from __future__ import annotations

import sys


def _import_sqlite_utils() -> None:
    """Import sqlite-utils without the numpy it would load.

    sqlite-utils imports numpy, when installed, only to map numpy values in its
    insert helpers, which the store never uses; numpy (there for the mood
    detector's language model, loaded after the window's first paint) would
    cost every start-up about 0.1 s here. Done once, before any worker thread runs.
    """
    if "sqlite_utils" in sys.modules or "numpy" in sys.modules:
        return
    sys.modules["numpy"] = None  # type: ignore[assignment]  # "import numpy" fails
    try:
        import sqlite_utils  # noqa: F401
    finally:
        del sys.modules["numpy"]


_import_sqlite_utils()

from console.core.rules import FINISHED_STATUSES, OPEN_STATUSES, TRANSITIONS  # noqa: E402
from console.core.store.contacts import (  # noqa: E402
    ContactLink,
    ContactSummary,
    LinkSuggestion,
)
from console.core.store.facade import (  # noqa: E402
    SQLITE_HEADER,
    Store,
    copy_workspace,
    is_server_address,
    open_workspace,
)
from console.core.store.model import (  # noqa: E402
    CaseFilter,
    IngestResult,
    SearchHit,
    View,
    sort_key_for,
)

__all__ = [
    "ContactLink", "ContactSummary", "LinkSuggestion", "FINISHED_STATUSES", "OPEN_STATUSES",
    "SQLITE_HEADER", "TRANSITIONS", "CaseFilter",
    "IngestResult", "SearchHit", "Store", "View", "copy_workspace", "is_server_address",
    "open_workspace", "sort_key_for",
]

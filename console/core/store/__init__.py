"""The workspace store: the only package that writes SQL, behind one facade, ``Store``."""

# Callers see intent-named methods and plain dataclasses; table names and SQLite
# specifics stay in this package (and in core/migrations.py).  Store is assembled from
# parts named after what they hold (accounts, cases, messages, replies, templates,
# exchange, reports, contacts), all on its one connection.

from __future__ import annotations

from console.core.rules import FINISHED_STATUSES, OPEN_STATUSES, TRANSITIONS
from console.core.store.contacts import ContactLink, ContactSummary, LinkSuggestion
from console.core.store.facade import SQLITE_HEADER, Store, copy_workspace
from console.core.store.model import (
    CaseFilter,
    IngestResult,
    SearchHit,
    View,
    sort_key_for,
)

__all__ = [
    "ContactLink", "ContactSummary", "LinkSuggestion", "FINISHED_STATUSES", "OPEN_STATUSES",
    "SQLITE_HEADER", "TRANSITIONS", "CaseFilter",
    "IngestResult", "SearchHit", "Store", "View", "copy_workspace", "sort_key_for",
]

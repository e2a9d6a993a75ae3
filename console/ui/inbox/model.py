"""The inbox: a lazy Qt item model that reads the store one page at a time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QIcon

from console.core import timeutil
from console.core.changes import Changes
from console.core.models import Account, CaseRow
from console.core.paths import resource_path
from console.core.rules import mood_of
from console.core.store import CaseFilter, Store
from console.ui.ops import Ops

Index = QModelIndex | QPersistentModelIndex

PLATFORM_NAMES = {"mastodon": "Mastodon", "bluesky": "Bluesky", "x": "X", "demo": "Demo"}
_ICONS: dict[str, QIcon] = {}


def platform_icon(platform: str) -> QIcon:
    """The platform's badge (resources/icons/platform-*.svg); an empty icon if unknown."""
    if platform not in _ICONS:
        path = resource_path(f"icons/platform-{platform}.svg")
        _ICONS[platform] = QIcon(str(path)) if path.exists() else QIcon()
    return _ICONS[platform]


@dataclass(frozen=True)
class AccountRef:
    """A brand account as the inbox names it."""

    id: int
    name: str
    handle: str
    platform: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.handle} on {PLATFORM_NAMES.get(self.platform, self.platform)})"


Page = tuple[list[CaseRow], dict[int, tuple[AccountRef, ...]]]


def _with_accounts(store: Store, rows: list[CaseRow]) -> Page:
    """Rows plus the accounts each case's customer wrote to (names, not one-letter badges)."""
    # The store names a case's accounts by handle only; join them to the account list here.
    # (A handle is unique per platform; the case's own platforms break a tie.)
    accounts: dict[str, list[Account]] = {}
    for a in store.accounts():
        accounts.setdefault(a.handle, []).append(a)
    handles = store.case_accounts([r.id for r in rows]) if rows else {}
    out: dict[int, tuple[AccountRef, ...]] = {}
    for row in rows:
        refs = []
        for handle in handles.get(row.id, []):
            found = accounts.get(handle, [])
            match = next((a for a in found if a.platform.value in row.platforms),
                         found[0] if found else None)
            if match is not None:
                refs.append(AccountRef(int(match.id), match.display_name or match.handle,
                                       match.handle, match.platform.value))
        out[row.id] = tuple(refs)
    return rows, out


def sentiment_label(value: float | None) -> str:
    return mood_of(value)


SENTIMENT_GLYPHS = {"negative": "☹ negative", "positive": "☺ positive", "neutral": "· neutral",
                    "unknown": "? unknown"}


#: What the status column adds for a case's unsent replies, worst first: a failed reply
#: needs someone, a queued one means the customer is being answered, a draft is begun.
REPLY_MARKERS: tuple[tuple[str, str], ...] = (
    ("failed", " · ⚠ reply failed"), ("sending", " · ⏳ reply sending"),
    ("approved", " · ⏳ reply queued"), ("draft", " · ✎ draft"))
REPLY_STATE_WORDS = {"failed": "one failed to send", "sending": "one being sent",
                     "approved": "one approved, waiting to be sent", "draft": "a draft"}


def reply_marker(states: tuple[str, ...]) -> str:
    """The inbox row's marker for its unsent replies ("" when it has none)."""
    return next((mark for state, mark in REPLY_MARKERS if state in states), "")


class InboxModel(QAbstractTableModel):
    """Cases in waiting order, fetched ``page_size`` at a time through the read worker.

    Signals:
        page_loaded(int): a page arrived (its row count).
        loading_changed(bool): a fetch started or finished.
    """

    CaseIdRole = Qt.ItemDataRole.UserRole
    RowRole = Qt.ItemDataRole.UserRole + 1
    StatusRole = Qt.ItemDataRole.UserRole + 2

    # The triage columns come first, so a narrow window keeps them in view.
    COL_WAITING, COL_CUSTOMER, COL_ACCOUNT, COL_STATUS, COL_MESSAGE, COL_OWNER, COL_MOOD = range(7)
    HEADERS = ("Waiting", "Customer", "Account", "Status", "Last message", "Owner", "Mood")

    page_loaded = Signal(int)
    loading_changed = Signal(bool)
    search_changed = Signal(str)  # the new search text ("" when the search ends)

    def __init__(self, ops: Ops, parent: QObject | None = None, *, page_size: int = 200,
                 clock: Callable[[], dt.datetime] = timeutil.now) -> None:
        super().__init__(parent)
        self._ops = ops
        self._rows: list[CaseRow] = []
        self._accounts: dict[int, tuple[AccountRef, ...]] = {}
        self._filter = CaseFilter()
        self._search: str | None = None
        self._page_size = page_size
        self._exhausted = False
        self._loading = False
        self._reloading = False
        self._wanted = page_size
        self._generation = 0  # bumps on every reset; stale pages are dropped
        self._clock = clock
        self._now = clock()

    # ------------------------------------------------------------ Qt API
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            if 0 <= section < len(self.HEADERS):
                return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == self.COL_WAITING:
                if row.waiting_since is None:
                    return ""
                return timeutil.humanize_duration((self._now - row.waiting_since).total_seconds())
            if col == self.COL_CUSTOMER:
                return row.contact_name or row.contact_handle
            if col == self.COL_MESSAGE:
                # One line; shown as plain text by the view (never as markup).
                return " ".join(row.preview.split())[:200]
            if col == self.COL_STATUS:
                return row.status.label + reply_marker(row.reply_states)
            if col == self.COL_OWNER:
                return row.owner
            if col == self.COL_MOOD:
                return SENTIMENT_GLYPHS[sentiment_label(row.sentiment)]
            if col == self.COL_ACCOUNT:
                refs = self._accounts.get(row.id, ())
                if not refs:
                    return ", ".join(PLATFORM_NAMES.get(p, p) for p in row.platforms)
                return refs[0].name + (f" +{len(refs) - 1}" if len(refs) > 1 else "")
            return None
        if role == Qt.ItemDataRole.DecorationRole and col == self.COL_ACCOUNT:
            refs = self._accounts.get(row.id, ())
            platform = refs[0].platform if refs else (row.platforms[0] if row.platforms else "")
            return platform_icon(platform) if platform else None
        if role == Qt.ItemDataRole.ToolTipRole and col == self.COL_STATUS and row.reply_states:
            return "Replies: " + ", ".join(REPLY_STATE_WORDS.get(s, s)
                                           for s in row.reply_states)
        if role == Qt.ItemDataRole.ToolTipRole and col == self.COL_ACCOUNT:
            # Tooltips may be rich text: only our own words go there (account names are
            # the brand's), never a customer's.
            return "\n".join(r.label for r in self._accounts.get(row.id, ())) or None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            if col == self.COL_ACCOUNT:
                return "; ".join(r.label for r in self._accounts.get(row.id, ())) or \
                    self.data(index, Qt.ItemDataRole.DisplayRole)
            return self.data(index, Qt.ItemDataRole.DisplayRole)
        if role == self.CaseIdRole:
            return row.id
        if role == self.RowRole:
            return row
        if role == self.StatusRole:
            return row.status.value
        if role == Qt.ItemDataRole.TextAlignmentRole and col == self.COL_WAITING:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid():
            return False
        # Only when rows are wanted: Qt's views ask eagerly, before their layout
        # knows how many rows fit, and would otherwise pull the whole table.
        return not self._exhausted and not self._loading and self._wanted > len(self._rows)

    def request_more(self) -> None:
        """The user scrolled near the end: fetch the next page."""
        if not self._exhausted and not self._loading:
            self._wanted = len(self._rows) + self._page_size
            self.fetchMore()

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or not self.canFetchMore():
            return
        self._set_loading(True)
        generation = self._generation
        flt = self._filter
        after = self._rows[-1].sort_key if self._rows else None
        limit = self._page_size
        search = self._search

        def fetch(store: Store) -> Page:
            if search is not None:  # search results page exactly like a view
                return _with_accounts(store, store.search_page(search, flt, after=after,
                                                               limit=limit))
            return _with_accounts(store, store.cases_page(flt, after=after, limit=limit))

        def loaded(page: Page) -> None:
            if generation != self._generation:
                return
            rows, accounts = page
            self._accounts.update(accounts)
            self._now = self._clock()
            # Exhausted before the insert: views react to new rows by asking for more.
            self._exhausted = len(rows) < limit
            if rows:
                first = len(self._rows)
                self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
                self._rows.extend(rows)
                self.endInsertRows()
            # Loading ends after the insert: a listener that asked for more on "loading
            # ended" before the rows were in would fetch this same page again (seen as
            # every row of a page shown twice).
            self._set_loading(False)
            self.page_loaded.emit(len(rows))

        def failed(exc: BaseException) -> None:
            if generation != self._generation:
                return
            self._set_loading(False)
            self._exhausted = True
            self.page_loaded.emit(0)
            from console.ui.ops import show_error
            show_error(None, exc)

        self._ops.query(fetch, parent=self).success(loaded).failure(failed).run()

    # ------------------------------------------------------------ control
    def _set_loading(self, loading: bool) -> None:
        self._loading = loading
        self.loading_changed.emit(loading)

    @property
    def is_loading(self) -> bool:
        return self._loading or self._reloading

    @property
    def has_more(self) -> bool:
        """More rows wait in the store (they load as the user scrolls)."""
        return not self._exhausted

    @property
    def filter(self) -> CaseFilter:
        return self._filter

    @property
    def search_text(self) -> str | None:
        return self._search

    def set_filter(self, flt: CaseFilter, *, search: str | None = None) -> None:
        """Show another view (or search results); starts loading the first page."""
        self._filter = flt
        before = self._search
        self._search = search.strip() if search and search.strip() else None
        if self._search != before:
            self.search_changed.emit(self._search or "")
        self.reload()

    def reload(self) -> None:
        # Loading from the reset on: listeners must not take the empty reset for "no cases".
        self._reloading = True
        self.beginResetModel()
        self._generation += 1
        self._rows = []
        self._accounts = {}
        self._exhausted = False
        self._loading = False
        self._wanted = self._page_size
        self.endResetModel()
        self._reloading = False
        self.fetchMore()

    def row_of(self, case_id: int) -> int:
        for i, row in enumerate(self._rows):
            if row.id == case_id:
                return i
        return -1

    def account_names(self) -> list[str]:
        """The distinct account labels the loaded rows show (for the column's width)."""
        # From the few accounts, not the many rows: this runs on every page.
        names = {ref.name for refs in self._accounts.values() for ref in refs}
        return sorted(names, key=len)[-1:]

    def accounts_at(self, row: int) -> tuple[AccountRef, ...]:
        """The brand accounts the customer of this row wrote to."""
        case = self.case_at(row)
        return self._accounts.get(case.id, ()) if case is not None else ()

    def case_at(self, row: int) -> CaseRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def apply_changes(self, changes: Changes, on_done: Callable[[], None] | None = None) -> None:
        """Refresh after a write: update rows in place when the order holds, else reload."""
        if not changes.cases:
            return
        generation = self._generation
        count = max(len(self._rows), self._page_size)
        flt = self._filter
        search = self._search

        def fetch(store: Store) -> Page:
            if search is not None:
                return _with_accounts(store, store.search_page(search, flt, limit=count))
            return _with_accounts(store, store.cases_page(flt, limit=count))

        def fresh(page: Page) -> None:
            if generation != self._generation:
                return
            rows, accounts = page
            self._now = self._clock()
            if [r.id for r in rows] == [r.id for r in self._rows]:
                old_accounts = self._accounts
                self._accounts = accounts
                for i, (old, new) in enumerate(zip(self._rows, rows)):
                    if old != new or old_accounts.get(new.id) != accounts.get(new.id):
                        self._rows[i] = new
                        self.dataChanged.emit(self.index(i, 0),
                                              self.index(i, self.columnCount() - 1))
            else:
                self.beginResetModel()
                self._generation += 1
                self._rows = rows
                self._accounts = accounts
                self._wanted = len(rows)
                self._exhausted = len(rows) < count
                self._loading = False
                self.endResetModel()
            if on_done is not None:
                on_done()

        self._ops.query(fetch, parent=self).success(fresh).run()

    def tick(self) -> None:
        """Waiting times move on: repaint that column."""
        self._now = self._clock()
        if self._rows:
            self.dataChanged.emit(self.index(0, self.COL_WAITING),
                                  self.index(len(self._rows) - 1, self.COL_WAITING),
                                  [Qt.ItemDataRole.DisplayRole])


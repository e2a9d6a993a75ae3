"""The inbox list: columns that fit the width, so the triage columns never scroll away."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QWidget,
)

from console.ui.inbox.model import InboxModel

ICON_SIZE = 16
PADDING = 14  # a cell's margins, in px

# Waiting, Customer, Account and Status are what a user triages by: always shown,
# squeezed (elided) before they are ever scrolled out of view. The others give way
# first, in this order: Mood, then Owner, then the message preview.
TRIAGE = (InboxModel.COL_WAITING, InboxModel.COL_CUSTOMER, InboxModel.COL_ACCOUNT,
          InboxModel.COL_STATUS)
HIDE_ORDER = (InboxModel.COL_MOOD, InboxModel.COL_OWNER, InboxModel.COL_MESSAGE)
SQUEEZE_ORDER = (InboxModel.COL_ACCOUNT, InboxModel.COL_CUSTOMER, InboxModel.COL_STATUS)

# Preferred and smallest widths: sample text (measured in the view's font) or a number
# of average characters. The Account column adds its platform icon.
PREFERRED: dict[int, str | int] = {
    InboxModel.COL_WAITING: "23h 59m", InboxModel.COL_CUSTOMER: 17,
    InboxModel.COL_ACCOUNT: 19, InboxModel.COL_STATUS: "Resolved",
    InboxModel.COL_MESSAGE: 24, InboxModel.COL_OWNER: 12, InboxModel.COL_MOOD: "☹ negative",
}
MINIMUM: dict[int, str | int] = {
    InboxModel.COL_WAITING: "23h 59m", InboxModel.COL_CUSTOMER: 8,
    InboxModel.COL_ACCOUNT: 8, InboxModel.COL_STATUS: "Open…",
    InboxModel.COL_MESSAGE: 18, InboxModel.COL_OWNER: 12, InboxModel.COL_MOOD: "☹ negative",
}
LONGEST_ACCOUNT = 26  # characters: a longer account name elides in the middle


def measure_columns(text_width: Callable[[str], int], char: float,
                    account_names: Iterable[str] = ()) -> tuple[dict[int, int], dict[int, int]]:
    """Preferred and minimum widths in px, from a font's text width and average character.

    The Account column prefers the width of the longest account name shown (up to
    ``LONGEST_ACCOUNT`` characters).
    """
    def px(column: int, spec: str | int) -> int:
        base = text_width(spec) if isinstance(spec, str) else int(spec * char)
        icon = ICON_SIZE + 4 if column == InboxModel.COL_ACCOUNT else 0
        return base + icon + PADDING

    preferred = {c: px(c, s) for c, s in PREFERRED.items()}
    names = [n[:LONGEST_ACCOUNT] for n in account_names]
    if names:
        preferred[InboxModel.COL_ACCOUNT] = max(px(InboxModel.COL_ACCOUNT, n) for n in names)
    minimum = {c: px(c, s) for c, s in MINIMUM.items()}
    preferred[InboxModel.COL_ACCOUNT] = max(preferred[InboxModel.COL_ACCOUNT],
                                            minimum[InboxModel.COL_ACCOUNT])
    return preferred, minimum


def fit_columns(width: int, preferred: dict[int, int], minimum: dict[int, int]
                ) -> dict[int, int | None]:
    """Column widths (px) for a viewport ``width`` px wide; ``None`` means hidden.

    The shown columns always add up to at most ``width`` when the triage columns fit
    at their minimum, so nothing needs scrolling sideways.
    """
    shown = list(preferred)

    def needed(columns: list[int]) -> int:
        # The message preview only needs its minimum: it stretches into the rest.
        return sum(minimum[c] if c == InboxModel.COL_MESSAGE else preferred[c] for c in columns)

    for hide in HIDE_ORDER:
        if needed(shown) <= width:
            break
        shown.remove(hide)
    widths: dict[int, int | None] = {c: None for c in preferred}
    sizes = {c: preferred[c] for c in shown}
    if InboxModel.COL_MESSAGE in sizes:
        sizes[InboxModel.COL_MESSAGE] = width - sum(
            v for c, v in sizes.items() if c != InboxModel.COL_MESSAGE)
    else:
        spare = width - sum(sizes.values())
        if spare >= 0:
            # Only the triage columns: the spare width goes to the names, which elide first.
            sizes[InboxModel.COL_CUSTOMER] += spare // 2
            sizes[InboxModel.COL_ACCOUNT] += spare - spare // 2
        else:
            short = -spare
            for column in SQUEEZE_ORDER:
                give = min(short, sizes[column] - minimum[column])
                sizes[column] -= give
                short -= give
    widths.update(sizes)
    return widths


class _AccountDelegate(QStyledItemDelegate):
    """Account names share the brand's name at the front: elide in the middle, not the end."""

    def initStyleOption(self, option: QStyleOptionViewItem,
                        index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


class InboxView(QTreeView):
    """The inbox rows; lays its columns out for its own width on every resize."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inbox")
        self.setAccessibleName("Inbox")
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setIconSize(QSize(ICON_SIZE, ICON_SIZE))
        self._account_delegate = _AccountDelegate(self)
        self.setItemDelegateForColumn(InboxModel.COL_ACCOUNT, self._account_delegate)
        # Columns always fit the width: nothing to scroll sideways, so the triage
        # columns cannot scroll out of view.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.header()
        header.setAccessibleName("Inbox columns")
        header.setStretchLastSection(False)
        header.setSectionsMovable(False)
        header.setMinimumSectionSize(24)
        header.setTextElideMode(Qt.TextElideMode.ElideRight)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)

    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        if isinstance(model, InboxModel):
            # New rows may bring a longer account name.
            model.modelReset.connect(self.fit_columns)
            model.rowsInserted.connect(self.fit_columns)
        self.fit_columns()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_columns()

    def fit_columns(self) -> None:
        if self.model() is None:
            return
        metrics = self.fontMetrics()
        model = self.model()
        names = model.account_names() if isinstance(model, InboxModel) else []
        preferred, minimum = measure_columns(metrics.horizontalAdvance,
                                             float(metrics.averageCharWidth()), names)
        widths = fit_columns(self.viewport().width(), preferred, minimum)
        header = self.header()
        for column, width in widths.items():
            if column >= header.count():
                continue
            header.setSectionHidden(column, width is None)
            if width is not None:
                header.resizeSection(column, width)

    def triage_width(self) -> int:
        """Width (px) the view needs to show the triage columns unsqueezed."""
        metrics = self.fontMetrics()
        model = self.model()
        names = model.account_names() if isinstance(model, InboxModel) else []
        preferred, _minimum = measure_columns(metrics.horizontalAdvance,
                                              float(metrics.averageCharWidth()), names)
        chrome = self.width() - self.viewport().width()
        return sum(preferred[c] for c in TRIAGE) + max(chrome, 2 * self.frameWidth()
                                                       + self.verticalScrollBar().sizeHint().width())

    def visible_columns(self) -> list[int]:
        return [c for c in range(self.header().count()) if not self.header().isSectionHidden(c)]

"""Help → Keyboard shortcuts: the sheet, built from the table of actions."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.ui.actions import ACTIONS, CONTEXT_TITLES


def sheet_rows() -> list[tuple[str, list[tuple[str, str]]]]:
    """(where, [(keys, what it does)]) for every action that has keys, in table order."""
    rows: list[tuple[str, list[tuple[str, str]]]] = []
    for context, title in CONTEXT_TITLES.items():
        entries = [(" or ".join(spec.shortcuts), spec.help)
                   for spec in ACTIONS if spec.context == context and spec.shortcuts]
        if entries:
            rows.append((title, entries))
    return rows


class ShortcutsDialog(QDialog):
    """Every keyboard shortcut, grouped by the part of the window where it acts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        self.tree = QTreeWidget()
        self.tree.setObjectName("shortcutsList")
        self.tree.setAccessibleName("Keyboard shortcuts")
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Keys", "What it does"])
        self.tree.setRootIsDecorated(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for title, entries in sheet_rows():
            group = QTreeWidgetItem([title, ""])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            self.tree.addTopLevelItem(group)
            group.setFirstColumnSpanned(True)  # only once it is in the tree
            for keys, what in entries:
                group.addChild(QTreeWidgetItem([keys, what]))
            group.setExpanded(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree)
        layout.addWidget(buttons)
        self.resize(520, 560)

    def listed(self) -> list[tuple[str, str]]:
        """(keys, what) as shown, for tests and screen readers alike."""
        out = []
        groups = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        for group in filter(None, groups):
            children = (group.child(j) for j in range(group.childCount()))
            out += [(child.text(0), child.text(1)) for child in filter(None, children)]
        return out

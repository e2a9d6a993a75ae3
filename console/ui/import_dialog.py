"""The import dialog: merge a colleague's JSON case log and show what happened, conflicts first."""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.core import importer
from console.core.changes import Changes
from console.core.errors import KnownError
from console.core.importer import ImportResult
from console.core.store import Store
from console.ui.ops import Ops, show_error


class ImportDialog(QDialog):
    """Pick a ``.json`` case log, import it on the writer thread, show the result.

    Signals:
        import_finished(object): the ImportResult.
        open_case(int): the user double-clicked a conflicting case.
    """

    import_finished = Signal(object)
    open_case = Signal(int)

    def __init__(self, ops: Ops, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importDialog")
        self.setWindowTitle("Import a case log")
        self._ops = ops
        self.import_result: ImportResult | None = None
        self._running = False

        intro = QLabel("Import cases exported from another workspace (JSON). Nothing is "
                       "duplicated; importing the same file again changes nothing. A case "
                       "changed differently in both workspaces keeps its state here and is "
                       "listed as a conflict.")
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.PlainText)
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("importPath")
        self.path_edit.setAccessibleName("Case log file")
        self.path_edit.setPlaceholderText("case-log.json")
        self.path_edit.textChanged.connect(self._update_buttons)
        browse = QPushButton("Choose…")
        browse.clicked.connect(self.choose_path)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)

        self.summary = QPlainTextEdit()
        self.summary.setObjectName("importSummary")
        self.summary.setAccessibleName("Import result")
        self.summary.setReadOnly(True)
        self.summary.setMaximumBlockCount(500)
        self.conflicts = QTableWidget(0, 4)
        self.conflicts.setObjectName("importConflicts")
        self.conflicts.setAccessibleName("Conflicts")
        self.conflicts.setHorizontalHeaderLabels(["Case", "Field", "Kept here", "Imported"])
        self.conflicts.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.conflicts.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.conflicts.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.conflicts.horizontalHeader().setStretchLastSection(True)
        self.conflicts.verticalHeader().setVisible(False)
        self.conflicts.cellDoubleClicked.connect(self._conflict_activated)
        self.conflicts.setVisible(False)
        self.conflicts_label = QLabel("Conflicts (double-click to open the case):")
        self.conflicts_label.setVisible(False)

        self.buttons = QDialogButtonBox()
        self.import_button = self.buttons.addButton("Import",
                                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setObjectName("importButton")
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.import_button.clicked.connect(self.start_import)
        self.close_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.summary, 1)
        layout.addWidget(self.conflicts_label)
        layout.addWidget(self.conflicts, 1)
        layout.addWidget(self.buttons)
        self.resize(640, 420)
        self._update_buttons()

    def choose_path(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a case log",
                                              self.path_edit.text() or str(Path.home()),
                                              "Case logs (*.json)")
        if path:
            self.path_edit.setText(path)

    def _update_buttons(self) -> None:
        self.import_button.setEnabled(not self._running and bool(self.path_edit.text().strip()))

    def start_import(self) -> None:
        text = self.path_edit.text().strip()
        if not text or self._running:
            return
        path = Path(text).expanduser()

        def work(store: Store) -> tuple[ImportResult, Changes]:
            result = importer.import_file(store, path)
            return result, result.changes

        self._running = True
        self._update_buttons()
        self.summary.setPlainText("Importing…")
        self._ops.write(work, parent=self).success(self._done).failure(self._failed) \
            .run(initiator=self)

    def _failed(self, exc: BaseException) -> None:
        self._running = False
        self._update_buttons()
        self.summary.setPlainText(f"The import failed; nothing was changed.\n\n{exc}")
        if not isinstance(exc, KnownError):
            show_error(self, exc)  # our fault: logged, with the crash message

    def _done(self, result: ImportResult) -> None:
        if not shiboken6.isValid(self):
            return
        self._running = False
        self._update_buttons()
        self.import_result = result
        self.summary.setPlainText("\n".join(result.summary_lines()))
        self.conflicts.setRowCount(len(result.conflicts))
        for row, c in enumerate(result.conflicts):
            for col, text in enumerate((f"#{c.case_id}", c.field, c.ours or "—",
                                        c.theirs or "—")):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, c.case_id)
                self.conflicts.setItem(row, col, item)
        self.conflicts.setVisible(bool(result.conflicts))
        self.conflicts_label.setVisible(bool(result.conflicts))
        self.import_finished.emit(result)

    def _conflict_activated(self, row: int, _column: int) -> None:
        item = self.conflicts.item(row, 0)
        if item is not None:
            self.open_case.emit(int(item.data(Qt.ItemDataRole.UserRole)))

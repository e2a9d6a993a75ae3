"""The export dialog: choose cases and a format, then export in the background with Cancel.

The export runs on its own thread with its own read-only connection, so a
long export never holds up the inbox's reads or the writer.  Progress comes
back to the GUI thread through the op helpers (Ops.on_main).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from pathlib import Path

import shiboken6
from PySide6.QtCore import QDate, QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from console.core import export
from console.core.errors import KnownError
from console.core.export import ExportCancelled, ExportSummary, Selection
from console.core.store import CaseFilter, Store, View
from console.ui.ops import Ops, show_error

log = logging.getLogger(__name__)

#: ``exporter(store, selection, fmt, path, progress=, cancelled=) -> ExportSummary``
Exporter = Callable[..., ExportSummary]


def default_exporter(store: Store, selection: Selection, fmt: str, path: Path, *,
                     progress: export.Progress, cancelled: export.Cancelled) -> ExportSummary:
    """Every format: PDF through Qt's writer, the others through ``core/export.py``."""
    if fmt == "pdf":
        from console.ui.pdf_export import export_pdf

        return export_pdf(store, selection, path, progress=progress, cancelled=cancelled)
    return export.export(store, selection, fmt, path, progress=progress, cancelled=cancelled)



def _pydate(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())

class ExportJob:
    """One export on its own thread; ``cancel()`` asks it to stop at the next case.

    Callbacks run on the GUI thread: ``on_progress(done, total)`` and
    ``on_done(summary, error)``.  Progress is coalesced: at most one update waits
    for the GUI thread at a time, and it always carries the latest count.
    """

    def __init__(self, ops: Ops, work: Callable[[Store, export.Progress,
                                                 export.Cancelled], ExportSummary],
                 *, on_progress: Callable[[int, int], None],
                 on_done: Callable[[ExportSummary | None, BaseException | None], None],
                 parent: QObject | None = None) -> None:
        self._ops = ops
        self._parent = parent  # callbacks are dropped once it is gone
        self._work = work
        self._on_progress = on_progress
        self._on_done = on_done
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._latest = (0, 0)
        self._scheduled = False
        self._thread = threading.Thread(target=self._run, name="export", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _progress(self, done: int, total: int) -> None:
        with self._lock:
            self._latest = (done, total)
            if self._scheduled:
                return
            self._scheduled = True
        self._ops.on_main(self._deliver_progress, parent=self._parent)

    def _deliver_progress(self) -> None:
        with self._lock:
            done, total = self._latest
            self._scheduled = False
        self._on_progress(done, total)

    def _run(self) -> None:
        result: ExportSummary | None = None
        error: BaseException | None = None
        try:
            # A connection of its own: sqlite3 connections belong to one thread.
            store = self._ops.open_reader()
            try:
                result = self._work(store, self._progress, self.cancelled)
            finally:
                store.close()
        except BaseException as exc:  # noqa: BLE001 - handed to the GUI thread, shown there
            error = exc
        self._ops.on_main(lambda: self._on_done(result, error), parent=self._parent)


class ExportDialog(QDialog):
    """Export the selected cases, the current view, a date range, or everything.

    Signals:
        export_finished(object): an ExportSummary, after the file was written.
    """

    export_finished = Signal(object)

    def __init__(self, ops: Ops, *, case_ids: list[int] | None,
                 current_filter: CaseFilter | None, search: str | None = None,
                 parent: QWidget | None = None, exporter: Exporter | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export cases")
        self._ops = ops
        self._case_ids = list(case_ids or [])
        self._filter = current_filter
        self._search = search or None
        self._exporter = exporter or default_exporter
        self.job: ExportJob | None = None
        self.summary: ExportSummary | None = None

        what = QGroupBox("Cases")
        what_layout = QVBoxLayout(what)
        self.scope = QButtonGroup(self)
        n = len(self._case_ids)
        self.selected_button = QRadioButton(
            f"The selected case{'s' if n != 1 else ''} ({n})" if n else "The selected cases")
        self.selected_button.setEnabled(bool(n))
        self.filter_button = QRadioButton(self._filter_label())
        self.filter_button.setEnabled(current_filter is not None)
        self.range_button = QRadioButton("Cases active between")
        self.all_button = QRadioButton("All cases")
        for i, button in enumerate((self.selected_button, self.filter_button, self.range_button,
                                    self.all_button)):
            self.scope.addButton(button, i)
        today = QDate.currentDate()
        self.since_edit = QDateEdit(today.addDays(-30))
        self.until_edit = QDateEdit(today)
        for edit, name in ((self.since_edit, "From"), (self.until_edit, "To (inclusive)")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setAccessibleName(name)
            edit.dateChanged.connect(lambda _d: self.range_button.setChecked(True))
        range_row = QHBoxLayout()
        range_row.addWidget(self.range_button)
        range_row.addWidget(self.since_edit)
        range_row.addWidget(QLabel("and"))
        range_row.addWidget(self.until_edit)
        range_row.addStretch(1)
        what_layout.addWidget(self.selected_button)
        what_layout.addWidget(self.filter_button)
        what_layout.addLayout(range_row)
        what_layout.addWidget(self.all_button)
        (self.selected_button if n else self.filter_button if current_filter is not None
         else self.all_button).setChecked(True)

        self.format_box = QComboBox()
        self.format_box.setObjectName("exportFormat")
        self.format_box.setAccessibleName("Export format")
        for fmt, label in export.FORMAT_LABELS.items():
            self.format_box.addItem(label, fmt)
        self.format_box.currentIndexChanged.connect(self._format_changed)
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("exportPath")
        self.path_edit.setAccessibleName("File to write")
        self.path_edit.setPlaceholderText("Where to save the export")
        self.path_edit.textChanged.connect(self._update_buttons)
        browse = QPushButton("Choose…")
        browse.clicked.connect(self.choose_path)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Format", self.format_box)
        form.addRow("File", path_row)

        self.progress = QProgressBar()
        self.progress.setObjectName("exportProgress")
        self.progress.setAccessibleName("Export progress")
        self.progress.setVisible(False)
        self.status = QLabel()
        self.status.setObjectName("exportStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.status.setText("Nothing secret is exported: credentials stay in the keyring.")

        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton("Export",
                                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setObjectName("exportButton")
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("cancelButton")
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button.clicked.connect(self.cancel_or_close)

        layout = QVBoxLayout(self)
        layout.addWidget(what)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._update_buttons()

    # ------------------------------------------------------------ input
    def _filter_label(self) -> str:
        if self._filter is None:
            return "The cases in the current view"
        label = View.LABELS.get(self._filter.view, self._filter.view)
        if self._search:
            return f"The cases in the current view ({label}, matching {self._search!r})"
        return f"The cases in the current view ({label})"

    def selection(self) -> Selection:
        """What the dialog's choices select."""
        if self.selected_button.isChecked():
            return Selection(case_ids=tuple(self._case_ids))
        if self.filter_button.isChecked():
            return Selection(filter=self._filter, search=self._search)
        if self.range_button.isChecked():
            since = _pydate(self.since_edit.date())
            until = _pydate(self.until_edit.date()) + dt.timedelta(days=1)
            utc = dt.UTC
            return Selection(since=dt.datetime.combine(since, dt.time(0), tzinfo=utc),
                             until=dt.datetime.combine(until, dt.time(0), tzinfo=utc))
        return Selection()

    def fmt(self) -> str:
        return str(self.format_box.currentData())

    def set_format(self, fmt: str) -> None:
        self.format_box.setCurrentIndex(self.format_box.findData(fmt))

    def _format_changed(self, _index: int) -> None:
        text = self.path_edit.text().strip()
        if text:
            path = Path(text)
            suffix = export.FORMATS[self.fmt()]
            if path.suffix != suffix:
                self.path_edit.setText(str(path.with_suffix(suffix)))

    def choose_path(self) -> None:
        suffix = export.FORMATS[self.fmt()]
        start = self.path_edit.text() or str(Path.home() / f"case-log{suffix}")
        path, _ = QFileDialog.getSaveFileName(self, "Export cases to", start,
                                              f"{self.format_box.currentText()} (*{suffix})")
        if path:
            self.path_edit.setText(path)

    def _update_buttons(self) -> None:
        running = self.job is not None
        self.export_button.setEnabled(not running and bool(self.path_edit.text().strip()))

    # ------------------------------------------------------------- work
    def start_export(self) -> None:
        """Gather the choices, then export on a worker thread."""
        if self.job is not None:
            return
        text = self.path_edit.text().strip()
        if not text:
            return
        selection, fmt, path = self.selection(), self.fmt(), Path(text).expanduser()
        if selection.since is not None and selection.until is not None \
                and selection.until <= selection.since:
            show_error(self, KnownError("The end date must not be before the start date."))
            return
        exporter = self._exporter

        def work(store: Store, progress: export.Progress,
                 cancelled: export.Cancelled) -> ExportSummary:
            return exporter(store, selection, fmt, path, progress=progress, cancelled=cancelled)

        self.summary = None
        self.progress.setRange(0, 0)  # busy until the first count arrives
        self.progress.setVisible(True)
        self.status.setText("Exporting…")
        self.cancel_button.setText("Cancel")
        self.job = ExportJob(self._ops, work, on_progress=self._progressed,
                             on_done=self._done, parent=self)
        self._update_buttons()
        self.job.start()

    def cancel_or_close(self) -> None:
        """Cancel a running export; otherwise close the dialog."""
        if self.job is not None:
            self.job.cancel()
            self.status.setText("Cancelling…")
            self.cancel_button.setEnabled(False)
        else:
            self.reject()

    def _progressed(self, done: int, total: int) -> None:
        if not shiboken6.isValid(self) or self.job is None:
            return
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.status.setText(f"Exporting… {done} of {total} case(s)")

    def _done(self, summary: ExportSummary | None, error: BaseException | None) -> None:
        if not shiboken6.isValid(self):
            return
        self.job = None
        self.cancel_button.setEnabled(True)
        self.progress.setVisible(False)
        self._update_buttons()
        if isinstance(error, ExportCancelled):
            self.status.setText(str(error))
            self.cancel_button.setText("Close")
            return
        if error is not None:
            self.status.setText("The export failed.")
            show_error(self, error)
            return
        assert summary is not None
        self.summary = summary
        self.status.setText(
            f"Exported {summary.cases} case(s), {summary.messages} message(s) and "
            f"{summary.events} timeline entries to {summary.path}.")
        self.cancel_button.setText("Close")
        self.export_finished.emit(summary)

    def reject(self) -> None:
        if self.job is not None:  # closing the window cancels the export
            self.job.cancel()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.job is not None:
            self.job.cancel()
        super().closeEvent(event)

"""The reports dialog: response times, volume, mood and backlog as charts (QtCharts).

The figures come from ``core/reports.py`` on the read worker, the same numbers
``community-console report`` prints.  Every chart can be saved as PNG.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import shiboken6
from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QDateTimeAxis,
    QLineSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QDate, QDateTime, Qt, QTime, QTimeZone, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.core import reports
from console.core.errors import KnownError
from console.core.models import Account, CaseStatus
from console.core.reports import AGE_BUCKETS, TIME_BUCKETS, Report, duration_text
from console.core.store import Store
from console.ui.ops import Ops

log = logging.getLogger(__name__)
PLATFORMS = {"mastodon": "Mastodon", "bluesky": "Bluesky", "x": "X", "demo": "Demo"}


def _bar_chart(title: str, categories: Sequence[str],
               sets: Sequence[tuple[str, Sequence[int]]], *, stacked: bool = False,
               y_title: str = "Cases") -> QChart:
    chart = QChart()
    chart.setTitle(title)
    series = QStackedBarSeries() if stacked else QBarSeries()
    top = 0
    for label, values in sets:
        bar = QBarSet(label)
        for v in values:
            bar.append(float(v))
        series.append(bar)
        top = max(top, *values, 0) if not stacked else top
    if stacked:
        top = max((sum(values[i] for _, values in sets) for i in range(len(categories))),
                  default=0)
    chart.addSeries(series)
    x = QBarCategoryAxis()
    x.append(list(categories))
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
    series.attachAxis(x)
    y = _count_axis(top, y_title)
    chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(y)
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    return chart


def _count_axis(top: float, title: str) -> QValueAxis:
    axis = QValueAxis()
    axis.setRange(0, max(1.0, float(top)))
    axis.setLabelFormat("%d")
    axis.applyNiceNumbers()
    axis.setTitleText(title)
    return axis


def _day_msecs(day: str) -> float:
    date = QDate.fromString(day, "yyyy-MM-dd")
    return float(QDateTime(date, QTime(12, 0), QTimeZone.utc()).toMSecsSinceEpoch())


def _date_axis(days: Sequence[str]) -> QDateTimeAxis:
    axis = QDateTimeAxis()
    axis.setFormat("MMM d")
    axis.setTitleText("Day (each account's local date)")
    if days:
        axis.setRange(QDateTime.fromMSecsSinceEpoch(int(_day_msecs(min(days))), QTimeZone.utc()),
                      QDateTime.fromMSecsSinceEpoch(int(_day_msecs(max(days))), QTimeZone.utc()))
    axis.setTickCount(min(8, max(2, len(set(days)))))
    return axis


def account_label(handle: str, platform: str) -> str:
    return f"{handle} ({PLATFORMS.get(platform, platform)})"



def _pydate(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())

class ReportsDialog(QDialog):
    """Charts of the report figures for a period and an account.

    Signals:
        report_loaded(object): a Report was computed and shown.
    """

    report_loaded = Signal(object)
    CHARTS = ("first_response", "resolution", "volume", "mood", "backlog")
    TITLES: ClassVar[dict[str, str]] = {
        "first_response": "First response",
        "resolution": "Time to resolution",
        "volume": "Volume",
        "mood": "Mood barometer",
        "backlog": "Backlog",
    }

    def __init__(self, ops: Ops, parent: QWidget | None = None, *,
                 now: dt.datetime | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reportsDialog")
        self.setWindowTitle("Reports")
        self._ops = ops
        self._now = now
        self.report: Report | None = None

        today = QDate.currentDate() if now is None else QDate(now.year, now.month, now.day)
        self.since_edit = QDateEdit(today.addDays(-29))
        self.until_edit = QDateEdit(today)
        for edit, name in ((self.since_edit, "From"), (self.until_edit, "To (inclusive)")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setAccessibleName(name)
        self.account_box = QComboBox()
        self.account_box.setObjectName("reportAccount")
        self.account_box.setAccessibleName("Account")
        self.account_box.addItem("All accounts", None)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setObjectName("refreshReport")
        self.refresh_button.clicked.connect(self.refresh)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("From"))
        controls.addWidget(self.since_edit)
        controls.addWidget(QLabel("to"))
        controls.addWidget(self.until_edit)
        controls.addWidget(self.account_box, 1)
        controls.addWidget(self.refresh_button)

        self.status = QLabel("Loading…")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("reportTabs")
        self.views: dict[str, QChartView] = {}
        self.tables: dict[str, QTableWidget] = {}
        for key in self.CHARTS:
            page = QWidget()
            page_layout = QVBoxLayout(page)
            view = QChartView()
            view.setObjectName(f"chart_{key}")
            view.setRenderHint(QPainter.RenderHint.Antialiasing)
            view.setMinimumSize(560, 300)
            view.setAccessibleName(f"{self.TITLES[key]} chart")
            self.views[key] = view
            page_layout.addWidget(view, 3)
            if key in ("first_response", "resolution"):
                table = QTableWidget(0, 7)
                table.setObjectName(f"table_{key}")
                table.setHorizontalHeaderLabels(["Account", "Business hours", "Cases",
                                                 "Median", "p90", "Mean", "No reply yet"])
                table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
                table.verticalHeader().setVisible(False)
                table.horizontalHeader().setSectionResizeMode(
                    QHeaderView.ResizeMode.ResizeToContents)
                self.tables[key] = table
                page_layout.addWidget(table, 1)
            save = QPushButton("Save chart as PNG…")
            save.setObjectName(f"save_{key}")
            save.clicked.connect(lambda _=False, k=key: self.ask_save_png(k))
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(save)
            page_layout.addLayout(row)
            self.tabs.addTab(page, self.TITLES[key])

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.resize(900, 680)
        self._ops.query(lambda s: s.accounts(), parent=self).success(self._accounts_loaded).run()
        self.refresh()

    def _accounts_loaded(self, accounts: list[Account]) -> None:
        current = self.account_box.currentData()
        self.account_box.blockSignals(True)
        self.account_box.clear()
        self.account_box.addItem("All accounts", None)
        for a in accounts:
            self.account_box.addItem(account_label(a.handle, a.platform.value), int(a.id))
        index = self.account_box.findData(current)
        self.account_box.setCurrentIndex(max(0, index))
        self.account_box.blockSignals(False)

    # ------------------------------------------------------------- data
    def period(self) -> tuple[dt.datetime, dt.datetime]:
        """The chosen days as a UTC period (``until`` is the day after the last one)."""
        utc = dt.timezone.utc
        since = dt.datetime.combine(_pydate(self.since_edit.date()), dt.time(0), tzinfo=utc)
        until = dt.datetime.combine(_pydate(self.until_edit.date()) + dt.timedelta(days=1),
                                    dt.time(0), tzinfo=utc)
        return since, until

    def set_period(self, since: dt.date, until: dt.date) -> None:
        self.since_edit.setDate(QDate(since.year, since.month, since.day))
        self.until_edit.setDate(QDate(until.year, until.month, until.day))

    def refresh(self) -> None:
        """Recompute the figures for the chosen period and account (on the read worker)."""
        since, until = self.period()
        if until <= since:
            self.status.setText("The end date is before the start date.")
            return
        account = self.account_box.currentData()
        account_ids = [int(account)] if account is not None else None
        now = self._now

        def build(store: Store) -> Report:
            return reports.build_report(store, since=since, until=until, now=now,
                                        account_ids=account_ids)

        self.status.setText("Loading…")
        self.refresh_button.setEnabled(False)
        self._ops.query(build, parent=self).success(self.show_report) \
            .failure(self._failed).run()

    def _failed(self, exc: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        self.status.setText(f"The report could not be computed: {exc}")
        if not isinstance(exc, KnownError):
            log.error("report failed", exc_info=(type(exc), exc, exc.__traceback__))

    def show_report(self, report: Report) -> None:
        if not shiboken6.isValid(self):
            return
        self.refresh_button.setEnabled(True)
        self.report = report
        cases = sum(a.cases for a in report.accounts)
        self.status.setText(
            f"{cases} case(s) opened from {report.since:%Y-%m-%d} to "
            f"{report.until - dt.timedelta(days=1):%Y-%m-%d} (UTC days). Times are business "
            "hours of the account each case arrived on; the backlog is as of now.")
        labels = [label for _, label in TIME_BUCKETS]
        active = [a for a in report.accounts if a.cases]
        self._set_chart("first_response", _bar_chart(
            "First response time (business hours)", labels,
            [(account_label(a.handle, a.platform), a.first_response.buckets) for a in active]))
        self._set_chart("resolution", _bar_chart(
            "Time to resolution (business hours)", labels,
            [(account_label(a.handle, a.platform), a.resolution.buckets) for a in active]))
        for key in ("first_response", "resolution"):
            self._fill_table(key, report)
        self._set_chart("volume", self._volume_chart(report))
        self._set_chart("mood", self._mood_chart(report))
        statuses = [b for b in report.backlog]
        self._set_chart("backlog", _bar_chart(
            "Backlog by status and age", [label for _, label in AGE_BUCKETS],
            [(CaseStatus(b.status).label, b.counts) for b in statuses], stacked=True))
        self.report_loaded.emit(report)

    def _set_chart(self, key: str, chart: QChart) -> None:
        view = self.views[key]
        old = view.chart()
        view.setChart(chart)
        if old is not None:
            old.deleteLater()

    def _fill_table(self, key: str, report: Report) -> None:
        table = self.tables[key]
        table.setRowCount(len(report.accounts))
        for row, a in enumerate(report.accounts):
            dist = a.first_response if key == "first_response" else a.resolution
            values = (account_label(a.handle, a.platform), a.hours, str(dist.count),
                      duration_text(dist.median), duration_text(dist.p90),
                      duration_text(dist.mean),
                      str(a.unanswered) if key == "first_response" else
                      str(a.cases - dist.count))
            for col, text in enumerate(values):
                table.setItem(row, col, QTableWidgetItem(text))
        table.setHorizontalHeaderItem(6, QTableWidgetItem(
            "No reply yet" if key == "first_response" else "Not resolved"))

    def _volume_chart(self, report: Report) -> QChart:
        chart = QChart()
        chart.setTitle("Inbound messages per account and day")
        by_account: dict[int, list[tuple[str, int]]] = defaultdict(list)
        names: dict[int, str] = {}
        for row in report.volume:
            by_account[row.account_id].append((row.day, row.inbound))
            names[row.account_id] = account_label(row.handle, row.platform)
        days = [row.day for row in report.volume]
        x = _date_axis(days)
        y = _count_axis(max((row.inbound for row in report.volume), default=0), "Messages")
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        for account_id, points in by_account.items():
            if not any(n for _, n in points):
                continue
            series = QLineSeries()
            series.setName(names[account_id])
            for day, n in points:
                series.append(_day_msecs(day), float(n))
            chart.addSeries(series)
            series.attachAxis(x)
            series.attachAxis(y)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        return chart

    def _mood_chart(self, report: Report) -> QChart:
        chart = QChart()
        chart.setTitle("Mean sentiment of inbound messages per account and day")
        x = _date_axis([m.day for m in report.mood])
        y = QValueAxis()
        y.setRange(-1.0, 1.0)
        y.setTickCount(5)
        y.setLabelFormat("%.1f")
        y.setTitleText("Sentiment (−1 unhappy … +1 happy)")
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        by_account: dict[int, list[tuple[str, float]]] = defaultdict(list)
        names: dict[int, str] = {}
        for point in report.mood:
            if point.mean is not None:
                by_account[point.account_id].append((point.day, point.mean))
        for a in report.accounts:
            names[a.account_id] = account_label(a.handle, a.platform)
        for account_id, points in by_account.items():
            series = QLineSeries()
            series.setName(names.get(account_id, str(account_id)))
            series.setPointsVisible(True)
            for day, mean in points:
                series.append(_day_msecs(day), mean)
            chart.addSeries(series)
            series.attachAxis(x)
            series.attachAxis(y)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        return chart

    # ------------------------------------------------------------- PNG
    def save_png(self, key: str, path: str | Path) -> bool:
        """Save one chart (as shown) to a PNG file; returns whether it was written."""
        pixmap = self.views[key].grab()
        return bool(pixmap.save(str(path), "PNG"))

    def ask_save_png(self, key: str) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save chart as PNG", str(Path.home() / f"{key.replace('_', '-')}.png"),
            "PNG images (*.png)")
        if path and not self.save_png(key, path):
            self.status.setText(f"Could not write {path}.")

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
from PySide6.QtCore import QDate, QDateTime, QEvent, QSize, Qt, QTime, QTimeZone, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
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
from console.ui.inbox.model import platform_icon
from console.ui.ops import Ops

log = logging.getLogger(__name__)
PLATFORMS = {"mastodon": "Mastodon", "bluesky": "Bluesky", "x": "X", "demo": "Demo"}

# One colour per account, the same in every chart, legend and table: an account keeps
# its place in the workspace's account list (by id), whatever the period or filter.
# Tableau 10: told apart by most colour-blind readers, readable on light and dark.
ACCOUNT_COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1",
                   "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#bab0ac")
STATUS_COLOURS = {"new": "#4e79a7", "open": "#f28e2b", "waiting": "#edc948",
                  "resolved": "#59a14f", "closed": "#bab0ac"}


def account_colours(account_ids: Sequence[int]) -> dict[int, QColor]:
    """Each account's colour, from its rank among all the workspace's accounts."""
    return {account_id: QColor(ACCOUNT_COLOURS[i % len(ACCOUNT_COLOURS)])
            for i, account_id in enumerate(sorted(set(account_ids)))}


def swatch(colour: QColor, size: int = 12) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(colour)
    return pixmap


def is_dark(widget: QWidget) -> bool:
    """Does the widget's palette (the desktop's theme) have a dark background?"""
    return widget.palette().color(QPalette.ColorRole.Window).lightness() < 128


class AccountLegend(QWidget):
    """The accounts and their colours, wrapped in rows so no name is cut off."""

    COLUMNS = 3

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accountLegend")
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(8, 0, 8, 0)
        self._grid.setHorizontalSpacing(18)
        self.entries: list[tuple[int, str]] = []  # (account id, label) as shown

    def set_accounts(self, accounts: Sequence[tuple[int, str, str, str]],
                     colours: dict[int, QColor]) -> None:
        """``accounts``: (id, name, handle, platform) of each account a chart shows."""
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.entries = []
        for i, (account_id, name, handle, platform) in enumerate(accounts):
            entry = QWidget()
            row = QHBoxLayout(entry)
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(4)
            colour = QLabel()
            colour.setObjectName("legendSwatch")
            colour.setPixmap(swatch(colours[account_id]))
            icon = QLabel()
            icon.setPixmap(platform_icon(platform).pixmap(QSize(14, 14)))
            label = QLabel()
            label.setTextFormat(Qt.TextFormat.PlainText)
            text = f"{name} · {PLATFORMS.get(platform, platform)}"
            label.setText(text)
            entry.setToolTip(account_label(handle, platform))
            entry.setAccessibleName(f"{text}: {colours[account_id].name()}")
            row.addWidget(colour)
            row.addWidget(icon)
            row.addWidget(label, 1)
            self._grid.addWidget(entry, i // self.COLUMNS, i % self.COLUMNS)
            self.entries.append((account_id, text))
        self.setVisible(bool(accounts))


def new_chart(title: str, dark: bool) -> QChart:
    """A chart in the desktop's light or dark theme (set first: a theme resets colours)."""
    chart = QChart()
    chart.setTheme(QChart.ChartTheme.ChartThemeDark if dark else QChart.ChartTheme.ChartThemeLight)
    chart.setTitle(title)
    return chart


def _bar_chart(title: str, categories: Sequence[str],
               sets: Sequence[tuple[str, Sequence[int]]], *, stacked: bool = False,
               y_title: str = "Cases", colours: Sequence[QColor] = (),
               dark: bool = False) -> QChart:
    chart = new_chart(title, dark)
    series = QStackedBarSeries() if stacked else QBarSeries()
    top = 0
    for i, (label, values) in enumerate(sets):
        bar = QBarSet(label)
        for v in values:
            bar.append(float(v))
        if i < len(colours):
            bar.setColor(colours[i])
            bar.setBorderColor(colours[i])
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
        self._accounts: list[Account] = []
        self.colours: dict[int, QColor] = {}
        self._dark: bool | None = None

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
        self.legends: dict[str, AccountLegend] = {}
        self.chart_boxes: dict[str, QWidget] = {}
        for key in self.CHARTS:
            page = QWidget()
            page_layout = QVBoxLayout(page)
            view = QChartView()
            view.setObjectName(f"chart_{key}")
            view.setRenderHint(QPainter.RenderHint.Antialiasing)
            view.setMinimumSize(480, 220)
            view.setAccessibleName(f"{self.TITLES[key]} chart")
            self.views[key] = view
            # The chart and its legend, saved together as one PNG.
            box = QWidget()
            box.setObjectName(f"chartBox_{key}")
            box_layout = QVBoxLayout(box)
            box_layout.setContentsMargins(0, 0, 0, 0)
            box_layout.addWidget(view, 1)
            self.chart_boxes[key] = box
            page_layout.addWidget(box, 3)
            if key != "backlog":
                # Our own legend under the chart: it wraps, where the chart's would cut
                # long account names off.
                legend = AccountLegend()
                self.legends[key] = legend
                box_layout.addWidget(legend)
            if key in ("first_response", "resolution"):
                table = QTableWidget(0, 7)
                table.setObjectName(f"table_{key}")
                table.setHorizontalHeaderLabels(["Account", "Business hours", "Cases",
                                                 "Median", "p90", "Mean", "No reply yet"])
                table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
                table.verticalHeader().setVisible(False)
                table.setWordWrap(False)
                table.setTextElideMode(Qt.TextElideMode.ElideRight)
                header = table.horizontalHeader()
                header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
                # The hours are long and the same for most accounts: they take what is
                # left and elide (the full text is the cell's tooltip).
                header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
                table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
                self.tables[key] = table
                page_layout.addWidget(table)
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
        # As big as is useful, but never bigger than the screen (a 1024x640 laptop).
        screen = self.screen().availableGeometry()
        self.resize(min(980, screen.width() - 32), min(720, screen.height() - 32))
        self._ops.query(lambda s: s.accounts(), parent=self).success(self._accounts_loaded).run()
        self.refresh()

    def _accounts_loaded(self, accounts: list[Account]) -> None:
        self._accounts = accounts
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
        utc = dt.UTC
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

        def build(store: Store) -> tuple[Report, list[Account]]:
            return (reports.build_report(store, since=since, until=until, now=now,
                                         account_ids=account_ids), store.accounts())

        def built(result: tuple[Report, list[Account]]) -> None:
            report, accounts = result
            self._accounts = accounts
            self.show_report(report)

        self.status.setText("Loading…")
        self.refresh_button.setEnabled(False)
        self._ops.query(build, parent=self).success(built).failure(self._failed).run()

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
        dark = self._dark = is_dark(self)
        ids = [int(a.id) for a in self._accounts] + [a.account_id for a in report.accounts]
        colours = self.colours = account_colours(ids)
        cases = sum(a.cases for a in report.accounts)
        self.status.setText(
            f"{cases} case(s) opened from {report.since:%Y-%m-%d} to "
            f"{report.until - dt.timedelta(days=1):%Y-%m-%d} (UTC days). Times are business "
            "hours of the account each case arrived on; the backlog is as of now.")
        labels = [label for _, label in TIME_BUCKETS]
        active = [a for a in report.accounts if a.cases]
        for key, title in (("first_response", "First response time (business hours)"),
                           ("resolution", "Time to resolution (business hours)")):
            chart = _bar_chart(
                title, labels,
                [(account_label(a.handle, a.platform),
                  (a.first_response if key == "first_response" else a.resolution).buckets)
                 for a in active],
                colours=[colours[a.account_id] for a in active], dark=dark)
            chart.legend().setVisible(False)
            self._set_chart(key, chart)
            self._set_legend(key, [a.account_id for a in active])  # bars: in colour order
            self._fill_table(key, report)
        volume = self._volume_chart(report)
        self._set_chart("volume", volume)
        self._set_legend("volume", self._series_accounts(volume))
        mood = self._mood_chart(report)
        self._set_chart("mood", mood)
        self._set_legend("mood", self._series_accounts(mood))
        statuses = [b for b in report.backlog]
        self._set_chart("backlog", _bar_chart(
            "Backlog by status and age", [label for _, label in AGE_BUCKETS],
            [(CaseStatus(b.status).label, b.counts) for b in statuses], stacked=True,
            colours=[QColor(STATUS_COLOURS.get(b.status, "#888888")) for b in statuses],
            dark=dark))
        self.report_loaded.emit(report)

    def account_name(self, account_id: int) -> tuple[str, str, str]:
        """(name, handle, platform) of an account, from the workspace or the report."""
        for a in self._accounts:
            if int(a.id) == account_id:
                return a.display_name or a.handle, a.handle, a.platform.value
        if self.report is not None:
            for t in self.report.accounts:
                if t.account_id == account_id:
                    return t.handle, t.handle, t.platform
        return str(account_id), str(account_id), ""

    @staticmethod
    def _series_accounts(chart: QChart) -> list[int]:
        return [int(series.property("account_id")) for series in chart.series()
                if series.property("account_id") is not None]

    def _set_legend(self, key: str, account_ids: Sequence[int]) -> None:
        self.legends[key].set_accounts(
            [(i, *self.account_name(i)) for i in sorted(account_ids)], self.colours)

    def series_colours(self, key: str) -> dict[int, str]:
        """Each account's colour in one chart (bars or lines), as #rrggbb."""
        chart = self.views[key].chart()
        out: dict[int, str] = {}
        for series in chart.series():
            if isinstance(series, QLineSeries):
                out[int(series.property("account_id"))] = series.pen().color().name()
            elif isinstance(series, (QBarSeries, QStackedBarSeries)):
                by_label = {account_label(a.handle, a.platform): a.account_id
                            for a in (self.report.accounts if self.report else ())}
                for bar in series.barSets():
                    if bar.label() in by_label:
                        out[by_label[bar.label()]] = bar.color().name()
        return out

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # The desktop switched light/dark: draw the charts again in the new theme.
        if event.type() == QEvent.Type.PaletteChange and self.report is not None \
                and self._dark is not None and is_dark(self) != self._dark:
            self.show_report(self.report)

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
            name, handle, platform = self.account_name(a.account_id)
            values = (f"{name} · {PLATFORMS.get(a.platform, a.platform)}", a.hours,
                      str(dist.count), duration_text(dist.median), duration_text(dist.p90),
                      duration_text(dist.mean),
                      str(a.unanswered) if key == "first_response" else
                      str(a.cases - dist.count))
            for col, text in enumerate(values):
                item = QTableWidgetItem(text)
                if col == 0:
                    # The account's colour, as in the charts above.
                    item.setIcon(QIcon(swatch(self.colours[a.account_id])))
                    item.setToolTip(account_label(handle, a.platform))
                elif col == 1:
                    item.setToolTip(text)
                elif col >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                table.setItem(row, col, item)
        table.setHorizontalHeaderItem(6, QTableWidgetItem(
            "No reply yet" if key == "first_response" else "Not resolved"))
        # Every account's row in view: the table is as tall as its rows (up to eight).
        table.resizeRowsToContents()
        rows = min(table.rowCount(), 8)
        height = table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth() + sum(
            table.rowHeight(r) for r in range(rows))
        table.setFixedHeight(height)
        table.setVerticalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAsNeeded if table.rowCount() > 8
            else Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def _volume_chart(self, report: Report) -> QChart:
        chart = new_chart("Inbound messages per account and day", bool(self._dark))
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
            self._colour_line(series, account_id)
            series.attachAxis(x)
            series.attachAxis(y)
        chart.legend().setVisible(False)
        return chart

    def _colour_line(self, series: QLineSeries, account_id: int) -> None:
        series.setProperty("account_id", account_id)
        pen = QPen(self.colours.get(account_id, QColor("#888888")))
        pen.setWidthF(2.0)
        series.setPen(pen)
        series.setColor(pen.color())

    def _mood_chart(self, report: Report) -> QChart:
        chart = new_chart("Mean sentiment of inbound messages per account and day",
                          bool(self._dark))
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
            self._colour_line(series, account_id)
            series.attachAxis(x)
            series.attachAxis(y)
        chart.legend().setVisible(False)
        return chart

    # ------------------------------------------------------------- PNG
    def save_png(self, key: str, path: str | Path) -> bool:
        """Save one chart (as shown) to a PNG file; returns whether it was written."""
        pixmap = self.chart_boxes[key].grab()
        return bool(pixmap.save(str(path), "PNG"))

    def ask_save_png(self, key: str) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save chart as PNG", str(Path.home() / f"{key.replace('_', '-')}.png"),
            "PNG images (*.png)")
        if path and not self.save_png(key, path):
            self.status.setText(f"Could not write {path}.")

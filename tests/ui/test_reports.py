"""Reports as a reader sees them: one colour per account everywhere, nothing cut off, and
charts in the desktop's theme (dark included)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCharts import QChart
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel

from console.core.store import Store

ACCOUNT_CHARTS = ("first_response", "resolution", "volume", "mood")


def open_reports(qtbot, window, size=(1024, 640)):  # type: ignore[no-untyped-def]
    window.show_reports()
    dialog = window.reports_dialog
    dialog.resize(*size)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=20_000)
    # The whole demo: from its first day.
    with qtbot.waitSignal(dialog.report_loaded, timeout=20_000):
        dialog.set_period(dt.date(2020, 1, 1), dt.date.today())
        dialog.refresh()
    return dialog


def test_an_account_has_one_colour_in_every_chart(qtbot, open_session, demo_db: Path):
    store = Store.open(demo_db, read_only=True)
    account_ids = sorted(int(a.id) for a in store.accounts())
    store.close()
    session = open_session(demo_db)
    dialog = open_reports(qtbot, session.window)
    per_chart = {key: dialog.series_colours(key) for key in ACCOUNT_CHARTS}
    for key, colours in per_chart.items():
        assert colours, key
        # Different accounts, different colours within a chart.
        assert len(set(colours.values())) == len(colours), key
    for account_id in account_ids:
        seen = {key: colours[account_id] for key, colours in per_chart.items()
                if account_id in colours}
        assert len(set(seen.values())) == 1, (account_id, seen)
        colour = next(iter(seen.values()))
        # The legends and the tables say the same.
        for key in ACCOUNT_CHARTS:
            legend = dialog.legends[key]
            if any(i == account_id for i, _ in legend.entries):
                index = [i for i, _ in legend.entries].index(account_id)
                swatch = legend.findChildren(QLabel, "legendSwatch")[index]
                assert swatch.pixmap().toImage().pixelColor(5, 5).name() == colour, key
        table = dialog.tables["first_response"]
        row = [a.account_id for a in dialog.report.accounts].index(account_id)
        icon = table.item(row, 0).icon().pixmap(12, 12).toImage()
        assert icon.pixelColor(5, 5).name() == colour
    # One account chosen: it keeps its colour.
    first = next(iter(per_chart["volume"]))
    index = dialog.account_box.findData(first)
    dialog.account_box.setCurrentIndex(index)
    with qtbot.waitSignal(dialog.report_loaded, timeout=20_000):
        dialog.refresh()
    assert dialog.series_colours("volume") == {first: per_chart["volume"][first]}


@pytest.mark.parametrize("size", [(1024, 640), (1440, 900)])
def test_legends_and_tables_fit(qtbot, open_session, demo_db: Path, size):
    session = open_session(demo_db)
    dialog = open_reports(qtbot, session.window, size)
    assert (dialog.width(), dialog.height()) == size  # its minimum fits the screen
    for tab, key in enumerate(dialog.CHARTS):
        dialog.tabs.setCurrentIndex(tab)
        qtbot.wait(20)
        if key in dialog.legends:
            legend = dialog.legends[key]
            assert legend.isVisible() and legend.entries
            for label in legend.findChildren(QLabel):
                if label.objectName() == "legendSwatch" or not label.text():
                    continue
                # The whole name is drawn, inside the legend.
                assert label.width() >= label.sizeHint().width(), (key, label.text())
                right = label.mapTo(legend, label.rect().topRight()).x()
                assert right <= legend.width(), (key, label.text())
        if key in dialog.tables:
            table = dialog.tables[key]
            rows = table.rowCount()
            assert rows == len(dialog.report.accounts)
            # Every row in view, nothing to scroll sideways.
            assert table.verticalScrollBar().maximum() == 0
            assert table.horizontalScrollBar().maximum() == 0
            last = table.visualRect(table.model().index(rows - 1, 0))
            assert last.bottom() <= table.viewport().height()
            header = table.horizontalHeader()
            assert sum(header.sectionSize(c) for c in range(table.columnCount())) <= \
                table.viewport().width()
            for col in (0, 2, 3, 4, 5, 6):  # all but the long business hours
                assert header.sectionSize(col) >= table.sizeHintForColumn(col), (key, col)


@pytest.fixture
def dark_palette() -> Iterator[None]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    palette = QPalette(before)
    for role, colour in ((QPalette.ColorRole.Window, "#1e2228"),
                         (QPalette.ColorRole.WindowText, "#e6edf3"),
                         (QPalette.ColorRole.Base, "#161b22"),
                         (QPalette.ColorRole.Text, "#e6edf3")):
        palette.setColor(role, QColor(colour))
    app.setPalette(palette)
    yield
    app.setPalette(before)


def test_charts_follow_a_dark_theme(qtbot, open_session, demo_db: Path, dark_palette):
    session = open_session(demo_db)
    dialog = open_reports(qtbot, session.window)
    for key in dialog.CHARTS:
        chart = dialog.views[key].chart()
        assert chart.theme() == QChart.ChartTheme.ChartThemeDark, key
        assert chart.backgroundBrush().color().lightness() < 128, key
        image = dialog.views[key].grab().toImage()
        middle = image.pixelColor(image.width() // 2, image.height() // 2)
        assert middle.lightness() < 128, key  # drawn dark, not a white card


def test_charts_switch_theme_while_open(qtbot, open_session, demo_db: Path):
    session = open_session(demo_db)
    dialog = open_reports(qtbot, session.window)
    assert dialog.views["volume"].chart().theme() == QChart.ChartTheme.ChartThemeLight
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    palette = QPalette(before)
    palette.setColor(QPalette.ColorRole.Window, QColor("#1e2228"))
    try:
        colours = dialog.series_colours("volume")
        app.setPalette(palette)
        qtbot.waitUntil(lambda: dialog.views["volume"].chart().theme()
                        == QChart.ChartTheme.ChartThemeDark, timeout=5_000)
        assert dialog.series_colours("volume") == colours  # same colours, new theme
    finally:
        app.setPalette(before)

"""Export, import, PDF and reports dialogs, driven through their real widgets."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCharts import QBarSeries, QStackedBarSeries
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from console.core import export, importer, reports, timeutil
from console.core.export import ExportCancelled, Selection
from console.core.models import CaseStatus
from console.core.store import CaseFilter, Store, View
from console.ui.export_dialog import ExportDialog
from console.ui.hours_editor import BusinessHoursEditor
from console.ui.import_dialog import ImportDialog
from console.ui.pdf_export import export_pdf
from console.ui.reports import ReportsDialog
from tests.conftest import T0, msg

FOOTER = re.compile(r"^Case #\d+ · .* · page \d+ of \d+$")


def pdf_text(path: Path) -> str:
    """The PDF's text (pdftotext), page footers left out, whitespace flattened."""
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                         check=True).stdout
    return " ".join(" ".join(line for line in out.splitlines()
                             if not FOOTER.match(line.strip())).split())


def flat(text: str) -> str:
    return " ".join(text.split())


# -------------------------------------------------------------------- PDF
def test_pdf_contains_every_message_of_the_case(qapp: Any, store: Store, tmp_path: Path
                                                ) -> None:
    lines = [f"Line {i}: the lid of my kettle rattles and the whistle sticks."
             for i in range(90)]
    texts = ["My order KC-1234 arrived broken <b>twice</b> & nobody answers",
             "Crème brûlée torch also missing — ça suffit!",
             "\n".join(lines)]  # long enough to need more than one page
    store.ingest([msg("@ann@example.social", t, at=T0 + dt.timedelta(minutes=i))
                  for i, t in enumerate(texts)])
    case = store.current_case_of(store.contact_of_handle("mastodon", "@ann@example.social"))
    store.record_outbound(case, account_id=store.find_account("@help@kettle.example").id,
                          text="So sorry, Ann: a new one goes out today. ^SR",
                          at=T0 + dt.timedelta(hours=1))
    summary = export_pdf(store, Selection(case_ids=(case,)), tmp_path / "case.pdf")
    assert summary.cases == 1 and summary.messages == 4
    info = subprocess.run(["pdfinfo", str(tmp_path / "case.pdf")], capture_output=True,
                          text=True).stdout
    if info:
        assert int(next(line.split()[-1] for line in info.splitlines()
                         if line.startswith("Pages:"))) >= 2
    text = pdf_text(tmp_path / "case.pdf")
    for message in store.case_detail(case).messages:
        assert flat(message.text) in text
    assert f"Case #{case}" in text
    assert "page 1 of 2" in subprocess.run(["pdftotext", str(tmp_path / "case.pdf"), "-"],
                                           capture_output=True, text=True).stdout


def test_pdf_export_can_be_cancelled(qapp: Any, store: Store, tmp_path: Path) -> None:
    store.ingest([msg(f"@c{i}@example.social", f"Problem {i}") for i in range(5)])
    calls: list[int] = []
    with pytest.raises(ExportCancelled):
        export_pdf(store, Selection(), tmp_path / "x.pdf",
                   progress=lambda d, t: calls.append(d), cancelled=lambda: len(calls) > 2)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ export
def test_export_dialog_writes_the_selected_cases(qtbot: Any, open_session: Any, demo_db: Path,
                                                 tmp_path: Path) -> None:
    session = open_session(demo_db)
    store = Store.open(demo_db, read_only=True)
    try:
        ids = [r.id for r in store.cases_page(limit=2)]
        messages = [m.text for i in ids for m in store.case_detail(i).messages]
    finally:
        store.close()
    dialog = ExportDialog(session.ops, case_ids=ids, current_filter=CaseFilter(),
                          parent=session.window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.selected_button.isChecked() and "(2)" in dialog.selected_button.text()
    assert not dialog.export_button.isEnabled()  # no file yet
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("pdf"))
    target = tmp_path / "handover.pdf"
    qtbot.keyClicks(dialog.path_edit, str(target))
    assert dialog.export_button.isEnabled()
    with qtbot.waitSignal(dialog.export_finished, timeout=30000) as blocker:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    summary = blocker.args[0]
    assert summary.cases == 2 and summary.path == target
    assert "Exported 2 case(s)" in dialog.status.text()
    assert dialog.cancel_button.text() == "Close" and dialog.job is None
    text = pdf_text(target)
    for message in messages:
        assert flat(message) in text

    # The current view instead, as HTML: the format follows into the file name.
    dialog.filter_button.click()
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("html"))
    assert dialog.path_edit.text().endswith("handover.html")
    with qtbot.waitSignal(dialog.export_finished, timeout=30000) as blocker:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].cases == Store.open(demo_db, read_only=True).case_count()


def test_cancel_stops_a_running_export(qtbot: Any, open_session: Any, demo_db: Path,
                                       tmp_path: Path) -> None:
    session = open_session(demo_db)
    started: list[bool] = []

    def slow_exporter(store: Store, selection: Selection, fmt: str, path: Path, *,
                      progress: Any, cancelled: Any) -> export.ExportSummary:
        """The real export, but it waits for Cancel after the first case."""
        def wait_for_cancel(done: int, total: int) -> None:
            progress(done, total)
            started.append(True)
            deadline = time.monotonic() + 20
            while done == 1 and not cancelled() and time.monotonic() < deadline:
                time.sleep(0.01)

        return export.export(store, selection, fmt, path, progress=wait_for_cancel,
                             cancelled=cancelled)

    dialog = ExportDialog(session.ops, case_ids=None, current_filter=None,
                          parent=session.window, exporter=slow_exporter)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.all_button.isChecked() and not dialog.selected_button.isEnabled()
    target = tmp_path / "all.json"
    dialog.path_edit.setText(str(target))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert not dialog.export_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.progress.value() >= 1, timeout=10000)
    assert dialog.progress.isVisible() and "Exporting" in dialog.status.text()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.job is None, timeout=10000)
    assert "cancelled" in dialog.status.text()
    assert not target.exists() and list(tmp_path.glob("*.part")) == []
    assert dialog.isVisible()  # Cancel stopped the export, it did not close the dialog
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


def test_date_range_selection(qtbot: Any, open_session: Any, demo_db: Path) -> None:
    session = open_session(demo_db)
    dialog = ExportDialog(session.ops, case_ids=[1], current_filter=CaseFilter(view=View.ALL),
                          search="refund", parent=session.window)
    qtbot.addWidget(dialog)
    assert "refund" in dialog.filter_button.text()
    dialog.filter_button.click()
    assert dialog.selection() == Selection(filter=CaseFilter(view=View.ALL), search="refund")
    dialog.since_edit.setDate(dialog.since_edit.date().addDays(-1))
    assert dialog.range_button.isChecked()
    selection = dialog.selection()
    assert selection.until - selection.since == dt.timedelta(days=32)


# ------------------------------------------------------------------ import
def test_import_dialog_merges_and_shows_conflicts(qtbot: Any, open_session: Any, demo_db: Path,
                                                  tmp_path: Path) -> None:
    # Bea's workspace got one of the demo cases earlier and resolved it; meanwhile the
    # demo workspace put the same case on "waiting".
    demo = Store.open(demo_db)
    case = next(r for r in demo.cases_page(limit=1000) if r.status == CaseStatus.OPEN)
    export.export(demo, Selection(case_ids=(case.id,)), "json", tmp_path / "out.json")
    bea = Store.open(tmp_path / "bea.db")
    importer.import_file(bea, tmp_path / "out.json")
    (bea_case,) = [r.id for r in bea.cases_page(limit=10)]
    bea.set_status(bea_case, CaseStatus.RESOLVED, actor="Bea")
    export.export(bea, Selection(), "json", tmp_path / "back.json")
    bea.close()
    demo.set_status(case.id, CaseStatus.WAITING, actor="Sam Rivera")
    demo.close()

    session = open_session(demo_db)
    dialog = ImportDialog(session.ops, parent=session.window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.import_button.isEnabled()
    qtbot.keyClicks(dialog.path_edit, str(tmp_path / "back.json"))
    with qtbot.waitSignals([dialog.import_finished, session.signals.changes_applied],
                           timeout=20000):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    result = dialog.import_result
    assert result is not None and [c.field for c in result.conflicts] == ["status"]
    assert dialog.conflicts.isVisible() and dialog.conflicts.rowCount() == 1
    assert [dialog.conflicts.item(0, c).text() for c in range(4)] == [
        f"#{case.id}", "status", "waiting", "resolved"]
    assert "changed in both workspaces" in dialog.summary.toPlainText()
    with qtbot.waitSignal(dialog.open_case) as opened:
        dialog.conflicts.cellDoubleClicked.emit(0, 1)
    assert opened.args == [case.id]

    # The same file again: nothing to do, no conflict listed.
    with qtbot.waitSignal(dialog.import_finished, timeout=20000):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialog.import_result.nothing_changed and not dialog.conflicts.isVisible()
    assert dialog.summary.toPlainText().startswith("Nothing to import")


def test_import_dialog_reports_a_bad_file(qtbot: Any, open_session: Any, demo_db: Path,
                                          tmp_path: Path) -> None:
    session = open_session(demo_db)
    bad = tmp_path / "notes.json"
    bad.write_text(json.dumps({"hello": "world"}))
    dialog = ImportDialog(session.ops, parent=session.window)
    qtbot.addWidget(dialog)
    dialog.path_edit.setText(str(bad))
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "failed" in dialog.summary.toPlainText(), timeout=20000)
    assert "not a Community Console case log" in dialog.summary.toPlainText()
    assert dialog.import_button.isEnabled()


# ----------------------------------------------------------------- reports
def test_reports_dialog_charts_match_the_report(qtbot: Any, open_session: Any, demo_db: Path,
                                                tmp_path: Path) -> None:
    session = open_session(demo_db)
    now = timeutil.now()
    dialog = ReportsDialog(session.ops, parent=session.window, now=now)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=20000)
    dialog.set_period(dt.date(2020, 1, 1), now.date())
    with qtbot.waitSignal(dialog.report_loaded, timeout=20000) as blocker:
        qtbot.mouseClick(dialog.refresh_button, Qt.MouseButton.LeftButton)
    report = blocker.args[0]
    store = Store.open(demo_db, read_only=True)
    try:
        since, until = dialog.period()
        expected = reports.build_report(store, since=since, until=until, now=now)
    finally:
        store.close()
    assert report == expected

    def bar_values(key: str) -> dict[str, list[float]]:
        (series,) = dialog.views[key].chart().series()
        assert isinstance(series, (QBarSeries, QStackedBarSeries))
        return {s.label(): [s.at(i) for i in range(s.count())] for s in series.barSets()}

    first = bar_values("first_response")
    for a in expected.accounts:
        if a.cases:
            assert first[f"{a.handle} ({a.platform.capitalize()})"] == \
                [float(n) for n in a.first_response.buckets]
    backlog = bar_values("backlog")
    assert backlog[CaseStatus.WAITING.label] == \
        [float(n) for n in next(b for b in expected.backlog if b.status == "waiting").counts]
    table = dialog.tables["first_response"]
    assert table.rowCount() == len(expected.accounts)
    assert table.item(0, 3).text() == reports.duration_text(
        expected.accounts[0].first_response.median)
    volume = dialog.views["volume"].chart().series()
    assert sum(sum(p.y() for p in s.points()) for s in volume) == \
        sum(v.inbound for v in expected.volume)

    for key in dialog.CHARTS:
        target = tmp_path / f"{key}.png"
        assert dialog.save_png(key, target)
        assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        image = QImage(str(target))
        assert not image.isNull() and image.width() >= 300
        colours = {image.pixel(x, y) for x in range(0, image.width(), 17)
                   for y in range(0, image.height(), 17)}
        assert len(colours) > 3, key  # a chart was drawn, not a blank rectangle

    # One account only.
    index = next(i for i in range(dialog.account_box.count())
                 if dialog.account_box.itemData(i) is not None)
    dialog.account_box.setCurrentIndex(index)
    with qtbot.waitSignal(dialog.report_loaded, timeout=20000) as blocker:
        dialog.refresh()
    assert [a.account_id for a in blocker.args[0].accounts] == \
        [dialog.account_box.itemData(index)]


# ------------------------------------------------------------ hours editor
def test_business_hours_editor(qtbot: Any) -> None:
    editor = BusinessHoursEditor()
    qtbot.addWidget(editor)
    hours = {"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:30",
             "holidays": ["2026-12-25"]}
    editor.set_value("Europe/London", hours)
    assert editor.value() == ("Europe/London", hours) and editor.error() is None
    with qtbot.waitSignal(editor.changed):
        editor.day_boxes[5].click()
    assert editor.value()[1]["days"] == [0, 1, 2, 3, 4, 5]
    editor.end_edit.setTime(editor.start_edit.time().addSecs(-3600))
    assert "end after" in (editor.error() or "") and editor.problem.isVisibleTo(editor)
    editor.end_edit.setTime(editor.end_edit.time().fromString("00:00", "HH:mm"))
    assert editor.value()[1]["end"] == "24:00" and editor.error() is None
    editor.always.click()
    assert editor.value() == ("Europe/London", None)
    assert not editor.day_boxes[0].isEnabled()
    editor.zone_box.setCurrentText("Mars/Base")
    assert "Unknown time zone" in (editor.error() or "")
    editor.set_value("America/New_York", None)
    assert editor.always.isChecked() and editor.value() == ("America/New_York", None)

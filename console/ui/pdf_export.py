"""PDF transcripts through Qt's own PDF writer (QPdfWriter + QTextDocument), no other engine.

Each case is laid out in its own QTextDocument (plain text escaped into a
small HTML subset) and painted page by page, so memory stays flat however
many cases are exported.  Works headless: without a running application a
QGuiApplication on the offscreen platform is created on demand.  QPainter on a
QPdfWriter and QTextDocument may be used from a worker thread (Qt documents
both as safe outside the GUI thread), which is how the export dialog runs it.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QFont,
    QGuiApplication,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)
from PySide6.QtWidgets import QApplication

from console import __version__
from console.core import export
from console.core.errors import KnownError
from console.core.export import Counter, ExportContext, ExportSummary, Selection, Transcript
from console.core.store import Store

RESOLUTION = 96  # layout units: CSS pixels, so font sizes match the HTML export
FOOTER = 28  # pixels kept free at the foot of each page for the page line


def ensure_gui_app() -> QGuiApplication:
    """The running Qt application, or a headless one created for this process.

    The one created is a QApplication (a QGuiApplication that can also hold
    widgets): Qt allows one application object per process, and a later
    caller that needs widgets could not replace a plain QGuiApplication.
    """
    app = QGuiApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "community-console",
                            "-platform", os.environ.get("QT_QPA_PLATFORM", "offscreen")])
    assert isinstance(app, QGuiApplication)
    return app


def case_document_html(t: Transcript) -> str:
    """The QTextDocument markup of one transcript; every text is escaped plain text."""
    e = html.escape
    parts = [f"<h2>{e(t.title)}</h2>", '<table cellspacing="0" cellpadding="1">']
    parts += [f'<tr><td style="color:#555555; padding-right:12px">{e(k)}</td>'
              f"<td>{e(v)}</td></tr>" for k, v in t.facts]
    parts.append("</table>")
    if t.issues:
        parts.append('<p style="margin-top:10px"><b>Issues</b></p>')
        parts += [f'<p style="margin:0 0 0 12px">{"☑" if done else "☐"} {e(text)}</p>'
                  for done, text in t.issues]
    parts.append('<p style="margin-top:10px"><b>Timeline</b></p>')
    for entry in t.entries:
        if entry.kind == "event":
            text = f" — {e(entry.text)}" if entry.text else ""
            parts.append(f'<p style="margin:3px 0 0 0; color:#666666; font-size:7.5pt">'
                         f"{e(entry.heading)}{text}</p>")
            continue
        indent = 28 if entry.kind == "out" else 0
        parts.append(f'<p style="margin:8px 0 0 {indent}px; color:#555555; font-size:7.5pt">'
                     f"{e(entry.heading)}</p>")
        parts.append(f'<p style="margin:1px 0 0 {indent}px; white-space:pre-wrap">'
                     f"{e(entry.text)}</p>")
    return "\n".join(parts)


def export_pdf(store: Store, selection: Selection, path: str | os.PathLike[str], *,
               progress: export.Progress | None = None,
               cancelled: export.Cancelled | None = None,
               now: dt.datetime | None = None) -> ExportSummary:
    """Write the selected cases as a PDF transcript, one case starting per page.

    Raises:
        KnownError: nothing selected, or the file cannot be written.
        ExportCancelled: the user cancelled (the target file is left as it was).
    """
    ensure_gui_app()
    target = Path(path)
    case_ids = export.resolve(store, selection)
    if not case_ids:
        raise KnownError("No case matches this selection; nothing was exported.")
    ctx = export.context(store, case_ids, now=now)
    with export.atomic_output(target) as part:
        counts = _write(store, case_ids, ctx, str(part), progress=progress, cancelled=cancelled)
    return ExportSummary(path=target, format="pdf", cases=counts.cases,
                         messages=counts.messages, events=counts.events,
                         bytes=target.stat().st_size)


def _write(store: Store, case_ids: Sequence[int], ctx: ExportContext, filename: str, *,
           progress: export.Progress | None, cancelled: export.Cancelled | None) -> Counter:
    writer = QPdfWriter(filename)
    writer.setCreator(f"Community Console {__version__}")
    writer.setTitle(f"Case log: {len(case_ids)} case(s)")
    writer.setResolution(RESOLUTION)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4),
                                     QPageLayout.Orientation.Portrait,
                                     QMarginsF(16, 14, 16, 12), QPageLayout.Unit.Millimeter))
    page = writer.pageLayout().paintRectPixels(RESOLUTION)
    width, height = float(page.width()), float(page.height() - FOOTER)
    font = QFont("DejaVu Sans")
    font.setStyleHint(QFont.StyleHint.SansSerif)
    font.setPointSizeF(9)
    # Plain "fi", not the "ﬁ" ligature: the PDF's text stays searchable and copyable.
    for tag in ("liga", "clig"):
        font.setFeature(QFont.Tag(tag), 0)
    small = QFont(font)
    small.setPointSizeF(7)
    painter = QPainter()
    if not painter.begin(writer):
        raise KnownError(f"Cannot write the PDF file {filename}.")
    counts = Counter()
    first_page = True
    try:
        for record in export.case_records(store, case_ids, progress=progress,
                                          cancelled=cancelled):
            t = export.transcript(record, ctx)
            doc = QTextDocument()
            doc.documentLayout().setPaintDevice(writer)
            doc.setDefaultFont(font)
            doc.setPageSize(QSizeF(width, height))
            doc.setHtml(case_document_html(t))
            pages = doc.pageCount()
            for number in range(pages):
                if not first_page:
                    writer.newPage()
                first_page = False
                painter.save()
                painter.translate(QPointF(0, -number * height))
                doc.drawContents(painter, QRectF(0, number * height, width, height))
                painter.restore()
                painter.setFont(small)
                painter.setPen(Qt.GlobalColor.darkGray)
                painter.drawText(QRectF(0, height, width, FOOTER),
                                 Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                                 f"{t.title} · page {number + 1} of {pages}")
            counts.cases += 1
            counts.messages += len(record["messages"])
            counts.events += len(record["timeline"])
    finally:
        painter.end()
    return counts

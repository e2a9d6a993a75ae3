"""Open the real window on a workspace; print seconds to the first painted inbox page and peak RSS.

Run by bench_store.py in a fresh process per measurement.
"""

from __future__ import annotations

import json
import os
import sys
import time

STARTED = time.perf_counter()
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from pathlib import Path  # noqa: E402

from PySide6.QtCore import QEvent, QObject, QSettings, QTimer  # noqa: E402

from console.ui.app import Session, make_app  # noqa: E402


class PaintWatch(QObject):
    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.done = False

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.Paint and not self.done
                and self.session.window.model.rowCount() > 0):
            self.done = True
            elapsed = time.perf_counter() - STARTED
            QTimer.singleShot(0, lambda: self.finish(elapsed))
        return False

    def finish(self, elapsed: float) -> None:
        # VmHWM, not ru_maxrss: the latter is inherited from the parent across exec.
        with open("/proc/self/status") as fh:
            peak = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM")) / 1024
        print(json.dumps({"first_paint_s": elapsed, "peak_rss_mb": peak,
                          "rows": self.session.window.model.rowCount()}), flush=True)
        self.session.window.close()
        app.quit()


app = make_app()
settings = QSettings(str(Path(sys.argv[1]).with_suffix(".ini")), QSettings.Format.IniFormat)
session = Session(Path(sys.argv[1]), settings=settings, label="bench")
watch = PaintWatch(session)
session.window.inbox.viewport().installEventFilter(watch)
session.window.show()
session.window.start()
app.exec()
session.close()

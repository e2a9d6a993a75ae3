"""Typing 300 characters into the real composer: the longest stall of the event loop.

A 2 ms heartbeat timer records the gap between its ticks while QTest types the
text key by key into the composer (debounced voice checks, highlighting, draft
autosave all running). The baseline is the same typing into a bare
QPlainTextEdit in the same run.

Usage: QT_QPA_PLATFORM=offscreen python bench/typing_stall.py [--chars 300] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QElapsedTimer, QSettings, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QPlainTextEdit  # noqa: E402

from console.cli import default_scorer  # noqa: E402
from console.core import demo  # noqa: E402
from console.core.store import CaseFilter, Store, View  # noqa: E402
from console.ui.app import Session, make_app  # noqa: E402

TEXT = ("Hi Anna, I'm so sorry the tracking hasn't moved since Monday. I've chased the courier "
        "and asked them to escalate it; if it hasn't moved by tomorrow noon I'll send a "
        "replacement by express at our cost. Could you DM me a good phone number for the driver? "
        "Thanks for your patience, we really appreciate it and we'll sort it out ")


class Heartbeat:
    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.clock = QElapsedTimer()
        self.last = 0.0
        self.worst = 0.0
        self.timer = QTimer()
        self.timer.setInterval(2)
        self.timer.timeout.connect(self.tick)

    def start(self) -> None:
        self.clock.start()
        self.last = 0.0
        self.worst = 0.0
        self.timer.start()

    def tick(self) -> None:
        now = self.clock.nsecsElapsed() / 1e6
        self.worst = max(self.worst, now - self.last)
        self.last = now

    def stop(self) -> float:
        self.timer.stop()
        return self.worst


def type_into(widget, text: str, beat: Heartbeat, app) -> float:  # type: ignore[no-untyped-def]
    widget.setFocus()
    beat.start()
    for ch in text:
        QTest.keyClicks(widget, ch)
        # Let the event loop run between keys, as between a person's keystrokes (~25 ms).
        deadline = time.perf_counter() + 0.025
        while time.perf_counter() < deadline:
            app.processEvents()  # bench only: drive the loop to let timers fire
    end = time.perf_counter() + 0.5  # let the last debounced check and save land
    while time.perf_counter() < end:
        app.processEvents()
    return beat.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chars", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    text = (TEXT * 3)[:args.chars]
    app = make_app()
    tmp = Path(tempfile.mkdtemp(prefix="cc-typing-"))
    path = demo.create_demo_workspace(tmp, scorer=default_scorer())
    store = Store.open(path, read_only=True)
    case = next(r for r in store.cases_page(CaseFilter(view=View.NEEDS_REPLY))
                if r.sentiment is not None and r.sentiment < -0.3)
    store.close()
    session = Session(path, settings=QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat),
                      label="bench")
    window = session.window
    window.show()
    window.start()
    window.sidebar.select_view(View.ALL)
    composer = window.case_panel.composer
    while window.model.row_of(case.id) < 0 or composer.profile() is None:
        app.processEvents()
    window.inbox.setCurrentIndex(window.model.index(window.model.row_of(case.id), 0))
    while window.case_panel.detail is None or window.case_panel.detail.case.id != case.id:
        app.processEvents()
    beat = Heartbeat(app)
    bare = QPlainTextEdit()
    bare.show()
    results = {"composer_ms": [], "bare_ms": []}
    for _ in range(args.runs):
        composer.editor.clear()
        results["composer_ms"].append(type_into(composer.editor, text, beat, app))
        bare.clear()
        results["bare_ms"].append(type_into(bare, text, beat, app))
    findings = len(composer.findings())
    window.close()
    session.close()
    summary = {
        "chars": len(text),
        "longest stall, composer (ms, target <= 50)": round(max(results["composer_ms"]), 1),
        "longest stall, bare QPlainTextEdit (ms)": round(max(results["bare_ms"]), 1),
        "ratio": round(max(results["composer_ms"]) / max(results["bare_ms"]), 2),
        "findings at the end": findings,
        "runs": results,
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()

"""Typing 300 characters into the real composer: how long the event loop stalls.

The real main window opens on a fresh demo workspace and shows an upset
customer's case, so everything that follows a keystroke runs: the length
counter (grapheme counting), the debounced voice checks (a compute worker),
the findings highlighter and list, and the draft autosave (the writer
thread). A 1 ms heartbeat timer records every gap between its ticks while
QTest types the text key by key, with a person's pause (25 ms) between keys
in which the event loop runs normally (it sleeps when idle), and 0.8 s after the
last key for the debounced check and save to land. The longest gap
is the longest stall: no frame can be drawn during it. Typing starts once the
window's start-up work (warming up the voice checks) is done. The baseline is the
same typing into a bare QPlainTextEdit of the same size, same run, turn by
turn. Each gap's CPU time on the GUI thread is recorded too: a gap with little
CPU time was spent waiting (another process had the core, or a worker held the
GIL), which tells a loaded machine's noise from our own work; ``cpu_per_key`` is
the GUI thread's CPU time over the whole run divided by the keys typed.

At the end the bench checks that the work really happened: findings are shown
for the final text and the stored draft is exactly the typed text.

Usage: QT_QPA_PLATFORM=offscreen python bench/typing_stall.py [--chars 300] [--runs 5]
                                                              [--profile out.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QPlainTextEdit  # noqa: E402

from console.cli import default_scorer  # noqa: E402
from console.core import demo  # noqa: E402
from console.core.store import CaseFilter, Store, View  # noqa: E402
from console.ui.app import Session, make_app  # noqa: E402

TEXT = ("Hi Anna, I'm so sorry the tracking hasn't moved since Monday. I've chased the courier "
        "and asked them to escalate it; if it hasn't moved by tomorrow noon I'll send a "
        "replacement by express at our cost. Could you DM me a good phone number for the driver? "
        "Thanks for your patience, we really appreciate it and we'll sort it out ")
KEY_PAUSE_MS = 25  # between a fast typist's keystrokes
SETTLE_MS = 800  # after the last key: the debounced check and save land
#: Reported per variant, each the median over the runs.
FIGURES = ("p50", "p95", "p99", "max", "max_cpu", "over_16ms", "cpu_per_key")


class Heartbeat:
    """A 1 ms timer: the gaps between its ticks (wall and GUI-thread CPU), in ms."""

    def __init__(self) -> None:
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(1)
        self.timer.timeout.connect(self.tick)
        self.gaps: list[float] = []
        self.cpu: list[float] = []
        self._last = 0.0
        self._last_cpu = 0.0

    def start(self) -> None:
        self.gaps, self.cpu = [], []
        self.clock.start()
        self._last = 0.0
        self._last_cpu = time.thread_time()
        self.timer.start()

    def tick(self) -> None:
        now = self.clock.nsecsElapsed() / 1e6
        cpu = time.thread_time()
        self.gaps.append(now - self._last)
        self.cpu.append((cpu - self._last_cpu) * 1000)
        self._last, self._last_cpu = now, cpu

    def stop(self, keys: int) -> dict[str, float]:
        self.timer.stop()
        gaps = sorted(self.gaps)
        worst = max(range(len(self.gaps)), key=self.gaps.__getitem__)
        return {"p50": gaps[len(gaps) // 2], "p95": gaps[int(len(gaps) * 0.95)],
                "p99": gaps[int(len(gaps) * 0.99)], "max": gaps[-1],
                "max_cpu": max(self.cpu), "cpu_of_max": self.cpu[worst],
                "over_16ms": sum(1 for g in gaps if g > 16),
                "cpu_per_key": sum(self.cpu) / keys}


def wait(ms: int) -> None:
    """Run the event loop for ``ms`` (sleeping when idle, as a real one does)."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def type_into(widget: QPlainTextEdit, text: str, beat: Heartbeat,
              profiler: cProfile.Profile | None = None) -> dict[str, float]:
    widget.setFocus()
    wait(50)
    beat.start()
    if profiler is not None:
        profiler.enable()
    for ch in text:
        QTest.keyClicks(widget, ch)
        wait(KEY_PAUSE_MS)
    wait(SETTLE_MS)
    if profiler is not None:
        profiler.disable()
    return beat.stop(len(text))


def median_of(runs: list[dict[str, float]], key: str) -> float:
    return round(statistics.median(r[key] for r in runs), 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chars", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", type=Path,
                        help="write a cProfile of the GUI thread while typing into the composer")
    args = parser.parse_args()
    text = (TEXT * 3)[:args.chars]
    _app = make_app()  # kept alive for the whole run
    tmp = Path(tempfile.mkdtemp(prefix="cc-typing-"))
    path = demo.create_demo_workspace(tmp, scorer=default_scorer())
    store = Store.open(path, read_only=True)
    case = next(r for r in store.cases_page(CaseFilter(view=View.NEEDS_REPLY))
                if r.sentiment is not None and r.sentiment < -0.3)
    store.close()
    session = Session(path, settings=QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat),
                      label="bench")
    window = session.window
    window.resize(1380, 820)
    window.show()
    window.start()
    window.sidebar.select_view(View.ALL)
    composer = window.case_panel.composer
    deadline = time.monotonic() + 30
    while window.model.row_of(case.id) < 0 or composer.profile() is None:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
        assert time.monotonic() < deadline, "the window did not load"
    window.inbox.setCurrentIndex(window.model.index(window.model.row_of(case.id), 0))
    while window.case_panel.detail is None or window.case_panel.detail.case.id != case.id:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
    # Typing starts once the start-up work is done, as a person reads before replying:
    # a no-op on the (one-thread, first-in first-out) compute worker comes back after
    # the voice checks' warm-up (the mood detector's language model).
    idle: list[bool] = []
    session.ops.compute(lambda: None, parent=window).success(
        lambda _: idle.append(True)).run()
    while not idle:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
        assert time.monotonic() < deadline + 60, "the compute worker never became idle"
    wait(500)
    # The baseline: a bare editor of the same size, in its own top-level window.
    bare = QPlainTextEdit()
    bare.setObjectName("bareEditor")
    bare.resize(composer.editor.size())
    bare.show()
    beat = Heartbeat()
    profiler = cProfile.Profile() if args.profile else None
    composer_runs: list[dict[str, float]] = []
    bare_runs: list[dict[str, float]] = []
    for i in range(args.runs):
        composer.editor.clear()
        wait(600)
        composer_runs.append(type_into(composer.editor, text, beat, profiler))
        bare.clear()
        bare_runs.append(type_into(bare, text, beat))
        print(f"run {i + 1}/{args.runs}: composer max {composer_runs[-1]['max']:.1f} ms, "
              f"bare max {bare_runs[-1]['max']:.1f} ms", file=sys.stderr)
    # The work happened: findings for the final text, and the draft stored as typed.
    findings = composer.findings()
    shown = composer.findings_list.count()
    store = Store.open(path, read_only=True)
    draft = store.open_draft(case.id)
    store.close()
    assert draft is not None and draft.body == text, "the draft was not saved as typed"
    assert findings and shown == len(findings), "no findings shown for the final text"
    if profiler is not None:
        profiler.dump_stats(str(args.profile))
    counter = composer.counter.text()
    window.close()
    session.close()
    summary = {
        "chars": len(text), "runs": args.runs, "load_average": os.getloadavg(),
        "composer_ms": {k: median_of(composer_runs, k) for k in FIGURES},
        "bare_ms": {k: median_of(bare_runs, k) for k in FIGURES},
        "ratio_max": round(median_of(composer_runs, "max") / median_of(bare_runs, "max"), 2),
        "target_max_ms": 16,
        "findings_at_end": len(findings), "counter_at_end": counter,
        "all_runs": {"composer": composer_runs, "bare": bare_runs},
    }
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()

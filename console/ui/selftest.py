"""``--self-test``: check an installation end to end, offscreen, on a throwaway demo workspace.

Meant for a built app (PyInstaller folder, wheel, distribution package) on a
machine without a screen: it finds out whether everything the window needs
was shipped. In order, each check needing the ones before it:

1. resources: every bundled file is there and parses (QSS, JSON, TOML,
   images), templates and voice profiles load;
2. libraries: the dependencies that read data files or load plugins at run
   time (VADER's lexicons, twitter-text's emoji data, Jinja2, keyring's
   backends) work;
3. store: a fresh demo workspace is built, migrated to this version's
   schema, and queried (cases page, full-text search, read-only open);
4. qt: the Qt plugins the window uses are there (SVG icons, image formats,
   this desktop's platform plugin);
5. window: the real main window opens on the workspace, shows and paints the
   inbox, opens a case, the review queue and the settings, and closes, with
   no Python exception, error dialog, logged error or Qt critical message.

``python -m console.ui.selftest`` runs it too. The module also holds the
``CC_EXIT_AFTER_FIRST_PAINT`` hook used by ``bench/cold_start.py``.
"""

from __future__ import annotations

# Only cheap imports up here: the window imports this module for its bench hook.
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from console import APP_NAME, __version__

log = logging.getLogger(__name__)

#: Files the code opens by name: without any of them the app cannot start.
REQUIRED_RESOURCES = (
    "qss/console.qss",
    "demo/workspace.json",
    "icons/community-console.svg",
)
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
#: The Qt platform plugin a desktop session of each OS needs (file name stem).
DESKTOP_PLATFORM_PLUGIN = {"linux": "qxcb", "darwin": "qcocoa", "win32": "qwindows"}
WINDOW_TIMEOUT_S = 60.0
#: Bench hook: print the time to the first painted inbox page with rows, then quit.
FIRST_PAINT_ENV = "CC_EXIT_AFTER_FIRST_PAINT"
#: Optional, set by a launcher: its ``time.time()`` just before starting this process.
LAUNCH_T0_ENV = "CC_LAUNCH_T0"
#: The Qt platform the self-test runs on (default offscreen); e.g. ``xcb`` under Xvfb
#: checks that the desktop platform plugin really loads.
PLATFORM_ENV = "CC_SELFTEST_PLATFORM"

_IMPORTED_AT = time.perf_counter()


class CheckFailed(Exception):
    """A check found a problem; the message says what and where."""


def _summary(problems: list[str]) -> str:
    """Problems joined once each, with a count when one repeats (a failing paint repeats)."""
    counts: dict[str, int] = {}
    for problem in problems:
        counts[problem] = counts.get(problem, 0) + 1
    return "; ".join(p if n == 1 else f"{p} (x{n})" for p, n in counts.items())


@dataclass
class Outcome:
    name: str
    ok: bool | None  # None: skipped
    detail: str


@dataclass
class _Context:
    """What the checks hand to each other."""

    tmp: Path
    workspace: Path | None = None
    app: Any = None
    problems: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ checks
def check_resources(ctx: _Context) -> str:
    from console.core import paths, replying

    root = paths.resources_root()
    missing = [rel for rel in REQUIRED_RESOURCES if not (root / rel).is_file()]
    missing += [f"icons/community-console-{size}.png" for size in ICON_SIZES
                if not (root / f"icons/community-console-{size}.png").is_file()]
    if missing:
        raise CheckFailed(f"missing from {root}: {', '.join(missing)}")
    files = sorted(p for p in root.rglob("*") if p.is_file())
    bad = []
    for path in files:
        try:
            _check_file(path)
        except Exception as exc:  # noqa: BLE001 - each bad file is reported, not raised
            bad.append(f"{path.relative_to(root).as_posix()} ({type(exc).__name__}: {exc})")
    if bad:
        raise CheckFailed(f"unreadable in {root}: " + "; ".join(bad))
    templates = replying.builtin_templates()
    profiles = replying.load_profiles(None)
    if not templates or not profiles:
        raise CheckFailed(f"{len(templates)} templates and {len(profiles)} voice profiles "
                          "loaded; expected some of each")
    return (f"{len(files)} files in {root}; {len(templates)} templates, "
            f"{len(profiles)} voice profiles")


def _check_file(path: Path) -> None:
    """Raise when ``path`` is empty or does not parse as what its suffix says."""
    import tomllib
    import xml.etree.ElementTree as ET

    data = path.read_bytes()
    if not data:
        raise ValueError("empty file")
    suffix = path.suffix.lower()
    if suffix == ".json":
        json.loads(data.decode("utf-8"))
    elif suffix == ".toml":
        tomllib.loads(data.decode("utf-8"))
    elif suffix == ".svg":
        ET.fromstring(data)
    elif suffix in (".qss", ".txt", ".md"):
        data.decode("utf-8")
    elif suffix == ".png" and not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("not a PNG")
    elif suffix == ".ico" and not data.startswith(b"\x00\x00\x01\x00"):
        raise ValueError("not an ICO")
    elif suffix == ".icns" and (data[:4] != b"icns" or int.from_bytes(data[4:8], "big")
                                != len(data)):
        raise ValueError("not an ICNS or truncated")


def check_libraries(ctx: _Context) -> str:
    from importlib import import_module, metadata

    from console.core import sentiment, templates, textlen

    # VADER reads two lexicon files from its package folder.
    happy = sentiment.score("Thank you so much, I love it!")
    angry = sentiment.score("This is terrible, I hate it.")
    if happy.label != "positive" or angry.label != "negative":
        raise CheckFailed(f"VADER scored a happy text {happy.label}, an angry one {angry.label}")
    # twitter-text reads its emoji data through pkg_resources.
    used = textlen.count("Hi \N{WAVING HAND SIGN} see https://example.com/x", "x").used
    if used != 33:
        raise CheckFailed(f"twitter-text counted {used} for a text X counts as 33")
    rendered = templates.render("Hi {{ name }}!", {"name": "Ann"}).text
    if rendered != "Hi Ann!":
        raise CheckFailed(f"Jinja2 rendered {rendered!r}")
    # keyring finds its backends through entry points: the package metadata must ship.
    backends = {ep.name: ep.value for ep in metadata.entry_points(group="keyring.backends")}
    if not backends:
        raise CheckFailed("keyring's backends are not registered (its package metadata "
                          "is missing)")
    wanted = {"linux": ["SecretService", "KWallet"], "darwin": ["macOS"],
              "win32": ["Windows"]}.get(sys.platform, [])
    # Import only: asking a backend for its priority may talk to D-Bus or prompt.
    loaded = []
    for name in wanted:
        if name not in backends:
            raise CheckFailed(f"keyring backend {name} is not registered")
        import_module(backends[name].split(":")[0])
        loaded.append(name)
    import_module("keyring.backends.fail")
    import_module("keyring.backends.null")
    return ("VADER, twitter-text, Jinja2; keyring backends "
            + ", ".join(loaded or sorted(backends)))


def check_store(ctx: _Context) -> str:
    from console.cli import default_scorer
    from console.core import demo
    from console.core.migrations import migrations
    from console.core.store import Store

    ctx.workspace = demo.create_demo_workspace(ctx.tmp / "workspace", scorer=default_scorer())
    store = Store.open(ctx.workspace)
    try:
        known = [m.name for m in migrations._migrations]
        applied = store.schema_version()
        if applied != known:
            raise CheckFailed(f"schema steps applied {applied}, this version has {known}")
        cases = store.case_count()
        page = store.cases_page(limit=5)
        hits = store.search("order", limit=5)
    finally:
        store.close()
    if cases < 1 or not page or not hits:
        raise CheckFailed(f"demo workspace: {cases} cases, a first page of {len(page)}, "
                          f"{len(hits)} search hits for 'order'")
    reader = Store.open(ctx.workspace, read_only=True)
    try:
        if reader.case_count() != cases:
            raise CheckFailed("the read-only connection sees a different workspace")
    finally:
        reader.close()
    return f"demo workspace: {cases} cases, schema {', '.join(applied)}, search ok"


def check_qt(ctx: _Context) -> str:
    from PySide6.QtCore import QCoreApplication, QLibraryInfo, qVersion
    from PySide6.QtGui import QIcon, QImage, QImageReader

    from console.core import paths
    from console.ui.app import make_app

    ctx.app = make_app()
    formats = {bytes(f.data()).decode() for f in QImageReader.supportedImageFormats()}
    lacking = {"png", "svg", "ico"} - formats
    if lacking:
        raise CheckFailed(f"Qt image format plugins missing: {', '.join(sorted(lacking))}")
    svg = paths.resource_path("icons/community-console.svg")
    icon = QIcon(str(svg))
    if icon.isNull() or icon.pixmap(48, 48).isNull():
        raise CheckFailed("the SVG app icon does not render (Qt's svg icon engine is missing)")
    for size in ICON_SIZES:
        image = QImage(str(paths.resource_path(f"icons/community-console-{size}.png")))
        if image.isNull() or image.width() != size:
            raise CheckFailed(f"icons/community-console-{size}.png is not a {size} px image")
    plugin = DESKTOP_PLATFORM_PLUGIN.get(sys.platform)
    found = "not looked for"
    if plugin:
        dirs = [Path(p) / "platforms" for p in QCoreApplication.libraryPaths()]
        dirs.append(Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms")
        hits = [p for d in dirs if d.is_dir() for p in d.iterdir() if plugin in p.name]
        if not hits:
            raise CheckFailed(f"Qt's {plugin} platform plugin (needed on a desktop) is not in "
                              f"{', '.join(str(d) for d in dirs)}")
        found = hits[0].name
    return (f"Qt {qVersion()}, platform {ctx.app.platformName()}, desktop plugin {found}, "
            "SVG and PNG icons")


def check_window(ctx: _Context) -> str:
    from PySide6.QtCore import QEvent, QEventLoop, QObject, QSettings, QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from console.core.secrets import MemorySecretStore
    from console.ui.app import Session

    assert ctx.workspace is not None
    # Own settings file and an in-memory secret store: the self-test leaves the user's
    # window state and keyring alone.
    settings = QSettings(str(ctx.tmp / "settings.ini"), QSettings.Format.IniFormat)
    started = time.perf_counter()
    session = Session(ctx.workspace, settings=settings, label="self-test",
                      secrets=MemorySecretStore)
    window = session.window
    state = {"painted": False, "case": None}

    class PaintWatch(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and window.model.rowCount() > 0:
                state["painted"] = True
            return False

    watch = PaintWatch(window)
    window.inbox.viewport().installEventFilter(watch)
    window.case_panel.case_loaded.connect(lambda case_id: state.__setitem__("case", case_id))

    def error_boxes() -> list[str]:
        found = []
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible():
                found.append(widget.text())
                widget.close()
        return found

    def wait_for(condition: Callable[[], bool], what: str) -> float:
        """Run the event loop until ``condition()`` or the timeout; seconds taken."""
        t0 = time.perf_counter()
        loop = QEventLoop()
        poll = QTimer()
        poll.setInterval(10)

        def tick() -> None:
            boxes = error_boxes()
            if boxes:
                ctx.problems.extend(f"error dialog: {text}" for text in boxes)
                loop.quit()
            elif condition() or time.perf_counter() - t0 > WINDOW_TIMEOUT_S:
                loop.quit()

        poll.timeout.connect(tick)
        poll.start()
        QTimer.singleShot(0, tick)
        loop.exec()
        poll.stop()
        if ctx.problems:
            raise CheckFailed(_summary(ctx.problems))
        if not condition():
            raise CheckFailed(f"timed out after {WINDOW_TIMEOUT_S:.0f} s waiting for {what}")
        return time.perf_counter() - t0

    try:
        window.show()
        window.start()
        wait_for(lambda: bool(state["painted"]), "the inbox to show its first page")
        shown = time.perf_counter() - started
        rows = window.model.rowCount()
        wait_for(lambda: state["case"] is not None, "the first case to open")
        if not window.case_panel.title.text():
            raise CheckFailed("the case panel opened a case with no title")
        window.show_review_queue()
        window.show_settings()
        wait_for(lambda: window.review_queue is not None and window.review_queue.isVisible()
                 and window.settings_dialog is not None and window.settings_dialog.isVisible(),
                 "the review queue and settings to open")
        # Let their first queries come back before closing them.
        loop_end = time.perf_counter() + 0.3
        wait_for(lambda: time.perf_counter() > loop_end, "the dialogs to load")
        window.settings_dialog.close()
        window.review_queue.close()
        window.close()
        wait_for(lambda: not window.isVisible(), "the window to close")
    finally:
        session.close()
    return (f"inbox painted {rows} rows {shown:.2f} s after opening; case #{state['case']}, "
            "review queue and settings opened; closed cleanly")


CHECKS: tuple[tuple[str, Callable[[_Context], str]], ...] = (
    ("resources", check_resources),
    ("libraries", check_libraries),
    ("store", check_store),
    ("qt", check_qt),
    ("window", check_window),
)


# ------------------------------------------------------------------ runner
@contextmanager
def _capture_problems(ctx: _Context) -> Iterator[None]:
    """Collect uncaught exceptions in Qt callbacks, logged errors and Qt criticals."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    def excepthook(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        ctx.problems.append(f"uncaught {kind.__name__}: {exc}")
        old_excepthook(kind, exc, tb)

    def unraisable(info: Any) -> None:
        ctx.problems.append(f"unraisable {type(info.exc_value).__name__}: {info.exc_value}")
        old_unraisable(info)

    def qt_message(kind: QtMsgType, _context: Any, message: str) -> None:
        if kind in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
            ctx.problems.append(f"Qt: {message}")
        elif kind == QtMsgType.QtWarningMsg:
            log.debug("Qt warning: %s", message)

    class ErrorLog(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            ctx.problems.append(f"logged error from {record.name}: {record.getMessage()}")

    old_excepthook, old_unraisable = sys.excepthook, sys.unraisablehook
    handler = ErrorLog(logging.ERROR)
    root = logging.getLogger()
    sys.excepthook, sys.unraisablehook = excepthook, unraisable
    previous_qt = qInstallMessageHandler(qt_message)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        qInstallMessageHandler(previous_qt)
        sys.excepthook, sys.unraisablehook = old_excepthook, old_unraisable


def run_self_test(out: TextIO | None = None) -> int:
    """Run every check, print one line per check, and return the exit code.

    Qt runs offscreen (no window appears, no display is needed) unless a
    ``QApplication`` already exists or ``CC_SELFTEST_PLATFORM`` names another
    platform plugin.

    Args:
        out: Where the report goes (default: standard output).

    Returns:
        0 when every check passed, 1 otherwise.
    """
    import platform
    import shutil
    import tempfile

    out = out or sys.stdout or open(os.devnull, "w")  # noqa: SIM115 - windowed build
    try:
        from PySide6.QtWidgets import QApplication

        if QApplication.instance() is None:
            os.environ["QT_QPA_PLATFORM"] = os.environ.get(PLATFORM_ENV) or "offscreen"
    except ImportError:
        pass  # reported by the qt check
    started = time.perf_counter()
    frozen = "PyInstaller" if getattr(sys, "_MEIPASS", None) else "no"
    out.write(f"{APP_NAME} {__version__} self-test (Python {platform.python_version()}, "
              f"{sys.platform}, frozen: {frozen})\n")
    tmp = Path(tempfile.mkdtemp(prefix="community-console-selftest-"))
    ctx = _Context(tmp=tmp)
    outcomes: list[Outcome] = []
    try:
        with _capture_problems(ctx):
            for name, check in CHECKS:
                if outcomes and not all(o.ok for o in outcomes):
                    outcome = Outcome(name, None, "skipped: an earlier check failed")
                else:
                    ctx.problems.clear()
                    try:
                        detail = check(ctx)
                        if ctx.problems:
                            raise CheckFailed(_summary(ctx.problems))
                        outcome = Outcome(name, True, detail)
                    except CheckFailed as exc:
                        outcome = Outcome(name, False, str(exc))
                    except Exception as exc:
                        log.debug("self-test check %s crashed", name, exc_info=True)
                        outcome = Outcome(name, False, f"{type(exc).__name__}: {exc}")
                outcomes.append(outcome)
                mark = {True: "ok  ", False: "FAIL", None: "skip"}[outcome.ok]
                out.write(f"  {mark}  {name:<10} {outcome.detail}\n")
                out.flush()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    failed = [o.name for o in outcomes if o.ok is False]
    skipped = [o.name for o in outcomes if o.ok is None]
    elapsed = time.perf_counter() - started
    if failed or skipped:
        not_run = f"; not run: {', '.join(skipped)}" if skipped else ""
        out.write(f"self-test FAILED: {', '.join(failed)}{not_run} ({elapsed:.1f} s)\n")
        return 1
    out.write(f"self-test passed: {len(outcomes)} checks ({elapsed:.1f} s)\n")
    return 0


# ------------------------------------------------------------------ bench hook
def process_age() -> tuple[float, str]:
    """Seconds since this process started, and how that was found out.

    Order: the launcher's ``CC_LAUNCH_T0`` (its ``time.time()`` before the
    start), then Linux's /proc (10 ms ticks), then the import of this module.
    """
    t0 = os.environ.get(LAUNCH_T0_ENV)
    if t0:
        return time.time() - float(t0), "launcher"
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            start_ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK"), "proc"
    except (OSError, ValueError, IndexError, AttributeError):
        return time.perf_counter() - _IMPORTED_AT, "import"


def exit_after_first_paint(window: Any) -> None:
    """With ``CC_EXIT_AFTER_FIRST_PAINT=1``: report the first painted inbox page, then quit.

    The main window calls this once it is shown. When the inbox viewport
    first paints with rows in the model, one JSON line goes to standard
    output (``{"first_paint_s": ..., "clock": ..., "rows": ...}``) and the
    application quits, as if the user had closed the window. Without the
    variable it does nothing.
    """
    if os.environ.get(FIRST_PAINT_ENV) != "1":
        return
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    class FirstPaint(QObject):
        def __init__(self) -> None:
            super().__init__(window)
            self.done = False

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if (not self.done and event.type() == QEvent.Type.Paint
                    and window.model.rowCount() > 0):
                self.done = True
                age, clock = process_age()
                stream = sys.stdout or sys.stderr
                if stream is not None:
                    stream.write(json.dumps({"first_paint_s": round(age, 4), "clock": clock,
                                             "rows": window.model.rowCount()}) + "\n")
                    stream.flush()
                # After this paint event returns: close as the user would (saves state).
                QTimer.singleShot(0, window.close)
                QTimer.singleShot(0, QApplication.quit)
            return False

    window.inbox.viewport().installEventFilter(FirstPaint())


if __name__ == "__main__":
    sys.exit(run_self_test())

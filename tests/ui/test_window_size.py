"""The first window fits its screen; a size the user (or a test) gives it is kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QRect

from console.ui.main_window import MainWindow


def expected_default(area: QRect) -> tuple[int, int]:
    """DEFAULT_SIZE, shrunk to the available geometry less SCREEN_MARGIN."""
    return (min(MainWindow.DEFAULT_SIZE.width(),
                area.width() - MainWindow.SCREEN_MARGIN.width()),
            min(MainWindow.DEFAULT_SIZE.height(),
                area.height() - MainWindow.SCREEN_MARGIN.height()))


def test_first_window_fits_the_available_screen(qtbot, open_session, demo_db: Path,
                                                tmp_path: Path):
    # A fresh settings file: no remembered geometry, the first start.
    window = open_session(demo_db, tmp_path / "first-start.ini").window
    qtbot.waitExposed(window)
    area = window.screen().availableGeometry()
    # The offscreen screen (800x800) is smaller than the 1380x820 default: the check bites.
    assert area.width() < MainWindow.DEFAULT_SIZE.width()
    assert area.contains(window.frameGeometry()), (window.frameGeometry(), area)
    # As big as the screen allows, not merely small.
    assert (window.width(), window.height()) == expected_default(area)


def test_a_size_given_later_is_not_fitted(qtbot, open_session, demo_db: Path, tmp_path: Path):
    """Only the default is fitted: the layout tests set laptop sizes beyond the 800x800
    offscreen screen, and the panes follow the new width (the first fit was for 768)."""
    window = open_session(demo_db, tmp_path / "first-start.ini").window
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=10_000)
    window.resize(1440, 900)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == (1440, 900), timeout=5_000)
    sidebar, inbox, panel = window.splitter.sizes()
    assert sidebar <= 240 and panel >= 400
    # Shared out for 1440 px, as a first window of that width would be.
    window.fit_panes(window.width())
    assert window.splitter.sizes() == [sidebar, inbox, panel]


#: Opens the real window on a workspace in a fresh process (its own screen), prints its
#: frame and the screen's available geometry.
SHOW_WINDOW = """
import json, sys
from pathlib import Path
from PySide6.QtCore import QSettings
from console.ui.app import Session, make_app

app = make_app()
session = Session(Path(sys.argv[1]), settings=QSettings(sys.argv[2], QSettings.Format.IniFormat),
                  label="size")
window = session.window
window.show()
app.processEvents()
frame, area = window.frameGeometry(), window.screen().availableGeometry()
print(json.dumps({"frame": [frame.x(), frame.y(), frame.width(), frame.height()],
                  "size": [window.width(), window.height()],
                  "area": [area.x(), area.y(), area.width(), area.height()]}))
window.close()
session.close()
"""


@pytest.mark.parametrize("screen", [(1280, 800), (1366, 768), (2560, 1440)])
def test_first_window_on_a_screen_without_window_manager(demo_db: Path, tmp_path: Path,
                                                         screen: tuple[int, int]):
    """The issue's case: a 1280x800 X server with no window manager to shrink the window."""
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{
        "name": "screen", "x": 0, "y": 0, "width": screen[0], "height": screen[1],
        "logicalDpiX": 96, "logicalDpiY": 96, "dpr": 1}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}",
           "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data")}
    run = subprocess.run([sys.executable, "-c", SHOW_WINDOW, str(demo_db),
                          str(tmp_path / "settings.ini")],
                         capture_output=True, text=True, env=env, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    shown = json.loads(run.stdout.strip().splitlines()[-1])
    frame, area = QRect(*shown["frame"]), QRect(*shown["area"])
    assert area.size().toTuple() == screen
    assert area.contains(frame), (frame, area)  # the frame too (offscreen draws 2 px)
    assert tuple(shown["size"]) == expected_default(area)
    # Centred: what a window manager would do, and what keeps it whole without one.
    assert abs(frame.center().x() - area.center().x()) <= 2
    assert abs(frame.center().y() - area.center().y()) <= 2

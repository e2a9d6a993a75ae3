"""Render the main window on the demo workspace to a PNG (offscreen Qt), for the README.

Usage: python packaging/screenshot.py [OUT.png] [--case N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QSettings, QTimer  # noqa: E402

from console.cli import default_scorer  # noqa: E402
from console.core import demo  # noqa: E402
from console.ui.app import Session, make_app  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", nargs="?", default=str(
        Path(__file__).resolve().parent.parent / "resources/screenshots/main-window.png"))
    parser.add_argument("--row", type=int, default=2, help="inbox row to select")
    parser.add_argument("--view", default="needs_reply")
    parser.add_argument("--size", default="1440x860")
    parser.add_argument("--reply", help="type this into the composer before the shot")
    args = parser.parse_args()
    app = make_app()
    tmp = Path(tempfile.mkdtemp(prefix="cc-shot-"))
    path = demo.create_demo_workspace(tmp, scorer=default_scorer())
    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    session = Session(path, settings=settings, label="Demo workspace")
    window = session.window
    w, h = (int(x) for x in args.size.split("x"))
    window.resize(w, h)
    window.show()
    window.start()
    window.sidebar.select_view(args.view)

    def select() -> None:
        if window.model.rowCount() <= args.row:
            QTimer.singleShot(50, select)
            return
        window.inbox.setCurrentIndex(window.model.index(args.row, 0))
        QTimer.singleShot(600, type_reply if args.reply else shoot)

    def type_reply() -> None:
        window.case_panel.focus_reply()
        window.case_panel.composer.editor.setPlainText(args.reply)
        QTimer.singleShot(800, shoot)

    def shoot() -> None:
        window.grab().save(args.out)
        print(args.out)
        app.quit()

    QTimer.singleShot(100, select)
    app.exec()
    session.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

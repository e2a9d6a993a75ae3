"""Up to the first painted inbox the window loads only what paints it (bench/cold_start.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

#: Opens the real window (a fresh process: nothing imported yet) and, when the inbox first
#: paints with rows, prints which of the modules named in argv[2:] are loaded by then.
AT_FIRST_PAINT = """
import json, sys
from pathlib import Path
from PySide6.QtCore import QEvent, QObject, QSettings, QTimer
from console.ui.app import Session, make_app
from console.ui.case.panel import CasePanel

asked = []  # cases the panel was asked to open
show_case = CasePanel.show_case
CasePanel.show_case = lambda panel, case_id: (asked.append(case_id), show_case(panel, case_id))
app = make_app()
session = Session(Path(sys.argv[1]), settings=QSettings(sys.argv[2], QSettings.Format.IniFormat),
                  label="start")
window = session.window

class Paint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and window.model.rowCount() > 0:
            loaded = sorted(m for m in sys.argv[3:] if m in sys.modules)
            print(json.dumps({"loaded": loaded, "cases_asked": asked}), flush=True)
            QTimer.singleShot(0, app.quit)
        return False

watch = Paint(window)
window.inbox.viewport().installEventFilter(watch)
window.show()
window.start()
QTimer.singleShot(30_000, app.quit)
app.exec()
window.close()
session.close()
"""

#: Not needed to paint the inbox: the composer's checks and templates (jinja2, the voice
#: rules, the mood detector), seeding the bundled templates, the text counter's regex,
#: sync and its connectors, the case-log importer, reports.
NOT_BEFORE_PAINT = (
    "jinja2", "console.core.templates", "console.core.voice", "console.core.sentiment",
    "py3langid", "numpy", "regex", "console.core.textlen", "console.sync.engine",
    "console.connectors.base", "console.connectors.registry", "requests", "keyring",
    "console.core.importer", "console.core.reports", "console.ui.review",
    "console.ui.settings_dialog", "console.ui.reports",
)


def test_nothing_but_the_inbox_is_loaded_before_it_paints(demo_db: Path, tmp_path: Path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("CC_EXIT_AFTER_FIRST_PAINT", None)
    run = subprocess.run([sys.executable, "-c", AT_FIRST_PAINT, str(demo_db),
                          str(tmp_path / "settings.ini"), *NOT_BEFORE_PAINT],
                         capture_output=True, text=True, env=env, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    assert lines, run.stderr[-3000:]
    first = json.loads(lines[0])
    assert first["loaded"] == [], first
    # The first case is read and shown once the inbox has painted (it raced the paint).
    assert first["cases_asked"] == []


def test_replying_loads_the_voice_checks_only_when_used():
    """The composer asks replying which message a reply answers before the first case
    shows: that must not import the voice rules, the mood detector or jinja2."""
    code = ("import sys\n"
            "import console.core.replying\n"
            "heavy = ['console.core.voice', 'console.core.sentiment', 'console.core.templates',\n"
            "         'jinja2', 'regex']\n"
            "print(sorted(m for m in heavy if m in sys.modules))\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert run.stdout.strip() == "[]", run.stdout + run.stderr

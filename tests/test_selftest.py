"""``--self-test`` passes on a good installation and fails, saying why, on a broken one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CHECKS = ("resources", "libraries", "store", "qt", "window")


def run(args: list[str], *, cwd: Path = REPO, env: dict[str, str] | None = None,
        timeout: int = 180) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd,
                          env=full_env, timeout=timeout, check=False)


def lines_by_check(stdout: str) -> dict[str, str]:
    found = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("ok", "FAIL", "skip") and parts[1] in CHECKS:
            found[parts[1]] = parts[0]
    return found


def test_self_test_passes() -> None:
    out = run(["-m", "console.ui.selftest"])
    assert out.returncode == 0, out.stdout + out.stderr
    assert lines_by_check(out.stdout) == dict.fromkeys(CHECKS, "ok"), out.stdout
    assert "self-test passed" in out.stdout
    assert "inbox painted" in out.stdout


@pytest.fixture
def checkout_copy(tmp_path: Path) -> Path:
    """A copy of the source checkout layout (console/ and resources/) to break."""
    root = tmp_path / "checkout"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "console", root / "console", ignore=ignore)
    shutil.copytree(REPO / "resources", root / "resources", ignore=ignore)
    return root


def run_in(root: Path) -> subprocess.CompletedProcess[str]:
    return run(["-m", "console.ui.selftest"], cwd=root, env={"PYTHONPATH": str(root)})


def test_self_test_fails_on_a_damaged_resource(checkout_copy: Path) -> None:
    demo = checkout_copy / "resources" / "demo" / "workspace.json"
    demo.write_text(demo.read_text(encoding="utf-8")[:500], encoding="utf-8")  # truncated
    out = run_in(checkout_copy)
    assert out.returncode == 1, out.stdout + out.stderr
    checks = lines_by_check(out.stdout)
    assert checks["resources"] == "FAIL"
    assert "demo/workspace.json" in out.stdout and str(checkout_copy) in out.stdout
    assert set(checks.values()) == {"FAIL", "skip"}  # nothing runs on a broken install
    assert "self-test FAILED: resources" in out.stdout


def test_self_test_fails_on_a_missing_icon(checkout_copy: Path) -> None:
    (checkout_copy / "resources" / "icons" / "community-console-48.png").unlink()
    out = run_in(checkout_copy)
    assert out.returncode == 1
    assert "icons/community-console-48.png" in out.stdout


def test_self_test_fails_when_the_window_raises() -> None:
    """An exception inside a Qt callback (here, the inbox model) fails the window check."""
    code = (
        "import sys\n"
        "from console.ui.inbox import model\n"
        "original = model.InboxModel.data\n"
        "def data(self, index, role=0):\n"
        "    if index.row() == 1 and index.column() == 1:\n"
        "        raise RuntimeError('broken inbox row')\n"
        "    return original(self, index, role)\n"
        "model.InboxModel.data = data\n"
        "from console.ui.selftest import run_self_test\n"
        "sys.exit(run_self_test())\n"
    )
    out = run(["-c", code])
    assert out.returncode == 1, out.stdout + out.stderr
    checks = lines_by_check(out.stdout)
    assert checks["window"] == "FAIL", out.stdout
    assert "broken inbox row" in out.stdout


def test_first_paint_hook_reports_and_quits(tmp_path: Path) -> None:
    """CC_EXIT_AFTER_FIRST_PAINT=1: one JSON line at the first painted inbox page, then exit."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from PySide6.QtCore import QSettings\n"
        "from console.cli import default_scorer\n"
        "from console.core import demo\n"
        "from console.core.secrets import MemorySecretStore\n"
        "from console.ui.selftest import exit_after_first_paint\n"
        "from console.ui.app import Session, make_app\n"
        "app = make_app()\n"
        "tmp = Path(sys.argv[1])\n"
        "path = demo.create_demo_workspace(tmp, scorer=default_scorer())\n"
        "settings = QSettings(str(tmp / 's.ini'), QSettings.Format.IniFormat)\n"
        "session = Session(path, settings=settings, label='hook', secrets=MemorySecretStore)\n"
        "session.window.show()\n"
        "session.window.start()\n"
        "exit_after_first_paint(session.window)\n"
        "code = app.exec()\n"
        "session.close()\n"
        "sys.exit(code)\n"
    )
    out = run(["-c", code, str(tmp_path)], env={"CC_EXIT_AFTER_FIRST_PAINT": "1"}, timeout=120)
    assert out.returncode == 0, out.stderr
    (line,) = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    report = json.loads(line)
    assert report["rows"] > 0
    assert 0 < report["first_paint_s"] < 60
    assert report["clock"] in ("launcher", "proc", "import")
    # Without the variable the hook does nothing: the window stays open (exits on timeout).
    quiet = run(["-c", code.replace("code = app.exec()", "from PySide6.QtCore import QTimer\n"
                                    "QTimer.singleShot(1500, app.quit)\ncode = app.exec()"),
                 str(tmp_path / "quiet")], env={"CC_EXIT_AFTER_FIRST_PAINT": ""}, timeout=120)
    assert quiet.returncode == 0, quiet.stderr
    assert not [ln for ln in quiet.stdout.splitlines() if ln.startswith("{")]


def test_command_line_self_test(tmp_path: Path) -> None:
    out = run(["-m", "console", "--self-test"], cwd=REPO)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "self-test passed" in out.stdout


def test_command_line_first_paint_hook(tmp_path: Path) -> None:
    out = run(["-m", "console", "--demo"], env={"CC_EXIT_AFTER_FIRST_PAINT": "1",
                                                 "XDG_CONFIG_HOME": str(tmp_path)}, timeout=120)
    assert out.returncode == 0, out.stderr
    (line,) = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    assert json.loads(line)["rows"] > 0

"""Layering rules, enforced: the domain and storage code imports no Qt."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "console"
QT = {"PySide6", "shiboken6", "PyQt5", "PyQt6"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def modules(*parts: str) -> list[Path]:
    return sorted(p for part in parts for p in (PACKAGE / part).rglob("*.py"))


@pytest.mark.parametrize("path", modules("core", "connectors", "sync"), ids=str)
def test_no_qt_outside_ui(path: Path) -> None:
    assert not imports_of(path) & QT, f"{path} imports Qt"


@pytest.mark.parametrize("path", [p for p in PACKAGE.rglob("*.py") if "connectors" not in p.parts],
                         ids=str)
def test_requests_only_in_connectors(path: Path) -> None:
    assert "requests" not in imports_of(path)


@pytest.mark.parametrize("path", list(PACKAGE.rglob("*.py")), ids=str)
def test_sql_only_in_store(path: Path) -> None:
    rel = path.relative_to(PACKAGE).as_posix()
    if rel.startswith("core/store/") or rel in {"core/migrations.py", "ui/tasks.py"}:
        return
    assert not imports_of(path) & {"sqlite3", "sqlite_utils"}, f"{rel} talks SQL"


def full_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", modules("core", "connectors", "sync"), ids=str)
def test_nothing_imports_ui(path: Path) -> None:
    assert not any(n == "console.ui" or n.startswith("console.ui.") for n in full_imports(path))


def test_core_imports_without_pyside6() -> None:
    """The headless parts load and work in a Python where PySide6 cannot be imported."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('PySide6', 'shiboken6'):\n"
        "            raise ImportError('PySide6 is blocked for this test')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import console.core.store, console.core.demo, console.cli\n"
        "from console.core.store import Store\n"
        "s = Store.memory(); console.core.demo.populate(s)\n"
        "assert s.case_count() > 50\n"
        "assert not any(m.startswith('PySide6') for m in sys.modules)\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=PACKAGE.parent, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def _runner_methods() -> set[str]:
    """The TaskRunner's ``run_*`` methods, read from tasks.py (no Qt import needed)."""
    tree = ast.parse((PACKAGE / "ui" / "tasks.py").read_text(encoding="utf-8"))
    (runner,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "TaskRunner"]
    return {n.name for n in runner.body
            if isinstance(n, ast.FunctionDef) and n.name.startswith("run_")}


def test_runner_methods_are_found() -> None:
    assert {"run_write", "run_read", "run_net", "run_compute", "run_on_main"} <= _runner_methods()


@pytest.mark.parametrize("path", modules("ui"), ids=str)
def test_background_work_only_through_ops(path: Path) -> None:
    """Widgets run background work through ui/ops.py helpers, never the TaskRunner itself.

    The helpers give every callback the "widget still alive" check and the same
    error handling; a direct ``runner.run_net(...)`` would skip both.
    """
    rel = path.relative_to(PACKAGE).as_posix()
    if rel in {"ui/ops.py", "ui/tasks.py"}:
        return
    methods = _runner_methods()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    used = sorted(f"line {n.lineno}: .{n.attr}" for n in ast.walk(tree)
                  if isinstance(n, ast.Attribute) and n.attr in methods)
    assert not used, f"{rel} calls the TaskRunner directly (use ops.net/compute/…): {used}"

"""The wheel is the primary install: a non-editable install must find every resource."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
                    str(REPO)], check=True, timeout=600)
    (whl,) = out.glob("community_console-*.whl")
    return whl


def test_installed_wheel_finds_every_resource(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, timeout=600)
    expected = sorted(p.relative_to(REPO / "resources").as_posix()
                      for p in (REPO / "resources").rglob("*") if p.is_file())
    code = (
        "import sys, json\n"
        "from console.core import paths\n"
        "root = paths.resources_root()\n"
        "assert str(root).startswith(sys.argv[1]), root\n"
        "print(json.dumps(sorted(p.relative_to(root).as_posix() "
        "for p in root.rglob('*') if p.is_file())))\n"
    )
    # Run from an empty folder with only the installed copy importable: not the checkout.
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True,
                         text=True, cwd=tmp_path, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    import json

    assert json.loads(out.stdout) == expected
    # And the installed app runs a headless command on its bundled demo workspace.
    demo = subprocess.run([sys.executable, "-m", "console", "--demo", "cases", "list", "--json"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert demo.returncode == 0, demo.stderr
    assert len(json.loads(demo.stdout)) >= 60

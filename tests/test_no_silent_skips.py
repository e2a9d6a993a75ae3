"""Under CI a missing part fails the run; locally it skips with the reason shown."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

PROBE = '''
from tests.helpers import need, need_module

def test_needs_a_tool():
    need(False, "frobnicator (Debian package frob)")

def test_needs_a_module():
    need_module("no_such_module_for_this_test", "no-such-module (pip install it)")

def test_has_what_it_needs():
    need(True, "never shown")
'''


def run_probe(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_probe.py").write_text(PROBE)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs",
                           "-q", str(tmp_path / "test_probe.py")], capture_output=True,
                          text=True, cwd=tmp_path, env=env, timeout=120)


def test_missing_part_fails_under_ci(tmp_path: Path) -> None:
    out = run_probe(tmp_path, "1")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "2 failed, 1 passed" in out.stdout
    assert "missing under CI: frobnicator (Debian package frob)" in out.stdout
    assert "missing under CI: no-such-module (pip install it)" in out.stdout
    assert "skipped" not in out.stdout


@pytest.mark.parametrize("ci", [None, ""])
def test_missing_part_skips_locally_with_the_reason(tmp_path: Path, ci: str | None) -> None:
    out = run_probe(tmp_path, ci)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 passed, 2 skipped" in out.stdout
    assert "missing: frobnicator (Debian package frob)" in out.stdout  # shown by -rs


def test_ci_run_script_sets_ci() -> None:
    assert re.search(r"^export CI=", (REPO / ".ci" / "run").read_text(), re.MULTILINE)


def test_every_skip_goes_through_the_helper() -> None:
    """A direct skip would pass silently under CI: only tests/helpers.py may skip."""
    direct = re.compile(r"pytest\.skip\(|\bskipif\b|importorskip|pytest\.mark\.skip\b")
    here = Path(__file__).resolve()
    offenders = [f"{path.relative_to(REPO)}:{n}" for path in sorted((REPO / "tests").rglob("*.py"))
                 if path.name != "helpers.py" and path.resolve() != here
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if direct.search(line)]
    assert not offenders, f"skip through tests/helpers.py (need/not_applicable): {offenders}"


def test_not_applicable_fails_under_ci_and_skips_locally(tmp_path: Path) -> None:
    """An "it does not apply here" skip is a skip too: CI, the full set-up, runs everything."""
    (tmp_path / "test_probe.py").write_text(
        "from tests.helpers import not_applicable\n\n"
        "def test_elsewhere():\n    not_applicable('ldd is for Linux')\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = str(REPO)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", "-q",
               str(tmp_path / "test_probe.py")]
    local = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env,
                           timeout=120)
    assert local.returncode == 0 and "1 skipped" in local.stdout, local.stdout
    ci = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path,
                        env={**env, "CI": "1"}, timeout=120)
    assert ci.returncode == 1 and "1 failed" in ci.stdout, ci.stdout
    assert "skipped under CI, which must run everything: ldd is for Linux" in ci.stdout

"""Static checks in the test command: ruff over the tree, mypy over the console package."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import need

ROOT = Path(__file__).resolve().parent.parent

#: Both come from the locked test extra (exact pins: a new release means new findings).
TOOLS = "the test extra: pip install --require-hashes -r requirements-test.lock (packaging/test.sh)"


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    """Run a tool from this venv (``python -m``) at the top of the tree, where its config is."""
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=240)


def test_ruff_finds_nothing() -> None:
    need(importlib.util.find_spec("ruff") is not None, f"ruff ({TOOLS})")
    # The rule set is [tool.ruff] in pyproject.toml. No cache: it takes under a second.
    out = run_tool("ruff", "check", "--no-cache", "--output-format", "concise", ".")
    if out.returncode != 0:
        pytest.fail("ruff check found problems (most fix themselves: ruff check --fix .):\n"
                    f"{out.stdout}{out.stderr}", pytrace=False)


def test_mypy_finds_nothing(tmp_path: Path) -> None:
    need(importlib.util.find_spec("mypy") is not None, f"mypy ({TOOLS})")
    # What is checked, and how strictly, is [tool.mypy] in pyproject.toml (strict for
    # core/, connectors/ and sync/). A fresh cache each run: no stale result, nothing
    # written into the tree; a cold run over console/ takes seconds.
    out = run_tool("mypy", "--cache-dir", str(tmp_path / "mypy-cache"), "--no-color-output")
    if out.returncode != 0:
        pytest.fail(f"mypy found problems:\n{out.stdout}{out.stderr}", pytrace=False)

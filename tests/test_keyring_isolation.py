"""packaging/with-keyring.sh gives the tests a keyring of their own: the user's stays untouched.

A fake user home with a real login keyring (made by gnome-keyring with another password)
stands in for a desktop user's; with-keyring.sh runs a program that stores and reads a secret
through ``keyring``, and the user's keyring folder must be byte-identical afterwards.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import need

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "packaging" / "with-keyring.sh"
NEED = "dbus gnome-keyring (packaging/install-deps.sh --test)"

ROUND_TRIP = """
import os, keyring
from keyring.backends import SecretService
assert isinstance(keyring.get_keyring(), SecretService.Keyring), keyring.get_keyring()
keyring.set_password("community-console-isolation", "probe", "s3cret-value")
assert keyring.get_password("community-console-isolation", "probe") == "s3cret-value"
keyring.delete_password("community-console-isolation", "probe")
print("round-trip ok")
print("KEYRING_DIR=" + os.environ["CC_TEST_KEYRING_DIR"])
print("DATA=" + os.environ["XDG_DATA_HOME"])
print("HOME=" + os.environ["HOME"])
"""


def user_env(home: Path) -> dict[str, str]:
    """The environment of a desktop user whose home is ``home`` (no test-run leftovers)."""
    drop = ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR",
            "DBUS_SESSION_BUS_ADDRESS", "CC_TEST_KEYRING_DIR", "PYTHON_KEYRING_BACKEND",
            "GNOME_KEYRING_CONTROL")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["HOME"] = str(home)
    return env


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its content hash (and mode), to compare byte for byte."""
    return {str(p.relative_to(folder)): f"{hashlib.sha256(p.read_bytes()).hexdigest()} "
            f"{p.stat().st_mode:o}"
            for p in sorted(folder.rglob("*")) if p.is_file()}


def make_login_keyring(home: Path) -> Path:
    """A real login keyring in ``home``'s keyring folder, locked with a password we don't use."""
    keyrings = home / ".local" / "share" / "keyrings"
    script = (
        'gnome-keyring-daemon --foreground --unlock --components=secrets <<<"the-users-own" '
        '>/dev/null 2>&1 & pid=$!\n'
        f'for _ in $(seq 100); do [ -s "{keyrings}/login.keyring" ] && break; sleep 0.1; done\n'
        'sleep 0.3; kill $pid; wait $pid || true\n'
    )
    subprocess.run(["dbus-run-session", "--", "bash", "-c", script], env=user_env(home),
                   capture_output=True, timeout=60, check=True)
    login = keyrings / "login.keyring"
    assert login.exists() and login.stat().st_size > 0
    return keyrings


@pytest.fixture
def user_home(tmp_path: Path) -> Path:
    for tool in ("dbus-run-session", "gnome-keyring-daemon"):
        need(shutil.which(tool), f"{tool}: {NEED}")
    home = tmp_path / "home"
    home.mkdir()
    make_login_keyring(home)
    return home


def test_test_run_keyring_leaves_the_users_keyring_untouched(user_home: Path) -> None:
    keyrings = user_home / ".local" / "share" / "keyrings"
    before_keyrings, before_home = snapshot(keyrings), snapshot(user_home)
    mtime = (keyrings / "login.keyring").stat().st_mtime_ns
    time.sleep(0.05)  # a rewrite with the same bytes would still move the mtime

    out = subprocess.run([str(SCRIPT), sys.executable, "-c", ROUND_TRIP], capture_output=True,
                         text=True, env=user_env(user_home), cwd=user_home, timeout=120)

    assert out.returncode == 0, out.stdout + out.stderr
    assert "round-trip ok" in out.stdout
    lines = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    throwaway = Path(lines["KEYRING_DIR"])
    assert Path(lines["DATA"]).is_relative_to(throwaway)
    assert not throwaway.is_relative_to(user_home)
    assert lines["HOME"] == str(user_home)  # the command keeps the user's HOME (tool caches)
    assert not throwaway.exists(), "the throwaway keyring folder is removed at exit"
    assert snapshot(keyrings) == before_keyrings
    assert (keyrings / "login.keyring").stat().st_mtime_ns == mtime
    assert snapshot(user_home) == before_home, "the test run wrote into the user's home"


def test_failing_command_fails_the_run(user_home: Path) -> None:
    out = subprocess.run([str(SCRIPT), sys.executable, "-c", "raise SystemExit(7)"],
                         capture_output=True, text=True, env=user_env(user_home), timeout=120)
    assert out.returncode == 7


def test_missing_gnome_keyring_is_an_error_not_a_run_without_keyring(tmp_path: Path) -> None:
    # Only bash itself on PATH: dbus and gnome-keyring are "not installed".
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    bash = shutil.which("bash")
    assert bash
    out = subprocess.run([bash, str(SCRIPT), "touch", str(tmp_path / "ran")],
                         capture_output=True, text=True, timeout=60,
                         env={**user_env(tmp_path), "PATH": str(bin_dir)})
    assert out.returncode != 0
    assert "install dbus gnome-keyring (packaging/install-deps.sh --test)" in out.stderr
    assert not (tmp_path / "ran").exists()


def test_pytest_refuses_a_keyring_in_the_users_data_folder(tmp_path: Path) -> None:
    """conftest.py stops the session when with-keyring.sh's data folder is not throwaway."""
    env = {**os.environ, "CC_TEST_KEYRING_DIR": str(tmp_path),
           "XDG_DATA_HOME": str(Path.home() / ".local" / "share")}
    out = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                          "tests/test_no_silent_skips.py::test_ci_run_script_sets_ci"],
                         capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert out.returncode != 0
    assert "refusing to run the tests against this keyring" in out.stdout + out.stderr

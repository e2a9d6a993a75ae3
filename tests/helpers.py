"""The one place a test may skip: a missing part skips locally and fails under CI."""

from __future__ import annotations

import importlib
import os
import pwd
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

import pytest

#: What installs every part the suite needs (Debian packages and the locked test extra).
INSTALL_ALL = "packaging/test.sh installs it"


def under_ci() -> bool:
    """Whether this run is CI (``CI`` set and not empty/0, as .ci/run exports it)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def need(condition: object, what_to_install: str) -> None:
    """Go on when ``condition`` holds; otherwise fail under CI, skip (with why) locally.

    ``what_to_install`` names the missing part and how to get it, e.g.
    "desktop-file-validate (Debian package desktop-file-utils; packaging/install-deps.sh --test)".
    Under CI a missing part is a broken set-up, never a silent pass.
    """
    if condition:
        return
    if under_ci():
        pytest.fail(f"missing under CI: {what_to_install}", pytrace=False)
    pytest.skip(f"missing: {what_to_install}")


def need_module(name: str, what_to_install: str) -> ModuleType:
    """Import ``name``, or :func:`need` fails/skips saying what to install."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        need(False, f"{what_to_install} ({exc})")
        raise  # not reached: need() raised


def not_applicable(reason: str) -> None:
    """Skip a test that does not apply here (another OS, an opt-out) on a local run.

    Under CI nothing is skipped: CI is the full Linux set-up, so a test that finds
    itself "not applicable" there means the set-up is wrong, and the run fails.
    """
    if under_ci():
        pytest.fail(f"skipped under CI, which must run everything: {reason}", pytrace=False)
    pytest.skip(reason)


KEYRING_HELP = ("a throwaway gnome-keyring: run the tests under packaging/with-keyring.sh "
                "(packaging/test.sh does; it needs dbus gnome-keyring: "
                "packaging/install-deps.sh --test)")


def user_data_dir() -> Path:
    """The real user's data folder (where their keyrings live), whatever HOME says."""
    return Path(pwd.getpwuid(os.getuid()).pw_dir) / ".local" / "share"


def keyring_isolation_problem(environ: Mapping[str, str]) -> str | None:
    """Why the keyring in ``environ`` is not with-keyring.sh's throwaway one (None: it is)."""
    folder = environ.get("CC_TEST_KEYRING_DIR")
    if not folder:
        return "CC_TEST_KEYRING_DIR is not set (not running under packaging/with-keyring.sh)"
    data = Path(environ.get("XDG_DATA_HOME") or Path(environ.get("HOME", "~")) / ".local/share")
    data, root = data.expanduser().resolve(), Path(folder).resolve()
    if not data.is_relative_to(root):
        return f"XDG_DATA_HOME={data} is outside the throwaway keyring folder {root}"
    if data == user_data_dir().resolve() or root == Path(pwd.getpwuid(os.getuid()).pw_dir):
        return f"the keyring data folder {data} is the user's own"
    return None


def require_test_keyring() -> None:
    """Go on only with a working keyring whose files are in with-keyring.sh's throwaway folder.

    Outside with-keyring.sh, conftest.py has set PYTHON_KEYRING_BACKEND to keyring's "fail"
    backend, so nothing reaches the user's own keyring; such a run skips (fails under CI).
    """
    import keyring
    from keyring.backends import fail, null

    need(not keyring_isolation_problem(os.environ), KEYRING_HELP)
    backend = keyring.get_keyring()
    need(not isinstance(backend, (fail.Keyring, null.Keyring)),
         f"a keyring backend (got {type(backend).__module__}): {KEYRING_HELP}")

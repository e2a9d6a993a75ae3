"""Where things live: bundled resources and the user's workspaces (no Qt)."""

from __future__ import annotations

import os
import sys
from pathlib import Path, PurePosixPath

import platformdirs

APP_DIR_NAME = "community-console"


def resources_root() -> Path:
    """The ``resources/`` folder: PyInstaller bundle, installed wheel, or source checkout."""
    frozen = getattr(sys, "_MEIPASS", None)
    candidates = []
    if frozen:
        candidates.append(Path(frozen) / "resources")
    package_dir = Path(__file__).resolve().parent.parent
    candidates.append(package_dir / "resources")  # wheel: force-included as console/resources
    candidates.append(package_dir.parent / "resources")  # source checkout
    for candidate in candidates:
        if (candidate / "qss").is_dir():
            return candidate
    raise FileNotFoundError(
        "Cannot find the app's resources folder; the installation is incomplete "
        f"(looked in: {', '.join(str(c) for c in candidates)}).")


def resource_path(rel: str) -> Path:
    """A file under ``resources/``; absolute paths and ``..`` are refused."""
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts or rel.startswith(("/", "\\")):
        raise ValueError(f"resource paths are relative and stay inside resources/: {rel!r}")
    return resources_root().joinpath(*pure.parts)


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding the workspaces: ``--data-dir``, else the platform's user data dir.

    On Linux this follows XDG (``$XDG_DATA_HOME/community-console``, by default
    ``~/.local/share/community-console``).
    """
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False))


def workspace_path(name: str = "default", *, base: str | os.PathLike[str] | None = None) -> Path:
    safe = "".join(ch for ch in name if ch.isalnum() or ch in "-_.").strip(".") or "default"
    return data_dir(base) / "workspaces" / f"{safe}.db"

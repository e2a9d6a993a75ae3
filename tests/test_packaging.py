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


# --- the lock files agree with pyproject.toml -------------------------------------------------

LOCKS = {"requirements.lock": (), "requirements-test.lock": ("test",)}


def read_lock(path: Path) -> dict[str, tuple[str, list[str]]]:
    """``name -> (version, hashes)`` of a pip/uv lock file (``name==version \\`` blocks)."""
    from packaging.utils import canonicalize_name

    pins: dict[str, tuple[str, list[str]]] = {}
    current = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not line[0].isspace():
            name, _, version = stripped.rstrip("\\ ").partition("==")
            assert version, f"{path.name}: not an exact pin: {line!r}"
            current = canonicalize_name(name.split("[")[0])
            pins[current] = (version.split(";")[0].strip(), [])
        elif stripped.startswith("--hash=sha256:"):
            pins[current][1].append(stripped.split(":", 1)[1].rstrip("\\ "))
    return pins


@pytest.mark.parametrize("lock_name", sorted(LOCKS))
def test_lock_agrees_with_pyproject(lock_name: str) -> None:
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = list(project["dependencies"])
    for extra in LOCKS[lock_name]:
        wanted += project["optional-dependencies"][extra]
    pins = read_lock(REPO / lock_name)
    problems = []
    for text in wanted:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        if name not in pins:
            problems.append(f"{req.name} is not in {lock_name}")
        elif not req.specifier.contains(pins[name][0], prereleases=True):
            problems.append(f"{lock_name} has {req.name}=={pins[name][0]}, "
                            f"pyproject wants {req.specifier}")
    unhashed = [name for name, (_, hashes) in pins.items() if not hashes]
    assert not problems, f"run packaging/lock.sh: {problems}"
    assert not unhashed, f"locked without a hash: {unhashed}"


def test_runtime_lock_is_the_test_lock_without_the_extra() -> None:
    """The app gets the same versions CI tested: every runtime pin equals the test lock's."""
    runtime = read_lock(REPO / "requirements.lock")
    test = read_lock(REPO / "requirements-test.lock")
    differ = {n: (v, test.get(n, ("missing",))[0]) for n, (v, _) in runtime.items()
              if test.get(n, ("",))[0] != v}
    assert not differ, f"run packaging/lock.sh: {differ}"


def test_install_commands_use_the_lock() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    test_sh = (REPO / "packaging" / "test.sh").read_text(encoding="utf-8")
    assert "--require-hashes -r requirements.lock" in readme
    assert "--require-hashes -r requirements-test.lock" in test_sh
    assert "install --no-deps ." in readme and '"${pip[@]}" --no-deps .' in test_sh

"""Desktop integration: the .desktop file, AppStream metainfo and icons pass the real validators."""

from __future__ import annotations

import configparser
import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from console import APP_ID, __version__
from tests.helpers import need

REPO = Path(__file__).resolve().parent.parent
LINUX = REPO / "packaging" / "linux"
DESKTOP = LINUX / f"{APP_ID}.desktop"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"
ICONS = REPO / "resources" / "icons"
PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def tool(name: str, package: str) -> str:
    path = shutil.which(name)
    need(path, f"{name} (Debian package {package}; packaging/install-deps.sh --test "
               "installs it)")
    assert path is not None
    return path


def problems(output: str, prefixes: tuple[str, ...]) -> list[str]:
    return [line for line in output.splitlines() if line.strip().startswith(prefixes)]


def test_desktop_file_validates() -> None:
    out = subprocess.run([tool("desktop-file-validate", "desktop-file-utils"), str(DESKTOP)],
                         capture_output=True, text=True, timeout=60, check=False)
    report = out.stdout + out.stderr
    # Hints are advice; errors and warnings are not accepted.
    assert out.returncode == 0, report
    assert not [line for line in report.splitlines()
                if ": error: " in line or ": warning: " in line], report


def test_metainfo_validates() -> None:
    out = subprocess.run([tool("appstreamcli", "appstream"), "validate", "--no-net", "--explain",
                          str(METAINFO)], capture_output=True, text=True, timeout=60, check=False)
    report = out.stdout + out.stderr
    assert out.returncode == 0, report
    assert not problems(report, ("E:", "W:")), report


def test_installed_tree_validates(tmp_path: Path) -> None:
    """packaging/linux/install.sh lays out a tree that appstream accepts as a whole:
    the metainfo finds its .desktop file and the icon it names."""
    appstreamcli = tool("appstreamcli", "appstream")
    subprocess.run(["bash", str(LINUX / "install.sh"), str(tmp_path / "usr")], check=True,
                   capture_output=True, timeout=60)
    share = tmp_path / "usr" / "share"
    assert (share / "applications" / f"{APP_ID}.desktop").is_file()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    for size in PNG_SIZES:
        assert (share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png").is_file()
    out = subprocess.run([appstreamcli, "validate-tree", "--no-net", "--explain", str(tmp_path)],
                         capture_output=True, text=True, timeout=60, check=False)
    report = out.stdout + out.stderr
    assert out.returncode == 0, report
    assert not problems(report, ("E:", "W:")), report


def test_ids_and_names_agree() -> None:
    """One app id everywhere; the menu runs the command the wheel installs."""
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(DESKTOP, encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Icon"] == APP_ID
    import tomllib

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    command = desktop["Exec"].split()[0]
    assert command in scripts.get("gui-scripts", {}) | scripts.get("scripts", {})

    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == DESKTOP.name
    assert root.findtext("provides/binary") == command
    versions = [r.get("version") for r in root.iter("release")]
    assert versions and versions[0] == __version__, (
        f"the newest <release> in {METAINFO.name} is {versions[:1]}, the app is {__version__}: "
        "add a release entry")


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_icons_at_every_size() -> None:
    assert (ICONS / "community-console.svg").is_file()
    for size in PNG_SIZES:
        assert png_size(ICONS / f"community-console-{size}.png") == (size, size)
    ico = (ICONS / "community-console.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1) and count >= 6
    sizes = {ico[6 + 16 * i] or 256 for i in range(count)}
    assert {16, 32, 48, 256} <= sizes
    icns = (ICONS / "community-console.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)
    assert b"ic10" in icns and b"ic07" in icns  # 1024 (512@2x) and 128


def test_icons_match_the_svg() -> None:
    """The PNGs, .ico and .icns are what packaging/make_icons.py renders from the SVG now."""
    out = subprocess.run([sys.executable, str(REPO / "packaging" / "make_icons.py"), "--check"],
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, check=False)
    assert out.returncode == 0, (
        f"icons are stale: run python packaging/make_icons.py\n{out.stderr}")

"""Render the app icon's PNGs, .ico and .icns from resources/icons/community-console.svg.

A build-time tool; the app never runs it. Qt (PySide6.QtSvg, part of
PySide6-Essentials) renders the SVG; the .ico and .icns containers are written
here with ``struct``: both hold plain PNG images (ICO since Windows Vista, ICNS
types ic07 and up), so no imaging library is needed.

Usage: python packaging/make_icons.py [--check]
  --check: render in memory and exit 1 when a committed image differs from the SVG
  (pixel by pixel with a small tolerance: Qt versions antialias a little differently).
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SVG = ICONS / "community-console.svg"
STEM = "community-console"
#: freedesktop hicolor sizes (and what Windows and macOS pick from).
PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
#: ICNS OSType -> pixel size; every one of these types holds a PNG (macOS 10.7+).
#: The same set Pillow writes; 16 px at 1x is scaled down from ic11 by macOS.
ICNS_TYPES = (
    (b"ic07", 128), (b"ic08", 256), (b"ic09", 512), (b"ic10", 1024),  # ic10: 512@2x
    (b"ic11", 32), (b"ic12", 64), (b"ic13", 256), (b"ic14", 512),  # 16@2x ... 256@2x
)


def render_png(renderer: QSvgRenderer, size: int) -> bytes:
    """The icon as PNG bytes, ``size`` pixels square, antialiased on transparency."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # Qt's PNG "quality" is the zlib level backwards: 0 compresses most.
    # (The stubs want bytes for the format; PySide6 6.11 only accepts str.)
    straight = image.convertToFormat(QImage.Format.Format_ARGB32)
    if not straight.save(buffer, "PNG", 0):  # type: ignore[call-overload]
        raise RuntimeError(f"Qt could not encode a {size}px PNG")
    buffer.close()
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico whose entries are PNGs (what Pillow writes too)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, blobs = b"", b""
    for size in sizes:
        blob = pngs[size]
        dim = 0 if size >= 256 else size  # 0 means 256
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset)
        blobs += blob
        offset += len(blob)
    return header + entries + blobs


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns: one PNG element per type, after a table of contents."""
    elements = [(ostype, pngs[size]) for ostype, size in ICNS_TYPES]
    toc = b"TOC " + struct.pack(">I", 8 + 8 * len(elements)) + b"".join(
        ostype + struct.pack(">I", 8 + len(blob)) for ostype, blob in elements)
    body = toc + b"".join(ostype + struct.pack(">I", 8 + len(blob)) + blob
                          for ostype, blob in elements)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def ico_images(data: bytes) -> dict[int, bytes]:
    """The PNG entries of an .ico written by :func:`ico_bytes`, by size."""
    _, _, count = struct.unpack("<HHH", data[:6])
    images = {}
    for i in range(count):
        entry = data[6 + 16 * i:22 + 16 * i]
        dim, _, _, _, _, _, length, offset = struct.unpack("<BBBBHHII", entry)
        images[dim or 256] = data[offset:offset + length]
    return images


def icns_images(data: bytes) -> dict[bytes, bytes]:
    """The elements of an .icns, by OSType."""
    images, pos = {}, 8
    while pos < len(data):
        ostype, length = data[pos:pos + 4], struct.unpack(">I", data[pos + 4:pos + 8])[0]
        images[ostype] = data[pos + 8:pos + length]
        pos += length
    return images


def decode_png(data: bytes) -> QImage:
    """A PNG's pixels (a null image if it does not decode).

    ``loadFromData(QByteArray, "PNG")``, not ``QImage.fromData(data, b"PNG")``, which PySide6
    refuses with ValueError (seen on 6.6.3.1 and 6.11.3); this form works on both.
    """
    image = QImage()
    image.loadFromData(QByteArray(data), "PNG")
    return image


def same_image(a: bytes, b: bytes, tolerance: int = 8) -> bool:
    """Whether two PNGs show the same pixels, each channel within ``tolerance``."""
    if a == b:
        return True
    images = [decode_png(x).convertToFormat(QImage.Format.Format_ARGB32) for x in (a, b)]
    if any(im.isNull() for im in images) or images[0].size() != images[1].size():
        return False
    pa, pb = (bytes(im.constBits()) for im in images)
    return max(abs(x - y) for x, y in zip(pa, pb)) <= tolerance


def stale(path: Path, data: bytes) -> bool:
    """Whether the committed ``path`` differs from freshly rendered ``data``."""
    if not path.exists():
        return True
    old = path.read_bytes()
    if old == data:
        return False
    if path.suffix == ".png":
        return not same_image(old, data)
    if path.suffix == ".ico":
        new_ico, old_ico = ico_images(data), ico_images(old)
        return new_ico.keys() != old_ico.keys() or not all(
            same_image(old_ico[k], new_ico[k]) for k in new_ico)
    fresh, committed = icns_images(data), icns_images(old)
    fresh.pop(b"TOC ", None)
    committed.pop(b"TOC ", None)
    return fresh.keys() != committed.keys() or not all(
        same_image(committed[k], fresh[k]) for k in fresh)


def outputs() -> dict[Path, bytes]:
    """Every generated file and its content."""
    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # noqa: F841
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"{SVG}: Qt cannot read this SVG")
    wanted = set(PNG_SIZES) | set(ICO_SIZES) | {size for _, size in ICNS_TYPES}
    pngs = {size: render_png(renderer, size) for size in sorted(wanted)}
    files = {ICONS / f"{STEM}-{size}.png": pngs[size] for size in PNG_SIZES}
    files[ICONS / f"{STEM}.ico"] = ico_bytes({s: pngs[s] for s in ICO_SIZES})
    files[ICONS / f"{STEM}.icns"] = icns_bytes(pngs)
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only compare with the committed files; exit 1 when stale")
    args = parser.parse_args()
    files = outputs()
    if args.check:
        old = [path for path, data in files.items() if stale(path, data)]
        for path in old:
            print(f"stale: {path.relative_to(ICONS.parent.parent)}", file=sys.stderr)
        return 1 if old else 0
    for path, data in files.items():
        path.write_bytes(data)
        print(f"{path.relative_to(ICONS.parent.parent)}  {len(data):>7} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

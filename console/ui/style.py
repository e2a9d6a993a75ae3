"""Fill the one stylesheet's $tokens from a light or dark palette, following the system."""

from __future__ import annotations

from string import Template

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from console.core.paths import resource_path

LIGHT = {
    "text": "#1f2328", "muted": "#59636e", "canvas": "#f6f8fa", "border": "#d0d7de",
    "inbound": "#ffffff", "outbound": "#e7f0ff", "accent": "#2f6fde", "on_accent": "#ffffff",
    "sidebar": "#eef1f4", "error": "#c62828", "warning": "#9a6700",
}
DARK = {
    "text": "#e6edf3", "muted": "#9198a1", "canvas": "#151b23", "border": "#3d444d",
    "inbound": "#212830", "outbound": "#1c2f4f", "accent": "#4184e4", "on_accent": "#ffffff",
    "sidebar": "#1a2028", "error": "#ff7b72", "warning": "#d29922",
}


def is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def apply(app: QApplication) -> None:
    """Apply the stylesheet now, and again whenever the system switches light/dark."""
    _apply(app)
    hints = QGuiApplication.styleHints()
    if not getattr(app, "_console_theme_hooked", False):
        hints.colorSchemeChanged.connect(lambda _scheme: _apply(app))
        app._console_theme_hooked = True  # type: ignore[attr-defined]


def _apply(app: QApplication) -> None:
    palette = DARK if is_dark() else LIGHT
    qss = resource_path("qss/console.qss").read_text(encoding="utf-8")
    app.setStyleSheet(Template(qss).safe_substitute(palette))

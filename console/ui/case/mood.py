"""A small chart of the customer's mood over the case (inbound messages' sentiment)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from console.core.models import Direction, Message
from console.core.rules import mood_of


def trend_text(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return "Mood: unknown"
    if len(known) == 1:
        return f"Mood: {describe(known[0])}"
    delta = known[-1] - known[0]
    direction = "improving" if delta > 0.2 else "worsening" if delta < -0.2 else "steady"
    return f"Mood: {describe(known[0])} → {describe(known[-1])} ({direction})"


def describe(value: float) -> str:
    return mood_of(value)


class MoodTrend(QWidget):
    """Sentiment of each inbound message, -1 (bottom) to +1 (top); unknown as hollow dots."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("moodTrend")
        self.setAccessibleName("Customer mood over the case")
        self.values: list[float | None] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(160, 34)

    def set_messages(self, messages: tuple[Message, ...] | list[Message]) -> None:
        self.values = [m.sentiment for m in messages if m.direction is Direction.INBOUND]
        self.setAccessibleDescription(trend_text(self.values))
        self.setToolTip(trend_text(self.values))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(6, 5, -6, -5)
        mid = rect.center().y()
        painter.setPen(QPen(self.palette().mid().color(), 1, Qt.PenStyle.DotLine))
        painter.drawLine(QPointF(rect.left(), mid), QPointF(rect.right(), mid))
        n = len(self.values)
        if n == 0:
            return
        step = rect.width() / max(1, n - 1)

        def point(i: int, v: float) -> QPointF:
            x = rect.left() + (i * step if n > 1 else rect.width() / 2)
            return QPointF(x, mid - v * rect.height() / 2)

        path = QPainterPath()
        started = False
        for i, v in enumerate(self.values):
            if v is None:
                continue
            if not started:
                path.moveTo(point(i, v))
                started = True
            else:
                path.lineTo(point(i, v))
        painter.setPen(QPen(QColor("#7a869a"), 1.5))
        painter.drawPath(path)
        for i, v in enumerate(self.values):
            if v is None:
                painter.setPen(QPen(QColor("#9aa4b2"), 1))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawEllipse(point(i, 0.0), 3, 3)
                continue
            colour = QColor({"positive": "#2e7d32", "negative": "#c62828"}.get(
                mood_of(v), "#8d8d8d"))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawEllipse(point(i, v), 3.5, 3.5)

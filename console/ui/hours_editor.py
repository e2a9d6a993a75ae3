"""A small editor for an account's time zone and business hours (for the accounts dialog).

    editor.set_value(account.timezone, store.account_hours(account.id))
    timezone, hours = editor.value()        # hours: the JSON shape, or None for 24/7
    store.set_account_hours(account.id, timezone=timezone, business_hours=hours)

The JSON shape is documented in ``console/core/reports.py``.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from PySide6.QtCore import Qt, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QTimeEdit,
    QWidget,
)

from console.core.reports import (
    DEFAULT_BUSINESS_HOURS,
    WEEKDAYS,
    BusinessHours,
    InvalidHoursError,
)

_ZONES: list[str] | None = None


def time_zones() -> list[str]:
    """IANA time zone names, sorted (read once)."""
    global _ZONES
    if _ZONES is None:
        _ZONES = sorted(z for z in zoneinfo.available_timezones()
                        if "/" in z or z == "UTC")
    return _ZONES


class BusinessHoursEditor(QWidget):
    """Time zone, working days and working hours of one account.

    Signals:
        changed(): the user changed something.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("businessHoursEditor")
        self._holidays: list[str] = []
        self.zone_box = QComboBox()
        self.zone_box.setObjectName("timeZone")
        self.zone_box.setAccessibleName("Time zone")
        self.zone_box.setEditable(True)
        self.zone_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.zone_box.addItems(time_zones())
        completer = QCompleter(time_zones(), self.zone_box)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.zone_box.setCompleter(completer)
        self.zone_box.currentTextChanged.connect(self._edited)

        self.always = QCheckBox("Every hour counts (24/7)")
        self.always.setObjectName("alwaysOpen")
        self.always.toggled.connect(self._edited)
        self.day_boxes: list[QCheckBox] = []
        days = QHBoxLayout()
        for name in WEEKDAYS:
            box = QCheckBox(name)
            box.setAccessibleName(f"Works on {name}")
            box.toggled.connect(self._edited)
            self.day_boxes.append(box)
            days.addWidget(box)
        days.addStretch(1)
        self.start_edit = QTimeEdit()
        self.end_edit = QTimeEdit()
        for edit, name in ((self.start_edit, "Start of the working day"),
                           (self.end_edit, "End of the working day")):
            edit.setDisplayFormat("HH:mm")
            edit.setAccessibleName(name)
            edit.timeChanged.connect(self._edited)
        self.end_edit.setToolTip("00:00 means midnight at the end of the day.")
        hours = QHBoxLayout()
        hours.addWidget(self.start_edit)
        hours.addWidget(QLabel("to"))
        hours.addWidget(self.end_edit)
        hours.addStretch(1)
        self.problem = QLabel()
        self.problem.setObjectName("hoursProblem")
        self.problem.setProperty("severity", "warn")
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setWordWrap(True)

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Time zone", self.zone_box)
        form.addRow("", self.always)
        form.addRow("Working days", days)
        form.addRow("Working hours", hours)
        form.addRow("", self.problem)
        self.set_value("UTC", DEFAULT_BUSINESS_HOURS)

    def set_value(self, timezone: str, hours: dict[str, Any] | None) -> None:
        """Show a stored time zone and business hours (``None``: 24/7)."""
        widgets = [self.zone_box, self.always, self.start_edit, self.end_edit, *self.day_boxes]
        for w in widgets:
            w.blockSignals(True)
        try:
            self.zone_box.setCurrentText(timezone)
            self.always.setChecked(hours is None)
            shown = hours if hours is not None else DEFAULT_BUSINESS_HOURS
            for i, box in enumerate(self.day_boxes):
                box.setChecked(i in shown.get("days", []))
            self.start_edit.setTime(QTime.fromString(shown.get("start", "09:00"), "HH:mm"))
            end = shown.get("end", "17:30")
            self.end_edit.setTime(QTime(0, 0) if end == "24:00"
                                  else QTime.fromString(end, "HH:mm"))
            self._holidays = list(shown.get("holidays", [])) if hours is not None else []
        finally:
            for w in widgets:
                w.blockSignals(False)
        self._sync()

    def value(self) -> tuple[str, dict[str, Any] | None]:
        """The time zone and the business hours JSON (``None``: 24/7)."""
        timezone = self.zone_box.currentText().strip()
        if self.always.isChecked():
            return timezone, None
        end = self.end_edit.time().toString("HH:mm")
        hours: dict[str, Any] = {
            "days": [i for i, box in enumerate(self.day_boxes) if box.isChecked()],
            "start": self.start_edit.time().toString("HH:mm"),
            "end": "24:00" if end == "00:00" else end,
        }
        if self._holidays:
            hours["holidays"] = list(self._holidays)
        return timezone, hours

    def error(self) -> str | None:
        """Why the current value cannot be saved, or ``None``."""
        timezone, hours = self.value()
        try:
            BusinessHours.from_json(hours, timezone)
        except InvalidHoursError as exc:
            return str(exc)
        if hours is not None and not hours["days"]:
            return "Choose at least one working day, or count every hour."
        return None

    def _edited(self, *_args: object) -> None:
        self._sync()
        self.changed.emit()

    def _sync(self) -> None:
        always = self.always.isChecked()
        for w in (self.start_edit, self.end_edit, *self.day_boxes):
            w.setEnabled(not always)
        problem = self.error()
        self.problem.setText(problem or "")
        self.problem.setVisible(bool(problem))

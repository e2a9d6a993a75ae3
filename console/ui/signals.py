"""Application-wide signals: views refresh from these, never by reaching into each other."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class AppSignals(QObject):
    """Signals:
        changes_applied(changes, initiator): a write finished; ``changes`` is a Changes.
        status_message(text): a short message for the status bar.
        busy(bool): long work started or finished.
    """

    changes_applied = Signal(object, object)
    status_message = Signal(str)

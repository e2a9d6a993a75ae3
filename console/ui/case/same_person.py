""""Same person as…": link a customer's handles across platforms, see and act on suggestions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.core.ids import ContactId
from console.core.store import ContactLink, ContactSummary, LinkSuggestion, Store
from console.ui.ops import Ops

PLATFORM_NAMES = {"mastodon": "Mastodon", "bluesky": "Bluesky", "x": "X", "demo": "Demo"}


def handles_text(handles: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{h} ({PLATFORM_NAMES.get(p, p)})" for p, h in handles)


def _label(text: str, name: str) -> QLabel:
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)  # handles and names are never markup
    label.setText(text)
    label.setWordWrap(True)
    label.setObjectName(name)
    return label


class _SearchEdit(QLineEdit):
    """The search field: Down moves into the results, Esc closes the search."""

    escaped = Signal()
    down = Signal()

    def event(self, event: QEvent) -> bool:
        # Esc here closes the search, before the window's Esc (back to the inbox) sees it.
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Escape):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.escaped.emit()
            return
        if event.key() == Qt.Key.Key_Down:
            self.down.emit()
            return
        super().keyPressEvent(event)


class SamePersonBox(QWidget):
    """The customer's linked handles (each can be unlinked), the links profiles suggest
    (Link / Dismiss), and "Same person as…", a search for the customer to link with.

    Linking keeps the shown customer (and its case); the other customer's handles and
    open case join it.

    Signals:
        undoable(str, object): a link or unlink was made: a label, and ``fn(store)``
            that undoes it (for the window's Ctrl+Z).
    """

    undoable = Signal(str, object)

    def __init__(self, ops: Ops, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._contact: ContactSummary | None = None
        self._contact_id: ContactId | None = None
        self.setObjectName("samePerson")

        self.button = QPushButton("Sa&me person as…")
        self.button.setObjectName("samePersonButton")
        self.button.setAccessibleName("Same person as another customer: search and link")
        self.button.setToolTip("This customer also writes under another handle: find it and "
                               "link them (their open cases become one)")
        self.button.clicked.connect(self.open_search)

        self.links = QWidget()
        self.links.setObjectName("linkedHandles")
        self._links_layout = QVBoxLayout(self.links)
        self._links_layout.setContentsMargins(0, 0, 0, 0)
        self._links_layout.setSpacing(2)
        self.suggestions = QWidget()
        self.suggestions.setObjectName("linkSuggestions")
        self._suggestions_layout = QVBoxLayout(self.suggestions)
        self._suggestions_layout.setContentsMargins(0, 0, 0, 0)
        self._suggestions_layout.setSpacing(2)

        self.search = _SearchEdit()
        self.search.setObjectName("samePersonSearch")
        self.search.setAccessibleName("Search the other customer by name or handle")
        self.search.setPlaceholderText("Name or handle of the other customer (Enter links)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._search_changed)
        self.search.returnPressed.connect(self._link_chosen)
        self.search.escaped.connect(self.close_search)
        self.search.down.connect(self._into_results)
        self.results = QListWidget()
        self.results.setObjectName("samePersonResults")
        self.results.setAccessibleName("Customers matching the search")
        self.results.setMaximumHeight(90)
        self.results.itemActivated.connect(lambda _item: self._link_chosen())
        self.search_box = QWidget()
        self.search_box.setObjectName("samePersonSearchBox")
        sl = QVBoxLayout(self.search_box)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.setSpacing(2)
        sl.addWidget(self.search)
        sl.addWidget(self.results)
        self.search_box.hide()

        # The button sits where the panel puts it (beside the customer's handles); the
        # box itself takes room only when it has links, suggestions or the search to show.
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.links)
        layout.addWidget(self.suggestions)
        layout.addWidget(self.search_box)
        self.links.hide()
        self.suggestions.hide()
        self.hide()

    # ------------------------------------------------------------ showing
    @property
    def contact(self) -> ContactSummary | None:
        return self._contact

    def show_contact(self, contact_id: ContactId) -> None:
        """Show the links and suggestions of this contact (read on the read thread)."""
        if contact_id != self._contact_id:
            self.close_search()
        self._contact_id = contact_id

        def load(store: Store) -> tuple[ContactSummary, list[LinkSuggestion]]:
            return store.contact_summary(contact_id), store.link_suggestions(contact_id)

        self._ops.query(load, parent=self).success(
            lambda result: self._loaded(contact_id, *result)).run()

    def _loaded(self, contact_id: int, contact: ContactSummary,
                suggestions: list[LinkSuggestion]) -> None:
        if contact_id != self._contact_id:
            return  # the panel moved on
        self._contact = contact
        _clear(self._links_layout)
        for link in contact.links:
            row = QHBoxLayout()
            row.addWidget(_label(f"Linked: {handles_text(link.handles)}", "linkedLabel"), 1)
            unlink = QPushButton("Unlink")
            unlink.setObjectName("unlinkButton")
            unlink.setAccessibleName(f"Unlink {handles_text(link.handles)}")
            unlink.clicked.connect(lambda _=False, lk=link: self.unlink(lk))
            row.addWidget(unlink)
            self._links_layout.addLayout(row)
        self.links.setVisible(bool(contact.links))
        _clear(self._suggestions_layout)
        for suggestion in suggestions:
            other = suggestion.contact
            row = QHBoxLayout()
            row.addWidget(_label(f"Same person? {other.name}, {handles_text(other.handles)}: "
                                 f"{suggestion.reason}", "suggestionLabel"), 1)
            link_button = QPushButton("Link")
            link_button.setObjectName("suggestionLink")
            link_button.setAccessibleName(f"Link {other.name}: the same person")
            link_button.clicked.connect(lambda _=False, o=other: self.link(o))
            dismiss = QPushButton("Dismiss")
            dismiss.setObjectName("suggestionDismiss")
            dismiss.setAccessibleName(f"Dismiss: {other.name} is someone else")
            dismiss.clicked.connect(lambda _=False, s=suggestion: self.dismiss(s))
            row.addWidget(link_button)
            row.addWidget(dismiss)
            self._suggestions_layout.addLayout(row)
        self.suggestions.setVisible(bool(suggestions))
        self._fit()

    def _fit(self) -> None:
        self.setVisible(not self.links.isHidden() or not self.suggestions.isHidden()
                        or not self.search_box.isHidden())

    # ------------------------------------------------------------ search
    def open_search(self) -> None:
        self.search_box.show()
        self._fit()
        self.search.setFocus()
        self.search.selectAll()

    def close_search(self) -> None:
        self.search.clear()
        self.results.clear()
        self.search_box.hide()
        self._fit()

    def _search_changed(self, text: str) -> None:
        contact_id = self._contact_id
        if not text.strip() or contact_id is None:
            self.results.clear()
            return

        def find(store: Store) -> list[ContactSummary]:
            return store.find_contacts(text, exclude=contact_id)

        self._ops.query(find, parent=self).success(
            lambda found: self._found(text, found)).run()

    def _found(self, text: str, found: list[ContactSummary]) -> None:
        if text != self.search.text():
            return  # typed on since
        self.results.clear()
        for contact in found:
            case = f" · case #{contact.case_id}" if contact.case_id else ""
            item = QListWidgetItem(f"{contact.name}: {handles_text(contact.handles)}{case}")
            item.setData(Qt.ItemDataRole.UserRole, contact)
            self.results.addItem(item)
        if found:
            self.results.setCurrentRow(0)

    def _into_results(self) -> None:
        if self.results.count():
            self.results.setFocus()
            self.results.setCurrentRow(min(self.results.currentRow() + 1,
                                           self.results.count() - 1))

    def _link_chosen(self) -> None:
        item = self.results.currentItem()
        if item is None:
            return
        other: ContactSummary = item.data(Qt.ItemDataRole.UserRole)
        self.close_search()
        self.link(other)

    # ------------------------------------------------------------ intents
    def link(self, other: ContactSummary) -> None:
        """``other`` is the same person as the shown customer (who is kept)."""
        if self._contact_id is None:
            return
        keep, other_id = self._contact_id, other.id
        label = f"link of {handles_text(other.handles)}"

        def done(link_id: int) -> None:
            self.undoable.emit(label, _unlink_step(link_id))
            self._ops.signals.status_message.emit(
                f"Linked {handles_text(other.handles)} (Ctrl+Z undoes)")

        self._ops.write(lambda s: s.link_contacts(keep, other_id), parent=self) \
            .success(done).run(initiator=self)

    def unlink(self, link: ContactLink) -> None:
        label = f"unlink of {handles_text(link.handles)}"

        def done(_: Any) -> None:
            self.undoable.emit(label, _link_step(link.keep_contact, link.other_contact))
            self._ops.signals.status_message.emit(
                f"Unlinked {handles_text(link.handles)} (Ctrl+Z links again)")

        self._ops.write(lambda s: s.unlink_contacts(link.id), parent=self) \
            .success(done).run(initiator=self)

    def dismiss(self, suggestion: LinkSuggestion) -> None:
        pair = suggestion.pair
        self._ops.write(lambda s: s.dismiss_suggestion(pair), parent=self).run(initiator=self)


def _unlink_step(link_id: int) -> Callable[[Store], Any]:
    return lambda store: store.unlink_contacts(link_id)


def _link_step(keep: ContactId, other: ContactId) -> Callable[[Store], Any]:
    return lambda store: store.link_contacts(keep, other)


def _clear(layout: Any) -> None:
    """Remove and delete every row of a layout (rows are rebuilt on each load)."""
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget()
        if widget is not None:
            widget.hide()  # gone now, not at the next turn of the event loop
            widget.setParent(None)
            widget.deleteLater()
        elif item.layout() is not None:
            _clear(item.layout())
            item.layout().deleteLater()

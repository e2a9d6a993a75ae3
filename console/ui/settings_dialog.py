"""Workspace settings: voice profiles (TOML, edited in the app), account profiles, templates."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.core import replying, templates, voice
from console.core.changes import Changes
from console.core.ids import TemplateId
from console.core.models import Account, TemplateRecord
from console.core.store import Store
from console.ui.ops import Ops, show_error


class ProfilesTab(QWidget):
    """Edit a voice profile's TOML; saved as the user's own copy, checked before saving."""

    def __init__(self, ops: Ops, data_dir: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._data_dir = data_dir
        self.names = QListWidget()
        self.names.setObjectName("profileNames")
        self.names.setAccessibleName("Voice profiles")
        self.names.setMaximumWidth(180)
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("profileEditor")
        self.editor.setAccessibleName("Profile rules (TOML)")
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.source = QLabel()
        self.source.setTextFormat(Qt.TextFormat.PlainText)
        self.message = QLabel()
        self.message.setObjectName("profileMessage")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.save_button = QPushButton("&Check and save")
        self.save_button.setObjectName("saveProfileButton")
        self.save_button.clicked.connect(self.save)
        right = QVBoxLayout()
        right.addWidget(self.source)
        right.addWidget(self.editor, 1)
        row = QHBoxLayout()
        row.addWidget(self.message, 1)
        row.addWidget(self.save_button)
        right.addLayout(row)
        layout = QHBoxLayout(self)
        layout.addWidget(self.names)
        layout.addLayout(right, 1)
        self.names.currentTextChanged.connect(self._load)
        for name in sorted(replying.load_profiles(data_dir)):
            self.names.addItem(name)
        if self.names.count():
            self.names.setCurrentRow(0)

    def _load(self, name: str) -> None:
        if not name:
            return
        path = replying.profile_source(name, self._data_dir)
        self.source.setText(f"Editing {name} (from {path})")
        self.editor.setPlainText(path.read_text(encoding="utf-8"))
        self.message.setText("")

    def save(self) -> bool:
        item = self.names.currentItem()
        if item is None:
            return False
        name = item.text()
        text = self.editor.toPlainText()
        try:
            voice.loads_profile(text, name=name)
        except Exception as exc:  # ProfileError or a TOML error: say what is wrong, keep text
            self.message.setProperty("severity", "error")
            self.message.setText(f"Not saved: {exc}")
            self.message.style().unpolish(self.message)
            self.message.style().polish(self.message)
            return False
        target = replying.user_profile_path(name, self._data_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".toml.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)  # atomic: a crash never leaves half a profile
        self.message.setProperty("severity", "")
        self.message.setText(f"Saved to {target}.")
        self.source.setText(f"Editing {name} (from {target})")
        self._ops.signals.changes_applied.emit(Changes(settings=True), self)
        return True


class AccountsTab(QWidget):
    """Which voice profile each of the brand's accounts speaks with."""

    def __init__(self, ops: Ops, data_dir: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._profiles = sorted(replying.load_profiles(data_dir))
        self.form = QFormLayout(self)
        self.boxes: dict[int, QComboBox] = {}
        ops.query(lambda s: s.accounts(), parent=self).success(self._loaded).run()

    def _loaded(self, accounts: list[Account]) -> None:
        for account in accounts:
            box = QComboBox()
            box.setAccessibleName(f"Voice profile of {account.handle}")
            for name in self._profiles:
                box.addItem(name, name)
            box.setCurrentIndex(max(0, box.findData(account.voice_profile
                                                    or replying.DEFAULT_PROFILE)))
            box.currentIndexChanged.connect(
                lambda _i, a=account.id, b=box: self._ops.write(
                    lambda s: s.set_account_profile(a, b.currentData()), parent=self).run())
            label = QLabel(f"{account.handle} ({account.platform.value})")
            label.setTextFormat(Qt.TextFormat.PlainText)
            self.form.addRow(label, box)
            self.boxes[account.id] = box


class TemplatesTab(QWidget):
    """The workspace's templates: edit the built-in ones or add your own."""

    def __init__(self, ops: Ops, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._records: list[TemplateRecord] = []
        self.list = QListWidget()
        self.list.setObjectName("templateList")
        self.list.setAccessibleName("Templates")
        self.list.setMaximumWidth(280)
        self.title = QLineEdit()
        self.title.setObjectName("templateTitle")
        self.title.setAccessibleName("Template title")
        self.category = QLineEdit()
        self.category.setAccessibleName("Template category")
        self.body = QPlainTextEdit()
        self.body.setObjectName("templateBody")
        self.body.setAccessibleName("Template text")
        self.hint = QLabel("Variables: " + ", ".join(
            "{{ " + name + " }}" for name in templates.KNOWN_VARIABLES))
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        self.hint.setWordWrap(True)
        self.message = QLabel()
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setObjectName("templateMessage")
        self.message.setWordWrap(True)
        self.new_button = QPushButton("&New")
        self.save_button = QPushButton("&Save template")
        self.save_button.setObjectName("saveTemplateButton")
        self.delete_button = QPushButton("&Delete")
        self.new_button.clicked.connect(self._new)
        self.save_button.clicked.connect(self.save)
        self.delete_button.clicked.connect(self._delete)
        form = QFormLayout()
        form.addRow("Title", self.title)
        form.addRow("Category", self.category)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addWidget(self.body, 1)
        right.addWidget(self.hint)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        for b in (self.new_button, self.delete_button, self.save_button):
            buttons.addWidget(b)
        right.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(right, 1)
        self.list.currentRowChanged.connect(self._show)
        self.refresh()

    def refresh(self, select: TemplateId | None = None) -> None:
        self._ops.query(lambda s: s.templates(), parent=self).success(
            lambda records: self._loaded(records, select)).run()

    def _loaded(self, records: list[TemplateRecord], select: TemplateId | None) -> None:
        self._records = sorted(records, key=lambda r: r.title.lower())
        self.list.blockSignals(True)
        self.list.clear()
        for r in self._records:
            item = QListWidgetItem(r.title + ("" if r.builtin else "  (yours)"))
            item.setData(Qt.ItemDataRole.UserRole, r.id)
            self.list.addItem(item)
        self.list.blockSignals(False)
        row = next((i for i, r in enumerate(self._records) if r.id == select), 0)
        if self._records:
            self.list.setCurrentRow(row)
            self._show(row)

    def current(self) -> TemplateRecord | None:
        row = self.list.currentRow()
        return self._records[row] if 0 <= row < len(self._records) else None

    def _show(self, row: int) -> None:
        record = self._records[row] if 0 <= row < len(self._records) else None
        self.title.setText(record.title if record else "")
        self.category.setText(record.category if record else "")
        self.body.setPlainText(record.body if record else "")
        self.message.setText("")

    def _new(self) -> None:
        self.list.clearSelection()
        self.list.setCurrentRow(-1)
        self.title.setText("")
        self.category.setText("")
        self.body.setPlainText("Hi {{ customer_name }}, \n— {{ agent_initials }}")
        self.title.setFocus()

    def save(self) -> None:
        body = self.body.toPlainText()
        try:
            templates.validate(body)
        except Exception as exc:
            self.message.setText(f"Not saved: {exc}")
            return
        record = self.current()
        template_id = record.id if record else None
        title, category = self.title.text(), self.category.text()

        def save(store: Store) -> tuple[TemplateId, Changes]:
            return store.save_template(title=title, body=body, category=category,
                                       template_id=template_id)

        def saved(new_id: TemplateId) -> None:
            self.message.setText("Saved.")
            self.refresh(new_id)

        self._ops.write(save, parent=self).success(saved).run(initiator=self)

    def _delete(self) -> None:
        record = self.current()
        if record is None:
            return
        answer = QMessageBox.question(self, "Delete template",
                                      f"Delete the template “{record.title}”?")
        if answer != QMessageBox.StandardButton.Yes:
            return
        self._ops.write(lambda s: s.delete_template(record.id), parent=self).success(
            lambda _c: self.refresh()).run(initiator=self)


class SettingsDialog(QDialog):
    def __init__(self, ops: Ops, *, data_dir: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Workspace settings")
        self.resize(900, 600)
        self.tabs = QTabWidget()
        try:
            self.profiles = ProfilesTab(ops, data_dir)
            self.accounts = AccountsTab(ops, data_dir)
        except Exception as exc:
            show_error(self, exc)
            raise
        self.templates = TemplatesTab(ops)
        self.tabs.addTab(self.accounts, "Accounts")
        self.tabs.addTab(self.profiles, "Voice profiles")
        self.tabs.addTab(self.templates, "Templates")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)

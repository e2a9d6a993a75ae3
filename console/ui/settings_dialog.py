"""Workspace settings: you and the team, the brand, sync; voice profiles, accounts, templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.core import replying, templates, voice
from console.core import settings as settings_mod
from console.core.changes import Changes
from console.core.ids import TemplateId
from console.core.models import Account, TemplateRecord
from console.core.store import Store
from console.ui.hours_editor import BusinessHoursEditor
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


class WorkspaceTab(QWidget):
    """The workspace's typed settings (console/core/settings.py): you, the team roster, the
    brand's own names and numbers, sync interval, working hours. The store checks each."""

    LISTS = (("brand.domains", "Brand domains"), ("brand.phones", "Brand phone numbers"),
             ("brand.names", "Brand and partner names"), ("brand.addresses", "Brand addresses"))

    def __init__(self, ops: Ops, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self.setObjectName("workspaceTab")
        self.user_name = QLineEdit()
        self.user_name.setObjectName("userName")
        self.user_name.setAccessibleName("Your name")
        self.initials = QLineEdit()
        self.initials.setObjectName("userInitials")
        self.initials.setAccessibleName("Your initials")
        self.brand_name = QLineEdit()
        self.brand_name.setObjectName("brandName")
        self.brand_name.setAccessibleName("Brand name")

        # The team roster: who may own a case (the owner box offers exactly these).
        self.roster = QTableWidget(0, 3)
        self.roster.setObjectName("rosterTable")
        self.roster.setAccessibleName("Team roster")
        self.roster.setHorizontalHeaderLabels(["Name", "Handle (optional)", "Me"])
        self.roster.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.roster.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.roster.verticalHeader().hide()
        self.roster.horizontalHeader().setAccessibleName("Team roster columns")
        self.roster.verticalHeader().setAccessibleName("Team roster rows")
        self.roster.itemChanged.connect(self._me_changed)
        self.add_person = QPushButton("Add &person")
        self.add_person.setObjectName("addPersonButton")
        self.add_person.clicked.connect(lambda: self._add_row("", "", False, edit=True))
        self.remove_person = QPushButton("&Remove person")
        self.remove_person.setObjectName("removePersonButton")
        self.remove_person.clicked.connect(self._remove_row)
        roster_buttons = QHBoxLayout()
        roster_buttons.addWidget(self.add_person)
        roster_buttons.addWidget(self.remove_person)
        roster_buttons.addStretch(1)

        self.lists: dict[str, QPlainTextEdit] = {}
        for name, label in self.LISTS:
            edit = QPlainTextEdit()
            edit.setObjectName(name.replace(".", "_"))
            edit.setAccessibleName(f"{label}, one per line")
            edit.setPlaceholderText("one per line")
            edit.setFixedHeight(56)
            self.lists[name] = edit
        self.sync_interval = QSpinBox()
        self.sync_interval.setObjectName("syncInterval")
        self.sync_interval.setAccessibleName("Minutes between automatic syncs")
        self.sync_interval.setRange(0, 24 * 60)
        self.sync_interval.setSuffix(" min (0: off)")
        self.reopen_days = QSpinBox()
        self.reopen_days.setObjectName("reopenDays")
        self.reopen_days.setAccessibleName("Days a resolved case reopens when the customer writes")
        self.reopen_days.setRange(0, 365)
        self.reopen_days.setSuffix(" days")
        self.hours = BusinessHoursEditor()

        self.message = QLabel()
        self.message.setObjectName("workspaceMessage")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.save_button = QPushButton("&Save settings")
        self.save_button.setObjectName("saveWorkspaceButton")
        self.save_button.clicked.connect(self.save)

        form = QFormLayout()
        form.addRow("Your name", self.user_name)
        form.addRow("Your initials", self.initials)
        form.addRow("Team roster", self.roster)
        form.addRow("", roster_buttons)
        form.addRow("Brand name", self.brand_name)
        for name, label in self.LISTS:
            form.addRow(label, self.lists[name])
        form.addRow("Sync every", self.sync_interval)
        form.addRow("Reopen within", self.reopen_days)
        form.addRow("Working hours", self.hours)
        inner = QWidget()
        inner.setLayout(form)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addLayout(bottom)
        self.reload()

    # ------------------------------------------------------------ roster rows
    def _add_row(self, name: str, handle: str, me: bool, *, edit: bool = False) -> None:
        self.roster.blockSignals(True)
        row = self.roster.rowCount()
        self.roster.insertRow(row)
        name_item = QTableWidgetItem(name)
        self.roster.setItem(row, 0, name_item)
        self.roster.setItem(row, 1, QTableWidgetItem(handle))
        mark = QTableWidgetItem()
        mark.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
        mark.setCheckState(Qt.CheckState.Checked if me else Qt.CheckState.Unchecked)
        self.roster.setItem(row, 2, mark)
        self.roster.blockSignals(False)
        if edit:
            self.roster.setCurrentCell(row, 0)
            self.roster.editItem(name_item)

    def _remove_row(self) -> None:
        row = self.roster.currentRow()
        if row >= 0:
            self.roster.removeRow(row)

    def _me_changed(self, item: QTableWidgetItem) -> None:
        # One person is "me": ticking one unticks the others.
        if item.column() != 2 or item.checkState() != Qt.CheckState.Checked:
            return
        self.roster.blockSignals(True)
        for row in range(self.roster.rowCount()):
            other = self.roster.item(row, 2)
            if other is not None and other is not item:
                other.setCheckState(Qt.CheckState.Unchecked)
        self.roster.blockSignals(False)

    def _cell_text(self, row: int, column: int) -> str:
        item = self.roster.item(row, column)
        return item.text().strip() if item is not None else ""

    def roster_value(self) -> list[dict[str, Any]]:
        people = []
        for row in range(self.roster.rowCount()):
            name = self._cell_text(row, 0)
            handle = self._cell_text(row, 1)
            me = self.roster.item(row, 2)
            if name:
                people.append({"name": name, "handle": handle,
                               "me": me is not None
                               and me.checkState() == Qt.CheckState.Checked})
        return people

    # ------------------------------------------------------------ load / save
    def reload(self) -> None:
        def load(store: Store) -> dict[str, Any]:
            return {s.name: store.get_setting(s.name) for s in settings_mod.SETTINGS}

        self._ops.query(load, parent=self).success(self._fill).run()

    def _fill(self, values: dict[str, Any]) -> None:
        self.user_name.setText(values.get("user.name") or "")
        self.initials.setText(values.get("user.initials") or "")
        self.brand_name.setText(values.get("brand.name") or "")
        self.roster.setRowCount(0)
        for person in values.get("team.roster") or []:
            self._add_row(person.get("name", ""), person.get("handle", ""),
                          bool(person.get("me")))
        for name, edit in self.lists.items():
            edit.setPlainText("\n".join(values.get(name) or []))
        self.sync_interval.setValue(int(values.get("sync.interval_minutes") or 0))
        self.reopen_days.setValue(int(values.get("cases.reopen_window_days") or 0))
        hours = values.get("business.hours")
        self.hours.set_value(hours.get("timezone", "UTC") if hours else "UTC",
                             {k: v for k, v in hours.items() if k != "timezone"}
                             if hours else None)

    def values(self) -> dict[str, Any]:
        timezone, hours = self.hours.value()
        return {
            "user.name": self.user_name.text().strip() or None,
            "user.initials": self.initials.text().strip(),
            "team.roster": self.roster_value(),
            "brand.name": self.brand_name.text().strip(),
            **{name: [line.strip() for line in edit.toPlainText().splitlines() if line.strip()]
               for name, edit in self.lists.items()},
            "sync.interval_minutes": self.sync_interval.value(),
            "cases.reopen_window_days": self.reopen_days.value(),
            "business.hours": {"timezone": timezone, **hours} if hours is not None else None,
        }

    def save(self) -> None:
        problem = self.hours.error()
        if problem:
            self.message.setText(f"Not saved: {problem}")
            return
        values = self.values()

        def save(store: Store) -> Changes:
            changes = Changes()
            with store.atomic():  # all or nothing: one bad value saves none
                for name, value in values.items():
                    changes |= store.set_setting(name, value)
            return changes

        def failed(exc: BaseException) -> None:
            self.message.setText(f"Not saved: {exc}")

        self._ops.write(save, parent=self).success(
            lambda _c: self.message.setText("Saved.")).failure(failed).run(initiator=self)


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
        self.workspace = WorkspaceTab(ops)
        self.tabs.addTab(self.workspace, "Workspace and team")
        self.tabs.addTab(self.accounts, "Accounts")
        self.tabs.addTab(self.profiles, "Voice profiles")
        self.tabs.addTab(self.templates, "Templates")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)

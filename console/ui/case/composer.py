"""The reply composer: templates, a live length counter, live voice checks, approval."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.core.changes import Changes
from console.core.errors import KnownError, StorageError
from console.core.ids import CaseId, ReplyId, TemplateId
from console.core.models import Account, CaseDetail, Message, MessageKind, Reply, ReplyState
from console.core.store import Store, is_server_address
from console.ui import actions
from console.ui.ops import Ops, show_error

if TYPE_CHECKING:
    from console.core import templates, voice

# replying, templates, textlen and voice (jinja2, the voice rules, the mood
# detector) are imported where they are used, not here: the window paints its
# inbox before any of them is needed, and MainWindow warms them up on a worker
# right after that first paint (main_window.warm_up_checks).

SEVERITY_COLOURS = {"error": QColor("#d32f2f"), "warning": QColor("#c77700"),
                    "suggestion": QColor("#2f6fde")}
SEVERITY_MARKS = {"error": "Error:", "warning": "Warning:", "suggestion": "Tip:"}
PLATFORM_NAMES = {"mastodon": "Mastodon", "bluesky": "Bluesky", "x": "X", "demo": "Demo"}
#: Platforms whose connectors answer in a direct message (the demo's accounts send locally).
DM_PLATFORMS = frozenset({"mastodon", "bluesky", "x", "demo"})


class FindingHighlighter(QSyntaxHighlighter):
    """Underlines each finding's span in the editor, coloured by severity."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self.findings: list[voice.Finding] = []

    def set_findings(self, findings: list[voice.Finding]) -> None:
        if findings == self.findings:
            return  # rehighlighting re-lays out the document: only when something changed
        self.findings = findings
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        block = self.currentBlock()
        start = block.position()
        end = start + block.length()
        for f in self.findings:
            if f.end <= f.start or f.end <= start or f.start >= end:
                continue
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(SEVERITY_COLOURS.get(f.severity, QColor("gray")))
            a = max(f.start, start) - start
            b = min(f.end, end) - start
            self.setFormat(a, b - a, fmt)


class TemplatePicker(QDialog):
    """Keyboard-driven template search: type, arrows, Enter."""

    def __init__(self, items: list[tuple[TemplateId, templates.Template, int]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Insert a template")
        self.setObjectName("templatePicker")
        self._items = items
        self.query = QLineEdit()
        self.query.setObjectName("templateQuery")
        self.query.setPlaceholderText("Type to search templates (apology, refund, dm…)")
        self.query.setAccessibleName("Search templates")
        self.results = QListWidget()
        self.results.setObjectName("templateResults")
        self.results.setAccessibleName("Matching templates")
        self.preview = QLabel()
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        self.preview.setWordWrap(True)
        self.preview.setObjectName("templatePreview")
        layout = QVBoxLayout(self)
        layout.addWidget(self.query)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.preview)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.query.textChanged.connect(self._refresh)
        self.results.currentRowChanged.connect(self._show_preview)
        self.results.itemActivated.connect(lambda _item: self.accept())
        self.query.installEventFilter(self)
        self.resize(560, 420)
        self._refresh("")

    def eventFilter(self, obj: Any, event: Any) -> bool:
        # Arrow keys in the search box move through the results.
        if obj is self.query and event.type() == event.Type.KeyPress:
            if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                row = self.results.currentRow() + (1 if event.key() == Qt.Key.Key_Down else -1)
                self.results.setCurrentRow(max(0, min(self.results.count() - 1, row)))
                return True
        return False

    def _refresh(self, text: str) -> None:
        from console.core import templates

        by_slug = {t.slug: (tid, t, uses) for tid, t, uses in self._items}
        found = templates.fuzzy_find(text, [t for _, t, _ in self._items])
        if not text.strip():  # most used first when nothing is typed
            found.sort(key=lambda t: -by_slug[t.slug][2])
        self.results.clear()
        for t in found:
            tid, _, uses = by_slug[t.slug]
            item = QListWidgetItem(f"{t.title}   ·  {t.category}" + (f"  ·  used {uses}×"
                                                                      if uses else ""))
            item.setData(Qt.ItemDataRole.UserRole, tid)
            item.setData(Qt.ItemDataRole.UserRole + 1, t.slug)
            self.results.addItem(item)
        if self.results.count():
            self.results.setCurrentRow(0)

    def _show_preview(self, row: int) -> None:
        item = self.results.item(row)
        if item is None:
            self.preview.setText("")
            return
        slug = item.data(Qt.ItemDataRole.UserRole + 1)
        body = next(t.body for _, t, _ in self._items if t.slug == slug)
        self.preview.setText(body.strip()[:400])

    def chosen(self) -> TemplateId | None:
        item = self.results.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None


class Composer(QWidget):
    """Writes the reply for the case on show.

    Signals:
        findings_changed(list): the latest findings for the editor's text.
        approved(int): a reply was put in the outbox.
    """

    findings_changed = Signal(list)
    approved = Signal(int)

    CHECK_DELAY_MS = 120
    SAVE_DELAY_MS = 400
    RETRY_SAVE_MS = 3_000  # a save the workspace refused (busy, out of reach) is tried again

    def __init__(self, ops: Ops, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self.setObjectName("composer")
        self._detail: CaseDetail | None = None
        self._accounts: list[Account] = []
        self._profiles: dict[str, voice.Profile] = {}
        self._templates: list[tuple[TemplateId, templates.Template, int]] = []
        self._settings: dict[str, Any] = {}
        self._reply_id: ReplyId | None = None
        self._template_id: TemplateId | None = None
        self._template_body: str | None = None
        self._missing: list[templates.MissingVariable] = []
        self._findings: list[voice.Finding] = []
        self._generation = 0
        self._loading = False
        self._save_pending = False
        self._last_text = ""
        self._visibility: str | None = None  # "direct": the draft goes out privately
        self._counter_severity: str | None = None  # None: not styled yet
        # The draft this composer created for the reply on show, filled in by the save on
        # the writer thread: a second save before the first one's answer updates that
        # draft, and never one made elsewhere (the review queue's "back to draft").
        self._created: list[ReplyId] = []
        # Saves written but not yet answered: a case re-read started before one of them
        # landed holds older text than the editor, and must not be loaded over it.
        self._saves_in_flight = 0

        self.account_box = QComboBox()
        self.account_box.setObjectName("accountBox")
        self.account_box.setAccessibleName("Reply from account")
        self.account_box.currentIndexChanged.connect(self._account_changed)
        self.template_button = QPushButton("&Template…")
        self.template_button.setObjectName("templateButton")
        self.template_button.setToolTip("Insert a template (Ctrl+T)")
        self.template_button.clicked.connect(self.pick_template)
        self.counter = QLabel("0 / 500")
        self.counter.setObjectName("lengthCounter")
        self.counter.setTextFormat(Qt.TextFormat.PlainText)
        self.counter.setAccessibleName("Length")
        top = QHBoxLayout()
        top.addWidget(QLabel("From"))
        top.addWidget(self.account_box, 1)
        top.addWidget(self.template_button)
        top.addWidget(self.counter)

        self.editor = QPlainTextEdit()
        self.editor.setObjectName("replyEditor")
        self.editor.setAccessibleName("Reply text")
        self.editor.setPlaceholderText("Write a reply, or press Ctrl+T for a template. "
                                       "Ctrl+Enter approves it for sending.")
        self.editor.setTabChangesFocus(True)
        self.highlighter = FindingHighlighter(self.editor.document())
        self.editor.textChanged.connect(self._text_changed)
        # Leaving the editor saves at once: what is typed is in the store before another
        # part of the window (the review queue) changes this case's replies.
        self.editor.installEventFilter(self)

        self.findings_list = QListWidget()
        self.findings_list.setObjectName("findingsList")
        self.findings_list.setAccessibleName("Voice check findings")
        self.findings_list.setMaximumHeight(110)
        self.findings_list.setWordWrap(True)
        self.findings_list.itemActivated.connect(self._finding_activated)
        self.findings_list.hide()

        self.status = QLabel("")
        self.status.setObjectName("composerStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.approve_button = QPushButton("Approve for sending")
        self.approve_button.setObjectName("approveButton")
        self.approve_button.setToolTip("Put the reply in the outbox (Ctrl+Enter)")
        self.approve_button.clicked.connect(self.approve)
        self.fix_button = QPushButton("Apply &fix")
        self.fix_button.setObjectName("fixButton")
        self.fix_button.setToolTip("Apply the selected finding's quick fix (Ctrl+.)")
        self.fix_button.clicked.connect(self.apply_fix)
        # Offered when a public reply asks for private data: the same draft, same case,
        # goes to the customer as a direct message instead.
        self.private_button = QPushButton("Continue in a &direct message")
        self.private_button.setObjectName("privateButton")
        self.private_button.setToolTip("Send this reply to the customer privately, as a direct "
                                       "message, in this same case")
        self.private_button.clicked.connect(self.toggle_private)
        self.private_button.hide()
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.private_button)
        bottom.addWidget(self.fix_button)
        bottom.addWidget(self.approve_button)

        # On a team server: who else has a draft open in this case ("Priya is replying").
        self.presence = QLabel("")
        self.presence.setObjectName("composerPresence")
        self.presence.setProperty("severity", "warning")
        self.presence.setTextFormat(Qt.TextFormat.PlainText)
        self.presence.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.presence)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.findings_list)
        layout.addLayout(bottom)

        actions.install_shortcuts(self, actions.COMPOSER, {
            "composer.approve": self.approve, "composer.template": self.pick_template,
            "composer.fix": self.apply_fix,
        }, scope=Qt.ShortcutContext.WidgetWithChildrenShortcut)

        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(self.CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self.run_checks)
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(self.SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.save_now)

    def eventFilter(self, obj: Any, event: Any) -> bool:
        if obj is self.editor and event.type() == QEvent.Type.FocusOut:
            self.flush()
        return False

    # ------------------------------------------------------------ setup
    def set_resources(self, *, accounts: list[Account], profiles: dict[str, voice.Profile],
                      template_items: list[tuple[TemplateId, templates.Template, int]],
                      settings: dict[str, Any]) -> None:
        self._accounts = accounts
        self._profiles = profiles
        self._templates = template_items
        self._settings = settings
        self._fill_accounts()

    def _fill_accounts(self, preferred: int | None = None) -> None:
        """Offer only the accounts that may answer the case publicly: those on the platform
        of the customer's message (the store refuses the others too)."""
        from console.core import replying

        current = self.current_account()
        target = replying.reply_target(self._detail) if self._detail is not None else None
        choices = [a for a in self._accounts
                   if target is None or a.platform.value == target.platform.value]
        self.account_box.blockSignals(True)
        self.account_box.clear()
        for account in choices:
            platform = PLATFORM_NAMES.get(account.platform.value, account.platform.value)
            self.account_box.addItem(f"{account.handle} · {platform}", account.id)
        for wanted in (preferred, current.id if current else None,
                       target.account_id if target else None):
            index = self.account_box.findData(wanted) if wanted is not None else -1
            if index >= 0:
                self.account_box.setCurrentIndex(index)
                break
        self.account_box.blockSignals(False)

    def current_account(self) -> Account | None:
        account_id = self.account_box.currentData()
        return next((a for a in self._accounts if a.id == account_id), None)

    def profile(self) -> voice.Profile | None:
        if not self._profiles:
            return None
        from console.core import replying

        return replying.profile_for(self.current_account(), self._profiles)

    # ------------------------------------------------------------ case
    def show_case(self, detail: CaseDetail, draft: Reply | None) -> None:
        """Load the case's draft (or an empty reply from the right account)."""
        same_case = self._detail is not None and self._detail.case.id == detail.case.id
        gone = same_case and draft is None and self._reply_id is not None
        if same_case and not gone and (draft is None or draft.id == self._reply_id):
            self._detail = detail
            if (draft is not None and not self._save_pending and not self._saves_in_flight
                    and draft.body != self.editor.toPlainText()):
                self._load_draft(detail, draft)  # edited elsewhere (the review queue)
                return
            self.run_checks()  # the case changed (a ticked issue, say): check again
            return
        if gone:
            # The reply left draft state elsewhere (approved or sent from the review queue,
            # another window): the composer follows the store, it never keeps a stale text.
            self._save_pending = False
            self._save_timer.stop()
        else:
            self.flush()  # before _detail moves on: the text belongs to the case it was typed in
        self._detail = detail
        self._load_draft(detail, draft)
        if gone:
            self.status.setText("That reply was approved or sent elsewhere; this is a new one.")

    def _load_draft(self, detail: CaseDetail, draft: Reply | None) -> None:
        self._loading = True
        try:
            self._reply_id = draft.id if draft else None
            self._created = []
            self._template_id = draft.template_id if draft else None
            self._template_body = draft.template_body if draft else None
            self._visibility = draft.visibility if draft else None
            self._missing = []
            from console.core import replying

            target = replying.reply_target(detail)
            # The account the customer LAST wrote to, unless the draft chose another one.
            self._fill_accounts(preferred=draft.account_id if draft else
                                (target.account_id if target else None))
            self.editor.setPlainText(draft.body if draft else "")
            self.status.setText(f"Draft saved {draft.updated_at.astimezone():%H:%M}"
                                if draft else "")
        finally:
            self._loading = False
        self._update_counter()
        self.run_checks()

    def clear_case(self) -> None:
        self.flush()
        self._detail = None
        self._reply_id = None
        self._visibility = None
        self._update_private_offer()
        self._created = []
        self._loading = True
        self.editor.clear()
        self._loading = False

    # ------------------------------------------------------------ typing
    def _text_changed(self) -> None:
        # Re-highlighting findings also emits textChanged: only real edits count.
        text = self.editor.toPlainText()
        if text == self._last_text:
            return
        self._last_text = text
        self._generation += 1
        self._update_counter()
        self._check_timer.start()
        if not self._loading and self._detail is not None:
            self._save_pending = True
            self._save_timer.start()

    def _account_changed(self, _index: int) -> None:
        self._update_counter()
        self.run_checks()
        if not self._loading and self._detail is not None and self.editor.toPlainText():
            self._save_pending = True
            self._save_timer.start()

    def _update_counter(self) -> None:
        from console.core import textlen

        account = self.current_account()
        platform = account.platform.value if account else "mastodon"
        info = textlen.count(self.editor.toPlainText(), platform)
        self.counter.setText(f"{info.used} / {info.limit}")
        severity = "error" if info.over else ""
        if severity != self._counter_severity:
            # Re-polishing restyles the label and re-lays out the row: only on a change.
            self._counter_severity = severity
            self.counter.setProperty("severity", severity)
            self.counter.style().unpolish(self.counter)
            self.counter.style().polish(self.counter)

    def _context(self) -> voice.CheckContext:
        from console.core import replying

        context = replying.check_context(
            detail=self._detail, account=self.current_account(),
            template_body=self._template_body, missing=self._missing,
            brand=replying.brand_allowlists(self._settings.get),
            initials=self._settings.get("user.initials") or None)
        if self._visibility == "direct":
            context = dataclasses.replace(context, public=False)  # private data is fine there
        return context

    def run_checks(self) -> None:
        """Check the text off the GUI thread; stale results are dropped."""
        profile = self.profile()
        if profile is None:
            return
        text = self.editor.toPlainText()
        generation = self._generation
        context = self._context()

        def check() -> list[voice.Finding]:
            from console.core import voice

            return voice.check(text, profile, context=context) if text.strip() else []

        def done(findings: list[voice.Finding]) -> None:
            if generation == self._generation:  # stale results are dropped
                self._show_findings(findings)

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                show_error(self, exc)

        self._ops.compute(check, parent=self).success(done).failure(failed).run()

    def _show_findings(self, findings: list[voice.Finding]) -> None:
        if findings == self._findings and self.findings_list.count() == len(findings):
            # The same findings (a pause mid-word, say): rebuilding the list and
            # rehighlighting would re-lay out the composer for nothing.
            self.findings_changed.emit(findings)
            return
        self._findings = findings
        self.highlighter.set_findings(findings)
        self.findings_list.clear()
        for f in findings:
            fix = f"  [fix: {f.fix.label}]" if f.fix else ""
            item = QListWidgetItem(f"{SEVERITY_MARKS.get(f.severity, '•')} {f.message}{fix}")
            item.setForeground(SEVERITY_COLOURS.get(f.severity, QColor("gray")))
            self.findings_list.addItem(item)
        self.findings_list.setVisible(bool(findings))
        errors = sum(1 for f in findings if f.blocks)
        self.approve_button.setText("Fix the errors to approve" if errors else "Approve for sending")
        self._update_private_offer()
        self.findings_changed.emit(findings)

    def findings(self) -> list[voice.Finding]:
        return list(self._findings)

    # ------------------------------------------------------------ direct message
    def _public_target(self) -> Message | None:
        """The customer's public post this reply answers (None: a DM, or nothing)."""
        from console.core import replying

        target = replying.reply_target(self._detail) if self._detail else None
        account = self.current_account()
        if (target is None or target.kind is MessageKind.DM or account is None
                or account.platform.value not in DM_PLATFORMS):
            return None
        return target

    def _update_private_offer(self) -> None:
        target = self._public_target()
        if self._visibility == "direct" and target is not None:
            self.private_button.setText("Answer in &public instead")
            self.private_button.setToolTip(f"Now private: this reply goes to "
                                           f"@{target.author_handle.lstrip('@')} as a direct "
                                           "message. Click to answer in public again.")
            self.private_button.show()
            return
        self.private_button.setText("Continue in a &direct message")
        self.private_button.setToolTip("Send this reply to the customer privately, as a direct "
                                       "message, in this same case")
        asks = any(f.kind == "private-data" for f in self._findings)
        self.private_button.setVisible(target is not None and asks)

    def is_private(self) -> bool:
        """Whether the draft goes out as a direct message."""
        return self._visibility == "direct"

    def toggle_private(self) -> None:
        """One click: this draft goes to the customer as a direct message (or back)."""
        target = self._public_target()
        if target is None:
            return
        self._visibility = None if self._visibility == "direct" else "direct"
        who = f"@{target.author_handle.lstrip('@')}"
        self.status.setText(f"Private: goes to {who} as a direct message, in this case"
                            if self._visibility else "Public: answers in the thread")
        self._update_private_offer()
        self._save_pending = True
        self.save_now()
        self.run_checks()

    # ------------------------------------------------------------ fixes
    def _finding_activated(self, item: QListWidgetItem) -> None:
        self.apply_fix(self.findings_list.row(item))

    def apply_fix(self, row: int | None = None) -> None:
        """Apply the quick fix of the selected finding (or the first one that has one)."""
        if row is None or row is False:
            row = self.findings_list.currentRow()
        candidates = ([self._findings[row]] if 0 <= row < len(self._findings) else
                      [f for f in self._findings if f.fix])
        finding = next((f for f in candidates if f.fix), None)
        if finding is None or finding.fix is None:
            self.status.setText("No quick fix for that finding.")
            return
        text = self.editor.toPlainText()
        fix = finding.fix
        if fix.end > len(text):
            return
        cursor = QTextCursor(self.editor.document())
        cursor.setPosition(fix.start)
        cursor.setPosition(fix.end, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(fix.replacement)  # one undo step (Ctrl+Z)
        self.status.setText(f"Applied: {fix.label}")
        self.run_checks()

    # ------------------------------------------------------------ templates
    def pick_template(self) -> None:
        if self._detail is None:
            return
        picker = TemplatePicker(self._templates, self)
        if picker.exec() != QDialog.DialogCode.Accepted:
            return
        template_id = picker.chosen()
        if template_id is not None:
            self.insert_template(template_id)

    def insert_template(self, template_id: TemplateId) -> None:
        if self._detail is None:
            return
        from console.core import replying, templates

        template = next(t for tid, t, _ in self._templates if tid == template_id)
        variables = replying.template_variables(
            detail=self._detail, account=self.current_account(),
            agent=self._settings.get("user.name") or "",
            initials=self._settings.get("user.initials") or "",
            brand=self._settings.get("brand.name") or "")
        try:
            rendered = templates.render(template.body, variables)
        except Exception as exc:
            show_error(self, exc)
            return
        text = rendered.text.strip()
        shift = len(rendered.text) - len(rendered.text.lstrip())
        self._missing = [dataclasses.replace(m, start=m.start - shift, end=m.end - shift)
                         for m in rendered.missing]
        self._template_id = template_id
        self._template_body = text
        self.editor.setPlainText(text)
        self.editor.setFocus()
        self._ops.write(lambda s: s.count_template_use(template_id), parent=self).run()
        self._save_pending = True
        self.save_now()

    # ------------------------------------------------------------ saving
    def save_now(self) -> None:
        """Write the draft to the store now (also called by the debounce timer)."""
        self._save_timer.stop()
        if not self._save_pending or self._detail is None:
            return
        account = self.current_account()
        if account is None:
            return
        from console.core import replying

        self._save_pending = False
        case_id = self._detail.case.id
        body = self.editor.toPlainText()
        reply_id = self._reply_id
        target = replying.reply_target(self._detail)
        template_id, template_body = self._template_id, self._template_body
        visibility = self._visibility
        created = self._created

        def save(store: Store) -> tuple[ReplyId, Changes]:
            existing = reply_id if reply_id is not None else (created[0] if created else None)
            if existing is None:
                other = store.open_draft(case_id)
                if other is not None:
                    # A draft came from elsewhere (back to draft in the review queue, another
                    # window): one draft per case, and writing over it would lose its text.
                    raise KnownError(
                        f"Case #{case_id} already has a draft (reply #{other.id}), made "
                        "elsewhere; the text typed here was not saved over it:\n\n" + body)
            new_id, changes = store.save_draft(
                case_id, account_id=account.id, body=body, reply_id=existing,
                in_reply_to_message_id=target.id if target else None,
                template_id=template_id, template_body=template_body)
            if store.reply(new_id).visibility != visibility:
                changes |= store.set_reply_visibility(new_id, visibility)
            if not created:
                created.append(new_id)
            return new_id, changes

        def saved(new_id: ReplyId) -> None:
            self._saves_in_flight -= 1
            if self._detail is not None and self._detail.case.id == case_id:
                self._reply_id = new_id
                self.status.setText("Draft saved")

        def failed(exc: BaseException) -> None:
            self._saves_in_flight -= 1
            if isinstance(exc, StorageError) and self._detail is not None \
                    and self._detail.case.id == case_id:
                # The workspace is busy or the team server is out of reach: the text stays
                # in the editor and is saved again shortly, without a box per keystroke.
                why = {"busy": "the workspace is busy", "io": "the workspace is out of reach",
                       "disk_full": "the disk is full",
                       "read_only": "the workspace is read-only"}.get(exc.reason, exc.reason)
                self.status.setText(f"Not saved yet: {why}. The text stays here and is saved "
                                    "again in a moment.")
                self._save_pending = True
                QTimer.singleShot(self.RETRY_SAVE_MS, self, self._retry_save)
                return
            if isinstance(exc, StorageError):  # the person moved on: give them the text
                exc = KnownError(f"{exc}\n\nThe reply typed in case #{case_id} was not saved; "
                                 f"here it is to copy:\n\n{body}")
            show_error(self, exc)

        self._saves_in_flight += 1
        self._ops.write(save, parent=self).success(saved).failure(failed).run(initiator=self)

    def _retry_save(self) -> None:
        if self._save_pending and not self._saves_in_flight:
            self.save_now()

    def flush(self) -> None:
        """Save a pending draft before switching case or quitting."""
        if self._save_pending:
            self.save_now()

    def set_teammates(self, names: list[str]) -> None:
        """Show who else on the team is writing a reply to this customer right now."""
        if not names:
            self.presence.hide()
            return
        who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        verb = "is" if len(names) == 1 else "are"
        self.presence.setText(f"{who} {verb} replying to this customer too.")
        self.presence.show()

    # ------------------------------------------------------------ approve
    def approve(self) -> None:
        if self._detail is None or not self.editor.toPlainText().strip():
            self.status.setText("Nothing to approve yet.")
            return
        if self.current_account() is None:
            # The accounts are still loading (or could not be read): nothing was saved yet,
            # so there is nothing to approve; the text stays here.
            self.status.setText("Not approved: no account to reply from yet. Try again in "
                                "a moment.")
            return
        from console.core import voice

        profile = self.profile()
        text = self.editor.toPlainText()
        # The findings must describe exactly this text: check it now (a few ms).
        findings = voice.check(text, profile, context=self._context()) if profile else []
        self._show_findings(findings)
        reason = None
        errors = [f for f in findings if f.blocks]
        if errors:
            # Errors are facts (over the platform's limit, private data, a leftover
            # variable): no reason overrides them, here or on the command line.
            self.status.setText("Not approved: " + "; ".join(f.message for f in errors[:2])
                                + " Errors cannot be overridden: fix them.")
            self.editor.setFocus()
            return
        from console.core import textlen

        account = self.current_account()
        info = textlen.count(text, account.platform.value if account else "mastodon")
        if info.over:
            self.status.setText(f"Not approved: {info.used}/{info.limit}, over the platform's "
                                "limit. Shorten it.")
            return
        self._save_pending = True
        self.save_now()
        case_id = self._detail.case.id
        dicts = [f.to_dict() for f in findings]

        def queued_elsewhere(store: Store) -> list[Reply]:
            return store.replies((ReplyState.APPROVED, ReplyState.SENDING),
                                 case_id=CaseId(case_id))

        def confirm(queued: list[Reply]) -> None:
            # Another reply to this customer is already on its way (a teammate's, or one of
            # ours from before): a second answer must be meant, not an accident.
            if queued and not self._confirm_second_reply(queued):
                self.status.setText("Not approved: another reply is already queued.")
                return
            self._ops.write(approve, parent=self).success(done).run(initiator=self)

        def approve(store: Store) -> tuple[ReplyId | None, Changes]:
            draft = store.open_draft(case_id)
            if draft is None:
                raise KnownError("There is no draft to approve in this case: it was approved "
                                 "or sent elsewhere.")
            if not draft.body.strip():
                return None, Changes()  # said in the status line, not in an error box
            return draft.id, store.approve_reply(draft.id, findings=dicts,
                                                 override_reason=reason)

        def done(reply_id: ReplyId | None) -> None:
            if reply_id is None:
                self.status.setText("Nothing to approve yet: this case's draft is empty.")
                return
            self.status.setText("Approved: in the outbox")
            self._loading = True
            self._reply_id = None
            self._created = []
            self._template_id = None
            self._template_body = None
            self._visibility = None
            self._missing = []
            self.editor.clear()
            self._loading = False
            self._save_pending = False
            self.approved.emit(reply_id)

        if is_server_address(self._ops.db_path):
            self._ops.query(queued_elsewhere, parent=self).success(confirm).run()
        else:
            confirm([])  # one person per laptop workspace: they know what they queued

    def _confirm_second_reply(self, queued: list[Reply]) -> bool:
        first = queued[0]
        box = QMessageBox(QMessageBox.Icon.Question, "Another reply is queued",
                          f"A reply to this customer is already in the outbox "
                          f"({first.state.value}, from {first.account_handle}):\n\n"
                          f"{first.body[:300]}\n\nApprove this one as well?",
                          parent=self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        yes = box.addButton("Approve as well", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is yes

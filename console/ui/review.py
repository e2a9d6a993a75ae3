"""The review queue: every draft and approved reply across cases, for review on a plane.

Each reply is shown beside the customer message it answers, with its findings (drafts
are checked when the queue loads and as they are edited), and sending the outbox asks
first, listing what will go out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.core import replying, voice
from console.core.changes import Changes
from console.core.errors import KnownError, NotFoundError
from console.core.ids import ReplyId
from console.core.models import Message, Reply, ReplyState
from console.core.store import Store
from console.ui import actions
from console.ui.inbox.model import PLATFORM_NAMES, platform_icon
from console.ui.ops import Ops, show_error

STATE_LABELS = {ReplyState.DRAFT: "Draft", ReplyState.APPROVED: "Approved (outbox)",
                ReplyState.SENDING: "Sending…", ReplyState.FAILED: "Failed",
                ReplyState.SENT: "Sent"}
EDITABLE = (ReplyState.DRAFT, ReplyState.FAILED)


@dataclass(frozen=True)
class Shown:
    """One reply row: the reply, the customer message it answers, and its findings now."""

    reply: Reply
    parent: Message | None
    findings: tuple[tuple[str, str], ...]  # (severity, message)


def check_reply(store: Store, reply: Reply, body: str, data_dir: Path | None,
                profiles: dict[str, voice.Profile] | None = None) -> list[voice.Finding]:
    """The same voice check the composer runs, for a reply in the queue."""
    detail = store.case_detail(reply.case_id)
    account = store.account(reply.account_id)
    if profiles is None:
        profiles = replying.load_profiles(data_dir)
    profile = replying.profile_for(account, profiles)
    context = replying.check_context(
        detail=detail, account=account, template_body=reply.template_body,
        brand=replying.brand_allowlists(store.get_setting),
        initials=store.get_setting("user.initials") or None)
    return voice.check(body, profile, context=context)


def parent_message(store: Store, reply: Reply) -> Message | None:
    """The customer message a reply answers (the case's latest, when it names none)."""
    if reply.in_reply_to_message_id is not None:
        try:
            return store.message(reply.in_reply_to_message_id)[0]
        except NotFoundError:
            pass
    return replying.reply_target(store.case_detail(reply.case_id))


def load_queue(store: Store, data_dir: Path | None) -> tuple[list[Shown], bool]:
    """Every reply in the queue with its context; drafts are checked now, not at approval."""
    profiles = replying.load_profiles(data_dir)
    shown = []
    for reply in store.replies():
        findings: tuple[tuple[str, str], ...]
        if reply.state in EDITABLE:
            findings = tuple((f.severity, f.message)
                             for f in check_reply(store, reply, reply.body, data_dir, profiles))
        else:
            findings = tuple((str(f.get("severity")), str(f.get("message")))
                             for f in reply.findings)
        shown.append(Shown(reply, parent_message(store, reply), findings))
    return shown, bool(store.get_setting("workspace.demo"))


def findings_summary(findings: tuple[tuple[str, str], ...]) -> str:
    if not findings:
        return "none"
    errors = sum(1 for severity, _ in findings if severity == "error")
    return f"{len(findings)}" + (f" ({errors} error{'s' if errors != 1 else ''})" if errors else "")


def one_line(text: str, limit: int = 160) -> str:
    return " ".join(text.split())[:limit]


class ReviewQueue(QDialog):
    """Drafts and approved replies across all cases, each beside the message it answers.

    Signals:
        open_case(int): the user wants to see this case in the main window.
        sender_requested(): send the outbox through the real connectors.
    """

    open_case = Signal(int)
    sender_requested = Signal()
    COLUMNS = ("Case", "Customer", "Customer wrote", "Reply", "From", "State", "Findings")

    def __init__(self, ops: Ops, *, data_dir: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._data_dir = data_dir
        self._shown: list[Shown] = []
        self._undo: list[dict[str, Any]] = []
        self._demo = False
        self._profiles: dict[str, voice.Profile] | None = None
        self.confirm_box: QMessageBox | None = None
        # Replies whose approval is on its way (check, then write): a second Ctrl+Enter
        # before the queue shows the first one's result does nothing.
        self._approving: set[ReplyId] = set()
        self.setObjectName("reviewQueue")
        self.setWindowTitle("Review queue")
        # As big as is useful, but never bigger than the screen (a 1024x640 laptop).
        screen = self.screen().availableGeometry()
        self.resize(min(1080, screen.width() - 32), min(640, screen.height() - 32))

        self.table = QTreeWidget()
        self.table.setObjectName("reviewTable")
        self.table.setAccessibleName("Replies waiting for review or sending")
        self.table.setRootIsDecorated(False)
        self.table.setUniformRowHeights(True)
        self.table.header().setAccessibleName("Columns")
        self.table.setHeaderLabels(list(self.COLUMNS))
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.currentItemChanged.connect(self._selected)
        self.table.itemActivated.connect(lambda *_: self._open_case())
        # The two texts share the width; the short columns fit their contents, so the
        # table never needs a sideways scroll.
        header = self.table.header()
        header.setStretchLastSection(False)
        for col in range(len(self.COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        for col in (2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(4, 190)

        # The customer's message, beside the reply: a reply is judged in its context.
        self.parent_meta = QLabel()
        self.parent_meta.setObjectName("reviewParentMeta")
        self.parent_meta.setTextFormat(Qt.TextFormat.PlainText)
        self.parent_meta.setWordWrap(True)
        self.parent_text = QPlainTextEdit()
        self.parent_text.setObjectName("reviewParentText")
        self.parent_text.setAccessibleName("The customer's message this reply answers")
        self.parent_text.setReadOnly(True)
        heading = QLabel("Customer wrote")
        heading.setObjectName("reviewHeading")
        context = QWidget()
        cl = QVBoxLayout(context)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addWidget(heading)
        cl.addWidget(self.parent_meta)
        cl.addWidget(self.parent_text, 1)

        self.editor = QPlainTextEdit()
        self.editor.setObjectName("reviewEditor")
        self.editor.setAccessibleName("Reply text")
        self.editor.textChanged.connect(self._edited)
        self.findings = QLabel()
        self.findings.setObjectName("reviewFindings")
        self.findings.setTextFormat(Qt.TextFormat.PlainText)
        self.findings.setWordWrap(True)
        self.findings.setAccessibleName("Findings of the voice check")
        self.info = QLabel()
        self.info.setTextFormat(Qt.TextFormat.PlainText)
        self.info.setObjectName("reviewInfo")
        self.info.setWordWrap(True)
        # Re-check an edited draft once typing pauses (the check reads the case).
        self._recheck = QTimer(self)
        self._recheck.setSingleShot(True)
        self._recheck.setInterval(400)
        self._recheck.timeout.connect(self._check_edit)
        self._filling = False

        def button(text: str, name: str, slot: Any, tip: str = "") -> QPushButton:
            b = QPushButton(text)
            b.setObjectName(name)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            return b

        self.save_button = button("&Save edit", "saveButton", self._save, "Save the draft")
        self.approve_button = button("&Approve", "approveButton", self._approve,
                                     "Check and put in the outbox (Ctrl+Enter)")
        self.back_button = button("&Back to draft", "backButton", self._back_to_draft)
        self.delete_button = button("&Delete", "deleteButton", self._delete, "Delete (Del)")
        self.undo_button = button("&Undo delete", "undoButton", self._undo_delete, "Ctrl+Z")
        self.open_button = button("&Open case", "openButton", self._open_case)
        self.send_button = button("Send approved now…", "sendButton", self._send_all,
                                  "Send every approved reply (asks first)")
        self.undo_button.setEnabled(False)

        buttons = QHBoxLayout()
        for b in (self.save_button, self.approve_button, self.back_button, self.delete_button,
                  self.undo_button, self.open_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.send_button)

        reply_side = QWidget()
        rl = QVBoxLayout(reply_side)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.info)
        rl.addWidget(self.editor, 1)
        rl.addWidget(self.findings)
        self.detail_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.detail_splitter.setObjectName("reviewDetail")
        self.detail_splitter.addWidget(context)
        self.detail_splitter.addWidget(reply_side)
        self.detail_splitter.setSizes([420, 620])
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail_splitter)
        splitter.setSizes([260, 320])
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)

        actions.install_shortcuts(self, actions.REVIEW, {
            "review.approve": self._approve, "review.delete": self._delete,
            "review.undo": self._undo_delete, "review.save": self._save,
            "review.draft": self._back_to_draft,
        }, scope=Qt.ShortcutContext.WindowShortcut)
        ops.signals.changes_applied.connect(self._changes_applied)
        self.refresh()

    # ------------------------------------------------------------ data
    def refresh(self) -> None:
        data_dir = self._data_dir
        self._ops.query(lambda store: load_queue(store, data_dir), parent=self) \
            .success(self._loaded).run()

    def _loaded(self, result: tuple[list[Shown], bool]) -> None:
        shown, demo = result
        self._demo = demo
        self.send_button.setText("Send approved now… (demo: local)" if demo
                                 else "Send approved now…")
        selected = self.current_reply()
        self._shown = shown
        self._approving &= {r.reply.id for r in shown
                            if r.reply.state in (ReplyState.DRAFT, ReplyState.FAILED)}
        self.table.clear()
        for row in shown:
            reply = row.reply
            platform = reply.platform.value
            item = QTreeWidgetItem([
                f"#{reply.case_id}", reply.contact_name,
                one_line(row.parent.text) if row.parent else "–",
                one_line(reply.body), reply.account_handle, STATE_LABELS[reply.state],
                findings_summary(row.findings)])
            item.setData(0, Qt.ItemDataRole.UserRole, reply.id)
            item.setIcon(4, platform_icon(platform))
            item.setToolTip(4, f"{reply.account_handle} on {PLATFORM_NAMES.get(platform, platform)}")
            if any(severity == "error" for severity, _ in row.findings):
                item.setData(6, Qt.ItemDataRole.AccessibleTextRole,
                             findings_summary(row.findings) + ", blocks approval")
            self.table.addTopLevelItem(item)
            if selected is not None and reply.id == selected.id:
                self.table.setCurrentItem(item)
        replies = [r.reply for r in shown]
        drafts = sum(1 for r in replies if r.state == ReplyState.DRAFT)
        approved = sum(1 for r in replies if r.state == ReplyState.APPROVED)
        failed = sum(1 for r in replies if r.state == ReplyState.FAILED)
        self.summary.setText(f"{drafts} draft(s) · {approved} approved in the outbox"
                             + (f" · {failed} failed" if failed else ""))
        self.send_button.setEnabled(approved > 0)
        first = self.table.topLevelItem(0)
        if self.table.currentItem() is None and first is not None:
            self.table.setCurrentItem(first)
        if not replies:
            self._selected(None, None)

    def _changes_applied(self, changes: Changes, _initiator: object) -> None:
        if changes.replies and self.isVisible():
            self.refresh()

    def current_shown(self) -> Shown | None:
        item = self.table.currentItem()
        if item is None:
            return None
        reply_id = item.data(0, Qt.ItemDataRole.UserRole)
        return next((r for r in self._shown if r.reply.id == reply_id), None)

    def current_reply(self) -> Reply | None:
        shown = self.current_shown()
        return shown.reply if shown is not None else None

    def _selected(self, item: QTreeWidgetItem | None, _prev: QTreeWidgetItem | None) -> None:
        shown = self.current_shown()
        reply = shown.reply if shown is not None else None
        editable = reply is not None and reply.state in EDITABLE
        self.editor.setReadOnly(not editable)
        self._filling = True
        self.editor.setPlainText(reply.body if reply else "")
        self._filling = False
        self._recheck.stop()
        self.save_button.setEnabled(editable)
        self.approve_button.setEnabled(editable)
        self.back_button.setEnabled(reply is not None and reply.state in (
            ReplyState.APPROVED, ReplyState.FAILED))
        self.delete_button.setEnabled(reply is not None and reply.state not in (
            ReplyState.SENDING, ReplyState.SENT))
        self.open_button.setEnabled(reply is not None)
        if shown is None or reply is None:
            self.info.setText("Nothing to review.")
            self.findings.setText("")
            self.parent_meta.setText("")
            self.parent_text.setPlainText("")
            return
        platform = PLATFORM_NAMES.get(reply.platform.value, reply.platform.value)
        self.info.setText(f"Case #{reply.case_id} · {reply.contact_name} · reply from "
                          f"{reply.account_handle} ({platform}) · {STATE_LABELS[reply.state]}"
                          + (f" · {reply.error}" if reply.error else ""))
        parent = shown.parent
        if parent is None:
            self.parent_meta.setText("No customer message in this case.")
            self.parent_text.setPlainText("")
        else:
            who = parent.author_name or parent.author_handle
            self.parent_meta.setText(
                f"{who} ({parent.author_handle}) to {parent.account_handle} · "
                f"{PLATFORM_NAMES.get(parent.platform.value, parent.platform.value)} · "
                f"{parent.kind.value} · {parent.created_at.astimezone():%a %d %b %H:%M}")
            self.parent_text.setPlainText(parent.text)
        self._show_findings(shown.findings, reply.override_reason)

    def _show_findings(self, findings: tuple[tuple[str, str], ...],
                       override: str | None = None, *, note: str | None = None) -> None:
        lines = [f"{severity}: {message}" for severity, message in findings]
        if override:
            lines.append(f"Override: {override}")
        if note:
            lines.append(note)
        self.findings.setText("\n".join(lines) if lines else "No findings: the voice check passes.")
        worst = ("error" if any(s == "error" for s, _ in findings) else
                 "warning" if any(s == "warning" for s, _ in findings) else "")
        self.findings.setProperty("severity", worst)
        self.findings.style().unpolish(self.findings)
        self.findings.style().polish(self.findings)

    def _edited(self) -> None:
        if not self._filling and not self.editor.isReadOnly():
            self._recheck.start()

    def _check_edit(self) -> None:
        reply = self.current_reply()
        if reply is None or reply.state not in EDITABLE:
            return
        body = self.editor.toPlainText()
        data_dir = self._data_dir
        reply_id = reply.id

        def check(store: Store) -> tuple[tuple[str, str], ...]:
            return tuple((f.severity, f.message) for f in check_reply(store, reply, body,
                                                                      data_dir))

        def checked(findings: tuple[tuple[str, str], ...]) -> None:
            current = self.current_reply()
            if current is not None and current.id == reply_id \
                    and self.editor.toPlainText() == body:
                self._show_findings(findings)

        self._ops.query(check, parent=self).success(checked).run()

    # ------------------------------------------------------------ actions
    def _write(self, fn: Any) -> None:
        self._ops.write(fn, parent=self).run(initiator=self)

    def _save(self) -> None:
        reply = self.current_reply()
        if reply is None or self.editor.isReadOnly():
            return
        body = self.editor.toPlainText()
        self._write(lambda s: s.save_draft(reply.case_id, account_id=reply.account_id, body=body,
                                           reply_id=reply.id)[1])

    def _approve(self) -> None:
        reply = self.current_reply()
        if reply is None or reply.state not in (ReplyState.DRAFT, ReplyState.FAILED):
            return
        if reply.id in self._approving:
            return
        body = self.editor.toPlainText()
        if not body.strip():  # a refusal for the status line, not an error box
            self._ops.signals.status_message.emit(
                f"Nothing to approve: the reply to case #{reply.case_id} is empty.")
            return
        self._approving.add(reply.id)
        data_dir = self._data_dir

        def finished() -> None:
            self._approving.discard(reply.id)

        def failed(exc: BaseException) -> None:
            finished()
            show_error(self, exc)

        def check(store: Store) -> list[voice.Finding]:
            return check_reply(store, reply, body, data_dir)

        def checked(findings: list[voice.Finding]) -> None:
            errors = [f for f in findings if f.blocks]
            reason = None
            if errors:
                # Errors are facts (over the limit, private data, a leftover variable): no
                # reason overrides them; the findings say what to fix.
                self._show_findings(tuple((f.severity, f.message) for f in findings),
                                    note="Errors cannot be overridden: edit the reply, then "
                                         "approve.")
                finished()
                return
            dicts = [f.to_dict() for f in findings]

            def approve(store: Store) -> Changes:
                state = store.reply(reply.id).state
                if state not in (ReplyState.DRAFT, ReplyState.FAILED):
                    # Approved meanwhile (the composer, another window): the queue's row was
                    # stale; say so rather than "no longer a draft, send it back".
                    raise KnownError(f"Reply #{reply.id} is already {state.value}.")
                changes = store.save_draft(reply.case_id, account_id=reply.account_id,
                                           body=body, reply_id=reply.id)[1]
                return changes | store.approve_reply(reply.id, findings=dicts,
                                                     override_reason=reason)

            # On success the reply stays "on its way" until the queue shows it approved.
            self._ops.write(approve, parent=self).failure(failed).run(initiator=self)

        self._ops.query(check, parent=self).success(checked).failure(failed).run()

    def _back_to_draft(self) -> None:
        reply = self.current_reply()
        if reply is not None and reply.state in (ReplyState.APPROVED, ReplyState.FAILED):
            self._write(lambda s: s.return_to_draft(reply.id))

    def _delete(self) -> None:
        reply = self.current_reply()
        if reply is None:
            return

        def deleted(snapshot: dict[str, Any]) -> None:
            self._undo.append(snapshot)
            self.undo_button.setEnabled(True)
            self._ops.signals.status_message.emit(
                f"Reply to case #{reply.case_id} deleted. Ctrl+Z in the review queue undoes it.")

        self._ops.write(lambda s: s.delete_reply(reply.id), parent=self) \
            .success(deleted).run(initiator=self)

    def _undo_delete(self) -> None:
        if not self._undo:
            return
        snapshot = self._undo.pop()
        self.undo_button.setEnabled(bool(self._undo))
        self._write(lambda s: s.restore_reply(snapshot))

    def _open_case(self) -> None:
        reply = self.current_reply()
        if reply is not None:
            self.open_case.emit(int(reply.case_id))

    def _send_all(self) -> None:
        """Ask first, listing what goes out; then send the outbox."""
        approved = [r.reply for r in self._shown if r.reply.state == ReplyState.APPROVED]
        if not approved:
            self._ops.signals.status_message.emit("Nothing is approved: the outbox is empty.")
            return
        n = len(approved)
        lines = [f"• #{r.case_id} to {r.contact_name or 'the customer'}, from {r.account_handle} "
                 f"({PLATFORM_NAMES.get(r.platform.value, r.platform.value)}): "
                 f"{one_line(r.body, 60)}" for r in approved[:8]]
        if n > 8:
            lines.append(f"… and {n - 8} more")
        where = ("This demo workspace sends them locally; nothing leaves this computer."
                 if self._demo else "They are posted publicly or sent as direct messages now; "
                 "a sent reply cannot be recalled.")
        box = QMessageBox(QMessageBox.Icon.Question, "Send approved replies",
                          f"Send {n} approved repl{'y' if n == 1 else 'ies'} now?\n\n"
                          + "\n".join(lines) + f"\n\n{where}", parent=self)
        box.setObjectName("confirmSend")
        box.setTextFormat(Qt.TextFormat.PlainText)  # customers' names are never markup
        send = box.addButton(f"Send {n} now", QMessageBox.ButtonRole.AcceptRole)
        send.setObjectName("confirmSendButton")
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(send)
        box.setEscapeButton(cancel)  # Esc never sends
        ids = [r.id for r in approved]

        def answered(_result: int) -> None:
            self.confirm_box = None
            if box.clickedButton() is send:
                self._send(ids)

        box.finished.connect(answered)
        self.confirm_box = box
        box.open()

    def _send(self, ids: list[ReplyId]) -> None:
        """Send the outbox. In the demo workspace the built-in accounts 'send' locally."""
        if not self._demo:
            self.sender_requested.emit()
            return

        def send(store: Store) -> Changes:
            changes = Changes()
            # Only what the user saw in the confirmation (approved meanwhile waits).
            for reply in store.replies([ReplyState.APPROVED]):
                if reply.id not in ids:
                    continue
                changes |= store.mark_reply_sending(reply.id)
                changes |= store.mark_reply_sent(
                    reply.id, remote_id=f"demo-sent-{reply.idempotency_key}", url=None)
            return changes

        self._ops.write(send, parent=self).success(
            lambda _c: self._ops.signals.status_message.emit("Outbox sent (demo: locally).")
        ).run(initiator=self)


"""The review queue: every draft and approved reply across cases, for review on a plane."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
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
from console.core.models import Reply, ReplyState
from console.core.store import Store
from console.ui import actions
from console.ui.ops import Ops

STATE_LABELS = {ReplyState.DRAFT: "Draft", ReplyState.APPROVED: "Approved (outbox)",
                ReplyState.SENDING: "Sending…", ReplyState.FAILED: "Failed",
                ReplyState.SENT: "Sent"}


def check_reply(store: Store, reply: Reply, body: str, data_dir: Path | None
                ) -> list[voice.Finding]:
    """The same voice check the composer runs, for a reply in the queue."""
    detail = store.case_detail(reply.case_id)
    account = store.account(reply.account_id)
    profile = replying.profile_for(account, replying.load_profiles(data_dir))
    context = replying.check_context(
        detail=detail, account=account, template_body=reply.template_body,
        brand=replying.brand_allowlists(store.get_setting),
        initials=store.get_setting("user.initials") or None)
    return voice.check(body, profile, context=context)


class ReviewQueue(QDialog):
    """Drafts and approved replies across all cases.

    Signals:
        open_case(int): the user wants to see this case in the main window.
        sender_requested(): send the outbox through the real connectors.
    """

    open_case = Signal(int)
    sender_requested = Signal()

    def __init__(self, ops: Ops, *, data_dir: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._data_dir = data_dir
        self._replies: list[Reply] = []
        self._undo: list[dict[str, Any]] = []
        self._demo = False
        self.setObjectName("reviewQueue")
        self.setWindowTitle("Review queue")
        self.resize(980, 560)

        self.table = QTreeWidget()
        self.table.setObjectName("reviewTable")
        self.table.setAccessibleName("Replies waiting for review or sending")
        self.table.setRootIsDecorated(False)
        self.table.header().setAccessibleName("Columns")
        self.table.setHeaderLabels(["Case", "Customer", "From", "State", "Findings", "Reply"])
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.currentItemChanged.connect(self._selected)
        self.table.itemActivated.connect(lambda *_: self._open_case())
        for col, width in ((0, 55), (1, 130), (2, 170), (3, 120), (4, 70)):
            self.table.setColumnWidth(col, width)

        self.editor = QPlainTextEdit()
        self.editor.setObjectName("reviewEditor")
        self.editor.setAccessibleName("Reply text")
        self.findings = QLabel()
        self.findings.setObjectName("reviewFindings")
        self.findings.setTextFormat(Qt.TextFormat.PlainText)
        self.findings.setWordWrap(True)
        self.info = QLabel()
        self.info.setTextFormat(Qt.TextFormat.PlainText)
        self.info.setObjectName("reviewInfo")

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
        self.send_button = button("Send approved now", "sendButton", self._send_all,
                                  "Send every approved reply")
        self.undo_button.setEnabled(False)

        buttons = QHBoxLayout()
        for b in (self.save_button, self.approve_button, self.back_button, self.delete_button,
                  self.undo_button, self.open_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.send_button)

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.info)
        rl.addWidget(self.editor, 1)
        rl.addWidget(self.findings)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(right)
        splitter.setSizes([260, 260])
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
        def load(store: Store) -> tuple[list[Reply], bool]:
            return store.replies(), bool(store.get_setting("workspace.demo"))

        self._ops.query(load, parent=self).success(self._loaded).run()

    def _loaded(self, result: tuple[list[Reply], bool]) -> None:
        replies, demo = result
        self._demo = demo
        self.send_button.setText("Send approved now (demo: local)" if demo
                                 else "Send approved now")
        selected = self.current_reply()
        self._replies = replies
        self.table.clear()
        for reply in replies:
            errors = sum(1 for f in reply.findings if f.get("severity") == "error")
            findings = f"{len(reply.findings)}" + (f" ({errors} errors)" if errors else "")
            item = QTreeWidgetItem([f"#{reply.case_id}", reply.contact_name,
                                    reply.account_handle, STATE_LABELS[reply.state],
                                    findings if reply.state != ReplyState.DRAFT else "",
                                    " ".join(reply.body.split())[:120]])
            item.setData(0, Qt.ItemDataRole.UserRole, reply.id)
            self.table.addTopLevelItem(item)
            if selected is not None and reply.id == selected.id:
                self.table.setCurrentItem(item)
        drafts = sum(1 for r in replies if r.state == ReplyState.DRAFT)
        approved = sum(1 for r in replies if r.state == ReplyState.APPROVED)
        failed = sum(1 for r in replies if r.state == ReplyState.FAILED)
        self.summary.setText(f"{drafts} draft(s) · {approved} approved in the outbox"
                             + (f" · {failed} failed" if failed else ""))
        if self.table.currentItem() is None and self.table.topLevelItemCount():
            self.table.setCurrentItem(self.table.topLevelItem(0))
        if not replies:
            self._selected(None, None)

    def _changes_applied(self, changes: Changes, _initiator: object) -> None:
        if changes.replies and self.isVisible():
            self.refresh()

    def current_reply(self) -> Reply | None:
        item = self.table.currentItem()
        if item is None:
            return None
        reply_id = item.data(0, Qt.ItemDataRole.UserRole)
        return next((r for r in self._replies if r.id == reply_id), None)

    def _selected(self, item: QTreeWidgetItem | None, _prev: QTreeWidgetItem | None) -> None:
        reply = self.current_reply()
        editable = reply is not None and reply.state in (ReplyState.DRAFT, ReplyState.FAILED)
        self.editor.setReadOnly(not editable)
        self.editor.setPlainText(reply.body if reply else "")
        self.save_button.setEnabled(editable)
        self.approve_button.setEnabled(editable)
        self.back_button.setEnabled(reply is not None and reply.state in (
            ReplyState.APPROVED, ReplyState.FAILED))
        self.delete_button.setEnabled(reply is not None and reply.state not in (
            ReplyState.SENDING, ReplyState.SENT))
        self.open_button.setEnabled(reply is not None)
        if reply is None:
            self.info.setText("Nothing to review.")
            self.findings.setText("")
            return
        self.info.setText(f"Case #{reply.case_id} · {reply.contact_name} · from "
                          f"{reply.account_handle} · {STATE_LABELS[reply.state]}"
                          + (f" · {reply.error}" if reply.error else ""))
        lines = [f"{f.get('severity')}: {f.get('message')}" for f in reply.findings]
        if reply.override_reason:
            lines.append(f"Override: {reply.override_reason}")
        self.findings.setText("\n".join(lines) if reply.state != ReplyState.DRAFT else
                              "Findings are checked when you approve.")

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
        body = self.editor.toPlainText()
        data_dir = self._data_dir

        def check(store: Store) -> list[voice.Finding]:
            return check_reply(store, reply, body, data_dir)

        def checked(findings: list[voice.Finding]) -> None:
            errors = [f for f in findings if f.blocks]
            reason = None
            if errors:
                reason, ok = QInputDialog.getText(
                    self, "Override the voice check",
                    f"{len(errors)} error(s) block this reply:\n"
                    + "\n".join(f"• {f.message}" for f in errors[:5])
                    + "\n\nTo approve it anyway, give a reason (it goes into the case timeline):")
                if not ok or not reason.strip():
                    self.findings.setText("\n".join(f"{f.severity}: {f.message}"
                                                    for f in findings))
                    return
            dicts = [f.to_dict() for f in findings]

            def approve(store: Store) -> Changes:
                changes = store.save_draft(reply.case_id, account_id=reply.account_id,
                                           body=body, reply_id=reply.id)[1]
                return changes | store.approve_reply(reply.id, findings=dicts,
                                                     override_reason=reason)

            self._write(approve)

        self._ops.query(check, parent=self).success(checked).run()

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
        """Send the outbox. In the demo workspace the built-in accounts 'send' locally."""
        if not self._demo:
            self.sender_requested.emit()
            return

        def send(store: Store) -> Changes:
            changes = Changes()
            for reply in store.replies([ReplyState.APPROVED]):
                changes |= store.mark_reply_sending(reply.id)
                changes |= store.mark_reply_sent(
                    reply.id, remote_id=f"demo-sent-{reply.idempotency_key}", url=None)
            return changes

        self._ops.write(send, parent=self).success(
            lambda _c: self._ops.signals.status_message.emit("Outbox sent (demo: locally).")
        ).run(initiator=self)


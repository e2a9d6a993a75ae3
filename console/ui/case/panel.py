"""The case panel: one customer's messages from every account, and the case's controls."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import Any, cast

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtGui import QAction, QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.core import export, timeutil
from console.core.changes import Changes
from console.core.errors import InvalidTransitionError
from console.core.ids import CaseId
from console.core.models import (
    CaseDetail,
    CaseStatus,
    Direction,
    Message,
    Reply,
    TimelineEvent,
)
from console.core.search import SearchQuery, match_spans, parse_query
from console.core.store import TRANSITIONS, Store
from console.ui import actions
from console.ui.case.composer import Composer
from console.ui.case.mood import MoodTrend, trend_text
from console.ui.case.same_person import SamePersonBox
from console.ui.inbox.model import SENTIMENT_GLYPHS, sentiment_label
from console.ui.ops import Ops, show_error

PLATFORM_NAMES = {"mastodon": "Mastodon", "bluesky": "Bluesky", "x": "X", "demo": "Demo"}


def plain_label(text: str = "", *, name: str = "", wrap: bool = False) -> QLabel:
    """A label that never interprets its text as markup."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    label.setWordWrap(wrap)
    if name:
        label.setObjectName(name)
    return label


def snooze_time(spec: dt.timedelta | str, now: dt.datetime | None = None) -> dt.datetime:
    """When a snooze choice ends, in local time."""
    now = (now or dt.datetime.now().astimezone())
    if isinstance(spec, dt.timedelta):
        return now + spec
    nine = now.replace(hour=9, minute=0, second=0, microsecond=0)
    if spec == "tomorrow":
        return nine + dt.timedelta(days=1)
    days = (7 - now.weekday()) % 7 or 7  # next Monday, a week on if today is Monday
    return nine + dt.timedelta(days=days)


def when(value: Any) -> str:
    return value.astimezone().strftime("%a %d %b %H:%M") if value else "–"


# A marker colour that reads in the light and the dark theme alike (dark text on yellow).
MATCH_STYLE = "background-color: #ffe066; color: #1a1a1a;"


def highlighted_html(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` as rich text with ``spans`` marked; every character of it is escaped.

    The customer's words are never read as markup: tags, entities and quotes in them
    come out literally, only the marker spans are ours.
    """
    parts = []
    pos = 0
    for start, end in spans:
        parts.append(html.escape(text[pos:start]))
        parts.append(f'<span style="{MATCH_STYLE}">{html.escape(text[start:end])}</span>')
        pos = end
    parts.append(html.escape(text[pos:]))
    # pre-wrap keeps the customer's spaces and line breaks as the plain label shows them.
    return f'<span style="white-space: pre-wrap;">{"".join(parts)}</span>'


#: The issue's text as the store has it (a different item text means: renamed here).
ISSUE_TEXT_ROLE = Qt.ItemDataRole.UserRole + 1

class MessageBubble(QFrame):
    """One message, inbound or outbound, as plain text (search matches marked)."""

    def __init__(self, message: Message, parent: QWidget | None = None, *,
                 highlight: SearchQuery | None = None) -> None:
        super().__init__(parent)
        outbound = message.direction is Direction.OUTBOUND
        self.setObjectName("bubble")
        self.setProperty("direction", "out" if outbound else "in")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 8)
        layout.setSpacing(2)
        who = message.author_name or message.author_handle
        if outbound:
            meta = f"{who} via {message.account_handle}"
        else:
            meta = f"{who} ({message.author_handle}) to {message.account_handle}"
        meta += f" · {PLATFORM_NAMES.get(message.platform.value, message.platform.value)}"
        meta += f" · {message.kind.value} · {when(message.created_at)}"
        if not outbound:
            meta += f" · {SENTIMENT_GLYPHS[sentiment_label(message.sentiment)]}"
        header = plain_label(meta, name="bubbleMeta", wrap=True)
        body = plain_label(message.text, name="bubbleText", wrap=True)
        self.message = message
        self.body = body
        self.spans: list[tuple[int, int]] = []
        if highlight:
            self.set_highlight(highlight)
        body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        body.setAccessibleName("Message text")
        layout.addWidget(header)
        layout.addWidget(body)
        self.setAccessibleName(f"Message from {who}")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    def set_highlight(self, query: SearchQuery | None) -> None:
        """Mark the matches of ``query``; plain text again without one (or without a match)."""
        text = self.message.text
        self.spans = match_spans(query, text) if query else []
        if self.spans:
            self.body.setTextFormat(Qt.TextFormat.RichText)
            self.body.setText(highlighted_html(text, self.spans))
        else:
            self.body.setTextFormat(Qt.TextFormat.PlainText)
            self.body.setText(text)
        self.body.setAccessibleDescription(
            f"{len(self.spans)} search match(es)" if self.spans else "")


#: How an unsent reply's state reads in the conversation.
REPLY_STATE_TEXT = {
    "draft": "Draft (not approved yet)",
    "approved": "Approved: queued, goes out with the next sync",
    "sending": "Sending…",
    "failed": "Failed to send",
}


class ReplyBubble(QFrame):
    """A reply not sent yet, in place in the conversation, with its state."""

    def __init__(self, reply: Reply, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reply = reply
        self.setObjectName("bubble")
        self.setProperty("direction", "out")
        self.setProperty("pending", reply.state.value)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 8)
        layout.setSpacing(2)
        state = REPLY_STATE_TEXT.get(reply.state.value, reply.state.value)
        if reply.state.value in ("failed", "draft") and reply.error:
            state += f": {reply.error}"  # why it failed, or why it is held for review
        if reply.author:
            state += f" · by {reply.author}"
        meta = (f"{state} · via {reply.account_handle} · "
                f"{PLATFORM_NAMES.get(reply.platform.value, reply.platform.value)} · "
                f"{when(reply.updated_at)}")
        self.state_label = plain_label(meta, name="replyState", wrap=True)
        body = plain_label(reply.body, name="bubbleText", wrap=True)
        layout.addWidget(self.state_label)
        layout.addWidget(body)
        self.setAccessibleName(f"Reply, {REPLY_STATE_TEXT.get(reply.state.value, '')}")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)


def describe_event(event: TimelineEvent) -> str:
    """A timeline entry in words: the same wording as the exported transcripts."""
    text = export.describe_event({"kind": event.kind, "before": event.before,
                                  "after": event.after, "detail": event.detail})
    if event.kind == "message_out" and event.detail.get("url"):
        text += f": {event.detail['url']}"
    return text


class CasePanel(QWidget):
    """Shows one case and forwards the user's intent to the store through ops.

    Signals:
        case_loaded(int): the panel shows case N.
    """

    case_loaded = Signal(int)
    # The conversation's scroll area; the name hides QWidget.scroll(dx, dy), unused here.
    scroll: QScrollArea  # type: ignore[assignment]

    #: A short message for the status bar (a triage change done, undone).
    notice = Signal(str)
    #: A triage change that Ctrl+Z can take back: a label and ``fn(store)`` (the window's
    #: UndoStack runs the newest first, with links and unlinks of customers).
    undoable = Signal(str, object)

    def __init__(self, ops: Ops, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        # This window's triage changes, newest last: (case id, timeline event id).
        self._detail: CaseDetail | None = None
        self._case_id: CaseId | None = None
        self._updating = False
        self._owners: list[str] | None = None
        self._pending: list[Reply] = []
        self._open_draft_id: int | None = None
        self._highlight: SearchQuery | None = None
        self.setObjectName("casePanel")

        self.title = plain_label("", name="caseTitle", wrap=True)
        self.subtitle = plain_label("", name="caseSubtitle", wrap=True)
        self.times = plain_label("", name="caseTimes", wrap=True)
        self.same_person = SamePersonBox(ops)  # linked handles, suggestions, "Same person as…"

        self.status_box = QComboBox()
        self.status_box.setObjectName("statusBox")
        self.status_box.setAccessibleName("Case status")
        for status in CaseStatus:
            self.status_box.addItem(status.label, status.value)
        self.status_box.activated.connect(self._status_chosen)

        # Owners are picked from the team roster, never typed: a stray keystroke cannot
        # invent a teammate (the store refuses names off the roster too).
        self.owner_box = QComboBox()
        self.owner_box.setObjectName("ownerBox")
        self.owner_box.setAccessibleName("Case owner (from the team roster)")
        self.owner_box.activated.connect(lambda _i: self._assign())
        self.assign_button = QPushButton("&Assign")
        self.assign_button.setObjectName("assignButton")
        self.assign_button.setAccessibleName("Assign the case to this owner")
        self.assign_button.clicked.connect(self._assign)

        self.mood = MoodTrend()
        self.mood_label = plain_label("", name="moodLabel")
        mood_row = QHBoxLayout()
        mood_row.addWidget(self.mood_label)
        mood_row.addWidget(self.mood, 1)
        self._mood_row = mood_row

        self.snooze_button = QToolButton()
        self.snooze_button.setObjectName("snoozeButton")
        self.snooze_button.setText("Snooze")
        self.snooze_button.setAccessibleName("Snooze the case (follow up later)")
        self.snooze_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.snooze_button.setMinimumWidth(self.snooze_button.sizeHint().width() + 16)
        menu = QMenu(self.snooze_button)
        for label, delta in (("For 1 hour", dt.timedelta(hours=1)),
                             ("For 3 hours", dt.timedelta(hours=3)),
                             ("Until tomorrow 9:00", "tomorrow"),
                             ("Until Monday 9:00", "monday")):
            menu.addAction(label).triggered.connect(
                lambda _=False, d=delta: self.snooze(until=snooze_time(d)))
        menu.addAction("Until a date and time…").triggered.connect(self._snooze_pick)
        menu.addAction("Until the customer replies").triggered.connect(
            lambda: self.snooze(until_reply=True))
        menu.addSeparator()
        menu.addAction("Wake up now").triggered.connect(self.unsnooze)
        self.snooze_button.setMenu(menu)

        # Combos size to a few characters, not their longest entry: the panel must fit
        # beside the inbox in a 1024 px window.
        for box in (self.status_box, self.owner_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(7)
        controls = QHBoxLayout()
        controls.addWidget(plain_label("Status"))
        controls.addWidget(self.status_box)
        controls.addSpacing(12)
        controls.addWidget(plain_label("Owner"))
        controls.addWidget(self.owner_box, 1)
        controls.addWidget(self.assign_button)
        # Snooze sits with the mood and times (when to look again), so the controls
        # row fits a narrow panel.
        mood_row.addWidget(self.snooze_button)

        # Conversation: every message of the customer, from every account.
        self.conversation = QWidget()
        self.conversation.setObjectName("conversation")
        self.conv_layout = QVBoxLayout(self.conversation)
        self.conv_layout.setContentsMargins(8, 8, 8, 8)
        self.conv_layout.setSpacing(8)
        self.conv_layout.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.conversation)
        self.scroll.setAccessibleName("Conversation")
        self._stick_to_bottom = False
        bar = self.scroll.verticalScrollBar()
        bar.rangeChanged.connect(self._range_changed)
        bar.actionTriggered.connect(self._user_scrolled)

        # Issues checklist
        self.issues = QListWidget()
        self.issues.setObjectName("issueList")
        self.issues.setWordWrap(True)
        self.issues.setAccessibleName("Issues the customer raised")
        self.issues.itemChanged.connect(self._issue_toggled)
        # Rename (double-click, F2 or the menu) and delete, from the item's context menu;
        # both are recorded in the case timeline.
        self.issues.setEditTriggers(QListWidget.EditTrigger.DoubleClicked
                                    | QListWidget.EditTrigger.EditKeyPressed)
        self.issues.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.issue_rename_action = QAction("Rename issue", self.issues)
        self.issue_rename_action.triggered.connect(self._rename_current_issue)
        self.issue_delete_action = QAction("Delete issue", self.issues)
        self.issue_delete_action.triggered.connect(self._delete_current_issue)
        self.issues.addActions([self.issue_rename_action, self.issue_delete_action])
        self.issue_edit = QLineEdit()
        self.issue_edit.setObjectName("issueEdit")
        self.issue_edit.setPlaceholderText("Add an issue they raised (Enter)")
        self.issue_edit.setAccessibleName("New issue")
        self.issue_edit.returnPressed.connect(self._add_issue)
        issues_tab = QWidget()
        issues_tab.setObjectName("issuesBox")
        il = QVBoxLayout(issues_tab)
        il.setContentsMargins(0, 0, 0, 0)
        il.setSpacing(2)
        il.addWidget(self.issues)
        il.addWidget(self.issue_edit)

        # Notes
        self.notes = QListWidget()
        self.notes.setObjectName("noteList")
        self.notes.setWordWrap(True)
        self.notes.setAccessibleName("Notes")
        self.note_edit = QPlainTextEdit()
        self.note_edit.setObjectName("noteEdit")
        self.note_edit.setPlaceholderText("Team note (Ctrl+Enter)")
        self.note_edit.setAccessibleName("New note")
        self.note_edit.setMaximumHeight(48)
        self.note_button = QPushButton("Add &note")
        self.note_button.setObjectName("noteButton")
        self.note_button.clicked.connect(self._add_note)
        actions.install_shortcuts(self.note_edit, actions.NOTE, {"note.add": self._add_note},
                                  scope=Qt.ShortcutContext.WidgetShortcut)
        notes_tab = QWidget()
        notes_tab.setObjectName("notesBox")
        nl = QVBoxLayout(notes_tab)
        nl.setContentsMargins(0, 0, 0, 0)
        nl.setSpacing(2)
        nl.addWidget(self.notes)
        nl.addWidget(self.note_edit)
        nl.addWidget(self.note_button, 0, Qt.AlignmentFlag.AlignRight)

        # Timeline
        self.timeline = QListWidget()
        self.timeline.setObjectName("timelineList")
        self.timeline.setWordWrap(True)
        self.timeline.setAccessibleName("Case timeline")

        self.composer = Composer(ops)
        # The conversation and the timeline are the case's history: tabs over the top.
        self.tabs = QTabWidget()
        self.tabs.setObjectName("caseTabs")
        self.tabs.addTab(self.scroll, "&Conversation")
        self.tabs.addTab(self.timeline, "Timeline")

        # Issues and notes stay in view beside the conversation while the reply is written
        # below: what the customer raised, and what the team knows, never behind a tab.
        self.issues_heading = plain_label("Issues", name="sideHeading")
        self.issues_heading.setBuddy(self.issue_edit)
        self.notes_heading = plain_label("Notes", name="sideHeading")
        self.notes_heading.setBuddy(self.note_edit)
        self.side = QWidget()
        self.side.setObjectName("caseSide")
        self.side_layout = QBoxLayout(QBoxLayout.Direction.TopToBottom, self.side)
        self.side_layout.setContentsMargins(0, 0, 0, 0)
        self.side_layout.setSpacing(8)
        for heading, part in ((self.issues_heading, issues_tab),
                              (self.notes_heading, notes_tab)):
            column = QVBoxLayout()
            column.setSpacing(2)
            column.addWidget(heading)
            column.addWidget(part, 1)
            self.side_layout.addLayout(column, 1)
        # Small minimums: the whole panel must fit a 1024x640 window.
        for widget in (self.issues, self.notes):
            widget.setMinimumHeight(36)
        self.note_edit.setMinimumHeight(28)
        self.scroll.setMinimumHeight(48)
        self.composer.editor.setMinimumHeight(48)
        self.side.setMinimumWidth(140)
        self.context_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.context_splitter.setObjectName("caseContextSplitter")
        self.context_splitter.addWidget(self.tabs)
        self.context_splitter.addWidget(self.side)
        self.context_splitter.setStretchFactor(0, 3)
        self.context_splitter.setStretchFactor(1, 2)
        self.context_splitter.setCollapsible(0, False)
        self.context_splitter.setSizes([330, 200])

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("caseSplitter")
        self.splitter.addWidget(self.context_splitter)
        self.splitter.addWidget(self.composer)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setCollapsible(1, False)
        self.splitter.setSizes([400, 300])

        self.placeholder = plain_label("Select a case in the inbox to see the whole conversation.",
                                       name="placeholder", wrap=True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.body = QWidget()
        body_layout = QVBoxLayout(self.body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addWidget(self.title)
        subtitle_row = QHBoxLayout()
        subtitle_row.addWidget(self.subtitle, 1)
        subtitle_row.addWidget(self.same_person.button, 0, Qt.AlignmentFlag.AlignTop)
        body_layout.addLayout(subtitle_row)
        body_layout.addWidget(self.same_person)
        body_layout.addWidget(self.times)
        body_layout.addLayout(mood_row)
        body_layout.addLayout(controls)
        body_layout.addWidget(self.splitter, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.placeholder, 1)
        layout.addWidget(self.body, 1)
        self.body.hide()

    NARROW = 600  # px: below this the issues and notes sit in a strip under the conversation

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._reflow(event.size().width())

    def _reflow(self, width: int) -> None:
        """Wide: issues and notes in a column beside the conversation. Narrow: side by side
        in a strip between the conversation and the reply, so the messages keep the width."""
        narrow = width < self.NARROW
        orientation = Qt.Orientation.Vertical if narrow else Qt.Orientation.Horizontal
        if self.context_splitter.orientation() == orientation:
            return
        self.context_splitter.setOrientation(orientation)
        self.side_layout.setDirection(QBoxLayout.Direction.LeftToRight if narrow
                                      else QBoxLayout.Direction.TopToBottom)
        total = (self.context_splitter.height() if narrow else self.context_splitter.width())
        total = max(total, 300)
        side = int(total * (0.42 if narrow else 0.36))
        self.context_splitter.setSizes([total - side, side])

    def _range_changed(self, _low: int, high: int) -> None:
        if self._stick_to_bottom:
            self.scroll.verticalScrollBar().setValue(high)

    def _user_scrolled(self, _action: int) -> None:
        self._stick_to_bottom = False

    # ------------------------------------------------------------ loading
    def set_highlight(self, query: str | None) -> None:
        """Mark what the inbox search matched in the thread (``None``: no search)."""
        parsed = parse_query(query) if query else None
        self._highlight = parsed or None
        for bubble in self.bubbles():
            bubble.set_highlight(self._highlight)

    def bubbles(self) -> list[MessageBubble]:
        """The thread's message bubbles, oldest first."""
        items = (self.conv_layout.itemAt(i) for i in range(self.conv_layout.count()))
        return [w for item in items
                if item is not None and isinstance(w := item.widget(), MessageBubble)]

    @property
    def case_id(self) -> int | None:
        return self._case_id

    @property
    def detail(self) -> CaseDetail | None:
        return self._detail

    def show_case(self, case_id: CaseId | None) -> None:
        self._case_id = case_id
        if case_id is None:
            self._detail = None
            self.body.hide()
            self.placeholder.show()
            return
        def load(store: Store) -> tuple[CaseDetail, list[str], Reply | None, list[Reply], bool]:
            # The roster is one settings read: read it each time, so an edited team shows.
            detail = store.case_detail(case_id)
            return (detail, store.owners(), store.open_draft(case_id),
                    store.replies(case_id=CaseId(case_id)), _has_prefill(detail))

        self._ops.query(load, parent=self).success(
            lambda result: self._loaded(case_id, *result)).run()

    def _loaded(self, case_id: int, detail: CaseDetail, owners: list[str],
                draft: Reply | None = None, pending: list[Reply] | None = None,
                prefill: bool = False) -> None:
        self._owners = owners
        if case_id != self._case_id:
            return  # the user moved on
        self._detail = detail
        self._pending = pending or []
        self._open_draft_id = draft.id if draft else None
        self._updating = True
        try:
            self._fill(detail, owners)
        finally:
            self._updating = False
        self.placeholder.hide()
        self.body.show()
        self.composer.show_case(detail, draft)
        self.case_loaded.emit(case_id)
        if prefill:
            self._prefill_issues(case_id)

    def _prefill_issues(self, case_id: int) -> None:
        """Put the issues found in the customer's message in the empty checklist, through
        the store (so the timeline has them); the person edits or deletes them."""
        def add(store: Store) -> tuple[int, Changes]:
            from console.core import replying  # the voice rules load on a worker, not at start

            # Read again in the write: another window may have filled the checklist since.
            detail = store.case_detail(CaseId(case_id))
            target = replying.reply_target(detail)
            changes = Changes()
            issues = replying.prefill_issues(detail)
            for text in issues:
                changes = changes | store.add_issue(
                    CaseId(case_id), text, source_message_id=target.id if target else None)[1]
            return len(issues), changes

        def done(count: int) -> None:
            if count:
                self.notice.emit(
                    f"Case #{case_id}: {count} issue{'' if count == 1 else 's'} taken from the "
                    "customer's message into the checklist; rename or delete any that are wrong.")

        self._ops.write(add, parent=self).success(done).failure(self._failed).run(initiator=self)

    def _fill(self, detail: CaseDetail, owners: list[str]) -> None:
        case = detail.case
        self.title.setText(f"#{case.id} · {case.contact_name or case.contact_handle}")
        handles = ", ".join(f"{h} ({PLATFORM_NAMES.get(p, p)})" for p, h in detail.handles)
        self.subtitle.setText(handles)
        self.same_person.show_contact(case.contact_id)
        waited = ""
        if case.waiting_since:
            waited = " · waiting " + timeutil.humanize_duration(
                (timeutil.now() - case.waiting_since).total_seconds())
        first = detail.first_response_at
        frt = timeutil.humanize_duration((first - case.opened_at).total_seconds()) if first else "–"
        if case.snoozed_until:
            waited += f" · snoozed until {when(case.snoozed_until)}"
        self.times.setText(f"Opened {when(case.opened_at)} · first response {frt}"
                           f" · {case.message_count} message"
                           f"{'' if case.message_count == 1 else 's'}{waited}")
        self.status_box.setCurrentIndex(self.status_box.findData(case.status.value))
        allowed = TRANSITIONS[case.status] | {case.status}
        model = self.status_box.model()
        for i in range(self.status_box.count()):
            item = model.item(i)  # type: ignore[attr-defined]
            item.setEnabled(CaseStatus(self.status_box.itemData(i)) in allowed)
        self.owner_box.clear()
        for name in owners:
            self.owner_box.addItem(name, name)
        index = self.owner_box.findData(case.owner)
        if index < 0:  # an owner from before the roster (or an imported log): shown, not offered
            self.owner_box.insertItem(0, f"{case.owner} (not on the team)", None)
            index = 0
        self.owner_box.setCurrentIndex(index)

        self.mood.set_messages(detail.messages)
        self.mood_label.setText(trend_text(self.mood.values))

        # Conversation
        while self.conv_layout.count() > 1:
            item = self.conv_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        for i, message in enumerate(detail.messages):
            bubble = MessageBubble(message, highlight=self._highlight)
            self.conv_layout.insertWidget(i, bubble)
        # Unsent replies in place after the messages, with their state, so nobody answers
        # twice; the draft being typed is the composer's (skipped here while it is open).
        for reply in self._pending:
            if reply.id == self._open_draft_id:
                continue
            self.conv_layout.insertWidget(self.conv_layout.count() - 1, ReplyBubble(reply))
        # Show the newest message: follow the scroll range as the wrapped bubbles
        # find their heights, until the user scrolls or the next case loads.
        self._stick_to_bottom = True
        bar = self.scroll.verticalScrollBar()
        bar.setValue(bar.maximum())

        self.issues.clear()
        for issue in detail.checklist:
            item = QListWidgetItem(issue.text)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable
                          | Qt.ItemFlag.ItemIsEditable)
            item.setCheckState(Qt.CheckState.Checked if issue.done else Qt.CheckState.Unchecked)
            item.setData(Qt.ItemDataRole.UserRole, issue.id)
            item.setData(ISSUE_TEXT_ROLE, issue.text)
            self.issues.addItem(item)
        open_count = sum(1 for i in detail.checklist if not i.done)
        self.issues_heading.setText(f"Issues ({open_count} open of {len(detail.checklist)})"
                                    if detail.checklist else "Issues (none noted yet)")
        self.notes.clear()
        for note in detail.notes:
            self.notes.addItem(f"{note.author}, {when(note.created_at)}:\n{note.body}")
        self.notes.scrollToBottom()
        self.notes_heading.setText(f"Notes ({len(detail.notes)})" if detail.notes
                                   else "Notes (none yet)")
        self.timeline.clear()
        for event in detail.events:
            self.timeline.addItem(f"{when(event.at)}  {event.actor}: {describe_event(event)}")
        self.timeline.scrollToBottom()
        self.tabs.setTabText(1, f"Timeline ({len(detail.events)})")

    def apply_changes(self, changes: Changes, initiator: object = None) -> None:
        if initiator is self.composer and not changes.cases:
            return  # our own draft autosave: nothing on screen changes
        if self._case_id is not None and (changes.cases or changes.replies) and (
                not changes.case_ids or self._case_id in changes.case_ids):
            self.show_case(self._case_id)

    # ------------------------------------------------------------ intents
    def _write(self, fn: Any) -> None:
        self._ops.write(fn, parent=self).failure(self._failed).run(initiator=self)

    def _triage(self, fn: Any, said: str) -> None:
        """A triage change the user can undo with Ctrl+Z (the store records both)."""
        case_id = self._case_id
        if case_id is None:
            return
        waiting = self._detail is not None and self._detail.case.waiting_since is not None

        def step(store: Store) -> tuple[tuple[int, int | None, str], Changes]:
            changes = fn(store)
            return (case_id, store.last_undoable(CaseId(case_id)), said), changes

        def done(result: tuple[int, int | None, str]) -> None:
            cid, event_id, text = result
            if event_id is not None:
                self.undoable.emit(f"case #{cid} {text}", _undo_step(cid, event_id))
            if text == "resolved" and waiting:
                text = ("resolved, but the customer is still waiting for a reply "
                        "(Ctrl+Z undoes)")
            self.notice.emit(f"Case #{cid} {text}." + ("" if "Ctrl+Z" in text
                                                        else " Ctrl+Z undoes it."))

        self._ops.write(step, parent=self).success(done).failure(self._failed).run(
            initiator=self)

    def _failed(self, exc: BaseException) -> None:
        show_error(self, exc)
        self.show_case(self._case_id)  # put the controls back as the store has them

    def _status_chosen(self, index: int) -> None:
        if self._updating or self._case_id is None or self._detail is None:
            return
        status = CaseStatus(self.status_box.itemData(index))
        if status == self._detail.case.status:
            return
        case_id = self._case_id
        self._triage(lambda s: s.set_status(case_id, status), status.label.lower())

    def set_status(self, status: CaseStatus) -> None:
        """Keyboard shortcut entry point."""
        if self._case_id is None or self._detail is None:
            return
        if status not in TRANSITIONS[self._detail.case.status]:
            show_error(self, InvalidTransitionError(
                f"Case #{self._case_id} cannot go from "
                f"{self._detail.case.status.label.lower()} to {status.label.lower()}."))
            return
        case_id = self._case_id
        self._triage(lambda s: s.set_status(case_id, status), status.label.lower())

    def _assign(self) -> None:
        if self._case_id is None:
            return
        to = self.owner_box.currentData()
        if not to or self._detail is None or to == self._detail.case.owner:
            return
        case_id = self._case_id
        self._triage(lambda s: s.assign(case_id, to), f"assigned to {to}")

    def _add_note(self) -> None:
        if self._case_id is None:
            return
        body = self.note_edit.toPlainText()
        if not body.strip():
            return
        case_id = self._case_id
        self.note_edit.clear()

        def add(store: Store) -> Changes:
            return store.add_note(case_id, body)[1]

        def restore(exc: BaseException) -> None:
            self.note_edit.setPlainText(body)
            show_error(self, exc)

        self._ops.write(add, parent=self).failure(restore).run(initiator=self)

    def _add_issue(self) -> None:
        if self._case_id is None:
            return
        text = self.issue_edit.text()
        if not text.strip():
            return
        case_id = self._case_id
        self.issue_edit.clear()
        self._write(lambda s: s.add_issue(case_id, text)[1])

    def _issue_toggled(self, item: QListWidgetItem) -> None:
        if self._updating:
            return
        item_id = item.data(Qt.ItemDataRole.UserRole)
        text = item.text()
        if text != item.data(ISSUE_TEXT_ROLE):  # renamed in place
            item.setData(ISSUE_TEXT_ROLE, text)
            self._write(lambda s: s.rename_issue(item_id, text))
            return
        done = item.checkState() == Qt.CheckState.Checked
        self._write(lambda s: s.set_issue_done(item_id, done))

    def _rename_current_issue(self) -> None:
        item = self.issues.currentItem()
        if item is not None:
            self.issues.editItem(item)

    def _delete_current_issue(self) -> None:
        item = self.issues.currentItem()
        if item is None:
            return
        item_id = item.data(Qt.ItemDataRole.UserRole)
        self._write(lambda s: s.delete_issue(item_id))

    def snooze(self, *, until: dt.datetime | None = None, until_reply: bool = False) -> None:
        if self._case_id is None:
            return
        case_id = self._case_id
        self._triage(lambda s: s.snooze(case_id, until=until, until_reply=until_reply),
                     "snoozed")

    def unsnooze(self) -> None:
        if self._case_id is not None:
            case_id = self._case_id
            self._triage(lambda s: s.unsnooze(case_id), "woken up")

    def _snooze_pick(self) -> None:
        dialog = QDialog(self)
        dialog.setWindowTitle("Snooze until")
        picker = QDateTimeEdit(QDateTime.currentDateTime().addDays(1))
        picker.setCalendarPopup(True)
        picker.setAccessibleName("Follow up at")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(picker)
        layout.addWidget(buttons)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            # toPython() is typed object; a QDateTime gives a (naive, local) datetime.
            when = cast(dt.datetime, picker.dateTime().toPython()).astimezone()
            self.snooze(until=when)

    def focus_reply(self) -> None:
        self.composer.editor.setFocus()

    def focus_note(self) -> None:
        self.note_edit.setFocus()

    def show_snooze_menu(self) -> None:
        """Keyboard shortcut entry point: the Snooze button's menu, under the button."""
        if self._case_id is None:
            return
        button = self.snooze_button
        # popup(), not showMenu(): showMenu() runs a nested event loop until the menu closes.
        button.menu().popup(button.mapToGlobal(button.rect().bottomLeft()))

    def focus_owner(self) -> None:
        self.owner_box.setFocus()
        self.owner_box.showPopup()  # pick with the arrows or the first letters, Enter


def _has_prefill(detail: CaseDetail) -> bool:
    """Whether opening the case pre-fills its checklist (read on the worker: the voice
    rules it needs load there, not with the window)."""
    if detail.checklist or detail.case.waiting_since is None:
        return False  # the common case, without loading the voice rules
    from console.core import replying

    return bool(replying.prefill_issues(detail))


def _undo_step(case_id: int, event_id: int) -> Callable[[Store], Changes]:
    """The store step that takes back the triage change recorded as ``event_id``."""
    def step(store: Store) -> Changes:
        _what, changes = store.undo(CaseId(case_id), event_id)
        return changes

    return step

"""Search in the window: typed with keys, paged like the inbox, matches marked in the thread."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent, QTextDocument
from PySide6.QtWidgets import QApplication

from console.core.models import IncomingMessage, Platform
from console.core.store import Store
from console.ui.case.panel import MessageBubble
from console.ui.inbox.model import InboxModel


def shown_ids(window) -> list[int]:  # type: ignore[no-untyped-def]
    return [window.model.data(window.model.index(i, 0), InboxModel.CaseIdRole)
            for i in range(window.model.rowCount())]


def type_search(qtbot, window, query: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(window.inbox, Qt.Key.Key_Slash)  # "/" focuses the search box
    assert window.search.hasFocus()
    for ch in query:
        if ord(ch) < 0x10000:
            qtbot.keyClicks(window.search, ch)
        else:
            # Emoji come from the system's emoji picker or input method: a committed string
            # (QTest cannot synthesise a key press outside the Basic Multilingual Plane).
            event = QInputMethodEvent()
            event.setCommitString(ch)
            QApplication.sendEvent(window.search, event)
    assert window.search.text() == query
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.model.search_text == query.strip()
                    and not window.model.is_loading, timeout=10_000)


def open_case(qtbot, window, case_id: int) -> list[MessageBubble]:  # type: ignore[no-untyped-def]
    row = window.model.row_of(case_id)
    assert row >= 0
    window.inbox.setFocus()
    window.inbox.setCurrentIndex(window.model.index(row, 0))
    qtbot.waitUntil(lambda: window.case_panel.case_id == case_id
                    and window.case_panel.detail is not None
                    and window.case_panel.detail.case.id == case_id, timeout=10_000)
    return window.case_panel.bubbles()


def rendered(bubble: MessageBubble) -> str:
    """What the label shows, as plain text (rich text rendered by Qt's own parser)."""
    doc = QTextDocument()
    if bubble.body.textFormat() == Qt.TextFormat.RichText:
        doc.setHtml(bubble.body.text())
    else:
        doc.setPlainText(bubble.body.text())
    return doc.toPlainText()


def test_emoji_search_finds_and_marks_the_message(qtbot, open_session, demo_db: Path) -> None:
    session = open_session(demo_db)
    window = session.window
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=10_000)
    store = Store.open(demo_db, read_only=True)
    type_search(qtbot, window, "🙏")
    expected = [r.id for r in store.search_cases("🙏", window.model.filter)]
    assert expected and shown_ids(window) == expected
    (case_id,) = [r.id for r in store.search_cases("sale ends tonight 🙏")]
    assert case_id in expected
    bubbles = open_case(qtbot, window, case_id)
    marked = [b for b in bubbles if b.spans]
    assert marked, "the matching message is marked"
    bubble = next(b for b in marked if "sale ends tonight" in b.message.text)
    assert [bubble.message.text[a:b] for a, b in bubble.spans] == ["🙏"]
    assert bubble.body.textFormat() == Qt.TextFormat.RichText
    assert "#ffe066" in bubble.body.text()
    assert rendered(bubble) == bubble.message.text  # the words themselves are unchanged
    # Another search re-marks the open thread; Escape ends the search and the marks go.
    window.search.clear()
    type_search(qtbot, window, "sale tonight")
    qtbot.waitUntil(lambda: [bubble.message.text[a:b] for a, b in bubble.spans]
                    == ["sale", "tonight"], timeout=5_000)
    qtbot.keyClick(window.search, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.model.search_text is None, timeout=10_000)
    assert not any(b.spans for b in window.case_panel.bubbles())
    assert bubble.body.textFormat() == Qt.TextFormat.PlainText
    store.close()


def test_word_prefix_and_accents_from_the_window(qtbot, open_session, demo_db: Path) -> None:
    session = open_session(demo_db)
    window = session.window
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=10_000)
    store = Store.open(demo_db, read_only=True)
    type_search(qtbot, window, "refund")
    # "refund" finds what "refund*" finds: every word is a prefix.
    assert shown_ids(window) == [r.id for r in store.search_cases("refund*", window.model.filter)]
    assert window.model.rowCount() > 0
    store.close()


def test_markup_stays_text_when_marked(qtbot, open_session, tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    store = Store.open(path)
    store.add_account(platform="mastodon", handle="@help@kettle.example")
    evil = ("<b>bold</b> <img src=x onerror=alert(1)> <a href='http://x'>link</a> &amp; "
            "<script>\n  two  spaces 🙏")
    store.ingest([IncomingMessage(
        platform=Platform.MASTODON, account_handle="@help@kettle.example", remote_id="1",
        author_handle="@eve@x.social", author_name="Eve", text=evil,
        created_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))])
    (case,) = store.cases_page()
    store.close()
    session = open_session(path)
    window = session.window
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=10_000)
    type_search(qtbot, window, "bold img 🙏")
    (bubble,) = open_case(qtbot, window, case.id)
    assert [evil[a:b] for a, b in bubble.spans] == ["bold", "img", "🙏"]
    html = bubble.body.text()
    assert "<img" not in html and "<script>" not in html and "&lt;script&gt;" in html
    assert rendered(bubble) == evil


def test_search_results_page_like_the_inbox(qtbot, open_session, tmp_path: Path) -> None:
    path = tmp_path / "many.db"
    store = Store.open(path)
    store.add_account(platform="mastodon", handle="@help@kettle.example")
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    store.ingest(IncomingMessage(
        platform=Platform.MASTODON, account_handle="@help@kettle.example", remote_id=str(i),
        author_handle=f"@u{i}@x.social", author_name=f"U{i}",
        text=f"order {i} is late 📦" if i % 4 else f"thanks {i}",
        created_at=t0 + dt.timedelta(minutes=i)) for i in range(1200))
    expected = [r.id for r in store.search_cases("📦")]
    store.close()
    assert len(expected) == 900  # more than the old cap of 500
    session = open_session(path)
    window = session.window
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=10_000)
    type_search(qtbot, window, "📦")
    assert window.model.rowCount() < 900  # one page at a time
    assert "scroll for more" in window.status_label.text()
    for _ in range(20):
        if not window.model.has_more:
            break
        window.model.request_more()
        qtbot.waitUntil(lambda: not window.model.is_loading, timeout=10_000)
    ids = shown_ids(window)
    assert len(ids) == len(set(ids)) == 900
    assert ids == expected
    assert "900 cases matching" in window.status_label.text()

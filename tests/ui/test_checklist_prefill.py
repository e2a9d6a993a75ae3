"""Opening a case with an empty checklist pre-fills the issues found in the customer's message."""

from __future__ import annotations

from pathlib import Path

from console.core import replying
from console.core.ids import CaseId
from console.core.store import CaseFilter, Store, View


def _store(path: Path) -> Store:
    return Store.open(path, read_only=True)


def _checklist(path: Path, case_id: int) -> list[str]:
    store = _store(path)
    try:
        return [i.text for i in store.case_detail(CaseId(case_id)).checklist]
    finally:
        store.close()


def _events(path: Path, case_id: int) -> list[tuple[str, str | None]]:
    store = _store(path)
    try:
        return [(e.kind, e.after) for e in store.case_events(CaseId(case_id))]
    finally:
        store.close()


def _case_with_suggestions(path: Path, least: int) -> tuple[int, list[str], int]:
    """A case waiting for a reply whose message holds ``least`` issues, and another case."""
    store = _store(path)
    try:
        rows = store.cases_page(CaseFilter(view=View.NEEDS_REPLY), limit=200)
        for row in rows:
            found = replying.prefill_issues(store.case_detail(row.id))
            if len(found) >= least:
                other = next(r.id for r in rows if r.id != row.id)
                return row.id, found, other
    finally:
        store.close()
    raise AssertionError("the demo workspace has no such case")


def _open(qtbot, window, case_id: int) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: window.model.row_of(case_id) >= 0, timeout=10_000)
    window.inbox.setCurrentIndex(window.model.index(window.model.row_of(case_id), 0))
    qtbot.waitUntil(lambda: window.case_panel.detail is not None
                    and window.case_panel.detail.case.id == case_id, timeout=10_000)


def _shown(window) -> list[str]:  # type: ignore[no-untyped-def]
    issues = window.case_panel.issues
    return [issues.item(i).text() for i in range(issues.count())]


def test_issues_are_prefilled_and_a_deleted_one_stays_deleted(qtbot, open_session,
                                                              demo_db: Path) -> None:
    case_id, suggested, other = _case_with_suggestions(demo_db, 2)
    session = open_session(demo_db)
    window = session.window
    notices: list[str] = []
    window.case_panel.notice.connect(notices.append)
    _open(qtbot, window, case_id)
    # Pre-filled through the store: in the checklist, on screen and in the timeline.
    qtbot.waitUntil(lambda: _checklist(demo_db, case_id) == suggested
                    and _shown(window) == suggested, timeout=10_000)
    added = [after for kind, after in _events(demo_db, case_id) if kind == "issue_added"]
    assert added == suggested
    assert any("taken from the customer's message" in n for n in notices)

    # The person deletes the first suggestion; opening the case again does not bring it back.
    panel = window.case_panel
    panel.issues.setCurrentRow(0)
    panel.issue_delete_action.trigger()
    qtbot.waitUntil(lambda: _checklist(demo_db, case_id) == suggested[1:]
                    and _shown(window) == suggested[1:], timeout=10_000)
    _open(qtbot, window, other)
    _open(qtbot, window, case_id)
    qtbot.wait(300)
    assert _checklist(demo_db, case_id) == suggested[1:]

    # Every suggestion deleted: the empty checklist stays empty, after a restart too.
    for _ in suggested[1:]:
        qtbot.waitUntil(lambda: panel.issues.count() > 0, timeout=10_000)
        panel.issues.setCurrentRow(0)
        before = panel.issues.count()
        panel.issue_delete_action.trigger()
        qtbot.waitUntil(lambda before=before: panel.issues.count() == before - 1, timeout=10_000)
    qtbot.waitUntil(lambda: _checklist(demo_db, case_id) == [], timeout=10_000)
    window.close()
    session.close()
    again = open_session(demo_db).window
    _open(qtbot, again, case_id)
    qtbot.wait(300)
    assert _checklist(demo_db, case_id) == [] and _shown(again) == []
    assert [k for k, _ in _events(demo_db, case_id)].count("issue_added") == len(suggested)


def test_a_case_with_a_checklist_is_left_alone(qtbot, open_session, demo_db: Path) -> None:
    case_id, _suggested, _other = _case_with_suggestions(demo_db, 1)
    store = Store.open(demo_db)
    store.add_issue(CaseId(case_id), "Wants a gift receipt")
    store.close()
    window = open_session(demo_db).window
    _open(qtbot, window, case_id)
    qtbot.wait(300)
    assert _checklist(demo_db, case_id) == ["Wants a gift receipt"]

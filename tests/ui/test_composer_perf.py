"""What keeps typing and start-up fast still does the work: debounced checks of the
final text, findings after typing stops, the counter's style, the deferred start-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

from console.core import paths, voice
from console.core.store import Store
from console.ui.app import Session, seed_builtin_templates
from tests.ui.test_composer import negative_case, open_case

REPO = Path(__file__).resolve().parents[2]


def count_checks(monkeypatch, session) -> list[str]:  # type: ignore[no-untyped-def]
    """Every function the window hands to the compute worker from now on (by name)."""
    runner = session.runner
    submitted: list[str] = []
    real = runner.run_compute

    def spy(fn: Any, done: Any = None) -> Any:
        submitted.append(getattr(fn, "__name__", "?"))
        return real(fn, done)

    monkeypatch.setattr(runner, "run_compute", spy)
    return submitted


def test_a_burst_of_keys_is_checked_once_on_the_final_text(qtbot, open_session, demo_db,
                                                            monkeypatch):
    session = open_session(demo_db)
    composer = open_case(qtbot, session, negative_case(demo_db))
    qtbot.waitUntil(lambda: not composer._check_timer.isActive(), timeout=5_000)
    checks = count_checks(monkeypatch, session)
    before = composer.findings()
    # Keys with no pause between them (qtbot.keyClicks does not run the event loop).
    qtbot.keyClicks(composer.editor, "Please be advised we apologize for any inconvenience!!!")
    text = composer.editor.toPlainText()
    # While typing nothing was checked: the findings are still those of before.
    assert checks == []
    assert composer.findings() == before
    # Once typing stops, one check of the final text, and its findings are shown.
    expected = voice.check(text, composer.profile(), context=composer._context())
    qtbot.waitUntil(lambda: composer.findings() == expected, timeout=10_000)
    assert checks == ["check"]
    assert composer.findings_list.count() == len(expected)
    assert composer.highlighter.findings == expected
    assert {"empathy", "exclamation"} <= {f.kind for f in expected}


def test_findings_follow_the_text_after_a_pause_mid_word(qtbot, open_session, demo_db):
    session = open_session(demo_db)
    composer = open_case(qtbot, session, negative_case(demo_db))
    qtbot.keyClicks(composer.editor, "Please be advised we apologize!!!")
    qtbot.waitUntil(lambda: any(f.kind == "exclamation" for f in composer.findings()),
                    timeout=10_000)
    first = composer.findings()
    composer.editor.selectAll()
    qtbot.keyClicks(composer.editor, "Thanks for waiting, Anna")
    final = voice.check(composer.editor.toPlainText(), composer.profile(),
                        context=composer._context())
    assert final != first
    qtbot.waitUntil(lambda: composer.findings() == final, timeout=10_000)
    assert composer.highlighter.findings == final
    assert composer.findings_list.count() == len(final)


def test_the_same_findings_keep_the_list_and_its_selection(qtbot, open_session, demo_db):
    session = open_session(demo_db)
    composer = open_case(qtbot, session, negative_case(demo_db))
    qtbot.keyClicks(composer.editor, "Please be advised we apologize for any inconvenience!!!")
    qtbot.waitUntil(lambda: composer.findings_list.count() >= 2, timeout=10_000)
    composer.findings_list.setCurrentRow(1)
    item = composer.findings_list.item(1)
    shown: list[list[Any]] = []
    composer.findings_changed.connect(shown.append)
    composer.run_checks()  # the same text again (a pause mid-word, a ticked issue)
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert shown[-1] == composer.findings()
    # Not rebuilt: the user's selected finding (for Ctrl+.) stays selected.
    assert composer.findings_list.currentRow() == 1
    assert composer.findings_list.item(1) is item


def test_counter_turns_red_over_the_limit_and_back(qtbot, open_session, demo_db):
    session = open_session(demo_db)
    composer = open_case(qtbot, session, negative_case(demo_db))
    composer.editor.setPlainText("x")
    assert composer.counter.property("severity") == ""
    limit = int(composer.counter.text().split("/")[1])  # this account's platform's
    composer.editor.setPlainText("x" * (limit + 1))
    assert composer.counter.property("severity") == "error"
    composer.editor.setPlainText("x" * limit)
    assert composer.counter.text() == f"{limit} / {limit}"
    assert composer.counter.property("severity") == ""
    composer.editor.setPlainText("y" * (limit + 5))
    assert composer.counter.property("severity") == "error"


def test_start_up_work_waits_for_the_first_painted_inbox(qtbot, demo_db, tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    session = Session(demo_db, settings=settings, label="test")
    window = session.window
    qtbot.addWidget(window)
    try:
        window.show()
        window.start()
        # Nothing deferred has run yet: no composer resources, no voice modules asked for.
        assert window._deferred_started is False
        assert window.case_panel.composer.profile() is None
        # After the first paint with rows the composer gets ready, on the first case.
        qtbot.waitUntil(lambda: window._deferred_started, timeout=10_000)
        assert window.model.rowCount() > 0
        qtbot.waitUntil(lambda: window.case_panel.composer.profile() is not None,
                        timeout=10_000)
        qtbot.waitUntil(lambda: window.case_panel.detail is not None, timeout=10_000)
        assert window.case_panel.detail.case.id == window.model.case_at(0).id
        assert window.case_panel.composer.current_account() is not None
    finally:
        window.close()
        session.close()


def test_a_hidden_window_starts_everything_at_once(qtbot, demo_db, tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    session = Session(demo_db, settings=settings, label="test")
    qtbot.addWidget(session.window)
    try:
        session.window.start()  # never shown: no paint will come
        assert session.window._deferred_started is True
        qtbot.waitUntil(lambda: session.window.case_panel.composer.profile() is not None,
                        timeout=10_000)
    finally:
        session.window.close()
        session.close()


def test_builtin_templates_are_seeded_once_and_edits_kept(tmp_path):
    store = Store.open(tmp_path / "w.db")
    try:
        files = sorted(p.stem for p in paths.resource_path("templates").glob("*.toml"))
        seed_builtin_templates(store)
        assert sorted(t.slug for t in store.templates()) == files
        first = store.templates()[0]
        store.save_template(title=first.title, body="Edited by the team.",
                            template_id=first.id)
        seed_builtin_templates(store)  # every later start: nothing to add
        assert store.template(first.id).body == "Edited by the team."
        assert len(store.templates()) == len(files)
    finally:
        store.close()


def test_opening_the_window_module_loads_no_heavy_library():
    """keyring, requests, jinja2, numpy, the voice rules and the mood detector load after
    the first paint (on a worker) or on first use, never with the window's modules."""
    code = (
        "import sys\n"
        "import console.cli, console.ui.app, console.ui.main_window\n"
        "heavy = ['keyring', 'requests', 'jinja2', 'numpy', 'py3langid', 'vaderSentiment',\n"
        "         'twitter_text', 'console.core.voice', 'console.core.sentiment',\n"
        "         'console.core.replying', 'console.core.templates', 'console.ui.reports',\n"
        "         'console.ui.review', 'console.ui.pdf_export', 'importlib.metadata']\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, check=True, timeout=120)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr

"""Triage and settings from the command line: the window's rules, undo records, typed values."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from console.cli import default_scorer
from console.core import demo, paths
from console.core.store import Store

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    target = paths.workspace_path("default", base=tmp_path / "data")
    target.parent.mkdir(parents=True)
    built = demo.create_demo_workspace(tmp_path / "build", scorer=default_scorer())
    shutil.copyfile(built, target)
    return tmp_path / "data"


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, cwd=REPO, timeout=120)


def ok_json(data_dir: Path, *args: str) -> object:
    out = run(data_dir, *args, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def events(data_dir: Path, case_id: int) -> list[dict[str, object]]:
    store = Store.open(paths.workspace_path("default", base=data_dir), read_only=True)
    try:
        return [{"kind": e.kind, "before": e.before, "after": e.after}
                for e in store.case_events(case_id)]
    finally:
        store.close()


def test_triage_from_the_command_line_with_undo(data_dir: Path) -> None:
    waiting = ok_json(data_dir, "cases", "list", "--view", "needs_reply")
    case_id = waiting[0]["id"]
    # Resolving a waiting customer says so; reopening puts them back with their time.
    out = run(data_dir, "case", "status", str(case_id), "resolved")
    assert out.returncode == 0 and "still waiting" in out.stdout
    assert case_id not in [c["id"] for c in ok_json(data_dir, "cases", "list", "--view",
                                                     "needs_reply")]
    reopened = ok_json(data_dir, "case", "status", str(case_id), "open")
    assert reopened["waiting_since"] == waiting[0]["waiting_since"]
    assert case_id in [c["id"] for c in ok_json(data_dir, "cases", "list", "--view",
                                                 "needs_reply")]
    undone = ok_json(data_dir, "case", "undo", str(case_id))
    assert undone["status"] == "resolved" and undone["undone"] == "status back to resolved"
    assert events(data_dir, case_id)[-1]["kind"] == "undo"
    # Owners only from the roster.
    refused = run(data_dir, "case", "assign", str(case_id), "--to", "nts a reply to the email")
    assert refused.returncode == 1 and "not on the team" in refused.stderr
    assert ok_json(data_dir, "case", "assign", str(case_id), "--to", "tom okafor")["owner"] \
        == "Tom Okafor"
    assert ok_json(data_dir, "case", "undo", str(case_id))["owner"] == "Sam Rivera"
    # Notes and the checklist, each in the timeline.
    run(data_dir, "case", "note", str(case_id), "Rang the depot")
    for args in (("add", "refund for the lid"), ("rename", "1", "refund for the broken lid"),
                 ("tick", "1"), ("delete", "1")):
        out = run(data_dir, "case", "issue", str(case_id), *args)
        assert out.returncode == 0, out.stderr
    kinds = [e["kind"] for e in events(data_dir, case_id)][-5:]
    assert kinds == ["note", "issue_added", "issue_renamed", "issue_ticked", "issue_deleted"]
    bad = run(data_dir, "case", "issue", str(case_id), "tick", "7")
    assert bad.returncode == 1 and "no checklist items" in bad.stderr


def test_settings_list_get_set_are_typed(data_dir: Path) -> None:
    listed = ok_json(data_dir, "settings", "list")
    assert isinstance(listed, dict) and listed["team.roster"][0]["name"] == "Sam Rivera"
    assert ok_json(data_dir, "settings", "set", "sync.interval_minutes", "10") == 10
    assert run(data_dir, "settings", "get", "sync.interval_minutes").stdout == "10\n"
    assert ok_json(data_dir, "settings", "set", "brand.phones", "0800 123 4567, 020 7946 0000") \
        == ["0800 123 4567", "020 7946 0000"]
    for name, value, said in (("sync.interval_minutes", "soon", "whole number"),
                              ("team.roster", '[{"name": "A", "me": true}, '
                                              '{"name": "B", "me": true}]', "Only one"),
                              ("business.hours", "9 to 5", "JSON"),
                              ("nope", "1", "Unknown setting")):
        out = run(data_dir, "settings", "set", name, value)
        assert out.returncode == 1 and said in out.stderr, out.stderr
    roster = ok_json(data_dir, "settings", "set", "team.roster",
                     '[{"name": "Sam Rivera", "me": true}, {"name": "Ann Lee", "handle": "@ann"}]')
    assert [p["name"] for p in roster] == ["Sam Rivera", "Ann Lee"]
    case_id = ok_json(data_dir, "cases", "list")[0]["id"]
    assert run(data_dir, "case", "assign", str(case_id), "--to", "Priya Nair").returncode == 1


def test_wrong_platform_and_over_limit_replies_are_refused(data_dir: Path) -> None:
    store = Store.open(paths.workspace_path("default", base=data_dir), read_only=True)
    try:
        case_id = 58
        default, choices = store.reply_accounts(case_id)
        other = next(a for a in store.accounts() if a.platform != default.platform)
        bluesky_case = next(r.id for r in store.cases_page(limit=500)
                            if store.reply_accounts(r.id)[0] is not None
                            and store.reply_accounts(r.id)[0].platform.value == "bluesky")
    finally:
        store.close()
    out = run(data_dir, "reply", str(case_id), "--account", other.handle, "--text",
              "Hello, on it. ^SR", "--approve")
    assert out.returncode == 1 and "cannot answer" in out.stderr
    long = "We are so sorry about this. " * 12  # 336 graphemes: over Bluesky's 300
    out = run(data_dir, "reply", str(bluesky_case), "--text", long, "--approve", "--override",
              "the customer wants detail")
    assert out.returncode == 1 and "cannot be overridden" in out.stderr
    assert ok_json(data_dir, "outbox", "list") == []

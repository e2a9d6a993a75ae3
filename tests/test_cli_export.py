"""``community-console export | import | report``: as a user runs them, on real workspaces.

The subprocess tests run ``python -m console`` and need ``console/cli.py`` to call
``console.cli_export`` (two lines); the in-process tests drive the same module
through a parser of their own.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from console import cli_export
from console.cli import default_scorer
from console.core import demo, paths, reports, timeutil
from console.core.store import Store

REPO = Path(__file__).resolve().parent.parent


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=180, env=env)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("data")
    target = paths.workspace_path("default", base=base)
    target.parent.mkdir(parents=True)
    built = demo.create_demo_workspace(tmp_path_factory.mktemp("build"), scorer=default_scorer())
    shutil.copyfile(built, target)
    return base


def workspace(base: Path) -> Store:
    return Store.open(paths.workspace_path("default", base=base), read_only=True)


# -------------------------------------------------------------- in-process
def parser() -> argparse.ArgumentParser:
    """The top-level options of console/cli.py, with only this module's commands."""
    p = argparse.ArgumentParser(prog="community-console")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--data-dir")
    where.add_argument("--demo", action="store_true")
    p.add_argument("--workspace", default="default")
    cli_export.add_parsers(p.add_subparsers(dest="command"))
    return p


def run(*argv: str) -> tuple[int | None, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli_export.run(parser().parse_args(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_other_commands_are_not_ours() -> None:
    assert cli_export.run(argparse.Namespace(command="cases"), io.StringIO(),
                          io.StringIO()) is None


def test_in_process_export_import_report(data_dir: Path, tmp_path: Path) -> None:
    log = tmp_path / "all.json"
    code, out, err = run("--data-dir", str(data_dir), "export", "--all", "--out", str(log))
    assert (code, err) == (0, "") and "Exported" in out
    colleague = tmp_path / "colleague"
    code, out, err = run("--data-dir", str(colleague), "import", str(log), "--json")
    assert code == 0, err
    store = workspace(data_dir)
    try:
        assert len(json.loads(out)["cases_created"]) == store.case_count()
    finally:
        store.close()
    code, out, err = run("--data-dir", str(colleague), "import", str(log))
    assert code == 0 and out.startswith("Nothing to import"), err

    def report(base: Path) -> dict[str, object]:
        code, out, err = run("--data-dir", str(base), "report", "--since", "2020-01-01",
                             "--until", "2040-01-01", "--json")
        assert code == 0, err
        data = json.loads(out)
        for row in data["accounts"] + data["volume"] + data["mood"]:
            row.pop("account_id")
        return {k: data[k] for k in ("accounts", "volume", "platform_volume", "mood")}

    # The colleague's workspace gives the same figures as the original.
    assert report(colleague) == report(data_dir)


def test_in_process_errors(data_dir: Path, tmp_path: Path) -> None:
    code, out, err = run("--data-dir", str(data_dir), "export", "--out", str(tmp_path / "x"))
    assert code == 1 and out == "" and "Say which cases" in err
    code, _, err = run("--data-dir", str(data_dir), "export", "--since", "last tuesday",
                       "--out", str(tmp_path / "x"))
    assert code == 1 and "not a date" in err
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something"}')
    code, _, err = run("--data-dir", str(tmp_path / "new"), "import", str(bad))
    assert code == 1 and "not a Community Console case log" in err
    assert not paths.workspace_path("default", base=tmp_path / "new").exists()
    code, _, err = run("--data-dir", str(data_dir), "report", "--since", "2026-02-01",
                       "--until", "2026-01-01")
    assert code == 1 and "must end after it starts" in err


# -------------------------------------------------------------- subprocess
def test_export_json_then_import_twice(data_dir: Path, tmp_path: Path) -> None:
    log = tmp_path / "log.json"
    out = cli("--data-dir", str(data_dir), "export", "--format", "json", "--all",
              "--out", str(log), "--json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    with_store = workspace(data_dir)
    try:
        assert summary["cases"] == with_store.case_count()
        assert summary["messages"] == with_store.message_count()
    finally:
        with_store.close()
    data = json.loads(log.read_text(encoding="utf-8"))
    assert data["format"] == "community-console.case-log" and len(data["cases"]) == \
        summary["cases"]

    colleague = tmp_path / "colleague"
    first = cli("--data-dir", str(colleague), "import", str(log))
    assert first.returncode == 0, first.stderr
    assert f"{summary['cases']} case(s) added" in first.stdout
    second = cli("--data-dir", str(colleague), "import", str(log), "--json")
    assert second.returncode == 0, second.stderr
    result = json.loads(second.stdout)
    assert result["cases_created"] == [] and result["messages_added"] == 0 \
        and result["events_added"] == 0 and result["conflicts"] == []
    listed = json.loads(cli("--data-dir", str(colleague), "cases", "list", "--json").stdout)
    assert len(listed) == summary["cases"] - 1  # the merged-away case is not listed


def test_export_csv_html_for_chosen_cases_and_dates(data_dir: Path, tmp_path: Path) -> None:
    store = workspace(data_dir)
    try:
        rows = store.cases_page(limit=3)
        ids = [str(r.id) for r in rows]
        events = sum(len(store.case_events(r.id)) for r in rows)
        messages = sum(r.message_count for r in rows)
    finally:
        store.close()
    out = cli("--data-dir", str(data_dir), "export", "--format", "csv", "--case", *ids,
              "--out", str(tmp_path / "e.csv"))
    assert out.returncode == 0, out.stderr
    with (tmp_path / "e.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == events
    out = cli("--data-dir", str(data_dir), "export", "--format", "csv-messages", "--case",
              ids[0], "--case", ids[1], "--case", ids[2], "--out", str(tmp_path / "m.csv"))
    assert out.returncode == 0, out.stderr
    with (tmp_path / "m.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == messages
    since = (timeutil.now().date()).isoformat()
    out = cli("--data-dir", str(data_dir), "export", "--format", "html", "--since", since,
              "--out", str(tmp_path / "t.html"))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "t.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    missing = cli("--data-dir", str(data_dir), "export", "--case", "999999",
                  "--out", str(tmp_path / "x.json"))
    assert missing.returncode == 1 and "no case #999999" in missing.stderr
    assert not (tmp_path / "x.json").exists()


def test_export_pdf_headless(data_dir: Path, tmp_path: Path) -> None:
    store = workspace(data_dir)
    try:
        row = store.cases_page(limit=1)[0]
        texts = [m.text for m in store.case_detail(row.id).messages]
    finally:
        store.close()
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    out = cli("--data-dir", str(data_dir), "export", "--format", "pdf", "--case", str(row.id),
              "--out", str(tmp_path / "c.pdf"), env=env)
    assert out.returncode == 0, out.stderr
    text = subprocess.run(["pdftotext", str(tmp_path / "c.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = " ".join(text.split())
    for message in texts:
        assert " ".join(message.split()) in flat


def test_report_prints_the_same_numbers(data_dir: Path) -> None:
    args = ("--since", "2020-01-01", "--until", "2040-01-01")
    out = cli("--data-dir", str(data_dir), "report", *args, "--json")
    assert out.returncode == 0, out.stderr
    printed = json.loads(out.stdout)
    store = workspace(data_dir)
    try:
        expected = reports.build_report(
            store, since=timeutil.parse_iso("2020-01-01"),
            until=timeutil.parse_iso("2040-01-01")).to_dict()
        unfinished = sum(1 for r in store.cases_page(limit=1000)
                         if r.status.value in ("new", "open", "waiting"))
    finally:
        store.close()
    for key in ("accounts", "volume", "platform_volume", "mood", "since", "until"):
        assert printed[key] == expected[key], key
    assert sum(sum(v) for v in printed["backlog"]["by_status"].values()) == unfinished
    text = cli("--data-dir", str(data_dir), "report", *args)
    assert text.returncode == 0 and "Backlog by status and age" in text.stdout
    assert printed["accounts"][0]["handle"] in text.stdout

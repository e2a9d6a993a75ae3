"""The headless command line, run as a user runs it (a subprocess on a real workspace)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from console import __version__
from console.cli import default_scorer
from console.core import demo, paths
from console.core.store import Store

REPO = Path(__file__).resolve().parent.parent


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console", *args], capture_output=True,
                          text=True, cwd=cwd or REPO, timeout=120)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("data")
    target = paths.workspace_path("default", base=base)
    target.parent.mkdir(parents=True)
    built = demo.create_demo_workspace(tmp_path_factory.mktemp("build"), scorer=default_scorer())
    shutil.copyfile(built, target)
    return base


def test_version() -> None:
    out = cli("--version")
    assert out.returncode == 0
    assert out.stdout.strip() == f"community-console {__version__}"


def test_cases_list_json(data_dir: Path) -> None:
    out = cli("--data-dir", str(data_dir), "cases", "list", "--json")
    assert out.returncode == 0, out.stderr
    cases = json.loads(out.stdout)
    assert len(cases) >= 60
    for key in ("id", "status", "owner", "contact", "accounts", "opened_at",
                "first_response_at", "resolved_at"):
        assert key in cases[0]
    resolved = [c for c in cases if c["status"] == "resolved"]
    assert resolved and all(c["resolved_at"] and c["first_response_at"] for c in resolved)
    store = Store.open(paths.workspace_path("default", base=data_dir), read_only=True)
    assert [c["id"] for c in cases] == [r.id for r in store.cases_page(limit=1000)]


def test_cases_list_filters(data_dir: Path) -> None:
    out = cli("--data-dir", str(data_dir), "cases", "list", "--status", "waiting", "--json")
    waiting = json.loads(out.stdout)
    assert waiting and {c["status"] for c in waiting} == {"waiting"}
    out = cli("--data-dir", str(data_dir), "cases", "list", "--owner", "Priya Nair", "--json")
    assert {c["owner"] for c in json.loads(out.stdout)} == {"Priya Nair"}
    store = Store.open(paths.workspace_path("default", base=data_dir), read_only=True)
    handle = store.accounts()[0].handle
    out = cli("--data-dir", str(data_dir), "cases", "list", "--account", handle, "--json")
    assert all(handle in c["accounts"] for c in json.loads(out.stdout))
    out = cli("--data-dir", str(data_dir), "cases", "list")
    assert out.returncode == 0 and "case(s)" in out.stdout


def test_case_show_json_has_timeline(data_dir: Path) -> None:
    listed = json.loads(cli("--data-dir", str(data_dir), "cases", "list", "--json").stdout)
    case_id = next(c["id"] for c in listed if c["status"] == "resolved")
    out = cli("--data-dir", str(data_dir), "case", "show", str(case_id), "--json")
    assert out.returncode == 0, out.stderr
    case = json.loads(out.stdout)
    kinds = [e["kind"] for e in case["timeline"]]
    assert kinds[0] == "opened" and "message_out" in kinds and "status" in kinds
    assert case["messages"] and case["id"] == case_id
    text = cli("--data-dir", str(data_dir), "case", "show", str(case_id))
    assert text.returncode == 0 and f"Case #{case_id}" in text.stdout


@pytest.mark.parametrize("query", ['refund', '"refund', 'AND OR', 'NEAR(x', '*', "'"])
def test_search_with_stray_quotes(data_dir: Path, query: str) -> None:
    out = cli("--data-dir", str(data_dir), "search", query, "--json")
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)
    if query.strip("\"'") == "refund":
        assert hits and all("refund" in h["text"].lower() for h in hits)


def search_json(data_dir: Path, *args: str) -> list[dict]:  # type: ignore[type-arg]
    out = cli("--data-dir", str(data_dir), "search", *args, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_search_finds_what_the_inbox_shows(data_dir: Path) -> None:
    # The demo inbox shows "bumping this, sale ends tonight 🙏": the emoji finds it.
    texts = [h["text"] for h in search_json(data_dir, "🙏")]
    assert "bumping this, sale ends tonight 🙏" in texts
    assert all("🙏" in t for t in texts)
    # Words match by prefix: "refund" finds what "refund*" finds (refunded, refunds...).
    plain = search_json(data_dir, "refund", "--all")
    assert plain == search_json(data_dir, "refund*", "--all")
    assert any("refunded" in h["text"].lower() or "refunds" in h["text"].lower() for h in plain)
    # Accents either way.
    assert search_json(data_dir, "cafe", "--all") == search_json(data_dir, "café", "--all")


def test_search_pages_without_gaps_or_repeats(data_dir: Path) -> None:
    every = search_json(data_dir, "the", "--all")
    assert len(every) > 60
    seen: list[int] = []
    before: list[str] = []
    for _ in range(50):  # bounded: a cursor that repeats fails instead of hanging
        page = search_json(data_dir, "the", "--limit", "25", *before)
        if not page:
            break
        seen += [h["message_id"] for h in page]
        before = ["--before", str(page[-1]["message_id"])]
    assert seen == [h["message_id"] for h in every]
    assert len(seen) == len(set(seen))
    text = cli("--data-dir", str(data_dir), "search", "the", "--limit", "25")
    assert "more with --before" in text.stdout


def test_errors_go_to_stderr_with_nonzero_exit(data_dir: Path, tmp_path: Path) -> None:
    out = cli("--data-dir", str(data_dir), "case", "show", "999999")
    assert out.returncode == 1
    assert out.stdout == ""
    assert "no case #999999" in out.stderr
    missing = cli("--data-dir", str(tmp_path / "nothing"), "cases", "list")
    assert missing.returncode == 1 and "--demo" in missing.stderr
    bad = tmp_path / "bad" / "workspaces"
    bad.mkdir(parents=True)
    (bad / "default.db").write_text("not a database")
    corrupt = cli("--data-dir", str(tmp_path / "bad"), "cases", "list")
    assert corrupt.returncode == 1 and "untouched" in corrupt.stderr
    assert (bad / "default.db").read_text() == "not a database"


def test_demo_runs_on_a_throwaway_copy() -> None:
    out = cli("--demo", "cases", "list", "--view", "needs_reply", "--json")
    assert out.returncode == 0, out.stderr
    cases = json.loads(out.stdout)
    assert cases and all(c["first_response_at"] is None or c["status"] == "open" for c in cases)


def voice_check(text: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console", "voice-check", *args], input=text,
                          capture_output=True, text=True, cwd=REPO, timeout=120)


def test_voice_check_exit_codes_and_json() -> None:
    bad = voice_check("We apologize for any inconvenience!!! Email sam@gmail.com LOL",
                      "--profile", "prestige", "--reply-to", "Broken on arrival. Furious.",
                      "--json")
    assert bad.returncode == 1, bad.stderr
    findings = json.loads(bad.stdout)
    assert {"exclamation", "private-data", "slang"} <= {f["kind"] for f in findings}
    for f in findings:
        assert set(f) == {"kind", "rule", "severity", "start", "end", "message", "fix"}
    text = "We apologize for any inconvenience!!! Email sam@gmail.com LOL"
    email = next(f for f in findings if f["kind"] == "private-data")
    assert text[email["start"]:email["end"]] == "sam@gmail.com"
    good = voice_check("Thank you, Ann. I have asked our workshop to replace it today.\n"
                       "— SR", "--profile", "prestige", "--platform",
                       "bluesky", "--initials", "SR")
    assert good.returncode == 0, good.stdout


def test_voice_check_stock_answer_and_unknown_profile() -> None:
    listed = json.loads(cli("templates", "list", "--json").stdout)
    assert len(listed) >= 25
    thanks = next(t for t in listed if t["id"] == "thanks-praise")
    body = thanks["body"].replace("{{ customer_name }}", "Ann").replace(
        "{{ agent_initials }}", "SR").replace("{{ brand_name }}", "Kettle & Crumb").replace(
        "{{ agent_name }}", "Sam")
    out = voice_check(body, "--profile", "playful", "--template", "thanks-praise", "--json")
    assert "stock-answer" in {f["kind"] for f in json.loads(out.stdout)}
    missing = voice_check("hi", "--profile", "nope")
    assert missing.returncode == 1 and "no voice profile 'nope'" in missing.stderr
    profiles = json.loads(cli("profiles", "list", "--json").stdout)
    assert {p["name"] for p in profiles} >= {"prestige", "playful"}


# --- headless start: init, and --demo under --data-dir ---------------------------------------


def test_init_creates_an_empty_workspace_then_refuses_to_overwrite_it(tmp_path: Path) -> None:
    data = tmp_path / "cc"
    path = paths.workspace_path("shop", base=data)
    before = cli("--data-dir", str(data), "--workspace", "shop", "cases", "list")
    assert before.returncode == 1 and "community-console init" in before.stderr

    made = cli("--data-dir", str(data), "--workspace", "shop", "init")
    assert made.returncode == 0, made.stderr
    assert str(path) in made.stdout and path.exists()
    store = Store.open(path, read_only=True)
    try:
        assert store.accounts() == [] and store.cases_page(limit=10) == []
    finally:
        store.close()
    listed = cli("--data-dir", str(data), "--workspace", "shop", "cases", "list", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout) == []

    # A workspace with history is never overwritten, whatever its content.
    store = Store.open(path)
    store.set_setting("user.name", "Sam")
    store.close()
    content = path.read_bytes()
    again = cli("--data-dir", str(data), "--workspace", "shop", "init")
    assert again.returncode == 1 and again.stdout == ""
    assert "already a workspace" in again.stderr and "never overwrites" in again.stderr
    assert path.read_bytes() == content
    # Another name in the same folder is fine.
    assert cli("--data-dir", str(data), "--workspace", "other", "init").returncode == 0


def test_init_refuses_demo() -> None:
    out = cli("--demo", "init")
    assert out.returncode == 1 and "--demo" in out.stderr


def test_demo_copy_goes_under_data_dir_and_is_removed(tmp_path: Path) -> None:
    from console.cli import create_demo_copy

    data = tmp_path / "big-disk"
    path = create_demo_copy(data)
    assert path.parent.parent == data and path.exists()
    shutil.rmtree(path.parent)

    data.mkdir(exist_ok=True)
    (data / "keep.txt").write_text("the user's")
    stamp = data.stat().st_mtime_ns
    out = cli("--demo", "--data-dir", str(data), "cases", "list", "--json")
    assert out.returncode == 0, out.stderr
    assert len(json.loads(out.stdout)) >= 60
    # The copy was made in DIR (its folder came and went: DIR changed) and removed at exit.
    assert data.stat().st_mtime_ns != stamp
    assert sorted(p.name for p in data.iterdir()) == ["keep.txt"]

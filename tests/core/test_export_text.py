"""Export wording and structure: timeline entries in words, transcript facts, HTML, errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from console.core import export
from console.core.errors import KnownError
from console.core.export import ExportContext, Selection
from console.core.models import CaseStatus
from console.core.store import CaseFilter, Store
from tests.conftest import T0, msg


def event(kind: str, before: str | None = None, after: str | None = None,
          **detail: Any) -> dict[str, Any]:
    return {"kind": kind, "before": before, "after": after, "detail": detail}


@pytest.mark.parametrize(("entry", "words"), [
    (event("opened"), "Case opened"),
    (event("opened", owner="Sam"), "Case opened (owner Sam)"),
    (event("message_in"), "Customer message received"),
    (event("message_out"), "Reply sent"),
    (event("status", "new", "resolved"), "Status new → resolved"),
    (event("status", "open", "waiting", reason="asked for a photo"),
     "Status open → waiting on customer (asked for a photo)"),
    (event("status", "odd", "open"), "Status odd → open"),
    (event("assign", "Sam", "Bea"), "Owner Sam → Bea"),
    (event("note", after="Called back"), "Note: Called back"),
    (event("issue_added", after="lid loose"), "Issue added: lid loose"),
    (event("issue_ticked", text="lid loose"), "Issue answered: lid loose"),
    (event("issue_ticked"), "Issue answered: "),
    (event("issue_unticked", text="lid loose"), "Issue reopened: lid loose"),
    (event("merged", into_case=7), "Merged into case #7"),
    (event("merged", from_case=3), "Case #3 merged in"),
    (event("contact_merged", "4", "9"), "Contact #4 merged into #9"),
    (event("snoozed", after="2026-11-03"), "Snoozed until 2026-11-03"),
    (event("snoozed"), "Snoozed"),
    (event("snooze_ended"), "Snooze ended"),
    (event("snooze_ended", reason="customer replied"), "Snooze ended (customer replied)"),
    (event("followup_due"), "Follow-up due"),
    (event("import_conflict", "Dee", "Carl", field="owner"),
     "Import conflict on owner: kept 'Dee', the imported log had 'Carl'"),
    (event("import_conflict", "a", "b"),
     "Import conflict on ?: kept 'a', the imported log had 'b'"),
    (event("reply_failed", after="Too long"), "Reply failed: Too long"),
    (event("reply_drafted"), "Reply drafted"),
])
def test_timeline_entries_in_words(entry: dict[str, Any], words: str) -> None:
    assert export.describe_event(entry) == words


def test_times_and_labels() -> None:
    assert export.iso(None) is None and export.iso(0) == "1970-01-01T00:00:00Z"
    assert export.readable_time(None) == "—"
    assert export.readable_time(86400 + 61) == "1970-01-02 00:01 UTC"
    ctx = ExportContext(
        accounts={1: {"handle": "@help@kettle.example", "platform": "mastodon"},
                  2: {"handle": "h.example", "platform": "gopher"}},
        contacts={1: {"display_name": "Ann", "handles": [], "merged_into": 2},
                  2: {"display_name": "Ann B", "handles": [{"handle": "@ann@x"}],
                      "merged_into": None},
                  3: {"display_name": "Loop", "handles": [], "merged_into": 3}})
    assert ctx.account_label(1) == "@help@kettle.example (Mastodon)"
    assert ctx.account_label(2) == "h.example (gopher)"
    for platform, name in (("bluesky", "Bluesky"), ("x", "X"), ("demo", "Demo")):
        ctx.accounts[3] = {"handle": "h", "platform": platform}
        assert ctx.account_label(3) == f"h ({name})"
    assert ctx.account_label(5) == "account #5" and ctx.account_label(None) == ""
    assert ctx.contact_name(1) == "Ann" and ctx.contact_name(None) == ""
    assert ctx.contact_handles(1) == ["@ann@x"]  # a merged contact shows its survivor's
    assert ctx.contact_handles(3) == [] and ctx.contact_handles(None) == []


@pytest.fixture
def case(store: Store) -> tuple[Store, int]:
    store.ingest([msg("@ann@example.social", "My kettle leaks", at=T0, name="Ann")])
    case_id = store.current_case_of(store.contact_of_handle("mastodon", "@ann@example.social"))
    account = store.case_detail(case_id).messages[0].account_id
    store.add_issue(case_id, "kettle leaks", at=T0 + dt.timedelta(minutes=1))
    store.add_issue(case_id, "lid loose", at=T0 + dt.timedelta(minutes=1))
    store.record_outbound(case_id, account_id=account, text="Sorry! A new one is coming.",
                          remote_id="out-1", url="https://kettle.example/@help/1",
                          at=T0 + dt.timedelta(minutes=30), actor="Bea")
    item = store.case_detail(case_id).checklist[0].id
    store.set_issue_done(item, True, at=T0 + dt.timedelta(minutes=31))
    store.set_status(case_id, CaseStatus.RESOLVED, at=T0 + dt.timedelta(hours=1))
    return store, case_id


def test_the_transcript_of_a_case(case: tuple[Store, int]) -> None:
    store, case_id = case
    ctx = export.context(store, [case_id], now=T0)
    (batch,) = store.export_cases([case_id])
    t = export.transcript(batch[0], ctx)
    assert t.title == f"Case #{case_id} · Ann"
    assert dict(t.facts) == {
        "Customer": "Ann (@ann@example.social)", "Status": "Resolved", "Owner": "Sam",
        "Accounts": "@help@kettle.example (Mastodon)", "Opened": "2026-11-02 09:00 UTC",
        "First response": "2026-11-02 09:30 UTC", "Resolved": "2026-11-02 10:00 UTC",
        "Messages": "2"}
    assert t.issues == ((True, "kettle leaks"), (False, "lid loose"))
    kinds = [(e.kind, e.heading, e.text) for e in t.entries]
    assert kinds[0][0] == "event" and kinds[0][2].startswith("Case opened")
    (inbound,) = [k for k in kinds if k[0] == "in"]
    assert inbound == ("in", "2026-11-02 09:00 UTC · Ann (@ann@example.social) → "
                       "@help@kettle.example (Mastodon) · mention", "My kettle leaks")
    (outbound,) = [k for k in kinds if k[0] == "out"]
    assert outbound == ("out", "2026-11-02 09:30 UTC · @help@kettle.example (Mastodon) "
                        "replied (Bea) · https://kettle.example/@help/1",
                        "Sorry! A new one is coming.")
    assert [e.at for e in t.entries] == sorted(e.at for e in t.entries)
    assert ("event", "2026-11-02 10:00 UTC · Sam", "Status open → resolved") in kinds

    html = export.render_case_html(t)
    assert html.startswith(f'<article class="case">\n<h1>Case #{case_id} · Ann</h1>')
    assert '<li class="done">☑ kettle leaks</li>' in html
    assert '<li class="open">☐ lid loose</li>' in html
    assert '<div class="entry in"><div class="meta">' in html
    assert '<div class="entry out">' in html and '<div class="entry event">' in html
    assert '<div class="text">My kettle leaks</div>' in html
    assert html.endswith("</article>\n")


def test_html_and_json_files(case: tuple[Store, int], tmp_path: Path) -> None:
    store, case_id = case
    now = T0 + dt.timedelta(days=1)
    summary = export.export(store, Selection(), "html", tmp_path / "a.html", now=now)
    text = (tmp_path / "a.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>\n")
    assert "<title>Case log: 1 case(s)</title>" in text
    assert "Case log: 1 case(s) · exported 2026-11-03 09:00 UTC by Sam</header>" in text
    assert text.endswith("</article>\n</body>\n</html>\n")
    assert text.count("\n<h2>Timeline</h2>\n") == 1 and text.count("\n<h2>Issues</h2>\n") == 1
    assert (summary.cases, summary.messages, summary.format) == (1, 2, "html")
    assert summary.events == len(store.case_events(case_id))
    assert summary.bytes == len(text.encode("utf-8"))

    export.export(store, Selection(), "json", tmp_path / "a.json", now=now)
    data = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    assert (data["format"], data["version"]) == ("community-console.case-log", 1)
    assert data["exported_at"] == "2026-11-03T09:00:00Z" and data["exported_by"] == "Sam"
    assert data["summary"] == {"cases": 1, "messages": 2,
                               "events": len(store.case_events(case_id))}
    (c,) = data["cases"]
    assert c["opened_at"] == "2026-11-02T09:00:00Z"
    assert [i["done_at"] for i in c["checklist"]] == ["2026-11-02T09:31:00Z", None]
    assert data["selection"] == {"all": True}


def test_what_cannot_be_exported_is_said(case: tuple[Store, int], tmp_path: Path) -> None:
    store, case_id = case
    with pytest.raises(KnownError, match="Unknown export format 'xls'"):
        export.export(store, Selection(), "xls", tmp_path / "a.xls")
    with pytest.raises(KnownError, match="PDF export needs the window"):
        export.export(store, Selection(), "pdf", tmp_path / "a.pdf")
    with pytest.raises(KnownError, match="is a folder"):
        export.export(store, Selection(), "json", tmp_path)
    with pytest.raises(KnownError, match="does not exist"):
        export.export(store, Selection(), "json", tmp_path / "no" / "a.json")
    with pytest.raises(KnownError, match="No case matches"):
        export.export(store, Selection(since=T0 + dt.timedelta(days=999)), "json",
                      tmp_path / "b.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_every_format_has_a_label_and_a_file_suffix() -> None:
    assert list(export.FORMAT_LABELS) == list(export.FORMATS)
    assert all(label for label in export.FORMAT_LABELS.values())
    assert all(suffix.startswith(".") for suffix in export.FORMATS.values())


def test_atomic_output_replaces_the_file_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "a.pdf"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with export.atomic_output(target) as part:
            part.write_text("half")
            raise RuntimeError("stopped")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["a.pdf"]
    with export.atomic_output(target) as part:
        part.write_text("new")
    assert target.read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["a.pdf"]


def test_formats_selection_and_csv_headers(case: tuple[Store, int], tmp_path: Path) -> None:
    store, case_id = case
    assert export.FORMATS == {"json": ".json", "csv": ".csv", "csv-messages": ".csv",
                              "html": ".html", "pdf": ".pdf"}
    since = T0 - dt.timedelta(days=1)
    assert Selection(case_ids=(3, 1), search="kettle", since=since, until=T0).describe() == {
        "case_ids": [1, 3], "search": "kettle", "since": "2026-11-01T09:00:00Z",
        "until": "2026-11-02T09:00:00Z"}
    assert Selection(filter=CaseFilter(owner="Sam")).describe() == {
        "filter": {"view": "all", "owner": "Sam", "order": "waiting"}}
    assert Selection().describe() == {"all": True}
    export.export(store, Selection(), "csv-messages", tmp_path / "m.csv")
    export.export(store, Selection(), "csv", tmp_path / "e.csv")
    heads = [(tmp_path / n).read_text(encoding="utf-8-sig").splitlines()[0]
             for n in ("m.csv", "e.csv")]
    assert heads == [
        "case_id,case_status,case_owner,contact_name,message_id,created_at,direction,kind,"
        "platform,account,author_handle,author_name,text,url,in_reply_to,sentiment",
        "case_id,case_status,case_owner,contact_name,contact_handles,event_id,at,actor,kind,"
        "description,before,after,message_direction,message_account,message_author,"
        "message_author_name,message_text,detail"]


def test_a_closed_case_shows_when_it_was_closed(case: tuple[Store, int]) -> None:
    store, case_id = case
    store.set_status(case_id, CaseStatus.CLOSED, at=T0 + dt.timedelta(hours=3))
    (batch,) = store.export_cases([case_id])
    facts = dict(export.transcript(batch[0], export.context(store, [case_id], now=T0)).facts)
    assert (facts["Status"], facts["Resolved"]) == ("Closed", "2026-11-02 12:00 UTC")


def test_a_case_of_an_unknown_contact_is_titled_so(case: tuple[Store, int]) -> None:
    store, case_id = case
    ctx = export.context(store, [case_id], now=T0)
    (batch,) = store.export_cases([case_id])
    t = export.transcript(batch[0], ExportContext(accounts=ctx.accounts))
    assert t.title == f"Case #{case_id} · Unknown customer"
    assert dict(t.facts)["Customer"] == "Unknown customer"

"""Case-log export (JSON, CSV, HTML) and import into another workspace, on real SQLite files."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from console.cli import default_scorer
from console.core import demo, export, importer, paths
from console.core.errors import KnownError, NotFoundError
from console.core.export import ExportCancelled, Selection
from console.core.importer import InvalidCaseLogError
from console.core.models import CaseStatus, ReplyState
from console.core.store import CaseFilter, Store, View
from console.core.store.transfer import copy_workspace_rows
from tests.conftest import T0, msg
from tests.helpers import need_module

jsonschema = need_module("jsonschema", "jsonschema (the test extra: pip install "
                         "--require-hashes -r requirements-test.lock)")


# ------------------------------------------------------------------ helpers
@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace plus replies in every state, built once per module."""
    path = demo.create_demo_workspace(tmp_path_factory.mktemp("export-demo"),
                                      scorer=default_scorer())
    store = Store.open(path)
    try:
        rows = store.cases_page(limit=1000)
        open_case = next(r for r in rows if r.status == CaseStatus.OPEN)
        other = next(r for r in rows if r.status == CaseStatus.OPEN and r.id != open_case.id)
        account = store.reply_accounts(open_case.id)[0].id
        store.save_draft(open_case.id, account_id=account, body="Draft: checking with the depot")
        account = store.reply_accounts(other.id)[0].id
        sent, _ = store.save_draft(other.id, account_id=account, body="Sorted, a new one is on "
                                   "its way today. ^SR")
        store.approve_reply(sent)
        store.mark_reply_sending(sent)
        store.mark_reply_sent(sent, remote_id="sent-1", url="https://kettle.example/@help/1")
        store.record_sync(account, cursor="cursor-state-of-this-workspace")
        # Follow-ups: one snoozed to a time, one until the customer replies, one due.
        waiting = [r for r in rows if r.status == CaseStatus.WAITING]
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        store.snooze(waiting[0].id, until=now + dt.timedelta(days=2))
        store.snooze(waiting[1].id, until_reply=True)
        store.snooze(waiting[2].id, until=now - dt.timedelta(hours=1))
        assert store.wake_due(now)[0] == [waiting[2].id]
    finally:
        store.close()
    return path


@pytest.fixture
def source(demo_file: Path, tmp_path: Path, backend: str, new_store: Any) -> Store:
    """The demo workspace as a laptop file, or moved to a team server (both backends)."""
    target = tmp_path / "source.db"
    shutil.copyfile(demo_file, target)
    store = Store.open(target)
    if backend == "sqlite":
        yield store
        store.close()
        return
    server = new_store()
    copy_workspace_rows(store, server)
    store.close()
    yield server


@pytest.fixture
def empty(new_store: Any) -> Store:
    store = new_store()
    store.set_setting("user.name", "Bea Colleague")
    return store


def schema_validator() -> Any:
    schema = json.loads(paths.resource_path(export.SCHEMA_FILE).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def export_json(store: Store, path: Path, selection: Selection | None = None) -> dict[str, Any]:
    export.export(store, selection or Selection(), "json", path)
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def canonical(log: dict[str, Any]) -> dict[str, Any]:
    """The log with every workspace-local id replaced by what identifies the thing."""
    accounts = {a["id"]: (a["platform"], a["handle"]) for a in log["accounts"]}
    contacts = {c["id"]: c for c in log["contacts"]}

    def contact_key(cid: int) -> Any:
        c = contacts[cid]
        if c["merged_into"] is not None:
            return ("merged", c["display_name"], contact_key(c["merged_into"]))
        return (c["display_name"], tuple(sorted((h["platform"], h["handle"])
                                                for h in c["handles"])))

    messages, notes, items, replies, cases = {}, {}, {}, {}, {}
    for case in log["cases"]:
        for m in case["messages"]:
            messages[m["id"]] = (accounts[m["account_id"]], m["remote_id"])
        notes.update({n["id"]: (n["author"], n["body"], n["created_at"]) for n in case["notes"]})
        items.update({i["id"]: i["text"] for i in case["checklist"]})
        replies.update({r["id"]: r["idempotency_key"] for r in case["replies"]})
    for case in log["cases"]:
        first = next(e for e in case["timeline"] if e["kind"] == "message_in")
        cases[case["id"]] = messages[first["detail"]["message_id"]]
    maps = {"message_id": messages, "account_id": accounts, "note_id": notes, "item_id": items,
            "reply_id": replies, "into_case": cases, "from_case": cases}

    def event(e: dict[str, Any]) -> Any:
        detail = {k: maps[k][v] if k in maps and v is not None else v
                  for k, v in e["detail"].items()}
        before, after = e["before"], e["after"]
        if e["kind"] == "contact_merged":
            before, after = contact_key(int(before)), contact_key(int(after))
        return (e["at"], e["actor"], e["kind"], before, after, sorted(detail.items()))

    out = []
    for c in log["cases"]:
        out.append({
            "key": cases[c["id"]], "contact": contact_key(c["contact_id"]),
            **{k: c[k] for k in ("status", "owner", "opened_at", "last_activity_at",
                                 "last_inbound_at", "waiting_since", "snoozed_until",
                                 "snooze_until_reply", "followup_due_at", "sentiment",
                                 "preview", "message_count", "platforms")},
            "merged_into": cases.get(c["merged_into"]),
            "accounts": sorted(accounts[a] for a in c["account_ids"]),
            "messages": [{**{k: v for k, v in m.items()
                             if k not in ("id", "account_id", "contact_id")},
                          "account": accounts[m["account_id"]],
                          "contact": contact_key(m["contact_id"]) if m["contact_id"] else None}
                         for m in c["messages"]],
            "timeline": [event(e) for e in c["timeline"]],
            "notes": [(n["author"], n["body"], n["created_at"]) for n in c["notes"]],
            "checklist": [(i["text"], i["done"], i["done_at"], i["created_at"],
                           messages.get(i["source_message_id"])) for i in c["checklist"]],
            "replies": [{**{k: v for k, v in r.items()
                            if k not in ("id", "account_id", "in_reply_to_message_id")},
                         "account": accounts[r["account_id"]],
                         "parent": messages.get(r["in_reply_to_message_id"])}
                        for r in c["replies"]],
        })
    return {
        "accounts": sorted(tuple(sorted((k, json.dumps(v)) for k, v in a.items() if k != "id"))
                           for a in log["accounts"]),
        "cases": sorted(out, key=lambda c: repr(c["key"])),
    }


# ------------------------------------------------------------- round trip
def test_json_export_validates_against_the_schema(source: Store, tmp_path: Path) -> None:
    data = export_json(source, tmp_path / "log.json")
    errors = [f"{e.json_path}: {e.message}" for e in schema_validator().iter_errors(data)]
    assert errors == []
    assert data["format"] == "community-console.case-log" and data["version"] == 1
    assert data["summary"]["cases"] == len(data["cases"]) == source.case_count()
    kinds = {e["kind"] for c in data["cases"] for e in c["timeline"]}
    assert {"opened", "message_in", "message_out", "status", "assign", "note", "issue_added",
            "issue_ticked", "merged", "contact_merged", "reply_drafted",
            "reply_approved"} <= kinds
    assert {r["state"] for c in data["cases"] for r in c["replies"]} == {"draft", "sent"}
    assert sum(bool(c["snoozed_until"]) for c in data["cases"]) == 1
    assert sum(c["snooze_until_reply"] for c in data["cases"]) == 1
    assert sum(bool(c["followup_due_at"]) for c in data["cases"]) == 1
    # A broken file does not pass: the schema is not a rubber stamp.
    broken = json.loads(json.dumps(data))
    broken["cases"][0]["messages"][0]["direction"] = "sideways"
    del broken["cases"][1]["timeline"][0]["at"]
    assert len(list(schema_validator().iter_errors(broken))) == 2


def test_export_then_import_into_an_empty_workspace_gives_equal_cases(
        source: Store, empty: Store, tmp_path: Path) -> None:
    original = export_json(source, tmp_path / "a.json")
    result = importer.import_file(empty, tmp_path / "a.json")
    assert result.conflicts == [] and result.warnings == []
    assert len(result.cases_created) == source.case_count() == empty.case_count()
    assert result.messages_added == source.message_count() == empty.message_count()
    assert result.events_added == sum(len(c["timeline"]) for c in original["cases"])
    assert len(result.accounts_created) == len(source.accounts())
    assert result.changes.cases and result.changes.messages and result.changes.accounts

    again = export_json(empty, tmp_path / "b.json")
    assert canonical(again) == canonical(original)
    # And through the store's own reading API: the inbox and each case panel agree.
    for view in View.ALL_VIEWS:
        if view == View.MINE:
            continue  # "mine" is whoever uses the workspace, Bea here
        a = source.cases_page(CaseFilter(view=view), limit=1000)
        b = empty.cases_page(CaseFilter(view=view), limit=1000)
        assert [(r.contact_name, r.status, r.owner, r.preview, r.waiting_since,
                 r.message_count) for r in a] == \
               [(r.contact_name, r.status, r.owner, r.preview, r.waiting_since,
                 r.message_count) for r in b], view
    for row_a, row_b in zip(source.cases_page(limit=1000), empty.cases_page(limit=1000)):
        da, db = source.case_detail(row_a.id), empty.case_detail(row_b.id)
        assert [(m.text, m.direction, m.account_handle, m.created_at, m.sentiment)
                for m in da.messages] == [(m.text, m.direction, m.account_handle, m.created_at,
                                           m.sentiment) for m in db.messages]
        assert [(e.at, e.actor, e.kind, e.before, e.after) for e in da.events] == \
               [(e.at, e.actor, e.kind, e.before, e.after) for e in db.events]
        assert (da.first_response_at, da.resolved_at) == (db.first_response_at, db.resolved_at)
        assert [(n.author, n.body) for n in da.notes] == [(n.author, n.body) for n in db.notes]
    # Search works on imported messages (the full-text index follows inserts).
    assert [h.message.text for h in empty.search("refund")] and \
        len(empty.search("refund")) == len(source.search("refund"))


def test_importing_the_same_file_twice_changes_nothing(source: Store, empty: Store,
                                                       tmp_path: Path) -> None:
    export_json(source, tmp_path / "a.json")
    importer.import_file(empty, tmp_path / "a.json")
    before = (tmp_path / "before.json")
    export.export(empty, Selection(), "json", before, now=T0)
    second = importer.import_file(empty, tmp_path / "a.json")
    assert second.nothing_changed and not second.changes
    assert (second.cases_created, second.cases_updated, second.messages_added,
            second.events_added, second.notes_added, second.issues_added,
            second.replies_added, second.accounts_created, second.contacts_created) == \
           ([], [], 0, 0, 0, 0, 0, [], 0)
    after = tmp_path / "after.json"
    export.export(empty, Selection(), "json", after, now=T0)
    assert after.read_bytes() == before.read_bytes()
    # Importing into the workspace it came from is a no-op too.
    assert importer.import_file(source, tmp_path / "a.json").nothing_changed


def test_queued_replies_come_in_as_drafts(source: Store, empty: Store, tmp_path: Path) -> None:
    case = next(r for r in source.cases_page(limit=1000) if r.status == CaseStatus.WAITING)
    account = source.reply_accounts(case.id)[0]
    assert account is not None
    reply, _ = source.save_draft(case.id, account_id=account.id, body="Queued")
    source.approve_reply(reply)
    export_json(source, tmp_path / "a.json", Selection(case_ids=(case.id,)))
    result = importer.import_file(empty, tmp_path / "a.json")
    (imported,) = [r for r in empty.replies(states=list(ReplyState)) if r.body == "Queued"]
    assert imported.state == ReplyState.DRAFT
    assert empty.approved_replies() == []
    assert any("draft" in w for w in result.warnings)


def test_nothing_secret_or_workspace_bound_is_exported(source: Store, tmp_path: Path) -> None:
    export.export(source, Selection(), "json", tmp_path / "a.json")
    text = (tmp_path / "a.json").read_text(encoding="utf-8")
    assert "cursor-state-of-this-workspace" not in text
    data = json.loads(text)
    for account in data["accounts"]:
        assert not {"cursor", "last_sync_at", "last_error", "token", "secret",
                    "password"} & set(account)


# --------------------------------------------------------------- handover
def handover(tmp_path: Path, name: str, store: Store, case_id: int) -> Path:
    path = tmp_path / f"{name}.json"
    export.export(store, Selection(case_ids=(case_id,)), "json", path)
    return path


@pytest.fixture
def two_workspaces(store: Store, new_store: Any, tmp_path: Path
                   ) -> tuple[Store, Store, int, int]:
    """Sam's workspace with one case handed to Bea's (empty) workspace."""
    store.ingest([msg("@ann@example.social", "My kettle leaks", at=T0)])
    case_a = store.current_case_of(store.contact_of_handle("mastodon", "@ann@example.social"))
    store.add_issue(case_a, "kettle leaks", at=T0 + dt.timedelta(minutes=1))
    store.assign(case_a, "Bea", at=T0 + dt.timedelta(minutes=2))
    bea = new_store()  # on the same backend as Sam's
    bea.set_setting("user.name", "Bea")
    bea.set_setting("team.roster", [{"name": "Bea", "me": True}, {"name": "Carl"}, {"name": "Sam"}])
    importer.import_file(bea, handover(tmp_path, "to-bea", store, case_a))
    case_b = bea.current_case_of(bea.contact_of_handle("mastodon", "@ann@example.social"))
    return store, bea, case_a, case_b


def test_a_case_handed_back_fast_forwards(two_workspaces: tuple[Store, Store, int, int],
                                          tmp_path: Path) -> None:
    sam, bea, case_a, case_b = two_workspaces
    t = T0 + dt.timedelta(hours=1)
    account = bea.find_account("@help@kettle.example").id
    bea.record_outbound(case_b, account_id=account, text="We'll replace it", remote_id="out-1",
                        at=t)
    bea.add_note(case_b, "Replacement booked", at=t + dt.timedelta(minutes=1))
    item = bea.case_detail(case_b).checklist[0].id
    bea.set_issue_done(item, True, at=t + dt.timedelta(minutes=2))
    bea.set_status(case_b, CaseStatus.RESOLVED, at=t + dt.timedelta(minutes=3))

    result = importer.import_file(sam, handover(tmp_path, "back", bea, case_b))
    assert result.conflicts == []
    assert result.cases_updated == [case_a] and result.cases_created == []
    assert result.messages_added == 1 and result.notes_added == 1
    detail = sam.case_detail(case_a)
    assert detail.case.status == CaseStatus.RESOLVED and detail.case.owner == "Bea"
    assert detail.case.waiting_since is None
    assert detail.checklist[0].done
    assert [m.text for m in detail.messages] == ["My kettle leaks", "We'll replace it"]
    assert detail.first_response_at == t and detail.resolved_at == t + dt.timedelta(minutes=3)
    assert sam.case_count() == 1 and sam.message_count() == 2
    assert [e.kind for e in detail.events] == [
        "opened", "message_in", "issue_added", "assign", "message_out", "status", "note",
        "issue_ticked", "status"]
    assert importer.import_file(sam, tmp_path / "back.json").nothing_changed


def test_the_same_field_changed_on_both_sides_is_a_conflict(
        two_workspaces: tuple[Store, Store, int, int], tmp_path: Path) -> None:
    sam, bea, case_a, case_b = two_workspaces
    t = T0 + dt.timedelta(hours=1)
    sam.set_status(case_a, CaseStatus.WAITING, at=t)
    bea.set_status(case_b, CaseStatus.RESOLVED, at=t + dt.timedelta(minutes=5))
    bea.assign(case_b, "Carl", at=t + dt.timedelta(minutes=6))

    result = importer.import_file(sam, handover(tmp_path, "back", bea, case_b))
    assert [(c.case_id, c.field, c.ours, c.theirs) for c in result.conflicts] == [
        (case_a, "status", "waiting", "resolved")]
    assert "changed in both workspaces" in result.conflicts[0].message()
    row = sam.case_row(case_a)
    assert row.status == CaseStatus.WAITING  # ours kept, not silently overwritten
    assert row.owner == "Carl"  # changed on their side only: taken
    events = sam.case_events(case_a)
    conflict = [e for e in events if e.kind == "import_conflict"]
    assert len(conflict) == 1 and conflict[0].before == "waiting" \
        and conflict[0].after == "resolved" and conflict[0].detail["field"] == "status"
    assert [e.after for e in events if e.kind == "status"] == ["waiting", "resolved"]
    again = importer.import_file(sam, tmp_path / "back.json")
    assert again.nothing_changed and again.conflicts == []


def test_independently_synced_messages_are_not_duplicated(store: Store, new_store: Any,
                                                          tmp_path: Path) -> None:
    """Two colleagues synced the same account: the cases match by their first message."""
    other = new_store()
    other.set_setting("user.name", "Sam")  # same actor names, as both sides ran "sync"
    other.add_account(platform="mastodon", handle="@help@kettle.example")
    first = msg("@zoe@example.social", "Lid is cracked", at=T0, remote_id="z1")
    second = msg("@zoe@example.social", "Any news?", at=T0 + dt.timedelta(hours=2),
                 remote_id="z2")
    store.ingest([first, second])
    other.ingest([first])
    case_other = other.current_case_of(other.contact_of_handle("mastodon",
                                                               "@zoe@example.social"))
    other.add_note(case_other, "Asked the warehouse", actor="Priya",
                   at=T0 + dt.timedelta(hours=1))
    result = importer.import_file(store, handover(tmp_path, "other", other, case_other))
    assert result.cases_created == [] and result.messages_added == 0
    assert result.events_added == 1 and result.notes_added == 1
    assert store.case_count() == 1 and store.message_count() == 2
    case = store.current_case_of(store.contact_of_handle("mastodon", "@zoe@example.social"))
    assert [e.kind for e in store.case_events(case)].count("message_in") == 2


# -------------------------------------------------------------- selection
def test_selection_by_cases_filter_and_dates(source: Store) -> None:
    rows = source.cases_page(limit=1000)
    merged = source.db.execute("SELECT id, merged_into FROM cases WHERE merged_into IS NOT "
                               "NULL").fetchone()
    assert merged, "the demo merges two customers' cases"
    # A merged case travels with the case it was merged into, and the other way round.
    assert export.resolve(source, Selection(case_ids=(merged[1],))) == sorted(merged)
    assert export.resolve(source, Selection(case_ids=(merged[0],))) == sorted(merged)
    waiting = export.resolve(source, Selection(filter=CaseFilter(view=View.WAITING)))
    assert waiting == sorted(r.id for r in rows if r.status == CaseStatus.WAITING)
    newest = max(r.opened_at for r in rows)
    recent = export.resolve(source, Selection(since=newest - dt.timedelta(hours=1)))
    assert recent and all(source.case_row(i).last_activity_at >= newest - dt.timedelta(hours=1)
                          for i in recent)
    early = export.resolve(source, Selection(until=min(r.opened_at for r in rows)
                                             + dt.timedelta(seconds=1)))
    assert len(early) == 1
    found = export.resolve(source, Selection(filter=CaseFilter(), search="refund"))
    assert found and set(found) <= {r.id for r in rows} | {merged[0]}
    with pytest.raises(NotFoundError):
        export.resolve(source, Selection(case_ids=(99999,)))
    with pytest.raises(KnownError, match="nothing was exported"):
        export.export(source, Selection(since=newest + dt.timedelta(days=400)), "json",
                      Path("/nonexistent/never.json"))


# -------------------------------------------------------------------- CSV
FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+1+cmd|' /C calc'!A0",
            "-2+3", "@SUM(A1:A9)", "\tindented", "\rreturn"]


@pytest.fixture
def formula_store(store: Store) -> tuple[Store, int]:
    store.ingest([msg("@mallory@example.social", text, at=T0 + dt.timedelta(minutes=i),
                      name="=cmd|' /C calc'!A0") for i, text in enumerate(FORMULAS)])
    case = store.current_case_of(store.contact_of_handle("mastodon", "@mallory@example.social"))
    store.add_note(case, "-note that starts like a formula", at=T0 + dt.timedelta(hours=1))
    store.assign(case, "@owner", at=T0 + dt.timedelta(hours=2))
    return store, case


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_csv_cells_with_formula_prefixes_are_neutralised(
        formula_store: tuple[Store, int], tmp_path: Path) -> None:
    store, case = formula_store
    summary = export.export(store, Selection(case_ids=(case,)), "csv", tmp_path / "e.csv")
    rows = read_csv(tmp_path / "e.csv")
    assert len(rows) == summary.events == len(store.case_events(case))
    texts = [r["message_text"] for r in rows if r["kind"] == "message_in"]
    assert texts == ["'" + f for f in FORMULAS]
    assert {r["message_author_name"] for r in rows if r["kind"] == "message_in"} == \
        {"'=cmd|' /C calc'!A0"}
    assert {r["message_author"] for r in rows if r["kind"] == "message_in"} == \
        {"'@mallory@example.social"}
    assert next(r for r in rows if r["kind"] == "note")["after"] == \
        "'-note that starts like a formula"
    assert next(r for r in rows if r["kind"] == "assign")["after"] == "'@owner"
    dangerous = ("=", "+", "-", "@", "\t", "\r")
    for row in rows:
        for column, value in row.items():
            assert not value.startswith(dangerous), (column, value)

    export.export(store, Selection(case_ids=(case,)), "csv-messages", tmp_path / "m.csv")
    messages = read_csv(tmp_path / "m.csv")
    assert [m["text"] for m in messages] == ["'" + f for f in FORMULAS]
    assert list(messages[0]) == list(export.MESSAGE_COLUMNS)


def test_csv_safe_keeps_numbers_and_plain_text() -> None:
    assert export.csv_safe(-0.42) == -0.42  # our own number, not a formula
    assert export.csv_safe(None) == ""
    assert export.csv_safe("Hello = world") == "Hello = world"
    for prefix in ("=", "+", "-", "@", "\t", "\r"):
        assert export.csv_safe(prefix + "x") == "'" + prefix + "x"


# ------------------------------------------------------------------- HTML
class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self.text: list[str] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(k, v or "") for k, v in attrs]
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data
        else:
            self.text.append(data)


MARKUP = ('<script>alert("x")</script><img src="https://evil.example/p.png" onerror="alert(1)">'
          '<a href="http://evil.example">click</a><style>@import url(//evil.example/x.css)'
          '</style><iframe src="//evil.example"></iframe> & "quotes" \'single\'')


def test_html_transcript_escapes_markup_and_loads_nothing(store: Store, tmp_path: Path) -> None:
    store.ingest([msg("@eve@example.social", MARKUP, at=T0, name="<b>Eve</b>")])
    case = store.current_case_of(store.contact_of_handle("mastodon", "@eve@example.social"))
    store.add_note(case, "<script>document.cookie</script>", at=T0 + dt.timedelta(minutes=1))
    export.export(store, Selection(case_ids=(case,)), "html", tmp_path / "t.html")
    text = (tmp_path / "t.html").read_text(encoding="utf-8")
    page = TagCollector()
    page.feed(text)
    assert not {"script", "img", "iframe", "link", "object", "embed", "a", "base",
                "form"} & set(page.tags)
    assert page.tags.count("style") == 1
    assert "url(" not in page.style and "@import" not in page.style
    for name, value in page.attributes:
        assert not name.startswith("on"), name
        assert "//" not in value, (name, value)
    assert ("http-equiv", "Content-Security-Policy") in page.attributes
    assert any("default-src 'none'" in v for k, v in page.attributes if k == "content")
    body = "".join(page.text)
    assert MARKUP in body  # shown as text, exactly as the customer wrote it
    assert "<b>Eve</b>" in body and "<script>document.cookie</script>" in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text


def test_html_has_one_printable_section_per_case(source: Store, tmp_path: Path) -> None:
    ids = [r.id for r in source.cases_page(limit=3)]
    export.export(source, Selection(case_ids=tuple(ids)), "html", tmp_path / "t.html")
    text = (tmp_path / "t.html").read_text(encoding="utf-8")
    assert text.count('<article class="case">') == len(export.resolve(
        source, Selection(case_ids=tuple(ids))))
    assert "break-before: page" in text
    for case_id in ids:
        for m in source.case_detail(case_id).messages:
            assert export.html.escape(m.text) in text


# ------------------------------------------------------ progress and cancel
@pytest.mark.parametrize("fmt", ["json", "csv", "csv-messages", "html"])
def test_progress_and_cancel_leave_no_partial_file(source: Store, tmp_path: Path,
                                                   fmt: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = out / f"case-log.{fmt}"
    target.write_text("the previous export")
    seen: list[tuple[int, int]] = []
    with pytest.raises(ExportCancelled):
        export.export(source, Selection(), fmt, target, progress=lambda d, t: seen.append((d, t)),
                      cancelled=lambda: len(seen) > 10)
    assert target.read_text() == "the previous export"
    assert sorted(p.name for p in out.iterdir()) == [target.name]
    seen.clear()
    summary = export.export(source, Selection(), fmt, target,
                            progress=lambda d, t: seen.append((d, t)))
    total = source.case_count()
    assert seen[0] == (0, total) and seen[-1] == (total, total)
    assert [d for d, _ in seen] == list(range(total + 1))
    assert summary.cases == total and summary.bytes == target.stat().st_size


# ---------------------------------------------------------- bad input files
def test_unreadable_or_foreign_files_are_refused(empty: Store, tmp_path: Path,
                                                 source: Store) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InvalidCaseLogError, match="not valid JSON"):
        importer.import_file(empty, bad)
    bad.write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(InvalidCaseLogError, match="not a Community Console case log"):
        importer.import_file(empty, bad)
    data = export_json(source, tmp_path / "a.json")
    newer = dict(data, version=2)
    bad.write_text(json.dumps(newer))
    with pytest.raises(InvalidCaseLogError, match="newer version"):
        importer.import_file(empty, bad)
    broken = json.loads(json.dumps(data))
    broken["cases"][-1]["contact_id"] = 999999
    bad.write_text(json.dumps(broken))
    with pytest.raises(InvalidCaseLogError, match="contact that is not in the file"):
        importer.import_file(empty, bad)
    with pytest.raises(KnownError, match="no file"):
        importer.import_file(empty, tmp_path / "missing.json")
    assert empty.case_count() == 0 and empty.accounts() == []

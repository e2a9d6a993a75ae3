"""Import: what it reports, what it refuses, and how ids and times are carried over."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console.core import export, importer
from console.core.export import Selection
from console.core.importer import InvalidCaseLogError
from console.core.models import CaseStatus, Platform
from console.core.store import Store
from tests.conftest import T0, msg


@pytest.fixture
def sam(store: Store) -> Store:
    """One case with a note, two checklist items and a reply the customer was sent."""
    store.ingest([msg("@ann@example.social", "My kettle leaks", at=T0)])
    case = store.current_case_of(store.contact_of_handle("mastodon", "@ann@example.social"))
    store.add_note(case, "Asked for a photo", at=T0 + dt.timedelta(minutes=1))
    store.add_issue(case, "kettle leaks", at=T0 + dt.timedelta(minutes=2),
                    source_message_id=store.case_detail(case).messages[0].id)
    store.add_issue(case, "lid loose", at=T0 + dt.timedelta(minutes=3))
    detail = store.case_detail(case)
    reply, _ = store.save_draft(case, account_id=detail.messages[0].account_id, body="Sorry!",
                                in_reply_to_message_id=detail.messages[0].id)
    store.approve_reply(reply)
    return store


@pytest.fixture
def bea(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path / "bea.db")
    store.set_setting("user.name", "Bea")
    # Bea's workspace already has other things, so ids differ from Sam's.
    store.add_account(platform="bluesky", handle="other.example")
    store.ingest([msg("zed.example", "hello", account="other.example",
                      platform=Platform.BLUESKY, at=T0)])
    other = store.cases_page()[0].id
    store.add_note(other, "unrelated", at=T0)
    store.add_issue(other, "unrelated", at=T0)
    store.save_draft(other, account_id=store.accounts()[0].id, body="unrelated")
    yield store
    store.close()


def log_of(store: Store, tmp_path: Path, name: str = "log") -> dict[str, Any]:
    path = tmp_path / f"{name}.json"
    export.export(store, Selection(), "json", path)
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_the_result_says_what_was_added(sam: Store, bea: Store, tmp_path: Path) -> None:
    data = log_of(sam, tmp_path)
    result = importer.import_case_log(bea, data, source="sam.json")
    (case,) = result.cases_created
    assert result.to_dict() == {
        "source": "sam.json", "accounts_created": ["@help@kettle.example"],
        "contacts_created": 1, "links_added": 0, "cases_created": [case], "cases_updated": [],
        "messages_added": 1, "events_added": len(data["cases"][0]["timeline"]),
        "notes_added": 1, "issues_added": 2, "replies_added": 1, "conflicts": [],
        "warnings": [f"1 queued reply of case #{case} came in as draft(s): review and "
                     "approve them here before they are sent."],
    }
    lines = result.summary_lines()
    assert lines[0] == (f"1 case(s) added, 0 updated; 1 message(s), "
                        f"{result.events_added} timeline entries, 1 note(s), 2 issue(s), "
                        "1 reply added.")
    assert lines[1:] == [
        "New accounts (add their credentials in the accounts dialog to sync or send): "
        "@help@kettle.example.", "1 new contact(s).", *result.warnings]
    again = importer.import_case_log(bea, data)
    assert again.summary_lines() == [
        "Nothing to import: this workspace already has everything in the file."]
    assert again.to_dict()["source"] == "Sam"  # without a file name: who exported it


def test_ids_in_the_timeline_point_at_the_local_rows(sam: Store, bea: Store,
                                                     tmp_path: Path) -> None:
    result = importer.import_case_log(bea, log_of(sam, tmp_path))
    (case,) = result.cases_created
    detail = bea.case_detail(case)
    events = bea.case_events(case)
    by_kind = {e.kind: e.detail for e in events}
    assert by_kind["message_in"]["message_id"] == detail.messages[0].id
    assert by_kind["note"]["note_id"] == detail.notes[0].id
    assert {e.detail["item_id"] for e in events if e.kind == "issue_added"} == {
        i.id for i in detail.checklist}
    assert [i.source_message_id for i in detail.checklist] == [detail.messages[0].id, None]
    reply_ids = {e.detail["reply_id"] for e in events if "reply_id" in e.detail}
    assert len(reply_ids) == 1
    (reply_id,) = reply_ids
    assert bea.reply(reply_id).case_id == case and bea.reply(reply_id).body == "Sorry!"


def test_times_merge_to_the_earliest_opening_and_latest_activity(
        sam: Store, bea: Store, tmp_path: Path) -> None:
    (case_a,) = [c.id for c in sam.cases_page()]
    (case_b,) = importer.import_case_log(bea, log_of(sam, tmp_path)).cases_created
    later = T0 + dt.timedelta(hours=2)
    bea.ingest([msg("@ann@example.social", "Any news? It is getting worse", at=later)],
               scorer=lambda text: -0.75)
    data = log_of(bea, tmp_path, "back")
    result = importer.import_case_log(sam, data)
    assert result.cases_updated == [case_a]
    row = sam.case_row(case_a)
    theirs = next(c for c in data["cases"] if c["preview"].startswith("Any news"))
    assert row.last_activity_at == later
    assert row.preview == theirs["preview"]
    assert row.opened_at == T0
    assert (row.sentiment, row.message_count) == (-0.75, 2)
    # Sam's approved reply answers the first message: the customer waits since the next one.
    assert row.waiting_since == later
    # An older file (less activity) changes neither the preview nor the times.
    before = sam.case_row(case_a)
    older = copy.deepcopy(data)
    importer.import_case_log(sam, older)
    assert sam.case_row(case_a) == before
    assert bea.case_row(case_b).opened_at == T0


@pytest.mark.parametrize(("change", "error"), [
    (lambda d: d.pop("version"), "no format version"),
    (lambda d: d["accounts"][0].update(platform="myspace"), "unknown platform 'myspace'"),
    (lambda d: d["accounts"][0].pop("handle"), "account 1 has no 'handle'"),
    (lambda d: d["contacts"].__setitem__(0, "x"), "contact 1 is not an object"),
    (lambda d: d.pop("cases"), "'cases' is missing"),
    (lambda d: d["cases"][0].update(status="lost"), "unknown status 'lost'"),
    (lambda d: d["cases"][0].update(opened_at="soon"), "bad time in 'opened_at'"),
    (lambda d: d["cases"][0].update(account_ids=[999]), "an account that is not in the file"),
    (lambda d: d["cases"][0]["messages"][0].update(account_id=999),
     "refers to an account or contact that is not in the file"),
    (lambda d: d["cases"][0]["messages"][0].update(contact_id=999),
     "refers to an account or contact that is not in the file"),
    (lambda d: d["cases"][0]["messages"][0].update(kind="poke"), "has an unknown kind"),
    (lambda d: d["cases"][0]["messages"][0].update(direction="sideways"), "has an unknown kind"),
    (lambda d: d["cases"][0]["timeline"][0].pop("actor"), "has no 'actor'"),
    (lambda d: d["cases"][0]["notes"][0].pop("body"), "has no 'body'"),
    (lambda d: d["cases"][0]["checklist"][0].pop("text"), "has no 'text'"),
    (lambda d: d["cases"][0]["replies"][0].update(account_id=999),
     "a reply of case #1 refers to an account that is not in the file"),
    (lambda d: d["cases"][0]["replies"][0].update(state="lost"), "unknown state 'lost'"),
])
def test_a_broken_log_is_refused_with_what_is_wrong(sam: Store, bea: Store, tmp_path: Path,
                                                   change: Any, error: str) -> None:
    data = log_of(sam, tmp_path)
    change(data)
    with pytest.raises(InvalidCaseLogError, match="is not a usable case log") as info:
        importer.import_case_log(bea, data, source="sam.json")
    assert error in str(info.value) and str(info.value).startswith("sam.json ")
    assert len(bea.cases_page()) == 1  # nothing of it was added


def test_a_log_without_a_name_is_called_the_case_log(bea: Store) -> None:
    with pytest.raises(InvalidCaseLogError,
                       match="^the case log is not a Community Console case log"):
        importer.import_case_log(bea, {"format": "other"})


def test_a_namesake_is_not_taken_for_the_same_person(sam: Store, bea: Store,
                                                     tmp_path: Path) -> None:
    # Bea already knows an "Ann" on Bluesky; Sam's Ann (Mastodon) is someone else until
    # a handle says otherwise: contacts match by handle, never by name alone.
    bea.add_contact("Ann", [("bluesky", "ann.bsky.social")])
    result = importer.import_case_log(bea, log_of(sam, tmp_path))
    assert result.contacts_created == 1
    ann = bea.contact_of_handle("mastodon", "@ann@example.social")
    assert ann != bea.contact_of_handle("bluesky", "ann.bsky.social")


def test_a_fast_forward_takes_the_follow_up_and_a_both_sided_one_keeps_the_earliest_wait(
        sam: Store, bea: Store, tmp_path: Path) -> None:
    (case_a,) = [c.id for c in sam.cases_page()]
    (case_b,) = importer.import_case_log(bea, log_of(sam, tmp_path)).cases_created
    until = T0 + dt.timedelta(days=3)
    bea.snooze(case_b, until=until)
    importer.import_case_log(sam, log_of(bea, tmp_path, "snoozed"))
    assert sam.case_row(case_a).snoozed_until == until
    due = until + dt.timedelta(hours=1)
    assert bea.wake_due(due)[0] == [case_b]  # the snooze ran out: a follow-up is due
    importer.import_case_log(sam, log_of(bea, tmp_path, "due"))
    ((record,),) = list(sam.export_cases([case_a]))
    assert export.iso(record["followup_due_at"]) == export.iso(until.timestamp())
    assert record["snoozed_until"] is None
    # Both sides move on: the customer writes to Sam, Bea answers an older message.
    sam.ingest([msg("@ann@example.social", "Hello?", at=T0 + dt.timedelta(hours=5))])
    account = bea.case_detail(case_b).messages[0].account_id
    bea.record_outbound(case_b, account_id=account, text="On its way", remote_id="o-1",
                        at=T0 + dt.timedelta(hours=4))
    importer.import_case_log(sam, log_of(bea, tmp_path, "both"))
    row = sam.case_row(case_a)
    assert row.waiting_since == T0 + dt.timedelta(hours=5)  # still waiting for an answer
    bea.set_status(case_b, CaseStatus.RESOLVED, at=T0 + dt.timedelta(hours=6))
    sam.add_note(case_a, "local only", at=T0 + dt.timedelta(hours=6))
    result = importer.import_case_log(sam, log_of(bea, tmp_path, "resolved"))
    assert result.conflicts == []
    row = sam.case_row(case_a)
    assert row.status == CaseStatus.RESOLVED and row.waiting_since is None


def test_a_case_is_matched_by_the_messages_it_holds_when_its_first_is_unknown(
        sam: Store, bea: Store, tmp_path: Path) -> None:
    # Bea synced the same account later: she has only Ann's second message, in a case it
    # opened. Sam's case (opened by the first message) is that case, not a new one.
    second = msg("@ann@example.social", "Still leaking", at=T0 + dt.timedelta(minutes=9),
                 remote_id="second")
    sam.ingest([second])
    bea.add_account(platform="mastodon", handle="@help@kettle.example")
    bea.ingest([second])
    mine = bea.current_case_of(bea.contact_of_handle("mastodon", "@ann@example.social"))
    assert mine != 1  # Bea's other case is #1, so a wrong match shows
    result = importer.import_case_log(bea, log_of(sam, tmp_path))
    assert (result.cases_created, result.cases_updated) == ([], [mine])
    assert [m.text for m in bea.case_detail(mine).messages] == ["My kettle leaks",
                                                                "Still leaking"]

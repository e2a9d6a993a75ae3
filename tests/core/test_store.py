"""The case model: ingest, threading, statuses, owners, notes, checklist, merges."""

from __future__ import annotations

import datetime as dt

import pytest

from console.core.errors import InvalidTransitionError, KnownError
from console.core.models import CaseStatus, Platform
from console.core.store import CaseFilter, Store, View
from tests.conftest import T0, msg


def kinds(store: Store, case_id: int) -> list[str]:
    return [e.kind for e in store.case_events(case_id)]


def test_ingest_is_idempotent(store: Store) -> None:
    m = msg(remote_id="abc")
    first = store.ingest([m])
    again = store.ingest([m, msg(remote_id="abc", text="same id, replayed")])
    assert len(first.new_message_ids) == 1
    assert again.new_message_ids == []
    assert not again.changes
    assert store.message_count() == 1
    assert store.case_count() == 1



def test_a_replayed_message_keeps_the_stored_text(store: Store) -> None:
    # A platform replaying a message (same platform, account and remote id) with other
    # contents, e.g. after an edit or a buggy page, must not rewrite what was received.
    (message_id,) = store.ingest([msg(remote_id="abc", text="My order is late",
                                      name="Ann")]).new_message_ids
    before = store.message(message_id)
    replay = msg(remote_id="abc", text="EDITED: never mind", name="Someone else")
    alone = store.ingest([replay])
    in_a_page = store.ingest([msg(text="another customer"), replay])
    assert alone.new_message_ids == [] and not alone.changes
    assert len(in_a_page.new_message_ids) == 1
    message, _extra = store.message(message_id)
    assert (message.text, message.author_name) == ("My order is late", "Ann")
    assert store.message(message_id) == before
    texts = [m.text for c in store.cases_page() for m in store.case_detail(c.id).messages]
    assert sorted(texts) == ["My order is late", "another customer"]

def test_same_remote_id_on_two_accounts_is_two_messages(store: Store) -> None:
    store.ingest([msg(remote_id="1"), msg(remote_id="1", account="@hello@kettle.example")])
    assert store.message_count() == 2


def test_one_case_across_accounts_and_platforms(store: Store) -> None:
    contact, _ = store.add_contact("Maya", [("mastodon", "@maya@x.social"),
                                            ("bluesky", "maya.bsky.social")])
    store.ingest([msg("@maya@x.social", "Your kettle broke", account="@hello@kettle.example")])
    store.ingest([msg("@maya@x.social", "Told to ask support, so here I am")])
    store.ingest([msg("maya.bsky.social", "Anyone there?", platform=Platform.BLUESKY,
                      account="help.kettle.example")])
    assert store.case_count() == 1
    case_id = store.current_case_of(contact)
    detail = store.case_detail(case_id)
    assert [m.text for m in detail.messages] == [
        "Your kettle broke", "Told to ask support, so here I am", "Anyone there?"]
    assert {m.account_handle for m in detail.messages} == {
        "@hello@kettle.example", "@help@kettle.example", "help.kettle.example"}
    assert detail.case.platforms == ("bluesky", "mastodon")
    assert sorted(store.case_accounts([case_id])[case_id]) == sorted(
        ["@hello@kettle.example", "@help@kettle.example", "help.kettle.example"])


def test_different_customers_get_different_cases(store: Store) -> None:
    store.ingest([msg("@a@x.social"), msg("@b@x.social")])
    assert store.case_count() == 2


def test_new_case_is_owned_by_local_user_and_waits(store: Store) -> None:
    res = store.ingest([msg(at=T0)])
    (case_id,) = res.case_ids
    row = store.case_row(case_id)
    assert row.owner == "Sam"
    assert row.status is CaseStatus.NEW
    assert row.waiting_since == T0
    assert kinds(store, case_id) == ["opened", "message_in"]


def test_status_transitions_and_refusals(store: Store) -> None:
    (case_id,) = store.ingest([msg()]).case_ids
    store.set_status(case_id, CaseStatus.WAITING)
    store.set_status(case_id, CaseStatus.RESOLVED)
    with pytest.raises(InvalidTransitionError, match="resolved to waiting on customer"):
        store.set_status(case_id, CaseStatus.WAITING)
    with pytest.raises(InvalidTransitionError, match="already resolved"):
        store.set_status(case_id, CaseStatus.RESOLVED)
    store.set_status(case_id, CaseStatus.CLOSED)
    with pytest.raises(InvalidTransitionError):
        store.set_status(case_id, CaseStatus.RESOLVED)
    store.set_status(case_id, CaseStatus.OPEN)
    events = [(e.before, e.after) for e in store.case_events(case_id) if e.kind == "status"]
    assert events == [("new", "waiting"), ("waiting", "resolved"), ("resolved", "closed"),
                      ("closed", "open")]
    assert all(e.actor == "Sam" for e in store.case_events(case_id) if e.kind == "status")


def test_new_message_reopens_resolved_case(store: Store) -> None:
    (case_id,) = store.ingest([msg("@a@x.social", at=T0)]).case_ids
    store.record_outbound(case_id, account_id=1, text="Fixed!", at=T0 + dt.timedelta(hours=1))
    store.set_status(case_id, "resolved", at=T0 + dt.timedelta(hours=2))
    again = store.ingest([msg("@a@x.social", "It broke again", at=T0 + dt.timedelta(days=2))])
    assert again.case_ids == {case_id}
    row = store.case_row(case_id)
    assert row.status is CaseStatus.OPEN
    reopen = [e for e in store.case_events(case_id) if e.kind == "status"][-1]
    assert (reopen.before, reopen.after, reopen.actor) == ("resolved", "open", "sync")
    assert row.waiting_since == T0 + dt.timedelta(days=2)


def test_message_after_close_or_long_after_resolution_opens_new_case(store: Store) -> None:
    (first,) = store.ingest([msg("@a@x.social", at=T0)]).case_ids
    store.set_status(first, "closed")
    (second,) = store.ingest([msg("@a@x.social", at=T0 + dt.timedelta(days=1))]).case_ids
    assert second != first
    store.set_status(second, "resolved", at=T0 + dt.timedelta(days=1, hours=1))
    (third,) = store.ingest([msg("@a@x.social", at=T0 + dt.timedelta(days=40))]).case_ids
    assert third not in (first, second)


def test_customer_reply_moves_waiting_case_back_to_open(store: Store) -> None:
    (case_id,) = store.ingest([msg("@a@x.social")]).case_ids
    store.record_outbound(case_id, account_id=1, text="Could you DM us your order number?")
    store.set_status(case_id, "waiting")
    assert store.case_row(case_id).waiting_since is None
    store.ingest([msg("@a@x.social", "Sent!")])
    row = store.case_row(case_id)
    assert row.status is CaseStatus.OPEN
    assert row.waiting_since is not None


def test_owner_change_notes_checklist_are_in_timeline(store: Store) -> None:
    (case_id,) = store.ingest([msg(text="Late, dented and charged twice")]).case_ids
    store.assign(case_id, "Priya")
    store.assign(case_id, "Tom", actor="Priya")
    store.add_note(case_id, "Called the courier")
    late, _ = store.add_issue(case_id, "Late delivery")
    dent, _ = store.add_issue(case_id, "Dented lid")
    store.set_issue_done(late)
    events = store.case_events(case_id)
    assigns = [(e.actor, e.before, e.after) for e in events if e.kind == "assign"]
    assert assigns == [("Sam", "Sam", "Priya"), ("Priya", "Priya", "Tom")]
    assert store.case_row(case_id).owner == "Tom"
    assert [e.after for e in events if e.kind == "note"] == ["Called the courier"]
    assert [e.after for e in events if e.kind == "issue_added"] == ["Late delivery", "Dented lid"]
    ticked = [e for e in events if e.kind == "issue_ticked"]
    assert [(e.before, e.after, e.detail["text"]) for e in ticked] == [
        ("open", "done", "Late delivery")]
    detail = store.case_detail(case_id)
    assert [(i.text, i.done) for i in detail.checklist] == [("Late delivery", True),
                                                            ("Dented lid", False)]
    assert [n.body for n in detail.notes] == ["Called the courier"]


def test_empty_note_is_refused(store: Store) -> None:
    (case_id,) = store.ingest([msg()]).case_ids
    with pytest.raises(KnownError, match="empty"):
        store.add_note(case_id, "   ")


def test_timeline_is_append_only(store: Store) -> None:
    (case_id,) = store.ingest([msg()]).case_ids
    with pytest.raises(Exception, match="append-only"):
        store.db.execute("DELETE FROM case_events WHERE case_id = ?", [case_id])
    with pytest.raises(Exception, match="append-only"):
        store.db.execute("UPDATE case_events SET actor = 'x'")


def test_merge_contacts_merges_open_cases(store: Store) -> None:
    store.ingest([msg("@maya@x.social", "Lid is cracked", at=T0)])
    store.ingest([msg("maya.bsky.social", "Also never got the refund", at=T0 + dt.timedelta(1),
                      platform=Platform.BLUESKY, account="help.kettle.example")])
    keep = store.contact_of_handle("mastodon", "@maya@x.social")
    other = store.contact_of_handle("bluesky", "maya.bsky.social")
    other_case = store.current_case_of(other)
    keep_case = store.current_case_of(keep)
    store.add_note(other_case, "Refund ref 123")
    store.merge_contacts(keep, other)
    assert store.contact_of_handle("bluesky", "maya.bsky.social") == keep
    detail = store.case_detail(keep_case)
    assert [m.text for m in detail.messages] == ["Lid is cracked", "Also never got the refund"]
    assert [n.body for n in detail.notes] == ["Refund ref 123"]
    assert detail.case.waiting_since == T0
    assert "merged" in kinds(store, keep_case)
    merged_row = store.case_row(other_case)
    assert merged_row.status is CaseStatus.CLOSED
    assert [e.kind for e in store.case_events(other_case)][-1] == "merged"
    # A later message from either handle joins the surviving case.
    later = store.ingest([msg("maya.bsky.social", "hello?", platform=Platform.BLUESKY,
                              account="help.kettle.example", at=T0 + dt.timedelta(2))])
    assert later.case_ids == {keep_case}
    assert [r.id for r in store.cases_page(CaseFilter(view=View.ALL))] == [keep_case]


def test_first_response_and_resolution_derived_from_timeline(store: Store) -> None:
    (case_id,) = store.ingest([msg(at=T0)]).case_ids
    assert store.case_detail(case_id).first_response_at is None
    store.record_outbound(case_id, account_id=1, text="On it", at=T0 + dt.timedelta(minutes=7))
    store.record_outbound(case_id, account_id=1, text="Done", at=T0 + dt.timedelta(minutes=50))
    store.set_status(case_id, "resolved", at=T0 + dt.timedelta(hours=1))
    detail = store.case_detail(case_id)
    assert detail.first_response_at == T0 + dt.timedelta(minutes=7)
    assert detail.resolved_at == T0 + dt.timedelta(hours=1)
    assert store.case_times([case_id])[case_id] == (detail.first_response_at, detail.resolved_at)
    assert detail.case.status is CaseStatus.RESOLVED
    # The first reply moved the new case to open, and says so.
    assert ("new", "open") in [(e.before, e.after) for e in detail.events if e.kind == "status"]


def test_inbox_orders_by_waiting_time_not_followers(store: Store) -> None:
    store.ingest([msg("@late@x.social", at=T0 + dt.timedelta(hours=5))])
    store.ingest([msg("@early@x.social", at=T0)])
    (answered,) = store.ingest([msg("@done@x.social", at=T0 + dt.timedelta(hours=1))]).case_ids
    store.record_outbound(answered, account_id=1, text="hi", at=T0 + dt.timedelta(hours=6))
    rows = store.cases_page(CaseFilter(view=View.ALL))
    assert [r.contact_handle for r in rows] == ["@early@x.social", "@late@x.social",
                                                "@done@x.social"]
    needs = store.cases_page(CaseFilter(view=View.NEEDS_REPLY))
    assert [r.contact_handle for r in needs] == ["@early@x.social", "@late@x.social"]


def test_keyset_pages_cover_everything_once(store: Store) -> None:
    store.ingest([msg(f"@u{i}@x.social", at=T0 + dt.timedelta(minutes=i % 7)) for i in range(95)])
    seen = []
    after = None
    while True:
        page = store.cases_page(after=after, limit=10)
        seen += [r.id for r in page]
        if len(page) < 10:
            break
        after = page[-1].sort_key
    assert sorted(seen) == sorted(r.id for r in store.cases_page(limit=1000))
    assert len(seen) == len(set(seen)) == 95


def test_views_and_account_counts(store: Store) -> None:
    (a,) = store.ingest([msg("@a@x.social")]).case_ids
    (b,) = store.ingest([msg("@b@x.social", account="@hello@kettle.example")]).case_ids
    (c,) = store.ingest([msg("@c@x.social")]).case_ids
    store.set_status(b, "waiting")
    store.set_status(c, "resolved")
    store.assign(a, "Priya")
    counts = store.view_counts()
    assert counts == {"needs_reply": 1, "mine": 1, "waiting": 1, "resolved": 1, "all": 3,
                      "snoozed": 0}
    assert store.unanswered_counts() == {1: 1}
    by_account = store.cases_page(CaseFilter(account_id=2))
    assert [r.id for r in by_account] == [b]


@pytest.mark.parametrize("query", [
    'kettle"', '"kettle', 'AND', 'kettle OR', 'NEAR(', '*', '"', "k*", "-kettle", "kettle)",
    "title:kettle", "^kettle", "", "   ", "🫖", "ketтle", "'; DROP TABLE messages; --",
])
def test_search_never_crashes(store: Store, query: str) -> None:
    store.ingest([msg(text='My "kettle" whistles AND leaks (badly) 🫖')])
    hits = store.search(query)
    assert isinstance(hits, list)
    assert store.message_count() == 1


def test_search_finds_words_and_authors(store: Store) -> None:
    store.ingest([msg("@ann@x.social", "The kettle leaks"), msg("@bob@x.social", "Crêpe pan?")])
    assert [h.message.text for h in store.search('kettle"')] == ["The kettle leaks"]
    assert [h.message.text for h in store.search("crepe")] == ["Crêpe pan?"]
    assert [h.message.author_handle for h in store.search("bob")] == ["@bob@x.social"]
    assert [h.message.text for h in store.search("ket*")] == ["The kettle leaks"]
    assert store.search("kettle pan") == []
    assert [r.contact_handle for r in store.search_cases("leaks")] == ["@ann@x.social"]


def test_markup_is_stored_verbatim(store: Store) -> None:
    text = "<b>bold</b> <script>alert(1)</script> &amp;"
    store.ingest([msg(text=text)])
    (hit,) = store.search("bold")
    assert hit.message.text == text


def test_mood_filter_and_order(store: Store) -> None:
    (sad,) = store.ingest([msg("@a@x.social", "x")], scorer=lambda t: -0.8).case_ids
    (glad,) = store.ingest([msg("@b@x.social", "x")], scorer=lambda t: 0.9).case_ids
    (unknown,) = store.ingest([msg("@c@x.social", "x")], scorer=lambda t: None).case_ids
    (meh,) = store.ingest([msg("@d@x.social", "x")], scorer=lambda t: -0.2).case_ids
    assert [r.id for r in store.cases_page(CaseFilter(order="mood"))] == [sad, meh, glad, unknown]
    first = store.cases_page(CaseFilter(order="mood"), limit=2)
    rest = store.cases_page(CaseFilter(order="mood"), after=first[-1].sort_key, limit=2)
    assert [r.id for r in first + rest] == [sad, meh, glad, unknown]
    assert [r.id for r in store.cases_page(CaseFilter(sentiment="negative"))] == [sad, meh]
    assert [r.id for r in store.cases_page(CaseFilter(sentiment="unknown"))] == [unknown]


def test_snoozed_case_resurfaces_at_the_top_when_due(store: Store) -> None:
    (early,) = store.ingest([msg("@a@x.social", at=T0)]).case_ids
    (late,) = store.ingest([msg("@b@x.social", at=T0 + dt.timedelta(hours=1))]).case_ids
    store.record_outbound(late, account_id=1, text="Checking with the warehouse",
                          at=T0 + dt.timedelta(hours=2))
    store.set_status(late, "waiting")
    due = T0 + dt.timedelta(days=1)
    store.snooze(late, until=due)
    store.snooze(early, until_reply=True)
    assert store.cases_page(CaseFilter(view=View.NEEDS_REPLY)) == []
    assert {r.id for r in store.cases_page(CaseFilter(view=View.SNOOZED))} == {early, late}
    assert store.next_wake() == due
    assert store.wake_due(due - dt.timedelta(seconds=1))[0] == []
    woken, changes = store.wake_due(due)
    assert woken == [late] and changes.cases
    needs = store.cases_page(CaseFilter(view=View.NEEDS_REPLY))
    assert [r.id for r in needs] == [late]  # a due follow-up, though waiting on the customer
    assert [r.id for r in store.cases_page()][0] == late  # at the very top of All
    assert [e.kind for e in store.case_events(late)][-2:] == ["snoozed", "followup_due"]
    # Acting on it (a reply) clears the follow-up.
    store.record_outbound(late, account_id=1, text="Here is the news")
    assert store.cases_page(CaseFilter(view=View.NEEDS_REPLY)) == []
    # The customer writing ends a snooze "until they reply".
    store.ingest([msg("@a@x.social", "any news?", at=T0 + dt.timedelta(days=2))])
    assert [r.id for r in store.cases_page(CaseFilter(view=View.NEEDS_REPLY))] == [early]
    assert "snooze_ended" in [e.kind for e in store.case_events(early)]


def test_snooze_refused_for_finished_case(store: Store) -> None:
    (case_id,) = store.ingest([msg()]).case_ids
    store.set_status(case_id, "resolved")
    with pytest.raises(KnownError, match="nothing to follow up"):
        store.snooze(case_id, until_reply=True)


def test_reply_from_another_platform_joins_the_case_platforms(store: Store) -> None:
    (case_id,) = store.ingest([msg()]).case_ids
    assert store.case_row(case_id).platforms == ("mastodon",)
    store.record_outbound(case_id, account_id=3, text="Answering from Bluesky")
    assert store.case_row(case_id).platforms == ("bluesky", "mastodon")

"""One customer across platforms: link and unlink contacts, profile evidence, suggestions."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from console.core.errors import KnownError
from console.core.models import CaseStatus, Platform, ProfileEvidence
from console.core.store import CaseFilter, Store, View
from tests.conftest import T0, msg

# Every table the link touches, with the columns that say its state (the timeline and
# the link records are history, compared separately).
STATE_TABLES = ("contacts", "contact_handles", "cases", "case_messages", "case_accounts",
                "notes", "checklist_items", "replies", "messages")


def state(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    return {t: sorted(store.db.conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
            for t in STATE_TABLES}


def two_customers(store: Store) -> tuple[int, int, int, int]:
    """Maya writes on Mastodon, then on Bluesky: two contacts, two open cases."""
    store.ingest([msg("@maya@x.social", "Lid is cracked", at=T0)])
    store.ingest([msg("maya.bsky.social", "Also never got the refund", at=T0 + dt.timedelta(1),
                      platform=Platform.BLUESKY, account="help.kettle.example")])
    keep = store.contact_of_handle("mastodon", "@maya@x.social")
    other = store.contact_of_handle("bluesky", "maya.bsky.social")
    return keep, other, store.current_case_of(keep), store.current_case_of(other)


def test_link_merges_open_cases_and_unlink_restores_exactly(store: Store) -> None:
    keep, other, keep_case, other_case = two_customers(store)
    store.add_note(other_case, "Refund ref 123")
    store.add_issue(other_case, "refund missing")
    store.add_note(keep_case, "Sent a new lid?")
    store.assign(other_case, "Priya")
    before = state(store)
    events_before = {c: [e.id for e in store.case_events(c)] for c in (keep_case, other_case)}

    link_id, changes = store.link_contacts(keep, other)
    assert {keep_case, other_case} <= changes.case_ids
    assert store.contact_of_handle("bluesky", "maya.bsky.social") == keep
    detail = store.case_detail(keep_case)
    assert [m.text for m in detail.messages] == ["Lid is cracked", "Also never got the refund"]
    assert sorted(n.body for n in detail.notes) == ["Refund ref 123", "Sent a new lid?"]
    assert [i.text for i in detail.checklist] == ["refund missing"]
    assert detail.case.platforms == ("bluesky", "mastodon")
    assert store.case_row(other_case).status is CaseStatus.CLOSED
    assert [r.id for r in store.cases_page(CaseFilter(view=View.ALL))] == [keep_case]
    assert "contact_linked" in [e.kind for e in store.case_events(keep_case)]
    assert [h for _, h in store.contact_summary(keep).handles] == [
        "@maya@x.social", "maya.bsky.social"]

    store.unlink_contacts(link_id)
    assert state(store) == before
    # The timeline is history: it shows both the link and the unlink, after what was there.
    for case_id in (keep_case, other_case):
        events = store.case_events(case_id)
        assert [e.id for e in events][:len(events_before[case_id])] == events_before[case_id]
        kinds = [e.kind for e in events[len(events_before[case_id]):]]
        assert "case_split" in kinds and ("contact_linked" in kinds or "merged" in kinds)
    assert [e.kind for e in store.case_events(keep_case)][-2:] == ["case_split",
                                                                    "contact_unlinked"]
    assert store.contact_link(link_id).unlinked_at is not None
    with pytest.raises(KnownError, match="already undone"):
        store.unlink_contacts(link_id)


def test_unlink_restores_when_only_one_side_had_an_open_case(store: Store) -> None:
    keep, other, keep_case, other_case = two_customers(store)
    store.set_status(keep_case, "resolved")
    before = state(store)
    link_id, _ = store.link_contacts(keep, other)
    # No case merge: the other case now belongs to the kept contact, and stays open.
    assert store.case_row(other_case).contact_id == keep
    assert store.case_row(other_case).status is CaseStatus.NEW
    store.unlink_contacts(link_id)
    assert state(store) == before


def test_unlink_after_new_messages_splits_them_by_author(store: Store) -> None:
    keep, other, keep_case, other_case = two_customers(store)
    link_id, _ = store.link_contacts(keep, other)
    # Since the link: Maya writes on both platforms and we answer each.
    store.ingest([msg("maya.bsky.social", "Refund still missing", remote_id="b2",
                      platform=Platform.BLUESKY, account="help.kettle.example",
                      at=T0 + dt.timedelta(days=2))])
    store.ingest([msg("@maya@x.social", "And the lid?", at=T0 + dt.timedelta(days=2, hours=1))])
    store.record_outbound(keep_case, account_id=3, text="Refund sent", in_reply_to="b2",
                          at=T0 + dt.timedelta(days=2, hours=2))
    store.record_outbound(keep_case, account_id=1, text="Lid shipped",
                          at=T0 + dt.timedelta(days=2, hours=3))
    assert store.case_detail(keep_case).case.message_count == 6

    store.unlink_contacts(link_id)
    kept = store.case_detail(keep_case)
    split = store.case_detail(other_case)
    assert [m.text for m in kept.messages] == ["Lid is cracked", "And the lid?", "Lid shipped"]
    assert [m.text for m in split.messages] == [
        "Also never got the refund", "Refund still missing", "Refund sent"]
    assert kept.case.message_count == 3 and split.case.message_count == 3
    assert kept.case.platforms == ("mastodon",) and split.case.platforms == ("bluesky",)
    assert split.case.contact_id == other and store.case_row(other_case).status is CaseStatus.NEW
    # Both were answered after the customer's last message: nobody is waiting.
    assert kept.case.waiting_since is None and split.case.waiting_since is None
    assert store.contact_of_handle("bluesky", "maya.bsky.social") == other
    assert sorted(r.id for r in store.cases_page(CaseFilter(view=View.ALL))) == sorted(
        [keep_case, other_case])
    assert store.case_accounts([other_case])[other_case] == ["help.kettle.example"]
    assert "help.kettle.example" not in store.case_accounts([keep_case])[keep_case]


def test_new_case_opened_after_the_link_goes_back_with_its_author(store: Store) -> None:
    keep, other, keep_case, other_case = two_customers(store)
    store.set_status(other_case, "closed")
    store.set_status(keep_case, "closed")
    link_id, _ = store.link_contacts(keep, other)
    (late_case,) = store.ingest([msg("maya.bsky.social", "New problem", remote_id="b9",
                                     platform=Platform.BLUESKY, account="help.kettle.example",
                                     at=T0 + dt.timedelta(days=40))]).case_ids
    assert store.case_row(late_case).contact_id == keep
    store.unlink_contacts(link_id)
    assert store.case_row(late_case).contact_id == other
    assert store.case_row(other_case).contact_id == other


def test_links_undo_in_reverse_order(store: Store) -> None:
    keep, other, _, _ = two_customers(store)
    store.ingest([msg("maya_x", "hi", platform=Platform.MASTODON)])
    third = store.contact_of_handle("mastodon", "maya_x")
    first, _ = store.link_contacts(keep, other)
    second, _ = store.link_contacts(third, keep)
    with pytest.raises(KnownError, match=f"unlink #{second} first"):
        store.unlink_contacts(first)
    store.unlink_contacts(second)
    store.unlink_contacts(first)
    assert len({store.contact_of_handle(p, h) for p, h in [
        ("mastodon", "@maya@x.social"), ("bluesky", "maya.bsky.social"),
        ("mastodon", "maya_x")]}) == 3


def test_link_refuses_itself_and_merged(store: Store) -> None:
    keep, other, _, _ = two_customers(store)
    with pytest.raises(KnownError, match="themselves"):
        store.link_contacts(keep, keep)
    store.link_contacts(keep, other)
    with pytest.raises(KnownError, match="already linked"):
        store.link_contacts(keep, other)


def test_link_of_handle_and_search(store: Store) -> None:
    keep, other, _, _ = two_customers(store)
    link_id, _ = store.link_contacts(keep, other)
    assert store.link_of_handle("bluesky", "maya.bsky.social").id == link_id
    with pytest.raises(KnownError, match="their own handle"):
        store.link_of_handle("mastodon", "@maya@x.social")
    assert store.contact_by_handle("bluesky:maya.bsky.social") == keep
    assert store.contact_by_handle("MAYA.bsky.social") == keep
    store.ingest([msg("@bob@x.social")])
    assert [c.name for c in store.find_contacts("bob")] == ["Bob"]
    assert store.find_contacts("maya", exclude=keep) == []
    assert [c.id for c in store.linked_contacts()] == [keep]


# --- profile evidence and suggestions ---------------------------------------------------------


def with_profile(message: Any, **evidence: tuple[str, ...]) -> Any:
    return dataclasses.replace(message, author_profile=ProfileEvidence(**evidence))


def test_profile_naming_the_other_handle_is_suggested_never_linked(store: Store) -> None:
    store.ingest([with_profile(msg("@maya@x.social", "Lid is cracked"),
                               mentions=("bluesky:maya.bsky.social",))])
    store.ingest([msg("maya.bsky.social", "Refund?", platform=Platform.BLUESKY,
                      account="help.kettle.example")])
    masto = store.contact_of_handle("mastodon", "@maya@x.social")
    bsky = store.contact_of_handle("bluesky", "maya.bsky.social")
    assert masto != bsky  # suggested, not linked
    (suggestion,) = store.link_suggestions(masto)
    assert suggestion.contact.id == bsky
    assert "names maya.bsky.social" in suggestion.reason
    (reverse,) = store.link_suggestions(bsky)
    assert reverse.contact.id == masto
    store.dismiss_suggestion(suggestion.pair)
    assert store.link_suggestions(masto) == [] and store.link_suggestions() == []


def test_same_verified_link_is_suggested(store: Store) -> None:
    store.ingest([with_profile(msg("@halcy@icosahedron.website"), verified_links=("halcy.de",))])
    store.ingest([with_profile(msg("halcy.de", platform=Platform.BLUESKY,
                                   account="help.kettle.example"), verified_links=("halcy.de",))])
    masto = store.contact_of_handle("mastodon", "@halcy@icosahedron.website")
    (suggestion,) = store.link_suggestions(masto)
    assert suggestion.contact.handles == (("bluesky", "halcy.de"),)
    assert "verified link halcy.de" in suggestion.reason


def test_weak_evidence_is_not_suggested(store: Store) -> None:
    # A Bluesky profile naming another Bluesky handle is a colleague, not the same person.
    store.ingest([with_profile(msg("ann.bsky.social", platform=Platform.BLUESKY,
                                   account="help.kettle.example"),
                               mentions=("bluesky:uni.bsky.social",))])
    store.ingest([msg("uni.bsky.social", platform=Platform.BLUESKY,
                      account="help.kettle.example")])
    assert store.link_suggestions() == []
    ann = store.contact_of_handle("bluesky", "ann.bsky.social")
    uni = store.contact_of_handle("bluesky", "uni.bsky.social")
    assert store.link_suggestions(ann) == [] and store.link_suggestions(uni) == []


def test_bluesky_profile_naming_a_mastodon_handle_either_spelling(store: Store) -> None:
    # Handles are stored as the connector wrote them ("@maya@x.social" here); profiles are
    # matched without the leading @ and without case.
    store.ingest([msg("@Maya@x.social", "Lid")])
    store.ingest([with_profile(msg("maya.bsky.social", platform=Platform.BLUESKY,
                                   account="help.kettle.example"),
                               mentions=("mastodon:maya@x.social",))])
    masto = store.contact_of_handle("mastodon", "@Maya@x.social")
    bsky = store.contact_of_handle("bluesky", "maya.bsky.social")
    assert [s.contact.id for s in store.link_suggestions(masto)] == [bsky]
    assert [s.contact.id for s in store.link_suggestions(bsky)] == [masto]
    assert [s.pair for s in store.link_suggestions()] == [
        ("bluesky:maya.bsky.social", "mastodon:maya@x.social")]


def test_newest_profile_replaces_older_evidence(store: Store) -> None:
    store.ingest([with_profile(msg("@maya@x.social"), mentions=("bluesky:old.bsky.social",))])
    store.ingest([with_profile(msg("@maya@x.social"), mentions=("bluesky:maya.bsky.social",))])
    assert store.profile_evidence("mastodon", "@maya@x.social") == {
        "mention": ["bluesky:maya.bsky.social"], "verified_link": []}
    # A message without the profile leaves what we know alone.
    store.ingest([msg("@maya@x.social")])
    assert store.profile_evidence("mastodon", "@maya@x.social")["mention"]


def test_linked_contacts_are_no_longer_suggested(store: Store) -> None:
    store.ingest([with_profile(msg("@maya@x.social"), mentions=("bluesky:maya.bsky.social",))])
    store.ingest([msg("maya.bsky.social", platform=Platform.BLUESKY,
                      account="help.kettle.example")])
    masto = store.contact_of_handle("mastodon", "@maya@x.social")
    bsky = store.contact_of_handle("bluesky", "maya.bsky.social")
    link_id, _ = store.link_contacts(masto, bsky)
    assert store.link_suggestions() == []
    store.unlink_contacts(link_id)
    # Unlinking brings the suggestion back (dismiss it to silence it).
    assert [s.contact.id for s in store.link_suggestions(masto)] == [bsky]

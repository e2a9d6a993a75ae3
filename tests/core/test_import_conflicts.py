"""Import conflicts beyond status: owner, ticks, notes, renamed items are never overwritten."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console.core import export, importer
from console.core.export import Selection
from console.core.models import CaseStatus
from console.core.store import Store
from tests.conftest import T0, msg

T = T0 + dt.timedelta(hours=1)


def handover(tmp_path: Path, name: str, store: Store, case_id: int) -> Path:
    path = tmp_path / f"{name}.json"
    export.export(store, Selection(case_ids=(case_id,)), "json", path)
    return path


@pytest.fixture
def pair(store: Store, new_store: Any, tmp_path: Path) -> Iterator[tuple[Store, Store, int, int]]:
    """Sam's workspace with one case (an open checklist item, owner Bea) handed to Bea's."""
    store.set_setting("team.roster", [{"name": "Sam", "me": True}, {"name": "Bea"},
                                      {"name": "Dee"}])
    store.ingest([msg("@ann@example.social", "My kettle leaks", at=T0)])
    case_a = store.current_case_of(store.contact_of_handle("mastodon", "@ann@example.social"))
    store.add_issue(case_a, "kettle leaks", at=T0 + dt.timedelta(minutes=1))
    store.assign(case_a, "Bea", at=T0 + dt.timedelta(minutes=2))
    bea = new_store()  # on the same backend as Sam's
    bea.set_setting("user.name", "Bea")
    bea.set_setting("team.roster", [{"name": "Bea", "me": True}, {"name": "Carl"},
                                    {"name": "Dee"}, {"name": "Sam"}])
    importer.import_file(bea, handover(tmp_path, "to-bea", store, case_a))
    case_b = bea.current_case_of(bea.contact_of_handle("mastodon", "@ann@example.social"))
    yield store, bea, case_a, case_b


def conflicts(result: importer.ImportResult) -> list[tuple[int, str, str | None, str | None]]:
    return [(c.case_id, c.field, c.ours, c.theirs) for c in result.conflicts]


def logged_conflicts(store: Store, case_id: int) -> list[tuple[str, str | None, str | None]]:
    return [(e.detail["field"], e.before, e.after) for e in store.case_events(case_id)
            if e.kind == "import_conflict"]


def item(store: Store, case_id: int) -> tuple[str, bool]:
    (only,) = store.case_detail(case_id).checklist
    return only.text, only.done


def test_owner_changed_on_both_sides_is_reported_and_ours_kept(
        pair: tuple[Store, Store, int, int], tmp_path: Path) -> None:
    sam, bea, case_a, case_b = pair
    sam.assign(case_a, "Dee", at=T)
    bea.assign(case_b, "Carl", at=T + dt.timedelta(minutes=5))
    from_bea = handover(tmp_path, "back", bea, case_b)
    from_sam = handover(tmp_path, "to-bea-2", sam, case_a)
    result = importer.import_file(sam, from_bea)
    assert conflicts(result) == [(case_a, "owner", "Dee", "Carl")]
    assert result.to_dict()["conflicts"] == [
        {"case_id": case_a, "field": "owner", "ours": "Dee", "theirs": "Carl"}]
    assert sam.case_row(case_a).owner == "Dee"
    assert logged_conflicts(sam, case_a) == [("owner", "Dee", "Carl")]
    assert importer.import_file(sam, from_bea).nothing_changed
    # And the other way round: Bea keeps Carl and is told about Dee.
    result = importer.import_file(bea, from_sam)
    assert conflicts(result) == [(case_b, "owner", "Carl", "Dee")]
    assert bea.case_row(case_b).owner == "Carl"


@pytest.mark.parametrize("sam_ticks", [True, False])
def test_a_checklist_item_ticked_differently_is_reported_and_ours_kept(
        pair: tuple[Store, Store, int, int], tmp_path: Path, sam_ticks: bool) -> None:
    sam, bea, case_a, case_b = pair
    # One side leaves the item done, the other ticks it and unticks it again (undone).
    here, there = (sam, bea) if sam_ticks else (bea, sam)
    here_case, there_case = (case_a, case_b) if sam_ticks else (case_b, case_a)
    here.set_issue_done(here.case_detail(here_case).checklist[0].id, True, at=T)
    there_item = there.case_detail(there_case).checklist[0].id
    there.set_issue_done(there_item, True, at=T + dt.timedelta(minutes=1))
    there.set_issue_done(there_item, False, at=T + dt.timedelta(minutes=2))
    result = importer.import_file(sam, handover(tmp_path, "back", bea, case_b))
    ours, theirs = ("done", "open") if sam_ticks else ("open", "done")
    assert conflicts(result) == [(case_a, "issue: kettle leaks", ours, theirs)]
    assert item(sam, case_a) == ("kettle leaks", sam_ticks)
    assert logged_conflicts(sam, case_a) == [("issue: kettle leaks", ours, theirs)]
    assert importer.import_file(sam, tmp_path / "back.json").nothing_changed


def test_local_owner_and_ticks_survive_an_import_that_changed_other_things(
        pair: tuple[Store, Store, int, int], tmp_path: Path) -> None:
    sam, bea, case_a, case_b = pair
    sam.assign(case_a, "Dee", at=T)
    sam.set_issue_done(sam.case_detail(case_a).checklist[0].id, True, at=T)
    sam.add_note(case_a, "Called her back", at=T + dt.timedelta(minutes=1))
    bea.add_note(case_b, "Replacement booked", at=T + dt.timedelta(minutes=2))
    bea.set_status(case_b, CaseStatus.WAITING, at=T + dt.timedelta(minutes=3))
    result = importer.import_file(sam, handover(tmp_path, "back", bea, case_b))
    assert result.conflicts == [] and result.notes_added == 1
    row = sam.case_row(case_a)
    # Theirs only where only they changed something.
    assert (row.owner, row.status) == ("Dee", CaseStatus.WAITING)
    assert item(sam, case_a) == ("kettle leaks", True)
    assert sorted(n.body for n in sam.case_detail(case_a).notes) == [
        "Called her back", "Replacement booked"]
    # Bea, importing Sam's side, gets his owner and tick, and keeps her own note and status.
    result = importer.import_file(bea, handover(tmp_path, "to-bea-2", sam, case_a))
    assert result.conflicts == []
    assert (bea.case_row(case_b).owner, bea.case_row(case_b).status) == ("Dee", CaseStatus.WAITING)
    assert item(bea, case_b) == ("kettle leaks", True)


def test_notes_from_both_sides_are_all_kept(pair: tuple[Store, Store, int, int],
                                            tmp_path: Path) -> None:
    sam, bea, case_a, case_b = pair
    sam.add_note(case_a, "Same words", at=T)
    bea.add_note(case_b, "Same words", at=T + dt.timedelta(minutes=1))  # a different note
    bea.add_note(case_b, "Bea's own", at=T + dt.timedelta(minutes=2))
    result = importer.import_file(sam, handover(tmp_path, "back", bea, case_b))
    assert result.notes_added == 2 and result.conflicts == []
    assert result.cases_updated == [case_a]
    notes = sorted((n.author, n.body) for n in sam.case_detail(case_a).notes)
    assert notes == [("Bea", "Bea's own"), ("Bea", "Same words"), ("Sam", "Same words")]
    assert importer.import_file(sam, tmp_path / "back.json").nothing_changed


def test_a_renamed_checklist_item_is_reported_not_overwritten_or_doubled(
        pair: tuple[Store, Store, int, int], tmp_path: Path) -> None:
    sam, bea, case_a, case_b = pair
    sam.set_issue_done(sam.case_detail(case_a).checklist[0].id, True, at=T)
    path = handover(tmp_path, "back", bea, case_b)
    # The store has no rename yet; a log written by another version or edited by hand can
    # carry one: the same item (same creation entry) under another text.
    data = json.loads(path.read_text(encoding="utf-8"))
    data["cases"][0]["checklist"][0]["text"] = "kettle leaks at the base"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = importer.import_file(sam, path)
    assert item(sam, case_a) == ("kettle leaks", True)
    assert conflicts(result) == [
        (case_a, "issue: kettle leaks", "kettle leaks", "kettle leaks at the base")]
    assert importer.import_file(sam, path).nothing_changed

""""Same person" links in case logs: exported, made again on import, idempotent, never forced.

Real SQLite files on both sides and real JSON files between them: Sam links a customer's
Mastodon and Bluesky handles, exports, and Bea imports the file into her own workspace.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console.core import export, importer
from console.core.export import Selection
from console.core.models import Platform
from console.core.store import Store
from tests.conftest import T0, msg
from tests.core.test_export import schema_validator

ANA_M = ("mastodon", "@ana@mastodon.example")
ANA_B = ("bluesky", "ana.example")
ANA_X = ("x", "ana_x")
LINKED_AT = T0 + dt.timedelta(hours=2)


def workspace(path: Path, me: str) -> Store:
    store = Store.open(path)
    store.set_setting("user.name", me)
    store.add_account(platform="mastodon", handle="@help@kettle.example")
    store.add_account(platform="bluesky", handle="help.kettle.example")
    store.add_account(platform="x", handle="kettlehelp")
    return store


def ana_writes(store: Store, *, on_x: bool = False) -> None:
    """Ana writes on Mastodon, then on Bluesky (and X): one contact, one case each."""
    store.ingest([msg(ANA_M[1], "My kettle leaks", name="Ana", at=T0, remote_id="m1")])
    store.ingest([msg(ANA_B[1], "Still leaking, any news?", name="Ana B",
                      account="help.kettle.example", platform=Platform.BLUESKY,
                      at=T0 + dt.timedelta(hours=1), remote_id="at://ana/1")])
    if on_x:
        store.ingest([msg(ANA_X[1], "Hello? The kettle.", name="Ana X", account="kettlehelp",
                          platform=Platform.X, at=T0 + dt.timedelta(hours=3), remote_id="x1")])


def contact(store: Store, handle: tuple[str, str]) -> int:
    return int(store.contact_of_handle(*handle))


def link(store: Store, keep: tuple[str, str], other: tuple[str, str],
         at: dt.datetime = LINKED_AT) -> int:
    link_id, _ = store.link_contacts(contact(store, keep), contact(store, other), at=at)
    return link_id


def log_of(store: Store, path: Path) -> dict[str, Any]:
    export.export(store, Selection(), "json", path)
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def sam(tmp_path: Path) -> Iterator[Store]:
    store = workspace(tmp_path / "sam.db", "Sam")
    ana_writes(store)
    link(store, ANA_M, ANA_B)
    yield store
    store.close()


@pytest.fixture
def bea(tmp_path: Path) -> Iterator[Store]:
    store = workspace(tmp_path / "bea.db", "Bea")
    store.add_account(platform="bluesky", handle="other.example")  # ids differ from Sam's
    store.ingest([msg("zed.example", "hello", account="other.example",
                      platform=Platform.BLUESKY, at=T0, remote_id="z1")])
    yield store
    store.close()


def test_links_are_in_the_exported_log(sam: Store, tmp_path: Path) -> None:
    data = log_of(sam, tmp_path / "sam.json")
    assert not list(schema_validator().iter_errors(data))
    (entry,) = data["links"]
    assert entry["keep_handles"] == [{"platform": ANA_M[0], "handle": ANA_M[1]}]
    assert entry["other_handles"] == [{"platform": ANA_B[0], "handle": ANA_B[1]}]
    assert (entry["actor"], entry["linked_at"], entry["unlinked_at"]) == (
        "Sam", "2026-11-02T11:00:00Z", None)
    ids = {c["id"] for c in data["contacts"]}
    assert {entry["keep_contact"], entry["other_contact"]} <= ids


def test_import_makes_the_link_undoable_and_a_second_import_changes_nothing(
        sam: Store, bea: Store, tmp_path: Path) -> None:
    log_of(sam, tmp_path / "sam.json")
    result = importer.import_file(bea, tmp_path / "sam.json")
    assert result.links_added == 1 and result.warnings == []
    assert any("linked across handles" in line for line in result.summary_lines())
    made = bea.link_of_handle(*ANA_B)  # a real link: recorded, with Sam's time and name
    assert (made.actor, made.linked_at, made.handles) == ("Sam", LINKED_AT, (ANA_B,))
    assert contact(bea, ANA_M) == contact(bea, ANA_B)
    live = [c for c in bea.cases_page(limit=100) if c.contact_name.startswith("Ana")]
    assert len(live) == 1 and live[0].message_count == 2  # one customer, one case, as Sam's

    before = log_of(bea, tmp_path / "bea-before.json")
    again = importer.import_file(bea, tmp_path / "sam.json")
    assert again.nothing_changed and again.links_added == 0 and again.warnings == []
    assert log_of(bea, tmp_path / "bea-after.json") == before
    assert len([link for link in before["links"]]) == 1
    # Back into the workspace it came from: the link is found, nothing changes there either.
    assert importer.import_file(sam, tmp_path / "sam.json").nothing_changed

    # Bea can undo it like her own link: two customers again.
    bea.unlink_contacts(made.id, actor="Bea")
    assert contact(bea, ANA_M) != contact(bea, ANA_B)
    # ... and importing Sam's file again does not link them behind her back.
    later = importer.import_file(bea, tmp_path / "sam.json")
    assert later.links_added == 0 and contact(bea, ANA_M) != contact(bea, ANA_B)
    assert any("undone here" in w for w in later.warnings), later.warnings


def test_import_links_the_customer_bea_already_has_as_two(
        sam: Store, bea: Store, tmp_path: Path) -> None:
    ana_writes(bea)  # Bea synced the same posts: two contacts, two live cases
    assert contact(bea, ANA_M) != contact(bea, ANA_B)
    log_of(sam, tmp_path / "sam.json")
    result = importer.import_file(bea, tmp_path / "sam.json")
    assert result.links_added == 1 and result.messages_added == 0
    assert contact(bea, ANA_M) == contact(bea, ANA_B)
    kinds = [e.kind for c in bea.cases_page(limit=100) for e in bea.case_events(c.id)]
    assert "contact_linked" in kinds
    assert importer.import_file(bea, tmp_path / "sam.json").nothing_changed


def test_contacts_bea_keeps_apart_are_never_linked(sam: Store, bea: Store, tmp_path: Path
                                                    ) -> None:
    ana_writes(bea)
    own = link(bea, ANA_M, ANA_B, at=T0 + dt.timedelta(days=1))
    bea.unlink_contacts(own)  # Bea decided: two different people
    log_of(sam, tmp_path / "sam.json")
    result = importer.import_file(bea, tmp_path / "sam.json")
    assert result.links_added == 0 and contact(bea, ANA_M) != contact(bea, ANA_B)
    assert any(f"link #{own} between them was undone here" in w for w in result.warnings)
    assert not importer.import_file(bea, tmp_path / "sam.json").links_added


def test_a_dismissed_suggestion_keeps_them_apart(sam: Store, tmp_path: Path) -> None:
    bea = workspace(tmp_path / "bea.db", "Bea")
    try:
        ana_writes(bea)
        bea.dismiss_suggestion(("mastodon:ana@mastodon.example", "bluesky:ana.example"))
        log_of(sam, tmp_path / "sam.json")
        result = importer.import_file(bea, tmp_path / "sam.json")
        assert result.links_added == 0 and contact(bea, ANA_M) != contact(bea, ANA_B)
        assert any("dismissed here" in w for w in result.warnings), result.warnings
    finally:
        bea.close()


def test_a_chain_of_links_comes_over_link_by_link(tmp_path: Path) -> None:
    """Ana's X handle linked to her Bluesky one, then that customer to her Mastodon one."""
    sam = workspace(tmp_path / "sam.db", "Sam")
    bea = workspace(tmp_path / "bea.db", "Bea")
    try:
        ana_writes(sam, on_x=True)
        first = link(sam, ANA_B, ANA_X)
        link(sam, ANA_M, ANA_B, at=LINKED_AT + dt.timedelta(hours=2))
        data = log_of(sam, tmp_path / "sam.json")
        assert not list(schema_validator().iter_errors(data))
        sides = [([h["handle"] for h in e["keep_handles"]], [h["handle"] for h in e["other_handles"]])
                 for e in data["links"]]
        # Each side as it was at its link: Bluesky kept X first, then Mastodon kept both.
        assert sides == [([ANA_B[1]], [ANA_X[1]]), ([ANA_M[1]], [ANA_B[1], ANA_X[1]])]

        result = importer.import_file(bea, tmp_path / "sam.json")
        assert result.links_added == 2, result.warnings
        assert len({contact(bea, h) for h in (ANA_M, ANA_B, ANA_X)}) == 1
        assert importer.import_file(bea, tmp_path / "sam.json").nothing_changed
        # Undone in the same order as in Sam's workspace: the newest link first.
        newest = bea.link_of_handle(*ANA_B)
        bea.unlink_contacts(newest.id)
        assert contact(bea, ANA_M) != contact(bea, ANA_B) == contact(bea, ANA_X)
        bea.unlink_contacts(bea.link_of_handle(*ANA_X).id)
        assert len({contact(bea, h) for h in (ANA_M, ANA_B, ANA_X)}) == 3
        assert first  # Sam's own links stay as they were
    finally:
        sam.close()
        bea.close()

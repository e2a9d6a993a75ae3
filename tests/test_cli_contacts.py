"""``community-console contacts``: link, unlink and list, run as a user runs them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from console.core import paths
from console.core.models import Platform, ProfileEvidence
from console.core.store import CaseFilter, Store, View
from tests.conftest import T0, msg
from tests.test_cli import cli


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A workspace where Maya wrote on Mastodon (her bio names her Bluesky handle) and on
    Bluesky: two customers, two open cases."""
    store = Store.open(paths.workspace_path("default", base=tmp_path))
    store.add_account(platform="mastodon", handle="help@kettle.example", role="support")
    store.add_account(platform="bluesky", handle="help.kettle.example", role="support")
    store.ingest([dataclasses.replace(
        msg("maya@fosstodon.example", "Lid is cracked", account="help@kettle.example", at=T0),
        author_profile=ProfileEvidence(mentions=("bluesky:maya.bsky.social",)))])
    store.ingest([msg("maya.bsky.social", "Refund?", platform=Platform.BLUESKY,
                      account="help.kettle.example", at=T0 + dt.timedelta(hours=1))])
    store.close()
    return tmp_path


def cases(data_dir: Path) -> list[tuple[int, str]]:
    store = Store.open(paths.workspace_path("default", base=data_dir), read_only=True)
    try:
        return [(r.id, r.contact_handle) for r in store.cases_page(CaseFilter(view=View.ALL))]
    finally:
        store.close()


def test_suggest_link_undo(data_dir: Path) -> None:
    base = ("--data-dir", str(data_dir))
    listed = cli(*base, "contacts", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    doc = json.loads(listed.stdout)
    assert doc["linked"] == []
    (suggestion,) = doc["suggestions"]
    assert suggestion["handles"] == ["bluesky:maya.bsky.social", "mastodon:maya@fosstodon.example"]
    assert "names maya.bsky.social" in suggestion["reason"]
    text = cli(*base, "contacts", "list").stdout
    assert ("community-console contacts link bluesky:maya.bsky.social "
            "mastodon:maya@fosstodon.example") in text
    assert len(cases(data_dir)) == 2

    linked = cli(*base, "contacts", "link", "maya@fosstodon.example", "bluesky:maya.bsky.social")
    assert linked.returncode == 0, linked.stderr
    assert "Undo: community-console contacts unlink --link 1" in linked.stdout
    assert cases(data_dir) == [(1, "maya@fosstodon.example")]
    doc = json.loads(cli(*base, "contacts", "list", "--json").stdout)
    (maya,) = doc["linked"]
    assert maya["handles"] == ["mastodon:maya@fosstodon.example", "bluesky:maya.bsky.social"]
    assert [link["handles"] for link in maya["links"]] == [["bluesky:maya.bsky.social"]]
    assert doc["suggestions"] == []

    # The undo the link printed, by the handle (either spelling) or by the link's id.
    unlinked = cli(*base, "contacts", "unlink", "maya.bsky.social", "--json")
    assert unlinked.returncode == 0, unlinked.stderr
    out = json.loads(unlinked.stdout)
    assert out["undo"] == ("community-console contacts link mastodon:maya@fosstodon.example "
                           "bluesky:maya.bsky.social")
    assert sorted(cases(data_dir)) == [(1, "maya@fosstodon.example"), (2, "maya.bsky.social")]
    again = cli(*base, "contacts", "unlink", "--link", "1")
    assert again.returncode == 1 and "already undone" in again.stderr
    shown = json.loads(cli(*base, "case", "show", "1", "--json").stdout)
    kinds = [e["kind"] for e in shown["timeline"]]
    assert "contact_linked" in kinds and "contact_unlinked" in kinds


def test_errors_are_said_plainly(data_dir: Path) -> None:
    base = ("--data-dir", str(data_dir))
    missing = cli(*base, "contacts", "link", "maya@fosstodon.example", "nobody.bsky.social")
    assert missing.returncode == 1
    assert "No customer has the handle nobody.bsky.social" in missing.stderr
    own = cli(*base, "contacts", "unlink", "mastodon:maya@fosstodon.example")
    assert own.returncode == 1 and "Nothing is linked to it" in own.stderr
    neither = cli(*base, "contacts", "unlink")
    assert neither.returncode == 1 and "Name the handle" in neither.stderr

"""CSV export: every text column is neutralised against formulas, for every dangerous prefix."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from console.core import export
from console.core.export import Selection
from console.core.models import IncomingMessage, Platform
from console.core.store import Store
from tests.conftest import T0

#: What Excel, LibreOffice and Google Sheets read as the start of a formula.
PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def hostile(tmp_path: Path) -> Store:
    """One case per prefix, where every text a user or a stranger can set starts with it."""
    store = Store.open(tmp_path / "w.db")
    store.set_setting("user.name", "Sam")
    # Owners come from the roster: a hostile name there too (a teammate's typo or paste).
    store.set_setting("team.roster", [{"name": "Sam", "me": True}] + [
        {"name": f"{p}owner{i}"} for i, p in enumerate(PREFIXES)])
    for i, p in enumerate(PREFIXES):
        store.add_account(platform="mastodon", handle=f"{p}acct{i}")
        store.add_contact(f"{p}contact{i}", [("mastodon", f"{p}handle{i}")])
        at = T0 + dt.timedelta(hours=i)
        store.ingest([IncomingMessage(
            platform=Platform.MASTODON, account_handle=f"{p}acct{i}", remote_id=f"r{i}",
            author_handle=f"{p}handle{i}", author_name=f"{p}author{i}", text=f"{p}text{i}",
            created_at=at, url=f"{p}url{i}", in_reply_to=f"{p}parent{i}")])
        case = store.current_case_of(store.contact_of_handle("mastodon", f"{p}handle{i}"))
        store.add_note(case, f"{p}note{i}", actor=f"{p}actor{i}", at=at + dt.timedelta(minutes=1))
        store.assign(case, f"{p}owner{i}", at=at + dt.timedelta(minutes=2))
        store.add_issue(case, f"{p}item{i}", at=at + dt.timedelta(minutes=3))
    yield store
    store.close()


def kept(value: str) -> str:
    """A typed value as the CSV must show it: the store strips owners, notes and items."""
    value = value.strip()
    return "'" + value if value.startswith(PREFIXES) else value


def assert_no_formula(rows: list[dict[str, str]]) -> None:
    for row in rows:
        for column, value in row.items():
            assert not value.startswith(PREFIXES), (column, value)


@pytest.mark.parametrize("i", range(len(PREFIXES)))
def test_every_text_column_of_the_events_csv_is_neutralised(hostile: Store, tmp_path: Path,
                                                            i: int) -> None:
    export.export(hostile, Selection(), "csv", tmp_path / "e.csv")
    rows = read_csv(tmp_path / "e.csv")
    assert_no_formula(rows)
    p = PREFIXES[i]
    mine = [r for r in rows if r["contact_name"] == f"'{p}contact{i}"]
    assert mine, f"no rows for prefix {p!r}"
    assert {r["case_owner"] for r in mine} == {kept(f"{p}owner{i}")}
    assert {r["contact_handles"] for r in mine} == {f"'{p}handle{i}"}
    (arrival,) = [r for r in mine if r["kind"] == "message_in"]
    assert (arrival["message_author"], arrival["message_author_name"],
            arrival["message_text"]) == (f"'{p}handle{i}", f"'{p}author{i}", f"'{p}text{i}")
    (note,) = [r for r in mine if r["kind"] == "note"]
    assert (note["actor"], note["after"]) == (f"'{p}actor{i}", kept(f"{p}note{i}"))
    assert [r["after"] for r in mine if r["kind"] == "assign"] == [kept(f"{p}owner{i}")]
    assert [r["after"] for r in mine if r["kind"] == "issue_added"] == [kept(f"{p}item{i}")]


@pytest.mark.parametrize("i", range(len(PREFIXES)))
def test_every_text_column_of_the_messages_csv_is_neutralised(hostile: Store, tmp_path: Path,
                                                              i: int) -> None:
    export.export(hostile, Selection(), "csv-messages", tmp_path / "m.csv")
    rows = read_csv(tmp_path / "m.csv")
    assert_no_formula(rows)
    p = PREFIXES[i]
    (row,) = [r for r in rows if r["contact_name"] == f"'{p}contact{i}"]
    assert {k: row[k] for k in ("case_owner", "account", "author_handle", "author_name",
                                "text", "url", "in_reply_to")} == {
        "case_owner": kept(f"{p}owner{i}"), "account": f"'{p}acct{i}",
        "author_handle": f"'{p}handle{i}", "author_name": f"'{p}author{i}",
        "text": f"'{p}text{i}", "url": f"'{p}url{i}", "in_reply_to": f"'{p}parent{i}"}


def test_plain_cells_and_numbers_are_left_alone(hostile: Store, tmp_path: Path) -> None:
    export.export(hostile, Selection(), "csv-messages", tmp_path / "m.csv")
    rows = read_csv(tmp_path / "m.csv")
    assert [r["platform"] for r in rows] == ["mastodon"] * len(PREFIXES)
    assert all(r["case_id"].isdigit() and r["message_id"].isdigit() for r in rows)
    assert export.csv_safe("a=b") == "a=b" and export.csv_safe(-1) == -1
    assert export.csv_safe(" =x") == " =x"  # not a formula: the sheet sees a leading space

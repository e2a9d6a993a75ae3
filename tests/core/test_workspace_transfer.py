"""Moving the demo workspace to a real team server and back: interrupted, resumed, never doubled."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest

from console import cli
from console.core import demo
from console.core.errors import KnownError
from console.core.store import Store, transfer
from console.core.store.transfer import TABLES, copy_workspace_rows


def digest(store: Store) -> dict[str, tuple[int, str]]:
    """Each table's row count and a digest of its rows in key order (both backends alike)."""
    out = {}
    for table, key, _ in TABLES:
        cols = [d[0] for d in store.db.conn.execute(f"SELECT * FROM {table} LIMIT 0").description
                if d[0] != "search_doc"]
        rows = store.db.conn.execute(
            f"SELECT {', '.join(cols)} FROM {table} ORDER BY {', '.join(key)}").fetchall()
        rows = [r for r in rows if not (table == "settings" and str(r[0]).startswith("_"))]
        h = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()[:16]
        out[table] = (len(rows), h)
    return out


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo.create_demo_workspace(tmp_path_factory.mktemp("demo"))


def interrupted_copy(source: Store, target: Store, after_batches: int) -> None:
    seen = {"n": 0}

    def cancelled() -> bool:
        seen["n"] += 1
        return seen["n"] > after_batches

    with pytest.raises(KnownError, match="run it again to resume"):
        copy_workspace_rows(source, target, cancelled=cancelled)


def test_push_then_pull_interrupted_and_resumed_copies_every_row_once(
        demo_path: Path, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfer, "BATCH", 40)  # many batches, so an interruption lands mid-table
    laptop = Store.open(demo_path)
    server = Store.connect(pg_url)
    want = digest(laptop)
    assert want["messages"][0] > 300
    interrupted_copy(laptop, server, after_batches=9)  # stops inside the messages
    partly = digest(server)
    assert 0 < partly["messages"][0] < want["messages"][0]
    copy_workspace_rows(laptop, server)
    assert digest(server) == want
    assert sum(copy_workspace_rows(laptop, server).values()) == 0  # a third run copies nothing
    # The team goes on where the laptop stopped: new rows get new ids.
    server.add_note(server.cases_page()[0].id, "pushed and still working")
    # ... and back to a new laptop file, interrupted too.
    back = Store.open(tmp_path / "pulled.db")
    interrupted_copy(server, back, after_batches=12)
    copy_workspace_rows(server, back)
    assert digest(back) == digest(server)
    assert [h.message.author_handle for h in back.search("🙏")] == \
        [h.message.author_handle for h in laptop.search("🙏")]
    for s in (laptop, server, back):
        s.close()


def test_a_target_holding_another_workspace_is_refused(demo_path: Path, pg_url: str) -> None:
    server = Store.connect(pg_url)
    server.add_account(platform="mastodon", handle="@other@brand.example")
    laptop = Store.open(demo_path)
    before = digest(server)
    with pytest.raises(KnownError, match="already holds a workspace"):
        copy_workspace_rows(laptop, server)
    assert digest(server) == before
    laptop.close()
    server.close()


def test_push_and_pull_from_the_command_line(pg_url: str, tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    args: Any = cli.build_parser().parse_args(["--demo", "--server", pg_url, "workspace", "push"])
    assert cli.run(args, out, err) == 0, err.getvalue()
    assert "pushed to" in out.getvalue() and "messages: 317 of 317" in err.getvalue()
    args = cli.build_parser().parse_args(["--server", pg_url, "--data-dir", str(tmp_path),
                                          "workspace", "pull"])
    assert cli.run(args, out, err) == 0, err.getvalue()
    args = cli.build_parser().parse_args(["--data-dir", str(tmp_path), "search", "tonight"])
    out = io.StringIO()
    assert cli.run(args, out, err) == 0
    assert "sale ends tonight" in out.getvalue()

"""accounts add|list|remove, sync, reply, outbox list|send, run as a user runs them.

Each command is a subprocess on a real workspace file. The Bluesky test talks to the real
local network (``bsky_net``) and keeps the app password in the test run's own throwaway
gnome-keyring (packaging/with-keyring.sh), never the user's; the demo test needs neither.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from console.cli import default_scorer
from console.connectors.bluesky import BlueskyConnector
from console.connectors.http import build_session
from console.connectors.registry import secret_key
from console.core import demo, paths
from console.core.secrets import KeyringSecretStore, MemorySecretStore
from console.core.store import Store
from tests.helpers import require_test_keyring

REPO = Path(__file__).resolve().parent.parent
KEY = secret_key("bluesky", "brand.test")


def cli(data: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console", "--data-dir", str(data), *args],
                          input=stdin, capture_output=True, text=True, cwd=REPO, timeout=300)


def cli_json(data: Path, *args: str) -> Any:
    out = cli(data, *args, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def post_mention(conn: dict[str, Any], who: str, text: str, mentioned_did: str) -> None:
    """``who`` posts ``text`` on the local network, its leading @handle a real mention."""
    import datetime as dt

    import requests

    pds, acc = conn["pds_url"], conn["accounts"][who]
    session = requests.post(f"{pds}/xrpc/com.atproto.server.createSession", timeout=30,
                            json={"identifier": acc["handle"], "password": acc["password"]})
    session.raise_for_status()
    token = session.json()["accessJwt"]
    handle_end = len(text.split(" ", 1)[0].encode())
    record = {"$type": "app.bsky.feed.post", "text": text,
              "createdAt": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
              "facets": [{"index": {"byteStart": 0, "byteEnd": handle_end},
                          "features": [{"$type": "app.bsky.richtext.facet#mention",
                                        "did": mentioned_did}]}]}
    made = requests.post(f"{pds}/xrpc/com.atproto.repo.createRecord", timeout=30,
                         headers={"Authorization": f"Bearer {token}"},
                         json={"repo": acc["did"], "collection": "app.bsky.feed.post",
                               "record": record})
    made.raise_for_status()


@pytest.fixture
def test_keyring() -> Iterator[KeyringSecretStore]:
    """with-keyring.sh's throwaway keyring (refused otherwise); the brand's entry removed after."""
    require_test_keyring()
    store = KeyringSecretStore()
    for key in (KEY, f"{KEY}:session"):  # a leftover would make "add" look like "update"
        store.delete(key)
    yield store
    for key in (KEY, f"{KEY}:session"):
        store.delete(key)


@pytest.mark.bluesky
def test_bluesky_account_sync_reply_send_and_remove(
        tmp_path: Path, bsky_net: dict[str, Any], bsky_sync: Callable[[], None],
        test_keyring: KeyringSecretStore) -> None:
    data = tmp_path / "cc"
    brand = bsky_net["accounts"]["brand"]
    pds = bsky_net["pds_url"]
    assert cli(data, "init").returncode == 0
    db = paths.workspace_path("default", base=data)

    # 1. A wrong app password is refused and nothing is stored.
    bad = cli(data, "accounts", "add", "bluesky", "--handle", "brand.test", "--server", pds,
              stdin="aaaa-bbbb-cccc-dddd\n")
    assert bad.returncode == 1 and "app password" in bad.stderr, bad.stderr
    assert "aaaa-bbbb-cccc-dddd" not in bad.stdout + bad.stderr
    assert test_keyring.get(KEY) is None
    assert cli_json(data, "accounts", "list") == []

    # 2. The real one (on stdin, as a script pipes it) is verified, then kept only in the keyring.
    added = cli(data, "accounts", "add", "bluesky", "--handle", "brand.test", "--server", pds,
                "--role", "support", stdin=brand["app_password"] + "\n")
    assert added.returncode == 0, added.stderr
    assert "Added brand.test on bluesky" in added.stdout
    assert test_keyring.get(KEY) == brand["app_password"]
    raw = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    assert brand["app_password"].encode() not in raw  # never in the database (or its WAL)
    (account,) = cli_json(data, "accounts", "list")
    assert (account["platform"], account["handle"], account["server"], account["role"]) == (
        "bluesky", "brand.test", pds, "support")
    assert account["display_name"] == "Acme Support" and account["last_sync_at"] is None

    # 3. Sync brings alice's posts in as a case. She writes one now: the shared network
    #    may hold many older mentions (other tests'), and a first sync reads a bounded page.
    marker = f"110V kettle trips the fuse {uuid.uuid4().hex[:8]}"
    post_mention(bsky_net, "alice", f"@brand.test my {marker}", brand["did"])
    bsky_sync()
    synced = cli(data, "sync")
    assert synced.returncode == 0, synced.stderr
    assert "1 of 1 account(s) synced" in synced.stdout
    assert "brand.test: done" in synced.stderr
    (account,) = cli_json(data, "accounts", "list")
    assert account["last_sync_at"] and account["last_error"] is None
    cases = [c for c in cli_json(data, "cases", "list") if c["contact"]["handle"] == "alice.test"]
    assert cases, "no case from alice after sync"
    case_id = cases[0]["id"]
    detail = cli_json(data, "case", "show", str(case_id))
    customer_posts = {m["text"] for m in detail["messages"] if m["direction"] == "in"}
    assert any(marker in t for t in customer_posts), customer_posts

    # 4. Reply and approve it into the outbox.
    marker = uuid.uuid4().hex[:8]
    text = f"Hi Alice, thank you for your patience. We have fixed it now (ref {marker}). ^SR"
    replied = cli(data, "reply", str(case_id), "--text", text, "--approve", "--json")
    assert replied.returncode == 0, replied.stdout + replied.stderr
    reply = json.loads(replied.stdout)
    assert reply["state"] == "approved"
    (queued,) = cli_json(data, "outbox", "list")
    assert (queued["id"], queued["case_id"], queued["state"], queued["text"]) == (
        reply["reply_id"], case_id, "approved", text)
    assert queued["account"] == "brand.test"

    # 5. Send: the post really appears on the network, once, as a reply to alice.
    sent = cli(data, "outbox", "send")
    assert sent.returncode == 0, sent.stderr
    assert "1 of 1 reply(ies) sent" in sent.stdout
    assert f"reply #{reply['reply_id']} (case #{case_id}): sent" in sent.stderr
    assert cli_json(data, "outbox", "list") == []
    again = cli(data, "outbox", "send")  # nothing left: sending twice posts nothing
    assert again.returncode == 0 and "0 of 0" in again.stdout
    bsky_sync()
    alice = BlueskyConnector(
        handle="alice.test", server=pds, session=build_session(), account_key="alice",
        secrets=MemorySecretStore({"alice": bsky_net["accounts"]["alice"]["password"]}))
    seen = [m for m in alice.fetch_since(None).items if marker in m.text]
    assert len(seen) == 1, seen
    assert seen[0].author_handle == "brand.test" and seen[0].text == text
    ours = [m for m in cli_json(data, "case", "show", str(case_id))["messages"]
            if m["direction"] == "out"]
    assert [m["text"] for m in ours] == [text]
    assert ours[0]["url"].startswith("https://bsky.app/profile/brand.test/post/")

    # 6. Remove: every secret of the account leaves the keyring (the app password and the
    #    session the connector kept); the account stays for its history, but cannot sync.
    assert test_keyring.get(f"{KEY}:session"), "the connector keeps its refresh token here"
    removed = cli(data, "accounts", "remove", "brand.test")
    assert removed.returncode == 0, removed.stderr
    assert "Removed the credentials of brand.test" in removed.stdout
    assert test_keyring.get(KEY) is None
    assert test_keyring.get(f"{KEY}:session") is None
    assert cli_json(data, "case", "show", str(case_id))["id"] == case_id
    after = cli(data, "sync")
    assert after.returncode == 1, after.stdout + after.stderr
    assert "brand.test: FAILED" in after.stderr and "0 of 1 account(s) synced" in after.stdout


def test_accounts_errors_without_network(tmp_path: Path) -> None:
    data = tmp_path / "cc"
    assert cli(data, "init").returncode == 0
    assert cli_json(data, "accounts", "list") == []
    missing = cli(data, "accounts", "remove", "nobody.example")
    assert missing.returncode == 1 and "nobody.example" in missing.stderr
    empty = cli(data, "accounts", "add", "bluesky", "--handle", "brand.test", stdin="\n")
    assert empty.returncode == 1 and "No token or app password" in empty.stderr
    assert cli_json(data, "outbox", "list") == []


@pytest.fixture
def demo_data(tmp_path: Path) -> Path:
    """A data folder whose default workspace is a copy of the demo (it 'sends' locally)."""
    target = paths.workspace_path("default", base=tmp_path / "demo")
    target.parent.mkdir(parents=True)
    built = demo.create_demo_workspace(tmp_path / "build", scorer=default_scorer())
    shutil.copyfile(built, target)
    shutil.rmtree(built.parent)
    return tmp_path / "demo"


def test_reply_voice_checks_and_outbox_on_the_demo(demo_data: Path) -> None:
    cases = cli_json(demo_data, "cases", "list", "--view", "needs_reply")
    case_id = cases[0]["id"]
    before = {r["id"] for r in cli_json(demo_data, "outbox", "list")}

    # An error finding blocks approval, with or without a reason; the draft is kept,
    # nothing enters the outbox.
    for extra in ((), ("--override", "customer asked for the address")):
        blocked = cli(demo_data, "reply", str(case_id), "--text",
                      "We apologize for any inconvenience!!! Email sam@gmail.com LOL",
                      "--approve", *extra)
        assert blocked.returncode == 1 and "cannot be overridden" in blocked.stderr
        assert "is draft" in blocked.stdout
        assert {r["id"] for r in cli_json(demo_data, "outbox", "list")} == before

    # A draft without --approve stays a draft.
    drafted = json.loads(cli(demo_data, "reply", str(case_id), "--text",
                             "Hi, I'm looking into it now. ^SR", "--json").stdout)
    assert drafted["state"] == "draft"

    # Warnings are judgement: overridden with a reason, which is kept on the reply.
    ok = cli(demo_data, "reply", str(case_id), "--text",
             "We apologize for any inconvenience!!! LOL", "--approve",
             "--override", "the customer's own joke", "--json")
    assert ok.returncode == 0, ok.stderr
    reply = json.loads(ok.stdout)
    assert reply["state"] == "approved" and reply["reply_id"] == drafted["reply_id"]
    assert {f["severity"] for f in reply["findings"]} <= {"warning", "suggestion"}
    queued = {r["id"]: r for r in cli_json(demo_data, "outbox", "list")}
    assert queued[reply["reply_id"]]["override_reason"] == "the customer's own joke"
    assert queued[reply["reply_id"]]["findings"]

    # The demo workspace sends locally: every approved reply leaves the outbox.
    sent = cli(demo_data, "outbox", "send")
    assert sent.returncode == 0, sent.stderr
    assert cli_json(demo_data, "outbox", "list") == []
    store = Store.open(paths.workspace_path("default", base=demo_data), read_only=True)
    try:
        out_texts = [m.text for m in store.case_detail(case_id).messages
                     if m.direction.value == "out"]
    finally:
        store.close()
    assert "We apologize for any inconvenience!!! LOL" in out_texts

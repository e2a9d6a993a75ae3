"""Two members' apps (two processes) send one shared outbox on a real team server, with the
local Bluesky network as the platform: every reply is posted exactly once.

Each process is ``community-console --server URL outbox send``, as a member runs it; the
brand's app password is in with-keyring.sh's throwaway keyring. ``bench/team_outbox_crash.py``
does the same while killing one of the two, 200 times.
"""

from __future__ import annotations

import collections
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from console.core.models import ReplyState
from console.core.secrets import KeyringSecretStore
from console.core.store import Store
from tests.test_cli_accounts import KEY, post_mention, test_keyring  # noqa: F401

REPO = Path(__file__).resolve().parent.parent.parent


def team_cli(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console", "--server", url, *args],
                          input=stdin, capture_output=True, text=True, cwd=REPO, timeout=300)


def brand_posts(conn: dict[str, Any], marker: str) -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    cursor = None
    while True:
        params = {"repo": conn["accounts"]["brand"]["did"], "collection": "app.bsky.feed.post",
                  "limit": 100, **({"cursor": cursor} if cursor else {})}
        body = requests.get(f"{conn['pds_url']}/xrpc/com.atproto.repo.listRecords",
                            params=params, timeout=30).json()
        for record in body.get("records", []):
            if marker in record["value"].get("text", ""):
                counts[record["value"]["text"]] += 1
        cursor = body.get("cursor")
        if not cursor or not body.get("records"):
            return counts


@pytest.mark.bluesky
def test_two_apps_racing_on_one_case_post_each_reply_once(
        pg_url: str, bsky_net: dict[str, Any], bsky_sync: Callable[[], None],
        test_keyring: KeyringSecretStore) -> None:  # noqa: F811
    brand = bsky_net["accounts"]["brand"]
    added = team_cli(pg_url, "accounts", "add", "bluesky", "--handle", "brand.test", "--server",
                     bsky_net["pds_url"], stdin=brand["app_password"] + "\n")
    assert added.returncode == 0, added.stderr
    marker = uuid.uuid4().hex[:8]
    post_mention(bsky_net, "alice", f"@brand.test three questions about my order ({marker})",
                 brand["did"])
    bsky_sync()
    synced = team_cli(pg_url, "sync")
    assert synced.returncode == 0, synced.stderr
    store = Store.connect(pg_url)
    (case,) = [c for c in store.cases_page() if c.contact_handle == "alice.test"]
    texts = [f"Answer {i} to your order question ({marker})." for i in range(4)]
    for text in texts:  # all on the same case: the outbox keeps their order
        out = team_cli(pg_url, "reply", str(case.id), "--text", text, "--approve")
        assert out.returncode == 0, out.stdout + out.stderr

    racers = [subprocess.Popen([sys.executable, "-m", "console", "--server", pg_url, "outbox",
                                "send"], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [r.communicate(timeout=300) for r in racers]
    assert all(r.returncode == 0 for r in racers), results

    posted = brand_posts(bsky_net, marker)
    assert {t: posted[t] for t in texts} == {t: 1 for t in texts}, "posted twice or never"
    states = {r.body: r.state for r in store.replies(
        (ReplyState.APPROVED, ReplyState.SENDING, ReplyState.SENT)) if marker in r.body}
    assert states == {t: ReplyState.SENT for t in texts}
    # Both apps took part or one found every reply taken: either way, said plainly.
    said = "".join(out + err for out, err in results)
    assert "reply(ies) sent" in said
    store.close()

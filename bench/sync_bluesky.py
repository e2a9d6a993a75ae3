"""Sync throughput against the local Bluesky network: notifications to cases in the store.

The customer (alice) posts N mentions of the brand; then a fresh workspace syncs
the brand account through the engine (fetch pages, normalise, ingest, thread into
cases, score sentiment). The baseline, in the same run, is the bare HTTP work:
paging through the same notifications with ``requests`` and parsing the JSON.

Usage: python bench/sync_bluesky.py [--posts 500]   (network up: ../shared/peers/bluesky/start.sh)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from console.cli import default_scorer  # noqa: E402
from console.connectors.bluesky import BlueskyConnector  # noqa: E402
from console.connectors.http import build_session  # noqa: E402
from console.core.secrets import MemorySecretStore  # noqa: E402
from console.core.store import Store  # noqa: E402
from console.sync import engine  # noqa: E402

CONNECTION = Path(os.environ.get("BSKY_NET_HOME", "/tmp/bsky-net")) / "run" / "connection.json"


def session_for(pds: str, handle: str, password: str) -> dict:
    r = requests.post(f"{pds}/xrpc/com.atproto.server.createSession",
                      json={"identifier": handle, "password": password}, timeout=30)
    r.raise_for_status()
    return r.json()


def post_mentions(conn: dict, n: int, run: str) -> None:
    pds = conn["pds_url"]
    alice = conn["accounts"]["alice"]
    brand = conn["accounts"]["brand"]
    auth = session_for(pds, alice["handle"], alice["password"])
    headers = {"Authorization": f"Bearer {auth['accessJwt']}"}
    mention = "@brand.test"
    for i in range(n):
        text = f"{mention} my order {run}-{i} arrived late and the lid is cracked, please help"
        facet = {"index": {"byteStart": 0, "byteEnd": len(mention.encode())},
                 "features": [{"$type": "app.bsky.richtext.facet#mention", "did": brand["did"]}]}
        record = {"$type": "app.bsky.feed.post", "text": text, "facets": [facet],
                  "createdAt": dt.datetime.now(dt.UTC).isoformat()}
        r = requests.post(f"{pds}/xrpc/com.atproto.repo.createRecord", headers=headers,
                          json={"repo": alice["did"], "collection": "app.bsky.feed.post",
                                "record": record}, timeout=30)
        r.raise_for_status()
    requests.post(f"{conn['control_url']}/sync", timeout=300)


def brand_headers(conn: dict) -> dict:
    brand = conn["accounts"]["brand"]
    auth = session_for(conn["pds_url"], brand["handle"], brand["app_password"])
    return {"Authorization": f"Bearer {auth['accessJwt']}"}


def raw_fetch(conn: dict, limit: int, headers: dict) -> int:
    """Baseline: page through the brand's newest ``limit`` notifications over plain HTTP."""
    pds = conn["pds_url"]
    cursor = None
    count = 0
    while True:
        params = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        body = requests.get(f"{pds}/xrpc/app.bsky.notification.listNotifications",
                            headers=headers, params=params, timeout=30).json()
        items = body.get("notifications", [])
        count += len(items)
        cursor = body.get("cursor")
        if not items or not cursor or count >= limit:
            return count


class Workspace:
    """A workspace with the brand account, synced once so that it has a cursor."""

    def __init__(self, conn: dict) -> None:
        brand = conn["accounts"]["brand"]
        self.store = Store.open(Path(tempfile.mkdtemp()) / "w.db")
        account_id, _ = self.store.add_account(platform="bluesky", handle=brand["handle"],
                                               server=conn["pds_url"])
        self.account = self.store.account(account_id)
        self.connector = BlueskyConnector(
            handle=brand["handle"], server=conn["pds_url"], session=build_session(),
            secrets=MemorySecretStore({"b": brand["app_password"]}), account_key="b")
        self.scorer = default_scorer()
        self.sync()

    def sync(self) -> int:
        """Sync until caught up; returns the new messages."""
        new = 0
        while True:
            out = engine.sync_account(self.store, self.account, lambda _account: self.connector,
                                      scorer=self.scorer)
            assert out.ok, out.error
            new += out.new_messages
            if not out.fetched:
                return new


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=500)
    args = parser.parse_args()
    conn = json.loads(CONNECTION.read_text())
    workspace = Workspace(conn)  # logged in, synced, has a cursor
    post_mentions(conn, args.posts, str(int(time.time())))
    headers = brand_headers(conn)  # both sides are logged in before the clock starts
    raw_fetch(conn, args.posts, headers)  # warm the AppView for both paths
    t0 = time.perf_counter()
    raw_items = raw_fetch(conn, args.posts, headers)
    raw_s = time.perf_counter() - t0
    before = workspace.store.message_count()
    t0 = time.perf_counter()
    new = workspace.sync()
    app_s = time.perf_counter() - t0
    print(json.dumps({
        "new mentions": args.posts,
        "raw HTTP paging of them (s)": round(raw_s, 2),
        "raw items/s": round(raw_items / raw_s),
        "app incremental sync to cases (s)": round(app_s, 2),
        "app items/s (notifications to cases)": round(new / app_s),
        "new messages stored": new,
        "messages before": before,
        "cases": workspace.store.case_count(),
        "ratio app/raw throughput": round((new / app_s) / (raw_items / raw_s), 3),
    }, indent=2))


if __name__ == "__main__":
    main()

"""Sync throughput against the local Bluesky network: mentions and direct messages to cases.

The customer (alice) posts N mentions of the brand, and M direct messages arrive from
``--senders`` customers (new accounts on the local PDS, made once and reused) through
the local chat server (tests/connectors/chat_server.py: the local network has no chat
service; it checks every call against the chat.bsky.convo lexicons). Then a workspace
that had synced before syncs the brand account through the engine (fetch pages,
normalise, ingest, thread into cases, score sentiment). The baseline, in the same run,
is the bare HTTP work: paging through the same notifications and conversations with
``requests`` and parsing the JSON.

Usage: python bench/sync_bluesky.py [--posts 500] [--dms 200] [--senders 20]
       (network up: ../shared/peers/bluesky/start.sh)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from console.cli import default_scorer  # noqa: E402
from console.connectors.bluesky import CHAT_PROXY, BlueskyConnector  # noqa: E402
from console.connectors.http import build_session  # noqa: E402
from console.core.secrets import MemorySecretStore  # noqa: E402
from console.core.store import Store  # noqa: E402
from console.sync import engine  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


class ChatProcess:
    """The local chat server (tests/connectors/chat_server.py) in its own process, as the
    real service is: its lexicon checks then do not compete with the app for this
    process's interpreter lock."""

    def __init__(self, pds: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.connectors.chat_server", "--pds", pds], cwd=REPO,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.url = (self.proc.stdout.readline() if self.proc.stdout else "").strip()
        if not self.url.startswith("http"):
            raise RuntimeError(f"the chat server did not start: {self.proc.stderr.read()}")

    def __enter__(self) -> ChatProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.proc.terminate()
        _out, err = self.proc.communicate(timeout=30)
        violations = [line for line in err.splitlines() if line.startswith("VIOLATION")]
        assert not violations, violations[:3]

CONNECTION = Path(os.environ.get("BSKY_NET_HOME", "/tmp/bsky-net")) / "run" / "connection.json"


def session_for(pds: str, handle: str, password: str) -> dict:
    r = requests.post(f"{pds}/xrpc/com.atproto.server.createSession",
                      json={"identifier": handle, "password": password}, timeout=30)
    r.raise_for_status()
    return r.json()


def post_mentions(conn: dict, n: int, run: str) -> list[str]:
    """Alice mentions the brand ``n`` times; returns the posts' record keys."""
    pds = conn["pds_url"]
    alice = conn["accounts"]["alice"]
    brand = conn["accounts"]["brand"]
    auth = session_for(pds, alice["handle"], alice["password"])
    headers = {"Authorization": f"Bearer {auth['accessJwt']}"}
    mention = "@brand.test"
    rkeys = []
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
        rkeys.append(r.json()["uri"].rsplit("/", 1)[-1])
    requests.post(f"{conn['control_url']}/sync", timeout=300)
    return rkeys


def delete_posts(conn: dict, rkeys: list[str]) -> None:
    """Remove the bench's posts again: the shared network's tests expect the seeded
    mentions among the brand's newest notifications."""
    pds = conn["pds_url"]
    alice = conn["accounts"]["alice"]
    auth = session_for(pds, alice["handle"], alice["password"])
    headers = {"Authorization": f"Bearer {auth['accessJwt']}"}
    for i in range(0, len(rkeys), 100):
        writes = [{"$type": "com.atproto.repo.applyWrites#delete",
                   "collection": "app.bsky.feed.post", "rkey": rkey}
                  for rkey in rkeys[i:i + 100]]
        requests.post(f"{pds}/xrpc/com.atproto.repo.applyWrites", headers=headers,
                      json={"repo": alice["did"], "writes": writes}, timeout=60).raise_for_status()
    requests.post(f"{conn['control_url']}/sync", timeout=300)


def dm_app_password(conn: dict) -> str:
    """An app password of the brand with direct-message access (privileged)."""
    brand = conn["accounts"]["brand"]
    auth = session_for(conn["pds_url"], brand["handle"], brand["password"])
    r = requests.post(f"{conn['pds_url']}/xrpc/com.atproto.server.createAppPassword",
                      headers={"Authorization": f"Bearer {auth['accessJwt']}"},
                      json={"name": f"bench-{time.time_ns()}", "privileged": True}, timeout=30)
    r.raise_for_status()
    return str(r.json()["password"])


def customers(conn: dict, n: int) -> list[dict]:
    """``n`` customer accounts on the local PDS (created on first use, then logged in)."""
    out = []
    for i in range(n):
        handle, password = f"dmbench{i}.test", "bench-password"
        r = requests.post(f"{conn['pds_url']}/xrpc/com.atproto.server.createAccount",
                          json={"handle": handle, "email": f"{handle}@example.test",
                                "password": password}, timeout=30)
        if not r.ok:  # made by an earlier run
            r = requests.post(f"{conn['pds_url']}/xrpc/com.atproto.server.createSession",
                              json={"identifier": handle, "password": password}, timeout=30)
        r.raise_for_status()
        out.append(r.json())
    return out


def send_dms(conn: dict, chat: ChatProcess, senders: list[dict], n: int, run: str) -> None:
    """Each customer writes to the brand through the chat server, as the Bluesky app does."""
    brand = conn["accounts"]["brand"]["did"]
    http = requests.Session()
    for i in range(n):
        sender = senders[i % len(senders)]
        headers = {"Authorization": f"Bearer {sender['accessJwt']}", "atproto-proxy": CHAT_PROXY}
        convo = http.get(f"{chat.url}/xrpc/chat.bsky.convo.getConvoForMembers",
                         params={"members": [brand]}, headers=headers, timeout=30)
        convo.raise_for_status()
        text = f"Private: my order {run}-dm{i} needs a new delivery address, can you help?"
        r = http.post(f"{chat.url}/xrpc/chat.bsky.convo.sendMessage", headers=headers,
                      json={"convoId": convo.json()["convo"]["id"], "message": {"text": text}},
                      timeout=30)
        r.raise_for_status()


def brand_headers(conn: dict, password: str) -> dict:
    brand = conn["accounts"]["brand"]
    auth = session_for(conn["pds_url"], brand["handle"], password)
    return {"Authorization": f"Bearer {auth['accessJwt']}"}


def raw_incremental(conn: dict, headers: dict, seen: str) -> int:
    """Baseline as a sync has to page: until the first notification it had already seen
    (indexedAt not after ``seen``), since it cannot know how many new ones there are."""
    http = requests.Session()
    cursor = None
    count = 0
    while True:
        params = {"limit": 100, "reasons": ["mention", "reply", "quote"]}
        if cursor:
            params["cursor"] = cursor
        body = http.get(f"{conn['pds_url']}/xrpc/app.bsky.notification.listNotifications",
                        headers=headers, params=params, timeout=30).json()
        items = body.get("notifications", [])
        for item in items:
            if item["indexedAt"] <= seen:  # ISO 8601 UTC stamps of one format sort as text
                return count
            count += 1
        cursor = body.get("cursor")
        if not items or not cursor:
            return count


def raw_dms(chat: ChatProcess, headers: dict, since: str | None) -> int:
    """Baseline: the conversations newer than ``since`` and their new messages, plain HTTP."""
    count = 0
    http = requests.Session()
    headers = {**headers, "atproto-proxy": CHAT_PROXY}
    convos = http.get(f"{chat.url}/xrpc/chat.bsky.convo.listConvos", params={"limit": 100},
                      headers=headers, timeout=30).json()["convos"]
    for convo in convos:
        if since is not None and convo["rev"] <= since:
            break
        cursor = None
        while True:
            params = {"convoId": convo["id"], "limit": 100}
            if cursor:
                params["cursor"] = cursor
            body = http.get(f"{chat.url}/xrpc/chat.bsky.convo.getMessages", params=params,
                            headers=headers, timeout=30).json()
            fresh = [m for m in body["messages"] if since is None or m["rev"] > since]
            count += len(fresh)
            cursor = body.get("cursor")
            if not cursor or len(fresh) < len(body["messages"]):
                break
    return count


def raw_fetch(conn: dict, limit: int, headers: dict) -> int:
    """Baseline: page through the brand's newest ``limit`` notifications over plain HTTP."""
    pds = conn["pds_url"]
    cursor = None
    count = 0
    http = requests.Session()  # keep-alive, as the app's session
    while True:
        params = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        body = http.get(f"{pds}/xrpc/app.bsky.notification.listNotifications",
                            headers=headers, params=params, timeout=30).json()
        items = body.get("notifications", [])
        count += len(items)
        cursor = body.get("cursor")
        if not items or not cursor or count >= limit:
            return count


def connector_paging(connector: BlueskyConnector, cursor: str | None) -> int:
    """Page through what the next sync would fetch, with the connector alone."""
    count = 0
    while True:
        page = connector.fetch_since(cursor)
        count += len(page.items)
        cursor = page.cursor
        if not page.has_more:
            return count


class Workspace:
    """A workspace with the brand account, synced once so that it has a cursor.

    ``copy()`` gives a fresh copy of that state, so each repetition syncs the same items.
    """

    def __init__(self, conn: dict, password: str, chat_url: str) -> None:
        brand = conn["accounts"]["brand"]
        self.folder = Path(tempfile.mkdtemp())
        self.store = Store.open(self.folder / "w.db")
        account_id, _ = self.store.add_account(platform="bluesky", handle=brand["handle"],
                                               server=conn["pds_url"])
        self.account = self.store.account(account_id)
        self.connector = BlueskyConnector(
            handle=brand["handle"], server=conn["pds_url"], session=build_session(),
            secrets=MemorySecretStore({"b": password}), account_key="b", chat_url=chat_url,
            direct_messages=True)
        self.scorer = default_scorer()
        self.sync()
        self.cursor = self.store.account_cursor(account_id)
        self.store.close()  # checkpointed: the file alone is the state to copy
        self.copies = 0

    def copy(self) -> Store:
        self.copies += 1
        target = self.folder / f"copy{self.copies}.db"
        shutil.copyfile(self.folder / "w.db", target)
        self.store = Store.open(target)
        return self.store

    def sync(self) -> int:
        """One sync, as the window's Sync button runs it (it pages until caught up)."""
        out = engine.sync_account(self.store, self.account, lambda _account: self.connector,
                                  scorer=self.scorer)
        assert out.ok, out.error
        return out.new_messages


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--dms", type=int, default=200)
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5,
                        help="raw/app pairs, each app sync on a fresh copy of the workspace")
    parser.add_argument("--profile", action="store_true", help="cProfile the first app sync")
    args = parser.parse_args()
    conn = json.loads(CONNECTION.read_text())
    password = dm_app_password(conn)
    rkeys: list[str] = []
    pairs: list[tuple[float, float, float]] = []  # raw, raw incremental, app: items/s
    counts: list[tuple[int, int, int]] = []
    try:
        with ChatProcess(conn["pds_url"]) as chat:
            senders = customers(conn, args.senders) if args.dms else []
            workspace = Workspace(conn, password, chat.url)  # logged in, synced, has a cursor
            since = json.loads(workspace.cursor or "{}").get("dm")
            seen = json.loads(workspace.cursor or "{}").get("seen") or ""
            run = str(int(time.time()))
            rkeys.extend(post_mentions(conn, args.posts, run))
            send_dms(conn, chat, senders, args.dms, run)
            headers = brand_headers(conn, password)  # both sides log in before the clock starts
            raw_items = raw_fetch(conn, args.posts, headers) + raw_dms(chat, headers, since)
            fetched = connector_paging(workspace.connector, workspace.cursor)  # warm both
            t0 = time.perf_counter()
            connector_paging(workspace.connector, workspace.cursor)
            connector_s = time.perf_counter() - t0  # diagnostic: HTTP + parsing, no storing
            for i in range(args.repeat):
                # Other test runs may add notifications on the shared network meanwhile:
                # each side's throughput counts its own items.
                t0 = time.perf_counter()
                raw_n = raw_fetch(conn, args.posts, headers) + raw_dms(chat, headers, since)
                raw_s = time.perf_counter() - t0
                t0 = time.perf_counter()
                raw_inc_n = raw_incremental(conn, headers, seen) + raw_dms(chat, headers, since)
                raw_inc_s = time.perf_counter() - t0
                store = workspace.copy()
                before = store.message_count()
                profiler = None
                if args.profile and i == 0:
                    import cProfile

                    profiler = cProfile.Profile()
                    profiler.enable()
                t0 = time.perf_counter()
                new = workspace.sync()
                app_s = time.perf_counter() - t0
                if profiler is not None:
                    import pstats

                    profiler.disable()
                    pstats.Stats(profiler, stream=sys.stderr).sort_stats(
                        "cumulative").print_stats(35)
                cases = store.case_count()
                store.close()
                pairs.append((raw_n / raw_s, raw_inc_n / raw_inc_s, new / app_s))
                counts.append((raw_n, raw_inc_n, new))
    finally:
        delete_posts(conn, rkeys)
    ratios = sorted(app / raw for raw, _, app in pairs)
    ratios_inc = sorted(app / raw_inc for _, raw_inc, app in pairs)
    print(json.dumps({
        "new mentions": args.posts,
        "new direct messages": args.dms,
        "items in the first raw paging (warm-up)": raw_items,
        "messages before": before,
        "cases after": cases,
        "items per round (raw knowing the count, raw to the first seen item, app stored)":
            [list(c) for c in counts],
        "raw HTTP paging, knowing the count (items/s), each round": [round(p[0]) for p in pairs],
        "raw HTTP paging to the first seen item (items/s), each round": [round(p[1])
                                                                         for p in pairs],
        "app incremental sync to cases (items/s), each round": [round(p[2]) for p in pairs],
        "connector paging only, nothing stored (s)": round(connector_s, 2),
        "connector items": fetched,
        "ratio app/raw (knowing the count), each round (sorted)": [round(r, 3)
                                                                   for r in ratios],
        "ratio app/raw (knowing the count), median": round(statistics.median(ratios), 3),
        "ratio app/raw (to the first seen item), each round (sorted)": [round(r, 3)
                                                                        for r in ratios_inc],
        "ratio app/raw (to the first seen item), median": round(statistics.median(ratios_inc),
                                                                3),
    }, indent=2))


if __name__ == "__main__":
    main()

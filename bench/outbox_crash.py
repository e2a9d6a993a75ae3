"""Outbox crash campaign against the local Bluesky network: kill the sender, restart, count.

For each round a new reply is approved and ``community-console outbox send`` is
started and killed (SIGKILL) at a random moment of its run (start-up, planning,
the post itself, recording the result). After every round has been killed, one
last ``outbox send`` runs to completion and reconciles. Then every reply's text
is looked up in the brand's own repository on the PDS: each must be there exactly
once (0 duplicates, 0 lost).

Run under a keyring (the CLI keeps the app password only there):
    packaging/with-keyring.sh python bench/outbox_crash.py [--rounds 200]
The network must be up: ../shared/peers/bluesky/start.sh
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from console.core.models import ReplyState  # noqa: E402
from console.core.store import Store  # noqa: E402

CONNECTION = Path(os.environ.get("BSKY_NET_HOME", "/tmp/bsky-net")) / "run" / "connection.json"


def cli(data: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console", "--data-dir", str(data), *args],
                          input=stdin, capture_output=True, text=True, cwd=REPO, timeout=300)


def brand_texts(conn: dict, prefix: str) -> collections.Counter[str]:
    """Every post text in the brand's repository that starts with ``prefix``."""
    pds = conn["pds_url"]
    did = conn["accounts"]["brand"]["did"]
    counts: collections.Counter[str] = collections.Counter()
    cursor = None
    while True:
        params = {"repo": did, "collection": "app.bsky.feed.post", "limit": 100}
        if cursor:
            params["cursor"] = cursor
        body = requests.get(f"{pds}/xrpc/com.atproto.repo.listRecords", params=params,
                            timeout=30).json()
        for record in body.get("records", []):
            text = record["value"].get("text", "")
            if text.startswith(prefix):
                counts[text] += 1
        cursor = body.get("cursor")
        if not cursor or not body.get("records"):
            return counts


def state_of(db: Path, text: str) -> str | None:
    import sqlite3

    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    try:
        row = conn.execute("SELECT state FROM replies WHERE body = ?", [text]).fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        conn.close()
    return row[0] if row else None


def kill_at_a_random_moment(child: subprocess.Popen, rng: random.Random, duration: float,
                            state: Callable[[], str | None]) -> None:  # type: ignore[type-arg]
    """SIGKILL ``child``: a quarter of the time anywhere from start-up on, else once its
    reply is out of "approved" (marked sending, saved before the network call), 0-60 ms
    later: during the post, while the answer is read, or while the result is recorded."""
    if rng.random() < 0.25:
        time.sleep(rng.uniform(0.05, 1.0) * duration)
    else:
        deadline = time.perf_counter() + 10
        while child.poll() is None and time.perf_counter() < deadline:
            if state() != "approved":
                break
            time.sleep(0.003)
        time.sleep(rng.uniform(0.0, 0.06))
    child.send_signal(signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    conn = json.loads(CONNECTION.read_text())
    data = Path(tempfile.mkdtemp(prefix="cc-crash-"))
    brand = conn["accounts"]["brand"]
    out = cli(data, "accounts", "add", "bluesky", "--handle", brand["handle"], "--server",
              conn["pds_url"], stdin=brand["app_password"] + "\n")
    assert out.returncode == 0, out.stderr
    requests.post(f"{conn['control_url']}/sync", timeout=120)
    out = cli(data, "sync")
    assert out.returncode == 0, out.stderr
    db = data / "workspaces" / "default.db"
    store = Store.open(db)
    (case,) = store.cases_page()
    store.close()

    prefix = f"crash-{int(time.time())}-"
    # Calibrate: how long a whole `outbox send` of one reply takes here.
    out = cli(data, "reply", str(case.id), "--text", f"calibration {prefix}", "--approve",
              "--override", "crash campaign")
    t0 = time.perf_counter()
    assert cli(data, "outbox", "send").returncode == 0
    duration = time.perf_counter() - t0
    texts = []
    left_in = collections.Counter()
    started = time.perf_counter()
    for i in range(args.rounds):
        text = f"{prefix}{i:03d} Sorry for the wait, this is sorted now. ^SR"
        texts.append(text)
        out = cli(data, "reply", str(case.id), "--text", text, "--approve", "--override",
                  "crash campaign")
        assert out.returncode == 0, out.stderr
        child = subprocess.Popen([sys.executable, "-m", "console", "--data-dir", str(data),
                                  "outbox", "send"], cwd=REPO, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        kill_at_a_random_moment(child, rng, duration, lambda: state_of(db, text))
        child.wait()
        store = Store.open(db, read_only=True)
        mine = [r for r in store.replies([ReplyState.APPROVED, ReplyState.SENDING,
                                          ReplyState.SENT, ReplyState.FAILED])
                if r.body == text]
        store.close()
        left_in[mine[0].state.value if mine else "missing"] += 1
        if (i + 1) % 20 == 0:
            print(f"{i + 1} kills, {time.perf_counter() - started:.0f} s", file=sys.stderr,
                  flush=True)
    final = cli(data, "outbox", "send")
    requests.post(f"{conn['control_url']}/sync", timeout=120)
    store = Store.open(db, read_only=True)
    replies = {r.body: r for r in store.replies([ReplyState.SENT, ReplyState.APPROVED,
                                                  ReplyState.SENDING, ReplyState.FAILED])}
    store.close()
    posted = brand_texts(conn, prefix)
    duplicates = sum(1 for t in texts if posted[t] > 1)
    lost = sum(1 for t in texts if posted[t] == 0)
    not_recorded = sum(1 for t in texts if t not in replies or
                       replies[t].state is not ReplyState.SENT)
    print(json.dumps({
        "kills": args.rounds,
        "one full send takes (s)": round(duration, 2),
        "replies": len(texts),
        "posted exactly once": sum(1 for t in texts if posted[t] == 1),
        "duplicates (target 0)": duplicates,
        "lost (target 0)": lost,
        "not recorded as sent locally": not_recorded,
        "state of each round's reply right after its kill": dict(left_in),
        "final send exit code": final.returncode,
        "seconds": round(time.perf_counter() - started),
    }, indent=2))


if __name__ == "__main__":
    main()

"""Team outbox crash campaign: two senders on one shared outbox (a real PostgreSQL team
server), the local Bluesky network as the platform, one of them killed every round.

Each round approves a new reply on the team server, starts two
``community-console --server URL outbox send`` processes (two members' apps) and
SIGKILLs one of them at a random moment of its run (start-up, claiming, the post,
recording the result); the other runs on. After the last round one more send
reconciles. Then every reply's text is looked up in the brand's repository on the PDS:
each must be there exactly once (0 duplicated, 0 lost).

Run under a keyring (the command line keeps the app password only there), network up:
    packaging/with-keyring.sh python bench/team_outbox_crash.py [--rounds 200]
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from outbox_crash import CONNECTION, brand_texts, kill_at_a_random_moment  # noqa: E402

from console.core.models import ReplyState  # noqa: E402
from console.core.store import Store  # noqa: E402
from tests.pgserver import PgServer, find_bin  # noqa: E402


def cli(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console", "--server", url, *args],
                          input=stdin, capture_output=True, text=True, cwd=REPO, timeout=300)


def sender(url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "console", "--server", url, "outbox", "send"],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def state_of(url: str, text: str) -> str | None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT state FROM replies WHERE body = %s", [text]).fetchone()
    return row[0] if row else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    conn = json.loads(CONNECTION.read_text())
    server = PgServer(find_bin()).start()
    try:
        server.admin("CREATE DATABASE team")
        url = server.url("team")
        run(url, conn, rng, args.rounds)
    finally:
        server.stop()


def run(url: str, conn: dict, rng: random.Random, rounds: int) -> None:  # type: ignore[type-arg]
    brand = conn["accounts"]["brand"]
    out = cli(url, "accounts", "add", "bluesky", "--handle", brand["handle"], "--server",
              conn["pds_url"], stdin=brand["app_password"] + "\n")
    assert out.returncode == 0, out.stderr
    requests.post(f"{conn['control_url']}/sync", timeout=120)
    out = cli(url, "sync")
    assert out.returncode == 0, out.stderr
    store = Store.connect(url)
    case = store.cases_page()[0]
    store.close()
    prefix = f"team-crash-{int(time.time())}-"
    cli(url, "reply", str(case.id), "--text", f"calibration {prefix}", "--approve",
        "--override", "crash campaign")
    t0 = time.perf_counter()
    assert cli(url, "outbox", "send").returncode == 0
    duration = time.perf_counter() - t0
    texts: list[str] = []
    after_kill: collections.Counter[str] = collections.Counter()
    started = time.perf_counter()
    for i in range(rounds):
        text = f"{prefix}{i:03d} Sorry for the wait, this is sorted now. ^SR"
        texts.append(text)
        out = cli(url, "reply", str(case.id), "--text", text, "--approve", "--override",
                  "crash campaign")
        assert out.returncode == 0, out.stderr
        pair = [sender(url), sender(url)]
        victim = pair[rng.randrange(2)]
        kill_at_a_random_moment(victim, rng, duration, lambda: state_of(url, text))
        for child in pair:
            child.wait(timeout=120)
        after_kill[state_of(url, text) or "missing"] += 1
        if (i + 1) % 20 == 0:
            print(f"{i + 1} kills, {time.perf_counter() - started:.0f} s", file=sys.stderr,
                  flush=True)
    final = cli(url, "outbox", "send")
    store = Store.connect(url)
    replies = {r.body: r for r in store.replies([ReplyState.SENT, ReplyState.APPROVED,
                                                  ReplyState.SENDING, ReplyState.FAILED])}
    store.close()
    posted = brand_texts(conn, prefix)
    print(json.dumps({
        "kills": rounds,
        "senders per round": 2,
        "one full send takes (s)": round(duration, 2),
        "replies": len(texts),
        "posted exactly once": sum(1 for t in texts if posted[t] == 1),
        "duplicated (target 0)": sum(1 for t in texts if posted[t] > 1),
        "lost (target 0)": sum(1 for t in texts if posted[t] == 0),
        "not recorded as sent on the server": sum(
            1 for t in texts if t not in replies or replies[t].state is not ReplyState.SENT),
        "state of each round's reply once both senders stopped": dict(after_kill),
        "final send exit code": final.returncode,
        "seconds": round(time.perf_counter() - started),
    }, indent=2))


if __name__ == "__main__":
    main()

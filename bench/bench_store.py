"""Store benchmarks for issue 2: ingest rate, first inbox paint, search latency, memory.

Every figure is reported as a ratio against a baseline measured in the same run:

* ingest: ``Store.ingest`` (dedupe, contacts, case threading, timeline, FTS)
  versus a raw ``sqlite3.executemany`` of the same rows into the same schema
  (FTS triggers included);
* first paint: the real window on a 1,000,000-message workspace versus a
  1,000-message one (each in a fresh process, which also gives peak RSS);
* search: ``Store.search`` versus a raw FTS5 ``MATCH`` of the same terms.

Usage: python bench/bench_store.py [--messages 1000000] [--out bench/out]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from console.core.models import IncomingMessage, MessageKind, Platform  # noqa: E402
from console.core.store import Store  # noqa: E402

ACCOUNTS = [("mastodon", "@help@kettle.example"), ("mastodon", "@hello@kettle.example"),
            ("bluesky", "help.kettle.example"), ("bluesky", "kettle.example")]
COMMON = ("the my order is a to and it was not of for you in on with late kettle refund "
          "delivery still broken thanks please help when where why damaged lid box courier "
          "parcel tracking charged twice love great awful waiting days week support").split()
SYLLABLES = ["ka", "lo", "mi", "ten", "ru", "sha", "ve", "dor", "pil", "qua", "zen", "bro",
             "tik", "nam", "fel", "gor", "hu", "jin", "lek", "mos"]
T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    words = list(COMMON)
    seen = set(words)
    while len(words) < size:
        w = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


def generate(n: int, seed: int = 7) -> Iterator[tuple[int, str, str, str, str, int]]:
    """(account index, remote id, author handle, author name, text, epoch) rows."""
    rng = random.Random(seed)
    words = vocabulary(rng)
    cum = list(itertools.accumulate(1 / (i + 1) for i in range(len(words))))  # Zipf-like
    authors = max(10, n // 10)
    base = int(T0.timestamp())
    step = max(1, (86400 * 60) // n)
    for i in range(n):
        a = rng.randrange(authors)
        text = " ".join(rng.choices(words, cum_weights=cum, k=rng.randint(6, 30)))
        yield (i % 4, f"m{i}", f"@user{a}@example.social", f"User {a}", text, base + i * step)


def incoming(rows: Iterator[tuple[int, str, str, str, str, int]]) -> Iterator[IncomingMessage]:
    for acc, rid, handle, name, text, at in rows:
        platform, account = ACCOUNTS[acc]
        yield IncomingMessage(
            platform=Platform(platform), account_handle=account, remote_id=rid,
            author_handle=handle if platform == "mastodon" else handle.strip("@").replace("@", "."),
            author_name=name, text=text, created_at=dt.datetime.fromtimestamp(at, dt.UTC),
            kind=MessageKind.MENTION)


def fresh_store(path: Path) -> Store:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    store = Store.open(path)
    store.set_setting("user.name", "Bench")
    for platform, handle in ACCOUNTS:
        store.add_account(platform=platform, handle=handle)
    return store


def bench_ingest(n: int, out: Path) -> dict[str, float]:
    raw_path = out / "raw.db"
    store = fresh_store(raw_path)
    store.close()
    conn = sqlite3.connect(raw_path)
    conn.execute("PRAGMA synchronous = NORMAL")
    # Rows are generated before the clock starts, for both sides.
    rows = [(acc + 1, ACCOUNTS[acc][0], rid, "in", "mention", None, handle, name, text, at)
            for acc, rid, handle, name, text, at in generate(n)]
    started = time.perf_counter()
    with conn:
        for start in range(0, n, 2000):
            conn.executemany(
                "INSERT INTO messages (account_id, platform, remote_id, direction, kind, "
                "contact_id, author_handle, author_name, text, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows[start:start + 2000])
    raw_s = time.perf_counter() - started
    conn.close()
    del rows

    app_path = out / f"workspace-{n}.db"
    store = fresh_store(app_path)
    items = list(incoming(generate(n)))
    started = time.perf_counter()
    result = store.ingest(items)
    app_s = time.perf_counter() - started
    assert len(result.new_message_ids) == n
    cases = store.case_count()
    store.close()
    del items
    raw_path.unlink()
    return {"messages": n, "cases": cases, "raw_rows_per_s": n / raw_s,
            "store_rows_per_s": n / app_s, "ratio": (n / app_s) / (n / raw_s),
            "raw_s": raw_s, "store_s": app_s}


def bench_search(path: Path, queries: int = 60) -> dict[str, float]:
    store = Store.open(path, read_only=True)
    rng = random.Random(3)
    words = vocabulary(random.Random(7))
    terms = ([rng.choice(words[:40]) for _ in range(queries // 3)]
             + [rng.choice(words[40:600]) for _ in range(queries // 3)]
             + [f"{rng.choice(words[:200])} {rng.choice(words[:200])}"
                for _ in range(queries // 3)])
    raw = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)

    def timed(fn) -> list[float]:  # type: ignore[no-untyped-def]
        out = []
        for term in terms:
            started = time.perf_counter()
            fn(term)
            out.append(time.perf_counter() - started)
        return out

    def raw_search(term: str) -> None:
        match = " ".join(f'"{w}"' for w in term.split())
        raw.execute("SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rank "
                    "LIMIT 100", [match]).fetchall()

    def app_search(term: str) -> None:
        store.search(term, limit=100)

    timed(raw_search), timed(app_search)  # warm the page cache for both
    raw_t, app_t = timed(raw_search), timed(app_search)

    def p95(xs: list[float]) -> float:
        return statistics.quantiles(xs, n=20)[-1]

    store.close()
    return {"raw_p95_ms": p95(raw_t) * 1000, "app_p95_ms": p95(app_t) * 1000,
            "ratio": p95(app_t) / p95(raw_t)}


def bench_paint(path: Path, runs: int = 3) -> dict[str, float]:
    """First painted inbox page in a fresh process (median of runs) and its peak RSS."""
    times = []
    rss = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, str(Path(__file__).parent / "first_paint.py"),
                              str(path)], capture_output=True, text=True, check=True,
                             env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
        data = json.loads(out.stdout.strip().splitlines()[-1])
        times.append(data["first_paint_s"])
        rss.append(data["peak_rss_mb"])
    return {"first_paint_s": statistics.median(times), "peak_rss_mb": max(rss)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--out", default=str(Path(__file__).parent / "out"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    small = fresh_store(out / f"workspace-{args.small}.db")
    small.ingest(incoming(generate(args.small)))
    small.close()
    print(f"ingesting {args.messages:,} messages (raw baseline, then the store)...", flush=True)
    ingest = bench_ingest(args.messages, out)
    print(json.dumps({"ingest": ingest}, indent=2), flush=True)
    big_path = out / f"workspace-{args.messages}.db"
    search = bench_search(big_path)
    print(json.dumps({"search": search}, indent=2), flush=True)
    paint_small = bench_paint(out / f"workspace-{args.small}.db")
    paint_big = bench_paint(big_path)
    paint = {"small": paint_small, "big": paint_big,
             "ratio": paint_big["first_paint_s"] / paint_small["first_paint_s"]}
    print(json.dumps({"first_paint": paint}, indent=2), flush=True)
    summary = {
        "ingest_ratio (target >= 0.5)": round(ingest["ratio"], 3),
        "store rows/s": round(ingest["store_rows_per_s"]),
        "raw rows/s": round(ingest["raw_rows_per_s"]),
        "first_paint_ratio 1M/1k (target <= 1.5)": round(paint["ratio"], 3),
        "first paint 1M (s)": round(paint_big["first_paint_s"], 3),
        "first paint 1k (s)": round(paint_small["first_paint_s"], 3),
        "peak RSS with 1M (MB, target <= 400)": round(paint_big["peak_rss_mb"], 1),
        "search p95 ratio (target <= 2)": round(search["ratio"], 3),
        "search p95 app/raw (ms)": (round(search["app_p95_ms"], 2), round(search["raw_p95_ms"], 2)),
    }
    print(json.dumps({"summary": summary}, indent=2))
    (out / "bench_store.json").write_text(json.dumps(
        {"ingest": ingest, "search": search, "first_paint": paint, "summary": summary}, indent=2))


if __name__ == "__main__":
    main()

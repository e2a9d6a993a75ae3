"""Store benchmarks for issue 2: ingest rate, first inbox paint, search latency, memory.

Every figure is reported as a ratio against a baseline measured in the same run:

* ingest: ``Store.ingest`` (dedupe, contacts, case threading, timeline, FTS)
  versus a raw ``sqlite3.executemany`` of the same rows into the same schema
  (FTS triggers included);
* first paint: the real window on a 1,000,000-message workspace versus a
  1,000-message one (each in a fresh process, which also gives peak RSS);
* search: ``Store.search`` (message pages, the command line) and ``Store.search_page``
  (the window's first page of cases) versus a raw FTS5 ``MATCH`` of the same terms,
  for words, emoji and CJK/Thai queries (issue 11: the trigram index beside the word
  index); plus the size the trigram index adds, the ingest ratio with it, and how long
  its migration (m004, after the backup) takes on the 1,000,000-message file.

Usage: python bench/bench_store.py [--messages 1000000] [--out bench/out] [--no-paint]
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
# What users see that the word index cannot find: emoji, CJK and Thai (no spaces).
EMOJI = "🙏😡😭👍🔥❤🎉😂🤬📦☕🫖✨😤💔🙄"
CJK = ("注文返金配送遅延破損交換箱蓋電気ケトル届確認問題対応返品店舗東京大阪商品購入価格送料"
       "客服退款订单快递包裹坏了谢谢请帮忙等待物流")
THAI = ["คืนเงิน", "สินค้า", "กาต้มน้ำ", "ส่งช้า", "ขอบคุณ", "เสียหาย", "พัสดุ", "สั่งซื้อ"]


def extras(rng: random.Random, text: str) -> str:
    """Sprinkle emoji (12% of messages), CJK (3%) and Thai (2%) sentences over the corpus."""
    roll = rng.random()
    if roll < 0.03:
        return "".join(rng.choice(CJK) for _ in range(rng.randint(8, 40)))
    if roll < 0.05:
        return "".join(rng.choice(THAI) for _ in range(rng.randint(2, 6)))
    if roll < 0.17:
        return f"{text} {''.join(rng.choice(EMOJI) for _ in range(rng.randint(1, 3)))}"
    return text


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
        text = extras(rng, " ".join(rng.choices(words, cum_weights=cum, k=rng.randint(6, 30))))
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


def drop_trigram(conn: sqlite3.Connection) -> None:
    """The schema as it was before m004 (the word index only)."""
    for name in ("messages_trigram_ai", "messages_trigram_ad", "messages_trigram_au_old",
                     "messages_trigram_au_new"):
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("DROP TABLE messages_trigram")
    conn.execute("DROP INDEX idx_messages_wide")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm004_search_trigram'")


def raw_ingest(path: Path, rows: list[tuple[object, ...]], *, trigram: bool) -> float:
    store = fresh_store(path)
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = NORMAL")
    if not trigram:
        with conn:
            drop_trigram(conn)
    started = time.perf_counter()
    with conn:
        for start in range(0, len(rows), 2000):
            conn.executemany(
                "INSERT INTO messages (account_id, platform, remote_id, direction, kind, "
                "contact_id, author_handle, author_name, text, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows[start:start + 2000])
    raw_s = time.perf_counter() - started
    conn.close()
    path.unlink()
    return raw_s


def bench_ingest(n: int, out: Path) -> dict[str, float]:
    # Rows are generated before the clock starts, for every side.
    rows: list[tuple[object, ...]] = [
        (acc + 1, ACCOUNTS[acc][0], rid, "in", "mention", None, handle, name, text, at)
        for acc, rid, handle, name, text, at in generate(n)]
    raw_s = raw_ingest(out / "raw.db", rows, trigram=True)
    raw_words_s = raw_ingest(out / "raw-words.db", rows, trigram=False)
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
    return {"messages": n, "cases": cases, "raw_rows_per_s": n / raw_s,
            "store_rows_per_s": n / app_s, "ratio": (n / app_s) / (n / raw_s),
            "raw_s": raw_s, "store_s": app_s, "raw_words_only_s": raw_words_s,
            # Store (with both indexes) against raw inserts into the pre-m004 schema.
            "ratio_vs_words_only_raw": raw_words_s / app_s,
            # What the trigram index costs a raw insert on its own.
            "trigram_raw_cost": raw_s / raw_words_s}


def bench_size_and_migration(path: Path, out: Path) -> dict[str, float]:
    """File size with and without the trigram index, and m004 on the big file (after its backup)."""
    with_size = path.stat().st_size
    old = out / "pre-m004.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(old) + suffix).unlink(missing_ok=True)
    src = sqlite3.connect(path)
    dst = sqlite3.connect(old)
    src.backup(dst)
    src.close()
    with dst:
        drop_trigram(dst)
    dst.execute("VACUUM")
    dst.close()
    without_size = old.stat().st_size
    # The backup the store takes before migrating, timed on its own...
    started = time.perf_counter()
    src, copy = sqlite3.connect(old), sqlite3.connect(out / "backup-timing.db")
    src.backup(copy)
    src.close(), copy.close()
    backup_s = time.perf_counter() - started
    (out / "backup-timing.db").unlink()
    # ... and the whole open: backup, then m004 in one transaction.
    started = time.perf_counter()
    store = Store.open(old)
    open_s = time.perf_counter() - started
    assert "m004_search_trigram" in store._applied_names()
    store.close()
    for leftover in out.glob("pre-m004.db*"):
        leftover.unlink()
    return {"size_with_mb": with_size / 1e6, "size_without_mb": without_size / 1e6,
            "size_growth": with_size / without_size, "open_with_migration_s": open_s,
            "backup_s": backup_s, "migration_s": open_s - backup_s}


def bench_search(path: Path, queries: int = 60) -> dict[str, object]:
    store = Store.open(path, read_only=True)
    rng = random.Random(3)
    words = vocabulary(random.Random(7))
    kinds = {
        "word": ([rng.choice(words[:40]) for _ in range(queries // 3)]
                 + [rng.choice(words[40:600]) for _ in range(queries // 3)]
                 + [f"{rng.choice(words[:200])} {rng.choice(words[:200])}"
                    for _ in range(queries // 3)]),
        "emoji": [rng.choice(EMOJI) for _ in range(queries // 3)],
        "emoji+word": [f"{rng.choice(words[:200])} {rng.choice(EMOJI)}"
                       for _ in range(queries // 3)],
        "cjk_2": ["".join(rng.choices(CJK, k=2)) for _ in range(queries // 3)],
        "cjk_3+": ["".join(rng.choices(CJK, k=3)) for _ in range(queries // 3)],
        "thai": [rng.choice(THAI) for _ in range(queries // 3)],
    }
    raw = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)

    def timed(fn, terms: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
        out = []
        for term in terms:
            started = time.perf_counter()
            fn(term)
            out.append(time.perf_counter() - started)
        return out

    def raw_search(term: str) -> None:
        # The old query: each word an exact term in the word index, best match first.
        match = " ".join(f'"{w}"' for w in term.split())
        raw.execute("SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rank "
                    "LIMIT 100", [match]).fetchall()

    def raw_prefix(term: str) -> None:
        # The same words as prefixes (what the store asks), newest first: the fair baseline
        # for word queries now that every word is a prefix.
        match = " ".join(f'"{w}"*' for w in term.split() if any(c.isalnum() for c in w))
        if match:
            raw.execute("SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? "
                        "ORDER BY rowid DESC LIMIT 100", [match]).fetchall()

    def raw_trigram(term: str) -> None:
        # The trigram index alone (what a substring costs at the least).
        grams = " AND ".join(f'"{term[i:i + 3]}"' for i in range(len(term) - 2))
        raw.execute("SELECT rowid FROM messages_trigram WHERE messages_trigram MATCH ? "
                    "LIMIT 100", [grams]).fetchall()

    def app_search(term: str) -> None:
        store.search(term, limit=100)

    def app_page(term: str) -> None:
        store.search_page(term, limit=200)

    def p95(xs: list[float]) -> float:
        return statistics.quantiles(xs, n=20)[-1] * 1000

    every = [t for terms in kinds.values() for t in terms]
    for fn in (raw_search, app_search, app_page):
        timed(fn, every)  # warm the page cache for every side
    result: dict[str, object] = {}
    for kind, terms in kinds.items():
        row = {"raw_word_index_p95_ms": p95(timed(raw_search, terms)),
               "raw_prefix_p95_ms": p95(timed(raw_prefix, terms)),
               "search_p95_ms": p95(timed(app_search, terms)),
               "page_p95_ms": p95(timed(app_page, terms)),
               "hits_first_query": len(store.search(terms[0], limit=100))}
        if kind in ("cjk_3+", "thai"):
            row["raw_trigram_p95_ms"] = p95(timed(raw_trigram, terms))
        result[kind] = row
    raw_all, app_all, page_all = (timed(raw_search, every), timed(app_search, every),
                                  timed(app_page, every))
    word_terms = kinds["word"]
    raw_w, app_w, page_w = (timed(raw_search, word_terms), timed(app_search, word_terms),
                            timed(app_page, word_terms))
    prefix_w = timed(raw_prefix, word_terms)
    store.close()
    result.update({
        "raw_p95_ms": p95(raw_w), "app_p95_ms": p95(app_w), "ratio": p95(app_w) / p95(raw_w),
        "page_ratio": p95(page_w) / p95(raw_w),
        "raw_prefix_p95_ms": p95(prefix_w), "ratio_vs_raw_prefix": p95(app_w) / p95(prefix_w),
        "mixed_raw_p95_ms": p95(raw_all), "mixed_app_p95_ms": p95(app_all),
        "mixed_page_p95_ms": p95(page_all), "mixed_ratio": p95(app_all) / p95(raw_all),
    })
    return result


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


def ratio(value: object) -> float:
    return round(float(value), 3)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--out", default=str(Path(__file__).parent / "out"))
    parser.add_argument("--no-paint", action="store_true", help="skip the first-paint runs")
    parser.add_argument("--search-only", action="store_true",
                        help="only the search figures, on the workspace a previous run left")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.search_only:
        print(json.dumps({"search": bench_search(out / f"workspace-{args.messages}.db")},
                         indent=2))
        return

    small = fresh_store(out / f"workspace-{args.small}.db")
    small.ingest(incoming(generate(args.small)))
    small.close()
    print(f"ingesting {args.messages:,} messages (raw baseline, then the store)...", flush=True)
    ingest = bench_ingest(args.messages, out)
    print(json.dumps({"ingest": ingest}, indent=2), flush=True)
    big_path = out / f"workspace-{args.messages}.db"
    search = bench_search(big_path)
    print(json.dumps({"search": search}, indent=2), flush=True)
    size = bench_size_and_migration(big_path, out)
    print(json.dumps({"size_and_migration": size}, indent=2), flush=True)
    summary: dict[str, object] = {
        "ingest_ratio (target >= 0.5)": round(ingest["ratio"], 3),
        "ingest ratio vs raw without the trigram index": round(
            ingest["ratio_vs_words_only_raw"], 3),
        "search p95 ratio, words (target <= 2)": ratio(search["ratio"]),
        "search page p95 ratio, words": ratio(search["page_ratio"]),
        "search p95 ratio, mixed with emoji/CJK/Thai": ratio(search["mixed_ratio"]),
        "size growth with trigram index": round(size["size_growth"], 3),
        "m004 migration on the big file (s)": round(size["migration_s"], 1),
    }
    if args.no_paint:
        print(json.dumps({"summary": summary}, indent=2))
        (out / "bench_store.json").write_text(json.dumps(
            {"ingest": ingest, "search": search, "size_and_migration": size,
             "summary": summary}, indent=2))
        return
    paint_small = bench_paint(out / f"workspace-{args.small}.db")
    paint_big = bench_paint(big_path)
    paint = {"small": paint_small, "big": paint_big,
             "ratio": paint_big["first_paint_s"] / paint_small["first_paint_s"]}
    print(json.dumps({"first_paint": paint}, indent=2), flush=True)
    summary |= {
        "ingest_ratio (target >= 0.5)": round(ingest["ratio"], 3),
        "store rows/s": round(ingest["store_rows_per_s"]),
        "raw rows/s": round(ingest["raw_rows_per_s"]),
        "first_paint_ratio 1M/1k (target <= 1.5)": round(paint["ratio"], 3),
        "first paint 1M (s)": round(paint_big["first_paint_s"], 3),
        "first paint 1k (s)": round(paint_small["first_paint_s"], 3),
        "peak RSS with 1M (MB, target <= 400)": round(paint_big["peak_rss_mb"], 1),
    }
    print(json.dumps({"summary": summary}, indent=2))
    (out / "bench_store.json").write_text(json.dumps(
        {"ingest": ingest, "search": search, "size_and_migration": size, "first_paint": paint,
         "summary": summary}, indent=2))


if __name__ == "__main__":
    main()

"""The team server under load: 1,000,000 messages, 10 members (processes) triaging.

Measures, in one run on a throwaway PostgreSQL cluster:
- first inbox page (Needs reply, 100 rows) p95 through the store, against the very same
  SQL run with plain psycopg (target <= 1.5x);
- search p95 (a word, a word prefix, an emoji) through the store against the same SQL
  with psycopg (target <= 1.5x);
- change-to-other-window latency p95: from a teammate's assign call to the other app
  having been told (LISTEN) and re-read the first inbox page (target <= 1 s).

The data is made with SQL in the server (the store's ingest would take minutes at this
size); its shape is the store's: cases, their messages, handles, sort keys.

    python bench/team_server.py [--messages 1000000] [--members 10] [--samples 60]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import psycopg  # noqa: E402

from console.core.store import CaseFilter, Store, View  # noqa: E402
from console.core.store import pg as pg_backend  # noqa: E402
from console.core.store.listen import ChangeListener  # noqa: E402
from tests.pgserver import PgServer, find_bin  # noqa: E402

TEXTS = ["my order is late, can I get a refund?", "the kettle whistles and leaks 🙏",
         "東京の店舗で返金をお願いしました", "Le café était froid, remboursement svp",
         "refunded twice for the cafe order", "love the new bread tin ❤️",
         "where is my parcel? third time asking"]


def load(url: str, messages: int) -> int:
    cases = messages // 5
    texts = "ARRAY[" + ", ".join("'" + t.replace("'", "''") + "'" for t in TEXTS) + "]"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO accounts (id, platform, handle, created_at) VALUES "
                     "(1, 'mastodon', '@help@kettle.example', 0)")
        conn.execute(f"INSERT INTO contacts (id, display_name, created_at) "
                     f"SELECT g, 'Customer ' || g, 0 FROM generate_series(1, {cases}) g")
        conn.execute(f"INSERT INTO contact_handles (contact_id, platform, handle) "
                     f"SELECT g, 'mastodon', '@c' || g || '@x.social' "
                     f"FROM generate_series(1, {cases}) g")
        # A fifth of the cases wait for a reply (Needs reply), the rest are spread over
        # the other statuses; waiting time and activity follow the case id.
        conn.execute(
            "INSERT INTO cases (id, contact_id, status, owner, opened_at, last_activity_at, "
            "last_inbound_at, waiting_since, sort_key, preview, message_count, platforms, "
            "sentiment) SELECT g, g, (ARRAY['new','open','waiting','resolved','closed'])"
            "[1 + g % 5], 'Sam', g * 10, g * 10 + 5, g * 10 + 5, "
            "CASE WHEN g % 5 IN (0, 1) THEN g * 10 ELSE NULL END, "
            "CASE WHEN g % 5 IN (0, 1) THEN g * 10 ELSE 16000000000 - g * 10 END, "
            f"'preview ' || g, 5, 'mastodon', ((g % 7) - 3) / 3.0 "
            f"FROM generate_series(1, {cases}) g")
        conn.execute(
            "INSERT INTO messages (id, account_id, platform, remote_id, direction, kind, "
            "contact_id, author_handle, author_name, text, created_at) "
            "SELECT g, 1, 'mastodon', 'm' || g, 'in', 'mention', 1 + g % "
            f"{cases}, '@c' || (1 + g % {cases}) || '@x.social', 'Customer', "
            f"({texts})[1 + g % {len(TEXTS)}] || ' #' || g, g "
            f"FROM generate_series(1, {messages}) g")
        conn.execute(f"INSERT INTO case_messages (message_id, case_id) "
                     f"SELECT g, 1 + g % {cases} FROM generate_series(1, {messages}) g")
        conn.execute("INSERT INTO case_accounts (case_id, account_id) "
                     f"SELECT g, 1 FROM generate_series(1, {cases}) g")
        for table in ("accounts", "contacts", "contact_handles", "cases", "messages"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                         f"(SELECT max(id) FROM {table}))")
        conn.execute("INSERT INTO settings (name, value) VALUES ('team.roster', "
                     "'[{\"name\": \"Sam\"}, {\"name\": \"Priya\"}, {\"name\": \"Tom\"}]')")
        conn.execute("VACUUM ANALYZE")
    return cases


def member(url: str, cases: int, seed: int, stop: Any) -> None:
    """One teammate's app triaging: assign, status, notes on random cases, until told."""
    rng = random.Random(seed)
    store = Store.connect(url)
    names = ["Sam", "Priya", "Tom"]
    while not stop.is_set():
        case_id = rng.randrange(1, cases + 1)
        roll = rng.random()
        try:
            if roll < 0.4:
                store.assign(case_id, rng.choice(names))
            elif roll < 0.7:
                store.add_note(case_id, f"checked by member {seed}")
            else:
                store.cases_page(CaseFilter(view=View.NEEDS_REPLY), limit=100)
        except Exception:  # noqa: BLE001 - a refused transition is part of triage
            pass
        time.sleep(rng.uniform(0.02, 0.1))
    store.close()


class Recorder:
    """Wraps the store's connection to keep the last statement it sent, as sent."""

    def __init__(self, store: Store) -> None:
        self.statements: list[tuple[str, Any]] = []
        conn = store.db.conn
        original = conn.execute

        def execute(sql: str, params: Any = None) -> Any:
            self.statements.append((pg_backend.translate(sql)[0], pg_backend._params(params)))
            return original(sql, params)

        conn.execute = execute  # type: ignore[method-assign]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def compare(store: Store, raw: psycopg.Connection[Any], call: Callable[[Store], Any],
            samples: int) -> dict[str, float]:
    """The call through the store, then each statement it sent run raw, alternately."""
    rec = Recorder(store)
    call(store)  # warm both caches
    sent = list(rec.statements)
    ours, bare = [], []
    for _ in range(samples):
        t = time.perf_counter()
        call(store)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        for text, params in sent:
            raw.execute(text, params).fetchall()  # type: ignore[arg-type]
        bare.append(time.perf_counter() - t)
    return {"store p95 ms": round(p95(ours) * 1000, 2), "raw p95 ms": round(p95(bare) * 1000, 2),
            "ratio": round(p95(ours) / p95(bare), 2), "statements": len(sent)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--samples", type=int, default=60)
    args = parser.parse_args()
    server = PgServer(find_bin()).start()
    try:
        server.admin("CREATE DATABASE team")
        url = server.url("team")
        Store.connect(url).close()
        t = time.perf_counter()
        cases = load(url, args.messages)
        loaded = time.perf_counter() - t
        stop = mp.get_context("spawn").Event()
        crew = [mp.get_context("spawn").Process(target=member, args=(url, cases, i, stop))
                for i in range(args.members)]
        for p in crew:
            p.start()
        time.sleep(3)  # every member connected and working
        store = Store.connect(url)
        raw = psycopg.connect(url, autocommit=True)
        report: dict[str, Any] = {"messages": args.messages, "cases": cases,
                                  "members triaging": args.members,
                                  "load s": round(loaded, 1)}
        report["first inbox page (Needs reply, 100)"] = compare(
            store, raw, lambda s: s.cases_page(CaseFilter(view=View.NEEDS_REPLY), limit=100),
            args.samples)
        for query in ("refund", "ref", "🙏"):
            report[f"search {query!r} (cases page)"] = compare(
                store, raw, lambda s, q=query: s.search_page(q, limit=100), args.samples)
        report["change to the other window"] = latency(url, cases, args.samples)
        stop.set()
        for p in crew:
            p.join(30)
        store.close()
        raw.close()
        print(json.dumps(report, indent=2, ensure_ascii=False))
    finally:
        server.stop()


def latency(url: str, cases: int, samples: int) -> dict[str, float]:
    """A teammate assigns; the other app hears of it and re-reads its first inbox page."""
    teammate = Store.connect(url)
    window = Store.connect(url)
    listener = ChangeListener(url)
    own = {window.backend_pid() or 0}
    rng = random.Random(5)
    names = ["Priya", "Tom"]
    took: list[float] = []
    missed = 0
    for _ in range(samples):
        case_id = rng.randrange(1, cases + 1)
        # A real change: to the one of the two who does not own it now.
        owner = window.case_row(case_id).owner
        to = names[0] if owner != names[0] else names[1]
        listener.wait(0.01)  # drain the members' chatter: time this change alone
        t = time.perf_counter()
        teammate.assign(case_id, to)
        while True:
            got = listener.wait(5, own_pids=own)
            if case_id in got.changes.case_ids:
                break
            if time.perf_counter() - t > 10:
                missed += 1
                break
        window.cases_page(CaseFilter(view=View.NEEDS_REPLY), limit=100)  # the refresh
        took.append(time.perf_counter() - t)
    listener.close()
    teammate.close()
    window.close()
    return {"p50 ms": round(statistics.median(took) * 1000, 1),
            "p95 ms": round(p95(took) * 1000, 1), "max ms": round(max(took) * 1000, 1),
            "changes never heard of (10 s)": missed}


if __name__ == "__main__":
    main()

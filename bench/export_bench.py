"""Export benchmark for issue 5: 10,000 cases (about 200,000 timeline events) to every format.

Each format runs in a fresh subprocess, which reports wall-clock seconds and its
peak RSS (VmHWM from /proc/self/status; not ru_maxrss, which a child inherits
from its parent across exec).  Two baselines are measured in the same run:

* ``raw``: a streaming ``SELECT *`` of the same rows (cases, their messages,
  timeline events, notes, checklist items, replies) written with ``json.dumps``
  per row: the least any exporter must do;
* ``idle``: the same process opening the workspace and resolving the case ids,
  exporting nothing: the memory floor of Python, SQLite and the app's imports.

Seconds are reported as a ratio to ``raw``; peak RSS as the growth over ``idle``.

Usage: python bench/export_bench.py [--cases 10000] [--work DIR] [--formats json,csv,...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from console.core.models import CaseStatus, IncomingMessage, MessageKind, Platform  # noqa: E402
from console.core.store import Store  # noqa: E402

FORMATS = ("json", "csv", "csv-messages", "html", "pdf")
ACCOUNTS = [("mastodon", "@help@kettle.example"), ("mastodon", "@hello@kettle.example"),
            ("bluesky", "help.kettle.example"), ("bluesky", "kettle.example")]
WORDS = ("the my order is a to and it was not of for you in on with late kettle refund "
         "delivery still broken thanks please help when where why damaged lid box courier "
         "parcel tracking charged twice love great awful waiting days week support mug "
         "teapot whistle handle spout replacement warehouse depot invoice").split()
T0 = dt.datetime(2026, 1, 5, 8, tzinfo=dt.UTC)
INBOUND, OUTBOUND, NOTES = 6, 4, 3  # per case; with issues, owner and status: 20 events


def peak_rss_mb() -> float:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM")) / 1024


def sentence(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(low, high))).capitalize() + "."


def build(path: Path, cases: int, seed: int = 5) -> None:
    """A workspace of ``cases`` cases, 10 messages and 20 timeline events each."""
    rng = random.Random(seed)
    store = Store.open(path)
    try:
        store.set_setting("user.name", "Sam Rivera")
        ids = [store.add_account(platform=p, handle=h)[0] for p, h in ACCOUNTS]
        for i, account_id in enumerate(ids):
            store.set_account_hours(account_id, timezone=("Europe/London", "America/New_York")
                                    [i % 2], business_hours={"days": [0, 1, 2, 3, 4],
                                                             "start": "09:00", "end": "17:30"})
        spacing = 86400 * 90 / cases
        items = []
        for c in range(cases):
            start = T0 + dt.timedelta(seconds=c * spacing)
            acc = c % 4
            platform, handle = ACCOUNTS[acc]
            author = f"@user{c}@example.social" if platform == "mastodon" \
                else f"user{c}.bsky.example"
            for k in range(INBOUND):
                items.append(IncomingMessage(
                    platform=Platform(platform), account_handle=handle, remote_id=f"m{c}-{k}",
                    author_handle=author, author_name=f"Customer {c}",
                    text=sentence(rng, 8, 40) + (" =SUM(A1)" if k == 3 else ""),
                    created_at=start + dt.timedelta(minutes=90 * k), kind=MessageKind.REPLY))
        store.ingest(items, scorer=lambda text: round(rng.uniform(-1, 1), 4))
        del items
        case_ids = [r[0] for r in store.db.execute("SELECT id FROM cases ORDER BY id")]
        with store.atomic():
            for n, case_id in enumerate(case_ids):
                start = T0 + dt.timedelta(seconds=n * spacing)
                for k in range(OUTBOUND):
                    store.record_outbound(case_id, account_id=ids[n % 4],
                                          text=sentence(rng, 10, 45), remote_id=f"o{n}-{k}",
                                          at=start + dt.timedelta(minutes=90 * k + 30),
                                          actor="Sam Rivera")
                for k in range(NOTES):
                    store.add_note(case_id, sentence(rng, 6, 25), actor="Priya Nair",
                                   at=start + dt.timedelta(minutes=90 * k + 40))
                first, _ = store.add_issue(case_id, "lid " + sentence(rng, 2, 5),
                                           at=start + dt.timedelta(minutes=5))
                store.add_issue(case_id, "refund " + sentence(rng, 2, 5),
                                at=start + dt.timedelta(minutes=6))
                store.set_issue_done(first, True, at=start + dt.timedelta(hours=3))
                store.assign(case_id, "Tom Okafor", at=start + dt.timedelta(hours=4))
                status = (CaseStatus.RESOLVED if n % 20 < 14 else CaseStatus.WAITING
                          if n % 20 < 17 else CaseStatus.CLOSED)
                store.set_status(case_id, status, at=start + dt.timedelta(hours=9))
    finally:
        store.close()


def counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("cases", "messages", "case_events")}
    finally:
        conn.close()


# ------------------------------------------------------------------ children
def child(kind: str, db: Path, out: Path) -> None:
    start = time.perf_counter()
    result: dict[str, object] = {}
    if kind == "raw":
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
        queries = (
            "SELECT * FROM cases ORDER BY id",
            "SELECT cm.case_id, m.* FROM case_messages cm JOIN messages m "
            "ON m.id = cm.message_id ORDER BY cm.case_id, m.created_at, m.id",
            "SELECT * FROM case_events ORDER BY case_id, id",
            "SELECT * FROM notes ORDER BY case_id, id",
            "SELECT * FROM checklist_items ORDER BY case_id, id",
            "SELECT * FROM replies ORDER BY case_id, id",
        )
        rows = 0
        with out.open("w", encoding="utf-8") as fh:
            for query in queries:
                for row in conn.execute(query):
                    fh.write(json.dumps(row, ensure_ascii=False))
                    fh.write("\n")
                    rows += 1
        conn.close()
        result = {"rows": rows}
    else:
        from console.core import export

        store = Store.open(db, read_only=True)
        try:
            if kind == "idle":
                result = {"cases": len(export.resolve(store, export.Selection()))}
            elif kind == "pdf":
                from console.ui.pdf_export import export_pdf

                summary = export_pdf(store, export.Selection(), out)
                result = {"cases": summary.cases, "events": summary.events}
            else:
                summary = export.export(store, export.Selection(), kind, out)
                result = {"cases": summary.cases, "events": summary.events}
        finally:
            store.close()
    elapsed = time.perf_counter() - start
    size = out.stat().st_size if out.exists() else 0
    print(json.dumps({"kind": kind, "seconds": elapsed, "peak_rss_mb": peak_rss_mb(),
                      "bytes": size, **result}), flush=True)


def run_child(kind: str, db: Path, work: Path) -> dict[str, object]:
    out = work / f"export.{kind}"
    out.unlink(missing_ok=True)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, __file__, "--child", kind, "--db", str(db),
                           "--child-out", str(out)], capture_output=True, text=True, env=env,
                          timeout=3600)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{proc.stderr}")
    data: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/community-console-export-bench"))
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.db, args.child_out)
        return

    args.work.mkdir(parents=True, exist_ok=True)
    db = args.work / f"workspace-{args.cases}.db"
    if not db.exists():
        print(f"building {db} ({args.cases} cases)…", file=sys.stderr, flush=True)
        started = time.perf_counter()
        partial = db.with_suffix(".building")
        for leftover in args.work.glob(partial.name + "*"):
            leftover.unlink()
        build(partial, args.cases)
        partial.rename(db)
        for suffix in ("-wal", "-shm"):
            Path(str(partial) + suffix).unlink(missing_ok=True)
        print(f"built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    size = counts(db)
    results = {kind: run_child(kind, db, args.work)
               for kind in ("idle", "raw", *args.formats.split(","))}
    raw_s = float(results["raw"]["seconds"])  # type: ignore[arg-type]
    idle_mb = float(results["idle"]["peak_rss_mb"])  # type: ignore[arg-type]
    if args.json:
        print(json.dumps({"workspace": size, "results": results}, indent=2))
        return
    print(f"workspace: {size['cases']} cases, {size['messages']} messages, "
          f"{size['case_events']} timeline events ({db})")
    print(f"{'format':<13} {'seconds':>8} {'x raw':>7} {'peak RSS MB':>12} "
          f"{'over idle':>10} {'output MB':>10}")
    for kind, r in results.items():
        seconds, peak = float(r["seconds"]), float(r["peak_rss_mb"])  # type: ignore[arg-type]
        ratio = "" if kind == "idle" else f"{seconds / raw_s:7.2f}"
        print(f"{kind:<13} {seconds:8.2f} {ratio:>7} {peak:12.1f} {peak - idle_mb:10.1f} "
              f"{int(r['bytes']) / 1e6:10.1f}")  # type: ignore[call-overload]


if __name__ == "__main__":
    main()

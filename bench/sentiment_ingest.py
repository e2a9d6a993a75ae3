"""Sentiment during ingest: messages per second, and its share of the ingest time.

100,000 posts are built from the demo workspace's real customer messages (English
and not), each made unique; they are ingested twice into fresh workspaces, with
and without the vaderSentiment scorer, in the same run.

Usage: python bench/sentiment_ingest.py [--messages 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from console.cli import default_scorer  # noqa: E402
from console.core import demo, sentiment  # noqa: E402
from console.core.models import IncomingMessage, MessageKind, Platform  # noqa: E402
from console.core.store import Store  # noqa: E402

ACCOUNT = "@help@kettle.example"


def corpus() -> list[str]:
    data = demo.load_data()
    return [e["text"] for t in data["threads"] for e in t["events"] if e["type"] == "message"]


def items(n: int) -> list[IncomingMessage]:
    rng = random.Random(5)
    texts = corpus()
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    out = []
    for i in range(n):
        text = rng.choice(texts)
        out.append(IncomingMessage(
            platform=Platform.MASTODON, account_handle=ACCOUNT, remote_id=str(i),
            author_handle=f"@c{rng.randrange(n // 8)}@x.social", author_name="C",
            text=f"{text} #{i}", created_at=t0 + dt.timedelta(seconds=i * 30),
            kind=MessageKind.MENTION))
    return out


def ingest(batch: list[IncomingMessage], scorer) -> float:  # type: ignore[no-untyped-def]
    path = Path(tempfile.mkdtemp()) / "w.db"
    store = Store.open(path)
    store.add_account(platform="mastodon", handle=ACCOUNT)
    started = time.perf_counter()
    store.ingest(batch, scorer=scorer)
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    batch = items(args.messages)
    scorer = default_scorer()
    scorer("warm up the lexicon")
    plain = ingest(batch, None)
    scored = ingest(batch, scorer)
    started = time.perf_counter()
    labels = [sentiment.score(m.text).label for m in batch]
    alone = time.perf_counter() - started
    unknown = labels.count("unknown") / len(labels)
    print(json.dumps({
        "messages": args.messages,
        "ingest without sentiment (s)": round(plain, 2),
        "ingest with sentiment (s)": round(scored, 2),
        "sentiment share of ingest time": round((scored - plain) / scored, 3),
        "sentiment msgs/s (scoring alone)": round(args.messages / alone),
        "ingest msgs/s with sentiment": round(args.messages / scored),
        "share judged 'unknown' (not English)": round(unknown, 3),
    }, indent=2))


if __name__ == "__main__":
    main()

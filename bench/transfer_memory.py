"""Peak memory of ``workspace push``, ``pull`` and ``import`` for 10,000 and 100,000 cases
(target: flat, at most 200 MB), against a baseline process that only opens both workspaces.

Builds each laptop workspace through the store's own ingest (one message per case plus a
second on every third), exports it as a case log, starts a throwaway PostgreSQL cluster,
then runs each move (and the import of the log into an empty workspace) in a fresh
process and reads its peak resident set (``ru_maxrss``).

    python bench/transfer_memory.py [--cases 10000 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from console.core.models import IncomingMessage, Platform  # noqa: E402
from console.core.store import Store  # noqa: E402
from tests.pgserver import PgServer, find_bin  # noqa: E402

CHILD = r"""
import sys, time
sys.path.insert(0, {repo!r})
from console.core.store import Store
from console.core.store.transfer import copy_workspace_rows
mode, laptop, url = sys.argv[1:4]
t = time.perf_counter()
if mode == "baseline":
    a = Store.open(laptop); b = Store.connect(url); a.close(); b.close()
elif mode == "import-whole":  # the old way, for comparison: the whole file decoded first
    import json
    from console.core import importer
    b = Store.open(laptop); importer.import_case_log(b, json.load(open(url))); b.close()
elif mode == "import":
    from console.core import importer
    b = Store.open(laptop); importer.import_file(b, url); b.close()
elif mode == "push":
    a = Store.open(laptop); b = Store.connect(url)
    copy_workspace_rows(a, b); a.close(); b.close()
else:
    a = Store.connect(url); b = Store.open(laptop)
    copy_workspace_rows(a, b); a.close(); b.close()
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so a child would report its
# (bigger) parent's peak; VmHWM belongs to this process's own memory.
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(hwm / 1024, time.perf_counter() - t)
"""


def build(path: Path, cases: int) -> None:
    store = Store.open(path)
    store.add_account(platform="mastodon", handle="@help@kettle.example")
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    batch: list[IncomingMessage] = []
    for i in range(cases + cases // 3):
        who = i % cases
        batch.append(IncomingMessage(
            platform=Platform.MASTODON, account_handle="@help@kettle.example",
            remote_id=f"m{i}", author_handle=f"@c{who}@x.social", author_name=f"C {who}",
            text=f"order {i} is late, refund please 🙏 " + "x" * (i % 200),
            created_at=t0 + dt.timedelta(seconds=i)))
        if len(batch) == 5000:
            store.ingest(batch)
            batch = []
    if batch:
        store.ingest(batch)
    store.close()


def child(mode: str, laptop: Path, url: str) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", CHILD.format(repo=str(REPO)), mode, str(laptop),
                          url], capture_output=True, text=True, check=True, cwd=REPO)
    peak, seconds = out.stdout.split()
    return float(peak), float(seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    server = PgServer(find_bin()).start()
    report: dict[str, object] = {}
    try:
        folder = Path(tempfile.mkdtemp(prefix="cc-transfer-"))
        for n in args.cases:
            laptop = folder / f"w{n}.db"
            started = time.perf_counter()
            build(laptop, n)
            built = time.perf_counter() - started
            server.admin(f"CREATE DATABASE push{n}")
            url = server.url(f"push{n}")
            base, _ = child("baseline", laptop, url)
            push, push_s = child("push", laptop, url)
            pulled = folder / f"pulled{n}.db"
            pull, pull_s = child("pull", pulled, url)
            log = folder / f"log{n}.json"
            from console.core import export
            source = Store.open(laptop)
            export.export(source, export.Selection(), "json", log)
            source.close()
            imported, import_s = child("import", folder / f"imported{n}.db", str(log))
            whole, whole_s = child("import-whole", folder / f"whole{n}.db", str(log))
            report[f"{n} cases"] = {
                "workspace MB": round(laptop.stat().st_size / 2**20, 1),
                "built in s": round(built, 1),
                "baseline peak MB (open both)": round(base, 1),
                "push peak MB": round(push, 1), "push s": round(push_s, 1),
                "pull peak MB": round(pull, 1), "pull s": round(pull_s, 1),
                "push over baseline MB": round(push - base, 1),
                "pull over baseline MB": round(pull - base, 1),
                "case log MB": round(log.stat().st_size / 2**20, 1),
                "import peak MB": round(imported, 1), "import s": round(import_s, 1),
                "import decoding the whole file first (before) peak MB": round(whole, 1),
                "... s": round(whole_s, 1),
            }
            print(json.dumps({f"{n} cases": report[f"{n} cases"]}), file=sys.stderr, flush=True)
    finally:
        server.stop()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

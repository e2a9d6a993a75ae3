"""Time from a new Bluesky direct message to its case in the inbox, with automatic sync.

The window (offscreen) runs on a workspace with the brand account and automatic sync
at its shortest interval (``sync.interval_minutes`` = 1). A customer (alice) writes a
direct message through the local chat server (tests/connectors/chat_server.py, in its
own process: the local network has no chat service) at a random moment; the clock
stops when the inbox model has the message's case. Reported per sample: the whole wait,
and the part after the timer fired (sync, store, inbox refresh).

Usage: python bench/dm_latency.py [--samples 4]   (network up: ../shared/peers/bluesky/start.sh)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from sync_bluesky import CONNECTION, ChatProcess, dm_app_password, session_for  # noqa: E402

from console.connectors.bluesky import CHAT_PROXY  # noqa: E402
from console.connectors.registry import ENV_BSKY_CHAT, secret_key  # noqa: E402
from console.core.secrets import MemorySecretStore  # noqa: E402
from console.core.store import Store  # noqa: E402
from console.ui.app import Session, make_app  # noqa: E402
from console.ui.inbox.model import InboxModel  # noqa: E402


def wait(condition, timeout: float) -> float | None:  # type: ignore[no-untyped-def]
    """Run the event loop until ``condition()``; the time it became true (perf_counter)."""
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        QApplication.processEvents()
        if condition():
            return time.perf_counter()
        time.sleep(0.01)
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=4)
    args = parser.parse_args()
    conn = json.loads(CONNECTION.read_text())
    password = dm_app_password(conn)
    folder = Path(tempfile.mkdtemp())
    path = folder / "w.db"
    store = Store.open(path)
    store.add_account(platform="bluesky", handle="brand.test", server=conn["pds_url"])
    store.set_setting("sync.interval_minutes", 1)  # the shortest the settings allow
    store.close()
    alice = conn["accounts"]["alice"]
    auth = session_for(conn["pds_url"], alice["handle"], alice["password"])
    results: list[tuple[float, float]] = []
    with ChatProcess(conn["pds_url"]) as chat:
        os.environ[ENV_BSKY_CHAT] = chat.url  # the window's connectors talk to it
        headers = {"Authorization": f"Bearer {auth['accessJwt']}", "atproto-proxy": CHAT_PROXY}
        convo = requests.get(f"{chat.url}/xrpc/chat.bsky.convo.getConvoForMembers",
                             params={"members": [conn["accounts"]["brand"]["did"]]},
                             headers=headers, timeout=30).json()["convo"]["id"]
        make_app()
        secrets = MemorySecretStore({secret_key("bluesky", "brand.test"): password})
        session = Session(path, settings=QSettings(str(folder / "s.ini"),
                                                   QSettings.Format.IniFormat),
                          label="bench", secrets=lambda: secrets)
        window = session.window
        window.show()
        window.start()
        ticks: list[float] = []
        session.sync.started.connect(lambda _n: ticks.append(time.perf_counter()))
        assert wait(lambda: session.sync.timer.isActive(), 30), "automatic sync is off"
        assert wait(lambda: bool(ticks) and not session.sync.running, 90), "no first sync"
        for _ in range(args.samples):
            # A random moment in the timer's period (the event loop keeps running meanwhile).
            wait(lambda: False, random.uniform(0, 60))
            token = uuid.uuid4().hex[:10]
            requests.post(f"{chat.url}/xrpc/chat.bsky.convo.sendMessage", headers=headers,
                          json={"convoId": convo, "message": {"text": f"DM {token}"}},
                          timeout=30).raise_for_status()
            sent = time.perf_counter()

            def in_inbox() -> bool:
                # The inbox row of the case shows the new message as its preview.
                for row in range(window.model.rowCount()):
                    case = window.model.data(window.model.index(row, 0), InboxModel.RowRole)
                    if case is not None and token in case.preview:
                        return True
                return False

            shown = wait(in_inbox, 150)
            assert shown is not None, "the DM never reached the inbox"
            tick = max(t for t in ticks if t <= shown)
            results.append((shown - sent, shown - max(tick, sent)))
        session.close()
    waits = [r[0] for r in results]
    after = [r[1] for r in results]
    print(json.dumps({
        "sync interval (min)": 1,
        "samples": len(results),
        "new DM to its case in the inbox (s), each": [round(w, 2) for w in waits],
        "mean (s)": round(statistics.mean(waits), 2),
        "max (s)": round(max(waits), 2),
        "of which after the timer fired: sync + store + inbox (s), each": [round(a, 2)
                                                                           for a in after],
    }, indent=2))


if __name__ == "__main__":
    main()

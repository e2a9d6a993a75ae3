"""The window's sync and send, driven through the real MainWindow against local Mastodon servers.

Each :class:`MastodonServer` is a real ``http.server`` on 127.0.0.1 in a thread.
The real connector (``make_connector``, real ``requests``) talks to it, and the
window runs the real SyncController and engine on the real TaskRunner and a real
workspace file. It answers with the recorded Mastodon payloads from
``shared/fixtures/mastodon`` (verify_credentials, notifications, conversations,
an empty status context, a posted reply; see SOURCES.md there). The rest is
fake, because no real server can be ordered to misbehave: 500s for every
request, a closed port (connection refused), a request held until the test lets
it go, a 503 for a post, a connection dropped after a post was accepted. The
server does NOT drop a repeated Idempotency-Key: every POST it accepts makes a
new status, so a post sent twice by the app would be seen here.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import socket
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QToolBar

from console.connectors.registry import secret_key
from console.core.models import Platform, ReplyState
from console.core.secrets import MemorySecretStore
from console.core.store import Store
from console.sync import engine
from console.ui.app import Session, make_app
from tests.conftest import msg
from tests.connectors.recorded import recorded

TOKEN = "mstdn-window-test-token"
WAIT = 30_000  # ms; the connector's own retries (GETs: 0.5 s + 1 s) are real waits


@dataclass
class Post:
    """A POST /api/v1/statuses the server received, and what it did with it."""

    key: str | None
    body: dict[str, Any]
    answer: str  # "accepted", "accepted-dropped" or "503"


class MastodonServer:
    """One Mastodon instance: recorded answers, switchable faults (see the module docstring)."""

    def __init__(self) -> None:
        self.failing = False  # every request gets a 500
        self.post_faults: deque[str] = deque()  # "503" or "drop" for the next POSTs
        self.posts: list[Post] = []
        self.statuses: list[dict[str, Any]] = []  # the replies it accepted
        self.hold: threading.Event | None = None  # set: notifications wait for it
        self.holding = threading.Event()  # a notifications request is waiting
        self.me = recorded("mastodon", "verify_credentials_local.json").json()
        self._port = 0
        self._httpd: ThreadingHTTPServer | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> None:
        """Listen (again, on the same port after :meth:`stop`)."""
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # one request per connection: stop() is immediate

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server._get(self)

            def do_POST(self) -> None:
                server._post(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._httpd.daemon_threads = True
        self._port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Close the port: connections are refused until :meth:`start`."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    # --- answers ------------------------------------------------------------------------
    def _send(self, handler: BaseHTTPRequestHandler, status: int, body: bytes,
              headers: dict[str, str] | None = None) -> None:
        handler.send_response(status)
        for name, value in {"Content-Type": "application/json; charset=utf-8",
                            **(headers or {})}.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _recorded(self, handler: BaseHTTPRequestHandler, name: str) -> None:
        answer = recorded("mastodon", name)
        headers = {k: v for k, v in answer.headers.items() if k.lower() != "content-type"}
        self._send(handler, answer.status, answer.body, headers)

    def _error(self, handler: BaseHTTPRequestHandler, status: int) -> None:
        self._send(handler, status, json.dumps({"error": "Internal server error"}).encode())

    def _get(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = parse_qs(parts.query)
        if self.failing:
            return self._error(handler, 500)
        if parts.path == "/api/v1/accounts/verify_credentials":
            return self._recorded(handler, "verify_credentials_local.json")
        if parts.path in ("/api/v1/notifications", "/api/v1/conversations"):
            if parts.path == "/api/v1/notifications" and self.hold is not None:
                self.holding.set()
                self.hold.wait(WAIT / 1000)
            if "min_id" in query:  # nothing newer than what the app has
                return self._send(handler, 200, b"[]")
            stream = "notifications_mention" if "notifications" in parts.path else "conversations"
            return self._recorded(handler, f"{stream}_local.json")
        if parts.path.startswith("/api/v1/statuses/") and parts.path.endswith("/context"):
            parent = parts.path.split("/")[4]
            replies = [s for s in self.statuses if s["in_reply_to_id"] == parent]
            if not replies:
                return self._recorded(handler, "status_context_empty.json")
            return self._send(handler, 200, json.dumps(
                {"ancestors": [], "descendants": replies}).encode())
        return self._send(handler, 404, b'{"error":"Record not found"}')

    def _post(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = json.loads(handler.rfile.read(length) or b"{}")
        key = handler.headers.get("Idempotency-Key")
        if self.failing or urlsplit(handler.path).path != "/api/v1/statuses":
            return self._error(handler, 500)
        fault = self.post_faults.popleft() if self.post_faults else None
        if fault == "503":
            self.posts.append(Post(key, body, "503"))
            return self._error(handler, 503)
        # A new status every time (no Idempotency-Key memory): duplicates stay visible.
        status = copy.deepcopy(recorded("mastodon", "statuses_post_reply.json").json())
        status["id"] = str(117030000000000000 + len(self.statuses))
        status["content"] = f"<p>{body['status']}</p>"
        status["in_reply_to_id"] = body.get("in_reply_to_id")
        status["account"] = self.me
        status["created_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        self.statuses.append(status)
        if fault == "drop":  # accepted, but the answer never arrives
            self.posts.append(Post(key, body, "accepted-dropped"))
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return None
        self.posts.append(Post(key, body, "accepted"))
        return self._send(handler, 200, json.dumps(status).encode())


@pytest.fixture
def servers() -> Iterator[list[MastodonServer]]:
    made: list[MastodonServer] = []
    yield made
    for server in made:
        if server.hold is not None:
            server.hold.set()
        server.stop()


@pytest.fixture
def workspace(qtbot, tmp_path: Path, servers: list[MastodonServer]):  # type: ignore[no-untyped-def]
    """``workspace(n)``: n Mastodon accounts, each on its own local server, open in the window."""
    make_app()
    sessions: list[Session] = []

    def open_with(count: int) -> tuple[Session, list[MastodonServer], Path]:
        path = tmp_path / "w.db"
        store = Store.open(path)
        secrets = MemorySecretStore()
        for n in range(count):
            server = MastodonServer()
            servers.append(server)
            # As the accounts dialog stores it: qualified with the server's host.
            handle = f"brand{n}@{urlsplit(server.url).netloc}"
            store.add_account(platform="mastodon", handle=handle, server=server.url)
            secrets.set(secret_key("mastodon", handle), TOKEN)
        store.close()
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        session = Session(path, settings=settings, label="test", secrets=lambda: secrets)
        qtbot.addWidget(session.window)
        session.window.show()
        session.window.start()
        sessions.append(session)
        return session, servers, path

    yield open_with
    for session in sessions:
        session.window.close()
        session.close()


def click_sync(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """Press the toolbar's Sync button, as the user does."""
    button = window.findChild(QToolBar, "mainToolbar").widgetForAction(window.sync_action)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def sync(qtbot, session: Session) -> list[engine.AccountSync]:  # type: ignore[no-untyped-def]
    """Sync from the toolbar and wait until every account reported."""
    with qtbot.waitSignal(session.sync.finished, timeout=WAIT) as blocker:
        click_sync(qtbot, session.window)
    results: list[engine.AccountSync] = blocker.args[0]
    return results


def by_handle(results: list[engine.AccountSync]) -> dict[str, engine.AccountSync]:
    return {r.account.handle.split("@")[0]: r for r in results}


def read(path: Path) -> Store:
    return Store.open(path, read_only=True)


@pytest.mark.parametrize("fault", ["500", "refused"])
def test_a_failing_server_does_not_stop_the_other_account(qtbot, workspace, fault: str) -> None:
    session, (_, bad), path = workspace(2)
    if fault == "500":
        bad.failing = True
    else:
        bad.stop()
    window = session.window
    finished: list[str] = []
    session.sync.account_finished.connect(
        lambda o: finished.append(o.account.handle.split("@")[0]))

    results = by_handle(sync(qtbot, session))

    assert sorted(finished) == ["brand0", "brand1"]  # both accounts report finished
    assert results["brand0"].ok and results["brand0"].new_messages >= 1
    assert not results["brand1"].ok
    assert ("Offline" in results["brand1"].error) == (fault == "refused")
    assert not session.sync.running
    assert not window.sync_bar.isVisible() and not window.cancel_sync.isVisible()
    assert "brand1" in window.statusBar().currentMessage()
    store = read(path)
    status = store.sync_status()
    accounts = {a.handle.split("@")[0]: a.id for a in store.accounts()}
    assert status[accounts["brand0"]][1] is None
    assert status[accounts["brand1"]][1] == results["brand1"].error
    assert store.message_count() == results["brand0"].new_messages
    # One account online is enough: the window is not offline.
    assert window.offline_label.isHidden()
    qtbot.waitUntil(lambda: window.model.rowCount() >= 1, timeout=WAIT)


def test_cancel_mid_sync(qtbot, workspace) -> None:
    session, (_, slow), path = workspace(2)
    slow.hold = threading.Event()
    window = session.window
    with qtbot.waitSignal(session.sync.account_finished, timeout=WAIT,
                          check_params_cb=lambda o: o.account.handle.startswith("brand0@")):
        click_sync(qtbot, window)
    assert slow.holding.wait(WAIT / 1000)  # brand1's first page is on its way
    assert window.cancel_sync.isVisible() and session.sync.running

    with qtbot.waitSignal(session.sync.finished, timeout=WAIT) as blocker:
        qtbot.mouseClick(window.cancel_sync, Qt.MouseButton.LeftButton)
        slow.hold.set()
    results = by_handle(blocker.args[0])

    assert results["brand0"].ok and results["brand0"].new_messages >= 1
    assert results["brand1"].cancelled and results["brand1"].pages == 0
    assert not window.sync_bar.isVisible() and not window.cancel_sync.isVisible()
    store = read(path)
    accounts = {a.handle.split("@")[0]: a.id for a in store.accounts()}
    assert store.account_cursor(accounts["brand1"]) is None  # nothing of it was stored
    assert store.sync_status()[accounts["brand1"]][1] is None  # a cancel is not an error
    assert store.message_count() == results["brand0"].new_messages

    slow.hold = None  # the next sync fetches what the cancelled one left
    again = by_handle(sync(qtbot, session))
    assert again["brand1"].ok and again["brand1"].new_messages >= 1


def test_offline_indicator_shows_and_clears(qtbot, workspace) -> None:
    session, (server,), path = workspace(1)
    window = session.window
    server.stop()
    with qtbot.waitSignal(session.sync.offline_changed, timeout=WAIT) as blocker:
        click_sync(qtbot, window)
    assert blocker.args == [True]
    qtbot.waitUntil(lambda: not session.sync.running, timeout=WAIT)
    assert window.offline_label.isVisible()
    assert read(path).message_count() == 0

    server.start()  # the network is back
    with qtbot.waitSignal(session.sync.offline_changed, timeout=WAIT) as blocker:
        click_sync(qtbot, window)
    assert blocker.args == [False]
    qtbot.waitUntil(lambda: not session.sync.running, timeout=WAIT)
    assert window.offline_label.isHidden()
    assert read(path).message_count() >= 1


MENTION = recorded("mastodon", "notifications_mention_local.json").json()[0]["status"]["id"]


def approve_reply(path: Path, text: str, *, to: str = MENTION) -> int:
    """Approve a reply to the message ``to`` (as the composer does, through the store)."""
    store = Store.open(path)
    try:
        ((case_id, message),) = [(c.id, m) for c in store.cases_page()
                                 for m in store.case_detail(c.id).messages if m.remote_id == to]
        reply_id, _ = store.save_draft(case_id, account_id=message.account_id,
                                       body=text, in_reply_to_message_id=message.id)
        store.approve_reply(reply_id)
        return reply_id
    finally:
        store.close()


def sync_and_send(qtbot, session: Session) -> list[engine.SendOutcome]:  # type: ignore[no-untyped-def]
    """Sync (online) and wait for the outbox run that follows it."""
    with qtbot.waitSignal(session.sync.outbox_finished, timeout=WAIT) as blocker:
        click_sync(qtbot, session.window)  # the outbox runs after the sync finished online
    outcomes: list[engine.SendOutcome] = blocker.args[0]
    return outcomes


def test_reply_is_sent_exactly_once_when_the_network_is_back(qtbot, workspace) -> None:
    session, (server,), path = workspace(1)
    window = session.window
    sync_and_send(qtbot, session)  # fetch the customer's mention
    text = "Sorry about that, a new kettle is on its way."
    reply_id = approve_reply(path, text)
    key = read(path).reply(reply_id).idempotency_key

    # Offline: the sync finds no server, and nothing is posted.
    server.stop()
    with qtbot.waitSignal(session.sync.offline_changed, timeout=WAIT):
        click_sync(qtbot, window)
    qtbot.waitUntil(lambda: not session.sync.running, timeout=WAIT)
    # A send asked for by hand (the review queue's Send) while offline: refused at the door.
    with qtbot.waitSignal(session.sync.outbox_finished, timeout=WAIT) as blocker:
        session.sync.send_outbox()
    assert [o.sent for o in blocker.args[0]] == [False]
    assert read(path).reply(reply_id).state is ReplyState.SENDING

    # Back, but the first post gets a 503, and the next one is accepted with the answer lost.
    server.start()
    server.post_faults.extend(["503", "drop"])
    assert [o.sent for o in sync_and_send(qtbot, session)] == [False]  # 503
    assert window.offline_label.isHidden()
    assert [o.sent for o in sync_and_send(qtbot, session)] == [False]  # accepted, answer lost
    assert read(path).reply(reply_id).state is ReplyState.SENDING
    # The next run finds it on the server instead of posting it again.
    (outcome,) = sync_and_send(qtbot, session)
    assert outcome.sent and outcome.reconciled
    assert sync_and_send(qtbot, session) == []  # nothing left to send

    assert [p.answer for p in server.posts] == ["503", "accepted-dropped"]
    carried = [p for p in server.posts if p.answer.startswith("accepted")]
    assert len(carried) == 1 and text in carried[0].body["status"]
    assert len(server.statuses) == 1
    assert {p.key for p in server.posts} == {key}  # one Idempotency-Key across retries
    store = read(path)
    reply = store.reply(reply_id)
    assert reply.state is ReplyState.SENT and reply.sent_remote_id == server.statuses[0]["id"]
    detail = store.case_detail(reply.case_id)
    assert [m.text for m in detail.messages if m.direction.value == "out"] == [text]


def test_reply_without_a_connector_is_marked_failed(qtbot, workspace) -> None:
    """A reply whose send cannot be planned fails visibly, with the reason; the others go."""
    session, (server,), path = workspace(1)
    sync_and_send(qtbot, session)
    store = Store.open(path)
    # An account of a kind that has no connector (only the demo workspace sends for it).
    store.add_account(platform=Platform.DEMO, handle="legacy@demo.example")
    store.ingest([msg(author="@ann@example.social", text="Hello?", account="legacy@demo.example",
                      platform=Platform.DEMO, remote_id="legacy-1")])
    store.close()
    stuck = approve_reply(path, "We are on it.", to="legacy-1")
    fine = approve_reply(path, "Sorry about that.")
    outcomes = {o.reply_id: o for o in sync_and_send(qtbot, session)}
    assert outcomes[stuck].final and "no connector" in (outcomes[stuck].error or "")
    assert outcomes[fine].sent
    store = read(path)
    failed = store.reply(stuck)
    assert failed.state is ReplyState.FAILED and "no connector" in (failed.error or "")
    assert store.reply(fine).state is ReplyState.SENT
    assert [p.answer for p in server.posts] == ["accepted"]

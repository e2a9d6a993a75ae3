"""Connector test fixtures: a fault-injecting local HTTP server, the local Bluesky network."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]


# --- a local fake HTTP server -------------------------------------------------------------


@dataclass
class FakeRequest:
    """A request the fake server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class FakeResponse:
    """What the fake server does: answer, stall, cut the body short, or hang up."""

    status: int = 200
    json: Any = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to stall before answering (timeouts)
    drop: bool = False  # close the connection without any answer
    truncate_to: int | None = None  # announce the full length, send only this many bytes


Handler = Callable[[FakeRequest], FakeResponse]


class FakeServer:
    """A stdlib ``http.server`` on 127.0.0.1 in a thread, with per-route handlers.

    It stands in for a platform where the real one cannot be used in a test or
    cannot be made to misbehave on purpose: 429 storms, stalls, 5xx, truncated
    bodies, revoked tokens, connections dropped after a post was accepted.
    """

    Response = FakeResponse

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Handler] = {}
        self.requests: list[FakeRequest] = []
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = FakeRequest(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k: v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                server.requests.append(request)
                handler = server.routes.get((self.command, parts.path))
                answer = handler(request) if handler else FakeResponse(404, {"error": "Not Found"})
                if answer.delay:
                    time.sleep(answer.delay)
                if answer.drop:
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                body = answer.body
                if body is None:
                    body = json.dumps(answer.json).encode() if answer.json is not None else b""
                self.send_response(answer.status)
                headers = {"Content-Type": "application/json; charset=utf-8", **answer.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(
                        body if answer.truncate_to is None else body[: answer.truncate_to]
                    )
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first (timeout tests)

            do_GET = _serve
            do_POST = _serve

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def route(self, method: str, path: str, handler: Handler | FakeResponse) -> None:
        """Answer ``method path`` with ``handler(request)`` (or always the same response)."""
        if isinstance(handler, FakeResponse):
            fixed = handler
            self.routes[(method, path)] = lambda _request: fixed
        else:
            self.routes[(method, path)] = handler

    def hits(self, method: str, path: str) -> int:
        """How many requests ``method path`` received."""
        return sum(1 for r in self.requests if r.method == method and r.path == path)

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    """A fresh fake HTTP server for one test (see :class:`FakeServer`)."""
    server = FakeServer()
    yield server
    server.close()

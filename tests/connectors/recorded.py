"""Serve recorded API responses from ``../shared`` to the real connector code through requests.

The payloads are the verbatim bodies in ``shared/fixtures/`` (``SOURCES.md`` there
names where each was recorded) and the samples the local Bluesky network wrote to
``shared/peers/bluesky/samples/``. :class:`RecordedAdapter` is a
``requests.adapters.BaseAdapter``: the connector builds and sends real requests,
and the adapter answers each one with a recorded status, headers and body.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from console.connectors.http import build_session

SHARED = Path(__file__).resolve().parents[3] / "shared"
FIXTURES = SHARED / "fixtures"
SAMPLES = SHARED / "peers" / "bluesky" / "samples"

# The body files hold decoded bodies, so the transport headers of the recording
# (gzip, chunked, the original length) no longer describe them.
_TRANSPORT_HEADERS = {"content-encoding", "content-length", "transfer-encoding"}


@dataclass(frozen=True)
class Recorded:
    """One recorded response."""

    source: str  # the file it came from, for messages
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    recorded_headers: bool = True  # False: the source kept no headers

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


def recorded(
    platform: str, name: str, *, status: int | None = None, headers: dict[str, str] | None = None
) -> Recorded:
    """Load ``shared/fixtures/<platform>/<name>`` with its ``.headers.json`` sidecar.

    Args:
        platform: ``mastodon``, ``x`` or ``bluesky``.
        name: the body file name, e.g. ``notifications_mention.json``.
        status: required when the fixture has no sidecar (the status SOURCES.md names).
        headers: added when the fixture has no sidecar (e.g. a Content-Type).

    Returns:
        The response to serve.
    """
    path = FIXTURES / platform / name
    body = path.read_bytes()
    sidecar = path.with_name(path.name.rsplit(".", 1)[0] + ".headers.json")
    if sidecar.exists():
        meta = json.loads(sidecar.read_text())
        raw_headers = meta["headers"]
        merged = {
            k: (", ".join(v) if isinstance(v, list) else str(v))
            for k, v in raw_headers.items()
            if k.lower() not in _TRANSPORT_HEADERS
        }
        return Recorded(
            source=f"{platform}/{name}", status=int(meta["status"]), body=body, headers=merged
        )
    if status is None:
        raise ValueError(f"{platform}/{name} has no recorded status: pass the one SOURCES.md gives")
    return Recorded(
        source=f"{platform}/{name}",
        status=status,
        body=body,
        headers=dict(headers or {}),
        recorded_headers=False,
    )


def sample(name: str) -> Recorded:
    """Load a response the local Bluesky network returned (``peers/bluesky/samples/<name>``).

    Error samples are stored as ``{"status": ..., "body": {...}}``; the others are
    the body itself (re-indented by the kit). The kit kept no headers, so a JSON
    Content-Type is supplied.
    """
    path = SAMPLES / name
    data = json.loads(path.read_text())
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if name.startswith("error_"):
        body = json.dumps(data["body"]).encode()
        return Recorded(f"samples/{name}", int(data["status"]), body, headers, False)
    return Recorded(f"samples/{name}", 200, path.read_bytes(), headers, False)


Responder = Recorded | Callable[[requests.PreparedRequest], Recorded]


@dataclass
class Route:
    method: str
    path: str
    responses: list[Responder]
    query: dict[str, str] | None = None
    repeat_last: bool = True
    hits: int = 0


@dataclass
class Sent:
    """A request the connector sent, as the adapter saw it."""

    method: str
    url: str
    headers: CaseInsensitiveDict[str]
    body: bytes | None
    timeout: Any

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.url).query)

    def json(self) -> Any:
        return json.loads(self.body or b"null")


class RecordedAdapter(BaseAdapter):
    """Answers requests from a table of routes with recorded responses.

    A route matches on method and URL path (and, optionally, query values); its
    responses are served in order, the last one repeating. An unmatched request
    fails the test.
    """

    def __init__(self) -> None:
        super().__init__()
        self.routes: list[Route] = []
        self.sent: list[Sent] = []

    def add(
        self,
        method: str,
        path: str,
        *responses: Responder,
        query: dict[str, str] | None = None,
    ) -> Route:
        route = Route(method.upper(), path, list(responses), query)
        self.routes.insert(0, route)  # later routes win, so a test can override
        return route

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        sent = Sent(
            method=str(request.method),
            url=str(request.url),
            headers=CaseInsensitiveDict(request.headers),
            body=body,
            timeout=kwargs.get("timeout"),
        )
        self.sent.append(sent)
        for route in self.routes:
            if route.method != sent.method or route.path != sent.path:
                continue
            if route.query and any(
                sent.query.get(k, [None])[0] != v for k, v in route.query.items()
            ):
                continue
            index = min(route.hits, len(route.responses) - 1)
            route.hits += 1
            responder = route.responses[index]
            answer = responder(request) if callable(responder) else responder
            return _response(request, answer, self)
        raise AssertionError(f"no recorded response for {sent.method} {sent.url}")

    def close(self) -> None:
        pass


def _response(
    request: requests.PreparedRequest, answer: Recorded, adapter: BaseAdapter
) -> requests.Response:
    response = requests.Response()
    response.status_code = answer.status
    response.headers = CaseInsensitiveDict(answer.headers)
    response.raw = io.BytesIO(answer.body)
    response.url = str(request.url)
    response.request = request
    response.reason = "recorded"
    response.encoding = get_encoding_from_headers(response.headers)
    response.connection = adapter
    return response


def recorded_session() -> tuple[requests.Session, RecordedAdapter]:
    """A session built like the app's (User-Agent, timeouts) whose transport is recorded."""
    session = build_session()
    adapter = RecordedAdapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session, adapter

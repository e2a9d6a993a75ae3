"""HTTP plumbing: sessions, timeouts, retries, error mapping and redaction.

The error bodies are the recorded ones in ``shared/fixtures``. Faults a real
server cannot be made to produce on demand (429 storms, stalls, 5xx, truncated
bodies, dropped connections) come from the ``fake_server`` fixture: a local stdlib
``http.server`` in a thread, which is a fake and says so.
"""

from __future__ import annotations

import email.utils
import socket
from typing import Any

import pytest
import requests

from console import __version__
from console.connectors.http import (
    DEFAULT_TIMEOUT,
    HttpClient,
    TimeoutSession,
    build_session,
    parse_reset,
    retry_after,
    scrub,
)
from console.core.errors import (
    AuthError,
    KnownError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from console.core.secrets import Secret

from .recorded import Recorded, recorded, recorded_session

TOKEN = "tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
JSON = {"Content-Type": "application/json; charset=utf-8"}


class Sleeps(list[float]):
    """Records the waits instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(
    session: requests.Session, base_url: str = "https://example.social", **kwargs: Any
) -> HttpClient:
    kwargs.setdefault("sleep", Sleeps())
    return HttpClient(session, base_url=base_url, service="Test (example.social)", **kwargs)


def recorded_date(answer: Recorded) -> float:
    """The Unix time at which the response was recorded (its Date header)."""
    return email.utils.parsedate_to_datetime(answer.headers["date"]).timestamp()


# --- sessions -------------------------------------------------------------------------


def test_build_session_sets_user_agent_and_a_default_timeout() -> None:
    session = build_session()
    assert isinstance(session, TimeoutSession)
    assert session.headers["User-Agent"] == f"CommunityConsole/{__version__}"
    assert session.timeout == DEFAULT_TIMEOUT


def test_every_call_carries_a_timeout_even_without_the_client() -> None:
    session, adapter = recorded_session()
    adapter.add(
        "GET", "/api/v1/notifications", recorded("mastodon", "notifications_mention_local.json")
    )
    session.get("https://example.social/api/v1/notifications")  # no timeout given
    client_for(session).get("/api/v1/notifications", token=Secret(TOKEN))
    assert [s.timeout for s in adapter.sent] == [DEFAULT_TIMEOUT, DEFAULT_TIMEOUT]
    assert adapter.sent[1].headers["Authorization"] == f"Bearer {TOKEN}"
    assert adapter.sent[1].headers["User-Agent"].startswith("CommunityConsole/")


# --- error mapping on recorded error bodies ---------------------------------------------

ERRORS = [
    # (platform, file, status when no sidecar, expected class, text in the message)
    ("mastodon", "error_401_invalid_token.json", None, AuthError, "The access token is invalid"),
    (
        "mastodon",
        "error_401_token_revoked_ja.json",
        None,
        AuthError,
        "アクセストークンは取り消されています",
    ),
    ("mastodon", "error_403_not_allowed.json", None, AuthError, "This action is not allowed"),
    ("mastodon", "error_404_not_found.json", None, NotFoundError, "Not Found"),
    ("mastodon", "error_404_record_not_found.json", None, NotFoundError, "Record not found"),
    (
        "mastodon",
        "error_422_status_empty_ja.json",
        None,
        RejectedError,
        "バリデーションに失敗しました",
    ),
    (
        "mastodon",
        "error_422_status_too_long_de.json",
        None,
        RejectedError,
        "Begrenzung von 500 Zeichen",
    ),
    ("mastodon", "error_422_with_details.json", None, RejectedError, "Password can't be blank"),
    ("mastodon", "error_400_oauth_invalid_grant.json", None, RejectedError, "grant is invalid"),
    ("mastodon", "error_429_docs_example.json", 429, RateLimitedError, "Too many requests"),
    ("x", "error_400_invalid_ids.json", None, RejectedError, "does not match ^[0-9]{1,19}$"),
    ("x", "error_400_invalid_request.json", None, RejectedError, "'start_time' must be before"),
    ("x", "error_401_unauthorized.json", None, AuthError, "Unauthorized"),
    ("x", "error_403_client_not_enrolled.json", 403, AuthError, "attached to a Project"),
    ("x", "error_404_unknown_endpoint.html", None, NotFoundError, "HTML error page"),
    ("x", "error_429_rate_limit.txt", None, RateLimitedError, "Rate limit exceeded"),
    ("x", "error_429_too_many_requests.json", 429, RateLimitedError, "Too Many Requests"),
    (
        "bluesky",
        "error_401_createSession_AuthenticationRequired.json",
        None,
        AuthError,
        "Invalid identifier or password",
    ),
    (
        "bluesky",
        "error_400_createRecord_InvalidRequest.json",
        None,
        RejectedError,
        "must not be longer than 300 graphemes",
    ),
    ("bluesky", "error_429_RateLimitExceeded.json", 429, RateLimitedError, "Rate Limit Exceeded"),
]


@pytest.mark.parametrize(
    ("platform", "name", "status", "kind", "text"), ERRORS, ids=[f"{p}/{n}" for p, n, *_ in ERRORS]
)
def test_recorded_errors_map_to_known_errors(
    platform: str, name: str, status: int | None, kind: type[KnownError], text: str
) -> None:
    headers = JSON if status is not None and name.endswith(".json") else None
    answer = recorded(platform, name, status=status, headers=headers)
    session, adapter = recorded_session()
    adapter.add("GET", "/endpoint", answer)
    with pytest.raises(KnownError) as info:
        client_for(session).get("/endpoint", token=Secret(TOKEN))
    error = info.value
    assert type(error) is kind
    assert text in str(error)
    assert "Test (example.social)" in str(error)
    assert TOKEN not in str(error) and TOKEN not in repr(error.args)
    assert error.__cause__ is None  # no chained requests exception carrying headers
    assert "<html" not in str(error).lower()


def test_recorded_x_429_text_body_gives_retry_after_from_the_reset_header() -> None:
    answer = recorded("x", "error_429_rate_limit.txt")
    assert answer.headers["content-type"].startswith("text/plain")
    session, adapter = recorded_session()
    adapter.add("GET", "/2/users/60580740/liked_tweets", answer)
    now = recorded_date(answer)  # the clock as it was when this was recorded
    with pytest.raises(RateLimitedError) as info:
        client_for(session, clock=lambda: now).get("/2/users/60580740/liked_tweets")
    expected = int(answer.headers["x-rate-limit-reset"]) - now
    assert info.value.retry_after == pytest.approx(expected)
    assert "Try again in 614 s" in str(info.value)


def test_mastodon_iso_reset_header_and_bluesky_epoch_reset_header() -> None:
    mastodon = recorded("mastodon", "notifications_mention_local.json")
    reset = mastodon.headers["x-ratelimit-reset"]  # "2026-08-01T13:55:00.940463Z"
    at = 1785592440.0  # 2026-08-01T13:54:00Z
    assert parse_reset(reset, at) == pytest.approx(60.940463)
    bluesky = recorded("bluesky", "listNotifications.json")
    assert bluesky.headers["RateLimit-Reset"] == "1747676784"
    assert retry_after(bluesky.headers, 1747676700.0) == pytest.approx(84)
    assert retry_after({"Retry-After": "30"}, 0) == 30
    assert retry_after({}, 0) is None
    assert parse_reset("12", 1e9 + 5) == 12  # small numbers are seconds, not a Unix time


def test_success_keeps_link_relations_and_rate_limit_state() -> None:
    answer = recorded("mastodon", "notifications_mention.json")
    session, adapter = recorded_session()
    adapter.add("GET", "/api/v1/notifications", answer)
    client = client_for(session, base_url="https://mastodon.social")
    reply = client.get("/api/v1/notifications")
    assert reply.links["next"] == "https://mastodon.social/api/v1/notifications?max_id=541461666"
    assert reply.links["prev"] == "https://mastodon.social/api/v1/notifications?min_id=550622655"
    assert len(reply.data) == 40
    assert client.last_rate_limit is not None and client.last_rate_limit.remaining == 273


def test_links_to_another_host_are_not_followed() -> None:
    session, adapter = recorded_session()
    with pytest.raises(RejectedError, match="another server"):
        client_for(session).get("https://evil.example/api/v1/notifications", token=Secret(TOKEN))
    assert adapter.sent == []


def test_scrub_masks_known_secrets_bearer_tokens_and_jwts() -> None:
    jwt = "eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJIUzI1NiJ9.eyJzY29wZSI6ImNvbSJ9.OYZOupXmp4dTkR4aQSAwDx"
    text = f"echo {TOKEN} / Authorization: Bearer abc.def-123 / {jwt} / app pw hunter2-pass"
    clean = scrub(text, ["hunter2-pass"])
    assert TOKEN not in scrub(text, [TOKEN])
    assert "abc.def-123" not in clean and jwt not in clean and "hunter2-pass" not in clean


# --- faults from the local fake server ----------------------------------------------------


def test_429_storm_with_retry_after_is_not_hammered(fake_server: Any) -> None:
    fake_server.route(
        "GET",
        "/api/v1/notifications",
        fake_server.Response(429, {"error": "Too many requests"}, headers={"Retry-After": "30"}),
    )
    sleeps = Sleeps()
    client = client_for(build_session(), fake_server.url, sleep=sleeps)
    for _ in range(5):
        with pytest.raises(RateLimitedError) as info:
            client.get("/api/v1/notifications")
        assert 29 <= (info.value.retry_after or 0) <= 30
    # One request reached the server; the other four were refused locally.
    assert fake_server.hits("GET", "/api/v1/notifications") == 1
    assert sleeps == []


def test_exhausted_rate_limit_headers_stop_the_next_call(fake_server: Any) -> None:
    fake_server.route(
        "GET",
        "/2/users/1/mentions",
        fake_server.Response(
            200,
            {"meta": {"result_count": 0}},
            headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": "2000000100"},
        ),
    )
    client = client_for(build_session(), fake_server.url, clock=lambda: 2000000000.0)
    client.get("/2/users/1/mentions")
    with pytest.raises(RateLimitedError) as info:
        client.get("/2/users/1/mentions")
    assert info.value.retry_after == pytest.approx(100)
    assert fake_server.hits("GET", "/2/users/1/mentions") == 1


def test_stalled_server_times_out_get_retried_post_not(fake_server: Any) -> None:
    fake_server.route("GET", "/slow", fake_server.Response(200, {"ok": True}, delay=0.6))
    fake_server.route("POST", "/slow", fake_server.Response(200, {"ok": True}, delay=0.6))
    sleeps = Sleeps()
    client = client_for(build_session(), fake_server.url, timeout=(1.0, 0.15), sleep=sleeps)
    with pytest.raises(NetworkError, match=r"timed out") as info:
        client.get("/slow")
    assert "127.0.0.1" in str(info.value)
    assert fake_server.hits("GET", "/slow") == 3  # first try + 2 bounded retries
    assert sleeps == [0.5, 1.0]
    with pytest.raises(NetworkError, match="may or may not have been carried out"):
        client.post("/slow", json={"status": "hello"})
    assert fake_server.hits("POST", "/slow") == 1


def test_5xx_get_retried_then_succeeds_post_never_retried(fake_server: Any) -> None:
    answers = iter(
        [
            fake_server.Response(502, body=b"Bad Gateway", headers={"Content-Type": "text/plain"}),
            fake_server.Response(500, {"error": "boom"}),
            fake_server.Response(200, [{"id": "1"}]),
        ]
    )
    fake_server.route("GET", "/flaky", lambda request: next(answers))
    client = client_for(build_session(), fake_server.url)
    assert client.get("/flaky").data == [{"id": "1"}]
    fake_server.route("GET", "/down", fake_server.Response(503, {"error": "maintenance"}))
    with pytest.raises(TransientError, match="HTTP 503"):
        client.get("/down")
    assert fake_server.hits("GET", "/down") == 3
    fake_server.route("POST", "/down", fake_server.Response(500, {"error": "boom"}))
    with pytest.raises(TransientError):
        client.post("/down", json={})
    assert fake_server.hits("POST", "/down") == 1


def test_truncated_and_malformed_json_are_transient(fake_server: Any) -> None:
    body = b'[{"id": "1", "content": "<p>hello</p>"}, {"id": "2", "content": "<p>wor'
    fake_server.route(
        "GET", "/cut", fake_server.Response(200, body=body + b'ld</p>"}]', truncate_to=len(body))
    )
    fake_server.route("GET", "/bad", fake_server.Response(200, body=body))
    client = client_for(build_session(), fake_server.url, get_retries=0)
    with pytest.raises(TransientError, match="Malformed response from Test"):
        client.get("/cut")
    with pytest.raises(TransientError, match="not valid JSON"):
        client.get("/bad")


def test_captive_portal_html_is_not_taken_for_data(fake_server: Any) -> None:
    fake_server.route(
        "GET",
        "/api/v1/notifications",
        fake_server.Response(
            200,
            body=b"<html><body>Welcome to Train Wi-Fi, please log in</body></html>",
            headers={"Content-Type": "text/html"},
        ),
    )
    with pytest.raises(TransientError, match="HTML page"):
        client_for(build_session(), fake_server.url).get("/api/v1/notifications")


def test_connection_refused_and_unknown_host_are_network_errors() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = client_for(build_session(), f"http://127.0.0.1:{port}", get_retries=0)
    with pytest.raises(NetworkError, match="refused"):
        client.get("/api/v1/notifications", token=Secret(TOKEN))
    client = client_for(build_session(), "http://console-test.invalid", get_retries=0)
    with pytest.raises(NetworkError, match="cannot be looked up"):
        client.get("/api/v1/notifications", token=Secret(TOKEN))


def test_server_echoing_the_token_does_not_leak_it(fake_server: Any) -> None:
    # A synthetic body (not a recording): a misbehaving server quoting our header back.
    fake_server.route(
        "GET",
        "/echo",
        lambda request: fake_server.Response(
            401, {"error": f"bad token {request.headers.get('Authorization')}"}
        ),
    )
    with pytest.raises(AuthError) as info:
        client_for(build_session(), fake_server.url).get("/echo", token=Secret(TOKEN))
    assert TOKEN not in str(info.value)
    assert "bad token Bearer ***" in str(info.value)

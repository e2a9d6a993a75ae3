"""The shared OAuth pieces: PKCE, pasted codes, the loopback listener, token errors."""

from __future__ import annotations

import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from console.connectors.http import build_session
from console.connectors.oauth import (
    GrantRefused,
    LoopbackReceiver,
    Pkce,
    ReconnectNeeded,
    RefreshingToken,
    SignInCancelled,
    challenge_for,
    parse_pasted,
    read_bundle,
    token_request,
)
from console.core.errors import AuthError
from console.core.secrets import MemorySecretStore
from tests.connectors.oauth_server import fixture


def test_pkce_s256_matches_the_rfc_7636_example() -> None:
    # RFC 7636, Appendix B.
    assert challenge_for("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    pair = Pkce.new()
    assert 43 <= len(pair.verifier) <= 128 and challenge_for(pair.verifier) == pair.challenge
    assert pair.verifier not in repr(pair) and Pkce.new().verifier != pair.verifier


def test_parse_pasted_code_or_address() -> None:
    assert parse_pasted("  abc123 \n").code == "abc123"
    got = parse_pasted("http://127.0.0.1:8719/callback?state=s1&code=xyz")
    assert (got.code, got.state) == ("xyz", "s1")
    with pytest.raises(AuthError, match="not approved"):
        parse_pasted("http://127.0.0.1:8719/callback?error=access_denied&state=s1")
    with pytest.raises(AuthError, match="no authorization code"):
        parse_pasted("http://127.0.0.1:8719/callback?state=s1")
    assert "xyz" not in repr(got)


def test_loopback_ignores_idle_connections_and_wrong_paths() -> None:
    receiver = LoopbackReceiver()
    pool = ThreadPoolExecutor(1)
    waiting = pool.submit(receiver.wait, state="s1", timeout=30)
    idle = socket.create_connection(("127.0.0.1", receiver.port))  # a browser's preconnect
    try:
        assert requests.get(f"http://127.0.0.1:{receiver.port}/favicon.ico",
                            timeout=10).status_code == 404
        page = requests.get(f"{receiver.redirect_uri}?code=c0de&state=s1", timeout=10)
        assert page.status_code == 200 and "Signed in" in page.text
        assert waiting.result(timeout=10).code == "c0de"
    finally:
        idle.close()
        pool.shutdown()
    with pytest.raises(requests.ConnectionError):  # closed once the code came
        requests.get(receiver.redirect_uri, timeout=2)


def test_loopback_cancel_and_timeout() -> None:
    receiver = LoopbackReceiver()
    pool = ThreadPoolExecutor(1)
    waiting = pool.submit(receiver.wait, state=None, timeout=30)
    started = time.monotonic()
    receiver.cancel()
    with pytest.raises(SignInCancelled):
        waiting.result(timeout=5)
    assert time.monotonic() - started < 2
    with pytest.raises(SignInCancelled, match="in time"):
        LoopbackReceiver().wait(state=None, timeout=0.3)
    pool.shutdown()


def test_token_errors_never_carry_the_secrets(fake_server: Any) -> None:
    fake_server.route("POST", "/oauth/token", fake_server.Response(
        400, body=fixture("mastodon/error_400_oauth_invalid_grant.json")))
    form = {"grant_type": "authorization_code", "code": "SECRET-CODE-1",
            "code_verifier": "SECRET-VERIFIER-2", "client_secret": "SECRET-CLIENT-3"}
    with pytest.raises(GrantRefused) as caught:
        token_request(build_session(), f"{fake_server.url}/oauth/token", form, service="M")
    assert caught.value.code == "invalid_grant" and "grant is invalid" in str(caught.value)
    sent = fake_server.requests[-1]
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert b"code_verifier=SECRET-VERIFIER-2" in sent.body
    for secret in form.values():
        if secret.startswith("SECRET"):
            assert secret not in str(caught.value)


def test_a_refused_refresh_after_another_process_rotated_it_uses_the_new_pair(
        fake_server: Any) -> None:
    key = "x:brand"
    secrets = MemorySecretStore({key: json.dumps({
        "access_token": "A1", "refresh_token": "R1", "expires_at": 100.0, "client_id": "c",
        "token_url": f"{fake_server.url}/2/oauth2/token"})})

    def refuse_and_rotate_elsewhere(_request: Any) -> Any:
        # Meanwhile cron's `sync` spent R1 and stored the rotated pair.
        secrets.set(key, json.dumps({"access_token": "A2", "refresh_token": "R2",
                                     "expires_at": 10_000.0, "client_id": "c",
                                     "token_url": f"{fake_server.url}/2/oauth2/token"}))
        return fake_server.Response(400, {"error": "invalid_request",
                                          "error_description": "Value passed for the token "
                                                               "was invalid."})

    fake_server.route("POST", "/2/oauth2/token", refuse_and_rotate_elsewhere)
    token = RefreshingToken(secrets, key, service="X", account="@brand",
                            session=build_session(), clock=lambda: 99.0)
    assert token.get().reveal() == "A2"  # not "reconnect": the other process's pair works
    assert read_bundle(secrets.get(key))["refresh_token"] == "R2"  # type: ignore[index]

    fake_server.route("POST", "/2/oauth2/token", fake_server.Response(
        400, {"error": "invalid_grant", "error_description": "revoked"}))
    later = RefreshingToken(secrets, key, service="X", account="@brand",
                            session=build_session(), clock=lambda: 20_000.0)
    with pytest.raises(ReconnectNeeded, match="reconnect"):
        later.get()
    assert "R2" not in (secrets.get(key) or "")  # the dead token is not kept

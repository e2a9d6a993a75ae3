"""Sign-in for Mastodon and X against a local OAuth server that follows their documents.

The server (tests/connectors/oauth_server.py) is a real ``http.server`` on 127.0.0.1; the
browser step is done here with ``requests``: open the authorization page, press
Authorize, follow the redirect to the app's own loopback listener. Tokens go to the test
run's throwaway keyring (packaging/with-keyring.sh), never the user's.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import re
import socket
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from console.connectors import registry
from console.connectors.http import build_session
from console.connectors.mastodon import MastodonConnector, app_key
from console.connectors.oauth import (
    OOB_REDIRECT,
    ReconnectNeeded,
    SignInCancelled,
    challenge_for,
    read_bundle,
)
from console.connectors.registry import (
    credential_state,
    entry_keys,
    forget_account,
    save_sign_in,
    secret_key,
    start_sign_in,
)
from console.connectors.x import XConnector
from console.core.errors import AuthError
from console.core.models import IncomingMessage, MessageKind, Platform, ReplyState
from console.core.secrets import KeyringSecretStore, MemorySecretStore
from console.core.store import Store
from console.sync import engine
from tests.connectors.oauth_server import LocalOAuthServer, approve_in_browser

NOW = 1_796_000_000.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def in_background(fn):  # type: ignore[no-untyped-def]
    pool = ThreadPoolExecutor(1)
    future = pool.submit(fn)
    pool.shutdown(wait=False)
    return future


# --- Mastodon ----------------------------------------------------------------------------


def test_mastodon_sign_in_through_the_loopback_then_remove_revokes(
        oauth_server: LocalOAuthServer, keyring_store: KeyringSecretStore,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sign_in = start_sign_in("mastodon", server=oauth_server.url)
    (app,) = oauth_server.state.apps.values()
    assert app["name"] == "Community Console" and app["scopes"] == ["read", "write"]
    query = parse_qs(urlsplit(sign_in.authorize_url).query)
    redirect = query["redirect_uri"][0]
    assert redirect.startswith("http://127.0.0.1:") and redirect.endswith("/callback")
    assert app["redirect_uris"] == [redirect]
    assert query["code_challenge_method"] == ["S256"] and query["response_type"] == ["code"]

    waiting = in_background(sign_in.wait)
    landed = approve_in_browser(sign_in.authorize_url)  # the user presses Authorize
    assert landed.url.startswith(redirect) and "Signed in" in landed.text
    result = waiting.result(timeout=20)

    host = urlsplit(oauth_server.url).netloc
    assert result.handle == f"@halcy@{host}"  # from the recorded verify_credentials
    assert result.display_name == "autumnal halcy"
    (token_call,) = oauth_server.hits("POST", "/oauth/token")
    assert challenge_for(token_call["code_verifier"]) == query["code_challenge"][0]
    assert token_call["redirect_uri"] == redirect
    key = secret_key("mastodon", result.handle)
    save_sign_in(result, keyring_store)
    token = keyring_store.get(key)
    assert token and oauth_server.state.access[token] == "mastodon"
    assert json.loads(keyring_store.get(app_key(key)) or "{}")["client_id"] == app["client_id"]
    assert token not in repr(result) and token not in caplog.text

    connector = registry.make_connector("mastodon", handle=result.handle,
                                        server=oauth_server.url, secrets=keyring_store)
    assert connector.verify().remote_id == "43"

    # Signing in again replaces the token and revokes the one it replaces.
    again = start_sign_in("mastodon", server=oauth_server.url)
    waiting = in_background(again.wait)
    approve_in_browser(again.authorize_url)
    save_sign_in(waiting.result(timeout=20), keyring_store)
    assert [c["token"] for c in oauth_server.hits("POST", "/oauth/revoke")] == [token]
    token = keyring_store.get(key)
    assert token and oauth_server.state.access[token] == "mastodon"
    app = oauth_server.state.apps[json.loads(keyring_store.get(app_key(key)) or "{}")["client_id"]]

    warnings = forget_account("mastodon", result.handle, oauth_server.url, keyring_store)
    assert warnings == []
    revoke = oauth_server.hits("POST", "/oauth/revoke")[-1]
    assert revoke["token"] == token and revoke["client_secret"] == app["client_secret"]
    assert [keyring_store.get(k) for k in entry_keys("mastodon", result.handle)] == [None] * 3
    probe = MastodonConnector(handle=result.handle, server=oauth_server.url,
                              session=build_session(), secrets=MemorySecretStore({key: token}),
                              account_key=key)
    with pytest.raises(AuthError, match="access token is invalid"):
        probe.verify()  # revoked on the server, not only forgotten here


def test_mastodon_out_of_band_code_is_pasted(oauth_server: LocalOAuthServer) -> None:
    sign_in = start_sign_in("mastodon", server=oauth_server.url, loopback=False)
    assert not sign_in.listening
    assert parse_qs(urlsplit(sign_in.authorize_url).query)["redirect_uri"] == [OOB_REDIRECT]
    page = approve_in_browser(sign_in.authorize_url)  # the server shows the code
    code = page.text.split('<code id="code">')[1].split("<")[0]
    result = sign_in.finish_pasted(f"  {code}\n")
    assert result.handle.startswith("@halcy@")
    with pytest.raises(AuthError, match="invalid_grant"):
        sign_in.finish_pasted(code)  # a code works once (recorded invalid_grant body)


def test_pasting_the_address_the_browser_ended_on(oauth_server: LocalOAuthServer) -> None:
    # The browser ran on another machine: its redirect to 127.0.0.1 went nowhere, but the
    # address bar holds the code. Stop our listener first so nothing answers the redirect.
    sign_in = start_sign_in("mastodon", server=oauth_server.url)
    sign_in.close()
    page = approve_in_browser_no_follow(sign_in.authorize_url)
    result = sign_in.finish_pasted(page)
    assert result.handle.startswith("@halcy@")


def approve_in_browser_no_follow(authorize_url: str) -> str:
    """Approve, but do not follow the redirect: the address the browser would end on."""
    browser = requests.Session()
    form = browser.get(authorize_url, timeout=10).text
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
    fields = {html.unescape(k): html.unescape(v) for k, v in fields.items()}
    answer = browser.post(authorize_url.split("?")[0], data=fields, allow_redirects=False,
                          timeout=10)
    return answer.headers["Location"]


def test_denied_in_the_browser_and_cancel(oauth_server: LocalOAuthServer) -> None:
    sign_in = start_sign_in("mastodon", server=oauth_server.url)
    waiting = in_background(sign_in.wait)
    approve_in_browser(sign_in.authorize_url, approve=False)
    with pytest.raises(AuthError, match="not approved"):
        waiting.result(timeout=20)
    assert oauth_server.hits("POST", "/oauth/token") == []

    sign_in = start_sign_in("mastodon", server=oauth_server.url)
    waiting = in_background(sign_in.wait)
    sign_in.cancel()
    with pytest.raises(SignInCancelled):
        waiting.result(timeout=5)


def test_a_redirect_with_another_state_is_ignored(oauth_server: LocalOAuthServer) -> None:
    sign_in = start_sign_in("mastodon", server=oauth_server.url)
    redirect = parse_qs(urlsplit(sign_in.authorize_url).query)["redirect_uri"][0]
    waiting = in_background(sign_in.wait)
    forged = requests.get(f"{redirect}?code=stolen&state=not-ours", timeout=5)
    assert forged.status_code == 400
    approve_in_browser(sign_in.authorize_url)
    assert waiting.result(timeout=20).handle.startswith("@halcy@")


# --- X ------------------------------------------------------------------------------------


def x_sign_in(server: LocalOAuthServer) -> registry.SignIn:
    port = free_port()
    server.x_redirect_uris = [f"http://127.0.0.1:{port}/callback"]  # the developer portal
    return start_sign_in("x", server=server.url, client_id=server.x_client_id, environ={
        registry.ENV_X_AUTHORIZE: f"{server.url}/i/oauth2/authorize",
        registry.ENV_X_LOOPBACK_PORT: str(port)})


def test_x_sign_in_refreshes_before_expiry_and_once_on_401_with_rotation(
        oauth_server: LocalOAuthServer, keyring_store: KeyringSecretStore) -> None:
    sign_in = x_sign_in(oauth_server)
    query = parse_qs(urlsplit(sign_in.authorize_url).query)
    assert "offline.access" in query["scope"][0].split()
    waiting = in_background(sign_in.wait)
    approve_in_browser(sign_in.authorize_url)
    result = waiting.result(timeout=20)
    assert result.handle == "TweepyDev"  # the recorded GET /2/users/me
    (exchange,) = oauth_server.hits("POST", "/2/oauth2/token")
    assert exchange["grant_type"] == "authorization_code"
    assert challenge_for(exchange["code_verifier"]) == query["code_challenge"][0]
    save_sign_in(result, keyring_store)
    key = secret_key("x", "TweepyDev")
    first = read_bundle(keyring_store.get(key)) or {}
    assert first["refresh_token"] and first["expires_at"] > 0

    clock = [float(first["expires_at"]) - 7200 + 10]
    connector = XConnector(handle="TweepyDev", server=oauth_server.url, session=build_session(),
                           secrets=keyring_store, account_key=key, clock=lambda: clock[0])
    connector.verify()
    assert len(oauth_server.hits("POST", "/2/oauth2/token")) == 1  # no refresh needed yet

    # 1. Shortly before expiry: renewed first, the rotated pair saved in one entry.
    clock[0] = float(first["expires_at"]) - 60
    connector.verify()
    refreshes = [c for c in oauth_server.hits("POST", "/2/oauth2/token")
                 if c["grant_type"] == "refresh_token"]
    assert [c["refresh_token"] for c in refreshes] == [first["refresh_token"]]
    second = read_bundle(keyring_store.get(key)) or {}
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert first["refresh_token"] not in oauth_server.state.refresh  # single use

    # 2. The server drops the access token early: one 401, one refresh, one retry.
    oauth_server.expire_access_tokens()
    connector.verify()
    refreshes = [c for c in oauth_server.hits("POST", "/2/oauth2/token")
                 if c["grant_type"] == "refresh_token"]
    assert [c["refresh_token"] for c in refreshes] == [first["refresh_token"],
                                                        second["refresh_token"]]
    assert len(oauth_server.hits("GET", "/2/users/me")) == 1 + 2 + 2  # sign-in, 1., 2.

    # 3. Another process (cron's `sync`) renewed meanwhile: its pair is used, no refresh.
    other = XConnector(handle="TweepyDev", server=oauth_server.url, session=build_session(),
                       secrets=keyring_store, account_key=key, clock=lambda: clock[0])
    third = read_bundle(keyring_store.get(key)) or {}
    oauth_server.expire_access_tokens()
    other.verify()
    fourth = read_bundle(keyring_store.get(key)) or {}
    assert fourth["refresh_token"] != third["refresh_token"]
    connector.verify()  # holds the old access token: 401, sees the new pair stored, no refresh
    assert len([c for c in oauth_server.hits("POST", "/2/oauth2/token")
                if c["grant_type"] == "refresh_token"]) == 3


def x_message() -> IncomingMessage:
    return IncomingMessage(
        platform=Platform.X, account_handle="TweepyDev", remote_id="1456012973835788290",
        author_handle="ann", author_name="Ann", text="@TweepyDev my order is late",
        created_at=dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC), kind=MessageKind.MENTION)


@pytest.mark.parametrize("refusal", ["invalid_grant", "invalid_request"])
def test_refused_refresh_needs_reconnect_and_the_approved_reply_stays_queued(
        oauth_server: LocalOAuthServer, keyring_store: KeyringSecretStore,
        refusal: str) -> None:
    sign_in = x_sign_in(oauth_server)
    waiting = in_background(sign_in.wait)
    approve_in_browser(sign_in.authorize_url)
    save_sign_in(waiting.result(timeout=20), keyring_store)
    key = secret_key("x", "TweepyDev")

    store = Store.memory()
    account_id, _ = store.add_account(platform="x", handle="TweepyDev", server=oauth_server.url)
    store.ingest([x_message()])
    (case,) = store.cases_page()
    detail = store.case_detail(case.id)
    reply_id, _ = store.save_draft(case.id, account_id=account_id, body="Sorry, Ann! On it.",
                                   in_reply_to_message_id=detail.messages[-1].id)
    store.approve_reply(reply_id)

    def connector(account):  # type: ignore[no-untyped-def]
        return XConnector(handle=account.handle, server=oauth_server.url,
                          session=build_session(), secrets=keyring_store, account_key=key)

    # X refuses the renewal (a revoked app, a refresh token unused for months).
    oauth_server.state.refuse_refresh = refusal
    oauth_server.expire_access_tokens()
    (outcome,) = engine.send_outbox(store, connector)
    assert not outcome.sent and not outcome.final and "reconnect" in (outcome.error or "")
    assert store.reply(reply_id).state is not ReplyState.FAILED
    assert [r.id for r in store.approved_replies()] == [reply_id]  # still queued
    assert credential_state("x", "TweepyDev", keyring_store) == "reconnect"
    assert "refresh_token" not in (read_bundle(keyring_store.get(key)) or {})
    with pytest.raises(ReconnectNeeded):  # asks nothing of X until reconnected
        connector(store.account(account_id)).verify()
    sync = engine.sync_account(store, store.account(account_id), connector)
    assert "reconnect" in (sync.error or "")
    assert oauth_server.tweets == []

    # Reconnect: sign in again; the queued reply goes out, once.
    oauth_server.state.refuse_refresh = None
    sign_in = x_sign_in(oauth_server)
    waiting = in_background(sign_in.wait)
    approve_in_browser(sign_in.authorize_url)
    save_sign_in(waiting.result(timeout=20), keyring_store)
    assert credential_state("x", "TweepyDev", keyring_store) == "ok"
    (outcome,) = engine.send_outbox(store, connector)
    assert outcome.sent, outcome.error
    assert [t["text"] for t in oauth_server.tweets] == ["Sorry, Ann! On it."]
    assert engine.send_outbox(store, connector) == []
    store.close()


def test_removing_an_x_account_revokes_and_deletes_its_entries(
        oauth_server: LocalOAuthServer, keyring_store: KeyringSecretStore) -> None:
    sign_in = x_sign_in(oauth_server)
    waiting = in_background(sign_in.wait)
    approve_in_browser(sign_in.authorize_url)
    save_sign_in(waiting.result(timeout=20), keyring_store)
    bundle = read_bundle(keyring_store.get(secret_key("x", "TweepyDev"))) or {}
    assert forget_account("x", "TweepyDev", oauth_server.url, keyring_store) == []
    assert oauth_server.state.revoked == [bundle["refresh_token"]]
    assert [keyring_store.get(k) for k in entry_keys("x", "TweepyDev")] == [None] * 3

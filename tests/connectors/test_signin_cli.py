"""`accounts add` signs in as a user does it: the address is printed, the browser comes back.

Each command is a subprocess on a real workspace file, against the local OAuth server
(tests/connectors/oauth_server.py); the token goes to the test run's throwaway keyring.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from console.connectors import registry
from console.connectors.oauth import read_bundle
from console.core.secrets import KeyringSecretStore
from tests.connectors.oauth_server import LocalOAuthServer, approve_in_browser
from tests.connectors.test_signin import approve_in_browser_no_follow, free_port

REPO = Path(__file__).resolve().parents[2]


def start(data: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "console", "--data-dir", str(data), *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO,
                            env={**os.environ, **(env or {})})


def run(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console", "--data-dir", str(data), *args],
                          capture_output=True, text=True, cwd=REPO, timeout=120)


def printed_url(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip().startswith("http"):
            return line.strip()
    raise AssertionError(f"no address printed; stderr: {proc.stderr.read() if proc.stderr else ''}")


def test_accounts_add_mastodon_in_the_browser_then_remove(
        tmp_path: Path, oauth_server: LocalOAuthServer,
        keyring_store: KeyringSecretStore) -> None:
    data = tmp_path / "cc"
    assert run(data, "init").returncode == 0
    proc = start(data, "accounts", "add", "mastodon", "--server", oauth_server.url,
                 "--role", "support")
    url = printed_url(proc)
    assert url.startswith(f"{oauth_server.url}/oauth/authorize?")
    approve_in_browser(url)  # the browser comes back to the command's loopback listener
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    host = urlsplit(oauth_server.url).netloc
    handle = f"@halcy@{host}"
    assert f"Added {handle} on mastodon (autumnal halcy)" in out
    token = keyring_store.get(registry.secret_key("mastodon", handle))
    assert token and token not in out + err
    (account,) = json.loads(run(data, "accounts", "list", "--json").stdout)
    assert (account["handle"], account["server"], account["role"]) == (
        handle, oauth_server.url, "support")
    assert token not in (data / "workspaces" / "default.db").read_bytes().decode("latin-1")

    removed = run(data, "accounts", "remove", handle)
    assert removed.returncode == 0, removed.stderr
    assert [c["token"] for c in oauth_server.hits("POST", "/oauth/revoke")] == [token]
    assert [keyring_store.get(k) for k in registry.entry_keys("mastodon", handle)] == [None] * 3


def test_accounts_add_x_with_the_address_pasted(
        tmp_path: Path, oauth_server: LocalOAuthServer,
        keyring_store: KeyringSecretStore) -> None:
    data = tmp_path / "cc"
    assert run(data, "init").returncode == 0
    port = free_port()
    oauth_server.x_redirect_uris = [f"http://127.0.0.1:{port}/callback"]
    env = {registry.ENV_X_AUTHORIZE: f"{oauth_server.url}/i/oauth2/authorize",
           registry.ENV_X_LOOPBACK_PORT: str(port),
           registry.ENV_X_CLIENT_ID: oauth_server.x_client_id}
    proc = start(data, "accounts", "add", "x", "--server", oauth_server.url, "--paste", env=env)
    url = printed_url(proc)
    # The browser ran elsewhere: its redirect to 127.0.0.1 failed; the user copies the address.
    ended_on = approve_in_browser_no_follow(url)
    out, err = proc.communicate(ended_on + "\n", timeout=60)
    assert proc.returncode == 0, err
    assert "Added TweepyDev on x" in out
    bundle = read_bundle(keyring_store.get(registry.secret_key("x", "TweepyDev"))) or {}
    assert bundle.get("refresh_token") and bundle["refresh_token"] not in out + err
    (account,) = json.loads(run(data, "accounts", "list", "--json").stdout)
    assert (account["handle"], account["sign_in"]) == ("TweepyDev", "ok")

    # X refused to renew it (see test_signin): the listing says to reconnect.
    keyring_store.set(registry.secret_key("x", "TweepyDev"), json.dumps({"reconnect": True}))
    (account,) = json.loads(run(data, "accounts", "list", "--json").stdout)
    assert account["sign_in"] == "reconnect"
    assert "RECONNECT" in run(data, "accounts", "list").stdout


@pytest.mark.bluesky
def test_accounts_add_bluesky_finds_the_server_from_the_handle(
        tmp_path: Path, bsky_net: dict[str, Any], keyring_store: KeyringSecretStore) -> None:
    data = tmp_path / "cc"
    assert run(data, "init").returncode == 0
    keys = registry.entry_keys("bluesky", "brand.test")
    env = {registry.ENV_PLC: bsky_net["plc_url"],  # the local network's, not plc.directory
           registry.ENV_HANDLE_RESOLVER: bsky_net["pds_url"]}
    try:
        proc = start(data, "accounts", "add", "bluesky", "--handle", "brand.test", env=env)
        out, err = proc.communicate(bsky_net["accounts"]["brand"]["app_password"] + "\n",
                                    timeout=120)
        assert proc.returncode == 0, err
        assert "Added brand.test on bluesky" in out
        (account,) = json.loads(run(data, "accounts", "list", "--json").stdout)
        assert (account["server"], account["sign_in"]) == (bsky_net["pds_url"], "ok")
        synced = subprocess.run([sys.executable, "-m", "console", "--data-dir", str(data),
                                 "sync"], capture_output=True, text=True, cwd=REPO,
                                timeout=300, env={**os.environ, **env})
        assert synced.returncode == 0, synced.stderr
        assert keyring_store.get(keys[1])  # the session token, which remove must delete too
        assert run(data, "accounts", "remove", "brand.test").returncode == 0
        assert [keyring_store.get(k) for k in keys] == [None, None, None]
    finally:
        for key in keys:
            keyring_store.delete(key)

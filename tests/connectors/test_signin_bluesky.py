"""Bluesky sign-in on the real local network: the PDS found from the handle, the session renewed.

The handle is resolved as a real client does: ``https://<handle>/.well-known/atproto-did``
(the local network serves none: ``brand.test`` does not resolve, so this falls through),
then ``com.atproto.identity.resolveHandle`` on the resolver service (here the local PDS,
in production Bluesky's public AppView), then the DID document from the PLC directory
(the local one at :2582, never plc.directory). The app password goes to the test run's
throwaway keyring (packaging/with-keyring.sh).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from console.connectors import registry
from console.connectors.bluesky import BlueskyConnector, IdentityResolver
from console.connectors.http import build_session
from console.core.errors import NotFoundError
from console.core.secrets import KeyringSecretStore
from tests.helpers import require_test_keyring

pytestmark = pytest.mark.bluesky


def resolver(conn: dict[str, Any]) -> IdentityResolver:
    return IdentityResolver(build_session(), plc_url=conn["plc_url"],
                            handle_resolver=conn["pds_url"])


@pytest.fixture
def keyring_store() -> Iterator[KeyringSecretStore]:
    require_test_keyring()
    store = KeyringSecretStore()
    keys = registry.entry_keys("bluesky", "brand.test")
    for key in keys:
        store.delete(key)
    yield store
    for key in keys:
        store.delete(key)


def test_handle_to_did_to_document_to_pds(bsky_net: dict[str, Any]) -> None:
    found = resolver(bsky_net).resolve("@Brand.Test")
    assert found.did == bsky_net["accounts"]["brand"]["did"]
    assert found.handle == "brand.test"
    assert found.pds == bsky_net["pds_url"]
    with pytest.raises(NotFoundError):
        resolver(bsky_net).resolve("nobody-here.test")


def test_sign_in_without_a_server_and_refresh_session_when_the_token_expires(
        bsky_net: dict[str, Any], keyring_store: KeyringSecretStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    brand = bsky_net["accounts"]["brand"]
    key = registry.secret_key("bluesky", "brand.test")
    keyring_store.set(key, brand["app_password"])
    clock = [0.0]
    http = build_session()
    calls: list[str] = []
    http.hooks["response"].append(lambda r, *a, **k: calls.append(r.url.split("?")[0]))
    connector = BlueskyConnector(handle="brand.test", server=None, session=http,
                                 secrets=keyring_store, account_key=key,
                                 resolver=resolver(bsky_net), clock=lambda: clock[0])
    import time

    clock[0] = time.time()
    info = connector.verify()  # nobody typed a server: it came from the DID document
    assert info.server == bsky_net["pds_url"] and info.remote_id == brand["did"]
    first_refresh = keyring_store.get(f"{key}:session")
    assert first_refresh

    access = connector._session.access  # type: ignore[union-attr]  # noqa: SLF001 (reads exp)
    payload = access.reveal().split(".")[1]
    exp = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"]
    clock[0] = float(exp) + 1  # the access token has expired
    calls.clear()
    assert connector.verify().remote_id == brand["did"]  # refreshSession, then the call
    pds = bsky_net["pds_url"]
    assert calls == [f"{pds}/xrpc/com.atproto.server.refreshSession",
                     f"{pds}/xrpc/app.bsky.actor.getProfile"]
    second_refresh = keyring_store.get(f"{key}:session")
    assert second_refresh and second_refresh != first_refresh  # the new refresh JWT is kept

    # The command line and the window build it the same way, from the environment.
    monkeypatch.setenv(registry.ENV_PLC, bsky_net["plc_url"])
    monkeypatch.setenv(registry.ENV_HANDLE_RESOLVER, bsky_net["pds_url"])
    again = registry.make_connector("bluesky", handle="brand.test", server=None,
                                    secrets=keyring_store)
    assert again.verify().server == bsky_net["pds_url"]

    # Removing the account deletes the app password and the session token.
    assert registry.forget_account("bluesky", "brand.test", None, keyring_store) == []
    assert [keyring_store.get(k) for k in registry.entry_keys("bluesky", "brand.test")] == [
        None, None, None]


def test_did_web_document_from_well_known(fake_server: Any) -> None:
    # did:web puts the document at https://<host>/.well-known/did.json; the local server
    # speaks http, hence web_scheme (the only test-only switch).
    host = fake_server.url.split("://")[1]
    did = "did:web:" + host.replace(":", "%3A")
    fake_server.route("GET", "/.well-known/did.json", fake_server.Response(200, {
        "id": did, "alsoKnownAs": ["at://shop.example"],
        "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                     "serviceEndpoint": "https://pds.shop.example"}]}))
    fake_server.route("GET", "/xrpc/com.atproto.identity.resolveHandle",
                      fake_server.Response(200, {"did": did}))
    found = IdentityResolver(build_session(), handle_resolver=fake_server.url,
                             web_scheme="http").resolve("shop.example")
    assert (found.did, found.pds) == (did, "https://pds.shop.example")
    # A document that does not claim the handle back is not trusted.
    with pytest.raises(NotFoundError, match="does not confirm"):
        IdentityResolver(build_session(), handle_resolver=fake_server.url,
                         web_scheme="http").resolve("impostor.example")

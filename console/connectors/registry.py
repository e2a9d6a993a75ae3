"""Build the right connector for an account, and sign accounts in and out (one place for all)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Final

import requests

from console.connectors import mastodon, oauth, x
from console.connectors.base import Connector
from console.connectors.bluesky import (
    HANDLE_RESOLVER,
    PLC_DIRECTORY,
    BlueskyConnector,
    IdentityResolver,
)
from console.connectors.http import build_session
from console.connectors.mastodon import MastodonConnector
from console.connectors.oauth import LoopbackReceiver, SignInResult, secret_key
from console.connectors.x import XConnector
from console.core.errors import KnownError
from console.core.models import Platform
from console.core.secrets import SecretStore

__all__ = ["secret_key", "make_connector", "forget_account", "credential_state",
           "save_sign_in", "start_sign_in", "SignIn", "entry_keys"]

log = logging.getLogger(__name__)

DEFAULT_SERVERS = {
    Platform.X: "https://api.x.com",
}

# Settings that only tests and unusual setups change, read from the environment so the
# window, the command line and its subprocesses agree.
ENV_PLC = "COMMUNITY_CONSOLE_PLC_URL"
ENV_HANDLE_RESOLVER = "COMMUNITY_CONSOLE_HANDLE_RESOLVER"
ENV_X_CLIENT_ID = "COMMUNITY_CONSOLE_X_CLIENT_ID"
ENV_X_AUTHORIZE = "COMMUNITY_CONSOLE_X_AUTHORIZE_URL"
ENV_X_LOOPBACK_PORT = "COMMUNITY_CONSOLE_X_LOOPBACK_PORT"
# Bluesky chat calls go to the PDS (which proxies them); this sends them elsewhere instead
# (the tests' local chat server: the local network has no chat service).
ENV_BSKY_CHAT = "COMMUNITY_CONSOLE_BSKY_CHAT_URL"

# Every keyring entry an account may have, besides the main one (see entry_keys).
ENTRY_SUFFIXES: Final = (":session", ":app")


def identity_resolver(session: requests.Session,
                      environ: Mapping[str, str] = os.environ) -> IdentityResolver:
    """The Bluesky identity resolver, with the PLC directory and resolver from the environment."""
    return IdentityResolver(session, plc_url=environ.get(ENV_PLC) or PLC_DIRECTORY,
                            handle_resolver=environ.get(ENV_HANDLE_RESOLVER) or HANDLE_RESOLVER)


def make_connector(platform: Platform | str, *, handle: str, server: str | None,
                   secrets: SecretStore, session: requests.Session | None = None) -> Connector:
    """The connector of one account.

    Raises:
        KnownError: a Mastodon account without a server, or a platform without connector.
    """
    platform = Platform(platform)
    session = session or build_session()
    key = secret_key(platform.value, handle)
    if platform is Platform.MASTODON:
        if not server:
            raise KnownError("A Mastodon account needs its server, e.g. https://mastodon.social.")
        return MastodonConnector(handle=handle, server=server, session=session, secrets=secrets,
                                 account_key=key)
    if platform is Platform.BLUESKY:
        # No server: the PDS is found from the handle (handle -> DID -> DID document).
        return BlueskyConnector(handle=handle, server=server or None, session=session,
                                secrets=secrets, account_key=key,
                                resolver=identity_resolver(session),
                                chat_url=os.environ.get(ENV_BSKY_CHAT) or None,
                                direct_messages=True)
    if platform is Platform.X:
        return XConnector(handle=handle, server=server or DEFAULT_SERVERS[platform],
                          session=session, secrets=secrets, account_key=key,
                          direct_messages=True)
    raise KnownError(f"{platform.value} accounts have no connector (the demo sends locally).")


# --- signing in ----------------------------------------------------------------------


class SignIn:
    """A browser sign-in under way (Mastodon or X), for the command line and the window.

    Build it with :func:`start_sign_in` on a worker (Mastodon registers the app over the
    network). Then open :attr:`authorize_url`, call :meth:`wait` on a worker (it blocks
    until the browser comes back to the loopback listener, or :meth:`cancel`), or
    :meth:`finish_pasted` with what the user pasted, and save the result with
    :func:`save_sign_in`.
    """

    def __init__(self, flow: mastodon.MastodonSignIn | x.XSignIn,
                 receiver: LoopbackReceiver | None) -> None:
        self._flow = flow
        self._receiver = receiver
        self.platform = flow.platform

    def __repr__(self) -> str:
        return f"SignIn({self._flow!r})"

    @property
    def authorize_url(self) -> str:
        """The page to open in the browser."""
        return self._flow.authorize_url

    @property
    def listening(self) -> bool:
        """Whether a loopback listener waits for the browser (else: paste the code)."""
        return self._receiver is not None

    def wait(self, timeout: float = 600.0) -> SignInResult:
        """Wait for the browser's redirect, then exchange the code (blocks; on a worker).

        Raises:
            SignInCancelled: :meth:`cancel` was called, or the time ran out.
            KnownError: the sign-in was denied or refused.
        """
        if self._receiver is None:
            raise KnownError("This sign-in has no listener; paste the code instead.")
        auth = self._receiver.wait(state=self._flow.state, timeout=timeout)
        return self._flow.finish(auth)

    def finish_pasted(self, text: str) -> SignInResult:
        """Exchange a pasted code (or the address the browser ended on).

        Raises:
            KnownError: no code in it, or the platform refused it.
        """
        self.cancel()
        return self._flow.finish(oauth.parse_pasted(text))

    def cancel(self) -> None:
        """Stop waiting for the browser (safe from any thread)."""
        if self._receiver is not None:
            self._receiver.cancel()

    def close(self) -> None:
        """Stop listening right away (when :meth:`wait` is not running)."""
        if self._receiver is not None:
            self._receiver.close()


def start_sign_in(platform: Platform | str, *, server: str | None = None,
                  client_id: str | None = None, loopback: bool = True,
                  session: requests.Session | None = None,
                  environ: Mapping[str, str] = os.environ) -> SignIn:
    """Begin a browser sign-in (network: on a worker).

    Args:
        platform: ``mastodon`` or ``x``.
        server: the Mastodon instance (X: the API base URL, normally left out).
        client_id: the X app's client id (default: ``$COMMUNITY_CONSOLE_X_CLIENT_ID``).
        loopback: listen on 127.0.0.1 for the browser; ``False`` when the browser runs on
            another machine (Mastodon then shows the code to paste).
        session: the ``requests.Session`` to use.
        environ: where the overrides are read.

    Raises:
        KnownError: a missing server or client id, the server unreachable, the port taken.
    """
    platform = Platform(platform)
    session = session or build_session()
    if platform is Platform.MASTODON:
        if not server:
            raise KnownError("Give the Mastodon server, e.g. https://mastodon.social.")
        receiver = LoopbackReceiver() if loopback else None
        redirect = receiver.redirect_uri if receiver else oauth.OOB_REDIRECT
        try:
            flow: mastodon.MastodonSignIn | x.XSignIn = mastodon.MastodonSignIn(
                server, session=session, redirect_uri=redirect)
        except BaseException:
            if receiver is not None:
                receiver.close()
            raise
        return SignIn(flow, receiver)
    if platform is Platform.X:
        client = client_id or environ.get(ENV_X_CLIENT_ID, "")
        port = int(environ.get(ENV_X_LOOPBACK_PORT) or x.LOOPBACK_PORT)
        # X has no out-of-band code: the registered loopback address is always the
        # redirect; from another machine, paste the address the browser ended on.
        receiver = LoopbackReceiver(port=port) if loopback else None
        redirect = (receiver.redirect_uri if receiver
                    else f"http://127.0.0.1:{port}{oauth.CALLBACK_PATH}")
        try:
            flow = x.XSignIn(client_id=client, redirect_uri=redirect, session=session,
                             api=server or DEFAULT_SERVERS[Platform.X],
                             authorize_url=environ.get(ENV_X_AUTHORIZE) or x.AUTHORIZE_URL)
        except BaseException:
            if receiver is not None:
                receiver.close()
            raise
        return SignIn(flow, receiver)
    raise KnownError(f"{platform.value} accounts sign in with a handle and an app password.")


def save_sign_in(result: SignInResult, secrets: SecretStore, *,
                 session: requests.Session | None = None) -> None:
    """Put a finished sign-in's entries into the keyring (the only place they go).

    Signing an account in again replaces its token; a Mastodon token it replaces is
    revoked (best effort), so no forgotten token stays valid on the server.
    """
    key = secret_key(result.platform, result.handle)
    old_token = old_app = None
    if result.platform == Platform.MASTODON.value:
        old_token, old_app = secrets.get(key), secrets.get(mastodon.app_key(key))
    for entry, value in result.entries.items():
        secrets.set(entry, value)
    if old_token and old_app and old_token != result.entries.get(key):
        try:
            mastodon.revoke_token(session or build_session(), result.server or "", old_token,
                                  old_app)
        except KnownError as exc:
            log.warning("could not revoke the replaced token of %s: %s", result.handle,
                        type(exc).__name__)


# --- signing out ---------------------------------------------------------------------


def entry_keys(platform: Platform | str, handle: str) -> list[str]:
    """Every keyring entry an account may have: its secret, Bluesky's session, Mastodon's app."""
    key = secret_key(Platform(platform).value, handle)
    return [key, *(key + suffix for suffix in ENTRY_SUFFIXES)]


def forget_account(platform: Platform | str, handle: str, server: str | None,
                   secrets: SecretStore, *, session: requests.Session | None = None) -> list[str]:
    """Sign an account out: revoke its token where the platform allows, delete its entries.

    Revoking is best effort (the server may be gone or offline): the keyring entries are
    deleted whatever happens, so nothing of the account stays behind.

    Returns:
        Warnings for the user (a token that could not be revoked), possibly empty.

    Raises:
        SecretStoreError: the keyring refused to delete.
    """
    platform = Platform(platform)
    key = secret_key(platform.value, handle)
    warnings: list[str] = []
    try:
        token = secrets.get(key)
        if platform is Platform.MASTODON and token and server:
            revoked = mastodon.revoke_token(session or build_session(), server, token,
                                            secrets.get(mastodon.app_key(key)))
            if not revoked:
                warnings.append(f"The token of {handle} was made by hand: revoke it in the "
                                "server's settings (Preferences, Development).")
        elif platform is Platform.X and token:
            x.revoke_token(session or build_session(), token)
    except KnownError as exc:
        log.warning("could not revoke the token of %s: %s", handle, type(exc).__name__)
        warnings.append(f"The token of {handle} could not be revoked ({exc}); it is deleted "
                        "from this computer anyway.")
    for entry in entry_keys(platform, handle):
        secrets.delete(entry)
    return warnings


def credential_state(platform: Platform | str, handle: str, secrets: SecretStore) -> str:
    """``"ok"``, ``"missing"`` (nothing stored) or ``"reconnect"`` (renewal was refused).

    Reads the keyring: call it on a worker.
    """
    value = secrets.get(secret_key(Platform(platform).value, handle))
    if not value:
        return "missing"
    return "reconnect" if oauth.needs_reconnect(value) else "ok"

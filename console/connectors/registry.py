"""Build the right connector for an account (the one place that maps platforms to classes)."""

from __future__ import annotations

import requests

from console.connectors.base import Connector
from console.connectors.bluesky import BlueskyConnector
from console.connectors.http import build_session
from console.connectors.mastodon import MastodonConnector
from console.connectors.x import XConnector
from console.core.errors import KnownError
from console.core.models import Platform
from console.core.secrets import SecretStore

DEFAULT_SERVERS = {
    Platform.BLUESKY: "https://bsky.social",
    Platform.X: "https://api.x.com",
}


def secret_key(platform: Platform | str, handle: str) -> str:
    """The keyring entry of an account: stable across workspaces."""
    return f"{Platform(platform).value}:{handle.lstrip('@').lower()}"


def make_connector(platform: Platform | str, *, handle: str, server: str | None,
                   secrets: SecretStore, session: requests.Session | None = None) -> Connector:
    platform = Platform(platform)
    session = session or build_session()
    key = secret_key(platform, handle)
    if platform is Platform.MASTODON:
        if not server:
            raise KnownError("A Mastodon account needs its server, e.g. https://mastodon.social.")
        return MastodonConnector(handle=handle, server=server, session=session, secrets=secrets,
                                 account_key=key)
    if platform is Platform.BLUESKY:
        return BlueskyConnector(handle=handle, server=server or DEFAULT_SERVERS[platform],
                                session=session, secrets=secrets, account_key=key)
    if platform is Platform.X:
        return XConnector(handle=handle, server=server or DEFAULT_SERVERS[platform],
                          session=session, secrets=secrets, account_key=key)
    raise KnownError(f"{platform.value} accounts have no connector (the demo sends locally).")

"""Author profiles as link evidence: recorded Mastodon and Bluesky payloads, the local network."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from console.connectors.bluesky import BlueskyConnector
from console.connectors.http import build_session
from console.connectors.profiles import (
    bluesky_profile,
    handle_of_url,
    mastodon_profile,
    mentions_in,
    normalize_link,
)
from console.core.models import ProfileEvidence
from console.core.secrets import MemorySecretStore

from .recorded import recorded, recorded_session
from .test_bluesky import XRPC, login_route
from .test_bluesky import connector as bluesky_connector
from .test_mastodon import connector as mastodon_connector


def test_mastodon_verified_field_is_a_verified_link() -> None:
    # Recorded [A]: halcy's fields are a verified https://halcy.de/, an unverified link,
    # pronouns, and a same-server mention (which names no other platform).
    account = recorded("mastodon", "status_custom_emoji_hashtag.json").json()["account"]
    assert mastodon_profile(account) == ProfileEvidence(verified_links=("halcy.de",))


def test_mastodon_connector_reads_the_profile_from_the_payload() -> None:
    session, adapter = recorded_session()
    adapter.add("GET", "/api/v1/accounts/verify_credentials",
                recorded("mastodon", "verify_credentials.json"))
    adapter.add("GET", "/api/v1/statuses/110446983926957470",
                recorded("mastodon", "status_custom_emoji_hashtag.json"))
    adapter.add("GET", "/api/v1/statuses/110446983926957470/context",
                recorded("mastodon", "status_context.json"))
    thread = mastodon_connector(session).fetch_thread("110446983926957470")
    middle = next(m for m in thread if m.author_handle == "halcy@icosahedron.website")
    assert middle.author_profile == ProfileEvidence(verified_links=("halcy.de",))
    # An account with an empty bio and no fields still says so (older evidence is replaced).
    assert all(m.author_profile is not None for m in thread)
    # No extra request was made for the profile: it came in the status's account object.
    assert [s.path for s in adapter.sent].count("/api/v1/accounts/verify_credentials") <= 1
    assert not any("/api/v1/accounts/" in s.path and "verify" not in s.path for s in adapter.sent)


def test_bluesky_notification_author_profile() -> None:
    # Recorded listNotifications from bsky.app: authors are full profile views.
    session, adapter = recorded_session()
    login_route(adapter)
    adapter.add("GET", XRPC + "app.bsky.notification.listNotifications",
                recorded("bluesky", "listNotifications.json"))
    page = bluesky_connector(session, MemorySecretStore({"bsky-1": "4gv4-46d6-3ykb-sg3s"})
                             ).fetch_since(None)
    by_author = {m.author_handle: m.author_profile for m in page.items}
    # A domain handle is verified by the protocol: the same kind of evidence as rel=me.
    assert by_author["organizers.science"] == ProfileEvidence(
        verified_links=("organizers.science",))
    # "I produce work for @KCSportsNetwork": a bare name is no handle on any platform.
    assert by_author["josephjefe.bsky.social"] == ProfileEvidence()


def test_handles_named_in_profile_text_and_links() -> None:
    text = ("Also @maya@fosstodon.example and @maya.bsky.social. "
            "https://bsky.app/profile/other.example https://x.com/MayaBakes "
            "https://toot.example/@maya mail me at maya@example.com")
    assert mentions_in(text) == (
        "mastodon:maya@fosstodon.example", "bluesky:maya.bsky.social",
        "bluesky:other.example", "x:mayabakes", "mastodon:maya@toot.example")
    assert handle_of_url("https://x.com/i") is None
    assert handle_of_url("https://bsky.app/profile/did:plc:abc") is None
    assert normalize_link("https://www.Halcy.de/") == "halcy.de"
    assert bluesky_profile({"handle": "a.bsky.social"}) is None  # a basic view: nothing known


@pytest.mark.bluesky
def test_local_network_profile_naming_a_mastodon_handle(
    bsky_net: dict[str, Any], bsky_sync: Callable[[], None]
) -> None:
    """A customer on the local network writes their Mastodon handle in their profile."""
    pds = bsky_net["pds_url"]
    name = f"kim{uuid.uuid4().hex[:8]}"
    created = requests.post(f"{pds}/xrpc/com.atproto.server.createAccount", json={
        "handle": f"{name}.test", "email": f"{name}@example.test", "password": "hunter2-kim",
    }, timeout=30)
    assert created.status_code == 200, created.text
    kim = created.json()
    auth = {"Authorization": f"Bearer {kim['accessJwt']}"}
    put = requests.post(f"{pds}/xrpc/com.atproto.repo.putRecord", headers=auth, timeout=30, json={
        "repo": kim["did"], "collection": "app.bsky.actor.profile", "rkey": "self",
        "record": {"$type": "app.bsky.actor.profile", "displayName": "Kim",
                   "description": f"Baker. Also @{name}@toot.example"}})
    assert put.status_code == 200, put.text
    brand = bsky_net["accounts"]["brand"]
    text = f"@{brand['handle']} my kettle lid is cracked"
    post = requests.post(f"{pds}/xrpc/com.atproto.repo.createRecord", headers=auth, timeout=30,
                         json={"repo": kim["did"], "collection": "app.bsky.feed.post", "record": {
                             "$type": "app.bsky.feed.post", "text": text,
                             # Now: notifications are ordered by time, and the network
                             # is shared with other runs that mention the brand too.
                             "createdAt": dt.datetime.now(dt.UTC).isoformat(
                                 timespec="milliseconds").replace("+00:00", "Z"),
                             "facets": [{"index": {"byteStart": 0,
                                                   "byteEnd": len(brand["handle"]) + 1},
                                         "features": [{"$type": "app.bsky.richtext.facet#mention",
                                                       "did": brand["did"]}]}]}})
    assert post.status_code == 200, post.text
    try:
        bsky_sync()
        connector = BlueskyConnector(handle=brand["handle"], server=pds, session=build_session(),
                                     secrets=MemorySecretStore({"brand": brand["app_password"]}),
                                     account_key="brand")
        page = connector.fetch_since(None)
        (mine,) = [m for m in page.items if m.author_handle == f"{name}.test"]
        assert mine.author_profile == ProfileEvidence(
            mentions=(f"mastodon:{name}@toot.example",), verified_links=(f"{name}.test",))
    finally:
        # The network is shared: take the mention back out of the brand's notifications.
        requests.post(f"{pds}/xrpc/com.atproto.repo.deleteRecord", headers=auth, timeout=30,
                      json={"repo": kim["did"], "collection": "app.bsky.feed.post",
                            "rkey": post.json()["uri"].rsplit("/", 1)[-1]})

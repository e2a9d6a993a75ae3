"""Author profiles as link evidence: recorded Mastodon, Bluesky and X payloads, the local network."""

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


# ----------------------------------------------------------------- X author profiles
# The recorded X payloads (../shared/fixtures/SOURCES.md [E]): users_mentions_expanded.json
# asked for every user field, so its includes.users carry description, url and entities.
# The recorded DM events (dm_conversation_events.json) asked for no dm_event.fields and no
# expansions: they have no sender_id and no includes.users at all, so a DM's author profile
# cannot come from that recording. Where a test needs one, it adds exactly the fields
# GET /2/dm_events documents (sender_id, dm_conversation_id, includes.users with the user
# fields asked for), labelled "documented shape", to the recorded events.
X_ME = "1072250532645998596"  # users_me.json


def x_connector(session: Any) -> Any:
    from console.connectors.x import XConnector

    return XConnector(handle="TweepyDev", server="https://api.twitter.com", session=session,
                      secrets=MemorySecretStore({"x-1": "x-user-token"}), account_key="x-1",
                      sleep=lambda s: None, direct_messages=True)


def recorded_x_user(username: str) -> dict[str, Any]:
    body = recorded("x", "users_mentions_expanded.json").json()
    return next(u for u in body["includes"]["users"] if u["username"] == username)


def test_x_profile_reads_the_recorded_user_object() -> None:
    from console.connectors.profiles import x_profile

    user = recorded_x_user("FOBLeh")
    assert user["url"].startswith("https://t.co/")  # recorded: the profile link is a t.co one
    # Its bio and its link (http://davp.nic.in) name no other platform: empty, not None.
    assert x_profile(user) == ProfileEvidence()
    # The same recorded object with its link's expanded_url pointing at a Bluesky profile
    # (the value changed, the shape as recorded): the t.co link is read as what it expands to.
    user["entities"]["url"]["urls"][0]["expanded_url"] = "https://bsky.app/profile/fob.example"
    assert x_profile(user) == ProfileEvidence(mentions=("bluesky:fob.example",))
    # A bio naming handles (the recorded object, its description changed).
    user["description"] = "Field office. Also @fob@mastodon.example and @fob.example"
    assert set(x_profile(user).mentions) == {  # type: ignore[union-attr]
        "mastodon:fob@mastodon.example", "bluesky:fob.example"}
    # A user object without the profile fields (users_me.json asked for none) says nothing.
    assert x_profile(recorded("x", "users_me.json").json()["data"]) is None


def test_x_mentions_ask_for_the_profile_fields_and_carry_them() -> None:
    session, adapter = recorded_session()
    adapter.add("GET", "/2/users/me", recorded("x", "users_me.json"))
    adapter.add("GET", f"/2/users/{X_ME}/mentions", recorded("x", "users_mentions_expanded.json"))
    adapter.add("GET", "/2/dm_events", recorded("x", "users_mentions_empty.json"))
    page = x_connector(session).fetch_since(None)
    for path in (f"/2/users/{X_ME}/mentions", "/2/dm_events"):
        query = next(s for s in adapter.sent if s.path == path).query
        assert {"description", "url", "entities"} <= set(query["user.fields"][0].split(",")), path
    # Every author of the recording had a full user object: each message carries a profile.
    assert page.items and all(m.author_profile == ProfileEvidence() for m in page.items)


def x_dm_body(user: dict[str, Any] | None) -> dict[str, Any]:
    """The recorded DM events, with the documented sender fields (documented shape)."""
    body = recorded("x", "dm_conversation_events.json").json()
    assert all("sender_id" not in e for e in body["data"])  # what the recording lacks
    customer = "750362064426721281"
    for event in body["data"]:
        event.update(sender_id=customer, dm_conversation_id=f"{customer}-{X_ME}")
    if user is not None:
        body["includes"] = {"users": [{"id": customer, **user}]}
    return body


def test_x_dm_author_profile() -> None:
    x = x_connector(None)
    # As recorded (no sender, no includes): no profile, nothing claimed.
    recorded_dms = x.parse_dm_events(recorded("x", "dm_conversation_events.json").json())
    assert recorded_dms and all(m.author_profile is None for m in recorded_dms)
    # Documented shape: includes.users with the user fields the connector asks for.
    dms = x.parse_dm_events(x_dm_body({
        "username": "customer750", "name": "A Customer",
        "description": "Mostly on Bluesky now: @customer750.example", "url": None,
        "entities": {}}))
    assert {m.author_profile for m in dms} == {
        ProfileEvidence(mentions=("bluesky:customer750.example",))}
    # Documented shape without the profile fields: the sender is known, the profile is not.
    bare = x.parse_dm_events(x_dm_body({"username": "customer750", "name": "A Customer"}))
    assert all(m.author_profile is None for m in bare)


def test_x_profile_suggests_a_link_in_the_store(tmp_path: Any) -> None:
    from console.core.models import IncomingMessage, MessageKind, Platform
    from console.core.store import Store

    store = Store.open(tmp_path / "w.db")
    try:
        store.add_account(platform="x", handle="TweepyDev")
        store.add_account(platform="bluesky", handle="brand.example")
        # The recorded X mentions, one author's bio changed to name a Bluesky handle.
        body = recorded("x", "users_mentions_expanded.json").json()
        for user in body["includes"]["users"]:
            if user["username"] == "FOBLeh":
                user["description"] += "\nOn Bluesky: @fob.example"
        x = x_connector(None)
        x._me = (X_ME, "TweepyDev")  # the account the recording was made for
        store.ingest(x.parse_timeline(body))
        store.ingest([IncomingMessage(
            platform=Platform.BLUESKY, account_handle="brand.example", remote_id="at://p/1",
            author_handle="fob.example", author_name="FOB", text="my order",
            created_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC), kind=MessageKind.MENTION)])
        assert store.profile_evidence("x", "FOBLeh")["mention"] == ["bluesky:fob.example"]
        reasons = [s.reason for s in store.link_suggestions()]
        assert reasons == ["The X profile of FOBLeh names fob.example (Bluesky)."], reasons
    finally:
        store.close()

"""Bluesky connector end to end against the real local network in ``../shared/peers/bluesky``.

PLC, PDS and AppView from ``@atproto/dev-env``: a real login with the brand's app
password, the seeded customer mentions, a real reply with facets, and the
customer's side of it. Run with ``pytest -m bluesky``; ``BSKY_NET_KEEP=1`` leaves
the network running for the next run.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from console.connectors.base import ReplyTarget
from console.connectors.bluesky import BlueskyConnector
from console.connectors.http import build_session
from console.core.errors import AuthError
from console.core.models import MessageKind, Platform
from console.core.secrets import MemorySecretStore

pytestmark = pytest.mark.bluesky

SEEDED = {
    "complaint": "@brand.test my order #1042 arrived with a cracked widget and nobody answers "
    "email. Really disappointed.",
    "question": "Hey @brand.test, does the Widget Pro work with 110V outlets or do I need an "
    "adapter?",
    "thanks": "Shout-out to @brand.test for the super fast replacement. Great service! 🎉",
    "support_root": "@brand.test I can't log into my Acme account since yesterday, "
    "password reset email never arrives.",
    "support_reply": "It's the one ending in @example.test, account name alice.",
}


def account(conn: dict[str, Any], name: str, password_field: str) -> BlueskyConnector:
    acc = conn["accounts"][name]
    return BlueskyConnector(
        handle=acc["handle"],
        server=conn["pds_url"],
        session=build_session(),
        secrets=MemorySecretStore({name: acc[password_field]}),
        account_key=name,
    )


def test_brand_login_notifications_reply_and_customer_side(
    bsky_net: dict[str, Any], bsky_sync: Callable[[], None]
) -> None:
    brand = account(bsky_net, "brand", "app_password")
    alice_did = bsky_net["accounts"]["alice"]["did"]

    # 1. Login with the app password.
    info = brand.verify()
    assert info.handle == "brand.test"
    assert info.remote_id == bsky_net["accounts"]["brand"]["did"]
    assert info.display_name == "Acme Support"
    assert info.server == bsky_net["pds_url"]
    assert info.char_limit == 300

    # 2. The seeded customer posts arrive as inbound messages.
    bsky_sync()
    page = brand.fetch_since(None)
    by_text = {m.text: m for m in page.items}
    for key, text in SEEDED.items():
        assert text in by_text, f"seeded {key} post missing"
        message = by_text[text]
        assert message.platform is Platform.BLUESKY
        assert (message.author_handle, message.author_name) == ("alice.test", "Alice Customer")
        assert message.author_remote_id == alice_did
        assert message.account_handle == "brand.test"
        assert message.created_at.tzinfo is not None
    assert by_text[SEEDED["question"]].kind is MessageKind.MENTION
    assert by_text[SEEDED["support_reply"]].kind is MessageKind.REPLY
    assert by_text[SEEDED["question"]].remote_id == bsky_net["posts"]["question"]["uri"]
    assert by_text[SEEDED["question"]].extra["cid"] == bsky_net["posts"]["question"]["cid"]
    assert page.cursor is not None

    # 3. Reply to the question, with a mention and a link.
    question = by_text[SEEDED["question"]]
    marker = uuid.uuid4().hex[:8]
    text = (
        f"Hi @alice.test! Yes, 110V works. Details: https://example.com/widget-pro?ref={marker} 👍"
    )
    started = dt.datetime.now(dt.UTC)
    sent = brand.send_reply(ReplyTarget.from_message(question), text, idempotency_key=marker)
    assert sent.remote_id.startswith(f"at://{info.remote_id}/app.bsky.feed.post/")
    assert (
        sent.url == f"https://bsky.app/profile/brand.test/post/{sent.remote_id.rsplit('/', 1)[1]}"
    )
    bsky_sync()

    # 4. Alice sees the reply in her notifications (logged in with her password).
    alice = account(bsky_net, "alice", "password")
    alice_items = alice.fetch_since(None).items
    reply = next(m for m in alice_items if m.remote_id == sent.remote_id)
    # The AppView notifies a reply that also mentions the author as a "mention";
    # the connector still sees from the record that it answers Alice's post.
    assert reply.extra["reason"] in ("mention", "reply")
    assert reply.kind is MessageKind.REPLY
    assert len([m for m in alice_items if m.remote_id == sent.remote_id]) == 1
    assert reply.author_handle == "brand.test" and reply.text == text
    assert reply.in_reply_to == question.remote_id
    assert reply.extra["root_uri"] == question.remote_id
    assert reply.urls == (f"https://example.com/widget-pro?ref={marker}",)

    # 5. The reply is in the thread, with a mention facet resolved to Alice's DID.
    thread = brand.fetch_thread(question.remote_id)
    assert thread[0].remote_id == question.remote_id
    ours = next(
        m for m in thread if m.remote_id == sent.remote_id
    )  # a reused network has older replies
    assert ours.in_reply_to == question.remote_id and ours.author_handle == "brand.test"
    raw = requests.get(
        f"{bsky_net['pds_url']}/xrpc/app.bsky.feed.getPostThread",
        params={"uri": question.remote_id},
        timeout=(5, 30),
        headers={"Authorization": f"Bearer {brand._ensure_session().access.reveal()}"},
    )
    record = next(
        r["post"]["record"]
        for r in raw.json()["thread"]["replies"]
        if r["post"]["uri"] == sent.remote_id
    )
    features = [(f["features"][0]["$type"], f["index"]) for f in record["facets"]]
    raw_text = text.encode()
    assert features[0][0] == "app.bsky.richtext.facet#mention"
    assert record["facets"][0]["features"][0]["did"] == alice_did
    mention = features[0][1]
    assert raw_text[mention["byteStart"] : mention["byteEnd"]] == b"@alice.test"
    link = features[1][1]
    assert (
        raw_text[link["byteStart"] : link["byteEnd"]]
        .decode()
        .startswith("https://example.com/widget-pro")
    )

    # 6. A retry after a lost answer would find the reply instead of posting twice.
    found = brand.find_sent_reply(ReplyTarget.from_message(question), text, started)
    assert found is not None and found.remote_id == sent.remote_id
    other = ReplyTarget.from_message(by_text[SEEDED["thanks"]])
    assert brand.find_sent_reply(other, text, started) is None

    # 7. The cursor from step 2 brings only what is new: Alice answers the brand.
    follow_up = f"Great, thanks! ({marker})"
    alice.send_reply(ReplyTarget.from_message(reply), follow_up, idempotency_key=f"{marker}-a")
    bsky_sync()
    newer = brand.fetch_since(page.cursor)
    assert [m.text for m in newer.items] == [follow_up]
    assert newer.items[0].kind is MessageKind.REPLY
    assert newer.items[0].thread_root == question.remote_id
    assert brand.fetch_since(newer.cursor).items == []


def test_wrong_app_password_is_refused(bsky_net: dict[str, Any]) -> None:
    brand = BlueskyConnector(
        handle="brand.test",
        server=bsky_net["pds_url"],
        session=build_session(),
        secrets=MemorySecretStore({"brand": "aaaa-bbbb-cccc-dddd"}),
        account_key="brand",
    )
    with pytest.raises(AuthError) as info:
        brand.verify()
    assert "aaaa-bbbb-cccc-dddd" not in str(info.value)
    assert "app password" in str(info.value)


def test_a_stale_access_token_is_replaced_transparently(bsky_net: dict[str, Any]) -> None:
    brand = account(bsky_net, "brand", "app_password")
    brand.verify()
    # Forge a session whose access token the PDS cannot verify (as after a PDS key
    # rotation); the connector must refresh with the refresh token and carry on.
    session = brand._ensure_session()
    from console.connectors.bluesky import _Session  # the private type, for this one check
    from console.core.secrets import Secret

    brand._session = _Session(
        did=session.did,
        handle=session.handle,
        pds=session.pds,
        access=Secret("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.invalid"),
        refresh=session.refresh,
    )
    assert brand.verify().handle == "brand.test"
    assert brand._ensure_session().access != Secret("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.invalid")

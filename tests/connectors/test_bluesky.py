"""Bluesky connector against recorded payloads, and a fake PDS for a dropped connection.

Recorded payloads: the real-service bodies in ``shared/fixtures/bluesky`` (SOURCES.md
there) and the local network's samples in ``shared/peers/bluesky/samples``.
``FakePds`` at the end is a fake: the real network cannot be told to drop a
connection right after it accepted a post.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any, ClassVar

import pytest

from console.connectors import bluesky
from console.connectors.base import ReplyTarget
from console.connectors.bluesky import BlueskyConnector
from console.connectors.http import build_session
from console.core.errors import AuthError, NetworkError, RateLimitedError, RejectedError
from console.core.models import MessageKind, Platform
from console.core.secrets import MemorySecretStore

from .recorded import RecordedAdapter, recorded, recorded_session, sample

APP_PASSWORD = "4gv4-46d6-3ykb-sg3s"  # the app password in the createSession sample
JSON = {"Content-Type": "application/json; charset=utf-8"}
XRPC = "/xrpc/"


def login_route(adapter: RecordedAdapter) -> None:
    adapter.add(
        "POST", XRPC + "com.atproto.server.createSession", sample("createSession.response.json")
    )


def connector(session: Any, secrets: MemorySecretStore | None = None) -> BlueskyConnector:
    return BlueskyConnector(
        handle="brand.test",
        server="http://localhost:2583",
        session=session,
        secrets=secrets if secrets is not None else MemorySecretStore({"bsky-1": APP_PASSWORD}),
        account_key="bsky-1",
        sleep=lambda s: None,
        clock=lambda: 1795530659.964,
    )


def session_tokens() -> tuple[str, str]:
    body = sample("createSession.response.json").json()
    return body["accessJwt"], body["refreshJwt"]


# --- login and sessions -------------------------------------------------------------------


def test_login_with_app_password_keeps_refresh_jwt_in_the_secret_store() -> None:
    session, adapter = recorded_session()
    login_route(adapter)
    adapter.add(
        "GET",
        XRPC + "app.bsky.notification.listNotifications",
        sample("listNotifications_brand.response.json"),
    )
    secrets = MemorySecretStore({"bsky-1": APP_PASSWORD})
    connector(session, secrets).fetch_since(None)
    login, listing = adapter.sent
    assert login.json() == sample("createSession.request.json").json()["body"]
    access, refresh = session_tokens()
    assert listing.headers["Authorization"] == f"Bearer {access}"
    assert secrets.get("bsky-1:session") == refresh
    assert listing.query == {"limit": ["100"], "reasons": ["mention", "reply", "quote"]}


def test_stored_session_is_refreshed_instead_of_logging_in() -> None:
    session, adapter = recorded_session()
    adapter.add(
        "POST", XRPC + "com.atproto.server.refreshSession", sample("refreshSession.response.json")
    )
    adapter.add(
        "GET",
        XRPC + "app.bsky.notification.listNotifications",
        sample("listNotifications_brand.response.json"),
    )
    _, refresh = session_tokens()
    secrets = MemorySecretStore({"bsky-1": APP_PASSWORD, "bsky-1:session": refresh})
    connector(session, secrets).fetch_since(None)
    assert [s.path for s in adapter.sent] == [
        XRPC + "com.atproto.server.refreshSession",
        XRPC + "app.bsky.notification.listNotifications",
    ]
    assert adapter.sent[0].headers["Authorization"] == f"Bearer {refresh}"
    assert adapter.sent[0].body in (None, b"")


def test_expired_token_is_refreshed_and_the_call_retried() -> None:
    session, adapter = recorded_session()
    login_route(adapter)
    adapter.add(
        "GET",
        XRPC + "app.bsky.notification.listNotifications",
        recorded("bluesky", "error_400_ExpiredToken.json", status=400, headers=JSON),
        sample("listNotifications_brand.response.json"),
    )
    adapter.add(
        "POST", XRPC + "com.atproto.server.refreshSession", sample("refreshSession.response.json")
    )
    secrets = MemorySecretStore({"bsky-1": APP_PASSWORD})
    page = connector(session, secrets).fetch_since(None)
    assert len(page.items) == 6
    paths = [s.path.removeprefix(XRPC) for s in adapter.sent]
    assert paths == [
        "com.atproto.server.createSession",
        "app.bsky.notification.listNotifications",
        "com.atproto.server.refreshSession",
        "app.bsky.notification.listNotifications",
    ]
    _, old_refresh = session_tokens()
    assert adapter.sent[2].headers["Authorization"] == f"Bearer {old_refresh}"
    refreshed = sample("refreshSession.response.json").json()
    assert adapter.sent[3].headers["Authorization"] == f"Bearer {refreshed['accessJwt']}"
    assert secrets.get("bsky-1:session") == refreshed["refreshJwt"]


def test_refused_refresh_falls_back_to_a_new_login() -> None:
    session, adapter = recorded_session()
    login_route(adapter)
    adapter.add(
        "GET",
        XRPC + "app.bsky.notification.listNotifications",
        recorded("bluesky", "error_400_ExpiredToken.json", status=400, headers=JSON),
        sample("listNotifications_brand.response.json"),
    )
    adapter.add(
        "POST", XRPC + "com.atproto.server.refreshSession", sample("error_bad_token.response.json")
    )
    connector(session).fetch_since(None)
    paths = [s.path.removeprefix(XRPC) for s in adapter.sent]
    assert paths.count("com.atproto.server.createSession") == 2
    assert paths[-1] == "app.bsky.notification.listNotifications"


def test_wrong_app_password_is_an_auth_error_without_the_password() -> None:
    session, adapter = recorded_session()
    adapter.add(
        "POST",
        XRPC + "com.atproto.server.createSession",
        recorded("bluesky", "error_401_createSession_AuthenticationRequired.json"),
    )
    with pytest.raises(AuthError) as info:
        connector(session).verify()
    message = str(info.value)
    assert "Invalid identifier or password" in message
    assert "app password" in message and "brand.test" in message
    assert APP_PASSWORD not in message


def test_login_rate_limited() -> None:
    session, adapter = recorded_session()
    adapter.add(
        "POST",
        XRPC + "com.atproto.server.createSession",
        recorded("bluesky", "error_429_RateLimitExceeded.json", status=429, headers=JSON),
    )
    with pytest.raises(RateLimitedError, match="Rate Limit Exceeded"):
        connector(session).verify()


def test_no_app_password_stored() -> None:
    session, adapter = recorded_session()
    with pytest.raises(AuthError, match="No app password is stored"):
        connector(session, MemorySecretStore()).fetch_since(None)
    assert adapter.sent == []


# --- notifications ------------------------------------------------------------------------


def test_real_service_notifications_become_messages() -> None:
    session, adapter = recorded_session()
    login_route(adapter)
    adapter.add(
        "GET",
        XRPC + "app.bsky.notification.listNotifications",
        recorded("bluesky", "listNotifications.json"),
    )
    page = connector(session).fetch_since(None)
    raw = recorded("bluesky", "listNotifications.json").json()["notifications"]
    wanted = [n for n in raw if n["reason"] in ("mention", "reply", "quote")]
    assert len(page.items) == len(wanted) == 18
    assert {m.kind for m in page.items} == {MessageKind.MENTION, MessageKind.QUOTE}
    assert [m.created_at for m in page.items] == sorted(m.created_at for m in page.items)

    by_uri = {m.remote_id: m for m in page.items}
    first = by_uri["at://did:plc:lprqqpoyjspuma25n5gofocf/app.bsky.feed.post/3lmicbemya22g"]
    assert first.platform is Platform.BLUESKY
    assert first.author_handle == "josephjefe.bsky.social"
    assert first.author_name == "Joseph Hefner"
    assert first.author_remote_id == "did:plc:lprqqpoyjspuma25n5gofocf"
    assert first.text.startswith("Ok, @bskyr.bsky.social makes this ridiculously easy.")
    assert first.urls == ("https://christophertkenny.com/bskyr/index.html",)
    assert first.media[0].startswith("library(bskyr)")  # the image's alt text
    assert first.url == "https://bsky.app/profile/josephjefe.bsky.social/post/3lmicbemya22g"
    assert (
        first.in_reply_to
        == "at://did:plc:lprqqpoyjspuma25n5gofocf/app.bsky.feed.post/3lmib4yep2k2g"
    )
    assert (
        first.thread_root
        == "at://did:plc:lprqqpoyjspuma25n5gofocf/app.bsky.feed.post/3lmiagxqgas2s"
    )
    assert first.extra["cid"] == "bafyreibnife55kb4vfoqe2enztto4n2nrgualkhx3ovox46fm6e6q77ehu"
    assert first.extra["root_cid"] == "bafyreif53vdtky5gaclah3gut5u7yj4bjpk3qazrqlpwsxfi6xq2fu3tpu"
    assert (
        first.extra["parent_cid"] == "bafyreibkgu7kh4oqzzqapaqokl7jw36xuhjqqqh367msza2spbvci3f4oq"
    )
    assert first.extra["reason"] == "mention"

    quote = by_uri["at://did:plc:wpe35pganb6d4pg4ekmfy6u5/app.bsky.feed.post/3lktjjvxvdk2g"]
    assert quote.kind is MessageKind.QUOTE
    assert (
        quote.extra["quoted_uri"]
        == "at://did:plc:5c2r73erhng4bszmxlfdtscf/app.bsky.feed.post/3lktj6pstuy2n"
    )
    assert quote.extra["root_uri"] == quote.remote_id  # not a reply: it is its own root
    assert quote.in_reply_to is None

    # Microsecond timestamps (a Python client's) parse too.
    micro = by_uri["at://did:plc:zdd4yxyclksq2sem6jqxsfu2/app.bsky.feed.post/3livj2tl2su2v"]
    assert micro.created_at == dt.datetime(2025, 2, 24, 4, 27, 20, 710330, tzinfo=dt.UTC)
    assert micro.media == ("Kite man from DC Comics saying hell yeah",)

    assert json.loads(page.cursor or "") == {
        "v": 1,
        "seen": "2025-05-17T08:44:44.416Z",
        "ids": ["at://did:plc:qy6jyj4tpbqb33a44wx4gsl5/app.bsky.feed.like/3lpe5oldeev2w"],
    }


def test_incremental_fetch_stops_at_the_cursor_and_takes_only_newer() -> None:
    session, adapter = recorded_session()
    login_route(adapter)
    route = adapter.add(
        "GET",
        XRPC + "app.bsky.notification.listNotifications",
        recorded("bluesky", "listNotifications.json"),
    )
    brand = connector(session)
    first = brand.fetch_since(None)
    again = brand.fetch_since(first.cursor)  # the server has nothing new
    assert again.items == [] and again.cursor == first.cursor and not again.has_more
    assert len([s for s in adapter.sent if "listNotifications" in s.path]) == 2  # stopped on page 1

    # Newer notifications arrive (the local network's sample, recorded later).
    route.responses = [sample("listNotifications_brand.response.json")]
    route.hits = 0
    newer = brand.fetch_since(first.cursor)
    assert [m.kind for m in newer.items].count(MessageKind.MENTION) == 5
    assert [m.kind for m in newer.items].count(MessageKind.REPLY) == 1
    assert json.loads(newer.cursor or "")["seen"] == "2026-11-24T14:30:59.559Z"
    spring = next(m for m in newer.items if "spring sale" in m.text)
    assert spring.text == "@brand.test is the spring sale still on? Asking for a friend 🙂"
    assert (spring.author_handle, spring.author_name) == ("alice.test", "Alice Customer")
    assert spring.account_handle == "brand.test"
    reply = next(m for m in newer.items if m.kind is MessageKind.REPLY)
    assert reply.text == "It's the one ending in @example.test, account name alice."
    assert reply.extra["parent_uri"].startswith("at://did:plc:jjsd5km5o3rduox2kw4knks2/")
    assert reply.extra["root_uri"] == reply.thread_root


def test_a_long_catch_up_resumes_where_it_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bluesky, "MAX_PAGES", 1)
    session, adapter = recorded_session()
    login_route(adapter)
    # The state machine is what is tested here; the second page is another
    # recorded page, not the true continuation of the first.
    adapter.add(
        "GET",
        XRPC + "app.bsky.notification.listNotifications",
        recorded("bluesky", "listNotifications.json"),
        sample("listNotifications_alice.response.json"),
    )
    brand = connector(session)
    old = json.dumps({"v": 1, "seen": "2024-06-01T00:00:00.000Z", "ids": []})
    first = brand.fetch_since(old)
    assert first.has_more is True and len(first.items) == 18
    state = json.loads(first.cursor or "")
    assert state["resume"] == "2024-12-19T06:43:45.863Z"  # the API's own cursor
    assert state["top"] == "2025-05-17T08:44:44.416Z"
    second = brand.fetch_since(first.cursor)
    listing = [s for s in adapter.sent if "listNotifications" in s.path]
    assert listing[-1].query["cursor"] == ["2024-12-19T06:43:45.863Z"]
    assert second.has_more is False
    assert json.loads(second.cursor or "")["seen"] == "2025-05-17T08:44:44.416Z"


# --- threads ------------------------------------------------------------------------------


def test_support_thread_from_the_local_network() -> None:
    session, adapter = recorded_session()
    login_route(adapter)
    adapter.add(
        "GET",
        XRPC + "app.bsky.feed.getPostThread",
        sample("getPostThread_support_thread.response.json"),
    )
    thread = connector(session).fetch_thread(
        "at://did:plc:ytgcz4unoxkepysdgqmdyzlv/app.bsky.feed.post/3n32ubl2xus27"
    )
    assert [m.author_handle for m in thread] == [
        "alice.test",
        "brand.test",
        "alice.test",
        "brand.test",
    ]
    assert thread[0].text.startswith("@brand.test I can't log into my Acme account")
    assert thread[0].kind is MessageKind.MENTION
    assert all(m.kind is MessageKind.REPLY for m in thread[1:])
    assert all(m.thread_root == thread[0].remote_id for m in thread[1:])
    assert adapter.sent[-1].query["uri"] == [thread[0].remote_id]


def test_real_service_threads_with_images_and_record_with_media() -> None:
    session, adapter = recorded_session()
    login_route(adapter)
    route = adapter.add(
        "GET", XRPC + "app.bsky.feed.getPostThread", recorded("bluesky", "getPostThread.json")
    )
    brand = connector(session)
    (post,) = brand.fetch_thread(
        "at://did:plc:ic6zqvuw5ulmfpjiwnhsr2ns/app.bsky.feed.post/3k7qmjev5lr2s"
    )
    assert post.author_name == "Soubhik Barari"
    assert post.urls == ("http://localview.net", "https://rstats.ai/gov.html")
    assert post.media == ("image without a description",)  # alt was ""
    assert "\n\nrstats.ai/gov.html" in post.text
    route.responses = [
        recorded("bluesky", "getPostThread_recordWithMedia.json", status=200, headers=JSON)
    ]
    (media_post,) = brand.fetch_thread(
        "at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/3kaheyt6vpc22"
    )
    assert media_post.media == ("image without a description",)
    assert (
        media_post.extra["quoted_uri"]
        == "at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/3kahesw26il2z"
    )
    assert media_post.text == ""


# --- replies and facets -------------------------------------------------------------------


def spring_sale_target() -> ReplyTarget:
    mention = sample("listNotifications_brand.response.json").json()["notifications"][0]
    return ReplyTarget(
        remote_id=mention["uri"],
        author_handle="alice.test",
        extra={
            "uri": mention["uri"],
            "cid": mention["cid"],
            "root_uri": mention["uri"],
            "root_cid": mention["cid"],
        },
    )


def test_send_reply_builds_the_record_the_network_accepted() -> None:
    session, adapter = recorded_session()
    login_route(adapter)
    adapter.add(
        "POST", XRPC + "com.atproto.repo.createRecord", sample("createRecord_reply.response.json")
    )
    ref = connector(session).send_reply(
        spring_sale_target(), "Yes! The spring sale runs until Sunday.", idempotency_key="outbox-1"
    )
    sent = adapter.sent[-1].json()
    expected = sample("createRecord_reply.request.json").json()["body"]
    assert sent["repo"] == expected["repo"]
    assert sent["collection"] == expected["collection"]
    assert sent["record"]["reply"] == expected["record"]["reply"]
    assert sent["record"]["text"] == expected["record"]["text"]
    assert sent["record"]["$type"] == "app.bsky.feed.post"
    assert sent["record"]["createdAt"] == "2026-11-24T14:30:59.964Z"
    assert "facets" not in sent["record"]
    assert ref.remote_id == "at://did:plc:jjsd5km5o3rduox2kw4knks2/app.bsky.feed.post/3n32ubmrf3k27"
    assert ref.url == "https://bsky.app/profile/brand.test/post/3n32ubmrf3k27"


def test_send_reply_real_service_response_and_rejection() -> None:
    session, adapter = recorded_session()
    login_route(adapter)
    route = adapter.add(
        "POST",
        XRPC + "com.atproto.repo.createRecord",
        recorded("bluesky", "createRecord_reply.json"),
    )
    brand = connector(session)
    ref = brand.send_reply(spring_sale_target(), "Thanks!", idempotency_key="k")
    assert ref.extra["cid"] == "bafyreia7fptlcy32gmdmtxlqnd3cwjcq7bxae4sdunq5c5i6yr7y72cqmu"
    route.responses = [recorded("bluesky", "error_400_createRecord_InvalidRequest.json")]
    with pytest.raises(RejectedError, match="must not be longer than 300 graphemes"):
        brand.send_reply(spring_sale_target(), "x" * 301, idempotency_key="k2")


class KnownHandles(BlueskyConnector):
    """Resolves handles from a table instead of the network (byte offsets are what is tested)."""

    handles: ClassVar[dict[str, str]] = {}

    def resolve_handle(self, handle: str) -> str | None:
        return self.handles.get(handle.lower())


def test_facets_match_the_ones_the_network_accepted() -> None:
    request = sample("createRecord_mention.request.json").json()["body"]["record"]
    KnownHandles.handles = {"brand.test": request["facets"][0]["features"][0]["did"]}
    brand = KnownHandles(
        handle="alice.test",
        server="http://localhost:2583",
        session=build_session(),
        secrets=MemorySecretStore(),
        account_key="x",
    )
    assert brand.build_facets(request["text"]) == request["facets"]


def test_facet_offsets_are_utf8_bytes() -> None:
    KnownHandles.handles = {"alice.test": "did:plc:alice"}
    brand = KnownHandles(
        handle="brand.test",
        server="http://localhost:2583",
        session=build_session(),
        secrets=MemorySecretStore(),
        account_key="x",
    )
    text = "Café 🙂 @alice.test, see https://example.com/widget?id=7. @ghost.test (mail a@b.test)"
    facets = brand.build_facets(text)
    raw = text.encode()
    spans = [raw[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode() for f in facets]
    assert spans == ["@alice.test", "https://example.com/widget?id=7"]  # ghost does not resolve
    assert facets[0]["index"]["byteStart"] == len("Café 🙂 ".encode()) == 11
    assert facets[0]["features"] == [
        {"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:alice"}
    ]
    assert facets[1]["features"] == [
        {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/widget?id=7"}
    ]


# --- a fake PDS for a dropped connection ------------------------------------------------------


class FakePds:
    """Just enough of a PDS (see module docstring): login, createRecord, listRecords."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.records: list[dict[str, Any]] = []
        self.drop_next = False
        login = copy.deepcopy(sample("createSession.response.json").json())
        login["didDoc"]["service"][0]["serviceEndpoint"] = server.url  # stay on the fake
        self.did = login["did"]
        server.route("POST", XRPC + "com.atproto.server.createSession", server.Response(200, login))
        # The recorded access JWT's exp has passed, so the connector renews it first.
        server.route("POST", XRPC + "com.atproto.server.refreshSession", server.Response(200, login))
        server.route("POST", XRPC + "com.atproto.repo.createRecord", self._create)
        server.route("GET", XRPC + "com.atproto.repo.listRecords", self._list)

    def _create(self, request: Any) -> Any:
        body = request.json()
        rkey = f"3n32ubmrf3k{len(self.records):02d}"
        item = {
            "uri": f"at://{body['repo']}/{body['collection']}/{rkey}",
            "cid": f"bafyfake{len(self.records)}",
            "value": body["record"],
        }
        self.records.insert(0, item)  # newest first, like listRecords
        if self.drop_next:
            self.drop_next = False
            return self.server.Response(drop=True)
        return self.server.Response(200, {"uri": item["uri"], "cid": item["cid"]})

    def _list(self, request: Any) -> Any:
        return self.server.Response(200, {"records": self.records})


def test_dropped_connection_after_accepted_post_then_find_sent_reply(fake_server: Any) -> None:
    pds = FakePds(fake_server)
    brand = BlueskyConnector(
        handle="brand.test",
        server=fake_server.url,
        session=build_session(),
        secrets=MemorySecretStore({"bsky-1": APP_PASSWORD}),
        account_key="bsky-1",
        sleep=lambda s: None,
    )
    target = spring_sale_target()
    started = dt.datetime.now(dt.UTC)
    pds.drop_next = True
    with pytest.raises(NetworkError, match="may or may not have been carried out"):
        brand.send_reply(target, "Yes! Until Sunday.", idempotency_key="outbox-9")
    assert len(pds.records) == 1
    # What the outbox does before a retry: look, find it, do not post again.
    found = brand.find_sent_reply(target, "Yes! Until Sunday.", started)
    assert found is not None and found.remote_id == pds.records[0]["uri"]
    assert brand.find_sent_reply(target, "A different text", started) is None
    assert fake_server.hits("POST", XRPC + "com.atproto.repo.createRecord") == 1

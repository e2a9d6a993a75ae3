"""Mastodon connector against recorded payloads, and against a fake server for paging and faults.

The recorded tests serve the verbatim Mastodon bodies and headers from
``shared/fixtures/mastodon`` (see SOURCES.md there). :class:`FakeMastodon` is a
fake: there is no Mastodon server in the test setup, and the faults it produces
(a token revoked between two pages, a connection dropped after a post was
accepted, hundreds of new notifications) cannot be ordered from a real one. Its
entries are copies of a recorded notification with new ids and texts, and it
pages with ``min_id``/``max_id`` and Link headers and honours ``Idempotency-Key``
the way Mastodon does. It records every POST it receives (``posts``), and the
exactly-once tests assert on those requests, i.e. on what the connector and the
engine did, not on the server removing a duplicate; ``honour_keys=False`` makes a
repeated POST visible as a second status.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

from console.connectors.base import Page, ReplyTarget
from console.connectors.http import build_session
from console.connectors.mastodon import MastodonConnector
from console.core.errors import (
    AuthError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    RejectedError,
)
from console.core.models import MessageKind, Platform, ReplyState
from console.core.secrets import MemorySecretStore
from console.core.store import Store
from console.sync import engine

from .recorded import RecordedAdapter, recorded, recorded_session

TOKEN = "mstdn-token-Zx81vQ02pL"


def connector(
    session: Any,
    server: str = "https://mastodon.social",
    *,
    token: str | None = TOKEN,
    handle: str = "halcy",
) -> MastodonConnector:
    secrets = MemorySecretStore({"acct-1": token} if token else {})
    return MastodonConnector(
        handle=handle,
        server=server,
        session=session,
        secrets=secrets,
        account_key="acct-1",
        sleep=lambda s: None,
    )


def social(adapter: RecordedAdapter) -> None:
    """Routes for the mastodon.social recordings ([A] in SOURCES.md)."""
    adapter.add(
        "GET",
        "/api/v1/accounts/verify_credentials",
        recorded("mastodon", "verify_credentials.json"),
    )
    adapter.add("GET", "/api/v1/notifications", recorded("mastodon", "notifications_mention.json"))
    adapter.add("GET", "/api/v1/conversations", recorded("mastodon", "conversations.json"))


def local(adapter: RecordedAdapter) -> None:
    """Routes for the recordings against a Mastodon 4.6 dev server ([B])."""
    adapter.add(
        "GET",
        "/api/v1/accounts/verify_credentials",
        recorded("mastodon", "verify_credentials_local.json"),
    )
    adapter.add(
        "GET", "/api/v1/notifications", recorded("mastodon", "notifications_mention_local.json")
    )
    adapter.add("GET", "/api/v1/conversations", recorded("mastodon", "conversations_local.json"))


# --- recorded payloads -------------------------------------------------------------------


def test_verify_reads_the_account_and_survives_a_missing_instance_endpoint() -> None:
    session, adapter = recorded_session()
    adapter.add(
        "GET",
        "/api/v1/accounts/verify_credentials",
        recorded("mastodon", "verify_credentials.json"),
    )
    adapter.add("GET", "/api/v2/instance", recorded("mastodon", "error_404_not_found.json"))
    info = connector(session).verify()
    assert (info.handle, info.display_name, info.remote_id) == (
        "halcy@mastodon.social",
        "autumnal halcy",
        "43",
    )
    assert info.server == "https://mastodon.social"
    assert info.char_limit is None
    assert all(s.headers["Authorization"] == f"Bearer {TOKEN}" for s in adapter.sent)


def test_first_fetch_mastodon_social_mentions_and_conversations() -> None:
    session, adapter = recorded_session()
    social(adapter)
    page = connector(session).fetch_since(None)

    notifications = [s for s in adapter.sent if s.path == "/api/v1/notifications"]
    assert notifications[0].query == {"types[]": ["mention"], "limit": ["80"]}
    conversations = [s for s in adapter.sent if s.path == "/api/v1/conversations"]
    assert conversations[0].query == {"limit": ["40"]}

    # 39 of 40 notifications have "status": null; 3 conversations have no last status,
    # and those whose last status is our own (halcy, id 43) are not inbound.
    raw = recorded("mastodon", "conversations.json").json()
    inbound = {
        c["last_status"]["id"]
        for c in raw
        if c["last_status"] and c["last_status"]["account"]["id"] != "43"
    }
    dm_from_notification = "116275331587890092"
    assert {m.remote_id for m in page.items} == inbound | {dm_from_notification}
    assert [m.created_at for m in page.items] == sorted(m.created_at for m in page.items)

    first = next(m for m in page.items if m.remote_id == dm_from_notification)
    assert first.platform is Platform.MASTODON
    assert first.kind is MessageKind.DM  # visibility "direct"
    assert first.account_handle == "halcy@mastodon.social"
    assert first.author_handle == "latencyobs@icosahedron.website"
    assert first.author_name == "Latency Observer"
    assert first.author_remote_id == "109446733121874654"
    assert first.text.startswith(
        "@halcy@mastodon.social @halcy@glitch.social @halcy@hachyderm.io ____"
    )
    assert first.raw_markup and first.raw_markup.startswith('<p><span class="h-card"')
    assert first.created_at == dt.datetime(2026, 3, 22, 23, 5, 57, tzinfo=dt.UTC)
    assert first.url == "https://icosahedron.website/@latencyobs/116275331526178516"
    assert first.extra["visibility"] == "direct"
    assert first.extra["notification_id"]
    assert first.extra["mentions"] == ["halcy", "halcy@glitch.social", "halcy@hachyderm.io"]
    assert all(m.kind is MessageKind.DM for m in page.items)
    assert all("<" not in m.text for m in page.items)

    # The cursor remembers the newest ids from the Link headers' rel="prev".
    assert json.loads(page.cursor or "") == {"v": 1, "n": "550622655", "c": "116368390488686134"}
    assert page.has_more is False


def test_first_fetch_local_server_mention_and_dm_threads() -> None:
    session, adapter = recorded_session()
    local(adapter)
    page = connector(session, "http://localhost:3000", handle="mastodonpy_test").fetch_since(None)
    by_id = {m.remote_id: m for m in page.items}
    mention = by_id["117020577157693549"]
    assert mention.kind is MessageKind.MENTION
    assert mention.author_handle == "admin@localhost:3000"
    assert mention.author_name == "admin"  # empty display_name falls back to the username
    assert mention.text == "@mastodonpy_test hello!"
    assert mention.extra["acct"] == "admin"
    dms = [m for m in page.items if m.kind is MessageKind.DM]
    assert {m.text for m in dms} == {"@admin ilu bby ;3", "@mastodonpy_test pssssst!"}
    reply_dm = next(m for m in dms if m.text.endswith("pssssst!"))
    assert reply_dm.in_reply_to == "117020588315335369"
    assert reply_dm.extra["conversation_id"] == "12"
    assert json.loads(page.cursor or "") == {"v": 1, "n": "21", "c": "117020593780198542"}


def test_next_fetch_asks_for_min_id_from_the_cursor() -> None:
    session, adapter = recorded_session()
    local(adapter)
    mastodon = connector(session, "http://localhost:3000", handle="mastodonpy_test")
    first = mastodon.fetch_since(None)
    adapter.sent.clear()
    mastodon.fetch_since(first.cursor)
    notifications = next(s for s in adapter.sent if s.path == "/api/v1/notifications")
    conversations = next(s for s in adapter.sent if s.path == "/api/v1/conversations")
    assert notifications.query["min_id"] == ["21"]
    assert notifications.query["types[]"] == ["mention"]
    assert conversations.query["min_id"] == ["117020593780198542"]


def test_fetch_thread_orders_ancestors_status_descendants() -> None:
    session, adapter = recorded_session()
    adapter.add(
        "GET",
        "/api/v1/accounts/verify_credentials",
        recorded("mastodon", "verify_credentials.json"),
    )
    # The recorded context belongs to status 110446983926957470, whose own body was not
    # recorded; another recorded status body stands in the middle slot.
    adapter.add(
        "GET",
        "/api/v1/statuses/110446983926957470",
        recorded("mastodon", "status_custom_emoji_hashtag.json"),
    )
    adapter.add(
        "GET",
        "/api/v1/statuses/110446983926957470/context",
        recorded("mastodon", "status_context.json"),
    )
    thread = connector(session).fetch_thread("110446983926957470")
    assert thread[0].text == "first status"
    assert thread[-1].text == "final status"
    middle = thread[1]
    assert middle.media == ("a furry cube breakdancing",)
    assert "#ThisIsAHashtag" in middle.text
    assert thread[-1].in_reply_to == "110446983926957470"
    assert thread[-1].kind is MessageKind.REPLY  # in_reply_to_account_id is ours (43)


def test_fetch_thread_of_a_lone_status() -> None:
    session, adapter = recorded_session()
    local(adapter)
    adapter.add(
        "GET",
        "/api/v1/statuses/117020583258292382",
        recorded("mastodon", "statuses_post_reply.json"),
    )
    adapter.add(
        "GET",
        "/api/v1/statuses/117020583258292382/context",
        recorded("mastodon", "status_context_empty.json"),
    )
    thread = connector(session, "http://localhost:3000").fetch_thread("117020583258292382")
    assert [m.text for m in thread] == ["@mastodonpy_test_2 same!"]


def test_missing_status_is_not_found() -> None:
    session, adapter = recorded_session()
    local(adapter)
    adapter.add("GET", "/api/v1/statuses/0", recorded("mastodon", "error_404_not_found.json"))
    with pytest.raises(NotFoundError, match="/api/v1/statuses/0 was not found"):
        connector(session, "http://localhost:3000").fetch_thread("0")


def test_send_reply_public_with_mention_visibility_and_idempotency_key() -> None:
    session, adapter = recorded_session()
    adapter.add("POST", "/api/v1/statuses", recorded("mastodon", "statuses_post_reply.json"))
    parent = ReplyTarget(
        remote_id="117020583245459824",
        author_handle="mastodonpy_test_2@localhost:3000",
        visibility="public",
        extra={"acct": "mastodonpy_test_2"},
    )
    ref = connector(session, "http://localhost:3000", handle="admin").send_reply(
        parent, "same!", idempotency_key="outbox-7f3a"
    )
    sent = adapter.sent[0]
    assert sent.json() == {
        "status": "@mastodonpy_test_2 same!",
        "in_reply_to_id": "117020583245459824",
        "visibility": "public",
    }
    assert sent.headers["Idempotency-Key"] == "outbox-7f3a"
    assert ref.remote_id == "117020583258292382"
    assert ref.url == "http://localhost:3000/@admin/117020583258292382"


def test_reply_to_a_direct_message_stays_direct() -> None:
    session, adapter = recorded_session()
    local(adapter)
    adapter.add("POST", "/api/v1/statuses", recorded("mastodon", "statuses_post_direct.json"))
    mastodon = connector(session, "http://localhost:3000", handle="admin")
    dm = next(m for m in mastodon.fetch_since(None).items if m.text == "@admin ilu bby ;3")
    ref = mastodon.send_reply(
        ReplyTarget.from_message(dm), "Thanks, we'll look into it.", idempotency_key="k-1"
    )
    body = adapter.sent[-1].json()
    assert body["visibility"] == "direct"
    assert body["status"] == "@mastodonpy_test_2 Thanks, we'll look into it."
    assert ref.extra["visibility"] == "direct"


def test_mention_is_not_doubled_when_the_text_has_it() -> None:
    session, adapter = recorded_session()
    adapter.add("POST", "/api/v1/statuses", recorded("mastodon", "statuses_post_reply.json"))
    parent = ReplyTarget(remote_id="1", author_handle="dana@social.example", visibility="unlisted")
    connector(session).send_reply(parent, "Hi @dana@social.example, done.", idempotency_key="k")
    assert adapter.sent[0].json()["status"] == "Hi @dana@social.example, done."


@pytest.mark.parametrize(
    ("name", "kind", "text"),
    [
        ("error_401_token_revoked_ja.json", AuthError, "アクセストークンは取り消されて"),
        ("error_422_status_empty_ja.json", RejectedError, "Textを入力してください"),
        (
            "error_422_status_too_long_de.json",
            RejectedError,
            "Begrenzung von 500 Zeichen überschritten",
        ),
    ],
)
def test_send_reply_errors(name: str, kind: type[Exception], text: str) -> None:
    session, adapter = recorded_session()
    adapter.add("POST", "/api/v1/statuses", recorded("mastodon", name))
    with pytest.raises(kind) as info:
        connector(session, "http://localhost:3000").send_reply(
            ReplyTarget(remote_id="1"), "x", idempotency_key="k"
        )
    assert text in str(info.value)
    assert TOKEN not in str(info.value)


def test_invalid_token_on_fetch_then_reconnected_account_works() -> None:
    session, adapter = recorded_session()
    adapter.add(
        "GET",
        "/api/v1/accounts/verify_credentials",
        recorded("mastodon", "error_401_invalid_token.json"),
        recorded("mastodon", "verify_credentials_local.json"),
    )
    adapter.add(
        "GET", "/api/v1/notifications", recorded("mastodon", "notifications_mention_local.json")
    )
    adapter.add("GET", "/api/v1/conversations", recorded("mastodon", "conversations_local.json"))
    secrets = MemorySecretStore({"acct-1": "revoked-token-1234"})
    mastodon = MastodonConnector(
        handle="mastodonpy_test",
        server="http://localhost:3000",
        session=session,
        secrets=secrets,
        account_key="acct-1",
    )
    with pytest.raises(AuthError, match="The access token is invalid") as info:
        mastodon.fetch_since(None)
    assert "revoked-token-1234" not in str(info.value)
    secrets.set("acct-1", TOKEN)  # the user reconnected the account
    assert mastodon.fetch_since(None).items
    assert adapter.sent[-1].headers["Authorization"] == f"Bearer {TOKEN}"


def test_no_token_stored_says_what_to_do() -> None:
    session, adapter = recorded_session()
    with pytest.raises(AuthError, match="Connect the account in Settings"):
        connector(session, token=None).fetch_since(None)
    assert adapter.sent == []


def test_documented_429_is_rate_limited() -> None:
    session, adapter = recorded_session()
    adapter.add(
        "GET",
        "/api/v1/accounts/verify_credentials",
        recorded(
            "mastodon",
            "error_429_docs_example.json",
            status=429,
            headers={"Content-Type": "application/json"},
        ),
    )
    with pytest.raises(RateLimitedError, match="Too many requests"):
        connector(session).verify()


def test_find_sent_reply_in_the_recorded_context() -> None:
    session, adapter = recorded_session()
    adapter.add(
        "GET",
        "/api/v1/accounts/verify_credentials",
        recorded("mastodon", "verify_credentials.json"),
    )
    adapter.add(
        "GET",
        "/api/v1/statuses/110446983926957470/context",
        recorded("mastodon", "status_context.json"),
    )
    mastodon = connector(session)
    parent = ReplyTarget(remote_id="110446983926957470", author_handle="halcy@mastodon.social")
    since = dt.datetime(2023, 5, 28, 15, 20, tzinfo=dt.UTC)
    ref = mastodon.find_sent_reply(parent, "final status", since)
    assert ref is not None and ref.remote_id == "110446984249325790"
    assert mastodon.find_sent_reply(parent, "something else", since) is None
    later = dt.datetime(2023, 5, 29, tzinfo=dt.UTC)
    assert mastodon.find_sent_reply(parent, "final status", later) is None


# --- the fake server: paging and faults ------------------------------------------------------


class FakeMastodon:
    """A fake Mastodon (see module docstring) on top of the ``fake_server`` fixture."""

    def __init__(self, server: Any, *, me: str = "117020457910412882",
                 honour_keys: bool = True) -> None:
        self.server = server
        self.honour_keys = honour_keys
        #: every POST /api/v1/statuses, answered or not: (Idempotency-Key, body)
        self.posts: list[tuple[str | None, dict[str, Any]]] = []
        #: answers to give to the next POSTs before any status is made (429, 503)
        self.refuse_posts: list[Any] = []
        self.me = me
        template = recorded("mastodon", "notifications_mention_local.json").json()[0]
        self.template = template
        self.notifications: list[dict[str, Any]] = []
        self.statuses: dict[str, dict[str, Any]] = {}
        self.keys: dict[str, str] = {}
        self.revoke_after_pages: int | None = None
        self.drop_next_post = False
        self._pages = 0
        me_body = recorded("mastodon", "verify_credentials_local.json").json()
        server.route("GET", "/api/v1/accounts/verify_credentials", server.Response(200, me_body))
        server.route("GET", "/api/v1/notifications", self._list_notifications)
        server.route("GET", "/api/v1/conversations", server.Response(200, []))
        server.route("POST", "/api/v1/statuses", self._post_status)

    def add_mentions(self, count: int) -> None:
        for _ in range(count):
            n = len(self.notifications) + 1
            entry = copy.deepcopy(self.template)
            entry["id"] = str(1000 + n)
            entry["status"]["id"] = str(117020577157700000 + n)
            entry["status"]["content"] = f"<p>question number {n}</p>"
            entry["status"]["created_at"] = f"2026-08-01T14:{n // 60 % 60:02d}:{n % 60:02d}.000Z"
            self.notifications.append(entry)
            self.server.route("GET", f"/api/v1/statuses/{entry['status']['id']}/context",
                              self._context(entry["status"]["id"]))

    def _context(self, parent: str) -> Any:
        """The context of a mention: the replies made to it so far."""

        def answer(_request: Any) -> Any:
            replies = [s for s in self.statuses.values() if s["in_reply_to_id"] == parent]
            return self.server.Response(200, {"ancestors": [], "descendants": replies})

        return answer

    def _list_notifications(self, request: Any) -> Any:
        self._pages += 1
        if self.revoke_after_pages is not None and self._pages > self.revoke_after_pages:
            return self.server.Response(
                401, recorded("mastodon", "error_401_invalid_token.json").json()
            )
        limit = int(request.arg("limit") or 40)
        newest_first = sorted(self.notifications, key=lambda e: int(e["id"]), reverse=True)
        if request.arg("min_id"):  # the page immediately newer than min_id
            newer = [e for e in newest_first if int(e["id"]) > int(request.arg("min_id"))]
            page = newer[-limit:]
        elif request.arg("max_id"):
            page = [e for e in newest_first if int(e["id"]) < int(request.arg("max_id"))][:limit]
        else:
            page = newest_first[:limit]
        headers = {}
        if page:
            base = f"{self.server.url}/api/v1/notifications?types%5B%5D=mention&limit={limit}"
            headers["Link"] = (
                f'<{base}&max_id={page[-1]["id"]}>; rel="next", '
                f'<{base}&min_id={page[0]["id"]}>; rel="prev"'
            )
        return self.server.Response(200, page, headers=headers)

    def _post_status(self, request: Any) -> Any:
        key = request.headers.get("Idempotency-Key")
        self.posts.append((key, request.json()))
        if self.refuse_posts:
            return self.refuse_posts.pop(0)
        # Mastodon answers a repeated key with the status it already made.
        if self.honour_keys and key and key in self.keys:
            return self.server.Response(200, self.statuses[self.keys[key]])
        body = request.json()
        status = copy.deepcopy(self.template["status"])
        status["id"] = str(117020600000000000 + len(self.statuses))
        status["content"] = f"<p>{body['status']}</p>"
        status["in_reply_to_id"] = body.get("in_reply_to_id")
        status["visibility"] = body.get("visibility", "public")
        status["created_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        status["account"]["id"] = self.me
        self.statuses[status["id"]] = status
        if key:
            self.keys[key] = status["id"]
        context_path = f"/api/v1/statuses/{body.get('in_reply_to_id')}/context"
        replies = [
            s for s in self.statuses.values() if s["in_reply_to_id"] == body.get("in_reply_to_id")
        ]
        self.server.route(
            "GET",
            context_path,
            self.server.Response(200, {"ancestors": [], "descendants": replies}),
        )
        if self.drop_next_post:
            self.drop_next_post = False
            return self.server.Response(drop=True)
        return self.server.Response(200, status)


def fake_connector(fake: FakeMastodon) -> MastodonConnector:
    return MastodonConnector(
        handle="mastodonpy_test",
        server=fake.server.url,
        session=build_session(),
        secrets=MemorySecretStore({"acct-1": TOKEN}),
        account_key="acct-1",
        sleep=lambda s: None,
    )


def ids(page: Page) -> list[int]:
    return [int(m.text.rsplit(" ", 1)[1]) for m in page.items]


def test_paging_first_fetch_bounded_then_only_new_items(fake_server: Any) -> None:
    fake = FakeMastodon(fake_server)
    fake.add_mentions(100)
    mastodon = fake_connector(fake)
    first = mastodon.fetch_since(None)
    assert ids(first) == list(range(21, 101))  # the newest 80, oldest first
    assert first.has_more is False
    assert mastodon.fetch_since(first.cursor).items == []
    fake.add_mentions(3)
    second = mastodon.fetch_since(first.cursor)
    assert ids(second) == [101, 102, 103]
    assert all(m.kind is MessageKind.MENTION for m in second.items)


def test_paging_long_catch_up_is_split_without_gaps(fake_server: Any) -> None:
    fake = FakeMastodon(fake_server)
    fake.add_mentions(5)
    mastodon = fake_connector(fake)
    cursor = mastodon.fetch_since(None).cursor
    fake.add_mentions(500)  # back from a week offline
    seen: list[int] = []
    rounds = 0
    while True:
        page = mastodon.fetch_since(cursor)
        seen += ids(page)
        cursor = page.cursor
        rounds += 1
        if not page.has_more:
            break
    assert sorted(seen) == list(range(6, 506))
    assert len(seen) == len(set(seen))
    assert rounds == 2  # 5 pages of 80, then the remaining 100


def test_token_revoked_between_pages(fake_server: Any) -> None:
    fake = FakeMastodon(fake_server)
    fake.add_mentions(1)
    mastodon = fake_connector(fake)
    cursor = mastodon.fetch_since(None).cursor
    fake.add_mentions(200)
    fake.revoke_after_pages = fake._pages + 1  # the second page of this fetch is refused
    with pytest.raises(AuthError, match="Reconnect the account"):
        mastodon.fetch_since(cursor)


def test_dropped_connection_after_accepted_post_does_not_post_twice(fake_server: Any) -> None:
    fake = FakeMastodon(fake_server)
    mastodon = fake_connector(fake)
    parent = ReplyTarget(
        remote_id="117020577157693549",
        author_handle="admin@127.0.0.1",
        visibility="public",
        extra={"acct": "admin"},
    )
    fake.drop_next_post = True
    started = dt.datetime.now(dt.UTC)
    with pytest.raises(NetworkError, match="may or may not have been carried out"):
        mastodon.send_reply(parent, "We have sent a new widget.", idempotency_key="outbox-42")
    assert [key for key, _body in fake.posts] == ["outbox-42"]  # one POST, no silent retry
    # The outbox's check before retrying finds it, without posting ...
    found = mastodon.find_sent_reply(parent, "We have sent a new widget.", started)
    assert found is not None and found.remote_id in fake.statuses
    assert len(fake.posts) == 1
    # ... and a blind retry sends the same Idempotency-Key (which is what lets Mastodon
    # answer with the status it already made).
    retried = mastodon.send_reply(parent, "We have sent a new widget.", idempotency_key="outbox-42")
    assert [key for key, _body in fake.posts] == ["outbox-42", "outbox-42"]
    assert fake.posts[0][1] == fake.posts[1][1]
    assert retried.remote_id == found.remote_id


@pytest.fixture
def outbox(fake_server: Any, tmp_path: Any) -> Iterator[tuple[Any, FakeMastodon, Any]]:
    """A workspace with one synced Mastodon mention, against a fake that keeps duplicates."""
    fake = FakeMastodon(fake_server, honour_keys=False)
    fake.add_mentions(1)
    store = Store.open(tmp_path / "w.db")
    store.set_setting("user.name", "Sam")
    mastodon = fake_connector(fake)
    store.add_account(platform="mastodon", handle=mastodon.handle, server=fake.server.url)
    (account,) = store.accounts()
    synced = engine.sync_account(store, account, lambda _a: mastodon)
    assert (synced.error, synced.new_messages) == (None, 1)
    yield store, fake, mastodon
    store.close()


def approve(store: Any, text: str) -> int:
    (row,) = store.cases_page()
    detail = store.case_detail(row.id)
    reply_id, _ = store.save_draft(row.id, account_id=store.accounts()[0].id, body=text,
                                   in_reply_to_message_id=detail.messages[0].id)
    store.approve_reply(reply_id)
    return int(reply_id)


def test_outbox_posts_each_reply_exactly_once_across_a_dropped_connection(
        outbox: tuple[Any, FakeMastodon, Any]) -> None:
    store, fake, mastodon = outbox
    first = approve(store, "We have sent a new widget.")
    second = approve(store, "Tracking number to follow.")
    fake.drop_next_post = True  # the first POST is carried out, its answer is lost
    out = engine.send_outbox(store, lambda a: mastodon)
    assert [(o.reply_id, o.sent) for o in out] == [(first, False)]
    out = engine.send_outbox(store, lambda a: mastodon)
    assert [(o.reply_id, o.sent, o.reconciled) for o in out] == [
        (first, True, True), (second, True, False)]
    # The server keeps every POST as a status here, so only the engine looking first
    # (GET .../context) keeps the first reply from being posted twice.
    keys = [key for key, _body in fake.posts]
    assert keys == [store.reply(first).idempotency_key, store.reply(second).idempotency_key]
    assert len(fake.statuses) == 2
    assert store.reply(first).sent_remote_id in fake.statuses
    assert engine.send_outbox(store, lambda a: mastodon) == []
    assert len(fake.posts) == 2


def test_a_request_that_never_arrived_is_posted_again_with_the_same_key(
        outbox: tuple[Any, FakeMastodon, Any]) -> None:
    store, fake, mastodon = outbox
    reply_id = approve(store, "We have sent a new widget.")
    fake.refuse_posts.append(fake.server.Response(503, {"error": "Service Unavailable"}))
    (out,) = engine.send_outbox(store, lambda a: mastodon)
    assert not out.sent and not out.final
    (out,) = engine.send_outbox(store, lambda a: mastodon)
    assert out.sent and not out.reconciled  # looked first, found nothing, posted
    key = store.reply(reply_id).idempotency_key
    assert [k for k, _body in fake.posts] == [key, key]
    assert len(fake.statuses) == 1


def test_a_rate_limited_post_stays_queued_with_its_retry_time(
        outbox: tuple[Any, FakeMastodon, Any]) -> None:
    store, fake, mastodon = outbox
    reply_id = approve(store, "We have sent a new widget.")
    fake.refuse_posts.append(fake.server.Response(
        429, recorded("mastodon", "error_429_docs_example.json", status=429).json(),
        headers={"Retry-After": "120"}))
    (out,) = engine.send_outbox(store, lambda a: mastodon)
    assert not out.sent and not out.final
    assert "Rate limited" in out.error and ("120 s" in out.error or "119 s" in out.error)
    reply = store.reply(reply_id)
    assert reply.state in (ReplyState.APPROVED, ReplyState.SENDING) and reply.error is None
    # Within the wait the connector does not even ask; the reply just stays queued.
    (out,) = engine.send_outbox(store, lambda a: mastodon)
    assert not out.sent and not out.final and len(fake.posts) == 1
    # Later (a connector that has not been told to wait) it goes out, once.
    (out,) = engine.send_outbox(store, lambda a: fake_connector(fake))
    assert out.sent
    assert len(fake.posts) == 2 and len(fake.statuses) == 1


def test_429_storm_on_notifications(fake_server: Any) -> None:
    fake = FakeMastodon(fake_server)
    fake_server.route(
        "GET",
        "/api/v1/notifications",
        fake_server.Response(
            429,
            recorded("mastodon", "error_429_docs_example.json", status=429).json(),
            headers={"Retry-After": "120", "X-RateLimit-Remaining": "0"},
        ),
    )
    mastodon = fake_connector(fake)
    for _ in range(3):
        with pytest.raises(RateLimitedError) as info:
            mastodon.fetch_since(None)
        assert 119 <= (info.value.retry_after or 0) <= 120
    assert fake_server.hits("GET", "/api/v1/notifications") == 1

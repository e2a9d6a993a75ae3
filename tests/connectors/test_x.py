"""X connector against the recorded API v2 payloads, and a fake server for a dropped connection.

Recorded payloads are the real-service bodies in ``shared/fixtures/x`` (2021-2022,
``api.twitter.com``; see SOURCES.md). ``FakeX`` at the end is a fake: the real
API cannot be made to drop a connection after it accepted a post.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from console.connectors.base import ReplyTarget
from console.connectors.http import build_session
from console.connectors.x import XConnector
from console.core.errors import (
    AuthError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    RejectedError,
)
from console.core.models import MessageKind, Platform
from console.core.secrets import MemorySecretStore

from .recorded import RecordedAdapter, recorded, recorded_session

TOKEN = "x-user-token-QWxhZGRpbjpvcGVu"
JSON = {"Content-Type": "application/json; charset=utf-8"}
ME = "1072250532645998596"  # users_me.json


def connector(session: Any, server: str = "https://api.twitter.com") -> XConnector:
    return XConnector(
        handle="TweepyDev",
        server=server,
        session=session,
        secrets=MemorySecretStore({"x-1": TOKEN}),
        account_key="x-1",
        sleep=lambda s: None,
    )


def with_me(adapter: RecordedAdapter) -> None:
    adapter.add("GET", "/2/users/me", recorded("x", "users_me.json"))


def test_verify() -> None:
    session, adapter = recorded_session()
    with_me(adapter)
    info = connector(session).verify()
    assert (info.handle, info.display_name, info.remote_id, info.char_limit) == (
        "TweepyDev",
        "Tweepy Testing",
        ME,
        280,
    )
    assert adapter.sent[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_mentions_with_expansions_take_authors_from_includes() -> None:
    session, adapter = recorded_session()
    with_me(adapter)
    adapter.add("GET", f"/2/users/{ME}/mentions", recorded("x", "users_mentions_expanded.json"))
    page = connector(session).fetch_since(None)
    query = adapter.sent[-1].query
    assert query["max_results"] == ["100"]
    assert "author_id" in query["expansions"][0] and "created_at" in query["tweet.fields"][0]
    assert "since_id" not in query

    assert len(page.items) == 6
    by_id = {m.remote_id: m for m in page.items}
    photo = by_id["1400118288307277824"]
    assert photo.platform is Platform.X
    assert (photo.author_handle, photo.author_name) == ("FOBLeh", "@FOBLeh")
    assert photo.author_remote_id == "1249336678398877696"
    assert photo.created_at == dt.datetime(2021, 6, 2, 15, 53, 7, tzinfo=dt.UTC)
    assert "https://t.co/" not in photo.text  # the photo link is media, not text
    assert photo.raw_markup is not None and "https://t.co/hAdap4YiFk" in photo.raw_markup
    assert photo.url == "https://x.com/FOBLeh/status/1400118288307277824"
    assert photo.extra["conversation_id"] == "1400118288307277824"
    broadcast = by_id["1399690181385486341"]
    assert "https://twitter.com/i/broadcasts/1ypKdgQMEyoxW" in broadcast.text
    assert broadcast.urls == ("https://twitter.com/i/broadcasts/1ypKdgQMEyoxW",)
    quote = by_id["1399688059608702976"]
    assert quote.kind is MessageKind.QUOTE
    assert quote.extra["quoted_id"] == "1399686685848346642"
    assert json.loads(page.cursor or "") == {"v": 1, "since": "1400118288307277824"}


def test_mentions_without_expansions_still_parse() -> None:
    session, adapter = recorded_session()
    with_me(adapter)
    adapter.add("GET", f"/2/users/{ME}/mentions", recorded("x", "users_mentions.json"))
    page = connector(session).fetch_since(None)
    assert len(page.items) == 10
    newest = page.items[-1]
    assert newest.remote_id == "1578516295611748353"
    assert newest.author_handle == "unknown"  # no author_id without expansions
    # No created_at was requested in that recording: the snowflake id dates it.
    recorded_at = dt.datetime(2022, 10, 7, 22, 43, 18, tzinfo=dt.UTC)
    assert recorded_at - dt.timedelta(minutes=5) < newest.created_at < recorded_at
    emoji = next(m for m in page.items if m.remote_id == "1578516220231397376")
    assert (
        emoji.text == "@Twitter make 🤨 an available reaction emoji in dms"
    )  # surrogate pair joined
    apostrophe = next(m for m in page.items if m.remote_id == "1578516273537118209")
    assert "@elonmusk’s" in apostrophe.text


def test_incremental_fetch_uses_since_id_and_pages_with_next_token() -> None:
    session, adapter = recorded_session()
    with_me(adapter)
    adapter.add(
        "GET",
        f"/2/users/{ME}/mentions",
        recorded("x", "users_mentions.json"),
        recorded("x", "users_mentions_empty.json"),
    )
    x = connector(session)
    page = x.fetch_since(json.dumps({"v": 1, "since": "1578516000000000000"}))
    calls = [s for s in adapter.sent if s.path.endswith("/mentions")]
    assert calls[0].query["since_id"] == ["1578516000000000000"]
    assert calls[1].query["pagination_token"] == ["7140dibdnow9c7btw423i3sy3u5zupmkcpofxcsmxj48j"]
    assert calls[1].query["since_id"] == ["1578516000000000000"]
    assert len(page.items) == 10 and page.has_more is False
    assert json.loads(page.cursor or "") == {"v": 1, "since": "1578516295611748353"}


def test_no_new_mentions_keeps_the_cursor() -> None:
    session, adapter = recorded_session()
    with_me(adapter)
    adapter.add("GET", f"/2/users/{ME}/mentions", recorded("x", "users_mentions_empty.json"))
    cursor = json.dumps({"v": 1, "since": "1578516295611748353"})
    page = connector(session).fetch_since(cursor)
    assert page.items == [] and json.loads(page.cursor or "")["since"] == "1578516295611748353"


def test_suspended_account_answer_is_a_rejection() -> None:
    session, adapter = recorded_session()
    with_me(adapter)
    adapter.add(
        "GET", f"/2/users/{ME}/mentions", recorded("x", "users_mentions_suspended_user.json")
    )
    with pytest.raises(RejectedError, match=r"User has been suspended: \[45648666\]"):
        connector(session).fetch_since(None)


def test_lookup_with_partial_errors_keeps_the_data() -> None:
    body = recorded("x", "tweets_lookup_partial_errors.json").json()
    messages = connector(build_session()).parse_timeline(body)
    assert len(messages) == 1 and len(body["errors"]) == 19
    assert messages[0].author_handle == next(
        u["username"] for u in body["includes"]["users"] if u["id"] == body["data"][0]["author_id"]
    )


def test_fetch_thread_from_a_single_tweet() -> None:
    session, adapter = recorded_session()
    adapter.add("GET", "/2/tweets/1293593516040269825", recorded("x", "tweet_get.json"))
    # A search with no hits answers {"meta":{"result_count":0}}, as the recorded empty timeline.
    adapter.add("GET", "/2/tweets/search/recent", recorded("x", "users_mentions_empty.json"))
    (tweet,) = connector(session).fetch_thread("1293593516040269825")
    assert tweet.text.startswith("It’s finally here! 🥁 Say hello to the new #TwitterAPI.")
    search = adapter.sent[-1]
    assert search.query["query"] == ["conversation_id:1293593516040269825"]


def test_send_reply() -> None:
    session, adapter = recorded_session()
    with_me(adapter)
    adapter.add("POST", "/2/tweets", recorded("x", "tweets_create.json"))
    x = connector(session)
    x.verify()
    ref = x.send_reply(
        ReplyTarget(remote_id="1456012000000000000"), "Test Tweet", idempotency_key="k"
    )
    assert adapter.sent[-1].json() == {
        "text": "Test Tweet",
        "reply": {"in_reply_to_tweet_id": "1456012000000000000"},
    }
    assert ref.remote_id == "1456012973835788293"
    assert ref.url == "https://x.com/TweepyDev/status/1456012973835788293"


@pytest.mark.parametrize(
    ("name", "status", "kind", "text"),
    [
        ("error_403_duplicate_content.json", 403, RejectedError, "duplicate content"),
        ("error_403_client_not_enrolled.json", 403, AuthError, "attached to a Project"),
        ("error_401_unauthorized.json", None, AuthError, "Unauthorized"),
        ("error_429_too_many_requests.json", 429, RateLimitedError, "Too Many Requests"),
    ],
)
def test_send_reply_errors(name: str, status: int | None, kind: type[Exception], text: str) -> None:
    session, adapter = recorded_session()
    adapter.add(
        "POST", "/2/tweets", recorded("x", name, status=status, headers=JSON if status else None)
    )
    with pytest.raises(kind, match=text) as info:
        connector(session).send_reply(ReplyTarget(remote_id="1"), "hello", idempotency_key="k")
    assert TOKEN not in str(info.value)


def test_html_404_and_text_429() -> None:
    session, adapter = recorded_session()
    with_me(adapter)
    route = adapter.add(
        "GET", f"/2/users/{ME}/mentions", recorded("x", "error_404_unknown_endpoint.html")
    )
    x = connector(session)
    with pytest.raises(NotFoundError) as info:
        x.fetch_since(None)
    assert "HTML error page" in str(info.value) and "poodle" not in str(info.value)
    route.responses = [recorded("x", "error_429_rate_limit.txt")]
    with pytest.raises(RateLimitedError, match="Rate limit exceeded"):
        x.fetch_since(None)


# --- a fake X for a dropped connection ----------------------------------------------------


class FakeX:
    """``/2/users/me``, ``POST /2/tweets``, ``/2/users/:id/tweets``, shaped like the recordings."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.tweets: list[dict[str, Any]] = []
        self.drop_next = False
        server.route(
            "GET", "/2/users/me", server.Response(200, recorded("x", "users_me.json").json())
        )
        server.route("POST", "/2/tweets", self._create)
        server.route("GET", f"/2/users/{ME}/tweets", self._timeline)

    def _create(self, request: Any) -> Any:
        body = request.json()
        tweet = {
            "id": str(1456012973835788293 + len(self.tweets)),
            "text": body["text"],
            "created_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "referenced_tweets": [
                {"type": "replied_to", "id": body["reply"]["in_reply_to_tweet_id"]}
            ],
        }
        self.tweets.insert(0, tweet)
        if self.drop_next:
            self.drop_next = False
            return self.server.Response(drop=True)
        return self.server.Response(201, {"data": {"id": tweet["id"], "text": tweet["text"]}})

    def _timeline(self, request: Any) -> Any:
        assert request.arg("start_time")
        return self.server.Response(
            200, {"data": self.tweets, "meta": {"result_count": len(self.tweets)}}
        )


def test_dropped_connection_after_accepted_post_then_find_sent_reply(fake_server: Any) -> None:
    fake = FakeX(fake_server)
    x = connector(build_session(), fake_server.url)
    parent = ReplyTarget(remote_id="1578516295611748353", author_handle="someone")
    started = dt.datetime.now(dt.UTC)
    fake.drop_next = True
    with pytest.raises(NetworkError, match="may or may not have been carried out"):
        x.send_reply(parent, "We're on it & will DM you.", idempotency_key="outbox-3")
    found = x.find_sent_reply(parent, "We're on it & will DM you.", started)
    assert found is not None and found.remote_id == fake.tweets[0]["id"]
    assert (
        x.find_sent_reply(ReplyTarget(remote_id="999"), "We're on it & will DM you.", started)
        is None
    )
    assert fake_server.hits("POST", "/2/tweets") == 1

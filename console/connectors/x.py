"""X (Twitter) connector: API v2 with an OAuth 2.0 user access token from the secret store.

Inbound items are ``GET /2/users/:id/mentions`` with expansions, so authors come
from ``includes.users`` and media descriptions from ``includes.media``. The API
pages newest first; ``since_id`` bounds a fetch and ``pagination_token`` walks
down to it. Cursor format (opaque to callers)::

    {"v":1,"since":"<newest tweet id delivered>"}
    # while a long catch-up is split over several fetches (has_more=True):
    {"v":1,"since":...,"resume":"<next_token>","top":"<newest id of this run>"}

Replies go out with ``POST /2/tweets`` and ``reply.in_reply_to_tweet_id``. X has no
idempotency key; :meth:`XConnector.find_sent_reply` looks through the account's
own recent posts instead.

Tweet text arrives HTML-escaped (``&amp;``) and with links shortened to t.co:
``text`` is unescaped with the links expanded, ``raw_markup`` keeps the original.

``IncomingMessage.extra`` keys: ``conversation_id``, ``author_id``,
``in_reply_to_user_id``, ``referenced`` (list of ``{"type", "id"}``), ``lang``,
``quoted_id`` (quotes).

Access tokens from X's OAuth 2.0 flow expire after about two hours; refreshing
them is left to the account setup code (an ``AuthError`` asks to reconnect).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import time
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import quote, urlsplit

import requests

from console.connectors.base import (
    AccountInfo,
    Page,
    ReplyTarget,
    SentRef,
    decode_cursor,
    encode_cursor,
    normalize_for_match,
    parse_timestamp,
)
from console.connectors.http import DEFAULT_TIMEOUT, ErrorInfo, HttpClient, StoredToken, Timeout
from console.core.errors import AuthError, KnownError, RejectedError, TransientError
from console.core.models import IncomingMessage, MessageKind, Platform
from console.core.secrets import SecretStore

log = logging.getLogger(__name__)

DEFAULT_SERVER: Final = "https://api.x.com"
CHAR_LIMIT: Final = 280
PAGE_LIMIT: Final = 100  # max_results maximum for the mentions timeline
MAX_PAGES: Final = 5
SENT_REPLY_PAGES: Final = 3
SENT_REPLY_SLACK: Final = dt.timedelta(minutes=5)
TWITTER_EPOCH_MS: Final = 1288834974657  # snowflake ids carry their creation time

TWEET_FIELDS: Final = (
    "created_at,conversation_id,in_reply_to_user_id,referenced_tweets,entities,attachments,"
    "lang,author_id"
)
EXPANSIONS: Final = "author_id,attachments.media_keys,referenced_tweets.id"
USER_FIELDS: Final = "name,username"
MEDIA_FIELDS: Final = "alt_text,type"


class XConnector:
    """One X account, reached with an OAuth 2.0 user access token.

    Args:
        handle: the account's username (without ``@``).
        server: the API base URL (``https://api.x.com``).
        session: the ``requests.Session`` to use.
        secrets: where the access token is stored.
        account_key: the token's key in ``secrets``.
        timeout: (connect, read) seconds for every call.
        sleep: how to wait between retries.
        clock: the current Unix time.
    """

    platform = Platform.X

    def __init__(
        self,
        *,
        handle: str,
        server: str = DEFAULT_SERVER,
        session: requests.Session,
        secrets: SecretStore,
        account_key: str,
        timeout: Timeout = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.handle = handle.lstrip("@")
        self.server = server.rstrip("/")
        self.account_key = account_key
        self._auth = StoredToken(secrets, account_key, (
            f"No access token is stored for the X account @{self.handle}. "
            "Connect the account in Settings."))
        self._me: tuple[str, str] | None = None  # (id, username)
        self._http = HttpClient(
            session,
            base_url=self.server,
            service=f"X ({urlsplit(self.server).netloc})",
            secrets=self._auth.known,
            timeout=timeout,
            sleep=sleep,
            clock=clock,
            error_hook=_error_hook,
        )

    def __repr__(self) -> str:
        return f"XConnector(handle={self.handle!r})"

    # --- Connector API -----------------------------------------------------------------

    def verify(self) -> AccountInfo:
        """Check the token with ``GET /2/users/me``.

        Returns:
            The account behind the token.
        """
        data = self._get("/2/users/me", {"user.fields": USER_FIELDS})["data"]
        self._me = (str(data["id"]), str(data["username"]))
        return AccountInfo(
            handle=str(data["username"]),
            display_name=str(data.get("name") or data["username"]),
            remote_id=str(data["id"]),
            server=self.server,
            char_limit=CHAR_LIMIT,
        )

    def fetch_since(self, cursor: str | None) -> Page:
        """Fetch mentions newer than ``cursor``.

        Args:
            cursor: from the previous page, or ``None`` for the newest 100 mentions.

        Returns:
            The new items, oldest first, and the next cursor.
        """
        state = decode_cursor(cursor) or {}
        user_id = self._user_id()
        since: str | None = state.get("since")
        token: str | None = state.get("resume")
        top: str | None = state.get("top")
        items: list[IncomingMessage] = []
        pages = 1 if since is None else MAX_PAGES
        for _ in range(pages):
            params: dict[str, Any] = {
                "max_results": PAGE_LIMIT,
                "tweet.fields": TWEET_FIELDS,
                "expansions": EXPANSIONS,
                "user.fields": USER_FIELDS,
                "media.fields": MEDIA_FIELDS,
            }
            if since:
                params["since_id"] = since
            if token:
                params["pagination_token"] = token
            body = self._get(f"/2/users/{quote(user_id, safe='')}/mentions", params)
            items.extend(self.parse_timeline(body))
            meta = body.get("meta") or {}
            newest = meta.get("newest_id")
            if newest and (top is None or _id_key(str(newest)) > _id_key(top)):
                top = str(newest)
            token = meta.get("next_token")
            if since is None or not token:
                token = None  # first sync: older mentions are history, not inbox
                break
        if token:
            # Page budget used up and older pages still wait above `since`.
            state = {"v": 1, "since": since, "resume": token, "top": top}
            return Page(items=_sorted(items), cursor=encode_cursor(state), has_more=True)
        return Page(
            items=_sorted(items),
            cursor=encode_cursor({"v": 1, "since": top or since}) if (top or since) else None,
            has_more=False,
        )

    def fetch_thread(self, ref: str) -> list[IncomingMessage]:
        """Fetch a post's conversation (recent search covers the last 7 days), oldest first.

        Args:
            ref: a tweet id.

        Returns:
            The conversation's root, the post and the replies found.
        """
        params = {
            "tweet.fields": TWEET_FIELDS,
            "expansions": EXPANSIONS,
            "user.fields": USER_FIELDS,
            "media.fields": MEDIA_FIELDS,
        }
        body = self._get(f"/2/tweets/{quote(ref, safe='')}", params)
        found = {m.remote_id: m for m in self.parse_timeline({**body, "data": [body["data"]]})}
        conversation = str(body["data"].get("conversation_id") or ref)
        if conversation != ref:
            root = self._get(f"/2/tweets/{quote(conversation, safe='')}", params)
            for msg in self.parse_timeline({**root, "data": [root["data"]]}):
                found.setdefault(msg.remote_id, msg)
        search = self._get(
            "/2/tweets/search/recent",
            {**params, "query": f"conversation_id:{conversation}", "max_results": PAGE_LIMIT},
        )
        for msg in self.parse_timeline(search):
            found.setdefault(msg.remote_id, msg)
        return _sorted(list(found.values()))

    def send_reply(
        self,
        parent: ReplyTarget,
        text: str,
        *,
        idempotency_key: str,
        visibility: str | None = None,
    ) -> SentRef:
        """Post ``text`` as a reply with ``POST /2/tweets``.

        Args:
            parent: the post answered.
            text: the reply.
            idempotency_key: logged only (X has no idempotency key).
            visibility: ignored.

        Returns:
            The new post.

        Raises:
            RejectedError: e.g. X's 403 "duplicate content" (the same text was
                already posted: check :meth:`find_sent_reply`).
        """
        log.info("posting an X reply (outbox key %s)", idempotency_key)
        body = {"text": text, "reply": {"in_reply_to_tweet_id": parent.remote_id}}
        try:
            data = self._http.post("/2/tweets", json=body, token=self._auth.get()).data
        except AuthError:
            self._auth.forget()
            raise
        tweet = (data or {}).get("data") or {}
        if "id" not in tweet:
            raise TransientError("Malformed response from X: the new post has no id.")
        tweet_id = str(tweet["id"])
        username = self._me[1] if self._me else self.handle
        return SentRef(
            remote_id=tweet_id,
            url=f"https://x.com/{username}/status/{tweet_id}",
            extra={"text": tweet.get("text")},
        )

    def find_sent_reply(self, parent: ReplyTarget, text: str, since: dt.datetime) -> SentRef | None:
        """Look through the account's own posts since ``since`` for this reply.

        Args:
            parent: the post answered.
            text: the reply text.
            since: when the first attempt was made.

        Returns:
            The reply if it was posted, else ``None``.
        """
        user_id = self._user_id()
        start = (since - SENT_REPLY_SLACK).astimezone(dt.UTC)
        wanted = normalize_for_match(text)
        token: str | None = None
        for _ in range(SENT_REPLY_PAGES):
            params: dict[str, Any] = {
                "start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "max_results": PAGE_LIMIT,
                "tweet.fields": "created_at,referenced_tweets,conversation_id",
                "exclude": "retweets",
            }
            if token:
                params["pagination_token"] = token
            body = self._get(f"/2/users/{quote(user_id, safe='')}/tweets", params)
            for tweet in body.get("data") or []:
                refs = tweet.get("referenced_tweets") or []
                replied = any(
                    r.get("type") == "replied_to" and str(r.get("id")) == parent.remote_id
                    for r in refs
                )
                if replied and normalize_for_match(html.unescape(str(tweet.get("text")))) == wanted:
                    username = self._me[1] if self._me else self.handle
                    return SentRef(
                        remote_id=str(tweet["id"]),
                        url=f"https://x.com/{username}/status/{tweet['id']}",
                        extra={"text": tweet.get("text")},
                    )
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                break
        return None

    # --- parsing -----------------------------------------------------------------------

    def parse_timeline(self, body: dict[str, Any]) -> list[IncomingMessage]:
        """Turn a v2 timeline/lookup body (``data`` + ``includes``) into messages.

        Args:
            body: the decoded response.

        Returns:
            One message per readable tweet.

        Raises:
            RejectedError: the body has only ``errors`` (e.g. a suspended account).
        """
        if "data" not in body and body.get("errors"):
            error = body["errors"][0]
            detail = error.get("detail") or error.get("message") or error.get("title") or ""
            raise RejectedError(f"X refused the request: {detail}")
        if body.get("errors"):
            log.debug("X returned %d partial errors", len(body["errors"]))
        includes = body.get("includes") or {}
        users = {str(u["id"]): u for u in includes.get("users") or [] if "id" in u}
        media = {str(m["media_key"]): m for m in includes.get("media") or [] if "media_key" in m}
        me = self._me[0] if self._me else None
        out = []
        for tweet in body.get("data") or []:
            try:
                out.append(self._message(tweet, users, media, me))
            except (KeyError, TypeError, ValueError) as exc:
                log.warning("skipping an X post that could not be read (%s)", type(exc).__name__)
        return out

    def _message(
        self,
        tweet: dict[str, Any],
        users: dict[str, dict[str, Any]],
        media: dict[str, dict[str, Any]],
        me: str | None,
    ) -> IncomingMessage:
        tweet_id = str(tweet["id"])
        raw = str(tweet.get("text") or "")
        text = html.unescape(raw)
        urls: list[str] = []
        for entity in (tweet.get("entities") or {}).get("urls") or []:
            short = entity.get("url")
            if not short:
                continue
            if entity.get("media_key"):
                text = text.replace(short, "").strip()  # the media is listed separately
                continue
            expanded = entity.get("unwound_url") or entity.get("expanded_url") or short
            text = text.replace(short, expanded)
            if expanded not in urls:
                urls.append(expanded)
        author_id = str(tweet.get("author_id") or "")
        author = users.get(author_id, {})
        username = str(author.get("username") or "")
        refs = [
            {"type": str(r.get("type")), "id": str(r.get("id"))}
            for r in tweet.get("referenced_tweets") or []
        ]
        replied_to = next((r["id"] for r in refs if r["type"] == "replied_to"), None)
        quoted = next((r["id"] for r in refs if r["type"] == "quoted"), None)
        in_reply_to_user = tweet.get("in_reply_to_user_id")
        if replied_to and me is not None and str(in_reply_to_user) == me:
            kind = MessageKind.REPLY
        elif quoted:
            kind = MessageKind.QUOTE
        else:
            kind = MessageKind.MENTION
        created = parse_timestamp(tweet.get("created_at")) or _snowflake_time(tweet_id)
        media_texts = tuple(
            (
                media[key].get("alt_text")
                or f"{media[key].get('type', 'media')} without a description"
            )
            for key in (tweet.get("attachments") or {}).get("media_keys") or []
            if key in media
        )
        extra: dict[str, Any] = {
            "conversation_id": tweet.get("conversation_id"),
            "author_id": author_id or None,
            "in_reply_to_user_id": in_reply_to_user,
            "referenced": refs,
            "lang": tweet.get("lang"),
        }
        if quoted:
            extra["quoted_id"] = quoted
        conversation = tweet.get("conversation_id")
        return IncomingMessage(
            platform=Platform.X,
            account_handle=self._me[1] if self._me else self.handle,
            remote_id=tweet_id,
            author_handle=username or author_id or "unknown",
            author_name=str(author.get("name") or username or author_id or "unknown"),
            text=text,
            created_at=created,
            kind=kind,
            url=f"https://x.com/{username or 'i/web'}/status/{tweet_id}",
            in_reply_to=replied_to,
            thread_root=str(conversation)
            if conversation and str(conversation) != tweet_id
            else None,
            raw_markup=raw if raw != text else None,
            urls=tuple(urls),
            media=media_texts,
            author_remote_id=author_id or None,
            extra=extra,
        )

    # --- internals ---------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            data = self._http.get(path, params=params, token=self._auth.get()).data
        except AuthError:
            self._auth.forget()
            raise
        if not isinstance(data, dict):
            raise TransientError(f"Malformed response from X for {path}.")
        return data

    def _user_id(self) -> str:
        if self._me is None:
            self.verify()
        assert self._me is not None
        return self._me[0]


def _error_hook(info: ErrorInfo) -> KnownError | None:
    # X answers a repeated text with 403, which is not a credentials problem.
    if info.status == 403 and "duplicate content" in info.message.lower():
        return RejectedError(
            f"X refused the post: {info.message} An identical post already exists; "
            "check whether this reply already went out."
        )
    return None


def _id_key(value: str) -> tuple[int, str]:
    return (len(value), value)


def _sorted(items: list[IncomingMessage]) -> list[IncomingMessage]:
    return sorted(items, key=lambda m: (m.created_at, _id_key(m.remote_id)))


def _snowflake_time(tweet_id: str) -> dt.datetime:
    """A tweet's creation time from its id (used when ``created_at`` was not requested)."""
    millis = (int(tweet_id) >> 22) + TWITTER_EPOCH_MS
    return dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC)

"""X (Twitter) connector: API v2 with an OAuth 2.0 user access token from the secret store.

Inbound items are ``GET /2/users/:id/mentions`` with expansions, so authors come
from ``includes.users`` (with ``description``, ``url`` and ``entities``: the author's
profile, read into ``IncomingMessage.author_profile`` as evidence for "same person"
suggestions) and media descriptions from ``includes.media``. The API
pages newest first; ``since_id`` bounds a fetch and ``pagination_token`` walks
down to it. Cursor format (opaque to callers)::

    {"v":1,"since":"<newest tweet id delivered>"}
    # while a long catch-up is split over several fetches (has_more=True):
    {"v":1,"since":...,"resume":"<next_token>","top":"<newest id of this run>"}

Direct messages are ``GET /2/dm_events`` (newest first, ``pagination_token`` for older
ones); the cursor keeps the newest event id delivered under ``"dm"``. A direct message
is answered in its conversation (``POST /2/dm_conversations/:id/messages``), and a
public post answered privately ("continue in a direct message", ``visibility="direct"``)
writes to its author (``POST /2/dm_conversations/with/:participant_id/messages``). DM
``extra`` keys: ``dm_conversation_id``, ``author_id``, ``visibility`` ("direct").

Replies go out with ``POST /2/tweets`` and ``reply.in_reply_to_tweet_id``. X has no
idempotency key; :meth:`XConnector.find_sent_reply` looks through the account's
own recent posts instead.

Tweet text arrives HTML-escaped (``&amp;``) and with links shortened to t.co:
``text`` is unescaped with the links expanded, ``raw_markup`` keeps the original.

``IncomingMessage.extra`` keys: ``conversation_id``, ``author_id``,
``in_reply_to_user_id``, ``referenced`` (list of ``{"type", "id"}``), ``lang``,
``quoted_id`` (quotes).

Sign-in is OAuth 2.0 authorization code with PKCE (:class:`XSignIn`) with the
``offline.access`` scope. Access tokens expire after about two hours: the stored bundle
(:class:`console.connectors.oauth.RefreshingToken`) is renewed before it expires and once
after a 401; X rotates the refresh token on every renewal, and the new pair is saved in
one keyring entry. When X refuses the renewal the account needs reconnecting
(``ReconnectNeeded``), and replies waiting in the outbox stay queued.
"""

from __future__ import annotations

import datetime as dt
import html
import json
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
from console.connectors.http import DEFAULT_TIMEOUT, ErrorInfo, HttpClient, Reply, Timeout
from console.connectors.oauth import (
    Authorization,
    Pkce,
    RefreshingToken,
    SignInResult,
    check_state,
    make_bundle,
    new_state,
    read_bundle,
    secret_key,
    token_request,
)
from console.connectors.oauth import (
    authorize_url as oauth_authorize_url,
)
from console.connectors.profiles import x_profile
from console.core.errors import (
    AuthError,
    KnownError,
    NotFoundError,
    RejectedError,
    TransientError,
)
from console.core.models import IncomingMessage, MessageKind, Platform
from console.core.secrets import MemorySecretStore, SecretStore

log = logging.getLogger(__name__)

DEFAULT_SERVER: Final = "https://api.x.com"
AUTHORIZE_URL: Final = "https://x.com/i/oauth2/authorize"
TOKEN_PATH: Final = "/2/oauth2/token"
# users.read and tweet.read for mentions, tweet.write for replies, dm.* for direct
# messages, offline.access for a refresh token (without it the sign-in lasts two hours).
SCOPES: Final = "tweet.read tweet.write users.read dm.read dm.write offline.access"
# X compares the redirect address exactly with the ones registered for the app, so the
# loopback port is fixed: register http://127.0.0.1:8719/callback in the X developer portal.
LOOPBACK_PORT: Final = 8719
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
# description, url and entities: the author's profile, evidence for "same person" links.
USER_FIELDS: Final = "name,username,description,url,entities"
MEDIA_FIELDS: Final = "alt_text,type"
DM_EVENT_FIELDS: Final = "id,text,event_type,created_at,sender_id,dm_conversation_id"
DM_PAGE_LIMIT: Final = 100  # dm_events max_results maximum


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
        direct_messages: read direct messages too (the registry's connectors do).
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
        direct_messages: bool = False,
    ) -> None:
        self.handle = handle.lstrip("@")
        self.server = server.rstrip("/")
        self.direct_messages = direct_messages
        self.account_key = account_key
        self._auth = RefreshingToken(secrets, account_key, service="X",
                                     account=f"@{self.handle}", session=session, clock=clock,
                                     timeout=timeout)
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
        """Fetch mentions and direct messages newer than ``cursor``.

        Args:
            cursor: from the previous page, or ``None`` for the newest 100 mentions
                and direct messages.

        Returns:
            The new items, oldest first, and the next cursor.
        """
        state = decode_cursor(cursor) or {}
        page = self._fetch_mentions(state)
        if not self.direct_messages:
            return page
        dm_since = state.get("dm")
        next_state = decode_cursor(page.cursor) or {"v": 1}
        try:
            dms, dm_top = self._fetch_dms(dm_since if isinstance(dm_since, str) else None)
        except _Unauthorized:
            raise
        except (AuthError, RejectedError, NotFoundError, TransientError) as exc:
            # No DM access for this app or token (403), or X failing: the mentions still
            # count, and the DM part of the cursor stays for the next sync.
            log.warning("direct messages of @%s not read: %s", self.handle, exc)
            dms, dm_top = [], dm_since if isinstance(dm_since, str) else None
        if dm_top:
            next_state["dm"] = dm_top
        return Page(items=_sorted([*page.items, *dms]), cursor=encode_cursor(next_state),
                    has_more=page.has_more)

    def _fetch_dms(self, since: str | None) -> tuple[list[IncomingMessage], str | None]:
        """Direct message events newer than the event id ``since`` (first sync: one page)."""
        items: list[IncomingMessage] = []
        top = since
        token: str | None = None
        for _ in range(1 if since is None else MAX_PAGES):
            params: dict[str, Any] = {"max_results": DM_PAGE_LIMIT,
                                      "event_types": "MessageCreate",
                                      "dm_event.fields": DM_EVENT_FIELDS,
                                      "expansions": "sender_id", "user.fields": USER_FIELDS}
            if token:
                params["pagination_token"] = token
            body = self._get("/2/dm_events", params)
            reached = False
            for event in body.get("data") or []:
                if since is not None and _id_key(str(event.get("id"))) <= _id_key(since):
                    reached = True
                    break
                if top is None or _id_key(str(event.get("id"))) > _id_key(top):
                    top = str(event.get("id"))
            items.extend(m for m in self.parse_dm_events(body)
                         if since is None or _id_key(m.remote_id) > _id_key(since))
            token = (body.get("meta") or {}).get("next_token")
            if reached or not token:
                break
        return items, top

    def parse_dm_events(self, body: dict[str, Any], *,
                        conversation_id: str | None = None) -> list[IncomingMessage]:
        """Turn a ``dm_events`` body into messages: the ones others sent us.

        Args:
            body: the decoded response.
            conversation_id: the conversation, when the body came from
                ``/2/dm_conversations/:id/dm_events`` (its events may not repeat it).

        Returns:
            One message per ``MessageCreate`` event not sent by this account, oldest first.
        """
        users = {str(u["id"]): u for u in (body.get("includes") or {}).get("users") or []
                 if "id" in u}
        me = self._me[0] if self._me else None
        out: list[IncomingMessage] = []
        for event in body.get("data") or []:
            if event.get("event_type", "MessageCreate") != "MessageCreate" or "id" not in event:
                continue
            sender = str(event.get("sender_id") or "")
            if me is not None and sender == me:
                continue  # our own answers enter the case when they are sent
            conversation = str(event.get("dm_conversation_id") or conversation_id or "")
            author = users.get(sender, {})
            username = str(author.get("username") or sender or "unknown")
            event_id = str(event["id"])
            out.append(IncomingMessage(
                platform=Platform.X,
                account_handle=self._me[1] if self._me else self.handle,
                remote_id=event_id,
                author_handle=username,
                author_name=str(author.get("name") or username),
                text=html.unescape(str(event.get("text") or "")),
                created_at=parse_timestamp(event.get("created_at"))
                or _snowflake_time(event_id),
                kind=MessageKind.DM,
                url=None,  # a direct message has no public address
                thread_root=f"dm:{conversation}" if conversation else None,
                author_remote_id=sender or None,
                extra={"dm_conversation_id": conversation or None, "author_id": sender or None,
                       "visibility": "direct"},
                author_profile=x_profile(author),
            ))
        return _sorted(out)

    def send_direct(self, parent: ReplyTarget, text: str, *, idempotency_key: str) -> SentRef:
        """Send ``text`` as a direct message: in the DM's conversation, or to the post's author."""
        conversation = parent.extra.get("dm_conversation_id")
        author = parent.extra.get("author_id")
        if conversation:
            path = f"/2/dm_conversations/{quote(str(conversation), safe='')}/messages"
        elif author:
            path = f"/2/dm_conversations/with/{quote(str(author), safe='')}/messages"
        else:
            raise RejectedError("X needs the author's account id to write to them privately.")
        log.info("sending an X direct message (outbox key %s)", idempotency_key)
        data = (self._call("POST", path, json={"text": text}).data or {}).get("data") or {}
        if "dm_event_id" not in data:
            raise TransientError("Malformed response from X: the direct message has no id.")
        return SentRef(remote_id=str(data["dm_event_id"]), url=None,
                       extra={"dm_conversation_id": data.get("dm_conversation_id")})

    def _find_sent_direct(self, parent: ReplyTarget, text: str,
                          since: dt.datetime) -> SentRef | None:
        conversation = parent.extra.get("dm_conversation_id")
        author = parent.extra.get("author_id")
        if conversation:
            path = f"/2/dm_conversations/{quote(str(conversation), safe='')}/dm_events"
        elif author:
            path = f"/2/dm_conversations/with/{quote(str(author), safe='')}/dm_events"
        else:
            return None
        me = self._user_id()
        body = self._get(path, {"max_results": DM_PAGE_LIMIT, "event_types": "MessageCreate",
                                "dm_event.fields": DM_EVENT_FIELDS})
        wanted = normalize_for_match(text)
        oldest = since - SENT_REPLY_SLACK
        for event in body.get("data") or []:
            event_id = str(event.get("id"))
            at = parse_timestamp(event.get("created_at")) or _snowflake_time(event_id)
            if at < oldest:
                return None  # newest first
            # Events recorded without sender_id cannot be told apart: the text decides.
            if (str(event.get("sender_id") or me) == me
                    and normalize_for_match(html.unescape(str(event.get("text")))) == wanted):
                return SentRef(remote_id=event_id, url=None,
                               extra={"dm_conversation_id": event.get("dm_conversation_id")
                                      or conversation})
        return None

    def _fetch_mentions(self, state: dict[str, Any]) -> Page:
        """The mentions part of :meth:`fetch_since`."""
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
            visibility: ``"direct"`` sends a direct message instead (in the DM's
                conversation, or to the post's author).

        Returns:
            The new post.

        Raises:
            RejectedError: e.g. X's 403 "duplicate content" (the same text was
                already posted: check :meth:`find_sent_reply`).
        """
        if visibility == "direct" or parent.extra.get("dm_conversation_id"):
            return self.send_direct(parent, text, idempotency_key=idempotency_key)
        log.info("posting an X reply (outbox key %s)", idempotency_key)
        body = {"text": text, "reply": {"in_reply_to_tweet_id": parent.remote_id}}
        data = self._call("POST", "/2/tweets", json=body).data
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
        if parent.visibility == "direct" or parent.extra.get("dm_conversation_id"):
            return self._find_sent_direct(parent, text, since)
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
            author_profile=x_profile(author),
        )

    # --- internals ---------------------------------------------------------------------

    def _call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
              json: Any = None) -> Reply:
        token = self._auth.get()
        try:
            return self._http.request(method, path, params=params, json=json, token=token)
        except _Unauthorized:
            if not self._auth.renewable():
                self._auth.forget()  # read the keyring again next time (reconnected?)
                raise
            # Expired or revoked early: renew once and try again once (a POST refused
            # with 401 was not carried out, so repeating it cannot post twice).
            token = self._auth.renew_after_401(token)
        try:
            return self._http.request(method, path, params=params, json=json, token=token)
        except AuthError:
            self._auth.forget()
            raise

    def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        data = self._call("GET", path, params=params).data
        if not isinstance(data, dict):
            raise TransientError(f"Malformed response from X for {path}.")
        return data

    def _user_id(self) -> str:
        if self._me is None:
            self.verify()
        assert self._me is not None
        return self._me[0]


class _Unauthorized(AuthError):
    """HTTP 401: the access token is not (or no longer) accepted."""


def _error_hook(info: ErrorInfo) -> KnownError | None:
    if info.status == 401:
        said = f": {info.message}" if info.message else ""
        return _Unauthorized(f"X refused the account's credentials{said}. Reconnect the "
                             "account in the Accounts dialog.")
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


# --- sign-in (OAuth 2.0 authorization code with PKCE) ---------------------------------


class XSignIn:
    """One X sign-in: the authorization URL, then the code exchanged for tokens.

    X has no dynamic registration: the app (a "public client", no secret) is made once
    in the X developer portal, with ``redirect_uri`` registered there.

    Args:
        client_id: the X app's OAuth 2.0 client id.
        redirect_uri: the loopback address registered with the app.
        session: the ``requests.Session`` to use.
        authorize_url: X's authorization page.
        api: the API base URL (the token endpoint is ``{api}/2/oauth2/token``).
        scopes: the scopes asked for; must include ``offline.access``.
        clock: the current Unix time.
        timeout: (connect, read) seconds.
    """

    platform = Platform.X

    def __init__(self, *, client_id: str, redirect_uri: str, session: requests.Session,
                 authorize_url: str = AUTHORIZE_URL, api: str = DEFAULT_SERVER,
                 scopes: str = SCOPES, clock: Callable[[], float] = time.time,
                 timeout: Timeout = DEFAULT_TIMEOUT) -> None:
        if not client_id.strip():
            raise KnownError("Signing in to X needs the client ID of an X app (X developer "
                             "portal, your app, Keys and tokens, OAuth 2.0 Client ID).")
        self.client_id = client_id.strip()
        self.redirect_uri = redirect_uri
        self.scopes = scopes
        self.api = api.rstrip("/")
        self.state = new_state()
        self._authorize = authorize_url
        self._pkce = Pkce.new()
        self._session = session
        self._clock = clock
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"XSignIn(api={self.api!r})"

    @property
    def authorize_url(self) -> str:
        """The page to open in the browser."""
        return oauth_authorize_url(self._authorize, client_id=self.client_id,
                                   redirect_uri=self.redirect_uri, scopes=self.scopes,
                                   state=self.state, pkce=self._pkce)

    def finish(self, auth: Authorization) -> SignInResult:
        """Exchange the code, verify the account, and say what goes into the keyring.

        Raises:
            AuthError: the code was refused, or the answer belongs to another sign-in.
        """
        check_state(auth, self.state)
        token_url = self.api + TOKEN_PATH
        answer = token_request(self._session, token_url, {
            "grant_type": "authorization_code", "code": auth.code, "client_id": self.client_id,
            "redirect_uri": self.redirect_uri, "code_verifier": self._pkce.verifier},
            service="X", timeout=self._timeout)
        if not answer.get("refresh_token"):
            log.warning("X sent no refresh token (was offline.access granted?); the sign-in "
                        "will last about two hours")
        bundle = json.dumps(make_bundle(answer, now=self._clock(), client_id=self.client_id,
                                        token_url=token_url))
        probe = MemorySecretStore({"probe": bundle})
        info = XConnector(handle="", server=self.api, session=self._session, secrets=probe,
                          account_key="probe", clock=self._clock,
                          timeout=self._timeout).verify()
        # verify() may have renewed an already expiring token: keep what the probe holds.
        stored = probe.get("probe") or bundle
        return SignInResult(platform=Platform.X.value, handle=info.handle,
                            display_name=info.display_name, server=self.api,
                            entries={secret_key(Platform.X.value, info.handle): stored})


def revoke_token(session: requests.Session, stored: str | None, *,
                 timeout: Timeout = DEFAULT_TIMEOUT) -> bool:
    """Revoke a stored X sign-in (``POST /2/oauth2/revoke``), refresh token first.

    Returns:
        Whether a token was revoked (a token pasted by hand has no client id to do it).
    """
    bundle = read_bundle(stored) or {}
    token_url = str(bundle.get("token_url") or "")
    client_id = str(bundle.get("client_id") or "")
    token = bundle.get("refresh_token") or bundle.get("access_token")
    if not token_url.endswith(TOKEN_PATH) or not client_id or not token:
        return False
    hint = "refresh_token" if bundle.get("refresh_token") else "access_token"
    token_request(session, token_url[: -len(TOKEN_PATH)] + "/2/oauth2/revoke",
                  {"token": str(token), "client_id": client_id, "token_type_hint": hint},
                  service="X", timeout=timeout)
    return True

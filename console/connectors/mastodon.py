"""Mastodon connector: mentions and direct messages in, replies out, over the REST API.

Inbound items come from two streams: ``GET /api/v1/notifications?types[]=mention``
(mentions, replies, and direct messages, which always mention the account) and
``GET /api/v1/conversations`` (direct-message threads). Both page through Link
headers; the cursor keeps the newest id seen in each stream and the next fetch asks
for ``min_id`` = that id, following ``rel="prev"`` links while pages are full.

Cursor format (opaque to callers): ``{"v":1,"n":<notification id>,"c":<status id>}``.

Status HTML is converted to plain text by :mod:`console.connectors.htmltext`; the
HTML itself is kept in ``IncomingMessage.raw_markup`` and never rendered.

``IncomingMessage.extra`` keys: ``visibility``, ``uri``, ``acct`` (the author's
acct as the server wrote it, used for the reply mention), ``mentions``,
``language``, ``in_reply_to_account_id``, plus ``notification_id`` (from
notifications), ``conversation_id`` (from conversations) and ``spoiler_text``
(content warning) when present.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import parse_qs, quote, urlsplit

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
from console.connectors.htmltext import html_to_text
from console.connectors.http import DEFAULT_TIMEOUT, HttpClient, Reply, StoredToken, Timeout
from console.connectors.oauth import (
    Authorization,
    Pkce,
    SignInResult,
    check_state,
    new_state,
    secret_key,
    token_request,
)
from console.connectors.oauth import (
    authorize_url as oauth_authorize_url,
)
from console.connectors.profiles import mastodon_profile
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

NOTIFICATIONS_LIMIT: Final = 80  # the API's maximum per page
CONVERSATIONS_LIMIT: Final = 40  # the API's maximum per page
MAX_PAGES: Final = 5  # pages per stream and fetch before handing back has_more
SENT_REPLY_SLACK: Final = dt.timedelta(minutes=5)  # clock skew between us and the server
CLIENT_NAME: Final = "Community Console"
CLIENT_WEBSITE: Final = "https://github.com/community-console"
# read: notifications, conversations, threads, verify_credentials; write: replies.
SCOPES: Final = "read write"


class MastodonConnector:
    """One Mastodon account, reached with an OAuth access token from the secret store.

    Args:
        handle: the account's handle (``brand`` or ``brand@example.social``).
        server: the instance's base URL, e.g. ``https://mastodon.social``.
        session: the ``requests.Session`` to use.
        secrets: where the access token is stored.
        account_key: the token's key in ``secrets``.
        timeout: (connect, read) seconds for every call.
        sleep: how to wait between retries.
        clock: the current Unix time.
    """

    platform = Platform.MASTODON

    def __init__(
        self,
        *,
        handle: str,
        server: str,
        session: requests.Session,
        secrets: SecretStore,
        account_key: str,
        timeout: Timeout = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.server = server.rstrip("/")
        self.host = urlsplit(self.server).netloc
        self.handle = _qualify(handle.lstrip("@"), self.host)
        self.account_key = account_key
        self._auth = StoredToken(secrets, account_key, (
            f"No access token is stored for the Mastodon account {self.handle}. "
            "Connect the account in Settings."))
        self._account_id: str | None = None
        self._http = HttpClient(
            session,
            base_url=self.server,
            service=f"Mastodon ({self.host})",
            secrets=self._auth.known,
            timeout=timeout,
            sleep=sleep,
            clock=clock,
        )

    def __repr__(self) -> str:
        return f"MastodonConnector(handle={self.handle!r}, server={self.server!r})"

    # --- Connector API -----------------------------------------------------------------

    def verify(self) -> AccountInfo:
        """Check the token with ``verify_credentials`` and read the instance's post limit.

        Returns:
            The account behind the token.

        Raises:
            AuthError: no token stored, or the server refused it.
        """
        me = self._get("/api/v1/accounts/verify_credentials").data
        self._account_id = str(me["id"])
        char_limit: int | None = None
        try:
            instance = self._get("/api/v2/instance").data
            value = instance.get("configuration", {}).get("statuses", {}).get("max_characters")
            char_limit = int(value) if value is not None else None
        except (NotFoundError, RejectedError, TypeError, ValueError, AttributeError):
            log.debug("instance %s does not say its post length limit", self.host)
        return AccountInfo(
            handle=_qualify(str(me.get("acct") or me.get("username")), self.host),
            display_name=str(me.get("display_name") or me.get("username") or ""),
            remote_id=self._account_id,
            server=self.server,
            char_limit=char_limit,
        )

    def fetch_since(self, cursor: str | None) -> Page:
        """Fetch mentions and direct messages newer than ``cursor``.

        Args:
            cursor: from the previous page, or ``None`` for the newest items
                (at most 80 mentions and 40 conversations).

        Returns:
            The new items, oldest first, and the next cursor.
        """
        state = decode_cursor(cursor) or {}
        me = self._me()
        notifications, n_cursor, n_more = self._stream(
            "/api/v1/notifications",
            {"types[]": ["mention"]},
            NOTIFICATIONS_LIMIT,
            state.get("n"),
            lambda entry: str(entry["id"]),
        )
        conversations, c_cursor, c_more = self._stream(
            "/api/v1/conversations",
            {},
            CONVERSATIONS_LIMIT,
            state.get("c"),
            lambda entry: str((entry.get("last_status") or {}).get("id") or ""),
        )
        items: dict[str, IncomingMessage] = {}
        for entry in notifications:
            status = entry.get("status")
            if not status:  # deleted, or not visible to us any more
                continue
            msg = self._message(status, me, extra={"notification_id": str(entry["id"])})
            if msg is not None:
                items.setdefault(msg.remote_id, msg)
        for entry in conversations:
            status = entry.get("last_status")
            if not status or str(status.get("account", {}).get("id")) == me:
                continue  # empty, or our own last message in the thread
            # Everyone in the conversation but us: a direct answer mentions exactly them.
            participants = [str((status.get("account") or {}).get("acct") or "")]
            participants += [str(a.get("acct")) for a in entry.get("accounts") or []
                             if a.get("acct") and str(a.get("id")) != me
                             and str(a.get("acct")) not in participants]
            msg = self._message(
                status, me, kind=MessageKind.DM,
                extra={"conversation_id": str(entry["id"]), "participants": participants},
            )
            if msg is None:
                continue
            if msg.remote_id in items:  # came as a notification too: add who is in it
                items[msg.remote_id].extra.update(
                    conversation_id=msg.extra["conversation_id"], participants=participants)
            else:
                items[msg.remote_id] = msg
        ordered = sorted(items.values(), key=lambda m: (m.created_at, _id_key(m.remote_id)))
        new_cursor = encode_cursor({"v": 1, "n": n_cursor, "c": c_cursor})
        return Page(items=ordered, cursor=new_cursor, has_more=n_more or c_more)

    def fetch_thread(self, ref: str) -> list[IncomingMessage]:
        """Fetch a status with its ancestors and descendants, oldest first.

        Args:
            ref: the status id.

        Returns:
            The thread's statuses as messages.
        """
        me = self._me()
        status = self._get(f"/api/v1/statuses/{quote(ref, safe='')}").data
        context = self._get(f"/api/v1/statuses/{quote(ref, safe='')}/context").data
        chain = [*context.get("ancestors", []), status, *context.get("descendants", [])]
        return [m for s in chain if (m := self._message(s, me)) is not None]

    def send_reply(
        self,
        parent: ReplyTarget,
        text: str,
        *,
        idempotency_key: str,
        visibility: str | None = None,
    ) -> SentRef:
        """Post a reply with ``in_reply_to_id``, the original's visibility and an Idempotency-Key.

        Mastodon remembers the Idempotency-Key for about an hour and answers a
        repeated POST with the status it already made, so a retry after a lost
        answer does not post twice.

        Args:
            parent: the status answered.
            text: the reply; ``@author`` is put in front when it is missing, so
                the author is notified (and, for a direct message, can see it).
            idempotency_key: the outbox entry's stable key.
            visibility: override; by default the original's visibility. A direct
                answer (to a direct message, or "continue in a direct message" to a
                public post) mentions exactly the conversation's participants: Mastodon
                delivers a direct status to everyone it mentions.

        Returns:
            The new status.

        Raises:
            RejectedError: a direct answer mentions someone outside the conversation.
        """
        chosen = visibility or parent.visibility or parent.extra.get("visibility")
        status_text = (self._direct_text(parent, text) if chosen == "direct"
                       else self._with_mention(parent, text))
        body: dict[str, Any] = {"status": status_text, "in_reply_to_id": parent.remote_id}
        if chosen:
            body["visibility"] = chosen
        status = self._http.post(
            "/api/v1/statuses",
            json=body,
            headers={"Idempotency-Key": idempotency_key},
            token=self._auth.get(),
        ).data
        return SentRef(
            remote_id=str(status["id"]),
            url=status.get("url") or status.get("uri"),
            extra={"visibility": status.get("visibility"), "uri": status.get("uri")},
        )

    def find_sent_reply(self, parent: ReplyTarget, text: str, since: dt.datetime) -> SentRef | None:
        """Look among the parent's replies for one of ours with this text.

        Args:
            parent: the status answered.
            text: the reply text as queued (mention prefix optional).
            since: when the first attempt was made.

        Returns:
            The reply if it is there, else ``None``.
        """
        me = self._me()
        context = self._get(f"/api/v1/statuses/{quote(parent.remote_id, safe='')}/context").data
        wanted = normalize_for_match(text)
        for status in context.get("descendants", []):
            if str(status.get("account", {}).get("id")) != me:
                continue
            if str(status.get("in_reply_to_id")) != parent.remote_id:
                continue
            created = parse_timestamp(status.get("created_at"))
            if created is not None and created < since - SENT_REPLY_SLACK:
                continue
            if normalize_for_match(html_to_text(status.get("content")).text) == wanted:
                return SentRef(
                    remote_id=str(status["id"]),
                    url=status.get("url") or status.get("uri"),
                    extra={"visibility": status.get("visibility"), "uri": status.get("uri")},
                )
        return None

    # --- internals ---------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Reply:
        try:
            return self._http.get(path, params=params, token=self._auth.get())
        except AuthError:
            self._auth.forget()  # read the keyring again next time (reconnected?)
            raise

    def _me(self) -> str:
        if self._account_id is None:
            me = self._get("/api/v1/accounts/verify_credentials").data
            self._account_id = str(me["id"])
        return self._account_id

    def _stream(
        self,
        path: str,
        params: dict[str, Any],
        limit: int,
        since: str | None,
        entry_id: Callable[[dict[str, Any]], str],
    ) -> tuple[list[dict[str, Any]], str | None, bool]:
        """Read one paginated stream newer than ``since``.

        Returns:
            (entries, newest id for the cursor, whether more pages are waiting)
        """
        if since is None:
            # First sync: only the newest page; older history is not an inbox.
            reply = self._get(path, {**params, "limit": limit})
            entries = _entries(reply)
            return entries, _newest(reply, entries, entry_id, None), False
        collected: list[dict[str, Any]] = []
        newest = since
        reply = self._get(path, {**params, "limit": limit, "min_id": since})
        for page in range(MAX_PAGES):
            entries = _entries(reply)
            collected.extend(entries)
            newest = _newest(reply, entries, entry_id, newest) or newest
            if len(entries) < limit:
                return collected, newest, False
            prev = reply.links.get("prev")
            if not prev or page == MAX_PAGES - 1:
                break
            reply = self._get(prev)
        return collected, newest, True

    def _message(
        self,
        status: dict[str, Any],
        me: str,
        *,
        kind: MessageKind | None = None,
        extra: dict[str, Any] | None = None,
    ) -> IncomingMessage | None:
        try:
            return self._to_message(status, me, kind, extra or {})
        except (KeyError, TypeError, AttributeError) as exc:
            log.warning(
                "skipping a Mastodon status that could not be read (%s)", type(exc).__name__
            )
            return None

    def _to_message(
        self,
        status: dict[str, Any],
        me: str,
        kind: MessageKind | None,
        extra: dict[str, Any],
    ) -> IncomingMessage | None:
        created = parse_timestamp(status.get("created_at"))
        if created is None:
            log.warning("skipping Mastodon status %s without a timestamp", status.get("id"))
            return None
        account = status["account"]
        acct = str(account.get("acct") or account.get("username") or "")
        content = status.get("content") or ""
        plain = html_to_text(content)
        visibility = str(status.get("visibility") or "")
        if kind is None:
            if visibility == "direct":
                kind = MessageKind.DM
            elif str(status.get("in_reply_to_account_id")) == me:
                kind = MessageKind.REPLY
            else:
                kind = MessageKind.MENTION
        urls = list(plain.urls)
        card = status.get("card") or {}
        if isinstance(card, dict) and card.get("url") and card["url"] not in urls:
            urls.append(card["url"])
        media = tuple(
            (m.get("description") or f"{m.get('type', 'attachment')} without a description")
            for m in status.get("media_attachments") or []
        )
        info: dict[str, Any] = {
            "visibility": visibility,
            "uri": status.get("uri"),
            "acct": acct,
            "mentions": [str(m.get("acct")) for m in status.get("mentions") or []],
            "language": status.get("language"),
            "in_reply_to_account_id": _str_or_none(status.get("in_reply_to_account_id")),
            **extra,
        }
        if status.get("spoiler_text"):
            info["spoiler_text"] = status["spoiler_text"]
        return IncomingMessage(
            platform=Platform.MASTODON,
            account_handle=self.handle,
            remote_id=str(status["id"]),
            author_handle=_qualify(acct, self.host),
            author_name=str(account.get("display_name") or account.get("username") or acct),
            text=plain.text,
            created_at=created,
            kind=kind,
            url=status.get("url") or status.get("uri"),
            in_reply_to=_str_or_none(status.get("in_reply_to_id")),
            raw_markup=content,
            urls=tuple(urls),
            media=media,
            author_remote_id=str(account.get("id")),
            extra=info,
            author_profile=mastodon_profile(account),
        )

    def _direct_text(self, parent: ReplyTarget, text: str) -> str:
        """The text of a direct answer: every participant mentioned, nobody else."""
        own = _local(self.handle.lstrip("@"), self.host).casefold()
        listed = parent.extra.get("participants")
        if not isinstance(listed, list) or not listed:
            # A direct status reaches its author and everyone it mentions; a public post
            # answered privately reaches its author only.
            author = str(parent.extra.get("acct") or parent.author_handle or "").lstrip("@")
            listed = [author] if author else []
            mentions = parent.extra.get("mentions")
            if parent.extra.get("visibility") == "direct" and isinstance(mentions, list):
                listed += [str(m) for m in mentions]
        participants = [_local(str(a).lstrip("@"), self.host) for a in listed]
        allowed = {p.casefold() for p in participants} | {own}
        outsiders = sorted({m for m in _MENTION.findall(text)
                            if _local(m, self.host).casefold() not in allowed})
        if outsiders:
            raise RejectedError(
                "This direct answer mentions " + ", ".join(f"@{m}" for m in outsiders)
                + ", who is not in the conversation: Mastodon would show it to them. "
                "Remove the mention, or answer in public.")
        named = {_local(m, self.host).casefold() for m in _MENTION.findall(text)}
        missing = [f"@{p}" for p in participants
                   if p.casefold() not in named and p.casefold() != own]
        return " ".join([*missing, text]) if missing else text

    def _with_mention(self, parent: ReplyTarget, text: str) -> str:
        acct = str(parent.extra.get("acct") or parent.author_handle or "").lstrip("@")
        if not acct:
            return text
        # Accounts on our own server are written the short way, as Mastodon does.
        acct, own = _local(acct, self.host), _local(self.handle, self.host)
        if acct.casefold() == own.casefold():
            return text  # a reply in our own thread
        words = {w.casefold().rstrip(".,:;!?") for w in text.split()}
        if f"@{acct}".casefold() in words:
            return text
        return f"@{acct} {text}"


# A Mastodon mention: @user or @user@host, not inside a word, an e-mail address or a URL.
_MENTION = re.compile(r"(?<![\w/@])@([A-Za-z0-9_]+(?:@[A-Za-z0-9.-]+\.[A-Za-z]{2,})?)")


def _local(acct: str, host: str) -> str:
    """``user@host`` -> ``user`` for our own host; other accts unchanged."""
    suffix = "@" + host
    return acct.removesuffix(suffix)


def _qualify(acct: str, host: str) -> str:
    """``user`` -> ``user@host``; ``user@other`` stays."""
    return acct if "@" in acct or not acct else f"{acct}@{host}"


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _id_key(value: str) -> tuple[int, str]:
    # Mastodon ids are numeric strings of varying length; compare them as numbers.
    return (len(value), value)


def _entries(reply: Reply) -> list[dict[str, Any]]:
    if not isinstance(reply.data, list):
        raise TransientError("Malformed response from Mastodon: expected a list.")
    return [e for e in reply.data if isinstance(e, dict)]


def _newest(
    reply: Reply,
    entries: list[dict[str, Any]],
    entry_id: Callable[[dict[str, Any]], str],
    current: str | None,
) -> str | None:
    """The newest id of a page: the ``min_id`` of its ``prev`` link, else the largest id."""
    candidates = [i for e in entries if (i := entry_id(e))]
    prev = reply.links.get("prev")
    if prev:
        values = parse_qs(urlsplit(prev).query).get("min_id")
        if values:
            candidates.append(values[0])
    if current:
        candidates.append(current)
    return max(candidates, key=_id_key) if candidates else None


# --- sign-in (OAuth 2.0 authorization code with PKCE) ---------------------------------


def app_key(account_key: str) -> str:
    """The keyring entry holding the registered app (client id and secret) of an account.

    Kept apart from the access token (which the connector reads as it is) and needed to
    revoke the token when the account is removed.
    """
    return f"{account_key}:app"


def normalize_server(server: str) -> str:
    """``mastodon.social`` -> ``https://mastodon.social``; no trailing slash."""
    server = server.strip().rstrip("/")
    if not server:
        raise KnownError("Give the Mastodon server, e.g. https://mastodon.social.")
    if "://" not in server:
        server = "https://" + server
    return server


class MastodonSignIn:
    """One sign-in on a Mastodon server: registers the app, then exchanges the code.

    Registering (``POST /api/v1/apps``) happens in the constructor, so build it on a
    worker. Each sign-in registers its own app with its exact redirect address, which
    is what the loopback's random port needs.

    Args:
        server: the instance, e.g. ``https://mastodon.social``.
        session: the ``requests.Session`` to use.
        redirect_uri: the loopback address, or :data:`OOB_REDIRECT` to have the server
            show the code for pasting.
        scopes: the scopes asked for.
        timeout: (connect, read) seconds.

    Raises:
        KnownError: the server cannot be reached or refuses the registration.
    """

    platform = Platform.MASTODON

    def __init__(self, server: str, *, session: requests.Session, redirect_uri: str,
                 scopes: str = SCOPES, timeout: Timeout = DEFAULT_TIMEOUT) -> None:
        self.server = normalize_server(server)
        self.redirect_uri = redirect_uri
        self.scopes = scopes
        self.state = new_state()
        self._pkce = Pkce.new()
        self._session = session
        self._timeout = timeout
        self._host = urlsplit(self.server).netloc
        http = HttpClient(session, base_url=self.server, service=f"Mastodon ({self._host})",
                          timeout=timeout)
        app = http.post("/api/v1/apps", json={
            "client_name": CLIENT_NAME, "redirect_uris": redirect_uri, "scopes": scopes,
            "website": CLIENT_WEBSITE}).data
        if not isinstance(app, dict) or not app.get("client_id") or not app.get("client_secret"):
            raise TransientError(f"Mastodon ({self._host}) did not register the app.")
        self.client_id = str(app["client_id"])
        self._client_secret = str(app["client_secret"])

    def __repr__(self) -> str:
        return f"MastodonSignIn(server={self.server!r})"

    @property
    def authorize_url(self) -> str:
        """The page to open in the browser."""
        return oauth_authorize_url(f"{self.server}/oauth/authorize", client_id=self.client_id,
                                   redirect_uri=self.redirect_uri, scopes=self.scopes,
                                   state=self.state, pkce=self._pkce)

    def finish(self, auth: Authorization) -> SignInResult:
        """Exchange the code, verify the account, and say what goes into the keyring.

        Raises:
            AuthError: the code was refused, or the answer belongs to another sign-in.
        """
        check_state(auth, self.state)
        token = token_request(self._session, f"{self.server}/oauth/token", {
            "grant_type": "authorization_code", "code": auth.code,
            "client_id": self.client_id, "client_secret": self._client_secret,
            "redirect_uri": self.redirect_uri, "code_verifier": self._pkce.verifier,
            "scope": self.scopes}, service=f"Mastodon ({self._host})", timeout=self._timeout)
        access = token.get("access_token")
        if not isinstance(access, str) or not access:
            raise TransientError(f"Mastodon ({self._host}) sent no access token.")
        probe = MemorySecretStore({"probe": access})
        info = MastodonConnector(handle="", server=self.server, session=self._session,
                                 secrets=probe, account_key="probe",
                                 timeout=self._timeout).verify()
        handle = "@" + info.handle
        key = secret_key(Platform.MASTODON.value, handle)
        app = json.dumps({"client_id": self.client_id, "client_secret": self._client_secret,
                          "server": self.server})
        return SignInResult(platform=Platform.MASTODON.value, handle=handle,
                            display_name=info.display_name, server=self.server,
                            entries={key: access, app_key(key): app})


def revoke_token(session: requests.Session, server: str, token: str, app: str | None, *,
                 timeout: Timeout = DEFAULT_TIMEOUT) -> bool:
    """Revoke an access token with ``POST /oauth/revoke``.

    Args:
        session: the ``requests.Session`` to use.
        server: the instance.
        token: the access token.
        app: the stored app entry (client id and secret), or ``None`` for a token made
            by hand in the server's settings, which only the user can revoke there.

    Returns:
        Whether the server revoked it.

    Raises:
        KnownError: the server could not be reached or refused.
    """
    try:
        client = json.loads(app) if app else None
    except ValueError:
        client = None
    if not isinstance(client, dict) or not client.get("client_id"):
        return False
    server = normalize_server(str(client.get("server") or server))
    token_request(session, f"{server}/oauth/revoke", {
        "client_id": str(client["client_id"]),
        "client_secret": str(client.get("client_secret") or ""), "token": token},
        service=f"Mastodon ({urlsplit(server).netloc})", timeout=timeout)
    return True

"""Bluesky connector: AT Protocol XRPC through the account's PDS, logged in with an app password.

Login is ``com.atproto.server.createSession`` with the handle and the app password
from the secret store. The access and refresh JWTs live in memory; the refresh JWT
is also kept in the secret store (key ``<account_key>:session``) so a restart does
not need a new login. An ``ExpiredToken`` answer triggers
``com.atproto.server.refreshSession`` and one retry; if the refresh is refused too,
the connector logs in again with the app password.

Nobody has to type a server: without one, the PDS is found from the handle
(:class:`IdentityResolver`: handle -> DID -> DID document -> ``#atproto_pds`` service),
as the AT Protocol identity specs describe. Every call goes to that PDS (or to the
``server`` given, until the DID document in the login answer names the PDS); the PDS
proxies ``app.bsky.*`` reads to the AppView. The access JWT is renewed before its
``exp`` passes, and after an ``ExpiredToken`` answer.

Inbound items are ``app.bsky.notification.listNotifications`` entries with reason
``mention``, ``reply`` or ``quote``. Notifications come newest first with a cursor
for older ones, so the sync cursor remembers the newest ``indexedAt`` already
delivered and the next fetch pages down until it reaches it. Cursor format
(opaque to callers)::

    {"v":1,"seen":"<indexedAt>","ids":[<uris at that instant>]}
    # while a long catch-up is split over several fetches (has_more=True):
    {"v":1,"seen":...,"ids":[...],"resume":"<API cursor>","top":"<indexedAt>","top_ids":[...]}

``IncomingMessage.extra`` keys: ``uri``, ``cid``, ``root_uri``, ``root_cid`` (the
post itself when it is not a reply), ``parent_uri``/``parent_cid`` (replies),
``indexed_at``, ``reason`` (notifications), ``quoted_uri`` (quotes), ``langs``.

Direct messages come from the chat service (``chat.bsky.convo.listConvos`` and
``getMessages``) and are answered with ``sendMessage``: every chat call goes to the
PDS with the header ``atproto-proxy: did:web:api.bsky.chat#bsky_chat`` and the PDS
forwards it (``chat_url`` sends them elsewhere: the tests' local stand-in, as the
local network has no chat service). The app password must have been created with
"Allow access to your direct messages"; without it the service answers
``InvalidToken`` ("Bad token scope"/"Bad token method"), raised as
:class:`DirectMessagesNotAllowed`; the sync then reads mentions only and
:meth:`BlueskyConnector.verify` says so in ``AccountInfo.notes``. The cursor keeps
the newest conversation ``rev`` seen under ``"dm"``: revs are timestamp ids that sort
as text, so a convo or message with a higher rev is new. While a catch-up is split
over several fetches, ``"dm_todo"`` lists the conversations still to read and
``"dm_top"`` the rev ``"dm"`` moves to when they are done. DM ``extra`` keys: ``convo_id``,
``message_id``, ``rev``, ``visibility`` ("direct").
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, unquote, urlsplit

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
from console.connectors.http import DEFAULT_TIMEOUT, ErrorInfo, HttpClient, Timeout
from console.connectors.profiles import bluesky_profile
from console.core.errors import (
    AuthError,
    KnownError,
    NetworkError,
    NotFoundError,
    RejectedError,
    SecretStoreError,
    TransientError,
)
from console.core.models import IncomingMessage, MessageKind, Platform, ProfileEvidence
from console.core.secrets import Secret, SecretStore

log = logging.getLogger(__name__)

CHAR_LIMIT: Final = 300  # graphemes per post
PAGE_LIMIT: Final = 100  # listNotifications maximum
# Notification pages per fetch before handing back has_more: one, so the engine stores
# each page while the next one downloads.
MAX_PAGES: Final = 1
REASONS: Final = ("mention", "reply", "quote")
POST_TYPE: Final = "app.bsky.feed.post"
SENT_REPLY_PAGES: Final = 4  # listRecords pages (50 each) searched by find_sent_reply
SENT_REPLY_SLACK: Final = dt.timedelta(minutes=5)

PLC_DIRECTORY: Final = "https://plc.directory"
# Who answers com.atproto.identity.resolveHandle (it does the DNS TXT lookup, which the
# standard library cannot). Any AppView or PDS serves it; this is Bluesky's public one.
HANDLE_RESOLVER: Final = "https://public.api.bsky.app"
IDENTITY_TIMEOUT: Final = (3.0, 10.0)
EXPIRY_MARGIN: Final = 30.0  # seconds before the access JWT's exp at which it is renewed

CHAT_PROXY: Final = "did:web:api.bsky.chat#bsky_chat"  # atproto-proxy for chat.bsky.*
CHAT_PAGE_LIMIT: Final = 100  # listConvos/getMessages maximum
CHAT_MAX_PAGES: Final = 20  # per conversation list / conversation and fetch
DM_FIRST_SYNC: Final = 20  # messages per conversation read on an account's first sync
DM_CHAR_LIMIT: Final = 1000  # graphemes per chat message (messageInput lexicon)
_DM_REFUSED = ("bad token scope", "bad token method")
_DM_KEYS = ("dm", "dm_todo", "dm_top")  # the cursor's direct-message part

_KINDS = {"mention": MessageKind.MENTION, "reply": MessageKind.REPLY, "quote": MessageKind.QUOTE}
_PREFERENCE = {MessageKind.MENTION: 0, MessageKind.QUOTE: 1, MessageKind.REPLY: 2}
_AUTH_CODES = frozenset(
    {"AuthenticationRequired", "AuthMissing", "AccountTakedown", "AccountDeactivated"}
)
_SESSION_CODES = frozenset({"ExpiredToken", "InvalidToken"})

# Mentions and links as the Bluesky docs detect them, on the UTF-8 bytes so the
# match offsets are the byteStart/byteEnd a facet needs.
_MENTION = re.compile(
    rb"(?:^|\W)(@(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+"
    rb"[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)"
)
_LINK = re.compile(
    rb"(?:^|\W)(https?://(?:www\.)?[-a-zA-Z0-9@:%._+~#=]{1,256}\.[a-zA-Z0-9()]{1,6}\b"
    rb"(?:[-a-zA-Z0-9()@:%_+.~#?&/=]*[-a-zA-Z0-9@%_+~#/=])?)"
)


class _SessionRejected(AuthError):
    """The access token expired or is no longer accepted: refresh or log in, then retry."""


class DirectMessagesNotAllowed(AuthError):
    """The app password was made without "Allow access to your direct messages"."""


@dataclass(frozen=True)
class _Session:
    did: str
    handle: str
    pds: str
    access: Secret
    refresh: Secret
    expires: float | None = None  # the access JWT's exp, read once at login (not per call)


@dataclass(frozen=True)
class Identity:
    """Who a handle is and where its data lives."""

    did: str
    handle: str
    pds: str


class IdentityResolver:
    """Handle -> DID -> DID document -> PDS, the way the AT Protocol specs say.

    1. The handle's DID: ``https://<handle>/.well-known/atproto-did``, then
       ``com.atproto.identity.resolveHandle`` on ``handle_resolver`` (which also checks
       the ``_atproto.<handle>`` DNS TXT record).
    2. The DID document: ``did:plc`` from the PLC directory, ``did:web`` from
       ``https://<host>/.well-known/did.json``.
    3. The document must claim the handle back (``alsoKnownAs`` ``at://<handle>``), and
       its ``#atproto_pds`` service is the PDS.

    Args:
        session: the ``requests.Session`` to use.
        plc_url: the PLC directory (tests: the local network's).
        handle_resolver: a service answering ``resolveHandle`` (tests: the local PDS).
        web_scheme: ``https`` (the did:web spec); tests may serve did.json over http.
        timeout: (connect, read) seconds per call.
    """

    def __init__(self, session: requests.Session, *, plc_url: str = PLC_DIRECTORY,
                 handle_resolver: str = HANDLE_RESOLVER, web_scheme: str = "https",
                 timeout: Timeout = IDENTITY_TIMEOUT) -> None:
        self._session = session
        self.plc_url = plc_url.rstrip("/")
        self.handle_resolver = handle_resolver.rstrip("/")
        self._web_scheme = web_scheme
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"IdentityResolver(plc_url={self.plc_url!r})"

    def resolve(self, handle: str) -> Identity:
        """Find the DID and PDS of ``handle``.

        Raises:
            NotFoundError: the handle does not resolve, or its DID document disowns it.
            NetworkError: the services cannot be reached.
        """
        handle = handle.lstrip("@").strip().lower()
        did = handle if handle.startswith("did:") else self.resolve_handle(handle)
        doc = self.did_document(did)
        aliases = [str(a) for a in doc.get("alsoKnownAs") or []]
        if not handle.startswith("did:") and f"at://{handle}" not in aliases:
            raise NotFoundError(f"The identity of {handle} ({did}) does not confirm the handle; "
                                "check the spelling of the handle.")
        pds = _pds_endpoint(doc)
        if pds is None:
            raise NotFoundError(f"The DID document of {handle} names no PDS.")
        known = next((a[5:] for a in aliases if a.startswith("at://")), handle)
        return Identity(did=did, handle=handle if not handle.startswith("did:") else known,
                        pds=pds)

    def resolve_handle(self, handle: str) -> str:
        """The DID of ``handle``: its .well-known file, else resolveHandle.

        Raises:
            NotFoundError: nothing resolves it.
        """
        try:
            response = self._session.get(f"https://{handle}/.well-known/atproto-did",
                                         timeout=self._timeout, allow_redirects=False)
            text = response.text.strip() if response.status_code == 200 else ""
            if text.startswith("did:") and len(text.split()) == 1:
                return text
        except requests.RequestException as exc:
            log.debug("no .well-known handle file for %s (%s)", handle, type(exc).__name__)
        data = self._get(f"{self.handle_resolver}/xrpc/com.atproto.identity.resolveHandle",
                         {"handle": handle}, what=f"the handle {handle}")
        did = data.get("did")
        if not isinstance(did, str) or not did.startswith("did:"):
            raise NotFoundError(f"The handle {handle} does not resolve to a Bluesky account.")
        return did

    def did_document(self, did: str) -> dict[str, Any]:
        """The DID document of a ``did:plc`` or ``did:web``.

        Raises:
            NotFoundError: another DID method, or no document.
        """
        if did.startswith("did:plc:"):
            return self._get(f"{self.plc_url}/{quote(did, safe=':')}", None,
                             what=f"the identity {did}")
        if did.startswith("did:web:"):
            host = unquote(did[len("did:web:"):])
            if ":" in did[len("did:web:"):]:
                raise NotFoundError(f"{did}: did:web with a path is not used by AT Protocol.")
            return self._get(f"{self._web_scheme}://{host}/.well-known/did.json", None,
                             what=f"the identity {did}")
        raise NotFoundError(f"{did}: AT Protocol uses did:plc and did:web identities only.")

    def _get(self, url: str, params: dict[str, str] | None, *, what: str) -> dict[str, Any]:
        host = urlsplit(url).netloc
        try:
            response = self._session.get(url, params=params, timeout=self._timeout)
        except requests.RequestException as exc:
            raise NetworkError(f"Cannot look up {what}: {host} is unreachable "
                               f"({type(exc).__name__}).") from None
        if response.status_code in (400, 404, 410):
            raise NotFoundError(f"{what[0].upper()}{what[1:]} was not found ({host} answered "
                                f"HTTP {response.status_code}); check the handle.")
        if response.status_code >= 400:
            raise TransientError(f"Cannot look up {what}: {host} answered HTTP "
                                 f"{response.status_code}.")
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise TransientError(f"Cannot look up {what}: {host} sent no JSON document.")
        return data


class BlueskyConnector:
    """One Bluesky account, logged in with an app password from the secret store.

    Args:
        handle: the account's handle, e.g. ``brand.bsky.social`` (the login identifier).
        server: the PDS base URL, or ``None`` to find it from the handle.
        session: the ``requests.Session`` to use.
        secrets: where the app password is stored.
        account_key: the app password's key in ``secrets``.
        resolver: finds the PDS when ``server`` is ``None``.
        timeout: (connect, read) seconds for every call.
        sleep: how to wait between retries.
        clock: the current Unix time.
        chat_url: where chat calls go instead of the PDS (tests' local chat server).
        direct_messages: read direct messages too (the registry's connectors do).
    """

    platform = Platform.BLUESKY

    def __init__(
        self,
        *,
        handle: str,
        server: str | None,
        session: requests.Session,
        secrets: SecretStore,
        account_key: str,
        resolver: IdentityResolver | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        chat_url: str | None = None,
        direct_messages: bool = False,
    ) -> None:
        self.handle = handle.lstrip("@")
        self._resolver = resolver or IdentityResolver(session)
        self._located = server is not None
        self.server = (server or HANDLE_RESOLVER).rstrip("/")
        self.account_key = account_key
        self._requests = session
        self._secrets = secrets
        self._timeout = timeout
        self._sleep = sleep
        self._clock = clock
        self._session: _Session | None = None
        self._known: list[Secret] = []
        self._dids: dict[str, str | None] = {}
        self._http = self._client(self.server)
        # None: through the PDS with the proxy header (production). Tests point it at
        # the local stand-in for the closed-source chat service.
        self._chat_http = self._client(chat_url) if chat_url else None
        self.dms_allowed: bool | None = None  # unknown until a chat call answered
        self.direct_messages = direct_messages

    def __repr__(self) -> str:
        return f"BlueskyConnector(handle={self.handle!r}, server={self.server!r})"

    @property
    def session_key(self) -> str:
        """The secret-store key under which the refresh JWT is kept."""
        return f"{self.account_key}:session"

    # --- Connector API -----------------------------------------------------------------

    def verify(self) -> AccountInfo:
        """Log in (or refresh) and read the account's profile.

        Returns:
            The account behind the app password.

        Raises:
            AuthError: no app password stored, or Bluesky refused it.
        """
        session = self._ensure_session()
        profile = self._call("GET", "app.bsky.actor.getProfile", params={"actor": session.did})
        notes: tuple[str, ...] = ()
        if self.direct_messages:
            try:
                self._chat("GET", "chat.bsky.convo.listConvos", params={"limit": 1})
            except DirectMessagesNotAllowed as exc:
                notes = (str(exc),)
            except (TransientError, NotFoundError, RejectedError) as exc:
                # The chat service is down or unknown to this PDS: the account itself works.
                notes = (f"Direct messages could not be checked ({exc}); mentions sync "
                         "meanwhile.",)
        return AccountInfo(
            handle=session.handle,
            display_name=str(profile.get("displayName") or session.handle),
            remote_id=session.did,
            server=session.pds,
            char_limit=CHAR_LIMIT,
            notes=notes,
        )

    def fetch_since(self, cursor: str | None) -> Page:
        """Fetch mentions, replies, quotes and direct messages newer than ``cursor``.

        A long catch-up comes in pieces (``has_more``): one page of notifications at a
        time, then the new direct messages about a page at a time, so the engine can
        store one piece while the next is on its way.

        Args:
            cursor: from the previous page, or ``None`` for the newest 100 notifications
                and the newest messages of each conversation.

        Returns:
            The new items, oldest first, and the next cursor.
        """
        state = decode_cursor(cursor) or {}
        dm_state = {k: state[k] for k in _DM_KEYS if k in state}
        if self.direct_messages and "dm_todo" in dm_state:
            # Notifications were caught up before the conversations were listed.
            rest = {k: v for k, v in state.items() if k not in _DM_KEYS}
            page = Page(items=[], cursor=encode_cursor(rest or {"v": 1}), has_more=False)
        else:
            page = self._fetch_notifications(state)
        next_state = decode_cursor(page.cursor) or {"v": 1}
        items = list(page.items)
        has_more = page.has_more
        if self.direct_messages and not page.has_more:
            try:
                dms, dm_state = self._fetch_dms(dm_state)
            except DirectMessagesNotAllowed as exc:
                log.warning("%s; reading mentions only", exc)
            except (TransientError, NotFoundError, RejectedError) as exc:
                # The chat service failing must not hold back the mentions: the DM part
                # of the cursor stays, so the next sync reads the same messages again.
                log.warning("direct messages of %s not read this time: %s", self.handle, exc)
            else:
                items.extend(dms)
                has_more = "dm_todo" in dm_state
        next_state.update(dm_state)
        items.sort(key=lambda m: (m.created_at, m.remote_id))
        return Page(items=items, cursor=encode_cursor(next_state), has_more=has_more)

    def _fetch_dms(self, state: dict[str, Any]) -> tuple[list[IncomingMessage], dict[str, Any]]:
        """The next piece of direct messages to us, newer than the conversation rev ``dm``.

        Conversations come most recently active first, so listing stops at the first one
        not newer than ``dm``; the ones to read wait in ``dm_todo`` (with their other
        members' handles) and are read until about a page of messages is collected.
        Once none is left, ``dm`` moves to the newest rev seen (``dm_top``).

        Returns:
            The new messages, and the DM part of the next cursor.
        """
        session = self._ensure_session()
        since = state.get("dm") if isinstance(state.get("dm"), str) else None
        todo = state.get("dm_todo")
        top = state.get("dm_top")
        if not isinstance(todo, list):
            todo, top = self._convos_to_read(since, session.did)
        items: list[IncomingMessage] = []
        while todo and len(items) < CHAT_PAGE_LIMIT:
            entry = todo.pop(0)
            items.extend(self._convo_messages(entry, since, session.did))
        if todo:
            return items, {"dm": since, "dm_todo": todo, "dm_top": top}
        # "" after a first sync without conversations: every later one is new.
        newest = top if isinstance(top, str) else since
        return items, {"dm": newest if newest is not None else ""}

    def _chat_newer(self, endpoint: str, key: str, params: dict[str, Any], since: str | None,
                    *, pages: int = CHAT_MAX_PAGES) -> Iterator[dict[str, Any]]:
        """The items of a chat listing (newest first) whose ``rev`` is newer than ``since``,
        page after page until one is not (it and all after it hold nothing new).

        Raises:
            TransientError: a page is not a listing.
        """
        cursor: str | None = None
        for _ in range(pages):
            query = {**params, "cursor": cursor} if cursor else dict(params)
            data = self._chat("GET", endpoint, params=query)
            items = data.get(key) if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise TransientError("Malformed response from the Bluesky chat service.")
            for item in items:
                if since is not None and str(item.get("rev") or "") <= since:
                    return
                yield item
            cursor = data.get("cursor")
            if not cursor or not items:
                return

    def _convos_to_read(self, since: str | None,
                        me: str) -> tuple[list[dict[str, Any]], str | None]:
        """The conversations with news since ``since``, and the newest rev among them."""
        todo: list[dict[str, Any]] = []
        newest = since
        for convo in self._chat_newer("chat.bsky.convo.listConvos", "convos",
                                      {"limit": CHAT_PAGE_LIMIT}, since):
            rev = str(convo.get("rev") or "")
            if newest is None or rev > newest:
                newest = rev
            last = convo.get("lastMessage") or {}
            if since is None and (last.get("sender") or {}).get("did") == me:
                continue  # first sync: we spoke last, nothing waits for an answer
            todo.append({"id": str(convo.get("id") or ""), "m": {
                str(m["did"]): [str(m.get("handle") or m["did"]),
                                str(m.get("displayName") or "")]
                for m in convo.get("members") or [] if m.get("did") and m["did"] != me}})
        return todo, newest

    def _fetch_notifications(self, state: dict[str, Any]) -> Page:
        """The notifications part of :meth:`fetch_since` (its cursor keys: see the module)."""
        if not state or not state.get("seen"):
            data = self._notifications(None)
            notifications = data["notifications"]
            newest, newest_ids = _newest(notifications, None, [])
            items = self._relevant(notifications)
            return Page(items=items, cursor=_cursor(newest, newest_ids), has_more=False)

        seen = str(state["seen"])
        seen_at = parse_timestamp(seen)
        seen_ids = set(state.get("ids") or [])
        api_cursor: str | None = state.get("resume")
        top: str | None = state.get("top")
        top_ids: list[str] = list(state.get("top_ids") or [])
        collected: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            data = self._notifications(api_cursor)
            notifications = data["notifications"]
            if top is None:
                top, top_ids = _newest(notifications, seen, sorted(seen_ids))
            reached = False
            for entry in notifications:
                at = parse_timestamp(entry.get("indexedAt"))
                if (
                    seen_at is not None
                    and at is not None
                    and (at < seen_at or (at == seen_at and entry.get("uri") in seen_ids))
                ):
                    reached = True
                    break
                collected.append(entry)
            api_cursor = data.get("cursor")
            if reached or not api_cursor or not notifications:
                return Page(
                    items=self._relevant(collected),
                    cursor=_cursor(top or seen, top_ids),
                    has_more=False,
                )
        state = {
            "v": 1,
            "seen": seen,
            "ids": sorted(seen_ids),
            "resume": api_cursor,
            "top": top,
            "top_ids": top_ids,
        }
        return Page(items=self._relevant(collected), cursor=encode_cursor(state), has_more=True)

    def _convo_messages(self, entry: dict[str, Any], since: str | None,
                        me: str) -> list[IncomingMessage]:
        convo_id = str(entry["id"])
        members = {did: {"handle": handle, "displayName": name}
                   for did, (handle, name) in (entry.get("m") or {}).items()}
        out: list[IncomingMessage] = []
        limit = DM_FIRST_SYNC if since is None else CHAT_PAGE_LIMIT
        # A first sync reads one page of each conversation (its recent messages).
        for view in self._chat_newer("chat.bsky.convo.getMessages", "messages",
                                     {"convoId": convo_id, "limit": limit}, since,
                                     pages=1 if since is None else CHAT_MAX_PAGES):
            msg = self._dm(view, convo_id, members, me)
            if msg is not None:
                out.append(msg)
        return out

    def _dm(self, view: dict[str, Any], convo_id: str, members: dict[str, dict[str, Any]],
            me: str) -> IncomingMessage | None:
        """One chat message to us (a ``messageView``; deleted and system messages are not)."""
        if view.get("$type", "chat.bsky.convo.defs#messageView") != (
                "chat.bsky.convo.defs#messageView") or "text" not in view:
            return None
        sender = str((view.get("sender") or {}).get("did") or "")
        if not sender or sender == me:
            return None  # our own replies enter the case when they are sent
        created = parse_timestamp(view.get("sentAt"))
        if created is None:
            return None
        profile = members.get(sender) or {}
        handle = str(profile.get("handle") or sender)
        return IncomingMessage(
            platform=Platform.BLUESKY,
            account_handle=self._session.handle if self._session else self.handle,
            remote_id=str(view["id"]),
            author_handle=handle,
            author_name=str(profile.get("displayName") or handle),
            text=str(view.get("text") or ""),
            created_at=created,
            kind=MessageKind.DM,
            url=None,  # chat messages have no public address
            thread_root=f"convo:{convo_id}",
            author_remote_id=sender,
            extra={"convo_id": convo_id, "message_id": str(view["id"]),
                   "rev": str(view.get("rev") or ""), "visibility": "direct"},
        )

    def send_direct(self, parent: ReplyTarget, text: str, *, idempotency_key: str) -> SentRef:
        """Send ``text`` as a chat message: in the DM's conversation, or to the post's author.

        A public post answered privately ("continue in a direct message") opens, or
        finds, the 1-1 conversation with its author (``getConvoForMembers``).
        """
        convo_id = self._convo_for(parent)
        log.info("sending a Bluesky direct message (outbox key %s)", idempotency_key)
        body: dict[str, Any] = {"convoId": convo_id, "message": {"text": text}}
        facets = self.build_facets(text)
        if facets:
            body["message"]["facets"] = facets
        data = self._chat("POST", "chat.bsky.convo.sendMessage", body=body)
        try:
            return SentRef(remote_id=str(data["id"]), url=None,
                           extra={"convo_id": convo_id, "rev": str(data.get("rev") or "")})
        except (KeyError, TypeError):
            raise TransientError("Malformed answer from the Bluesky chat service.") from None

    def _convo_for(self, parent: ReplyTarget) -> str:
        convo_id = parent.extra.get("convo_id")
        if convo_id:
            return str(convo_id)
        did = parent.extra.get("author_did") or (
            self.resolve_handle(parent.author_handle) if parent.author_handle else None)
        if not did:
            raise NotFoundError(f"Cannot find the Bluesky account {parent.author_handle} "
                                "to write to.")
        data = self._chat("GET", "chat.bsky.convo.getConvoForMembers",
                          params={"members": [str(did)]})
        try:
            return str(data["convo"]["id"])
        except (KeyError, TypeError):
            raise TransientError("Malformed answer from the Bluesky chat service.") from None

    def _find_sent_direct(self, parent: ReplyTarget, text: str,
                          since: dt.datetime) -> SentRef | None:
        session = self._ensure_session()
        convo_id = self._convo_for(parent)
        wanted = normalize_for_match(text)
        oldest = since - SENT_REPLY_SLACK
        data = self._chat("GET", "chat.bsky.convo.getMessages",
                          params={"convoId": convo_id, "limit": CHAT_PAGE_LIMIT})
        for view in data.get("messages") or []:
            sent = parse_timestamp(view.get("sentAt"))
            if sent is not None and sent < oldest:
                return None
            if ((view.get("sender") or {}).get("did") == session.did
                    and normalize_for_match(str(view.get("text") or "")) == wanted):
                return SentRef(remote_id=str(view["id"]), url=None,
                               extra={"convo_id": convo_id, "rev": str(view.get("rev") or "")})
        return None

    def fetch_thread(self, ref: str) -> list[IncomingMessage]:
        """Fetch a post's thread (parents, the post, replies), oldest first.

        Args:
            ref: the post's ``at://`` URI.

        Returns:
            The thread's posts as messages.
        """
        data = self._call(
            "GET",
            "app.bsky.feed.getPostThread",
            params={"uri": ref, "depth": 20, "parentHeight": 50},
        )
        thread = data.get("thread") or {}
        nodes: list[dict[str, Any]] = []
        parent = thread.get("parent")
        while isinstance(parent, dict) and "post" in parent:
            nodes.append(parent)
            parent = parent.get("parent")
        nodes.reverse()
        if "post" in thread:
            nodes.append(thread)
            nodes.extend(_replies(thread))
        messages = []
        for node in nodes:
            post = node["post"]
            record = post.get("record") or {}
            kind = MessageKind.REPLY if record.get("reply") else MessageKind.MENTION
            msg = self._message(post, record, kind, {})
            if msg is not None:
                messages.append(msg)
        return messages

    def send_reply(
        self,
        parent: ReplyTarget,
        text: str,
        *,
        idempotency_key: str,
        visibility: str | None = None,
    ) -> SentRef:
        """Create an ``app.bsky.feed.post`` replying to ``parent`` with mention and link facets.

        Bluesky has no idempotency key: before retrying after an unknown outcome,
        call :meth:`find_sent_reply`.

        Args:
            parent: the post answered (``extra`` with ``uri``/``cid``/``root_uri``/``root_cid``;
                missing strong references are looked up).
            text: the reply.
            idempotency_key: logged only.
            visibility: ``"direct"`` sends a chat message instead (in the DM's
                conversation, or to the post's author); posts are otherwise public.

        Returns:
            The new post.
        """
        if visibility == "direct" or parent.extra.get("convo_id"):
            return self.send_direct(parent, text, idempotency_key=idempotency_key)
        session = self._ensure_session()
        parent_ref, root_ref = self._strong_refs(parent)
        record: dict[str, Any] = {
            "$type": POST_TYPE,
            "text": text,
            "createdAt": _now_iso(self._clock()),
            "reply": {"root": root_ref, "parent": parent_ref},
        }
        facets = self.build_facets(text)
        if facets:
            record["facets"] = facets
        log.info("posting a Bluesky reply (outbox key %s)", idempotency_key)
        data = self._call(
            "POST",
            "com.atproto.repo.createRecord",
            body={"repo": session.did, "collection": POST_TYPE, "record": record},
        )
        uri = str(data["uri"])
        return SentRef(
            remote_id=uri,
            url=_web_url(session.handle, uri),
            extra={"uri": uri, "cid": data.get("cid")},
        )

    def find_sent_reply(self, parent: ReplyTarget, text: str, since: dt.datetime) -> SentRef | None:
        """Look in our own repository (on the PDS, no indexing delay) for this reply.

        Args:
            parent: the post answered.
            text: the reply text.
            since: when the first attempt was made.

        Returns:
            The reply if it was posted, else ``None``.
        """
        if parent.visibility == "direct" or parent.extra.get("convo_id"):
            return self._find_sent_direct(parent, text, since)
        session = self._ensure_session()
        parent_uri = str(parent.extra.get("uri") or parent.remote_id)
        wanted = normalize_for_match(text)
        oldest = since - SENT_REPLY_SLACK
        cursor: str | None = None
        for _ in range(SENT_REPLY_PAGES):
            params: dict[str, Any] = {"repo": session.did, "collection": POST_TYPE, "limit": 50}
            if cursor:
                params["cursor"] = cursor
            data = self._call("GET", "com.atproto.repo.listRecords", params=params)
            for item in data.get("records") or []:
                value = item.get("value") or {}
                created = parse_timestamp(value.get("createdAt"))
                if created is not None and created < oldest:
                    return None  # newest first: everything further is older
                reply_parent = ((value.get("reply") or {}).get("parent") or {}).get("uri")
                if (
                    reply_parent == parent_uri
                    and normalize_for_match(str(value.get("text") or "")) == wanted
                ):
                    uri = str(item["uri"])
                    return SentRef(
                        remote_id=uri,
                        url=_web_url(session.handle, uri),
                        extra={"uri": uri, "cid": item.get("cid")},
                    )
            cursor = data.get("cursor")
            if not cursor:
                break
        return None

    # --- rich text ---------------------------------------------------------------------

    def build_facets(self, text: str) -> list[dict[str, Any]]:
        """Facets for the ``@handles`` and links in ``text``, with UTF-8 byte offsets.

        Handles are resolved with ``com.atproto.identity.resolveHandle``; one that
        does not resolve gets no facet (the text stays as written).

        Args:
            text: the post text.

        Returns:
            ``app.bsky.richtext.facet`` objects, in text order.
        """
        raw = text.encode("utf-8")
        facets: list[dict[str, Any]] = []
        for match in _MENTION.finditer(raw):
            handle = match.group(1)[1:].decode("utf-8")
            did = self.resolve_handle(handle)
            if did:
                facets.append(_facet(match.start(1), match.end(1), "mention", did=did))
        for match in _LINK.finditer(raw):
            facets.append(
                _facet(match.start(1), match.end(1), "link", uri=match.group(1).decode("utf-8"))
            )
        facets.sort(key=lambda f: int(f["index"]["byteStart"]))
        return facets

    def resolve_handle(self, handle: str) -> str | None:
        """Resolve a handle to its DID through the PDS, or ``None`` if it does not resolve.

        Args:
            handle: e.g. ``alice.bsky.social`` (no ``@``).

        Returns:
            The DID, or ``None``.
        """
        key = handle.lower()
        if key not in self._dids:
            try:
                data = self._http.get(
                    "/xrpc/com.atproto.identity.resolveHandle", params={"handle": key}
                ).data
                self._dids[key] = str(data["did"]) if data and data.get("did") else None
            except (RejectedError, NotFoundError):
                self._dids[key] = None
        return self._dids[key]

    # --- session -----------------------------------------------------------------------

    def _client(self, base_url: str) -> HttpClient:
        return HttpClient(
            self._requests,
            base_url=base_url,
            service=f"Bluesky ({urlsplit(base_url).netloc})",
            secrets=self._known_secrets,
            timeout=self._timeout,
            sleep=self._sleep,
            clock=self._clock,
            error_hook=self._error_hook,
        )

    def _known_secrets(self) -> Iterable[str]:
        return [s.reveal() for s in self._known]

    def _remember(self, secret: Secret) -> Secret:
        if secret not in self._known:
            self._known.append(secret)
        return secret

    def _error_hook(self, info: ErrorInfo) -> KnownError | None:
        said = f": {info.message}" if info.message else ""
        if ("/xrpc/chat.bsky." in info.path and info.code in _SESSION_CODES
                and info.message.casefold().startswith(_DM_REFUSED)):
            self.dms_allowed = False
            return DirectMessagesNotAllowed(
                f"The app password of {self.handle} does not allow direct messages, so they "
                "are not read or answered. Create an app password with \"Allow access to "
                "your direct messages\" ticked (Bluesky: Settings > Privacy and security > "
                "App passwords) and enter it for this account.")
        if info.code in _SESSION_CODES and not info.path.endswith(
            ("server.createSession", "server.refreshSession")
        ):
            return _SessionRejected(f"Bluesky session no longer accepted ({info.code}{said})")
        if info.code in _AUTH_CODES or (
            info.code in _SESSION_CODES and info.path.endswith("server.refreshSession")
        ):
            return AuthError(
                f"Bluesky ({self._http.host}) refused the login for {self.handle}{said}. "
                "Check the app password in Settings (Bluesky: Settings > Privacy and "
                "security > App passwords)."
            )
        return None

    def _locate(self) -> None:
        """Find the account's PDS from its handle, once, when no server was given."""
        if self._located:
            return
        identity = self._resolver.resolve(self.handle)
        log.info("Bluesky account %s (%s) lives on PDS %s", self.handle, identity.did,
                 identity.pds)
        self.server = identity.pds
        self._http = self._client(identity.pds)
        self._located = True

    def _ensure_session(self) -> _Session:
        if self._session is not None:
            return self._session
        self._locate()
        stored = self._secrets.get(self.session_key)
        if stored:
            try:
                return self._refresh(self._remember(Secret(stored)))
            except (AuthError, RejectedError) as exc:
                log.info(
                    "stored Bluesky session for %s not accepted (%s); logging in",
                    self.handle,
                    type(exc).__name__,
                )
        return self._login()

    def _login(self) -> _Session:
        password = self._secrets.get(self.account_key)
        if not password:
            raise AuthError(
                f"No app password is stored for the Bluesky account {self.handle}. "
                "Connect the account in Settings."
            )
        self._remember(Secret(password))
        data = self._http.post(
            "/xrpc/com.atproto.server.createSession",
            json={"identifier": self.handle, "password": password},
        ).data
        return self._adopt(data)

    def _refresh(self, refresh: Secret) -> _Session:
        data = self._http.post("/xrpc/com.atproto.server.refreshSession", token=refresh).data
        return self._adopt(data)

    def _renew(self, session: _Session) -> _Session:
        self._session = None
        try:
            return self._refresh(session.refresh)
        except (AuthError, RejectedError):
            return self._login()

    def _adopt(self, data: Any) -> _Session:
        try:
            session = _Session(
                did=str(data["did"]),
                handle=str(data.get("handle") or self.handle),
                pds=_pds_endpoint(data.get("didDoc")) or self._http.base_url,
                access=self._remember(Secret(str(data["accessJwt"]))),
                refresh=self._remember(Secret(str(data["refreshJwt"]))),
                expires=_jwt_expiry(Secret(str(data["accessJwt"]))),
            )
        except (KeyError, TypeError):
            raise TransientError("Malformed login response from Bluesky.") from None
        if session.pds != self._http.base_url:
            log.info("Bluesky account %s lives on PDS %s", session.handle, session.pds)
            self._http = self._client(session.pds)
        self._session = session
        try:
            self._secrets.set(self.session_key, session.refresh.reveal())
        except SecretStoreError as exc:
            log.warning("could not keep the Bluesky session in the keyring: %s", exc)
        return session

    def _call(
        self,
        method: str,
        nsid: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        session = self._ensure_session()
        expires = session.expires
        if expires is not None and self._clock() >= expires - EXPIRY_MARGIN:
            log.debug("Bluesky access token of %s expires; refreshing", self.handle)
            session = self._renew(session)
        try:
            return self._http.request(
                method, f"/xrpc/{nsid}", params=params, json=body, token=session.access
            ).data
        except _SessionRejected:
            session = self._renew(session)
            try:
                return self._http.request(
                    method, f"/xrpc/{nsid}", params=params, json=body, token=session.access
                ).data
            except _SessionRejected as exc:
                raise AuthError(
                    f"Bluesky keeps refusing the session for {self.handle} ({exc}). "
                    "Reconnect the account in Settings."
                ) from None

    def _chat(self, method: str, nsid: str, *, params: dict[str, Any] | None = None,
              body: Any = None) -> Any:
        """A ``chat.bsky.*`` call: to the PDS, which proxies it to the chat service."""
        session = self._ensure_session()
        expires = session.expires
        if expires is not None and self._clock() >= expires - EXPIRY_MARGIN:
            session = self._renew(session)
        headers = {"atproto-proxy": CHAT_PROXY}
        for attempt in (1, 2):
            http = self._chat_http or self._http
            try:
                data = http.request(method, f"/xrpc/{nsid}", params=params, json=body,
                                    headers=headers, token=session.access).data
            except _SessionRejected:
                if attempt == 2:
                    raise AuthError(f"Bluesky keeps refusing the session for {self.handle}. "
                                    "Reconnect the account in Settings.") from None
                session = self._renew(session)
                continue
            self.dms_allowed = True
            return data
        raise AssertionError("unreachable")

    # --- parsing -----------------------------------------------------------------------

    def _notifications(self, cursor: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": PAGE_LIMIT, "reasons": list(REASONS)}
        if cursor:
            params["cursor"] = cursor
        data = self._call("GET", "app.bsky.notification.listNotifications", params=params)
        if not isinstance(data, dict) or not isinstance(data.get("notifications"), list):
            raise TransientError("Malformed response from Bluesky: no notification list.")
        return data

    def _relevant(self, notifications: list[dict[str, Any]]) -> list[IncomingMessage]:
        # A reply that also @mentions us comes as two notifications (reply and
        # mention) for one post: keep one message per post, the reply if there is one.
        chosen: dict[str, IncomingMessage] = {}
        # One customer often writes many times in a page: read each author's profile once.
        profiles: dict[tuple[str, str, str], ProfileEvidence | None] = {}
        for entry in notifications:
            reason = entry.get("reason")
            record = entry.get("record") or {}
            if reason not in _KINDS or record.get("$type", POST_TYPE) != POST_TYPE:
                continue
            kind = _KINDS[reason]
            if kind is MessageKind.MENTION and self._is_reply_to_us(record):
                # The AppView sends only "mention" for a reply that also mentions us.
                kind = MessageKind.REPLY
            msg = self._message(entry, record, kind, {"reason": reason}, profiles=profiles)
            if msg is None:
                continue
            held = chosen.get(msg.remote_id)
            if held is None or _PREFERENCE[msg.kind] > _PREFERENCE[held.kind]:
                chosen[msg.remote_id] = msg
        return sorted(chosen.values(), key=lambda m: (m.created_at, m.remote_id))

    def _is_reply_to_us(self, record: dict[str, Any]) -> bool:
        parent = str(((record.get("reply") or {}).get("parent") or {}).get("uri") or "")
        return self._session is not None and parent.startswith(f"at://{self._session.did}/")

    def _message(
        self,
        view: dict[str, Any],
        record: dict[str, Any],
        kind: MessageKind,
        extra: dict[str, Any],
        *,
        profiles: dict[tuple[str, str, str], ProfileEvidence | None] | None = None,
    ) -> IncomingMessage | None:
        """Build a message from a post view or a notification (both carry uri/cid/author).

        ``profiles`` caches the authors' profile evidence by (did, handle, description).
        """
        try:
            uri = str(view["uri"])
            cid = str(view["cid"])
            author = view["author"]
            handle = str(author.get("handle") or author["did"])
        except (KeyError, TypeError):
            log.warning("skipping a Bluesky item without uri/cid/author")
            return None
        created = parse_timestamp(record.get("createdAt")) or parse_timestamp(view.get("indexedAt"))
        if created is None:
            log.warning("skipping Bluesky post %s without a timestamp", uri)
            return None
        reply = record.get("reply") or {}
        parent = reply.get("parent") or {}
        root = reply.get("root") or {}
        embed = record.get("embed") or {}
        info: dict[str, Any] = {
            "uri": uri,
            "cid": cid,
            "root_uri": root.get("uri") or uri,
            "root_cid": root.get("cid") or cid,
            "indexed_at": view.get("indexedAt"),
            **extra,
        }
        if parent:
            info["parent_uri"] = parent.get("uri")
            info["parent_cid"] = parent.get("cid")
        quoted = _quoted_uri(embed)
        if quoted:
            info["quoted_uri"] = quoted
        if record.get("langs"):
            info["langs"] = list(record["langs"])
        urls: list[str] = []
        for facet in record.get("facets") or []:
            for feature in facet.get("features") or []:
                link = feature.get("uri")
                if (
                    feature.get("$type") == "app.bsky.richtext.facet#link"
                    and link
                    and link not in urls
                ):
                    urls.append(link)
        for link in _embed_urls(embed):
            if link not in urls:
                urls.append(link)
        return IncomingMessage(
            platform=Platform.BLUESKY,
            account_handle=self._session.handle if self._session else self.handle,
            remote_id=uri,
            author_handle=handle,
            author_name=str(author.get("displayName") or handle),
            text=str(record.get("text") or ""),
            created_at=created,
            kind=kind,
            url=_web_url(handle, uri),
            in_reply_to=parent.get("uri"),
            thread_root=root.get("uri"),
            urls=tuple(urls),
            media=tuple(_media(embed)),
            author_remote_id=str(author.get("did") or "") or None,
            extra=info,
            author_profile=self._profile(author, profiles),
        )

    @staticmethod
    def _profile(author: dict[str, Any],
                 cache: dict[tuple[str, str, str], ProfileEvidence | None] | None
                 ) -> ProfileEvidence | None:
        if cache is None:
            return bluesky_profile(author)
        # A basic view (no description, no indexedAt) and a full one differ: both in the key.
        key = (str(author.get("did")), str(author.get("handle")),
               str(author.get("description")) if "description" in author
               or "indexedAt" in author else "\0basic")
        if key not in cache:
            cache[key] = bluesky_profile(author)
        return cache[key]

    def _strong_refs(self, parent: ReplyTarget) -> tuple[dict[str, str], dict[str, str]]:
        extra = parent.extra
        uri = str(extra.get("uri") or parent.remote_id)
        cid = extra.get("cid")
        root_uri, root_cid = extra.get("root_uri"), extra.get("root_cid")
        if not cid or not root_uri or not root_cid:
            posts = self._call("GET", "app.bsky.feed.getPosts", params={"uris": [uri]}).get("posts")
            if not posts:
                raise NotFoundError(f"The Bluesky post {uri} no longer exists.")
            cid = posts[0]["cid"]
            root = ((posts[0].get("record") or {}).get("reply") or {}).get("root") or {}
            root_uri = root.get("uri") or uri
            root_cid = root.get("cid") or cid
        return {"uri": uri, "cid": str(cid)}, {"uri": str(root_uri), "cid": str(root_cid)}


# --- module helpers ------------------------------------------------------------------


def _cursor(top: str | None, ids: list[str]) -> str:
    return encode_cursor({"v": 1, "seen": top, "ids": ids} if top else {"v": 1})


def _newest(
    notifications: list[dict[str, Any]], current: str | None, current_ids: list[str]
) -> tuple[str | None, list[str]]:
    """The newest ``indexedAt`` among the notifications (or ``current``) and the URIs at it."""
    best, best_at, ids = current, parse_timestamp(current), list(current_ids)
    for entry in notifications:
        at = parse_timestamp(entry.get("indexedAt"))
        if at is None:
            continue
        if best_at is None or at > best_at:
            best, best_at, ids = str(entry["indexedAt"]), at, [str(entry.get("uri"))]
        elif at == best_at and str(entry.get("uri")) not in ids:
            ids.append(str(entry.get("uri")))
    return best, ids


def _replies(node: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    children = [r for r in node.get("replies") or [] if isinstance(r, dict) and "post" in r]
    children.sort(key=lambda r: str(r["post"].get("indexedAt") or ""))
    for child in children:
        out.append(child)
        out.extend(_replies(child))
    return out


def _facet(start: int, end: int, kind: str, **fields: str) -> dict[str, Any]:
    return {
        "index": {"byteStart": start, "byteEnd": end},
        "features": [{"$type": f"app.bsky.richtext.facet#{kind}", **fields}],
    }


def _media(embed: dict[str, Any]) -> list[str]:
    kind = embed.get("$type", "")
    if kind.startswith("app.bsky.embed.images"):
        return [
            img.get("alt") or "image without a description" for img in embed.get("images") or []
        ]
    if kind.startswith("app.bsky.embed.video"):
        return [embed.get("alt") or "video without a description"]
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        return _media(embed.get("media") or {})
    return []


def _embed_urls(embed: dict[str, Any]) -> list[str]:
    kind = embed.get("$type", "")
    if kind.startswith("app.bsky.embed.external"):
        uri = (embed.get("external") or {}).get("uri")
        return [uri] if uri else []
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        return _embed_urls(embed.get("media") or {})
    return []


def _quoted_uri(embed: dict[str, Any]) -> str | None:
    kind = embed.get("$type", "")
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        embed = embed.get("record") or {}
        kind = embed.get("$type", "")
    if kind.startswith("app.bsky.embed.record"):
        uri = (embed.get("record") or {}).get("uri")
        return str(uri) if uri else None
    return None


def _pds_endpoint(did_doc: Any) -> str | None:
    if not isinstance(did_doc, dict):
        return None
    for service in did_doc.get("service") or []:
        if isinstance(service, dict) and (
            service.get("id") in ("#atproto_pds", f"{did_doc.get('id')}#atproto_pds")
            and isinstance(service.get("serviceEndpoint"), str)
        ):
            return str(service["serviceEndpoint"]).rstrip("/")
    return None


def _jwt_expiry(token: Secret) -> float | None:
    """The ``exp`` claim of a JWT (read, not verified: the PDS verifies it)."""
    parts = token.reveal().split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    exp = payload.get("exp") if isinstance(payload, dict) else None
    return float(exp) if isinstance(exp, (int, float)) else None


def _web_url(handle: str, uri: str) -> str:
    return f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}"


def _now_iso(now: float) -> str:
    stamp = dt.datetime.fromtimestamp(now, tz=dt.UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")

"""The connector interface every platform implements, and the plain values it trades in.

A connector is Qt-free and does network I/O only: the sync engine calls
``fetch_since`` on a worker, hands the :class:`Page` to the store, and keeps
``Page.cursor`` for the next call. Cursors are opaque strings that only the
connector that made them understands; ``None`` means "never fetched".

Every method may raise the :mod:`console.core.errors` classes:
``AuthError`` (credentials refused), ``RateLimitedError`` (``retry_after`` seconds),
``NetworkError`` (offline, timed out), ``TransientError`` (5xx, malformed body),
``RejectedError`` (the platform refused this exact request), ``NotFoundError``
and ``SecretStoreError`` (no keyring).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from console.core.models import IncomingMessage, Platform

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccountInfo:
    """Who the stored credentials belong to, as ``verify()`` found out."""

    handle: str
    display_name: str
    remote_id: str  # numeric account id, DID, ...
    server: str  # base URL of the instance / PDS / API
    char_limit: int | None = None
    notes: tuple[str, ...] = ()  # what the account cannot do (Bluesky: no DM access)


@dataclass(frozen=True)
class Page:
    """One fetch's worth of inbound items plus the cursor for the next fetch.

    ``has_more`` is true when the connector stopped early (page budget) and
    calling ``fetch_since(page.cursor)`` again right away will return more.
    """

    items: list[IncomingMessage]
    cursor: str | None
    has_more: bool = False


@dataclass(frozen=True)
class SentRef:
    """Where a reply landed on the platform."""

    remote_id: str
    url: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReplyTarget:
    """What a connector needs to answer a message.

    ``extra`` carries platform references: Bluesky ``uri``/``cid``/``root_uri``/
    ``root_cid``, Mastodon ``visibility``. ``author_handle`` (no leading ``@``) is
    used where the platform needs a mention for the reply to reach the author.
    """

    remote_id: str
    author_handle: str | None = None
    visibility: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_message(cls, message: IncomingMessage) -> ReplyTarget:
        """Build the reply target for an inbound message.

        Args:
            message: the message being answered.

        Returns:
            A target carrying the message's id, author and platform references.
        """
        visibility = message.extra.get("visibility")
        return cls(
            remote_id=message.remote_id,
            author_handle=message.author_handle or None,
            visibility=visibility if isinstance(visibility, str) else None,
            extra=dict(message.extra),
        )


@runtime_checkable
class Connector(Protocol):
    """One platform account: read inbound items, read threads, send replies."""

    platform: Platform

    def verify(self) -> AccountInfo:
        """Check the stored credentials and say whose they are."""
        ...

    def fetch_since(self, cursor: str | None) -> Page:
        """Fetch inbound items newer than ``cursor`` (``None``: the newest, bounded)."""
        ...

    def fetch_thread(self, ref: str) -> list[IncomingMessage]:
        """Fetch the conversation around the post ``ref`` (a remote id), oldest first."""
        ...

    def send_reply(
        self,
        parent: ReplyTarget,
        text: str,
        *,
        idempotency_key: str,
        visibility: str | None = None,
    ) -> SentRef:
        """Post ``text`` as a reply to ``parent``.

        A ``NetworkError``/``TransientError`` here means the outcome is unknown:
        the post may have gone out. Retry with the same ``idempotency_key`` only
        after ``find_sent_reply`` found nothing.
        """
        ...

    def find_sent_reply(self, parent: ReplyTarget, text: str, since: dt.datetime) -> SentRef | None:
        """Look on the platform for a reply to ``parent`` with ``text`` posted after ``since``."""
        ...


# --- helpers shared by the connectors -------------------------------------------------

_LEADING_MENTIONS = re.compile(r"^(?:\s*@[\w.@:-]+)+\s*")
_URL = re.compile(r"https?://\S+")
_SPACE = re.compile(r"\s+")


def normalize_for_match(text: str) -> str:
    """Reduce a post text to what survives every platform's rewriting.

    Platforms add or drop a leading ``@mention`` to replies, shorten links (X's
    t.co) and re-space text, so a reply is matched on what is left.

    Args:
        text: a post's plain text.

    Returns:
        The text without leading mentions, with links replaced by a placeholder,
        whitespace collapsed and case folded.
    """
    text = _LEADING_MENTIONS.sub("", text)
    text = _URL.sub("<url>", text)
    return _SPACE.sub(" ", text).strip().casefold()


def parse_timestamp(value: str | None) -> dt.datetime | None:
    """Parse an ISO 8601 timestamp (``Z`` or offset) into an aware datetime.

    Args:
        value: the timestamp text, or ``None``.

    Returns:
        An aware datetime (UTC when the text has no zone), or ``None`` when the
        value is missing or not a timestamp.
    """
    if not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # fromisoformat accepts at most 6 fractional digits; some servers send more.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        log.debug("unparseable timestamp %r", value)
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def encode_cursor(state: Mapping[str, Any]) -> str:
    """Serialise a connector's cursor state into the opaque string the caller stores."""
    return json.dumps(dict(state), separators=(",", ":"), sort_keys=True)


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """Read a cursor made by :func:`encode_cursor`.

    A cursor that cannot be read (from an older build, or damaged) is treated as
    "never fetched": the connector fetches the newest items again, and the store
    drops the duplicates. That heals instead of failing every sync.

    Args:
        cursor: the stored cursor, or ``None``.

    Returns:
        The cursor state, or ``None``.
    """
    if cursor is None:
        return None
    try:
        state = json.loads(cursor)
    except ValueError:
        state = None
    if not isinstance(state, dict):
        log.warning("ignoring an unreadable sync cursor; fetching the newest items again")
        return None
    return state

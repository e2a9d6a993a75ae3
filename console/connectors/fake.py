"""A deterministic in-memory connector for tests of the sync engine and the demo workspace.

It behaves like a real platform as far as the engine can tell: cursors, pages,
threads, replies, ``find_sent_reply``, and injected faults (rate limits, dropped
connections after a post was accepted, revoked credentials). Nothing in it reads a
clock or the network, so the same calls give the same results.

It does not drop a repeated idempotency key: every ``send_reply`` that gets past an
injected fault posts, and every call is recorded in ``send_attempts`` with its key.
So a test sees a duplicate, or a key that changed between attempts, if the engine
causes one; a fake that removed duplicates itself would hide them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from console.connectors.base import (
    AccountInfo,
    Page,
    ReplyTarget,
    SentRef,
    normalize_for_match,
)
from console.core.errors import KnownError, NetworkError, NotFoundError
from console.core.models import IncomingMessage, MessageKind, Platform

log = logging.getLogger(__name__)

EPOCH = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class SentReply:
    """A reply the fake platform accepted."""

    ref: SentRef
    parent_id: str
    text: str
    idempotency_key: str
    created_at: dt.datetime
    visibility: str | None


class FakeConnector:
    """An in-memory platform account.

    Args:
        handle: the brand account's handle.
        platform: which platform it pretends to be.
        items: inbound messages already waiting, oldest first.
        page_size: items per ``fetch_since`` page.
        char_limit: reported by ``verify``.
        clock: when messages and replies are made; by default one minute apart
            from a fixed start, so runs are reproducible.
    """

    def __init__(
        self,
        *,
        handle: str = "acme@demo.example",
        platform: Platform = Platform.DEMO,
        items: Iterable[IncomingMessage] = (),
        page_size: int = 20,
        char_limit: int | None = 500,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.platform = platform
        self.handle = handle
        self.page_size = page_size
        self.char_limit = char_limit
        self.inbox: list[IncomingMessage] = list(items)
        self.sent: list[SentReply] = []
        #: every send_reply call, posted or failed: (idempotency key, parent id, text)
        self.send_attempts: list[tuple[str, str, str]] = []
        self.calls: list[str] = []
        self._faults: dict[str, deque[KnownError]] = {}
        self._drop_after_post = 0
        self._serial = 0
        self._clock = clock

    def _now(self) -> dt.datetime:
        if self._clock is not None:
            return self._clock()
        return EPOCH + dt.timedelta(minutes=self._serial)

    def __repr__(self) -> str:
        return f"FakeConnector(handle={self.handle!r}, items={len(self.inbox)})"

    # --- test controls -----------------------------------------------------------------

    def add_incoming(
        self,
        author: str,
        text: str,
        *,
        kind: MessageKind = MessageKind.MENTION,
        in_reply_to: str | None = None,
        author_name: str | None = None,
    ) -> IncomingMessage:
        """Queue a new inbound message with the next id and timestamp.

        Args:
            author: the author's handle.
            text: the message text.
            kind: mention, reply, DM, ...
            in_reply_to: remote id of the message it answers.
            author_name: display name (defaults to the handle).

        Returns:
            The message, as ``fetch_since`` will return it.
        """
        self._serial += 1
        remote_id = f"{self.platform.value}-{self._serial}"
        root = self._root_of(in_reply_to) if in_reply_to else None
        message = IncomingMessage(
            platform=self.platform,
            account_handle=self.handle,
            remote_id=remote_id,
            author_handle=author,
            author_name=author_name or author,
            text=text,
            created_at=self._now(),
            kind=kind,
            url=f"https://demo.example/{remote_id}",
            in_reply_to=in_reply_to,
            thread_root=root,
            extra={"visibility": "direct" if kind is MessageKind.DM else "public"},
        )
        self.inbox.append(message)
        return message

    def fail_next(self, method: str, error: KnownError, times: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` raise ``error``.

        Args:
            method: ``verify``, ``fetch_since``, ``fetch_thread``, ``send_reply`` or
                ``find_sent_reply``.
            error: what to raise.
            times: how many calls fail.
        """
        queue = self._faults.setdefault(method, deque())
        queue.extend([error] * times)

    def drop_connection_after_post(self, times: int = 1) -> None:
        """Accept the next ``times`` replies, then raise NetworkError as if the answer was lost."""
        self._drop_after_post += times

    # --- Connector API -----------------------------------------------------------------

    def verify(self) -> AccountInfo:
        """Report the fake account."""
        self._enter("verify")
        return AccountInfo(
            handle=self.handle,
            display_name="Acme Support (demo)",
            remote_id=f"{self.platform.value}-account",
            server="https://demo.example",
            char_limit=self.char_limit,
        )

    def fetch_since(self, cursor: str | None) -> Page:
        """Return up to ``page_size`` messages after position ``cursor`` (a decimal index)."""
        self._enter("fetch_since")
        start = int(cursor) if cursor and cursor.isdigit() else 0
        chunk = self.inbox[start : start + self.page_size]
        end = start + len(chunk)
        return Page(items=list(chunk), cursor=str(end), has_more=end < len(self.inbox))

    def fetch_thread(self, ref: str) -> list[IncomingMessage]:
        """Return the messages (inbound and sent) that share ``ref``'s thread, oldest first."""
        self._enter("fetch_thread")
        known = {m.remote_id for m in self.inbox} | {s.ref.remote_id for s in self.sent}
        if ref not in known:
            raise NotFoundError(f"Demo post {ref} was not found.")
        root = self._root_of(ref)
        thread = [m for m in self.inbox if (m.thread_root or m.remote_id) == root]
        for reply in self.sent:
            if self._root_of(reply.parent_id) == root:
                thread.append(self._as_message(reply))
        return sorted(thread, key=lambda m: (m.created_at, m.remote_id))

    def send_reply(
        self,
        parent: ReplyTarget,
        text: str,
        *,
        idempotency_key: str,
        visibility: str | None = None,
    ) -> SentRef:
        """Post a reply, every time it is called (a repeated key is posted again, see above)."""
        self.send_attempts.append((idempotency_key, parent.remote_id, text))
        self._enter("send_reply")
        self._serial += 1
        remote_id = f"{self.platform.value}-{self._serial}"
        reply = SentReply(
            ref=SentRef(remote_id=remote_id, url=f"https://demo.example/{remote_id}"),
            parent_id=parent.remote_id,
            text=text,
            idempotency_key=idempotency_key,
            created_at=self._now(),
            visibility=visibility or parent.visibility,
        )
        self.sent.append(reply)
        if self._drop_after_post:
            self._drop_after_post -= 1
            raise NetworkError(
                "Demo platform closed the connection before answering. "
                "The request may or may not have been carried out."
            )
        return reply.ref

    def find_sent_reply(self, parent: ReplyTarget, text: str, since: dt.datetime) -> SentRef | None:
        """Find an accepted reply to ``parent`` with the same text, made at or after ``since``."""
        self._enter("find_sent_reply")
        wanted = normalize_for_match(text)
        for reply in self.sent:
            if (
                reply.parent_id == parent.remote_id
                and reply.created_at >= since
                and normalize_for_match(reply.text) == wanted
            ):
                return reply.ref
        return None

    # --- internals ---------------------------------------------------------------------

    def _enter(self, method: str) -> None:
        self.calls.append(method)
        queue = self._faults.get(method)
        if queue:
            raise queue.popleft()

    def _root_of(self, remote_id: str | None) -> str | None:
        for message in self.inbox:
            if message.remote_id == remote_id:
                return message.thread_root or message.remote_id
        for reply in self.sent:
            if reply.ref.remote_id == remote_id:
                return self._root_of(reply.parent_id)
        return remote_id

    def _as_message(self, reply: SentReply) -> IncomingMessage:
        return IncomingMessage(
            platform=self.platform,
            account_handle=self.handle,
            remote_id=reply.ref.remote_id,
            author_handle=self.handle,
            author_name="Acme Support (demo)",
            text=reply.text,
            created_at=reply.created_at,
            kind=MessageKind.REPLY,
            url=reply.ref.url,
            in_reply_to=reply.parent_id,
            thread_root=self._root_of(reply.parent_id),
        )


def demo_connector() -> FakeConnector:
    """A fake account with a few realistic customer messages, for ``--demo`` and tests."""
    fake = FakeConnector()
    first = fake.add_incoming(
        "dana@social.example",
        "@acme my order #1042 arrived with a cracked widget and nobody answers email.",
        author_name="Dana",
    )
    fake.add_incoming(
        "lee@social.example",
        "Hey @acme, does the Widget Pro work with 110V outlets?",
        author_name="Lee",
    )
    fake.add_incoming(
        "dana@social.example",
        "Still waiting on this one…",
        kind=MessageKind.REPLY,
        in_reply_to=first.remote_id,
        author_name="Dana",
    )
    return fake

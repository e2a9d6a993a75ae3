"""Plain, frozen data types shared by the store, the connectors and the UI."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

from console.core.ids import AccountId, CaseId, ContactId, MessageId, ReplyId, TemplateId


class Platform(enum.StrEnum):
    MASTODON = "mastodon"
    BLUESKY = "bluesky"
    X = "x"
    DEMO = "demo"


class Direction(enum.StrEnum):
    INBOUND = "in"
    OUTBOUND = "out"


class MessageKind(enum.StrEnum):
    MENTION = "mention"
    REPLY = "reply"
    QUOTE = "quote"
    DM = "dm"
    COMMENT = "comment"


class CaseStatus(enum.StrEnum):
    NEW = "new"
    OPEN = "open"
    WAITING = "waiting"  # waiting on the customer
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    CaseStatus.NEW: "New",
    CaseStatus.OPEN: "Open",
    CaseStatus.WAITING: "Waiting on customer",
    CaseStatus.RESOLVED: "Resolved",
    CaseStatus.CLOSED: "Closed",
}


@dataclass(frozen=True)
class ProfileEvidence:
    """What an author's profile says about their other accounts ("same person" suggestions).

    Values are normalised: handles as ``platform:handle`` in lower case
    (``mastodon:ana@example.social``, ``bluesky:ana.bsky.social``, ``x:ana``), links
    without scheme, ``www.`` or a trailing slash (``ana.example/blog``).
    """

    mentions: tuple[str, ...] = ()  # other handles the profile names
    verified_links: tuple[str, ...] = ()  # links the platform verified (rel=me, domain handle)


@dataclass(frozen=True)
class IncomingMessage:
    """One post, reply or direct message as a connector hands it to the store.

    ``text`` is always plain text; ``raw_markup`` keeps the platform's original
    (Mastodon's HTML, say) aside so nothing ever has to render it.
    ``extra`` holds platform references needed to reply (Bluesky uri/cid, ...).
    """

    platform: Platform
    account_handle: str  # the brand account that received the message
    remote_id: str
    author_handle: str
    author_name: str
    text: str
    created_at: dt.datetime  # timezone-aware
    kind: MessageKind = MessageKind.MENTION
    url: str | None = None
    in_reply_to: str | None = None  # remote id of the parent post
    thread_root: str | None = None  # remote id of the thread's first post
    raw_markup: str | None = None
    urls: tuple[str, ...] = ()
    media: tuple[str, ...] = ()  # media descriptions (alt text)
    author_remote_id: str | None = None  # DID, numeric account id, ...
    extra: dict[str, Any] = field(default_factory=dict)
    author_profile: ProfileEvidence | None = None  # when the payload carried the profile


@dataclass(frozen=True)
class Account:
    id: AccountId
    platform: Platform
    handle: str
    display_name: str
    role: str = ""
    server: str | None = None
    voice_profile: str | None = None
    timezone: str = "UTC"


@dataclass(frozen=True)
class CaseRow:
    """What the inbox list shows for one case."""

    id: CaseId
    contact_id: ContactId
    contact_name: str
    contact_handle: str
    status: CaseStatus
    owner: str
    preview: str
    waiting_since: dt.datetime | None
    last_activity_at: dt.datetime
    opened_at: dt.datetime
    message_count: int
    platforms: tuple[str, ...]
    sort_key: tuple[float, int]  # keyset position (sort value, id) in the page's order
    sentiment: float | None = None
    snoozed_until: dt.datetime | None = None
    #: States of the case's unsent replies (draft, approved, sending, failed), so the
    #: inbox can show that a reply is queued and nobody answers twice.
    reply_states: tuple[str, ...] = ()


@dataclass(frozen=True)
class Message:
    id: MessageId
    account_id: AccountId
    account_handle: str
    platform: Platform
    remote_id: str
    direction: Direction
    kind: MessageKind
    author_handle: str
    author_name: str
    text: str
    created_at: dt.datetime
    url: str | None = None
    in_reply_to: str | None = None
    sentiment: float | None = None


@dataclass(frozen=True)
class TimelineEvent:
    id: int
    case_id: CaseId
    at: dt.datetime
    actor: str
    kind: str
    before: str | None
    after: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class Note:
    id: int
    case_id: CaseId
    author: str
    body: str
    created_at: dt.datetime


@dataclass(frozen=True)
class ChecklistItem:
    id: int
    case_id: CaseId
    text: str
    done: bool
    source_message_id: MessageId | None = None


@dataclass(frozen=True)
class CaseDetail:
    """Everything the case panel shows."""

    case: CaseRow
    handles: tuple[tuple[str, str], ...]  # (platform, handle) of the contact
    messages: tuple[Message, ...]
    events: tuple[TimelineEvent, ...]
    notes: tuple[Note, ...]
    checklist: tuple[ChecklistItem, ...]
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None


class ReplyState(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"  # in the outbox, waiting to be sent
    SENDING = "sending"  # a send was started; reconcile before retrying
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class Reply:
    """A draft or queued reply to a case."""

    id: ReplyId
    case_id: CaseId
    account_id: AccountId
    account_handle: str
    platform: Platform
    body: str
    state: ReplyState
    in_reply_to_message_id: MessageId | None
    template_id: TemplateId | None
    template_body: str | None
    findings: tuple[dict[str, Any], ...]
    override_reason: str | None
    idempotency_key: str
    attempts: int
    error: str | None
    sent_remote_id: str | None
    sent_url: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    contact_name: str = ""
    visibility: str | None = None  # "direct": sent privately; None: as the message answered
    author: str | None = None  # the team member who wrote it (team server); None on a laptop


@dataclass(frozen=True)
class TemplateRecord:
    """A reply template as stored in the workspace (built-in or the user's own)."""

    id: TemplateId
    slug: str
    title: str
    body: str
    category: str
    platforms: tuple[str, ...]
    tags: tuple[str, ...]
    builtin: bool
    usage_count: int

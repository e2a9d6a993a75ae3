"""Row helpers shared by the store's parts: JSON columns, chunking, rows to dataclasses."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from typing import Any

from console.core import timeutil
from console.core.ids import AccountId, CaseId, ContactId, MessageId, ReplyId, TemplateId
from console.core.models import (
    Account,
    CaseRow,
    CaseStatus,
    Direction,
    Message,
    MessageKind,
    Platform,
    Reply,
    ReplyState,
    TemplateRecord,
    TimelineEvent,
)
from console.core.rules import FINISHED_STATUSES


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _loads(value: str | None) -> Any:
    """Decode a JSON column (NULL and empty stay None)."""
    return json.loads(value) if value else None


def _chunks(seq: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(seq), size):
        yield seq[start:start + size]


def _dt(value: int) -> dt.datetime:
    result = timeutil.from_epoch(value)
    assert result is not None
    return result


_MESSAGE_COLUMNS = (
    "m.id, m.account_id, a.handle, m.platform, m.remote_id, m.direction, m.kind, "
    "m.author_handle, m.author_name, m.text, m.created_at, m.url, m.in_reply_to, m.sentiment"
)


def _message(r: Sequence[Any]) -> Message:
    return Message(id=MessageId(r[0]), account_id=AccountId(r[1]), account_handle=r[2],
                   platform=Platform(r[3]), remote_id=r[4], direction=Direction(r[5]),
                   kind=MessageKind(r[6]), author_handle=r[7], author_name=r[8], text=r[9],
                   created_at=_dt(r[10]), url=r[11], in_reply_to=r[12], sentiment=r[13])


def _account(r: Sequence[Any]) -> Account:
    return Account(id=AccountId(r[0]), platform=Platform(r[1]), handle=r[2], display_name=r[3],
                   role=r[4], server=r[5], voice_profile=r[6], timezone=r[7])


def _case_row(r: Sequence[Any], *, sort_value: Any = None) -> CaseRow:
    return CaseRow(
        id=CaseId(r[0]), contact_id=ContactId(r[1]), contact_name=r[2], contact_handle=r[3],
        status=CaseStatus(r[4]), owner=r[5], preview=r[6],
        waiting_since=timeutil.from_epoch(r[7]), last_activity_at=_dt(r[8]),
        opened_at=_dt(r[9]), message_count=r[10],
        platforms=tuple(p for p in r[11].split(",") if p),
        sort_key=(r[12] if sort_value is None else sort_value, r[0]),
        sentiment=r[13], snoozed_until=timeutil.from_epoch(r[14]),
        reply_states=tuple(sorted(set(r[15].split(",")))) if len(r) > 15 and r[15] else ())


def _reply(r: Sequence[Any]) -> Reply:
    return Reply(
        id=ReplyId(r[0]), case_id=CaseId(r[1]), account_id=AccountId(r[2]), account_handle=r[3],
        platform=Platform(r[4]), body=r[5], state=ReplyState(r[6]),
        in_reply_to_message_id=r[7], template_id=r[8], template_body=r[9],
        findings=tuple(json.loads(r[10])) if r[10] else (), override_reason=r[11],
        idempotency_key=r[12], attempts=r[13], error=r[14], sent_remote_id=r[15],
        sent_url=r[16], created_at=_dt(r[17]), updated_at=_dt(r[18]), contact_name=r[19],
        visibility=r[20] if len(r) > 20 else None, author=r[21] if len(r) > 21 else None)


def _template(r: Sequence[Any]) -> TemplateRecord:
    return TemplateRecord(
        id=TemplateId(r[0]), slug=r[1], title=r[2], body=r[3], category=r[4],
        platforms=tuple(p for p in r[5].split(",") if p), tags=tuple(t for t in r[6].split(",") if t),
        builtin=bool(r[7]), usage_count=r[8])


def _derived_times(events: Sequence[TimelineEvent],
                   status: CaseStatus) -> tuple[dt.datetime | None, dt.datetime | None]:
    first_response = next((e.at for e in events if e.kind == "message_out"), None)
    resolved = None
    if status in FINISHED_STATUSES:
        resolved = max((e.at for e in events
                        if e.kind == "status" and e.after in FINISHED_STATUSES), default=None)
    return first_response, resolved

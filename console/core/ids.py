"""Typed ids, so a case id is never passed where a message id belongs."""

from __future__ import annotations

from typing import NewType

AccountId = NewType("AccountId", int)
ContactId = NewType("ContactId", int)
CaseId = NewType("CaseId", int)
MessageId = NewType("MessageId", int)
ReplyId = NewType("ReplyId", int)
TemplateId = NewType("TemplateId", int)

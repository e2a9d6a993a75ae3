"""What a write changed, so views refresh only what they must."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Changes:
    """Flags returned by every mutating store call; merge them with ``|``."""

    cases: bool = False
    messages: bool = False
    templates: bool = False
    accounts: bool = False
    settings: bool = False
    replies: bool = False
    case_ids: frozenset[int] = field(default_factory=frozenset)

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            cases=self.cases or other.cases,
            messages=self.messages or other.messages,
            templates=self.templates or other.templates,
            accounts=self.accounts or other.accounts,
            settings=self.settings or other.settings,
            replies=self.replies or other.replies,
            case_ids=self.case_ids | other.case_ids,
        )

    def __bool__(self) -> bool:
        return any(
            (self.cases, self.messages, self.templates, self.accounts, self.settings, self.replies)
        )


NOTHING = Changes()

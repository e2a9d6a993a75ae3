"""Every workspace setting, declared once, with its default and help text."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


def _default_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # getuser() raises OSError, KeyError... when no name is known
        return "me"


SETTINGS: tuple[Setting, ...] = (
    Setting("user.name", None, "Your name: the owner of new cases and the actor in the timeline. "
            "Defaults to your login name."),
    Setting("user.initials", "", "Your initials, used for reply sign-offs."),
    Setting("cases.reopen_window_days", 14,
            "A customer who writes again within this many days of a resolved case reopens it; "
            "later messages open a new case."),
    Setting("sync.interval_minutes", 5, "Minutes between automatic syncs (0 turns them off)."),
    Setting("brand.name", "", "The brand's name, for templates."),
    Setting("brand.domains", [], "Domains the brand links to; links elsewhere are flagged."),
    Setting("brand.phones", [], "The brand's own phone numbers: never flagged as private data."),
    Setting("brand.names", [], "The brand's own, courier and partner names: written in capitals "
            "without being shouting."),
    Setting("brand.addresses", [], "The brand's own addresses: never flagged as private data."),
    Setting("workspace.demo", False, "This is the demo workspace: its accounts 'send' locally."),
)

BY_NAME = {s.name: s for s in SETTINGS}


def default(name: str) -> Any:
    if name == "user.name":
        return _default_user()
    return BY_NAME[name].default

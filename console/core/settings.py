"""Every workspace setting, declared once, with its type, default and help text."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import re
import zoneinfo
from dataclasses import dataclass
from typing import Any

from console.core.errors import KnownError

#: The kinds of value a setting holds; each has a checker and a command-line syntax.
TEXT, INT, BOOL, LIST, ROSTER, HOURS = "text", "int", "bool", "list", "roster", "hours"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    kind: str = TEXT


def _default_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # getuser() raises OSError, KeyError... when no name is known
        return "me"


SETTINGS: tuple[Setting, ...] = (
    Setting("user.name", None, "Your name: the owner of new cases and the actor in the timeline. "
            "Defaults to your login name."),
    Setting("user.initials", "", "Your initials, used for reply sign-offs."),
    Setting("team.roster", [], "The team: who may own a case (name, optional handle, one marked "
            "as you). Empty: only you. Set it on the command line as JSON, e.g. "
            '`[{"name": "Sam Rivera", "handle": "@sam", "me": true}]`.', ROSTER),
    Setting("cases.reopen_window_days", 14,
            "A customer who writes again within this many days of a resolved case reopens it; "
            "later messages open a new case.", INT),
    Setting("sync.interval_minutes", 5, "Minutes between automatic syncs (0 turns them off).",
            INT),
    Setting("business.hours", None,
            "The team's working hours, given to accounts added from now on (reports measure "
            "response times in them); `null` counts every hour. As JSON: "
            '`{"timezone": "Europe/London", "days": [0, 1, 2, 3, 4], "start": "09:00", '
            '"end": "17:30"}` (days 0 = Monday).', HOURS),
    Setting("brand.name", "", "The brand's name, for templates."),
    Setting("brand.domains", [], "Domains the brand links to; links elsewhere are flagged.", LIST),
    Setting("brand.phones", [], "The brand's own phone numbers: never flagged as private data.",
            LIST),
    Setting("brand.names", [], "The brand's own, courier and partner names: written in capitals "
            "without being shouting.", LIST),
    Setting("brand.addresses", [], "The brand's own addresses: never flagged as private data.",
            LIST),
    Setting("workspace.demo", False, "This is the demo workspace: its accounts 'send' locally.",
            BOOL),
)

BY_NAME = {s.name: s for s in SETTINGS}


def default(name: str) -> Any:
    if name == "user.name":
        return _default_user()
    return BY_NAME[name].default


def lookup(name: str) -> Setting:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KnownError(f"Unknown setting {name!r}. Known: {', '.join(BY_NAME)}.") from None


_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def validate(name: str, value: Any) -> Any:
    """The value checked (and tidied) for its setting's type.

    Raises:
        KnownError: unknown setting, or a value of the wrong shape (said how).
    """
    setting = lookup(name)
    kind = setting.kind
    if value is None and setting.default is None:
        return None  # "not set": the login name, every hour

    if kind == TEXT:
        if not isinstance(value, str):
            raise KnownError(f"{name} is text.")
        return value.strip()
    if kind == INT:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise KnownError(f"{name} is a whole number, 0 or more.")
        return value
    if kind == BOOL:
        if not isinstance(value, bool):
            raise KnownError(f"{name} is true or false.")
        return value
    if kind == LIST:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise KnownError(f"{name} is a list of text.")
        return [v.strip() for v in value if v.strip()]
    if kind == ROSTER:
        return _validate_roster(name, value)
    if kind == HOURS:
        return _validate_hours(name, value)
    raise AssertionError(kind)  # every kind is handled above


def _validate_roster(name: str, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise KnownError(f"{name} is a list of people: name, optional handle, one marked as me.")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for entry in value:
        if isinstance(entry, str):
            entry = {"name": entry}
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise KnownError(f"Each person in {name} needs a name.")
        person = " ".join(entry["name"].split())
        if not person:
            raise KnownError(f"Each person in {name} needs a name.")
        if person.casefold() in seen:
            raise KnownError(f"{person} is on the team twice.")
        seen.add(person.casefold())
        handle = str(entry.get("handle") or "").strip()
        out.append({"name": person, "handle": handle, "me": bool(entry.get("me"))})
    if sum(p["me"] for p in out) > 1:
        raise KnownError("Only one person on the team can be marked as me.")
    return out


def _validate_hours(name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise KnownError(f'{name} is {{"timezone": ..., "days": [0, ...], "start": "HH:MM", '
                         '"end": "HH:MM"}, or null for every hour.')
    timezone = value.get("timezone", "UTC")
    try:
        zoneinfo.ZoneInfo(str(timezone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise KnownError(f"{name}: unknown time zone {timezone!r}.") from None
    days = value.get("days")
    start, end = value.get("start"), value.get("end")
    if (not isinstance(days, list) or not days
            or not all(isinstance(d, int) and 0 <= d <= 6 for d in days)):
        raise KnownError(f"{name}: days are numbers 0 (Monday) to 6 (Sunday), at least one.")
    if not (isinstance(start, str) and _TIME.match(start) and isinstance(end, str)
            and (_TIME.match(end) or end == "24:00")):
        raise KnownError(f"{name}: start and end are times like 09:00 and 17:30.")
    if end <= start:
        raise KnownError(f"{name}: the day ends ({end}) before it starts ({start}).")
    out: dict[str, Any] = {"timezone": str(timezone), "days": sorted(set(days)),
                           "start": start, "end": end}
    holidays = value.get("holidays") or []
    try:
        out_h = sorted({dt.date.fromisoformat(str(h)).isoformat() for h in holidays})
    except ValueError:
        raise KnownError(f"{name}: holidays are dates like 2026-12-25.") from None
    if out_h:
        out["holidays"] = out_h
    return out


def parse(name: str, text: str) -> Any:
    """A value typed on the command line, for its setting's type (then `validate` it).

    Lists take commas (``a.example, b.example``) or JSON; the roster and hours take
    JSON; booleans take true/false/yes/no.
    """
    kind = lookup(name).kind
    text = text.strip()
    if kind == TEXT:
        return text
    if kind == INT:
        try:
            return int(text)
        except ValueError:
            raise KnownError(f"{name} is a whole number, not {text!r}.") from None
    if kind == BOOL:
        low = text.lower()
        if low in ("true", "yes", "on", "1"):
            return True
        if low in ("false", "no", "off", "0"):
            return False
        raise KnownError(f"{name} is true or false, not {text!r}.")
    if kind == LIST and not text.startswith("["):
        return [part for part in (p.strip() for p in text.split(",")) if part]
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise KnownError(f"{name} takes JSON here ({exc.msg}).") from None


def show(value: Any) -> str:
    """A value as the command line prints it."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)

"""Glue between a case and the voice checker: template variables, check context, profiles."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.core import paths
from console.core.models import Account, CaseDetail, CaseStatus, Direction, Message, MessageKind

if TYPE_CHECKING:
    from console.core import templates, voice
    from console.core.templates import MissingVariable

# voice (its rules, the mood detector) and templates (jinja2) are imported by the
# functions that use them: the window calls reply_target before its first paint, and
# importing them costs the start-up 0.1 s (bench/cold_start.py).

DEFAULT_PROFILE = "playful"


def profiles_dirs(data_dir: Path | None = None) -> list[Path]:
    """Where voice profiles come from: the bundled ones, then the user's own (which win)."""
    dirs = [paths.resource_path("voice")]
    user = paths.data_dir(data_dir) / "voice"
    if user.is_dir():
        dirs.append(user)
    return dirs


def load_profiles(data_dir: Path | None = None) -> dict[str, voice.Profile]:
    from console.core import voice

    profiles: dict[str, voice.Profile] = {}
    for directory in profiles_dirs(data_dir):
        profiles.update(voice.load_profiles(directory))
    return profiles


def user_profile_path(name: str, data_dir: Path | None = None) -> Path:
    """Where an edited copy of profile ``name`` is saved."""
    safe = "".join(ch for ch in name if ch.isalnum() or ch in "-_") or "profile"
    return paths.data_dir(data_dir) / "voice" / f"{safe}.toml"


def profile_source(name: str, data_dir: Path | None = None) -> Path:
    """The file profile ``name`` is read from (the user's copy when there is one)."""
    user = user_profile_path(name, data_dir)
    if user.exists():
        return user
    return paths.resource_path(f"voice/{name}.toml")


def profile_for(account: Account | None, profiles: dict[str, voice.Profile]) -> voice.Profile:
    name = (account.voice_profile if account else None) or DEFAULT_PROFILE
    if name in profiles:
        return profiles[name]
    return profiles.get(DEFAULT_PROFILE) or next(iter(profiles.values()))


def builtin_templates() -> list[templates.Template]:
    from console.core import templates

    return templates.load_builtin(paths.resource_path("templates"))


def template_reference(template_body: str, draft: str) -> str:
    """The template as this draft would read had it been sent unedited.

    The template's variables are filled with whatever the draft has in their
    place, so a stock answer compares equal however its variables were filled.
    """
    from console.core import templates

    names = sorted(templates.variables(template_body))
    markers = {name: f"\x00{i}\x00" for i, name in enumerate(names)}
    try:
        skeleton = templates.render(template_body, markers).text.strip()
    except Exception:  # a template that no longer renders: compare as written
        return template_body
    pattern = re.escape(" ".join(skeleton.split()))
    for marker in markers.values():
        pattern = pattern.replace(re.escape(marker), "(.+?)")
    match = re.fullmatch(pattern, " ".join(draft.split()), flags=re.DOTALL)
    if match is None:
        return " ".join(skeleton.replace("\x00", "").split())
    values = dict(zip(names, match.groups())) if len(match.groups()) == len(names) else {}
    return templates.render(template_body, values).text.strip() if values else draft


def reply_target(detail: CaseDetail) -> Message | None:
    """The message a new reply answers: the customer's latest."""
    inbound = [m for m in detail.messages if m.direction is Direction.INBOUND]
    return inbound[-1] if inbound else None


def first_name(name: str) -> str:
    name = name.strip()
    return name.split()[0] if name else ""


def template_variables(*, detail: CaseDetail, account: Account | None, agent: str,
                       initials: str, brand: str) -> dict[str, str]:
    target = reply_target(detail)
    return {
        "customer_name": first_name(detail.case.contact_name),
        "customer_handle": target.author_handle if target else detail.case.contact_handle,
        "agent_name": first_name(agent),
        "agent_initials": initials,
        "case_ref": f"#{detail.case.id}",
        "account_handle": account.handle if account else "",
        "brand_name": brand,
    }


#: Workspace settings that tell the checker what is the brand's own.
BRAND_SETTINGS = ("brand.domains", "brand.phones", "brand.names", "brand.addresses")


def brand_allowlists(get: Callable[[str], Any]) -> dict[str, tuple[str, ...]]:
    """The brand's own domains, phones, names and addresses from the settings.

    Args:
        get: Reads one setting (``Store.get_setting`` or a dict's ``get``);
            a missing or empty setting is an empty list.
    """
    lists: dict[str, tuple[str, ...]] = {}
    for name in BRAND_SETTINGS:
        try:
            value = get(name)
        except KeyError:  # a workspace from before the setting existed
            value = None
        lists[name] = tuple(str(v) for v in value or () if str(v).strip())
    return lists


def suggested_issues(detail: CaseDetail) -> list[str]:
    """Issues found in the customer's latest message, to pre-fill the checklist."""
    target = reply_target(detail)
    if target is None:
        return []
    from console.core import voice

    have = {i.text.strip().lower() for i in detail.checklist}
    return [i for i in voice.extract_issues(target.text) if i.lower() not in have]


#: Timeline events that show which issue texts a case's checklist has had.
_ISSUE_EVENTS = ("issue_added", "issue_renamed", "issue_deleted")


def prefill_issues(detail: CaseDetail) -> list[str]:
    """The issues to pre-fill when a case is opened: `suggested_issues`, only
    while the checklist is empty and the customer waits for a reply, less any
    text this case's checklist has ever had.

    The timeline is the case's memory: a suggestion the person deleted (or
    renamed) is never added again, even after a restart; a new message with
    new issues is offered once its checklist is empty again.
    """
    if detail.checklist or detail.case.waiting_since is None:
        return []
    if detail.case.status not in (CaseStatus.NEW, CaseStatus.OPEN):
        return []
    had = {" ".join(text.split()).lower()
           for event in detail.events if event.kind in _ISSUE_EVENTS
           for text in (event.before, event.after) if text}
    return [i for i in suggested_issues(detail) if " ".join(i.split()).lower() not in had]


def check_context(*, detail: CaseDetail | None, account: Account | None,
                  template_body: str | None = None,
                  missing: Sequence[MissingVariable] = (),
                  brand_domains: Sequence[str] = (), initials: str | None = None,
                  char_limit: int | None = None,
                  brand: Mapping[str, Sequence[str]] | None = None) -> voice.CheckContext:
    """The checker's context for a reply in a case.

    ``brand`` is `brand_allowlists` (``brand_domains`` adds to its domains).
    When the case has no checklist yet, the issues are taken from the
    customer's message.
    """
    from console.core import voice

    target = reply_target(detail) if detail else None
    open_issues = [i.text for i in detail.checklist if not i.done] if detail else []
    brand = brand or {}
    return voice.CheckContext(
        platform=account.platform.value if account else "mastodon",
        reply_to=target.text if target else None,
        reply_to_sentiment=target.sentiment if target else None,
        open_issues=open_issues,
        template_body=template_body,
        brand_domains=tuple(brand_domains) + tuple(brand.get("brand.domains", ())),
        brand_phones=tuple(brand.get("brand.phones", ())),
        brand_names=tuple(brand.get("brand.names", ())),
        brand_addresses=tuple(brand.get("brand.addresses", ())),
        derive_issues=not (detail and detail.checklist),
        public=not (target is not None and target.kind is MessageKind.DM),
        limit=char_limit,
        missing_variables=tuple(missing),
        agent_initials=initials or None,
    )

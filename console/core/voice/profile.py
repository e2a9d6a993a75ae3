"""Voice profiles: reading the rule sections from TOML, checking every setting."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from console.core.voice.model import SEVERITIES, ProfileError, Severity
from console.core.voice.phrases import PhraseSet
from console.core.voice.rules import (
    DEFAULT_ACKNOWLEDGE,
    DEFAULT_ACRONYMS,
    DEFAULT_DEFLECTION,
    DEFAULT_OWNERSHIP,
    DEFAULT_ROBOTIC,
    DeflectionRules,
    EmojiRules,
    EmpathyRules,
    ExclamationRules,
    LinksRules,
    OpenIssuesRules,
    PrivateDataRules,
    Profile,
    ReadabilityRules,
    ShoutingRules,
    SignoffRules,
    SimpleRule,
    SlangRules,
    StockAnswerRules,
    TermsRules,
)
from console.core.voice.text import _normalize_domain, _signoff_regex

__all__ = [
    "DEFAULT_ACKNOWLEDGE", "DEFAULT_ACRONYMS", "DEFAULT_DEFLECTION", "DEFAULT_OWNERSHIP",
    "DEFAULT_ROBOTIC", "Profile", "load_profile", "load_profiles", "loads_profile",
    "parse_profile",
]


class _Reader:
    """Reads one TOML table, checking types and refusing unknown keys."""

    _MISSING: Final = object()

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, Mapping):
            raise ProfileError(f"{where} must be a table")
        self._data = dict(data)
        self._where = where

    def _pop(self, key: str) -> Any:
        return self._data.pop(key, self._MISSING)

    def get_bool(self, key: str, default: bool) -> bool:
        value = self._pop(key)
        if value is self._MISSING:
            return default
        if not isinstance(value, bool):
            raise ProfileError(f"{self._where}.{key} must be true or false")
        return value

    def get_int(self, key: str, default: int, *, minimum: int = 0) -> int:
        value = self._pop(key)
        if value is self._MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ProfileError(f"{self._where}.{key} must be a whole number >= {minimum}")
        return value

    def optional_int(self, key: str) -> int | None:
        if key not in self._data:
            return None
        return self.get_int(key, 0)

    def get_float(
        self, key: str, default: float | None, *, low: float, high: float
    ) -> float | None:
        value = self._pop(key)
        if value is self._MISSING:
            return default
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            raise ProfileError(f"{self._where}.{key} must be a number from {low} to {high}")
        return float(value)

    def get_str(self, key: str, default: str) -> str:
        value = self._pop(key)
        if value is self._MISSING:
            return default
        if not isinstance(value, str):
            raise ProfileError(f"{self._where}.{key} must be text")
        return value

    def choice(self, key: str, default: str, choices: Sequence[str]) -> str:
        value = self.get_str(key, default)
        if value not in choices:
            raise ProfileError(f"{self._where}.{key} must be one of {', '.join(choices)}")
        return value

    def severity(self, key: str, default: Severity) -> Severity:
        value = self.choice(key, default, SEVERITIES)
        return "error" if value == "error" else "warning" if value == "warning" else "suggestion"

    def strings(self, key: str, default: Sequence[str]) -> tuple[str, ...]:
        value = self._pop(key)
        if value is self._MISSING:
            return tuple(default)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ProfileError(f"{self._where}.{key} must be a list of texts")
        return tuple(value)

    def mapping(self, key: str) -> dict[str, str] | None:
        value = self._pop(key)
        if value is self._MISSING:
            return None
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ProfileError(f'{self._where}.{key} must be a table of "text" = "text"')
        return dict(value)

    def phrases(
        self, key: str, default: Sequence[tuple[str, str | None]] | None
    ) -> PhraseSet | None:
        """A phrase list (array) or a phrase table (phrase = replacement)."""
        value = self._pop(key)
        if value is self._MISSING:
            return None if default is None else PhraseSet.build(list(default))
        items: list[tuple[str, str | None]]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            items = [(v, None) for v in value]
        elif isinstance(value, Mapping) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            items = list(value.items())
        else:
            raise ProfileError(
                f'{self._where}.{key} must be a list of texts or a table of "text" = "text"'
            )
        try:
            return PhraseSet.build(items)
        except ProfileError as exc:
            raise ProfileError(f"{self._where}.{key}: {exc}") from exc

    def table(self, key: str) -> _Reader:
        value = self._pop(key)
        return _Reader({} if value is self._MISSING else value, f"{self._where}.{key}")

    def done(self) -> None:
        if self._data:
            unknown = ", ".join(sorted(self._data))
            raise ProfileError(f"{self._where}: unknown setting(s): {unknown}")


def parse_profile(data: Mapping[str, Any], *, name: str) -> Profile:
    """Build a profile from parsed TOML.

    Args:
        data: The TOML document as a dict.
        name: The profile's name when ``[profile] name`` is not set (usually
            the file name without ``.toml``).

    Returns:
        The compiled profile.

    Raises:
        ProfileError: On unknown sections or settings, wrong types, or invalid
            patterns; the message names the setting.
    """
    root = _Reader(data, name)

    meta = root.table("profile")
    profile_name = meta.get_str("name", name)
    title = meta.get_str("title", profile_name)
    description = meta.get_str("description", "")
    meta.done()

    t = root.table("terms")
    terms = TermsRules(
        enabled=t.get_bool("enabled", True),
        banned_severity=t.severity("banned_severity", "warning"),
        discouraged_severity=t.severity("discouraged_severity", "warning"),
        banned=t.phrases("banned", ()) or PhraseSet(),
        discouraged=t.phrases("discouraged", ()) or PhraseSet(),
        # Everyday phrases that contain a listed word in another sense
        # ("deal with", "no problem with your order").
        allowed=t.phrases("allowed", ()) or PhraseSet(),
    )
    t.done()

    e = root.table("emoji")
    policy = e.choice("policy", "allow", ("allow", "limit", "forbid"))
    emoji = EmojiRules(
        enabled=e.get_bool("enabled", True),
        policy="forbid" if policy == "forbid" else "limit" if policy == "limit" else "allow",
        max=e.get_int("max", 3),
        max_when_upset=e.optional_int("max_when_upset"),
        not_when_upset=frozenset(e.strings("not_when_upset", ())),
        emoticons=e.get_bool("emoticons", False),
        severity=e.severity("severity", "warning"),
        upset_severity=e.severity("upset_severity", "warning"),
    )
    e.done()

    x = root.table("exclamation")
    policy = x.choice("policy", "allow", ("allow", "limit", "forbid"))
    exclamation = ExclamationRules(
        enabled=x.get_bool("enabled", True),
        policy="forbid" if policy == "forbid" else "limit" if policy == "limit" else "allow",
        max=x.get_int("max", 1),
        repeated=x.get_bool("repeated", True),
        severity=x.severity("severity", "warning"),
    )
    x.done()

    s = root.table("shouting")
    shouting = ShoutingRules(
        enabled=s.get_bool("enabled", True),
        min_letters=s.get_int("min_letters", 4, minimum=2),
        min_run=s.get_int("min_run", 1, minimum=1),
        acronyms=DEFAULT_ACRONYMS | frozenset(a.upper() for a in s.strings("acronyms", ())),
        severity=s.severity("severity", "warning"),
    )
    s.done()

    sl = root.table("slang")
    slang = SlangRules(
        enabled=sl.get_bool("enabled", True),
        severity=sl.severity("severity", "warning"),
        words=sl.phrases("words", ()) or PhraseSet(),
    )
    sl.done()

    so = root.table("signoff")
    signoff = SignoffRules(
        enabled=so.get_bool("enabled", True),
        required=so.get_bool("required", False),
        format=so.get_str("format", SignoffRules.format),
        pattern=so.get_str("pattern", SignoffRules.pattern),
        severity=so.severity("severity", "warning"),
    )
    so.done()
    if "{initials}" not in signoff.format:
        raise ProfileError(f"{name}.signoff.format must contain {{initials}}")
    try:
        _signoff_regex(signoff.pattern, "AB")
    except re.error as exc:
        raise ProfileError(f"{name}.signoff.pattern is not a valid pattern: {exc}") from exc

    r = root.table("readability")
    readability = ReadabilityRules(
        enabled=r.get_bool("enabled", True),
        max_grade=r.get_float("max_grade", None, low=0, high=30),
        min_words=r.get_int("min_words", 20),
        severity=r.severity("severity", "suggestion"),
    )
    r.done()

    em = root.table("empathy")
    empathy = EmpathyRules(
        enabled=em.get_bool("enabled", True),
        negative_threshold=em.get_float("negative_threshold", -0.3, low=-1, high=0) or 0.0,
        acknowledge=em.phrases("acknowledge", [(p, None) for p in DEFAULT_ACKNOWLEDGE])
        or PhraseSet(),
        fix=em.get_str("fix", EmpathyRules.fix),
        severity=em.severity("severity", "warning"),
        robotic_severity=em.severity("robotic_severity", "warning"),
        robotic=em.phrases("robotic", DEFAULT_ROBOTIC) or PhraseSet(),
    )
    em.done()

    sa = root.table("stock_answer")
    stock_answer = StockAnswerRules(
        enabled=sa.get_bool("enabled", True),
        min_similarity=sa.get_float("min_similarity", 0.9, low=0.5, high=1.0) or 0.9,
        severity=sa.severity("severity", "warning"),
    )
    sa.done()

    oi = root.table("open_issues")
    open_issues = OpenIssuesRules(
        enabled=oi.get_bool("enabled", True),
        min_share=oi.get_float("min_share", 0.5, low=0.01, high=1.0) or 0.5,
        severity=oi.severity("severity", "warning"),
    )
    oi.done()

    d = root.table("deflection")
    deflection = DeflectionRules(
        enabled=d.get_bool("enabled", True),
        severity=d.severity("severity", "warning"),
        phrases=d.phrases("phrases", [(p, None) for p in DEFAULT_DEFLECTION]) or PhraseSet(),
        ownership=d.phrases("ownership", [(p, None) for p in DEFAULT_OWNERSHIP]) or PhraseSet(),
    )
    d.done()

    p = root.table("private_data")
    custom: list[tuple[str, re.Pattern[str]]] = []
    for label, rx in (p.mapping("patterns") or {}).items():
        try:
            custom.append((label, re.compile(rx)))
        except re.error as exc:
            raise ProfileError(f"{name}.private_data.patterns.{label}: {exc}") from exc
    private_data = PrivateDataRules(
        enabled=p.get_bool("enabled", True),
        email=p.get_bool("email", True),
        phone=p.get_bool("phone", True),
        order_number=p.get_bool("order_number", True),
        street_address=p.get_bool("street_address", True),
        patterns=tuple(custom),
        severity=p.severity("severity", "error"),
    )
    p.done()

    lk = root.table("links")
    links = LinksRules(
        enabled=lk.get_bool("enabled", True),
        domains=tuple(_normalize_domain(dm) for dm in lk.strings("domains", ())),
        severity=lk.severity("severity", "warning"),
    )
    lk.done()

    ln = root.table("length")
    length = SimpleRule(
        enabled=ln.get_bool("enabled", True), severity=ln.severity("severity", "error")
    )
    ln.done()

    mv = root.table("missing_variable")
    missing_variable = SimpleRule(
        enabled=mv.get_bool("enabled", True), severity=mv.severity("severity", "error")
    )
    mv.done()

    root.done()
    return Profile(
        name=profile_name,
        title=title,
        description=description,
        terms=terms,
        emoji=emoji,
        exclamation=exclamation,
        shouting=shouting,
        slang=slang,
        signoff=signoff,
        readability=readability,
        empathy=empathy,
        stock_answer=stock_answer,
        open_issues=open_issues,
        deflection=deflection,
        private_data=private_data,
        links=links,
        length=length,
        missing_variable=missing_variable,
    )


def loads_profile(text: str, *, name: str) -> Profile:
    """Parse a profile from TOML text (e.g. as stored in the workspace).

    Args:
        text: The TOML document.
        name: The profile's name when ``[profile] name`` is not set.

    Returns:
        The compiled profile.

    Raises:
        ProfileError: If the TOML is malformed or a setting is invalid.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"voice profile {name!r} is not valid TOML: {exc}") from exc
    return parse_profile(data, name=name)


def load_profile(path: Path | str) -> Profile:
    """Load one voice profile from a TOML file.

    Args:
        path: The ``.toml`` file; its stem is the default profile name.

    Returns:
        The compiled profile.

    Raises:
        ProfileError: If the file cannot be read or is invalid.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"cannot read voice profile {path}: {exc}") from exc
    return loads_profile(text, name=path.stem)


def load_profiles(directory: Path | str) -> dict[str, Profile]:
    """Load every ``*.toml`` voice profile in a directory.

    Args:
        directory: E.g. ``resources/voice``.

    Returns:
        Profiles by name, in file-name order.

    Raises:
        ProfileError: If a file is invalid or two files use the same name.
    """
    profiles: dict[str, Profile] = {}
    for path in sorted(Path(directory).glob("*.toml")):
        profile = load_profile(path)
        if profile.name in profiles:
            raise ProfileError(f"two voice profiles are named {profile.name!r} ({path})")
        profiles[profile.name] = profile
    return profiles



"""Voice profiles: the rule sections, their defaults, and reading them from TOML."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from console.core.voice.model import SEVERITIES, ProfileError, Severity, _words
from console.core.voice.phrases import PhraseSet
from console.core.voice.text import _normalize_domain, _signoff_regex


@dataclass(frozen=True)
class TermsRules:
    """``[terms]``: banned and discouraged words with suggested replacements."""

    enabled: bool = True
    banned: PhraseSet = field(default_factory=PhraseSet)
    discouraged: PhraseSet = field(default_factory=PhraseSet)
    allowed: PhraseSet = field(default_factory=PhraseSet)
    banned_severity: Severity = "warning"
    discouraged_severity: Severity = "warning"


@dataclass(frozen=True)
class EmojiRules:
    """``[emoji]``: how many emoji a reply may have."""

    enabled: bool = True
    policy: Literal["allow", "limit", "forbid"] = "allow"
    max: int = 3
    max_when_upset: int | None = None
    not_when_upset: frozenset[str] = frozenset()
    emoticons: bool = False
    severity: Severity = "warning"
    upset_severity: Severity = "warning"


@dataclass(frozen=True)
class ExclamationRules:
    """``[exclamation]``: how many exclamation marks, and whether "!!" is ok."""

    enabled: bool = True
    policy: Literal["allow", "limit", "forbid"] = "allow"
    max: int = 1
    repeated: bool = True
    severity: Severity = "warning"


@dataclass(frozen=True)
class ShoutingRules:
    """``[shouting]``: words in capitals that are not known acronyms."""

    enabled: bool = True
    min_letters: int = 4
    min_run: int = 1
    acronyms: frozenset[str] = field(default_factory=lambda: DEFAULT_ACRONYMS)
    severity: Severity = "warning"


@dataclass(frozen=True)
class SlangRules:
    """``[slang]``: informal words, each with a suggested replacement."""

    enabled: bool = True
    words: PhraseSet = field(default_factory=PhraseSet)
    severity: Severity = "warning"


@dataclass(frozen=True)
class SignoffRules:
    """``[signoff]``: a required sign-off at the end of the reply."""

    enabled: bool = True
    required: bool = False
    format: str = "\n— {initials}"
    pattern: str = r"(?:^|\s)[-–—~^]\s*{initials}\s*$"
    severity: Severity = "warning"


@dataclass(frozen=True)
class ReadabilityRules:
    """``[readability]``: a Flesch-Kincaid grade ceiling."""

    enabled: bool = True
    max_grade: float | None = None
    min_words: int = 20
    severity: Severity = "suggestion"


@dataclass(frozen=True)
class EmpathyRules:
    """``[empathy]``: acknowledge an upset customer; do not sound like a robot."""

    enabled: bool = True
    negative_threshold: float = -0.3
    acknowledge: PhraseSet = field(default_factory=PhraseSet)
    fix: str = "I'm sorry about this."
    severity: Severity = "warning"
    robotic: PhraseSet = field(default_factory=PhraseSet)
    robotic_severity: Severity = "warning"


@dataclass(frozen=True)
class StockAnswerRules:
    """``[stock_answer]``: a template sent without (enough) editing."""

    enabled: bool = True
    min_similarity: float = 0.9
    severity: Severity = "warning"


@dataclass(frozen=True)
class OpenIssuesRules:
    """``[open_issues]``: each open checklist item should be answered."""

    enabled: bool = True
    min_share: float = 0.5
    severity: Severity = "warning"


@dataclass(frozen=True)
class DeflectionRules:
    """``[deflection]``: sending the customer elsewhere without owning it."""

    enabled: bool = True
    phrases: PhraseSet = field(default_factory=PhraseSet)
    ownership: PhraseSet = field(default_factory=PhraseSet)
    severity: Severity = "warning"


@dataclass(frozen=True)
class PrivateDataRules:
    """``[private_data]``: personal data in a public reply."""

    enabled: bool = True
    email: bool = True
    phone: bool = True
    order_number: bool = True
    street_address: bool = True
    patterns: tuple[tuple[str, re.Pattern[str]], ...] = ()
    severity: Severity = "error"


@dataclass(frozen=True)
class LinksRules:
    """``[links]``: links only to the brand's own domains."""

    enabled: bool = True
    domains: tuple[str, ...] = ()
    severity: Severity = "warning"


@dataclass(frozen=True)
class SimpleRule:
    """A rule with nothing to set but whether it runs and its severity."""

    enabled: bool = True
    severity: Severity = "error"


@dataclass(frozen=True)
class Profile:
    """A brand's voice: every rule section, compiled and ready to check.

    Build one with `load_profile`, `load_profiles` or `parse_profile`.
    """

    name: str
    title: str = ""
    description: str = ""
    terms: TermsRules = field(default_factory=TermsRules)
    emoji: EmojiRules = field(default_factory=EmojiRules)
    exclamation: ExclamationRules = field(default_factory=ExclamationRules)
    shouting: ShoutingRules = field(default_factory=ShoutingRules)
    slang: SlangRules = field(default_factory=SlangRules)
    signoff: SignoffRules = field(default_factory=SignoffRules)
    readability: ReadabilityRules = field(default_factory=ReadabilityRules)
    empathy: EmpathyRules = field(default_factory=lambda: _DEFAULT_EMPATHY)
    stock_answer: StockAnswerRules = field(default_factory=StockAnswerRules)
    open_issues: OpenIssuesRules = field(default_factory=OpenIssuesRules)
    deflection: DeflectionRules = field(default_factory=lambda: _DEFAULT_DEFLECTION)
    private_data: PrivateDataRules = field(default_factory=PrivateDataRules)
    links: LinksRules = field(default_factory=LinksRules)
    length: SimpleRule = field(default_factory=SimpleRule)
    missing_variable: SimpleRule = field(default_factory=SimpleRule)


#: Capitalized words that are not shouting; a profile's ``acronyms`` add to these.
DEFAULT_ACRONYMS: Final[frozenset[str]] = _words(
    """
    FAQ ASAP USA UK EU US DM DMS ETA URL PDF UPS DHL FEDEX USPS ID PIN OK TV BBQ HTML CEO
    NHS USB LED PTFE PFOA BPA RRP VAT GMT BST UTC CET EST PST AM PM FYI NB PS RSVP SMS
    AI IT HR QA UX UI API FAQS NASA BBC ITV NYC LA ATM IOS APP DIY XL XXL XS
    DPD GLS TNT EVRI HERMES YODEL PARCELFORCE ROYAL MAIL AMAZON POSTNL BPOST DHL CHRONOPOST
    COLISSIMO CORREOS SEUR MRW CTT BRT SDA POSTE GEODIS ARAMEX PUROLATOR CANADA POST AUSPOST
    IKEA EAN SKU RMA IBAN BIC PAYPAL KLARNA VISA EUR GBP USD SEPA
    """
)

DEFAULT_ACKNOWLEDGE: Final = (
    "sorry",
    "apolog*",
    "understand*",
    "frustrat*",
    "disappoint*",
    "that's not ok*",
    "not good enough",
    "not what you (expected|deserve|ordered|paid for)",
    "shouldn't have happened",
    "should not have happened",
    "I hear you",
    "I'm with you",
    "(ugh|argh|oh no|oof)",
    "what a (pain|nightmare|hassle|mess|faff|letdown|let-down)",
    "(that's|that is|how|so) (really|) (annoying|rubbish|awful|maddening|infuriating|unfair|rough)",
    "(I'd|I would) be (annoyed|cross|upset|fed up|furious|livid|mad) too",
    "I (completely|totally|) get (it|why|that)",
    "I can (only|) (imagine|see why)",
    "(you're|you are) right to be",
    "no wonder (you're|you are)",
    "that (must|must've) (be|have been)",
    "(that's|that is|it's) not on",
    "not acceptable",
    "tut (mir|uns) (so|sehr|echt|wirklich|aufrichtig|unendlich|) leid",
    "entschuldig*",
    "(désolé*|navré*)",
    "(lo|la) (siento|sentimos)",
    "(lamentamos|lamento)",
    "(perdón|perdon|perdona|perdone|disculpa*|disculpe*)",
    "(desculp*|perdão)",
    "(mi|ci) dispiace",
    "(scus*)",
    "(excuses|spijt)",
)
DEFAULT_ROBOTIC: Final = (
    ("we apologi* for any inconvenience (caused|)", "I'm sorry for the trouble this has caused"),
    ("(your|this) call is important to us", None),
    ("please be advised", ""),
    ("as per our policy", None),
    ("we regret to inform you", None),
    ("thank you for your patience and understanding", None),
    ("(valued|dear) customer", None),
    ("for security reasons we cannot", None),
)
DEFAULT_DEFLECTION: Final = (
    "(please|) contact (our|the) (customer|) (support|service|care|help|billing|returns|sales|"
    "technical|tech|accounts|complaints|delivery) (team|desk|department|)",
    "(please|) (tweet|message|DM|ping|contact|email|write to|reach out to) @",
    "(please|) (email|e-mail|mail) us at",
    "(please|) (call|phone|ring) (our|the) (help*|support|customer service|customer care|care) (line|team|number|)",
    "we have a (dedicated|separate|) (support|customer service|care) (team|account)",
    "(this|our) account (is|) (only|just) for",
    "(we|I) (can't|cannot|can not) help with (that|this|it) here",
    "you('ll| will) need to contact",
    "(get|getting) in touch with (our|the) (support|customer service|care) (team|)",
)
DEFAULT_OWNERSHIP: Final = (
    "I've passed",
    "I have passed",
    "I'll",
    "I will",
    "(we'll|we will) look into",
    "I've (asked|flagged|escalated|raised|shared|forwarded|sent|arranged|booked|started|contacted)",
    "I have (asked|flagged|escalated|raised|shared|forwarded|sent|arranged|booked|started|contacted)",
    "I'm (looking|checking|chasing|following)",
    "let me",
)

_DEFAULT_EMPATHY: Final[EmpathyRules] = EmpathyRules(
    acknowledge=PhraseSet.build([(p, None) for p in DEFAULT_ACKNOWLEDGE]),
    robotic=PhraseSet.build(list(DEFAULT_ROBOTIC)),
)
_DEFAULT_DEFLECTION: Final[DeflectionRules] = DeflectionRules(
    phrases=PhraseSet.build([(p, None) for p in DEFAULT_DEFLECTION]),
    ownership=PhraseSet.build([(p, None) for p in DEFAULT_OWNERSHIP]),
)


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



"""The rule sections of a voice profile and their defaults (read by `console.core.voice.profile`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final, Literal

from console.core.voice.model import Severity, _words
from console.core.voice.phrases import PhraseSet


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
    (
        "(please|) contact (our|the) (customer|) (support|service|care|help|billing|returns|"
        "sales|technical|tech|accounts|complaints|delivery) (team|desk|department|)"
    ),
    "(please|) (tweet|message|DM|ping|contact|email|write to|reach out to) @",
    "(please|) (email|e-mail|mail) us at",
    "(please|) (call|phone|ring) (our|the) (help*|support|customer service|customer care|care) (line|team|number|)",
    "we have a (dedicated|separate|) (support|customer service|care) (team|account)",
    "(this|our) account (is|) (only|just) for",
    "(we|I) (can't|cannot|can not) help with (that|this|it) here",
    "you('ll| will) need to contact",
    "(get|getting) in touch with (our|the) (support|customer service|care) (team|)",
    "(please|) contact (your|the) (bank|card issuer|courier|carrier|delivery company)",
    # The same bounce in the six other languages of the mood detector.
    ("(bitte|) (wende* dich|wenden Sie sich|kontaktier*|melde* dich|melden Sie sich|frag*|ruf*) "
     "(am besten|bitte|) (bei|an|) (unser*|den|die|das|dem|deine*|Ihre*) (Kundenservice|"
     "Kundendienst|Support|Service|Buchhaltung|Versandabteilung|Bank|Paketdienst|Zusteller)"),
    ("(merci de|veuillez|) (contacter|contactez|contacte|écrivez à|écris à|adressez-vous à|"
     "adresse-toi à|appelez|appelle) (notre|le|la|votre|ta|ton) (service client*|SAV|support|"
     "service après-vente|banque|transporteur)"),
    ("(por favor|) (contacta|contacte|contactad|póngase en contacto con|ponte en contacto con|"
     "escribe a|escriba a|llama a|llame a) (nuestro|nuestra|el|la|su|tu) (servicio de atención al "
     "cliente|atención al cliente|servicio al cliente|soporte|banco|transportista|empresa de "
     "transporte)"),
    "(puede|puedes) consultar (el|) (seguimiento|estado) en la web de",
    ("(por favor|) (contacte|contacta|entre em contacto com|entra em contacto com|fale com|"
     "liga para|ligue para) (o nosso|a nossa|o|a|o seu|a sua|o teu|a tua) (apoio ao cliente|"
     "serviço de apoio|atendimento ao cliente|suporte|banco|transportadora)"),
    ("(la preghiamo di|ti preghiamo di|per favore|) (contatta|contatti|contattare|scrivi a|"
     "scriva a|chiama|chiami) (il nostro|la nostra|il|la|la sua|la tua) (servizio clienti|"
     "assistenza clienti|assistenza|supporto|banca|corriere)"),
    ("(neem|neemt u|graag) contact op met (onze|de|uw|je) (klantenservice|klantendienst|support|"
     "bank|bezorgdienst|vervoerder)"),
    "(bel|mail) (onze|de) (klantenservice|klantendienst)",
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
    ("(ich werde|ich kümmere mich|ich kläre|je vais|je m'en occupe|voy a|me encargo|vou|"
     "mi occupo|ik ga|ik zorg)"),
)

_DEFAULT_EMPATHY: Final[EmpathyRules] = EmpathyRules(
    acknowledge=PhraseSet.build([(p, None) for p in DEFAULT_ACKNOWLEDGE]),
    robotic=PhraseSet.build(list(DEFAULT_ROBOTIC)),
)
_DEFAULT_DEFLECTION: Final[DeflectionRules] = DeflectionRules(
    phrases=PhraseSet.build([(p, None) for p in DEFAULT_DEFLECTION]),
    ownership=PhraseSet.build([(p, None) for p in DEFAULT_OWNERSHIP]),
)

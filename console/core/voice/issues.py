"""A customer's issues: found in their message, and answered by meaning rather than one keyword.

An issue ("the lid arrived cracked", "nobody answered my email") is reduced
to *concepts*: words that talk about the same aspect of a problem share one
(``cracked``, ``broken``, ``kaputt``, ``replacement`` are all the item's
condition; ``answer``, ``reply``, ``réponse`` are all a reply), in the seven
languages of the mood detector; any other word is its own concept, by stem.
A draft answers an issue when it shares enough of the issue's concepts:
one when the issue has one, else at least two and at least ``min_share`` of
them. So "I've emailed you the label" shares "email" with "nobody answered
my email" but does not answer it; "sorry nobody replied to your email" does.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from typing import Final

from console.core import moodwords
from console.core.voice.aspects import _PROBLEM_ANY, asked, first_words, gives, reports_problem
from console.core.voice.model import _words

# Concept -> word stems in seven languages (a stem matches any ending).
_CONCEPTS: Final[dict[str, str]] = {
    "condition": """broke broken break crack smash shatter damag dent faulty defect chipp scratch torn tear ripp hole
        leak replac repair fix fail snapp died dead spark trip fuse smell burn smok melt geschmolz
        fondu derrit derret sciogl smelt kaputt defekt beschädig zerbroch gesprung ersatz repar cassé cassee
        abîm endommag fissur remplac roto rota rotos dañad estropead reempla sustitu arregl
        quebrad danificad rachad substitu consert rotto rotta rotti danneggi difett sostitu ripar
        kapot beschadig gebroken vervang""",
    "correctness": """wrong right correct incorrect mistak mix-up mixup swapp error falsch
        richtig verkehrt vertausch mauvais erron équivoc equivoc correct errad certo sbagliat
        giust verkeerd juist""",
    "colour": """colour color green blue red black white pink grey gray yellow cream sage navy
        purple orange brown silver gold farbe grün blau rot schwarz weiß couleur vert bleu noir
        blanc rouge verde azul negro blanco rojo cor preto branco vermelho colore nero bianco
        rosso kleur groen blauw zwart wit""",
    "size": """size small large big tight loose fit größe klein groß taille petit grand talla
        pequeñ tamanho pequen taglia piccol maat klein groot""",
    "delivery": """deliver arriv parcel package courier ship dispatch posted postage tracking
        track transit reach warehous depot trace courier evri dpd dhl ups hermes gls yodel
        receiv received reçu reçue recib recebi ricevut ontvang erhalten bekommen
        lieferung geliefert liefer paket sendung angekommen zustell livraison livr
        colis arrivé expédi entrega paquete llegó llego envío envio enví encomenda cheg entregu
        envi consegn pacco arrivat spedi levering geleverd pakket bezorg aangekomen verzend""",
    "time": """late delay wait week day month overdue eta still yet when soon today tomorrow
        monday tuesday wednesday thursday friday saturday sunday verspät wart woche tage heute
        morgen retard attend semaine jour demain retraso esper semana días dia hoy mañana atras
        hoje amanhã ritard attes settiman giorn oggi domani vertraag wacht week dagen vandaag
        morgen""",
    "refund": """refund reimburs repay money erstatt rückerstatt geld rembours reembols dinero
        devolución reembolso dinheiro rimbors soldi terugbetal geld""",
    "reply": """answer repl respond respons ignor silence nobody antwort rückmeld meldet
        reagier répon repond réagi respuesta respond contest resposta respond atend rispost
        rispond antwoord reactie reageer""",
    "channel": """email e-mail mail dm messag chat phone call ring ticket form inbox nachricht anruf
        courriel appel mensaje correo llamad mensagem ligaç messaggi chiamat bericht gebeld""",
    "charge": """charg payment pay paid bill invoice twice double card abgebucht bezahl zahlung
        rechnung payé pai prélev factur cobr cargo pago pagad factura pagament pagat addebit fattur
        betaling betaald factuur""",
    "missing": """missing miss lost fehlt fehlen fehlend verloren manqu perdu falta faltan faltaba
        perdid faltam faltando manca mancan mancant ontbre kwijt""",
    "cancel": "cancel storn annul anul cancela annull",
    "return": """return send-back exchange swap label umtausch tausch rücksend retour renvo échang
        devol cambi troca trocar reso restitu scambi ruil omruil""",
    "account": "account login log-in password sign-in konto passwort compte cuenta conta",
    "discount": """code voucher discount coupon promo gutschein rabatt réduction remise descuento
        cupón desconto cupom sconto korting""",
    "stock": """stock availab sold-out restock verfügbar ausverkauf disponib agotad esgotad
        esaurit beschikbaar voorraad uitverkocht""",
    "hours": """open opening hour close closing öffnungszeit geöffnet horaire ouvert horario
        abiert horário abert orari apert openingstijd geopend""",
    "warranty": "warranty guarantee garantie garantía garantia garanzia",
    "safety": """safe safety danger hazard unplug switch-off sicher gefahr gefährlich ausstecken
        sécurité dangereu débranch seguro segura peligr desenchuf perigo desligu sicur pericol
        staccat veilig gevaar stekker""",
    # Parts and accessories, whatever the word ("Griff"/"Stiel", "filtro"/"infusore").
    "handle": """handle griff stiel henkel poignée poignee manche mango asa pega manico
        impugnatur handvat greep hengsel steel""",
    "strainer": """strainer infuser filter sieb filtereinsatz teesieb filtre infuseur passoire
        filtro infusor colador coador passino colino infusore zeef theezeef""",
    "power": """plug charger adapter adaptor socket usb stecker netzteil ladegerät ladekabel
        prise fiche chargeur adaptateur enchufe cargador adaptador tomada carregador spina
        caricatore adattatore stekker oplader""",
    "hob": """hob stove cooktop herd kochfeld gasherd plaque cuisinière fornello fornelli
        fuoco gas piano cottura fogão fogao fogon fogón cocina vitrocerámica kookplaat fornuis""",
    "check": """check look investigat chase find-out nachseh nachschau prüf überprüf vérifi
        regard verific revis averigu controll kijk nakijk""",
}

_ASPECTS: Final = frozenset(_CONCEPTS) - {"time"}
#: The aspects of a problem (every concept but time), for the rules that weigh them.
ASPECTS: Final = _ASPECTS
# Failures of the item itself, which a replacement answers.
_REPLACEABLE: Final = frozenset({"condition", "correctness", "colour", "size"})

_PHRASES: Final = (
    (re.compile(r"\b(?:money back|geld zurück|geld terug)\b", re.IGNORECASE), " refund "),
    (re.compile(r"\b(?:hear|heard|get|got|getting) back\b", re.IGNORECASE), " reply "),
    (re.compile(r"\bno(?:-| )one\b", re.IGNORECASE), " nobody "),
    # calling back is replying ("belt niet terug", "ruft nicht zurück", "never called back")
    (re.compile(r"\b(?:call(?:ed|s)?|ring(?:s)?|rang) (?:me |us )?back\b|\b(?:bel|belt|bellen|gebeld)\b"
                r"(?: \w+){0,2} terug\b|\bruf\w* (?:\w+ ){0,2}zurück\b|\brappel\w*|"
                r"\bdevolv\w* (?:la |las )?llamad\w*|\bretorn\w* (?:a |as )?(?:chamada|ligação)|"
                r"\brichiam\w*", re.IGNORECASE), " reply "),
    (re.compile(r"\bsend(?:ing)? (?:it )?back\b", re.IGNORECASE), " send-back "),
    (re.compile(r"\bsold out\b", re.IGNORECASE), " sold-out "),
    (re.compile(r"\b(?:log|sign)(?:ged)? in\b", re.IGNORECASE), " login "),
    (re.compile(r"\bon (?:its|the) way\b", re.IGNORECASE), " deliver "),
    (re.compile(r"\bwhere(?:'s| is| are|) (?:my|our|the) (?:order|parcel|package|item)s?\b", re.IGNORECASE),
     " deliver "),
    (re.compile(r"\blog(?:s|ged|ging)? (?:me |you |us )?(?:out|off)\b|\blog-?out\b", re.IGNORECASE), " login "),
    (re.compile(r"\bdelivery address\b", re.IGNORECASE), " address "),
    # the cost of shipping, however named ("frais de port", "Versandkosten", "portes")
    (re.compile(r"\b(?:frais de port|frais d'envoi|frais de livraison|versandkosten\w*|"
                r"lieferkosten|porto(?:kosten)?\b|gastos de envío|gastos de envio|portes|"
                r"spese di spedizione|verzendkosten|postage)\b", re.IGNORECASE), " shipping "),
    (re.compile(r"\bfind out\b", re.IGNORECASE), " find-out "),
    (re.compile(r"\b(?:switch|turn)(?:ed|ing)? (?:it |them )?off\b|\b(?:do not|don't|stop) us(?:e|ing) it\b",
                re.IGNORECASE), " switch-off "),
    (re.compile(r"\b\d+\s*%\s*off\b", re.IGNORECASE), " discount "),
    (re.compile(r"\b\d{1,2}(?:[:.]\d\d)?\s*(?:am|pm|h|uhr)\b|\b\d{1,2}[:.]\d\d\b", re.IGNORECASE), " hour "),
    (re.compile(r"\bnew one\b", re.IGNORECASE), " replace "),
    (re.compile(r"\b(?:in|into) pieces\b|\bin stücke\w*|\ben (?:mille )?morceaux\b|\ben pedazos\b|"
                r"\bem pedaços\b|\ba pezzi\b|\bin stukken\b", re.IGNORECASE), " broken "),
    (re.compile(r"\b(?:in|into) pieces\b|\bin stücke\w*|\ben (?:morceaux|mille morceaux)\b|"
                r"\ben pedazos\b|\bem pedaços\b|\ba pezzi\b|\bin stukken\b", re.IGNORECASE), " broken "),
)

#: Words that say nothing about which issue is meant.
_GENERIC: Final = _words(
    """
    order ordered orders item items product products thing things stuff purchase bought buy
    get got one ones bestellung commande pedido encomenda ordine bestelling artikel article
    artículo produto prodotto product help please thanks thank
    """
)

_STOP: Final = _words(
    """
    a an the and or but if of at by for with about to from in on off out over under up down
    into onto than then so not no nor is are was were be been being have has had do does did
    i me my we our you your he she it its they them their this that these those there here
    what which who when where why how all any some more most very can could would should will
    shall may might must just also too again yet hi hello hey guys team it's i'm i've that's
    don't didn't doesn't can't won't isn't wasn't hasn't haven't ive im dont cant never
    nothing anything something really actually even ever anyone someone anybody these
    where's what's who's how's there's here's let's you're we're they're quick question
    want wants wanted know knows asks asked tell like would
    brilliant great lovely cheers thanks thank sorry please just bit still yet now
    esto eso esta este hay alguien aquí isso isto aqui questo quello qui dit dat hier
    das dies hier ici cela ça
    der die das den dem des ein eine einen und ist sind war nicht kein keine ich mein meine
    mir mich wir sie es mit von zu auf für bei aus auch noch schon sehr aber oder wenn dass
    le la les un une des et est sont pas ne mon ma mes je il elle nous vous avec pour sur
    dans du au aux ce cette qui que
    el la los las un una y es son no mi mis yo con por para que en del al lo
    o os um uma é são não meu minha eu com para que em do da no na
    il lo gli un una e è sono non mio mia io con per che di del della nel
    de het een en is zijn niet geen mijn ik met van voor op dat die
    dem den im am zum zur beim vom ins ihr ihre ihren ihrem unser unsere unseren euch euer
    habe hab hast hat haben hatte wird werden wurde kann können könnt muss soll bitte dann
    hallo guten morgen tag abend moin danke nur mal man jemand etwas hier
    ai as avons avez ont était sera suis es c'est n'est j'ai je suis votre vos notre nos ton ta tes
    son sa ses leur leurs ces cet bonjour bonsoir salut coucou merci rien tout très bien peut
    mais ou donc car y en lui eux moi toi
    le lo les sus su tu tus nuestro nuestra nuestros vuestro he ha han hemos habéis está están
    estoy muy también pero ya hola buenas buenos días gracias puede pueden podéis algo todo
    se me te nos os le les ese esa
    o os as seu sua seus suas nosso nossa vocês você tem têm foi está estou muito também mas já
    olá oi bom boa dia obrigado obrigada pode podem algo tudo se me te nos lhe
    i la le lei suo sua suoi nostro nostra vostro ho hai abbiamo avete hanno era sarà sto sei
    molto anche ma già ciao buongiorno buonasera salve grazie può possono qualcosa tutto si mi ti
    ci vi ne da su al allo alla ai agli alle dal dalla col
    u uw je jullie we wij ons onze hun ik heb hebt heeft hebben was wordt worden kan kunnen
    moet zal ook maar al nog heel hoi hallo goedemorgen goedemiddag goedenavond dag dank bedankt
    iets alles er om te aan bij uit naar dan
    """
)

_WORD: Final = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_STRIP: Final = re.compile(r"https?://\S+|www\.\S+|[@#][\w.@-]+")
_CLAUSE: Final = re.compile(r"(?<=[.!?;…])\s+|\n+|\s[-–—]\s|,\s*(?:and|also|plus|und|et|y|e|en)\s|\s(?:and also|also|as well as|und auch|et aussi|y también|e também|e anche|en ook)\s", re.IGNORECASE)
_AND: Final = re.compile(r"\s(?:and|und|et|y|e)\s", re.IGNORECASE)
# "en" joins clauses in Dutch only (in Spanish and French it is "in").
_AND_NL: Final = re.compile(r"\s(?:and|en)\s", re.IGNORECASE)
_DUTCH: Final = re.compile(r"\b(?:het|ik|niet|mijn|jullie|geen|wij|ook|nog|heb|hoe|waar|kunnen|bij|uw)\b",
                           re.IGNORECASE)
_ASKS: Final = re.compile(
    r"\?|^\s*(?:can|could|would|will|when|where|why|how|is|are|do|does|did|what|which|any)\b"
    r"|\b(?:i (?:want|need|would like|'d like)|please|let me know|wann|wo|warum|quand|où|pourquoi"
    r"|cuándo|dónde|por qué|quando|onde|por que|perché|wanneer|waar|waarom)\b",
    re.IGNORECASE,
)
# A request in words (not just a question mark).
_REQUEST: Final = re.compile(
    r"^\s*(?:can|could|would|will|when|where|why|how|is|are|do|does|did|what|which|any)\b"
    r"|\b(?:i (?:want|need|would like|'d like)|please|let me know|can you|could you|ask for)\b",
    re.IGNORECASE,
)
_REQUEST_WORDS: Final = re.compile(
    r"\b(?:i (?:want|need|would like|'d like)|please|let me know|can you|could you|ask for)\b",
    re.IGNORECASE,
)
_ISSUE_WORDS: Final = re.compile(
    r"\b(?:wrong|missing|late|refund|charged|cancel|return|exchange|lost|damaged|broken|"
    r"crash|froze|freez|fail|error|bug|stuck|deleted|declined|rejected|loose|"
    r"never|still|nobody|no one|no (?:reply|answer|response|parcel|package|refund|update|tracking|"
    r"delivery|call|email|card|receipt)|haven't|hasn't|didn't|won't|doesn't|"
    r"can't|cannot|leak|crack|dent|faulty|defect|overcharged|twice|instead of)\w*"
    # The same in the six other languages: a negation or "still" (whole
    # words: "ne", "mai", "pas" start "new", "mail", "past")...
    r"|\b(?:nicht|kein|keine|keinen|nie|niemand|nichts|immer noch|noch immer|ne|n'|pas|plus|"
    r"jamais|personne|rien|aucune?|toujours|nunca|nadie|nada|ningún|ninguna|sin|todavía|aún|"
    r"sigue|siguen|não|ninguém|sem|ainda|non|mai|nessuno|nessuna|niente|nulla|senza|ancora|"
    r"niet|geen|nooit|niets|niks|zonder|nog steeds|te laat)\b"
    # ...or a word of missing, wrong, late, waiting, broken, charged, refund.
    r"|\b(?:fehl|falsch|spät|verspät|überfällig|warte|kaputt|defekt|beschädig|zerbroch|gesprung|"
    r"berechnet|abgebucht|erstatt|rückerstatt|manqu|mauvais|erron|retard|attend|cassé|fissur|"
    r"fêl|ébréch|abîm|débit|rembours|falta|faltan|equivoc|incorrect|retras|esperando|espero|esperar|"
    r"rot[oa]s?\b|dañad|estropead|cobrad|cobrar|reembols|devoluci|errad|atrasad|aguard|quebrad|"
    r"rachad|amassad|danificad|faltam|manca\b|mancan|sbagliat|ritard|aspett|rott[oaie]\b|"
    r"scheggi|incrinat|ammaccat|addebit|rimbors|ontbre|verkeerd|vertraag|wacht|kapot|gebarst|"
    r"gebroken|beschadig|afgeschreven|terugbetal)\w*",
    re.IGNORECASE,
)
_COMPLAINT_ANY: Final = re.compile(
    "|".join(f"(?:{p})" for lang in moodwords.LANGUAGES for p in moodwords.ANGRY[lang])
)
# The customer saying a problem needs nothing ("no rush", "nada de grave").
_FOR_INFORMATION: Final = re.compile(
    r"\b(?:just (?:letting you know|thought you should know|so you know|fyi)|no rush|no big deal|"
    r"not a big deal|nothing serious|no harm done|(?:itself|otherwise) (?:is |was )?(?:perfect|fine)|"
    r"nur zur info|nichts schlimmes|halb so wild|kein drama|nur damit ihr\w* wisst|"
    r"rien de grave|pas (?:bien )?grave|juste pour (?:info|vous prévenir|te prévenir)|pour info|"
    r"nada grave|no pasa nada|para que lo sep\w+|"
    r"nada de grave|só para (?:saberem|saber|avisar)|"
    r"niente di grave|nulla di grave|solo per (?:info|farvi sapere|dirvelo)|"
    r"geen probleem hoor|niet erg|ter info|geen ramp|niks ernstigs|niets ernstigs)\b",
    re.IGNORECASE,
)
_LEAD: Final = re.compile(
    r"^(?:(?:and|also|plus|but|oh|so|then|hi|hello|hey|und|aber|et|mais|y|pero|e|mas|maar)"
    r"\b[\s,:]*)+",
    re.IGNORECASE,
)


def _fold(word: str) -> str:
    """``word`` in lower case without accents ("envío" and "envio" are one word)."""
    word = word.lower().replace("’", "'")
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


# Inflectional endings of the seven languages, longest first, so that
# "bestellt"/"Bestellung", "livrons"/"livraison", "enviamos"/"envío",
# "rimborsato"/"rimborso" and "bezorgd"/"bezorging" meet on one stem. One
# list for every language: the customer's and the reply's words are stemmed
# alike, and a word rarely takes another language's ending to a wrong stem.
_SUFFIXES: Final = tuple(sorted(set("""
    ies ing edly ed ment ness ably able ible ly es s est er e
    ungen ung heit keit lich isch en ern em es st t
    ements ement aisons aison ations ation ions ons ez ent ees ee es er ir re
    aciones acion amos emos imos ando endo iendo ados adas ado ada idos idas ido ida mente ar os as o a
    coes cao ando ados adas am em
    zioni zione iamo ati ate ato ata iti ite ito ita are ere ire i
    ingen ing te de
    """.split()), key=len, reverse=True))


def _stem(word: str) -> str:
    word = _fold(word).removesuffix("'s")
    if "'" in word[:3]:
        word = word.split("'", 1)[1]  # "l'infusore", "d'attendre"
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= (3 if len(suffix) > 1 else 4):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


@functools.cache
def _concept_index() -> tuple[dict[str, str], int]:
    index: dict[str, str] = {}
    for concept, stems in _CONCEPTS.items():
        for stem in stems.split():
            index.setdefault(_fold(stem), concept)
    return index, max(len(k) for k in index)


@functools.lru_cache(maxsize=4096)
def _concept(word: str) -> str | None:
    """The concept of one word, its stem when it has none, None for a stop word."""
    low = word.lower().replace("’", "'")
    if low in _STOP or len(low) < 3:
        return None
    low = _fold(low)
    if "'" in low[:3]:
        low = low.split("'", 1)[1]  # "l'envoi", "d'attendre": the word after the article
        if low in _STOP or len(low) < 3:
            return None
    index, longest = _concept_index()
    for k in range(min(len(low), longest), 2, -1):
        concept = index.get(low[:k])
        # A three-letter stem only takes a short ending ("pay", "paying").
        if concept is not None and (k >= 4 or len(low) <= k + 3):
            return concept
    if low in _GENERIC:
        return None
    return _stem(low)


@functools.lru_cache(maxsize=512)
def concepts(text: str) -> frozenset[str]:
    """The concepts a text talks about (see the module docstring)."""
    text = _STRIP.sub(" ", text)
    for pattern, token in _PHRASES:
        text = pattern.sub(token, text)
    found = (_concept(w) for w in _WORD.findall(text))
    return frozenset(c for c in found if c)


def states_problem(clause: str) -> bool:
    """Whether ``clause`` states a problem (a failure, a negation, "still"...) in any of the seven languages."""
    low = clause.lower()
    return bool(_PROBLEM_ANY.search(low) or _ISSUE_WORDS.search(low))


def about_something(message: str) -> bool:
    """Whether ``message`` is about a parcel, a refund, an item... (not only about
    being ignored, nor told for information)."""
    if _FOR_INFORMATION.search(message):
        return False
    return bool(concepts(message) & (_ASPECTS - {"reply", "channel", "check"}))


def complains(message: str) -> bool:
    """Whether ``message`` reports a failure or complains, in any of the seven languages."""
    low = message.lower()
    return bool(_PROBLEM_ANY.search(low) or _COMPLAINT_ANY.search(low))


def about_silence(issue: str) -> bool:
    """Whether ``issue`` is the customer not being answered ("third email and
    no answer", "nobody picks up the phone"): it is answered by owning it (an
    apology, an acknowledgement), not by a statement of fact."""
    keys = concepts(issue)
    return "reply" in keys and not keys & (_ASPECTS - {"reply", "channel"})


def _content(text: str) -> list[str]:
    """The words of ``text`` that carry a concept, folded, in order."""
    text = _STRIP.sub(" ", text)
    for pattern, token in _PHRASES:
        text = pattern.sub(token, text)
    return [_fold(w) for w in _WORD.findall(text) if _concept(w)]


def _same_word(a: str, b: str) -> bool:
    """One word, or one inside the other's compound ("spülmaschinenfest" and
    "Spülmaschine", "Schwarz" and "Mattschwarz", "eikenhout" and "eiken")."""
    if _concept(a) == _concept(b):
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 5 and (long_.startswith(short[:-1]) or long_.endswith(short))


# (Not the failure aspects: "casserole" reads as "cassé", and a yes/no rarely asks about a fault.)
_NAMED: Final = frozenset(_CONCEPTS) - {"time", "check", "reply", "channel", "condition", "correctness"}
_ARTICLES: Final = frozenset("""the a an la le les l de het een die der das den ein eine il lo el los las
    un une una o os as um uma i gli""".split())


_MEASURE: Final = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:cm|mm|ml|cl|litres?|liters?|liter|litri|litros?|inch(?:es)?)\b", re.IGNORECASE)


def _new_measure(question: str, draft: str) -> bool:
    """Whether ``draft`` gives a measurement the question did not name (a size
    asked for, not "the 24cm casserole" said back)."""
    named = {m.replace(" ", "").lower() for m in _MEASURE.findall(question)}
    return any(m.replace(" ", "").lower() not in named for m in _MEASURE.findall(draft))


def _echoes(question: str, draft: str) -> bool:
    """Whether ``draft`` opens by echoing the question's verb, the way a yes is
    said in Portuguese, Spanish or Italian ("Pode?" - "Pode, até 220 graus")."""
    opening = first_words(draft, 1).strip(" ,.!:;").lower()
    if len(opening) < 3 or opening in _ARTICLES:
        return False
    return opening in {w.lower() for w in _WORD.findall(question)}


_ENGLISH_Q: Final = re.compile(r"\b(?:the|my|your|you|it|does|do|and|with|of|this|that|these|they)\b", re.I)


def _states_subject(question: str, draft: str) -> bool:
    """Whether ``draft`` makes a statement about what a yes/no ``question`` asks:
    its last word with a concept (the property asked of the subject: "in the
    oven", "dishwasher safe", "in black") is in the draft, as the same word,
    a compound of it or a word of its synonym group."""
    asked_words = _content(question)
    if not asked_words:
        return False
    last = asked_words[-1]
    return any(_same_word(last, w) for w in _content(draft))


def issue_answered(
    issue: str, draft: str, *, min_share: float = 0.5, typed: bool = True,
    opening_answers: bool = True,
) -> bool:
    """Whether ``draft`` answers ``issue`` by meaning.

    The draft must talk about the issue's *aspect* (condition, delivery,
    refund, reply...) when the issue has one: "Our teapots are made in
    Stoke" shares "teapot" with "got a pink teapot" but not its colour.

    Args:
        issue: One issue, e.g. "Cracked kettle lid" or a clause of the
            customer's message.
        draft: The reply (the brand's own words).
        min_share: The share of the issue's concepts the draft must share
            (for a typed checklist item, at least two when it has two).
        typed: A checklist item a person wrote (terse: every word counts);
            False for a clause taken from the message, whose extra words
            ("brilliant", "cheers") say little, so a third of them will do.

    Returns:
        True when answered, or when the issue has no concept at all.
    """
    keys = concepts(issue)
    aspect = asked(issue)
    if aspect is not None:
        # A question is answered by the kind of statement it asks for ("when":
        # a day or a date), not by a shared topic word; a yes or no must be
        # about the question's subject or open the reply ("It does!").
        shared_keys = keys & concepts(draft)
        if aspect == "yesno" and len(shared_keys) >= 2 and len(shared_keys) * 2 >= len(keys):
            return True  # a statement about the very thing asked ("the pan is dishwasher safe")
        if aspect == "yesno" and "size" in keys and _new_measure(issue, draft):
            return True  # "Il existe en plus grand ?" - "une version de 30 cm arrive en janvier"
        if aspect == "yesno" and shared_keys & _NAMED:
            # "Il filtro è incluso?" - "l'infusore è già nella confezione": the
            # part or property asked about (a concept with its synonyms: a
            # strainer, a colour, the hob, delivery), not only the product, is
            # what the statement is about.
            return True
        if aspect == "yesno" and _echoes(issue, draft):
            return True  # "A frigideira pode ir ao forno?" - "Pode, até 220 graus"
        if aspect == "yesno" and not _ENGLISH_Q.search(issue) and _states_subject(issue, draft):
            # "Kan de koekenpan in de oven?" - "De oven kan hij aan tot 220 graden":
            # a statement about what the question asks of its subject answers it.
            # (Not in English, where the question often ends on its object: "does
            # the lid fit the 24cm casserole?" is not answered by "our 24cm
            # casserole is a bestseller"; there the two-shared-concepts rule holds.)
            return True
        if not gives(aspect, draft):
            return False
        if aspect == "yesno":
            # An opening "Yes," answers the one yes/no question, not each of several.
            return bool(keys & concepts(draft)) or (opening_answers and gives("yesno", first_words(draft)))
        return True
    if not keys:
        return True
    if (keys & _REPLACEABLE and not keys & {"charge", "refund"} and gives("remedy", draft)
            and (reports_problem(issue) if not typed else bool(keys - _ASPECTS & concepts(draft)))):
        # a broken or wrong item, met by a replacement (of the very thing, for a
        # terse checklist item: "Kettle whistle broken", "a new whistle ships")
        return True
    shared = keys & concepts(draft)
    aspects = keys & _ASPECTS
    if aspects and not aspects & shared:
        return False
    if typed:
        need = 1 if len(keys) == 1 else max(2, math.floor(len(keys) * min_share))
    else:
        need = max(1, math.floor(len(keys) / 3))
    return len(shared) >= need


_NEGATOR: Final = re.compile(
    r"\b(?:" + "|".join(sorted({w for ws in moodwords.NEGATORS.values() for w in ws.split()}, key=len,
                               reverse=True)) + r")(?=\W|$)", re.IGNORECASE)


_GREETING: Final = re.compile(
    r"^(?:hi|hello|hey|good (?:morning|afternoon|evening)|hallo|guten (?:morgen|tag|abend)|moin|"
    r"bonjour|bonsoir|salut|coucou|hola|buenos días|buenas tardes|buenas noches|buenas|olá|ola|oi|"
    r"bom dia|boa tarde|boa noite|ciao|buongiorno|buonasera|salve|hoi|goedemorgen|goedemiddag|"
    r"goedenavond)\b[\s,!.:]+",
    re.IGNORECASE,
)


def _mood_fragment(clause: str) -> bool:
    """Whether ``clause`` is a short mood fragment with no concrete subject: at
    most four words, no aspect of a problem (condition, delivery, refund...),
    no failure reported, nothing asked for but a yes or no."""
    if len(clause.split()) > 4 or not clause.strip():
        return False
    if concepts(clause) & _ASPECTS or reports_problem(clause) or _REQUEST_WORDS.search(clause):
        return False
    return asked(clause) in (None, "yesno") and not (asked(clause) == "yesno" and _NEGATOR.search(clause) is None)


@functools.lru_cache(maxsize=256)
def extract_issues(message: str, *, limit: int = 5) -> tuple[str, ...]:
    """Candidate issues in a customer's message, to pre-fill the case checklist.

    A clause is an issue when it reports a problem or asks for something;
    greetings, thanks and bare complaints ("is anyone reading these?") are
    not. Clauses joined by "and" are split when both halves say something.

    Args:
        message: The customer's message as received.
        limit: The most issues to return.

    Returns:
        The issues in the customer's words, in order, without duplicates.
    """
    text = _STRIP.sub(" ", message)
    # "slightly dented box, but the block is perfect, just letting you know":
    # a problem told for information asks nothing; only its questions are issues.
    for_information = _FOR_INFORMATION.search(message) is not None
    dutch = _DUTCH.search(message) is not None
    clauses: list[str] = []
    for part in _CLAUSE.split(text):
        items = [i for i in part.split(",") if i.strip()]
        if len(items) >= 3 and all(len(i.split()) <= 4 for i in items):
            clauses += items  # a list: "3 weeks, no parcel, no reply, no refund"
            continue
        pieces = (_AND_NL if dutch else _AND).split(part)
        if len(pieces) > 1 and all(len(concepts(p)) >= 2 for p in pieces):
            clauses += pieces
        else:
            clauses.append(part)
    found: list[str] = []
    seen: list[frozenset[str]] = []
    cleaned = [_LEAD.sub("", " ".join(c.split()).strip(" ,:-")).rstrip(" .,;:") for c in clauses]
    concrete = [c for c in cleaned if c and not _mood_fragment(c)]
    for clause in clauses:
        clause = _LEAD.sub("", " ".join(clause.split()).strip(" ,:-")).rstrip(" .,;:")
        # "Boa tarde, a frigideira pode ir ao forno?": the greeting is not the question.
        greeting = _GREETING.match(clause)
        clause = clause[greeting.end():] if greeting else clause
        if not clause:
            continue
        keys = concepts(clause)
        if not keys or keys <= {"time"} or keys <= {"reply"}:
            continue  # nothing a reply could answer ("still?", "hello?")
        if _mood_fragment(clause) and (concrete or _NEGATOR.search(clause) or "?" in clause):
            # "Non ci siamo", "Niet normaal 😡", "Wat nu?": the customer's mood (the
            # empathy check's business), not a subject a reply could answer; a
            # lone short clause with no negation ("Does not heat" in English,
            # whose negation is no mood word) is still read as the issue.
            continue
        low = clause.lower()
        if _COMPLAINT_ANY.search(low):
            # "is anyone reading these?" is the mood, not an issue; what the
            # clause asks besides the complaint may be one.
            rest = _COMPLAINT_ANY.sub(" ", low)
            rest_keys = concepts(rest)
            if not rest_keys or rest_keys <= {"time"} or rest_keys <= {"reply"}:
                # A complaint phrase that spans the whole clause still names an
                # issue when it is about a parcel, a refund, a charge...
                # ("¿hace falta llamar cinco veces para saber dónde está mi paquete?").
                if not keys & (_ASPECTS - {"reply", "channel", "check"}):
                    continue
                rest = low
            else:
                keys = rest_keys
            # "do you even check what goes in the box??" asks nothing: the rest
            # must report a problem or ask in words, not only open with "what".
            if not (_ISSUE_WORDS.search(rest) or _PROBLEM_ANY.search(rest)
                    or _REQUEST_WORDS.search(rest)):
                continue
        if not (_ISSUE_WORDS.search(low) or _PROBLEM_ANY.search(low) or _ASKS.search(clause)):
            continue
        if for_information and not _ASKS.search(clause):
            continue
        if any(keys <= s or s <= keys for s in seen):
            continue
        seen.append(keys)
        found.append(clause[:1].upper() + clause[1:120])
        if len(found) >= limit:
            break
    return tuple(found)

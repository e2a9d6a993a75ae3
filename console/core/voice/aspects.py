"""What kind of answer a customer's question asks for, and whether a reply gives that kind.

Sharing a topic word does not answer a question: "Our 24cm casserole is our
bestseller" does not answer "does the large lid fit the 24cm casserole?".
A question is answered by the *kind* of statement it asks for:

- ``when`` ("when will it arrive?", "where is my parcel?", "wann kommt..."):
  a day, a date, a time, a number of days, or tracking;
- ``remedy`` ("can I get a refund?", "¿me devolvéis el dinero?", "can you
  send a new one?"): a refund or a replacement decided or done, or refused;
- ``amount`` ("how much?", "what temperature?"): a number;
- ``yesno`` ("does it fit X?", "do you ship to Norway?", "est-ce que ça va
  au lave-vaisselle ?"): a yes or a no ("It does!", "Not yet", "Oui").

Seven languages, like the mood detector. A question of none of these kinds
is answered by its concepts (`console.core.voice.issues`).
"""

from __future__ import annotations

import re
from typing import Final, Literal

from console.core import moodwords

Aspect = Literal["when", "remedy", "amount", "yesno"]

_I = re.IGNORECASE

_ASKS_WHEN: Final = re.compile(
    r"\b(?:when|how long|how soon|by when|eta|what time|what day|"
    r"where(?:'s| is| are) (?:my|our|the) (?:order|parcel|package|delivery|refund|replacement|item)|"
    r"wann|wie lange|bis wann|wo (?:ist|bleibt)|quand|combien de temps|où (?:est|en est)|"
    r"cuándo|cuando|cuánto tarda|dónde está|quando|quanto tempo|onde está|dov'è|"
    r"wanneer|hoe lang|waar (?:is|blijft))\b"
    # "back in stock yet?" asks when, not whether
    r"|\b(?:yet|back in stock|schon wieder|déjà|ya|já|già|al weer)\s*\?",
    _I,
)
_ASKS_REMEDY: Final = re.compile(
    r"\b(?:refund|money back|reimburse|replace|replacement|(?:send|get) (?:me |us )?a new|"
    r"geld zurück|erstatt\w*|ersatz|rembours\w*|remplac\w*|"
    r"devolv\w* (?:el )?dinero|reembols\w*|reemplaz\w*|dinheiro de volta|substitu\w*|"
    r"rimbors\w*|sostitu\w*|geld terug|terugbetal\w*|vervang\w*)\b",
    _I,
)
_ASKS_AMOUNT: Final = re.compile(
    r"\b(?:how much|how many|what (?:temperature|size|price|weight|capacity)|price|cost|"
    r"wie viel\w*|wie teuer|combien|quel prix|cuánto|cuánta|quanto custa|quanto costa|"
    r"quant[oi]|hoeveel|wat kost)\b",
    _I,
)
# A yes/no question opens with a verb (or "est-ce que"), and ends with "?".
_ASKS_YESNO: Final = re.compile(
    r"(?:^|[:,.!]\s+)"
    r"(?:does|do|is|are|will|would|has|have|did|can i|could i|may i|"
    r"est-ce que|est-ce qu'|ist|sind|hat|haben|gibt es|passt|kann ich|geht|"
    r"es|está|están|tiene|tienen|hay|puedo|sirve|é|tem|têm|posso|serve|"
    r"è|sono|ha|hanno|c'è|posso|va|"
    r"zijn|heeft|hebben|past|kan ik|werkt)\b",
    _I,
)

_WEEKDAYS: Final = (
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun|"
    "montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|"
    "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|"
    "lunes|martes|miércoles|jueves|viernes|sábado|domingo|"
    "segunda(?:-feira)?|terça(?:-feira)?|quarta(?:-feira)?|quinta(?:-feira)?|sexta(?:-feira)?|"
    "lunedì|martedì|mercoledì|giovedì|venerdì|sabato|domenica|"
    "maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag"
)
_MONTHS: Final = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|"
    "januar|februar|märz|mai|juni|juli|oktober|dezember|janvier|février|mars|avril|juin|"
    "juillet|août|septembre|octobre|novembre|décembre|enero|febrero|marzo|abril|mayo|junio|"
    "julio|agosto|septiembre|octubre|noviembre|diciembre|janeiro|fevereiro|março|maio|junho|"
    "julho|setembro|outubro|novembro|dezembro|gennaio|febbraio|aprile|maggio|giugno|luglio|"
    "settembre|ottobre|dicembre|januari|februari|maart|mei|augustus"
)
_NUMBER_WORDS: Final = (
    r"\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a few|couple of|"
    r"ein\w*|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|un|une|deux|trois|quatre|cinq|six|"
    r"sept|huit|dix|uno|una|dos|tres|cuatro|cinco|seis|siete|ocho|diez|"
    r"um|uma|dois|duas|três|quatro|sete|oito|dez|due|tre|quattro|cinque|sei|sette|otto|dieci|"
    r"een|twee|drie|vier|vijf|zes|zeven|tien"
)
_UNITS: Final = (
    r"(?:working |business )?(?:days?|hours?|weeks?|minutes?)|"
    r"(?:werk)?tag\w*|stunden?|wochen?|jours?(?: ouvrés)?|heures?|semaines?|días?(?: hábiles)?|"
    r"horas?|semanas?|dias?(?: úteis)?|giorni|or[ae]|settiman[ae]|(?:werk)?dag(?:en)?|uur|weken?|"
    # a duration ("how long is the guarantee?": "five years")
    r"years?|months?|jahre?n?|monate?n?|ans|années?|mois|años|meses|anos|anni|mesi|jaar|maanden"
)
_TIME_ANSWER: Final = re.compile(
    rf"\b(?:{_WEEKDAYS})\b|\b\d{{1,2}}(?:st|nd|rd|th|er|e|º|°)?\s+(?:of\s+)?(?:{_MONTHS})\b|"
    rf"\b(?:{_MONTHS})\s+\d{{1,2}}\b|\bthe \d{{1,2}}(?:st|nd|rd|th)\b|\b\d{{1,2}}[/.]\d{{1,2}}\b|"
    r"\b\d{1,2}(?:[:.]\d\d)?\s*(?:am|pm|h|uhr)\b|\b\d{1,2}:\d\d\b|"
    r"\b(?:today|tomorrow|tonight|this (?:morning|afternoon|evening|week)|next week|"
    r"end of (?:the )?(?:day|week)|(?:right )?now|already|"
    r"heute|morgen|übermorgen|diese woche|nächste woche|aujourd'hui|demain|ce soir|cette semaine|"
    r"la semaine prochaine|hoy|mañana|esta semana|la semana que viene|la próxima semana|hoje|"
    r"amanhã|esta semana|oggi|domani|stasera|questa settimana|vandaag|morgen|deze week|"
    r"volgende week)\b|"
    rf"\b(?:{_NUMBER_WORDS})(?:\s+(?:to|or|-|bis|à|a|ou|o|tot|of)\s+(?:{_NUMBER_WORDS}))?\s+(?:{_UNITS})\b|"
    r"\b(?:tracking|track it|sendungsverfolgung|sendungsnummer|suivi|seguimiento|rastreio|"
    r"tracciamento|track ?(?:&|en) ?trace|delivered|geliefert|zugestellt|livrée?|entregad[oa]|"
    r"consegnat[oa]|bezorgd|out for delivery|due (?:on|by|back)|arriv(?:es|ing) (?:on|by))\b",
    _I,
)
_REMEDY_ANSWER: Final = re.compile(
    r"\b(?:refunded|reimbursed|refund (?:is|was|has|will|went|goes|of)|"
    r"(?:will|'ll|can|can't|cannot|have|'ve|i've|we've|we|i) (?:\w+ )?refund|refund(?:ing)? you|"
    r"money back|(?:new|replacement|fresh) (?:[\w']+ ){0,5}?(?:ships|leaves|goes|is on|is coming|will|'s on)|"
    r"(?:send|sending|sent|ship|shipping|posting|posted) (?:you )?(?:a |an |your )?"
    r"(?:new|replacement|another)|replacement (?:ships|leaves|is|will|goes)|"
    r"(?:a |the )?(?:new|replacement) \w+ (?:ships|leaves|goes|is on)|not (?:eligible|refundable)|"
    # "A grey apron ships today": an item sent now, for a faulty or wrong one
    r"(?:a|an|another) (?:[\w-]+ ){1,3}(?:ships|leaves|goes out|is on its way|is in the post) "
    r"(?:today|tomorrow|now|this)|"
    r"replac(?:e|ed|ing) (?:it|them|this|that|the|your)|"
    r"erstatt\w*|zurücküberwiesen|zurückgebucht|neue[nr]? \w+|ersatz (?:geht|ist|kommt)|"
    r"verschickt|rembours\w*|remplac\w*|renvo\w*|devuelto|devolvemos|devolveremos|reembols\w*|"
    r"reemplaz\w*|te (?:enviamos|mando|envío) (?:otr|un nuev)\w*|"
    r"devolvido|devolvemos|substitu\w*|rimborsat\w*|rimborser\w*|sostitu\w*|"
    r"terugbetaald|terugstorten|teruggestort|vervang\w*|nieuwe \w+|"
    # sending the customer a new one, or refunding them, in words of the six languages
    r"(?:ti|vi|le|gli) (?:mando|mandiamo|spedisco|spediamo|invio|inviamo|rimborso|rimborsiamo)|"
    r"(?:te|le|os|les) (?:mando|mandamos|envío|enviamos|reembolso|reembolsamos)|"
    r"(?:envio|enviamos|mandamos|envio-lhe|enviamos-lhe)-?(?:te|lhe)?\b(?= (?:um|uma|hoje|amanhã))|"
    r"(?:on|je|nous) (?:t'|vous |te |)(?:envoie|envoyons|renvoie|renvoyons|rembourse|remboursons)|"
    r"(?:ich|wir) (?:schicke|schicken|sende|senden)|(?:ik|we|wij) (?:stuur|sturen)|"
    # the right item leaving now ("le tazze bianche partono oggi", "la tapa sale hoy")
    r"(?:parte|partono|part|partent|sale|salen|sai|saem|segue|seguem|vertrekt|vertrekken|"
    r"geht|gehen)\b[^.!?\n]{0,20}\b(?:oggi|domani|aujourd'hui|demain|hoy|mañana|"
    r"hoje|amanhã|vandaag|morgen|heute|today|tomorrow))\b",
    _I,
)
_AMOUNT_ANSWER: Final = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|fifty|hundred|free|"
    r"gratis|grátis|kostenlos|gratuit|gratuite|gratuita|gratuito|offert|offerts|offerte|"
    r"omaggio|gratuiti|gratuitamente|umsonst)\b",
    _I,
)
_YES_NO: Final = re.compile(
    r"\b(?:yes|yeah|yep|yup|no|nope|not|never|of course|certainly|absolutely|definitely|"
    r"sure|sadly|unfortunately|afraid|(?:it|they|we|you|she|he) (?:do|does|did|is|are|will|"
    r"can|can't|cannot|won't|don't|doesn't|isn't|aren't|fits?|works?)|"
    r"it's (?:not|fine|safe|ok)|done|(?:i|we)(?:'ve| have| 've)? (?:just |now )?\w+ed\b|"
    r"ja|jawohl|nein|nicht|leider|klar|natürlich|oui|non|pas|bien sûr|malheureusement|sí|si|claro|"
    r"jazeker|zeker weten|ja hoor|certo|certamente|ovviamente|"
    r"por supuesto|lamentablemente|sim|não|certo|infelizmente|sì|certamente|purtroppo|"
    r"nee|niet|natuurlijk|helaas|zeker|there (?:is|are|isn't|aren't)|es gibt|il y a|hay|há|c'è|"
    r"ci sono|er (?:is|zijn))\b",
    _I,
)

_ANSWERS: Final[dict[str, re.Pattern[str]]] = {
    "when": _TIME_ANSWER,
    "remedy": _REMEDY_ANSWER,
    "amount": _AMOUNT_ANSWER,
    "yesno": _YES_NO,
}


def asked(issue: str) -> Aspect | None:
    """The kind of answer ``issue`` asks for, or None (answered by its concepts).

    A remedy counts only when asked for ("can I get a refund?", "I want my
    money back"), not when mentioned ("still waiting for my refund" asks
    *when*); the kinds are tried from the most specific.
    """
    text = issue.strip()
    # A checklist item may name the question ("Wants to know if the filter is
    # replaceable", "Asks for the price"): asked the same way.
    indirect = _INDIRECT.match(text)
    if indirect:
        text = text[indirect.end():].strip()
        if _IF.match(text):
            return "yesno"
    question = text.endswith("?") or text.startswith("¿") or indirect is not None
    if _ASKS_WHEN.search(text) and (question or "where" in text.lower()):
        return "when"
    if _ASKS_REMEDY.search(text) and (_WANTS.search(text) or question and _FOR_ME.search(text)):
        return "remedy"
    if question and _ASKS_AMOUNT.search(text):
        return "amount"
    if question and _ASKS_YESNO.search(text.lstrip("¿")) and not _EITHER.search(text):
        return "yesno"
    if question and text.endswith("?") and not _EITHER.search(text):
        # Other languages put the verb first too ("avete ancora il servizio blu?",
        # "habt ihr...?", "leveren jullie...?"): a question that opens with no
        # question word asks for a yes or a no.
        opening = _OPENING.match(text)
        body = text[opening.end():] if opening else text
        first = body.lstrip("¿ ").split(" ", 1)[0].lower().strip(",").split("'")[0]
        if (first and first not in _QUESTION_WORDS and not _ASKS_WHEN.search(text)
                and not _ENGLISH.search(body)):
            return "yesno"
    return None


# English questions are read by `_ASKS_YESNO` alone ("My order hasn't shipped, can you check?").
_ENGLISH: Final = re.compile(r"\b(?:the|my|you|your|it|is|are|and|to|of|can|do|does|what|with)\b", _I)
_QUESTION_WORDS: Final = frozenset("""
    what which who whom whose why how where when wie was welche welcher welches wer warum wo wann
    woher wohin wieso weshalb que quoi quel quelle quels quelles qui pourquoi comment où quand
    combien qué cuál cuáles quién quiénes por cómo dónde cuándo cuánto cuánta cuántos cuántas o
    qual quais quem porque como onde quando quanto quanta cosa che quale quali chi perché come
    dove wat welk welke waarom hoe waar wanneer hoeveel
    """.split())


_INDIRECT: Final = re.compile(
    r"^(?:wants to know|would like to know|asks|asking|asked|question:|enquir\w+|inquir\w+)"
    r"(?:\s+(?:about|for))?\b",
    _I,
)
_IF: Final = re.compile(r"(?:if|whether)\b", _I)
# What opens a reply before its answer: a handle, a name, a greeting.
_OPENING: Final = re.compile(
    r"^\s*(?:@\S+\s*)*(?:(?:hi|hello|hey|good (?:morning|afternoon|evening)|dear \w+|hallo|"
    r"guten (?:morgen|tag|abend)|moin|bonjour|bonsoir|salut|coucou|hola|buenos días|buenas tardes|"
    r"buenas noches|buenas|olá|ola|bom dia|boa tarde|boa noite|ciao|buongiorno|buonasera|salve|"
    r"hoi|goedemorgen|goedemiddag|goedenavond|dag)\b[^.!?\n]{0,20}?[.!,\n]+\s*)?",
    _I,
)


def first_words(reply: str, n: int = 3) -> str:
    """The first ``n`` words of ``reply`` after its greeting ("Good afternoon. We do: ...")."""
    opening = _OPENING.match(reply)
    return " ".join(reply[opening.end() if opening else 0:].split()[:n])


# A remedy for the customer ("can I get a refund?", "bekomme ich...?"), not a
# product question ("do you sell replacement seals?").
_FOR_ME: Final = re.compile(
    r"^(?:can|could|may|will|would) (?:i|we|you)\b|\b(?:me|my|mein\w*|ich|je|moi|mon|ma|mes|"
    r"mi|mis|meu|minha|mio|mia|mij|mijn|ik)\b",
    _I,
)
# "Is it 2 or 4 slice?" asks to choose, not for a yes or no.
_EITHER: Final = re.compile(r"\b(?:or|oder|ou|o|oppure|of)\b [^?]*\?", _I)
_WANTS: Final = re.compile(
    r"\b(?:i (?:want|need|would like|'d like)|please|ich (?:will|möchte|hätte gern)|je veux|"
    r"je voudrais|quiero|quisiera|quero|gostaria|voglio|vorrei|ik wil)\b",
    _I,
)


def reports_problem(issue: str) -> bool:
    """Whether ``issue`` reports a failure ("got a pink one", "arrived smashed"),
    which asks for a remedy even when it asks nothing."""
    return _PROBLEM_ANY.search(issue.lower()) is not None


_PROBLEM_ANY: Final = re.compile(
    "|".join(f"(?:{p})" for lang in moodwords.LANGUAGES for p in moodwords.PROBLEMS[lang])
)


# Taking the problem on: what the brand will do, or what it needs to do it.
_OWNS: Final = re.compile(
    r"\b(?:i'll|i will|we'll|we will|i'm going to|let me|i've (?:asked|booked|arranged|flagged|"
    r"passed|escalated|logged|sent)|so (?:that )?(?:i|we) can|(?:a |send (?:us |me )?a )(?:photo|picture)|"
    r"ich (?:werde|kümmere)|je vais|je m'en occupe|voy a|me encargo|vou |vamos |mi occupo|"
    r"ik ga|ik zorg)\b",
    _I,
)


def owns(reply: str) -> bool:
    """Whether ``reply`` takes the problem on ("I'll sort it", "a photo so I can...")."""
    return _OWNS.search(reply) is not None


def gives(aspect: Aspect, reply: str) -> bool:
    """Whether ``reply`` makes a statement of the kind ``aspect`` asks for."""
    return _ANSWERS[aspect].search(reply) is not None

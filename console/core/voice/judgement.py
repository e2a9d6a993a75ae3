"""The judgement voice rules: empathy, stock answers, open issues, deflection, private data."""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections.abc import Iterator, Sequence
from typing import Final

from console.core import sentiment
from console.core.voice.aspects import _WEEKDAYS, asked, gives, owns, reports_problem
from console.core.voice.issues import (
    ASPECTS,
    about_silence,
    about_something,
    complains,
    concepts,
    extract_issues,
    issue_answered,
    states_problem,
)
from console.core.voice.model import CheckContext, Finding, Fix
from console.core.voice.phrases import _HANDLE_RX, PhraseSet
from console.core.voice.profile import Profile
from console.core.voice.text import (
    _EMAIL,
    _ORDER,
    _PHONE,
    _POSTCODE,
    _STREET,
    _brand_domains,
    _Doc,
    _domain_allowed,
    _match_case,
    _removal_fix,
)


def mood_of(ctx: CheckContext) -> sentiment.Sentiment:
    """The customer's mood: read from their message when it is known (the same
    detector as the inbox chip), else from the stored score."""
    if ctx.reply_to and ctx.reply_to.strip():
        return _reply_mood(ctx.reply_to)
    if ctx.reply_to_sentiment is not None:
        score = ctx.reply_to_sentiment
        return sentiment.Sentiment(score, sentiment.label_for(score))
    return sentiment.UNKNOWN


@functools.lru_cache(maxsize=256)
def _reply_mood(reply_to: str) -> sentiment.Sentiment:
    # The same message is re-checked on every keystroke of the reply.
    return sentiment.score(reply_to)


def _check_empathy(
    doc: _Doc, profile: Profile, ctx: CheckContext, upset: bool
) -> Iterator[Finding]:
    rules = profile.empathy
    if not rules.enabled:
        return
    text = doc.text
    for start, end, index in rules.robotic.finditer(doc.own):
        found = text[start:end]
        replacement = rules.robotic.replacements[index]
        fix = None
        if replacement:
            new = _match_case(found, replacement)
            fix = Fix(new, start, end, f"Replace with “{new}”")
        elif replacement == "":
            fix = _removal_fix(text, start, end, f"Remove “{found}”")
        yield Finding(
            "empathy",
            "empathy.robotic",
            rules.robotic_severity,
            start,
            end,
            f"“{found}” sounds like a machine, not a person.",
            fix,
        )
    if ctx.reply_to and ctx.reply_to.strip() and mood_of(ctx).compound is None:
        language = mood_of(ctx).language
        what = "" if language in ("und", "zxx") else f" (language: {language})"
        yield Finding(
            "empathy",
            "empathy.unknown_mood",
            "suggestion",
            0,
            0,
            f"The customer's mood could not be read{what}: read their message before you reply.",
        )
    # An apology in any of the seven languages acknowledges too ("scusaci",
    # "het spijt me"), whatever the profile's own phrases list.
    if upset and text.strip() and not rules.acknowledge.search(doc.own) and not _APOLOGY.search(doc.own):
        lead = re.match(r"\s*(?:" + _HANDLE_RX + r"[\s,]*)*", text)
        insert_at = lead.end() if lead else 0
        first = re.search(r"[.!?…\n]", text[insert_at:])
        end = insert_at + first.end() if first else len(text)
        yield Finding(
            "empathy",
            "empathy.acknowledge",
            rules.severity,
            insert_at,
            end,
            "The customer is upset: acknowledge how they feel before anything else.",
            Fix(rules.fix + " ", insert_at, insert_at, f"Start with “{rules.fix}”")
            if rules.fix
            else None,
        )


_WS = re.compile(r"\s+")


def _check_stock_answer(
    doc: _Doc, profile: Profile, ctx: CheckContext, upset: bool
) -> Iterator[Finding]:
    rules = profile.stock_answer
    if not rules.enabled or not ctx.template_body:
        return
    draft = _WS.sub(" ", doc.text).strip().lower()
    template = _WS.sub(" ", ctx.template_body).strip().lower()
    if not draft or not template:
        return
    if draft == template:
        message = "This is the template word for word: make it about this customer."
    else:
        matcher = difflib.SequenceMatcher(None, draft, template, autojunk=False)
        if matcher.real_quick_ratio() < rules.min_similarity:
            return
        if matcher.quick_ratio() < rules.min_similarity:
            return
        ratio = matcher.ratio()
        if ratio < rules.min_similarity:
            return
        message = (
            f"This is {math.floor(ratio * 100)}% the template: "
            "make it about this customer and what they said."
        )
    yield Finding(
        "stock-answer",
        "stock_answer.min_similarity",
        rules.severity,
        0,
        len(doc.text),
        message,
    )


def _check_open_issues(
    doc: _Doc, profile: Profile, ctx: CheckContext, upset: bool
) -> Iterator[Finding]:
    rules = profile.open_issues
    if not rules.enabled:
        return
    issues: Sequence[str] = ctx.open_issues
    rule = "open_issues.min_share"
    if not issues and ctx.derive_issues and ctx.reply_to:
        if _dm_ask(doc.own) and (_DM_REASON.search(doc.own) or _PERSONAL_CASE.search(ctx.reply_to)
                                 or "problem" in mood_of(ctx).cues):
            # The reply takes the case to a direct message, with a reason or for
            # the customer's own order or failure (as the deflection check allows).
            return
        issues = extract_issues(ctx.reply_to)
        rule = "open_issues.from_message"
        if not issues and complains(ctx.reply_to) and about_something(ctx.reply_to):
            # A complaint with no clause to point at ("grazie tante, terza
            # caffettiera che si scioglie"): a reply that neither helps (a
            # remedy, a date, taking it on) nor talks about what the message
            # talks about leaves it unanswered ("Prego! Buon caffè").
            own = _without_bounces(doc.own, profile.deflection.phrases)
            helps = gives("remedy", own) or gives("when", own) or owns(own)
            if not helps and (general(own) or not concepts(own) & concepts(ctx.reply_to) & ASPECTS):
                yield Finding("unaddressed-issue", rule, rules.severity, 0, 0,
                              "The customer complains about something the reply does not address.")
            return
    typed = rule == "open_issues.min_share"
    answer = _without_bounces(doc.own, profile.deflection.phrases)
    acknowledged = ((profile.empathy.enabled and profile.empathy.acknowledge.search(doc.own))
                    or _APOLOGY.search(doc.own))
    # An opening "Yes," answers a yes/no question unless the reply is plainly
    # about another one ("Yes, we ship to Norway" leaves "is there a customs charge?").
    yesnos = [issue for issue in issues if asked(issue) == "yesno"]
    answer_keys = concepts(answer)

    def opening_answers(issue: str) -> bool:
        return not any(other != issue and concepts(other) & answer_keys for other in yesnos)

    if not typed and ctx.reply_to and general(answer) and complains(ctx.reply_to):
        # "Refunds take up to 14 days", "delivery times can vary": a rule about
        # everyone's orders, to a customer reporting what went wrong with theirs,
        # answers none of what they reported.
        # (A question is left to the rules below: "Ja, das geht" answers "kann ich tauschen?".)
        open_ones = [issue for issue in issues if asked(issue) is None
                     and (states_problem(issue) or reports_problem(issue))]
        if open_ones:
            for issue in open_ones:
                yield Finding("unaddressed-issue", rule, rules.severity, 0, 0,
                              f"The customer wrote “{issue.strip()}”: the reply states a general "
                              "rule, not what happens with their case.")
            return
    open_ones = [
        issue
        for issue in issues
        if not issue_answered(issue, answer, min_share=rules.min_share, typed=typed,
                              opening_answers=opening_answers(issue))
        # "nobody answers my emails" is met by owning it ("sorry nobody got back to you")
        # (and not by sending them to the channel that did not answer)
        and not (not typed and acknowledged and answer == doc.own and about_silence(issue))
    ]
    if not typed and open_ones:
        # Issues nobody typed are a guess, and matching by meaning is rough:
        # name them only when the reply answers another issue but not these
        # (the second issue ignored) or sends the customer elsewhere.
        some_answered = len(open_ones) < len(issues)
        bounced = answer != doc.own
        if not (some_answered or bounced):
            # Still named: a question whose kind of answer (a date, a refund
            # decision, a yes or no, a number) the reply does not give...
            # Or a failure reported, and the reply offers no remedy, no date and
            # takes nothing on.
            helps = gives("remedy", answer) or gives("when", answer) or owns(answer)
            open_ones = [issue for issue in open_ones if asked(issue) is not None
                         or (not helps and (reports_problem(issue) or states_problem(issue)))]
            if not open_ones:
                return
    for issue in open_ones:
        if rule == "open_issues.min_share":
            message = f"Open issue not addressed: “{issue.strip()}”."
        else:
            message = f"The customer wrote “{issue.strip()}”: the reply does not answer it."
        yield Finding("unaddressed-issue", rule, rules.severity, 0, 0, message)


# Words that make a reply about this customer's case: "you", "your", "I", a
# day ("today"), in the seven languages. A reply with none of them states a
# general rule ("Refunds take up to 14 days", "Nos colis sont livrés par...").
_ADDRESSED: Final = re.compile(
    r"\b(?:you|your|yours|you're|you'll|you've|i|i'm|i've|i'll|i'd|we've|we'll|today|tomorrow|tonight|"
    r"this (?:morning|afternoon|evening)|"
    r"du|dich|dir|dein\w*|sie|ihnen|ihr\w*|euch|euer|ich|heute|"
    r"tu|te|t'|toi|ton|ta|tes|vous|votre|vos|je|j'|aujourd'hui|demain|"
    r"usted|ustedes|tus|ti|vuestr\w*|hoy|mañana|"
    r"você|vocês|teu|tua|seu|sua|lhe|hoje|amanhã|"
    r"tuo|tuoi|lei|oggi|domani|"
    r"jij|jouw|u|uw|jullie|ik|vandaag|"
    # the customer as the subject of a verb ("¿has probado...?", "kannst du")
    r"has|habéis|puedes|podéis|tienes|hai|puoi|sei|podes|tens|estás|kannst|hast|bist|peux|avez|"
    # what the brand has done ("ya he anulado", "ho già", "j'ai", "wir haben")
    r"he|hemos|ho|abbiamo|tenho|temos|heb|habe|avons|ya|já|già|"
    # a refusal is an answer too ("we are unable to...", "only manufacturing faults")
    r"unable|cannot|can't|only|leider|malheureusement|lamentablemente|infelizmente|purtroppo|helaas|"
    # something of theirs on its way ("the refund is on its way")
    r"on (?:its|the|their) way|unterwegs|en route|en camino|a caminho|in arrivo|onderweg|"
    r"{days})\b".replace("{days}", _WEEKDAYS),
    re.IGNORECASE,
)


def general(reply: str) -> bool:
    """Whether ``reply`` states a general rule rather than speaking to the customer's case."""
    return _ADDRESSED.search(reply) is None and not owns(reply)


# An apology in the seven languages ("je vous prie de nous excuser", "scusaci"),
# whatever the profile's own acknowledgement phrases: it owns a silence.
_APOLOGY: Final = re.compile(
    r"\b(?:sorry|apolog\w*|excus\w*|entschuldig\w*|(?:tut|tat) (?:mir|uns) \w* ?leid|"
    r"désolée?s?|navrée?s?|pardon\w*|perdón|perdon\w*|disculp\w*|lament\w*|desculp\w*|"
    r"(?:mi |ci )?scus\w*|dispiace|spijt)\b",
    re.IGNORECASE,
)


_SENTENCE: Final = re.compile(r"[^.!?\n]+[.!?]*")


def _other_platform(text: str) -> re.Match[str] | None:
    return _OTHER_PLATFORM.search(text) if _MAY_NAME_PLATFORM.search(text) else None


def _dm_ask(text: str) -> re.Match[str] | None:
    return _DM_ASK.search(text) if _MAY_ASK_DM.search(text) else None


def _without_bounces(text: str, phrases: PhraseSet | None = None) -> str:
    """The draft without the sentences that send the customer elsewhere:
    "message us on Facebook about shipping" does not answer "do you ship?"
    (nor does "contact our support team", in any language of ``phrases``)."""
    def bounces(part: str) -> bool:
        return bool(_other_platform(part) or _dm_ask(part) or _CONTACT.search(part)
                    or _GO_ELSEWHERE.search(part) or _POINTS_TO_SITE.search(part)
                    or (phrases is not None and phrases.search(part)))

    if not bounces(text):
        return text
    return " ".join(s.group() for s in _SENTENCE.finditer(text) if not bounces(s.group()))


# Pointing the customer to the FAQ, the website, a help centre or a manual for
# what they asked: a deflection (the answer could be given here, where others
# read it too). The policy of tests/voice_corpus/README.md: such a pointer is
# labelled "deflection", whether or not the reply also reads as a stock answer.
# A link given alongside the answer ("it's dishwasher safe; guide here: <url>",
# "15 € en la web") names no FAQ and no "our website", so it is not one.
_POINTS_TO_SITE: Final = re.compile(
    r"\b(?:faqs?|help ?cent(?:re|er)|hilfe-?center|centre d'aide|centro de (?:ayuda|ajuda)|"
    r"centro (?:assistenza|di assistenza)|helpcentrum|veelgestelde vragen|häufige fragen|"
    r"preguntas frecuentes|perguntas frequentes|domande frequenti|foire aux questions)\b"
    r"|\b(?:our|unser\w*|notre|nos|nuestr[ao]s?|noss[ao]s?|nostr[oa]|onze|(?:no|na|sur le|op de|auf der|"
    r"on the))\s+(?:online\s+)?(?:website|web ?site|webseite|homepage|site(?: web| internet)?|sitio(?: web)?|"
    r"web|página(?: web)?|sito(?: web)?|webshop|care guide|manual|manuale|handleiding|anleitung|"
    r"mode d'emploi)\b(?![\s-]+(?:team|shop|store|developers?|designers?|équipe|equipo|equipa|squadra))",
    re.IGNORECASE,
)


_CONTACT: Final = re.compile(
    r"\b(?:contact|call|ring|email|e-mail|write to|reach out to|get in touch with|tweet|message)\s+"
    r"(?:our|the|@)\s*\w+",
    re.IGNORECASE,
)

# Sending the customer elsewhere, in words no phrase list foresees: a request
# to the customer (an imperative, "please", "you can", "le rogamos que") to get
# in touch with, consult or turn to somewhere that is not this conversation (a
# department, a form, the courier, the bank, the phone or the post), both in
# one sentence. Seven languages. (Pointing to the FAQ or the website is
# `_POINTS_TO_SITE`.)
_GO_ELSEWHERE: Final = re.compile(
    r"(?:^|(?<=[\s,;:(]))(?:"
    # English: an imperative opening the sentence, or asked for
    r"(?:(?:please|kindly|you (?:can|could|may|should|need to|'ll need to|will need to|might want to)|"
    r"(?:it's |it is |is )?best (?:to|is to)|feel free to|try (?:to )?|simply)\s+)?"
    r"(?:contact|call|ring|phone|e-?mail|write to|reach out to|get in touch with|check|see|visit|"
    r"consult|look at|head (?:over )?to|fill (?:in|out)|use|go to|refer to|ask)\b"
    # German imperatives and polite forms
    r"|wenden sie sich|wende dich|kontaktieren sie|kontaktiere|melden sie sich|melde dich|rufen sie|"
    r"ruf|schreiben sie|schreib|fragen sie|frag|schau|schauen sie|besuchen sie|versuchen sie|versuch|"
    r"füllen sie|nutzen sie|findest du|finden sie"
    # French
    r"|contactez|contacte|contacter|écrivez|écris|écrire|appelez|appelle|appeler|adressez-vous|"
    r"adresse-toi|consultez|consulte|consulter|regardez|rendez-vous|passez par|passe par|utilisez|"
    r"remplissez|renvoyer|renvoyez|vous trouverez|tu trouveras"
    # Spanish
    r"|contacte|contacta|contactar|contactes|escriba|escribe|escribir|escribas|llame|llama|llamar|"
    r"llames|consulte|consulta|consultar|consultes|mire|visite|visita|acuda|acude|acudir|diríjase|"
    r"dirígete|póngase|ponte|utilice|rellene|rellena"
    # Portuguese
    r"|entre em contacto|entre em contato|entra em contacto|fale|fala|falar|ligue|liga|ligar|"
    r"escreva|escreve|escrever|consulte|consulta|consultar|veja|visite|dirija-se|utilize|preencha"
    # Italian
    r"|contatti|contatta|contattare|scriva|scrivi|scrivere|chiami|chiama|chiamare|consulti|guardi|"
    r"visiti|si rivolga|rivolgiti|rivolgersi|di rivolgersi|utilizzi|compili"
    # Dutch
    r"|neem (?:dan |even |gerust )?contact op|neemt u contact op|contact opnemen|bel|belt u|mail|"
    r"mailt u|stuur|stuurt u|schrijf|kijk|kijkt u|bezoek|raadpleeg|gebruik|vul|indienen|dien|"
    r"wend u|wend je)\b"
    r"[^.!?\n]{0,70}?\b(?:"
    r"(?:customer |tech(?:nical)? |)(?:support|service|services)\b|customer care|(?:\w+ )?(?:team|department|desk)|"
    r"(?:contact |web |online |)form|help ?desk|help ?line|hotline|courier|carrier|bank|manufacturer|accounts|billing|colleagues|"
    r"kundenservice|kundendienst|abteilung|\w+abteilung|buchhaltung|\w*formular|"
    r"telefonisch|paketdienst|zusteller|kollegen|"
    r"service(?: client| après-vente|)|sav|équipe|formulaire|"
    r"transporteur|banque|courrier|comptabilité|"
    r"servicio|atención al cliente|departamento|equipo|formulario|"
    r"mensajería|transportista|banco|"
    r"apoio|serviço|equipa|formulário|transportadora|linha de apoio|"
    r"servizio|assistenza|ufficio|reparto|modulo|corriere|banca|"
    r"klantenservice|klantendienst|afdeling|\w+afdeling|formulier|vervoerder|bezorgdienst|"
    r"collega's)",
    re.IGNORECASE,
)


# Asking the customer to go private. With a reason ("so I can check your
# order") it is good practice; without one, for a question anyone could be
# answered in public, it bounces them.
_DM_ASK: Final = re.compile(
    r"\b(?:(?:please\s+)?(?:dm|pm|message|inbox)\s+(?:us|me)\b(?!\s*@)"
    r"|(?:send|drop|shoot|slide|pop)\s+(?:us|me)\s+(?:a\s+|an\s+)?(?:dm|pm|direct message|private message|message|note)"
    r"|(?:in|into|via|by|over|to)\s+(?:our|my|the)\s+(?:dms?|inbox|direct messages?|private messages?)"
    r"|(?:get|be) in touch (?:privately|by (?:dm|direct message))"
    r"|(?:schreib|schick)\w*\s+(?:sie\s+|du\s+)?(?:uns|mir)\s+(?:eine?\s+)?(?:dm|pn|direktnachricht|private nachricht)"
    r"|(?:envoyez|envoie)[-\s]+nous\s+un\s+(?:dm|mp|message privé)"
    r"|(?:envíanos|envíenos|escríbenos|escríbanos|mándanos|mándenos)\s+(?:un\s+)?"
    r"(?:dm|md|mensaje (?:directo|privado))"
    r"|(?:mande|envie|manda|envia|escreve|escreva)[-\s]+nos\s+(?:uma?\s+)?"
    r"(?:dm|mensagem (?:direta|privada))"
    r"|(?:scrivici|inviaci|mandaci)\s+(?:un\s+)?(?:dm|messaggio (?:privato|diretto)|in privato)"
    r"|(?:stuur)\s+(?:ons|me)\s+(?:\w+\s+)?(?:een\s+)?(?:dm|pb|privébericht)"
    # "send me your order number by DM", in each language
    r"|(?:send|drop|message)\s+(?:us|me)\b[^.!?\n]{0,40}?\b(?:by|via|in|over)\s+(?:a\s+)?"
    r"(?:dm|direct message|private message)"
    r"|(?:schick|send|schreib)\w*\s+(?:sie\s+)?(?:uns|mir)\b[^.!?\n]{0,40}?\bper\s+"
    r"(?:dm|pn|direktnachricht|privatnachricht)"
    r"|(?:envoyez|envoie|écrivez|écris)[-\s]+(?:nous|moi)\b[^.!?\n]{0,40}?\ben\s+"
    r"(?:message privé|mp|dm|privé)"
    r"|(?:envíanos|envíame|envíenos|envíeme|mándanos|mándame|escríbenos|escríbeme)\b"
    r"[^.!?\n]{0,40}?\bpor\s+(?:dm|md|mensaje (?:directo|privado)|privado)"
    r"|(?:envia|envie|manda|mande)[-\s]*(?:nos|me)\b[^.!?\n]{0,40}?\b(?:por|em)\s+"
    r"(?:dm|mensagem (?:direta|privada)|privado)"
    r"|(?:mandaci|mandami|inviaci|inviami|scrivici|scrivimi)\b[^.!?\n]{0,40}?\b(?:in|per|via)\s+"
    r"(?:dm|privato|messaggio (?:privato|diretto))"
    r"|stuur\s+(?:ons|me|mij)\b[^.!?\n]{0,40}?\b(?:per|via|in een)\s+(?:dm|pb|privébericht)"
    # Any other way of asking to be written to in private, in the seven languages:
    # a verb of writing or sending to us, then a private channel.
    r"|(?:écri\w*|envo\w*|contact\w*|escrib\w*|escríb\w*|mánd\w*|mand\w*|escrev\w*|envi\w*|"
    r"scriv\w*|invia\w*|contatta\w*|stuur\w*|schrijf\w*|schreib\w*|schick\w*|kontaktier\w*|"
    r"write|message|contact|reach)\b[^.!?\n]{0,30}?\b(?:en|por|em|in|per|via|by|over|als|par)\s+"
    r"(?:un\s+|uma?\s+|een\s+|a\s+)?(?:dm|md|mp|pm|pn|pb|privé|privado|privato|"
    r"message privé|mensaje (?:privado|directo)|mensagem (?:privada|direta)|messaggio (?:privato|diretto)|"
    r"privébericht|privatnachricht|direktnachricht|private message|direct message)\b)",
    re.IGNORECASE,
)
# What makes going private necessary: the customer's own order, account,
# address or payment, or a stated purpose.
_DM_REASON: Final = re.compile(
    r"\b(?:so (?:that )?(?:we|i) can|so we're able|(?:it|this|that) (?:helps|lets|allows|will help) "
    r"(?:me|us)|photo|picture|foto|to (?:look|check|find|sort|verify|confirm|"
    r"arrange|process|help)|with your|your (?:order|account|details|address|postcode|e-?mail|"
    r"booking|reference|receipt|card|payment)|order (?:number|details|no)|privately|"
    r"personal|securely|security|keep (?:it|your details) (?:private|safe)|damit|pour que|"
    r"para que|para (?:poder|podermos)|per poter|zodat|met (?:je|uw)|mit (?:deiner|ihrer|der)|"
    r"avec (?:votre|ton|ta|vos)|con (?:tu|su|il tuo|la tua)|com (?:o seu|a sua|o teu|a tua))\b",
    re.IGNORECASE,
)
# The customer's message is about their own case (a DM is then reasonable).
_PERSONAL_CASE: Final = re.compile(
    r"\b(?:my|our|mine)\s+(?:\w+\s+){0,2}(?:order|parcel|package|delivery|refund|account|"
    r"payment|card|booking|subscription|return|kettle|item|purchase|email|address)\b"
    r"|\b(?:i|we)\s+(?:ordered|paid|bought|was charged|got charged|returned|sent)\b"
    r"|\b(?:charged|refund|cancel|broken|damaged|missing|never arrived|wrong)\b"
    r"|\b(?:meine?|mon|ma|mes|mi|mis|minha|meu|mio|mia|mijn)\s+(?:\w+\s+)?"
    r"(?:bestellung|paket|lieferung|commande|colis|pedido|paquete|encomenda|ordine|pacco|"
    r"bestelling|pakket|geld|konto|compte|cuenta|conta|erstattung|rückerstattung|remboursement|"
    r"reembolso|devolución|rimborso|terugbetaling)\b",
    re.IGNORECASE,
)
# Sending the customer to another platform or channel.
_PLATFORMS: Final = (
    r"facebook|fb|instagram|insta|ig|twitter|x\.com|whatsapp|tiktok|messenger|linkedin|"
    r"threads|bluesky|bsky|mastodon|telegram|discord|reddit|youtube|snapchat|trustpilot"
)
# A verb of getting in touch (in seven languages), then a platform named
# after a preposition; or "our Instagram page/team".
_OTHER_PLATFORM: Final = re.compile(
    r"\b(?:message|contact|dm|pm|write|reach|find|ask|head|go|pop|hop|chat|talk|ping|tweet|"
    r"post|visit|follow|check|see|look|apply|escrib|escríb|contact|écri|ecri|suiv|regard|schreib|"
    r"kontaktier|folg|schau|besuch|scriv|contatt|segui|guard|stuur|volg|kijk|escrev|mand|envi|"
    r"sigu|mira|vej|vê)\w*\b[^.!?\n]{0,40}?"
    r"\b(?:on|via|at|through|in|su|sur|auf|en|por|pelo|no|na|op|über|tramite|a|à|al|ao|naar)\s+"
    r"(?:(?:our|unser\w*|notre|nos|nuestro|nuestra|nosso|nossa|il nostro|la nostra|ons|onze)\s+)?"
    r"(?:" + _PLATFORMS + r")\b"
    r"|\b(?:check|see|visit|follow|look at|head to|schau|besuch|regarde|consulte|mira|visita|"
    r"veja|guarda|kijk op)\s+(?:out\s+)?(?:our\s+|unser\w*\s+|notre\s+|nuestro\s+|nosso\s+|"
    r"il nostro\s+|onze\s+)?(?:" + _PLATFORMS + r")\b"
    r"|\b(?:our|the)\s+(?:" + _PLATFORMS + r")\s+(?:page|account|team|support|inbox|dms?|profile|"
    r"messenger|chat)\b",
    re.IGNORECASE,
)
# Cheap tests that let the expensive patterns run only when they can match.
_MAY_NAME_PLATFORM: Final = re.compile(r"(?i)\b(?:" + _PLATFORMS + r")\b")
_MAY_ASK_DM: Final = re.compile(
    r"(?i)\b(?:dms?|pm|md|mp|pn|message|messag\w*|inbox|direct\w*|privat\w*|privé|nachricht|"
    r"direktnachricht|mensaje|mensagem|messaggio|bericht|privébericht|touch|note|pb)\b"
)
_MAY_ASK_PRIVATE: Final = re.compile(
    r"(?i)order|e-?mail|phone|mobile|address|post\s?code|zip|birth|card|account|password|name|"
    r"booking|nummer|numéro|número|numero|adresse|telefon|téléphone|teléfono|telefone"
)

_PLATFORM_NAMES_IN: Final = {
    "mastodon": ("mastodon",),
    "bluesky": ("bluesky", "bsky"),
    "x": ("twitter", "x.com"),
}


def _check_deflection(
    doc: _Doc, profile: Profile, ctx: CheckContext, upset: bool
) -> Iterator[Finding]:
    rules = profile.deflection
    if not rules.enabled:
        return
    own = doc.own
    owned = rules.ownership.search(own)
    flagged: list[tuple[int, int]] = []
    if rules.phrases.pattern is not None and not owned:
        for start, end, _ in rules.phrases.finditer(own):
            if _names_brand(doc.text[start:end], ctx):
                continue  # "contact @BrandHelp" where that is the brand's own account
            flagged.append((start, end))
            yield Finding(
                "deflection",
                "deflection.phrases",
                rules.severity,
                start,
                end,
                "This sends the customer somewhere else without owning the problem: "
                "say what you will do (“I've passed this to our team and I'll update you”).",
            )
    if not owned:
        for sentence in _SENTENCE.finditer(own):
            m = _GO_ELSEWHERE.search(sentence.group())
            if m is None:
                continue
            span = (sentence.start() + m.start(), sentence.start() + m.end())
            if _overlaps(span, flagged) or _names_brand(doc.text[span[0]:span[1]], ctx):
                continue
            flagged.append(span)
            yield Finding(
                "deflection",
                "deflection.elsewhere",
                rules.severity,
                span[0],
                span[1],
                "This sends the customer somewhere else without owning the problem: "
                "answer here, or say what you will do.",
            )
    if not owned:
        for sentence in _SENTENCE.finditer(own):
            m = _POINTS_TO_SITE.search(sentence.group())
            if m is None:
                continue
            span = (sentence.start(), sentence.end())
            if _overlaps(span, flagged):
                continue
            flagged.append(span)
            yield Finding(
                "deflection",
                "deflection.site",
                rules.severity,
                span[0],
                span[1],
                "This points the customer to the FAQ or the website instead of answering: "
                "give the answer here (a link may go with it).",
            )
            break
    for m in _OTHER_PLATFORM.finditer(own) if _MAY_NAME_PLATFORM.search(own) else ():
        found = m.group().lower()
        same = _PLATFORM_NAMES_IN.get(ctx.platform, ())
        if any(name in found for name in same) or _overlaps(m.span(), flagged):
            continue
        flagged.append(m.span())
        yield Finding(
            "deflection",
            "deflection.platform",
            rules.severity,
            m.start(),
            m.end(),
            "This points the customer to another platform: answer them here, where they asked.",
        )
    if not ctx.public:
        return
    for m in _DM_ASK.finditer(own) if _MAY_ASK_DM.search(own) else ():
        if _overlaps(m.span(), flagged) or _DM_REASON.search(own):
            continue
        if ctx.reply_to and (_PERSONAL_CASE.search(ctx.reply_to)
                             or "problem" in mood_of(ctx).cues):
            # Their own order or account, or a failure they report (not a question about
            # one that might happen): going private is right.
            continue
        yield Finding(
            "deflection",
            "deflection.dm_without_reason",
            rules.severity,
            m.start(),
            m.end(),
            "Asking for a DM without a reason: if the answer isn't private, give it here "
            "(others have the same question); if it is, say why.",
        )
        break


def _overlaps(span: tuple[int, int], spans: Sequence[tuple[int, int]]) -> bool:
    return any(s < span[1] and span[0] < e for s, e in spans)


def _names_brand(found: str, ctx: CheckContext) -> bool:
    handles = re.findall(_HANDLE_RX, found)
    if not handles or not ctx.brand_names:
        return False
    own = {n.lower().lstrip("@") for n in ctx.brand_names}
    return all(h.lower().lstrip("@").split("@")[0] in own for h in handles)


def _check_private_data(
    doc: _Doc, profile: Profile, ctx: CheckContext, upset: bool
) -> Iterator[Finding]:
    rules = profile.private_data
    if not rules.enabled or not ctx.public:
        return
    text = doc.text
    brand = _brand_domains(profile, ctx)
    url_spans = [(s, e) for s, e, _ in doc.urls]
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return not any(s < end and start < e for s, e in taken)

    found: list[tuple[int, int, str, str]] = []  # start, end, rule, what
    for label, pattern in rules.patterns:
        for m in pattern.finditer(text):
            if m.end() > m.start() and free(*m.span()):
                taken.append(m.span())
                found.append((m.start(), m.end(), f"private_data.patterns.{label}", label))
    if rules.order_number:
        for m in _ORDER.finditer(text):
            if free(*m.span()):
                taken.append(m.span())
                found.append((m.start(), m.end(), "private_data.order_number", "An order number"))
    if rules.email and "@" in text:
        for m in _EMAIL.finditer(text):
            domain = m.group().rsplit("@", 1)[1].lower()
            if _domain_allowed(domain, brand) or not free(*m.span()):
                continue
            taken.append(m.span())
            found.append((m.start(), m.end(), "private_data.email", "An email address"))
    if rules.street_address:
        own_addresses = [" ".join(a.lower().split()) for a in ctx.brand_addresses if a.strip()]
        for pattern, what in ((_STREET, "A street address"), (_POSTCODE, "A postcode")):
            for m in pattern.finditer(text):
                found_text = " ".join(m.group().lower().rstrip(".,").split())
                if any(found_text in a for a in own_addresses):
                    continue  # the brand's own address
                if free(*m.span()):
                    taken.append(m.span())
                    found.append((m.start(), m.end(), "private_data.street_address", what))
    if rules.phone:
        own_phones = {_digits(p)[-9:] for p in ctx.brand_phones if len(_digits(p)) >= 6}
        for m in _PHONE.finditer(text):
            digits = sum(c.isdigit() for c in m.group())
            span = m.span()
            inside_url = any(s < span[1] and span[0] < e for s, e in url_spans)
            if _digits(m.group())[-9:] in own_phones:
                continue  # the brand's own number
            if 9 <= digits <= 15 and not inside_url and free(*span):
                taken.append(span)
                found.append((span[0], span[1], "private_data.phone", "A phone number"))
    for start, end, rule, what in found:
        yield Finding(
            "private-data",
            rule,
            rules.severity,
            start,
            end,
            f"{what} in a public reply: move this to a direct message.",
            _removal_fix(text, start, end, "Remove it (ask by direct message instead)"),
        )
    asks = _ASK_PRIVATE.finditer(doc.own) if _MAY_ASK_PRIVATE.search(doc.own) else ()
    for m in asks:
        if free(*m.span()) and not _PRIVATELY.search(doc.own):
            yield Finding(
                "private-data",
                "private_data.request",
                "warning",
                m.start(),
                m.end(),
                "This asks the customer to post personal data in public: ask for it by "
                "direct message instead.",
            )
            break


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


_PRIVATE_ITEM: Final = (
    r"(?:full\s+)?(?:order\s+(?:number|no\.?|id|ref(?:erence)?)|e-?mail(?:\s+address)?|"
    r"phone(?:\s+number)?|mobile(?:\s+number)?|(?:home\s+|postal\s+|delivery\s+)?address|"
    r"post\s?code|zip(?:\s+code)?|date of birth|card(?:\s+number|\s+details)?|"
    r"account(?:\s+number|\s+details)|password|full name|booking reference|"
    r"bestellnummer|e-mail-adresse|adresse|numéro de commande|número de pedido|"
    r"número do pedido|numero d'ordine|bestelnummer|telefonnummer|téléphone|teléfono|telefone)"
)
# "Reply with your order number and email", "post your address below".
_ASK_PRIVATE: Final = re.compile(
    r"\b(?:reply|respond|comment|post|send|share|give|tell|drop|include|provide|leave|pop|add|"
    r"put|write|let us (?:know|have)|can you (?:send|share|give|post|tell)|could you (?:send|"
    r"share|give|post|tell)|antworte|schick|sende|nenn|envoyez|donnez|indiquez|envía|envíe|"
    r"indique|mande|envie|informe|inviaci|indica|stuur|geef)"
    r"\w*\b[^.!?\n]{0,40}?\b(?:your|ihre?|deine?|votre|vos|tu|su|seu|sua|il tuo|la tua|uw|je)\s+"
    r"(?:\w+\s+){0,2}?" + _PRIVATE_ITEM + r"\b",
    re.IGNORECASE,
)
_PRIVATELY: Final = re.compile(
    r"\b(?:dms?|direct(?:ly)?\s+message|private(?:ly)?\s*(?:message)?|pm|inbox|via (?:e-?mail|"
    r"our (?:form|secure))|secure form|per (?:dm|pn|privatnachricht|direktnachricht)|"
    r"direktnachricht|private[nr]? nachricht|en (?:privé|mp)|message privé|por (?:dm|md|"
    r"privado|mensaje privado|mensaje directo)|mensagem (?:privada|direta)|em privado|in privato|"
    r"messaggio (?:privato|diretto)|privé|privébericht)\b",
    re.IGNORECASE,
)



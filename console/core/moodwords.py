"""Word lists for the mood detector: valence lexicons and complaint cues for seven languages.

Written for this project (not derived from another lexicon). Each language has:

- ``valence``: word stems (``*`` = any ending) with a score from -3 to +3;
- ``negators``: words that flip the next three words' valence;
- ``problems``: regular expressions for a failure being reported ("arrived
  broken", "never arrived", "still waiting"), which turn praise into sarcasm;
- ``angry``: complaint phrasings that carry anger without sentiment words
  ("is anyone actually reading these?", "third time", "how many times");
- ``resolved``: phrasings that say the problem is over ("works now").
- ``function``: common function words, used to tell the languages apart
  when a message is too short for the statistical identifier.

English valence comes from VADER; the English lists here add the cues.
"""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("en", "de", "fr", "es", "pt", "it", "nl")

FUNCTION: Final[dict[str, str]] = {
    "en": "the and is are was my your you it this that what why who have has not with for "
    "of to on at please thanks anyone still again i me we our order been didn't doesn't can't",
    "de": "der die das und ist sind nicht kein keine ich mein meine mir mich wir ihr sie "
    "mit von zu auf für wurde wird schon noch immer aber oder wenn dass weil nach über "
    "danke bitte hallo heute seit einer eine ein auch warum wieso hat habe",
    "fr": "le la les une des et est sont pas mon ma mes votre vos avec pour sans sur dans "
    "je il elle nous vous ils merci bonjour personne jamais toujours encore aujourd'hui "
    "c'est n'est qui quoi où cette ces déjà au aux du j'ai",
    "es": "el la los las una unos y es son está están pero porque que qué como muy mi mis "
    "su sus del al con por para sin sobre yo hola gracias nadie nunca todavía hoy ayer "
    "pedido también ya cuando dónde esto eso hay mí",
    "pt": "o os as um uma é são está estão não com em para muito minha meu seu sua nosso "
    "você vocês isso isto ninguém nunca ainda hoje ontem obrigado obrigada olá pedido "
    "chegou foi do da dos das no na já mas",
    "it": "il lo gli la le un una è sono non della delle degli nel nella molto mio mia "
    "ciao grazie nessuno mai ancora oggi ieri ordine perché che chi ho con per ma già",
    "nl": "de het een en is zijn niet geen met van voor op ook nog al erg ik jij mijn "
    "jullie hallo bedankt niemand nooit vandaag gisteren bestelling maar omdat wel heb "
    "dit dat waarom",
}

# Valence: stem -> score. Stems end in * when any ending may follow.
VALENCE: Final[dict[str, dict[str, float]]] = {
    "en": {},
    "de": {
        "danke*": 2, "super": 2.5, "toll*": 2.5, "klasse": 2, "prima": 2, "gut": 1.5,
        "gute*": 1.5, "schön*": 2, "perfekt*": 3, "liebe*": 2.5, "zufrieden*": 2,
        "freu*": 2, "hervorragend*": 3, "großartig*": 3, "genial*": 2.5, "hilfreich*": 2,
        "schnell*": 1, "wunderbar*": 3, "begeistert*": 3, "spitze": 2.5,
        "kaputt*": -2, "defekt*": -2, "schlecht*": -2.5, "schlimm*": -2.5,
        "enttäusch*": -2.5, "ärger*": -2.5, "verärgert*": -3, "wütend*": -3, "sauer": -2.5,
        "frech*": -2.5, "unverschämt*": -3, "katastroph*": -3, "furchtbar*": -3,
        "schrecklich*": -3, "mies*": -2.5, "miserabel*": -3, "lächerlich*": -2.5,
        "unmöglich*": -2.5, "betrug*": -3, "abzocke*": -3, "frustrier*": -2.5,
        "beschwerde*": -1.5, "nervig*": -2, "scheiß*": -3, "scheiss*": -3, "mist": -2.5,
        "falsch*": -1.5, "beschädigt*": -2, "zerbrochen*": -2, "verspät*": -1.5,
        "nie": -0.5, "niemand": -1, "warten": -1, "reklamation*": -1.5, "leider": -1,
        "peinlich*": -2.5, "unzumutbar*": -3, "zumutung": -3, "ignorier*": -2,
        "hinüber": -2, "stinksauer": -3, "genervt*": -2.5, "unfassbar*": -2,
    },
    "fr": {
        "merci": 2, "super": 2.5, "génial*": 3, "parfait*": 3, "excellent*": 3,
        "bravo": 2.5, "top": 2, "adore*": 2.5, "aime": 2, "content*": 2, "ravi*": 2.5,
        "satisfait*": 2, "rapide*": 1, "bien": 1.5, "bon": 1.5, "bonne": 1.5,
        "magnifique*": 3, "formidable*": 3, "impeccable*": 2.5, "sympa": 2,
        "cassé*": -2, "déçu*": -2.5, "décevant*": -2.5, "nul": -3, "nulle": -3,
        "honte*": -3, "honteu*": -3, "scandale*": -3, "scandaleu*": -3, "inadmissible*": -3,
        "inacceptable*": -3, "furieu*": -3, "énervé*": -2.5, "agacé*": -2, "marre": -2.5,
        "mauvais*": -2.5, "horrible*": -3, "catastroph*": -3, "lamentable*": -3,
        "ridicule*": -2.5, "arnaque*": -3, "escroc*": -3, "abîmé*": -2, "endommagé*": -2,
        "retard*": -1.5, "plainte*": -1.5, "jamais": -0.5, "personne": -0.5,
        "pire": -3, "inutile*": -2, "frustr*": -2.5, "problème*": -1.5, "défectu*": -2,
        "malheureusement": -1, "incompétent*": -3, "merde": -3, "ignoré*": -2,
        "incomplet*": -1.5, "fuit": -1.5, "dégoûté*": -2.5, "écœuré*": -2.5, "exaspér*": -3,
    },
    "es": {
        "gracias": 2, "genial*": 3, "perfect*": 3, "excelente*": 3, "encant*": 2.5,
        "fantástic*": 3, "maravill*": 3, "buen*": 1.5, "bien": 1.5, "content*": 2,
        "feliz": 2.5, "rápid*": 1, "amable*": 2, "estupend*": 3, "increíble*": 2,
        "roto": -2, "rota": -2, "rotos": -2, "rotas": -2, "decepcion*": -2.5, "decepción": -2.5,
        "desilusión": -2.5, "desilusion*": -2.5,
        "mal": -2, "mala*": -2.5, "malo*": -2.5, "pésim*": -3, "horrible*": -3,
        "vergüenza": -3, "vergonzos*": -3, "inaceptable*": -3, "indignad*": -3,
        "enfadad*": -3, "enojad*": -3, "harto": -2.5, "harta": -2.5, "furios*": -3,
        "ridícul*": -2.5, "estafa*": -3, "timo": -3, "dañad*": -2, "retras*": -1.5,
        "queja*": -1.5, "reclamación*": -1.5, "nunca": -0.5, "nadie": -1,
        "peor": -3, "inútil*": -2, "frustra*": -2.5, "problema*": -1.5, "defectuos*": -2,
        "lamentablemente": -1, "desastre*": -3, "incompetent*": -3, "mierda": -3,
        "ignora*": -2, "cansad*": -1.5, "incomplet*": -1.5, "hart*": -2.5,
    },
    "pt": {
        "obrigad*": 2, "ótim*": 3, "perfeit*": 3, "excelente*": 3, "adorei": 2.5,
        "amei": 2.5, "maravilh*": 3, "bom": 1.5, "boa": 1.5, "bem": 1, "content*": 2,
        "feliz": 2.5, "rápid*": 1, "incrível": 2, "top": 2, "show": 2,
        "quebrad*": -2, "partid*": -1, "decepcion*": -2.5, "decepç*": -2.5, "desilus*": -2.5, "mal": -2, "ruim": -2.5,
        "péssim*": -3, "horrível": -3, "horrivel": -3, "vergonha*": -3,
        "inaceitável": -3, "absurd*": -2.5, "irritad*": -2.5, "furios*": -3,
        "chatead*": -2, "cansad*": -1.5, "ridícul*": -2.5, "golpe": -3, "fraude*": -3,
        "danificad*": -2, "atras*": -1.5, "reclama*": -1.5, "nunca": -0.5,
        "ninguém": -1, "pior": -3, "inútil": -2, "frustra*": -2.5, "problema*": -1.5,
        "defeito*": -2, "infelizmente": -1, "desastre*": -3, "incompetent*": -3,
        "merda": -3, "ignora*": -2, "lixo": -3,
        "incomplet*": -1.5, "farto": -2.5, "farta": -2.5, "palhaçada": -3,
    },
    "it": {
        "grazie": 2, "ottim*": 3, "perfett*": 3, "eccellent*": 3, "adoro": 2.5,
        "fantastic*": 3, "meraviglios*": 3, "buon*": 1.5, "bene": 1.5, "content*": 2,
        "felice": 2.5, "rapid*": 1, "gentil*": 2, "bellissim*": 3, "bell*": 1.5,
        "rotto": -2, "rotta": -2, "rotti": -2, "delus*": -2.5, "deludent*": -2.5,
        "male": -2, "pessim*": -3, "orribil*": -3, "vergogn*": -3, "inaccettabil*": -3,
        "arrabbiat*": -3, "furios*": -3, "stufo": -2.5, "stufa": -2.5, "ridicol*": -2.5,
        "truffa*": -3, "danneggiat*": -2, "ritard*": -1.5, "reclam*": -1.5, "mai": -0.5,
        "nessuno": -1, "peggio*": -3, "peggior*": -3, "inutil*": -2, "frustra*": -2.5,
        "problema*": -1.5, "difettos*": -2, "purtroppo": -1, "disastr*": -3,
        "incompetent*": -3, "schifo": -3, "ignora*": -2, "assurd*": -2.5,
        "bravissim*": 2.5, "bravo": 2, "brava": 2, "bravi": 2, "complimenti": 2,
        "incomplet*": -1.5, "pazzesc*": -2,
    },
    "nl": {
        "bedankt": 2, "dank*": 2, "super": 2.5, "geweldig*": 3, "perfect*": 3,
        "top": 2, "fijn*": 2, "goed*": 1.5, "blij*": 2, "tevreden*": 2, "snel*": 1,
        "mooi*": 2, "prachtig*": 3, "handig*": 1.5, "vriendelijk*": 2, "fantastisch*": 3,
        "kapot*": -2, "stuk": -1.5, "teleurgesteld*": -2.5, "teleurstell*": -2.5,
        "slecht*": -2.5, "waardeloos*": -3, "belachelijk*": -3, "schandalig*": -3,
        "schande": -3, "onacceptabel*": -3, "boos": -3, "woedend*": -3, "kwaad": -3,
        "geïrriteerd*": -2.5, "zat": -1, "oplichter*": -3, "oplichting*": -3,
        "beschadigd*": -2, "vertraag*": -1.5, "klacht*": -1.5, "nooit": -0.5,
        "niemand": -1, "erger*": -2.5, "slechtste": -3, "nutteloos*": -2,
        "gefrustreerd*": -2.5, "probleem*": -1.5, "problemen": -1.5, "defect*": -2,
        "helaas": -1, "drama": -2.5, "incompetent*": -3, "genegeerd*": -2, "rommel": -2.5,
        "spuugzat": -3, "beu": -2.5, "kotsbeu": -3, "incompleet": -1.5, "onvolledig*": -1.5,
        "lachertje": -2.5,
    },
}

NEGATORS: Final[dict[str, str]] = {
    "en": "",
    "de": "nicht kein keine keinen keinem nie niemals",
    "fr": "pas ne n' jamais plus aucun aucune",
    "es": "no nunca jamás tampoco ni",
    "pt": "não nunca jamais nem",
    "it": "non mai nessun nessuna né",
    "nl": "niet geen nooit",
}

# Reports of a failure. English applies to every language (mixed messages).
PROBLEMS: Final[dict[str, tuple[str, ...]]] = {
    "en": (
        r"\b(?:broke|broken|cracked|smashed|shattered|damaged|dented|faulty|defective|leak(?:s|ing)?)\b",
        r"\b(?:never|hasn't|has not|haven't|didn't|did not|still not) (?:arrived|came|turned up|shown up|been delivered)\b",
        r"\bstill (?:waiting|nothing|no|not|broken|missing|haven't|hasn't)\b",
        r"\b(?:missing|lost|wrong (?:item|colou?r|size|order|one)|late again|overcharged|charged twice)\b",
        r"\b(?:doesn't|does not|don't|won't|stopped|isn't|not) work(?:ing|s)?\b",
        r"\b(?:doesn't|does not|don't|won't|no longer) (?:fit|close|seal|shut|heat up|switch on|turn on)\b",
        r"\b(?:no|zero) (?:reply|response|answer|refund|update)\b",
        (r"\b(?:nobody|no one|no-one) (?:answers|answered|replies|replied|responds|responded|"
         r"picks up|picked up|called|rang|has (?:replied|answered|got back|called))\b"),
        (r"\b(?:wet|soaked|soggy|ruined|crushed|squashed|torn|ripped|stained|burnt|burned|melted|"
         r"rusty|rusted|mouldy|moldy|sticking|sparked|sparks|tripped|exploded|shattered)\b"),
        r"\b(?:burning|burnt) smell\b|\bin pieces\b|\bover the fence\b|\b(?:has|have|with|got) (?:a )?holes? in\b",
        (r"\b(?:came|arrived|turned up|delivered|got here) (?:a day|\w+ days?|a week|\w+ weeks?) "
         r"(?:late|after)\b"),
        (r"\b(?:cancell?ed|returned)\b[^.!?]{0,40}\b(?:charged|billed|taken)\b"
         r"|\b(?:charged|billed)\b[^.!?]{0,40}\b(?:cancell?ed|returned)\b"),
        r"\b(?:cancell?ed|refused|ignored) (?:my|again)\b",
        r"\bcharged (?:me |my card |us |my account )?(?:twice|double|two times)\b|\bdouble[- ]charged\b",
        r"\b(?:fell|came|come|comes|falls|fallen|snapped|broke|breaks) (?:off|apart)\b",
        r"\b(?:crash(?:ed|es|ing)?|froze|freezes|keeps? (?:crashing|freezing|logging me out))\b",
        r"\b(?:second|third|fourth|2nd|3rd|4th) one (?:broke|failed|died|cracked|leaks?|arrived)\b",
        r"\b(?:died|stopped working|gave up) (?:after|within|on day)\b",
        (r"\b(?:ordered|paid for|asked for|bought)\b[^.!?]{0,30}?(?:,|and|but|;|\.)\s*"
         r"(?:got|received|was sent|they sent|only got)\b"),
        r"\b(?:the )?wrong (?:colou?r|size|item|one|order|address)\b",
    ),
    "de": (
        r"\b(?:kaputt|defekt|beschädigt|zerbrochen|gesprungen|undicht)\w*",
        r"\b(?:nie|nicht|noch nicht|immer noch nicht) (?:angekommen|geliefert|erhalten|da)\b",
        r"\b(?:immer noch|noch immer) (?:kein|nicht|nichts|warten)\w*",
        r"\bfunktioniert (?:nicht|immer noch nicht|nicht mehr)\b",
        r"\bkeine (?:antwort|rückmeldung|erstattung)\b",
        r"\bniemand (?:antwortet|meldet sich|reagiert)\b",
        r"\b(?:falsche[nrs]?|fehlt|fehlen|verloren)\b",
        r"\b(?:hinüber|im eimer|undicht|tropft|leckt|verbogen|zerkratzt|fehlerhaft|unvollständig)\b",
        r"\b(?:schließt|geht|hält|heizt|funktioniert) (?:nicht mehr|nicht richtig)\b",
        r"\b(?:zu spät|verspätet|doppelt (?:abgebucht|berechnet|belastet))\b",
        r"\b(?:warte|warten|wartet)\b[^.!?]{0,20}\b(?:seit|schon|immer noch|noch immer)\b",
        r"\b(?:nichts|nie etwas) (?:bekommen|erhalten|angekommen)\b|\bals zugestellt\b",
        r"\bbestellt\b[^.!?]{0,40}\b(?:bekommen|geliefert|erhalten|kam|kommt)\b",
    ),
    "fr": (
        r"\b(?:cassée?s?|abîmée?s?|endommagée?s?|fissurée?s?|défectueu\w*)\b",
        r"\b(?:jamais|toujours pas|pas) (?:arrivée?s?|reçue?s?|livrée?s?)\b",
        r"\btoujours (?:rien|pas|aucune?|en attente)\b",
        r"\bne (?:fonctionne|marche) (?:pas|plus)\b",
        r"\baucune (?:réponse|nouvelle)\b",
        r"\bpersonne ne (?:répond|me répond|réagit)\b",
        r"\b(?:manquant\w*|perdue?s?|mauvaise? (?:taille|couleur|article|produit))\b",
        r"\bne (?:ferme|marche|fonctionne|chauffe|tient|s'allume|sert) (?:plus|pas)\b",
        r"\b(?:fuit|fuient|rayée?s?|tordue?s?|incomplète?s?|en retard|débitée? deux fois)\b",
        r"\b(?:n'ai|ai) (?:toujours |jamais )?rien reçu\b|\bjamais reçu\b|\bmarquée? (?:comme )?livrée?\b",
        r"\b(?:j'attends|attends|attendre|attente)\b[^.!?]{0,25}\b(?:depuis|jours|semaines|mois)\b",
        r"\bcommandée?s?\b[^.!?]{0,40}\b(?:reçu|livrée?|arrivée?|envoyée?)\b",
        r"\bpersonne ne (?:me |nous )?(?:répond|réagi|rappel)\w*",
    ),
    "es": (
        r"\b(?:rot[oa]s?|dañad[oa]s?|estropead[oa]s?|defectuos[oa]s?|agrietad[oa]s?)\b",
        r"\b(?:nunca|todavía no|aún no|no) (?:llegó|ha llegado|me ha llegado|recibí|he recibido)\b",
        r"\b(?:todavía|aún|sigo) (?:nada|no|sin|esperando)\b",
        r"\bno (?:funciona|anda|sirve)\b",
        r"\b(?:sin|ninguna) respuesta\b",
        r"\bnadie (?:responde|contesta|me responde|me contesta)\b",
        r"\b(?:falta|perdid[oa]|equivocad[oa]|incorrect[oa])\b",
        r"\bya no (?:cierra|funciona|calienta|enciende|sirve)\b",
        r"\bno (?:cierra|calienta|enciende)\b",
        r"\b(?:incomplet[oa]s?|gotea|pierde agua|rayad[oa]s?|con retraso|llega tarde|llegó tarde)\b",
        r"\b(?:cobrad[oa]|cobrasteis|cobraron|cobráis)\b[^.!?]{0,20}\b(?:dos veces|doble)\b",
        r"\bno (?:he recibido|me ha llegado|recibí) nada\b",
        r"\b(?:pone|marcado como|figura como) entregado\b",
        r"\b(?:llevo|esperando|espero|esperar)\b[^.!?]{0,25}\b(?:días|semanas|meses)\b",
        r"\b(?:pedí|compré|encargué)\b[^.!?]{0,40}\b(?:me (?:llegó|llegaron|enviasteis|mandasteis|han enviado|han mandado)|recibí)\b",
        r"\bnadie (?:me |nos )?(?:respond|contest|atiend)\w*",
    ),
    "pt": (
        r"\b(?:quebrad[oa]s?|danificad[oa]s?|estragad[oa]s?|defeituos[oa]s?|rachad[oa]s?)\b",
        r"\b(?:nunca|ainda não|não) (?:chegou|recebi|foi entregue)\b",
        r"\b(?:ainda|continuo) (?:nada|sem|esperando|aguardando)\b",
        r"\bnão (?:funciona|liga|serve)\b",
        r"\b(?:sem|nenhuma) resposta\b",
        r"\bninguém (?:responde|me responde|atende)\b",
        r"\b(?:faltando|perdid[oa]|errad[oa])\b",
        r"\bjá não (?:fecha|funciona|aquece|liga|serve)\b|\bnão (?:fecha|aquece)\b",
        r"\b(?:incomplet[oa]s?|vaza|riscad[oa]s?|atrasad[oa]s?|demorou|cobrad[oa] duas vezes)\b",
        r"\bnão recebi nada\b|\b(?:consta|aparece) como entregue\b",
        r"\b(?:espero|esperando|aguardando|à espera)\b[^.!?]{0,25}\b(?:dias|semanas|meses)\b",
        r"\b(?:pedi|encomendei|comprei)\b[^.!?]{0,40}\b(?:recebi|chegou|veio|mandaram|enviaram)\b",
        r"\bninguém (?:me |nos )?(?:respond|atend)\w*",
    ),
    "it": (
        r"\b(?:rott[oaie]|danneggiat[oaie]|difettos[oaie]|incrinat[oaie]|ammaccat[oaie])\b",
        r"\b(?:mai|ancora non|non è|non sono) (?:arrivat[oaie]|consegnat[oaie])\b",
        r"\b(?:ancora|sto ancora) (?:niente|nessun\w*|aspettando|in attesa)\b",
        r"\bnon (?:funziona|va|si accende)\b",
        r"\bnessuna risposta\b",
        r"\bnessuno (?:risponde|mi risponde)\b",
        r"\b(?:mancant[ei]|pers[oa]|sbagliat[oaie])\b",
        r"\bnon (?:si )?(?:chiude|funziona|scalda|accende) più\b|\bnon (?:si )?chiude\b",
        r"\b(?:perde|perdono|gocciola|gocciolano|incomplet[oaie]|graffiat[oaie])\b",
        r"\bin ritardo\b",
        r"\baddebitat[oaie] due volte\b|\bnon ho ricevuto (?:niente|nulla)\b|\brisulta consegnat[oa]\b",
        r"\b(?:aspetto|aspettando|attesa|aspettare)\b[^.!?]{0,25}\b(?:giorni|settimane|mesi)\b",
        r"\b(?:ordinat[oa]|comprat[oa])\b[^.!?]{0,40}\b(?:arrivat[oa]|ricevut[oa]|mandat[oa]|spedit[oa])\b",
        r"\bnessuno (?:mi |ci )?rispond\w*",
    ),
    "nl": (
        r"\b(?:kapot|beschadigd|gebroken|defect|gescheurd|lek)\b",
        r"\b(?:nooit|nog steeds niet|niet) (?:aangekomen|geleverd|ontvangen|bezorgd)\b",
        r"\bnog steeds (?:niets|niks|geen|niet|aan het wachten)\b",
        r"\bwerkt (?:niet|nog steeds niet|niet meer)\b",
        r"\bgeen (?:antwoord|reactie|terugbetaling)\b",
        r"\bniemand (?:reageert|antwoordt)\b",
        r"\b(?:ontbreekt|ontbreken|kwijt|verkeerde?)\b",
        r"\b(?:sluit|werkt|doet het|verwarmt) (?:niet meer|niet goed)\b",
        r"\b(?:kapotte|lekt|lekken|incompleet|onvolledig|bekrast|te laat|dubbel afgeschreven)\b",
        r"\b(?:niets|niks) (?:ontvangen|gekregen|binnen)\b|\bstaat (?:als )?bezorgd\b",
        r"\b(?:wacht|wachten|gewacht)\b[^.!?]{0,25}\b(?:dagen|weken|maanden)\b",
        r"\bal (?:\w+ )?(?:dagen|weken|maanden)\b",
        r"\bbesteld\b[^.!?]{0,40}\b(?:gekregen|ontvangen|geleverd|kwam)\b",
        r"\bniemand (?:die )?(?:reageer|antwoord)\w*",
    ),
}

# Anger without sentiment words: complaint questions, "again", "third time".
ANGRY: Final[dict[str, tuple[str, ...]]] = {
    "en": (
        r"\b(?:is|does) any(?:one|body) (?:actually |even |ever )?(?:read|reading|work|working|listen|listening|there|home|care)\b",
        r"\bany(?:one|body) (?:there|home|alive|awake)\s*\?",
        r"\bwhat(?:'s| is) the point\b",
        r"\bhow (?:many times|hard can it be|long (?:do|does|will|must) (?:i|we))\b",
        r"\bwhy (?:is it|does it|do i|should i|on earth|the hell)\b",
        r"\b(?:are you|you) (?:kidding|joking|serious)\b",
        r"\bseriously\s*[?!]",
        r"\b(?:third|fourth|fifth|3rd|4th|5th|umpteenth) time\b",
        r"\b(?:yet again\b|once again\b|again\s*(?:[?!.]|$)|for (?:two|three|four|2|3|4) weeks\b|for (?:weeks|days|ages)\b)",
        r"\b(?:second|2nd) time\b",
        r"\bfix (?:this|it) (?:now|asap|immediately|today)\b",
        r"\b(?:was|were|been|got) promised\b",
        r"\b(?:still|nothing)\b[^.?!]{0,40}\b(?:days?|weeks?|months?) (?:later|ago|now)\b",
        r"\b(?:never (?:again|ordering|buying)|last time i (?:order|buy)|taking my (?:money|business))\b",
        r"\b(?:unacceptable|ridiculous|joke|disgrace|shambles|useless|pathetic|fed up|sick of|had enough)\b",
        r"\bthanks for nothing\b",
        r"\b(?:can|could) (?:someone|anyone|somebody|anybody|you) (?:please )?explain\b",
        (r"\b(?:taking the (?:mick|mickey|piss)|having a laugh|beyond a joke|is this a joke|"
         r"get it together|sort it out|want my money back|explain yourselves)\b"),
        (r"\b(?:shameful|disgraceful|appalling|outrageous|scandalous|disgusting|a disgrace|a scandal|"
         r"shambolic|a farce|incompetent|clowns)\b"),
        r"\b(?:on hold|waiting) for (?:\d+|\w+) (?:minutes|hours|days|weeks)\b",
        (r"\b(?:\w+ )?(?:days|weeks|months) (?:for|to get|waiting for) (?:a |my |the )?"
         r"(?:refund|reply|response|answer|delivery|replacement)\b"),
        r"(?:^|[.!?]\s*)explain\s*[.!?]",
        r"\b(?:do|did) you (?:even|actually) (?:read|care|check)\b",
        # disappointment or a norm denied, told in a fragment ("not okay", "not again")
        r"\b(?:not (?:ok|okay|normal|acceptable)|so disappointed|what a letdown)\b",
    ),
    "de": (
        r"\b(?:liest|lest) (?:das|hier) (?:überhaupt|eigentlich) (?:jemand|wer)\b",
        r"\bist (?:da|hier) (?:überhaupt |eigentlich )?(?:jemand|wer)\b",
        r"\bwie oft (?:noch|soll|muss)\b",
        r"\b(?:zum|schon zum) (?:dritten|vierten|x-ten|zweiten) mal\b",
        r"\b(?:schon wieder|wieder mal|seit wochen|seit tagen)\b",
        r"\bwas soll das\b",
        r"\b(?:nie wieder|das letzte mal)\b",
        r"\bsoll das ein witz sein\b",
        r"\b(?:liest|lest|antwortet|hört|reagiert)\b[^.?!]{0,25}\b(?:jemand|wer|irgendwer|irgendjemand)\b[^.?!]{0,60}\?",
        r"\b(?:ist das (?:euer|ihr|dein) ernst|wie kann (?:es|das) sein|echt jetzt|im ernst)\b",
        r"\b(?:kann|könnte) mir (?:mal )?(?:jemand|wer|einer) erklären\b",
        r"\b(?:na|ganz|echt) (?:super|toll|klasse|prima|spitze)\b|\b(?:danke|vielen dank) für nichts\b|\bvielen dank auch\b",
        r"\b(?:zweite|dritte|vierte|fünfte|x-te)n? (?:mal|nachricht|mail|e-mail|anruf|anfrage)\b",
        r"\b(?:lest|lesen sie|liest du|antwortet ihr|antworten sie)\b[^.?!]{0,30}\?",
        r"\b(?:die nase (?:gestrichen )?voll|es reicht|reicht mir|langsam reicht|kotzt mich an|habe genug|hab genug)\b",
        r"\b(?:nicht normal|nicht in ordnung|unfassbar|geht gar nicht|so eine enttäuschung)\b",
    ),
    "fr": (
        r"\b(?:quelqu'un|y a-t-il quelqu'un|il y a quelqu'un) (?:lit|pour lire|ici|là)\b",
        r"\by a quelqu'un\b",
        r"\bcombien de fois\b|\bcombien de temps (?:encore|dois-je|je dois|faut-il encore|va-t-il falloir)\b",
        r"\b(?:pour la|c'est la) (?:troisième|quatrième|énième|deuxième) fois\b",
        r"\b(?:encore une fois|depuis des semaines|depuis des jours|toujours rien)\b",
        r"\bc'est une blague\b",
        r"\b(?:plus jamais|la dernière fois que)\b",
        r"\bà quoi (?:ça|cela) sert\b",
        r"\bquelqu'un\b[^.?!]{0,25}\b(?:lit|répond|écoute)\w*[^.?!]{0,60}\?",
        r"\bcomment (?:est-ce|c'est) possible\b|\bsérieusement\b|\bsérieux\s*[?!]",
        r"\bquelqu'un (?:peut|pourrait) m'expliquer\b",
        r"\bmerci (?:beaucoup |bien )?(?:pour rien|du cadeau)\b|\bvraiment top\b|\bbravo (?:pour|à|le|la)\b|\bchapeau\b",
        r"\b(?:deuxième|troisième|quatrième|cinquième|énième) (?:fois|message|mail|e-mail|appel|relance)\b",
        r"\b(?:vous lisez|lisez-vous|vous répondez|répondez-vous)\b[^.?!]{0,30}\?",
        r"\bmoqu(?:e|ez|ent|er)\b",
        r"\b(?:ras le bol|ras-le-bol|j'en ai marre|ça suffit|n'importe quoi|foutez de|foutage)\b",
        r"\b(?:pas terrible|pas normal|pas acceptable|quelle déception|décevant\w*|déception)\b",
    ),
    "es": (
        r"\b(?:hay alguien|alguien lee|alguien (?:está )?leyendo)\b",
        r"\bcuántas veces\b",
        r"\b(?:por|es la) (?:tercera|cuarta|enésima|segunda) vez\b",
        r"\b(?:otra vez|de nuevo|desde hace semanas|desde hace días|hace semanas)\b",
        r"\bes una broma\b",
        r"\b(?:nunca más|nunca jamás)\b",
        r"\bde qué sirve\b",
        r"\b(?:alguien|nadie)\b[^.?!]{0,25}\b(?:lee|responde|contesta|escucha)\w*[^.?!]{0,60}\?",
        r"\bde verdad\b[^.?!]{0,80}\?",
        r"\ben serio\b[^.?!]{0,80}\?",
        r"\bcómo es posible\b",
        r"\bhace falta\b[^.?!]{0,60}\?",
        r"\b(?:alguien|quién) (?:me )?(?:puede )?explica\w*\b",
        r"\bgracias por nada\b",
        r"\b(?:genial|fantástico|estupendo|perfecto|muy bien)\s*[,.!]\s*(?:otra vez|de nuevo|una vez más)\b",
        r"\b(?:segunda|tercera|cuarta|quinta|enésima) (?:vez|llamada|reclamación)\b|\b(?:segundo|tercer|cuarto|quinto|enésimo) (?:mensaje|correo|email|aviso)\b",
        r"\b(?:leéis|leen|contestáis|contestan|respondéis|responden)\b[^.?!]{0,30}\?",
        r"\bhasta (?:las narices|el gorro|la coronilla)\b",
        r"\b(?:tomando|tomáis|tomar|tomas|toman) el pelo\b",
        r"\bya está bien\b",
        r"\bno hay derecho\b",
        r"\bestoy hart[oa]\b",
        r"\b(?:no es normal|no es aceptable|qué (?:decepción|desilusión|vergüenza)|vaya tela|decepcionante)\b",
    ),
    "pt": (
        r"\b(?:tem|há) alguém (?:lendo|aí|aqui|a ler)\b",
        r"\bquantas vezes\b",
        r"\b(?:pela|é a) (?:terceira|quarta|enésima|segunda) vez\b",
        r"\b(?:de novo|outra vez|há semanas|há dias)\b",
        r"\bé (?:uma )?piada\b",
        r"\bnunca mais\b",
        r"\bpra que serve\b",
        r"\b(?:alguém|ninguém)\b[^.?!]{0,25}\b(?:lê|responde|atende|ouve)\w*[^.?!]{0,60}\?",
        r"\bsério\b[^.?!]{0,80}[?!]",
        r"\bcomo é possível\b",
        r"\balguém (?:me )?(?:pode |consegue )?explicar\b",
        r"\bobrigad[oa] por nada\b|\bque maravilha\b|\bmuito bem\s*[,.!]",
        r"\b(?:segunda|terceira|quarta|quinta|enésima) (?:vez|mensagem|chamada|reclamação)\b",
        r"\b(?:leem|lêem|respondem|atendem)\b[^.?!]{0,30}\?",
        r"\b(?:estou fart[oa]|não aguento mais|estão a gozar|estão brincando|é o cúmulo|já chega|palhaçada)\b",
        r"\b(?:não (?:é|está) normal|não está bem|que (?:desilusão|decepção|vergonha)|decepcionante)\b",
    ),
    "it": (
        r"\bc'è qualcuno\b",
        r"\bqualcuno (?:legge|sta leggendo)\b",
        r"\bquante volte\b",
        r"\b(?:per la|è la) (?:terza|quarta|ennesima|seconda) volta\b",
        r"\b(?:di nuovo|ancora una volta|da settimane|da giorni)\b",
        r"\bè uno scherzo\b",
        r"\bmai più\b",
        r"\b(?:qualcuno|nessuno)\b[^.?!]{0,25}\b(?:legge|rispond|ascolt)\w*[^.?!]{0,60}\?",
        r"\b(?:è possibile che|sul serio|ma come è possibile)\b[^.?!]{0,80}\?|\bsul serio\s*[?!]",
        r"\bqualcuno (?:mi )?(?:può |sa )?spiegar\w*\b",
        r"\bgrazie (?:tante|per niente|per nulla|di niente)\b|\bcomplimenti (?:davvero|vivissimi)\b|\bbravissim\w*\s*[,.!]",
        r"\b(?:seconda|terza|quarta|quinta|ennesima) (?:volta|mail|email|chiamata)\b|\b(?:secondo|terzo|quarto|quinto|ennesimo) (?:messaggio|sollecito|reclamo)\b",
        r"\b(?:leggete|rispondete)\b[^.?!]{0,30}\?",
        r"\b(?:sono stuf[oa]|non se ne può più|ne ho abbastanza|mi prendete in giro|presa in giro|basta così)\b",
        r"\b(?:non ci siamo|non (?:è|e\') normale|non va bene|che delusione|deludente)\b",
    ),
    "nl": (
        r"\bleest (?:hier |er )?(?:iemand|wel iemand)\b",
        r"\bis er (?:hier )?(?:iemand|wel iemand)\b",
        r"\bhoe vaak (?:nog|moet)\b",
        r"\bvoor de (?:derde|vierde|zoveelste|tweede) keer\b",
        r"\b(?:alweer|weer eens|al weken|al dagen)\b",
        r"\bis dit een grap\b",
        r"\bnooit meer\b",
        r"\b(?:iemand|niemand)\b[^.?!]{0,25}\b(?:leest|reageert|antwoordt|luistert)\b[^.?!]{0,60}\?",
        r"\b(?:hoe kan het dat|meen je dat)\b|\bserieus\s*[?!]",
        r"\bkan iemand (?:mij |me )?(?:uitleggen|vertellen)\b",
        r"\b(?:bedankt|dank je|dankjewel) (?:hoor|voor niks|voor niets)\b|\btop hoor\b|\b(?:lekker|goed) bezig\b|\bnou lekker\b",
        r"\b(?:tweede|derde|vierde|vijfde|zoveelste) (?:keer|bericht|mail|e-mail|telefoontje)\b",
        r"\b(?:lezen|reageren|antwoorden) jullie\b[^.?!]{0,30}\?",
        r"\b(?:het zat|spuugzat|het beu|kotsbeu|genoeg van|schiet (?:eens|nou) op|maken er een potje van)\b",
        r"\bweer\b[^.!?]{0,20}\b(?:kapot|stuk|te laat|verkeerd|niet|niks|niets)\w*",
        r"\b(?:niet normaal|niet oké?|niet acceptabel|wat een teleurstelling)\b",
    ),
}

# A note, not a complaint: softeners ("no rush", "a bit", "otherwise fine") and
# the customer's own mistake ("I ordered the wrong size"). They halve a
# negative reading and keep a reported fault from reading as sarcasm, unless
# an angry cue is there too.
MILD: Final[dict[str, tuple[str, ...]]] = {
    "en": (
        r"\b(?:no rush|no hurry|no worries|no big deal|not a big deal|not urgent|no biggie)\b",
        r"\b(?:a bit|a little|slightly|a tad|ever so slightly)\b",
        r"\bjust (?:thought|wanted to let|letting|to let|fyi)\b",
        r"\bfor (?:your|ur) info\b",
        r"\bheads[- ]up\b",
        r"\b(?:is|are|was|were|otherwise|all) (?:fine|ok|okay|perfect|great)\b",
        r"\b(?:ordered|picked|chose|bought|selected|clicked) the wrong\b",
        r"\bmy (?:mistake|fault|bad)\b",
        r"\bif (?:i|we) (?:order|buy|pay)\b",
    ),
    "de": (r"\b(?:keine eile|kein stress|kein problem|nicht schlimm|nicht so schlimm|halb so wild)\b",
           r"\b(?:ein bisschen|ein wenig|etwas zu|leicht (?:beschädigt|verbeult|zerkratzt))\b",
           r"\b(?:mein fehler|habe mich vertan|hab mich vertan|aus versehen)\b",
           r"\bwenn ich\b[^.!?]{0,25}\bbestelle\b"),
    "fr": (r"\b(?:pas pressé|rien de grave|pas grave|pas de souci|pas urgent)\b",
           r"\b(?:un peu|légèrement)\b", r"\b(?:mon erreur|ma faute|je me suis trompée?)\b",
           r"\bsi je (?:commande|passe commande|paie)\b"),
    "es": (r"\b(?:sin prisa|no pasa nada|no es grave|no corre prisa)\b",
           r"\b(?:un poco|ligeramente)\b", r"\b(?:culpa mía|me equivoqué|error mío)\b",
           r"\bsi (?:pido|compro|hago el pedido|encargo)\b"),
    "pt": (r"\b(?:sem pressa|não faz mal|nada de grave|não é grave)\b",
           r"\b(?:um pouco|ligeiramente)\b", r"\b(?:culpa minha|me enganei|enganei-me|erro meu)\b",
           r"\bse (?:eu )?(?:encomendar|pedir|comprar|encomendo)\b"),
    "it": (r"\b(?:nessuna fretta|niente di grave|non è grave|non c'è fretta)\b",
           r"\b(?:un po'|leggermente)\b", r"\b(?:colpa mia|mi sono sbagliat[oa]|errore mio)\b",
           r"\bse (?:ordino|compro|faccio l'ordine)\b"),
    "nl": (r"\b(?:geen haast|geen probleem|niet erg|geen ramp)\b",
           r"\b(?:een beetje|een tikje|lichtelijk)\b", r"\b(?:mijn fout|mijn schuld|ik heb me vergist)\b",
           r"\bals (?:ik|je|we)\b[^.!?]{0,25}\bbestel\w*"),
}

# The problem is over: a thank-you that mentions the old fault is not sarcasm.
RESOLVED: Final[dict[str, tuple[str, ...]]] = {
    "en": (
        r"\b(?:works|working) (?:now|again|perfectly|fine|great)\b",
        r"\b(?:all )?(?:sorted|fixed|resolved)\b(?! yet)",
        (r"\b(?:replacement|new one|refund) (?:arrived|came|is here|went through|received)\b"
         r"(?! (?:in pieces|broken|damaged|cracked|smashed|late|wrong|too|as well))"),
        r"\bthanks? (?:you )?for (?:sorting|fixing|replacing|the replacement|the refund|your help|helping)\b",
    ),
    "de": (r"\bfunktioniert (?:jetzt|wieder)\b", r"\b(?:erledigt|gelöst|repariert)\b",
           r"\bersatz (?:ist )?(?:angekommen|da)\b"),
    "fr": (r"\b(?:fonctionne|marche) (?:maintenant|à nouveau|de nouveau)\b",
           r"\b(?:réglé|résolu|remplacée? (?:reçue?|arrivée?))\b"),
    "es": (r"\bya funciona\b", r"\bfunciona (?:ahora|de nuevo|perfecto)\b",
           r"\b(?:resuelto|solucionado|arreglado)\b"),
    "pt": (r"\bjá funciona\b", r"\bfunciona (?:agora|de novo)\b",
           r"\b(?:resolvido|consertado)\b"),
    "it": (r"\b(?:ora|adesso) funziona\b", r"\bfunziona (?:ora|adesso|di nuovo)\b",
           r"\b(?:risolto|sistemato)\b"),
    "nl": (r"\bwerkt (?:nu|weer)\b", r"\b(?:opgelost|gerepareerd)\b"),
}

#: Emoji that carry anger, disappointment or contempt, in any language.
ANGRY_EMOJI: Final = frozenset(
    ["😡", "🤬", "😠", "😤", "👎", "💩", "🙄", "😒", "😑", "😞", "😩", "😫", "😢", "😭", "💔", "🤦", "😾", "🖕", "😖", "😣", "☹", "😕", "🤢", "🤮", "😪", "😓", "😔"]
)
#: Emoji that turn praise into sarcasm when a failure is reported.
SARCASM_EMOJI: Final = frozenset(["🙃", "🙄", "😒", "🤡", "👏", "😑", "🥲", "🫠"])
#: Emoji that are warm, in any language.
WARM_EMOJI: Final = frozenset(
    ["😍", "❤", "😊", "🥰", "👍", "🙏", "😀", "😃", "😄", "😁", "🎉", "🥳", "💕", "💖", "💯", "✨", "🤩", "😘", "🙌", "☺", "💚", "💙", "💜", "🧡", "💛"]
)

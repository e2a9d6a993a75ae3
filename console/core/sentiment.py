"""Sentiment of inbound messages: VADER for English, "unknown" for anything else.

VADER (vaderSentiment) is an English lexicon and rule set that runs locally
with no network. On text in another language it does not fail, it guesses:
German "die" scores as the English verb, Spanish "no" as a negation. A guess
on a barometer chart is worse than a gap, so every text first passes a cheap
language check (`is_english`):

1. Text with no letters at all (emoji, punctuation) is judged: VADER reads
   emoji through its own emoji lexicon, and emoji are not a language.
2. Text whose letters are mostly outside the Latin script (Japanese, Arabic,
   Cyrillic, ...) is not English.
3. Latin-script text is English when English function words and VADER's
   English lexicon outweigh the function words of German, Spanish, French,
   Portuguese, Italian and Dutch plus words with their accented letters.
   Words shared by English and one of those languages ("me", "no", "a") count
   for neither side.

It costs a handful of regex and set operations per message; VADER itself is
the expensive part.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from console.core.rules import NEGATIVE_MOOD, POSITIVE_MOOD, mood_of

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import (  # type: ignore[import-untyped]
        SentimentIntensityAnalyzer,
    )

log = logging.getLogger(__name__)

Label = Literal["positive", "negative", "neutral", "unknown"]

#: VADER's recommended thresholds on the compound score (defined once, in rules).
POSITIVE_THRESHOLD = POSITIVE_MOOD
NEGATIVE_THRESHOLD = NEGATIVE_MOOD


@dataclass(frozen=True)
class Sentiment:
    """The sentiment of one message.

    Attributes:
        compound: VADER's normalized score in [-1, 1], or None when the text
            could not be judged.
        label: ``"positive"``, ``"negative"``, ``"neutral"``, or ``"unknown"``
            for text that is not English.
    """

    compound: float | None
    label: Label


UNKNOWN = Sentiment(compound=None, label="unknown")


def _words(text: str) -> frozenset[str]:
    """A set of the whitespace-separated words of ``text``."""
    return frozenset(text.split())


_ENGLISH = _words(
    """
    i me my mine myself we us our ours you your yours he him his she her hers it its
    they them their theirs this that these those who whom whose which what where when
    why how am is are was were be been being have has had having do does did done doing
    will would shall should can could may might must the an and but or nor if then than
    because as until while of at by for with about against between into through during
    before after above below to from up down out on off over under again further once
    here there all any both each few more most other some such only own same so too
    very just not don't can't won't isn't aren't wasn't weren't didn't doesn't haven't
    hasn't hadn't couldn't shouldn't wouldn't i'm i've i'll i'd you're you've we're
    it's that's there's what's let's still yet already also even ever never always
    again please thanks thank hi hey hello yes yeah ok okay got get gets getting
    would've really now today tomorrow yesterday week day time order ordered arrived
    delivery delivered broken help anyone someone nobody anything something nothing
    since ago back new item refund replacement return customer service support
    """
)

_FOREIGN = _words(
    # German
    """
    der die das den dem des ein eine einen einem einer eines und ist sind war waren
    nicht kein keine mit von zu auf für ist wurde wird bei aus auch noch schon sehr
    ich du er sie wir ihr mich mir dich dir uns euch mein meine dein ihre unser
    aber oder wenn dass weil nach über immer nie danke bitte hallo heute gestern
    """
    # Spanish
    """
    de en el la los las un una unos unas y o pero porque que qué como cómo está están es son
    fue era muy mi mis tu tus su sus nuestro nuestra del al con por para sin sobre
    yo tú él ella nosotros ellos hola gracias nadie nunca todavía hoy ayer pedido
    también ya aún cuando dónde donde esto eso este esta estos estas hay
    """
    # French
    """
    le les une des et ou mais parce est sont était très mon ma mes ton ta tes son sa ses
    notre votre leur du au aux avec pour sans sur dans je tu il elle nous vous ils elles
    bonjour merci personne jamais toujours encore aujourd'hui hier commande c'est
    n'est pas ne qui quoi où cette ces
    """
    # Portuguese
    """
    e o os umas uns minha meu minhas meus seu sua nosso nossa não com em para
    muito obrigado obrigada olá ninguém nunca ainda hoje ontem pedido chegou
    ele ela eles elas você vocês isso isto esse essa está estão foi era
    """
    # Italian
    """
    il lo gli non della delle degli nel nella sono è era molto mio mia miei
    tuo tua ciao grazie nessuno mai ancora oggi ieri ordine perché che chi
    """
    # Dutch
    """
    het een en niet geen met van voor op ook nog al erg ik jij hij zij wij mijn
    jouw onze hallo bedankt niemand nooit vandaag gisteren bestelling maar omdat
    """
)

# Words both sides use count for neither ("me", "no", "a", "is", "son", ...).
_SHARED = _ENGLISH & _FOREIGN | frozenset({"a", "no", "me", "in", "an", "is", "son", "fin"})
_ENGLISH_ONLY = _ENGLISH - _SHARED
_FOREIGN_ONLY = _FOREIGN - _SHARED

_STRIP = re.compile(r"https?://\S+|www\.\S+|[@#][\w.@-]+")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_LETTER = re.compile(r"[^\W\d_]")
# Letters of the Latin script: ASCII, Latin-1, Latin Extended-A/B and Additional.
_NON_LATIN_LETTER = re.compile(r"[^\W\d_A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
_ACCENTED = re.compile(r"[\u00c0-\u024f]")

_lock = threading.Lock()
_analyzer: SentimentIntensityAnalyzer | None = None


def score(text: str) -> Sentiment:
    """Score one message.

    Args:
        text: The message as received.

    Returns:
        VADER's compound score and its label, or `UNKNOWN` (compound None,
        label "unknown") when the text is not English or is empty.
    """
    if not text or not text.strip() or not is_english(text):
        return UNKNOWN
    compound = float(_get_analyzer().polarity_scores(text)["compound"])
    return Sentiment(compound=compound, label=label_for(compound))


def label_for(compound: float) -> Label:
    """Return the label VADER's authors recommend for a compound score."""
    return mood_of(compound)


def is_english(text: str) -> bool:
    """Guess whether VADER can judge ``text`` (see the module docstring).

    Args:
        text: Any message.

    Returns:
        True for English text and for text with no letters (emoji only);
        False for other languages and for Latin-script text with no English
        signal at all.
    """
    body = _STRIP.sub(" ", text)
    letters = len(_LETTER.findall(body))
    if letters == 0:
        return True
    if len(_NON_LATIN_LETTER.findall(body)) * 2 > letters:
        return False
    lexicon = _get_analyzer().lexicon
    english = 0.0
    foreign = 0.0
    for word in _WORD.findall(body.lower()):
        word = word.replace("’", "'")
        if word in _ENGLISH_ONLY:
            english += 1.0
        elif word in _FOREIGN_ONLY:
            foreign += 1.0
        elif word in _SHARED:
            continue
        elif word in lexicon:
            english += 0.5
        elif _ACCENTED.search(word):
            foreign += 0.5
    return english > 0 and english > foreign


def _get_analyzer() -> SentimentIntensityAnalyzer:
    """Build VADER's analyzer once (it reads two lexicon files) and reuse it."""
    global _analyzer
    if _analyzer is None:
        with _lock:
            if _analyzer is None:
                from vaderSentiment.vaderSentiment import (
                    SentimentIntensityAnalyzer,
                )

                _analyzer = SentimentIntensityAnalyzer()
                log.debug("VADER lexicon loaded: %d words", len(_analyzer.lexicon))
    return _analyzer

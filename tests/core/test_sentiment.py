"""Tests for console.core.sentiment: one mood detector for every language."""

from __future__ import annotations

from typing import Any

import pytest

from console.core import sentiment
from console.core.sentiment import Sentiment


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Thanks!", "positive"),
        ("still broken", "negative"),
        ("Broken again.", "negative"),
        ("Love it", "positive"),
        ("Worst customer service ever", "negative"),
        ("This is the worst kettle I have ever bought.", "negative"),
        ("My kettle is broken and nobody answers. Terrible service!", "negative"),
        ("Thank you so much, it works now!", "positive"),
        ("The kettle arrived today.", "neutral"),
        ("Great service, thank you @KettleCrumb https://example.com/x", "positive"),
        ("WTF", "negative"),
        ("I love the new kettle, merci!", "positive"),
    ],
)
def test_english_is_judged(text: str, label: str) -> None:
    result = sentiment.score(text)
    assert (result.label, result.language) == (label, "en")
    assert result.compound is not None


@pytest.mark.parametrize(
    ("text", "language", "label"),
    [
        ("Meine Bestellung ist kaputt angekommen und niemand antwortet. Sehr enttäuschend!",
         "de", "negative"),
        ("Das ist nicht gut", "de", "negative"),
        ("Danke, alles super!", "de", "positive"),
        ("Mi pedido llegó roto y nadie me responde. Estoy muy decepcionada.", "es", "negative"),
        ("Gracias, todo perfecto", "es", "positive"),
        ("Ma bouilloire est arrivée cassée, je suis très déçue.", "fr", "negative"),
        ("Merci beaucoup, c'est parfait !", "fr", "positive"),
        ("Minha chaleira chegou quebrada e ninguém responde. Muito decepcionante.",
         "pt", "negative"),
        ("Il mio bollitore è arrivato rotto e nessuno risponde.", "it", "negative"),
        ("Grazie mille, il bollitore è bellissimo", "it", "positive"),
        ("Mijn waterkoker is kapot aangekomen en niemand reageert.", "nl", "negative"),
        ("Bedankt, alles is goed aangekomen", "nl", "positive"),
    ],
)
def test_seven_languages_are_judged(text: str, language: str, label: str) -> None:
    result = sentiment.score(text)
    assert (result.language, result.label) == (language, label)


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("brilliant, the second one broke too, cheers 🙃", "sarcasm"),
        ("Great, lovely, it arrived smashed. Well done.", "sarcasm"),
        ("is anyone actually reading these?", "complaint"),
        ("How many times do I have to ask", "complaint"),
        ("😡😡", "angry-emoji"),
        ("WHERE IS MY ORDER", "capitals"),
        ("zum dritten Mal: wo ist mein Paket", "complaint"),
        ("¿Hay alguien leyendo esto?", "complaint"),
    ],
)
def test_anger_without_sentiment_words(text: str, cue: str) -> None:
    result = sentiment.score(text)
    assert cue in result.cues
    assert result.compound is not None and result.compound <= -0.3


@pytest.mark.parametrize(
    "text",
    [
        # Ironic praise or thanks about a failure, in each language.
        "Na toll. Die Pfanne ist nach drei Tagen schon im Eimer.",
        "Merci pour rien, le couvercle ne ferme plus.",
        "Fantástico, de nuevo la caja incompleta. Gracias por nada.",
        "Que maravilha, a tampa já não fecha.",
        "Complimenti davvero, la teglia è arrivata graffiata.",
        "Goed bezig hoor, de ketel lekt alweer.",
        # Complaint questions and fed-up idioms.
        "Antwortet hier irgendjemand auch mal auf Nachrichten?",
        "Vous répondez un jour aux messages ?",
        "Estoy hasta el gorro de esperar.",
        "Já chega, é a quarta mensagem.",
        "Ne ho abbastanza, è il terzo sollecito.",
        "Ik ben het beu, dit is de vierde mail.",
    ],
)
def test_upset_phrasings_in_each_language(text: str) -> None:
    result = sentiment.score(text)
    assert result.compound is not None and result.compound <= -0.3, result


@pytest.mark.parametrize(
    "text",
    [
        "no rush, but the lid was a bit scratched. the pot itself is fine",
        "I ordered the wrong size, can I swap it?",
        "Kein Stress, der Karton war ein bisschen eingedrückt.",
        "Pas grave, la boîte était un peu abîmée.",
        "Si pido hoy, ¿llega con retraso?",
        "Als ik vandaag bestel, komt het dan te laat?",
    ],
)
def test_a_note_is_not_a_complaint(text: str) -> None:
    result = sentiment.score(text)
    assert result.compound is None or result.compound > -0.3, result


def test_a_negation_stops_at_the_end_of_its_sentence() -> None:
    # Italian "mai" after the verb must not flip "pessimo" in the next sentence.
    assert sentiment.score("La consegna non arriva mai. Pessimo servizio.").label == "negative"


def test_thanks_for_a_fix_is_not_sarcasm() -> None:
    result = sentiment.score("Thanks for sorting it, the replacement arrived and works perfectly")
    assert result.label == "positive" and "sarcasm" not in result.cues


@pytest.mark.parametrize(
    "text",
    ["注文したケトルが壊れて届きました。とても残念です。", "Кружка пришла разбитой", "asdf qwerty",
     "", "   ", "@someone https://example.com/x"],
)
def test_unreadable_mood_is_unknown_not_calm(text: str) -> None:
    result = sentiment.score(text)
    assert (result.compound, result.label) == (None, "unknown")


def test_cues_read_any_language() -> None:
    # No lexicon for Russian, but the angry emoji and "!!!" still count.
    assert sentiment.score("Кружка пришла разбитой!!! 😡").label == "negative"


def test_emoji_only() -> None:
    assert sentiment.score("\U0001f60d").label == "positive"  # 😍
    assert sentiment.score("\U0001f621").label == "negative"  # 😡
    assert sentiment.score("\U0001f621").language == "zxx"


@pytest.mark.parametrize(
    ("compound", "label"),
    [(0.05, "positive"), (0.0499, "neutral"), (0.0, "neutral"), (-0.0499, "neutral"),
     (-0.05, "negative")],
)
def test_label_thresholds(compound: float, label: str) -> None:
    assert sentiment.label_for(compound) == label
    assert sentiment.label_of(compound) == label


def test_label_of_none_is_unknown() -> None:
    assert sentiment.label_of(None) == "unknown"


def test_is_english() -> None:
    assert sentiment.is_english("still broken")
    assert sentiment.is_english("\U0001f621\U0001f621")  # no letters: emoji only
    assert not sentiment.is_english("Das ist nicht gut")
    assert not sentiment.is_english("注文したケトルが壊れて届きました")


def test_result_shape() -> None:
    assert sentiment.UNKNOWN == Sentiment(compound=None, label="unknown")


def test_models_are_loaded_once() -> None:
    first = sentiment._get_analyzer()
    sentiment.score("fine")
    assert sentiment._get_analyzer() is first
    ident = sentiment._get_identifier()
    sentiment.score("Une phrase assez longue pour demander au modèle, vraiment")
    assert sentiment._get_identifier() is ident


def _corpus_texts() -> list[str]:
    import tomllib
    from pathlib import Path

    from console.core import demo

    texts = [e["text"] for t in demo.load_data()["threads"] for e in t["events"]
             if e["type"] == "message"]
    for part in sorted((Path(__file__).parents[1] / "voice_corpus").glob("*.toml")):
        for thread in tomllib.loads(part.read_text(encoding="utf-8"))["thread"]:
            texts.append(thread["message"])
            texts += [d["text"] for d in thread["draft"]]
    return texts


def _generated_texts(n: int) -> list[str]:
    """Texts dense in what VADER's rules react to: negations, boosters, idioms,
    "no", "but", "kind of", "least", capitals, emoji next to words, ! and ?."""
    import random

    from vaderSentiment import vaderSentiment as v

    rng = random.Random(7)
    lexicon = sorted(sentiment._get_analyzer().lexicon)
    pool = (lexicon[::40] + sorted(v.NEGATE)[:40] + sorted(v.BOOSTER_DICT)[:60]
            + sorted(v.SPECIAL_CASES) + ["but", "no", "or", "nor", "kind", "of", "least", "at",
                                         "very", "never", "so", "this", "without", "doubt",
                                         "GOOD", "BAD", "Great!!", "awful?", "I", ":)", "😀", "🙃😡"])
    texts = []
    for _ in range(n):
        words = [rng.choice(pool) for _ in range(rng.randint(1, 25))]
        words = [w.upper() if rng.random() < 0.1 else w for w in words]
        glue = rng.choice([" ", " ", "  ", ", "])
        texts.append(glue.join(words) + rng.choice(["", "!", "!!", "??", "????", "?", " :)", "😍"]))
    return texts


def test_vader_compound_is_vaders() -> None:
    # The fast path must give polarity_scores' compound exactly, text for text.
    analyzer = sentiment._get_analyzer()
    for text in _corpus_texts() + _generated_texts(4000):
        assert sentiment._vader_compound(text) == analyzer.polarity_scores(text)["compound"], text


def test_cue_gates_never_skip_a_match() -> None:
    # A gate or index may skip a pattern only when it cannot match.
    texts = [sentiment._strip(t).lower() for t in _corpus_texts()]
    texts += ["the wrong colour again", "it has not arrived", "still waiting for weeks",
              "three weeks for a refund", "so. explain.", "it was lek", "wet box", "2nd time!"]
    for cues in (sentiment._PROBLEMS, sentiment._ANGRY, sentiment._RESOLVED):
        for low in texts:
            grams = frozenset(sentiment._WORD_GRAM.findall(low))
            assert cues.search(low, grams) == any(p.search(low) for p in cues._patterns), low


def test_score_many_is_score_for_each() -> None:
    texts = ["Thanks!", "still broken", "Thanks!", "Das ist nicht gut", "😡"]
    assert sentiment.score_many(texts) == [sentiment.score(t) for t in texts]


def test_plain_english_skips_the_model_without_changing_the_language() -> None:
    calls: list[str] = []
    real = sentiment._get_identifier()

    class Spy:
        def classify(self, text: str) -> Any:
            calls.append(text)
            return real.classify(text)

    sentiment._identifier = Spy()
    try:
        assert sentiment.detect_language("Same basket, same delivery address. Thanks Tom.") == "en"
        assert sentiment.detect_language("ok. cheers Sam.") == "en"
        assert calls == []
        assert sentiment.detect_language("Bollitore perfetto, arrivato ieri") == "it"
    finally:
        sentiment._identifier = real


def test_ingest_scores_a_batch_in_one_call(store: Any) -> None:
    from tests.conftest import msg

    texts = ["My kettle arrived broken!!", "Danke, alles super!", "Mijn pakket is te laat.",
             "My kettle arrived broken!!"]
    calls: list[list[str]] = []

    class Counting(sentiment.IngestScorer):
        def many(self, batch: Any) -> list[float | None]:
            calls.append(list(batch))
            return super().many(batch)

    result = store.ingest([msg(author=f"@c{i}@x.social", text=t) for i, t in enumerate(texts)],
                          scorer=Counting())
    assert len(calls) == 1 and sorted(calls[0]) == sorted(texts)
    stored = {m.text: m.sentiment for cid in result.case_ids
              for m in store.case_detail(cid).messages}
    assert stored == {t: sentiment.score(t).compound for t in texts}
    # A plain callable (no .many) is still called per message, with the same scores.
    plain = store.ingest([msg(author="@d@x.social", text=texts[1])],
                         scorer=lambda t: sentiment.score(t).compound)
    (case_id,) = plain.case_ids
    assert store.case_detail(case_id).messages[-1].sentiment == stored[texts[1]]

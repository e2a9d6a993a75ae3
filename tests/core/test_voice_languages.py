"""The judgement checks on messages in the six other languages: issues by meaning, deflection by its parts."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.core import voice
from console.core.voice import CheckContext, Finding, Profile
from console.core.voice.aspects import asked
from console.core.voice.issues import concepts, extract_issues, issue_answered

RESOURCES = Path(__file__).parents[2] / "resources"


@pytest.fixture(scope="module")
def profiles() -> dict[str, Profile]:
    return voice.load_profiles(RESOURCES / "voice")


def kinds(text: str, profile: Profile, **context: object) -> set[str]:
    context.setdefault("agent_initials", "PK")
    found: list[Finding] = voice.check(text, profile, context=CheckContext(**context))  # type: ignore[arg-type]
    return {f.kind for f in found if f.severity in ("error", "warning")}


def test_inflections_meet_on_one_stem() -> None:
    # "bestellt" / "Bestellung", "livrons" / "livraison", accents or not
    assert concepts("bestellt") == concepts("Bestellungen")
    assert concepts("envío") == concepts("envio")
    assert concepts("rimborsato") & concepts("rimborso")


def test_problem_words_of_other_languages_make_an_issue() -> None:
    assert extract_issues("Meine Erstattung ist seit drei Wochen überfällig. Langsam reicht es.")
    assert extract_issues("La teiera è arrivata scheggiata. Sono molto deluso.")
    # a whole clause of complaint still names the parcel it is about
    assert extract_issues("¿De verdad hace falta llamar cinco veces para que alguien me diga "
                          "dónde está mi paquete?")


def test_negations_are_whole_words() -> None:
    # "ne", "mai", "pas" as word starts would make "new", "mail", "past" a problem
    assert extract_issues("LOVE the new enamel mugs!!! do you do them in yellow?") == (
        "Do you do them in yellow?",)


def test_spanish_en_does_not_split_a_question() -> None:
    issues = extract_issues("Buenas tardes, ¿tienen tienda física en Barcelona o solo venden online?")
    assert len(issues) == 1 and "tienda" in issues[0]


def test_a_verb_first_question_asks_yes_or_no() -> None:
    assert asked("Buonasera, avete ancora il servizio da tè blu?") == "yesno"
    assert asked("Verzenden jullie ook naar België?") == "yesno"
    assert asked("Où est mon colis ?") != "yesno"


def test_an_opening_yes_does_not_answer_a_second_question(profiles: dict[str, Profile]) -> None:
    message = "Do you ship to Norway? And is there a customs charge?"
    draft = "Good morning. Yes, we ship to Norway in four to six working days.\n— PK"
    assert "unaddressed-issue" in kinds(draft, profiles["prestige"], reply_to=message)
    both = "Good morning. Yes, we ship to Norway; import VAT of 25 % is charged on delivery.\n— PK"
    assert "unaddressed-issue" not in kinds(both, profiles["prestige"], reply_to=message)


def test_a_problem_told_for_information_asks_nothing() -> None:
    assert extract_issues("Olá! O bule chegou um pouco riscado na base, mas nada de grave.") == ()


def test_a_replacement_answers_a_terse_checklist_item() -> None:
    assert issue_answered("Kettle whistle broken", "A new whistle is in the post today.")


@pytest.mark.parametrize(("message", "draft"), [
    ("La teiera è arrivata scheggiata.", "Mi dispiace. La preghiamo di contattare il nostro servizio clienti. ^PK"),
    ("Meine Erstattung ist überfällig.", "Es tut mir leid. Bitte kontaktieren Sie unsere Buchhaltung telefonisch. ^PK"),
    ("Hoe vaak moet ik nog mailen?", "Sorry! U kunt het beste een klacht indienen via het formulier. ^PK"),
    ("¿Tienen tienda física en Barcelona?", "Buenas tardes. Escríbanos por mensaje privado. ^PK"),
])
def test_deflection_in_other_words(profiles: dict[str, Profile], message: str, draft: str) -> None:
    assert "deflection" in kinds(draft, profiles["playful"], reply_to=message)


def test_taking_it_on_is_not_a_deflection(profiles: dict[str, Profile]) -> None:
    draft = "Es tut mir leid. Ich kümmere mich heute selbst darum und melde mich bei Ihnen. ^PK"
    assert "deflection" not in kinds(draft, profiles["playful"], reply_to="Meine Erstattung ist überfällig.")


@pytest.mark.parametrize(("message", "draft", "fires"), [
    ("Estou farto de esperar pelo reembolso.", "Bom dia. Os reembolsos demoram até 14 dias.\n— PK", True),
    ("Estou farto de esperar pelo reembolso.", "Bom dia. O seu reembolso sai hoje.\n— PK", False),
    ("Me cobrasteis el pedido dos veces.", "Lo siento. Ya he anulado el segundo cargo.\n— PK", False),
])
def test_a_general_rule_does_not_answer_a_reported_problem(
    profiles: dict[str, Profile], message: str, draft: str, fires: bool
) -> None:
    assert ("unaddressed-issue" in kinds(draft, profiles["prestige"], reply_to=message)) is fires


# --- yes/no questions answered by a statement, mood fragments, synonyms, FAQ pointers ---


def test_a_yes_no_question_is_answered_by_a_statement_about_what_it_asks() -> None:
    # Dutch and German: the property asked ("in de oven", compounds included)
    assert issue_answered("Mag de ovenschaal in de vaatwasser?", "Hoi! De vaatwasser kan hij prima aan.",
                          typed=False)
    assert issue_answered("Ist der Becher mikrowellengeeignet?", "Hallo! Ab in die Mikrowelle damit.", typed=False)
    # a statement about the product alone answers nothing
    assert not issue_answered("Mag de ovenschaal in de vaatwasser?", "Hoi! De ovenschaal is van steengoed.",
                              typed=False)
    # Portuguese echoes the verb for a yes
    assert issue_answered("A tampa pode ir ao forno?", "Pode, até 200 graus.", typed=False)
    # English questions end on their object: sharing it is not an answer
    assert not issue_answered("does the small lid fit the 20cm pot?", "Our 20cm pot is a bestseller!",
                              typed=False)


def test_synonyms_of_parts_and_shipping_meet() -> None:
    assert issue_answered("Il colino è compreso?", "L'infusore in acciaio è nella scatola.", typed=False)
    assert concepts("Der Griff ist locker") & concepts("ein neuer Stiel")
    assert concepts("frais de port") & concepts("livraison gratuite")
    assert concepts("Versandkosten") & concepts("Lieferung")


def test_a_mood_fragment_is_not_an_issue() -> None:
    assert extract_issues("Echt niet oké. Mijn retour is na drie weken nog niet terugbetaald.") == (
        "Mijn retour is na drie weken nog niet terugbetaald",)
    assert extract_issues("Non va bene.") == ()
    assert extract_issues("Wat nu? De deksel is gebarsten.") == ("De deksel is gebarsten",)
    assert extract_issues("Il coperchio è rotto. Ma dai.") == ("Il coperchio è rotto",)
    assert extract_issues("Pas normal. Le couvercle est fissuré.") == ("Le couvercle est fissuré",)
    # a short clause that names a concrete failure stays an issue
    assert extract_issues("Deckel fehlt.") == ("Deckel fehlt",)


def test_a_mood_fragment_still_reads_as_upset() -> None:
    from console.core import sentiment

    for text in ("Non ci siamo.", "Pas terrible, franchement.", "Que desilusão.", "Niet normaal.",
                 "No es normal."):
        assert (sentiment.score(text).compound or 0) <= -0.4, text


@pytest.mark.parametrize("text", [
    "Coucou ! La réponse est dans notre FAQ. ^PK",
    "Hallo! Alles dazu steht auf unserer Webseite. ^PK",
    "Buenos días. Lo tiene todo en nuestra web.\n— PK",
    "Hi! Everything is in our help centre. ^PK",
])
def test_pointing_to_the_faq_or_website_is_a_deflection(text: str, profiles: dict[str, Profile]) -> None:
    assert "deflection" in kinds(text, profiles["playful"], platform="x", reply_to="Do you ship to Norway?")


@pytest.mark.parametrize("text", [
    "Hi! Yes, it is dishwasher safe; the care guide is at https://kettleandcrumb.com/care ^PK",
    "Hi! Sorry, I've passed it to our web team and they'll fix the page today. ^PK",
    "¡Hola! La tapa de 26 cuesta 15 € en la web. ^PK",
])
def test_a_link_with_the_answer_is_not_a_deflection(text: str, profiles: dict[str, Profile]) -> None:
    assert "deflection" not in kinds(text, profiles["playful"], platform="x", reply_to="Is it dishwasher safe?")

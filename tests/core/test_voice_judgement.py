"""Tests for the judgement layer of console.core.voice, one class of case per test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from console.core import replying, voice
from console.core.store import Store
from console.core.voice import CheckContext, Finding, Profile
from tests.conftest import msg

RESOURCES = Path(__file__).parents[2] / "resources"


@pytest.fixture(scope="module")
def profiles() -> dict[str, Profile]:
    return voice.load_profiles(RESOURCES / "voice")


def run(text: str, profile: Profile, kind: str | None = None, **context: object) -> list[Finding]:
    context.setdefault("agent_initials", "PK")
    findings = voice.check(text, profile, context=CheckContext(**context))  # type: ignore[arg-type]
    return [f for f in findings if kind is None or f.kind == kind]


# --- severity policy ---------------------------------------------------------------


def test_judgement_never_errors_even_if_a_profile_says_so() -> None:
    profile = voice.loads_profile(
        "[empathy]\nseverity = 'error'\n[deflection]\nseverity = 'error'\n", name="strict"
    )
    found = run("Please contact our support team.", profile, reply_to="This is terrible!!")
    assert {f.kind for f in found} >= {"empathy", "deflection"}
    assert all(f.severity != "error" for f in found)


def test_errors_remain_for_what_cannot_go_out(profiles: dict[str, Profile]) -> None:
    text = "Hi [name?], call me on 07700 900123. " + "x" * 300
    found = [f for f in run(text, profiles["playful"], platform="x") if f.severity == "error"]
    assert {f.kind for f in found} == {"missing-variable", "private-data", "length"}


def test_errors_are_only_error_kinds() -> None:
    assert voice.ERROR_KINDS == {"length", "missing-variable", "private-data"}


# --- mood -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "brilliant, the second one broke too, cheers 🙃",
        "Meine Bestellung ist kaputt angekommen und niemand antwortet.",
        "Ma commande est arrivée cassée, c'est inadmissible",
        "😡😡😡",
        "WHERE IS MY REFUND",
        "is anyone actually reading these?",
    ],
)
def test_upset_in_any_form_needs_acknowledging(profiles: dict[str, Profile], message: str) -> None:
    found = run("Your replacement ships today. ^PK", profiles["playful"], "empathy",
                reply_to=message)
    assert [f.rule for f in found] == ["empathy.acknowledge"]


def test_unreadable_mood_asks_to_read_the_message(profiles: dict[str, Profile]) -> None:
    found = run("Thank you, noted. ^PK", profiles["playful"], "empathy",
                reply_to="Кружка пришла разбитой")
    assert [(f.rule, f.severity) for f in found] == [("empathy.unknown_mood", "suggestion")]


@pytest.mark.parametrize(
    "ack",
    ["Ugh, what a pain, I'm with you.", "I'd be annoyed too.", "I can only imagine.",
     "Es tut uns leid!", "Lo siento mucho."],
)
def test_natural_empathy_counts(profiles: dict[str, Profile], ack: str) -> None:
    text = f"{ack} A new one ships today. ^PK"
    assert run(text, profiles["playful"], "empathy", reply_to="Broken AGAIN. Third time!!") == []


# --- private data ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["Please reply with your order number and email address.",
     "Can you post your full address below?",
     "Drop your phone number here and we'll call."],
)
def test_asking_for_private_data_in_public(profiles: dict[str, Profile], text: str) -> None:
    found = run(text + " ^PK", profiles["playful"], "private-data")
    assert [(f.rule, f.severity) for f in found] == [("private_data.request", "warning")]
    assert run(text + " by DM ^PK", profiles["playful"], "private-data") == []
    assert run(text + " ^PK", profiles["playful"], "private-data", public=False) == []


def test_brand_phone_and_address_are_allowed(profiles: dict[str, Profile]) -> None:
    text = "Ring us free on 0800 123 4567 or visit 12 Mill Street. ^PK"
    assert len(run(text, profiles["playful"], "private-data")) == 2
    assert run(text, profiles["playful"], "private-data", brand_phones=["+44 800 123 4567"],
               brand_addresses=["12 Mill Street, Leeds LS1 4AB"]) == []


# --- deflection --------------------------------------------------------------------------


def test_dm_without_reason_for_a_public_question(profiles: dict[str, Profile]) -> None:
    found = run("Please DM us! ^PK", profiles["playful"], "deflection",
                reply_to="Do you ship to Canada?")
    assert [f.rule for f in found] == ["deflection.dm_without_reason"]


def test_dm_with_reason_or_about_their_order_is_fine(profiles: dict[str, Profile]) -> None:
    playful = profiles["playful"]
    assert run("Please DM us your order number so I can check. ^PK", playful, "deflection",
               reply_to="Do you ship to Canada?") == []
    assert run("Please DM us! ^PK", playful, "deflection",
               reply_to="My parcel never arrived") == []


@pytest.mark.parametrize(
    "text",
    ["Please message us on Facebook.", "Our Instagram team can help.",
     "Best to reach out to us via WhatsApp."],
)
def test_pointing_to_another_platform(profiles: dict[str, Profile], text: str) -> None:
    found = run(text + " I'll flag it. ^PK", profiles["playful"], "deflection")
    assert [f.rule for f in found] == ["deflection.platform"]


def test_the_same_platform_is_not_another(profiles: dict[str, Profile]) -> None:
    assert run("Follow us on Mastodon for news. ^PK", profiles["playful"], "deflection",
               platform="mastodon") == []


# --- quoted text, allowlists, other senses -------------------------------------------------


def test_quoted_customer_words_are_not_the_brands(profiles: dict[str, Profile]) -> None:
    text = 'You wrote “WORST KETTLE EVER lol 😂” and I am truly sorry.\n— PK'
    found = run(text, profiles["prestige"])
    assert [f for f in found if f.kind in ("shouting", "slang", "emoji")] == []


def test_courier_and_brand_names_in_capitals(profiles: dict[str, Profile]) -> None:
    text = "Your parcel is with EVRI and arrives with KETTLECO today.\n— PK"
    found = run(text, profiles["prestige"], "shouting")
    assert [f.start for f in found] == [text.index("KETTLECO")]
    assert run(text, profiles["prestige"], "shouting", brand_names=["KettleCo"]) == []


def test_banned_word_in_another_sense(profiles: dict[str, Profile]) -> None:
    assert run("We will deal with it today.\n— PK", profiles["prestige"], "term") == []
    assert len(run("A great deal today.\n— PK", profiles["prestige"], "term")) == 1


# --- issues ---------------------------------------------------------------------------------


def test_issues_come_from_the_message() -> None:
    issues = voice.extract_issues(
        "Hi! The lid arrived cracked and the colour is wrong. Also, nobody answered my email "
        "for a week. Is anyone reading these?"
    )
    assert issues == ("The lid arrived cracked", "The colour is wrong",
                      "Nobody answered my email for a week")


def test_a_second_issue_ignored(profiles: dict[str, Profile]) -> None:
    message = "My kettle arrived with a cracked lid. And I was charged twice!"
    draft = "So sorry about the cracked lid, a replacement lid is on its way. ^PK"
    found = run(draft, profiles["playful"], "unaddressed-issue", reply_to=message)
    assert [f.message for f in found] == [
        "The customer wrote “I was charged twice!”: the reply does not answer it."]
    both = draft[:-4] + " I've refunded the double charge too. ^PK"
    assert run(both, profiles["playful"], "unaddressed-issue", reply_to=message) == []


def test_one_shared_keyword_is_not_an_answer() -> None:
    assert not voice.issue_answered("No answer to my email for a week", "I've emailed you a label")
    assert voice.issue_answered("No answer to my email for a week",
                                "I'm sorry nobody replied to your email")
    assert voice.issue_answered("Cracked kettle lid", "A replacement lid ships today")
    assert not voice.issue_answered("Cracked kettle lid", "Your kettle ships today")
    assert voice.issue_answered("Mi pedido llegó roto", "Te enviamos un reemplazo del pedido roto")


@pytest.mark.parametrize(
    ("question", "answer", "off_topic"),
    [
        # "when" is answered by a day, a date, a time or tracking, in any language
        ("When will my order arrive?", "It's due on Thursday, tracked with Evri.",
         "Your order has been dispatched and is with Evri."),
        ("Wann kommt meine Bestellung an?", "Dein Paket kommt am Freitag an.",
         "Danke für deine Bestellung!"),
        ("¿Cuándo llega mi pedido?", "Tu pedido llega el martes.", "Enviamos a toda España."),
        ("Is the mixer back in stock yet?", "Not yet: it's due back on the 14th.",
         "Yeah it's gonna be back soon."),
        # a remedy request by a refund or replacement decided or done
        ("Can I get a refund for the tin?", "Yes: we refund you in full within five days.",
         "Our tins come in three sizes."),
        ("¿Me devolvéis el dinero?", "Te he devuelto el dinero hoy.", "La tetera verde es bonita."),
        # a yes/no question by a yes or a no about it
        ("Does the large lid fit the 24cm casserole?", "It does! It fits both casseroles.",
         "Our 24cm casserole is our bestseller."),
        ("Est-ce que la poêle va au lave-vaisselle ?", "Oui, elle va au lave-vaisselle.",
         "Notre poêle est fabriquée en France."),
        # how much / what temperature by a number
        ("What temperature?", "Up to 40°C.", "They are machine washable."),
    ],
)
def test_a_question_is_answered_by_its_kind_of_answer(question: str, answer: str,
                                                      off_topic: str) -> None:
    assert voice.issue_answered(question, answer, typed=False)
    assert not voice.issue_answered(question, off_topic, typed=False)


def test_a_question_nobody_answered_is_named_alone(profiles: dict[str, Profile]) -> None:
    # Nothing else in the message is answered and nothing bounces: the question still is open.
    message = "does the large lid fit the 24cm casserole?"
    found = run("Our 24cm casserole is our bestseller, people love it! ^PK", profiles["playful"],
                "unaddressed-issue", reply_to=message)
    assert len(found) == 1
    assert run("It does! The large lid fits the 24cm and 26cm casseroles. ^PK",
               profiles["playful"], "unaddressed-issue", reply_to=message) == []


def test_a_failure_met_with_nothing_is_named(profiles: dict[str, Profile]) -> None:
    message = "Ordered a blue teapot, got a pink one. Again."
    assert run("Sorry! Our teapots are made in Stoke. ^PK", profiles["playful"],
               "unaddressed-issue", reply_to=message)
    assert run("Sorry! A blue teapot leaves today, keep the pink one. ^PK", profiles["playful"],
               "unaddressed-issue", reply_to=message) == []


@pytest.mark.parametrize(
    "text",
    [
        "Hallo! Bitte wende dich an unseren Kundenservice. ^PK",
        "Bonjour ! Merci de contacter notre service client. ^PK",
        "¡Hola! Por favor, ponte en contacto con tu banco. ^PK",
        "Olá! Por favor, contacte o nosso apoio ao cliente. ^PK",
        "Ciao! Ti preghiamo di contattare il nostro servizio clienti. ^PK",
        "Hoi! Neem contact op met onze klantenservice. ^PK",
        "Ciao! Mandaci un messaggio privato. ^PK",
        "Hoi! Stuur ons even een privébericht. ^PK",
        "Hi! Check Instagram for the details. ^PK",
        "¡Hola! Escríbenos a nuestro Instagram. ^PK",
    ],
)
def test_bouncing_the_customer_in_any_language(profiles: dict[str, Profile], text: str) -> None:
    found = run(text, profiles["playful"], "deflection", reply_to="Do you ship to Belgium?")
    assert found, text


def test_a_dm_for_their_own_problem_or_with_a_reason_in_any_language(
        profiles: dict[str, Profile]) -> None:
    reason = ("Schicken Sie mir bitte Ihre Bestellnummer per Direktnachricht, damit ich die "
              "Erstattung heute prüfen kann.\n— PK")
    assert run(reason, profiles["prestige"], reply_to="Wo bleibt die Erstattung?") == []
    # A failure they report is their own case: going private is right.
    assert run("Mi dispiace! Scrivici in DM. ^PK", profiles["playful"], "deflection",
               reply_to="Ordine arrivato con un pezzo mancante. Di nuovo.") == []


# --- warnings on good replies, by class -----------------------------------------------


def test_not_being_answered_is_met_by_owning_it(profiles: dict[str, Profile]) -> None:
    message = "Third email and no answer. Where is the parcel?"
    owned = "I am sorry you have had to write three times. Your parcel arrives tomorrow.\n— PK"
    assert run(owned, profiles["prestige"], "unaddressed-issue", reply_to=message) == []
    # An apology that sends them back to the channel that did not answer does not own it.
    bounced = "I am sorry. Please email our support team; your parcel arrives tomorrow.\n— PK"
    assert run(bounced, profiles["prestige"], "unaddressed-issue", reply_to=message)


@pytest.mark.parametrize(
    ("message", "reply"),
    [
        ("Do you engrave knives?", "Good afternoon. We do: 20 characters for £10.\n— PK"),
        ("Is there a shop I can visit in Leeds?",
         "Good afternoon. There is: 12 Mill Street, open Monday to Saturday.\n— PK"),
        ("my kettle is making a burning smell. is it safe??",
         "I am sorry. Please unplug the kettle and do not use it; a new one leaves today.\n— PK"),
        ("do you even check what goes in the box?? missing half the set",
         "That's so frustrating, sorry! The missing half leaves today by tracked post. ^PK"),
    ],
)
def test_a_good_answer_is_not_flagged(profiles: dict[str, Profile], message: str,
                                      reply: str) -> None:
    profile = profiles["playful" if "^PK" in reply else "prestige"]
    assert run(reply, profile, "unaddressed-issue", reply_to=message) == []


def test_a_checklist_item_that_names_a_question(profiles: dict[str, Profile]) -> None:
    issues = ("Wants to know if the kettle limescale filter is replaceable",
              "Asks for the filter price")
    good = "It is! A new limescale filter is £4 and clicks straight in. ^PK"
    assert run(good, profiles["playful"], "unaddressed-issue", open_issues=issues) == []
    found = run("Our kettles are made in Stoke. ^PK", profiles["playful"], "unaddressed-issue",
                open_issues=issues)
    assert len(found) == 2


def test_bluesky_byte_limit_is_an_error(profiles: dict[str, Profile]) -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
    found = run(family * 200, profiles["playful"], "length", platform="bluesky")
    assert [(f.severity, f.start) for f in found] == [("error", 120 * len(family))]
    assert "bytes over Bluesky's limit of 3,000 bytes" in found[0].message


# --- wiring: settings, case context, command line -------------------------------------------


def test_brand_allowlists_come_from_the_workspace_settings(store: Store) -> None:
    assert replying.brand_allowlists(store.get_setting) == {
        "brand.domains": (), "brand.phones": (), "brand.names": (), "brand.addresses": ()}
    store.set_setting("brand.phones", ["0800 123 4567", " "])
    store.set_setting("brand.names", ["Evri"])
    lists = replying.brand_allowlists(store.get_setting)
    assert (lists["brand.phones"], lists["brand.names"]) == (("0800 123 4567",), ("Evri",))
    ctx = replying.check_context(detail=None, account=None, brand=lists, brand_domains=["x.com"])
    assert ctx.brand_phones == ("0800 123 4567",) and ctx.brand_domains == ("x.com",)
    # A settings dict (the composer's) works the same, and unknown names are empty.
    assert replying.brand_allowlists({"brand.names": ["DPD"]}.get)["brand.names"] == ("DPD",)

    def strict(name: str) -> object:
        raise KeyError(name)

    assert replying.brand_allowlists(strict)["brand.phones"] == ()


def test_voice_check_command_takes_the_allowlists() -> None:
    text = "Ring us free on 0800 123 4567, your parcel is with EVRI today.\n— PK"
    args = ["--profile", "prestige", "--initials", "PK", "--json"]
    flagged = _voice_check(text, *args)
    assert {f["kind"] for f in json.loads(flagged.stdout)} == {"private-data"}
    assert flagged.returncode == 1
    clean = _voice_check(text, *args, "--brand-phone", "0800 123 4567", "--brand-name", "Evri")
    assert (clean.returncode, json.loads(clean.stdout)) == (0, [])


def _voice_check(text: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console", "voice-check", *args], input=text,
                          capture_output=True, text=True, cwd=RESOURCES.parent, timeout=120,
                          check=False)


def test_case_context_takes_issues_from_the_message_until_the_checklist_has_some(
    store: Store,
) -> None:
    text = "My kettle arrived with a cracked lid. And I was charged twice!"
    (case_id,) = store.ingest([msg(text=text)]).case_ids
    detail = store.case_detail(case_id)
    assert replying.suggested_issues(detail) == [
        "My kettle arrived with a cracked lid", "I was charged twice!"]
    ctx = replying.check_context(detail=detail, account=None)
    assert (ctx.reply_to, ctx.open_issues, ctx.derive_issues) == (text, [], True)
    item = store.add_issue(case_id, "Cracked lid")
    store.set_issue_done(item[0])
    detail = store.case_detail(case_id)
    ctx = replying.check_context(detail=detail, account=None)
    # Someone has worked the checklist: the checker no longer guesses issues.
    assert (ctx.open_issues, ctx.derive_issues) == ([], False)
    assert replying.suggested_issues(detail) == ["My kettle arrived with a cracked lid",
                                                 "I was charged twice!"]


def test_prefill_remembers_what_the_checklist_has_had(store: Store) -> None:
    text = "My kettle arrived with a cracked lid. And I was charged twice!"
    (case_id,) = store.ingest([msg(text=text)]).case_ids
    suggested = ["My kettle arrived with a cracked lid", "I was charged twice!"]
    assert replying.prefill_issues(store.case_detail(case_id)) == suggested
    items = [store.add_issue(case_id, t)[0] for t in suggested]
    assert replying.prefill_issues(store.case_detail(case_id)) == []  # not empty
    for item in items:
        store.delete_issue(item)
    # Emptied by the person: what was deleted is not offered again.
    assert replying.prefill_issues(store.case_detail(case_id)) == []

"""Tests for console.core.voice: every rule kind, firing and not firing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from console.core import templates, voice
from console.core.errors import KnownError
from console.core.templates import MissingVariable
from console.core.voice import CheckContext, Finding, Fix, Profile, ProfileError

RESOURCES = Path(__file__).parents[2] / "resources"

UPSET = "My kettle is broken and nobody answers. Terrible service!"
HAPPY = "Thank you so much, it works now!"


@pytest.fixture(scope="module")
def profiles() -> dict[str, Profile]:
    return voice.load_profiles(RESOURCES / "voice")


@pytest.fixture(scope="module")
def prestige(profiles: dict[str, Profile]) -> Profile:
    return profiles["prestige"]


@pytest.fixture(scope="module")
def playful(profiles: dict[str, Profile]) -> Profile:
    return profiles["playful"]


@pytest.fixture(scope="module")
def bare() -> Profile:
    """A profile with every section left at its default."""
    return voice.parse_profile({}, name="bare")


def run(
    text: str, profile: Profile, kind: str | None = None, /, **context: object
) -> list[Finding]:
    """Check ``text`` (signed, in a DM-free public Mastodon reply by default)."""
    context.setdefault("agent_initials", "PK")
    findings = voice.check(text, profile, context=CheckContext(**context))  # type: ignore[arg-type]
    return [f for f in findings if kind is None or f.kind == kind]


def spans(text: str, findings: list[Finding]) -> list[str]:
    return [text[f.start : f.end] for f in findings]


# --- Profiles ---------------------------------------------------------------------


def test_shipped_profiles_load(profiles: dict[str, Profile]) -> None:
    assert set(profiles) == {"prestige", "playful"}
    assert profiles["prestige"].emoji.policy == "forbid"
    assert profiles["playful"].emoji.policy == "limit"
    assert profiles["prestige"].exclamation.policy == "forbid"
    assert profiles["prestige"].signoff.required


def test_kinds_are_the_cli_kinds() -> None:
    assert voice.KINDS == (
        "term", "emoji", "exclamation", "shouting", "slang", "sign-off", "reading-level",
        "empathy", "stock-answer", "unaddressed-issue", "deflection", "private-data",
        "link-domain", "length", "missing-variable",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("toml", "why"),
    [
        ("[emoji]\npolicy = 'sometimes'\n", "emoji.policy"),
        ("[emoji]\nmax = -1\n", "emoji.max"),
        ("[terms]\nseverity = 'fatal'\n", "terms"),
        ("[terms]\nbanned_severity = 'fatal'\n", "banned_severity"),
        ("[shouting]\nminletters = 4\n", "minletters"),
        ("[colour]\nfavourite = 'teal'\n", "colour"),
        ("[terms]\nbanned = 'cheap'\n", "terms.banned"),
        ("[deflection]\nphrases = ['re:(unclosed']\n", "invalid regular expression"),
        ("[private_data.patterns]\nbad = '(unclosed'\n", "private_data.patterns.bad"),
        ("[signoff]\nformat = 'no initials here'\n", "signoff.format"),
        ("[readability]\nmax_grade = 'eight'\n", "max_grade"),
        ("[empathy]\nnegative_threshold = 0.5\n", "negative_threshold"),
        ("not toml at all = = =\n", "not valid TOML"),
    ],
)
def test_invalid_profiles_are_refused_with_the_setting_named(toml: str, why: str) -> None:
    with pytest.raises(ProfileError, match=re.escape(why)) as info:
        voice.loads_profile(toml, name="broken")
    assert isinstance(info.value, KnownError)


def test_load_profile_errors(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="cannot read"):
        voice.load_profile(tmp_path / "missing.toml")
    (tmp_path / "a.toml").write_text("[profile]\nname = 'same'\n", encoding="utf-8")
    (tmp_path / "b.toml").write_text("[profile]\nname = 'same'\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="two voice profiles"):
        voice.load_profiles(tmp_path)


def test_profile_name_defaults_to_file_name(tmp_path: Path) -> None:
    path = tmp_path / "house-style.toml"
    path.write_text("[emoji]\npolicy = 'forbid'\n", encoding="utf-8")
    profile = voice.load_profile(path)
    assert profile.name == "house-style"
    assert profile.emoji.policy == "forbid"


# --- Phrase syntax --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "text", "matched"),
    [
        ("apolog*", "Our apologies.", "apologies"),
        ("apolog*", "We apologise", "apologise"),
        (
            "(please|) contact (our|the) support team",
            "Please contact the support team.",
            "Please contact the support team",
        ),
        (
            "(please|) contact (our|the) support team",
            "contact our  support\nteam",
            "contact our  support\nteam",
        ),
        ("(tweet|reach out to) @", "just reach out to @KCHelp now", "reach out to @KCHelp"),
        ("that's not ok*", "That’s not okay", "That’s not okay"),
        ("re:\\bKC\\d{3}\\b", "card KC123 here", "KC123"),
        (":)", "lovely :) thanks", ":)"),
    ],
)
def test_phrase_syntax_matches(phrase: str, text: str, matched: str) -> None:
    m = re.search(voice.phrase_regex(phrase), text, re.IGNORECASE)
    assert m is not None and m.group() == matched


@pytest.mark.parametrize(
    ("phrase", "text"),
    [
        ("deal", "ideal dealer"),  # whole words only
        ("lol", "lollipop"),
        ("(please|) contact (our|the) support team", "contact support team"),
        ("(tweet|reach out to) @", "tweet about it"),
    ],
)
def test_phrase_syntax_does_not_overmatch(phrase: str, text: str) -> None:
    assert re.search(voice.phrase_regex(phrase), text, re.IGNORECASE) is None


# --- term ---------------------------------------------------------------------------


def test_banned_term_fires_with_replacement(prestige: Profile) -> None:
    text = "This is a cheap kettle and a great deal.\n— PK"
    found = run(text, prestige, "term")
    assert spans(text, found) == ["cheap", "deal"]
    assert all(f.rule == "terms.banned" and f.severity == "warning" for f in found)
    assert found[0].fix == Fix("accessibly priced", 10, 15, "Replace with “accessibly priced”")
    assert found[0].fix.apply(text).startswith("This is a accessibly priced kettle")


def test_banned_term_keeps_capital_and_wildcard(prestige: Profile) -> None:
    text = "Cheaper kettles are here.\n— PK"
    (finding,) = run(text, prestige, "term")
    assert text[finding.start : finding.end] == "Cheaper"
    assert finding.fix is not None and finding.fix.replacement == "Accessibly priced"


def test_discouraged_term_is_a_warning_and_fix_removes_it(prestige: Profile) -> None:
    text = "It is basically done.\n— PK"
    (finding,) = run(text, prestige, "term")
    assert (finding.rule, finding.severity) == ("terms.discouraged", "suggestion")
    assert finding.fix is not None
    assert finding.fix.apply(text) == "It is done.\n— PK"


def test_terms_do_not_fire_inside_words_links_or_handles(prestige: Profile) -> None:
    text = (
        "An ideal kettle for the dealer. See https://kettleandcrumb.com/cheap-deals "
        "or ask @cheapdeals.\n— PK"
    )
    assert run(text, prestige, "term") == []


# --- emoji ------------------------------------------------------------------------------


FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
FLAG_JP = "\U0001f1ef\U0001f1f5"


def test_prestige_forbids_emoji_each_sequence_once(prestige: Profile) -> None:
    text = f"Welcome {FAMILY} to Japan {FLAG_JP} \U0001f60a\n— PK"
    found = run(text, prestige, "emoji")
    assert spans(text, found) == [FAMILY, FLAG_JP, "\U0001f60a"]
    assert {f.rule for f in found} == {"emoji.policy"}
    assert all(f.severity == "warning" for f in found)
    fixed = text
    for f in reversed(found):
        assert f.fix is not None
        fixed = f.fix.apply(fixed)
    assert fixed == "Welcome to Japan\n— PK"


def test_prestige_counts_text_emoticons(prestige: Profile) -> None:
    text = "Lovely :) and <3\n— PK"
    assert spans(text, run(text, prestige, "emoji")) == [":)", "<3"]


def test_emoji_not_fired_by_symbols_times_or_plain_text(prestige: Profile) -> None:
    text = "Kettle & Crumb™ © 2024, open 10:30 to 17:30 (see note 8).\n— PK"
    assert run(text, prestige, "emoji") == []


def test_playful_limits_emoji(playful: Profile) -> None:
    ok = "Yay \U0001f389\U0001f375\U0001f60a ^PK"
    assert run(ok, playful, "emoji") == []
    too_many = "Yay \U0001f389\U0001f375\U0001f60a\U0001f370 ^PK"
    (finding,) = run(too_many, playful, "emoji")
    assert (finding.rule, finding.severity) == ("emoji.max", "warning")
    assert too_many[finding.start : finding.end] == "\U0001f370"


def test_playful_no_flippant_emoji_to_an_upset_customer(playful: Profile) -> None:
    text = "Oh no, I'm so sorry \U0001f602 I'll fix it today. ^PK"
    found = run(text, playful, "emoji", reply_to=UPSET)
    assert [(f.rule, f.severity) for f in found] == [("emoji.not_when_upset", "warning")]
    assert run(text, playful, "emoji", reply_to=HAPPY) == []


def test_playful_one_emoji_at_most_to_an_upset_customer(playful: Profile) -> None:
    text = "Oh no, I'm so sorry \U0001f49b\U0001f49b I'll fix it today. ^PK"
    found = run(text, playful, "emoji", reply_to=UPSET)
    assert [f.rule for f in found] == ["emoji.max_when_upset"]
    assert found[0].start == text.index("\U0001f49b") + 1


# --- exclamation ---------------------------------------------------------------------------


def test_prestige_forbids_exclamation_with_fix(prestige: Profile) -> None:
    text = "Thank you! Really?!\n— PK"
    found = run(text, prestige, "exclamation")
    assert spans(text, found) == ["!", "?!"]
    assert [f.fix.replacement for f in found if f.fix] == [".", "?"]
    assert found[0].fix is not None and found[0].fix.apply(text) == "Thank you. Really?!\n— PK"


def test_exclamation_not_fired_without_marks_or_inside_links(prestige: Profile) -> None:
    text = "Thank you. See https://kettleandcrumb.com/#!/offers\n— PK"
    assert run(text, prestige, "exclamation") == []


def test_playful_allows_two_and_flags_the_third_and_repeats(playful: Profile) -> None:
    assert run("Yay! Enjoy! ^PK", playful, "exclamation") == []
    text = "Yay! Enjoy! Happy baking! ^PK"
    (third,) = run(text, playful, "exclamation")
    assert (third.rule, text[third.start : third.end]) == ("exclamation.max", "!")
    text = "Yay!!! ^PK"
    (repeat,) = run(text, playful, "exclamation")
    assert repeat.rule == "exclamation.repeated"
    assert repeat.fix is not None and repeat.fix.apply(text) == "Yay! ^PK"


# --- shouting -------------------------------------------------------------------------------


def test_shouting_fires_on_capitals_with_fix(prestige: Profile) -> None:
    text = "This is NOT acceptable. URGENT matters first.\n— PK"
    found = run(text, prestige, "shouting")
    assert spans(text, found) == ["NOT", "URGENT"]
    assert [f.fix.replacement for f in found if f.fix] == ["not", "Urgent"]


def test_shouting_ignores_acronyms_short_words_and_refs(prestige: Profile) -> None:
    text = "See the FAQ for UK and EU orders, case KC-20931. I will DM you.\n— PK"
    assert run(text, prestige, "shouting") == []


def test_playful_tolerates_short_caps(playful: Profile) -> None:
    assert run("This is NOT ok ^PK", playful, "shouting") == []
    assert run("This is AMAZING ^PK", playful, "shouting") == []  # one word now and then
    text = "This is AMAZING NEWS ^PK"  # a run of capitals (min_run = 2) is shouting
    assert spans(text, run(text, playful, "shouting")) == ["AMAZING"]


# --- slang ---------------------------------------------------------------------------------------


def test_prestige_flags_slang_with_replacements(prestige: Profile) -> None:
    text = "lol we are gonna fix it, thx\n— PK"
    found = run(text, prestige, "slang")
    assert spans(text, found) == ["lol", "gonna", "thx"]
    assert [f.fix.replacement for f in found if f.fix] == ["", "going to", "thank you"]
    assert all(f.severity == "warning" for f in found)


def test_slang_not_fired_on_longer_words_or_for_playful(
    prestige: Profile, playful: Profile
) -> None:
    assert run("A lollipop for Lola, thanks.\n— PK", prestige, "slang") == []
    assert run("lol we are gonna fix it ^PK", playful, "slang") == []
    assert spans("ugh wtf ^PK", run("ugh wtf ^PK", playful, "slang")) == ["wtf"]


# --- sign-off ---------------------------------------------------------------------------------


def test_missing_signoff_fires_with_fix(prestige: Profile) -> None:
    text = "Thank you for your message.  "
    (finding,) = run(text, prestige, "sign-off")
    assert (finding.start, finding.end) == (27, 27)
    assert finding.fix is not None
    assert finding.fix.apply(text) == "Thank you for your message.\n— PK"
    assert run(finding.fix.apply(text), prestige, "sign-off") == []


@pytest.mark.parametrize(
    "text",
    ["Thank you.\n— PK", "Thank you.\n- PK\n", "Thank you. — PK"],
)
def test_signoff_present(prestige: Profile, text: str) -> None:
    assert run(text, prestige, "sign-off") == []


def test_signoff_style_depends_on_profile(prestige: Profile, playful: Profile) -> None:
    text = "Thanks a lot ^PK"
    assert run(text, playful, "sign-off") == []
    assert len(run(text, prestige, "sign-off")) == 1
    (finding,) = run("Thanks a lot", playful, "sign-off")
    assert finding.fix is not None and finding.fix.apply("Thanks a lot") == "Thanks a lot ^PK"


def test_signoff_must_be_at_the_end_and_the_agents(prestige: Profile) -> None:
    assert len(run("— PK\nThank you.", prestige, "sign-off")) == 1
    assert len(run("Thank you.\n— AB", prestige, "sign-off")) == 1  # someone else's initials
    # Without known initials any initials will do, and there is no automatic fix.
    assert run("Thank you.\n— AB", prestige, "sign-off", agent_initials=None) == []
    (finding,) = run("Thank you.", prestige, "sign-off", agent_initials=None)
    assert finding.fix is None


def test_signoff_not_required_by_default(bare: Profile) -> None:
    assert run("Thanks", bare, "sign-off") == []


# --- reading-level ----------------------------------------------------------------------------


def test_reading_grade_formula() -> None:
    # 9 words, 2 sentences, 9 syllables: 0.39 * 4.5 + 11.8 * 1 - 15.59 = -2.035
    assert voice.reading_grade("The cat sat on the mat. The dog ran.") == (-2.0, 9)


COMPLEX = (
    "Notwithstanding the considerable organisational complexities associated with international "
    "distribution, we are endeavouring to expedite the comprehensive investigation of the "
    "unfortunate circumstances surrounding your unsatisfactory experience with our "
    "manufacturing and logistics partners.\n— PK"
)
SIMPLE = (
    "I am sorry the lid broke. I have sent a new one today. It will come by Friday. "
    "Tell me if it does not, and I will sort it out.\n— PK"
)


def test_reading_level_fires_on_complex_text(prestige: Profile) -> None:
    (finding,) = run(COMPLEX, prestige, "reading-level")
    assert (finding.rule, finding.severity) == ("readability.max_grade", "suggestion")
    assert (finding.start, finding.end) == (0, len(COMPLEX))
    grade, words = voice.reading_grade(COMPLEX)
    assert grade > 10 and words >= 20


def test_reading_level_quiet_on_simple_or_short_text(prestige: Profile, bare: Profile) -> None:
    assert run(SIMPLE, prestige, "reading-level") == []
    short = "Notwithstanding organisational complexities, we are endeavouring.\n— PK"
    assert run(short, prestige, "reading-level") == []  # under 20 words
    assert run(COMPLEX, bare, "reading-level") == []  # no ceiling set


# --- empathy -----------------------------------------------------------------------------------


def test_upset_customer_must_be_acknowledged(playful: Profile) -> None:
    text = "@sam@mastodon.social Your replacement ships today. ^PK"
    (finding,) = run(text, playful, "empathy", reply_to=UPSET)
    assert (finding.rule, finding.severity) == ("empathy.acknowledge", "warning")
    start = len("@sam@mastodon.social ")
    assert finding.start == start
    assert finding.fix is not None
    assert finding.fix.apply(text) == (
        "@sam@mastodon.social Oh no, I'm so sorry about this. Your replacement ships today. ^PK"
    )
    assert run(finding.fix.apply(text), playful, "empathy", reply_to=UPSET) == []


def test_acknowledgement_present_or_not_needed(playful: Profile, prestige: Profile) -> None:
    sorry = "I'm so sorry, that's not what you expected. Your replacement ships today. ^PK"
    assert run(sorry, playful, "empathy", reply_to=UPSET) == []
    plain = "Your replacement ships today. ^PK"
    assert run(plain, playful, "empathy", reply_to=HAPPY) == []
    assert run(plain, playful, "empathy") == []
    # Not English: sentiment unknown, so no demand either way.
    # Anger in another language is anger too.
    assert len(run(plain, playful, "empathy", reply_to="Mein Wasserkocher ist kaputt!")) == 1
    # A known score is used as given.
    assert len(run(plain, prestige, "empathy", reply_to_sentiment=-0.8)) == 1
    # The message itself wins over a stored score (read by the same detector).
    assert len(run(plain, prestige, "empathy", reply_to=UPSET, reply_to_sentiment=0.5)) == 1
    assert run(plain, prestige, "empathy", reply_to=HAPPY, reply_to_sentiment=-0.8) == []


def test_robotic_phrases_are_flagged(playful: Profile, prestige: Profile) -> None:
    text = "We apologize for any inconvenience caused. Please be advised the shop is open. ^PK"
    found = run(text, playful, "empathy")
    assert spans(text, found) == ["We apologize for any inconvenience caused", "Please be advised"]
    assert {(f.rule, f.severity) for f in found} == {("empathy.robotic", "warning")}
    assert (
        found[0].fix is not None and found[0].fix.replacement == "I'm really sorry for the hassle"
    )
    assert [f.severity for f in run(text + "\n— PK", prestige, "empathy")] == ["warning", "warning"]
    assert run("I'm sorry for the trouble. ^PK", playful, "empathy") == []


# --- stock-answer ------------------------------------------------------------------------------


TEMPLATE = (
    "Hi Alexandra, I'm so sorry your order arrived damaged. That's not how it should reach you. "
    "I'll get a replacement sent out, and I'll message you the details privately.\n— PK"
)


def test_unedited_template_is_a_stock_answer(prestige: Profile) -> None:
    text = "  " + TEMPLATE.replace(" ", "  ") + "\n"
    (finding,) = run(text, prestige, "stock-answer", template_body=TEMPLATE)
    assert (finding.rule, finding.severity, finding.start, finding.end) == (
        "stock_answer.min_similarity",
        "warning",
        0,
        len(text),
    )
    assert "word for word" in finding.message


def test_barely_edited_template_is_a_stock_answer(prestige: Profile) -> None:
    text = TEMPLATE.replace("Hi Alexandra", "Hello Alexandra")
    (finding,) = run(text, prestige, "stock-answer", template_body=TEMPLATE)
    assert "% the template" in finding.message


def test_edited_template_is_not_a_stock_answer(prestige: Profile) -> None:
    text = (
        "Hi Alexandra, I'm so sorry the lid of your new kettle cracked in transit. I've sent a "
        "new lid by tracked post today; it should be with you by Thursday.\n— PK"
    )
    assert run(text, prestige, "stock-answer", template_body=TEMPLATE) == []
    assert run(TEMPLATE, prestige, "stock-answer") == []  # no template known


# --- unaddressed-issue ---------------------------------------------------------------------------


def test_each_unaddressed_issue_is_one_finding(prestige: Profile) -> None:
    issues = ["Refund for the cracked lid", "Wrong colour delivered", "   "]
    text = "I'm sorry about the lid. Your refund is on its way.\n— PK"
    found = run(text, prestige, "unaddressed-issue", open_issues=issues)
    assert [(f.start, f.end) for f in found] == [(0, 0)]
    assert "Wrong colour delivered" in found[0].message


def test_addressed_issues_do_not_fire(prestige: Profile) -> None:
    issues = ["Refund for the cracked lid", "Wrong colour delivered", "No reply to emails"]
    text = (
        "I'm sorry about the lid: I've refunded it today. The right colour is on its way, "
        "and I'm sorry nobody replied to your email.\n— PK"
    )
    assert run(text, prestige, "unaddressed-issue", open_issues=issues) == []


# --- deflection -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "bounce"),
    [
        ("Please contact our support team about this.", "Please contact our support team"),
        ("We have a support team for that, tweet @KCHelp.", "We have a support team"),
        ("You can email us at help@kettleandcrumb.com.", "email us at"),
        ("Please call our helpline on weekdays.", "Please call our helpline"),
        ("This account is only for news, sorry.", "This account is only for"),
    ],
)
def test_deflection_without_ownership_fires(prestige: Profile, text: str, bounce: str) -> None:
    found = run(text + "\n— PK", prestige, "deflection")
    assert found and spans(text, found)[0] == bounce
    assert found[0].severity == "warning"


@pytest.mark.parametrize(
    "text",
    [
        "Please contact our support team; I'll also follow up with them myself.",
        "I've passed this to our support team and they will call you today.",
        "Our team is looking at it and we'll look into the refund too.",
        "Thank you for the lovely photo.",
    ],
)
def test_no_deflection_with_ownership_or_none(prestige: Profile, text: str) -> None:
    assert run(text + "\n— PK", prestige, "deflection") == []


# --- private-data ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "found", "rule"),
    [
        ("Write to jane.doe+kc@gmail.com please", "jane.doe+kc@gmail.com", "private_data.email"),
        ("Call +44 20 7946 0958 today", "+44 20 7946 0958", "private_data.phone"),
        ("Call (555) 123-4567 today", "(555) 123-4567", "private_data.phone"),
        ("Call 0800 123 4567 today", "0800 123 4567", "private_data.phone"),
        ("Your order #1234567 is late", "order #1234567", "private_data.order_number"),
        ("Order number: 88812345 shipped", "Order number: 88812345", "private_data.order_number"),
        ("Sent to 221B Baker Street today", "221B Baker Street", "private_data.street_address"),
        ("Sent to 42 Market Rd. today", "42 Market Rd.", "private_data.street_address"),
        ("Postcode SW1A 1AA, right?", "SW1A 1AA", "private_data.street_address"),
        ("Card KC12345678 is active", "KC12345678", "private_data.patterns.loyalty card number"),
    ],
)
def test_private_data_in_public_fires(prestige: Profile, text: str, found: str, rule: str) -> None:
    findings = run(text + "\n— PK", prestige, "private-data")
    assert [(text[f.start : f.end], f.rule, f.severity) for f in findings] == [
        (found, rule, "error")
    ]
    assert "direct message" in findings[0].message
    assert findings[0].fix is not None and found not in findings[0].fix.apply(text + "\n— PK")


@pytest.mark.parametrize(
    "text",
    [
        "Write to help@kettleandcrumb.com or help@shop.kettleandcrumb.co.uk",  # the brand's own
        "Thanks @bob@mastodon.social for the photo",  # a fediverse handle, not an email
        "Your case KC-20931 was opened on 2024-05-01 at 10:30",
        "It costs £1,299.00 and arrives in 5 working days",
        "We have 12 Great Ideas for you",
        "See https://kettleandcrumb.com/orders/12345678901 for details",
    ],
)
def test_no_private_data_false_positives(prestige: Profile, text: str) -> None:
    assert run(text + "\n— PK", prestige, "private-data") == []


def test_private_data_is_fine_in_a_direct_message(prestige: Profile) -> None:
    text = "Your order #1234567 goes to 221B Baker Street, call +44 20 7946 0958.\n— PK"
    assert len(run(text, prestige, "private-data")) == 3
    assert run(text, prestige, "private-data", public=False) == []


# --- link-domain -------------------------------------------------------------------------------------


def test_links_to_other_domains_fire(prestige: Profile) -> None:
    text = "See https://bit.ly/abc and notkettleandcrumb.com/x and www.example.org\n— PK"
    found = run(text, prestige, "link-domain")
    assert spans(text, found) == [
        "https://bit.ly/abc",
        "notkettleandcrumb.com/x",
        "www.example.org",
    ]
    assert all(f.rule == "links.domains" and f.severity == "warning" for f in found)


def test_links_to_brand_domains_do_not_fire(prestige: Profile, bare: Profile) -> None:
    text = (
        "See https://shop.kettleandcrumb.com/x, kettleandcrumb.co.uk/returns and "
        "https://www.kettleandcrumb.com. Ends.Next sentence.\n— PK"
    )
    assert run(text, prestige, "link-domain") == []
    # Domains from the context add to the profile's.
    assert (
        run(
            "Read https://recipes.example.org/pie",
            prestige,
            "link-domain",
            brand_domains=["example.org"],
        )
        == []
    )
    # A profile and context with no domains at all: nothing to compare, no findings.
    assert run("Read https://bit.ly/abc", bare, "link-domain") == []
    assert (
        len(run("Read https://bit.ly/abc", bare, "link-domain", brand_domains=["example.org"])) == 1
    )


# --- length --------------------------------------------------------------------------------------------


def test_over_the_limit_fires_with_overflow_span(bare: Profile) -> None:
    text = "a" * 281
    (finding,) = run(text, bare, "length", platform="x")
    assert (finding.rule, finding.severity, finding.start, finding.end) == (
        "length",
        "error",
        280,
        281,
    )
    assert "1 over the limit of 280" in finding.message


def test_within_the_limit_or_a_bigger_instance_limit(bare: Profile) -> None:
    assert run("a" * 280, bare, "length", platform="x") == []
    assert run("a" * 501, bare, "length", platform="mastodon", limit=1000) == []
    assert len(run("a" * 101, bare, "length", platform="mastodon", limit=100)) == 1
    assert len(run("\U0001f600" * 141, bare, "length", platform="x")) == 1
    assert run("\U0001f600" * 300, bare, "length", platform="bluesky") == []


# --- missing-variable ----------------------------------------------------------------------------


def test_placeholders_and_raw_variables_fire(bare: Profile) -> None:
    text = "Hi [customer_name?], I'm {{ agent_name }}."
    found = run(text, bare, "missing-variable")
    assert spans(text, found) == ["[customer_name?]", "{{ agent_name }}"]
    assert all(f.severity == "error" for f in found)


def test_missing_variables_from_the_renderer(bare: Profile) -> None:
    rendered = templates.render("Hi {{ customer_name }}.", {})
    found = run(rendered.text, bare, "missing-variable", missing_variables=rendered.missing)
    assert [(f.start, f.end) for f in found] == [(3, 19)]
    # Once the user types the name in, the stale report does not fire.
    typed = "Hi Alexandra."
    assert (
        run(
            typed,
            bare,
            "missing-variable",
            missing_variables=[MissingVariable("customer_name", 3, 19)],
        )
        == []
    )


def test_square_brackets_are_not_placeholders(bare: Profile) -> None:
    assert run("See [note] and [1].", bare, "missing-variable") == []


# --- The whole check ------------------------------------------------------------------------------


def test_findings_are_sorted_pure_and_serializable(prestige: Profile) -> None:
    text = "Hey guys!! Email me at bob@gmail.com lol \U0001f602 https://bit.ly/x"
    ctx = CheckContext(platform="x", reply_to=UPSET, agent_initials="PK")
    first = voice.check(text, prestige, context=ctx)
    assert first == voice.check(text, prestige, context=ctx)
    assert [(f.start, f.end) for f in first] == sorted((f.start, f.end) for f in first)
    kinds = {f.kind for f in first}
    assert {
        "term",
        "exclamation",
        "private-data",
        "slang",
        "emoji",
        "link-domain",
        "sign-off",
        "empathy",
    } <= kinds
    for f in first:
        d = f.to_dict()
        assert list(d) == ["kind", "rule", "severity", "start", "end", "message", "fix"]
        assert d["kind"] in voice.KINDS
        assert d["severity"] in ("error", "warning", "suggestion")
        assert d["fix"] is None or set(d["fix"]) == {"replacement", "start", "end", "label"}
    assert any(f.blocks for f in first)


def test_a_good_reply_has_no_findings(prestige: Profile, playful: Profile) -> None:
    text = (
        "@sam@mastodon.social I'm so sorry the lid arrived cracked, and that nobody answered your "
        "email. I've sent a new lid by tracked post today, and your refund for the delivery is on "
        "its way. Track it at https://kettleandcrumb.com/track."
    )
    ctx: dict[str, object] = {
        "reply_to": UPSET,
        "open_issues": ["Cracked lid", "Refund the delivery charge", "No answer to email"],
        "template_body": TEMPLATE,
        "platform": "mastodon",
    }
    assert run(text + "\n— PK", prestige, **ctx) == []
    assert run(text + " ^PK", playful, **ctx) == []


def test_default_context_is_a_public_mastodon_reply(bare: Profile) -> None:
    assert voice.check("Call +44 20 7946 0958", bare)[0].kind == "private-data"
    assert voice.check("a" * 501, bare)[0].kind == "length"


def test_builtin_templates_pass_both_shipped_profiles(profiles: dict[str, Profile]) -> None:
    sample = {
        "customer_name": "Alexandra",
        "agent_name": "Priya",
        "agent_initials": "PK",
        "case_ref": "KC-20931",
        "account_handle": "@KettleCrumbHelp",
        "brand_name": "Kettle & Crumb",
        "eta": "by Thursday",
        "returns_link": "https://kettleandcrumb.com/returns",
        "opening_time": "9am",
        "colleague_name": "Sam",
        "order_number": "KC1048823",
    }
    for template in templates.load_builtin(RESOURCES / "templates"):
        text = templates.render(template.body, sample).text
        for name, profile in profiles.items():
            for platform in template.platforms:
                ctx = CheckContext(platform=platform, public=template.public, agent_initials="PK")
                findings = voice.check(text, profile, context=ctx)
                assert findings == [], (template.slug, name, platform, findings)

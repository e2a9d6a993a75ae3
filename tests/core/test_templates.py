"""Tests for console.core.templates: built-in library, safe rendering, search."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from console.core import templates, textlen
from console.core.errors import KnownError, TemplateError
from console.core.templates import MissingVariable, Rendered, Template

RESOURCES = Path(__file__).parents[2] / "resources"
TEMPLATES_DIR = RESOURCES / "templates"

SAMPLE = {
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


@pytest.fixture(scope="module")
def builtin() -> list[Template]:
    return templates.load_builtin(TEMPLATES_DIR)


# --- The built-in library --------------------------------------------------------


def test_library_has_at_least_25_templates_with_unique_slugs(builtin: list[Template]) -> None:
    assert len(builtin) >= 25
    slugs = [t.slug for t in builtin]
    assert len(set(slugs)) == len(slugs)
    assert slugs == sorted(slugs)


def test_library_covers_the_needed_situations(builtin: list[Template]) -> None:
    categories = {t.category for t in builtin}
    assert {
        "apology",
        "ask-details",
        "follow-up",
        "resolution",
        "thanks",
        "escalation",
        "outage",
        "refund-return",
        "out-of-hours",
    } <= categories


def test_every_template_uses_only_known_variables(builtin: list[Template]) -> None:
    for t in builtin:
        assert templates.variables(t.body) <= set(templates.KNOWN_VARIABLES), t.slug


def test_public_templates_never_name_the_order_number(builtin: list[Template]) -> None:
    for t in builtin:
        if t.public:
            assert "order_number" not in templates.variables(t.body), t.slug
    assert any(not t.public for t in builtin)


def test_every_template_renders_completely_and_fits_its_platforms(builtin: list[Template]) -> None:
    for t in builtin:
        rendered = templates.render(t.body, SAMPLE)
        assert rendered.missing == [], t.slug
        assert "[" not in rendered.text and "{" not in rendered.text, t.slug
        for platform in t.platforms:
            info = textlen.count(rendered.text, platform)
            assert not info.over, (t.slug, platform, info)


def test_every_template_is_signed_by_the_agent(builtin: list[Template]) -> None:
    for t in builtin:
        assert t.body.rstrip().endswith("— {{ agent_initials }}"), t.slug


# --- Rendering ---------------------------------------------------------------------


def test_render_fills_variables() -> None:
    body = "Hi {{ customer_name }}, I'm {{ agent_name }}. Case {{ case_ref }}."
    assert templates.render(body, SAMPLE) == Rendered(
        text="Hi Alexandra, I'm Priya. Case KC-20931.", missing=[]
    )


def test_missing_variable_is_visible_with_its_span() -> None:
    rendered = templates.render(
        "Hi {{ customer_name }}, I'm {{ agent_name }}.", {"agent_name": "Priya"}
    )
    assert rendered.text == "Hi [customer_name?], I'm Priya."
    # "Hi " is 3 characters; "[customer_name?]" is 16.
    assert rendered.missing == [MissingVariable("customer_name", 3, 19)]
    m = rendered.missing[0]
    assert rendered.text[m.start : m.end] == "[customer_name?]"


@pytest.mark.parametrize("value", [None, "", "   ", "\n\t"])
def test_empty_values_count_as_missing(value: str | None) -> None:
    rendered = templates.render("Hi {{ customer_name }}.", {"customer_name": value})
    assert rendered.text == "Hi [customer_name?]."
    assert rendered.missing == [MissingVariable("customer_name", 3, 19)]


def test_several_missing_variables_after_non_ascii_text() -> None:
    family = "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 7 code points
    body = "Hé " + family + " {{ a }} et {{ b }}"
    rendered = templates.render(body, {})
    assert rendered.text == "Hé " + family + " [a?] et [b?]"
    start_a = len("Hé ") + 7 + 1  # 11
    start_b = start_a + len("[a?] et ")
    assert rendered.missing == [
        MissingVariable("a", start_a, start_a + 4),
        MissingVariable("b", start_b, start_b + 4),
    ]


def test_filters_keep_the_placeholder_visible() -> None:
    rendered = templates.render("{{ customer_name | upper }} / {{ case_ref | title }}", {})
    assert rendered.text == "[customer_name?] / [case_ref?]"
    assert [m.name for m in rendered.missing] == ["customer_name", "case_ref"]


def test_default_filter_and_conditions_are_not_missing() -> None:
    body = "Arrives {{ eta | default('soon') }}.{% if case_ref %} Case {{ case_ref }}.{% endif %}"
    assert templates.render(body, {}) == Rendered(text="Arrives soon.", missing=[])
    assert (
        templates.render(body, {"eta": "Friday", "case_ref": "KC-1"}).text
        == "Arrives Friday. Case KC-1."
    )


def test_values_are_text_never_templates() -> None:
    context = {
        "customer_name": "{{ 7*7 }} {{ ''.__class__ }}",
        "case_ref": "{% include '/etc/passwd' %}",
        "agent_name": "\x00099117\x00",  # tries to forge a "missing" marker
        "eta": 42,
    }
    body = "{{ customer_name }} | {{ case_ref }} | {{ agent_name }} | {{ eta }}"
    rendered = templates.render(body, context)
    assert (
        rendered.text == "{{ 7*7 }} {{ ''.__class__ }} | {% include '/etc/passwd' %} | 099117 | 42"
    )
    assert rendered.missing == []


def test_raw_block_prints_braces_literally() -> None:
    assert templates.render("{% raw %}{{ x }}{% endraw %}", {}).text == "{{ x }}"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("{{ ''.__class__.__mro__ }}", "looking inside"),
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "calling"),
        ("{% include '/etc/passwd' %}", "including"),
        ("{% extends 'base.html' %}", "including"),
        ("{% import 'macros' as m %}", "including"),
        ("{% from 'x' import y %}", "including"),
        ("{{ cycler.__init__.__globals__ }}", "looking inside"),
        ("{% for i in range(10**9) %}x{% endfor %}", "loops"),
        ("{{ range(10**9) | list }}", "filter 'list'|calling"),
        ("{{ 9**9**9 }}", "arithmetic"),
        ("{{ 'x' * 10**9 }}", "arithmetic"),
        ("{{ lipsum(10**6) }}", "calling"),
        ("{{ customer_name.upper() }}", "calling"),
        ("{{ customer_name['__class__'] }}", "looking inside"),
        ("{{ customer_name | attr('__class__') }}", "filter"),
        ("{{ customer_name | format('%s') }}", "filter"),
        ("{{ customer_name is callable }}", "test"),
        ("{% set x = 'y' %}", "setting variables"),
        ("{% macro m() %}{% endmacro %}", "macros"),
        ("{% filter upper %}x{% endfilter %}", "filter blocks"),
        ("{{ self }}", "'self'"),
        ("{{ _private }}", "'_private'"),
        ("{{ [1, 2] }}", "lists"),
        ("{{ customer_name", "line 1"),
        ("{% if %}x{% endif %}", "line 1"),
    ],
)
def test_hostile_templates_are_refused_before_running(body: str, why: str) -> None:
    started = time.perf_counter()
    with pytest.raises(TemplateError, match=why) as info:
        templates.render(body, SAMPLE)
    assert isinstance(info.value, KnownError)
    assert time.perf_counter() - started < 1.0
    with pytest.raises(TemplateError):
        templates.validate(body)


def test_refused_template_cannot_read_files(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    for body in (f"{{% include '{secret}' %}}", f"{{{{ open('{secret}').read() }}}}"):
        with pytest.raises(TemplateError):
            templates.render(body, {})


def test_overlong_template_is_refused() -> None:
    with pytest.raises(TemplateError, match="longer than"):
        templates.render("x" * (templates.MAX_BODY_CHARS + 1), {})


def test_variables_lists_what_a_template_reads() -> None:
    body = "Hi {{ customer_name }}{% if eta %}, {{ eta | default('soon') }}{% endif %}. — {{ agent_initials }}"
    assert templates.variables(body) == {"customer_name", "eta", "agent_initials"}
    assert templates.variables("No variables here.") == set()
    with pytest.raises(TemplateError):
        templates.variables("{% for x in y %}{% endfor %}")


# --- Loading --------------------------------------------------------------------------


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_load_template_reads_fields(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "hello-there.toml",
        'title = "Hello"\ncategory = "greeting"\nplatforms = ["x"]\ntags = ["hi"]\n'
        'body = """\nHi {{ customer_name }}.\n"""\n',
    )
    assert templates.load_template(path) == Template(
        slug="hello-there",
        title="Hello",
        body="Hi {{ customer_name }}.",
        category="greeting",
        platforms=("x",),
        tags=("hi",),
        public=True,
    )


@pytest.mark.parametrize(
    ("name", "text", "why"),
    [
        ("ok.toml", 'title = "T"\ncategory = "c"\nbody = "x"\nsurprise = 1\n', "unknown field"),
        ("ok.toml", 'title = "T"\ncategory = "c"\n', "'body'"),
        (
            "ok.toml",
            'title = "T"\ncategory = "c"\nbody = "{% for a in b %}{% endfor %}"\n',
            "loops",
        ),
        (
            "ok.toml",
            'title = "T"\ncategory = "c"\nbody = "x"\nplatforms = ["myspace"]\n',
            "platform",
        ),
        ("ok.toml", 'title = "T"\ncategory = "c"\nbody = "x"\npublic = "yes"\n', "public"),
        ("ok.toml", "title = \n", "cannot read"),
        ("Bad Name.toml", 'title = "T"\ncategory = "c"\nbody = "x"\n', "file name"),
    ],
)
def test_load_template_rejects_bad_files(tmp_path: Path, name: str, text: str, why: str) -> None:
    with pytest.raises(TemplateError, match=why):
        templates.load_template(_write(tmp_path / name, text))


# --- Fuzzy search -----------------------------------------------------------------------


def test_fuzzy_find_ranks_title_matches_first(builtin: list[Template]) -> None:
    found = templates.fuzzy_find("apology", builtin)
    assert found
    assert {t.category for t in found[:5]} == {"apology"}


def test_fuzzy_find_every_word_must_match(builtin: list[Template]) -> None:
    found = templates.fuzzy_find("late delivery", builtin)
    assert found[0].slug == "apology-late-delivery"
    assert templates.fuzzy_find("refund zzzzqqq", builtin) == []


def test_fuzzy_find_subsequence_and_tags(builtin: list[Template]) -> None:
    assert templates.fuzzy_find("aplgy", builtin)[0].category == "apology"
    # "cracked" is only a tag of the damaged-item apology.
    assert templates.fuzzy_find("cracked", builtin)[0].slug == "apology-damaged-item"
    assert templates.fuzzy_find("REFUND", builtin)[0].category == "refund-return"


def test_fuzzy_find_empty_query_and_limit(builtin: list[Template]) -> None:
    everything = templates.fuzzy_find("", builtin)
    assert len(everything) == len(builtin)
    assert [t.title.lower() for t in everything] == sorted(t.title.lower() for t in builtin)
    assert len(templates.fuzzy_find("", builtin, limit=3)) == 3
    assert len(templates.fuzzy_find("a", builtin, limit=2)) == 2


def test_fuzzy_find_is_fast_on_1000_templates(builtin: list[Template]) -> None:
    many = [
        Template(
            slug=f"{t.slug}-{i}",
            title=f"{t.title} {i}",
            body=t.body,
            category=t.category,
            tags=t.tags,
        )
        for i in range(40)
        for t in builtin
    ][:1000]
    assert len(many) == 1000
    templates.fuzzy_find("re", many)
    started = time.perf_counter()
    for query in ("a", "ap", "apo", "apol", "apology da"):
        templates.fuzzy_find(query, many)
    # Five keystrokes; generous bound for a slow CI machine (about 10 ms each here).
    assert time.perf_counter() - started < 1.0

"""Reply templates: loading, safe rendering with visible gaps, and fuzzy search.

Templates are Jinja2 text rendered in a `jinja2.sandbox.SandboxedEnvironment`
and, on top of the sandbox, limited to what a reply needs: printing variables
(``{{ customer_name }}``), a few text filters (``{{ eta | default("soon") }}``,
``upper``, ``lower``, ``title``, ``capitalize``, ``trim``, ``truncate``),
conditions (``{% if eta %}...{% endif %}``), ``~`` to join text, and
comments. Loops, attribute and item access (``x.y``, ``x['y']``), function
calls, arithmetic, ``{% set %}``, macros and ``{% include %}``/``{% import %}``
are refused with a `TemplateError` before anything runs, so a template can
never run code, read a file or loop forever.

A variable with no value (missing, None or blank) renders as a visible
placeholder such as ``[customer_name?]`` and is reported in
`Rendered.missing` with its span in the output, so it can never go out
silently blank.

Variables every template may use:

==================  =====================================================
customer_name       the customer's name as they sign or display it
agent_name          the first name of the person replying
agent_initials      their initials, for the sign-off ("PK")
case_ref            the case reference ("KC-20931"), safe to say in public
account_handle      the brand account's @handle the reply is sent from
brand_name          the brand ("Kettle & Crumb")
==================  =====================================================

Some templates use more (``eta``, ``returns_link``, ``opening_time``,
``colleague_name``; ``order_number`` only in direct-message templates).
"""

from __future__ import annotations

import functools
import logging
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from console.core.errors import TemplateError

log = logging.getLogger(__name__)

#: Shared variables and what they hold (for a variable picker).
KNOWN_VARIABLES: Final[Mapping[str, str]] = {
    "customer_name": "The customer's name",
    "agent_name": "Your first name",
    "agent_initials": "Your initials, for the sign-off",
    "case_ref": "The case reference, e.g. KC-20931",
    "account_handle": "The @handle of the brand account replying",
    "brand_name": "The brand's name",
    "eta": "When something will happen, e.g. 'by Thursday'",
    "returns_link": "The returns page of the brand's site",
    "opening_time": "When the team is back, e.g. '9am'",
    "colleague_name": "The colleague taking over the case",
    "order_number": "The order number (direct messages only)",
}

#: Longest template body accepted, in characters.
MAX_BODY_CHARS: Final = 10_000
PLATFORMS: Final = ("mastodon", "bluesky", "x", "demo")

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_MARKER = re.compile("\x00(\\d*)\x00?")


def placeholder(name: str) -> str:
    """Return the visible placeholder shown for a variable with no value."""
    return f"[{name}?]"


@dataclass(frozen=True)
class Template:
    """A reusable reply.

    Attributes:
        slug: Stable id, lowercase with dashes (the file name).
        title: What the user sees in the picker.
        body: Jinja2 text (see the module docstring for what is allowed).
        category: A group such as "apology" or "follow-up".
        platforms: Platforms the template suits (it fits their limits).
        tags: Extra words to find it by.
        public: False for templates meant only for direct messages.
    """

    slug: str
    title: str
    body: str
    category: str
    platforms: tuple[str, ...] = PLATFORMS
    tags: tuple[str, ...] = ()
    public: bool = True


@dataclass(frozen=True)
class MissingVariable:
    """A variable that had no value, and where its placeholder is in the output.

    Attributes:
        name: The variable's name.
        start: Start of the placeholder in the rendered text.
        end: End of the placeholder (exclusive).
    """

    name: str
    start: int
    end: int


@dataclass(frozen=True)
class Rendered:
    """The result of rendering a template.

    Attributes:
        text: The reply, with ``[name?]`` where a value was missing.
        missing: The missing variables in order of appearance.
    """

    text: str
    missing: list[MissingVariable]


# --- Rendering ----------------------------------------------------------------

_ALLOWED_FILTERS: Final = frozenset(
    {"default", "d", "upper", "lower", "title", "capitalize", "trim", "truncate"}
)
_ALLOWED_TESTS: Final = frozenset({"defined", "undefined", "none", "string"})
_ALLOWED_NODES: Final = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.If,
    nodes.CondExpr,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Compare,
    nodes.Operand,
    nodes.Concat,
    nodes.Filter,
    nodes.Test,
    nodes.Keyword,
)
_REFUSED: Final[tuple[tuple[tuple[type[nodes.Node], ...], str], ...]] = (
    (
        (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends),
        "including other templates or files",
    ),
    ((nodes.For,), "loops ({% for %})"),
    ((nodes.Getattr, nodes.Getitem, nodes.Slice), "looking inside a value (x.y or x['y'])"),
    ((nodes.Call, nodes.CallBlock), "calling functions"),
    ((nodes.Macro,), "macros"),
    ((nodes.Assign, nodes.AssignBlock, nodes.With), "setting variables"),
    ((nodes.BinExpr, nodes.UnaryExpr), "arithmetic"),
    ((nodes.List, nodes.Tuple, nodes.Dict), "lists or tables of values"),
    ((nodes.FilterBlock,), "filter blocks"),
)
_RESERVED_NAMES: Final = frozenset({"self", "loop", "caller", "varargs", "kwargs", "super"})


class _MarkedUndefined(jinja2.Undefined):
    """An undefined variable prints as a marker we later turn into ``[name?]``.

    The marker is NUL, the name's UTF-8 bytes as 3-digit numbers, NUL: digits
    survive ``upper``/``title`` and friends, and NUL never comes from a value
    (values are stripped of it).
    """

    __slots__ = ()

    def __str__(self) -> str:
        name = self._undefined_name or "?"
        return "\x00" + "".join(f"{b:03d}" for b in name.encode()) + "\x00"


class _ReplyEnvironment(SandboxedEnvironment):
    """The sandbox, with unsafe attribute access raising at once."""

    def unsafe_undefined(self, obj: Any, attribute: str) -> jinja2.Undefined:
        raise TemplateError(f"templates cannot use {attribute!r}")


@functools.cache
def _environment() -> _ReplyEnvironment:
    env = _ReplyEnvironment(
        autoescape=False, undefined=_MarkedUndefined, keep_trailing_newline=False
    )
    # Defence in depth: nothing to call, nothing to import, only harmless filters.
    env.globals.clear()
    env.filters = {k: v for k, v in env.filters.items() if k in _ALLOWED_FILTERS}
    env.tests = {k: v for k, v in env.tests.items() if k in _ALLOWED_TESTS}
    return env


def _parse(body: str) -> nodes.Template:
    """Parse a body and refuse anything outside the allowed subset.

    Raises:
        TemplateError: On a syntax error or a refused construct.
    """
    if len(body) > MAX_BODY_CHARS:
        raise TemplateError(f"this template is longer than {MAX_BODY_CHARS:,} characters")
    try:
        tree = _environment().parse(body)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template error on line {exc.lineno}: {exc.message}") from exc
    for node in tree.find_all(nodes.Node):
        if isinstance(node, _ALLOWED_NODES):
            if isinstance(node, nodes.Name) and (
                node.name.startswith("_") or node.name in _RESERVED_NAMES or node.ctx != "load"
            ):
                raise TemplateError(f"line {node.lineno}: templates cannot use {node.name!r}")
            if isinstance(node, nodes.Filter) and node.name not in _ALLOWED_FILTERS:
                raise TemplateError(
                    f"line {node.lineno}: templates cannot use the filter {node.name!r}"
                )
            if isinstance(node, nodes.Test) and node.name not in _ALLOWED_TESTS:
                raise TemplateError(
                    f"line {node.lineno}: templates cannot use the test {node.name!r}"
                )
            if isinstance(node, nodes.Filter) and node.node is None:
                raise TemplateError(f"line {node.lineno}: templates cannot use filter blocks")
            continue
        what = next((label for kinds, label in _REFUSED if isinstance(node, kinds)), None)
        lineno = getattr(node, "lineno", "?")
        if what is None:
            what = f"“{type(node).__name__}”"
        raise TemplateError(f"line {lineno}: reply templates cannot use {what}")
    return tree


@functools.lru_cache(maxsize=512)
def _compile(body: str) -> jinja2.Template:
    _parse(body)
    try:
        return _environment().from_string(body)
    except jinja2.TemplateError as exc:  # pragma: no cover - parse succeeded already
        raise TemplateError(f"template error: {exc}") from exc


def validate(body: str) -> None:
    """Check that a template body is usable without rendering it.

    Args:
        body: Jinja2 template text.

    Raises:
        TemplateError: On a syntax error or a refused construct.
    """
    _compile(body)


def variables(body: str) -> set[str]:
    """Return the names of the variables a template uses.

    Args:
        body: Jinja2 template text.

    Returns:
        Every variable name the template reads.

    Raises:
        TemplateError: On a syntax error or a refused construct.
    """
    return set(meta.find_undeclared_variables(_parse(body)))


def _clean_context(context: Mapping[str, object]) -> dict[str, str]:
    clean: dict[str, str] = {}
    for key, value in context.items():
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
            continue
        if value is None:
            continue
        text = str(value).replace("\x00", "")
        if text.strip():
            clean[key] = text
    return clean


def _decode_marker(digits: str) -> str:
    if not digits or len(digits) % 3:
        return "?"
    try:
        return bytes(int(digits[i : i + 3]) for i in range(0, len(digits), 3)).decode()
    except (ValueError, UnicodeDecodeError):
        return "?"


def render(body: str, context: Mapping[str, object]) -> Rendered:
    """Render a template for one reply.

    Args:
        body: Jinja2 template text.
        context: Variable values. None, empty and whitespace-only values
            count as missing. Values are plain text: they are never
            rendered as templates themselves.

    Returns:
        The text, with ``[name?]`` for each missing variable, and where each
        placeholder is.

    Raises:
        TemplateError: If the template has a syntax error, uses a refused
            construct, or fails while rendering.
    """
    template = _compile(body)
    try:
        raw = template.render(_clean_context(context))
    except TemplateError:
        raise
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template error: {exc}") from exc
    except (TypeError, ValueError, OverflowError) as exc:
        raise TemplateError(f"template error: {exc}") from exc
    parts: list[str] = []
    missing: list[MissingVariable] = []
    length = 0
    pos = 0
    for m in _MARKER.finditer(raw):
        before = raw[pos : m.start()].replace("\x00", "")
        parts.append(before)
        length += len(before)
        name = _decode_marker(m.group(1))
        shown = placeholder(name)
        missing.append(MissingVariable(name=name, start=length, end=length + len(shown)))
        parts.append(shown)
        length += len(shown)
        pos = m.end()
    parts.append(raw[pos:].replace("\x00", ""))
    return Rendered(text="".join(parts), missing=missing)


# --- Loading ------------------------------------------------------------------


def load_template(path: Path | str) -> Template:
    """Load one template from a TOML file.

    The file holds ``title``, ``category``, ``body`` and optionally
    ``platforms``, ``tags`` and ``public``; the slug is the file name.

    Args:
        path: The ``.toml`` file.

    Returns:
        The template, with its body checked.

    Raises:
        TemplateError: If the file cannot be read, misses a field, or its
            body is not a valid template.
    """
    path = Path(path)
    slug = path.stem
    if not _SLUG.match(slug):
        raise TemplateError(f"{path.name}: the file name must be lowercase words joined by dashes")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TemplateError(f"cannot read template {path.name}: {exc}") from exc

    def text(key: str) -> str:
        value = data.pop(key, None)
        if not isinstance(value, str) or not value.strip():
            raise TemplateError(f"{path.name}: {key!r} must be non-empty text")
        return value.strip()

    def strings(key: str, default: Sequence[str]) -> tuple[str, ...]:
        value = data.pop(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise TemplateError(f"{path.name}: {key!r} must be a list of texts")
        return tuple(value)

    title, category, body = text("title"), text("category"), text("body")
    platforms = strings("platforms", PLATFORMS)
    unknown_platforms = set(platforms) - set(PLATFORMS)
    if unknown_platforms:
        raise TemplateError(f"{path.name}: unknown platform(s) {sorted(unknown_platforms)}")
    tags = strings("tags", ())
    public = data.pop("public", True)
    if not isinstance(public, bool):
        raise TemplateError(f"{path.name}: 'public' must be true or false")
    if data:
        raise TemplateError(f"{path.name}: unknown field(s) {sorted(data)}")
    try:
        validate(body)
    except TemplateError as exc:
        raise TemplateError(f"{path.name}: {exc}") from exc
    return Template(
        slug=slug,
        title=title,
        body=body,
        category=category,
        platforms=platforms,
        tags=tags,
        public=public,
    )


def load_builtin(directory: Path | str) -> list[Template]:
    """Load every ``*.toml`` template in a directory (e.g. ``resources/templates``).

    Args:
        directory: The folder of template files.

    Returns:
        The templates, ordered by slug.

    Raises:
        TemplateError: If any file is invalid.
    """
    return [load_template(p) for p in sorted(Path(directory).glob("*.toml"), key=lambda p: p.stem)]


# --- Fuzzy search -------------------------------------------------------------


def _subsequence_score(query: str, target: str) -> float:
    """Score ``query`` as a subsequence of ``target`` (both lowercase): 0 if it
    is not one, more for matches at word starts and with fewer gaps."""
    pos = -1
    score = 0.0
    previous = -2
    for ch in query:
        pos = target.find(ch, pos + 1)
        if pos < 0:
            return 0.0
        if pos == 0 or not target[pos - 1].isalnum():
            score += 2.0
        elif pos == previous + 1:
            score += 1.5
        else:
            score += 0.5
        previous = pos
    return score / len(query)


def _token_score(
    token: str, template: Template, title: str, slug: str, tags: Sequence[str]
) -> float:
    best = 0.0
    if title.startswith(token):
        return 100.0
    index = title.find(token)
    if index >= 0:
        best = 90.0 if not title[index - 1].isalnum() else 70.0
    for tag in tags:
        if tag == token:
            best = max(best, 85.0)
        elif tag.startswith(token):
            best = max(best, 75.0)
    if best:
        return best
    if token in slug:
        return 65.0
    if token in template.category.lower():
        return 55.0
    sub = max(_subsequence_score(token, title), _subsequence_score(token, slug))
    if sub and len(token) >= 2:
        return 20.0 + 15.0 * sub  # at most 50
    if len(token) >= 3 and token in template.body.lower():
        return 15.0
    return 0.0


def fuzzy_find(
    query: str, templates: Iterable[Template], *, limit: int | None = None
) -> list[Template]:
    """Find templates for what the user types in the picker.

    Every word of the query must match the template somewhere: as the start
    of the title, inside the title, a tag, the slug or the category, as a
    subsequence of the title or slug (``"aplgy"`` finds "Apology"), or inside
    the body. Earlier kinds of match rank higher.

    Args:
        query: What the user typed; empty returns every template.
        templates: The templates to search.
        limit: Return at most this many.

    Returns:
        Matching templates, best first (ties keep title order).
    """
    tokens = query.lower().split()
    pool = list(templates)
    if not tokens:
        ranked = sorted(pool, key=lambda t: t.title.lower())
        return ranked[:limit] if limit is not None else ranked
    scored: list[tuple[float, str, Template]] = []
    for template in pool:
        title = template.title.lower()
        slug = template.slug
        tags = [t.lower() for t in template.tags]
        total = 0.0
        for token in tokens:
            s = _token_score(token, template, title, slug, tags)
            if not s:
                break
            total += s
        else:
            scored.append((-total, title, template))
    scored.sort(key=lambda item: (item[0], item[1]))
    result = [t for _, _, t in scored]
    return result[:limit] if limit is not None else result

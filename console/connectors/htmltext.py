"""Mastodon's status HTML to plain text, with the stdlib parser; nothing is ever rendered.

Mastodon sends a status as HTML (``<p>``, ``<br>``, links, mention and hashtag
links, and links shortened with ``invisible``/``ellipsis`` spans). The console
shows text only, so this keeps the words, turns paragraphs and line breaks into
newlines, keeps every link as its full text, drops ``<script>``/``<style>``
contents, unescapes entities, and lists the links' real targets separately so a
UI can show where a link really goes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

__all__ = ["PlainText", "html_to_text"]

# Elements whose content is never text for a reader.
_DROP = frozenset(
    {"script", "style", "template", "iframe", "object", "noscript", "head", "title", "svg", "math"}
)
# Elements that end a paragraph (blank line) or a line.
_PARAGRAPH = frozenset(
    {"p", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table"}
)
_LINE = frozenset({"div", "li", "tr", "dt", "dd", "section", "article", "header", "footer", "hr"})
_VOID = frozenset(
    {
        "br",
        "img",
        "hr",
        "meta",
        "link",
        "input",
        "source",
        "wbr",
        "area",
        "col",
        "embed",
        "param",
        "track",
    }
)
_SPACES = re.compile(r"[ \t\r\n\f\v]+")


@dataclass(frozen=True)
class PlainText:
    """The readable text of an HTML fragment plus what its links pointed at."""

    text: str
    urls: tuple[str, ...] = ()  # targets of ordinary links, in order, without duplicates
    mentions: tuple[str, ...] = ()  # "@user" or "@user@server" as shown
    hashtags: tuple[str, ...] = ()  # "#tag" as shown


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.urls: list[str] = []
        self.mentions: list[str] = []
        self.hashtags: list[str] = []
        self._drop_depth = 0
        self._pre_depth = 0
        self._link: tuple[str, str] | None = None  # (href, class)
        self._link_text: list[str] = []
        self._has_text = False

    # -- output helpers
    def _emit(self, text: str) -> None:
        if self._link is not None:
            self._link_text.append(text)
        if not self._has_text and text.strip():
            self._has_text = True
        self.out.append(text)

    def _newlines(self, count: int) -> None:
        # Never more than `count` newlines in a row, and none at the very start.
        if not self._has_text:
            return
        joined = "".join(self.out[-4:])
        have = len(joined) - len(joined.rstrip("\n"))
        if have < count:
            self.out.append("\n" * (count - have))

    # -- parser callbacks
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP:
            if tag not in _VOID:
                self._drop_depth += 1
            return
        if self._drop_depth:
            return
        if tag == "br":
            self._emit("\n")
        elif tag in _PARAGRAPH:
            self._newlines(2)
            if tag == "pre":
                self._pre_depth += 1
        elif tag in _LINE:
            self._newlines(1)
        elif tag == "a":
            values = dict(attrs)
            self._link = (values.get("href") or "", values.get("class") or "")
            self._link_text = []
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self._emit(alt)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP:
            if self._drop_depth:
                self._drop_depth -= 1
            return
        if self._drop_depth:
            return
        if tag in _PARAGRAPH:
            if tag == "pre" and self._pre_depth:
                self._pre_depth -= 1
            self._newlines(2)
        elif tag in _LINE:
            self._newlines(1)
        elif tag == "a" and self._link is not None:
            self._close_link()

    def handle_data(self, data: str) -> None:
        if self._drop_depth:
            return
        if not self._pre_depth:
            data = _SPACES.sub(" ", data)
        self._emit(data)

    def _close_link(self) -> None:
        assert self._link is not None
        href, classes = self._link
        shown = "".join(self._link_text).strip()
        class_set = set(classes.split())
        if "hashtag" in class_set or (shown.startswith("#") and "mention" in class_set):
            if shown:
                self.hashtags.append(shown)
        elif "mention" in class_set or ("u-url" in class_set and shown.startswith("@")):
            if shown:
                self.mentions.append(shown)
        elif href.startswith(("http://", "https://")) and href not in self.urls:
            self.urls.append(href)
        self._link = None
        self._link_text = []


def html_to_text(markup: str | None) -> PlainText:
    """Convert a status's HTML into plain text and the links it contains.

    Args:
        markup: the HTML fragment (``content`` of a Mastodon status), or ``None``.

    Returns:
        The text (paragraphs separated by a blank line, ``<br>`` as a newline,
        links as their full text) and the link targets, mentions and hashtags.
    """
    if not markup:
        return PlainText(text="")
    parser = _Extractor()
    parser.feed(markup)
    parser.close()
    if parser._link is not None:  # unterminated <a>: keep what we have
        parser._close_link()
    lines = "".join(parser.out).split("\n")
    text = "\n".join(line.strip(" ") for line in lines)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return PlainText(
        text=text,
        urls=tuple(parser.urls),
        mentions=tuple(parser.mentions),
        hashtags=tuple(parser.hashtags),
    )

"""Mastodon HTML to plain text, on the recorded statuses and on hostile markup."""

from __future__ import annotations

import json

import pytest

from console.connectors.htmltext import html_to_text

from .recorded import recorded


def _status(name: str) -> dict:
    return recorded("mastodon", name).json()


def test_shortened_link_keeps_the_full_url() -> None:
    # Mastodon splits a long link into invisible/ellipsis/invisible spans.
    status = _status("status_link_card.json")
    assert 'class="ellipsis"' in status["content"]
    plain = html_to_text(status["content"])
    url = "https://soundcloud.com/wakarangirl/popstars-dj-wakaran-girl-khard-bass-flex-1"
    assert plain.text == f"{url} link to soundcloud that should generate a card"
    assert plain.urls == (url,)
    assert "…" not in plain.text


def test_mention_hashtag_emoji_and_paragraphs() -> None:
    plain = html_to_text(_status("status_custom_emoji_hashtag.json")["content"])
    assert plain.text == (
        "@halcy you're a doo-doo head\n\n"
        "edit: editing this to have the maximum amount of fields filled :trans_heart: "
        "#ThisIsAHashtag"
    )
    assert plain.mentions == ("@halcy",)
    assert plain.hashtags == ("#ThisIsAHashtag",)
    assert plain.urls == ()  # mention and hashtag links are not "links"


def test_h_card_mention_from_a_notification() -> None:
    notification = recorded("mastodon", "notifications_mention_local.json").json()[0]
    plain = html_to_text(notification["status"]["content"])
    assert plain.text == "@mastodonpy_test hello!"
    assert plain.mentions == ("@mastodonpy_test",)


def test_remote_mentions_keep_their_domain() -> None:
    statuses = [
        n["status"]
        for n in recorded("mastodon", "notifications_mention.json").json()
        if n["status"]
    ]
    plain = html_to_text(statuses[0]["content"])
    assert plain.mentions == (
        "@halcy@mastodon.social",
        "@halcy@glitch.social",
        "@halcy@hachyderm.io",
    )
    assert plain.text.startswith(
        "@halcy@mastodon.social @halcy@glitch.social @halcy@hachyderm.io ____"
    )


@pytest.mark.parametrize("name", ["conversations.json", "conversations_local.json"])
def test_every_recorded_conversation_becomes_markup_free_text(name: str) -> None:
    for conversation in recorded("mastodon", name).json():
        status = conversation["last_status"]
        if status is None:
            continue
        text = html_to_text(status["content"]).text
        assert text
        assert "<" not in text and "&amp;" not in text and "class=" not in text


def test_account_note_with_link_and_mention() -> None:
    ancestor = recorded("mastodon", "status_context.json").json()["ancestors"][0]
    plain = html_to_text(ancestor["account"]["note"])
    assert plain.text.startswith("https://halcy.de/ ~ Local account.\n\nNow also")
    assert plain.urls == ("https://halcy.de/",)


def test_script_style_dropped_entities_unescaped_breaks_kept() -> None:
    markup = (
        "<p>Tom &amp; Jerry &lt;b&gt;not bold&lt;/b&gt; &#x1F600; caf&eacute;</p>"
        "<script>alert('x')</script><style>p { color: red }</style>"
        "<p>line one<br>line two<br/>line three</p>"
        '<p><a href="javascript:alert(1)">click</a> '
        '<img src="x" onerror="alert(1)" alt=":blob:"></p>'
    )
    plain = html_to_text(markup)
    assert plain.text == (
        "Tom & Jerry <b>not bold</b> 😀 café\n\nline one\nline two\nline three\n\nclick :blob:"
    )
    assert "alert" not in plain.text and "color" not in plain.text
    assert plain.urls == ()  # javascript: is not a link target we keep


def test_whitespace_collapses_and_junk_is_tolerated() -> None:
    assert html_to_text(None).text == ""
    assert html_to_text("").text == ""
    assert html_to_text("<p>  many\n   spaces  </p>").text == "many spaces"
    assert html_to_text("<p>unclosed <a href='https://e.example/x'>link").text == "unclosed link"
    assert html_to_text("<p>unclosed <a href='https://e.example/x'>link").urls == (
        "https://e.example/x",
    )
    assert html_to_text("plain text, no tags").text == "plain text, no tags"
    assert html_to_text("<ul><li>one</li><li>two</li></ul><p>after</p>").text == "one\ntwo\n\nafter"


def test_raw_json_escapes_are_not_html() -> None:
    # Bodies of origin [A] use \\uXXXX escapes; json decoding yields the characters.
    statuses = recorded("mastodon", "conversations.json").json()
    contents = [c["last_status"]["content"] for c in statuses if c["last_status"]]
    assert all(isinstance(html_to_text(c).text, str) for c in contents)
    assert json.dumps(html_to_text(contents[0]).text)

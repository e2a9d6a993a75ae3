"""Author profiles as evidence of other accounts: handles they name, links they verified."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from console.connectors.htmltext import html_to_text
from console.core.models import ProfileEvidence

# @user@host.tld (fediverse) and @name.tld (a Bluesky handle is a domain name).
_FEDI = re.compile(r"(?<![\w@/])@([a-z0-9_.-]+)@([a-z0-9-]+(?:\.[a-z0-9-]+)+)", re.IGNORECASE)
_DOMAIN = re.compile(r"(?<![\w@/])@([a-z0-9-]+(?:\.[a-z0-9-]+)+)(?![\w@-])", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>\"')]+", re.IGNORECASE)
_X_RESERVED = {"i", "home", "intent", "search", "hashtag", "share", "explore", "settings"}


def normalize_link(url: str) -> str:
    """``https://www.Example.com/blog/`` -> ``example.com/blog`` (how links are compared)."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    host = (parts.hostname or "").casefold().removeprefix("www.")
    return (host + parts.path.rstrip("/")).rstrip(".")


def handle_of_url(url: str) -> str | None:
    """The handle a profile link points at, as ``platform:handle``, or None."""
    parts = urlsplit(url)
    host = (parts.hostname or "").casefold().removeprefix("www.")
    segments = [s for s in parts.path.split("/") if s]
    if host == "bsky.app" and len(segments) == 2 and segments[0] == "profile":
        name = segments[1].casefold()
        return None if name.startswith("did:") else f"bluesky:{name}"
    if host in {"x.com", "twitter.com"} and len(segments) == 1:
        name = segments[0].casefold()
        return None if name in _X_RESERVED else f"x:{name}"
    if host and len(segments) == 1 and segments[0].startswith("@") and len(segments[0]) > 1:
        return f"mastodon:{segments[0][1:].casefold()}@{host}"  # https://server/@user
    return None


def mentions_in(text: str, urls: Iterable[str] = ()) -> tuple[str, ...]:
    """Handles a profile text names, written out or as profile links."""
    found: list[str] = []
    for user, host in _FEDI.findall(text):
        found.append(f"mastodon:{user.casefold()}@{host.casefold()}")
    stripped = _FEDI.sub(" ", text)
    for domain in _DOMAIN.findall(stripped):
        found.append(f"bluesky:{domain.casefold().rstrip('.')}")
    for url in [*urls, *_URL.findall(text)]:
        handle = handle_of_url(url.rstrip(".,;"))
        if handle:
            found.append(handle)
    return tuple(dict.fromkeys(found))


def mastodon_profile(account: Mapping[str, Any]) -> ProfileEvidence:
    """From a Mastodon account object: the bio (``note``) and the profile ``fields``.

    A field with ``verified_at`` holds a link the server checked (``rel=me``).
    """
    texts: list[str] = []
    urls: list[str] = []
    verified: list[str] = []
    for markup in [account.get("note") or "",
                   *((f.get("value") or "") for f in account.get("fields") or []
                     if isinstance(f, Mapping))]:
        plain = html_to_text(str(markup))
        texts.append(plain.text)
        urls += plain.urls
    for field in account.get("fields") or []:
        if isinstance(field, Mapping) and field.get("verified_at"):
            value = html_to_text(str(field.get("value") or ""))
            verified += [normalize_link(u) for u in value.urls or [value.text.strip()] if u]
    mentions = mentions_in("\n".join(texts), urls)
    return ProfileEvidence(mentions=mentions, verified_links=tuple(dict.fromkeys(verified)))


def bluesky_profile(author: Mapping[str, Any]) -> ProfileEvidence | None:
    """From a Bluesky profile view: the ``description``, and the handle when it is the
    person's own domain (verified by the protocol, like a Mastodon rel=me link).

    None for a basic view (post and thread views carry no description and no
    ``indexedAt``): it says nothing about the bio, so what a full view said is kept.
    """
    if "description" not in author and "indexedAt" not in author:
        return None
    description = str(author.get("description") or "")
    mentions = mentions_in(description)
    handle = str(author.get("handle") or "").casefold()
    verified = () if not handle or handle.endswith(".bsky.social") or handle == "handle.invalid" \
        else (normalize_link(handle),)
    return ProfileEvidence(mentions=mentions, verified_links=verified)


def x_profile(user: Mapping[str, Any]) -> ProfileEvidence | None:
    """From an X user object (``user.fields=description,url,entities``): the bio and the
    profile link, with their t.co links expanded from ``entities``.

    X checks neither, so they are mentions only, never verified links. None when the
    object carries none of those fields (they were not asked for): it says nothing.
    """
    if not any(key in user for key in ("description", "url", "entities")):
        return None
    entities = _mapping(user.get("entities"))
    description = str(user.get("description") or "")
    urls: list[str] = []
    for part in ("description", "url"):
        for entity in _mapping(entities.get(part)).get("urls") or []:
            if not isinstance(entity, Mapping):
                continue
            short, long = entity.get("url"), entity.get("expanded_url")
            if long:
                urls.append(str(long))
                if short:  # t.co says nothing: read the expanded link in its place
                    description = description.replace(str(short), str(long))
    if user.get("url") and not urls:
        urls.append(str(user["url"]))
    return ProfileEvidence(mentions=mentions_in(description, urls))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}

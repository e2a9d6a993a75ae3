"""Shared fixtures: a migrated store, message factories."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from console.core.models import IncomingMessage, MessageKind, Platform  # noqa: E402
from console.core.store import Store  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone.utc)

_counter = itertools.count(1)


def msg(author: str = "@ann@example.social", text: str = "My order is late",
        *, account: str = "@help@kettle.example", platform: Platform = Platform.MASTODON,
        at: dt.datetime | None = None, remote_id: str | None = None, name: str = "",
        kind: MessageKind = MessageKind.MENTION) -> IncomingMessage:
    n = next(_counter)
    return IncomingMessage(
        platform=platform, account_handle=account, remote_id=remote_id or f"r{n}",
        author_handle=author, author_name=name or author.strip("@").split("@")[0].title(),
        text=text, created_at=at or T0 + dt.timedelta(minutes=n), kind=kind)


@pytest.fixture
def store() -> Store:
    s = Store.memory()
    s.set_setting("user.name", "Sam")
    s.add_account(platform="mastodon", handle="@help@kettle.example", role="support")
    s.add_account(platform="mastodon", handle="@hello@kettle.example", role="marketing")
    s.add_account(platform="bluesky", handle="help.kettle.example", role="support")
    s.add_account(platform="bluesky", handle="kettle.example", role="marketing")
    yield s
    s.close()

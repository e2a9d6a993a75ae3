"""Mastodon direct messages answered as direct replies, against the recorded payloads.

``mastodon/conversations.json`` is a real mastodon.social recording (SOURCES.md [A]):
a group conversation of halcy (the brand account here) with three other accounts.
Mastodon delivers a direct status to everyone it mentions, so a direct answer must
mention exactly the conversation's participants: all of them, and nobody else.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from console.connectors.base import ReplyTarget
from console.core.errors import RejectedError
from console.core.models import MessageKind, ReplyState
from console.core.store import Store
from console.sync import engine

from .recorded import recorded, recorded_session
from .test_mastodon import connector, social

PARTICIPANTS = ["latencyobs@icosahedron.website", "halcy@glitch.social", "halcy@hachyderm.io"]
DM_ID = "116275331587890092"  # conversation 5424440's last status, from latencyobs


def test_direct_message_to_case_and_direct_answer_to_all_participants(tmp_path: Path) -> None:
    session, adapter = recorded_session()
    social(adapter)
    adapter.add("POST", "/api/v1/statuses", recorded("mastodon", "statuses_post_direct.json"))
    mastodon = connector(session)
    store = Store.open(tmp_path / "w.db")
    account_id, _ = store.add_account(platform="mastodon", handle="halcy@mastodon.social",
                                      server="https://mastodon.social")
    out = engine.sync_account(store, store.account(account_id), lambda _a: mastodon)
    assert out.ok, out.error
    case = next(c for c in store.cases_page() if c.contact_handle.startswith("latencyobs"))
    dm = next(m for m in store.case_detail(case.id).messages if m.remote_id == DM_ID)
    assert dm.kind is MessageKind.DM
    _message, extra = store.message(dm.id)
    assert extra["participants"] == PARTICIPANTS

    reply_id, _ = store.save_draft(case.id, account_id=account_id, body="We're on it.",
                                   in_reply_to_message_id=dm.id)
    store.approve_reply(reply_id)
    (sent,) = engine.send_outbox(store, lambda _a: mastodon)
    assert sent.sent, sent.error
    body = adapter.sent[-1].json()
    assert body["visibility"] == "direct" and body["in_reply_to_id"] == DM_ID
    assert body["status"] == (
        "@latencyobs@icosahedron.website @halcy@glitch.social @halcy@hachyderm.io We're on it.")
    assert store.reply(reply_id).state is ReplyState.SENT
    store.close()


def test_direct_answer_refuses_a_mention_outside_the_conversation() -> None:
    session, adapter = recorded_session()
    social(adapter)
    mastodon = connector(session)
    dm = next(m for m in mastodon.fetch_since(None).items if m.remote_id == DM_ID)
    with pytest.raises(RejectedError, match="@support@kettle.example, who is not in the conv"):
        mastodon.send_reply(ReplyTarget.from_message(dm),
                            "Asking @support@kettle.example to look at it.", idempotency_key="k")
    assert not [s for s in adapter.sent if s.method == "POST"]  # nothing went out
    # A participant written by hand is not repeated, the others are added in front.
    adapter.add("POST", "/api/v1/statuses", recorded("mastodon", "statuses_post_direct.json"))
    mastodon.send_reply(ReplyTarget.from_message(dm), "Thanks @halcy@glitch.social!",
                        idempotency_key="k2")
    assert adapter.sent[-1].json()["status"] == (
        "@latencyobs@icosahedron.website @halcy@hachyderm.io Thanks @halcy@glitch.social!")


def test_public_post_answered_in_a_direct_message_reaches_its_author_only() -> None:
    """'Continue in a direct message': others the public post mentioned are not told."""
    session, adapter = recorded_session()
    adapter.add("POST", "/api/v1/statuses", recorded("mastodon", "statuses_post_direct.json"))
    target = ReplyTarget(remote_id="117020583258292000", author_handle="ann@example.social",
                         visibility="public",
                         extra={"acct": "ann@example.social", "visibility": "public",
                                "mentions": ["halcy", "bob@example.social"]})
    connector(session).send_reply(target, "Could you send us your order number here?",
                                  idempotency_key="k", visibility="direct")
    body = adapter.sent[-1].json()
    assert body["visibility"] == "direct"
    assert body["status"] == "@ann@example.social Could you send us your order number here?"

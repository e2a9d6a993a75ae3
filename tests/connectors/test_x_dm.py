"""X direct messages against the recorded API v2 payloads: events to cases, answers in the conversation.

``x/dm_conversation_events.json`` and ``x/dm_send.json`` are real-service recordings
(tweepy's cassettes, 2022; see ../shared/fixtures/SOURCES.md) of the conversation's
events and of a message sent to a participant. The recording asked for no
``dm_event.fields``, so its events carry only ``id``, ``event_type`` and ``text``;
where a test needs the sender and conversation the connector asks for, it adds
exactly those fields to the recorded events and says so. In the recording the test
account sent both messages ("Testing 1" is the one ``dm_send.json`` created); the
inbox test keeps "Testing 1" as ours and lets "Testing 2" stand for the customer's.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from console.connectors.base import ReplyTarget
from console.connectors.x import XConnector
from console.core.models import MessageKind, ReplyState
from console.core.secrets import MemorySecretStore
from console.core.store import Store
from console.sync import engine

from .recorded import Recorded, recorded, recorded_session

ME = "1072250532645998596"  # users_me.json: TweepyDev
CUSTOMER = "750362064426721281"  # the other participant of the recorded conversation
CONVERSATION = f"{CUSTOMER}-{ME}"  # dm_send.json's dm_conversation_id
EVENTS = "/2/dm_conversations/750362064426721281-1072250532645998596/dm_events"


def connector(session: Any) -> XConnector:
    return XConnector(handle="TweepyDev", server="https://api.twitter.com", session=session,
                      secrets=MemorySecretStore({"x-1": "x-user-token-QWxhZGRpbjpvcGVu"}),
                      account_key="x-1", sleep=lambda s: None, direct_messages=True)


def inbox_events() -> Recorded:
    """The recorded events, with the fields ``GET /2/dm_events`` asks for added."""
    body = recorded("x", "dm_conversation_events.json").json()
    for event in body["data"]:
        sender = ME if event["text"] == "Testing 1" else CUSTOMER
        event.update(sender_id=sender, dm_conversation_id=CONVERSATION)
    body["includes"] = {"users": [{"id": CUSTOMER, "username": "customer750",
                                   "name": "A Customer"}]}
    del body["meta"]["next_token"]  # one page: the recorded cursor leads nowhere here
    return Recorded("x/dm_conversation_events.json (+ requested fields)", 200,
                    json.dumps(body).encode(), {"Content-Type": "application/json"})


def test_recorded_conversation_events_parse() -> None:
    body = recorded("x", "dm_conversation_events.json").json()
    dms = connector(None).parse_dm_events(body, conversation_id=CONVERSATION)
    assert [m.text for m in dms] == ["Testing 1", "Testing 2"]  # oldest first
    assert all(m.kind is MessageKind.DM and m.url is None for m in dms)
    assert dms[0].extra["dm_conversation_id"] == CONVERSATION
    assert dms[0].thread_root == f"dm:{CONVERSATION}"
    # No created_at was requested: the time comes from the snowflake id (28 Oct 2022).
    assert dms[0].created_at.date() == dt.date(2022, 10, 28)


def test_direct_message_to_case_and_answer_in_the_conversation(tmp_path: Path) -> None:
    session, adapter = recorded_session()
    adapter.add("GET", "/2/users/me", recorded("x", "users_me.json"))
    adapter.add("GET", f"/2/users/{ME}/mentions", recorded("x", "users_mentions_empty.json"))
    adapter.add("GET", "/2/dm_events", inbox_events())
    adapter.add("POST", f"/2/dm_conversations/{CONVERSATION}/messages",
                recorded("x", "dm_send.json"))
    x = connector(session)
    store = Store.open(tmp_path / "w.db")
    account_id, _ = store.add_account(platform="x", handle="TweepyDev")
    account = store.account(account_id)

    out = engine.sync_account(store, account, lambda _a: x)
    assert (out.ok, out.new_messages) == (True, 1), out.error  # our own "Testing 1" is not
    dm_call = next(s for s in adapter.sent if s.path == "/2/dm_events")
    assert dm_call.query["event_types"] == ["MessageCreate"]
    assert "sender_id" in dm_call.query["dm_event.fields"][0]
    (case,) = store.cases_page()
    detail = store.case_detail(case.id)
    assert [(m.kind, m.text) for m in detail.messages] == [(MessageKind.DM, "Testing 2")]
    assert detail.messages[-1].author_handle == "customer750"
    assert json.loads(store.account_cursor(account_id) or "")["dm"] == "1585800613752881156"

    reply_id, _ = store.save_draft(case.id, account_id=account_id, body="We'll sort it out here.",
                                   in_reply_to_message_id=detail.messages[-1].id)
    store.approve_reply(reply_id)
    (sent,) = engine.send_outbox(store, lambda _a: x)
    assert sent.sent, sent.error
    post = adapter.sent[-1]
    assert (post.method, post.path) == ("POST", f"/2/dm_conversations/{CONVERSATION}/messages")
    assert post.json() == {"text": "We'll sort it out here."}  # no public reply fields
    reply = store.reply(reply_id)
    assert reply.state is ReplyState.SENT and reply.sent_remote_id == "1585800613253812228"
    assert reply.sent_url is None
    # The next sync asks for events after the newest one and stores nothing twice.
    again = engine.sync_account(store, account, lambda _a: x)
    assert (again.ok, again.new_messages) == (True, 0)
    store.close()


def test_public_post_answered_in_a_direct_message() -> None:
    """'Continue in a direct message': writes to the post's author, not in public."""
    session, adapter = recorded_session()
    adapter.add("POST", f"/2/dm_conversations/with/{CUSTOMER}/messages",
                recorded("x", "dm_send.json"))
    target = ReplyTarget(remote_id="1456012000000000000", author_handle="customer750",
                         extra={"author_id": CUSTOMER, "conversation_id": "1456012000000000000"})
    ref = connector(session).send_reply(target, "Could you send us your order number here?",
                                        idempotency_key="k", visibility="direct")
    assert adapter.sent[-1].json() == {"text": "Could you send us your order number here?"}
    assert ref.remote_id == "1585800613253812228"
    assert ref.extra["dm_conversation_id"] == CONVERSATION


def test_find_sent_direct_message_in_the_recorded_conversation() -> None:
    session, adapter = recorded_session()
    adapter.add("GET", "/2/users/me", recorded("x", "users_me.json"))
    adapter.add("GET", EVENTS, recorded("x", "dm_conversation_events.json"))
    x = connector(session)
    target = ReplyTarget(remote_id="1585800613000000000", visibility="direct",
                         extra={"dm_conversation_id": CONVERSATION})
    since = dt.datetime(2022, 10, 28, 1, 0, tzinfo=dt.UTC)
    found = x.find_sent_reply(target, "Testing 1", since)
    assert found is not None and found.remote_id == "1585800613253812228"
    assert x.find_sent_reply(target, "Not sent", since) is None


def test_no_dm_access_still_syncs_the_mentions() -> None:
    """An X app without direct-message access (403) keeps its mentions coming."""
    session, adapter = recorded_session()
    adapter.add("GET", "/2/users/me", recorded("x", "users_me.json"))
    adapter.add("GET", f"/2/users/{ME}/mentions", recorded("x", "users_mentions.json"))
    adapter.add("GET", "/2/dm_events", recorded("x", "error_403_client_not_enrolled.json",
                                                  status=403,
                                                  headers={"Content-Type": "application/json"}))
    page = connector(session).fetch_since(None)
    assert page.items and all(m.kind is not MessageKind.DM for m in page.items)
    assert "dm" not in json.loads(page.cursor or "{}")  # DMs are read from the start later

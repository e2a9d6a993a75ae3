"""Bluesky direct messages end to end: the local network plus a local chat server.

The local network has no chat service and Bluesky's is closed source, so
``tests/connectors/chat_server.py`` stands in for it: logins, tokens and handles are
the local PDS's, and every chat request and answer is checked against the
``chat.bsky.convo.*`` lexicons shipped in the Bluesky kit's ``@atproto/api``. The
recorded answers of the real service (../shared/fixtures/bluesky/chat_*.json) must
pass the same lexicons and have the same shape as the stand-in's.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from console.connectors.base import ReplyTarget
from console.connectors.bluesky import CHAT_PROXY, BlueskyConnector
from console.connectors.http import build_session
from console.core.models import MessageKind, ReplyState
from console.core.secrets import MemorySecretStore
from console.core.store import Store
from console.sync import engine
from tests.connectors.chat_server import API, ChatServer, LexiconValidator, load_lexicons, shape
from tests.helpers import need

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "bluesky"


def recorded(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture(scope="module")
def validator(bsky_net: dict[str, Any]) -> LexiconValidator:
    # The kit's start.sh installs @atproto/api (its lexicons) with the network: on a cold
    # machine this test may run first, so it asks for the network too.
    need(API.exists(), f"the Bluesky kit's @atproto/api lexicons at {API}")
    return LexiconValidator(load_lexicons())


def session(conn: dict[str, Any], name: str) -> dict[str, Any]:
    acc = conn["accounts"][name]
    r = requests.post(f"{conn['pds_url']}/xrpc/com.atproto.server.createSession",
                      json={"identifier": acc["handle"], "password": acc["password"]},
                      timeout=30)
    r.raise_for_status()
    return r.json()


def dm_app_password(conn: dict[str, Any], name: str) -> str:
    """A new app password with "Allow access to your direct messages" (privileged)."""
    auth = session(conn, name)
    r = requests.post(f"{conn['pds_url']}/xrpc/com.atproto.server.createAppPassword",
                      headers={"Authorization": f"Bearer {auth['accessJwt']}"},
                      json={"name": f"dm-{uuid.uuid4().hex[:8]}", "privileged": True},
                      timeout=30)
    r.raise_for_status()
    return str(r.json()["password"])


class Customer:
    """Alice, writing to the brand through the chat server as the Bluesky app would."""

    def __init__(self, conn: dict[str, Any], chat: ChatServer) -> None:
        self.chat = chat
        self.headers = {"Authorization": f"Bearer {session(conn, 'alice')['accessJwt']}",
                        "atproto-proxy": CHAT_PROXY}
        self.brand = conn["accounts"]["brand"]["did"]

    def convo(self) -> str:
        r = requests.get(f"{self.chat.url}/xrpc/chat.bsky.convo.getConvoForMembers",
                         params={"members": [self.brand]}, headers=self.headers, timeout=10)
        r.raise_for_status()
        return str(r.json()["convo"]["id"])

    def send(self, text: str) -> dict[str, Any]:
        r = requests.post(f"{self.chat.url}/xrpc/chat.bsky.convo.sendMessage",
                          json={"convoId": self.convo(), "message": {"text": text}},
                          headers=self.headers, timeout=10)
        r.raise_for_status()
        return dict(r.json())

    def messages(self) -> dict[str, Any]:
        r = requests.get(f"{self.chat.url}/xrpc/chat.bsky.convo.getMessages",
                         params={"convoId": self.convo()}, headers=self.headers, timeout=10)
        r.raise_for_status()
        return dict(r.json())


@pytest.fixture
def chat(bsky_net: dict[str, Any], validator: LexiconValidator) -> Iterator[ChatServer]:
    with ChatServer(bsky_net["pds_url"]) as server:
        yield server
    assert server.violations == []


def brand(conn: dict[str, Any], chat: ChatServer, password: str) -> BlueskyConnector:
    return BlueskyConnector(handle=conn["accounts"]["brand"]["handle"], server=conn["pds_url"],
                            session=build_session(), secrets=MemorySecretStore({"b": password}),
                            account_key="b", chat_url=chat.url, direct_messages=True)


def test_recorded_chat_answers_pass_the_lexicons(validator: LexiconValidator) -> None:
    messages = recorded("chat_getMessages.json")
    sent = recorded("chat_sendMessage.json")
    assert validator.body("chat.bsky.convo.getMessages", "output", messages) == []
    assert validator.body("chat.bsky.convo.sendMessage", "output", sent) == []
    # The validator can say no: a message view without its text is refused.
    broken = {k: v for k, v in sent.items() if k != "text"}
    assert validator.body("chat.bsky.convo.sendMessage", "output", broken) == [
        "chat.bsky.convo.sendMessage output.text: required"]


def test_chat_server_answers_like_the_real_service(bsky_net: dict[str, Any],
                                                   chat: ChatServer) -> None:
    alice = Customer(bsky_net, chat)
    sent = alice.send("Hello")
    assert shape(sent) == shape(recorded("chat_sendMessage.json"))
    page = alice.messages()
    real = recorded("chat_getMessages.json")
    plain = [m for m in real["messages"] if not m["reactions"]]
    assert shape(page["messages"][0]) == shape(plain[0])
    assert set(page) <= set(real) | {"relatedProfiles"}
    # Requests the lexicons do not allow are refused, and recorded.
    r = requests.post(f"{chat.url}/xrpc/chat.bsky.convo.sendMessage",
                      json={"convoId": alice.convo(), "message": {"txt": "typo"}},
                      headers=alice.headers, timeout=10)
    assert (r.status_code, r.json()["error"]) == (400, "InvalidRequest")
    assert chat.violations == ["request chat.bsky.convo.sendMessage: "
                               "chat.bsky.convo.sendMessage input.message.text: required"]
    chat.violations.clear()
    # Without the proxy header the PDS would not forward the call to the chat service.
    r = requests.get(f"{chat.url}/xrpc/chat.bsky.convo.listConvos",
                     headers={"Authorization": alice.headers["Authorization"]}, timeout=10)
    assert r.status_code == 400 and "atproto-proxy" in r.json()["message"]


def test_direct_message_to_case_and_private_answer(
        bsky_net: dict[str, Any], chat: ChatServer, tmp_path: Path,
        bsky_sync: Callable[[], None]) -> None:
    conn = bsky_net
    connector = brand(conn, chat, dm_app_password(conn, "brand"))
    assert connector.verify().notes == ()
    store = Store.open(tmp_path / "w.db")
    account_id, _ = store.add_account(platform="bluesky", handle="brand.test",
                                      server=conn["pds_url"])
    account = store.account(account_id)
    first = engine.sync_account(store, account, lambda _a: connector)
    assert first.ok, first.error

    alice = Customer(conn, chat)
    token = uuid.uuid4().hex[:8]
    alice.send(f"Hi, my order {token} never arrived. My address is private, can we talk here?")
    out = engine.sync_account(store, account, lambda _a: connector)
    assert out.ok, out.error
    assert out.new_messages == 1
    case = next(c for c in store.cases_page() if token in c.preview)
    detail = store.case_detail(case.id)
    (dm,) = [m for m in detail.messages if token in m.text]
    assert dm.kind is MessageKind.DM and dm.author_handle == "alice.test"
    assert dm.url is None  # a private message has no public address

    reply_id, _ = store.save_draft(case.id, account_id=account_id, body=f"Sorry! {token} "
                                   "is on its way, tracking follows here.",
                                   in_reply_to_message_id=dm.id)
    store.approve_reply(reply_id)
    (sent,) = engine.send_outbox(store, lambda _a: connector)
    assert sent.sent, sent.error
    assert store.reply(reply_id).state is ReplyState.SENT
    texts = [m["text"] for m in alice.messages()["messages"]]
    assert texts[0] == f"Sorry! {token} is on its way, tracking follows here."
    # The answer went privately: not a post in the brand's repository.
    posts = requests.get(f"{conn['pds_url']}/xrpc/com.atproto.repo.listRecords",
                         params={"repo": conn["accounts"]["brand"]["did"],
                                 "collection": "app.bsky.feed.post", "limit": 20},
                         timeout=10).json()["records"]
    assert not any(token in p["value"]["text"] for p in posts)
    # Our own message does not come back as a new case message; her next one does.
    again = engine.sync_account(store, account, lambda _a: connector)
    assert (again.ok, again.new_messages) == (True, 0)
    alice.send(f"Thanks, got the tracking for {token}")
    later = engine.sync_account(store, account, lambda _a: connector)
    assert later.new_messages == 1
    assert store.case_count() == len(store.cases_page())
    assert sum(token in c.preview for c in store.cases_page()) == 1  # one case
    store.close()


def test_public_post_answered_in_a_direct_message(bsky_net: dict[str, Any],
                                                  chat: ChatServer) -> None:
    """'Continue in a direct message': the answer to a public post opens the 1-1 chat."""
    conn = bsky_net
    connector = brand(conn, chat, dm_app_password(conn, "brand"))
    question = conn["posts"]["question"]
    target = ReplyTarget(remote_id=question["uri"], author_handle="alice.test",
                         extra={"uri": question["uri"], "cid": question["cid"]})
    text = f"Let's continue here: which order number? ({uuid.uuid4().hex[:6]})"
    ref = connector.send_reply(target, text, idempotency_key="k1", visibility="direct")
    alice = Customer(conn, chat)
    assert alice.messages()["messages"][0]["text"] == text
    assert ref.extra["convo_id"] == alice.convo()
    found = connector.find_sent_reply(
        ReplyTarget(remote_id=question["uri"], author_handle="alice.test", visibility="direct",
                    extra=dict(target.extra)), text, ref_time())
    assert found is not None and found.remote_id == ref.remote_id


def ref_time():  # type: ignore[no-untyped-def]
    import datetime as dt
    return dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)


def test_app_password_without_dm_access_is_named_and_mentions_still_sync(
        bsky_net: dict[str, Any], chat: ChatServer) -> None:
    connector = brand(bsky_net, chat, bsky_net["accounts"]["brand"]["app_password"])
    info = connector.verify()
    assert len(info.notes) == 1 and "does not allow direct messages" in info.notes[0]
    assert "Allow access to your direct messages" in info.notes[0]
    page = connector.fetch_since(None)  # mentions still arrive
    assert page.items and all(m.kind is not MessageKind.DM for m in page.items)
    assert connector.dms_allowed is False


def test_command_line_says_when_the_app_password_does_not_allow_dms(
        tmp_path: Path, bsky_net: dict[str, Any], chat: ChatServer) -> None:
    """`accounts add` names the missing DM access (the account is still added)."""
    import os
    import subprocess
    import sys

    from console.connectors.registry import ENV_BSKY_CHAT, secret_key
    from console.core.secrets import KeyringSecretStore
    from tests.helpers import require_test_keyring

    require_test_keyring()
    keyring = KeyringSecretStore()
    key = secret_key("bluesky", "brand.test")
    data = tmp_path / "cc"
    env = {**os.environ, ENV_BSKY_CHAT: chat.url}
    repo = Path(__file__).resolve().parents[2]

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "console", "--data-dir", str(data), *args],
                              input=stdin, capture_output=True, text=True, cwd=repo, env=env,
                              timeout=300)

    try:
        assert cli("init").returncode == 0
        plain = bsky_net["accounts"]["brand"]["app_password"]
        added = cli("accounts", "add", "bluesky", "--handle", "brand.test", "--server",
                    bsky_net["pds_url"], stdin=plain + "\n")
        assert added.returncode == 0, added.stderr
        assert "Added brand.test on bluesky" in added.stdout
        assert "Note: The app password of brand.test does not allow direct messages" in (
            added.stdout)
        with_dms = cli("accounts", "add", "bluesky", "--handle", "brand.test", "--server",
                       bsky_net["pds_url"], stdin=dm_app_password(bsky_net, "brand") + "\n")
        assert with_dms.returncode == 0, with_dms.stderr
        assert "updated" in with_dms.stdout and "Note:" not in with_dms.stdout
    finally:
        keyring.delete(key)
        keyring.delete(f"{key}:session")


def test_a_dm_catch_up_comes_in_pieces_without_gaps_or_repeats(
        bsky_net: dict[str, Any], chat: ChatServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Conversations and messages page (limit 2 here); each fetch hands back about a page."""
    from console.connectors import bluesky

    connector = brand(bsky_net, chat, dm_app_password(bsky_net, "brand"))
    first = connector.fetch_since(None)
    monkeypatch.setattr(bluesky, "CHAT_PAGE_LIMIT", 2)
    me = bsky_net["accounts"]["brand"]["did"]
    sent = set()
    for i in range(3):  # three customers (stand-in DIDs: only the chat server knows them)
        convo = chat.convo_for([me, f"did:plc:dmpieces{i}{uuid.uuid4().hex[:6]}"])
        other = next(d for d in chat.convos[convo]["members"] if d != me)
        for j in range(3):
            sent.add(chat.post(convo, other, {"text": f"customer {i} message {j}"})["id"])
    cursor, pieces, seen = first.cursor, 0, []
    while True:
        page = connector.fetch_since(cursor)
        pieces += 1
        seen += [m.remote_id for m in page.items if m.kind is MessageKind.DM]
        cursor = page.cursor
        if not page.has_more:
            break
    assert sorted(seen) == sorted(sent)  # every message once
    assert pieces == 3  # a conversation is read whole: one per piece at this budget
    again = connector.fetch_since(cursor)
    assert [m for m in again.items if m.kind is MessageKind.DM] == []

"""A real account added to the demo workspace sends for real; the demo's own accounts send locally.

Everything runs on the local Bluesky network: the brand account (brand.test) joins a fresh
demo workspace, syncs alice's mention, and its approved reply must exist on the PDS
afterwards, while a reply of a demo account in the same outbox is recorded locally. A real
account whose app password is refused gets a failed reply, never one marked sent. Once
through the engine on a store, once through the command line as a user runs it (its app
password in with-keyring.sh's throwaway keyring).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from console.connectors.base import Connector
from console.connectors.bluesky import BlueskyConnector
from console.connectors.http import build_session
from console.core import demo
from console.core.models import Account, Platform, ReplyState
from console.core.secrets import KeyringSecretStore, MemorySecretStore
from console.core.store import Store
from console.sync import engine
from tests.test_cli_accounts import (  # noqa: F401 (demo_data, test_keyring: fixtures)
    KEY,
    cli,
    cli_json,
    demo_data,
    post_mention,
    test_keyring,
)


def approve(store: Store, case_id: int, text: str, account_id: int) -> int:
    detail = store.case_detail(case_id)
    inbound = [m for m in detail.messages if m.direction.value == "in"]
    reply_id, _ = store.save_draft(case_id, account_id=account_id, body=text,
                                   in_reply_to_message_id=inbound[-1].id)
    store.approve_reply(reply_id)
    return reply_id


def post_text(conn: dict[str, Any], uri: str) -> str | None:
    """The text of the post ``uri`` as the PDS holds it (None: no such record)."""
    repo, collection, rkey = uri.removeprefix("at://").split("/")
    r = requests.get(f"{conn['pds_url']}/xrpc/com.atproto.repo.getRecord", timeout=30,
                     params={"repo": repo, "collection": collection, "rkey": rkey})
    return str(r.json()["value"]["text"]) if r.ok else None


def test_demo_accounts_are_the_reserved_example_ones(tmp_path: Path) -> None:
    store = Store.open(demo.create_demo_workspace(tmp_path))
    try:
        demo_ids = {a.id for a in store.accounts()}
        assert engine.local_accounts(store) == demo_ids  # every built-in account
        real, _ = store.add_account(platform="bluesky", handle="brand.test",
                                    server="http://localhost:2583")
        resolved, _ = store.add_account(platform="mastodon", handle="@help@mastodon.social",
                                        server=None)  # no server known yet: not a demo one
        assert engine.local_accounts(store) == demo_ids
        assert real not in engine.local_accounts(store) and resolved not in demo_ids
    finally:
        store.close()
    look_alike = Account(id=1, platform=Platform.BLUESKY, handle="x.example",  # type: ignore[arg-type]
                         display_name="", server="https://example.com")
    assert not engine.sends_locally(look_alike, demo_workspace=True)
    on_example = Account(id=2, platform=Platform.MASTODON, handle="@a@kettle.example",  # type: ignore[arg-type]
                         display_name="", server="https://kettle.example")
    assert engine.sends_locally(on_example, demo_workspace=True)
    assert not engine.sends_locally(on_example, demo_workspace=False)


@pytest.mark.bluesky
def test_real_account_in_the_demo_workspace_sends_for_real(
        tmp_path: Path, bsky_net: dict[str, Any], bsky_sync: Callable[[], None]) -> None:
    pds = bsky_net["pds_url"]
    brand = bsky_net["accounts"]["brand"]
    store = Store.open(demo.create_demo_workspace(tmp_path))
    try:
        assert store.get_setting("workspace.demo")
        demo_case = store.cases_page()[0]
        demo_account = store.case_detail(demo_case.id).messages[-1].account_id
        real_id, _ = store.add_account(platform="bluesky", handle="brand.test", server=pds)
        wrong_id, _ = store.add_account(platform="bluesky", handle="alice.test", server=pds)
        connectors: dict[int, Connector] = {
            real_id: BlueskyConnector(handle="brand.test", server=pds, session=build_session(),
                                      secrets=MemorySecretStore({"k": brand["app_password"]}),
                                      account_key="k"),
            wrong_id: BlueskyConnector(handle="alice.test", server=pds, session=build_session(),
                                       secrets=MemorySecretStore({"k": "aaaa-bbbb-cccc-dddd"}),
                                       account_key="k"),
        }

        def connect(account: Account) -> Connector:
            assert account.id in connectors, f"{account.handle} is a demo account: no network"
            return connectors[account.id]

        marker = uuid.uuid4().hex[:8]
        post_mention(bsky_net, "alice", f"@brand.test the lid of my kettle cracked ({marker})",
                     brand["did"])
        bsky_sync()
        synced = engine.sync_account(store, store.account(real_id), connect)
        assert synced.ok, synced.error
        (case_id,) = {m.case_id for m in store.search(marker)}

        real_text = f"Sorry about the lid, a new one is on its way (ref {marker}). ^SR"
        real_reply = approve(store, case_id, real_text, real_id)
        demo_reply = approve(store, demo_case.id, "On it, sorry about this. ^SR", demo_account)
        # Tried after the real one (the same case, in order): a password the PDS refuses.
        refused_text = f"This one must not be marked sent ({marker})."
        refused_reply = approve(store, case_id, refused_text, wrong_id)

        out = {o.reply_id: o for o in engine.send_outbox(store, connect)}

        # The demo account's reply is recorded here, as the demo always did.
        assert out[demo_reply].sent
        assert store.reply(demo_reply).state is ReplyState.SENT
        assert store.reply(demo_reply).sent_remote_id.startswith("demo-sent-")
        # The real account's reply went out to the network: the post is on the PDS.
        assert out[real_reply].sent, out[real_reply].error
        sent = store.reply(real_reply)
        assert sent.state is ReplyState.SENT and sent.sent_remote_id.startswith(
            f"at://{brand['did']}/app.bsky.feed.post/")
        assert post_text(bsky_net, sent.sent_remote_id) == real_text
        # A real account the network refuses: failed with the reason, never "sent".
        assert not out[refused_reply].sent and out[refused_reply].error
        refused = store.reply(refused_reply)
        assert refused.state is ReplyState.FAILED and refused.sent_remote_id is None
    finally:
        store.close()


@pytest.mark.bluesky
def test_cli_real_account_added_to_the_demo_sends_for_real(
        demo_data: Path, bsky_net: dict[str, Any], bsky_sync: Callable[[], None],  # noqa: F811
        test_keyring: KeyringSecretStore) -> None:  # noqa: F811
    pds = bsky_net["pds_url"]
    brand = bsky_net["accounts"]["brand"]
    added = cli(demo_data, "accounts", "add", "bluesky", "--handle", "brand.test", "--server",
                pds, stdin=brand["app_password"] + "\n")
    assert added.returncode == 0, added.stderr
    assert test_keyring.get(KEY) == brand["app_password"]

    marker = uuid.uuid4().hex[:8]
    post_mention(bsky_net, "alice", f"@brand.test my kettle whistles off key ({marker})",
                 brand["did"])
    bsky_sync()
    synced = cli(demo_data, "sync")  # the demo's fictional accounts are not synced
    assert synced.returncode == 0, synced.stderr
    assert "1 of 1 account(s) synced" in synced.stdout, synced.stdout + synced.stderr
    (alice_case,) = [c for c in cli_json(demo_data, "cases", "list")
                     if c["contact"]["handle"] == "alice.test"]
    demo_case = next(c for c in cli_json(demo_data, "cases", "list", "--view", "needs_reply")
                     if c["id"] != alice_case["id"])

    real_text = f"Hi Alice, thank you for your patience, a new whistle is on its way ({marker})."
    real = cli(demo_data, "reply", str(alice_case["id"]), "--text", real_text, "--approve",
               "--json")
    assert real.returncode == 0, real.stdout + real.stderr
    demo_text = "Hi, I'm looking into it now. ^SR"
    local = cli(demo_data, "reply", str(demo_case["id"]), "--text", demo_text, "--approve",
                "--override", "test", "--json")
    assert local.returncode == 0, local.stdout + local.stderr
    queued = {r["account"] for r in cli_json(demo_data, "outbox", "list")}
    assert "brand.test" in queued and len(queued) == 2

    sent = cli(demo_data, "outbox", "send")
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "2 of 2 reply(ies) sent" in sent.stdout
    assert cli_json(demo_data, "outbox", "list") == []
    ours = [m for m in cli_json(demo_data, "case", "show", str(alice_case["id"]))["messages"]
            if m["direction"] == "out"]
    assert [m["text"] for m in ours] == [real_text]
    assert ours[0]["url"].startswith("https://bsky.app/profile/brand.test/post/")
    rkey = ours[0]["url"].rsplit("/", 1)[-1]
    assert post_text(bsky_net, f"at://{brand['did']}/app.bsky.feed.post/{rkey}") == real_text
    mine = [m for m in cli_json(demo_data, "case", "show", str(demo_case["id"]))["messages"]
            if m["direction"] == "out"]
    assert mine[-1]["text"] == demo_text and mine[-1]["url"] is None

"""The bundled demo workspace: a fictional brand replayed through the real store API."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from console.core import paths, timeutil
from console.core.ids import AccountId, CaseId, ContactId
from console.core.models import IncomingMessage, MessageKind, Platform
from console.core.store import Store

DEMO_FILE = "demo/workspace.json"
OFFICE_HOURS = {"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:30"}


def load_data() -> dict[str, Any]:
    with paths.resource_path(DEMO_FILE).open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def populate(store: Store, data: dict[str, Any] | None = None, *,
             now: dt.datetime | None = None,
             scorer: Callable[[str], float | None] | None = None) -> None:
    """Replay the demo brand's three weeks into ``store``.

    Times are shifted so that the demo's ``anchor`` is ``now``: waiting times
    look as fresh on the day it is opened as on the day it was written.
    """
    data = data if data is not None else load_data()
    now = now or timeutil.now()
    shift = now - timeutil.parse_iso(data["anchor"])
    brand = data.get("brand", {})
    store.set_setting("workspace.demo", True)
    if brand.get("agent"):
        store.set_setting("user.name", brand["agent"])
    if data.get("agents"):
        store.set_setting("team.roster", [{"name": name, "me": name == brand.get("agent")}
                                          for name in data["agents"]])
    if brand.get("initials"):
        store.set_setting("user.initials", brand["initials"])
    if brand.get("name"):
        store.set_setting("brand.name", brand["name"])
    if brand.get("domains"):
        store.set_setting("brand.domains", list(brand["domains"]))

    accounts: dict[str, tuple[AccountId, str, str]] = {}
    for acc in data["accounts"]:
        account_id, _ = store.add_account(
            platform=acc["platform"], handle=acc["handle"],
            display_name=acc.get("display_name", ""), role=acc.get("role", ""),
            server=acc.get("server"), voice_profile=acc.get("voice_profile"),
            timezone=acc.get("timezone", "UTC"))
        accounts[acc["key"]] = (account_id, acc["platform"], acc["handle"])
        # The team works office hours (as Three UK's social team did, Mon-Fri 9:00-17:30):
        # reports measure response times in them.
        store.set_account_hours(account_id, timezone=acc.get("timezone", "UTC"),
                                business_hours=acc.get("business_hours", OFFICE_HOURS))

    customers = {c["key"]: c for c in data["customers"]}
    contacts: dict[str, ContactId] = {}
    for key, customer in customers.items():
        handles = [(p, h) for p, h in customer["handles"].items()]
        contacts[key], _ = store.add_contact(customer["name"], handles)

    flat = []
    for t_index, thread in enumerate(data["threads"]):
        for e_index, event in enumerate(thread["events"]):
            flat.append((timeutil.parse_iso(event["at"]), t_index, e_index, thread, event))
    flat.sort(key=lambda x: (x[0], x[1], x[2]))

    thread_case: dict[int, CaseId] = {}
    thread_items: dict[int, list[int]] = {}
    remote_ids: dict[tuple[int, str], str] = {}
    for at, t_index, e_index, thread, event in flat:
        when = at + shift
        kind = event["type"]
        customer = customers[thread["customer"]]
        if kind == "message":
            account_id, platform, handle = accounts[event["account"]]
            remote_id = f"demo-{t_index}-{e_index}"
            if "id" in event:
                remote_ids[(t_index, event["id"])] = remote_id
            parent = remote_ids.get((t_index, event.get("in_reply_to", "")))
            result = store.ingest([IncomingMessage(
                platform=Platform(platform), account_handle=handle, remote_id=remote_id,
                author_handle=customer["handles"][platform], author_name=customer["name"],
                text=event["text"], created_at=when, kind=MessageKind(event.get("kind", "mention")),
                in_reply_to=parent, url=None)], actor="sync", scorer=scorer)
            thread_case[t_index] = next(iter(result.case_ids))
            continue
        case_id = thread_case.get(t_index)
        if case_id is None:
            raise ValueError(f"demo thread {t_index}: {kind} before the customer's first message")
        by = event.get("by")
        if kind == "reply":
            account_id, platform, handle = accounts[event["account"]]
            remote_id = f"demo-{t_index}-{e_index}"
            if "id" in event:
                remote_ids[(t_index, event["id"])] = remote_id
            store.record_outbound(case_id, account_id=account_id, text=event["text"],
                                  remote_id=remote_id, actor=by, at=when,
                                  in_reply_to=remote_ids.get((t_index, event.get("in_reply_to", ""))))
        elif kind == "status":
            store.set_status(case_id, event["to"], actor=by, at=when)
        elif kind == "assign":
            store.assign(case_id, event["to"], actor=by, at=when)
        elif kind == "note":
            store.add_note(case_id, event["text"], actor=by, at=when)
        elif kind == "issues":
            for text in event["items"]:
                item_id, _ = store.add_issue(case_id, text, actor=by, at=when)
                thread_items.setdefault(t_index, []).append(item_id)
        elif kind == "tick":
            store.set_issue_done(thread_items[t_index][event["item"]], True, actor=by, at=when)
        elif kind == "merge":
            store.merge_contacts(contacts[thread["customer"]], contacts[event["with"]],
                                 actor=by, at=when)
            # The other customer's threads now live in this thread's case.
            for other_t, other_thread in enumerate(data["threads"]):
                if other_thread["customer"] == event["with"] and other_t in thread_case:
                    thread_case[other_t] = case_id
        else:
            raise ValueError(f"demo thread {t_index}: unknown event type {kind!r}")


def create_demo_workspace(directory: Path | None = None, *,
                          scorer: Callable[[str], float | None] | None = None) -> Path:
    """Build a fresh throwaway demo workspace and return its path."""
    directory = directory or Path(tempfile.mkdtemp(prefix="community-console-demo-"))
    path = directory / "demo.db"
    store = Store.open(path)
    try:
        populate(store, scorer=scorer)
    finally:
        store.close()
    return path

"""Offline in team mode: a local copy of one's own cases, replies approved there pushed once,
and one on a case answered meanwhile held for review (a real PostgreSQL server)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from console.core.models import ReplyState
from console.core.store import Store
from console.core.store.offline import push_offline_work, snapshot_own_cases
from tests.conftest import msg


def member(pg_server: Any, url: str, role: str) -> str:
    pg_server.admin(f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
                    f"'{role}') THEN CREATE ROLE {role} LOGIN; END IF; END $$")
    return url.replace("postgresql://postgres@", f"postgresql://{role}@")


def approve(store: Store, case_id: int, text: str) -> int:
    detail = store.case_detail(case_id)
    account = next(a for a in store.accounts() if a.platform == detail.messages[-1].platform)
    reply_id, _ = store.save_draft(case_id, account_id=account.id, body=text,
                                   in_reply_to_message_id=detail.messages[-1].id)
    store.approve_reply(reply_id)
    return reply_id


def test_offline_copy_push_once_and_hold_what_was_answered_meanwhile(
        pg_server: Any, pg_url: str, tmp_path: Path) -> None:
    owner = Store.connect(pg_url)
    owner.add_account(platform="mastodon", handle="@help@kettle.example")
    owner.ingest([msg("@ann@x.social", "my kettle leaks"), msg("@ben@x.social", "lid cracked"),
                  msg("@cat@x.social", "where is my parcel?")])
    tom_url, priya_url = member(pg_server, pg_url, "tom_o"), member(pg_server, pg_url, "priya_n")
    owner.add_team_member("tom_o", "Tom", may_reassign=True)
    owner.add_team_member("priya_n", "Priya", may_reassign=True)
    cases = {c.contact_handle: c.id for c in owner.cases_page()}
    tom = Store.connect(tom_url)
    for handle in ("@ann@x.social", "@ben@x.social"):
        tom.assign(cases[handle], "Tom")
    copy_path = tmp_path / "team-copy.db"
    assert snapshot_own_cases(tom, copy_path) == 2

    # The server goes away: Tom works on his copy.
    copy = Store.open(copy_path)
    assert {c.contact_handle for c in copy.cases_page()} == {"@ann@x.social", "@ben@x.social"}
    assert copy.me == "Tom"
    kept = approve(copy, cases["@ann@x.social"], "Sorry Ann, a new kettle is on its way.")
    approve(copy, cases["@ben@x.social"], "Sorry Ben, a new lid is on its way.")
    copy.add_note(cases["@ann@x.social"], "Promised a replacement while offline")
    copy.add_issue(cases["@ann@x.social"], "replacement kettle")
    copy.set_status(cases["@ben@x.social"], "waiting")
    # ... and meanwhile Priya answers Ben on the server.
    priya = Store.connect(priya_url)
    approve(priya, cases["@ben@x.social"], "Hi Ben, replacement lid sent today.")

    result = push_offline_work(copy, tom)
    assert (result.approved, result.notes_added, len(result.held)) == (1, 1, 1)
    assert result.held[0][0] == cases["@ben@x.social"] and "Priya answered" in result.held[0][1]
    ann = tom.replies((ReplyState.APPROVED,), case_id=cases["@ann@x.social"])
    assert [r.body for r in ann] == ["Sorry Ann, a new kettle is on its way."]
    assert ann[0].idempotency_key == copy.reply(kept).idempotency_key  # the same reply
    ben = tom.replies((ReplyState.DRAFT, ReplyState.APPROVED), case_id=cases["@ben@x.social"])
    held = [r for r in ben if r.state is ReplyState.DRAFT]
    assert [r.body for r in held] == ["Sorry Ben, a new lid is on its way."]
    assert held[0].error is not None and held[0].error.startswith("Held for review")
    assert [n.body for n in tom.case_detail(cases["@ann@x.social"]).notes] == \
        ["Promised a replacement while offline"]
    # Triage done offline is made on the server too (its rules apply), and said.
    assert result.triage == 2 and not result.refused
    assert [i.text for i in tom.case_detail(cases["@ann@x.social"]).checklist] == \
        ["replacement kettle"]
    assert tom.case_row(cases["@ben@x.social"]).status.value == "waiting"
    # Pushed once: a second push (an interrupted one run again) brings nothing twice.
    again = push_offline_work(copy, tom)
    assert (again.approved, again.replies_added, again.notes_added, again.triage) == (0, 0, 0, 0)
    assert len(tom.replies((ReplyState.APPROVED,), case_id=cases["@ann@x.social"])) == 1
    assert len(tom.case_detail(cases["@ann@x.social"]).notes) == 1
    # Cat's case is Priya's business: never in Tom's copy.
    assert cases["@cat@x.social"] not in {c.id for c in copy.cases_page()}
    for s in (copy, owner, tom, priya):
        s.close()

"""Drafts, approval with findings and overrides, the outbox states, templates."""

from __future__ import annotations

import pytest

from console.core.errors import KnownError
from console.core.models import CaseStatus, ReplyState
from console.core.store import Store
from tests.conftest import msg


def test_draft_saves_as_typed_and_survives_reopen(tmp_path) -> None:
    path = tmp_path / "w.db"
    store = Store.open(path)
    store.add_account(platform="mastodon", handle="@help@kettle.example")
    (case_id,) = store.ingest([msg()]).case_ids
    reply_id, _ = store.save_draft(case_id, account_id=1, body="Hi")
    for body in ("Hi A", "Hi Ann", "Hi Ann, sorry!"):
        store.save_draft(case_id, account_id=1, body=body, reply_id=reply_id)
    store.close()
    store = Store.open(path)
    draft = store.open_draft(case_id)
    assert draft is not None and draft.id == reply_id and draft.body == "Hi Ann, sorry!"
    kinds = [e.kind for e in store.case_events(case_id)]
    assert kinds.count("reply_drafted") == 1  # keystrokes do not flood the timeline


def test_errors_block_approval_and_cannot_be_overridden(store: Store) -> None:
    (case_id,) = store.ingest([msg()]).case_ids
    reply_id, _ = store.save_draft(case_id, account_id=1, body="Email me at a@b.com")
    findings = [{"kind": "private-data", "severity": "error", "message": "email in public"},
                {"kind": "emoji", "severity": "warning", "message": "emoji"}]
    for reason in (None, "Customer asked for it"):
        with pytest.raises(KnownError, match="1 error finding.*cannot be overridden"):
            store.approve_reply(reply_id, findings=findings, override_reason=reason)
        assert store.reply(reply_id).state is ReplyState.DRAFT
    # A judgement finding (a warning) is overridden with a reason, recorded in the timeline.
    store.approve_reply(reply_id, findings=findings[1:], override_reason="Customer likes emoji")
    reply = store.reply(reply_id)
    assert reply.state is ReplyState.APPROVED
    assert [f["kind"] for f in reply.findings] == ["emoji"]
    override = [e for e in store.case_events(case_id) if e.kind == "override"]
    assert [o.after for o in override] == ["Customer likes emoji"]


def test_review_queue_states(store: Store) -> None:
    (case_id,) = store.ingest([msg()]).case_ids
    reply_id, _ = store.save_draft(case_id, account_id=1, body="On it")
    store.approve_reply(reply_id)
    with pytest.raises(KnownError, match="no longer a draft"):
        store.save_draft(case_id, account_id=1, body="edit", reply_id=reply_id)
    assert [r.id for r in store.replies([ReplyState.APPROVED])] == [reply_id]
    store.return_to_draft(reply_id)
    assert store.reply(reply_id).state is ReplyState.DRAFT
    snapshot, _ = store.delete_reply(reply_id)
    assert store.replies() == []
    store.restore_reply(snapshot)
    assert store.reply(reply_id).body == "On it"


def test_back_to_draft_never_makes_a_second_draft(store: Store) -> None:
    """A case has one draft: the composer shows one, so a second would be hidden text."""
    (case_id,) = store.ingest([msg()]).case_ids
    approved, _ = store.save_draft(case_id, account_id=1, body="On it")
    store.approve_reply(approved)
    newer, _ = store.save_draft(case_id, account_id=1, body="And one more thing")
    with pytest.raises(KnownError, match="already has a draft"):
        store.return_to_draft(approved)
    assert store.reply(approved).state is ReplyState.APPROVED  # nothing changed, nothing lost
    assert [r.id for r in store.replies([ReplyState.DRAFT])] == [newer]
    store.delete_reply(newer)
    store.return_to_draft(approved)
    assert store.open_draft(case_id).id == approved


def test_sent_reply_enters_timeline_and_sets_first_response(store: Store) -> None:
    (case_id,) = store.ingest([msg()]).case_ids
    reply_id, _ = store.save_draft(case_id, account_id=1, body="Sorted!")
    store.approve_reply(reply_id)
    store.mark_reply_sending(reply_id)
    store.mark_reply_sent(reply_id, remote_id="r-1", url="https://kettle.example/@help/1")
    store.mark_reply_sent(reply_id, remote_id="r-1", url="https://kettle.example/@help/1")
    detail = store.case_detail(case_id)
    assert [m.text for m in detail.messages if m.direction.value == "out"] == ["Sorted!"]
    assert detail.first_response_at is not None
    assert detail.case.status is CaseStatus.OPEN
    assert store.reply(reply_id).state is ReplyState.SENT


def test_empty_reply_cannot_be_approved(store: Store) -> None:
    (case_id,) = store.ingest([msg()]).case_ids
    reply_id, _ = store.save_draft(case_id, account_id=1, body="   ")
    with pytest.raises(KnownError, match="empty"):
        store.approve_reply(reply_id)


def test_templates_seed_edit_count(store: Store) -> None:
    seed = [{"slug": "apology", "title": "Apology", "body": "Sorry {{ customer_name }}"}]
    assert store.seed_templates(seed).templates
    assert not store.seed_templates(seed).templates  # idempotent
    (t,) = store.templates()
    store.save_template(template_id=t.id, title="Apology", body="So sorry {{ customer_name }}")
    store.seed_templates(seed)
    assert store.template(t.id).body == "So sorry {{ customer_name }}"  # user edit kept
    store.count_template_use(t.id)
    mine, _ = store.save_template(title="My own", body="Hello")
    assert store.template(mine).slug == "user-my-own" and not store.template(mine).builtin
    assert store.templates()[0].id == t.id  # most used first

"""'Continue in a direct message': a public reply asking for private data goes private in one click."""

from __future__ import annotations

from pathlib import Path

from console.core.models import Direction, MessageKind
from console.core.store import CaseFilter, Store, View
from console.sync import engine
from tests.ui.test_composer import kinds, open_case
from tests.ui.test_main_window import read_store

ASK = "So sorry! Could you share your order number and your email address so we can check?"


def public_case(path: Path) -> int:
    """A case whose latest customer message is a public post."""
    store = read_store(path)
    try:
        for row in store.cases_page(CaseFilter(view=View.NEEDS_REPLY)):
            inbound = [m for m in store.case_detail(row.id).messages
                       if m.direction is Direction.INBOUND]
            if inbound and inbound[-1].kind is not MessageKind.DM:
                return row.id
    finally:
        store.close()
    raise AssertionError("the demo has no public case")


def test_public_reply_asking_for_private_data_continues_in_a_dm(qtbot, open_session, demo_db):
    session = open_session(demo_db)
    case_id = public_case(demo_db)
    composer = open_case(qtbot, session, case_id)
    assert composer.private_button.isHidden()  # nothing private asked yet
    qtbot.keyClicks(composer.editor, ASK)
    qtbot.waitUntil(lambda: "private-data" in kinds(composer), timeout=10_000)
    qtbot.waitUntil(lambda: composer.private_button.isVisible(), timeout=5_000)
    assert "direct message" in composer.private_button.text()

    composer.private_button.click()  # one click
    assert composer.is_private()
    assert "direct message" in composer.status.text()
    # In private, asking for the order number is right: the finding goes away.
    qtbot.waitUntil(lambda: "private-data" not in kinds(composer), timeout=10_000)
    assert composer.private_button.isVisible() and "public" in composer.private_button.text()

    def stored() -> Store:
        return read_store(demo_db)

    def draft_is_private() -> bool:
        store = stored()
        try:
            draft = store.open_draft(case_id)
            return draft is not None and draft.visibility == "direct"
        finally:
            store.close()

    qtbot.waitUntil(draft_is_private, timeout=10_000)
    store = stored()
    try:
        draft = store.open_draft(case_id)
        assert draft is not None and draft.case_id == case_id  # same case
        events = [e.kind for e in store.case_detail(case_id).events]
        assert "reply_private" in events
    finally:
        store.close()

    # Approved, it goes out as a direct message to the same customer.
    composer.approve()
    qtbot.waitUntil(lambda: "outbox" in composer.status.text(), timeout=10_000)
    assert not composer.is_private()  # the next reply starts public again
    writer = Store.open(demo_db)
    try:
        (reply,) = [r for r in writer.approved_replies() if r.case_id == case_id]
        assert reply.visibility == "direct"
        plan = engine.plan_send(writer, reply.id)
        assert plan.target.visibility == "direct"
    finally:
        writer.close()


def test_direct_message_case_needs_no_offer(qtbot, open_session, demo_db):
    session = open_session(demo_db)
    store = read_store(demo_db)
    try:
        dm_case = next(
            row.id for row in store.cases_page(CaseFilter(view=View.NEEDS_REPLY))
            if [m for m in store.case_detail(row.id).messages
                if m.direction is Direction.INBOUND][-1].kind is MessageKind.DM)
    finally:
        store.close()
    composer = open_case(qtbot, session, dm_case)
    qtbot.keyClicks(composer.editor, ASK)
    qtbot.wait(400)
    assert composer.private_button.isHidden()  # already private

"""The case rules live once (core/rules.py): the store's SQL and the labels agree with them."""

from __future__ import annotations

import itertools

import pytest

from console.core import rules
from console.core.errors import InvalidTransitionError
from console.core.models import CaseStatus
from console.core.sentiment import label_for
from console.core.store import CaseFilter, Store, View
from tests.conftest import msg

# The band edges and a step either side of them.
SCORES = [-1.0, -0.0501, -0.05, -0.0499, 0.0, 0.0499, 0.05, 0.0501, 1.0, None]


def test_mood_filter_in_sql_matches_mood_of(store: Store) -> None:
    texts = {f"score {i}": s for i, s in enumerate(SCORES)}
    store.ingest([msg(f"@c{i}@x.social", text) for i, text in enumerate(texts)],
                 scorer=texts.get)
    rows = store.cases_page(limit=100)
    assert len(rows) == len(SCORES)
    for mood in ("negative", "neutral", "positive", "unknown"):
        shown = {r.id for r in store.cases_page(CaseFilter(sentiment=mood), limit=100)}
        assert shown == {r.id for r in rows if rules.mood_of(r.sentiment) == mood}, mood


def test_mood_bands() -> None:
    assert [rules.mood_of(s) for s in SCORES] == [
        "negative", "negative", "negative", "neutral", "neutral", "neutral", "positive",
        "positive", "positive", "unknown"]
    assert all(label_for(s) == rules.mood_of(s) for s in SCORES if s is not None)


@pytest.mark.parametrize("current,target", list(itertools.product(CaseStatus, CaseStatus)))
def test_status_changes_follow_the_transition_table(store: Store, current: CaseStatus,
                                                    target: CaseStatus) -> None:
    case_id = next(iter(store.ingest([msg()]).opened_case_ids))
    if current != CaseStatus.NEW:
        store.set_status(case_id, current)
    if rules.can_move(current, target):
        store.set_status(case_id, target)
        assert store.case_row(case_id).status == target
    else:
        with pytest.raises(InvalidTransitionError):
            store.set_status(case_id, target)
        assert store.case_row(case_id).status == current


def test_views_follow_the_status_sets(store: Store) -> None:
    ids = sorted(store.ingest([msg(f"@v{s}@x.social") for s in CaseStatus]).opened_case_ids)
    for case_id, status in zip(ids, CaseStatus):
        if status != CaseStatus.NEW:
            store.set_status(case_id, status)
    by_status = {r.id: r.status for r in store.cases_page(limit=100)}

    def shown(view: str) -> set[int]:
        return {r.id for r in store.cases_page(CaseFilter(view=view), limit=100)}

    # Only open statuses keep the customer's wait; so "needs reply" is exactly those.
    assert shown(View.NEEDS_REPLY) == {c for c, s in by_status.items()
                                       if s in rules.OPEN_STATUSES}
    assert shown(View.RESOLVED) == {c for c, s in by_status.items()
                                    if s in rules.FINISHED_STATUSES}
    assert shown(View.MINE) == {c for c, s in by_status.items()
                                if s in rules.UNFINISHED_STATUSES}
    assert store.view_counts()[View.NEEDS_REPLY] == len(shown(View.NEEDS_REPLY))
    assert sum(store.unanswered_counts().values()) == len(shown(View.NEEDS_REPLY))

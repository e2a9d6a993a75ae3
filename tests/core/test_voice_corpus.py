"""The labelled voice corpus: floors for the checker's quality (bench/voice_quality.py has the figures)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from console.core import voice

ROOT = Path(__file__).parents[2]
CORPUS = ROOT / "tests" / "voice_corpus"
PARTS = ("tuning", "heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7", "heldout8")
#: The corpus brand's workspace settings (see tests/voice_corpus/README.md).
BRAND = {
    "brand_phones": ("0800 123 4567",),
    "brand_names": ("Evri", "DPD", "Royal Mail", "KettleCrumb"),
    "brand_addresses": ("12 Mill Street, Leeds LS1 4AB",),
    "brand_domains": ("kettleandcrumb.com",),
}


def corpus_threads(part: str) -> list[dict[str, Any]]:
    """The threads of one part of the corpus (bench/voice_quality.py reads them here too)."""
    return tomllib.loads((CORPUS / f"{part}.toml").read_text(encoding="utf-8"))["thread"]


@pytest.fixture(scope="module")
def profiles() -> dict[str, voice.Profile]:
    return voice.load_profiles(ROOT / "resources" / "voice")


def _check(thread: dict, text: str, profiles: dict[str, voice.Profile]) -> list[voice.Finding]:
    ctx = voice.CheckContext(
        platform=thread["platform"], reply_to=thread["message"],
        open_issues=tuple(thread.get("issues", ())), template_body=thread.get("template"),
        public=thread.get("public", True), agent_initials="PK", **BRAND)
    return voice.check(text, profiles[thread["profile"]], context=ctx)


def test_corpus_shape() -> None:
    drafts = [(t, d) for part in PARTS for t in corpus_threads(part)
              for d in t["draft"]]
    assert len(drafts) >= 200
    good = [d for _, d in drafts if not d["expect"]]
    assert abs(len(good) * 2 - len(drafts)) <= len(drafts) // 50  # about half (u16 has two good)
    assert {t["profile"] for t, _ in drafts} == {"playful", "prestige"}
    assert {t["platform"] for t, _ in drafts} == {"mastodon", "bluesky", "x"}
    assert len({t["lang"] for t, _ in drafts}) >= 5


@pytest.mark.parametrize("part", PARTS)
def test_no_error_on_a_good_reply(part: str, profiles: dict[str, voice.Profile]) -> None:
    for thread in corpus_threads(part):
        for draft in thread["draft"]:
            if not draft["expect"]:
                errors = [f.message for f in _check(thread, draft["text"], profiles)
                          if f.severity == "error"]
                assert errors == [], (thread["id"], draft["text"])


def test_tuning_recall_and_precision(profiles: dict[str, voice.Profile]) -> None:
    tp = fp = fn = 0
    for thread in corpus_threads("tuning"):
        for draft in thread["draft"]:
            fired = {f.kind for f in _check(thread, draft["text"], profiles)
                     if f.severity in ("error", "warning")}
            expect = set(draft["expect"])
            tp, fp, fn = tp + len(fired & expect), fp + len(fired - expect), fn + len(expect - fired)
    assert tp / (tp + fn) >= 0.9
    assert tp / (tp + fp) >= 0.9


def test_upset_customers_are_read_as_upset(profiles: dict[str, voice.Profile]) -> None:
    found = total = alarms = calm = 0
    for thread in corpus_threads("tuning"):
        mood = voice.mood_of(voice.CheckContext(reply_to=thread["message"]))
        upset = mood.compound is not None and mood.compound <= -0.3
        if thread["upset"]:
            total, found = total + 1, found + upset
        else:
            calm, alarms = calm + 1, alarms + upset
    assert found / total >= 0.9
    assert alarms / calm <= 0.05


def test_upset_detection_in_every_language(profiles: dict[str, voice.Profile]) -> None:
    """Issue 12's target over the whole corpus: recall >= 0.85, false alarms <= 5 %, per language."""
    rows: dict[str, list[int]] = {}
    for part in PARTS:
        for thread in corpus_threads(part):
            mood = voice.mood_of(voice.CheckContext(reply_to=thread["message"]))
            threshold = profiles[thread["profile"]].empathy.negative_threshold
            upset = mood.compound is not None and mood.compound <= threshold
            row = rows.setdefault(thread["lang"], [0, 0, 0, 0])  # upset, found, calm, alarms
            if thread["upset"]:
                row[0], row[1] = row[0] + 1, row[1] + upset
            else:
                row[2], row[3] = row[2] + 1, row[3] + upset
    assert len(rows) == 7
    for lang, (total, found, calm, alarms) in rows.items():
        assert found / total >= 0.85, (lang, found, total)
        assert alarms / calm <= 0.05, (lang, alarms, calm)

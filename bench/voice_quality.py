"""Quality of the voice checks on the labelled corpus in tests/voice_corpus/.

For each part of the corpus (``tuning``: used while tuning; ``heldout``:
never tuned on) it prints:

* recall and precision per finding kind, and over all kinds: a kind "fires"
  on a draft when the checker gives it as an error or a warning (tips, the
  "suggestion" severity, are not faults and are counted separately);
* errors on good replies (target: none) and warnings per ten good replies
  (target: at most one);
* upset detection on the customer messages, per language: recall (upset
  customers read as upset, at the profile's threshold), false alarms (calm
  customers read as upset) and how many moods were "unknown".

Usage: python bench/voice_quality.py [--part tuning|heldout|all] [--verbose]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from console.core import voice  # noqa: E402 - after the sys.path line

# The corpus, its parts and its brand's settings are the test's: one loader for both.
from tests.core.test_voice_corpus import BRAND, PARTS, corpus_threads  # noqa: E402


@dataclass(frozen=True)
class Draft:
    """One labelled draft and its thread."""

    part: str
    thread: dict[str, Any]
    text: str
    expect: frozenset[str]


def load(part: str) -> list[Draft]:
    """Read one part of the corpus."""
    drafts = []
    for thread in corpus_threads(part):
        for draft in thread["draft"]:
            drafts.append(Draft(part, thread, draft["text"], frozenset(draft["expect"])))
    return drafts


def context(thread: dict[str, Any]) -> voice.CheckContext:
    """The check context a thread stands for."""
    return voice.CheckContext(
        platform=thread["platform"],
        reply_to=thread["message"],
        open_issues=tuple(thread.get("issues", ())),
        template_body=thread.get("template"),
        public=thread.get("public", True),
        agent_initials="PK",
        **BRAND,  # type: ignore[arg-type]
    )


def evaluate(drafts: list[Draft], profiles: dict[str, voice.Profile], verbose: bool) -> dict[str, Any]:
    """Score the checker on ``drafts`` and print the figures."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    good = errors_on_good = warnings_on_good = good_with_warning = tips_on_good = 0
    for d in drafts:
        profile = profiles[d.thread["profile"]]
        findings = voice.check(d.text, profile, context=context(d.thread))
        fired = {f.kind for f in findings if f.severity in ("error", "warning")}
        for kind in fired & d.expect:
            tp[kind] += 1
        for kind in fired - d.expect:
            fp[kind] += 1
        for kind in d.expect - fired:
            fn[kind] += 1
        if not d.expect:
            good += 1
            errors_on_good += sum(1 for f in findings if f.severity == "error")
            warnings = sum(1 for f in findings if f.severity == "warning")
            warnings_on_good += warnings
            good_with_warning += warnings > 0
            tips_on_good += sum(1 for f in findings if f.severity == "suggestion")
        if verbose and fired != d.expect:
            print(f"  {d.thread['id']} expect {sorted(d.expect)} got {sorted(fired)}: {d.text[:70]!r}")
            for f in findings:
                if f.kind in (fired ^ d.expect):
                    print(f"      {f.severity} {f.rule}: {f.message[:90]}")
    kinds = sorted(set(tp) | set(fp) | set(fn), key=voice.KINDS.index)
    print(f"  {'kind':<18} {'recall':>7} {'precision':>9}   tp  fp  fn")
    for kind in kinds:
        r = tp[kind] / (tp[kind] + fn[kind]) if tp[kind] + fn[kind] else float("nan")
        p = tp[kind] / (tp[kind] + fp[kind]) if tp[kind] + fp[kind] else float("nan")
        print(f"  {kind:<18} {r:>7.2f} {p:>9.2f}  {tp[kind]:>3} {fp[kind]:>3} {fn[kind]:>3}")
    all_tp, all_fp, all_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    recall = all_tp / (all_tp + all_fn) if all_tp + all_fn else 1.0
    precision = all_tp / (all_tp + all_fp) if all_tp + all_fp else 1.0
    print(f"  {'ALL':<18} {recall:>7.2f} {precision:>9.2f}  {all_tp:>3} {all_fp:>3} {all_fn:>3}")
    print(f"  good replies: {good}; errors on them: {errors_on_good}; "
          f"warnings: {warnings_on_good} ({warnings_on_good * 10 / max(good, 1):.2f} per ten), "
          f"on {good_with_warning} replies; tips: {tips_on_good}")
    return {"recall": recall, "precision": precision, "errors_on_good": errors_on_good,
            "warnings_per_ten_good": warnings_on_good * 10 / max(good, 1)}


def upset_detection(drafts: list[Draft], profiles: dict[str, voice.Profile],
                    verbose: bool) -> dict[str, Counter[str]]:
    """Upset recall and false alarms per language, one count per thread."""
    seen: dict[str, dict[str, Any]] = {}
    for d in drafts:
        seen.setdefault(d.thread["id"], d.thread)
    stats: dict[str, Counter[str]] = defaultdict(Counter)
    for thread in seen.values():
        mood = voice.mood_of(voice.CheckContext(reply_to=thread["message"]))
        threshold = profiles[thread["profile"]].empathy.negative_threshold
        upset = mood.compound is not None and mood.compound <= threshold
        row = stats[thread["lang"]]
        if thread["upset"]:
            row["upset"] += 1
            row["found"] += upset
        else:
            row["calm"] += 1
            row["alarm"] += upset
        row["unknown"] += mood.compound is None
        if verbose and upset != thread["upset"]:
            print(f"  {thread['id']} upset={thread['upset']} read {mood.compound} {mood.language} "
                  f"{mood.cues}: {thread['message'][:70]!r}")
    print(f"  {'lang':<5} {'upset':>5} {'recall':>7} {'calm':>5} {'false alarms':>13} {'unknown':>8}")
    total: Counter[str] = Counter()
    for lang in sorted(stats, key=lambda k: (k != "en", k)):
        row = stats[lang]
        total.update(row)
        _upset_row(lang, row)
    _upset_row("ALL", total)
    return stats


def _upset_row(name: str, row: Counter[str]) -> None:
    recall = row["found"] / row["upset"] if row["upset"] else float("nan")
    alarms = row["alarm"] / row["calm"] if row["calm"] else float("nan")
    print(f"  {name:<5} {row['upset']:>5} {recall:>7.2f} {row['calm']:>5} {alarms:>13.2f} "
          f"{row['unknown']:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=(*PARTS, "all"), default="all")
    parser.add_argument("--verbose", action="store_true", help="list every disagreement")
    args = parser.parse_args()
    profiles = voice.load_profiles(ROOT / "resources" / "voice")
    parts = PARTS if args.part == "all" else (args.part,)
    corpus: dict[str, Counter[str]] = defaultdict(Counter)
    for part in parts:
        drafts = load(part)
        threads = len({d.thread["id"] for d in drafts})
        langs = sorted({d.thread["lang"] for d in drafts})
        print(f"== {part}: {len(drafts)} drafts, {threads} customer messages, "
              f"languages {', '.join(langs)}")
        evaluate(drafts, profiles, args.verbose)
        for lang, row in upset_detection(drafts, profiles, args.verbose).items():
            corpus[lang].update(row)
        print()
    if len(parts) > 1:
        # The targets hold per language over the whole corpus (one part has few of each).
        print(f"== upset detection, all parts: {sum(r['upset'] + r['calm'] for r in corpus.values())} "
              "customer messages")
        print(f"  {'lang':<5} {'upset':>5} {'recall':>7} {'calm':>5} {'false alarms':>13} {'unknown':>8}")
        total: Counter[str] = Counter()
        for lang in sorted(corpus, key=lambda k: (k != "en", k)):
            total.update(corpus[lang])
            _upset_row(lang, corpus[lang])
        _upset_row("ALL", total)


if __name__ == "__main__":
    main()

"""Structural checks for the bundled demo workspace (resources/demo/workspace.json).

Stdlib only: no Qt, no console imports. The file is hand-written; these tests keep it
loadable (references, timestamps, status transitions) and keep every demo scenario
the app's screens rely on present, found through the threads' ``tags``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo" / "workspace.json"

REQUIRED_TAGS = {
    "complaint", "question", "praise", "bounced", "multi-issue", "dm", "non-english",
    "emoji", "long", "one-word", "reopened", "resolved", "waiting", "unanswered",
    "assigned", "notes", "merge", "markup", "outage", "private-data",
}
EVENT_TYPES = {"message", "reply", "assign", "status", "note", "issues", "tick", "merge"}
MESSAGE_KINDS = {"mention", "reply", "dm", "comment"}
STATUSES = {"open", "waiting", "resolved", "closed"}
TRANSITIONS = {
    "new": {"open", "waiting", "resolved", "closed"},
    "open": {"waiting", "resolved", "closed"},
    "waiting": {"open", "resolved", "closed"},
    "resolved": {"open", "closed"},
    "closed": {"open"},
}
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
EMAIL_RE = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
MASTODON_HANDLE_RE = re.compile(r"^@[\w.]+@[\w.-]+\.example$")
BLUESKY_HANDLE_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*\.example$")
LOCAL_USER = "Sam Rivera"


def _ts(value: str) -> dt.datetime:
    assert isinstance(value, str) and TS_RE.match(value), f"bad timestamp {value!r}"
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def raw() -> str:
    return DEMO.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def data(raw: str) -> dict:
    return json.loads(raw)


@pytest.fixture(scope="module")
def accounts(data) -> dict:
    return {a["key"]: a for a in data["accounts"]}


@pytest.fixture(scope="module")
def customers(data) -> dict:
    return {c["key"]: c for c in data["customers"]}


@pytest.fixture(scope="module")
def anchor(data) -> dt.datetime:
    return _ts(data["anchor"])


@pytest.fixture(scope="module")
def threads(data) -> list:
    return data["threads"]


def _tagged(threads, tag):
    return [t for t in threads if tag in t["tags"]]


def _of(thread, *types):
    return [e for e in thread["events"] if e["type"] in types]


def _final_status(thread):
    statuses = _of(thread, "status")
    return statuses[-1]["to"] if statuses else None


def _inbound(threads):
    return [e for t in threads for e in _of(t, "message")]


# ----------------------------------------------------------------------------- file & header


def test_file_is_utf8_pretty_json(raw):
    assert raw.endswith("\n")
    assert "\\u" not in raw, "write non-ASCII text as UTF-8, not \\u escapes"
    lines = raw.splitlines()
    assert len(lines) > 300, "expected a readable layout, about one event per line"


def test_header(data, anchor):
    assert set(data) == {"format", "brand", "anchor", "agents", "accounts", "customers", "threads"}
    assert data["format"] == 1
    brand = data["brand"]
    assert brand["name"]
    assert brand["agent"] == LOCAL_USER
    assert brand["initials"] == "SR"
    assert brand["domains"] and all(d.endswith(".example") for d in brand["domains"])
    assert data["agents"][0] == LOCAL_USER
    assert len(set(data["agents"])) == len(data["agents"]) >= 3
    assert anchor.tzinfo is not None


def test_accounts(data, accounts):
    assert len(accounts) == len(data["accounts"]) >= 4
    by_platform = defaultdict(set)
    for a in data["accounts"]:
        for field in ("key", "platform", "handle", "display_name", "role", "server",
                      "voice_profile", "timezone"):
            assert a.get(field), f"{a['key']}: missing {field}"
        assert a["platform"] in {"mastodon", "bluesky"}
        assert a["role"] in {"support", "marketing"}
        assert a["voice_profile"] in {"playful", "prestige"}
        assert a["server"].startswith("https://") and a["server"].endswith(".example")
        handle_re = MASTODON_HANDLE_RE if a["platform"] == "mastodon" else BLUESKY_HANDLE_RE
        assert handle_re.match(a["handle"]), a["handle"]
        by_platform[a["platform"]].add(a["role"])
    assert len(by_platform) >= 2
    for platform, roles in by_platform.items():
        assert roles == {"support", "marketing"}, platform
    prestige = [a for a in data["accounts"] if a["voice_profile"] == "prestige"]
    assert len(prestige) == 1 and prestige[0]["role"] == "marketing"
    zones = Counter(a["timezone"] for a in data["accounts"])
    assert zones["America/New_York"] >= 1
    assert zones["Europe/London"] > len(accounts) / 2
    assert len({a["handle"] for a in data["accounts"]}) == len(accounts)


def test_customers(data, customers, accounts, threads):
    assert len(customers) == len(data["customers"]) >= 40
    platforms = {a["platform"] for a in accounts.values()}
    seen_handles = set()
    for c in data["customers"]:
        assert c["name"].strip()
        assert c["handles"], c["key"]
        for platform, handle in c["handles"].items():
            assert platform in platforms
            handle_re = MASTODON_HANDLE_RE if platform == "mastodon" else BLUESKY_HANDLE_RE
            assert handle_re.match(handle), handle
            assert (platform, handle) not in seen_handles, f"duplicate handle {handle}"
            seen_handles.add((platform, handle))
    both = [c for c in data["customers"] if len(c["handles"]) >= 2]
    assert len(both) >= 3
    used = {t["customer"] for t in threads}
    assert used == set(customers), f"customers without threads: {set(customers) - used}"


# ----------------------------------------------------------------------------- volume & time


def test_volume(threads):
    assert len(threads) >= 60
    messages = sum(len(_of(t, "message")) for t in threads)
    replies = sum(len(_of(t, "reply")) for t in threads)
    assert messages + replies >= 300


def test_timestamps_window(threads, anchor):
    start = anchor - dt.timedelta(days=21)
    every = []
    for t in threads:
        times = [_ts(e["at"]) for e in t["events"]]
        assert times == sorted(times), f"{t['customer']}: events out of order"
        assert all(start <= x <= anchor for x in times), t["customer"]
        every += times
    latest = max(every)
    assert anchor - dt.timedelta(hours=2) <= latest <= anchor
    assert min(every) <= anchor - dt.timedelta(days=18), "spread over the whole three weeks"
    # threads start in each of the three weeks
    weeks = Counter((anchor - _ts(t["events"][0]["at"])).days // 7 for t in threads)
    assert all(weeks[w] >= 10 for w in range(3)), weeks


def test_realistic_times(threads):
    inbound = [_ts(e["at"]) for e in _inbound(threads)]
    assert sum(1 for x in inbound if x.weekday() >= 5) >= 10, "weekend messages"
    assert sum(1 for x in inbound if x.hour >= 22 or x.hour < 6) >= 5, "night messages"
    replies = [_ts(e["at"]) for t in threads for e in _of(t, "reply")]
    daytime = sum(1 for x in replies if 8 <= x.hour < 22)
    weekday = sum(1 for x in replies if x.weekday() < 5)
    assert daytime >= 0.9 * len(replies)
    assert weekday >= 0.8 * len(replies)


# ----------------------------------------------------------------------------- events


def test_event_shapes_and_references(data, threads, accounts, customers):
    agents = set(data["agents"])
    for t in threads:
        assert t["customer"] in customers
        assert isinstance(t["tags"], list) and t["tags"]
        assert set(t["tags"]) <= REQUIRED_TAGS, set(t["tags"]) - REQUIRED_TAGS
        assert t["events"][0]["type"] == "message", "a case starts with the customer writing"
        handles = customers[t["customer"]]["handles"]
        for e in t["events"]:
            assert e["type"] in EVENT_TYPES, e
            if e["type"] == "message":
                assert e["account"] in accounts
                assert e["kind"] in MESSAGE_KINDS
                assert accounts[e["account"]]["platform"] in handles, (t["customer"], e["account"])
                assert isinstance(e["text"], str) and e["text"].strip()
                assert "by" not in e
            elif e["type"] == "reply":
                assert e["account"] in accounts
                assert e["by"] in agents
                assert isinstance(e["text"], str) and e["text"].strip()
                assert "kind" not in e
            elif e["type"] == "assign":
                assert e["by"] in agents and e["to"] in agents
            elif e["type"] == "status":
                assert e["by"] in agents and e["to"] in STATUSES
            elif e["type"] == "note":
                assert e["by"] in agents and e["text"].strip()
            elif e["type"] == "issues":
                assert e["by"] in agents and e["items"]
                assert all(isinstance(i, str) and i.strip() for i in e["items"])
            elif e["type"] == "tick":
                assert e["by"] in agents and isinstance(e["item"], int)
            elif e["type"] == "merge":
                assert e["by"] in agents
                assert e["with"] in customers and e["with"] != t["customer"]


def test_ids_and_threading(threads):
    seen = set()
    for t in threads:
        local = set()
        for e in t["events"]:
            if e["type"] not in ("message", "reply"):
                assert "id" not in e and "in_reply_to" not in e
                continue
            if "in_reply_to" in e:
                assert e["in_reply_to"] in local, f"{e.get('id')}: parent not earlier in thread"
            if "id" in e:
                assert isinstance(e["id"], str) and e["id"] not in seen, e["id"]
                seen.add(e["id"])
                local.add(e["id"])


def test_first_reply_follows_a_message(threads):
    for t in threads:
        for e in t["events"]:
            if e["type"] == "reply":
                break
            assert e["type"] != "reply"


def test_status_transitions(threads):
    for t in threads:
        possible = {"new"}
        for e in t["events"]:
            if e["type"] == "reply":
                possible = {"open" if s == "new" else s for s in possible}
            elif e["type"] == "message":
                if possible & {"resolved", "closed"}:
                    assert "reopened" in t["tags"], f"{t['customer']}: writes after resolution"
                    possible = {"open"}
                elif "waiting" in possible:
                    # the loader may or may not reopen a case waiting on the customer
                    possible = possible | {"open"}
            elif e["type"] == "status":
                for s in possible:
                    assert e["to"] in TRANSITIONS[s], f"{t['customer']}: {s} -> {e['to']}"
                possible = {e["to"]}


def test_issues_and_ticks(threads):
    for t in threads:
        count = 0
        ticked = set()
        for e in t["events"]:
            if e["type"] == "issues":
                count += len(e["items"])
            elif e["type"] == "tick":
                assert 0 <= e["item"] < count, t["customer"]
                assert e["item"] not in ticked
                ticked.add(e["item"])


def test_merges(threads):
    first_message = {}
    for t in threads:
        for e in _of(t, "message"):
            at = _ts(e["at"])
            first_message[t["customer"]] = min(at, first_message.get(t["customer"], at))
    for t in threads:
        for e in _of(t, "merge"):
            at = _ts(e["at"])
            assert first_message[t["customer"]] <= at
            assert e["with"] in first_message and first_message[e["with"]] <= at


def test_threads_of_one_customer_do_not_overlap(threads):
    by_customer = defaultdict(list)
    for t in threads:
        by_customer[t["customer"]].append(t)
    repeat = 0
    for key, ts in by_customer.items():
        ts.sort(key=lambda t: t["events"][0]["at"])
        for a, b in zip(ts, ts[1:]):
            repeat += 1
            assert _ts(a["events"][-1]["at"]) < _ts(b["events"][0]["at"]), key
            assert _final_status(a) in {"resolved", "closed"}, key
    assert repeat >= 1, "at least one returning customer"


# ----------------------------------------------------------------------------- voice & hygiene


def test_replies_are_signed_in_voice(threads, accounts):
    for t in threads:
        for e in _of(t, "reply"):
            first, last = e["by"].split()
            if accounts[e["account"]]["voice_profile"] == "prestige":
                assert e["text"].endswith(f"— {first}, Kettle & Crumb Atelier"), e["text"]
                assert "!" not in e["text"]
                assert not any(ord(ch) >= 0x1F000 for ch in e["text"]), "no emoji in prestige"
            else:
                assert e["text"].endswith(f"^{first[0]}{last[0]}"), e["text"]


def test_platform_length_limits(threads, accounts):
    for t in threads:
        for e in _of(t, "message", "reply"):
            platform = accounts[e["account"]]["platform"]
            public = e.get("kind", "reply") != "dm" and (
                e["type"] == "message" or "in_reply_to" in e
            )
            n = len(e["text"])
            if e["type"] == "reply":
                assert n <= 1000
            if public and platform == "bluesky":
                assert n <= 300, e["text"][:60]
            if public and platform == "mastodon" and e["type"] == "reply":
                assert n <= 500, e["text"][:60]


def test_replies_keep_private_data_private(data, threads):
    domains = set(data["brand"]["domains"])
    for t in threads:
        for e in _of(t, "reply"):
            for m in EMAIL_RE.finditer(e["text"]):
                assert m.group(1) in domains, e["text"]
            assert not re.search(r"\b07\d{3}\s?\d{6}\b", e["text"]), "phone number in reply"


def test_texts_are_not_duplicated(threads):
    texts = Counter(e["text"] for t in threads for e in _of(t, "message", "reply", "note")
                    if len(e["text"]) > 25)
    assert [x for x, n in texts.items() if n > 1] == []


# ----------------------------------------------------------------------------- scenarios


def test_every_scenario_is_tagged(threads):
    tags = Counter(tag for t in threads for tag in t["tags"])
    assert REQUIRED_TAGS <= set(tags), REQUIRED_TAGS - set(tags)
    assert all(1 <= len(t["tags"]) <= 5 for t in threads)


def test_tone_mix(threads):
    assert len(_tagged(threads, "complaint")) >= 15
    assert len(_tagged(threads, "question")) >= 15
    assert len(_tagged(threads, "praise")) >= 6
    shouting = [e for e in _inbound(threads)
                if sum(c.isalpha() for c in e["text"]) > 40
                and sum(c.isupper() for c in e["text"]) > 0.7 * sum(c.isalpha() for c in e["text"])]
    assert shouting, "a very angry message in capitals"


def test_bounced(threads, accounts):
    bounced = _tagged(threads, "bounced")
    assert len(bounced) >= 2
    cross = 0
    for t in bounced:
        events = _of(t, "message", "reply")
        first = events[0]
        assert first["type"] == "message" and accounts[first["account"]]["role"] == "marketing"
        bounce = next(i for i, e in enumerate(events)
                      if e["type"] == "reply" and e["account"] == first["account"])
        later = [e for e in events[bounce + 1:] if e["type"] == "message"]
        assert any(accounts[e["account"]]["role"] == "support" for e in later), t["customer"]
        platforms = {accounts[e["account"]]["platform"] for e in events}
        cross += len(platforms) > 1
    assert cross >= 1, "one bounce crosses platforms"


def test_multi_issue(threads):
    multi = _tagged(threads, "multi-issue")
    assert multi
    for t in multi:
        items = sum(len(e["items"]) for e in _of(t, "issues"))
        ticks = len(_of(t, "tick"))
        assert items >= 3 and ticks >= 1
    assert any(len(_of(t, "tick")) < sum(len(e["items"]) for e in _of(t, "issues"))
               for t in multi), "one checklist still has an open item"


def test_dm_threads(threads):
    dms = _tagged(threads, "dm")
    assert len(dms) >= 3
    for t in dms:
        assert sum(1 for e in _of(t, "message") if e["kind"] == "dm") >= 2, t["customer"]
        assert len(_of(t, "reply")) >= 1 or "unanswered" in t["tags"]
    assert sum(1 for t in dms if len(_of(t, "reply")) >= 2) >= 3, "several back-and-forth"


def test_non_english(threads):
    foreign = _tagged(threads, "non-english")
    assert len(foreign) >= 4
    for t in foreign:
        text = t["events"][0]["text"]
        assert any(ord(ch) > 127 and (ch.isalpha() or ch in "¿¡") for ch in text), text


def test_emoji(threads):
    text = " ".join(e["text"] for t in _tagged(threads, "emoji") for e in _of(t, "message"))
    assert "\u200d" in text, "a ZWJ sequence"
    assert re.search("[\U0001F1E6-\U0001F1FF]{2}", text), "a flag"


def test_long_and_one_word(threads):
    assert any(len(e["text"]) >= 1500 for t in _tagged(threads, "long") for e in _of(t, "message"))
    assert all(len(e["text"]) < 1500 for t in threads if "long" not in t["tags"]
               for e in _of(t, "message"))
    for t in _tagged(threads, "one-word"):
        assert any(len(e["text"].split()) == 1 for e in _of(t, "message")), t["customer"]


def test_reopened(threads):
    reopened = _tagged(threads, "reopened")
    assert len(reopened) >= 1
    for t in reopened:
        events = t["events"]
        done = next(i for i, e in enumerate(events)
                    if e["type"] == "status" and e["to"] in {"resolved", "closed"})
        assert any(e["type"] == "message" for e in events[done + 1:]), t["customer"]


def test_final_status_tags(threads):
    for t in threads:
        final = _final_status(t)
        ends_inbound = t["events"][-1]["type"] == "message"
        assert ("resolved" in t["tags"]) == (final in {"resolved", "closed"} and not ends_inbound), \
            t["customer"]
        assert ("waiting" in t["tags"]) == (final == "waiting" and not ends_inbound), t["customer"]
        if "resolved" in t["tags"]:
            assert _of(t, "reply")
    assert len(_tagged(threads, "resolved")) >= 5
    assert len(_tagged(threads, "waiting")) >= 3


def test_unanswered(threads, anchor):
    for t in threads:
        assert ("unanswered" in t["tags"]) == (t["events"][-1]["type"] == "message"), t["customer"]
    never = [t for t in _tagged(threads, "unanswered") if not _of(t, "reply")]
    assert len(never) >= 15
    ages = [anchor - _ts(t["events"][-1]["at"]) for t in _tagged(threads, "unanswered")]
    assert min(ages) <= dt.timedelta(minutes=30)
    assert max(ages) >= dt.timedelta(hours=60)
    assert max(ages) <= dt.timedelta(days=3)


def test_assigned(threads):
    for t in threads:
        to_others = [e for e in _of(t, "assign") if e["to"] != LOCAL_USER]
        assert ("assigned" in t["tags"]) == bool(to_others), t["customer"]
    assigned = _tagged(threads, "assigned")
    assert 3 <= len(assigned) <= len(threads) / 4, "most cases stay with Sam"
    assert {e["to"] for t in assigned for e in _of(t, "assign")} == {"Priya Nair", "Tom Okafor"}


def test_notes_and_merge_tags(threads):
    for t in threads:
        assert ("notes" in t["tags"]) == bool(_of(t, "note")), t["customer"]
        assert ("merge" in t["tags"]) == bool(_of(t, "merge")), t["customer"]
    assert len(_tagged(threads, "merge")) >= 1


def test_merge_is_cross_platform(threads, customers):
    for t in _tagged(threads, "merge"):
        for e in _of(t, "merge"):
            a = set(customers[t["customer"]]["handles"])
            b = set(customers[e["with"]]["handles"])
            assert a != b, "the two records are the same person on different platforms"


def test_markup(threads):
    pattern = re.compile(r"<script>|<b>|&amp;")
    assert any(pattern.search(e["text"]) for t in _tagged(threads, "markup")
               for e in _of(t, "message"))


def test_outage(threads):
    outage = _tagged(threads, "outage")
    assert len(outage) >= 3
    starts = [_ts(t["events"][0]["at"]) for t in outage]
    assert len({s.date() for s in starts}) == 1
    assert max(starts) - min(starts) <= dt.timedelta(hours=3)


def test_private_data(threads):
    hits = [e for t in _tagged(threads, "private-data") for e in _of(t, "message")
            if e["kind"] != "dm" and EMAIL_RE.search(e["text"]) and re.search(r"KC-\d{4,}", e["text"])]
    assert hits, "a public message with an order number and an email address"

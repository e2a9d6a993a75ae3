"""Business-hours arithmetic and report figures, checked against hand-computed values."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from console.core import reports
from console.core.errors import KnownError
from console.core.models import CaseStatus, Platform
from console.core.reports import BusinessHours, Distribution, InvalidHoursError
from console.core.store import Store
from tests.conftest import msg

UTC = dt.UTC
WEEKDAYS_9_1730 = {"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:30"}


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


# ----------------------------------------------------------- business hours
def test_weekend_is_skipped() -> None:
    london = BusinessHours.from_json(WEEKDAYS_9_1730, "Europe/London")
    # Winter (GMT = UTC): Friday 17:00 to Monday 09:30 is 30 + 30 minutes of work.
    assert london.seconds_between(at(2026, 1, 9, 17, 0), at(2026, 1, 12, 9, 30)) == 3600
    # Saturday to Sunday: nothing.
    assert london.seconds_between(at(2026, 1, 10, 8), at(2026, 1, 11, 20)) == 0
    # A full working week.
    assert london.seconds_between(at(2026, 1, 12), at(2026, 1, 19)) == 5 * 8.5 * 3600
    # Reversed or empty intervals are zero, never negative.
    assert london.seconds_between(at(2026, 1, 12, 12), at(2026, 1, 12, 11)) == 0


def test_daylight_saving_change_moves_the_window_in_utc() -> None:
    london = BusinessHours.from_json(WEEKDAYS_9_1730, "Europe/London")
    # Clocks go forward on Sunday 29 March 2026.  Friday 16:30 GMT (16:30 UTC) to
    # Monday 08:30 UTC (09:30 BST): one hour on Friday plus half an hour on Monday.
    assert london.seconds_between(at(2026, 3, 27, 16, 30), at(2026, 3, 30, 8, 30)) == 5400
    # A window of fixed UTC offset would have said one hour.
    # Back to GMT on Sunday 25 October: Friday 16:30 BST (15:30 UTC) to Monday 09:30 GMT.
    assert london.seconds_between(at(2026, 10, 23, 15, 30), at(2026, 10, 26, 9, 30)) == 5400
    always = BusinessHours.from_json({"days": list(range(7)), "start": "00:00",
                                      "end": "24:00"}, "Europe/London")
    tz = london.tz
    spring = dt.datetime(2026, 3, 29, tzinfo=tz), dt.datetime(2026, 3, 30, tzinfo=tz)
    autumn = dt.datetime(2026, 10, 25, tzinfo=tz), dt.datetime(2026, 10, 26, tzinfo=tz)
    assert always.seconds_between(*spring) == 23 * 3600
    assert always.seconds_between(*autumn) == 25 * 3600
    assert always.seconds_between(at(2026, 3, 28, 23), at(2026, 3, 29, 23)) == 24 * 3600


def test_two_time_zones_count_the_same_interval_differently() -> None:
    london = BusinessHours.from_json(WEEKDAYS_9_1730, "Europe/London")
    new_york = BusinessHours.from_json({"days": [0, 1, 2, 3, 4], "start": "09:00",
                                        "end": "17:00"}, "America/New_York")
    start, end = at(2026, 3, 27, 20), at(2026, 3, 30, 14)
    # New York (EDT, UTC-4 since 8 March): Friday 16:00-17:00 and Monday 09:00-10:00.
    assert new_york.seconds_between(start, end) == 2 * 3600
    # London: Friday 20:00 is after hours; Monday 15:00 BST, six hours in.
    assert london.seconds_between(start, end) == 6 * 3600
    # Between 8 and 29 March the two zones are four hours apart, not five.
    assert new_york.window(dt.date(2026, 3, 16))[0] - london.window(dt.date(2026, 3, 16))[0] \
        == 4 * 3600
    assert new_york.window(dt.date(2026, 4, 6))[0] - london.window(dt.date(2026, 4, 6))[0] \
        == 5 * 3600


def test_holidays_and_24_7() -> None:
    hours = dict(WEEKDAYS_9_1730, holidays=["2026-12-25"])
    london = BusinessHours.from_json(hours, "Europe/London")
    assert london.seconds_between(at(2026, 12, 24), at(2026, 12, 26)) == 8.5 * 3600
    assert london.to_json() == hours
    assert "Mon, Tue, Wed, Thu, Fri 09:00–17:30 (Europe/London)" == london.describe()
    always = BusinessHours.from_json(None, "Asia/Tokyo")
    assert always.seconds_between(at(2026, 1, 1), at(2026, 1, 3)) == 2 * 86400
    assert always.to_json() is None and always.describe() == "24/7 (Asia/Tokyo)"


@pytest.mark.parametrize("hours, timezone, problem", [
    ({"days": [0], "start": "17:00", "end": "09:00"}, "UTC", "end after"),
    ({"days": [7], "start": "09:00", "end": "17:00"}, "UTC", "weekday"),
    ({"days": [0], "start": "9am", "end": "17:00"}, "UTC", "time like"),
    ({"days": [0], "start": "09:00", "end": "24:30"}, "UTC", "time of day"),
    (WEEKDAYS_9_1730, "Mars/Olympus_Mons", "Unknown time zone"),
])
def test_unusable_hours_are_refused(hours: dict, timezone: str, problem: str) -> None:
    with pytest.raises(InvalidHoursError, match=problem):
        BusinessHours.from_json(hours, timezone)


def test_distribution_median_p90_and_buckets() -> None:
    d = Distribution.of([600, 60, 3 * 3600, 30 * 3600])
    # Sorted: 1 min, 10 min, 3 h, 30 h.  Median: mean of the middle two.
    assert (d.count, d.median, d.p90, d.mean) == (4, 5700.0, 30 * 3600, 29865.0)
    assert d.buckets == (2, 0, 1, 0, 0, 1)
    assert Distribution.of([]).median is None and Distribution.of([]).count == 0
    ten = Distribution.of(range(1, 11))
    assert ten.p90 == 9 and ten.median == 5.5


# ---------------------------------------------------------- report figures
SCORES = {"B1 late order": -0.6, "B2 still here": 0.0, "A where is it": -0.2,
          "C lovely mug": 0.4, "F broken": -0.9}


@pytest.fixture
def fixture_store(store: Store) -> Store:
    """Seven cases on three accounts in two time zones around the March 2026 DST changes."""
    london = store.find_account("@help@kettle.example").id
    hello = store.find_account("@hello@kettle.example").id  # 24/7, UTC
    ny = store.find_account("help.kettle.example").id
    store.set_account_hours(london, timezone="Europe/London", business_hours=WEEKDAYS_9_1730)
    store.set_account_hours(ny, timezone="America/New_York",
                            business_hours={"days": [0, 1, 2, 3, 4], "start": "09:00",
                                            "end": "17:00"})

    def case(author: str, text: str, when: dt.datetime, account: str, platform: str = "mastodon"
             ) -> int:
        store.ingest([msg(author, text, at=when, account=account, platform=Platform(platform))],
                     scorer=SCORES.get)
        return store.current_case_of(store.contact_of_handle(platform, author))

    a = case("@a@x.social", "A where is it", at(2026, 3, 27, 16, 30), "@help@kettle.example")
    store.record_outbound(a, account_id=london, text="On it", at=at(2026, 3, 30, 8, 30))
    store.set_status(a, CaseStatus.RESOLVED, at=at(2026, 3, 30, 12))
    b = case("@b@x.social", "B1 late order", at(2026, 3, 24, 10), "@help@kettle.example")
    store.record_outbound(b, account_id=london, text="Sorry", at=at(2026, 3, 24, 10, 20))
    case("@b@x.social", "B2 still here", at(2026, 3, 24, 11), "@help@kettle.example")
    c = case("@c@x.social", "C lovely mug", at(2026, 3, 28, 10), "@help@kettle.example")
    store.record_outbound(c, account_id=london, text="Thanks!", at=at(2026, 3, 28, 11))
    store.set_status(c, CaseStatus.RESOLVED, at=at(2026, 3, 30, 8, 10))
    d = case("d.bsky.social", "D help", at(2026, 3, 27, 20), "help.kettle.example", "bluesky")
    store.record_outbound(d, account_id=ny, text="Looking", at=at(2026, 3, 30, 14))
    store.set_status(d, CaseStatus.WAITING, at=at(2026, 3, 30, 14, 5))
    case("e.bsky.social", "E hello?", at(2026, 3, 23, 13), "help.kettle.example", "bluesky")
    case("g.bsky.social", "G late night", at(2026, 3, 28, 2), "help.kettle.example", "bluesky")
    f = case("@f@x.social", "F broken", at(2026, 3, 29, 0, 30), "@hello@kettle.example")
    store.record_outbound(f, account_id=hello, text="Replacing it", at=at(2026, 3, 29, 2, 30))
    store.set_status(f, CaseStatus.RESOLVED, at=at(2026, 3, 29, 3))
    case("h.bsky.social", "H new", at(2026, 3, 31, 6), "kettle.example", "bluesky")
    # Outside the period: counted nowhere but in the backlog.
    case("@old@x.social", "Old", at(2026, 2, 1, 10), "@help@kettle.example")
    return store


def build(store: Store) -> reports.Report:
    return reports.build_report(store, since=at(2026, 3, 23), until=at(2026, 4, 6),
                                now=at(2026, 3, 31, 12))


def test_report_figures_equal_hand_computed_values(fixture_store: Store) -> None:
    report = build(fixture_store)
    by = {a.handle: a for a in report.accounts}
    london, hello = by["@help@kettle.example"], by["@hello@kettle.example"]
    ny, quiet = by["help.kettle.example"], by["kettle.example"]
    # London: A 1h Fri + 30m Mon (BST) = 5400; B 20 minutes; C answered on a Saturday = 0.
    assert (london.cases, london.unanswered) == (3, 0)
    assert london.first_response == Distribution(3, 1200.0, 5400.0, 2200.0, (1, 1, 1, 0, 0, 0))
    # Resolution: A Fri 1h + Mon 09:00-13:00 BST = 5h; C Mon 09:00-09:10 BST = 10 min.
    assert london.resolution == Distribution(2, 9300.0, 18000.0, 9300.0, (1, 0, 0, 1, 0, 0))
    # New York: D Fri 16:00-17:00 EDT + Mon 09:00-10:00 EDT; E and G unanswered.
    assert (ny.cases, ny.unanswered) == (3, 2)
    assert ny.first_response == Distribution(1, 7200.0, 7200.0, 7200.0, (0, 0, 1, 0, 0, 0))
    assert ny.resolution.count == 0
    assert ny.hours == "Mon, Tue, Wed, Thu, Fri 09:00–17:00 (America/New_York)"
    # 24/7 account: plain elapsed time.
    assert hello.first_response.median == 7200 and hello.resolution.median == 9000
    assert (quiet.cases, quiet.unanswered, quiet.first_response.count) == (1, 1, 0)

    volume = {(v.handle, v.day): (v.inbound, v.outbound) for v in report.volume}
    assert volume[("@help@kettle.example", "2026-03-24")] == (2, 1)
    assert volume[("@help@kettle.example", "2026-03-27")] == (1, 0)
    assert volume[("@help@kettle.example", "2026-03-28")] == (1, 1)
    assert volume[("@help@kettle.example", "2026-03-30")] == (0, 1)
    # G arrived at 02:00 UTC on the 28th: still Friday the 27th in New York.
    assert volume[("help.kettle.example", "2026-03-27")] == (2, 0)
    assert volume[("help.kettle.example", "2026-03-28")] == (0, 0)
    assert sum(i for i, _ in volume.values()) == 9 and sum(o for _, o in volume.values()) == 5
    # Every day of the period is present for every account (14 days each).
    assert len([k for k in volume if k[0] == "kettle.example"]) == 14
    platforms = {(d, p): (i, o) for d, p, i, o in report.platform_volume()}
    assert platforms[("2026-03-27", "bluesky")] == (2, 0)
    assert platforms[("2026-03-24", "mastodon")] == (2, 1)

    mood = {(m.handle, m.day): m for m in report.mood}
    day = mood[("@help@kettle.example", "2026-03-24")]
    assert day.mean == pytest.approx(-0.3) and (day.negative, day.neutral, day.positive) == \
        (1, 1, 0)
    assert mood[("@help@kettle.example", "2026-03-28")].mean == pytest.approx(0.4)
    assert mood[("@hello@kettle.example", "2026-03-29")].negative == 1
    assert mood[("help.kettle.example", "2026-03-27")].mean is None  # no scores

    backlog = {b.status: b.counts for b in report.backlog}
    # As of 31 March 12:00: H 6 hours old; G and D 3-7 days; B, E and the old case older.
    assert backlog == {"new": (1, 0, 1, 2), "open": (0, 0, 0, 1), "waiting": (0, 0, 1, 0)}


def test_report_for_one_account_and_as_json(fixture_store: Store) -> None:
    ny = fixture_store.find_account("help.kettle.example").id
    report = reports.build_report(fixture_store, since=at(2026, 3, 23), until=at(2026, 4, 6),
                                  now=at(2026, 3, 31, 12), account_ids=[ny])
    assert [a.handle for a in report.accounts] == ["help.kettle.example"]
    assert {b.status: b.counts for b in report.backlog} == {
        "new": (0, 0, 1, 1), "open": (0, 0, 0, 0), "waiting": (0, 0, 1, 0)}
    data = json.loads(json.dumps(build(fixture_store).to_dict()))
    london = next(a for a in data["accounts"] if a["handle"] == "@help@kettle.example")
    assert london["first_response"]["median_seconds"] == 1200
    assert london["first_response"]["buckets"]["1–4 h"] == 1
    assert data["backlog"]["by_status"]["new"] == [1, 0, 1, 2]
    text = reports.render_text(build(fixture_store))
    assert "@help@kettle.example" in text and "20m" in text and "1h 30m" in text


def test_report_period_must_be_positive(store: Store) -> None:
    with pytest.raises(KnownError):
        reports.build_report(store, since=at(2026, 3, 2), until=at(2026, 3, 1))

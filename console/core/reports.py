"""Reports: response times in business hours, volume, mood and backlog (no Qt).

Business hours belong to an account (``Store.set_account_hours``) and are kept
as JSON in the account's time zone::

    {"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:30",
     "holidays": ["2026-12-25"]}

``days`` are weekdays (0 = Monday ... 6 = Sunday), ``start``/``end`` local
wall-clock times (``end`` may be ``"24:00"``; a shift cannot cross midnight),
``holidays`` optional local dates.  ``None`` means every hour counts (24/7).
Windows are computed per local date with ``zoneinfo``, so a daylight-saving
change moves them correctly in UTC.

A case's times are measured from its first inbound message; the account it
arrived on is the case's account for grouping and business hours.  First
response is the first reply sent; resolution is when a finished case was last
resolved or closed.  Medians are the usual middle value (mean of the two middle
ones); p90 uses the nearest-rank method.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from console.core import timeutil
from console.core.errors import KnownError
from console.core.rules import NEGATIVE_MOOD, POSITIVE_MOOD, UNFINISHED_STATUSES
from console.core.store import Store

UTC = dt.UTC
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DEFAULT_BUSINESS_HOURS: dict[str, Any] = {"days": [0, 1, 2, 3, 4], "start": "09:00",
                                          "end": "17:30"}
NEGATIVE, POSITIVE = NEGATIVE_MOOD, POSITIVE_MOOD  # the inbox's mood thresholds

#: Distribution buckets, in business time.
TIME_BUCKETS: tuple[tuple[float, str], ...] = (
    (15 * 60, "under 15 min"),
    (60 * 60, "15–60 min"),
    (4 * 3600, "1–4 h"),
    (8 * 3600, "4–8 h"),
    (24 * 3600, "8–24 h"),
    (math.inf, "over 24 h"),
)
#: Backlog age buckets, in calendar time since the case opened.
AGE_BUCKETS: tuple[tuple[float, str], ...] = (
    (86400, "under 1 day"),
    (3 * 86400, "1–3 days"),
    (7 * 86400, "3–7 days"),
    (math.inf, "over 7 days"),
)
BACKLOG_STATUSES = tuple(s.value for s in UNFINISHED_STATUSES)


class InvalidHoursError(KnownError):
    """Business hours that cannot be used."""


def _minutes(text: Any, *, allow_24: bool) -> int:
    try:
        hours, minutes = (int(x) for x in str(text).split(":"))
    except ValueError as exc:
        raise InvalidHoursError(f"{text!r} is not a time like 09:00.") from exc
    total = hours * 60 + minutes
    if not (0 <= minutes < 60 and 0 <= total <= (1440 if allow_24 else 1439)):
        raise InvalidHoursError(f"{text!r} is not a time of day.")
    return total


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``.

    Raises:
        InvalidHoursError: there is no such time zone.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidHoursError(f"Unknown time zone {name!r}.") from exc


@dataclass(frozen=True)
class BusinessHours:
    """Working time in one time zone; ``always`` means every hour counts."""

    tz: ZoneInfo
    days: frozenset[int] = frozenset(range(7))
    start: int = 0  # minutes after local midnight
    end: int = 1440
    holidays: frozenset[dt.date] = frozenset()
    always: bool = True

    @classmethod
    def from_json(cls, data: dict[str, Any] | None, timezone: str = "UTC") -> BusinessHours:
        """Parse the stored JSON shape (see the module docstring); ``None`` is 24/7.

        Raises:
            InvalidHoursError: the shape, a time, a weekday or the time zone is wrong.
        """
        tz = zone(timezone)
        if data is None:
            return cls(tz=tz)
        if not isinstance(data, dict):
            raise InvalidHoursError("Business hours must be an object with days, start, end.")
        days = data.get("days", DEFAULT_BUSINESS_HOURS["days"])
        if not isinstance(days, list) or not all(isinstance(d, int) and 0 <= d <= 6
                                                 for d in days):
            raise InvalidHoursError("Business days are weekday numbers, 0 (Monday) to 6.")
        start = _minutes(data.get("start", "09:00"), allow_24=False)
        end = _minutes(data.get("end", "17:30"), allow_24=True)
        if end <= start:
            raise InvalidHoursError("Business hours must end after they start "
                                    "(a shift cannot cross midnight).")
        try:
            holidays = frozenset(dt.date.fromisoformat(h) for h in data.get("holidays", []))
        except (TypeError, ValueError) as exc:
            raise InvalidHoursError("Holidays are dates like 2026-12-25.") from exc
        return cls(tz=tz, days=frozenset(days), start=start, end=end, holidays=holidays,
                   always=False)

    def to_json(self) -> dict[str, Any] | None:
        if self.always:
            return None
        out: dict[str, Any] = {"days": sorted(self.days), "start": _hhmm(self.start),
                               "end": _hhmm(self.end)}
        if self.holidays:
            out["holidays"] = sorted(d.isoformat() for d in self.holidays)
        return out

    def describe(self) -> str:
        if self.always:
            return f"24/7 ({self.tz.key})"
        days = ", ".join(WEEKDAYS[d] for d in sorted(self.days)) or "no days"
        return f"{days} {_hhmm(self.start)}–{_hhmm(self.end)} ({self.tz.key})"

    def window(self, day: dt.date) -> tuple[float, float] | None:
        """The working window of a local date, as UTC epoch seconds (None: a day off)."""
        if day.weekday() not in self.days or day in self.holidays:
            return None
        start = dt.datetime.combine(day, dt.time(self.start // 60, self.start % 60),
                                    tzinfo=self.tz)
        end = (dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=self.tz)
               if self.end == 1440 else
               dt.datetime.combine(day, dt.time(self.end // 60, self.end % 60), tzinfo=self.tz))
        return start.timestamp(), end.timestamp()

    def seconds_between(self, start: dt.datetime | float, end: dt.datetime | float) -> float:
        """Business seconds in ``[start, end]`` (0 when ``end`` is not after ``start``)."""
        a = start.timestamp() if isinstance(start, dt.datetime) else float(start)
        b = end.timestamp() if isinstance(end, dt.datetime) else float(end)
        if b <= a:
            return 0.0
        if self.always:
            return b - a
        day = dt.datetime.fromtimestamp(a, self.tz).date()
        last = dt.datetime.fromtimestamp(b, self.tz).date()
        total = 0.0
        while day <= last:
            window = self.window(day)
            if window is not None:
                lo, hi = max(a, window[0]), min(b, window[1])
                if hi > lo:
                    total += hi - lo
            day += dt.timedelta(days=1)
        return total


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# -------------------------------------------------------------- statistics
@dataclass(frozen=True)
class Distribution:
    """Durations in business seconds: summary and bucket counts (``TIME_BUCKETS``)."""

    count: int
    median: float | None
    p90: float | None
    mean: float | None
    buckets: tuple[int, ...]

    @classmethod
    def of(cls, values: Iterable[float],
           buckets: Sequence[tuple[float, str]] = TIME_BUCKETS) -> Distribution:
        data = sorted(values)
        counts = [0] * len(buckets)
        for v in data:
            counts[next(i for i, (limit, _) in enumerate(buckets) if v < limit)] += 1
        if not data:
            return cls(0, None, None, None, tuple(counts))
        return cls(count=len(data), median=float(statistics.median(data)),
                   p90=float(data[math.ceil(0.9 * len(data)) - 1]),
                   mean=float(statistics.fmean(data)), buckets=tuple(counts))

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "median_seconds": self.median,
                "p90_seconds": self.p90, "mean_seconds": self.mean,
                "buckets": {label: n for (_, label), n in zip(TIME_BUCKETS, self.buckets)}}


@dataclass(frozen=True)
class AccountTimes:
    account_id: int
    handle: str
    platform: str
    hours: str  # described, e.g. "Mon, Tue ... 09:00–17:30 (Europe/London)"
    cases: int  # cases opened in the period on this account
    unanswered: int  # of those, still without a reply
    first_response: Distribution
    resolution: Distribution


@dataclass(frozen=True)
class VolumeRow:
    day: str  # the account's local date
    account_id: int
    handle: str
    platform: str
    inbound: int
    outbound: int


@dataclass(frozen=True)
class MoodPoint:
    day: str  # the account's local date
    account_id: int
    handle: str
    mean: float | None  # mean sentiment of the scored inbound messages
    negative: int
    neutral: int
    positive: int


@dataclass(frozen=True)
class BacklogRow:
    status: str
    counts: tuple[int, ...]  # per AGE_BUCKETS


@dataclass(frozen=True)
class Report:
    since: dt.datetime
    until: dt.datetime
    generated_at: dt.datetime
    accounts: tuple[AccountTimes, ...]
    volume: tuple[VolumeRow, ...]
    mood: tuple[MoodPoint, ...]
    backlog: tuple[BacklogRow, ...]

    def platform_volume(self) -> list[tuple[str, str, int, int]]:
        """(day, platform, inbound, outbound), summing each platform's accounts."""
        sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for row in self.volume:
            cell = sums[(row.day, row.platform)]
            cell[0] += row.inbound
            cell[1] += row.outbound
        return [(d, p, i, o) for (d, p), (i, o) in sorted(sums.items())]

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": timeutil.iso(self.since),
            "until": timeutil.iso(self.until),
            "generated_at": timeutil.iso(self.generated_at),
            "accounts": [{
                "account_id": a.account_id, "handle": a.handle, "platform": a.platform,
                "business_hours": a.hours, "cases": a.cases, "unanswered": a.unanswered,
                "first_response": a.first_response.to_dict(),
                "resolution": a.resolution.to_dict(),
            } for a in self.accounts],
            "volume": [asdict(v) for v in self.volume],
            "platform_volume": [{"day": d, "platform": p, "inbound": i, "outbound": o}
                                for d, p, i, o in self.platform_volume()],
            "mood": [asdict(m) for m in self.mood],
            "backlog": {
                "age_buckets": [label for _, label in AGE_BUCKETS],
                "by_status": {b.status: list(b.counts) for b in self.backlog},
            },
        }


# ------------------------------------------------------------------ build
def build_report(store: Store, *, since: dt.datetime, until: dt.datetime,
                 now: dt.datetime | None = None, account_ids: Sequence[int] | None = None
                 ) -> Report:
    """All the report figures for cases opened and messages written in ``[since, until)``.

    The backlog is as of ``now`` (default: the current time), whatever the period.

    Raises:
        KnownError: ``until`` is not after ``since``; an account's hours are unusable.
    """
    if until <= since:
        raise KnownError("The report period must end after it starts.")
    now = now or timeutil.now()
    lo, hi = timeutil.to_epoch(since), timeutil.to_epoch(until)
    accounts = [a for a in store.report_accounts()
                if account_ids is None or a["id"] in account_ids]
    hours = {}
    for a in accounts:
        try:
            hours[a["id"]] = BusinessHours.from_json(a["business_hours"], a["timezone"])
        except InvalidHoursError as exc:
            raise KnownError(f"Account {a['handle']}: {exc}") from exc

    first: dict[int, list[float]] = defaultdict(list)
    resolution: dict[int, list[float]] = defaultdict(list)
    opened: dict[int, int] = defaultdict(int)
    unanswered: dict[int, int] = defaultdict(int)
    for case in store.report_cases(opened_since=lo, opened_until=hi):
        account_id = case["account_id"]
        if account_id not in hours:
            continue
        bh = hours[account_id]
        start = case["first_in_at"] if case["first_in_at"] is not None else case["opened_at"]
        opened[account_id] += 1
        if case["first_response_at"] is None:
            unanswered[account_id] += 1
        else:
            first[account_id].append(bh.seconds_between(start, case["first_response_at"]))
        if case["resolved_at"] is not None:
            resolution[account_id].append(bh.seconds_between(start, case["resolved_at"]))

    times = tuple(AccountTimes(
        account_id=a["id"], handle=a["handle"], platform=a["platform"],
        hours=hours[a["id"]].describe(), cases=opened[a["id"]],
        unanswered=unanswered[a["id"]], first_response=Distribution.of(first[a["id"]]),
        resolution=Distribution.of(resolution[a["id"]])) for a in accounts)

    volume: dict[tuple[int, str], list[int]] = {}
    mood: dict[tuple[int, str], list[float]] = defaultdict(list)
    for a in accounts:  # every day of the period, so charts have no gaps
        for day in _local_days(lo, hi, hours[a["id"]].tz):
            volume[(a["id"], day)] = [0, 0]
    for account_id, created, direction, sentiment in store.report_messages(since=lo, until=hi):
        if account_id not in hours:
            continue
        day = dt.datetime.fromtimestamp(created, hours[account_id].tz).date().isoformat()
        volume.setdefault((account_id, day), [0, 0])[0 if direction == "in" else 1] += 1
        if direction == "in" and sentiment is not None:
            mood[(account_id, day)].append(sentiment)
    by_id = {a["id"]: a for a in accounts}
    volume_rows = tuple(VolumeRow(day=day, account_id=aid, handle=by_id[aid]["handle"],
                                  platform=by_id[aid]["platform"], inbound=i, outbound=o)
                        for (aid, day), (i, o) in sorted(volume.items(),
                                                         key=lambda kv: (kv[0][1], kv[0][0])))
    mood_points = []
    for (aid, day), _ in sorted(volume.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        scores = mood.get((aid, day), [])
        mood_points.append(MoodPoint(
            day=day, account_id=aid, handle=by_id[aid]["handle"],
            mean=statistics.fmean(scores) if scores else None,
            negative=sum(s <= NEGATIVE for s in scores),
            positive=sum(s >= POSITIVE for s in scores),
            neutral=sum(NEGATIVE < s < POSITIVE for s in scores)))

    backlog = {s: [0] * len(AGE_BUCKETS) for s in BACKLOG_STATUSES}
    now_epoch = now.timestamp()
    for case in store.report_cases(unfinished=True):
        if account_ids is not None and case["account_id"] not in account_ids:
            continue
        age = now_epoch - case["opened_at"]
        index = next(i for i, (limit, _) in enumerate(AGE_BUCKETS) if age < limit)
        backlog.setdefault(case["status"], [0] * len(AGE_BUCKETS))[index] += 1
    return Report(since=since, until=until, generated_at=now, accounts=times,
                  volume=volume_rows, mood=tuple(mood_points),
                  backlog=tuple(BacklogRow(s, tuple(c)) for s, c in backlog.items()))


def _local_days(lo: int, hi: int, tz: ZoneInfo) -> list[str]:
    day = dt.datetime.fromtimestamp(lo, tz).date()
    last = dt.datetime.fromtimestamp(max(lo, hi - 1), tz).date()
    out = []
    while day <= last:
        out.append(day.isoformat())
        day += dt.timedelta(days=1)
    return out


def duration_text(seconds: float | None) -> str:
    return "—" if seconds is None else timeutil.humanize_duration(seconds)


def render_text(report: Report) -> str:
    """The report as plain text (the CLI's default output)."""
    lines = [(f"Report {timeutil.iso(report.since)} to {timeutil.iso(report.until)} "
              "(times in business hours)"), ""]
    lines.append(f"{'ACCOUNT':<34} {'CASES':>5} {'UNANS':>5}  {'1ST RESP MED':>12} "
                 f"{'P90':>8}  {'RESOLVE MED':>11} {'P90':>8}")
    for a in report.accounts:
        lines.append(
            f"{a.handle[:34]:<34} {a.cases:>5} {a.unanswered:>5}  "
            f"{duration_text(a.first_response.median):>12} {duration_text(a.first_response.p90):>8}"
            f"  {duration_text(a.resolution.median):>11} {duration_text(a.resolution.p90):>8}")
        lines.append(f"    hours: {a.hours}")
    lines += ["", "First response distribution (cases per bucket)"]
    labels = [label for _, label in TIME_BUCKETS]
    lines.append(f"{'ACCOUNT':<34} " + " ".join(f"{label:>12}" for label in labels))
    for a in report.accounts:
        lines.append(f"{a.handle[:34]:<34} " + " ".join(f"{n:>12}" for n in
                                                       a.first_response.buckets))
    lines += ["", "Time to resolution distribution (cases per bucket)"]
    for a in report.accounts:
        lines.append(f"{a.handle[:34]:<34} " + " ".join(f"{n:>12}" for n in a.resolution.buckets))
    lines += ["", "Volume per platform and day (in / out)"]
    for day, platform, inbound, outbound in report.platform_volume():
        if inbound or outbound:
            lines.append(f"  {day}  {platform:<9} {inbound:>5} / {outbound:<5}")
    lines += ["", "Volume and mood per account and day (in / out, mean sentiment)"]
    moods = {(m.account_id, m.day): m for m in report.mood}
    for row in report.volume:
        if row.inbound or row.outbound:
            m = moods.get((row.account_id, row.day))
            mean = f"{m.mean:+.2f}" if m is not None and m.mean is not None else "  —"
            lines.append(f"  {row.day}  {row.handle[:34]:<34} {row.inbound:>5} / "
                         f"{row.outbound:<5} {mean}")
    lines += ["", "Backlog by status and age"]
    lines.append(f"{'STATUS':<9} " + " ".join(f"{label:>12}" for _, label in AGE_BUCKETS))
    for b in report.backlog:
        lines.append(f"{b.status:<9} " + " ".join(f"{n:>12}" for n in b.counts))
    return "\n".join(lines) + "\n"

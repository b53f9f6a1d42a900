"""Business-time arithmetic: "what instant is X of business time after T" and "how much business
time lies between A and B", in a calendar's own zone, across DST changes, holidays and breaks.

Pure functions over plain values; instants in and out are aware UTC datetimes.
"""

import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

MAX_DAYS_SEARCHED = 4000  # a calendar with no opening in ~11 years is a configuration error


@dataclass(frozen=True)
class OpeningPeriod:
    """Open on `weekday` (0 = Monday) from `start` to `end` local time; `end` of
    `time(0)` means midnight at the end of the day."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday is 0 (Monday) to 6 (Sunday)")
        if self.end != time(0) and self.end <= self.start:
            raise ValueError("an opening period ends after it starts")


@dataclass(frozen=True)
class BusinessCalendar:
    time_zone: str
    periods: tuple[OpeningPeriod, ...]
    holidays: frozenset[date] = field(default_factory=frozenset)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @classmethod
    def always_open(cls, time_zone: str = "UTC") -> "BusinessCalendar":
        return cls(time_zone, tuple(OpeningPeriod(d, time(0), time(0)) for d in range(7)))


class NeverOpen(ValueError):
    """The calendar has no opening time in the searched range."""


def _local_instant(day: date, moment: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time. A time skipped by a DST jump maps to the
    instant the clocks jumped (so 02:30 on a spring-forward night is 03:00 local)."""
    local = datetime.combine(day, moment, tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        # Non-existent local time: walk forward to the first existing minute.
        probe = local.replace(tzinfo=None)
        while True:
            probe += timedelta(minutes=1)
            candidate = probe.replace(tzinfo=zone).astimezone(UTC)
            if candidate.astimezone(zone).replace(tzinfo=None) == probe:
                return candidate
    return instant


def open_intervals(
    calendar: BusinessCalendar, since: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """Opening intervals (UTC start, UTC end) that end after `since`, in order, clipped to it."""
    _require_aware(since)
    zone = calendar.zone
    day = since.astimezone(zone).date() - timedelta(days=1)  # a period may start the day before
    by_weekday: dict[int, list[OpeningPeriod]] = {}
    for period in calendar.periods:
        by_weekday.setdefault(period.weekday, []).append(period)
    for periods in by_weekday.values():
        periods.sort(key=lambda p: p.start)
    if not by_weekday:
        raise NeverOpen("the calendar has no opening periods")
    for _ in range(MAX_DAYS_SEARCHED):
        if day not in calendar.holidays:
            for period in by_weekday.get(day.weekday(), []):
                start = _local_instant(day, period.start, zone)
                end_day = day + timedelta(days=1) if period.end == time(0) else day
                end = _local_instant(end_day, period.end, zone)
                if end > since:
                    yield max(start, since), end
        day += timedelta(days=1)
    raise NeverOpen(f"no opening within {MAX_DAYS_SEARCHED} days of {since.isoformat()}")


def add_business_time(calendar: BusinessCalendar, start: datetime, amount: timedelta) -> datetime:
    """The instant at which `amount` of open time has passed since `start`."""
    if amount < timedelta(0):
        raise ValueError("amount must not be negative")
    if amount == timedelta(0):
        return start
    remaining = amount
    for interval_start, interval_end in open_intervals(calendar, start):
        length = interval_end - interval_start
        if remaining <= length:
            return interval_start + remaining
        remaining -= length
    raise NeverOpen("unreachable")  # open_intervals raises first


def business_time_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Open time in [start, end); negative when `end` is before `start`."""
    _require_aware(end)
    if end < start:
        return -business_time_between(calendar, end, start)
    total = timedelta(0)
    for interval_start, interval_end in open_intervals(calendar, start):
        if interval_start >= end:
            break
        total += min(interval_end, end) - interval_start
    return total


def is_open(calendar: BusinessCalendar, at: datetime) -> bool:
    interval_start, _ = next(open_intervals(calendar, at))
    return interval_start <= at


def next_opening(calendar: BusinessCalendar, at: datetime) -> datetime:
    """`at` itself when open, else the start of the next opening."""
    interval_start, _ = next(open_intervals(calendar, at))
    return max(interval_start, at)


def _require_aware(value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("business time needs aware datetimes")

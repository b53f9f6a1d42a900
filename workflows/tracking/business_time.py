"""Business-time arithmetic: "what instant is X of business time after T" and "how much business
time lies between A and B", in a calendar's own zone, across DST changes, holidays, breaks and
extra working days (a weekend day that is worked, as China's adjusted working weekends are).

Pure functions over plain values; instants in and out are aware UTC datetimes.
"""

import functools
import itertools
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_

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
            raise ValueError(Message(N_("weekday is 0 (Monday) to 6 (Sunday)")))
        if self.end != time(0) and self.end <= self.start:
            raise ValueError(Message(N_("an opening period ends after it starts")))


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekly `periods`, closed on `holidays`; `extra_days` are dates open in their own periods
    instead of their weekday's (a worked Sunday). An extra day wins over a holiday on the same
    date, though saving a calendar refuses a date that is both. Hashable, so caches can key on
    it: `extra_days` is a tuple of (date, periods) pairs, sorted by date."""

    time_zone: str
    periods: tuple[OpeningPeriod, ...]
    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_days: tuple[tuple[date, tuple[OpeningPeriod, ...]], ...] = ()

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def periods_on(self, day: date) -> tuple[OpeningPeriod, ...]:
        """The opening periods of one local date: its extra day's, none on a holiday, else its
        weekday's."""
        return _periods_by_day(self).get(day) or (
            () if day in self.holidays else _periods_by_weekday(self).get(day.weekday(), ())
        )

    def is_working_day(self, day: date) -> bool:
        return bool(self.periods_on(day))

    @classmethod
    def always_open(cls, time_zone: str = "UTC") -> "BusinessCalendar":
        return cls(time_zone, tuple(OpeningPeriod(d, time(0), time(0)) for d in range(7)))


def extra_day(
    day: date, hours: Iterable[tuple[time, time]]
) -> tuple[date, tuple[OpeningPeriod, ...]]:
    """One `extra_days` entry: `day` open in `hours` (start, end) pairs."""
    return day, tuple(OpeningPeriod(day.weekday(), start, end) for start, end in hours)


@functools.lru_cache(maxsize=256)
def _periods_by_weekday(calendar: BusinessCalendar) -> dict[int, tuple[OpeningPeriod, ...]]:
    by_weekday: dict[int, list[OpeningPeriod]] = {}
    for period in calendar.periods:
        by_weekday.setdefault(period.weekday, []).append(period)
    return {d: tuple(sorted(p, key=lambda p: p.start)) for d, p in by_weekday.items()}


@functools.lru_cache(maxsize=256)
def _periods_by_day(calendar: BusinessCalendar) -> dict[date, tuple[OpeningPeriod, ...]]:
    return {
        day: tuple(sorted(periods, key=lambda p: p.start)) for day, periods in calendar.extra_days
    }


class NeverOpen(ValueError):
    """The calendar has no opening time in the searched range."""


# Widest distance between UTC and any zone's wall clock (UTC-12 to UTC+14), with a margin.
_WIDEST_OFFSET = timedelta(hours=15)


@functools.lru_cache(maxsize=8192)
def _day_segments(time_zone: str, day: date) -> tuple[tuple[datetime, datetime, timedelta], ...]:
    """The UTC spans whose wall-clock date is `day`, each with its constant UTC offset: one span
    on most days, two on a day the clocks change (split at the change)."""
    zone = zoneinfo.ZoneInfo(time_zone)
    midnight = datetime.combine(day, time(0), tzinfo=UTC)
    window_start = midnight - _WIDEST_OFFSET
    window_end = midnight + timedelta(days=1) + _WIDEST_OFFSET
    changes = _offset_changes(zone, window_start, window_end)
    bounds = [window_start, *changes, window_end]
    segments = []
    for lower, upper in itertools.pairwise(bounds):
        offset = lower.astimezone(zone).utcoffset() or timedelta(0)  # a ZoneInfo always knows
        # Instants in [lower, upper) whose wall clock shows `day`.
        first = max(lower, midnight - offset)
        last = min(upper, midnight + timedelta(days=1) - offset)
        if first < last:
            segments.append((first, last, offset))
    return tuple(segments)


def _offset_changes(zone: zoneinfo.ZoneInfo, lower: datetime, upper: datetime) -> list[datetime]:
    """Instants in (lower, upper) at which the zone's offset changes (to the second), assuming
    at most one change per 12 hours, which holds for every zone in the tz database."""
    changes = []
    step = timedelta(hours=12)
    probe = lower
    while probe < upper:
        nxt = min(probe + step, upper)
        before, after = probe.astimezone(zone).utcoffset(), nxt.astimezone(zone).utcoffset()
        if before != after:
            low, high = probe, nxt  # offset(low) == before, offset(high) != before
            while high - low > timedelta(seconds=1):
                mid = low + (high - low) / 2
                mid = mid.replace(microsecond=0)
                if mid.astimezone(zone).utcoffset() == before:
                    low = mid
                else:
                    high = mid
            changes.append(high)
        probe = nxt
    return changes


def _period_spans(
    segments: tuple[tuple[datetime, datetime, timedelta], ...], day: date, period: OpeningPeriod
) -> Iterator[tuple[datetime, datetime]]:
    """The UTC spans in which the wall clock of `day` shows a time inside `period`. A time the
    clocks skip is never open; a time they repeat is open both times it is shown."""
    wall_start = datetime.combine(day, period.start, tzinfo=UTC)
    end_day = day + timedelta(days=1) if period.end == time(0) else day
    wall_end = datetime.combine(end_day, period.end, tzinfo=UTC)
    for lower, upper, offset in segments:
        first = max(lower, wall_start - offset)
        last = min(upper, wall_end - offset)
        if first < last:
            yield first, last


def open_intervals(
    calendar: BusinessCalendar, since: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """Opening intervals (UTC start, UTC end) that end after `since`, in order, disjoint and
    clipped to it. Overlapping periods (which saving a calendar merges) count once."""
    _require_aware(since)
    zone = calendar.zone
    day = since.astimezone(zone).date() - timedelta(days=1)  # a period may start the day before
    if not calendar.periods and not any(periods for _, periods in calendar.extra_days):
        raise NeverOpen("the calendar has no opening periods")
    by_day, by_weekday = _periods_by_day(calendar), _periods_by_weekday(calendar)
    # Union of possibly overlapping spans: sorted by start, each start clipped to the furthest
    # end so far. A day's spans are held back until no later day can start before them (where
    # clocks go back over midnight, the next day's wall clock starts before this day's ends).
    reached = since
    pending: list[tuple[datetime, datetime]] = []
    for _ in range(MAX_DAYS_SEARCHED):
        periods = by_day.get(day) or (
            () if day in calendar.holidays else by_weekday.get(day.weekday(), ())
        )
        if periods:
            segments = _day_segments(calendar.time_zone, day)
            pending.extend(
                span for period in periods for span in _period_spans(segments, day, period)
            )
        day += timedelta(days=1)
        if not pending:
            continue
        pending.sort()
        next_day = _day_segments(calendar.time_zone, day)
        if not next_day:  # a date the zone skipped entirely (Samoa, 2011-12-30)
            continue
        while pending and pending[0][0] < next_day[0][0]:
            start, end = pending.pop(0)
            start = max(start, reached)
            if end > start:
                yield start, end
                reached = end
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

"""Send windows in each customer's own zone, and the delays between steps. Pure functions over
plain values; instants in and out are aware UTC datetimes.

A window is weekdays and hours of the customer's local day; one that ends before it starts
(22:00 to 06:00) runs across midnight into the next day. The chosen calendar's holidays are
skipped as whole local days, and its extra working days (a worked Sunday) open in the window's
hours whatever their weekday. A window opening at a time the clocks skip (a spring-forward
night) opens when they jump."""

import zoneinfo
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from workflows.tracking.business_time import (
    BusinessCalendar,
    OpeningPeriod,
    extra_day,
    next_opening,
)


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


def _time(text: str) -> time:
    return time(0) if text == "24:00" else time.fromisoformat(text)


def zone_of(time_zone: str | None, default: str) -> str:
    """The customer's zone when it is a valid IANA name, else the strategy's default."""
    if time_zone:
        try:
            zoneinfo.ZoneInfo(time_zone)
            return time_zone
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return default


def window_calendar(
    window: dict[str, Any],
    time_zone: str,
    holidays: Iterable[date] = (),
    working_days: Iterable[date] = (),
) -> BusinessCalendar:
    """The window as an opening calendar in `time_zone`."""
    start, end = _time(window["start"]), _time(window["end"])
    periods: list[OpeningPeriod] = []
    for weekday in window["weekdays"]:
        if end == time(0) or start < end:
            periods.append(OpeningPeriod(weekday, start, end))
        else:  # across midnight: the evening, then the next morning
            periods.append(OpeningPeriod(weekday, start, time(0)))
            if end != time(0):
                periods.append(OpeningPeriod((weekday + 1) % 7, time(0), end))
    # An extra working day opens like one of the window's days; a window across midnight opens
    # its evening there (the next morning is the following day's own business).
    hours = [(start, end if end == time(0) or start < end else time(0))]
    return BusinessCalendar(
        time_zone,
        tuple(periods),
        frozenset(holidays),
        tuple(extra_day(day, hours) for day in sorted(set(working_days))),
    )


def next_send_time(
    window: dict[str, Any],
    time_zone: str,
    at: datetime,
    holidays: Iterable[date] = (),
    working_days: Iterable[date] = (),
) -> datetime:
    """`at` itself when inside the window, else the window's next opening."""
    return next_opening(window_calendar(window, time_zone, holidays, working_days), at)


def is_inside(
    window: dict[str, Any],
    time_zone: str,
    at: datetime,
    holidays: Iterable[date] = (),
    working_days: Iterable[date] = (),
) -> bool:
    return next_send_time(window, time_zone, at, holidays, working_days) == at


def add_business_days(calendar: BusinessCalendar, at: datetime, days: int) -> datetime:
    """The same local time `days` business days later: days with an opening period on
    `calendar` that are not its holidays, and its extra working days."""
    zone = calendar.zone
    local = at.astimezone(zone)
    if not calendar.periods:
        raise ValueError("the calendar has no opening periods")
    day = local.date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return _local_instant(day, local.time().replace(tzinfo=None), zone)


def after_delay(
    delay: dict[str, Any], at: datetime, business_calendar: BusinessCalendar | None = None
) -> datetime:
    """When a step whose `delay` counts from `at` becomes due (before its window applies)."""
    amount = int(delay.get("amount") or 0)
    unit = delay.get("unit") or "calendar_days"
    if unit == "minutes":
        return at + timedelta(minutes=amount)
    if unit == "hours":
        return at + timedelta(hours=amount)
    if unit == "business_days":
        calendar = business_calendar or BusinessCalendar(
            "UTC", tuple(OpeningPeriod(d, time(9), time(17)) for d in range(5))
        )
        return add_business_days(calendar, at, amount)
    # Calendar days keep the wall-clock time across a DST change in UTC terms: a day is 24 h.
    return at + timedelta(days=amount)

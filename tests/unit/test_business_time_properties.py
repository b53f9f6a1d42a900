"""Business time against an independent reference that steps minute by minute and asks the
wall clock whether it shows an opening time, over random calendars in zones with DST."""

import os
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflows.tracking.business_time import (
    BusinessCalendar,
    OpeningPeriod,
    add_business_time,
    business_time_between,
)

# Bounded so CI stays quick; HYPOTHESIS_PROFILE=thorough explores more.
settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ZONES = ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe")
# Nights the clocks change in each zone (2026), so random starts land near them.
CHANGE_DAYS = {
    "Europe/Berlin": (date(2026, 3, 29), date(2026, 10, 25)),
    "America/New_York": (date(2026, 3, 8), date(2026, 11, 1)),
    "Australia/Lord_Howe": (date(2026, 4, 5), date(2026, 10, 4)),
}
MINUTE = timedelta(minutes=1)
SPAN_MINUTES = 3 * 24 * 60  # how far the reference looks ahead


@st.composite
def periods(draw: st.DrawFn) -> OpeningPeriod:
    # Quarter hours around the night (where clocks change) and anywhere else.
    start = draw(st.integers(0, 24 * 4 - 1)) * 15
    length = draw(st.integers(1, 24 * 4 - start // 15)) * 15
    end = start + length
    return OpeningPeriod(
        draw(st.integers(0, 6)),
        time(start // 60, start % 60),
        time(0) if end == 24 * 60 else time(end // 60, end % 60),
    )


@st.composite
def cases(draw: st.DrawFn) -> tuple[BusinessCalendar, datetime]:
    zone = draw(st.sampled_from(ZONES))
    change = draw(st.sampled_from(CHANGE_DAYS[zone]))
    start_day = change + timedelta(days=draw(st.integers(-2, 1)))
    start = datetime.combine(start_day, time(0), tzinfo=UTC) + MINUTE * draw(
        st.integers(0, 24 * 60 - 1)
    )
    # Overlapping, touching and duplicate periods are allowed here on purpose.
    chosen = draw(st.lists(periods(), min_size=1, max_size=6))
    # Every day open a little, so the reference's horizon always reaches the answer.
    chosen += [OpeningPeriod(d, time(12), time(12, 30)) for d in range(7)]
    holidays = draw(
        st.frozensets(st.integers(-1, 3).map(lambda n: change + timedelta(days=n)), max_size=2)
    )
    return BusinessCalendar(zone, tuple(chosen), holidays), start


def reference_is_open(calendar: BusinessCalendar, at: datetime) -> bool:
    """Open when the wall clock shows a time inside an opening period of a non-holiday."""
    wall = at.astimezone(ZoneInfo(calendar.time_zone))
    if wall.date() in calendar.holidays:
        return False
    moment = wall.time().replace(tzinfo=None)
    return any(
        p.weekday == wall.weekday() and p.start <= moment and (p.end == time(0) or moment < p.end)
        for p in calendar.periods
    )


def reference_open_minutes(calendar: BusinessCalendar, start: datetime) -> list[datetime]:
    """Start instants of the open minutes in the next SPAN_MINUTES after `start`."""
    return [
        start + MINUTE * n
        for n in range(SPAN_MINUTES)
        if reference_is_open(calendar, start + MINUTE * n)
    ]


@given(cases(), st.integers(0, SPAN_MINUTES))
def test_business_time_between_matches_minute_stepping(
    case: tuple[BusinessCalendar, datetime], minutes: int
) -> None:
    calendar, start = case
    end = start + MINUTE * minutes
    expected = sum(1 for m in reference_open_minutes(calendar, start) if m < end)
    assert business_time_between(calendar, start, end) == MINUTE * expected


@given(cases(), st.integers(1, 3 * 60))
def test_add_business_time_matches_minute_stepping(
    case: tuple[BusinessCalendar, datetime], minutes: int
) -> None:
    calendar, start = case
    open_minutes = reference_open_minutes(calendar, start)
    assert open_minutes  # every non-holiday is open 12:00-12:30
    minutes = 1 + (minutes - 1) % len(open_minutes)  # within the reference's horizon
    assert (
        add_business_time(calendar, start, MINUTE * minutes) == open_minutes[minutes - 1] + MINUTE
    )

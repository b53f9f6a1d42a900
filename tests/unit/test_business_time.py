"""Business time across DST changes, holidays, lunch breaks and weekends."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from workflows.tracking.business_time import (
    BusinessCalendar,
    NeverOpen,
    OpeningPeriod,
    add_business_time,
    business_time_between,
    is_open,
    next_opening,
)
from workflows.tracking.calendars import merge_periods

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)


def office(
    zone: str, *, lunch: bool = False, holidays: frozenset[date] = frozenset()
) -> BusinessCalendar:
    """Monday to Friday 09:00-17:00 (with 12:00-13:00 off when `lunch`)."""
    spans = [(time(9), time(12)), (time(13), time(17))] if lunch else [(time(9), time(17))]
    periods = tuple(OpeningPeriod(d, a, b) for d in range(5) for a, b in spans)
    return BusinessCalendar(zone, periods, holidays)


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)


def test_adds_within_one_day() -> None:
    cal = office("Europe/Berlin")
    start = local(BERLIN, 2026, 1, 5, 10)  # Monday 10:00
    assert add_business_time(cal, start, 2 * H) == local(BERLIN, 2026, 1, 5, 12)


def test_carries_over_the_weekend() -> None:
    cal = office("Europe/Berlin")
    start = local(BERLIN, 2026, 1, 9, 16)  # Friday 16:00
    assert add_business_time(cal, start, 3 * H) == local(BERLIN, 2026, 1, 12, 11)


def test_starting_outside_hours_counts_from_the_next_opening() -> None:
    cal = office("Europe/Berlin")
    start = local(BERLIN, 2026, 1, 10, 22)  # Saturday night
    assert add_business_time(cal, start, 30 * timedelta(minutes=1)) == local(
        BERLIN, 2026, 1, 12, 9, 30
    )
    assert next_opening(cal, start) == local(BERLIN, 2026, 1, 12, 9)
    assert not is_open(cal, start)


def test_lunch_break_is_not_business_time() -> None:
    cal = office("Europe/Berlin", lunch=True)
    start = local(BERLIN, 2026, 1, 5, 11)
    assert add_business_time(cal, start, 2 * H) == local(BERLIN, 2026, 1, 5, 14)
    assert business_time_between(cal, start, local(BERLIN, 2026, 1, 5, 14)) == 2 * H
    assert not is_open(cal, local(BERLIN, 2026, 1, 5, 12, 30))


def test_holidays_are_skipped() -> None:
    cal = office("Europe/Berlin", holidays=frozenset({date(2026, 1, 6)}))
    start = local(BERLIN, 2026, 1, 5, 16)
    assert add_business_time(cal, start, 2 * H) == local(BERLIN, 2026, 1, 7, 10)


def test_berlin_spring_forward_night_keeps_eight_office_hours() -> None:
    # 2026-03-29: clocks jump 02:00 -> 03:00. A 24/7 calendar loses an hour that night;
    # office hours on the Monday after are still 8 real hours.
    always = BusinessCalendar.always_open("Europe/Berlin")
    start = local(BERLIN, 2026, 3, 29, 0)
    end = local(BERLIN, 2026, 3, 30, 0)
    assert business_time_between(always, start, end) == 23 * H
    cal = office("Europe/Berlin")
    assert (
        business_time_between(cal, local(BERLIN, 2026, 3, 27, 9), local(BERLIN, 2026, 3, 30, 17))
        == 16 * H
    )


def test_berlin_fall_back_day_has_25_hours_when_always_open() -> None:
    always = BusinessCalendar.always_open("Europe/Berlin")
    start = local(BERLIN, 2026, 10, 25, 0)
    assert add_business_time(always, start, 25 * H) == local(BERLIN, 2026, 10, 26, 0)


def test_night_shift_over_a_dst_gap_maps_the_skipped_time_forward() -> None:
    # Open 01:00-04:00 every day in New York; 2026-03-08 02:00-03:00 does not exist.
    cal = BusinessCalendar(
        "America/New_York", tuple(OpeningPeriod(d, time(1), time(4)) for d in range(7))
    )
    start = local(NEW_YORK, 2026, 3, 8, 1)
    assert business_time_between(cal, start, local(NEW_YORK, 2026, 3, 8, 4)) == 2 * H
    assert add_business_time(cal, start, 2 * H + timedelta(minutes=30)) == local(
        NEW_YORK, 2026, 3, 9, 1, 30
    )


def test_new_york_office_hours_in_utc_follow_dst() -> None:
    cal = office("America/New_York")
    friday_before = datetime(2026, 3, 6, 21, 0, tzinfo=UTC)  # 16:00 EST
    due = add_business_time(cal, friday_before, 2 * H)
    assert due == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # Monday 10:00 EDT
    assert due.astimezone(NEW_YORK).hour == 10


def test_between_is_the_inverse_of_add() -> None:
    cal = office("America/New_York", lunch=True, holidays=frozenset({date(2026, 11, 26)}))
    start = local(NEW_YORK, 2026, 10, 30, 15, 17)
    for minutes in (1, 59, 240, 600, 3000, 9000):
        due = add_business_time(cal, start, timedelta(minutes=minutes))
        assert business_time_between(cal, start, due) == timedelta(minutes=minutes)


def test_zero_and_negative_amounts() -> None:
    cal = office("UTC")
    start = datetime(2026, 1, 10, 3, tzinfo=UTC)
    assert add_business_time(cal, start, timedelta(0)) == start
    with pytest.raises(ValueError, match="negative"):
        add_business_time(cal, start, -H)
    later = datetime(2026, 1, 12, 10, tzinfo=UTC)
    assert business_time_between(cal, later, start) == -H


def test_naive_datetimes_and_empty_calendars_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_business_time(office("UTC"), datetime(2026, 1, 5, 9), H)  # noqa: DTZ001
    with pytest.raises(NeverOpen):
        add_business_time(BusinessCalendar("UTC", ()), datetime(2026, 1, 5, tzinfo=UTC), H)


def test_invalid_periods_are_refused() -> None:
    with pytest.raises(ValueError):
        OpeningPeriod(7, time(9), time(17))
    with pytest.raises(ValueError):
        OpeningPeriod(0, time(17), time(9))


def test_overlapping_periods_count_once() -> None:
    # Found by a probe: Friday 19:31-19:33 and 19:32-19:33 counted 19:32-19:33 twice, so a
    # 125-second target opened at 19:31 came due 65 s later instead of a week later.
    cal = BusinessCalendar(
        "UTC",
        (
            OpeningPeriod(4, time(19, 31), time(19, 33)),
            OpeningPeriod(4, time(19, 32), time(19, 33)),
        ),
    )
    friday = datetime(2026, 1, 9, 19, 31, tzinfo=UTC)
    assert add_business_time(cal, friday, timedelta(seconds=125)) == friday + timedelta(
        days=7, seconds=5
    )
    assert business_time_between(cal, friday, friday + timedelta(days=1)) == 2 * timedelta(
        minutes=1
    )


def test_saving_a_calendar_merges_overlapping_and_touching_periods() -> None:
    merged = merge_periods(
        [
            OpeningPeriod(4, time(19, 32), time(19, 33)),
            OpeningPeriod(4, time(19, 31), time(19, 33)),
            OpeningPeriod(0, time(9), time(12)),
            OpeningPeriod(0, time(12), time(13)),  # touching
            OpeningPeriod(0, time(11), time(0)),  # to midnight
            OpeningPeriod(1, time(0), time(1)),  # the next weekday stays its own period
        ]
    )
    assert merged == [
        OpeningPeriod(0, time(9), time(0)),
        OpeningPeriod(1, time(0), time(1)),
        OpeningPeriod(4, time(19, 31), time(19, 33)),
    ]


def test_a_repeated_hour_is_open_both_times_the_wall_clock_shows_it() -> None:
    # 2026-10-25 Berlin: 03:00 CEST becomes 02:00 CET. Open 02:00-03:00 is two real hours;
    # open 02:30-02:45 is open twice for 15 minutes.
    night = (OpeningPeriod(6, time(2), time(3)),)
    start = local(BERLIN, 2026, 10, 25, 0)
    end = local(BERLIN, 2026, 10, 25, 6)
    assert business_time_between(BusinessCalendar("Europe/Berlin", night), start, end) == 2 * H
    short = (OpeningPeriod(6, time(2, 30), time(2, 45)),)
    assert business_time_between(BusinessCalendar("Europe/Berlin", short), start, end) == timedelta(
        minutes=30
    )

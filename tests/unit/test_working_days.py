"""Extra working days in business time: China's 2025 calendar (Asia/Shanghai, UTC+8 all year,
09:00-12:00 and 13:30-18:00 = 7.5 h a day) with its holidays and adjusted working weekends (调休)
from the `holidays` package, and outreach send windows and business-day delays on such days."""

from datetime import UTC, date, datetime, time, timedelta

import holidays as holiday_data
import pytest

from workflows.outreach import windows
from workflows.tracking.business_time import (
    BusinessCalendar,
    NeverOpen,
    OpeningPeriod,
    add_business_time,
    business_time_between,
    extra_day,
    is_open,
    next_opening,
)

SHANGHAI = "Asia/Shanghai"
HOURS = ((time(9), time(12)), (time(13, 30), time(18)))
CHINA = holiday_data.China(years=[2025])


def _china(*, worked: bool = True) -> BusinessCalendar:
    periods = tuple(OpeningPeriod(d, s, e) for d in range(5) for s, e in HOURS)
    extra = tuple(
        extra_day(day, HOURS) for day in sorted(CHINA.weekend_workdays) if day.year == 2025
    )
    return BusinessCalendar(SHANGHAI, periods, frozenset(CHINA), extra if worked else ())


def shanghai(*args: int) -> datetime:
    """A Shanghai wall-clock time as UTC (UTC+8, no DST since 1991)."""
    return datetime(*args, tzinfo=UTC) - timedelta(hours=8)


def test_the_package_knows_the_2025_adjusted_days_this_test_relies_on() -> None:
    worked = {d for d in CHINA.weekend_workdays if d.year == 2025}
    assert {date(2025, 1, 26), date(2025, 2, 8), date(2025, 9, 28), date(2025, 10, 11)} <= worked
    spring = [date(2025, 1, 28) + timedelta(days=n) for n in range(8)]  # Jan 28 - Feb 4
    assert all(d in CHINA or d.weekday() >= 5 for d in spring)


def test_eight_hours_from_the_friday_before_spring_festival_end_on_the_worked_sunday() -> None:
    opened = shanghai(2025, 1, 24, 16)  # Friday 16:00
    # Friday 16:00-18:00 = 2 h; Saturday 25th closed; Sunday 26th is worked: 09:00-12:00 = 3 h
    # (5 h), then 13:30 + 3 h = 16:30 on Sunday 2025-01-26 (08:30 UTC).
    assert add_business_time(_china(), opened, timedelta(hours=8)) == shanghai(2025, 1, 26, 16, 30)
    # Without the adjusted Sunday the same target would fall on Monday 27th at 16:30.
    assert add_business_time(_china(worked=False), opened, timedelta(hours=8)) == shanghai(
        2025, 1, 27, 16, 30
    )


def test_longer_targets_skip_the_holiday_week_and_count_the_worked_saturday() -> None:
    china, opened = _china(), shanghai(2025, 1, 24, 16)
    # Fri 2 h, Sun 26th 7.5 h (9.5), Mon 27th 7.5 h (17); Jan 28 - Feb 4 closed (holidays,
    # the weekend, the two days off); Wed Feb 5th 09:00-12:00 (20), then 13:30 + 4 h = 17:30.
    assert add_business_time(china, opened, timedelta(hours=24)) == shanghai(2025, 2, 5, 17, 30)
    # ... Wed 5th full (24.5), Thu 6th (32), Fri 7th (39.5), Saturday 8th is worked: 09:30.
    assert add_business_time(china, opened, timedelta(hours=40)) == shanghai(2025, 2, 8, 9, 30)
    assert business_time_between(china, opened, shanghai(2025, 2, 8, 9, 30)) == timedelta(hours=40)
    assert is_open(china, shanghai(2025, 1, 26, 10)) and is_open(china, shanghai(2025, 2, 8, 17))
    assert not is_open(china, shanghai(2025, 1, 26, 12, 30))  # the lunch break holds on Sunday
    assert not is_open(china, shanghai(2025, 1, 29, 10))  # Spring Festival
    assert next_opening(china, shanghai(2025, 1, 27, 18)) == shanghai(2025, 2, 5, 9)


def test_an_extra_day_keeps_its_own_hours_and_wins_on_its_date_only() -> None:
    weekdays = tuple(OpeningPeriod(d, time(9), time(17)) for d in range(5))
    saturday = date(2026, 5, 9)
    calendar = BusinessCalendar(
        "UTC", weekdays, frozenset(), (extra_day(saturday, [(time(10), time(12))]),)
    )
    friday_close = datetime(2026, 5, 8, 17, tzinfo=UTC)
    assert next_opening(calendar, friday_close) == datetime(2026, 5, 9, 10, tzinfo=UTC)
    assert add_business_time(calendar, friday_close, timedelta(hours=3)) == datetime(
        2026, 5, 11, 10, tzinfo=UTC
    )
    assert calendar.is_working_day(saturday) and not calendar.is_working_day(date(2026, 5, 16))


def test_a_calendar_open_only_on_extra_days_and_one_open_never() -> None:
    day = date(2026, 6, 6)
    only = BusinessCalendar("UTC", (), frozenset(), (extra_day(day, [(time(8), time(9))]),))
    assert next_opening(only, datetime(2026, 6, 1, tzinfo=UTC)) == datetime(
        2026, 6, 6, 8, tzinfo=UTC
    )
    with pytest.raises(NeverOpen):
        next_opening(only, datetime(2026, 6, 7, tzinfo=UTC))
    with pytest.raises(NeverOpen):
        next_opening(BusinessCalendar("UTC", ()), datetime(2026, 6, 7, tzinfo=UTC))


WEEKDAY_WINDOW = {"weekdays": [0, 1, 2, 3, 4], "start": "10:00", "end": "17:00"}


def test_outreach_windows_open_on_extra_working_days_and_skip_holidays() -> None:
    saturday_night = shanghai(2025, 1, 25, 20)
    worked = {date(2025, 1, 26), date(2025, 2, 8)}
    assert windows.next_send_time(
        WEEKDAY_WINDOW, SHANGHAI, saturday_night, CHINA, worked
    ) == shanghai(2025, 1, 26, 10)
    assert windows.next_send_time(WEEKDAY_WINDOW, SHANGHAI, saturday_night, CHINA) == shanghai(
        2025, 1, 27, 10
    )
    # From the last evening before the holiday week: Wednesday Feb 5th, not Tuesday Jan 28th.
    assert windows.next_send_time(
        WEEKDAY_WINDOW, SHANGHAI, shanghai(2025, 1, 27, 18), CHINA, worked
    ) == shanghai(2025, 2, 5, 10)
    assert windows.is_inside(WEEKDAY_WINDOW, SHANGHAI, shanghai(2025, 2, 8, 11), CHINA, worked)
    night = {"weekdays": [0, 1, 2, 3, 4], "start": "22:00", "end": "02:00"}
    assert windows.next_send_time(night, SHANGHAI, saturday_night, CHINA, worked) == shanghai(
        2025, 1, 26, 22
    )


def test_business_day_delays_count_worked_weekends() -> None:
    friday = shanghai(2025, 1, 24, 15)
    # Business days after Friday 24th: Sun 26th (1), Mon 27th (2), then Feb 5th (3).
    assert windows.add_business_days(_china(), friday, 1) == shanghai(2025, 1, 26, 15)
    assert windows.add_business_days(_china(), friday, 3) == shanghai(2025, 2, 5, 15)
    assert windows.after_delay(
        {"amount": 2, "unit": "business_days"}, friday, _china(worked=False)
    ) == shanghai(2025, 2, 5, 15)

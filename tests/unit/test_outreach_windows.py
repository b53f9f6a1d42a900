"""Send windows in the customer's own zone and the delays between steps (pure, no database)."""

from datetime import UTC, date, datetime, time

import pytest

from workflows.outreach import windows
from workflows.tracking.business_time import BusinessCalendar, OpeningPeriod

OFFICE = {"weekdays": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}
NIGHT = {"weekdays": [0, 1, 2, 3, 4], "start": "22:00", "end": "06:00"}


@pytest.mark.parametrize(
    ("zone", "at", "expected"),
    [
        # Saturday noon in New York: Monday 09:00 EST (14:00 UTC).
        (
            "America/New_York",
            datetime(2026, 1, 10, 17, tzinfo=UTC),
            datetime(2026, 1, 12, 14, tzinfo=UTC),
        ),
        # Tuesday 10:00 in Tokyo is inside: at once.
        ("Asia/Tokyo", datetime(2026, 1, 6, 1, tzinfo=UTC), datetime(2026, 1, 6, 1, tzinfo=UTC)),
        # Tuesday 17:00 in Berlin, the window's end: Wednesday 09:00 CET.
        (
            "Europe/Berlin",
            datetime(2026, 1, 6, 16, tzinfo=UTC),
            datetime(2026, 1, 7, 8, tzinfo=UTC),
        ),
    ],
)
def test_the_window_is_in_the_customers_own_zone(
    zone: str, at: datetime, expected: datetime
) -> None:
    assert windows.next_send_time(OFFICE, zone, at) == expected


def test_a_window_across_midnight_runs_into_the_next_morning() -> None:
    zone = "Europe/Lisbon"  # UTC+0 in January
    # Friday 23:30 and Saturday 05:00 belong to Friday's window.
    assert windows.is_inside(NIGHT, zone, datetime(2026, 1, 9, 23, 30, tzinfo=UTC))
    assert windows.is_inside(NIGHT, zone, datetime(2026, 1, 10, 5, tzinfo=UTC))
    # Saturday 07:00: Saturday has no window, so Monday 22:00.
    assert windows.next_send_time(NIGHT, zone, datetime(2026, 1, 10, 7, tzinfo=UTC)) == datetime(
        2026, 1, 12, 22, tzinfo=UTC
    )
    # Monday 01:00 is the tail of Sunday's night, which is not a window day.
    assert not windows.is_inside(NIGHT, zone, datetime(2026, 1, 12, 1, tzinfo=UTC))


def test_dst_nights_open_at_the_local_time() -> None:
    daily = {"weekdays": list(range(7)), "start": "02:30", "end": "05:00"}
    # Berlin springs forward 02:00 → 03:00 on 29 March 2026: 02:30 does not exist; the window
    # opens when the clocks jump (03:00 CEST = 01:00 UTC).
    spring = windows.next_send_time(daily, "Europe/Berlin", datetime(2026, 3, 28, 23, tzinfo=UTC))
    assert spring == datetime(2026, 3, 29, 1, tzinfo=UTC)
    # The day after, 02:30 CEST is 00:30 UTC.
    after = windows.next_send_time(daily, "Europe/Berlin", datetime(2026, 3, 29, 5, tzinfo=UTC))
    assert after == datetime(2026, 3, 30, 0, 30, tzinfo=UTC)
    # Falling back on 25 October 2026: 09:00 is 07:00 UTC before and 08:00 UTC after.
    friday = windows.next_send_time(OFFICE, "Europe/Berlin", datetime(2026, 10, 23, 5, tzinfo=UTC))
    monday = windows.next_send_time(OFFICE, "Europe/Berlin", datetime(2026, 10, 24, 5, tzinfo=UTC))
    assert (friday, monday) == (
        datetime(2026, 10, 23, 7, tzinfo=UTC),
        datetime(2026, 10, 26, 8, tzinfo=UTC),
    )


def test_holidays_are_skipped() -> None:
    christmas = {date(2026, 12, 25)}  # a Friday
    thursday_evening = datetime(2026, 12, 24, 18, tzinfo=UTC)
    assert windows.next_send_time(OFFICE, "UTC", thursday_evening, christmas) == datetime(
        2026, 12, 28, 9, tzinfo=UTC
    )
    assert windows.next_send_time(OFFICE, "UTC", thursday_evening) == datetime(
        2026, 12, 25, 9, tzinfo=UTC
    )


def test_business_day_delays_skip_weekends_and_holidays() -> None:
    calendar = BusinessCalendar(
        "Europe/Berlin",
        tuple(OpeningPeriod(d, time(9), time(17)) for d in range(5)),
        frozenset({date(2026, 1, 12)}),  # Monday
    )
    friday = datetime(2026, 1, 9, 9, tzinfo=UTC)  # 10:00 Berlin
    delay = {"amount": 1, "unit": "business_days"}
    assert windows.after_delay(delay, friday, calendar) == datetime(2026, 1, 13, 9, tzinfo=UTC)
    assert windows.after_delay({"amount": 2, "unit": "calendar_days"}, friday) == datetime(
        2026, 1, 11, 9, tzinfo=UTC
    )
    assert windows.after_delay({"amount": 90, "unit": "minutes"}, friday) == datetime(
        2026, 1, 9, 10, 30, tzinfo=UTC
    )


def test_an_unknown_customer_zone_falls_back_to_the_strategy_default() -> None:
    assert windows.zone_of("Mars/Olympus", "Europe/Paris") == "Europe/Paris"
    assert windows.zone_of(None, "UTC") == "UTC"
    assert windows.zone_of("Asia/Tokyo", "UTC") == "Asia/Tokyo"

"""Quiet hours: when a notice that comes due at an instant may go out (pure, no database)."""

from datetime import UTC, datetime

import pytest

from models import Calendar
from workflows.tracking.calendars import quiet_until

OFFICE = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]


def _calendar(quiet: list[dict[str, str]], periods: list[dict] | None = None) -> Calendar:
    return Calendar(
        name="t", time_zone="Europe/Berlin", periods=periods or OFFICE, quiet_hours=quiet
    )


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # Tuesday 21:30 Berlin (20:30 UTC) in a 20:00 to 07:00 window: held to 09:00 opening.
        (datetime(2026, 3, 3, 20, 30, tzinfo=UTC), datetime(2026, 3, 4, 8, 0, tzinfo=UTC)),
        # Wednesday 06:00 Berlin, same window, after midnight: still held to 09:00.
        (datetime(2026, 3, 4, 5, 0, tzinfo=UTC), datetime(2026, 3, 4, 8, 0, tzinfo=UTC)),
        # Wednesday 12:00 Berlin is outside the window: not held.
        (datetime(2026, 3, 4, 11, 0, tzinfo=UTC), None),
        # Friday 22:00 Berlin: held over the weekend to Monday 09:00.
        (datetime(2026, 3, 6, 21, 0, tzinfo=UTC), datetime(2026, 3, 9, 8, 0, tzinfo=UTC)),
    ],
)
def test_a_window_across_midnight_holds_until_the_next_opening(
    at: datetime, expected: datetime | None
) -> None:
    assert quiet_until(_calendar([{"start": "20:00", "end": "07:00"}]), at) == expected


def test_a_window_ending_at_midnight_and_a_24_7_calendar() -> None:
    always = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]
    calendar = _calendar([{"start": "22:00", "end": "24:00"}], always)
    # 23:00 Berlin on a winter day: held to midnight, when the always-open calendar is open.
    assert quiet_until(calendar, datetime(2026, 1, 7, 22, 0, tzinfo=UTC)) == datetime(
        2026, 1, 7, 23, 0, tzinfo=UTC
    )
    assert quiet_until(calendar, datetime(2026, 1, 7, 20, 0, tzinfo=UTC)) is None


def test_no_quiet_hours_never_holds() -> None:
    assert quiet_until(_calendar([]), datetime(2026, 1, 7, 2, 0, tzinfo=UTC)) is None


def test_across_the_spring_forward_night() -> None:
    # Sunday 29 March 2026, Berlin jumps from 02:00 to 03:00; a 01:00 to 04:00 window at 01:30
    # CET (00:30 UTC) ends at 04:00 CEST (02:00 UTC); Monday 09:00 CEST opens at 07:00 UTC.
    calendar = _calendar([{"start": "01:00", "end": "04:00"}])
    assert quiet_until(calendar, datetime(2026, 3, 29, 0, 30, tzinfo=UTC)) == datetime(
        2026, 3, 30, 7, 0, tzinfo=UTC
    )

from datetime import UTC, datetime, timedelta

import pytest

from workflows.platform.clock import ManualClock, OffsetClock, SystemClock


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(datetime(2026, 3, 29, 0, 30, tzinfo=UTC))
    assert clock.now() == clock.now()
    clock.advance(timedelta(hours=2))
    assert clock.now() == datetime(2026, 3, 29, 2, 30, tzinfo=UTC)


def test_manual_clock_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="aware"):
        ManualClock(datetime(2026, 1, 1))  # noqa: DTZ001 (the point of the test)


def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is UTC


def test_offset_clock_adds_the_shared_offset() -> None:
    offset = {"seconds": 0.0}
    clock = OffsetClock(lambda: offset["seconds"])
    before = clock.now()
    offset["seconds"] = 3600
    ahead = clock.now()
    assert timedelta(minutes=59) < ahead - before < timedelta(minutes=61)

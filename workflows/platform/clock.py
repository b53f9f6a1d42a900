"""Time, injected. The one module that reads the system clock (STYLE.md §4, DESIGN.md §8)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant as an aware UTC datetime."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to; for unit tests."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware start time")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("ManualClock needs an aware time")
        self._now = instant.astimezone(UTC)


class OffsetClock:
    """System time plus an offset read from a shared source (a Redis key in end-to-end tests),
    so every process of a test deployment can be moved hours ahead at once without sleeping."""

    def __init__(self, read_offset_seconds: Callable[[], float]) -> None:
        self._read_offset_seconds = read_offset_seconds

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self._read_offset_seconds())

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from models.base import UTCDateTime

BERLIN_SUMMER = timezone(timedelta(hours=2))


def test_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2026, 7, 1, 12), sqlite.dialect())  # noqa: DTZ001


def test_refuses_non_datetimes() -> None:
    with pytest.raises(TypeError):
        UTCDateTime().process_bind_param("2026-07-01", sqlite.dialect())


def test_stores_utc_and_returns_aware_utc_on_sqlite() -> None:
    column = UTCDateTime()
    stored = column.process_bind_param(
        datetime(2026, 7, 1, 14, tzinfo=BERLIN_SUMMER), sqlite.dialect()
    )
    assert stored == datetime(2026, 7, 1, 12)  # noqa: DTZ001 (SQLite keeps naive UTC)
    loaded = column.process_result_value(stored, sqlite.dialect())
    assert loaded == datetime(2026, 7, 1, 12, tzinfo=UTC)
    assert loaded.tzinfo is UTC


def test_passes_aware_utc_to_postgresql() -> None:
    stored = UTCDateTime().process_bind_param(
        datetime(2026, 7, 1, 14, tzinfo=BERLIN_SUMMER), postgresql.dialect()
    )
    assert stored == datetime(2026, 7, 1, 12, tzinfo=UTC)
    assert stored.utcoffset() == timedelta(0)

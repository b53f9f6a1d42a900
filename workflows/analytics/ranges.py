"""A report's date range: whole days in the viewer's zone, and the SQL that puts an instant
into its local day without a Python loop over rows.

A local day is not always 24 hours (DST), so an instant's day index is computed from its epoch
seconds plus the zone's UTC offset in force then: the offset is a CASE over the few offset
changes inside the range, which the database evaluates per row cheaply.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from sqlalchemy import BigInteger, Integer, case, cast, func, literal
from sqlalchemy.sql import ColumnElement

from workflows.platform.errors import ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_

DEFAULT_DAYS = 28
MAX_DAYS = 366
EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class DayRange:
    first: date
    last: date
    time_zone: str

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @cached_property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def midnight(self, day: date) -> datetime:
        return local_midnight(day, self.zone)

    @property
    def start(self) -> datetime:
        return self.midnight(self.first)

    @property
    def end(self) -> datetime:
        """Exclusive: the start of the day after `last`."""
        return self.midnight(self.last + timedelta(days=1))

    def describe(self) -> dict[str, Any]:
        return {
            "start": self.first.isoformat(),
            "end": self.last.isoformat(),
            "time_zone": self.time_zone,
            "days": len(self.days),
        }

    @cached_property
    def offset_changes(self) -> list[tuple[datetime, int]]:
        """(instant, offset seconds from then on), starting with the offset at `start`.

        Offsets change at most a few times a year: compare day by day, then bisect to the
        second inside a day whose end has another offset than its start."""
        zone = self.zone
        offset = _offset(zone, self.start)
        changes = [(self.start, offset)]
        for day in self.days:
            low, high = self.midnight(day), self.midnight(day + timedelta(days=1))
            if _offset(zone, high) == offset:
                continue
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _offset(zone, middle) == offset:
                    low = middle
                else:
                    high = middle
            offset = _offset(zone, high)
            changes.append((high.replace(microsecond=0), offset))
        return changes


def local_midnight(day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    """The UTC instant `day` starts in `zone` (zoneinfo resolves a skipped midnight forward):
    the one conversion of local days to instants, for the reports and the queues' created
    range alike."""
    return datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)


def _offset(zone: zoneinfo.ZoneInfo, instant: datetime) -> int:
    return int(instant.astimezone(zone).utcoffset().total_seconds())


def parse_range(start: str | None, end: str | None, time_zone: str, *, today: date) -> DayRange:
    """From ISO dates (either may be missing: the last `DEFAULT_DAYS` days up to `today`);
    ValidationFailed naming the field that is wrong."""
    first, last = parse_days(start, end, time_zone)
    last = last or today
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ValidationFailed.field("end", Message(N_("The end comes before the start.")))
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailed.field(
            "start", Message(N_("Choose at most %(limit)s days."), limit=MAX_DAYS)
        )
    return DayRange(first, last, time_zone)


def parse_days(
    start: str | None,
    end: str | None,
    time_zone: str,
    *,
    fields: tuple[str, str, str] = ("start", "end", "time_zone"),
) -> tuple[date | None, date | None]:
    """Two optional ISO dates and a zone, checked as a report checks its range (the end may
    not come before the start); ValidationFailed names each bad one by its name in `fields`."""
    start_field, end_field, zone_field = fields
    errors: dict[str, list[str]] = {}
    try:
        zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        errors[zone_field] = [
            Message(
                N_("%(zone)s is not an IANA time zone (e.g. Europe/Berlin)."), zone=repr(time_zone)
            )
        ]
    days: dict[str, date] = {}
    for field, raw in ((start_field, start), (end_field, end)):
        if raw and raw.strip():
            try:
                days[field] = date.fromisoformat(raw.strip())
            except ValueError:
                errors[field] = [Message(N_("Enter a date as YYYY-MM-DD."))]
    if errors:
        raise ValidationFailed(errors)
    first, last = days.get(start_field), days.get(end_field)
    if first and last and first > last:
        raise ValidationFailed.field(end_field, Message(N_("The end comes before the start.")))
    return first, last


def epoch_seconds(column: Any, dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.extract("epoch", column)
    return cast(func.strftime("%s", column), Integer)


def day_index(column: Any, days: DayRange, dialect: str) -> ColumnElement[int]:
    """0 for an instant on the range's first local day, 1 on the next, …; meaningful only for
    instants inside the range (callers filter on `days.start <= column < days.end`)."""
    changes = days.offset_changes
    if len(changes) == 1:
        offset: Any = literal(changes[0][1])
    else:
        offset = case(
            *[(column < at, literal(before)) for (at, _), (_, before) in _pairs(changes)],
            else_=literal(changes[-1][1]),
        )
    if dialect == "postgresql":
        # Seconds since the first day's UTC midnight as a double: EXTRACT(epoch …) is NUMERIC
        # since PostgreSQL 14 and its arithmetic was half the cost of the support report's
        # per-day series (90 days, 172,000 events: ~410 -> ~225 ms). The difference of two
        # instants is whole microseconds below 2^53, so the double is exact to the
        # microsecond and the floor lands on the same day.
        since = func.date_part(
            "epoch", column - literal(datetime.combine(days.first, datetime.min.time(), tzinfo=UTC))
        )
        return cast(func.floor((since + offset) / 86400), Integer)
    base = (days.first - EPOCH).days * 86400
    local = epoch_seconds(column, dialect) + offset - literal(base, BigInteger)
    return cast(local / 86400, Integer)  # SQLite: integer division of non-negative integers


def _pairs(changes: list[tuple[datetime, int]]) -> list[tuple[tuple[datetime, int], tuple]]:
    """For each change after the first: (the change, the state before it)."""
    return [(changes[n], changes[n - 1]) for n in range(1, len(changes))]


def month_of(column: Any, dialect: str) -> ColumnElement[str]:
    """'YYYY-MM' of a DATE column."""
    if dialect == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.substr(column, 1, 7)


def dialect_of(session: Any) -> str:
    return session.get_bind().dialect.name


def exact_sum(column: Any, dialect: str) -> ColumnElement[Any]:
    """SUM of a Numeric(…, 4) amount without binary rounding: SQLite stores NUMERIC as a double,
    so it adds integer ten-thousandths there (`as_decimal` turns the result back)."""
    if dialect == "postgresql":
        return func.sum(column)
    return func.sum(cast(func.round(column * 10000), Integer))


def as_decimal(value: Any, dialect: str) -> Decimal:
    if value is None:
        return Decimal(0)
    if dialect == "postgresql":
        return Decimal(value)
    return Decimal(int(value)) / 10000

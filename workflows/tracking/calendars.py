"""Business calendars as records: opening periods, holidays (entered, from the `holidays`
package, or from an iCal file), extra working days (entered, or a country's adjusted working
weekends from the `holidays` package) and quiet hours; and their pure `BusinessCalendar` form."""

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import holidays as holiday_data
import icalendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Calendar, Holiday, SlaPolicyVersion, WorkingDay
from workflows.platform.clock import Clock
from workflows.platform.errors import Conflict, ValidationFailed
from workflows.platform.field_messages import Message, message_of
from workflows.platform.i18n import N_
from workflows.tracking.business_time import (
    BusinessCalendar,
    OpeningPeriod,
    extra_day,
    next_opening,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class CalendarInUse(Conflict):
    """A calendar that SLA policy versions count in cannot be deleted."""


def _parse_time(value: Any, *, allow_24: bool) -> time:
    text = str(value or "").strip()
    if allow_24 and text in ("24:00", "24:00:00"):
        return time(0)
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise ValueError(Message(N_("“%(value)s” is not a time (HH:MM)"), value=text)) from None


def _clean_periods(raw: Any, errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        errors["periods"] = [
            Message(N_("Give at least one opening period: weekday, start and end."))
        ]
        return []
    cleaned = []
    for index, item in enumerate(raw):
        try:
            if not isinstance(item, dict):
                raise ValueError(
                    Message(N_("each period is an object with weekday, start and end"))
                )
            weekday = item.get("weekday")
            if isinstance(weekday, str) and weekday[:3].lower() in WEEKDAYS:
                weekday = WEEKDAYS.index(weekday[:3].lower())
            if not isinstance(weekday, int) or isinstance(weekday, bool):
                raise ValueError(Message(N_("weekday is 0 (Monday) to 6 (Sunday)")))
            start = _parse_time(item.get("start"), allow_24=False)
            end = _parse_time(item.get("end"), allow_24=True)
            OpeningPeriod(weekday, start, end)  # checks the range and order
        except ValueError as exc:
            errors.setdefault("periods", []).append(
                Message(N_("Period %(n)s: %(reason)s."), n=index + 1, reason=message_of(exc))
            )
            continue
        cleaned.append(OpeningPeriod(weekday, start, end))
    return [
        {
            "weekday": period.weekday,
            "start": period.start.strftime("%H:%M"),
            "end": "24:00" if period.end == time(0) else period.end.strftime("%H:%M"),
        }
        for period in merge_periods(cleaned)
    ]


def merge_periods(periods: Iterable[OpeningPeriod]) -> list[OpeningPeriod]:
    """One period per stretch of opening: overlapping and touching periods of the same weekday
    become one (09:00-12:00 and 11:00-13:00 are 09:00-13:00), so a minute is never counted twice
    and the calendar page shows what is really open. Sorted by weekday, then start."""

    def minutes(moment: time, *, is_end: bool) -> int:
        return 24 * 60 if is_end and moment == time(0) else moment.hour * 60 + moment.minute

    merged: list[tuple[int, int, int]] = []
    for period in sorted(periods, key=lambda p: (p.weekday, p.start)):
        start, end = minutes(period.start, is_end=False), minutes(period.end, is_end=True)
        if merged and merged[-1][0] == period.weekday and start <= merged[-1][2]:
            weekday, first, last = merged[-1]
            merged[-1] = (weekday, first, max(last, end))
        else:
            merged.append((period.weekday, start, end))
    return [
        OpeningPeriod(
            weekday,
            time(start // 60, start % 60),
            time(0) if end == 24 * 60 else time(end // 60, end % 60),
        )
        for weekday, start, end in merged
    ]


def _clean_quiet_hours(raw: Any, errors: dict[str, list[str]]) -> list[dict[str, str]]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        errors["quiet_hours"] = [Message(N_("Quiet hours are a list of {start, end} times."))]
        return []
    cleaned = []
    for index, item in enumerate(raw):
        try:
            if not isinstance(item, dict):
                raise ValueError(Message(N_("each window is an object with start and end")))
            start = _parse_time(item.get("start"), allow_24=False)
            end = _parse_time(item.get("end"), allow_24=True)
            if start == end:
                raise ValueError(Message(N_("a quiet window needs different start and end")))
        except ValueError as exc:
            errors.setdefault("quiet_hours", []).append(
                Message(N_("Window %(n)s: %(reason)s."), n=index + 1, reason=message_of(exc))
            )
            continue
        cleaned.append({"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")})
    return cleaned


def _clean_holidays(raw: Any, errors: dict[str, list[str]]) -> dict[date, str]:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, list):
        errors["holidays"] = [Message(N_("Holidays are a list of {date, name}."))]
        return {}
    days: dict[date, str] = {}
    for index, item in enumerate(raw):
        try:
            if not isinstance(item, dict):
                raise ValueError(Message(N_("each holiday is an object with date and name")))
            day = date.fromisoformat(str(item.get("date", "")))
        except ValueError as exc:
            errors.setdefault("holidays", []).append(
                Message(N_("Holiday %(n)s: %(reason)s."), n=index + 1, reason=message_of(exc))
            )
            continue
        days[day] = str(item.get("name") or "Holiday")[:200]
    return days


# A day's own hours: [{"start", "end"}]; None = "as a normal working day" (see WorkingDay).
DayHours = list[dict[str, str]] | None


def _clean_day_hours(raw: Any) -> DayHours:
    """An extra working day's periods, merged and in order; None when none are given."""
    if raw in (None, "", []):
        return None
    if not isinstance(raw, list):
        raise ValueError(Message(N_("periods are a list of {start, end}")))
    cleaned = []
    for item in raw:
        if not isinstance(item, dict):
            raise ValueError(Message(N_("each period is an object with start and end")))
        start = _parse_time(item.get("start"), allow_24=False)
        end = _parse_time(item.get("end"), allow_24=True)
        cleaned.append(OpeningPeriod(0, start, end))  # checks the order
    return [
        {
            "start": period.start.strftime("%H:%M"),
            "end": "24:00" if period.end == time(0) else period.end.strftime("%H:%M"),
        }
        for period in merge_periods(cleaned)
    ]


def _clean_working_days(raw: Any, errors: dict[str, list[str]]) -> dict[date, tuple[str, DayHours]]:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, list):
        errors["working_days"] = [
            Message(N_("Extra working days are a list of {date, name, periods}."))
        ]
        return {}
    days: dict[date, tuple[str, DayHours]] = {}
    for index, item in enumerate(raw):
        try:
            if not isinstance(item, dict):
                raise ValueError(
                    Message(N_("each working day is an object with date, name and periods"))
                )
            day = date.fromisoformat(str(item.get("date", "")))
            if day in days:
                raise ValueError(Message(N_("%(day)s is listed twice"), day=day))
            hours = _clean_day_hours(item.get("periods"))
        except ValueError as exc:
            errors.setdefault("working_days", []).append(
                Message(N_("Working day %(n)s: %(reason)s."), n=index + 1, reason=message_of(exc))
            )
            continue
        days[day] = (str(item.get("name") or "Working day")[:200], hours)
    return days


def clean(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Validate calendar fields; raises one ValidationFailed naming every bad field."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    if not partial or "name" in data:
        name = str(data.get("name") or "").strip()
        if not name:
            errors["name"] = [Message(N_("Give the calendar a name."))]
        out["name"] = name[:120]
    if not partial or "time_zone" in data:
        zone = str(data.get("time_zone") or "").strip()
        if zone not in zoneinfo.available_timezones():
            errors["time_zone"] = [
                Message(N_("“%(zone)s” is not an IANA time zone (e.g. Europe/Berlin)."), zone=zone)
            ]
        out["time_zone"] = zone
    if not partial or "periods" in data:
        out["periods"] = _clean_periods(data.get("periods"), errors)
    if not partial or "quiet_hours" in data:
        out["quiet_hours"] = _clean_quiet_hours(data.get("quiet_hours"), errors)
    if "holidays" in data:
        out["holidays"] = _clean_holidays(data.get("holidays"), errors)
    if "working_days" in data:
        out["working_days"] = _clean_working_days(data.get("working_days"), errors)
        both = sorted(set(out["working_days"]) & set(out.get("holidays", {})))
        if both:
            errors.setdefault("working_days", []).append(
                Message(
                    N_("%(days)s: a day is a holiday or a working day, not both."),
                    days=", ".join(map(str, both)),
                )
            )
    if errors:
        raise ValidationFailed(errors)
    return out


def _check_name_free(session: Session, name: str, calendar_id: int | None) -> None:
    taken = session.scalar(select(Calendar.id).where(Calendar.name == name))
    if taken is not None and taken != calendar_id:
        raise ValidationFailed.field("name", Message(N_("Another calendar has this name.")))


def create(session: Session, data: dict[str, Any], *, clock: Clock) -> Calendar:
    values = clean(data)
    _check_name_free(session, values["name"], None)
    now = clock.now()
    calendar = Calendar(
        name=values["name"],
        time_zone=values["time_zone"],
        periods=values["periods"],
        quiet_hours=values["quiet_hours"],
        created_at=now,
        updated_at=now,
    )
    session.add(calendar)
    session.flush()
    _replace_holidays(session, calendar, values.get("holidays", {}), source="entered")
    _replace_working_days(session, calendar, values.get("working_days", {}))
    return calendar


def update(session: Session, calendar: Calendar, data: dict[str, Any], *, clock: Clock) -> None:
    """Change the given fields. Holidays given here replace the entered ones."""
    values = clean(data, partial=True)
    if "name" in values:
        _check_name_free(session, values["name"], calendar.id)
    for key in ("name", "time_zone", "periods", "quiet_hours"):
        if key in values:
            setattr(calendar, key, values[key])
    if "holidays" in values:
        _replace_holidays(session, calendar, values["holidays"], source="entered")
    if "working_days" in values:
        _replace_working_days(session, calendar, values["working_days"])
    calendar.updated_at = clock.now()
    session.flush()


def delete(session: Session, calendar: Calendar) -> None:
    used = session.scalar(
        select(SlaPolicyVersion.id).where(SlaPolicyVersion.calendar_id == calendar.id).limit(1)
    )
    if used is not None:
        raise CalendarInUse(Message(N_("SLA policies count in this calendar; change them first.")))
    session.delete(calendar)
    session.flush()


def _replace_holidays(
    session: Session, calendar: Calendar, days: dict[date, str], *, source: str
) -> None:
    for holiday in [h for h in calendar.holidays if h.source == source]:
        calendar.holidays.remove(holiday)
    session.flush()
    add_holidays(session, calendar, days.items(), source=source)


def _replace_working_days(
    session: Session, calendar: Calendar, days: dict[date, tuple[str, DayHours]]
) -> None:
    """The entered extra working days become `days`; imported ones stay. An entered day that is
    one of the calendar's holidays is refused (with the whole save): which would win is a
    question for the person entering it."""
    holidays = {h.day for h in calendar.holidays}
    clash = sorted(day for day in days if day in holidays)
    if clash:
        raise ValidationFailed.field(
            "working_days",
            Message(
                N_("%(days)s: already a holiday on this calendar; remove the holiday first."),
                days=", ".join(map(str, clash)),
            ),
        )
    for working_day in [w for w in calendar.working_days if w.source == "entered"]:
        calendar.working_days.remove(working_day)
    session.flush()
    known = {w.day for w in calendar.working_days}
    for day, (name, hours) in sorted(days.items()):
        if day not in known:
            calendar.working_days.append(
                WorkingDay(day=day, name=name, source="entered", periods=hours)
            )
    session.flush()


def add_working_days(
    session: Session, calendar: Calendar, days: Iterable[tuple[date, str]], *, source: str
) -> int:
    """Add extra working days (in the calendar's normal hours) that are neither on the calendar
    already nor one of its holidays; returns how many were added."""
    known = {w.day for w in calendar.working_days} | {h.day for h in calendar.holidays}
    added = 0
    for day, name in sorted(days):
        if day in known:
            continue
        calendar.working_days.append(WorkingDay(day=day, name=name[:200], source=source))
        known.add(day)
        added += 1
    session.flush()
    return added


def add_holidays(
    session: Session, calendar: Calendar, days: Iterable[tuple[date, str]], *, source: str
) -> int:
    """Add holidays not already on the calendar (nor among its extra working days); returns
    how many were added."""
    known = {h.day for h in calendar.holidays} | {w.day for w in calendar.working_days}
    added = 0
    for day, name in sorted(days):
        if day in known:
            continue
        calendar.holidays.append(Holiday(day=day, name=name[:200], source=source))
        known.add(day)
        added += 1
    session.flush()
    return added


@dataclass(frozen=True)
class Imported:
    holidays: int
    working_days: int


# The name an imported adjusted working day gets: the package names holidays, not these days.
ADJUSTED_WORKING_DAY = "Adjusted working day"


def import_country_holidays(
    session: Session,
    calendar: Calendar,
    *,
    country: str,
    years: Iterable[int],
    subdivision: str | None = None,
) -> Imported:
    """Public holidays from the `holidays` package, e.g. country "DE", subdivision "BY", and the
    weekend days the country works instead (`weekend_workdays`: China's 调休) as extra working
    days, for the given years only."""
    errors: dict[str, list[str]] = {}
    supported = holiday_data.list_supported_countries()
    country = (country or "").strip().upper()
    if country not in supported:
        errors["country"] = [
            Message(
                N_("“%(country)s” is not a supported country code (ISO 3166-1)."), country=country
            )
        ]
    elif subdivision and subdivision not in supported[country]:
        errors["subdivision"] = [
            Message(N_("Choose one of: %(choices)s."), choices=", ".join(supported[country]))
        ]
    years = sorted(set(years))
    if not years or any(not 1900 <= y <= 2200 for y in years):
        errors["years"] = [Message(N_("Give the years to import, e.g. [2026, 2027]."))]
    if errors:
        raise ValidationFailed(errors)
    table = holiday_data.country_holidays(country, subdiv=subdivision or None, years=years)
    holidays_added = add_holidays(session, calendar, table.items(), source="holidays")
    # The set can hold days of years other than those asked for (the package fills it for
    # every year it has computed), so keep only the chosen years.
    worked = [
        (day, ADJUSTED_WORKING_DAY)
        for day in getattr(table, "weekend_workdays", ())
        if day.year in years
    ]
    return Imported(holidays_added, add_working_days(session, calendar, worked, source="holidays"))


MAX_ICAL_DAYS = 5_000  # about 13 years of daily holidays: far beyond any real calendar


def import_ical(session: Session, calendar: Calendar, content: bytes | str) -> int:
    """All-day events of an iCal file (each day of a multi-day event) become holidays; a file
    that would add more than MAX_ICAL_DAYS days is refused before anything is written."""
    try:
        parsed = icalendar.Calendar.from_ical(content)
    except ValueError as exc:
        raise ValidationFailed.field(
            "file", Message(N_("This is not an iCal file: %(reason)s"), reason=str(exc))
        ) from None
    days: list[tuple[date, str]] = []
    for event in parsed.walk("VEVENT"):
        try:
            start = event.decoded("DTSTART", None)
            end = event.decoded("DTEND", None)
        except ValueError:
            start = end = "?"
        if start is None:
            continue
        if isinstance(start, datetime):
            start = start.date()
        end_day = end.date() if isinstance(end, datetime) else end
        if not isinstance(start, date) or not (end_day is None or isinstance(end_day, date)):
            name = event.get("SUMMARY") or Message(N_("an event"))
            raise ValidationFailed.field(
                "file",
                Message(N_("“%(name)s” has a start or end that is not a date."), name=name),
            )
        name = str(event.get("SUMMARY") or "Holiday")
        day = start
        while True:
            days.append((day, name))
            if len(days) > MAX_ICAL_DAYS:
                raise ValidationFailed.field(
                    "file",
                    Message(
                        N_(
                            "This file would add more than %(limit)s holiday days (“%(name)s” "
                            "alone runs from %(start)s to %(end)s); import a shorter range."
                        ),
                        limit=f"{MAX_ICAL_DAYS:,}",
                        name=name,
                        start=start,
                        end=end_day,
                    ),
                )
            day += timedelta(days=1)
            if end_day is None or day >= end_day:
                break
    if not days:
        raise ValidationFailed.field("file", Message(N_("The file holds no events.")))
    return add_holidays(session, calendar, days, source="ical")


def business_calendar(calendar: Calendar) -> BusinessCalendar:
    """The pure form that `workflows.tracking.business_time` computes with."""
    periods = tuple(
        OpeningPeriod(
            p["weekday"],
            time.fromisoformat(p["start"]),
            time(0) if p["end"] == "24:00" else time.fromisoformat(p["end"]),
        )
        for p in calendar.periods
    )
    return BusinessCalendar(
        calendar.time_zone,
        periods,
        frozenset(h.day for h in calendar.holidays),
        tuple(
            extra_day(w.day, _hours(w.periods) if w.periods else normal_hours(calendar))
            for w in calendar.working_days
        ),
    )


def _hours(periods: Iterable[dict[str, Any]]) -> list[tuple[time, time]]:
    return [
        (
            time.fromisoformat(p["start"]),
            time(0) if p["end"] == "24:00" else time.fromisoformat(p["end"]),
        )
        for p in periods
    ]


def normal_hours(calendar: Calendar) -> list[tuple[time, time]]:
    """The hours of a normal working day, which an extra working day without its own keeps:
    Monday's, else those of the first weekday that has any."""
    for weekday in range(7):
        hours = _hours(p for p in calendar.periods if p["weekday"] == weekday)
        if hours:
            return hours
    return []


def quiet_until(calendar: Calendar, at: datetime) -> datetime | None:
    """When `at` falls in quiet hours, the instant notices to people may go out again: the end
    of the quiet window or the next opening after it, whichever is later. Otherwise None."""
    zone = zoneinfo.ZoneInfo(calendar.time_zone)
    local = at.astimezone(zone)
    for window in calendar.quiet_hours:
        start = time.fromisoformat(window["start"])
        end = time(0) if window["end"] == "24:00" else time.fromisoformat(window["end"])
        moment = local.time()
        wraps = end <= start  # e.g. 20:00 to 08:00
        inside = (start <= moment or moment < end) if wraps else (start <= moment < end)
        if not inside:
            continue
        end_day = local.date()
        if (wraps and moment >= start) or end == time(0):
            end_day += timedelta(days=1)
        quiet_end = datetime.combine(end_day, end, tzinfo=zone).astimezone(at.tzinfo)
        return next_opening(business_calendar(calendar), quiet_end)
    return None


def as_dict(calendar: Calendar) -> dict[str, Any]:
    return {
        "id": calendar.id,
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "periods": calendar.periods,
        "quiet_hours": calendar.quiet_hours,
        "holidays": [
            {"date": h.day.isoformat(), "name": h.name, "source": h.source}
            for h in calendar.holidays
        ],
        "working_days": [
            {"date": w.day.isoformat(), "name": w.name, "source": w.source, "periods": w.periods}
            for w in calendar.working_days
        ],
        "version": calendar.version,
    }

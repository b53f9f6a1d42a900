"""Business calendars: the list, a form with a weekly opening grid, quiet hours, entered
holidays and extra working days (optimistic locking), delete with confirmation, and holiday
imports (which bring a country's adjusted working weekends along)."""

import re
from collections.abc import Sequence
from itertools import groupby
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from models import Calendar, Role, SlaPolicy, SlaPolicyVersion
from web.access import role_required
from web.admin import bp
from web.clocks import current_clock
from web.extensions import db
from web.forms import int_or_zero
from workflows.platform.errors import ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_
from workflows.tracking import calendars

DAYS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)
SHORT_DAYS = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))
SLOTS = 3  # opening periods offered per weekday: a lunch break needs two
MAX_SLOTS = 12
BLANK_HOLIDAY_ROWS = 3
BLANK_WORKING_DAY_ROWS = 2
DASH = "\u2013"  # en dash, between the start and end of a period
Page = Response | str | tuple[str, int]


def opening_summary(periods: Sequence[dict[str, Any]]) -> str:
    """“Mon-Fri 09:00-12:00, 13:00-17:00; Sat 10:00-14:00” (en dashes): equal days grouped."""
    hours = [
        ", ".join(
            f"{p['start']}{DASH}{p['end']}"
            for p in sorted(periods, key=lambda p: str(p["start"]))
            if p["weekday"] == day
        )
        for day in range(7)
    ]
    parts, day = [], 0
    for text, run in groupby(hours):
        length = len(list(run))
        if text:
            first, last = SHORT_DAYS[day], SHORT_DAYS[day + length - 1]
            parts.append(f"{first if length == 1 else f'{first}{DASH}{last}'} {text}")
        day += length
    return "; ".join(parts) or _("never open")


def _windows(rows: Sequence[dict[str, Any]]) -> str:
    return ", ".join(f"{w['start']}{DASH}{w['end']}" for w in rows) or _("none")


def _hours_text(periods: Sequence[dict[str, Any]] | None) -> str:
    """An extra working day's own hours as the form shows them; blank = normal hours."""
    return ", ".join(f"{p['start']}{DASH}{p['end']}" for p in periods or [])


def _hours_of(text: str) -> list[dict[str, str]]:
    """“09:00-12:00, 13:30-18:00” as periods. A part that is not a range is passed on as it is,
    so the domain names it in its message."""
    periods = []
    for part in re.split(r"[,;]", text):
        if not part.strip():
            continue
        start, _, end = re.sub(rf"\s*[-{DASH}]\s*", "-", part.strip()).partition("-")
        periods.append({"start": start, "end": end})
    return periods


# ---------------------------------------------------------------- the form's draft


def _draft_of(calendar: Calendar | None) -> dict[str, Any]:
    """What the form shows for a saved calendar (or a new one: Mon-Fri 09:00-17:00 in the
    admin's own zone)."""
    if calendar is None:
        periods = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]
        zone = current_user.time_zone or "UTC"
        return {"name": "", "time_zone": zone, "version": "", "periods": periods}
    return {
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "version": str(calendar.version),
        "periods": calendar.periods,
        "quiet_hours": calendar.quiet_hours,
        "holidays": [
            {"date": h.day.isoformat(), "name": h.name}
            for h in calendar.holidays
            if h.source == "entered"
        ],
        "working_days": [
            {"date": w.day.isoformat(), "name": w.name, "hours": _hours_text(w.periods)}
            for w in calendar.working_days
            if w.source == "entered"
        ],
    }


def _grid(periods: Sequence[dict[str, Any]]) -> list[list[dict[str, str]]]:
    """Seven rows of start/end cells, at least SLOTS each, one more than a day already uses."""
    rows: list[list[dict[str, str]]] = [[] for _day in range(7)]
    for period in sorted(periods, key=lambda p: str(p.get("start"))):
        rows[int(period["weekday"])].append({"start": period["start"], "end": period["end"]})
    width = max([SLOTS, *(len(r) for r in rows)])
    return [row + [{"start": "", "end": ""}] * (width - len(row)) for row in rows]


def _form_of(draft: dict[str, Any]) -> dict[str, Any]:
    """The draft as the template's rows: grid cells, quiet windows and holiday rows."""
    quiet = list(draft.get("quiet_hours") or [])
    holidays = list(draft.get("holidays") or [])
    working_days = list(draft.get("working_days") or [])
    return {
        **draft,
        "grid": draft.get("grid") or _grid(draft["periods"]),
        "quiet_hours": quiet + [{"start": "", "end": ""}] * max(1, 2 - len(quiet)),
        "holidays": holidays + [{"date": "", "name": ""}] * BLANK_HOLIDAY_ROWS,
        "working_days": working_days
        + [{"date": "", "name": "", "hours": ""}] * BLANK_WORKING_DAY_ROWS,
    }


def _posted(form: MultiDict[str, str]) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """The domain's data from the posted form, and where each list item came from (so the
    domain's “Period 3: …” message lands at its cell)."""
    width = min(max(SLOTS, int_or_zero(form.get("slots"))), MAX_SLOTS)
    grid = [
        [
            {
                "start": form.get(f"p-{d}-{i}-start", "").strip(),
                "end": form.get(f"p-{d}-{i}-end", "").strip(),
            }
            for i in range(width)
        ]
        for d in range(7)
    ]
    periods, cells = [], []
    for d, row in enumerate(grid):
        for i, cell in enumerate(row):
            if cell["start"] or cell["end"]:
                periods.append({"weekday": d, **cell})
                cells.append((d, i))
    quiet = _pairs(form, "quiet-start", "quiet-end", "start", "end")
    holidays = _pairs(form, "holiday-date", "holiday-name", "date", "name")
    working_rows = [
        {"date": d.strip(), "name": n.strip(), "hours": h.strip()}
        for d, n, h in zip(
            form.getlist("workday-date"),
            form.getlist("workday-name"),
            form.getlist("workday-hours"),
            strict=False,
        )
        if d.strip() or n.strip() or h.strip()
    ]
    data = {
        "name": form.get("name", ""),
        "time_zone": form.get("time_zone", ""),
        "version": form.get("version", ""),
        "periods": periods,
        "grid": grid,
        "quiet_hours": quiet,
        "holidays": holidays,
        "working_days": [
            # `hours` as typed, for the form shown again; the domain reads `periods`.
            {**w, "periods": _hours_of(w["hours"])}
            for w in working_rows
        ],
    }
    # Blank rows are dropped and the rest shown in order, so the n-th item sent is row n.
    origins = {"periods": cells, "quiet_hours": list(range(len(quiet)))}
    return data, {
        **origins,
        "holidays": list(range(len(holidays))),
        "working_days": list(range(len(working_rows))),
    }


def _pairs(
    form: MultiDict[str, str], first: str, second: str, key_1: str, key_2: str
) -> list[dict[str, str]]:
    """Rows of two repeated inputs, blank rows dropped."""
    pairs = zip(form.getlist(first), form.getlist(second), strict=False)
    return [{key_1: a.strip(), key_2: b.strip()} for a, b in pairs if a.strip() or b.strip()]


ITEM_PREFIX = {
    "periods": "Period",
    "quiet_hours": "Window",
    "holidays": "Holiday",
    "working_days": "Working day",
}


def _placed(errors: dict[str, list[str]], origins: dict[str, list[Any]]) -> dict[str, Any]:
    """Domain messages about the n-th item sent, keyed by the row or cell it came from."""
    placed: dict[str, Any] = {"fields": {}, "rows": {}}
    for field, messages in errors.items():
        prefix = ITEM_PREFIX.get(field)
        for message in messages:
            found = re.match(rf"{prefix} (\d+): (.*)$", message) if prefix else None
            index = int(found[1]) - 1 if found else -1
            if found and index < len(origins[field]):
                at = origins[field][index]
                placed["rows"].setdefault(field, {}).setdefault(at, []).append(_at_row(message))
            else:
                placed["fields"].setdefault(field, []).append(message)
    return placed


def _at_row(message: str) -> str:
    """“Period 2: … .” without its “Period 2: ”, still in the reader's words (the workflow's
    `Message` carries the reason; the English match alone would show English)."""
    if isinstance(message, Message) and "reason" in message.values:
        return Message(N_("%(reason)s."), reason=message.values["reason"])
    return message.split(": ", 1)[1]


# ---------------------------------------------------------------- pages


@bp.get("/calendars")
@role_required(Role.ADMIN)
def calendar_list() -> str:
    rows = db.session.scalars(
        select(Calendar)
        .options(selectinload(Calendar.holidays), selectinload(Calendar.working_days))
        .order_by(func.lower(Calendar.name))
    ).all()
    return render_template("admin/calendars.html", calendars=rows, summary=opening_summary)


@bp.route("/calendars/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_calendar() -> Page:
    if request.method == "GET":
        return _render(None, _draft_of(None))
    data, origins = _posted(request.form)
    try:
        calendar = calendars.create(db.session, data, clock=current_clock())
    except ValidationFailed as exc:
        db.session.rollback()
        return _render(None, data, errors=_placed(exc.errors, origins)), 422
    db.session.commit()
    flash(
        _("Calendar “%(name)s” created. Import its public holidays below.", name=calendar.name),
        "success",
    )
    return redirect(url_for("admin.edit_calendar", calendar_id=calendar.id))


@bp.route("/calendars/<int:calendar_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_calendar(calendar_id: int) -> Page:
    calendar = db.get_or_404(Calendar, calendar_id)
    if request.method == "GET":
        return _render(calendar, _draft_of(calendar))
    data, origins = _posted(request.form)
    if int_or_zero(data["version"]) != calendar.version:
        return _conflict(calendar, data)
    try:
        calendars.update(db.session, calendar, data, clock=current_clock())
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        return _render(calendar, data, errors=_placed(exc.errors, origins)), 422
    except StaleDataError:
        # Another save passed the version check at the same moment.
        db.session.rollback()
        return _conflict(db.get_or_404(Calendar, calendar_id), data)
    flash(_("Calendar “%(name)s” saved.", name=calendar.name), "success")
    return redirect(url_for("admin.calendar_list"))


def _conflict(calendar: Calendar, mine: dict[str, Any]) -> tuple[str, int]:
    """Keep the editor's entries (now against the saved version, so saving again applies them)
    and show the saved calendar beside them."""
    theirs = _draft_of(calendar)
    rows = [
        (label, a, b, a != b)
        for label, a, b in (
            (_("Name"), theirs["name"], mine["name"]),
            (_("Time zone"), theirs["time_zone"], mine["time_zone"]),
            (
                _("Opening hours"),
                opening_summary(theirs["periods"]),
                opening_summary(mine["periods"]),
            ),
            (_("Quiet hours"), _windows(theirs["quiet_hours"]), _windows(mine["quiet_hours"])),
            (
                _("Entered holidays"),
                ", ".join(h["date"] for h in theirs["holidays"]) or _("none"),
                ", ".join(h["date"] for h in mine["holidays"]) or _("none"),
            ),
            (
                "Entered working days",
                ", ".join(w["date"] for w in theirs["working_days"]) or "none",
                ", ".join(w["date"] for w in mine["working_days"]) or "none",
            ),
        )
    ]
    mine = {**mine, "version": str(calendar.version)}
    flash(
        _(
            "Someone saved this calendar after you opened it. Nothing of yours is lost: "
            "compare, then save again."
        ),
        "error",
    )
    return _render(calendar, mine, conflict=rows), 409


def _render(
    calendar: Calendar | None,
    draft: dict[str, Any],
    *,
    errors: dict[str, Any] | None = None,
    conflict: list[Any] | None = None,
    imports: dict[str, Any] | None = None,
) -> str:
    return render_template(
        "admin/calendar_edit.html",
        calendar=calendar,
        form=_form_of(draft),
        errors=errors or {"fields": {}, "rows": {}},
        conflict=conflict,
        imports=imports or {"values": {}, "errors": {}},
        days=DAYS,
        used_by=_policies_using(calendar) if calendar else [],
    )


def _policies_using(calendar: Calendar) -> list[SlaPolicy]:
    return list(
        db.session.scalars(
            select(SlaPolicy)
            .where(
                SlaPolicy.id.in_(
                    select(SlaPolicyVersion.policy_id).where(
                        SlaPolicyVersion.calendar_id == calendar.id
                    )
                )
            )
            .order_by(SlaPolicy.position, SlaPolicy.id)
        )
    )


# ---------------------------------------------------------------- delete and imports


@bp.route("/calendars/<int:calendar_id>/delete", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def delete_calendar(calendar_id: int) -> Page:
    calendar = db.get_or_404(Calendar, calendar_id)
    if request.method == "GET":
        return render_template(
            "admin/calendar_delete.html", calendar=calendar, used_by=_policies_using(calendar)
        )
    name = calendar.name
    try:
        calendars.delete(db.session, calendar)
    except calendars.CalendarInUse as exc:
        db.session.rollback()
        calendar = db.get_or_404(Calendar, calendar_id)
        return render_template(
            "admin/calendar_delete.html",
            calendar=calendar,
            used_by=_policies_using(calendar),
            refused=str(exc),
        ), 409
    db.session.commit()
    flash(_("Calendar “%(name)s” deleted.", name=name), "success")
    return redirect(url_for("admin.calendar_list"))


def _years(text: str) -> list[int] | None:
    """“2027”, “2026, 2027” or “2026-2028”; None when something else is in the way."""
    years: list[int] = []
    for part in re.split(r"[,\s]+", text.strip()):
        if not part:
            continue
        found = re.fullmatch(rf"(\d{{4}})(?:\s*[-{DASH}]\s*(\d{{4}}))?", part)
        if not found:
            return None
        first, last = int(found[1]), int(found[2] or found[1])
        if last < first or last - first > 50:
            return None
        years.extend(range(first, last + 1))
    return years


@bp.post("/calendars/<int:calendar_id>/holidays/import")
@role_required(Role.ADMIN)
def import_holidays(calendar_id: int) -> Page:
    calendar = db.get_or_404(Calendar, calendar_id)
    values = {k: request.form.get(k, "").strip() for k in ("country", "subdivision", "years")}
    years = _years(values["years"])
    try:
        added = calendars.import_country_holidays(
            db.session,
            calendar,
            country=values["country"],
            subdivision=values["subdivision"].upper() or None,
            years=years or [],
        )
    except ValidationFailed as exc:
        db.session.rollback()
        if years is None:
            exc.errors["years"] = [_("Give years like 2027, or 2026, 2027, or 2026-2028.")]
        calendar = db.get_or_404(Calendar, calendar_id)
        imports = {"values": values, "errors": exc.errors}
        return _render(calendar, _draft_of(calendar), imports=imports), 422
    db.session.commit()
    where = "-".join(filter(None, (values["country"].upper(), values["subdivision"].upper())))
    flash(
        _(
            "%(added)s from the %(where)s public holidays of %(years)s.",
            added=_added(added),
            where=where,
            years=values["years"],
        ),
        "success",
    )
    return redirect(url_for("admin.edit_calendar", calendar_id=calendar.id, _anchor="holidays"))


@bp.post("/calendars/<int:calendar_id>/holidays/ical")
@role_required(Role.ADMIN)
def import_ical(calendar_id: int) -> Page:
    calendar = db.get_or_404(Calendar, calendar_id)
    upload = request.files.get("file")
    try:
        content = upload.read() if upload else b""
        if not content:
            raise ValidationFailed.field("file", _("Choose an iCal (.ics) file."))
        added = calendars.import_ical(db.session, calendar, content)
    except ValidationFailed as exc:
        db.session.rollback()
        calendar = db.get_or_404(Calendar, calendar_id)
        imports = {"values": {}, "errors": exc.errors}
        return _render(calendar, _draft_of(calendar), imports=imports), 422
    db.session.commit()
    if upload and upload.filename:
        flash(_("%(added)s from %(file)s.", added=_added(added), file=upload.filename), "success")
    else:
        flash(_("%(added)s from the file.", added=_added(added)), "success")
    return redirect(url_for("admin.edit_calendar", calendar_id=calendar.id, _anchor="holidays"))


def _added(count: int | calendars.Imported) -> str:
    if isinstance(count, calendars.Imported):
        worked = count.working_days
        text = _added(count.holidays)
        if worked:
            text += f" and {worked} adjusted working day{'' if worked == 1 else 's'}"
        return text
    if count == 0:
        return _("No holidays added (all were already on the calendar)")
    return ngettext("%(num)s holiday added", "%(num)s holidays added", count)

"""From a request's query string and the viewer to a report: the one place the pages, their JSON
and the API build reports, so all three return the same figures."""

import zoneinfo
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from models import User
from web.clocks import current_clock
from web.extensions import db
from workflows.analytics import pareto, sales, support
from workflows.analytics.filters import parse_filter
from workflows.analytics.ranges import DayRange, parse_range
from workflows.platform.errors import ValidationFailed
from workflows.tracking import visibility

KINDS = ("support", "sales", "pareto")


def viewer_zone_name(args: Mapping[str, Any], user: User | None) -> str:
    """`time_zone` from the query, else the viewer's own, else the installation's default."""
    return (
        str(args.get("time_zone") or "").strip()
        or (user.time_zone if user is not None else None)
        or current_app.config["DEFAULT_TIMEZONE"]
    )


def day_range(args: Mapping[str, Any], user: User | None) -> DayRange:
    zone = viewer_zone_name(args, user)
    today = today_in(zone)
    return parse_range(args.get("start"), args.get("end"), zone, today=today)


def today_in(zone: str) -> date:
    try:
        return current_clock().now().astimezone(zoneinfo.ZoneInfo(zone)).date()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return current_clock().now().date()  # parse_range names the bad zone


def _scope(user: User | None) -> Any:
    """The one read policy (`workflows.tracking.visibility`), as the requirement pages apply it."""
    return visibility.readable(
        db.session,
        user,
        everyone_sees_everything=bool(current_app.config["REQUIREMENTS_VISIBLE_TO_ALL"]),
    )


def _parsed(args: Mapping[str, Any], user: User | None) -> tuple[DayRange, Any]:
    """Range and filters, with every bad field named at once."""
    errors: dict[str, list[str]] = {}
    days = filters = None
    try:
        days = day_range(args, user)
    except ValidationFailed as exc:
        errors |= exc.errors
    try:
        filters = parse_filter(dict(args))
    except ValidationFailed as exc:
        errors |= exc.errors
    if errors:
        raise ValidationFailed(errors)
    return days, filters


def build(kind: str, args: Mapping[str, Any], user: User | None) -> dict[str, Any]:
    """The report `kind` for these query arguments, counting only the requirements `user` may
    read; ValidationFailed names a bad argument."""
    days, filters = _parsed(args, user)
    filters = replace(filters, scope=_scope(user))
    if kind == "support":
        return support.support_report(db.session, days, filters)
    if kind == "sales":
        raw = str(args.get("dormant_days") or "").strip()
        if raw and not (raw.isdigit() and 0 < int(raw) <= 3650):
            raise ValidationFailed.field(
                "dormant_days", _("Enter a number of days from 1 to 3650.")
            )
        return sales.sales_report(
            db.session,
            days,
            filters,
            today=today_in(days.time_zone),
            dormant_days=int(raw) if raw else sales.DEFAULT_DORMANT_DAYS,
        )
    dimension = str(args.get("dimension") or "").strip() or pareto.DIMENSIONS[0]
    currency = str(args.get("currency") or "").strip().upper() or None
    return pareto.pareto_report(db.session, dimension, days, filters, currency=currency)

"""Jinja filters and globals: times in the viewer's zone, navigation by role."""

import re
import zoneinfo
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask, current_app
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from models import Role
from workflows.customers import addresses, subject_data


def viewer_zone() -> zoneinfo.ZoneInfo:
    name = None
    if current_user and current_user.is_authenticated:
        name = current_user.time_zone
    return zone_named(name)


def zone_named(name: str | None) -> zoneinfo.ZoneInfo:
    """The zone called `name`, else the app's default zone, else UTC."""
    try:
        return zoneinfo.ZoneInfo(name or current_app.config["DEFAULT_TIMEZONE"])
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return zoneinfo.ZoneInfo("UTC")


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> Markup:
    """`<time>` showing an instant in the viewer's zone, with the zone named; the machine-readable
    `datetime` carries the local offset (e.g. +09:00) and the tooltip the same instant in UTC."""
    if value is None:
        return Markup('<span class="muted">—</span>')
    if value.tzinfo is None:  # stored instants are UTC (models.UTCDateTime)
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(viewer_zone())
    return Markup('<time datetime="{}" title="{}">{} {}</time>').format(
        local.isoformat(timespec="seconds"),
        value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        local.strftime(fmt),
        local.tzname(),
    )


def date_words(value: date | datetime | str | None, fmt: str = "long") -> Markup:
    """`<time>` showing a day in the viewer's language ("5 January 2099" / "2099年1月5日"; an
    instant's day in the viewer's zone), with the ISO date in its `datetime` attribute."""
    if value is None or value == "":
        return Markup('<span class="muted">—</span>')
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return Markup.escape(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(viewer_zone()).date()
    return Markup('<time datetime="{}">{}</time>').format(
        value.isoformat(), format_date(value, fmt)
    )


REMOTE_IMG_RE = re.compile(r'<img([^>]*?)\ssrc="((?:https?:)?//[^"]*)"', re.IGNORECASE)


def message_body(safe_html: str | None) -> Markup:
    """A communication's (already sanitised) HTML with remote images held back: their address
    moves to `data-src`, so opening the timeline tells no sender that it was read, and a "Show
    images" button (rapport.js) loads them on request."""
    if not safe_html:
        return Markup("")
    held, count = REMOTE_IMG_RE.subn(r'<img\1 data-src="\2"', safe_html)
    if not count:
        return Markup('<div class="body">{}</div>').format(Markup(safe_html))  # noqa: S704 (nh3-sanitised when saved)
    return Markup(
        '<div class="body held-images">{}<button type="button" class="secondary outline '
        'show-images">{}</button></div>'
    ).format(Markup(held), _("Show images (%(n)s)", n=count))  # noqa: S704 (nh3-sanitised when saved)


def shown(value: Any) -> Any:
    """Jinja's `finalize`: what every `{{ … }}` prints. An erased customer's stored English
    name ("Erased customer 7") in the reader's language; anything else as it is."""
    if type(value) is str and value.startswith("Erased customer "):
        match = subject_data.ERASED_NAME_RE.fullmatch(value)
        if match:
            return _(subject_data.ERASED_NAME, id=match.group(1))
    return value


def register(app: Flask) -> None:
    app.jinja_env.finalize = shown
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["date_words"] = date_words
    app.jinja_env.filters["message_body"] = message_body
    app.jinja_env.filters["address_lines"] = addresses.address_lines
    app.jinja_env.globals["layout_for"] = addresses.layout_for
    app.jinja_env.globals["address_parts"] = addresses.PARTS
    app.jinja_env.globals["Role"] = Role
    app.jinja_env.globals["viewer_zone_name"] = lambda: viewer_zone().key
    app.jinja_env.globals["all_time_zones"] = lambda: sorted(zoneinfo.available_timezones())

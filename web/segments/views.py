"""Segment pages. Saving reads the filters from the query string exactly as the list does."""

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from models import Role, Segment, User
from web.access import role_required
from web.clocks import current_clock
from web.customers.listing import filter_from_args
from web.extensions import db
from web.segments import bp
from web.segments.access import can_change, get_changeable_segment_or_403
from web.segments.links import list_args
from workflows.customers import segments
from workflows.platform.errors import ValidationFailed

# The list page's query arguments in words, for the filters a new segment saves.
FILTER_LABELS = {
    "q": _l("Search words"),
    "owner": _l("Owner"),
    "stage": _l("Stage"),
    "organisation": _l("Organisation"),
    "organisation_name": _l("Organisation"),
    "tag": _l("Tag"),
    "created_from": _l("Created from"),
    "created_to": _l("Created until"),
    "contacted_from": _l("Last contacted from"),
    "contacted_to": _l("Last contacted until"),
}


def _row(segment: Segment, owners: dict[int, str]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "segment": segment,
        "owner": owners.get(segment.owner_id or 0),
        "count": None,
        "link": None,
        "error": None,
        "can_change": can_change(current_user, segment),
    }
    savepoint = db.session.begin_nested()
    try:
        flt = segments.filter_of(segment)
        ids = segments.evaluate(db.session, segment).subquery()
        row["count"] = db.session.scalar(select(func.count()).select_from(ids))
        savepoint.commit()
    except ValidationFailed as exc:
        savepoint.rollback()
        row["error"] = str(exc)
        return row
    except (SQLAlchemyError, ValueError):
        # A filter saved before input was checked (a NUL byte, say) must not take the page
        # down for everyone: this row says so and the others still count.
        savepoint.rollback()
        row["error"] = _("This segment's filter cannot be evaluated; edit or delete it.")
        return row
    args = list_args(flt)
    row["link"] = None if args is None else url_for("customers.index", **args)
    return row


@bp.get("")
@role_required(Role.AGENT)
def index() -> str:
    rows = list(db.session.scalars(select(Segment).order_by(Segment.name, Segment.id)))
    owners = dict(db.session.execute(select(User.id, User.name)).all())
    return render_template("segments/index.html", rows=[_row(s, owners) for s in rows])


def _form(status: int, errors: dict[str, list[str]], name: str) -> tuple[str, int]:
    filters = {k: v for k, v in request.args.items() if v and k not in ("sort", "cursor")}
    return (
        render_template(
            "segments/new.html",
            errors=errors,
            name=name,
            filters=filters,
            filter_labels=FILTER_LABELS,
        ),
        status,
    )


@bp.get("/new")
@role_required(Role.AGENT)
def new() -> tuple[str, int]:
    return _form(200, {}, "")


@bp.post("/new")
@role_required(Role.AGENT)
def create() -> Response | tuple[str, int]:
    name = request.form.get("name", "")
    errors: dict[str, list[str]] = {}
    flt = filter_from_args(errors)
    try:
        if errors:
            raise ValidationFailed(errors)
        segment = segments.create_segment(
            db.session, name, flt, owner_id=current_user.id, clock=current_clock()
        )
    except ValidationFailed as exc:
        db.session.rollback()
        if not name.strip():
            exc.errors.setdefault("name", [_("Give the segment a name.")])
        return _form(422, exc.errors, name)
    db.session.commit()
    flash(_("Segment “%(name)s” saved.", name=segment.name), "success")
    return redirect(url_for("segments.index"))


@bp.get("/<int:segment_id>/edit")
@role_required(Role.AGENT)
def edit(segment_id: int) -> str:
    segment = get_changeable_segment_or_403(segment_id)
    return render_template("segments/edit.html", segment=segment, name=segment.name, errors={})


@bp.post("/<int:segment_id>/edit")
@role_required(Role.AGENT)
def rename(segment_id: int) -> Response | tuple[str, int]:
    segment = get_changeable_segment_or_403(segment_id)
    name = request.form.get("name", "")
    try:
        segments.update_segment(db.session, segment, clock=current_clock(), name=name)
    except ValidationFailed as exc:
        db.session.rollback()
        page = render_template("segments/edit.html", segment=segment, name=name, errors=exc.errors)
        return page, 422
    db.session.commit()
    flash(_("Segment renamed to “%(name)s”.", name=segment.name), "success")
    return redirect(url_for("segments.index"))


@bp.get("/<int:segment_id>/delete")
@role_required(Role.AGENT)
def confirm_delete(segment_id: int) -> str:
    segment = get_changeable_segment_or_403(segment_id)
    return render_template("segments/confirm.html", segment=segment)


@bp.post("/<int:segment_id>/delete")
@role_required(Role.AGENT)
def delete(segment_id: int) -> Response:
    segment = get_changeable_segment_or_403(segment_id)
    name = segment.name
    segments.delete_segment(db.session, segment)
    db.session.commit()
    flash(_("Segment “%(name)s” deleted.", name=name), "success")
    return redirect(url_for("segments.index"))

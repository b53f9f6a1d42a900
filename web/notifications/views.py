"""The notifications pages and the bell's JSON."""

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from models import Notification, User
from web.clocks import current_clock
from web.extensions import db
from web.notifications import bp
from web.requirements import queries
from workflows.tracking import notifications
from workflows.tracking.notification_preferences import (
    EVENTS,
    Channels,
    preferences,
    set_preferences,
)

LATEST = 5  # shown in the bell's list


@bp.get("")
@login_required
def index() -> str:
    page = max(request.args.get("page", 1, type=int), 1)
    rows, more = notifications.page_of(db.session, current_user.id, page)
    actors = {n.actor_id for n in rows if n.actor_id}
    return render_template(
        "notifications/index.html",
        rows=rows,
        page=page,
        more=more,
        actors=queries.names_by_id(db.session, User.id, User.name, actors),
    )


@bp.get("/unread")
@login_required
def unread() -> Response:
    """The bell's poll: the unread count and the newest notification's id."""
    latest = db.session.scalar(
        db.select(Notification.id)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.id.desc())
        .limit(1)
    )
    response = jsonify(
        unread=notifications.unread_count(db.session, current_user.id), latest=latest
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:notification_id>/read")
@login_required
def read(notification_id: int) -> Response:
    """Mark one read and go where it points (its requirement), or back to the list."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404, _("No such notification."))
    notifications.mark_read(
        db.session, current_user.id, clock=current_clock(), notification_id=notification_id
    )
    db.session.commit()
    if request.form.get("open") and notification.requirement_id:
        return redirect(
            url_for("requirements.show", requirement_id=notification.requirement_id), 303
        )
    return redirect(url_for("notifications.index", page=request.args.get("page", 1)), 303)


@bp.post("/read-all")
@login_required
def read_all() -> Response:
    notifications.mark_read(db.session, current_user.id, clock=current_clock())
    db.session.commit()
    return redirect(url_for("notifications.index"), 303)


@bp.get("/preferences")
@login_required
def preferences_page() -> str:
    return render_template(
        "notifications/preferences.html",
        events=list(EVENTS),
        chosen=preferences(db.session, current_user.id),
    )


@bp.post("/preferences")
@login_required
def save_preferences() -> Response:
    """Checkboxes `<event>.in_app` and `<event>.email`: an unticked one is simply absent."""
    chosen = {
        event: Channels(
            in_app=request.form.get(f"{event}.in_app") == "on",
            email=request.form.get(f"{event}.email") == "on",
        )
        for event in EVENTS
    }
    set_preferences(db.session, current_user.id, chosen)
    db.session.commit()
    flash(_("Notification preferences saved."), "success")
    return redirect(url_for("notifications.preferences_page"), 303)

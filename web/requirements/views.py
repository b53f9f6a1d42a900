"""Saved queue views: "Save this view" on a queue keeps its queue and filters under a name, for
the user or shared with one of their teams; the queue page lists them and opens one."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from models import Role, SavedView
from web.access import role_required
from web.clocks import current_clock
from web.extensions import db
from web.forms import int_or_zero
from web.requirements import bp
from web.requirements.queries import FILTER_ARGS
from workflows.platform.errors import ValidationFailed
from workflows.tracking import saved_views


def view_url(view: SavedView) -> str:
    return url_for("requirements.index", queue=view.queue, **view.filters)


@bp.post("/requirements/views")
@role_required(Role.AGENT)
def save_view() -> Response:
    queue = request.form.get("queue", "mine")
    filters = {k: request.form.get(k, "") for k in FILTER_ARGS if request.form.get(k)}
    team_id = int_or_zero(request.form.get("team_id")) or None
    try:
        view = saved_views.create_view(
            db.session,
            current_user._get_current_object(),
            name=request.form.get("name", ""),
            queue=queue,
            filters=filters,
            team_id=team_id,
            clock=current_clock(),
        )
    except ValidationFailed as exc:
        db.session.rollback()
        messages = " ".join(str(m) for ms in exc.errors.values() for m in ms)
        flash(_("View not saved: %(reasons)s", reasons=messages), "error")
        return redirect(url_for("requirements.index", queue=queue, **filters), 303)
    db.session.commit()
    flash(_("View “%(name)s” saved.", name=view.name), "success")
    return redirect(view_url(view), 303)


@bp.post("/requirements/views/<int:view_id>/delete")
@role_required(Role.AGENT)
def delete_view(view_id: int) -> Response:
    view = db.get_or_404(SavedView, view_id)
    user = current_user._get_current_object()
    if not saved_views.may_see(db.session, user, view) and not user.has_role(Role.ADMIN):
        abort(404)
    if not saved_views.may_delete(user, view):
        abort(403, _("Only whoever saved a view (or an admin) may delete it."))
    saved_views.delete_view(db.session, view, actor=user, clock=current_clock())
    db.session.commit()
    flash(_("View “%(name)s” deleted.", name=view.name), "success")
    return redirect(url_for("requirements.index", queue=view.queue), 303)

"""Saved queue views over the API: the caller's own and those shared with their teams."""

from typing import Any

import marshmallow as ma
from flask import abort
from flask.views import MethodView
from flask_smorest import Blueprint

from models import Role, SavedView
from web.access import acting_user
from web.clocks import current_clock
from web.extensions import db
from workflows.tracking import saved_views

blp = Blueprint(
    "api_saved_views",
    __name__,
    url_prefix="/api/v1",
    description="Saved queue views (filters by state, priority, team, assignee, workflow, "
    "search words and SLA status), per user or shared with a team",
)


class SavedViewSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=80))
    queue = ma.fields.String(
        required=True, validate=ma.validate.OneOf(saved_views.QUEUES), metadata={"example": "team"}
    )
    filters = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Raw(allow_none=True),
        load_default=dict,
        metadata={"example": {"sla": "breached", "priority": "high"}},
    )
    team_id = ma.fields.Integer(
        allow_none=True,
        load_default=None,
        validate=ma.validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "Share with this team (one you belong to)"},
    )
    owner_id = ma.fields.Integer(dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)


@blp.route("/saved-views")
class SavedViews(MethodView):
    @blp.response(200, SavedViewSchema(many=True))
    def get(self) -> Any:
        """Your views and those shared with your teams, by name."""
        return saved_views.visible_to(db.session, acting_user())

    @blp.arguments(SavedViewSchema)
    @blp.response(201, SavedViewSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Save a view; `team_id` shares it with a team you belong to."""
        view = saved_views.create_view(db.session, acting_user(), clock=current_clock(), **data)
        db.session.commit()
        return view


@blp.route("/saved-views/<int:view_id>")
class SavedViewById(MethodView):
    @blp.response(200, SavedViewSchema)
    def get(self, view_id: int) -> Any:
        """One view you can see."""
        return _visible_or_404(view_id)

    @blp.response(204)
    def delete(self, view_id: int) -> None:
        """Delete a view you saved (admins: any)."""
        view = _visible_or_404(view_id)
        if not saved_views.may_delete(acting_user(), view):
            abort(403, "Only whoever saved a view (or an admin) may delete it.")
        saved_views.delete_view(db.session, view, actor=acting_user(), clock=current_clock())
        db.session.commit()


def _visible_or_404(view_id: int) -> SavedView:
    view = db.session.get(SavedView, view_id)
    user = acting_user()
    if view is None or not (
        saved_views.may_see(db.session, user, view) or user.has_role(Role.ADMIN)
    ):
        abort(404, "No such saved view.")
    return view

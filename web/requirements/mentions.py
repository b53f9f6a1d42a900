"""Suggestions while typing an `@name` in an internal note: the staff who may read the
requirement whose name or handle starts with what was typed (workflows.tracking.mentions)."""

from flask import jsonify, request
from werkzeug.wrappers import Response

from models import Role
from web.access import role_required
from web.extensions import db
from web.requirements import bp
from web.requirements.access import everyone_sees_everything, get_requirement_or_404
from workflows.tracking import mentions


@bp.get("/requirements/<int:requirement_id>/mention-suggestions")
@role_required(Role.AGENT)
def mention_suggestions(requirement_id: int) -> Response:
    requirement = get_requirement_or_404(requirement_id)
    found = mentions.suggestions(
        db.session,
        requirement,
        request.args.get("q", "")[:100],
        everyone_sees_everything=everyone_sees_everything(),
    )
    response = jsonify([{"handle": handle, "name": user.name} for user, handle in found])
    response.headers["Cache-Control"] = "no-store"
    return response

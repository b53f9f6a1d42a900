"""Canned responses over the API: list and create; read, PATCH (If-Match) and DELETE one
through the declarative record endpoints (web/api/records.py)."""

from typing import Any

import marshmallow as ma
from flask import abort
from flask.views import MethodView
from flask_smorest import Blueprint

from models import CannedResponse, Role
from web.access import acting_user
from web.api import records
from web.api.conditional import IDEMPOTENCY_DOC, idempotent, require_role, with_etag
from web.clocks import current_clock
from web.extensions import db
from workflows.channels import canned

blp = Blueprint(
    "api_canned_responses",
    __name__,
    url_prefix="/api/v1",
    description="Canned responses: reply texts with Jinja variables, personal or team-shared",
)

VARIABLES_DOC = "; ".join(
    f"{name}: {', '.join(fields)}" for name, fields in canned.VARIABLES.items()
)


class CannedSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String()
    body = ma.fields.String(
        metadata={"description": f"Markdown with Jinja variables ({VARIABLES_DOC})."}
    )
    team_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "Shared with this team; null: personal."}
    )
    owner_id = ma.fields.Integer(dump_only=True, allow_none=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)
    version = ma.fields.Integer(dump_only=True)


class CannedInSchema(ma.Schema):
    """Checked by the workflow (the body as a template too), which names every bad field."""

    class Meta:
        unknown = ma.INCLUDE

    name = ma.fields.String()
    body = ma.fields.String()
    team_id = ma.fields.Raw(allow_none=True, metadata={"type": "integer", "nullable": True})


def _load(canned_id: int, deleted: bool | None = False) -> CannedResponse:
    require_role(Role.AGENT)
    row = db.session.get(CannedResponse, canned_id)
    if row is None or not canned.may_read(db.session, acting_user(), row):
        abort(404, "No such canned response.")
    return row


@blp.route("/canned-responses")
class CannedResponses(MethodView):
    @blp.response(200, CannedSchema(many=True))
    def get(self) -> Any:
        """The caller's own canned responses and their teams', by name."""
        require_role(Role.AGENT)
        return canned.visible_to(db.session, acting_user())

    @idempotent
    @blp.arguments(CannedInSchema)
    @blp.response(201, CannedSchema)
    @blp.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data: dict[str, Any]) -> Any:
        """Save a canned response; a syntax error or an unknown variable or field is refused
        with 422 at `body`."""
        require_role(Role.AGENT)
        row = canned.create_canned(db.session, data, actor=acting_user(), clock=current_clock())
        db.session.commit()
        return with_etag(row, row.version, 201)


records.register(
    blp,
    records.Record(
        name="CannedResponse",
        path="/canned-responses/<int:canned_id>",
        schema=CannedSchema,
        in_schema=CannedInSchema,
        load=_load,
        update=canned.update_canned,
        delete=canned.delete_canned,
        docs={
            "get": "One canned response (its owner's, or shared with the caller's team).",
            "patch": "Change the fields sent (checked as on create); needs If-Match.",
            "delete": "Delete it for good (its owner, or a member of its team); needs If-Match.",
        },
        delete_role=Role.AGENT,
    ),
)

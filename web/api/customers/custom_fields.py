"""Custom field definitions over the API: everyone reads them, admins define and change them.
Definitions carry no version column, so writes here take no If-Match."""

from typing import Any

import marshmallow as ma
from flask import abort
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from models import CustomFieldDefinition, FieldKind, Role
from web.api.conditional import IDEMPOTENCY_DOC, idempotent, require_role
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import custom_fields

blp = Blueprint(
    "api_custom_fields",
    __name__,
    url_prefix="/api/v1",
    description="Custom field definitions of customers and organisations",
)


class CustomFieldSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    entity = ma.fields.String(required=True, validate=ma.validate.OneOf(custom_fields.ENTITIES))
    key = ma.fields.String(required=True, metadata={"description": "Permanent once created."})
    label = ma.fields.String(required=True)
    kind = ma.fields.Function(
        lambda d: d.kind.value,
        deserialize=lambda v: v,
        required=True,
        metadata={"type": "string", "enum": [k.value for k in FieldKind]},
    )
    choices = ma.fields.List(ma.fields.String(), load_default=list)
    is_required = ma.fields.Boolean(load_default=False)
    is_active = ma.fields.Boolean(dump_only=True)
    position = ma.fields.Integer(dump_only=True)


class CustomFieldUpdateSchema(ma.Schema):
    label = ma.fields.String()
    choices = ma.fields.List(ma.fields.String())
    is_required = ma.fields.Boolean()
    is_active = ma.fields.Boolean()


class CustomFieldQuerySchema(ma.Schema):
    entity = ma.fields.String(validate=ma.validate.OneOf(custom_fields.ENTITIES))


@blp.route("/custom-fields")
class CustomFields(MethodView):
    @blp.arguments(CustomFieldQuerySchema, location="query")
    @blp.response(200, CustomFieldSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Every definition (inactive ones included), in display order."""
        query = select(CustomFieldDefinition)
        if args.get("entity"):
            query = query.where(CustomFieldDefinition.entity == args["entity"])
        order = (
            CustomFieldDefinition.entity,
            CustomFieldDefinition.position,
            CustomFieldDefinition.id,
        )
        return list(db.session.scalars(query.order_by(*order)))

    @idempotent
    @blp.arguments(CustomFieldSchema)
    @blp.response(201, CustomFieldSchema)
    @blp.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data: dict[str, Any]) -> Any:
        """Define a field (admins only)."""
        require_role(Role.ADMIN)
        definition = custom_fields.define_field(db.session, clock=current_clock(), **data)
        db.session.commit()
        return definition


@blp.route("/custom-fields/<int:field_id>")
class CustomFieldById(MethodView):
    @blp.response(200, CustomFieldSchema)
    def get(self, field_id: int) -> Any:
        return _get_or_404(field_id)

    @blp.arguments(CustomFieldUpdateSchema)
    @blp.response(200, CustomFieldSchema)
    def patch(self, data: dict[str, Any], field_id: int) -> Any:
        """Change label, choices, required or active (admins only); key and kind stay."""
        require_role(Role.ADMIN)
        definition = _get_or_404(field_id)
        current = {
            "label": definition.label,
            "choices": definition.choices,
            "is_required": definition.is_required,
            "is_active": definition.is_active,
        }
        custom_fields.update_field(db.session, definition, **{**current, **data})
        db.session.commit()
        return definition


def _get_or_404(field_id: int) -> CustomFieldDefinition:
    definition = db.session.get(CustomFieldDefinition, field_id)
    if definition is None:
        abort(404, "No such custom field.")
    return definition
